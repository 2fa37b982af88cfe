//! Per-host and fleet totals per tick and over time, and "busiest domains" rankings.

#[path = "stats_support/sim.rs"]
mod sim;

use std::time::{Duration, Instant};

use hangar::model::{ConnectionId, DomainState};
use hangar::stats::{
    Availability, HostMetric, Metric, Reading, Retention, Scope, StatsStore, Window,
};
use sim::{Load, SimDomain, SimHost, host};

const A: ConnectionId = ConnectionId(1);
const B: ConnectionId = ConnectionId(2);
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

fn assert_close(reading: Reading, expected: f64) {
    let value = reading
        .value()
        .unwrap_or_else(|| panic!("{reading:?} is not a value"));
    assert!(
        (value - expected).abs() <= expected.abs() * 1e-3 + 1e-6,
        "{value} is not {expected}"
    );
}

fn io(disk_rd: u64, net_tx: u64) -> Load {
    Load {
        disk_rd,
        net_tx,
        ..Load::IDLE
    }
}

/// Host A: 4 CPUs, 16 GiB; domains busy 1, 0.5 and (shut off) 2 cores.
/// Host B: 12 CPUs, 64 GiB; one domain busy 2.4 cores.
fn two_hosts(start: Instant) -> (SimHost, SimHost) {
    let mut off = SimDomain::new(2, 2, Load::cpu(2.0));
    off.state = DomainState::ShutOff;
    let a = SimHost::new(
        start,
        host(4, 16),
        vec![
            SimDomain::new(
                0,
                2,
                Load {
                    cores: 1.0,
                    ..io(1000, 500)
                },
            ),
            SimDomain::new(
                1,
                1,
                Load {
                    cores: 0.5,
                    ..io(3000, 0)
                },
            ),
            off,
        ],
    );
    let b = SimHost::new(
        start,
        host(12, 64),
        vec![SimDomain::new(
            10,
            4,
            Load {
                cores: 2.4,
                ..io(6000, 100)
            },
        )],
    );
    (a, b)
}

fn feed(store: &mut StatsStore, a: &mut SimHost, b: &mut SimHost, ticks: usize) {
    store.ingest(A, &a.sample());
    store.ingest(B, &b.sample());
    for _ in 0..ticks {
        store.ingest(A, &a.tick(1.0));
        store.ingest(B, &b.tick(1.0));
    }
}

#[test]
fn host_totals_sum_the_running_domains() {
    let mut store = StatsStore::new(Retention::default());
    let (mut a, mut b) = two_hosts(Instant::now());
    feed(&mut store, &mut a, &mut b, 3);
    let host_a = store.host_latest(A).unwrap();
    assert_eq!((host_a.domains, host_a.active_domains), (3, 2));
    assert_eq!(host_a.cpus, 4);
    // 1.5 busy cores of 4.
    assert_close(host_a.get(HostMetric::CpuPercent), 37.5);
    // Two running domains with 1 GiB each, of 16 GiB.
    assert_close(host_a.get(HostMetric::MemUsed), 2.0 * GIB);
    assert_close(host_a.get(HostMetric::MemUsedPercent), 12.5);
    assert_close(host_a.get(HostMetric::MemTotal), 16.0 * GIB);
    assert_close(host_a.get(HostMetric::DiskRead), 4000.0);
    assert_close(host_a.get(HostMetric::NetTx), 500.0);
}

#[test]
fn fleet_totals_weight_percentages_by_host_size() {
    let mut store = StatsStore::new(Retention::default());
    let (mut a, mut b) = two_hosts(Instant::now());
    feed(&mut store, &mut a, &mut b, 3);
    let fleet = store.fleet_latest();
    assert_eq!((fleet.hosts, fleet.stale_hosts), (2, 0));
    assert_eq!(fleet.cpus, 16);
    assert_eq!((fleet.domains, fleet.active_domains), (4, 3));
    // 3.9 busy cores of 16 CPUs, not the average of 37.5 % and 20 %.
    assert_close(fleet.get(HostMetric::CpuPercent), 24.375);
    assert_close(fleet.get(HostMetric::MemUsedPercent), 3.0 / 80.0 * 100.0);
    assert_close(fleet.get(HostMetric::DiskRead), 10_000.0);
    assert_close(fleet.get(HostMetric::NetTx), 600.0);

    let window = Window::last(Duration::from_secs(60), a.now);
    let cpu = store.fleet_series(HostMetric::CpuPercent, window);
    let values: Vec<_> = cpu.points.iter().map(|point| point.value).collect();
    assert_eq!(values.len(), 4);
    assert_eq!(values[0], None, "no rates at the first tick");
    for value in &values[1..] {
        assert!((value.unwrap() - 24.375).abs() < 0.1, "{value:?}");
    }
    let disk = store.fleet_series(HostMetric::DiskRead, window);
    assert!((disk.current().unwrap() - 10_000.0).abs() < 30.0);
    let host_disk = store.host_series(B, HostMetric::DiskRead, window).unwrap();
    assert!((host_disk.current().unwrap() - 6000.0).abs() < 20.0);
}

/// Hosts tick at their own phase: between one host's tick and the other's, the newest slot
/// holds only one host. The fleet series must end at the last slot both reported, not dip to
/// a partial total at "now".
#[test]
fn the_fleet_series_ends_at_the_newest_slot_every_live_host_reported() {
    let mut store = StatsStore::new(Retention::default());
    let (mut a, mut b) = two_hosts(Instant::now());
    feed(&mut store, &mut a, &mut b, 3);
    let both = store.fleet_latest().get(HostMetric::MemTotal);
    assert_close(both, 80.0 * GIB);
    let series = |store: &StatsStore, metric, now| {
        store.fleet_series(metric, Window::last(Duration::from_secs(60), now))
    };
    let before = series(&store, HostMetric::MemTotal, a.now).points.len();

    store.ingest(A, &a.tick(1.0));
    let memory = series(&store, HostMetric::MemTotal, a.now);
    assert_eq!(
        memory.points.len(),
        before,
        "the slot only A reported is not drawn yet"
    );
    assert_close(Reading::Value(memory.current().unwrap().into()), 80.0 * GIB);
    let cpu = series(&store, HostMetric::CpuPercent, a.now);
    assert!(
        (cpu.current().unwrap() - 24.375).abs() < 0.1,
        "{:?}",
        cpu.current()
    );

    store.ingest(B, &b.tick(1.0));
    let memory = series(&store, HostMetric::MemTotal, a.now);
    assert_eq!(
        memory.points.len(),
        before + 1,
        "both reported: the slot is drawn"
    );
    assert_close(Reading::Value(memory.current().unwrap().into()), 80.0 * GIB);

    // A stale host does not hold the series back.
    store.mark_stale(B, b.now + Duration::from_secs(2));
    store.ingest(A, &a.tick(1.0));
    let memory = series(&store, HostMetric::MemTotal, a.now);
    assert_eq!(memory.points.len(), before + 2);
    assert_close(Reading::Value(memory.current().unwrap().into()), 16.0 * GIB);
}

#[test]
fn a_stale_host_shows_in_the_fleet_figures() {
    let mut store = StatsStore::new(Retention::default());
    let (mut a, mut b) = two_hosts(Instant::now());
    feed(&mut store, &mut a, &mut b, 2);
    store.mark_stale(B, b.now + Duration::from_secs(2));
    let fleet = store.fleet_latest();
    assert_eq!(fleet.stale_hosts, 1);
    assert_eq!(fleet.oldest_sample_at, Some(a.now.min(b.now)));
    let series = store.fleet_series(
        HostMetric::CpuPercent,
        Window::last(Duration::from_secs(60), a.now),
    );
    assert_eq!(series.stale_since, Some(b.now + Duration::from_secs(2)));
}

#[test]
fn host_totals_are_not_available_when_no_running_domain_reports_them() {
    let mut store = StatsStore::new(Retention::default());
    let mut quiet = SimDomain::new(0, 1, Load::cpu(1.0));
    quiet.reports_io = false;
    let mut sim = SimHost::new(Instant::now(), host(2, 4), vec![quiet]);
    store.ingest(A, &sim.sample());
    store.ingest(A, &sim.tick(1.0));
    let host = store.host_latest(A).unwrap();
    assert_eq!(host.get(HostMetric::DiskRead), Reading::NotAvailable);
    assert_close(host.get(HostMetric::CpuPercent), 50.0);
    let series = store
        .host_series(
            A,
            HostMetric::NetRx,
            Window::last(Duration::from_secs(60), sim.now),
        )
        .unwrap();
    assert_eq!(series.availability, Availability::NotAvailable);
    // With nothing running, nothing is used: zero, not a gap.
    sim.domain(0).state = DomainState::ShutOff;
    store.ingest(A, &sim.tick(1.0));
    assert_close(
        store.host_latest(A).unwrap().get(HostMetric::CpuPercent),
        0.0,
    );
}

#[test]
fn busiest_ranks_running_domains_per_host_and_across_hosts() {
    let mut store = StatsStore::new(Retention::default());
    let (mut a, mut b) = two_hosts(Instant::now());
    feed(&mut store, &mut a, &mut b, 2);

    let fleet = store.busiest(10, Scope::Fleet, Metric::GuestCpu);
    let ranked: Vec<_> = fleet
        .iter()
        .map(|busy| (busy.connection, busy.uuid))
        .collect();
    // Guest CPU: domain 0 at 50 %, domain 1 at 50 %, domain 10 at 60 %; the shut-off one
    // has no value and is not ranked.
    assert_eq!(ranked.len(), 3);
    assert_eq!(ranked[0], (B, sim::uuid(10)));
    assert!((fleet[0].value - 60.0).abs() < 0.1);
    assert!(!fleet[0].stale);

    // Share of its host: domain 0 has 25 %, domain 10 20 %, domain 1 12.5 %.
    let top_host_share = store.busiest(1, Scope::Fleet, Metric::HostCpu);
    assert_eq!(top_host_share.len(), 1);
    assert_eq!(top_host_share[0].uuid, sim::uuid(0));
    assert!((top_host_share[0].value - 25.0).abs() < 0.1);

    let on_a = store.busiest(5, Scope::Connection(A), Metric::DiskRead);
    let uuids: Vec<_> = on_a.iter().map(|busy| busy.uuid).collect();
    assert_eq!(uuids, [sim::uuid(1), sim::uuid(0)]);
    assert!(store.busiest(0, Scope::Fleet, Metric::GuestCpu).is_empty());
    assert!(
        store
            .busiest(3, Scope::Connection(ConnectionId(99)), Metric::GuestCpu)
            .is_empty()
    );

    // A domain missing from the latest tick drops out of the ranking.
    a.domains.remove(1);
    store.ingest(A, &a.tick(1.0));
    let on_a = store.busiest(5, Scope::Connection(A), Metric::DiskRead);
    assert_eq!(on_a.len(), 1);
}

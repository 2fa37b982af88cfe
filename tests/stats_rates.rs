//! Rates from counter deltas: CPU percentages, memory, disk and network throughput, and the
//! honest handling of first samples, restarts, shut-off domains and missing counters.

#[path = "stats_support/sim.rs"]
mod sim;

use std::time::{Duration, Instant};

use hangar::model::{ConnectionId, DomainState};
use hangar::stats::{
    Availability, GapReason, Metric, Reading, Retention, Series, StatsStore, TickSample, Window,
};
use sim::{Load, SimDomain, SimHost, host};

const CONN: ConnectionId = ConnectionId(1);

fn setup(domains: Vec<SimDomain>) -> (StatsStore, SimHost) {
    let store = StatsStore::new(Retention::default());
    let sim = SimHost::new(Instant::now(), host(8, 32), domains);
    (store, sim)
}

fn value(store: &StatsStore, n: u32, metric: Metric) -> Reading {
    store
        .latest(CONN, &sim::uuid(n))
        .expect("the domain is known")
        .get(metric)
}

/// The last minute of a domain's series of `metric`.
fn last_minute(store: &StatsStore, sim: &SimHost, n: u32, metric: Metric) -> Series {
    store
        .series(
            CONN,
            &sim::uuid(n),
            metric,
            Window::last(Duration::from_secs(60), sim.now),
        )
        .expect("the domain is known")
}

fn assert_close(reading: Reading, expected: f64) {
    let value = reading
        .value()
        .unwrap_or_else(|| panic!("{reading:?} is not a value"));
    assert!(
        (value - expected).abs() <= expected.abs() * 1e-3 + 1e-6,
        "{value} is not {expected}"
    );
}

#[test]
fn cpu_percent_is_of_the_guests_vcpus_and_of_the_hosts_cpus() {
    // One of two vCPUs busy on an 8-CPU host: 50 % of the guest, 12.5 % of the host.
    let (mut store, mut sim) = setup(vec![SimDomain::new(0, 2, Load::cpu(1.0))]);
    store.ingest(CONN, &sim.sample());
    store.ingest(CONN, &sim.tick(1.0));
    assert_close(value(&store, 0, Metric::GuestCpu), 50.0);
    assert_close(value(&store, 0, Metric::HostCpu), 12.5);
    // A longer interval with the same load gives the same rate, not a bigger one.
    store.ingest(CONN, &sim.tick(2.5));
    assert_close(value(&store, 0, Metric::GuestCpu), 50.0);
}

#[test]
fn the_first_sample_gives_no_rate_but_does_give_memory() {
    let (mut store, mut sim) = setup(vec![SimDomain::new(0, 1, Load::cpu(0.5))]);
    store.ingest(CONN, &sim.sample());
    assert_eq!(
        value(&store, 0, Metric::GuestCpu),
        Reading::Gap(GapReason::Warmup)
    );
    assert_eq!(
        value(&store, 0, Metric::DiskRead),
        Reading::Gap(GapReason::Warmup)
    );
    assert_close(
        value(&store, 0, Metric::MemAllocated),
        1024.0 * 1024.0 * 1024.0,
    );
    store.ingest(CONN, &sim.tick(1.0));
    assert_close(value(&store, 0, Metric::GuestCpu), 50.0);
    let series = last_minute(&store, &sim, 0, Metric::GuestCpu);
    let values: Vec<_> = series.points.iter().map(|point| point.value).collect();
    assert_eq!(values.len(), 2);
    assert_eq!(values[0], None, "no fake zero before the first rate");
    assert!((values[1].unwrap() - 50.0).abs() < 0.2);
}

#[test]
fn a_counter_going_backwards_restarts_the_series_without_a_spike() {
    let (mut store, mut sim) = setup(vec![SimDomain::new(5, 1, Load::cpu(0.25))]);
    store.ingest(CONN, &sim.sample());
    for _ in 0..5 {
        store.ingest(CONN, &sim.tick(1.0));
    }
    sim.domain(0).restart();
    store.ingest(CONN, &sim.tick(1.0));
    assert_eq!(
        value(&store, 5, Metric::GuestCpu),
        Reading::Gap(GapReason::Warmup)
    );
    assert_eq!(
        value(&store, 5, Metric::NetRx),
        Reading::Gap(GapReason::Warmup)
    );
    store.ingest(CONN, &sim.tick(1.0));
    assert_close(value(&store, 5, Metric::GuestCpu), 25.0);
    let series = last_minute(&store, &sim, 5, Metric::GuestCpu);
    let values: Vec<_> = series.points.iter().map(|point| point.value).collect();
    // Warm-up gap, five real values, the restart's gap, then the series continues.
    assert_eq!(values.len(), 8);
    assert_eq!(values[0], None);
    assert_eq!(values[6], None);
    for value in values.iter().flatten() {
        assert!((value - 25.0).abs() < 0.2, "spike or dip: {value}");
    }
}

#[test]
fn a_shut_off_domain_is_a_gap_not_zeros_and_restarts_with_a_warmup() {
    let (mut store, mut sim) = setup(vec![SimDomain::new(0, 1, Load::cpu(1.0))]);
    store.ingest(CONN, &sim.sample());
    store.ingest(CONN, &sim.tick(1.0));
    sim.domain(0).state = DomainState::ShutOff;
    for _ in 0..3 {
        store.ingest(CONN, &sim.tick(1.0));
    }
    for metric in Metric::ALL {
        assert_eq!(
            value(&store, 0, metric),
            Reading::Gap(GapReason::Inactive),
            "{metric:?}"
        );
    }
    sim.domain(0).state = DomainState::Running;
    store.ingest(CONN, &sim.tick(1.0));
    assert_eq!(
        value(&store, 0, Metric::GuestCpu),
        Reading::Gap(GapReason::Warmup)
    );
    store.ingest(CONN, &sim.tick(1.0));
    let series = last_minute(&store, &sim, 0, Metric::GuestCpu);
    let values: Vec<_> = series.points.iter().map(|point| point.value).collect();
    assert_eq!(values.len(), 7);
    assert_eq!(
        &values[2..6],
        &[None, None, None, None],
        "off, then warm-up"
    );
    assert!(values[1].is_some() && values[6].is_some());
    let memory = last_minute(&store, &sim, 0, Metric::MemUsed);
    let memory: Vec<_> = memory
        .points
        .iter()
        .map(|point| point.value.is_some())
        .collect();
    assert_eq!(memory, [true, true, false, false, false, true, true]);
}

#[test]
fn a_paused_domain_uses_no_cpu_but_keeps_its_memory() {
    let (mut store, mut sim) = setup(vec![SimDomain::new(0, 1, Load::cpu(1.0))]);
    store.ingest(CONN, &sim.sample());
    sim.domain(0).state = DomainState::Paused;
    store.ingest(CONN, &sim.tick(1.0));
    assert_close(value(&store, 0, Metric::GuestCpu), 0.0);
    assert!(value(&store, 0, Metric::MemUsed).value().is_some());
}

#[test]
fn unreported_counters_are_not_available_rather_than_gaps() {
    let mut quiet = SimDomain::new(0, 1, Load::cpu(0.5));
    quiet.reports_io = false;
    let (mut store, mut sim) = setup(vec![quiet]);
    store.ingest(CONN, &sim.sample());
    store.ingest(CONN, &sim.tick(1.0));
    for metric in [
        Metric::DiskRead,
        Metric::DiskWriteOps,
        Metric::NetRx,
        Metric::NetTx,
    ] {
        assert_eq!(
            value(&store, 0, metric),
            Reading::NotAvailable,
            "{metric:?}"
        );
        let series = last_minute(&store, &sim, 0, metric);
        assert_eq!(series.availability, Availability::NotAvailable);
        assert!(series.points.iter().all(|point| point.value.is_none()));
    }
    let cpu = last_minute(&store, &sim, 0, Metric::GuestCpu);
    assert_eq!(cpu.availability, Availability::Available);
    // Still "not available" (not merely a gap) after the domain shuts down.
    sim.domain(0).state = DomainState::ShutOff;
    store.ingest(CONN, &sim.tick(1.0));
    let series = last_minute(&store, &sim, 0, Metric::DiskRead);
    assert!(series.is_not_available());
}

#[test]
fn memory_in_use_subtracts_what_the_guest_reports_unused() {
    let mut ballooned = SimDomain::new(0, 1, Load::IDLE);
    ballooned.mem_current_kib = 2 * 1024 * 1024;
    ballooned.mem_unused_kib = Some(512 * 1024);
    let plain = SimDomain::new(1, 1, Load::IDLE);
    let (mut store, sim) = setup(vec![ballooned, plain]);
    store.ingest(CONN, &sim.sample());
    let gib = 1024.0 * 1024.0 * 1024.0;
    assert_close(value(&store, 0, Metric::MemUsed), 1.5 * gib);
    assert_close(value(&store, 0, Metric::MemAllocated), 2.0 * gib);
    assert_close(value(&store, 1, Metric::MemUsed), 1.0 * gib);
}

#[test]
fn disk_and_network_rates_are_per_second() {
    let load = Load {
        cores: 0.0,
        disk_rd: 30_000_000,
        disk_wr: 10_000_000,
        disk_rd_ops: 300,
        disk_wr_ops: 120,
        net_rx: 70_000,
        net_tx: 65_000,
    };
    let (mut store, mut sim) = setup(vec![SimDomain::new(0, 1, load)]);
    store.ingest(CONN, &sim.sample());
    store.ingest(CONN, &sim.tick(2.0));
    assert_close(value(&store, 0, Metric::DiskRead), 30e6);
    assert_close(value(&store, 0, Metric::DiskWrite), 10e6);
    assert_close(value(&store, 0, Metric::DiskReadOps), 300.0);
    assert_close(value(&store, 0, Metric::DiskWriteOps), 120.0);
    assert_close(value(&store, 0, Metric::NetRx), 70e3);
    assert_close(value(&store, 0, Metric::NetTx), 65e3);
}

/// The sample as the driver sends it for a machine whose disks and NICs it did not read.
fn devices_not_read(mut sample: TickSample) -> TickSample {
    for (_, counters) in &mut sample.domains {
        counters.disk_rd_bytes = None;
        counters.disk_wr_bytes = None;
        counters.disk_rd_reqs = None;
        counters.disk_wr_reqs = None;
        counters.net_rx_bytes = None;
        counters.net_tx_bytes = None;
        counters.devices_not_read = true;
    }
    sample
}

#[test]
fn device_counters_read_every_few_ticks_give_rates_over_their_own_interval() {
    let load = Load {
        cores: 1.0,
        disk_rd: 30_000_000,
        net_rx: 1_000,
        ..Load::cpu(1.0)
    };
    let (mut store, mut sim) = setup(vec![SimDomain::new(0, 2, load)]);
    store.ingest(CONN, &sim.sample());
    store.ingest(CONN, &sim.tick(1.0));
    assert_close(value(&store, 0, Metric::DiskRead), 30e6);
    // The load changes while the disks are not read: the last figure stands (no gap), and
    // CPU goes on at every tick.
    sim.domain(0).load.disk_rd = 10_000_000;
    sim.domain(0).load.net_rx = 5_000;
    sim.domain(0).load.cores = 0.5;
    for _ in 0..3 {
        store.ingest(CONN, &devices_not_read(sim.tick(1.0)));
        assert_close(value(&store, 0, Metric::DiskRead), 30e6);
        assert_close(value(&store, 0, Metric::NetRx), 1e3);
        assert_close(value(&store, 0, Metric::GuestCpu), 25.0);
    }
    // Read again, four seconds after the last read: the rate over those four seconds, not
    // four seconds' growth divided by one.
    store.ingest(CONN, &sim.tick(1.0));
    assert_close(value(&store, 0, Metric::DiskRead), 10e6);
    assert_close(value(&store, 0, Metric::NetRx), 5e3);
    let series = last_minute(&store, &sim, 0, Metric::DiskRead);
    let values: Vec<_> = series.points.iter().map(|point| point.value).collect();
    assert_eq!(values.len(), 6);
    assert_eq!(values[0], None, "the first sample is a warm-up gap");
    assert!(
        values[1..].iter().all(Option::is_some),
        "no gaps while the disks were not read: {values:?}"
    );
}

#[test]
fn a_restart_while_devices_are_not_read_drops_their_old_rates() {
    let load = Load {
        disk_rd: 30_000_000,
        ..Load::cpu(1.0)
    };
    // Machine 5 has used 5 s of CPU, so a restart's counter goes back.
    let (mut store, mut sim) = setup(vec![SimDomain::new(5, 2, load)]);
    store.ingest(CONN, &sim.sample());
    store.ingest(CONN, &sim.tick(1.0));
    assert_close(value(&store, 5, Metric::DiskRead), 30e6);
    sim.domain(0).restart();
    store.ingest(CONN, &devices_not_read(sim.tick(1.0)));
    assert_eq!(
        value(&store, 5, Metric::DiskRead),
        Reading::Gap(GapReason::Warmup),
        "the rate from before the restart is gone"
    );
}

/// The sample as the driver sends it for a machine whose per-domain CPU and memory call it
/// did not make (`cpu` false: the driver's bulk call gave the CPU time all the same).
fn info_not_read(mut sample: TickSample, cpu: bool) -> TickSample {
    for (_, counters) in &mut sample.domains {
        if !cpu {
            counters.cpu_time_ns = None;
            counters.vcpus = None;
        }
        counters.mem_current_kib = None;
        counters.mem_max_kib = None;
        counters.mem_unused_kib = None;
        counters.info_not_read = true;
    }
    sample
}

#[test]
fn cpu_and_memory_read_every_few_ticks_stand_between_reads() {
    let (mut store, mut sim) = setup(vec![SimDomain::new(0, 2, Load::cpu(1.0))]);
    store.ingest(CONN, &sim.sample());
    store.ingest(CONN, &sim.tick(1.0));
    assert_close(value(&store, 0, Metric::GuestCpu), 50.0);
    let allocated = value(&store, 0, Metric::MemAllocated)
        .value()
        .expect("memory is read");
    // The load changes while the call is skipped: the last figures stand, no gap.
    sim.domain(0).load.cores = 0.5;
    for _ in 0..3 {
        store.ingest(CONN, &info_not_read(sim.tick(1.0), false));
        assert_close(value(&store, 0, Metric::GuestCpu), 50.0);
        assert_close(value(&store, 0, Metric::HostCpu), 12.5);
        assert_close(value(&store, 0, Metric::MemAllocated), allocated);
    }
    // Read again: the CPU use over the four seconds since the last read.
    sim.domain(0).load.cores = 1.5;
    store.ingest(CONN, &sim.tick(1.0));
    assert_close(
        value(&store, 0, Metric::GuestCpu),
        (3.0 * 0.5 + 1.5) / 4.0 / 2.0 * 100.0,
    );
    let series = last_minute(&store, &sim, 0, Metric::GuestCpu);
    let values: Vec<_> = series.points.iter().map(|point| point.value).collect();
    assert_eq!(values.len(), 6);
    assert_eq!(values[0], None, "the first sample is a warm-up gap");
    assert!(
        values[1..].iter().all(Option::is_some),
        "no gaps while the call was skipped: {values:?}"
    );
}

#[test]
fn a_cpu_time_from_the_bulk_call_is_used_when_only_memory_was_skipped() {
    let (mut store, mut sim) = setup(vec![SimDomain::new(0, 2, Load::cpu(1.0))]);
    store.ingest(CONN, &sim.sample());
    store.ingest(CONN, &sim.tick(1.0));
    sim.domain(0).load.cores = 0.5;
    store.ingest(CONN, &info_not_read(sim.tick(1.0), true));
    assert_close(value(&store, 0, Metric::GuestCpu), 25.0);
    assert!(value(&store, 0, Metric::MemAllocated).value().is_some());
}

#[test]
fn a_restart_while_cpu_is_not_read_restarts_the_series_at_the_next_read() {
    // Machine 5 has used 5 s of CPU, so a restart's counter goes back.
    let (mut store, mut sim) = setup(vec![SimDomain::new(5, 2, Load::cpu(1.0))]);
    store.ingest(CONN, &sim.sample());
    store.ingest(CONN, &sim.tick(1.0));
    sim.domain(0).restart();
    store.ingest(CONN, &info_not_read(sim.tick(1.0), false));
    store.ingest(CONN, &sim.tick(1.0));
    assert_eq!(
        value(&store, 5, Metric::GuestCpu),
        Reading::Gap(GapReason::Warmup),
        "no rate across the restart"
    );
}

#[test]
fn a_sample_not_newer_than_the_last_is_refused_and_changes_nothing() {
    let (mut store, mut sim) = setup(vec![SimDomain::new(0, 1, Load::cpu(1.0))]);
    store.ingest(CONN, &sim.sample());
    let newer = sim.tick(1.0);
    assert!(store.ingest(CONN, &newer));
    let before = store.latest(CONN, &sim::uuid(0)).unwrap();
    assert!(!store.ingest(CONN, &newer));
    let mut older = newer.clone();
    older.taken_at = sim.start;
    assert!(!store.ingest(CONN, &older));
    let after = store.latest(CONN, &sim::uuid(0)).unwrap();
    assert_eq!(after.taken_at, before.taken_at);
    assert_eq!(after.get(Metric::GuestCpu), before.get(Metric::GuestCpu));
}

#[test]
fn unknown_domains_and_connections_give_nothing() {
    let (mut store, sim) = setup(vec![SimDomain::new(0, 1, Load::IDLE)]);
    store.ingest(CONN, &sim.sample());
    assert!(store.latest(CONN, &sim::uuid(9)).is_none());
    assert!(store.latest(ConnectionId(7), &sim::uuid(0)).is_none());
    let window = Window::last(Duration::from_secs(60), sim.now);
    assert!(
        store
            .series(CONN, &sim::uuid(9), Metric::GuestCpu, window)
            .is_none()
    );
    assert!(!store.mark_stale(ConnectionId(7), sim.now));
}

//! The performance views' charts and rankings, GTK-free, on a statistics store fed simulated
//! ticks: headline values, captions and accessible text; "not available", "not collected",
//! stale data, gaps while a machine is off, no spike after a start; host and fleet totals;
//! busiest machines.

#[path = "stats_support/sim.rs"]
mod sim;

use std::time::{Duration, Instant};

use hangar::charts::ChartState;
use hangar::model::{ConnectionId, DomainState};
use hangar::perf::{ChartKind, Panel, Ranking, Target, busiest};
use hangar::stats::{Scope, StatsGroups, StatsStore, Window};
use sim::{Load, SimDomain, SimHost, host};

const A: ConnectionId = ConnectionId(1);
const B: ConnectionId = ConnectionId(2);
const MIB: u64 = 1024 * 1024;

fn all() -> StatsGroups {
    StatsGroups::default()
}

fn five_minutes(now: Instant) -> Window {
    Window::last(Duration::from_secs(300), now)
}

/// A store and one host of 4 CPUs / 16 GiB whose domain 0 has 2 vCPUs busy 1.5 cores,
/// reads and writes 1 MiB/s and receives 2 MiB/s; domain 1 is idle without disk or network
/// counters (a hypervisor that does not report them).
fn one_host(ticks: usize) -> (StatsStore, SimHost) {
    let mut store = StatsStore::default();
    let busy = SimDomain::new(
        0,
        2,
        Load {
            cores: 1.5,
            disk_rd: MIB,
            disk_wr: MIB,
            net_rx: 2 * MIB,
            ..Load::IDLE
        },
    );
    let mut bare = SimDomain::new(1, 1, Load::cpu(0.25));
    bare.reports_io = false;
    let mut sim = SimHost::new(Instant::now(), host(4, 16), vec![busy, bare]);
    store.ingest(A, &sim.sample());
    for _ in 0..ticks {
        store.ingest(A, &sim.tick(1.0));
    }
    (store, sim)
}

fn vm_panel(store: &StatsStore, sim: &SimHost, n: usize, kind: ChartKind) -> Panel {
    let target = Target::Vm(A, sim.domains[n].uuid);
    Panel::build(store, target, kind, five_minutes(sim.now), all(), sim.now)
}

#[test]
fn machine_charts_say_their_current_values() {
    let (store, sim) = one_host(10);
    let cpu = vm_panel(&store, &sim, 0, ChartKind::Cpu);
    assert_eq!(cpu.model.state, ChartState::Data);
    assert_eq!(cpu.headline, "75 %");
    assert_eq!(cpu.accessible, "CPU 75 % of its virtual CPUs");
    assert!(!cpu.stale && cpu.status.is_none());

    let memory = vm_panel(&store, &sim, 0, ChartKind::Memory);
    assert_eq!(memory.headline, "1.0 GiB");
    assert_eq!(memory.caption.as_deref(), Some("of 1.0 GiB"));
    // One line, "in use", on an axis that reaches the allocation (at its next nice tick).
    assert_eq!(memory.model.lines.len(), 1);
    let gib = 1024.0 * 1024.0 * 1024.0;
    assert!(
        (gib..=1.25 * gib).contains(&memory.model.value_axis.max),
        "axis top {} is the allocation's",
        memory.model.value_axis.max
    );

    let disk = vm_panel(&store, &sim, 0, ChartKind::Disk);
    assert_eq!(disk.headline, "2.0 MiB/s");
    assert_eq!(disk.caption.as_deref(), Some("Total"));
    assert_eq!(
        disk.accessible,
        "Disk 2.0 MiB/s Total, Read 1.0 MiB/s, Write 1.0 MiB/s"
    );
    let network = vm_panel(&store, &sim, 0, ChartKind::Network);
    assert_eq!(network.headline, "2.0 MiB/s");
}

#[test]
fn missing_statistics_are_not_zeros() {
    let (store, sim) = one_host(5);
    // The hypervisor does not report this machine's disk: no chart of zeros.
    let disk = vm_panel(&store, &sim, 1, ChartKind::Disk);
    assert_eq!(disk.model.state, ChartState::NotAvailable);
    assert_eq!(disk.headline, "Not available");
    assert_eq!(disk.accessible, "Disk: not available from this hypervisor");
    assert_eq!(
        disk.model.message().as_deref(),
        Some("Not available from this hypervisor")
    );

    // The user turned disk statistics off: the history left from before is not drawn.
    let groups = StatsGroups {
        disk: false,
        ..all()
    };
    let target = Target::Vm(A, sim.domains[0].uuid);
    let off = Panel::build(
        &store,
        target,
        ChartKind::Disk,
        five_minutes(sim.now),
        groups,
        sim.now,
    );
    assert_eq!(off.model.state, ChartState::NotCollected);
    assert_eq!(off.headline, "Not collected");
    assert_eq!(off.accessible, "Disk: not collected");
    assert!(
        off.model
            .message()
            .is_some_and(|m| m.starts_with("Not collected"))
    );
    // Other charts are unaffected.
    let cpu = Panel::build(
        &store,
        target,
        ChartKind::Cpu,
        five_minutes(sim.now),
        groups,
        sim.now,
    );
    assert_eq!(cpu.model.state, ChartState::Data);
}

#[test]
fn a_machine_that_was_off_leaves_a_gap_and_starts_without_a_spike() {
    let (mut store, mut sim) = one_host(20);
    sim.domain(0).state = DomainState::ShutOff;
    for _ in 0..10 {
        store.ingest(A, &sim.tick(1.0));
    }
    let off = vm_panel(&store, &sim, 0, ChartKind::Cpu);
    assert_eq!(off.headline, "—", "an off machine has no current value");
    sim.domain(0).state = DomainState::Running;
    sim.domain(0).restart();
    for _ in 0..10 {
        store.ingest(A, &sim.tick(1.0));
    }
    let cpu = vm_panel(&store, &sim, 0, ChartKind::Cpu);
    let line = &cpu.model.lines[0];
    let runs: Vec<usize> = line.runs().map(<[_]>::len).collect();
    assert_eq!(
        runs.len(),
        2,
        "one line before the stop, one after: {runs:?}"
    );
    // No value dropped to zero while off, and none above the real load after the start.
    let values: Vec<f64> = line.points.iter().filter_map(|p| p.value).collect();
    assert!(values.iter().all(|v| (v - 75.0).abs() < 0.5), "{values:?}");
    assert_eq!(cpu.headline, "75 %");
}

#[test]
fn stale_hosts_say_how_old_their_figures_are() {
    let (mut store, sim) = one_host(10);
    store.mark_stale(A, sim.now + Duration::from_secs(3));
    let later = sim.now + Duration::from_secs(12);
    let target = Target::Vm(A, sim.domains[0].uuid);
    let cpu = Panel::build(
        &store,
        target,
        ChartKind::Cpu,
        five_minutes(later),
        all(),
        later,
    );
    assert!(cpu.stale);
    assert_eq!(cpu.status.as_deref(), Some("updated 12 seconds ago"));
    assert_eq!(cpu.headline, "75 %", "the last value, greyed by the UI");
    assert!(
        cpu.model.lines[0].stale.is_some(),
        "the chart greys its tail"
    );

    let host = Panel::build(
        &store,
        Target::Host(A),
        ChartKind::Cpu,
        five_minutes(later),
        all(),
        later,
    );
    assert!(host.stale);
}

#[test]
fn host_and_fleet_charts_are_of_their_capacity() {
    let (mut store, mut a) = one_host(0);
    let mut b = SimHost::new(
        a.now,
        host(4, 16),
        vec![SimDomain::new(5, 4, Load::cpu(2.25))],
    );
    store.ingest(B, &b.sample());
    for _ in 0..10 {
        store.ingest(A, &a.tick(1.0));
        store.ingest(B, &b.tick(1.0));
    }
    let now = a.now;
    let host = |kind| Panel::build(&store, Target::Host(A), kind, five_minutes(now), all(), now);
    // 1.5 + 0.25 busy cores of 4.
    let cpu = host(ChartKind::Cpu);
    assert_eq!(cpu.headline, "44 %");
    assert_eq!(cpu.caption.as_deref(), Some("of 4 CPUs"));
    let memory = host(ChartKind::Memory);
    assert_eq!(memory.headline, "2.0 GiB");
    assert_eq!(memory.caption.as_deref(), Some("of 16 GiB"));
    assert!(memory.model.value_axis.max >= 16.0 * 1024.0 * 1024.0 * 1024.0);
    // Only one machine reports disk traffic: the host total is its traffic, not "not available".
    assert_eq!(host(ChartKind::Disk).headline, "2.0 MiB/s");

    let fleet = |kind| Panel::build(&store, Target::Fleet, kind, five_minutes(now), all(), now);
    // (1.75 + 2.25) busy cores of 8.
    let cpu = fleet(ChartKind::Cpu);
    assert_eq!(cpu.headline, "50 %");
    assert_eq!(cpu.caption.as_deref(), Some("of 8 CPUs"));
    assert_eq!(
        fleet(ChartKind::Memory).caption.as_deref(),
        Some("of 32 GiB")
    );
    assert!(!cpu.stale);

    store.mark_stale(B, now);
    let cpu = Panel::build(
        &store,
        Target::Fleet,
        ChartKind::Cpu,
        five_minutes(now),
        all(),
        now,
    );
    assert!(cpu.stale);
    assert_eq!(cpu.status.as_deref(), Some("1 host not answering"));
}

#[test]
fn unknown_machines_show_no_data_rather_than_failing() {
    let store = StatsStore::default();
    let now = Instant::now();
    let target = Target::Vm(A, sim::uuid(99));
    let panel = Panel::build(
        &store,
        target,
        ChartKind::Network,
        five_minutes(now),
        all(),
        now,
    );
    assert_eq!(panel.model.state, ChartState::NoData);
    assert_eq!(panel.headline, "—");
    let fleet = Panel::build(
        &store,
        Target::Fleet,
        ChartKind::Cpu,
        five_minutes(now),
        all(),
        now,
    );
    assert_eq!(fleet.model.state, ChartState::NoData);
}

#[test]
fn busiest_machines_rank_by_each_kind_of_use() {
    let (mut store, mut a) = one_host(0);
    let mut b = SimHost::new(
        a.now,
        host(8, 32),
        vec![
            SimDomain::new(
                5,
                1,
                Load {
                    cores: 0.9,
                    disk_wr: 3 * MIB,
                    ..Load::IDLE
                },
            ),
            SimDomain::new(6, 1, Load::IDLE),
        ],
    );
    store.ingest(B, &b.sample());
    for _ in 0..5 {
        store.ingest(A, &a.tick(1.0));
        store.ingest(B, &b.tick(1.0));
    }
    let cpu = busiest(&store, Scope::Fleet, Ranking::Cpu, 10);
    let order: Vec<_> = cpu
        .iter()
        .map(|e| (e.connection, e.text.as_str()))
        .collect();
    // 90 % (B's 1 vCPU), 75 % (A's 2 vCPUs), 25 %; the idle machine takes no part.
    assert_eq!(order, [(B, "90 %"), (A, "75 %"), (A, "25 %")]);
    assert!((cpu[0].share - 0.9).abs() < 1e-3);

    // Disk: read + write summed; B writes 3 MiB/s, A reads and writes 1 MiB/s each.
    let disk = busiest(&store, Scope::Fleet, Ranking::Disk, 10);
    let order: Vec<_> = disk
        .iter()
        .map(|e| (e.connection, e.text.as_str()))
        .collect();
    assert_eq!(order, [(B, "3.0 MiB/s"), (A, "2.0 MiB/s")]);
    assert_eq!(disk[0].share, 1.0);
    assert!((disk[1].share - 2.0 / 3.0).abs() < 1e-3);

    // Equal values keep one order (rows do not swap places between ticks).
    let mut c = SimHost::new(
        a.now,
        host(8, 32),
        (20..30)
            .map(|n| SimDomain::new(n, 1, Load::cpu(0.5)))
            .collect(),
    );
    let c_id = ConnectionId(3);
    store.ingest(c_id, &c.sample());
    store.ingest(c_id, &c.tick(1.0));
    let ties: Vec<_> = busiest(&store, Scope::Connection(c_id), Ranking::Cpu, 4)
        .iter()
        .map(|e| e.uuid)
        .collect();
    let mut expected: Vec<_> = c.domains.iter().map(|d| d.uuid).collect();
    expected.sort();
    assert_eq!(ties, expected[..4]);

    let host_only = busiest(&store, Scope::Connection(A), Ranking::Cpu, 1);
    assert_eq!(host_only.len(), 1);
    assert_eq!(host_only[0].uuid, a.domains[0].uuid);
    let network = busiest(&store, Scope::Connection(B), Ranking::Network, 10);
    assert!(
        network.is_empty(),
        "no traffic is no ranking, not a list of zeros"
    );
}

//! Rates from real libvirt counters: the built-in test driver (whose CPU counter advances with
//! the wall clock: one busy core per domain) and a real QEMU guest (memtest86+, which keeps its
//! vCPU busy) on `qemu:///system`. The ticks are read here with the `virt` crate the way the
//! driver reads them with the per-domain fallback (`virDomainGetInfo` + balloon stats).

use std::time::{Duration, Instant};

use hangar::model::{ConnectionId, DomainState, DomainUuid};
use hangar::stats::{
    DomainCounters, GapReason, HostCounters, Metric, Reading, Retention, StatsStore, TickSample,
};
use virt::connect::Connect;
use virt::domain::Domain;

const CONN: ConnectionId = ConnectionId(11);
/// `VIR_DOMAIN_MEMORY_STAT_UNUSED`.
const MEMORY_STAT_UNUSED: u32 = 4;

fn state_of(domain: &Domain) -> Result<DomainState, virt::error::Error> {
    let (state, _) = domain.state()?;
    Ok(match state {
        virt::enumutil::Enum::Known(known) => match known {
            virt::domain::DomainState::Running => DomainState::Running,
            virt::domain::DomainState::Blocked => DomainState::Blocked,
            virt::domain::DomainState::Paused => DomainState::Paused,
            virt::domain::DomainState::Shutdown => DomainState::ShuttingDown,
            virt::domain::DomainState::Shutoff => DomainState::ShutOff,
            virt::domain::DomainState::Crashed => DomainState::Crashed,
            virt::domain::DomainState::PMSuspended => DomainState::PmSuspended,
            virt::domain::DomainState::NoState => DomainState::NoState,
        },
        virt::enumutil::Enum::Unknown(_) => DomainState::NoState,
    })
}

/// Reads one tick of `conn`: node capacity, and every domain's state, CPU and memory counters.
fn read_tick(conn: &Connect) -> Result<TickSample, virt::error::Error> {
    let node = conn.node_info()?;
    let mut domains = Vec::new();
    for domain in conn.list_all_domains(0)? {
        let uuid: DomainUuid = domain
            .uuid_string()?
            .parse()
            .expect("libvirt prints canonical UUIDs");
        let state = state_of(&domain)?;
        let mut counters = DomainCounters {
            state: Some(state),
            ..DomainCounters::default()
        };
        if state.is_active() {
            let info = domain.info()?;
            counters.cpu_time_ns = Some(info.cpu_time);
            counters.vcpus = Some(info.nr_virt_cpu);
            counters.mem_current_kib = Some(info.memory);
            counters.mem_max_kib = Some(info.max_mem);
            // Drivers without balloon statistics simply report none.
            if let Ok(stats) = domain.memory_stats(0) {
                counters.mem_unused_kib = stats
                    .iter()
                    .find(|stat| stat.tag == MEMORY_STAT_UNUSED)
                    .map(|stat| stat.val);
            }
        }
        domains.push((uuid, counters));
    }
    Ok(TickSample {
        taken_at: Instant::now(),
        host: HostCounters {
            cpus: node.cpus,
            memory_kib: node.memory,
            free_memory_kib: None,
        },
        domains,
    })
}

fn find(conn: &Connect, name: &str) -> (Domain, DomainUuid) {
    let domain = conn.lookup_domain_by_name(name).expect("the domain exists");
    let uuid = domain
        .uuid_string()
        .expect("a domain has a UUID")
        .parse()
        .expect("libvirt prints canonical UUIDs");
    (domain, uuid)
}

#[test]
fn test_driver_counters_give_one_busy_core_and_restart_cleanly() {
    let conn = Connect::open(Some("test:///default")).expect("the test driver is built in");
    let (domain, uuid) = find(&conn, "test");
    let vcpus = domain.info().expect("domain info").nr_virt_cpu;
    let host_cpus = conn.node_info().expect("node info").cpus;
    let mut store = StatsStore::new(Retention::default());
    store.ingest(CONN, &read_tick(&conn).expect("tick"));
    let latest = store.latest(CONN, &uuid).expect("domain is known");
    assert_eq!(
        latest.get(Metric::GuestCpu),
        Reading::Gap(GapReason::Warmup)
    );
    assert!(
        latest
            .get(Metric::MemAllocated)
            .value()
            .is_some_and(|bytes| bytes > 0.0)
    );

    // The test driver's CPU time is the wall clock: one busy core, whatever the interval.
    std::thread::sleep(Duration::from_millis(300));
    store.ingest(CONN, &read_tick(&conn).expect("tick"));
    let latest = store.latest(CONN, &uuid).expect("domain is known");
    let guest = latest.get(Metric::GuestCpu).value().expect("a rate");
    let expected = 100.0 / f64::from(vcpus);
    assert!(
        (guest - expected).abs() < expected * 0.05,
        "{guest} % vs {expected} %"
    );
    let host = latest.get(Metric::HostCpu).value().expect("a rate");
    let expected = 100.0 / f64::from(host_cpus);
    assert!(
        (host - expected).abs() < expected * 0.05,
        "{host} % vs {expected} %"
    );

    // Destroyed: a gap, not zero. Started again: a warm-up gap, then the rate again.
    domain.destroy().expect("destroy in the test driver");
    std::thread::sleep(Duration::from_millis(50));
    store.ingest(CONN, &read_tick(&conn).expect("tick"));
    let off = store.latest(CONN, &uuid).expect("domain is known");
    assert_eq!(off.get(Metric::GuestCpu), Reading::Gap(GapReason::Inactive));
    domain.create().expect("start in the test driver");
    std::thread::sleep(Duration::from_millis(50));
    store.ingest(CONN, &read_tick(&conn).expect("tick"));
    let started = store.latest(CONN, &uuid).expect("domain is known");
    assert_eq!(
        started.get(Metric::GuestCpu),
        Reading::Gap(GapReason::Warmup)
    );
    std::thread::sleep(Duration::from_millis(200));
    store.ingest(CONN, &read_tick(&conn).expect("tick"));
    let running = store.latest(CONN, &uuid).expect("domain is known");
    let guest = running.get(Metric::GuestCpu).value().expect("a rate");
    assert!((guest - 100.0 / f64::from(vcpus)).abs() < 5.0, "{guest}");
}

/// Destroys the transient guest however the test ends.
struct GuestGuard(Domain);

impl Drop for GuestGuard {
    fn drop(&mut self) {
        if let Err(error) = self.0.destroy() {
            eprintln!("could not destroy the test guest: {error}");
        }
    }
}

#[test]
fn a_busy_qemu_guest_shows_real_cpu_use() {
    let require = std::env::var("HANGAR_TEST_REQUIRE_ALL").is_ok_and(|value| value == "1");
    let conn = match Connect::open(Some("qemu:///system")) {
        Ok(conn) => conn,
        Err(error) if !require => {
            eprintln!("skipping: qemu:///system is not reachable ({error})");
            return;
        }
        Err(error) => panic!("qemu:///system is required: {error}"),
    };
    let kernel = "/boot/memtest86+x64.bin";
    if !std::path::Path::new(kernel).exists() {
        assert!(
            !require,
            "{kernel} is required (apt-get install memtest86+)"
        );
        eprintln!("skipping: {kernel} is missing");
        return;
    }
    let name = format!("hangar-test-stats-{}-memtest", std::process::id());
    let xml = format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64' machine='pc'>hvm</type><kernel>{kernel}</kernel></os>\
         <devices><graphics type='vnc' port='-1' listen='127.0.0.1'/>\
         <video><model type='vga'/></video></devices></domain>"
    );
    let guest = GuestGuard(
        conn.create_domain_xml(&xml, 0)
            .expect("start the memtest guest"),
    );
    let uuid: DomainUuid = guest
        .0
        .uuid_string()
        .expect("a domain has a UUID")
        .parse()
        .expect("libvirt prints canonical UUIDs");

    let mut store = StatsStore::new(Retention::default());
    store.ingest(CONN, &read_tick(&conn).expect("tick"));
    // memtest keeps its vCPU busy from the first second; sample over two seconds.
    std::thread::sleep(Duration::from_secs(2));
    store.ingest(CONN, &read_tick(&conn).expect("tick"));
    let latest = store.latest(CONN, &uuid).expect("the guest is in the tick");
    let guest_cpu = latest.get(Metric::GuestCpu).value().expect("a CPU rate");
    // One emulated vCPU spinning: most of a host core, less when other work shares the CPUs.
    assert!(
        guest_cpu > 15.0 && guest_cpu <= 100.0,
        "guest CPU {guest_cpu} %"
    );
    let host_cpus = f64::from(conn.node_info().expect("node info").cpus);
    let host_cpu = latest.get(Metric::HostCpu).value().expect("a CPU rate");
    // The same CPU time over the host's CPUs. The domain's CPU time also counts QEMU's own
    // threads, so a spinning vCPU can pass 100 % of its one vCPU: the guest figure then stops
    // at 100 % while the host figure goes on (seen: 50.9 % of 2 CPUs).
    let expected = guest_cpu / host_cpus;
    let slack_above = if guest_cpu >= 100.0 { 10.0 } else { 0.5 };
    assert!(
        host_cpu > expected - 0.5 && host_cpu < expected + slack_above,
        "host {host_cpu} % against guest {guest_cpu} % over {host_cpus} CPUs"
    );
    let allocated = latest
        .get(Metric::MemAllocated)
        .value()
        .expect("balloon current");
    assert!(
        (allocated - 64.0 * 1024.0 * 1024.0).abs() < 1024.0 * 1024.0,
        "{allocated}"
    );
    let host = store.host_latest(CONN).expect("host totals");
    let host_total = host
        .get(hangar::stats::HostMetric::CpuPercent)
        .value()
        .expect("a rate");
    assert!(
        host_total >= host_cpu - 0.01,
        "host total {host_total} below one guest {host_cpu}"
    );
}

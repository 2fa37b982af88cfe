//! Driver tick cost: CPU time and allocations per polling round at 500, 2000 and 10,000 VMs
//! spread over 1, 5 and 20 `test:///` connections (generated fleets, ~65% running).
//!
//! `cargo bench --bench driver_tick` (add `-- --quick` for a shorter run). Prints tables.
//! CPU is the whole process (getrusage: user + system), so it includes libvirt's in-process
//! test driver answering the calls; allocations are the Rust side (a counting allocator) —
//! libvirt's own mallocs are not counted.
//!
//! Four views:
//! 1. all statistics groups: the test driver's bulk call returns only states, so every
//!    running domain also costs one `virDomainGetInfo` and one call per disk and per NIC;
//! 2. state only: the bulk path alone (what a driver with full bulk statistics costs us);
//! 3. all groups, but the per-domain calls (`virDomainGetInfo`, per disk, per NIC) at every
//!    tick only for 50 domains per connection and every tenth tick for the others (what the UI
//!    asks for with `PerDomainScope` on drivers whose bulk statistics lack them: the rows on
//!    screen every tick, the rest every ~10 s);
//! 4. the same per-domain libvirt calls made in a bare loop without the driver layer, to
//!    separate libvirt's (test driver's) own cost from the layer's.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hangar::driver::{Driver, NoCredentials, OpenOptions, PerDomainScope, UpdateKind};
use hangar::fleetgen::{FleetSpec, write_node_xml};
use hangar::stats::sample::StatsGroups;
use tokio::sync::mpsc::unbounded_channel;

/// In the third view, how often (in ticks) the domains outside the scope get per-domain calls.
const OTHERS_EVERY: u32 = 10;

struct CountingAllocator;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call unchanged to the system allocator; only counts.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        ALLOCATED_BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        ALLOCATED_BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// User + system CPU time of the whole process.
fn cpu_time() -> Duration {
    // SAFETY: getrusage fills the struct we pass.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let micros = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000 + tv.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

struct Row {
    vms: usize,
    connections: usize,
    open_ms: f64,
    inventory_ms: f64,
    rounds: f64,
    cpu_ms_per_round: f64,
    allocs_per_round: f64,
    kib_per_round: f64,
}

fn fleet_spec(vms: usize, connections: usize, index: usize) -> FleetSpec {
    FleetSpec {
        vms: vms / connections,
        seed: (vms * 100 + index) as u64,
        name_prefix: format!("c{index}-"),
        volumes: false,
    }
}

async fn measure(
    vms: usize,
    connections: usize,
    groups: StatsGroups,
    device_scope: Option<usize>,
    window: Duration,
    dir: &std::path::Path,
) -> Row {
    let files: Vec<_> = (0..connections)
        .map(|index| {
            let path = dir.join(format!("bench-{vms}-{connections}-{index}.xml"));
            write_node_xml(&fleet_spec(vms, connections, index), &path)
                .expect("temp dir is writable");
            path
        })
        .collect();
    let driver = Driver::new(Arc::new(NoCredentials));
    let (tx, mut rx) = unbounded_channel();
    let options = OpenOptions {
        poll_interval: Duration::from_millis(250),
        stats_groups: groups,
        ..OpenOptions::default()
    };
    let opened = Instant::now();
    let handles: Vec<_> = files
        .iter()
        .map(|path| {
            driver.open(
                &format!("test://{}", path.display()),
                options.clone(),
                tx.clone(),
            )
        })
        .collect();
    // Warm up: every connection has its inventory and two samples.
    let mut inventories = 0;
    let mut samples = vec![0u32; connections];
    let mut open_ms = 0.0;
    let index_of = |id: hangar::model::ConnectionId| handles.iter().position(|h| h.id() == id);
    while samples.iter().any(|count| *count < 2) {
        let Some(update) = rx.recv().await else { break };
        match update.kind {
            UpdateKind::Inventory(inventory) => {
                if let (Some(size), Some(index)) = (device_scope, index_of(update.connection)) {
                    // Per-device statistics only for a screenful of domains.
                    let shown = inventory
                        .domains
                        .iter()
                        .take(size)
                        .map(|d| d.uuid)
                        .collect();
                    handles[index].set_per_domain_scope(PerDomainScope::Only {
                        domains: shown,
                        others_every: OTHERS_EVERY,
                    });
                }
                inventories += 1;
                if inventories == connections {
                    open_ms = opened.elapsed().as_secs_f64() * 1000.0;
                }
            }
            UpdateKind::Stats(_) => {
                if let Some(index) = index_of(update.connection) {
                    samples[index] += 1;
                }
            }
            UpdateKind::State(hangar::driver::ConnectionState::Failed(error)) => {
                panic!("open failed: {error}")
            }
            _ => {}
        }
    }
    let cpu_start = cpu_time();
    let allocs_start = ALLOCATIONS.load(Ordering::Relaxed);
    let bytes_start = ALLOCATED_BYTES.load(Ordering::Relaxed);
    let started = tokio::time::Instant::now();
    let mut ticks = 0u64;
    while let Ok(Some(update)) = tokio::time::timeout_at(started + window, rx.recv()).await {
        if matches!(update.kind, UpdateKind::Stats(_)) {
            ticks += 1;
        }
    }
    let cpu = cpu_time() - cpu_start;
    let allocs = ALLOCATIONS.load(Ordering::Relaxed) - allocs_start;
    let bytes = ALLOCATED_BYTES.load(Ordering::Relaxed) - bytes_start;
    // The driver's own inventory read (listings + one XML per domain), without the test
    // driver's file loading that dominates `open ms`.
    let inventory_started = Instant::now();
    handles[0].inventory().await.expect("inventory");
    let inventory_ms = inventory_started.elapsed().as_secs_f64() * 1000.0;
    drop(handles);
    drop(driver);
    for path in files {
        let _ = std::fs::remove_file(path);
    }
    let rounds = ticks as f64 / connections as f64;
    Row {
        vms,
        connections,
        open_ms,
        inventory_ms,
        rounds,
        cpu_ms_per_round: cpu.as_secs_f64() * 1000.0 / rounds,
        allocs_per_round: allocs as f64 / rounds,
        kib_per_round: bytes as f64 / 1024.0 / rounds,
    }
}

/// The bulk state call as a minimal C client makes it: fetch, read each record's UUID, free.
fn bulk_states_bare(conn: &virt::connect::Connect) {
    use virt::sys;
    let mut records: *mut sys::virDomainStatsRecordPtr = std::ptr::null_mut();
    // SAFETY: a valid connection; the records are read and freed below as libvirt documents.
    unsafe {
        let count = sys::virConnectGetAllDomainStats(
            conn.as_ptr(),
            sys::VIR_DOMAIN_STATS_STATE,
            &mut records,
            0,
        );
        if count < 0 || records.is_null() {
            return;
        }
        let mut uuid = [0u8; 16];
        for index in 0..count as usize {
            let record = *records.add(index);
            sys::virDomainGetUUID((*record).dom, uuid.as_mut_ptr());
            std::hint::black_box(&uuid);
        }
        sys::virDomainStatsRecordListFree(records);
    }
}

/// The per-domain calls the sampler makes on the test driver, in a bare loop (no driver
/// layer): one GetInfo per running domain, one BlockStats per disk, one InterfaceStats per
/// NIC, plus the bulk state call. Returns CPU ms per round: (bulk call only, everything).
fn bare_libvirt_round(vms: usize, connections: usize, dir: &std::path::Path) -> (f64, f64) {
    let mut prepared = Vec::new();
    for index in 0..connections {
        let spec = fleet_spec(vms, connections, index);
        let path = dir.join(format!("bare-{vms}-{connections}-{index}.xml"));
        write_node_xml(&spec, &path).expect("temp dir is writable");
        let conn = virt::connect::Connect::open(Some(&format!("test://{}", path.display())))
            .expect("test driver opens");
        let mut work = Vec::new();
        for domain in conn
            .list_all_domains(virt::sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE)
            .expect("listing")
        {
            let xml = domain.xml_desc(0).expect("xml");
            let disks: Vec<String> = xml
                .match_indices("<target dev='")
                .map(|(at, _)| xml[at + 13..].split('\'').next().unwrap_or("").to_owned())
                .filter(|dev| dev.starts_with("vd"))
                .collect();
            let nics: Vec<String> = xml
                .match_indices("<mac address='")
                .map(|(at, _)| xml[at + 14..].split('\'').next().unwrap_or("").to_owned())
                .collect();
            work.push((domain, disks, nics));
        }
        prepared.push((conn, work, path));
    }
    let rounds = 10;
    let start = cpu_time();
    for _ in 0..rounds {
        for (conn, _, _) in &prepared {
            bulk_states_bare(conn);
        }
    }
    let bulk = cpu_time() - start;
    let start = cpu_time();
    for _ in 0..rounds {
        for (conn, work, _) in &prepared {
            bulk_states_bare(conn);
            for (domain, disks, nics) in work {
                let _ = domain.info();
                for disk in disks {
                    let _ = domain.block_stats(disk);
                }
                for nic in nics {
                    let _ = domain.interface_stats(nic);
                }
            }
        }
    }
    let all = cpu_time() - start;
    for (_, _, path) in prepared {
        let _ = std::fs::remove_file(path);
    }
    let per_round = |cpu: Duration| cpu.as_secs_f64() * 1000.0 / rounds as f64;
    (per_round(bulk), per_round(all))
}

fn print_header(title: &str) {
    println!("\n{title}");
    println!(
        "{:>6} {:>5} {:>8} {:>8} {:>8} {:>7} {:>12} {:>8} {:>15} {:>13} {:>15}",
        "VMs",
        "conns",
        "VMs/conn",
        "open ms",
        "inv. ms",
        "rounds",
        "CPU ms/round",
        "µs/VM",
        "%core @1s poll",
        "allocs/round",
        "KiB alloc/round"
    );
}

fn print_row(row: &Row) {
    println!(
        "{:>6} {:>5} {:>8} {:>8.0} {:>8.0} {:>7.1} {:>12.2} {:>8.2} {:>14.2}% {:>13.0} {:>15.1}",
        row.vms,
        row.connections,
        row.vms / row.connections,
        row.open_ms,
        row.inventory_ms,
        row.rounds,
        row.cpu_ms_per_round,
        row.cpu_ms_per_round * 1000.0 / row.vms as f64,
        row.cpu_ms_per_round / 10.0,
        row.allocs_per_round,
        row.kib_per_round
    );
}

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let window = Duration::from_secs(if quick { 2 } else { 5 });
    let dir = std::env::temp_dir().join(format!("hangar-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir is writable");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let sizes = [500, 2000, 10_000];
    let spreads = [1, 5, 20];
    let all = StatsGroups::default();
    let state_only = StatsGroups {
        cpu: false,
        memory: false,
        disk: false,
        network: false,
    };
    for (title, groups, scope) in [
        (
            "All statistics groups (test driver: bulk states + per-domain fallbacks)",
            all,
            None,
        ),
        ("State only (the bulk path alone)", state_only, None),
        (
            "All groups, per-domain calls every tick for 50 domains per connection, every 10th for the rest (PerDomainScope)",
            all,
            Some(50),
        ),
    ] {
        print_header(title);
        for vms in sizes {
            for connections in spreads {
                let row = measure(vms, connections, groups, scope, window, &dir);
                print_row(&runtime.block_on(row));
            }
        }
    }
    println!(
        "\nThe same libvirt calls in a bare loop, without the driver layer (CPU ms per round)"
    );
    println!(
        "{:>6} {:>5} {:>14} {:>8} {:>22} {:>8}",
        "VMs", "conns", "bulk states", "µs/VM", "bulk + per-domain", "µs/VM"
    );
    for vms in sizes {
        for connections in spreads {
            let (bulk, all) = bare_libvirt_round(vms, connections, &dir);
            println!(
                "{:>6} {:>5} {:>14.2} {:>8.2} {:>22.2} {:>8.2}",
                vms,
                connections,
                bulk,
                bulk * 1000.0 / vms as f64,
                all,
                all * 1000.0 / vms as f64
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

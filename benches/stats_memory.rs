//! Statistics memory and ingest cost at fleet scale: 2000 running domains on 4 connections,
//! one hour of 1 s ticks with simulated counters. Prints the store's real heap bytes per
//! domain (counted by a global allocator), the ingest time per tick (CPU time of the
//! ingesting thread, so other load on the machine does not inflate it, and wall time) and the
//! cost of the queries a UI makes. Run: `cargo bench --bench stats_memory`.

#[path = "stats_support/thread_cpu.rs"]
mod thread_cpu;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hangar::model::{ConnectionId, DomainState, DomainUuid};
use hangar::stats::{
    DomainCounters, HostCounters, HostMetric, Metric, Retention, Scope, StatsStore, TickSample,
    Window,
};

/// Counts live heap bytes and allocation calls.
struct Counting;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call unchanged to the system allocator; only adds counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const DOMAINS: usize = 2000;
const CONNECTIONS: usize = 4;
const TICKS: u32 = 3600;

fn uuid(n: usize) -> DomainUuid {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&(n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).to_le_bytes());
    bytes[8..].copy_from_slice(&(n as u64).to_be_bytes());
    DomainUuid(bytes)
}

/// What the simulated domains do.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Load {
    /// Every counter changes every second, by a different amount each second: the history's
    /// worst case.
    Busy,
    /// What most machines of a large fleet do most of the time: 1–3 % CPU, a steady memory
    /// size, a disk write every 30 s and a little network traffic every 10 s.
    Idle,
}

/// Advances domain `n`'s counters by one second of its simulated load.
fn advance(load: Load, n: usize, tick: u32, counters: &mut DomainCounters) {
    let add = |counter: &mut Option<u64>, amount: u64| {
        *counter = Some(counter.unwrap_or(0) + amount);
    };
    if load == Load::Idle {
        let noise = (n as u64 * 7919 + u64::from(tick)).wrapping_mul(2_654_435_761) >> 16;
        add(&mut counters.cpu_time_ns, (1 + noise % 3) * 10_000_000);
        let every = |period: usize| (n + tick as usize) % period == 0;
        add(&mut counters.disk_rd_bytes, 0);
        add(
            &mut counters.disk_wr_bytes,
            if every(30) { 32_768 } else { 0 },
        );
        add(&mut counters.disk_rd_reqs, 0);
        add(&mut counters.disk_wr_reqs, if every(30) { 8 } else { 0 });
        add(&mut counters.net_rx_bytes, if every(10) { 180 } else { 0 });
        add(&mut counters.net_tx_bytes, if every(10) { 90 } else { 0 });
        counters.mem_unused_kib = Some(512 * 1024);
        return;
    }
    let busy = ((n * 37 + tick as usize) % 100) as u64;
    add(&mut counters.cpu_time_ns, busy * 10_000_000);
    add(&mut counters.disk_rd_bytes, busy * 40_000);
    add(&mut counters.disk_wr_bytes, busy * 15_000);
    add(&mut counters.disk_rd_reqs, busy);
    add(&mut counters.disk_wr_reqs, busy / 2);
    add(&mut counters.net_rx_bytes, busy * 700);
    add(&mut counters.net_tx_bytes, busy * 650);
    counters.mem_unused_kib = Some(256 * 1024 + busy * 1024);
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index]
}

/// One simulated hour of every domain's ticks into a fresh store.
struct Hour {
    store: StatsStore,
    /// Live heap bytes the store holds at the end of the hour.
    store_bytes: usize,
    tick_wall: Vec<Duration>,
    tick_cpu: Vec<Duration>,
    steady_allocations: usize,
}

fn run_hour(load: Load, base: Instant) -> Hour {
    // Samples are built before measuring: they belong to the driver, not the store.
    let mut samples: Vec<TickSample> = (0..CONNECTIONS)
        .map(|connection| TickSample {
            taken_at: base,
            host: HostCounters {
                cpus: 64,
                memory_kib: 512 * 1024 * 1024,
                free_memory_kib: None,
            },
            domains: (0..DOMAINS / CONNECTIONS)
                .map(|index| {
                    let n = connection * (DOMAINS / CONNECTIONS) + index;
                    let counters = DomainCounters {
                        state: Some(DomainState::Running),
                        vcpus: Some(2),
                        mem_current_kib: Some(2 * 1024 * 1024),
                        mem_max_kib: Some(4 * 1024 * 1024),
                        ..DomainCounters::default()
                    };
                    (uuid(n), counters)
                })
                .collect(),
        })
        .collect();

    let mut tick_wall = Vec::with_capacity(TICKS as usize + 1);
    let mut tick_cpu = Vec::with_capacity(TICKS as usize + 1);
    let heap_before = LIVE_BYTES.load(Ordering::Relaxed);
    let mut store = StatsStore::new(Retention::default());
    let mut steady_allocations = 0;
    for tick in 0..=TICKS {
        for (connection, sample) in samples.iter_mut().enumerate() {
            sample.taken_at = base + Duration::from_secs(u64::from(tick));
            for (index, (_, counters)) in sample.domains.iter_mut().enumerate() {
                advance(
                    load,
                    connection * (DOMAINS / CONNECTIONS) + index,
                    tick,
                    counters,
                );
            }
        }
        let allocations = ALLOCATIONS.load(Ordering::Relaxed);
        let started = Instant::now();
        let cpu = thread_cpu::cpu_time_of(|| {
            for (connection, sample) in samples.iter().enumerate() {
                store.ingest(ConnectionId(connection as u64), sample);
            }
        });
        tick_wall.push(started.elapsed());
        tick_cpu.push(cpu);
        if tick > 10 {
            steady_allocations += ALLOCATIONS.load(Ordering::Relaxed) - allocations;
        }
    }
    let store_bytes = LIVE_BYTES.load(Ordering::Relaxed) - heap_before;
    drop(samples);
    Hour {
        store,
        store_bytes,
        tick_wall,
        tick_cpu,
        steady_allocations,
    }
}

/// Prints the heap a store holds after the hour, per domain and against the budget.
fn print_heap(load: &str, store_bytes: usize) {
    let per_domain = store_bytes as f64 / DOMAINS as f64;
    println!(
        "heap, {load}: {store_bytes} bytes in total, {per_domain:.0} bytes ({:.2} KiB) per domain (budget 16 KiB = 16384 bytes): {}",
        per_domain / 1024.0,
        if per_domain <= 16384.0 {
            "within budget"
        } else {
            "OVER BUDGET"
        }
    );
}

fn main() {
    let base = Instant::now();
    println!(
        "Statistics store, {DOMAINS} running domains on {CONNECTIONS} connections, {TICKS} ticks of 1 s (one hour), 8 of the 10 metrics in each domain's history"
    );
    let idle = run_hour(Load::Idle, base);
    print_heap("idle machines", idle.store_bytes);
    drop(idle);
    let Hour {
        store,
        store_bytes,
        mut tick_wall,
        mut tick_cpu,
        steady_allocations,
    } = run_hour(Load::Busy, base);
    print_heap(
        "busy machines (every value changing every second)",
        store_bytes,
    );
    let total_cpu: Duration = tick_cpu.iter().sum();

    tick_wall.sort_unstable();
    tick_cpu.sort_unstable();
    println!(
        "ingest of one tick of all {DOMAINS} domains, CPU time: median {:?}, p99 {:?}, mean {:?} (first tick, which allocates the rings: {:?})",
        percentile(&tick_cpu, 0.5),
        percentile(&tick_cpu, 0.99),
        total_cpu / (TICKS + 1),
        percentile(&tick_cpu, 1.0)
    );
    println!(
        "ingest of one tick, wall time: median {:?}, p99 {:?}",
        percentile(&tick_wall, 0.5),
        percentile(&tick_wall, 0.99)
    );
    println!(
        "allocations during steady-state ingest: {steady_allocations} in {} ticks",
        TICKS - 10
    );

    // Queries a UI makes, at the end of the hour.
    let now = base + Duration::from_secs(u64::from(TICKS));
    let target = uuid(1234);
    let owner = ConnectionId((1234 / (DOMAINS / CONNECTIONS)) as u64);
    for minutes in [1u32, 5, 15, 60] {
        let window = Window::last(Duration::from_secs(60) * minutes, now);
        let mut series = store
            .series(owner, &target, Metric::GuestCpu, window)
            .expect("domain 1234 exists");
        let runs = 2000;
        let started = Instant::now();
        for _ in 0..runs {
            store.series_into(owner, &target, Metric::GuestCpu, window, &mut series);
            black_box(&series);
        }
        println!(
            "series query, {minutes:>2} min window ({} points, buffer reused): {:?}",
            series.points.len(),
            started.elapsed() / runs
        );
    }
    let runs = 1000;
    let started = Instant::now();
    for _ in 0..runs {
        black_box(store.busiest(10, Scope::Fleet, Metric::GuestCpu));
    }
    println!(
        "busiest 10 of {DOMAINS} by guest CPU: {:?}",
        started.elapsed() / runs
    );
    let runs = 200;
    let window = Window::last(Duration::from_secs(3600), now);
    let started = Instant::now();
    for _ in 0..runs {
        black_box(store.fleet_series(HostMetric::CpuPercent, window));
    }
    println!(
        "fleet series, 60 min of {CONNECTIONS} hosts: {:?}",
        started.elapsed() / runs
    );
    black_box(&store);
}

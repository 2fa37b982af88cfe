//! Per-host and fleet totals: the sums of one tick's domain readings (CPU, memory, disk and
//! network) together with the host's capacity, and how host totals combine into fleet totals.

use std::time::{Duration, Instant};

use super::metric::{GapReason, HostMetric, Metric, Reading};
use super::rates::{Code, Readings};
use super::sample::HostCounters;

/// Columns of a host history row and of [`Totals`].
pub(crate) const HOST_COLUMNS: usize = 10;
const CORES: usize = 0;
const CPUS: usize = 1;
const MEM_USED: usize = 2;
const MEM_TOTAL: usize = 3;
const DISK_RD: usize = 4;
const DISK_WR: usize = 5;
const DISK_RD_OPS: usize = 6;
const DISK_WR_OPS: usize = 7;
const NET_RX: usize = 8;
const NET_TX: usize = 9;

/// Domain metrics summed into host columns (CPU is summed as busy cores, see `add`).
const SUMMED: [(Metric, usize); 7] = [
    (Metric::MemUsed, MEM_USED),
    (Metric::DiskRead, DISK_RD),
    (Metric::DiskWrite, DISK_WR),
    (Metric::DiskReadOps, DISK_RD_OPS),
    (Metric::DiskWriteOps, DISK_WR_OPS),
    (Metric::NetRx, NET_RX),
    (Metric::NetTx, NET_TX),
];

/// The column a host metric reads directly, or the (numerator, denominator) of a percentage.
enum Source {
    Column(usize),
    Percent(usize, usize),
}

fn source(metric: HostMetric) -> Source {
    match metric {
        HostMetric::CpuPercent => Source::Percent(CORES, CPUS),
        HostMetric::MemUsedPercent => Source::Percent(MEM_USED, MEM_TOTAL),
        HostMetric::MemUsed => Source::Column(MEM_USED),
        HostMetric::MemTotal => Source::Column(MEM_TOTAL),
        HostMetric::DiskRead => Source::Column(DISK_RD),
        HostMetric::DiskWrite => Source::Column(DISK_WR),
        HostMetric::DiskReadOps => Source::Column(DISK_RD_OPS),
        HostMetric::DiskWriteOps => Source::Column(DISK_WR_OPS),
        HostMetric::NetRx => Source::Column(NET_RX),
        HostMetric::NetTx => Source::Column(NET_TX),
    }
}

/// Computes a host metric from a row's column lookup (a stored row or live totals).
pub(crate) fn host_value(metric: HostMetric, column: impl Fn(usize) -> Option<f32>) -> Option<f32> {
    match source(metric) {
        Source::Column(index) => column(index),
        Source::Percent(part, whole) => {
            let whole = column(whole).filter(|whole| *whole > 0.0)?;
            Some((column(part)? / whole * 100.0).clamp(0.0, 100.0))
        }
    }
}

/// One host's share of a fleet metric from a row's column lookup: `(part, whole)` for
/// percentages (busy cores of CPUs, used of total memory), `(value, 0)` for sums.
pub(crate) fn fleet_share(
    metric: HostMetric,
    column: impl Fn(usize) -> Option<f32>,
) -> Option<(f32, f32)> {
    match source(metric) {
        Source::Column(index) => Some((column(index)?, 0.0)),
        Source::Percent(part, whole) => Some((column(part)?, column(whole)?)),
    }
}

/// Sums of one tick (host) or of several hosts' latest ticks (fleet).
#[derive(Debug, Clone)]
pub(crate) struct Totals {
    values: [f64; HOST_COLUMNS],
    codes: [Code; HOST_COLUMNS],
    pub domains: u32,
    pub active_domains: u32,
}

/// Accumulates domain readings into host totals during one tick.
#[derive(Debug)]
pub(crate) struct TotalsBuilder {
    values: [f64; HOST_COLUMNS],
    /// Bit per column: some active domain had a value / lacked it as "not available".
    has_value: u16,
    has_not_available: u16,
    host: HostCounters,
    domains: u32,
    active_domains: u32,
}

impl TotalsBuilder {
    pub fn new(host: HostCounters) -> Self {
        Self {
            values: [0.0; HOST_COLUMNS],
            has_value: 0,
            has_not_available: 0,
            host,
            domains: 0,
            active_domains: 0,
        }
    }

    /// Counts a domain that is not running (it adds nothing).
    pub fn add_inactive(&mut self) {
        self.domains += 1;
    }

    /// Adds a running domain's readings.
    pub fn add(&mut self, readings: &Readings) {
        self.domains += 1;
        self.active_domains += 1;
        // Host-relative CPU percent back to busy cores, so hosts of different sizes add up.
        let cores_per_percent = f64::from(self.host.cpus) / 100.0;
        self.add_column(CORES, readings, Metric::HostCpu, cores_per_percent);
        for (metric, column) in SUMMED {
            self.add_column(column, readings, metric, 1.0);
        }
    }

    fn add_column(&mut self, column: usize, readings: &Readings, metric: Metric, factor: f64) {
        let bit = 1 << column;
        // Values are NaN exactly when the code is not `Value`.
        let value = readings.values[metric.index()];
        if !value.is_nan() {
            self.values[column] += f64::from(value) * factor;
            self.has_value |= bit;
        } else if readings.codes[metric.index()] == Code::NotAvailable {
            self.has_not_available |= bit;
        }
    }

    /// The tick's totals. A sum is a value when some running domain reported it (or when none
    /// runs: nothing running uses nothing), "not available" when running domains only lacked
    /// it, and a gap while all of them are warming up.
    pub fn finish(self) -> Totals {
        let mut codes = [Code::Value; HOST_COLUMNS];
        for (column, code) in codes.iter_mut().enumerate() {
            let bit = 1 << column;
            *code = if self.active_domains == 0 || self.has_value & bit != 0 {
                Code::Value
            } else if self.has_not_available & bit != 0 {
                Code::NotAvailable
            } else {
                Code::Gap(GapReason::Warmup)
            };
        }
        let mut values = self.values;
        values[CPUS] = f64::from(self.host.cpus);
        values[MEM_TOTAL] = self.host.memory_kib as f64 * 1024.0;
        for capacity in [CPUS, MEM_TOTAL] {
            codes[capacity] = if values[capacity] > 0.0 {
                Code::Value
            } else {
                Code::NotAvailable
            };
        }
        Totals {
            values,
            codes,
            domains: self.domains,
            active_domains: self.active_domains,
        }
    }
}

impl Totals {
    /// Totals of no host at all (the neutral element of `combine`).
    pub fn empty() -> Self {
        Self {
            values: [0.0; HOST_COLUMNS],
            codes: [Code::Gap(GapReason::Warmup); HOST_COLUMNS],
            domains: 0,
            active_domains: 0,
        }
    }

    /// The row stored in history (NaN where there is no value).
    pub fn row(&self) -> [f32; HOST_COLUMNS] {
        std::array::from_fn(|column| self.column(column).unwrap_or(f32::NAN))
    }

    fn column(&self, column: usize) -> Option<f32> {
        (self.codes[column] == Code::Value).then(|| self.values[column] as f32)
    }

    /// Adds another host's totals: values add up; a column is a value when any host has one.
    pub fn combine(&mut self, other: &Totals) {
        for column in 0..HOST_COLUMNS {
            let merged = match (self.codes[column], other.codes[column]) {
                (Code::Value, _) | (_, Code::Value) => Code::Value,
                (Code::NotAvailable, _) | (_, Code::NotAvailable) => Code::NotAvailable,
                (gap, _) => gap,
            };
            if other.codes[column] == Code::Value {
                self.values[column] += other.values[column];
            }
            self.codes[column] = merged;
        }
        self.domains += other.domains;
        self.active_domains += other.active_domains;
    }

    /// One host metric as a reading.
    pub fn reading(&self, metric: HostMetric) -> Reading {
        let code_of = |column: usize| self.codes[column];
        let code = match source(metric) {
            Source::Column(column) => code_of(column),
            Source::Percent(part, whole) => match (code_of(part), code_of(whole)) {
                (Code::NotAvailable, _) | (_, Code::NotAvailable) => Code::NotAvailable,
                (Code::Value, Code::Value) => Code::Value,
                (Code::Gap(reason), _) | (_, Code::Gap(reason)) => Code::Gap(reason),
            },
        };
        match code {
            Code::Value => host_value(metric, |column| self.column(column))
                .map_or(Reading::NotAvailable, |value| {
                    Reading::Value(f64::from(value))
                }),
            Code::Gap(reason) => Reading::Gap(reason),
            Code::NotAvailable => Reading::NotAvailable,
        }
    }

    /// The summed CPU capacity.
    pub fn cpus(&self) -> u32 {
        self.values[CPUS] as u32
    }

    /// The summed memory capacity in bytes.
    pub fn memory_bytes(&self) -> u64 {
        self.values[MEM_TOTAL] as u64
    }
}

/// The latest totals of one host.
#[derive(Debug, Clone)]
pub struct HostRates {
    /// When the tick was read.
    pub taken_at: Instant,
    /// Set while the connection misses its tick deadlines (values are then `age` old).
    pub stale_since: Option<Instant>,
    /// Host CPUs.
    pub cpus: u32,
    /// Host memory in bytes.
    pub memory_bytes: u64,
    /// Domains in the tick, and how many of them were running or paused.
    pub domains: u32,
    pub active_domains: u32,
    pub(crate) totals: Totals,
}

impl HostRates {
    /// One host metric.
    pub fn get(&self, metric: HostMetric) -> Reading {
        self.totals.reading(metric)
    }

    /// How old the values are at `now`.
    pub fn age(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.taken_at)
    }
}

/// The latest totals summed over every connected host.
#[derive(Debug, Clone)]
pub struct FleetRates {
    /// Hosts with at least one tick, and how many of them are stale.
    pub hosts: u32,
    pub stale_hosts: u32,
    /// The oldest of the hosts' latest ticks (the fleet figures are at most this old).
    pub oldest_sample_at: Option<Instant>,
    /// Summed CPUs and memory (bytes) of those hosts.
    pub cpus: u32,
    pub memory_bytes: u64,
    /// Domains on those hosts, and how many of them were running or paused.
    pub domains: u32,
    pub active_domains: u32,
    pub(crate) totals: Totals,
}

impl FleetRates {
    /// One fleet metric (CPU and memory percentages are of the summed capacity).
    pub fn get(&self, metric: HostMetric) -> Reading {
        self.totals.reading(metric)
    }
}

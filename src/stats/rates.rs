//! Rates from absolute counters: the previous tick's counters of a domain (its baseline) and
//! the arithmetic that turns two ticks into CPU percentages and bytes or requests per second,
//! without ever inventing a number (first samples, restarts and missing counters are gaps or
//! "not available", never zeros or spikes).

use std::time::Instant;

use super::metric::{GapReason, Metric, Reading};
use super::sample::{DomainCounters, HostCounters};
use crate::model::DomainState;

/// Counters whose deltas become rates, in baseline order.
const CPU: usize = 0;
const DISK_RD_BYTES: usize = 1;
const DISK_WR_BYTES: usize = 2;
const DISK_RD_REQS: usize = 3;
const DISK_WR_REQS: usize = 4;
const NET_RX: usize = 5;
const NET_TX: usize = 6;
const COUNTERS: usize = 7;

/// Shortest interval between two samples that yields a rate (shorter ones would amplify
/// counter granularity into nonsense).
const MIN_INTERVAL_SECS: f64 = 0.001;

/// The disk and network counters (indices `DEVICES..COUNTERS`), which a tick may not read.
const DEVICES: usize = 1;

/// The counters of a domain's previous sample.
#[derive(Debug, Clone)]
pub(crate) struct Baseline {
    /// When the CPU counter was read.
    taken_at: Option<Instant>,
    /// When the disk and network counters were read: for machines off screen the driver reads
    /// them only every few ticks, and their rates must span the real interval.
    devices_taken_at: Option<Instant>,
    counters: [u64; COUNTERS],
    /// Bit `i` set: `counters[i]` holds a real previous value.
    valid: u8,
    /// The disk and network rates of the last tick that read them, repeated by ticks that did
    /// not (a figure a few seconds old, not a gap).
    device_rates: [Rate; COUNTERS - DEVICES],
    /// Guest and host CPU of the last tick that read the CPU counter, repeated by ticks whose
    /// per-domain call was skipped (`info_not_read`), like `device_rates`.
    cpu_figures: [Rate; 2],
    /// Memory in use and allocated of the last tick that read them, repeated the same way.
    memory_figures: [Rate; 2],
}

impl Default for Baseline {
    fn default() -> Self {
        Self {
            taken_at: None,
            devices_taken_at: None,
            counters: [0; COUNTERS],
            valid: 0,
            device_rates: [Rate::Gap(GapReason::Warmup); COUNTERS - DEVICES],
            cpu_figures: [Rate::Gap(GapReason::Warmup); 2],
            memory_figures: [Rate::Gap(GapReason::Warmup); 2],
        }
    }
}

/// The state of one metric in the latest sample, without its value (kept beside the values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    Value,
    Gap(GapReason),
    NotAvailable,
}

/// The readings of all metrics of one domain at one tick. `values[i]` is NaN unless
/// `codes[i]` is `Code::Value`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Readings {
    pub values: [f32; Metric::COUNT],
    pub codes: [Code; Metric::COUNT],
}

impl Readings {
    /// Every metric missing for `reason`.
    pub const fn gaps(reason: GapReason) -> Self {
        Self {
            values: [f32::NAN; Metric::COUNT],
            codes: [Code::Gap(reason); Metric::COUNT],
        }
    }

    /// The public form of one metric's reading.
    pub fn reading(&self, metric: Metric) -> Reading {
        let index = metric.index();
        match self.codes[index] {
            Code::Value => Reading::Value(f64::from(self.values[index])),
            Code::Gap(reason) => Reading::Gap(reason),
            Code::NotAvailable => Reading::NotAvailable,
        }
    }

    fn set(&mut self, metric: Metric, rate: Rate) {
        let index = metric.index();
        let (value, code) = match rate {
            Rate::Value(value) => (value as f32, Code::Value),
            Rate::Gap(reason) => (f32::NAN, Code::Gap(reason)),
            Rate::NotAvailable => (f32::NAN, Code::NotAvailable),
        };
        self.values[index] = value;
        self.codes[index] = code;
    }
}

/// An intermediate result in f64 (converted to f32 only for storage).
#[derive(Debug, Clone, Copy)]
enum Rate {
    Value(f64),
    Gap(GapReason),
    NotAvailable,
}

impl Rate {
    /// Applies `f` to a value; gaps and "not available" pass through.
    fn map(self, f: impl FnOnce(f64) -> Rate) -> Rate {
        match self {
            Rate::Value(value) => f(value),
            other => other,
        }
    }
}

/// Whether a domain in this state has counters worth reading (running or paused).
pub(crate) fn is_active(counters: &DomainCounters) -> bool {
    counters
        .state
        .map_or(counters.cpu_time_ns.is_some(), DomainState::is_active)
}

impl Baseline {
    /// Computes the readings of a sample taken at `at` and makes it the new baseline.
    pub fn advance(
        &mut self,
        counters: &DomainCounters,
        at: Instant,
        host: &HostCounters,
    ) -> Readings {
        if !is_active(counters) {
            // Counters restart with the next boot; nothing carries over.
            *self = Self::default();
            return Readings::gaps(GapReason::Inactive);
        }
        let cpu_per_second = per_second(self.taken_at, at);
        let devices_per_second = per_second(self.devices_taken_at, at);
        let devices_read = !counters.devices_not_read;
        // A skipped per-domain call leaves its counters `None`; a driver whose bulk call gives
        // the CPU time reports it all the same, and then it is read.
        let cpu_read = !(counters.info_not_read && counters.cpu_time_ns.is_none());
        let memory_read = !(counters.info_not_read && counters.mem_current_kib.is_none());
        let current = [
            counters.cpu_time_ns,
            counters.disk_rd_bytes,
            counters.disk_wr_bytes,
            counters.disk_rd_reqs,
            counters.disk_wr_reqs,
            counters.net_rx_bytes,
            counters.net_tx_bytes,
        ];
        // CPU time going backwards means the guest restarted: every baseline is void, so the
        // whole series restarts instead of showing a spike or a negative rate.
        if let Some(cpu) = current[CPU]
            && self.has(CPU)
            && cpu < self.counters[CPU]
        {
            self.valid = 0;
            self.device_rates = [Rate::Gap(GapReason::Warmup); COUNTERS - DEVICES];
        }
        let mut rates = [Rate::NotAvailable; COUNTERS];
        for (index, value) in current.into_iter().enumerate() {
            let per_second = if index < DEVICES {
                if !cpu_read {
                    continue;
                }
                cpu_per_second
            } else if devices_read {
                devices_per_second
            } else {
                rates[index] = self.device_rates[index - DEVICES];
                continue;
            };
            let bit = 1u8 << index;
            let Some(value) = value else {
                self.valid &= !bit;
                continue;
            };
            rates[index] = match per_second {
                // A single counter going backwards (a disk unplugged) restarts only its rate.
                Some(per_second) if self.has(index) && value >= self.counters[index] => {
                    Rate::Value((value - self.counters[index]) as f64 * per_second)
                }
                _ => Rate::Gap(GapReason::Warmup),
            };
            self.counters[index] = value;
            self.valid |= bit;
        }
        if cpu_read {
            self.taken_at = Some(at);
        }
        if devices_read {
            self.devices_taken_at = Some(at);
            self.device_rates.copy_from_slice(&rates[DEVICES..]);
        }

        let mut readings = Readings::gaps(GapReason::Warmup);
        if cpu_read {
            let cores = rates[CPU].map(|ns| Rate::Value(ns / 1e9));
            self.cpu_figures = [
                cores.map(|cores| percent_of(cores, counters.vcpus.unwrap_or(0))),
                cores.map(|cores| percent_of(cores, host.cpus)),
            ];
        }
        if memory_read {
            let (used, allocated) = memory(counters);
            self.memory_figures = [used, allocated];
        }
        let [guest_cpu, host_cpu] = self.cpu_figures;
        readings.set(Metric::GuestCpu, guest_cpu);
        readings.set(Metric::HostCpu, host_cpu);
        let [used, allocated] = self.memory_figures;
        readings.set(Metric::MemUsed, used);
        readings.set(Metric::MemAllocated, allocated);
        readings.set(Metric::DiskRead, rates[DISK_RD_BYTES]);
        readings.set(Metric::DiskWrite, rates[DISK_WR_BYTES]);
        readings.set(Metric::DiskReadOps, rates[DISK_RD_REQS]);
        readings.set(Metric::DiskWriteOps, rates[DISK_WR_REQS]);
        readings.set(Metric::NetRx, rates[NET_RX]);
        readings.set(Metric::NetTx, rates[NET_TX]);
        readings
    }

    fn has(&self, index: usize) -> bool {
        self.valid & (1 << index) != 0
    }
}

/// The factor that turns a counter's growth since `previous` into a rate per second (one
/// multiplication per counter instead of a division), if the interval is long enough.
fn per_second(previous: Option<Instant>, at: Instant) -> Option<f64> {
    previous
        .and_then(|previous| at.checked_duration_since(previous))
        .map(|elapsed| elapsed.as_secs_f64())
        .filter(|seconds| *seconds >= MIN_INTERVAL_SECS)
        .map(f64::recip)
}

/// `cores` busy as a percentage of `capacity` CPUs. Clamped to 0–100: scheduling jitter between
/// the counter read and the clock read can overshoot by a fraction of a percent.
fn percent_of(cores: f64, capacity: u32) -> Rate {
    if capacity == 0 {
        return Rate::NotAvailable;
    }
    Rate::Value((cores / f64::from(capacity) * 100.0).clamp(0.0, 100.0))
}

/// Memory in use and allocated, in bytes. In use is balloon current minus what the guest
/// reports unused; without the guest's report it is the whole allocation.
fn memory(counters: &DomainCounters) -> (Rate, Rate) {
    let Some(current_kib) = counters.mem_current_kib else {
        return (Rate::NotAvailable, Rate::NotAvailable);
    };
    let used_kib = counters
        .mem_unused_kib
        .map_or(current_kib, |unused| current_kib.saturating_sub(unused));
    (
        Rate::Value(used_kib as f64 * 1024.0),
        Rate::Value(current_kib as f64 * 1024.0),
    )
}

//! What the statistics layer measures: per-domain and per-host metrics, their units, and the
//! three honest states of a reading (a value, a gap with its reason, or not available from this
//! hypervisor).

/// A per-domain quantity the store keeps history for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Guest CPU use in percent of the domain's own vCPUs (0–100).
    GuestCpu,
    /// The domain's CPU use in percent of the whole host's CPUs (0–100).
    HostCpu,
    /// Memory the guest uses, in bytes (balloon current minus unused when the guest reports
    /// it, else balloon current).
    MemUsed,
    /// Memory allocated to the guest (balloon current), in bytes.
    MemAllocated,
    /// Bytes read from all disks per second.
    DiskRead,
    /// Bytes written to all disks per second.
    DiskWrite,
    /// Read requests on all disks per second.
    DiskReadOps,
    /// Write requests on all disks per second.
    DiskWriteOps,
    /// Bytes received on all interfaces per second.
    NetRx,
    /// Bytes sent on all interfaces per second.
    NetTx,
}

impl Metric {
    /// How many per-domain metrics there are (the width of a history row).
    pub const COUNT: usize = 10;

    /// Every metric, in storage order.
    pub const ALL: [Metric; Self::COUNT] = [
        Metric::GuestCpu,
        Metric::HostCpu,
        Metric::MemUsed,
        Metric::MemAllocated,
        Metric::DiskRead,
        Metric::DiskWrite,
        Metric::DiskReadOps,
        Metric::DiskWriteOps,
        Metric::NetRx,
        Metric::NetTx,
    ];

    /// The position of this metric in a domain's readings.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// How many metrics a domain's history keeps (the width of a history row).
    pub const HISTORY_COUNT: usize = 8;

    /// The column of this metric in a domain's history row; `None` for the disk request rates.
    /// No chart draws a machine's request rates, and every running machine's history would
    /// spend a fifth of its memory on them; their latest value and the host totals keep them.
    pub const fn history_column(self) -> Option<usize> {
        match self {
            Metric::DiskReadOps | Metric::DiskWriteOps => None,
            Metric::NetRx => Some(6),
            Metric::NetTx => Some(7),
            other => Some(other as usize),
        }
    }

    /// The unit values of this metric are expressed in.
    pub const fn unit(self) -> Unit {
        match self {
            Metric::GuestCpu | Metric::HostCpu => Unit::Percent,
            Metric::MemUsed | Metric::MemAllocated => Unit::Bytes,
            Metric::DiskRead | Metric::DiskWrite | Metric::NetRx | Metric::NetTx => {
                Unit::BytesPerSecond
            }
            Metric::DiskReadOps | Metric::DiskWriteOps => Unit::OpsPerSecond,
        }
    }
}

/// A per-host (or, summed over hosts, fleet) quantity derived from the domains of one tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostMetric {
    /// Guest CPU use of all domains in percent of the host's CPUs (fleet: of all hosts' CPUs).
    CpuPercent,
    /// Memory in use by all guests, in bytes.
    MemUsed,
    /// Memory in use by all guests in percent of the host's memory.
    MemUsedPercent,
    /// The host's memory, in bytes.
    MemTotal,
    /// Disk bytes read per second, all domains.
    DiskRead,
    /// Disk bytes written per second, all domains.
    DiskWrite,
    /// Disk read requests per second, all domains.
    DiskReadOps,
    /// Disk write requests per second, all domains.
    DiskWriteOps,
    /// Network bytes received per second, all domains.
    NetRx,
    /// Network bytes sent per second, all domains.
    NetTx,
}

impl HostMetric {
    /// Every host metric.
    pub const ALL: [HostMetric; 10] = [
        HostMetric::CpuPercent,
        HostMetric::MemUsed,
        HostMetric::MemUsedPercent,
        HostMetric::MemTotal,
        HostMetric::DiskRead,
        HostMetric::DiskWrite,
        HostMetric::DiskReadOps,
        HostMetric::DiskWriteOps,
        HostMetric::NetRx,
        HostMetric::NetTx,
    ];

    /// The unit values of this metric are expressed in.
    pub const fn unit(self) -> Unit {
        match self {
            HostMetric::CpuPercent | HostMetric::MemUsedPercent => Unit::Percent,
            HostMetric::MemUsed | HostMetric::MemTotal => Unit::Bytes,
            HostMetric::DiskRead
            | HostMetric::DiskWrite
            | HostMetric::NetRx
            | HostMetric::NetTx => Unit::BytesPerSecond,
            HostMetric::DiskReadOps | HostMetric::DiskWriteOps => Unit::OpsPerSecond,
        }
    }
}

/// The unit of a metric's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// 0–100.
    Percent,
    /// A size in bytes.
    Bytes,
    /// A throughput in bytes per second.
    BytesPerSecond,
    /// Requests per second.
    OpsPerSecond,
}

/// Why a reading has no value although the hypervisor can report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GapReason {
    /// A rate needs two samples: this is the first one after the domain started, after it was
    /// first seen, or after its counters went backwards (the guest restarted).
    Warmup,
    /// The domain is not running (shut off or crashed).
    Inactive,
}

/// One reading of one metric: a number, an explained gap, or "not available".
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    /// The measured value, in the metric's unit.
    Value(f64),
    /// No value now, for the given reason; the metric is otherwise available.
    Gap(GapReason),
    /// The hypervisor does not report this value (the UI says "not available").
    NotAvailable,
}

impl Reading {
    /// The value, if there is one.
    pub fn value(self) -> Option<f64> {
        match self {
            Reading::Value(value) => Some(value),
            Reading::Gap(_) | Reading::NotAvailable => None,
        }
    }

    /// Whether this hypervisor does not report the value.
    pub fn is_not_available(self) -> bool {
        matches!(self, Reading::NotAvailable)
    }
}

/// Whether a series' metric is reported by the hypervisor at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Availability {
    /// Values are (or were) reported; missing points are gaps.
    Available,
    /// The latest sample of a running domain lacked this value: the hypervisor does not report
    /// it. The UI shows "Not available from this hypervisor" instead of an empty chart.
    NotAvailable,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_metrics_fill_every_history_column_once() {
        let mut columns: Vec<usize> = Metric::ALL
            .iter()
            .filter_map(|metric| metric.history_column())
            .collect();
        columns.sort_unstable();
        assert_eq!(columns, (0..Metric::HISTORY_COUNT).collect::<Vec<_>>());
    }
}

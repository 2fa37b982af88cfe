//! Raw samples: the absolute counters the driver reads in one polling tick, before any rate is
//! computed. The driver fills these; `stats` turns them into rates and history.

use std::time::Instant;

use crate::model::{DomainState, DomainUuid};

/// Which statistics groups to collect. Collecting fewer asks libvirt for fewer stats groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsGroups {
    pub cpu: bool,
    pub memory: bool,
    pub disk: bool,
    pub network: bool,
}

impl Default for StatsGroups {
    fn default() -> Self {
        Self {
            cpu: true,
            memory: true,
            disk: true,
            network: true,
        }
    }
}

/// Absolute counters of one domain at one instant. `None` means the hypervisor did not report
/// the value (not zero): the UI shows "not available" for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DomainCounters {
    /// Run state at sampling time (always present: libvirt always reports it).
    pub state: Option<DomainState>,
    /// Total guest CPU time in nanoseconds (`cpu.time`).
    pub cpu_time_ns: Option<u64>,
    /// Number of vCPUs currently online (`vcpu.current`).
    pub vcpus: Option<u32>,
    /// Balloon: current guest memory in KiB (`balloon.current`).
    pub mem_current_kib: Option<u64>,
    /// Balloon: maximum guest memory in KiB (`balloon.maximum`).
    pub mem_max_kib: Option<u64>,
    /// Balloon: memory the guest reports as unused, in KiB (`balloon.unused`).
    pub mem_unused_kib: Option<u64>,
    /// Balloon: memory the guest can use, in KiB (`balloon.available`).
    pub mem_available_kib: Option<u64>,
    /// Bytes read from all disks (sum of `block.N.rd.bytes`).
    pub disk_rd_bytes: Option<u64>,
    /// Bytes written to all disks (sum of `block.N.wr.bytes`).
    pub disk_wr_bytes: Option<u64>,
    /// Read requests on all disks (sum of `block.N.rd.reqs`).
    pub disk_rd_reqs: Option<u64>,
    /// Write requests on all disks (sum of `block.N.wr.reqs`).
    pub disk_wr_reqs: Option<u64>,
    /// Bytes received on all interfaces (sum of `net.N.rx.bytes`).
    pub net_rx_bytes: Option<u64>,
    /// Bytes sent on all interfaces (sum of `net.N.tx.bytes`).
    pub net_tx_bytes: Option<u64>,
    /// The disk and network counters were not read this tick (the driver reads them less often
    /// for machines off screen, see `PerDomainScope`): they are `None`, and the previous disk
    /// and network rates still stand, rather than becoming gaps.
    pub devices_not_read: bool,
    /// The per-domain call for CPU and memory was not made this tick (`PerDomainScope`, on
    /// drivers whose bulk statistics lack them): what it gives is `None`, and the previous CPU
    /// and memory figures still stand, rather than becoming gaps.
    pub info_not_read: bool,
}

/// Host-level facts needed to turn domain counters into host-relative figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HostCounters {
    /// Logical CPUs of the host (`virNodeGetInfo` cpus).
    pub cpus: u32,
    /// Host memory in KiB.
    pub memory_kib: u64,
    /// Free host memory in KiB, when the driver reports it.
    pub free_memory_kib: Option<u64>,
}

/// Everything one polling tick read from one connection.
#[derive(Debug, Clone)]
pub struct TickSample {
    /// When the counters were read (monotonic; rates use differences of these).
    pub taken_at: Instant,
    /// The host's capacity at that time.
    pub host: HostCounters,
    /// Counters of every domain the connection knows, running or not.
    pub domains: Vec<(DomainUuid, DomainCounters)>,
}

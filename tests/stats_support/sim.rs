//! Simulated driver ticks for statistics tests: domains with counters that advance at chosen
//! rates, on a timeline of `Instant`s after the store's creation.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use hangar::model::{DomainState, DomainUuid};
use hangar::stats::{DomainCounters, HostCounters, TickSample};

/// The `n`th test domain's UUID.
pub fn uuid(n: u32) -> DomainUuid {
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    bytes[15] = 0xAA;
    DomainUuid(bytes)
}

/// A host of `cpus` CPUs and `memory_gib` GiB.
pub fn host(cpus: u32, memory_gib: u64) -> HostCounters {
    HostCounters {
        cpus,
        memory_kib: memory_gib * 1024 * 1024,
        free_memory_kib: None,
    }
}

/// How a simulated domain's counters grow per second.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Busy cores (1.0 = one vCPU fully busy).
    pub cores: f64,
    pub disk_rd: u64,
    pub disk_wr: u64,
    pub disk_rd_ops: u64,
    pub disk_wr_ops: u64,
    pub net_rx: u64,
    pub net_tx: u64,
}

impl Load {
    pub const IDLE: Load = Load {
        cores: 0.0,
        disk_rd: 0,
        disk_wr: 0,
        disk_rd_ops: 0,
        disk_wr_ops: 0,
        net_rx: 0,
        net_tx: 0,
    };

    pub fn cpu(cores: f64) -> Load {
        Load {
            cores,
            ..Load::IDLE
        }
    }
}

/// A simulated domain: a load integrated over time into absolute counters.
#[derive(Debug, Clone)]
pub struct SimDomain {
    pub uuid: DomainUuid,
    pub vcpus: u32,
    pub state: DomainState,
    pub mem_current_kib: u64,
    pub mem_unused_kib: Option<u64>,
    /// Whether disk and network counters are reported (a hypervisor without them: `false`).
    pub reports_io: bool,
    pub load: Load,
    cpu_ns: f64,
    io: [f64; 6],
}

impl SimDomain {
    pub fn new(n: u32, vcpus: u32, load: Load) -> Self {
        Self {
            uuid: uuid(n),
            vcpus,
            state: DomainState::Running,
            mem_current_kib: 1024 * 1024,
            mem_unused_kib: None,
            reports_io: true,
            load,
            cpu_ns: 1e9 * f64::from(n),
            io: [0.0; 6],
        }
    }

    /// Advances the counters by `seconds` of the current load (nothing while not running).
    pub fn run(&mut self, seconds: f64) {
        if !self.state.is_running() {
            return;
        }
        self.cpu_ns += self.load.cores * seconds * 1e9;
        let rates = [
            self.load.disk_rd,
            self.load.disk_wr,
            self.load.disk_rd_ops,
            self.load.disk_wr_ops,
            self.load.net_rx,
            self.load.net_tx,
        ];
        for (counter, rate) in self.io.iter_mut().zip(rates) {
            *counter += rate as f64 * seconds;
        }
    }

    /// Restarts the guest: counters start again from zero.
    pub fn restart(&mut self) {
        self.cpu_ns = 0.0;
        self.io = [0.0; 6];
    }

    pub fn counters(&self) -> DomainCounters {
        if !self.state.is_active() {
            return DomainCounters {
                state: Some(self.state),
                ..DomainCounters::default()
            };
        }
        let io = |index: usize| self.reports_io.then_some(self.io[index] as u64);
        DomainCounters {
            state: Some(self.state),
            cpu_time_ns: Some(self.cpu_ns as u64),
            vcpus: Some(self.vcpus),
            mem_current_kib: Some(self.mem_current_kib),
            mem_max_kib: Some(self.mem_current_kib),
            mem_unused_kib: self.mem_unused_kib,
            mem_available_kib: None,
            disk_rd_bytes: io(0),
            disk_wr_bytes: io(1),
            disk_rd_reqs: io(2),
            disk_wr_reqs: io(3),
            net_rx_bytes: io(4),
            net_tx_bytes: io(5),
            devices_not_read: false,
            info_not_read: false,
        }
    }
}

/// A simulated connection: a host and its domains on a timeline.
#[derive(Debug, Clone)]
pub struct SimHost {
    pub start: Instant,
    pub now: Instant,
    pub host: HostCounters,
    pub domains: Vec<SimDomain>,
}

impl SimHost {
    /// A host whose timeline starts at `start`.
    pub fn new(start: Instant, host: HostCounters, domains: Vec<SimDomain>) -> Self {
        Self {
            start,
            now: start,
            host,
            domains,
        }
    }

    /// Runs every domain for `seconds` and returns the tick read at the new time.
    pub fn tick(&mut self, seconds: f64) -> TickSample {
        for domain in &mut self.domains {
            domain.run(seconds);
        }
        self.now += Duration::from_secs_f64(seconds);
        self.sample()
    }

    /// The tick read at the current time.
    pub fn sample(&self) -> TickSample {
        TickSample {
            taken_at: self.now,
            host: self.host,
            domains: self
                .domains
                .iter()
                .map(|domain| (domain.uuid, domain.counters()))
                .collect(),
        }
    }

    pub fn domain(&mut self, n: usize) -> &mut SimDomain {
        &mut self.domains[n]
    }
}

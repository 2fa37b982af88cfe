//! "Busiest machines": the machines of a host or of the whole fleet ranked by CPU, memory,
//! disk or network use, with the value's text and its share of the list's scale (for a bar).

use std::collections::HashMap;
use std::time::Instant;

use crate::charts::format_value;
use crate::i18n::gettext;
use crate::model::{ConnectionId, DomainUuid};
use crate::stats::{Metric, Scope, StatsStore, Unit};

/// What machines are ranked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ranking {
    /// Guest CPU in % of the machine's own vCPUs.
    Cpu,
    /// Memory in use.
    Memory,
    /// Disk bytes read plus written per second.
    Disk,
    /// Network bytes received plus sent per second.
    Network,
}

impl Ranking {
    /// Every ranking, in the order the UI offers them.
    pub const ALL: [Ranking; 4] = [
        Ranking::Cpu,
        Ranking::Memory,
        Ranking::Disk,
        Ranking::Network,
    ];

    /// The ranking's name in a selector.
    pub fn label(self) -> String {
        match self {
            Ranking::Cpu => gettext("CPU"),
            Ranking::Memory => gettext("Memory"),
            Ranking::Disk => gettext("Disk"),
            Ranking::Network => gettext("Network"),
        }
    }

    fn metrics(self) -> &'static [Metric] {
        match self {
            Ranking::Cpu => &[Metric::GuestCpu],
            Ranking::Memory => &[Metric::MemUsed],
            Ranking::Disk => &[Metric::DiskRead, Metric::DiskWrite],
            Ranking::Network => &[Metric::NetRx, Metric::NetTx],
        }
    }

    fn unit(self) -> Unit {
        self.metrics()[0].unit()
    }
}

/// One machine in a ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct BusyEntry {
    pub connection: ConnectionId,
    pub uuid: DomainUuid,
    /// The ranked value (for pairs: the sum of both directions).
    pub value: f64,
    /// The value as text ("97 %", "1.2 MiB/s").
    pub text: String,
    /// The value on the list's scale, 0–1: of 100 % for CPU, of the top entry otherwise.
    pub share: f64,
    /// When it was read, and whether its host is behind its deadline.
    pub taken_at: Instant,
    pub stale: bool,
}

/// The at most `n` machines in `scope` with the highest non-zero `ranking` value, highest
/// first. Machines with no value (off, warming up, not reported) take no part.
pub fn busiest(store: &StatsStore, scope: Scope, ranking: Ranking, n: usize) -> Vec<BusyEntry> {
    // Every machine's value (pairs: both directions summed), then one ranking with a fixed
    // order among equal values, so rows do not swap places from one tick to the next.
    let mut sums: HashMap<(ConnectionId, DomainUuid), crate::stats::BusyVm> = HashMap::new();
    for metric in ranking.metrics() {
        for vm in store.busiest(usize::MAX, scope, *metric) {
            sums.entry((vm.connection, vm.uuid))
                .and_modify(|sum| sum.value += vm.value)
                .or_insert(vm);
        }
    }
    let mut ranked: Vec<_> = sums.into_values().collect();
    ranked.sort_unstable_by(|a, b| {
        b.value
            .total_cmp(&a.value)
            .then_with(|| (a.connection, a.uuid).cmp(&(b.connection, b.uuid)))
    });
    ranked.truncate(n);
    ranked.retain(|vm| vm.value > 0.0);
    let scale = match ranking {
        Ranking::Cpu => 100.0,
        _ => ranked.first().map_or(1.0, |top| top.value),
    };
    let unit = ranking.unit();
    ranked
        .into_iter()
        .map(|vm| BusyEntry {
            connection: vm.connection,
            uuid: vm.uuid,
            value: vm.value,
            text: format_value(unit, vm.value),
            share: (vm.value / scale).clamp(0.0, 1.0),
            taken_at: vm.taken_at,
            stale: vm.stale,
        })
        .collect()
}

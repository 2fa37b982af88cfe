//! The statistics store: per-connection, per-domain baselines, latest readings and history,
//! fed one driver tick at a time, with staleness, forgetting and retention changes. Queries
//! over the stored history live in `query`.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use super::aggregate::{HOST_COLUMNS, HostRates, Totals, TotalsBuilder};
use super::history::History;
use super::metric::{Metric, Reading};
use super::rates::{self, Baseline, Code, Readings};
use super::retention::{Retention, SlotClock};
use super::sample::TickSample;
use crate::model::{ConnectionId, DomainState, DomainUuid};

/// Owns the statistics of every connection: rates, totals and history. Single-threaded by
/// design (the UI thread feeds it the driver's samples); every method is cheap enough for
/// that: ingesting a 2000-domain tick takes well under a millisecond.
#[derive(Debug)]
pub struct StatsStore {
    pub(super) retention: Retention,
    pub(super) clock: SlotClock,
    pub(super) connections: BTreeMap<ConnectionId, ConnectionStats>,
}

/// Everything kept about one connection.
#[derive(Debug)]
pub(super) struct ConnectionStats {
    pub vms: Vec<VmEntry>,
    index: HashMap<DomainUuid, u32>,
    /// The entry index of each position of the previous tick's domain list: drivers list
    /// domains in a stable order, so most lookups skip the hash map.
    order: Vec<u32>,
    pub host: History<HOST_COLUMNS>,
    pub host_latest: Option<HostRates>,
    /// The last accepted tick: when it was read and the slot it went to.
    pub last: Option<(Instant, u32)>,
    pub stale_since: Option<Instant>,
}

/// Everything kept about one domain.
#[derive(Debug)]
pub(super) struct VmEntry {
    pub uuid: DomainUuid,
    baseline: Baseline,
    pub latest: Readings,
    pub latest_at: Instant,
    /// The slot of the tick `latest` came from.
    pub latest_slot: u32,
    pub state: Option<DomainState>,
    /// Bit per metric: the last sample of the running domain lacked it (not reported by the
    /// hypervisor). Kept while the domain is off, since the hypervisor does not change.
    pub not_available: u16,
    pub detailed: bool,
    pub history: History<{ Metric::HISTORY_COUNT }>,
}

/// The latest readings of one domain.
#[derive(Debug, Clone)]
pub struct VmRates {
    /// When the sample was read.
    pub taken_at: Instant,
    /// Set while the connection misses its tick deadlines.
    pub stale_since: Option<Instant>,
    /// The run state in that sample.
    pub state: Option<DomainState>,
    readings: Readings,
}

impl VmRates {
    /// One metric's reading.
    pub fn get(&self, metric: Metric) -> Reading {
        self.readings.reading(metric)
    }

    /// How old the readings are at `now` ("updated 12 s ago").
    pub fn age(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.taken_at)
    }

    /// Whether the connection is behind its deadline (the UI greys the values).
    pub fn is_stale(&self) -> bool {
        self.stale_since.is_some()
    }
}

/// Which domains a "busiest" query ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every domain of every connection.
    Fleet,
    /// The domains of one connection.
    Connection(ConnectionId),
}

/// One entry of a "busiest domains" ranking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BusyVm {
    pub connection: ConnectionId,
    pub uuid: DomainUuid,
    /// The metric's latest value.
    pub value: f64,
    /// When it was read, and whether its connection is stale.
    pub taken_at: Instant,
    pub stale: bool,
}

impl Default for StatsStore {
    fn default() -> Self {
        Self::new(Retention::default())
    }
}

impl StatsStore {
    /// An empty store. Its time grid starts now: samples must be taken after this.
    pub fn new(retention: Retention) -> Self {
        Self {
            retention,
            clock: SlotClock {
                epoch: Instant::now(),
                interval: retention.interval(),
            },
            connections: BTreeMap::new(),
        }
    }

    /// The current retention settings.
    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// Changes history length and polling interval. Stored history is dropped when they
    /// change (its slot grid no longer applies); latest readings and rate baselines are kept,
    /// so the next tick still yields rates.
    pub fn set_retention(&mut self, retention: Retention) {
        if retention == self.retention {
            return;
        }
        self.retention = retention;
        self.clock.interval = retention.interval();
        for connection in self.connections.values_mut() {
            connection.host = History::new(retention.host_layout());
            connection.last = None;
            for vm in &mut connection.vms {
                vm.history =
                    History::staggered(vm_layout(retention, vm.detailed), block_phase(&vm.uuid));
            }
        }
    }

    /// Feeds one polling tick of `connection`. Returns `false` (and changes nothing) when the
    /// sample is not newer than the connection's previous one. Clears the connection's
    /// staleness.
    pub fn ingest(&mut self, connection: ConnectionId, sample: &TickSample) -> bool {
        let retention = self.retention;
        let clock = self.clock;
        let stats = self
            .connections
            .entry(connection)
            .or_insert_with(|| ConnectionStats::new(retention));
        if stats
            .last
            .is_some_and(|(last_at, _)| sample.taken_at <= last_at)
        {
            return false;
        }
        let slot = stats.slot_for(sample.taken_at, &clock);
        let mut totals = TotalsBuilder::new(sample.host);
        for (position, (uuid, counters)) in sample.domains.iter().enumerate() {
            let index = stats.entry_index(position, uuid, sample.taken_at, retention);
            let vm = &mut stats.vms[index];
            let readings = vm.baseline.advance(counters, sample.taken_at, &sample.host);
            vm.latest = readings;
            vm.latest_at = sample.taken_at;
            vm.latest_slot = slot;
            vm.state = counters.state;
            if rates::is_active(counters) {
                vm.not_available = not_available_bits(&readings);
                // Off domains write nothing: slots they skip read back as gaps.
                vm.history.write(slot, &history_row(&readings));
                totals.add(&readings);
            } else {
                totals.add_inactive();
            }
        }
        let totals: Totals = totals.finish();
        stats.host.write(slot, &totals.row());
        stats.host_latest = Some(HostRates {
            taken_at: sample.taken_at,
            stale_since: None,
            cpus: sample.host.cpus,
            memory_bytes: sample.host.memory_kib.saturating_mul(1024),
            domains: totals.domains,
            active_domains: totals.active_domains,
            totals,
        });
        stats.last = Some((sample.taken_at, slot));
        stats.stale_since = None;
        true
    }

    /// Records that `connection` missed its tick deadline at `since`. Its values keep their
    /// age and queries report the staleness until its next tick. Returns `false` for a
    /// connection the store does not know.
    pub fn mark_stale(&mut self, connection: ConnectionId, since: Instant) -> bool {
        let Some(stats) = self.connections.get_mut(&connection) else {
            return false;
        };
        // Stale since the first missed deadline, not the latest one.
        let since = stats
            .stale_since
            .map_or(since, |earlier| earlier.min(since));
        stats.stale_since = Some(since);
        if let Some(host) = &mut stats.host_latest {
            host.stale_since = Some(since);
        }
        true
    }

    /// Drops everything about a connection (on disconnect).
    pub fn forget_connection(&mut self, connection: ConnectionId) {
        self.connections.remove(&connection);
    }

    /// Drops everything about a domain (on undefine). Returns whether it was known.
    pub fn forget_domain(&mut self, connection: ConnectionId, uuid: &DomainUuid) -> bool {
        let Some(stats) = self.connections.get_mut(&connection) else {
            return false;
        };
        let Some(index) = stats.index.remove(uuid) else {
            return false;
        };
        stats.vms.swap_remove(index as usize);
        if let Some(moved) = stats.vms.get(index as usize) {
            stats.index.insert(moved.uuid, index);
        }
        true
    }

    /// Keeps the whole retention period of one domain at full resolution (while its page is
    /// open), or goes back to the compact layout. Full-resolution history starts from what the
    /// compact layout still holds. Returns whether the domain is known.
    pub fn set_detailed(
        &mut self,
        connection: ConnectionId,
        uuid: &DomainUuid,
        detailed: bool,
    ) -> bool {
        let retention = self.retention;
        let Some(vm) = self
            .connections
            .get_mut(&connection)
            .and_then(|stats| stats.vm_mut(uuid))
        else {
            return false;
        };
        vm.detailed = detailed;
        vm.history.resize_fine(vm_layout(retention, detailed).fine);
        true
    }

    /// The latest readings of a domain, with their age and staleness.
    pub fn latest(&self, connection: ConnectionId, uuid: &DomainUuid) -> Option<VmRates> {
        let stats = self.connections.get(&connection)?;
        let vm = stats.vm(uuid)?;
        Some(VmRates {
            taken_at: vm.latest_at,
            stale_since: stats.stale_since,
            state: vm.state,
            readings: vm.latest,
        })
    }

    /// The latest totals of one host.
    pub fn host_latest(&self, connection: ConnectionId) -> Option<&HostRates> {
        self.connections.get(&connection)?.host_latest.as_ref()
    }

    /// The domains with the highest latest value of `by` (CPU, disk, …), highest first, at
    /// most `n`. Only domains in their connection's latest tick that have a value take part.
    pub fn busiest(&self, n: usize, scope: Scope, by: Metric) -> Vec<BusyVm> {
        let mut ranked: Vec<BusyVm> = Vec::new();
        for (&connection, stats) in &self.connections {
            if scope != Scope::Fleet && scope != Scope::Connection(connection) {
                continue;
            }
            let Some((_, last_slot)) = stats.last else {
                continue;
            };
            let fresh = stats.vms.iter().filter(|vm| vm.latest_slot == last_slot);
            ranked.extend(fresh.filter_map(|vm| {
                Some(BusyVm {
                    connection,
                    uuid: vm.uuid,
                    value: vm.latest.reading(by).value()?,
                    taken_at: vm.latest_at,
                    stale: stats.stale_since.is_some(),
                })
            }));
        }
        let descending = |a: &BusyVm, b: &BusyVm| b.value.total_cmp(&a.value);
        if n < ranked.len() {
            ranked.select_nth_unstable_by(n, descending);
            ranked.truncate(n);
        }
        ranked.sort_unstable_by(descending);
        ranked
    }

    /// The connections the store holds, in id order.
    pub fn connections(&self) -> impl Iterator<Item = ConnectionId> + '_ {
        self.connections.keys().copied()
    }
}

fn vm_layout(retention: Retention, detailed: bool) -> super::retention::Layout {
    if detailed {
        retention.detailed_vm_layout()
    } else {
        retention.vm_layout()
    }
}

/// The values of `readings` that a domain's history keeps, in history-column order.
fn history_row(readings: &Readings) -> [f32; Metric::HISTORY_COUNT] {
    let mut row = [f32::NAN; Metric::HISTORY_COUNT];
    for metric in Metric::ALL {
        if let Some(column) = metric.history_column() {
            row[column] = readings.values[metric.index()];
        }
    }
    row
}

fn not_available_bits(readings: &Readings) -> u16 {
    readings
        .codes
        .iter()
        .enumerate()
        .filter(|(_, code)| **code == Code::NotAvailable)
        .fold(0, |bits, (index, _)| bits | 1 << index)
}

impl ConnectionStats {
    fn new(retention: Retention) -> Self {
        Self {
            vms: Vec::new(),
            index: HashMap::new(),
            order: Vec::new(),
            host: History::new(retention.host_layout()),
            host_latest: None,
            last: None,
            stale_since: None,
        }
    }

    /// The slot a tick read at `at` goes to: the nearest grid slot, but always the one after
    /// the previous tick's when at least half an interval passed (so timer jitter never leaves
    /// a false gap), and the previous tick's own slot when less did.
    fn slot_for(&self, at: Instant, clock: &SlotClock) -> u32 {
        let nearest = clock.nearest_slot(at);
        match self.last {
            None => nearest,
            Some((last_at, last_slot)) => {
                if at.saturating_duration_since(last_at) < clock.interval / 2 {
                    last_slot
                } else {
                    nearest.max(last_slot.saturating_add(1))
                }
            }
        }
    }

    /// The entry of `uuid`, created when new, found through the previous tick's order first.
    fn entry_index(
        &mut self,
        position: usize,
        uuid: &DomainUuid,
        at: Instant,
        retention: Retention,
    ) -> usize {
        if let Some(&index) = self.order.get(position)
            && self
                .vms
                .get(index as usize)
                .is_some_and(|vm| vm.uuid == *uuid)
        {
            return index as usize;
        }
        let index = match self.index.get(uuid) {
            Some(&index) => index,
            None => {
                let index = u32::try_from(self.vms.len())
                    .expect("fewer than 4 billion domains on one connection");
                self.vms.push(VmEntry::new(*uuid, at, retention));
                self.index.insert(*uuid, index);
                index
            }
        };
        if position < self.order.len() {
            self.order[position] = index;
        } else {
            self.order.resize(position, u32::MAX);
            self.order.push(index);
        }
        index as usize
    }

    pub fn vm(&self, uuid: &DomainUuid) -> Option<&VmEntry> {
        self.vms.get(*self.index.get(uuid)? as usize)
    }

    fn vm_mut(&mut self, uuid: &DomainUuid) -> Option<&mut VmEntry> {
        self.vms.get_mut(*self.index.get(uuid)? as usize)
    }
}

impl VmEntry {
    fn new(uuid: DomainUuid, at: Instant, retention: Retention) -> Self {
        Self {
            uuid,
            baseline: Baseline::default(),
            latest: Readings::gaps(super::metric::GapReason::Warmup),
            latest_at: at,
            latest_slot: 0,
            state: None,
            not_available: 0,
            detailed: false,
            history: History::staggered(retention.vm_layout(), block_phase(&uuid)),
        }
    }
}

/// Where a domain's history blocks end (see `History::staggered`), from its UUID (random):
/// ingesting a tick packs about one in 32 of a fleet's histories, not all of them every 32nd
/// tick.
fn block_phase(uuid: &DomainUuid) -> u32 {
    u32::from(uuid.0[15])
}

//! Reading history back for charts: time windows, series of `(time, value-or-gap)` points with
//! their staleness and availability, for one domain, one host or the whole fleet.

use std::time::{Duration, Instant};

use super::aggregate::{FleetRates, Totals, fleet_share, host_value};
use super::history::{History, Row};
use super::metric::{Availability, HostMetric, Metric, Unit};
use super::store::{ConnectionStats, StatsStore};
use crate::model::{ConnectionId, DomainUuid};

/// A time range ending at `end` (usually now).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub end: Instant,
    pub length: Duration,
}

impl Window {
    /// The window lengths the UI offers: 1, 5, 15 and 60 minutes.
    pub const CHOICES: [Duration; 4] = [
        Duration::from_secs(60),
        Duration::from_secs(5 * 60),
        Duration::from_secs(15 * 60),
        Duration::from_secs(60 * 60),
    ];

    /// The `length` before `now`.
    pub fn last(length: Duration, now: Instant) -> Self {
        Self { end: now, length }
    }

    /// The window's first instant (the grid's epoch bounds it below in practice).
    pub fn start(&self) -> Instant {
        self.end.checked_sub(self.length).unwrap_or(self.end)
    }
}

/// One point of a series. `value: None` is a gap: the line breaks there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesPoint {
    pub time: Instant,
    pub value: Option<f32>,
}

/// The part of a window after the last fresh sample of a stale connection: charts draw the
/// last value across it greyed or dashed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StaleTail {
    pub from: Instant,
    pub to: Instant,
    /// The last value before the tail, if the series had one.
    pub value: Option<f32>,
}

/// A metric's history over a window, ready for a chart.
#[derive(Debug, Clone)]
pub struct Series {
    pub unit: Unit,
    pub window: Window,
    /// Oldest first. Spacing is the polling interval for recent points and the coarse bucket
    /// length for older ones; `None` values mark gaps.
    pub points: Vec<SeriesPoint>,
    /// Whether the hypervisor reports this metric at all.
    pub availability: Availability,
    /// The connection's latest tick (for a fleet series: the newest of all hosts).
    pub last_sample_at: Option<Instant>,
    /// Set while the connection is behind its deadline (fleet: the earliest stale host).
    pub stale_since: Option<Instant>,
}

impl Series {
    /// An empty series of `unit` over `window`.
    pub fn new(unit: Unit, window: Window) -> Self {
        Self {
            unit,
            window,
            points: Vec::new(),
            availability: Availability::Available,
            last_sample_at: None,
            stale_since: None,
        }
    }

    /// Resets to an empty series, keeping the point buffer's allocation.
    fn reset(&mut self, unit: Unit, window: Window) {
        self.unit = unit;
        self.window = window;
        self.points.clear();
        self.availability = Availability::Available;
        self.last_sample_at = None;
        self.stale_since = None;
    }

    /// Whether the hypervisor does not report this metric.
    pub fn is_not_available(&self) -> bool {
        self.availability == Availability::NotAvailable
    }

    /// The newest point's value, if the newest point has one.
    pub fn current(&self) -> Option<f32> {
        self.points.last()?.value
    }

    /// How old the newest data is at `now`.
    pub fn age(&self, now: Instant) -> Option<Duration> {
        Some(now.saturating_duration_since(self.last_sample_at?))
    }

    /// The stale part of the window, when the connection is stale.
    pub fn stale_tail(&self) -> Option<StaleTail> {
        self.stale_since?;
        let from = self.last_sample_at?.max(self.window.start());
        (from < self.window.end).then(|| StaleTail {
            from,
            to: self.window.end,
            value: self.points.last().and_then(|point| point.value),
        })
    }
}

/// The slot range a window covers, clipped to the retention period: `(from, to)` inclusive,
/// with `to` no later than the data's last slot.
fn slot_range(store: &StatsStore, window: &Window, last_slot: u32) -> (u32, u32) {
    let end = store.clock.nearest_slot(window.end);
    let span = (window.length.as_secs_f64() / store.clock.interval.as_secs_f64()).ceil() as u32;
    let span = span.clamp(1, store.retention.slots());
    let from = (end + 1).saturating_sub(span);
    (from, end.min(last_slot))
}

impl StatsStore {
    /// The history of one domain metric over `window`; `None` for an unknown domain. The disk
    /// request rates are not kept in a domain's history: their series has no points (their
    /// latest value is in [`VmRates`](super::VmRates), their host totals in `host_series`).
    pub fn series(
        &self,
        connection: ConnectionId,
        uuid: &DomainUuid,
        metric: Metric,
        window: Window,
    ) -> Option<Series> {
        let mut series = Series::new(metric.unit(), window);
        self.series_into(connection, uuid, metric, window, &mut series)
            .then_some(series)
    }

    /// Like [`series`](Self::series), refilling `out` (its point buffer is reused, so a chart
    /// redrawn every tick allocates nothing). Returns `false`, with `out` emptied, for an
    /// unknown domain.
    pub fn series_into(
        &self,
        connection: ConnectionId,
        uuid: &DomainUuid,
        metric: Metric,
        window: Window,
        out: &mut Series,
    ) -> bool {
        out.reset(metric.unit(), window);
        let Some(stats) = self.connections.get(&connection) else {
            return false;
        };
        let Some(vm) = stats.vm(uuid) else {
            return false;
        };
        if vm.not_available & (1 << metric.index()) != 0 {
            out.availability = Availability::NotAvailable;
        }
        // A metric the history does not keep (disk request rates) has no points.
        if let Some(column) = metric.history_column() {
            self.fill(stats, &vm.history, out, |row| row.get(column));
        }
        true
    }

    /// The history of one host total over `window`; `None` for an unknown connection.
    pub fn host_series(
        &self,
        connection: ConnectionId,
        metric: HostMetric,
        window: Window,
    ) -> Option<Series> {
        let stats = self.connections.get(&connection)?;
        let mut series = Series::new(metric.unit(), window);
        if stats
            .host_latest
            .as_ref()
            .is_some_and(|host| host.get(metric).is_not_available())
        {
            series.availability = Availability::NotAvailable;
        }
        self.fill(stats, &stats.host, &mut series, |row| {
            host_value(metric, |column| row.get(column))
        });
        Some(series)
    }

    fn fill<const M: usize>(
        &self,
        stats: &ConnectionStats,
        history: &History<M>,
        out: &mut Series,
        value: impl Fn(&Row<'_, M>) -> Option<f32>,
    ) {
        out.stale_since = stats.stale_since;
        let Some((last_at, last_slot)) = stats.last else {
            return;
        };
        out.last_sample_at = Some(last_at);
        let (from, to) = slot_range(self, &out.window, last_slot);
        let clock = self.clock;
        history.visit(from, to, |position, row| {
            out.points.push(SeriesPoint {
                time: clock.instant(position),
                value: value(&row),
            });
        });
    }

    /// The sum over all connected hosts of one host total over `window`, slot by slot
    /// (percentages are of the summed capacity of the hosts reporting at that slot).
    ///
    /// The series ends at the newest slot every live host has reported: hosts tick at their
    /// own phase, and a slot summed before the last of them reports would be a partial total —
    /// a dip at "now" and a current value of only some hosts. A stale host does not hold the
    /// series back; it is left out of the slots it has no data for.
    pub fn fleet_series(&self, metric: HostMetric, window: Window) -> Series {
        let mut series = Series::new(metric.unit(), window);
        let newest_at = self
            .connections
            .values()
            .filter_map(|stats| stats.last)
            .map(|(at, _)| at)
            .max();
        let Some(last_at) = newest_at else {
            return series;
        };
        let complete_slot = self
            .connections
            .values()
            .filter(|stats| stats.stale_since.is_none())
            .filter_map(|stats| stats.last)
            .map(|(_, slot)| slot)
            .min();
        let Some(last_slot) = complete_slot.or_else(|| {
            // Every host is stale: what they have is complete up to the newest of them.
            self.connections
                .values()
                .filter_map(|stats| stats.last)
                .map(|(_, slot)| slot)
                .max()
        }) else {
            return series;
        };
        series.last_sample_at = Some(last_at);
        series.stale_since = self
            .connections
            .values()
            .filter_map(|stats| stats.stale_since)
            .min();
        let fleet = self.fleet_latest();
        if fleet.get(metric).is_not_available() {
            series.availability = Availability::NotAvailable;
        }
        let (from, to) = slot_range(self, &window, last_slot);
        let mut hosts: Vec<_> = self
            .connections
            .values()
            .map(|stats| stats.host.fine_reader())
            .collect();
        for slot in from..=to {
            let mut reporting = false;
            let mut sum: Option<(f32, f32)> = None;
            for host in &mut hosts {
                let Some(row) = host.row(slot) else {
                    continue;
                };
                reporting = true;
                if let Some((part, whole)) = fleet_share(metric, |column| row.get(column)) {
                    let (sum_part, sum_whole) = sum.get_or_insert((0.0, 0.0));
                    *sum_part += part;
                    *sum_whole += whole;
                }
            }
            // Slots before any host's history begins are not part of the series.
            if !reporting {
                continue;
            }
            let value = sum.and_then(|(part, whole)| match metric.unit() {
                Unit::Percent => (whole > 0.0).then(|| (part / whole * 100.0).clamp(0.0, 100.0)),
                _ => Some(part),
            });
            series.points.push(SeriesPoint {
                time: self.clock.instant(f64::from(slot)),
                value,
            });
        }
        series
    }

    /// The latest totals summed over every connected host.
    pub fn fleet_latest(&self) -> FleetRates {
        let mut totals = Totals::empty();
        let mut fleet = FleetRates {
            hosts: 0,
            stale_hosts: 0,
            oldest_sample_at: None,
            cpus: 0,
            memory_bytes: 0,
            domains: 0,
            active_domains: 0,
            totals: Totals::empty(),
        };
        for stats in self.connections.values() {
            let Some(host) = &stats.host_latest else {
                continue;
            };
            fleet.hosts += 1;
            if stats.stale_since.is_some() {
                fleet.stale_hosts += 1;
            }
            fleet.oldest_sample_at = Some(
                fleet
                    .oldest_sample_at
                    .map_or(host.taken_at, |oldest| oldest.min(host.taken_at)),
            );
            totals.combine(&host.totals);
        }
        fleet.cpus = totals.cpus();
        fleet.memory_bytes = totals.memory_bytes();
        fleet.domains = totals.domains;
        fleet.active_domains = totals.active_domains;
        fleet.totals = totals;
        fleet
    }
}

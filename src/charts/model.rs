//! The chart model: one or two series (e.g. read and write) mapped onto a time window, with
//! axes, gaps, the stale tail, the "not available" state, legend entries and hover read-outs.
//! Built from [`Series`] each redraw; drawing it is `render`'s job.

use std::time::{Duration, Instant};

use super::scale::{TimeAxis, ValueAxis};
use super::units::{format_time_offset, format_value};
use crate::i18n::gettext;
use crate::stats::{Series, Unit, Window};

/// A point on the chart: `x` in seconds from the window's start, `value: None` for a gap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartPoint {
    pub x: f64,
    pub value: Option<f64>,
}

/// The part of a line after its connection's last fresh sample, drawn greyed and dashed at
/// the last known value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StaleSegment {
    pub from_x: f64,
    pub to_x: f64,
    pub value: Option<f64>,
}

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartLine {
    /// Its legend name ("Read", "Sent", …); `None` for a lone series.
    pub label: Option<String>,
    /// Points inside the window, oldest first.
    pub points: Vec<ChartPoint>,
    pub stale: Option<StaleSegment>,
    /// The newest value.
    pub current: Option<f64>,
    /// The hypervisor does not report this series.
    pub not_available: bool,
}

impl ChartLine {
    /// The line of `series` over its window, named `label` in legends.
    pub fn from_series(series: &Series, label: Option<String>) -> Self {
        let start = series.window.start();
        let x_of = |time: Instant| signed_secs(start, time);
        let length = series.window.length.as_secs_f64();
        let points = series
            .points
            .iter()
            .map(|point| ChartPoint {
                x: x_of(point.time),
                value: point.value.map(f64::from),
            })
            .filter(|point| (0.0..=length).contains(&point.x))
            .collect();
        Self {
            label,
            points,
            stale: series.stale_tail().map(|tail| StaleSegment {
                from_x: x_of(tail.from).max(0.0),
                to_x: x_of(tail.to).min(length),
                value: tail.value.map(f64::from),
            }),
            current: series.current().map(f64::from),
            not_available: series.is_not_available(),
        }
    }

    /// The runs of consecutive points with values: each is drawn as one unbroken line.
    pub fn runs(&self) -> impl Iterator<Item = &[ChartPoint]> {
        self.points
            .split(|point| point.value.is_none())
            .filter(|run| !run.is_empty())
    }

    /// The largest value, the stale tail included.
    pub fn max_value(&self) -> Option<f64> {
        self.points
            .iter()
            .filter_map(|point| point.value)
            .chain(self.stale.and_then(|stale| stale.value))
            .reduce(f64::max)
    }

    /// The value at `x`: the nearest point's within half the local spacing, the last value
    /// inside the stale tail, `None` in a gap.
    pub fn value_at(&self, x: f64) -> (Option<f64>, bool) {
        if let Some(stale) = self.stale
            && x >= stale.from_x
            && x <= stale.to_x
        {
            return (stale.value, true);
        }
        let after = self.points.partition_point(|point| point.x < x);
        let candidates = [after.checked_sub(1), Some(after)];
        let nearest = candidates
            .into_iter()
            .flatten()
            .filter_map(|index| self.points.get(index).map(|point| (index, point)))
            .min_by(|(_, a), (_, b)| (a.x - x).abs().total_cmp(&(b.x - x).abs()));
        let Some((index, point)) = nearest else {
            return (None, false);
        };
        let spacing = self.spacing_at(index);
        if (point.x - x).abs() > spacing / 2.0 + 1e-9 {
            return (None, false);
        }
        (point.value, false)
    }

    /// The distance to the nearer neighbour of point `index` (1 s when alone).
    fn spacing_at(&self, index: usize) -> f64 {
        let x = self.points[index].x;
        let before = index
            .checked_sub(1)
            .and_then(|before| self.points.get(before))
            .map(|point| x - point.x);
        let after = self.points.get(index + 1).map(|point| point.x - x);
        match (before, after) {
            (Some(before), Some(after)) => before.max(after),
            (Some(one), None) | (None, Some(one)) => one,
            (None, None) => 1.0,
        }
    }
}

/// What a chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartState {
    /// Lines (possibly with gaps).
    Data,
    /// No value in the window (domain off, or just connected).
    NoData,
    /// The hypervisor does not report these values.
    NotAvailable,
    /// Hangar was told not to collect these values (Preferences); history is not shown.
    NotCollected,
}

/// One legend entry: a line's colour slot, its name and current value.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// 0 or 1: which of the style's line colours.
    pub color_index: usize,
    pub label: Option<String>,
    pub value_text: String,
}

/// What the pointer hovers: the time and each line's value there.
#[derive(Debug, Clone, PartialEq)]
pub struct Readout {
    pub time: Instant,
    /// How long before the window's end, and that as text ("−42 s").
    pub before_end: Duration,
    pub time_text: String,
    pub entries: Vec<ReadoutEntry>,
}

/// One line's value in a read-out.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadoutEntry {
    pub label: Option<String>,
    pub value: Option<f64>,
    /// The value as text, "—" in a gap.
    pub text: String,
    /// The value is the last known one of a stale connection.
    pub stale: bool,
}

/// Everything a chart draws.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartModel {
    pub unit: Unit,
    pub window: Window,
    pub lines: Vec<ChartLine>,
    pub value_axis: ValueAxis,
    pub time_axis: TimeAxis,
    pub state: ChartState,
}

impl ChartModel {
    /// A chart of one series.
    pub fn new(series: &Series) -> Self {
        Self::from_lines(series, vec![ChartLine::from_series(series, None)])
    }

    /// A chart of two series of the same unit over the same window, with legend names.
    pub fn paired(first: (&Series, String), second: (&Series, String)) -> Self {
        let lines = vec![
            ChartLine::from_series(first.0, Some(first.1)),
            ChartLine::from_series(second.0, Some(second.1)),
        ];
        Self::from_lines(first.0, lines)
    }

    /// Disk throughput or requests: "Read" and "Write".
    pub fn disk(read: &Series, write: &Series) -> Self {
        Self::paired((read, gettext("Read")), (write, gettext("Write")))
    }

    /// Network throughput: "Received" and "Sent".
    pub fn network(received: &Series, sent: &Series) -> Self {
        Self::paired((received, gettext("Received")), (sent, gettext("Sent")))
    }

    fn from_lines(series: &Series, lines: Vec<ChartLine>) -> Self {
        let data_max = lines
            .iter()
            .filter_map(ChartLine::max_value)
            .reduce(f64::max);
        let state = if lines.iter().all(|line| line.not_available) {
            ChartState::NotAvailable
        } else if data_max.is_none() {
            ChartState::NoData
        } else {
            ChartState::Data
        };
        Self {
            unit: series.unit,
            window: series.window,
            value_axis: ValueAxis::for_data(series.unit, data_max),
            time_axis: TimeAxis::for_window(series.window.length),
            lines,
            state,
        }
    }

    /// Shows "Not collected" instead of the lines: the user turned this statistics group off,
    /// so whatever history remains would only be a stale picture.
    pub fn mark_not_collected(&mut self) {
        self.state = ChartState::NotCollected;
        self.value_axis = ValueAxis::for_data(self.unit, None);
    }

    /// Whether there is no value scale to show (nothing measured by this hypervisor, or
    /// nothing collected).
    pub fn hides_values(&self) -> bool {
        matches!(
            self.state,
            ChartState::NotAvailable | ChartState::NotCollected
        )
    }

    /// The window's length in seconds (the x range is 0 to this).
    pub fn length_secs(&self) -> f64 {
        self.window.length.as_secs_f64()
    }

    /// The instant at `x` seconds from the window's start.
    pub fn time_at(&self, x: f64) -> Instant {
        self.window.start() + Duration::from_secs_f64(self.clamp_x(x))
    }

    /// `x` limited to the window (a pointer outside it, or NaN, reads its nearest edge).
    fn clamp_x(&self, x: f64) -> f64 {
        if x.is_nan() {
            return 0.0;
        }
        x.clamp(0.0, self.length_secs())
    }

    /// The text of the state when there are no lines to draw.
    pub fn message(&self) -> Option<String> {
        match self.state {
            ChartState::Data => None,
            ChartState::NoData => Some(gettext("No data")),
            ChartState::NotAvailable => Some(gettext("Not available from this hypervisor")),
            ChartState::NotCollected => Some(gettext("Not collected (see Preferences)")),
        }
    }

    /// Legend entries: every line's name and current value.
    pub fn legend(&self) -> Vec<LegendEntry> {
        self.lines
            .iter()
            .enumerate()
            .map(|(index, line)| LegendEntry {
                color_index: index.min(1),
                label: line.label.clone(),
                value_text: self.value_text(line.current, line.not_available),
            })
            .collect()
    }

    /// What the pointer at `x` seconds from the window's start reads.
    pub fn readout(&self, x: f64) -> Readout {
        let x = self.clamp_x(x);
        let before_end = Duration::from_secs_f64(self.length_secs() - x);
        Readout {
            time: self.time_at(x),
            before_end,
            time_text: format_time_offset(before_end.as_secs_f64().round() as u64),
            entries: self
                .lines
                .iter()
                .map(|line| {
                    let (value, stale) = line.value_at(x);
                    ReadoutEntry {
                        label: line.label.clone(),
                        value,
                        text: self.value_text(value, line.not_available),
                        stale,
                    }
                })
                .collect(),
        }
    }

    fn value_text(&self, value: Option<f64>, not_available: bool) -> String {
        match value {
            Some(value) => format_value(self.unit, value),
            None if not_available => gettext("Not available"),
            None => "—".to_owned(),
        }
    }
}

/// `time - start` in seconds, negative when `time` is earlier.
fn signed_secs(start: Instant, time: Instant) -> f64 {
    if time >= start {
        time.duration_since(start).as_secs_f64()
    } else {
        -start.duration_since(time).as_secs_f64()
    }
}

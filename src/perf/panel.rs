//! One chart of a performance view: which series it draws for a machine, a host or the fleet,
//! and the words around it (the current value written large, its caption, how old stale data
//! is, and what a screen reader announces).

use std::time::Instant;

use crate::charts::{ChartModel, ChartState, ValueAxis, format_age, format_value};
use crate::i18n::{gettext, gettext_f, ngettext_f};
use crate::model::{ConnectionId, DomainUuid};
use crate::stats::{HostMetric, Metric, Series, StatsGroups, StatsStore, Unit, Window};

/// What a set of charts is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// One machine: CPU of its own vCPUs, memory against its allocation, its I/O.
    Vm(ConnectionId, DomainUuid),
    /// One connection's host: its machines' totals against the host's capacity.
    Host(ConnectionId),
    /// Every connected host summed.
    Fleet,
}

/// The four charts every performance view has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartKind {
    Cpu,
    Memory,
    Disk,
    Network,
}

impl ChartKind {
    /// Every chart, in display order.
    pub const ALL: [ChartKind; 4] = [
        ChartKind::Cpu,
        ChartKind::Memory,
        ChartKind::Disk,
        ChartKind::Network,
    ];

    /// The chart's title.
    pub fn title(self) -> String {
        match self {
            ChartKind::Cpu => gettext("CPU"),
            ChartKind::Memory => gettext("Memory"),
            ChartKind::Disk => gettext("Disk"),
            ChartKind::Network => gettext("Network"),
        }
    }

    /// Whether the statistics group this chart draws is collected.
    pub fn collected(self, groups: StatsGroups) -> bool {
        match self {
            ChartKind::Cpu => groups.cpu,
            ChartKind::Memory => groups.memory,
            ChartKind::Disk => groups.disk,
            ChartKind::Network => groups.network,
        }
    }
}

/// Everything one chart widget shows besides its title.
#[derive(Debug, Clone)]
pub struct Panel {
    pub kind: ChartKind,
    /// What the plot draws.
    pub model: ChartModel,
    /// The current value, written large ("97 %", "1.2 GiB", "—", "Not available").
    pub headline: String,
    /// Words under the headline ("of 4.0 GiB", "of 8 CPUs", "Total").
    pub caption: Option<String>,
    /// Why the figures may be out of date ("updated 12 s ago", "1 host not answering").
    pub status: Option<String>,
    /// The data is out of date (the UI greys the headline).
    pub stale: bool,
    /// What a screen reader announces for the value ("CPU 97 %").
    pub accessible: String,
}

/// The series of one chart, with the legend names of a pair.
struct Lines {
    first: Series,
    second: Option<(Series, String)>,
    first_label: Option<String>,
}

/// Memory is drawn as one line, "in use", on an axis that reaches the capacity it is in use
/// of (the machine's allocation, the host's memory; rounded up to the next nice tick), so the
/// line's height shows how full it is. The caption names the capacity.
fn memory_model(used: &Series, capacity: Option<&Series>) -> (ChartModel, Option<f64>) {
    let mut model = ChartModel::new(used);
    let Some(capacity) = capacity else {
        return (model, None);
    };
    let capacity_max = capacity
        .points
        .iter()
        .filter_map(|point| point.value)
        .map(f64::from)
        .reduce(f64::max);
    if let Some(top) = capacity_max
        && model.state == ChartState::Data
    {
        let data_max = model.lines[0].max_value().unwrap_or(0.0);
        model.value_axis = ValueAxis::for_data(Unit::Bytes, Some(top.max(data_max)));
    }
    (model, capacity.current().map(f64::from))
}

impl Panel {
    /// The chart `kind` of `target` over `window`, read from `store` at `now`. Charts of
    /// statistics groups missing from `collected` say "Not collected" instead of drawing
    /// whatever history is left from before.
    pub fn build(
        store: &StatsStore,
        target: Target,
        kind: ChartKind,
        window: Window,
        collected: StatsGroups,
        now: Instant,
    ) -> Self {
        let lines = lines(store, target, kind, window);
        let (mut model, capacity) = match (kind, &lines.second, &lines.first_label) {
            (ChartKind::Memory, second, _) => {
                memory_model(&lines.first, second.as_ref().map(|(series, _)| series))
            }
            (_, Some((second, second_label)), Some(first_label)) => {
                let model = ChartModel::paired(
                    (&lines.first, first_label.clone()),
                    (second, second_label.clone()),
                );
                (model, None)
            }
            _ => (ChartModel::new(&lines.first), None),
        };
        if !kind.collected(collected) {
            model.mark_not_collected();
        }
        let (stale, status) = staleness(store, target, &lines.first, now);
        let (headline, caption) = headline(kind, target, &model, capacity, store);
        let accessible = accessible_text(kind, &model, &headline, caption.as_deref());
        Self {
            kind,
            model,
            headline,
            caption,
            status,
            stale,
            accessible,
        }
    }
}

fn lines(store: &StatsStore, target: Target, kind: ChartKind, window: Window) -> Lines {
    let (first_label, second_label) = match kind {
        ChartKind::Cpu => (None, None),
        // One line on the capacity's scale (see `memory_model`): no legend.
        ChartKind::Memory => (None, Some(String::new())),
        ChartKind::Disk => (Some(gettext("Read")), Some(gettext("Write"))),
        ChartKind::Network => (Some(gettext("Received")), Some(gettext("Sent"))),
    };
    let series: Vec<Series> = match target {
        Target::Vm(connection, uuid) => vm_metrics(kind)
            .iter()
            .map(|metric| {
                store
                    .series(connection, &uuid, *metric, window)
                    .unwrap_or_else(|| Series::new(metric.unit(), window))
            })
            .collect(),
        Target::Host(connection) => host_metrics(kind)
            .iter()
            .map(|metric| {
                store
                    .host_series(connection, *metric, window)
                    .unwrap_or_else(|| Series::new(metric.unit(), window))
            })
            .collect(),
        Target::Fleet => host_metrics(kind)
            .iter()
            .map(|metric| store.fleet_series(*metric, window))
            .collect(),
    };
    let mut series = series.into_iter();
    let first = series
        .next()
        .expect("every chart kind has at least one metric");
    let second = series.next().zip(second_label);
    Lines {
        first,
        second,
        first_label,
    }
}

fn vm_metrics(kind: ChartKind) -> &'static [Metric] {
    match kind {
        ChartKind::Cpu => &[Metric::GuestCpu],
        ChartKind::Memory => &[Metric::MemUsed, Metric::MemAllocated],
        ChartKind::Disk => &[Metric::DiskRead, Metric::DiskWrite],
        ChartKind::Network => &[Metric::NetRx, Metric::NetTx],
    }
}

fn host_metrics(kind: ChartKind) -> &'static [HostMetric] {
    match kind {
        ChartKind::Cpu => &[HostMetric::CpuPercent],
        ChartKind::Memory => &[HostMetric::MemUsed, HostMetric::MemTotal],
        ChartKind::Disk => &[HostMetric::DiskRead, HostMetric::DiskWrite],
        ChartKind::Network => &[HostMetric::NetRx, HostMetric::NetTx],
    }
}

/// Whether the data is out of date, and the words that say how.
fn staleness(
    store: &StatsStore,
    target: Target,
    first: &Series,
    now: Instant,
) -> (bool, Option<String>) {
    match target {
        Target::Fleet => {
            let fleet = store.fleet_latest();
            if fleet.stale_hosts == 0 {
                return (false, None);
            }
            let n = fleet.stale_hosts;
            let text = ngettext_f(
                "{n} host not answering",
                "{n} hosts not answering",
                n,
                &[("n", &n.to_string())],
            );
            (true, Some(text))
        }
        Target::Vm(..) | Target::Host(_) => {
            if first.stale_since.is_none() {
                return (false, None);
            }
            let status = first.age(now).map(format_age);
            (true, status)
        }
    }
}

/// The current value written large, and the words under it.
fn headline(
    kind: ChartKind,
    target: Target,
    model: &ChartModel,
    capacity: Option<f64>,
    store: &StatsStore,
) -> (String, Option<String>) {
    match model.state {
        ChartState::NotCollected => return (gettext("Not collected"), None),
        ChartState::NotAvailable => return (gettext("Not available"), None),
        ChartState::Data | ChartState::NoData => {}
    }
    let current = |index: usize| model.lines.get(index).and_then(|line| line.current);
    let dash = || "—".to_owned();
    match kind {
        ChartKind::Cpu => {
            let value = current(0).map_or_else(dash, |v| format_value(Unit::Percent, v));
            (value, cpu_caption(target, store))
        }
        ChartKind::Memory => {
            let value = current(0).map_or_else(dash, |v| format_value(Unit::Bytes, v));
            let caption = capacity.map(|total| {
                gettext_f(
                    "of {total}",
                    &[("total", &format_value(Unit::Bytes, total))],
                )
            });
            (value, caption)
        }
        ChartKind::Disk | ChartKind::Network => {
            let label = |index: usize| model.lines.get(index).and_then(|line| line.label.clone());
            let rate = |value: f64| format_value(Unit::BytesPerSecond, value);
            match (current(0), current(1)) {
                // Translators: under a disk or network rate: the sum of both directions.
                (Some(first), Some(second)) => (rate(first + second), Some(gettext("Total"))),
                // One direction only (the other is not reported): say which one it is.
                (Some(first), None) => (rate(first), label(0)),
                (None, Some(second)) => (rate(second), label(1)),
                (None, None) => (dash(), None),
            }
        }
    }
}

/// "of 8 CPUs" for a host or the fleet (a machine's CPU is of its own vCPUs).
fn cpu_caption(target: Target, store: &StatsStore) -> Option<String> {
    let cpus = match target {
        Target::Vm(..) => return Some(gettext("of its virtual CPUs")),
        Target::Host(connection) => store.host_latest(connection)?.cpus,
        Target::Fleet => store.fleet_latest().cpus,
    };
    (cpus > 0).then(|| {
        ngettext_f(
            "of {n} CPU",
            "of {n} CPUs",
            cpus,
            &[("n", &cpus.to_string())],
        )
    })
}

/// "CPU 97 %", "Memory 1.2 GiB of 4.0 GiB", "Disk 1.3 MiB/s Total, Read 1.2 MiB/s, Write …",
/// "Network not available from this hypervisor".
fn accessible_text(
    kind: ChartKind,
    model: &ChartModel,
    headline: &str,
    caption: Option<&str>,
) -> String {
    let chart = kind.title();
    match model.state {
        ChartState::NotAvailable => {
            return gettext_f(
                "{chart}: not available from this hypervisor",
                &[("chart", &chart)],
            );
        }
        ChartState::NotCollected => {
            return gettext_f("{chart}: not collected", &[("chart", &chart)]);
        }
        ChartState::Data | ChartState::NoData => {}
    }
    let value = match caption {
        Some(caption) => gettext_f(
            "{value} {caption}",
            &[("value", headline), ("caption", caption)],
        ),
        None => headline.to_owned(),
    };
    let mut text = gettext_f("{chart} {value}", &[("chart", &chart), ("value", &value)]);
    if model.lines.len() > 1 {
        for entry in model.legend() {
            let Some(label) = entry.label else { continue };
            let part = gettext_f(
                "{name} {value}",
                &[("name", &label), ("value", &entry.value_text)],
            );
            text = gettext_f("{text}, {more}", &[("text", &text), ("more", &part)]);
        }
    }
    text
}

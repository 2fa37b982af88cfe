//! What the fleet's sparklines draw: the last minute of a row's statistics, read from the
//! statistics store while GTK draws the visible cells.

use std::time::{Duration, Instant};

use hangar::stats::{HostMetric, Metric, Series, StatsStore, Window};

use crate::ui::fleet::ItemData;

/// How much history a table sparkline shows.
const SPARK_HISTORY: Duration = Duration::from_secs(60);

/// The series drawn in `column` for one row (none where the column has no history).
pub fn series(stats: &StatsStore, data: &ItemData, column: &str) -> Vec<Series> {
    let window = Window::last(SPARK_HISTORY, Instant::now());
    match data {
        ItemData::Vm(vm) => {
            let metrics: &[Metric] = match column {
                "cpu" => &[Metric::GuestCpu],
                "host-cpu" => &[Metric::HostCpu],
                "disk" => &[Metric::DiskRead, Metric::DiskWrite],
                "network" => &[Metric::NetRx, Metric::NetTx],
                _ => &[],
            };
            metrics
                .iter()
                .filter_map(|metric| stats.series(vm.connection, &vm.uuid, *metric, window))
                .collect()
        }
        ItemData::Host(host) => {
            let metrics: &[HostMetric] = match column {
                "cpu" => &[HostMetric::CpuPercent],
                _ => &[],
            };
            metrics
                .iter()
                .filter_map(|metric| stats.host_series(host.id, *metric, window))
                .collect()
        }
    }
}

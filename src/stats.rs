//! Statistics: per-tick samples from the driver become rates (CPU %, memory, disk and network
//! throughput) from counter deltas, per-host and fleet totals, and compact history rings with
//! every value's age, for the UI's tables and charts.
//!
//! Use: one [`StatsStore`] on the UI thread. Feed it each [`TickSample`] with
//! [`StatsStore::ingest`], tell it about missed deadlines with [`StatsStore::mark_stale`], and
//! read [`StatsStore::latest`] for table cells, [`StatsStore::series`] /
//! [`StatsStore::host_series`] / [`StatsStore::fleet_series`] for charts and
//! [`StatsStore::busiest`] for "top VMs" lists. Every reading distinguishes a value, a gap
//! (domain off, first sample after a start) and "not available from this hypervisor".
//!
//! Memory: an ordinary domain keeps the last 5 minutes at full resolution and the rest of the
//! retention period (an hour by default) as bucket averages (10 s at a 1 s interval), 2 bytes
//! per value before packing. Blocks of 32 rows are packed column by column (`blocks`), so an
//! hour of an idle domain costs about 4 KB including bookkeeping, and one whose every value
//! changes every second about 8 KB (`cargo bench --bench stats_memory`). A domain whose page
//! is open can keep everything at full resolution ([`StatsStore::set_detailed`]); host totals
//! always do.

mod aggregate;
mod blocks;
mod codec;
mod history;
mod metric;
mod query;
mod rates;
mod retention;
pub mod sample;
mod store;

pub use aggregate::{FleetRates, HostRates};
pub use metric::{Availability, GapReason, HostMetric, Metric, Reading, Unit};
pub use query::{Series, SeriesPoint, StaleTail, Window};
pub use retention::{
    COARSE_BUCKETS, FINE_SLOTS, MAX_HISTORY_MINUTES, MAX_INTERVAL_SECS, Retention, RetentionError,
};
pub use sample::{DomainCounters, HostCounters, StatsGroups, TickSample};
pub use store::{BusyVm, Scope, StatsStore, VmRates};

//! What the performance views show, GTK-free: the four charts of a machine, a host or the
//! whole fleet (CPU, memory, disk, network) built from the statistics store with their
//! headline value, legend, staleness and accessible text; the "busiest machines" rankings;
//! hover read-out text; and the pacing of chart redraws after statistics ticks.
//!
//! Use from the UI: [`Panel::build`] for each chart of a [`Target`] on every redraw, then draw
//! `panel.model` with [`crate::charts::render_chart`] and put `headline`, `caption`, `status`
//! and `accessible` into labels. [`busiest`] ranks machines for a host page or the fleet;
//! a [`RedrawPacer`] keeps a fleet of many hosts from redrawing charts once per host tick.

mod busiest;
mod pacer;
mod panel;
mod text;

pub use busiest::{BusyEntry, Ranking, busiest};
pub use pacer::{Pace, RedrawPacer};
pub use panel::{ChartKind, Panel, Target};
pub use text::{readout_text, window_label};

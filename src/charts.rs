//! Charts of statistics, GTK-free: a model (axes with nice ticks, units, time window, gaps,
//! stale tail, "not available", legend, hover read-out) and its drawing with plotters onto a
//! cairo context, as a full chart or a table-cell sparkline.
//!
//! Use from a `gtk::DrawingArea` draw function: take a [`Series`](crate::stats::Series) from
//! the stats store, build a [`ChartModel`] and call [`render_chart`] with the widget's size
//! and a [`ChartStyle`] made from the current colours; keep the returned [`ChartLayout`] to
//! turn the pointer's x into [`ChartModel::readout`].

mod model;
mod render;
mod scale;
mod style;
mod units;

pub use model::{
    ChartLine, ChartModel, ChartPoint, ChartState, LegendEntry, Readout, ReadoutEntry, StaleSegment,
};
pub use render::{ChartLayout, RenderError, render_chart, render_sparkline};
pub use scale::{TimeAxis, ValueAxis};
pub use style::{ACCENT_BLUE, ChartStyle, Rgba, SparklineStyle};
pub use units::{UnitScale, format_age, format_reading, format_time_offset, format_value};

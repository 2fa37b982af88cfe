//! Drawing charts onto a cairo context: the full chart with plotters (grid, axis labels, soft
//! area fill under each line, legend, greyed stale tail, "not available" message) and the
//! sparkline of a table cell with cairo alone. Gaps break lines; the stale tail is dashed over
//! a grey shade.

use std::fmt;
use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_cairo::CairoBackend;

use super::model::{ChartModel, ChartState};
use super::style::{ChartStyle, SparklineStyle};
use crate::stats::Series;
use line::draw_line;
use sparkline::draw_sparkline;

mod line;
mod sparkline;

/// Drawing failed in cairo (e.g. the surface is in an error state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError(String);

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "chart drawing failed: {}", self.0)
    }
}

impl std::error::Error for RenderError {}

impl From<cairo::Error> for RenderError {
    fn from(error: cairo::Error) -> Self {
        Self(error.to_string())
    }
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for RenderError {
    fn from(error: DrawingAreaErrorKind<E>) -> Self {
        Self(error.to_string())
    }
}

/// Where a full chart put its plot, to map the pointer to a time (hover read-outs) and data
/// to pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartLayout {
    /// The plot rectangle in pixels: x from `left` to `right`, y from `top` (the axis
    /// maximum) to `bottom` (zero).
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
    length_secs: f64,
    max: f64,
}

impl ChartLayout {
    /// Seconds from the window's start at pixel column `x`, `None` outside the plot.
    pub fn secs_at(&self, x: f64) -> Option<f64> {
        (self.left..=self.right)
            .contains(&x)
            .then(|| (x - self.left) / (self.right - self.left).max(1.0) * self.length_secs)
    }

    /// The pixel column of `secs` from the window's start.
    pub fn x_of(&self, secs: f64) -> f64 {
        self.left + secs / self.length_secs.max(f64::EPSILON) * (self.right - self.left)
    }

    /// The pixel row of `value`.
    pub fn y_of(&self, value: f64) -> f64 {
        self.bottom - value / self.max.max(f64::EPSILON) * (self.bottom - self.top)
    }
}

type Plot<'a, 'b> = ChartContext<'a, CairoBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Draws `model` into the `size` (pixels) rectangle at the origin of `cr`'s user space. The
/// context's state (transform, clip, source) is the same afterwards.
pub fn render_chart(
    cr: &cairo::Context,
    size: (u32, u32),
    model: &ChartModel,
    style: &ChartStyle,
) -> Result<ChartLayout, RenderError> {
    // Cairo's fast antialiasing (a coarser coverage grid) draws dense, noisy lines 3–4× faster
    // than the default and looks the same at chart line widths; text has its own options.
    isolated(cr, size, cairo::Antialias::Fast, |cr| {
        draw_chart(cr, size, model, style)
    })
}

/// Draws a sparkline of `series` into the `size` rectangle at the origin of `cr`'s user space:
/// no axes, CPU at 0–100 %, other units scaled to their data.
pub fn render_sparkline(
    cr: &cairo::Context,
    size: (u32, u32),
    series: &Series,
    style: &SparklineStyle,
) -> Result<(), RenderError> {
    // The sparkline picks its antialiasing per part; the default is for its dot.
    isolated(cr, size, cairo::Antialias::Default, |cr| {
        draw_sparkline(cr, size, series, style)
    })
}

/// Runs `draw` with the context's state saved, `antialias` set and a clip of exactly `size`
/// (plotters scales the context by clip extents ÷ size, so the clip must match the size for
/// 1:1 pixels; a sparkline must not spill out of its cell).
fn isolated<T>(
    cr: &cairo::Context,
    size: (u32, u32),
    antialias: cairo::Antialias,
    draw: impl FnOnce(&cairo::Context) -> Result<T, RenderError>,
) -> Result<T, RenderError> {
    // An empty area would make plotters scale by infinity, which puts the caller's context
    // into a permanent error state.
    if size.0 == 0 || size.1 == 0 {
        return Err(RenderError(format!("empty area {}×{}", size.0, size.1)));
    }
    cr.save()?;
    cr.reset_clip();
    cr.rectangle(0.0, 0.0, f64::from(size.0), f64::from(size.1));
    cr.clip();
    cr.set_antialias(antialias);
    let result = draw(cr);
    cr.restore()?;
    result
}

/// The drawing area for `size`, with plotters' one-time context set-up done now (outside any
/// save/restore pair that would undo it).
fn drawing_area<'b>(
    cr: &'b cairo::Context,
    size: (u32, u32),
) -> Result<DrawingArea<CairoBackend<'b>, Shift>, RenderError> {
    let mut backend =
        CairoBackend::new(cr, size).map_err(|error| RenderError(error.to_string()))?;
    backend
        .ensure_prepared()
        .map_err(|error| RenderError(error.to_string()))?;
    Ok(backend.into_drawing_area())
}

fn draw_chart(
    cr: &cairo::Context,
    size: (u32, u32),
    model: &ChartModel,
    style: &ChartStyle,
) -> Result<ChartLayout, RenderError> {
    let root = drawing_area(cr, size)?;
    if let Some(background) = style.background {
        root.fill(&background.to_plotters())?;
    }
    let font_size = style.font_size.max(1.0);
    let text_color = style.text.to_plotters();
    let font = (style.font_family.as_str(), font_size)
        .into_font()
        .color(&text_color);
    let axis = &model.value_axis;
    // Without values from this hypervisor, a value scale would only suggest there could be.
    let labels: Vec<(f64, String)> = if model.hides_values() {
        Vec::new()
    } else {
        axis.ticks().map(|tick| (tick, axis.label(tick))).collect()
    };
    let label_width = labels
        .iter()
        .filter_map(|(_, label)| root.estimate_text_size(label, &font).ok())
        .map(|(width, _)| width)
        .max()
        .unwrap_or(0);
    let has_legend = style.legend && model.state == ChartState::Data;
    let top_margin = if has_legend {
        font_size * 1.8
    } else {
        font_size * 0.7
    };
    let length = model.length_secs().max(f64::EPSILON);
    let mut chart = ChartBuilder::on(&root)
        .margin_top(top_margin.ceil() as u32)
        .margin_right((font_size * 1.2).ceil() as u32)
        .margin_left(4)
        .x_label_area_size((font_size * 1.8).ceil() as u32)
        .y_label_area_size(label_width + 10)
        .build_cartesian_2d(0.0..length, 0.0..axis.max)?;
    let (x_pixels, y_pixels) = chart.plotting_area().get_pixel_range();
    let layout = ChartLayout {
        left: f64::from(x_pixels.start),
        top: f64::from(y_pixels.start),
        right: f64::from(x_pixels.end - 1),
        bottom: f64::from(y_pixels.end - 1),
        length_secs: length,
        max: axis.max,
    };

    draw_grid(&root, &mut chart, model, &labels, &font, style)?;
    if let Some(message) = model.message() {
        let center = (
            (x_pixels.start + x_pixels.end) / 2,
            (y_pixels.start + y_pixels.end) / 2,
        );
        root.draw(&Text::new(
            message,
            center,
            font.pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
        return Ok(layout);
    }

    with_clip(cr, &x_pixels, &y_pixels, || {
        if let Some(stale) = model.lines.iter().find_map(|line| line.stale) {
            let shade = style.stale.with_alpha(0.12).to_plotters().filled();
            chart.draw_series(std::iter::once(Rectangle::new(
                [(stale.from_x, 0.0), (stale.to_x, axis.max)],
                shade,
            )))?;
        }
        // The first line is drawn last, on top.
        for (index, line) in model.lines.iter().enumerate().rev() {
            let color = style.lines[index.min(1)];
            draw_line(
                &mut chart,
                line,
                color,
                style.fill_alpha,
                style.line_width,
                style.stale,
            )?;
        }
        Ok(())
    })?;
    if has_legend {
        draw_legend(&root, model, style, &font, x_pixels.start)?;
    }
    Ok(layout)
}

/// Clips to the plot rectangle while `draw` runs, so lines and fills stay inside the frame.
fn with_clip(
    cr: &cairo::Context,
    x_pixels: &Range<i32>,
    y_pixels: &Range<i32>,
    draw: impl FnOnce() -> Result<(), RenderError>,
) -> Result<(), RenderError> {
    cr.save()?;
    cr.rectangle(
        f64::from(x_pixels.start),
        f64::from(y_pixels.start),
        f64::from(x_pixels.end - x_pixels.start),
        f64::from(y_pixels.end - y_pixels.start),
    );
    cr.clip();
    let result = draw();
    cr.restore()?;
    result
}

fn draw_grid(
    root: &DrawingArea<CairoBackend<'_>, Shift>,
    chart: &mut Plot<'_, '_>,
    model: &ChartModel,
    labels: &[(f64, String)],
    font: &TextStyle<'_>,
    style: &ChartStyle,
) -> Result<(), RenderError> {
    let grid = style.grid.to_plotters().stroke_width(1);
    let length = model.length_secs();
    let max = model.value_axis.max;
    chart.draw_series(
        labels
            .iter()
            .map(|(tick, _)| PathElement::new(vec![(0.0, *tick), (length, *tick)], grid)),
    )?;
    let time_ticks: Vec<u64> = model.time_axis.ticks().collect();
    chart.draw_series(time_ticks.iter().map(|before_end| {
        let x = length - *before_end as f64;
        PathElement::new(vec![(x, 0.0), (x, max)], grid)
    }))?;
    for (tick, label) in labels {
        let (x, y) = chart.backend_coord(&(0.0, *tick));
        root.draw(&Text::new(
            label.as_str(),
            (x - 6, y),
            font.pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    // Labels from "now" backwards; one that would touch an already drawn label is left out
    // (a narrow chart keeps every grid line but not every label).
    let mut taken: Vec<(i32, i32)> = Vec::new();
    let gap = (font_size_of(style) * 0.5).round() as i32;
    for before_end in time_ticks {
        let x_secs = length - before_end as f64;
        let (x, y) = chart.backend_coord(&(x_secs, 0.0));
        let label = model.time_axis.label(before_end);
        let width = root
            .estimate_text_size(&label, font)
            .map_or(0, |(width, _)| i32::try_from(width).unwrap_or(0));
        // The end labels sit inside the plot's width so they are not cut off.
        let (anchor, left) = if before_end == 0 {
            (HPos::Right, x - width)
        } else if x_secs <= 0.0 {
            (HPos::Left, x)
        } else {
            (HPos::Center, x - width / 2)
        };
        let span = (left - gap, left + width + gap);
        if taken
            .iter()
            .any(|(from, to)| span.0 < *to && *from < span.1)
        {
            continue;
        }
        taken.push(span);
        root.draw(&Text::new(
            label,
            (x, y + 5),
            font.pos(Pos::new(anchor, VPos::Top)),
        ))?;
    }
    Ok(())
}

fn font_size_of(style: &ChartStyle) -> f64 {
    style.font_size.max(1.0)
}

/// Colour swatches, names and current values above the plot's top-left corner.
fn draw_legend(
    root: &DrawingArea<CairoBackend<'_>, Shift>,
    model: &ChartModel,
    style: &ChartStyle,
    font: &TextStyle<'_>,
    left: i32,
) -> Result<(), RenderError> {
    let font_size = style.font_size.max(1.0);
    let swatch = (font_size * 0.8).round() as i32;
    let baseline = (font_size * 0.9).round() as i32;
    let mut x = left;
    for entry in model.legend() {
        let color = style.lines[entry.color_index].to_plotters().filled();
        root.draw(&Rectangle::new(
            [
                (x, baseline - swatch / 2),
                (x + swatch, baseline + swatch / 2),
            ],
            color,
        ))?;
        x += swatch + 4;
        let text = match entry.label {
            Some(label) => format!("{label} {}", entry.value_text),
            None => entry.value_text,
        };
        let width = root
            .estimate_text_size(&text, font)
            .map_or(0, |(width, _)| width);
        root.draw(&Text::new(
            text,
            (x, baseline),
            font.pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += i32::try_from(width).unwrap_or(0) + (font_size * 1.2).round() as i32;
    }
    Ok(())
}

//! The sparkline of a table cell, drawn with cairo directly: a line with a soft fill per run of
//! values, a dot for a lone value, and the stale tail dashed over a grey shade. Cells have no
//! axes or labels, so plotters brings nothing here, and drawing directly lets each part choose
//! its antialiasing: almost all of a sparkline's cost is cairo rasterizing the fill and the
//! line, paid for every visible cell every second and for every row scrolled into view.

use std::f64::consts::TAU;

use super::RenderError;
use crate::charts::model::{ChartLine, ChartPoint};
use crate::charts::scale::ValueAxis;
use crate::charts::style::{Rgba, SparklineStyle};
use crate::stats::{Series, Unit};

/// One pixel of margin on every side, so a line at 0 % or 100 % is not cut in half.
const MARGIN: f64 = 1.0;
const STALE_DASH: [f64; 2] = [6.0, 4.0];

/// Maps seconds into the window and values onto the cell's pixels.
struct Mapping {
    width: f64,
    bottom: f64,
    height: f64,
    length: f64,
    top: f64,
}

impl Mapping {
    fn x(&self, secs: f64) -> f64 {
        MARGIN + secs / self.length * self.width
    }

    fn y(&self, value: f64) -> f64 {
        self.bottom - value.clamp(0.0, self.top) / self.top * self.height
    }
}

/// `y` moved by under half a pixel so that a level line `line_width` thick covers whole pixel
/// rows. A 1 px line between two rows is drawn as two rows at half strength: in the dark
/// palette, a dull line hardly apart from its fill.
fn on_pixel_rows(y: f64, line_width: f64) -> f64 {
    let half = line_width / 2.0;
    (y - half).round() + half
}

fn set_colour(cr: &cairo::Context, colour: Rgba) {
    cr.set_source_rgba(colour.red, colour.green, colour.blue, colour.alpha);
}

/// Draws `series` into the `size` rectangle at the origin of `cr`'s user space: CPU at
/// 0–100 %, other units scaled to their data.
pub(super) fn draw_sparkline(
    cr: &cairo::Context,
    size: (u32, u32),
    series: &Series,
    style: &SparklineStyle,
) -> Result<(), RenderError> {
    let line = ChartLine::from_series(series, None);
    // No labels to keep round: CPU is 0–100 %, anything else fills the height (above a floor,
    // so an idle domain's few bytes stay a flat line at the bottom).
    let top = match series.unit {
        Unit::Percent => 100.0,
        unit => {
            let floor = ValueAxis::for_data(unit, None).max;
            line.max_value().map_or(floor, |max| (max * 1.1).max(floor))
        }
    };
    let (width, height) = (f64::from(size.0), f64::from(size.1));
    let map = Mapping {
        width: (width - 2.0 * MARGIN).max(0.0),
        bottom: height - MARGIN,
        height: (height - 2.0 * MARGIN).max(0.0),
        length: series.window.length.as_secs_f64().max(f64::EPSILON),
        top: top.max(f64::EPSILON),
    };
    let line_width = f64::from(style.line_width.max(1));
    cr.set_line_width(line_width);
    if let Some(stale) = line.stale {
        set_colour(cr, style.stale.with_alpha(0.15));
        let (from, to) = (map.x(stale.from_x), map.x(stale.to_x));
        cr.rectangle(from, MARGIN, to - from, map.height);
        cr.fill()?;
    }
    for run in line.runs() {
        draw_run(cr, &map, run, style, line_width)?;
    }
    if let Some(stale) = line.stale
        && let Some(value) = stale.value
    {
        set_colour(cr, style.stale);
        cr.set_dash(&STALE_DASH, 0.0);
        let y = on_pixel_rows(map.y(value), line_width);
        cr.move_to(map.x(stale.from_x), y);
        cr.line_to(map.x(stale.to_x), y);
        cr.stroke()?;
        cr.set_dash(&[], 0.0);
    }
    Ok(())
}

/// One unbroken run of values: fill down to the baseline, then the line over it; a lone value
/// is a dot.
fn draw_run(
    cr: &cairo::Context,
    map: &Mapping,
    run: &[ChartPoint],
    style: &SparklineStyle,
    line_width: f64,
) -> Result<(), RenderError> {
    let points = || {
        run.iter()
            .filter_map(|point| Some((map.x(point.x), map.y(point.value?))))
    };
    let mut iter = points();
    let Some((first_x, first_y)) = iter.next() else {
        return Ok(());
    };
    if run.len() == 1 {
        set_colour(cr, style.line);
        cr.arc(first_x, first_y, line_width, 0.0, TAU);
        cr.fill()?;
        return Ok(());
    }
    if style.fill_alpha > 0.0 {
        cr.move_to(first_x, map.bottom);
        let mut last_x = first_x;
        for (x, y) in points() {
            cr.line_to(x, y);
            last_x = x;
        }
        cr.line_to(last_x, map.bottom);
        cr.close_path();
        set_colour(cr, style.line.with_alpha(style.fill_alpha));
        // The fill's ragged top edge lies under the line, so it needs no antialiasing.
        let antialias = cr.antialias();
        cr.set_antialias(cairo::Antialias::None);
        let filled = cr.fill();
        cr.set_antialias(antialias);
        filled?;
    }
    // Cairo's fast antialiasing: at 1–2 px no visible difference from the default (compared
    // side by side on noisy data), at under half the cost.
    cr.set_antialias(cairo::Antialias::Fast);
    cr.move_to(first_x, on_pixel_rows(first_y, line_width));
    for (x, y) in iter {
        cr.line_to(x, on_pixel_rows(y, line_width));
    }
    set_colour(cr, style.line);
    cr.stroke()?;
    Ok(())
}

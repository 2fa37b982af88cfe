//! Drawing one chart line: per run of values a soft fill and a stroke, a lone value as a dot,
//! and the stale tail dashed at the last value. Runs denser than the pixels (an hour of
//! seconds in a few hundred columns) are drawn as the band between each column's lowest and
//! highest value: the same picture as the zig-zag through every point, at a fraction of
//! cairo's cost (its rasterizer slows down with many overlapping long edges).

use plotters::prelude::*;

use super::{Plot, RenderError};
use crate::charts::model::{ChartLine, ChartPoint};
use crate::charts::style::Rgba;

/// What one pixel column of a dense run covers.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Column {
    x: f64,
    low: f64,
    high: f64,
}

/// The columns of `run` at `pixels_per_sec`. A column's x is its centre, except at the run's
/// ends, which keep their points' own x so gaps start and end where the data does.
fn columns(run: &[ChartPoint], pixels_per_sec: f64, out: &mut Vec<Column>) {
    out.clear();
    let mut current: Option<(i64, Column)> = None;
    for point in run {
        let Some(value) = point.value else { continue };
        let index = (point.x * pixels_per_sec).floor() as i64;
        match &mut current {
            Some((at, column)) if *at == index => {
                column.low = column.low.min(value);
                column.high = column.high.max(value);
            }
            _ => {
                if let Some((_, column)) = current.take() {
                    out.push(column);
                }
                let centre = (index as f64 + 0.5) / pixels_per_sec;
                let x = if out.is_empty() { point.x } else { centre };
                current = Some((
                    index,
                    Column {
                        x,
                        low: value,
                        high: value,
                    },
                ));
            }
        }
    }
    if let Some((_, column)) = current {
        out.push(column);
    }
    if let (Some(last_column), Some(last_point)) = (out.last_mut(), run.last()) {
        last_column.x = last_point.x;
    }
}

/// Draws `line` in `color` with a fill of `fill_alpha` under it, then its stale tail.
pub(super) fn draw_line(
    chart: &mut Plot<'_, '_>,
    line: &ChartLine,
    color: Rgba,
    fill_alpha: f64,
    width: u32,
    stale_color: Rgba,
) -> Result<(), RenderError> {
    let stroke = color.to_plotters().stroke_width(width.max(1));
    let fill = color.with_alpha(fill_alpha).to_plotters().filled();
    let (x_pixels, _) = chart.plotting_area().get_pixel_range();
    let x_range = chart.x_range();
    let pixels_per_sec =
        f64::from(x_pixels.end - x_pixels.start) / (x_range.end - x_range.start).max(f64::EPSILON);
    let mut dense = Vec::new();
    for run in line.runs() {
        columns(run, pixels_per_sec, &mut dense);
        if let [point] = run {
            let value = point.value.unwrap_or_default();
            let dot = color.to_plotters().filled();
            chart.draw_series(std::iter::once(Circle::new(
                (point.x, value),
                width.max(1),
                dot,
            )))?;
            continue;
        }
        let upper: Vec<(f64, f64)> = if run.len() > 2 * dense.len() {
            dense.iter().map(|column| (column.x, column.high)).collect()
        } else {
            run.iter()
                .filter_map(|point| Some((point.x, point.value?)))
                .collect()
        };
        if fill_alpha > 0.0 {
            chart.draw_series(std::iter::once(Polygon::new(with_baseline(&upper), fill)))?;
        }
        if run.len() > 2 * dense.len() {
            let lower: Vec<(f64, f64)> =
                dense.iter().map(|column| (column.x, column.low)).collect();
            let band: Vec<(f64, f64)> = upper.iter().chain(lower.iter().rev()).copied().collect();
            chart.draw_series(std::iter::once(Polygon::new(
                band,
                color.to_plotters().filled(),
            )))?;
            chart.draw_series(std::iter::once(PathElement::new(lower, stroke)))?;
        }
        chart.draw_series(std::iter::once(PathElement::new(upper, stroke)))?;
    }
    if let Some(stale) = line.stale
        && let Some(value) = stale.value
    {
        let dashes = stale_color.to_plotters().stroke_width(width.max(1));
        chart.draw_series(DashedLineSeries::new(
            [(stale.from_x, value), (stale.to_x, value)],
            6,
            4,
            dashes,
        ))?;
    }
    Ok(())
}

/// The outline of the area under `line`: the line, then down to zero and back.
fn with_baseline(line: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut area = Vec::with_capacity(line.len() + 2);
    area.extend_from_slice(line);
    if let (Some(&(first, _)), Some(&(last, _))) = (line.first(), line.last()) {
        area.extend([(last, 0.0), (first, 0.0)]);
    }
    area
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(values: &[(f64, f64)]) -> Vec<ChartPoint> {
        values
            .iter()
            .map(|(x, value)| ChartPoint {
                x: *x,
                value: Some(*value),
            })
            .collect()
    }

    #[test]
    fn columns_keep_each_pixels_lowest_and_highest_value() {
        // 4 points per pixel at 1 pixel per second.
        let points = run(&[
            (0.0, 5.0),
            (0.25, 9.0),
            (0.5, 1.0),
            (0.75, 4.0),
            (1.0, 7.0),
            (1.25, 7.0),
            (1.5, 2.0),
            (1.9, 3.0),
        ]);
        let mut out = Vec::new();
        columns(&points, 1.0, &mut out);
        assert_eq!(
            out,
            [
                Column {
                    x: 0.0,
                    low: 1.0,
                    high: 9.0
                },
                Column {
                    x: 1.9,
                    low: 2.0,
                    high: 7.0
                }
            ]
        );
    }
}

//! Chart drawing checked pixel by pixel: lines sit where the data says, gaps leave columns
//! empty, the stale tail is drawn in the stale colour, "not available" draws a message and no
//! line, sparklines follow the same rules, and the caller's cairo state is left unchanged.

#[path = "charts_support/series.rs"]
mod support;

use std::time::Instant;

use hangar::charts::{
    ChartLayout, ChartModel, ChartStyle, Rgba, SparklineStyle, render_chart, render_sparkline,
};
use hangar::stats::{Availability, Unit};
use support::{Pixels, bluish, canvas, dark, reddish, series, stale_after};

const RED: Rgba = Rgba::rgb8(255, 0, 0);
const BLUE: Rgba = Rgba::rgb8(0, 0, 255);
const MIB: f32 = 1024.0 * 1024.0;

fn style() -> ChartStyle {
    ChartStyle {
        lines: [RED, BLUE],
        stale: BLUE,
        text: Rgba::rgb8(0, 0, 0),
        legend: false,
        ..ChartStyle::light(RED)
    }
}

fn draw(name: &str, model: &ChartModel, style: &ChartStyle) -> (ChartLayout, Pixels) {
    let (surface, cr) = canvas(600, 200);
    let layout = render_chart(&cr, (600, 200), model, style).expect("drawn");
    drop(cr);
    let pixels = Pixels::of(surface);
    pixels.dump(name);
    (layout, pixels)
}

fn column(layout: &ChartLayout, secs: f64) -> usize {
    layout.x_of(secs).round() as usize
}

#[test]
fn a_constant_half_load_is_drawn_at_mid_height() {
    let now = Instant::now();
    let model = ChartModel::new(&series(Unit::Percent, now, 60, |_| Some(50.0)));
    let (layout, pixels) = draw("half", &model, &style());
    let mid = layout.y_of(50.0);
    assert!(
        (mid - (layout.top + layout.bottom) / 2.0).abs() < 1.0,
        "50 % is mid-height"
    );
    for secs in [1.0, 15.0, 30.0, 45.0, 59.0] {
        let rows = pixels.rows_where(column(&layout, secs), reddish);
        assert!(!rows.is_empty(), "no line at {secs} s");
        for row in rows {
            assert!(
                (row as f64 - mid).abs() <= 2.0,
                "line pixel at row {row}, expected {mid}"
            );
        }
    }
    // Nothing red outside the plot.
    assert!(!pixels.any_in(0..(layout.left as usize - 1), 0..200, reddish));
}

#[test]
fn the_line_follows_the_values() {
    let now = Instant::now();
    // A ramp from 0 % to 100 % over the minute (100/60 % per second).
    let model = ChartModel::new(&series(Unit::Percent, now, 60, |t| {
        Some(t as f32 * 100.0 / 60.0)
    }));
    let (layout, pixels) = draw("ramp", &model, &style());
    for secs in [6.0, 18.0, 30.0, 42.0, 54.0] {
        let expected = layout.y_of(secs * 100.0 / 60.0);
        let rows = pixels.rows_where(column(&layout, secs), reddish);
        assert!(!rows.is_empty(), "no line at {secs} s");
        let mean = rows.iter().sum::<usize>() as f64 / rows.len() as f64;
        assert!(
            (mean - expected).abs() <= 2.5,
            "at {secs} s: row {mean}, expected {expected}"
        );
    }
}

#[test]
fn a_gap_leaves_its_columns_without_line_or_fill() {
    let now = Instant::now();
    let model = ChartModel::new(&series(Unit::Percent, now, 60, |t| {
        (!(21..40).contains(&t)).then_some(70.0)
    }));
    let mut style = style();
    style.fill_alpha = 0.3;
    let (layout, pixels) = draw("gap", &model, &style);
    let gap = column(&layout, 23.0)..column(&layout, 38.0);
    let plot_rows = layout.top as usize..layout.bottom as usize;
    // No line, and no fill either (pale red) inside the gap.
    let tinted = |(r, g, b, _): (u8, u8, u8, u8)| r > 200 && g < 235 && b < 235 && r > g + 15;
    assert!(!pixels.any_in(gap.clone(), plot_rows.clone(), reddish));
    assert!(!pixels.any_in(gap, plot_rows.clone(), tinted));
    for secs in [5.0, 15.0, 45.0, 55.0] {
        assert!(
            !pixels.rows_where(column(&layout, secs), reddish).is_empty(),
            "{secs} s"
        );
        let below = (layout.y_of(70.0) as usize + 4)..(layout.bottom as usize - 2);
        let x = column(&layout, secs);
        assert!(
            pixels.any_in(x..x + 1, below, tinted),
            "fill under the line at {secs} s"
        );
    }
}

#[test]
fn the_stale_tail_is_drawn_dashed_in_the_stale_colour() {
    let now = Instant::now();
    let model = ChartModel::new(&stale_after(
        series(Unit::Percent, now, 60, |_| Some(40.0)),
        40,
    ));
    let (layout, pixels) = draw("stale", &model, &style());
    let row = layout.y_of(40.0);
    let near = |rows: Vec<usize>| rows.iter().any(|r| (*r as f64 - row).abs() <= 2.0);
    let tail: Vec<usize> = (column(&layout, 42.0)..column(&layout, 58.0)).collect();
    let dashed = tail
        .iter()
        .filter(|x| near(pixels.rows_where(**x, bluish)))
        .count();
    assert!(
        tail.iter()
            .all(|x| pixels.rows_where(*x, reddish).is_empty()),
        "no fresh line"
    );
    assert!(
        dashed > tail.len() / 3,
        "dashes: {dashed} of {}",
        tail.len()
    );
    assert!(dashed < tail.len(), "a dashed line has breaks");
    assert!(near(pixels.rows_where(column(&layout, 20.0), reddish)));
}

#[test]
fn not_available_draws_a_message_and_no_line() {
    let now = Instant::now();
    let mut unavailable = series(Unit::BytesPerSecond, now, 60, |_| None);
    unavailable.availability = Availability::NotAvailable;
    let model = ChartModel::new(&unavailable);
    let (layout, pixels) = draw("not_available", &model, &style());
    assert!(!pixels.any_in(0..600, 0..200, reddish));
    let middle_x = ((layout.left + layout.right) / 2.0) as usize;
    let middle_y = ((layout.top + layout.bottom) / 2.0) as usize;
    assert!(
        pixels.any_in(
            middle_x - 60..middle_x + 60,
            middle_y - 6..middle_y + 6,
            dark
        ),
        "the message is written in the middle"
    );
}

#[test]
fn paired_series_are_drawn_in_their_own_colours_on_one_scale() {
    let now = Instant::now();
    let read = series(Unit::BytesPerSecond, now, 60, |_| Some(MIB));
    let write = series(Unit::BytesPerSecond, now, 60, |_| Some(3.0 * MIB));
    let model = ChartModel::disk(&read, &write);
    assert_eq!(model.value_axis.max, 4.0 * f64::from(MIB));
    let mut style = style();
    style.legend = true;
    style.stale = Rgba::rgb8(128, 128, 128);
    let (layout, pixels) = draw("paired", &model, &style);
    let x = column(&layout, 30.0);
    let red_rows = pixels.rows_where(x, reddish);
    let blue_rows = pixels.rows_where(x, bluish);
    assert!(
        red_rows
            .iter()
            .all(|r| (*r as f64 - layout.y_of(f64::from(MIB))).abs() <= 2.0)
    );
    assert!(
        blue_rows
            .iter()
            .all(|r| (*r as f64 - layout.y_of(3.0 * f64::from(MIB))).abs() <= 2.0)
    );
    assert!(!red_rows.is_empty() && !blue_rows.is_empty());
    // Legend swatches above the plot, in both colours.
    let legend_rows = 0..layout.top as usize;
    assert!(pixels.any_in(0..300, legend_rows.clone(), reddish));
    assert!(pixels.any_in(0..300, legend_rows, bluish));
}

#[test]
fn the_callers_cairo_state_is_left_as_it_was() {
    let now = Instant::now();
    let model = ChartModel::new(&series(Unit::Percent, now, 60, |_| Some(50.0)));
    let (surface, cr) = canvas(700, 300);
    cr.translate(50.0, 40.0);
    cr.rectangle(0.0, 0.0, 600.0, 200.0);
    cr.clip();
    let matrix = cr.matrix();
    let clip = cr.clip_extents().expect("clip");
    let layout = render_chart(&cr, (600, 200), &model, &style()).expect("drawn");
    assert_eq!(cr.matrix(), matrix);
    assert_eq!(cr.clip_extents().expect("clip"), clip);
    drop(cr);
    let pixels = Pixels::of(surface);
    // Drawn in the translated user space: the line is 50 px right and 40 px down.
    let rows = pixels.rows_where(column(&layout, 30.0) + 50, reddish);
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| (*r as f64 - (layout.y_of(50.0) + 40.0)).abs() <= 2.0)
    );
}

#[test]
fn layouts_map_pointer_columns_to_times() {
    let now = Instant::now();
    let model = ChartModel::new(&series(Unit::Percent, now, 60, |_| Some(50.0)));
    let (layout, _) = draw("layout", &model, &style());
    assert_eq!(layout.secs_at(layout.left), Some(0.0));
    assert_eq!(layout.secs_at(layout.right), Some(60.0));
    assert!(layout.secs_at(layout.left - 1.0).is_none());
    let middle = layout
        .secs_at((layout.left + layout.right) / 2.0)
        .expect("inside");
    assert!((middle - 30.0).abs() < 1e-9);
    let readout = model.readout(middle);
    assert_eq!(readout.entries[0].value, Some(50.0));
}

fn sparkline(name: &str, series: &hangar::stats::Series) -> Pixels {
    let (surface, cr) = canvas(120, 24);
    let style = SparklineStyle {
        stale: BLUE,
        ..SparklineStyle::new(RED)
    };
    render_sparkline(&cr, (120, 24), series, &style).expect("drawn");
    drop(cr);
    let pixels = Pixels::of(surface);
    pixels.dump(name);
    pixels
}

#[test]
fn sparklines_draw_the_level_gaps_and_stale_tail() {
    let now = Instant::now();
    let half = sparkline(
        "spark_half",
        &series(Unit::Percent, now, 60, |_| Some(50.0)),
    );
    for x in [10, 60, 110] {
        let rows = half.rows_where(x, reddish);
        assert!(!rows.is_empty(), "column {x}");
        assert!(
            rows.iter().all(|r| (10..=13).contains(r)),
            "column {x}: {rows:?}"
        );
        // A level line fills one pixel row at full strength, not two rows at half strength.
        let full = half.rows_where(x, |pixel| pixel == (255, 0, 0, 255));
        assert_eq!(full.len(), 1, "column {x}: {full:?} of {rows:?}");
    }

    let gapped = sparkline(
        "spark_gap",
        &series(Unit::Percent, now, 60, |t| {
            (!(20..40).contains(&t)).then_some(80.0)
        }),
    );
    // Columns of seconds 22..38: x ≈ 1 + t × 118 / 60.
    assert!(!gapped.any_in(46..74, 0..24, reddish));
    assert!(gapped.any_in(10..30, 0..24, reddish));

    let stale = sparkline(
        "spark_stale",
        &stale_after(series(Unit::Percent, now, 60, |_| Some(50.0)), 30),
    );
    assert!(!stale.any_in(65..118, 0..24, reddish));
    assert!(stale.any_in(65..118, 10..14, bluish));
    assert!(stale.any_in(5..55, 10..14, reddish));
}

#[test]
fn a_throughput_sparkline_scales_to_its_data() {
    let now = Instant::now();
    // Steady 5 MiB/s with one 10 MiB/s second: the peak reaches near the top.
    let pixels = sparkline(
        "spark_bytes",
        &series(Unit::BytesPerSecond, now, 60, |t| {
            Some(if t == 30 { 10.0 * MIB } else { 5.0 * MIB })
        }),
    );
    assert!(pixels.any_in(55..65, 0..6, reddish), "peak near the top");
    assert!(
        pixels.any_in(10..20, 9..15, reddish),
        "steady level near the middle"
    );
}

#[test]
fn dense_noisy_data_covers_each_columns_full_range() {
    let now = Instant::now();
    // An hour of seconds, far more points than pixels: alternating 20 % and 80 % every
    // second, except a calm quarter at 50 %.
    let noisy = series(Unit::Percent, now, 3600, |t| {
        Some(if (1800..2700).contains(&t) {
            50.0
        } else if t % 2 == 0 {
            20.0
        } else {
            80.0
        })
    });
    let model = ChartModel::new(&noisy);
    let (layout, pixels) = draw("dense", &model, &style());
    for secs in [300.0, 900.0, 1500.0, 3000.0, 3500.0] {
        let rows = pixels.rows_where(column(&layout, secs), reddish);
        let (top, bottom) = (rows.iter().min().copied(), rows.iter().max().copied());
        let (Some(top), Some(bottom)) = (top, bottom) else {
            panic!("no line at {secs} s");
        };
        assert!(
            (top as f64 - layout.y_of(80.0)).abs() <= 2.0,
            "{secs} s: top {top}"
        );
        assert!(
            (bottom as f64 - layout.y_of(20.0)).abs() <= 2.0,
            "{secs} s: bottom {bottom}"
        );
    }
    let calm = pixels.rows_where(column(&layout, 2200.0), reddish);
    assert!(!calm.is_empty());
    assert!(
        calm.iter()
            .all(|row| (*row as f64 - layout.y_of(50.0)).abs() <= 2.0)
    );
}

#[test]
fn degenerate_sizes_draw_nothing_without_failing_the_caller() {
    let now = Instant::now();
    let cpu = series(Unit::Percent, now, 60, |_| Some(50.0));
    let model = ChartModel::new(&cpu);
    for (width, height) in [(0, 0), (1, 1), (30, 10), (600, 3)] {
        let (_surface, cr) = canvas(width.max(1), height.max(1));
        let size = (width as u32, height as u32);
        // Either drawn or a clear error: never a panic.
        let _ = render_chart(&cr, size, &model, &style());
        let _ = render_sparkline(&cr, size, &cpu, &SparklineStyle::new(RED));
        assert_eq!(cr.status(), Ok(()));
    }
}

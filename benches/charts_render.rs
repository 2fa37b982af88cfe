//! Chart drawing cost: a full chart redraw (600×200 px, one hour of 1 s points = 3600 points,
//! noisy data with a gap and a stale tail; also a paired read/write chart) and a table-cell
//! sparkline (120×24 px, 60 points), drawn with plotters onto a cairo image surface. Prints
//! the median and 90th percentile of many runs, in CPU time of the drawing thread (so other
//! load on the machine does not inflate them) and in wall time.
//! Run: `cargo bench --bench charts_render`.

#[path = "stats_support/thread_cpu.rs"]
mod thread_cpu;

use std::hint::black_box;
use std::time::{Duration, Instant};

use hangar::charts::{
    ACCENT_BLUE, ChartModel, ChartStyle, SparklineStyle, render_chart, render_sparkline,
};
use hangar::stats::{Series, SeriesPoint, Unit, Window};

/// A deterministic noisy load: a slow wave plus pseudo-random jitter, with a gap.
fn noisy_series(unit: Unit, points: u64, scale: f32, seed: u64) -> Series {
    let end = Instant::now();
    let window = Window::last(Duration::from_secs(points), end);
    let start = window.start();
    let mut state = seed;
    let mut series = Series::new(unit, window);
    series.points = (0..points)
        .map(|t| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let jitter = (state >> 40) as f32 / (1u64 << 24) as f32;
            let wave = ((t as f32) / 300.0).sin() * 0.3 + 0.5;
            let value = ((wave + (jitter - 0.5) * 0.3) * scale).max(0.0);
            SeriesPoint {
                time: start + Duration::from_secs(t),
                // Ten minutes off in the middle of the hour (longer windows only).
                value: (!(points >= 3600 && (1800..2400).contains(&t))).then_some(value),
            }
        })
        .collect();
    series.last_sample_at = Some(start + Duration::from_secs(points.saturating_sub(10)));
    series
}

fn stale(mut series: Series) -> Series {
    let last = series.last_sample_at.unwrap_or(series.window.end);
    series.points.retain(|point| point.time <= last);
    series.stale_since = Some(last);
    series
}

/// Timings of one kind of drawing: medians and 90th percentiles of CPU and wall time per
/// draw. `batch` draws are timed together (fast draws are shorter than the clock's cost).
struct Timings {
    cpu: (Duration, Duration),
    wall: (Duration, Duration),
}

impl std::fmt::Display for Timings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CPU median {:?}, p90 {:?} (wall median {:?}, p90 {:?})",
            self.cpu.0, self.cpu.1, self.wall.0, self.wall.1
        )
    }
}

fn measure(samples: usize, batch: u32, mut draw: impl FnMut()) -> Timings {
    for _ in 0..samples / 10 {
        draw();
    }
    let mut cpu = Vec::with_capacity(samples);
    let mut wall = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        cpu.push(thread_cpu::cpu_time_of(|| (0..batch).for_each(|_| draw())) / batch);
        wall.push(started.elapsed() / batch);
    }
    let stats = |mut times: Vec<Duration>| {
        times.sort_unstable();
        (times[samples / 2], times[samples * 9 / 10])
    };
    Timings {
        cpu: stats(cpu),
        wall: stats(wall),
    }
}

fn main() {
    let style = ChartStyle::light(ACCENT_BLUE);
    let surface = cairo::ImageSurface::create(cairo::Format::ARgb32, 600, 200)
        .expect("600×200 image surface");
    let cr = cairo::Context::new(&surface).expect("cairo context");
    let clear = |cr: &cairo::Context| {
        cr.set_source_rgb(1.0, 1.0, 1.0);
        cr.paint().expect("paint");
    };
    println!(
        "Chart drawing with plotters 0.3 + plotters-cairo 0.9 onto a cairo ARGB32 image surface"
    );

    let cpu = stale(noisy_series(Unit::Percent, 3600, 100.0, 7));
    let timings = measure(300, 1, || {
        clear(&cr);
        let model = ChartModel::new(black_box(&cpu));
        render_chart(&cr, (600, 200), &model, &style).expect("drawn");
    });
    println!("full chart 600×200, CPU, 3600 points (gap + stale tail), model + draw: {timings}");

    let model = ChartModel::new(&cpu);
    let timings = measure(300, 1, || {
        clear(&cr);
        render_chart(&cr, (600, 200), black_box(&model), &style).expect("drawn");
    });
    println!("full chart 600×200, CPU, 3600 points, draw only: {timings}");

    let read = noisy_series(Unit::BytesPerSecond, 3600, 30e6, 11);
    let write = noisy_series(Unit::BytesPerSecond, 3600, 12e6, 13);
    let timings = measure(300, 1, || {
        clear(&cr);
        let model = ChartModel::disk(black_box(&read), black_box(&write));
        render_chart(&cr, (600, 200), &model, &style).expect("drawn");
    });
    println!("full chart 600×200, disk read + write, 2 × 3600 points, model + draw: {timings}");

    let short = noisy_series(Unit::Percent, 300, 100.0, 17);
    let timings = measure(500, 1, || {
        clear(&cr);
        let model = ChartModel::new(black_box(&short));
        render_chart(&cr, (600, 200), &model, &style).expect("drawn");
    });
    println!("full chart 600×200, CPU, 300 points (5 min), model + draw: {timings}");

    let cell =
        cairo::ImageSurface::create(cairo::Format::ARgb32, 120, 24).expect("120×24 image surface");
    let cell_cr = cairo::Context::new(&cell).expect("cairo context");
    let spark_style = SparklineStyle::new(ACCENT_BLUE);
    let spark = noisy_series(Unit::Percent, 60, 100.0, 23);
    let timings = measure(300, 20, || {
        clear(&cell_cr);
        render_sparkline(&cell_cr, (120, 24), black_box(&spark), &spark_style).expect("drawn");
    });
    println!("sparkline 120×24, CPU, 60 points: {timings}");
}

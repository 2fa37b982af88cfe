//! Benchmark hooks, active only when benches/scripts/fleet_window.py sets their environment
//! variables: a scripted scroll through the fleet that records how evenly frames were painted.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use gtk::glib;
use gtk::prelude::*;

/// Frame intervals above this mean at least one 60 Hz frame was missed.
const MISSED_FRAME_MS: f64 = 1.5 * 1000.0 / 60.0;
/// Scroll speed: fast flicking through a long list (~40 rows a second).
const PIXELS_PER_SECOND: f64 = 2000.0;

/// `HANGAR_BENCH_SCROLL=DELAY:SECONDS`: `DELAY` seconds after every machine is listed, scroll the
/// fleet continuously for `SECONDS`, one step per frame, then append to the benchmark events file
/// `scroll frames=N median_ms=… p95_ms=… max_ms=… missed=M` (M: intervals over 1.5 frames).
/// Runs once per process, however often the fleet is listed again.
pub(super) fn schedule_scroll(view: &gtk::ColumnView, events: &Path) {
    static SCHEDULED: AtomicBool = AtomicBool::new(false);
    let Ok(spec) = std::env::var("HANGAR_BENCH_SCROLL") else {
        return;
    };
    if SCHEDULED.swap(true, Ordering::Relaxed) {
        return;
    }
    let events = events.to_owned();
    let Some((delay, seconds)) = spec
        .split_once(':')
        .and_then(|(delay, seconds)| Some((delay.parse::<f64>().ok()?, seconds.parse().ok()?)))
    else {
        eprintln!("hangar: HANGAR_BENCH_SCROLL must be DELAY:SECONDS, not “{spec}”");
        return;
    };
    let view = view.clone();
    glib::timeout_add_local_once(Duration::from_secs_f64(delay), move || {
        scroll(&view, seconds, events)
    });
}

fn scroll(view: &gtk::ColumnView, seconds: f64, events: PathBuf) {
    let Some(adjustment) = view.vadjustment() else {
        return;
    };
    let frame_times: Rc<RefCell<Vec<i64>>> = Rc::default();
    view.add_tick_callback(move |_, clock| {
        let now = clock.frame_time(); // µs
        let mut times = frame_times.borrow_mut();
        times.push(now);
        let elapsed = (now - times[0]) as f64 / 1e6;
        let range = (adjustment.upper() - adjustment.page_size()).max(1.0);
        // Down and back up again, so the whole list passes under the view.
        let travelled = (elapsed * PIXELS_PER_SECOND) % (2.0 * range);
        adjustment.set_value(if travelled < range {
            travelled
        } else {
            2.0 * range - travelled
        });
        if elapsed < seconds {
            return glib::ControlFlow::Continue;
        }
        let line = summary(&times);
        use std::io::Write;
        if let Ok(mut file) = std::fs::OpenOptions::new().append(true).open(&events) {
            let _ = file.write_all(line.as_bytes());
        }
        glib::ControlFlow::Break
    });
}

fn summary(frame_times_us: &[i64]) -> String {
    let mut intervals: Vec<f64> = frame_times_us
        .windows(2)
        .map(|pair| (pair[1] - pair[0]) as f64 / 1000.0)
        .collect();
    intervals.sort_by(f64::total_cmp);
    let at = |fraction: f64| {
        intervals
            .get(((intervals.len() as f64 - 1.0) * fraction).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    let missed = intervals.iter().filter(|ms| **ms > MISSED_FRAME_MS).count();
    format!(
        "scroll frames={} median_ms={:.1} p95_ms={:.1} max_ms={:.1} missed={missed}\n",
        frame_times_us.len(),
        at(0.5),
        at(0.95),
        at(1.0),
    )
}

//! The chart model without drawing: states, legends, hover read-outs, axes from data, and
//! the window mapping of real store series.

#[path = "stats_support/sim.rs"]
mod sim;
#[path = "charts_support/series.rs"]
mod support;

use std::time::{Duration, Instant};

use hangar::charts::{ChartModel, ChartState};
use hangar::model::ConnectionId;
use hangar::stats::{Availability, Metric, Retention, StatsStore, Unit, Window};
use support::{series, stale_after};

const MIB: f32 = 1024.0 * 1024.0;

#[test]
fn states_follow_the_data() {
    let now = Instant::now();
    let data = ChartModel::new(&series(Unit::Percent, now, 60, |_| Some(10.0)));
    assert_eq!(data.state, ChartState::Data);
    assert_eq!(data.message(), None);

    let empty = ChartModel::new(&series(Unit::Percent, now, 60, |_| None));
    assert_eq!(empty.state, ChartState::NoData);
    assert_eq!(empty.message().as_deref(), Some("No data"));

    let mut unavailable = series(Unit::BytesPerSecond, now, 60, |_| None);
    unavailable.availability = Availability::NotAvailable;
    let model = ChartModel::new(&unavailable);
    assert_eq!(model.state, ChartState::NotAvailable);
    assert_eq!(
        model.message().as_deref(),
        Some("Not available from this hypervisor")
    );
    // One of a pair unavailable: the other is still drawn, the legend says which is missing.
    let read = series(Unit::BytesPerSecond, now, 60, |_| Some(MIB));
    let pair = ChartModel::disk(&read, &unavailable);
    assert_eq!(pair.state, ChartState::Data);
    let legend = pair.legend();
    assert_eq!(legend[0].label.as_deref(), Some("Read"));
    assert_eq!(legend[0].value_text, "1.0 MiB/s");
    assert_eq!(legend[1].label.as_deref(), Some("Write"));
    assert_eq!(legend[1].value_text, "Not available");
}

#[test]
fn gaps_split_lines_into_runs() {
    let now = Instant::now();
    let model = ChartModel::new(&series(Unit::Percent, now, 60, |t| {
        (t % 20 != 10).then_some(1.0)
    }));
    let runs: Vec<usize> = model.lines[0].runs().map(<[_]>::len).collect();
    assert_eq!(runs, [10, 19, 19, 10]);
}

#[test]
fn readouts_give_values_gaps_and_stale_values() {
    let now = Instant::now();
    let cpu = stale_after(
        series(Unit::Percent, now, 60, |t| (t != 20).then_some(t as f32)),
        45,
    );
    let model = ChartModel::new(&cpu);
    let at = |x: f64| model.readout(x).entries[0].clone();
    assert_eq!(at(10.0).value, Some(10.0));
    assert_eq!(at(10.0).text, "10 %");
    assert_eq!(at(10.4).value, Some(10.0), "nearest point");
    assert_eq!(at(20.0).value, None, "gap");
    assert_eq!(at(20.0).text, "—");
    let tail = at(55.0);
    assert!(tail.stale);
    assert_eq!(tail.value, Some(45.0), "the last known value");
    let readout = model.readout(30.0);
    assert_eq!(readout.before_end, Duration::from_secs(30));
    assert_eq!(readout.time_text, "−30 s");
    assert_eq!(readout.time, model.window.start() + Duration::from_secs(30));
}

#[test]
fn the_value_axis_fits_both_lines_of_a_pair() {
    let now = Instant::now();
    let received = series(Unit::BytesPerSecond, now, 60, |_| Some(200.0 * 1024.0));
    let sent = series(Unit::BytesPerSecond, now, 60, |t| {
        Some(if t == 7 { 900.0 * 1024.0 } else { 1.0 })
    });
    let model = ChartModel::network(&received, &sent);
    assert!(model.value_axis.max >= 900.0 * 1024.0);
    assert!(model.value_axis.max <= 1024.0 * 1024.0);
    let labels: Vec<String> = model
        .value_axis
        .ticks()
        .map(|tick| model.value_axis.label(tick))
        .collect();
    assert!(
        labels.iter().all(|label| label.ends_with(" KiB/s")),
        "{labels:?}"
    );
    assert_eq!(model.lines[1].label.as_deref(), Some("Sent"));
}

#[test]
fn a_store_series_maps_onto_the_window() {
    let conn = ConnectionId(5);
    let mut store = StatsStore::new(Retention::default());
    let mut host = sim::SimHost::new(
        Instant::now(),
        sim::host(2, 4),
        vec![sim::SimDomain::new(0, 1, sim::Load::cpu(0.25))],
    );
    store.ingest(conn, &host.sample());
    for _ in 0..600 {
        store.ingest(conn, &host.tick(1.0));
    }
    for minutes in [1u32, 5] {
        let window = Window::last(Duration::from_secs(60) * minutes, host.now);
        let series = store
            .series(conn, &sim::uuid(0), Metric::GuestCpu, window)
            .expect("known domain");
        let model = ChartModel::new(&series);
        let points = &model.lines[0].points;
        assert!(
            points
                .iter()
                .all(|point| (0.0..=model.length_secs()).contains(&point.x))
        );
        let last = points.last().expect("points");
        assert!(
            (last.x - model.length_secs()).abs() < 0.6,
            "the newest point is at now"
        );
        assert!((model.lines[0].current.expect("current") - 25.0).abs() < 0.2);
        assert_eq!(model.legend()[0].value_text, "25 %");
    }
}

#[test]
fn pointer_positions_outside_the_window_read_its_edges() {
    let now = Instant::now();
    let model = ChartModel::new(&series(Unit::Percent, now, 60, |t| Some(t as f32)));
    assert_eq!(model.readout(-5.0).entries[0].value, Some(0.0));
    assert_eq!(model.readout(1e9).entries[0].value, Some(60.0));
    assert_eq!(model.readout(f64::NAN).time, model.window.start());
    assert_eq!(model.time_at(f64::INFINITY), now);
}

//! History: an hour of samples kept compactly (full resolution for the recent minutes, bucket
//! averages before), any retention and interval, gaps for missed ticks, staleness with ages,
//! a domain's raised resolution, and forgetting.

#[path = "stats_support/sim.rs"]
mod sim;

use std::time::{Duration, Instant};

use hangar::model::ConnectionId;
use hangar::stats::{Metric, Retention, Series, StatsStore, Window};
use sim::{Load, SimDomain, SimHost, host};

const CONN: ConnectionId = ConnectionId(3);
const MINUTE: Duration = Duration::from_secs(60);

/// A domain whose CPU use follows the minute of the hour: minute `m` runs at `m` percent.
fn minute_ramp(store: &mut StatsStore, sim: &mut SimHost, seconds: u32, interval: f64) {
    for _ in 0..seconds {
        let elapsed = sim.now.duration_since(sim.start).as_secs_f64();
        sim.domain(0).load = Load::cpu((elapsed / 60.0).floor() / 100.0);
        let sample = sim.tick(interval);
        store.ingest(CONN, &sample);
    }
}

fn ramp_host(start: Instant) -> SimHost {
    SimHost::new(start, host(4, 16), vec![SimDomain::new(0, 1, Load::IDLE)])
}

fn series(store: &StatsStore, minutes: u64, now: Instant) -> Series {
    store
        .series(
            CONN,
            &sim::uuid(0),
            Metric::GuestCpu,
            Window::last(MINUTE * minutes as u32, now),
        )
        .expect("domain 0 is known")
}

#[test]
fn an_hour_keeps_five_minutes_at_full_resolution_and_ten_second_averages_before() {
    let mut store = StatsStore::new(Retention::default());
    let mut sim = ramp_host(Instant::now());
    store.ingest(CONN, &sim.sample());
    minute_ramp(&mut store, &mut sim, 3600, 1.0);

    let hour = series(&store, 60, sim.now);
    let times: Vec<f64> = hour
        .points
        .iter()
        .map(|point| {
            point
                .time
                .saturating_duration_since(sim.start)
                .as_secs_f64()
        })
        .collect();
    assert!(times.windows(2).all(|pair| pair[0] < pair[1]), "time order");
    let spacing: Vec<f64> = times.windows(2).map(|pair| pair[1] - pair[0]).collect();
    let coarse = spacing
        .iter()
        .filter(|gap| (**gap - 10.0).abs() < 0.01)
        .count();
    let fine = spacing
        .iter()
        .filter(|gap| (**gap - 1.0).abs() < 0.01)
        .count();
    assert!(coarse >= 328, "{coarse} ten-second steps");
    // Full resolution starts at the first bucket boundary inside the fine ring.
    assert!((289..=300).contains(&fine), "{fine} one-second steps");
    assert!(hour.points.len() < 700, "{} points", hour.points.len());
    // The series reaches back an hour and up to now.
    assert!(times[0] < 20.0, "starts at {}", times[0]);
    assert!((times[times.len() - 1] - 3600.0).abs() < 1.0);
    // Every point tells the minute it was recorded in (bucket averages included).
    for (point, time) in hour.points.iter().zip(&times) {
        let value = point.value.expect("no gaps in a steady hour");
        // Values are rates over the second before the slot; buckets straddle no minute edge.
        let minute = ((time - 0.5) / 60.0).floor();
        assert!(
            (f64::from(value) - minute).abs() < 0.6,
            "at {time} s: {value} % (minute {minute})"
        );
    }

    // A 1-minute window: exactly 60 full-resolution points with exact values.
    let last_minute = series(&store, 1, sim.now);
    assert_eq!(last_minute.points.len(), 60);
    for point in &last_minute.points {
        assert!((point.value.unwrap() - 59.0).abs() < 0.2);
    }
    assert!((last_minute.current().unwrap() - 59.0).abs() < 0.2);
    // 15 minutes: recent full resolution, older averages.
    let quarter = series(&store, 15, sim.now);
    assert!(quarter.points.len() > 300 && quarter.points.len() < 400);
}

#[test]
fn any_retention_and_interval_cover_their_period() {
    for (minutes, interval) in [(10, 5), (60, 2), (120, 1), (30, 60)] {
        let retention = Retention::new(minutes, interval).unwrap();
        let mut store = StatsStore::new(retention);
        let mut sim = ramp_host(Instant::now());
        store.ingest(CONN, &sim.sample());
        let ticks = minutes * 60 / interval;
        for _ in 0..ticks {
            sim.domain(0).load = Load::cpu(0.4);
            store.ingest(CONN, &sim.tick(f64::from(interval)));
        }
        let window = Window::last(retention.history(), sim.now);
        let series = store
            .series(CONN, &sim::uuid(0), Metric::GuestCpu, window)
            .unwrap();
        let first = series
            .points
            .iter()
            .find(|point| point.value.is_some())
            .unwrap();
        let reach = sim.now.duration_since(first.time).as_secs_f64();
        let period = f64::from(minutes * 60);
        assert!(
            reach >= period - f64::from(interval) * 12.0,
            "{minutes} min at {interval} s reaches back only {reach} s"
        );
        assert!(
            series
                .points
                .iter()
                .flat_map(|point| point.value)
                .all(|v| (v - 40.0).abs() < 0.2)
        );
        // The newest point is the newest tick (on the grid, within half an interval).
        let last = series.points.last().unwrap();
        let offset = if last.time > sim.now {
            last.time.duration_since(sim.now)
        } else {
            sim.now.duration_since(last.time)
        };
        assert!(
            offset.as_secs_f64() <= f64::from(interval) / 2.0,
            "{offset:?}"
        );
        // The interval is the spacing of the newest points.
        let newest = &series.points[series.points.len() - 2..];
        let step = newest[1].time.duration_since(newest[0].time).as_secs_f64();
        assert!((step - f64::from(interval)).abs() < 0.01, "step {step}");
    }
}

#[test]
fn missed_ticks_are_gaps_and_timer_jitter_is_not() {
    let mut store = StatsStore::new(Retention::default());
    let mut sim = ramp_host(Instant::now());
    sim.domain(0).load = Load::cpu(0.3);
    store.ingest(CONN, &sim.sample());
    // Jittery ticks: between 0.6 and 1.4 s apart, averaging 1 s.
    for step in 0..40 {
        let jitter = [0.6, 1.4, 0.95, 1.05, 1.3, 0.7][step % 6];
        store.ingest(CONN, &sim.tick(jitter));
    }
    let window = Window::last(MINUTE, sim.now);
    let steady = store
        .series(CONN, &sim::uuid(0), Metric::GuestCpu, window)
        .unwrap();
    assert!(
        steady.points[1..].iter().all(|point| point.value.is_some()),
        "false gap"
    );
    // The host misses five ticks: the time passes without samples.
    sim.tick(5.0);
    store.ingest(CONN, &sim.tick(1.0));
    store.ingest(CONN, &sim.tick(1.0));
    let window = Window::last(MINUTE, sim.now);
    let values: Vec<_> = store
        .series(CONN, &sim::uuid(0), Metric::GuestCpu, window)
        .unwrap()
        .points
        .iter()
        .map(|point| point.value.is_some())
        .collect();
    let tail = &values[values.len() - 8..];
    assert_eq!(tail, [true, false, false, false, false, false, true, true]);
}

#[test]
fn a_stale_connection_reports_the_age_of_its_values_until_the_next_tick() {
    let mut store = StatsStore::new(Retention::default());
    let mut sim = ramp_host(Instant::now());
    sim.domain(0).load = Load::cpu(0.8);
    store.ingest(CONN, &sim.sample());
    store.ingest(CONN, &sim.tick(1.0));
    let last_tick = sim.now;
    let deadline = last_tick + Duration::from_secs(3);
    assert!(store.mark_stale(CONN, deadline));
    let now = last_tick + Duration::from_secs(12);

    let latest = store.latest(CONN, &sim::uuid(0)).unwrap();
    assert!(latest.is_stale());
    assert_eq!(latest.stale_since, Some(deadline));
    assert_eq!(latest.age(now), Duration::from_secs(12));
    assert!(store.host_latest(CONN).unwrap().stale_since.is_some());

    let series = store
        .series(
            CONN,
            &sim::uuid(0),
            Metric::GuestCpu,
            Window::last(MINUTE, now),
        )
        .unwrap();
    let tail = series.stale_tail().expect("stale tail");
    assert_eq!(tail.from, last_tick);
    assert_eq!(tail.to, now);
    assert!((tail.value.unwrap() - 80.0).abs() < 0.5);
    assert_eq!(series.age(now), Some(Duration::from_secs(12)));
    // A later missed deadline does not move "stale since".
    store.mark_stale(CONN, deadline + Duration::from_secs(5));
    assert_eq!(
        store.latest(CONN, &sim::uuid(0)).unwrap().stale_since,
        Some(deadline)
    );

    // The next tick clears it; the missed time is a gap, not a line.
    sim.tick(11.0);
    store.ingest(CONN, &sim.tick(1.0));
    let latest = store.latest(CONN, &sim::uuid(0)).unwrap();
    assert!(!latest.is_stale());
    let series = store
        .series(
            CONN,
            &sim::uuid(0),
            Metric::GuestCpu,
            Window::last(MINUTE, sim.now),
        )
        .unwrap();
    assert!(series.stale_tail().is_none());
    assert!(
        series
            .points
            .iter()
            .rev()
            .skip(1)
            .take(10)
            .all(|point| point.value.is_none())
    );
}

#[test]
fn an_open_page_raises_one_domains_resolution() {
    let mut store = StatsStore::new(Retention::default());
    let mut sim = SimHost::new(
        Instant::now(),
        host(4, 16),
        vec![
            SimDomain::new(0, 1, Load::cpu(0.5)),
            SimDomain::new(1, 1, Load::cpu(0.5)),
        ],
    );
    store.ingest(CONN, &sim.sample());
    for _ in 0..600 {
        store.ingest(CONN, &sim.tick(1.0));
    }
    assert!(store.set_detailed(CONN, &sim::uuid(0), true));
    assert!(!store.set_detailed(CONN, &sim::uuid(42), true));
    for _ in 0..600 {
        store.ingest(CONN, &sim.tick(1.0));
    }
    let window = Window::last(MINUTE * 15, sim.now);
    let detailed = store
        .series(CONN, &sim::uuid(0), Metric::GuestCpu, window)
        .unwrap();
    let ordinary = store
        .series(CONN, &sim::uuid(1), Metric::GuestCpu, window)
        .unwrap();
    // 15 minutes: the detailed domain has the last 15 minutes at 1 s (5 kept + 10 new, from
    // the first bucket boundary after the kept part's start).
    let fine = detailed
        .points
        .windows(2)
        .filter(|pair| pair[1].time - pair[0].time == Duration::from_secs(1))
        .count();
    assert!(fine >= 890, "{fine}");
    assert!(ordinary.points.len() < 400, "{}", ordinary.points.len());
    // Closing the page keeps the recent part and the averages.
    assert!(store.set_detailed(CONN, &sim::uuid(0), false));
    let closed = store
        .series(CONN, &sim::uuid(0), Metric::GuestCpu, window)
        .unwrap();
    assert_eq!(closed.points.len(), ordinary.points.len());
    assert!(
        closed
            .points
            .iter()
            .flat_map(|point| point.value)
            .all(|v| (v - 50.0).abs() < 0.3)
    );
}

#[test]
fn changing_retention_drops_history_but_keeps_rates_flowing() {
    let mut store = StatsStore::new(Retention::default());
    let mut sim = ramp_host(Instant::now());
    sim.domain(0).load = Load::cpu(0.2);
    store.ingest(CONN, &sim.sample());
    for _ in 0..30 {
        store.ingest(CONN, &sim.tick(1.0));
    }
    let five_seconds = Retention::new(30, 5).unwrap();
    store.set_retention(five_seconds);
    assert_eq!(store.retention(), five_seconds);
    let window = Window::last(MINUTE * 30, sim.now);
    let series = store
        .series(CONN, &sim::uuid(0), Metric::GuestCpu, window)
        .unwrap();
    assert!(series.points.is_empty());
    store.ingest(CONN, &sim.tick(5.0));
    let latest = store.latest(CONN, &sim::uuid(0)).unwrap();
    assert!((latest.get(Metric::GuestCpu).value().unwrap() - 20.0).abs() < 0.1);
    let series = store
        .series(
            CONN,
            &sim::uuid(0),
            Metric::GuestCpu,
            Window::last(MINUTE * 30, sim.now),
        )
        .unwrap();
    assert_eq!(series.points.len(), 1);
}

#[test]
fn forgetting_drops_a_domain_or_a_connection() {
    let mut store = StatsStore::new(Retention::default());
    let mut sim = SimHost::new(
        Instant::now(),
        host(4, 16),
        (0..5)
            .map(|n| SimDomain::new(n, 1, Load::cpu(0.1 * f64::from(n))))
            .collect(),
    );
    store.ingest(CONN, &sim.sample());
    store.ingest(CONN, &sim.tick(1.0));
    assert!(store.forget_domain(CONN, &sim::uuid(1)));
    assert!(!store.forget_domain(CONN, &sim::uuid(1)));
    assert!(store.latest(CONN, &sim::uuid(1)).is_none());
    // The others keep their own values (no index mix-up after removal).
    for n in [0u32, 2, 3, 4] {
        let cpu = store
            .latest(CONN, &sim::uuid(n))
            .unwrap()
            .get(Metric::GuestCpu);
        assert!(
            (cpu.value().unwrap() - 10.0 * f64::from(n)).abs() < 0.1,
            "{n}: {cpu:?}"
        );
    }
    sim.domains.remove(1);
    store.ingest(CONN, &sim.tick(1.0));
    for n in [0u32, 2, 3, 4] {
        let cpu = store
            .latest(CONN, &sim::uuid(n))
            .unwrap()
            .get(Metric::GuestCpu);
        assert!(
            (cpu.value().unwrap() - 10.0 * f64::from(n)).abs() < 0.1,
            "{n}: {cpu:?}"
        );
    }
    store.forget_connection(CONN);
    assert!(store.latest(CONN, &sim::uuid(0)).is_none());
    assert!(store.host_latest(CONN).is_none());
    assert_eq!(store.connections().count(), 0);
}

#[test]
fn refilling_a_series_reuses_its_buffer() {
    let mut store = StatsStore::new(Retention::default());
    let mut sim = ramp_host(Instant::now());
    store.ingest(CONN, &sim.sample());
    for _ in 0..120 {
        store.ingest(CONN, &sim.tick(1.0));
    }
    let window = Window::last(MINUTE, sim.now);
    let mut series = store
        .series(CONN, &sim::uuid(0), Metric::GuestCpu, window)
        .unwrap();
    let buffer = series.points.as_ptr();
    store.ingest(CONN, &sim.tick(1.0));
    let window = Window::last(MINUTE, sim.now);
    assert!(store.series_into(CONN, &sim::uuid(0), Metric::GuestCpu, window, &mut series));
    assert_eq!(series.points.as_ptr(), buffer);
    assert_eq!(series.points.len(), 60);
    assert!(!store.series_into(CONN, &sim::uuid(9), Metric::GuestCpu, window, &mut series));
    assert!(series.points.is_empty());
}

#[test]
fn each_kept_metric_reads_back_its_own_values_and_request_rates_stay_latest_only() {
    let mut store = StatsStore::new(Retention::default());
    // Every rate distinct, so a metric read from another's column would show.
    let load = Load {
        cores: 0.5,
        disk_rd: 1_000_000,
        disk_wr: 2_000_000,
        disk_rd_ops: 300,
        disk_wr_ops: 120,
        net_rx: 5_000_000,
        net_tx: 7_000_000,
    };
    let mut sim = SimHost::new(
        Instant::now(),
        host(4, 16),
        vec![SimDomain::new(0, 1, load)],
    );
    store.ingest(CONN, &sim.sample());
    for _ in 0..30 {
        store.ingest(CONN, &sim.tick(1.0));
    }
    let window = Window::last(MINUTE, sim.now);
    let latest = store
        .latest(CONN, &sim::uuid(0))
        .expect("domain 0 is known");
    for metric in Metric::ALL {
        let series = store
            .series(CONN, &sim::uuid(0), metric, window)
            .expect("domain 0 is known");
        let now = latest.get(metric).value();
        if metric.history_column().is_none() {
            assert!(series.points.is_empty(), "{metric:?} is not kept");
            assert!(now.is_some_and(|v| v > 0.0), "{metric:?} latest: {now:?}");
            continue;
        }
        let now = now.expect("a running domain's kept metric has a value");
        let last = series.current().expect("a kept metric has history");
        assert!(
            (f64::from(last) - now).abs() <= now.abs() * 0.003,
            "{metric:?}: history {last}, latest {now}"
        );
    }
}

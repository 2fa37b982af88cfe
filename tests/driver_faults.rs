//! Fault handling against a private libvirtd (see `driver_support/daemon.rs`): a frozen daemon
//! (SIGSTOP) makes commands time out and data go stale while another connection keeps its
//! schedule; keepalive notices a dead host; a killed daemon disconnects and is reconnected to
//! by itself once it is back. The shared system daemon is never touched.

// Test code: helpers outside #[test] functions may panic on failure too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "driver_support/common.rs"]
mod common;
#[path = "driver_support/daemon.rs"]
mod daemon;

use std::time::{Duration, Instant};

use common::{TempFleet, Updates, driver, fast_options, service_missing};
use daemon::PrivateDaemon;
use hangar::driver::{
    ConnectionState, DisconnectReason, DriverError, Keepalive, OpenOptions, UpdateKind,
};
use hangar::fleetgen::FleetSpec;
use hangar::model::ConnectionId;

const OPEN_TIMEOUT: Duration = Duration::from_secs(20);

fn stats_of(updates: &Updates, id: ConnectionId, from: usize) -> Vec<Instant> {
    updates.seen[from..]
        .iter()
        .filter(|(_, u)| u.connection == id && matches!(u.kind, UpdateKind::Stats(_)))
        .map(|(at, _)| *at)
        .collect()
}

fn daemon_or_skip(tag: &str) -> Option<PrivateDaemon> {
    if let Some(why) = daemon::tools_missing(false) {
        service_missing(&why);
        return None;
    }
    Some(PrivateDaemon::start(tag, None))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_host_times_out_goes_stale_and_recovers_while_another_keeps_polling() {
    let Some(daemon) = daemon_or_skip("freeze") else {
        return;
    };
    let fleet = TempFleet::new(
        "freeze-local",
        &FleetSpec {
            vms: 50,
            seed: 21,
            ..FleetSpec::default()
        },
    );
    let driver = driver();
    let mut updates = Updates::new();
    let interval = Duration::from_millis(250);
    let deadline = Duration::from_secs(1);
    let options = OpenOptions {
        poll_interval: interval,
        command_deadline: deadline,
        stale_after: Some(Duration::from_secs(1)),
        // Long enough that the 3 s freeze below is a hang, not a lost connection.
        keepalive: Some(Keepalive {
            interval: Duration::from_secs(5),
            count: 3,
        }),
        ..OpenOptions::default()
    };
    let remote = driver.open(&daemon.uri(), options.clone(), updates.tx.clone());
    let local = driver.open(&fleet.uri(), options, updates.tx.clone());
    let (remote_id, local_id) = (remote.id(), local.id());
    updates.connected(remote_id, OPEN_TIMEOUT).await;
    updates.connected(local_id, OPEN_TIMEOUT).await;
    updates
        .wait_for("remote stats", Duration::from_secs(5), |u| {
            u.connection == remote_id && matches!(u.kind, UpdateKind::Stats(_))
        })
        .await;

    daemon.stop();
    let frozen_at = Instant::now();
    let mark = updates.seen.len();
    // A connection opened to the frozen host hangs in its own worker: it fails by its open
    // timeout, and delays nothing else.
    let late = driver.open(
        &daemon.uri(),
        OpenOptions {
            open_timeout: Duration::from_millis(1500),
            ..fast_options()
        },
        updates.tx.clone(),
    );
    let late_id = late.id();

    // A command on the frozen host ends in Timeout at its deadline, not later.
    let error = remote.inventory().await.unwrap_err();
    let waited = frozen_at.elapsed();
    assert_eq!(error, DriverError::Timeout { after: deadline });
    assert!(
        waited >= deadline && waited < deadline + Duration::from_millis(500),
        "{waited:?}"
    );

    // Its data turns stale (and says since when).
    let stale = updates
        .wait_from(mark, "remote stale", Duration::from_secs(3), &mut |u| {
            u.connection == remote_id && matches!(u.kind, UpdateKind::Stale { .. })
        })
        .await;
    let UpdateKind::Stale { since, .. } = updates.seen[stale].1.kind else {
        unreachable!()
    };
    assert!(
        since <= frozen_at,
        "stale since the last fresh sample, before the freeze"
    );

    // Meanwhile the local connection keeps its schedule.
    let wait_until = frozen_at + Duration::from_secs(3);
    updates
        .drain_for(wait_until.saturating_duration_since(Instant::now()))
        .await;
    let local_ticks = stats_of(&updates, local_id, mark);
    assert!(
        local_ticks.len() >= 9,
        "local ticks during the freeze: {}",
        local_ticks.len()
    );
    let longest_gap = local_ticks
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .max()
        .unwrap();
    assert!(
        longest_gap < Duration::from_millis(600),
        "local gap {longest_gap:?}"
    );
    assert!(
        stats_of(&updates, remote_id, mark).is_empty(),
        "no remote stats while frozen"
    );
    assert_eq!(
        remote.state(),
        ConnectionState::Connected,
        "a hang is not a disconnect"
    );
    assert_eq!(
        late.state(),
        ConnectionState::Failed(DriverError::Timeout {
            after: Duration::from_millis(1500)
        }),
        "an open that hangs fails by its timeout"
    );

    daemon.resume();
    let thawed = updates.seen.len();
    updates
        .wait_from(
            thawed,
            "remote stats after thaw",
            Duration::from_secs(5),
            &mut |u| u.connection == remote_id && matches!(u.kind, UpdateKind::Stats(_)),
        )
        .await;
    assert!(remote.inventory().await.is_ok());
    // The hung open completes once the host answers again: a late success is accepted.
    updates
        .wait_from(
            thawed,
            "late open connected",
            Duration::from_secs(10),
            &mut |u| u.connection == late_id && matches!(u.kind, UpdateKind::Inventory(_)),
        )
        .await;
    assert_eq!(late.state(), ConnectionState::Connected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalive_notices_a_dead_host_within_ten_seconds() {
    let Some(daemon) = daemon_or_skip("keepalive") else {
        return;
    };
    let driver = driver();
    let mut updates = Updates::new();
    let options = OpenOptions {
        // The default keepalive (3 s × 2 probes) is what is being tested.
        backoff_initial: Duration::from_millis(500),
        ..fast_options()
    };
    let conn = driver.open(&daemon.uri(), options, updates.tx.clone());
    let id = conn.id();
    updates.connected(id, OPEN_TIMEOUT).await;
    daemon.stop();
    let stopped = Instant::now();
    let lost = updates
        .wait_for("lost", Duration::from_secs(15), |u| {
            u.connection == id
                && matches!(
                    &u.kind,
                    UpdateKind::State(ConnectionState::Disconnected(DisconnectReason::Lost { .. }))
                )
        })
        .await;
    let noticed = updates.seen[lost].0 - stopped;
    eprintln!("keepalive noticed the frozen host after {noticed:?}");
    assert!(
        noticed <= Duration::from_secs(11),
        "noticed after {noticed:?}"
    );
    daemon.resume();
    let mark = updates.seen.len();
    updates
        .wait_from(mark, "reconnected", Duration::from_secs(20), &mut |u| {
            u.connection == id && matches!(u.kind, UpdateKind::Inventory(_))
        })
        .await;
    assert_eq!(conn.state(), ConnectionState::Connected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_daemon_disconnects_and_is_reconnected_without_user_action() {
    let Some(mut daemon) = daemon_or_skip("kill") else {
        return;
    };
    let driver = driver();
    let mut updates = Updates::new();
    let options = OpenOptions {
        backoff_initial: Duration::from_millis(300),
        backoff_max: Duration::from_secs(2),
        ..fast_options()
    };
    let conn = driver.open(&daemon.uri(), options, updates.tx.clone());
    let id = conn.id();
    updates.connected(id, OPEN_TIMEOUT).await;

    daemon.kill();
    let killed = Instant::now();
    let lost = |u: &hangar::driver::ConnectionUpdate| {
        u.connection == id
            && matches!(
                &u.kind,
                UpdateKind::State(ConnectionState::Disconnected(DisconnectReason::Lost { .. }))
            )
    };
    let first = updates
        .wait_for("disconnected", Duration::from_secs(5), lost)
        .await;
    assert!(
        updates.seen[first].0 - killed < Duration::from_secs(2),
        "EOF noticed at once"
    );
    assert!(matches!(
        conn.inventory().await.unwrap_err(),
        DriverError::NotConnected
    ));
    // While the daemon is down, attempts fail and the delay between them grows.
    let second = updates
        .wait_from(first + 1, "second lost", Duration::from_secs(5), &mut |u| {
            lost(u)
        })
        .await;
    let third = updates
        .wait_from(second + 1, "third lost", Duration::from_secs(5), &mut |u| {
            lost(u)
        })
        .await;
    let delay = |index: usize| match &updates.seen[index].1.kind {
        UpdateKind::State(ConnectionState::Disconnected(DisconnectReason::Lost {
            retry_at: Some(at),
            ..
        })) => at.saturating_duration_since(updates.seen[index].0),
        other => panic!("{other:?}"),
    };
    assert!(
        delay(third) > delay(second),
        "{:?} then {:?}",
        delay(second),
        delay(third)
    );

    daemon.restart();
    let mark = updates.seen.len();
    let inventory = updates
        .wait_from(mark, "reconnected", Duration::from_secs(10), &mut |u| {
            u.connection == id && matches!(u.kind, UpdateKind::Inventory(_))
        })
        .await;
    assert!(inventory > mark);
    assert_eq!(conn.state(), ConnectionState::Connected);
    assert_eq!(conn.inventory().await.unwrap().domains.len(), 1);
}

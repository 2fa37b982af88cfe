//! Callback registrations are released when connections close: the count of live libvirt
//! callback data blocks returns to where it started, for local (test:///) and remote
//! (private daemon) connections, after explicit closes, dropped handles and reconnects.
//! (Its own test binary: the count is process-wide.)

// Test code: helpers outside #[test] functions may panic on failure too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "driver_support/common.rs"]
mod common;
#[path = "driver_support/daemon.rs"]
mod daemon;

use std::time::{Duration, Instant};

use common::{TempFleet, Updates, driver, fast_options, is_state, service_missing};
use hangar::driver::{ConnectionState, DisconnectReason, live_callback_count};
use hangar::fleetgen::FleetSpec;

async fn settle_to(expected: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while live_callback_count() != expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(live_callback_count(), expected, "live callback data blocks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_connections_frees_every_callback() {
    let driver = driver();
    let baseline = live_callback_count();
    let fleet = TempFleet::new(
        "leaks",
        &FleetSpec {
            vms: 5,
            seed: 31,
            ..FleetSpec::default()
        },
    );
    let remote = match daemon::tools_missing(false) {
        Some(why) => {
            service_missing(&why);
            None
        }
        None => Some(daemon::PrivateDaemon::start("leaks", None)),
    };
    let mut uris = vec![fleet.uri(); 10];
    if let Some(remote) = &remote {
        uris.extend(std::iter::repeat_n(remote.uri(), 5));
    }
    let mut updates = Updates::new();
    for round in 0..3 {
        let connections: Vec<_> = uris
            .iter()
            .map(|uri| driver.open(uri, fast_options(), updates.tx.clone()))
            .collect();
        for connection in &connections {
            updates
                .connected(connection.id(), Duration::from_secs(20))
                .await;
        }
        // Each session holds a lifecycle and a close registration.
        assert_eq!(
            live_callback_count(),
            baseline + 2 * uris.len(),
            "round {round}"
        );
        // A reconnect replaces the session's registrations instead of adding to them.
        connections[0].disconnect();
        connections[0].reconnect();
        let id = connections[0].id();
        let mark = updates.seen.len();
        updates
            .wait_from(mark, "reconnected", Duration::from_secs(20), &mut |u| {
                is_state(u, id, |s| *s == ConnectionState::Connected)
            })
            .await;
        assert_eq!(
            live_callback_count(),
            baseline + 2 * uris.len(),
            "round {round}"
        );
        // Half are closed explicitly, the rest by dropping the last handle.
        let (explicit, dropped) = connections.split_at(connections.len() / 2);
        for connection in explicit {
            connection.close();
        }
        let ids: Vec<_> = connections.iter().map(|c| c.id()).collect();
        drop(dropped.to_vec());
        drop(connections);
        for id in ids {
            updates
                .wait_for("closed", Duration::from_secs(10), |u| {
                    is_state(u, id, |s| {
                        matches!(s, ConnectionState::Disconnected(DisconnectReason::Closed))
                    })
                })
                .await;
        }
        settle_to(baseline).await;
    }
}

//! Shared helpers of the driver integration tests: an update collector that waits for a
//! condition with a deadline, temporary fleets, the HANGAR_TEST_REQUIRE_ALL rule.

#![allow(dead_code)]
// Test harness code: a failed set-up step should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hangar::driver::{
    ConnectionState, ConnectionUpdate, Driver, NoCredentials, OpenOptions, UpdateKind,
};
use hangar::fleetgen::{FleetSpec, write_node_xml};
use hangar::model::ConnectionId;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// Receives updates and keeps them, so tests can wait for one and look back at all of them.
pub struct Updates {
    pub rx: UnboundedReceiver<ConnectionUpdate>,
    pub tx: UnboundedSender<ConnectionUpdate>,
    pub seen: Vec<(Instant, ConnectionUpdate)>,
}

impl Updates {
    pub fn new() -> Self {
        let (tx, rx) = unbounded_channel();
        Self {
            rx,
            tx,
            seen: Vec::new(),
        }
    }

    /// Waits until an update (new or already seen after `from`) matches; returns its index.
    pub async fn wait_for(
        &mut self,
        what: &str,
        timeout: Duration,
        mut matches: impl FnMut(&ConnectionUpdate) -> bool,
    ) -> usize {
        self.wait_from(0, what, timeout, &mut matches).await
    }

    /// Like `wait_for`, but only considers updates at index `from` or later.
    pub async fn wait_from(
        &mut self,
        from: usize,
        what: &str,
        timeout: Duration,
        matches: &mut dyn FnMut(&ConnectionUpdate) -> bool,
    ) -> usize {
        if let Some(index) = self.seen[from.min(self.seen.len())..]
            .iter()
            .position(|(_, update)| matches(update))
        {
            return from + index;
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(update)) => {
                    let hit = matches(&update);
                    self.seen.push((Instant::now(), update));
                    if hit {
                        return self.seen.len() - 1;
                    }
                }
                Ok(None) => panic!("update channel closed while waiting for {what}"),
                Err(_) => panic!(
                    "no update matching {what} within {timeout:?}; saw: {:#?}",
                    self.seen
                        .iter()
                        .map(|(_, update)| short(update))
                        .collect::<Vec<_>>()
                ),
            }
        }
    }

    /// Collects whatever arrives during `duration`.
    pub async fn drain_for(&mut self, duration: Duration) {
        let deadline = tokio::time::Instant::now() + duration;
        while let Ok(Some(update)) = tokio::time::timeout_at(deadline, self.rx.recv()).await {
            self.seen.push((Instant::now(), update));
        }
    }

    /// Waits for the connection's `State(Connected)` and the `Inventory` after it.
    pub async fn connected(
        &mut self,
        id: ConnectionId,
        timeout: Duration,
    ) -> Arc<hangar::driver::Inventory> {
        let index = self
            .wait_for("inventory", timeout, |update| {
                update.connection == id && matches!(update.kind, UpdateKind::Inventory(_))
            })
            .await;
        match &self.seen[index].1.kind {
            UpdateKind::Inventory(inventory) => Arc::clone(inventory),
            _ => unreachable!(),
        }
    }
}

/// A short description of an update for failure messages (no huge inventories).
pub fn short(update: &ConnectionUpdate) -> String {
    let kind = match &update.kind {
        UpdateKind::State(state) => format!("State({state:?})"),
        UpdateKind::Inventory(inventory) => {
            format!("Inventory({} domains)", inventory.domains.len())
        }
        UpdateKind::DomainChanged(info) => format!("DomainChanged({} {:?})", info.name, info.state),
        UpdateKind::DomainRemoved(uuid) => format!("DomainRemoved({uuid})"),
        UpdateKind::Lifecycle(event) => format!("Lifecycle({} {:?})", event.name, event.kind),
        UpdateKind::Stats(sample) => format!("Stats({} domains)", sample.domains.len()),
        UpdateKind::Stale { .. } => "Stale".to_owned(),
    };
    format!("#{} {kind}", update.connection.0)
}

pub fn is_state(
    update: &ConnectionUpdate,
    id: ConnectionId,
    want: fn(&ConnectionState) -> bool,
) -> bool {
    update.connection == id && matches!(&update.kind, UpdateKind::State(state) if want(state))
}

pub fn driver() -> Driver {
    Driver::new(Arc::new(NoCredentials))
}

/// Options for tests: fast polling and short deadlines.
pub fn fast_options() -> OpenOptions {
    OpenOptions {
        poll_interval: Duration::from_millis(200),
        command_deadline: Duration::from_secs(5),
        ..OpenOptions::default()
    }
}

/// A generated fleet in a temporary file, deleted on drop. Each test:/// open of a file gets
/// its own private state, unlike test:///default, which the whole process shares.
pub struct TempFleet {
    pub path: PathBuf,
}

impl TempFleet {
    pub fn new(tag: &str, spec: &FleetSpec) -> Self {
        let path = std::env::temp_dir().join(format!(
            "hangar-drv-{tag}-{}-{}.xml",
            std::process::id(),
            spec.seed
        ));
        write_node_xml(spec, &path).expect("temp dir is writable");
        Self { path }
    }

    pub fn uri(&self) -> String {
        format!("test://{}", self.path.display())
    }
}

impl Drop for TempFleet {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The shipped demo fleet files.
pub fn demo_uris() -> Vec<String> {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data");
    hangar::demo::fleet_files(&data)
        .iter()
        .map(|path| hangar::demo::test_uri(path))
        .collect()
}

/// COMMON.md's rule for tests that need an optional service: with HANGAR_TEST_REQUIRE_ALL=1 a
/// missing service fails the test; otherwise the test says why and returns early.
pub fn service_missing(why: &str) -> bool {
    if std::env::var("HANGAR_TEST_REQUIRE_ALL").is_ok_and(|value| value == "1") {
        panic!("required service missing (HANGAR_TEST_REQUIRE_ALL=1): {why}");
    }
    eprintln!("SKIPPING: {why} (set HANGAR_TEST_REQUIRE_ALL=1 to make this a failure)");
    true
}

//! Async driver layer: libvirt connections, each on its own worker thread, with typed commands,
//! deadlines, lifecycle events, polling and automatic reconnection — plus the domain XML model.
//!
//! # Shape
//! ```no_run
//! # async fn demo() -> Result<(), hangar::driver::DriverError> {
//! use std::sync::Arc;
//! use hangar::driver::{Driver, NoCredentials, OpenOptions, UpdateKind};
//!
//! let driver = Driver::new(Arc::new(NoCredentials));
//! let (updates_tx, mut updates) = tokio::sync::mpsc::unbounded_channel();
//! let conn = driver.open("test:///default", OpenOptions::default(), updates_tx);
//! // Returns at once; the state, the inventory, events and stats arrive as updates.
//! while let Some(update) = updates.recv().await {
//!     if let UpdateKind::Inventory(inventory) = update.kind {
//!         conn.suspend(inventory.domains[0].uuid).await?;
//!         break;
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # Threads
//! * One libvirt event loop thread per process (`events.rs`, running our own poll-based loop
//!   from `event_loop.rs` so nothing of libvirt lands on GTK's main context), registered before the first
//!   connection opens; lifecycle and close callbacks run there and only post messages.
//! * One small driver thread running a current-thread tokio runtime: one supervisor task per
//!   connection (state machine, polling ticker, staleness, reconnect backoff, credential
//!   prompts) — no libvirt call ever runs there.
//! * One worker thread per connection (`libvirt.rs`) that makes all of that connection's
//!   libvirt calls, one job at a time. Callers only send jobs and await replies.

pub mod actions;
pub mod connection;
pub mod credentials;
pub mod error;
mod event_loop;
mod events;
mod ffi;
pub mod inventory;
mod libvirt;
mod sampler;
mod supervisor;
pub mod update;
pub mod xml;
mod xml_peek;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::sync::{oneshot, watch};

pub use actions::{
    AddressSource, GuestAddress, GuestInterface, KeyCodeSet, Scope, Screenshot, VolumeInfo,
    XmlFlags,
};
pub use connection::Connection;
pub use credentials::{
    CredentialAnswer, CredentialFuture, CredentialKind, CredentialPrompt, CredentialProvider,
    CredentialRequest, NoCredentials,
};
pub use error::{DriverError, DriverResult};
pub use inventory::{DomainInfo, Inventory, NetworkInfo, NodeInfo, StoragePoolInfo, Version};
pub use libvirt::Keepalive;
pub use sampler::PerDomainScope;
pub use update::{
    ConnectionState, ConnectionUpdate, DisconnectReason, LifecycleEvent, LifecycleKind, UpdateKind,
};

use crate::model::ConnectionId;
use crate::stats::sample::StatsGroups;
use connection::ConnectionShared;
use libvirt::{Job, WorkerSettings, WorkerSetup};
use supervisor::Supervisor;

/// How to open and run one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOptions {
    /// Statistics polling interval; zero disables polling.
    pub poll_interval: Duration,
    pub stats_groups: StatsGroups,
    /// Deadline of ordinary commands.
    pub command_deadline: Duration,
    /// Deadline of long commands (managed save, volume deletion; later migration).
    pub long_deadline: Duration,
    /// How long an open attempt may take, not counting time spent in credential prompts.
    pub open_timeout: Duration,
    /// When data counts as stale without a fresh sample; `None`: twice the polling interval,
    /// at least 2 s.
    pub stale_after: Option<Duration>,
    /// libvirt keepalive (remote connections only); `None` disables it.
    pub keepalive: Option<Keepalive>,
    /// Reconnect by itself after the connection was lost (not after a user disconnect).
    pub auto_reconnect: bool,
    /// First reconnect delay; doubles per failed attempt up to `backoff_max`.
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// Credential rounds per open attempt after the host rejected credentials.
    pub auth_attempts: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            stats_groups: StatsGroups::default(),
            command_deadline: Duration::from_secs(15),
            long_deadline: Duration::from_secs(600),
            open_timeout: Duration::from_secs(30),
            stale_after: None,
            keepalive: Some(Keepalive::default()),
            auto_reconnect: true,
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            auth_attempts: 3,
        }
    }
}

/// Connection ids are unique for the whole process, across drivers.
static NEXT_CONNECTION_ID: AtomicU64 = AtomicU64::new(1);

struct DriverShared {
    credentials: Arc<dyn CredentialProvider>,
    runtime: Result<tokio::runtime::Handle, String>,
    event_loop: Result<(), String>,
    /// Whether connections may start opening (see `Driver::hold_opens`).
    opens_allowed: watch::Sender<bool>,
    shutdown: Mutex<Option<oneshot::Sender<()>>>,
}

impl Drop for DriverShared {
    fn drop(&mut self) {
        if let Ok(mut shutdown) = self.shutdown.lock() {
            if let Some(shutdown) = shutdown.take() {
                let _ = shutdown.send(());
            }
        }
    }
}

/// The process-wide entry point: opens connections. Cheap to clone.
#[derive(Clone)]
pub struct Driver {
    shared: Arc<DriverShared>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver").finish_non_exhaustive()
    }
}

fn start_runtime() -> (
    Result<tokio::runtime::Handle, String>,
    Option<oneshot::Sender<()>>,
) {
    let (handle_tx, handle_rx) = mpsc::channel();
    let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("hangar-driver".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build();
            match runtime {
                Ok(runtime) => {
                    let _ = handle_tx.send(Ok(runtime.handle().clone()));
                    let _ = runtime.block_on(shutdown_rx);
                }
                Err(error) => {
                    let _ = handle_tx.send(Err(error.to_string()));
                }
            }
        });
    match spawned {
        Ok(_) => {
            let handle = handle_rx
                .recv()
                .unwrap_or_else(|_| Err("the driver thread ended".into()));
            (handle, Some(shutdown_tx))
        }
        Err(error) => (Err(error.to_string()), None),
    }
}

impl Driver {
    /// Starts the libvirt event loop (once per process) and the driver's timer thread.
    /// Makes no blocking libvirt call on the calling thread.
    pub fn new(credentials: Arc<dyn CredentialProvider>) -> Self {
        let event_loop = events::ensure_event_loop();
        let (runtime, shutdown) = start_runtime();
        Self {
            shared: Arc::new(DriverShared {
                credentials,
                runtime,
                event_loop,
                opens_allowed: watch::Sender::new(true),
                shutdown: Mutex::new(shutdown),
            }),
        }
    }

    /// Connections opened from now on wait, showing as connecting, until `allow_opens`.
    ///
    /// For a window's start-up: a driver that runs in Hangar's process (`test:///FILE`, ESX,
    /// Hyper-V) parses its whole inventory as it opens. Parsed while GTK builds the window,
    /// the parse's temporary allocations and GTK's lasting ones share heap pages, and the
    /// pages the parse frees stay resident, partly used: ≈4 MiB more with 2000 test machines
    /// (docs/benchmarks.md).
    pub fn hold_opens(&self) {
        self.shared.opens_allowed.send_replace(false);
    }

    /// Lets held and later connections open.
    pub fn allow_opens(&self) {
        self.shared.opens_allowed.send_replace(true);
    }

    /// Opens `uri` in the background and returns its handle at once. The connection reports
    /// its state, inventory, events and statistics on `updates` (which may be shared by many
    /// connections).
    pub fn open(
        &self,
        uri: &str,
        options: OpenOptions,
        updates: UnboundedSender<ConnectionUpdate>,
    ) -> Connection {
        let id = ConnectionId(NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed));
        let (state_tx, state_rx) = watch::channel(ConnectionState::Connecting);
        let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
        let (control_tx, control_rx) = unbounded_channel();
        let (reports_tx, reports_rx) = unbounded_channel();
        let prompting = Arc::new(AtomicBool::new(false));
        let shared = ConnectionShared {
            id,
            uri: uri.to_owned(),
            state: state_rx,
            jobs: jobs_tx.clone(),
            control: control_tx,
            command_deadline: options.command_deadline,
            long_deadline: options.long_deadline,
            _driver: Arc::clone(&self.shared) as Arc<dyn Send + Sync>,
        };
        let fail = |message: String| {
            let state = ConnectionState::Failed(DriverError::Libvirt {
                code: -1,
                domain: 0,
                message,
            });
            state_tx.send_replace(state.clone());
            let _ = updates.send(ConnectionUpdate {
                connection: id,
                kind: UpdateKind::State(state),
            });
        };
        let runtime = match (&self.shared.runtime, &self.shared.event_loop) {
            (Ok(runtime), Ok(())) => runtime.clone(),
            (Err(message), _) | (_, Err(message)) => {
                fail(message.clone());
                return Connection::new(shared);
            }
        };
        let setup = WorkerSetup {
            id,
            uri: uri.to_owned(),
            settings: WorkerSettings {
                keepalive: options.keepalive,
                auth_attempts: options.auth_attempts.max(1),
            },
            credentials: Arc::clone(&self.shared.credentials),
            runtime: runtime.clone(),
            reports: reports_tx,
            prompting: Arc::clone(&prompting),
        };
        if let Err(error) = libvirt::spawn_worker(setup, jobs_rx) {
            fail(error.to_string());
            return Connection::new(shared);
        }
        let supervisor = Supervisor {
            id,
            options,
            jobs: jobs_tx,
            control: control_rx,
            reports: reports_rx,
            state: state_tx,
            updates,
            prompting,
            opens_allowed: self.shared.opens_allowed.subscribe(),
        };
        runtime.spawn(supervisor.run());
        Connection::new(shared)
    }
}

#[doc(hidden)]
/// Libvirt callback data blocks (lifecycle and close) alive in this process; tests use it to
/// prove that closing connections frees them all.
pub fn live_callback_count() -> usize {
    events::live_callbacks()
}

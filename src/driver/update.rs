//! What the driver tells its consumer: connection states, lifecycle events and the updates that
//! carry them (plus inventory and statistics) over one channel shared by many connections.

#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::driver::error::DriverError;
use crate::driver::inventory::{DomainInfo, Inventory};
use crate::model::{ConnectionId, DomainUuid};
use crate::stats::sample::TickSample;

/// Where a connection stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    /// Opening (first attempt, a reconnect, or waiting for credentials).
    Connecting,
    /// Open; commands run and polling ticks.
    Connected,
    /// Not open, for the given reason.
    Disconnected(DisconnectReason),
    /// The first attempt (or an attempt after `reconnect()`) failed; nothing retries until the
    /// user asks again.
    Failed(DriverError),
}

impl ConnectionState {
    pub fn is_connected(&self) -> bool {
        matches!(self, Self::Connected)
    }
}

/// Why a connection is disconnected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The user disconnected: nothing reconnects until `reconnect()`.
    User,
    /// The last handle was dropped or `close()` was called.
    Closed,
    /// The host went away (`message` says how, in libvirt's or Hangar's words); the driver
    /// reconnects by itself at `retry_at`.
    Lost {
        message: String,
        retry_at: Option<Instant>,
    },
}

/// One message from the driver about one connection.
#[derive(Debug, Clone)]
pub struct ConnectionUpdate {
    pub connection: ConnectionId,
    pub kind: UpdateKind,
}

/// The payload of a [`ConnectionUpdate`].
#[derive(Debug, Clone)]
pub enum UpdateKind {
    /// The connection changed state.
    State(ConnectionState),
    /// The full inventory, sent after every (re)connect, before any other data of that session.
    Inventory(Arc<Inventory>),
    /// One domain was re-read (after a lifecycle event, an action, or a change a poll noticed).
    DomainChanged(Arc<DomainInfo>),
    /// A domain no longer exists (undefined, or a transient domain stopped).
    DomainRemoved(DomainUuid),
    /// Libvirt reported a lifecycle event (delivered as soon as libvirt delivers it, in order).
    Lifecycle(LifecycleEvent),
    /// One polling tick's raw counters.
    Stats(Arc<TickSample>),
    /// No fresh statistics since `since` (a tick missed its deadline, or the host is gone): the
    /// UI greys the connection's data and shows its age. The next `Stats` means fresh again.
    Stale {
        since: Instant,
        wall_clock: SystemTime,
    },
}

/// A domain lifecycle event, as libvirt reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleEvent {
    pub domain: DomainUuid,
    pub name: String,
    pub kind: LifecycleKind,
    /// libvirt's per-kind detail (`virDomainEvent*DetailType`, e.g. Stopped: 1 = destroyed).
    pub detail: i32,
    /// When the driver received it.
    pub received_at: Instant,
}

/// `virDomainEventType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LifecycleKind {
    Defined,
    Undefined,
    Started,
    Suspended,
    Resumed,
    Stopped,
    Shutdown,
    PmSuspended,
    Crashed,
    /// A kind newer than this code.
    Other(i32),
}

impl LifecycleKind {
    pub fn from_libvirt(event: i32) -> Self {
        match event {
            0 => Self::Defined,
            1 => Self::Undefined,
            2 => Self::Started,
            3 => Self::Suspended,
            4 => Self::Resumed,
            5 => Self::Stopped,
            6 => Self::Shutdown,
            7 => Self::PmSuspended,
            8 => Self::Crashed,
            other => Self::Other(other),
        }
    }

    /// Whether the domain's device list may have changed (so cached device names go stale).
    pub fn redefines(self) -> bool {
        matches!(self, Self::Defined | Self::Started)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_kinds_map_libvirt_numbers() {
        assert_eq!(LifecycleKind::from_libvirt(2), LifecycleKind::Started);
        assert_eq!(LifecycleKind::from_libvirt(8), LifecycleKind::Crashed);
        assert_eq!(LifecycleKind::from_libvirt(42), LifecycleKind::Other(42));
    }
}

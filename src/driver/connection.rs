//! `Connection`: the cheap, cloneable handle the UI holds for one libvirt connection. Every
//! command is an async method that runs on the connection's worker thread and ends with its
//! typed result or `Timeout` when its deadline passes.

#![forbid(unsafe_code)]

use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::{oneshot, watch};

use crate::driver::actions::{
    self, DomainAction, GuestInterface, KeyCodeSet, Scope, Screenshot, VolumeInfo, XmlFlags,
};
use crate::driver::error::{DriverError, DriverResult};
use crate::driver::inventory::{self, DomainInfo, Inventory, NodeInfo};
use crate::driver::libvirt::{Job, Worker};
use crate::driver::sampler::PerDomainScope;
use crate::driver::supervisor::Control;
use crate::model::{ConnectionId, DomainUuid};
use crate::stats::sample::StatsGroups;

pub(crate) struct ConnectionShared {
    pub id: ConnectionId,
    pub uri: String,
    pub state: watch::Receiver<crate::driver::ConnectionState>,
    pub jobs: mpsc::Sender<Job>,
    pub control: UnboundedSender<Control>,
    pub command_deadline: Duration,
    pub long_deadline: Duration,
    /// Keeps the driver's runtime alive while any handle exists.
    pub _driver: Arc<dyn Send + Sync>,
}

impl Drop for ConnectionShared {
    fn drop(&mut self) {
        // The last handle is gone: close the connection (no libvirt call here).
        let _ = self.control.send(Control::Close);
    }
}

/// A handle to one libvirt connection. Clones share the connection; it closes when the last
/// clone is dropped or `close()` is called.
#[derive(Clone)]
pub struct Connection {
    shared: Arc<ConnectionShared>,
    deadline: Option<Duration>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.shared.id)
            .field("uri", &self.shared.uri)
            .field("state", &*self.shared.state.borrow())
            .finish()
    }
}

impl Connection {
    pub(crate) fn new(shared: ConnectionShared) -> Self {
        Self {
            shared: Arc::new(shared),
            deadline: None,
        }
    }

    pub fn id(&self) -> ConnectionId {
        self.shared.id
    }

    pub fn uri(&self) -> &str {
        &self.shared.uri
    }

    /// The current state (also sent as `UpdateKind::State` on every change).
    pub fn state(&self) -> crate::driver::ConnectionState {
        self.shared.state.borrow().clone()
    }

    /// A receiver that sees every state change (for awaiting a state).
    pub fn watch_state(&self) -> watch::Receiver<crate::driver::ConnectionState> {
        self.shared.state.clone()
    }

    /// A handle to the same connection whose commands use `deadline` instead of the default.
    pub fn with_deadline(&self, deadline: Duration) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            deadline: Some(deadline),
        }
    }

    fn deadline(&self) -> Duration {
        self.deadline.unwrap_or(self.shared.command_deadline)
    }

    fn long_deadline(&self) -> Duration {
        self.deadline.unwrap_or(self.shared.long_deadline)
    }

    /// Changes the polling interval (zero stops polling) and the statistics groups.
    pub fn set_polling(&self, interval: Duration, groups: StatsGroups) {
        let _ = self
            .shared
            .control
            .send(Control::SetPolling { interval, groups });
    }

    /// Limits the per-domain statistics calls (CPU and memory, disks, NICs) to some domains on
    /// drivers whose bulk statistics lack them (see [`PerDomainScope`]). Takes effect from the
    /// next tick.
    pub fn set_per_domain_scope(&self, scope: PerDomainScope) {
        let job: Job = Box::new(move |worker: &mut Worker| worker.set_per_domain_scope(scope));
        let _ = self.shared.jobs.send(job);
    }

    /// Closes the connection at the user's request; it stays closed until `reconnect()`.
    pub fn disconnect(&self) {
        let _ = self.shared.control.send(Control::Disconnect);
    }

    /// Opens the connection again now (the Retry button), resetting the backoff.
    pub fn reconnect(&self) {
        let _ = self.shared.control.send(Control::Reconnect);
    }

    /// Closes the connection for good, even while other handles exist.
    pub fn close(&self) {
        let _ = self.shared.control.send(Control::Close);
    }

    /// Runs `work` on the worker within `deadline`. A job whose caller already gave up is not
    /// started (a timed-out "force off" must not happen minutes later).
    async fn run<T, F>(&self, deadline: Duration, work: F) -> DriverResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Worker) -> DriverResult<T> + Send + 'static,
    {
        let (reply_tx, reply_rx) = oneshot::channel();
        let expires = Instant::now() + deadline;
        let job: Job = Box::new(move |worker: &mut Worker| {
            if reply_tx.is_closed() || Instant::now() >= expires {
                return;
            }
            let _ = reply_tx.send(work(worker));
        });
        if self.shared.jobs.send(job).is_err() {
            return Err(DriverError::Closed);
        }
        match tokio::time::timeout(deadline, reply_rx).await {
            Ok(Ok(result)) => result,
            // The worker dropped the job: it expired in the queue or the worker ended.
            Ok(Err(_)) if Instant::now() >= expires => {
                Err(DriverError::Timeout { after: deadline })
            }
            Ok(Err(_)) => Err(DriverError::Closed),
            Err(_) => Err(DriverError::Timeout { after: deadline }),
        }
    }

    /// The escape hatch: runs any closure on the worker with the command deadline.
    pub async fn call<T, F>(&self, work: F) -> DriverResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&virt::connect::Connect) -> Result<T, virt::error::Error> + Send + 'static,
    {
        self.run(self.deadline(), move |worker| Ok(work(worker.conn()?)?))
            .await
    }

    async fn action(&self, uuid: DomainUuid, action: DomainAction) -> DriverResult<()> {
        let deadline = match action {
            DomainAction::ManagedSave => self.long_deadline(),
            _ => self.deadline(),
        };
        self.run(deadline, move |worker| {
            actions::domain_action(worker, uuid, action)
        })
        .await
    }

    /// Starts (boots) a defined domain, restoring its managed save image if it has one.
    pub async fn start(&self, uuid: DomainUuid) -> DriverResult<()> {
        self.action(uuid, DomainAction::Start).await
    }

    /// Asks the guest to shut down (ACPI power button).
    pub async fn shutdown(&self, uuid: DomainUuid) -> DriverResult<()> {
        self.action(uuid, DomainAction::Shutdown).await
    }

    /// Asks the guest to reboot.
    pub async fn reboot(&self, uuid: DomainUuid) -> DriverResult<()> {
        self.action(uuid, DomainAction::Reboot).await
    }

    /// Resets the virtual hardware at once (like a reset button).
    pub async fn reset(&self, uuid: DomainUuid) -> DriverResult<()> {
        self.action(uuid, DomainAction::Reset).await
    }

    /// Stops the domain at once (pulls the plug; `virDomainDestroy`).
    pub async fn force_off(&self, uuid: DomainUuid) -> DriverResult<()> {
        self.action(uuid, DomainAction::ForceOff).await
    }

    pub async fn suspend(&self, uuid: DomainUuid) -> DriverResult<()> {
        self.action(uuid, DomainAction::Suspend).await
    }

    pub async fn resume(&self, uuid: DomainUuid) -> DriverResult<()> {
        self.action(uuid, DomainAction::Resume).await
    }

    /// Saves the running domain's memory to disk and stops it (long deadline).
    pub async fn managed_save(&self, uuid: DomainUuid) -> DriverResult<()> {
        self.action(uuid, DomainAction::ManagedSave).await
    }

    pub async fn discard_managed_save(&self, uuid: DomainUuid) -> DriverResult<()> {
        self.action(uuid, DomainAction::DiscardManagedSave).await
    }

    pub async fn set_autostart(&self, uuid: DomainUuid, autostart: bool) -> DriverResult<()> {
        self.run(self.deadline(), move |worker| {
            actions::set_autostart(worker, uuid, autostart)
        })
        .await
    }

    /// Sets the current (balloon) memory in KiB (xman's mem-set).
    pub async fn set_memory(&self, uuid: DomainUuid, kib: u64, scope: Scope) -> DriverResult<()> {
        self.run(self.deadline(), move |worker| {
            actions::set_memory(worker, uuid, kib, scope, false)
        })
        .await
    }

    /// Sets the maximum memory in KiB (usually `Scope::Config`).
    pub async fn set_max_memory(
        &self,
        uuid: DomainUuid,
        kib: u64,
        scope: Scope,
    ) -> DriverResult<()> {
        self.run(self.deadline(), move |worker| {
            actions::set_memory(worker, uuid, kib, scope, true)
        })
        .await
    }

    /// Sets the number of vCPUs (xman's vcpu-set).
    pub async fn set_vcpus(&self, uuid: DomainUuid, count: u32, scope: Scope) -> DriverResult<()> {
        self.run(self.deadline(), move |worker| {
            actions::set_vcpus(worker, uuid, count, scope, false)
        })
        .await
    }

    /// Sets the maximum number of vCPUs (libvirt allows this in the persistent config only).
    pub async fn set_max_vcpus(
        &self,
        uuid: DomainUuid,
        count: u32,
        scope: Scope,
    ) -> DriverResult<()> {
        self.run(self.deadline(), move |worker| {
            actions::set_vcpus(worker, uuid, count, scope, true)
        })
        .await
    }

    pub async fn domain_xml(&self, uuid: DomainUuid, flags: XmlFlags) -> DriverResult<String> {
        self.run(self.deadline(), move |worker| {
            actions::domain_xml(worker, uuid, flags)
        })
        .await
    }

    /// Defines (or redefines) a domain from XML, validated against libvirt's schema.
    pub async fn define_xml(&self, xml: impl Into<String>) -> DriverResult<DomainInfo> {
        let xml = xml.into();
        self.run(self.deadline(), move |worker| {
            actions::define_xml(worker, &xml)
        })
        .await
    }

    /// Removes a domain's definition with its managed save image, snapshot metadata and NVRAM.
    pub async fn undefine(&self, uuid: DomainUuid) -> DriverResult<()> {
        self.run(self.deadline(), move |worker| {
            actions::undefine(worker, uuid)
        })
        .await
    }

    pub async fn rename(&self, uuid: DomainUuid, new_name: impl Into<String>) -> DriverResult<()> {
        let new_name = new_name.into();
        self.run(self.deadline(), move |worker| {
            actions::rename(worker, uuid, &new_name)
        })
        .await
    }

    /// Sets the title (`None` or empty removes it).
    pub async fn set_title(
        &self,
        uuid: DomainUuid,
        title: Option<String>,
        scope: Scope,
    ) -> DriverResult<()> {
        self.run(self.deadline(), move |worker| {
            actions::set_metadata(worker, uuid, true, title.as_deref(), scope)
        })
        .await
    }

    /// Sets the description (`None` or empty removes it).
    pub async fn set_description(
        &self,
        uuid: DomainUuid,
        description: Option<String>,
        scope: Scope,
    ) -> DriverResult<()> {
        self.run(self.deadline(), move |worker| {
            actions::set_metadata(worker, uuid, false, description.as_deref(), scope)
        })
        .await
    }

    /// One domain, read now.
    pub async fn domain_info(&self, uuid: DomainUuid) -> DriverResult<DomainInfo> {
        self.run(self.deadline(), move |worker| {
            Ok(inventory::read_domain(&worker.domain(uuid)?)?.0)
        })
        .await
    }

    /// The whole inventory, read now.
    pub async fn inventory(&self) -> DriverResult<Inventory> {
        self.run(self.deadline(), |worker| worker.read_inventory())
            .await
    }

    pub async fn node_info(&self) -> DriverResult<NodeInfo> {
        self.run(self.deadline(), |worker| {
            inventory::read_node(worker.conn()?)
        })
        .await
    }

    /// A socket connected to the domain's graphics (VNC/SPICE) server `index`.
    pub async fn open_graphics_fd(
        &self,
        uuid: DomainUuid,
        index: u32,
        skip_auth: bool,
    ) -> DriverResult<OwnedFd> {
        self.run(self.deadline(), move |worker| {
            actions::open_graphics_fd(worker, uuid, index, skip_auth)
        })
        .await
    }

    /// Presses keys in the guest (e.g. Ctrl+Alt+Del), holding them `hold_ms` milliseconds.
    pub async fn send_key(
        &self,
        uuid: DomainUuid,
        codeset: KeyCodeSet,
        hold_ms: u32,
        keycodes: Vec<u32>,
    ) -> DriverResult<()> {
        self.run(self.deadline(), move |worker| {
            actions::send_key(worker, uuid, codeset, hold_ms, &keycodes)
        })
        .await
    }

    pub async fn screenshot(&self, uuid: DomainUuid, screen: u32) -> DriverResult<Screenshot> {
        self.run(self.deadline(), move |worker| {
            actions::screenshot(worker, uuid, screen)
        })
        .await
    }

    /// Guest IP addresses from DHCP leases and the guest agent (sources that fail are skipped).
    pub async fn guest_addresses(&self, uuid: DomainUuid) -> DriverResult<Vec<GuestInterface>> {
        self.run(self.deadline(), move |worker| {
            actions::guest_addresses(worker, uuid)
        })
        .await
    }

    pub async fn volume_by_path(&self, path: impl Into<String>) -> DriverResult<VolumeInfo> {
        let path = path.into();
        self.run(self.deadline(), move |worker| {
            actions::volume_by_path(worker, &path)
        })
        .await
    }

    /// Deletes a storage volume (its data is gone).
    pub async fn delete_volume(&self, path: impl Into<String>) -> DriverResult<()> {
        let path = path.into();
        self.run(self.long_deadline(), move |worker| {
            actions::delete_volume(worker, &path)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>(_: &T) {}

    /// The UI spawns these futures on relm4's multi-threaded runtime: they must be Send.
    #[allow(dead_code)]
    fn command_futures_are_send(conn: &Connection, uuid: DomainUuid) {
        assert_send_sync::<Connection>();
        assert_send(&conn.start(uuid));
        assert_send(&conn.inventory());
        assert_send(&conn.open_graphics_fd(uuid, 0, false));
        assert_send(&conn.call(|c| c.hostname()));
    }

    #[test]
    fn handles_are_send_and_sync() {
        assert_send_sync::<Connection>();
        assert_send_sync::<crate::driver::Driver>();
    }
}

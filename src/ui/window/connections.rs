//! Opening, saving, connecting, disconnecting and removing connections; the command line and
//! the Add/Edit Connection dialog.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use adw::prelude::*;
use relm4::prelude::*;

use hangar::cli::{Options, ShowPage};
use hangar::driver::{ConnectionState, DomainInfo, Inventory, PerDomainScope};
use hangar::fleet::{HostStatus, HostSummary};
use hangar::i18n::{gettext, gettext_f};
use hangar::model::{ConnectionId, DomainUuid};
use hangar::saved_connections::SavedConnection;
use hangar::{config, demo, uri};

use super::{Window, WindowInput};
use crate::ui::add_connection::{AddConnection, AddConnectionInit, AddConnectionOutput};
use crate::ui::confirm::confirm_removal;
use crate::ui::saved_connections;

/// What the window knows about one connection.
pub struct HostEntry {
    pub connection: hangar::driver::Connection,
    /// The name the user gave (or the demo fleet's file name); the host name otherwise.
    pub name: Option<String>,
    /// Whether the connection is in the saved list (demo and `--connect` ones are not).
    pub saved: bool,
    pub state: ConnectionState,
    pub inventory: Option<Arc<Inventory>>,
    /// The latest facts about each domain (inventory, then lifecycle re-reads).
    pub domains: HashMap<DomainUuid, Arc<DomainInfo>>,
    pub stale_since: Option<Instant>,
    /// Whether its machines have been listed once (for the benchmark hook and `--show-*`).
    pub listed: bool,
    /// The per-domain calls' scope last sent to the driver (see `per_domain_scope.rs`).
    pub per_domain_scope: PerDomainScope,
}

/// The GSettings key that records the first start's local connection (see
/// `add_local_connection_once`).
const LOCAL_OFFERED: &str = "local-connection-offered";

impl HostEntry {
    /// Whether the host has answered: its machines are listed, or connecting failed.
    fn answered(&self) -> bool {
        self.listed || matches!(self.state, ConnectionState::Failed(_))
    }

    /// The row's label: the user's name, else the host name, else one made from the URI.
    pub fn label(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        match &self.inventory {
            Some(inventory) if !inventory.node.hostname.is_empty() => {
                inventory.node.hostname.clone()
            }
            _ => uri::display_name(self.connection.uri()),
        }
    }

    pub fn summary(&self, id: ConnectionId) -> HostSummary {
        let status = match &self.state {
            ConnectionState::Connecting => HostStatus::Connecting,
            ConnectionState::Connected => HostStatus::Connected,
            ConnectionState::Disconnected(hangar::driver::DisconnectReason::Lost {
                message,
                ..
            }) => HostStatus::Disconnected(Some(message.clone())),
            ConnectionState::Disconnected(_) => HostStatus::Disconnected(None),
            ConnectionState::Failed(error) => HostStatus::Failed(error.to_string()),
        };
        HostSummary {
            id,
            label: self.label(),
            uri: self.connection.uri().to_owned(),
            status,
            stale_since: self.stale_since,
            cpu_percent: None,
            memory_used_kib: None,
            memory_total_kib: self.inventory.as_ref().map(|i| i.node.memory_kib),
            vm_count: self.domains.len(),
        }
    }
}

impl Window {
    /// Opens the saved connections marked to connect at start-up, all at once.
    pub(super) fn open_saved_connections(&mut self) {
        let saved = saved_connections::load(&self.settings);
        for entry in saved.entries() {
            if entry.autoconnect {
                self.open(&entry.uri, entry.name.clone(), true);
            }
        }
    }

    /// Opens a connection (at once; it connects in the background) unless it is open already.
    pub(super) fn open(&mut self, uri: &str, name: Option<String>, saved: bool) -> ConnectionId {
        if let Some((id, _)) = self
            .hosts
            .iter()
            .find(|(_, entry)| entry.connection.uri() == uri)
        {
            return *id;
        }
        let options = self.open_options();
        let connection = self.driver.open(uri, options, self.updates_sender());
        let id = connection.id();
        let entry = HostEntry {
            state: connection.state(),
            connection,
            name,
            saved,
            inventory: None,
            domains: HashMap::new(),
            stale_since: None,
            listed: false,
            per_domain_scope: PerDomainScope::All,
        };
        self.fleet.upsert_host(entry.summary(id));
        self.hosts.insert(id, entry);
        self.layout.update_empty_state(&self.fleet);
        self.update_counts();
        id
    }

    /// A first start, as virt-manager does it: without `--connect` or `--demo` and with no
    /// saved connection, the local QEMU/KVM host is saved (connecting automatically) and opened
    /// when its daemon's socket is there. Once only: a connection removed later stays removed.
    fn add_local_connection_once(&mut self, options: &Options) {
        if !options.connect.is_empty()
            || options.demo
            || self.settings.boolean(LOCAL_OFFERED)
            || !saved_connections::load(&self.settings).is_empty()
        {
            return;
        }
        let _ = self.settings.set_boolean(LOCAL_OFFERED, true);
        let Some(uri) = demo::local_qemu_uri() else {
            return;
        };
        let entry = SavedConnection::new(&uri, None, true);
        if let Err(error) = saved_connections::update(&self.settings, |list| {
            list.add(entry);
            true
        }) {
            log::warn!("could not save the local connection: {error}");
        }
        self.open(&uri, None, true);
    }

    pub(super) fn apply_command_line(&mut self, options: Options) {
        self.add_local_connection_once(&options);
        let connected: Vec<ConnectionId> = options
            .connect
            .iter()
            .map(|uri| self.open(uri, None, false))
            .collect();
        if options.demo {
            for host in demo::demo_hosts(std::path::Path::new(config::PKGDATADIR)) {
                // The local QEMU host keeps its real host name.
                let name = host.uri.starts_with("test://").then_some(host.name);
                self.open(&host.uri, name, false);
            }
        }
        if let Some(page) = options.show {
            // As in virt-manager, `--show-*` is about the `--connect` hosts given with it.
            self.pending_show = Some(page);
            self.pending_hosts = connected;
            self.try_pending_show();
        }
        self.layout.window.present();
    }

    /// Shows the page a `--show-*` option asked for, once its machine or host is listed; says
    /// so when every host it could be on has answered (or failed) without it.
    pub(super) fn try_pending_show(&mut self) {
        let Some(page) = self.pending_show.clone() else {
            return;
        };
        let mut candidates: Vec<ConnectionId> = if self.pending_hosts.is_empty() {
            self.hosts.keys().copied().collect()
        } else {
            self.pending_hosts.clone()
        };
        candidates.sort();
        let found = match &page {
            ShowPage::HostSummary => candidates
                .first()
                .filter(|id| self.hosts.get(id).is_some_and(HostEntry::answered))
                .and_then(|id| self.fleet.host(*id).cloned()),
            other => {
                let wanted = other.domain().unwrap_or_default();
                let by_uuid: Option<DomainUuid> = wanted.parse().ok();
                candidates.iter().find_map(|id| {
                    self.hosts
                        .get(id)?
                        .domains
                        .values()
                        .find(|d| d.name == wanted || Some(d.uuid) == by_uuid)
                        .and_then(|d| self.fleet.vm(*id, d.uuid).cloned())
                })
            }
        };
        if let Some(item) = found
            && self.fleet.select_item(&item)
        {
            self.pending_show = None;
            self.show_selection();
            self.reveal_page_for(&page);
            return;
        }
        let all_answered = candidates
            .iter()
            .all(|id| self.hosts.get(id).is_none_or(HostEntry::answered));
        if all_answered {
            self.pending_show = None;
            let text = match page.domain() {
                Some(name) => gettext_f(
                    "No virtual machine “{name}” on the connected hosts",
                    &[("name", name)],
                ),
                None => gettext("No connection to show: add one, or start Hangar with --connect"),
            };
            self.layout.toast(&text, None);
        }
    }

    pub(super) fn connect(&mut self, id: ConnectionId) {
        if let Some(entry) = self.hosts.get(&id) {
            entry.connection.reconnect();
        }
    }

    pub(super) fn disconnect(&mut self, id: ConnectionId) {
        if let Some(entry) = self.hosts.get(&id) {
            entry.connection.disconnect();
        }
    }

    /// Asks before forgetting a connection: its name and "Connect Automatically" go with it,
    /// and only the Add Connection dialog brings them back.
    pub(super) fn confirm_remove_connection(
        &self,
        id: ConnectionId,
        root: &adw::ApplicationWindow,
        sender: &ComponentSender<Self>,
    ) {
        let Some(entry) = self.hosts.get(&id) else {
            return;
        };
        let sender = sender.clone();
        confirm_removal(
            Some(root.upcast_ref()),
            &gettext_f("Remove “{name}”?", &[("name", &entry.label())]),
            &gettext_f(
                "Hangar forgets the connection to {uri}. The host and its virtual machines are not changed.",
                &[("uri", entry.connection.uri())],
            ),
            move || sender.input(WindowInput::RemoveConfirmed(id)),
        );
    }

    /// Closes a connection, forgets its rows and statistics and removes it from the saved list.
    pub(super) fn remove_connection(&mut self, id: ConnectionId) {
        let Some(entry) = self.hosts.remove(&id) else {
            return;
        };
        entry.connection.close();
        let uri = entry.connection.uri().to_owned();
        if entry.saved {
            let _ = saved_connections::update(&self.settings, |list| list.remove(&uri));
        }
        self.fleet.remove_host(id);
        self.stats.borrow_mut().forget_connection(id);
        self.layout.update_empty_state(&self.fleet);
        self.update_counts();
        self.show_selection();
    }

    pub(super) fn show_connection_dialog(
        &mut self,
        edit: Option<ConnectionId>,
        root: &adw::ApplicationWindow,
        sender: &ComponentSender<Self>,
    ) {
        let init = match edit.and_then(|id| self.hosts.get(&id)) {
            Some(entry) => {
                let saved = saved_connections::load(&self.settings);
                let autoconnect = saved
                    .get(entry.connection.uri())
                    .is_some_and(|saved| saved.autoconnect);
                AddConnectionInit::edit(entry.connection.uri(), entry.name.as_deref(), autoconnect)
            }
            None => AddConnectionInit::add(),
        };
        let dialog = AddConnection::builder()
            .transient_for(root)
            .launch(init)
            .forward(sender.input_sender(), WindowInput::ConnectionDialog);
        // A component's window is built hidden.
        dialog.widget().present();
        self.add_dialog = Some(dialog);
    }

    /// Saves what the dialog produced and opens (or re-opens) the connection.
    pub(super) fn apply_connection_dialog(&mut self, output: AddConnectionOutput) {
        let AddConnectionOutput::AddConnection {
            uri,
            name,
            autoconnect,
            previous_uri,
        } = output;
        let entry = SavedConnection::new(&uri, name.as_deref(), autoconnect);
        let _ = saved_connections::update(&self.settings, |list| match &previous_uri {
            Some(previous) => list.replace(previous, entry.clone()),
            None => {
                list.add(entry.clone());
                true
            }
        });
        let previous = previous_uri.as_deref().unwrap_or(&uri);
        let existing = self
            .hosts
            .iter()
            .find(|(_, entry)| entry.connection.uri() == previous)
            .map(|(id, _)| *id);
        match existing {
            // Same address: only the name changed.
            Some(id) if previous == uri => {
                if let Some(host) = self.hosts.get_mut(&id) {
                    host.name = name;
                    host.saved = true;
                }
                self.refresh_host_row(id);
            }
            // A new address: the old connection goes, the new one opens.
            Some(id) => {
                self.remove_connection(id);
                let _ = saved_connections::update(&self.settings, |list| {
                    list.add(SavedConnection::new(&uri, name.as_deref(), autoconnect));
                    true
                });
                self.open(&uri, name, true);
            }
            None => {
                self.open(&uri, name, true);
            }
        }
        self.add_dialog = None;
    }

    pub(super) fn refresh_host_row(&mut self, id: ConnectionId) {
        if let Some(entry) = self.hosts.get(&id) {
            let mut summary = entry.summary(id);
            if let Some(rates) = self.stats.borrow_mut().host_latest(id) {
                use hangar::stats::HostMetric;
                summary.cpu_percent = rates.get(HostMetric::CpuPercent).value();
                summary.memory_used_kib = rates
                    .get(HostMetric::MemUsed)
                    .value()
                    .map(|bytes| (bytes / 1024.0) as u64);
            }
            self.fleet.upsert_host(summary);
        }
    }

    pub(super) fn update_counts(&self) {
        let machines = self.hosts.values().map(|entry| entry.domains.len()).sum();
        self.layout.set_counts(self.hosts.len(), machines);
    }
}

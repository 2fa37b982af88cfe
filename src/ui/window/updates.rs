//! Driver updates → fleet rows, statistics and pages. Lifecycle re-reads update a row at once;
//! statistics ticks update every row's figures in place and redraw only what is on screen.

use std::sync::Arc;
use std::time::Instant;

use gtk::glib;
use relm4::ComponentSender;
use tokio::sync::mpsc;

use hangar::cli::ShowPage;
use hangar::driver::{ConnectionState, ConnectionUpdate, DomainInfo, Inventory, UpdateKind};
use hangar::fleet::{Column, VmSummary};
use hangar::model::ConnectionId;
use hangar::stats::{Metric, TickSample};

use super::{Shown, Window, WindowInput};
use crate::ui::details::DetailsTarget;
use crate::ui::fleet::ItemData;

/// Forwards driver updates to the window in batches: one window update per burst, however
/// many connections reported in it.
pub(super) fn spawn_update_loop(
    sender: &ComponentSender<Window>,
) -> mpsc::UnboundedSender<ConnectionUpdate> {
    let (updates, mut receiver) = mpsc::unbounded_channel();
    let sender = sender.clone();
    glib::spawn_future_local(async move {
        while let Some(first) = receiver.recv().await {
            let mut batch = vec![first];
            while let Ok(more) = receiver.try_recv() {
                batch.push(more);
            }
            sender.input(WindowInput::Driver(batch));
        }
    });
    updates
}

fn vm_summary(info: &DomainInfo, id: ConnectionId, host_label: &str) -> VmSummary {
    let mut vm = VmSummary::new(id, info.uuid, info.name.clone(), host_label.to_owned());
    vm.title = info.title.clone().unwrap_or_default();
    vm.state = info.state;
    vm.persistent = info.persistent;
    vm.memory_allocated_kib = info.memory_kib;
    vm
}

impl Window {
    pub(super) fn apply_updates(&mut self, updates: Vec<ConnectionUpdate>) {
        let mut ticked = false;
        for update in updates {
            let id = update.connection;
            if !self.hosts.contains_key(&id) {
                continue; // removed meanwhile
            }
            match update.kind {
                UpdateKind::State(state) => self.set_state(id, state),
                UpdateKind::Inventory(inventory) => self.set_inventory(id, inventory),
                UpdateKind::DomainChanged(info) => self.domain_changed(id, info),
                UpdateKind::DomainRemoved(uuid) => {
                    if let Some(entry) = self.hosts.get_mut(&id) {
                        entry.domains.remove(&uuid);
                    }
                    self.fleet.remove_vm(id, uuid);
                    self.stats.borrow_mut().forget_domain(id, &uuid);
                    self.refresh_host_row(id);
                    self.update_counts();
                }
                UpdateKind::Lifecycle(_) => {} // the DomainChanged that follows carries the state
                UpdateKind::Stats(sample) => {
                    self.apply_stats(id, &sample);
                    ticked = true;
                }
                UpdateKind::Stale { since, .. } => {
                    self.stats.borrow_mut().mark_stale(id, since);
                    if let Some(entry) = self.hosts.get_mut(&id) {
                        entry.stale_since = Some(since);
                    }
                    self.set_vms_stale(id, Some(since));
                    self.refresh_host_row(id);
                }
            }
        }
        if ticked && self.sorted_by_live_column() {
            self.fleet.resort();
        }
        if ticked {
            self.fleet.redraw_sparklines();
        }
        self.fleet.refresh(false);
        self.layout.update_empty_state(&self.fleet);
        self.refresh_shown_page();
        if ticked {
            self.charts_ticked();
            self.update_per_domain_scopes();
        }
    }

    fn set_state(&mut self, id: ConnectionId, state: ConnectionState) {
        let Some(entry) = self.hosts.get_mut(&id) else {
            return;
        };
        let connected = state.is_connected();
        entry.state = state;
        if !connected {
            // A host that is not connected has no live figures: its charts grey their tails,
            // and its machines' rows grey (their state and figures are the last known).
            let since = *entry.stale_since.get_or_insert_with(Instant::now);
            self.stats.borrow_mut().mark_stale(id, since);
            self.set_vms_stale(id, Some(since));
        }
        self.refresh_host_row(id);
        // A host that fails may have been the last one a `--show-*` request waited for.
        self.try_pending_show();
    }

    fn set_inventory(&mut self, id: ConnectionId, inventory: Arc<Inventory>) {
        let Some(entry) = self.hosts.get_mut(&id) else {
            return;
        };
        entry.domains = inventory
            .domains
            .iter()
            .map(|d| (d.uuid, Arc::new(d.clone())))
            .collect();
        entry.inventory = Some(inventory.clone());
        entry.stale_since = None;
        let first_listing = !std::mem::replace(&mut entry.listed, true);
        let label = entry.label();
        let vms = inventory
            .domains
            .iter()
            .map(|info| vm_summary(info, id, &label))
            .collect();
        self.fleet.set_host_vms(id, vms);
        self.refresh_host_row(id);
        self.update_counts();
        if first_listing {
            self.report_listed();
        }
        self.try_pending_show();
    }

    fn domain_changed(&mut self, id: ConnectionId, info: Arc<DomainInfo>) {
        let Some(entry) = self.hosts.get_mut(&id) else {
            return;
        };
        let label = entry.label();
        entry.domains.insert(info.uuid, info.clone());
        match self.fleet.vm(id, info.uuid) {
            Some(item) => item.update_vm(|vm| {
                vm.name = info.name.clone();
                vm.title = info.title.clone().unwrap_or_default();
                vm.state = info.state;
                vm.persistent = info.persistent;
                vm.memory_allocated_kib = info.memory_kib;
                vm.busy = None;
                if !info.state.is_active() {
                    clear_figures(vm);
                }
            }),
            None => self.fleet.upsert_vm(vm_summary(&info, id, &label)),
        }
        self.refresh_host_row(id);
        self.update_counts();
        self.try_pending_show();
    }

    fn apply_stats(&mut self, id: ConnectionId, sample: &TickSample) {
        if !self.stats.borrow_mut().ingest(id, sample) {
            return;
        }
        let was_stale = self
            .hosts
            .get_mut(&id)
            .and_then(|entry| entry.stale_since.take())
            .is_some();
        for (uuid, _) in &sample.domains {
            let (Some(item), Some(rates)) = (
                self.fleet.vm(id, *uuid),
                self.stats.borrow_mut().latest(id, uuid),
            ) else {
                continue;
            };
            let kib = |metric| {
                rates
                    .get(metric)
                    .value()
                    .map(|bytes: f64| (bytes / 1024.0) as u64)
            };
            item.update_vm_figures(|vm| {
                vm.cpu_percent = rates.get(Metric::GuestCpu).value();
                vm.host_cpu_percent = rates.get(Metric::HostCpu).value();
                vm.memory_used_kib = kib(Metric::MemUsed);
                if let Some(allocated) = kib(Metric::MemAllocated) {
                    vm.memory_allocated_kib = allocated;
                }
                vm.disk_read_bps = rates.get(Metric::DiskRead).value();
                vm.disk_write_bps = rates.get(Metric::DiskWrite).value();
                vm.net_rx_bps = rates.get(Metric::NetRx).value();
                vm.net_tx_bps = rates.get(Metric::NetTx).value();
                vm.stale_since = None;
            });
        }
        if was_stale {
            self.set_vms_stale(id, None);
        }
        self.refresh_host_row(id);
    }

    fn set_vms_stale(&self, id: ConnectionId, since: Option<Instant>) {
        for ((connection, _), item) in self.fleet.vm_items() {
            if *connection == id {
                item.update_vm_figures(|vm| vm.stale_since = since);
            }
        }
    }

    /// Whether the fleet is sorted by a column whose values change every tick.
    fn sorted_by_live_column(&self) -> bool {
        self.fleet
            .sort_column()
            .is_some_and(|column| !matches!(column, Column::Name | Column::Host | Column::State))
    }

    /// Writes "listed <seconds>" to the benchmark file once every connection listed its
    /// machines (HANGAR_BENCH_EVENTS, used by benches/scripts/fleet_window.py).
    fn report_listed(&self) {
        let Some(path) = &self.bench_events else {
            return;
        };
        if self.hosts.values().all(|entry| entry.listed) {
            let line = format!("listed {:.3}\n", self.started.elapsed().as_secs_f64());
            let _ = std::fs::write(path, line);
            super::bench::schedule_scroll(&self.layout.column_view, path);
        }
    }

    /// Shows the page of what is selected.
    pub(super) fn show_selection(&mut self) {
        let selected = self.fleet.selected_items();
        self.shown = match selected.as_slice() {
            [] => Shown::Nothing,
            [item] => match &*item.data() {
                ItemData::Host(host) => Shown::Host(host.id),
                ItemData::Vm(vm) => Shown::Vm(vm.connection, vm.uuid),
            },
            _ => Shown::Many,
        };
        self.charts_follow_selection();
        self.update_per_domain_scopes();
        match self.shown {
            Shown::Nothing => self.layout.show_page("overview", false),
            Shown::Many => {
                let vms: Vec<_> = selected
                    .iter()
                    .filter_map(|item| item.vm().map(|vm| vm.connection))
                    .collect();
                let mut machine_hosts = vms.clone();
                machine_hosts.sort();
                machine_hosts.dedup();
                let hosts = selected.iter().filter(|item| item.host().is_some()).count();
                self.layout.show_many(vms.len(), machine_hosts.len(), hosts);
            }
            Shown::Host(_) | Shown::Vm(..) => {
                self.refresh_shown_page();
                let name = if matches!(self.shown, Shown::Host(_)) {
                    "host"
                } else {
                    "vm"
                };
                self.layout.show_page(name, true);
            }
        }
        self.redraw_charts();
    }

    /// Refills the visible page from the latest data.
    pub(super) fn refresh_shown_page(&mut self) {
        match self.shown {
            Shown::Host(id) => {
                if let (Some(entry), Some(item)) = (self.hosts.get(&id), self.fleet.host(id))
                    && let Some(host) = item.host()
                {
                    self.host_page.show(&host, entry.inventory.as_deref());
                }
            }
            Shown::Vm(id, uuid) => {
                let target = self.hosts.get(&id).and_then(|entry| {
                    Some(DetailsTarget {
                        connection: entry.connection.clone(),
                        uuid,
                        info: entry.domains.get(&uuid)?.clone(),
                        node: entry.inventory.as_ref().map(|i| i.node.clone()),
                        host_label: entry.label(),
                    })
                });
                if let Some(item) = self.fleet.vm(id, uuid)
                    && let Some(vm) = item.vm()
                {
                    self.vm_page.show(&vm, target);
                }
            }
            Shown::Nothing | Shown::Many => {}
        }
        self.sync_consoles();
    }

    /// Opens the tab a `--show-*` option asked for.
    pub(super) fn reveal_page_for(&self, page: &ShowPage) {
        let tab = match page {
            ShowPage::DomainConsole(_) => "console",
            ShowPage::DomainPerformance(_) => "performance",
            // virt-manager's "domain editor" is its hardware details view.
            ShowPage::DomainEditor(_) => "hardware",
            ShowPage::HostSummary => return,
        };
        // Tabs that a build does not have yet fall back to the overview.
        if self.vm_page.stack.child_by_name(tab).is_some() {
            self.vm_page.stack.set_visible_child_name(tab);
        } else {
            self.vm_page.stack.set_visible_child_name("overview");
        }
    }
}

/// An off machine shows no live figures (a gap, not zeros).
fn clear_figures(vm: &mut VmSummary) {
    vm.cpu_percent = None;
    vm.host_cpu_percent = None;
    vm.memory_used_kib = None;
    vm.disk_read_bps = None;
    vm.disk_write_bps = None;
    vm.net_rx_bps = None;
    vm.net_tx_bps = None;
}

//! The host page: what a connection's host is (hypervisor, libvirt, CPU, memory), how many of
//! its machines are in which state, and its networks and storage pools (read-only).

use adw::prelude::*;

use hangar::driver::{Inventory, NodeInfo};
use hangar::fleet::{self, HostStatus, HostSummary};
use hangar::i18n::{gettext, gettext_f, ngettext_f, pgettext};
use hangar::model::DomainState;
use hangar::units::{format_bytes, format_kib};

/// The widgets of the host page; `show` fills them for one host.
pub struct HostPage {
    pub root: gtk::ScrolledWindow,
    /// The page's column (the performance section goes in after the header and `problem`).
    content: gtk::Box,
    title: gtk::Label,
    subtitle: gtk::Label,
    /// Why the host is not connected, in libvirt's words, where its details would be.
    problem: gtk::Box,
    problem_title: gtk::Label,
    problem_reason: gtk::Label,
    host: adw::PreferencesGroup,
    machines: adw::PreferencesGroup,
    networks: adw::PreferencesGroup,
    pools: adw::PreferencesGroup,
    /// Rows added by the last `show`, removed by the next.
    rows: Vec<(adw::PreferencesGroup, gtk::Widget)>,
    /// What those rows show, and what the current `show` collects: `show` runs on every
    /// statistics tick, and rebuilding unchanged rows relayouts the whole window.
    shown: Vec<(adw::PreferencesGroup, String, String)>,
    collected: Vec<(adw::PreferencesGroup, String, String)>,
    connect: gtk::Button,
    disconnect: gtk::Button,
    edit: gtk::Button,
    remove: gtk::Button,
}

/// "16 CPUs: 1 socket × 8 cores × 2 threads, 1 NUMA node", each count with its own plural.
fn topology_text(node: &NodeInfo) -> String {
    topology(
        node.cpus,
        node.sockets,
        node.cores,
        node.threads,
        node.numa_nodes,
    )
}

fn topology(cpus: u32, sockets: u32, cores: u32, threads: u32, nodes: u32) -> String {
    let (cpus, sockets, cores, threads, nodes) = (
        ngettext_f("{n} CPU", "{n} CPUs", cpus, &[("n", &cpus.to_string())]),
        ngettext_f(
            "{n} socket",
            "{n} sockets",
            sockets,
            &[("n", &sockets.to_string())],
        ),
        ngettext_f("{n} core", "{n} cores", cores, &[("n", &cores.to_string())]),
        ngettext_f(
            "{n} thread",
            "{n} threads",
            threads,
            &[("n", &threads.to_string())],
        ),
        ngettext_f(
            "{n} NUMA node",
            "{n} NUMA nodes",
            nodes,
            &[("n", &nodes.to_string())],
        ),
    );
    gettext_f(
        // Translators: the parts are "16 CPUs", "1 socket", "8 cores", "2 threads", "1 NUMA node".
        "{cpus}: {sockets} × {cores} × {threads}, {nodes}",
        &[
            ("cpus", &cpus),
            ("sockets", &sockets),
            ("cores", &cores),
            ("threads", &threads),
            ("nodes", &nodes),
        ],
    )
}

/// The block that says why a host is not connected: an icon, a title and libvirt's reason
/// (selectable, to copy into a bug report or a search).
fn problem_block() -> (gtk::Box, gtk::Label, gtk::Label) {
    let icon = gtk::Image::builder()
        .icon_name("network-offline-symbolic")
        .pixel_size(64)
        .css_classes(["dim-label"])
        .build();
    let title = gtk::Label::builder()
        .wrap(true)
        .justify(gtk::Justification::Center)
        .css_classes(["title-2"])
        .build();
    let reason = gtk::Label::builder()
        .wrap(true)
        .selectable(true)
        .justify(gtk::Justification::Center)
        .build();
    let block = gtk::Box::new(gtk::Orientation::Vertical, 12);
    block.set_margin_top(48);
    block.append(&icon);
    block.append(&title);
    block.append(&reason);
    block.set_visible(false);
    (block, title, reason)
}

impl HostPage {
    pub fn new() -> Self {
        let title = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["title-1"])
            .build();
        let subtitle = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .selectable(true)
            .css_classes(["dim-label"])
            .build();
        let actions = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        actions.set_valign(gtk::Align::Center);
        let button = |label: String| {
            let button = gtk::Button::builder()
                .label(label)
                .use_underline(true)
                .build();
            actions.append(&button);
            button
        };
        let connect = button(gettext("_Connect"));
        let disconnect = button(gettext("_Disconnect"));
        let edit = button(gettext("_Edit…"));
        let remove = button(gettext("_Remove"));
        remove.add_css_class("destructive-action");
        let header = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        let text = gtk::Box::new(gtk::Orientation::Vertical, 4);
        text.set_hexpand(true);
        text.append(&title);
        text.append(&subtitle);
        header.append(&text);
        header.append(&actions);
        let (problem, problem_title, problem_reason) = problem_block();

        let group = |title: String| adw::PreferencesGroup::builder().title(title).build();
        let host = group(gettext("Host"));
        let machines = group(gettext("Virtual Machines"));
        let networks = group(gettext("Networks"));
        let pools = group(gettext("Storage Pools"));

        let content = gtk::Box::new(gtk::Orientation::Vertical, 24);
        content.set_margin_top(24);
        content.set_margin_bottom(24);
        content.set_margin_start(12);
        content.set_margin_end(12);
        content.append(&header);
        content.append(&problem);
        for group in [&host, &machines, &networks, &pools] {
            content.append(group);
        }
        let clamp = adw::Clamp::builder()
            .maximum_size(crate::ui::PAGE_MAX_WIDTH)
            .child(&content)
            .build();
        let root = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .child(&clamp)
            .vexpand(true)
            .build();
        Self {
            root,
            content,
            title,
            subtitle,
            problem,
            problem_title,
            problem_reason,
            host,
            machines,
            networks,
            pools,
            rows: Vec::new(),
            shown: Vec::new(),
            collected: Vec::new(),
            connect,
            disconnect,
            edit,
            remove,
        }
    }

    /// Puts the host's charts (and whatever goes with them) under the header, after what
    /// says why a host is not connected.
    pub fn add_performance(&self, section: &impl IsA<gtk::Widget>) {
        self.content
            .insert_child_after(section, Some(&self.problem));
    }

    fn add_row(&mut self, group: &adw::PreferencesGroup, title: &str, value: &str) {
        self.collected
            .push((group.clone(), title.to_owned(), value.to_owned()));
    }

    /// Replaces the rows with the collected ones, unless they show the same.
    fn apply_rows(&mut self) {
        let collected = std::mem::take(&mut self.collected);
        if collected == self.shown {
            return;
        }
        for (group, row) in self.rows.drain(..) {
            group.remove(&row);
        }
        for (group, title, value) in &collected {
            let row = crate::ui::rows::value_row(title, value);
            group.add(&row);
            self.rows.push((group.clone(), row.upcast()));
        }
        self.shown = collected;
    }

    /// Shows `host`, with what its inventory says when the connection has one.
    pub fn show(&mut self, host: &HostSummary, inventory: Option<&Inventory>) {
        self.collect(host, inventory);
        self.apply_rows();
    }

    fn collect(&mut self, host: &HostSummary, inventory: Option<&Inventory>) {
        self.collected.clear();
        // The buttons act on this host through the window's `win.host-*` actions.
        let target = host.id.0.to_variant();
        for (button, action) in [
            (&self.connect, "win.host-connect"),
            (&self.disconnect, "win.host-disconnect"),
            (&self.edit, "win.host-edit"),
            (&self.remove, "win.host-remove"),
        ] {
            button.set_action_target_value(Some(&target));
            button.set_action_name(Some(action));
        }
        let connected = matches!(host.status, HostStatus::Connected | HostStatus::Connecting);
        self.connect.set_visible(!connected);
        self.disconnect.set_visible(connected);
        self.title.set_label(&host.label);
        self.subtitle.set_label(&match host.status {
            HostStatus::Connecting => format!("{}\n{}", host.uri, fleet::host_status_text(host)),
            _ => host.uri.clone(),
        });
        let problem = match &host.status {
            HostStatus::Failed(reason) => Some((gettext("Could Not Connect"), reason.clone())),
            HostStatus::Disconnected(reason) => Some((
                gettext("Disconnected"),
                reason
                    .clone()
                    .unwrap_or_else(|| gettext("Connect to see this host’s details and machines.")),
            )),
            HostStatus::Connecting | HostStatus::Connected => None,
        };
        self.problem.set_visible(problem.is_some());
        if let Some((title, reason)) = problem {
            self.problem_title.set_label(&title);
            self.problem_reason.set_label(&reason);
        }
        let Some(inventory) = inventory.filter(|_| host.status == HostStatus::Connected) else {
            for group in [&self.host, &self.machines, &self.networks, &self.pools] {
                group.set_visible(false);
            }
            return;
        };
        for group in [&self.host, &self.machines, &self.networks, &self.pools] {
            group.set_visible(true);
        }
        self.show_node(&inventory.node);
        self.show_machines(inventory);
        self.show_networks(inventory);
        self.show_pools(inventory);
    }

    fn show_node(&mut self, node: &NodeInfo) {
        let host = self.host.clone();
        self.add_row(&host, &gettext("Host Name"), &node.hostname);
        let hypervisor = match node.hypervisor_version {
            Some(version) => format!("{} {}", node.driver_type, version),
            None => node.driver_type.clone(),
        };
        self.add_row(&host, &gettext("Hypervisor"), &hypervisor);
        self.add_row(
            &host,
            &gettext("Libvirt"),
            &node.libvirt_version.to_string(),
        );
        let cpu = gettext_f(
            "{model}, {mhz} MHz",
            &[("model", &node.cpu_model), ("mhz", &node.mhz.to_string())],
        );
        self.add_row(&host, &gettext("Processor"), &cpu);
        let topology = topology_text(node);
        self.add_row(&host, &gettext("Topology"), &topology);
        let memory = match node.free_memory_kib {
            Some(free) => gettext_f(
                "{total}, {free} free",
                &[
                    ("total", &format_kib(node.memory_kib)),
                    ("free", &format_kib(free)),
                ],
            ),
            None => format_kib(node.memory_kib),
        };
        self.add_row(&host, &gettext("Memory"), &memory);
    }

    fn show_machines(&mut self, inventory: &Inventory) {
        let machines = self.machines.clone();
        let count = |wanted: &[DomainState]| {
            inventory
                .domains
                .iter()
                .filter(|d| wanted.contains(&d.state))
                .count()
                .to_string()
        };
        let running = count(&[
            DomainState::Running,
            DomainState::Blocked,
            DomainState::ShuttingDown,
        ]);
        let paused = count(&[DomainState::Paused, DomainState::PmSuspended]);
        let off = count(&[
            DomainState::ShutOff,
            DomainState::Crashed,
            DomainState::NoState,
        ]);
        self.add_row(&machines, &pgettext("domain state", "Running"), &running);
        self.add_row(&machines, &pgettext("domain state", "Paused"), &paused);
        self.add_row(&machines, &pgettext("domain state", "Shut off"), &off);
        self.add_row(
            &machines,
            &gettext("Total"),
            &inventory.domains.len().to_string(),
        );
    }

    fn show_networks(&mut self, inventory: &Inventory) {
        let networks = self.networks.clone();
        if inventory.networks.is_empty() {
            self.add_row(&networks, &gettext("No virtual networks"), "");
        }
        for network in &inventory.networks {
            let state = active_text(network.active, network.autostart);
            self.add_row(&networks, &network.name, &state);
        }
    }

    fn show_pools(&mut self, inventory: &Inventory) {
        let pools = self.pools.clone();
        if inventory.pools.is_empty() {
            self.add_row(&pools, &gettext("No storage pools"), "");
        }
        for pool in &inventory.pools {
            let usage = if pool.active {
                gettext_f(
                    "{allocation} of {capacity} used",
                    &[
                        ("allocation", &format_bytes(pool.allocation as f64)),
                        ("capacity", &format_bytes(pool.capacity as f64)),
                    ],
                )
            } else {
                active_text(false, pool.autostart)
            };
            self.add_row(&pools, &pool.name, &usage);
        }
    }
}

fn active_text(active: bool, autostart: bool) -> String {
    match (active, autostart) {
        (true, true) => gettext("Active, starts with the host"),
        (true, false) => gettext("Active"),
        (false, true) => gettext("Inactive, starts with the host"),
        (false, false) => gettext("Inactive"),
    }
}

#[cfg(test)]
mod tests {
    use super::topology;

    #[test]
    fn topology_counts_take_their_own_plural() {
        assert_eq!(
            topology(16, 1, 8, 2, 1),
            "16 CPUs: 1 socket × 8 cores × 2 threads, 1 NUMA node"
        );
        assert_eq!(
            topology(1, 1, 1, 1, 2),
            "1 CPU: 1 socket × 1 core × 1 thread, 2 NUMA nodes"
        );
    }
}

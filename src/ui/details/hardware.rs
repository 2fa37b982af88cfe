//! The Hardware tab: virt-manager's left column (CPUs, Memory, Boot Options, then every device,
//! unknown ones by element name) beside the selected item's pane — its properties from the XML
//! model, its XML, and the editors: memory and vCPUs now and at next boot, boot order and
//! autostart, and removing a device.

mod panes;

use adw::prelude::*;
use gtk::glib;
use relm4::prelude::*;

use hangar::details::Definition;
use hangar::details::apply::{apply_boot, apply_removal, apply_resources};
use hangar::details::boot::BootEditor;
use hangar::details::hardware::{HardwareEntry, HardwareId, hardware_entries};
use hangar::details::removal::plan_removal;
use hangar::details::resources::{ResourceState, Resources, plan_resources};
use hangar::i18n::{gettext, gettext_f};

use super::widgets::{Banner, Tone};
use super::{DetailsTarget, TabInput};
use crate::ui::confirm::confirm_removal;
use panes::PaneHandles;

/// The tab's own messages.
#[derive(Debug, Clone, Copy)]
pub enum HardwareMsg {
    /// A row of the list was selected.
    Select(i32),
    Memory(u64),
    MaxMemory(u64),
    Vcpus(u32),
    MaxVcpus(u32),
    ApplyResources,
    RevertResources,
    BootEnabled(usize, bool),
    BootUp(usize),
    BootDown(usize),
    BootPerDevice,
    Autostart(bool),
    ApplyBoot,
    RevertBoot,
    /// "Remove" on the device at this index: asks first.
    Remove(usize),
    RemoveConfirmed(usize),
}

/// Results of the tab's libvirt work.
#[derive(Debug)]
pub enum HardwareCommand {
    Loaded {
        generation: u64,
        definition: Result<Box<Definition>, String>,
    },
    /// A change finished: the sentence to show, or libvirt's message.
    Done {
        generation: u64,
        result: Result<String, String>,
    },
}

pub struct HardwareTab {
    target: Option<DetailsTarget>,
    definition: Option<Definition>,
    entries: Vec<HardwareEntry>,
    selected: HardwareId,
    generation: u64,
    resources: ResourceState,
    /// The memory/vCPU editor's values.
    form: Resources,
    boot: Option<BootEditor>,
    /// The definition the boot editor was made from (its device indices refer to it).
    boot_base: Option<Definition>,
    /// The autostart switch of the boot pane, and the value libvirt had when it was set up.
    autostart: bool,
    autostart_base: bool,
    /// A change is being applied: Apply is off until it ends.
    busy: bool,
    banner: Banner,
    list: gtk::ListBox,
    list_handler: glib::SignalHandlerId,
    pane: gtk::Box,
    handles: PaneHandles,
}

fn msg(message: HardwareMsg) -> TabInput<HardwareMsg> {
    TabInput::Tab(message)
}

impl Component for HardwareTab {
    type Init = ();
    type Input = TabInput<HardwareMsg>;
    type Output = ();
    type CommandOutput = HardwareCommand;
    type Root = gtk::Box;
    type Widgets = ();

    fn init_root() -> Self::Root {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(_: (), root: Self::Root, sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let banner = Banner::new();
        let list = gtk::ListBox::builder()
            .selection_mode(gtk::SelectionMode::Browse)
            .css_classes(["navigation-sidebar"])
            .build();
        crate::ui::a11y::set_label(&list, &gettext("Hardware"));
        let list_handler = list.connect_row_selected(glib::clone!(
            #[strong]
            sender,
            move |_, row| {
                if let Some(row) = row {
                    sender.input(msg(HardwareMsg::Select(row.index())));
                }
            }
        ));
        let sidebar = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .propagate_natural_width(true)
            .width_request(200)
            .child(&list)
            .build();
        let pane = gtk::Box::new(gtk::Orientation::Vertical, 0);
        pane.set_hexpand(true);
        let split = gtk::Box::new(gtk::Orientation::Horizontal, 0);
        split.set_vexpand(true);
        split.append(&sidebar);
        split.append(&gtk::Separator::new(gtk::Orientation::Vertical));
        split.append(&pane);
        root.append(&banner.root);
        root.append(&split);
        let model = HardwareTab {
            target: None,
            definition: None,
            entries: Vec::new(),
            selected: HardwareId::Cpus,
            generation: 0,
            resources: ResourceState::default(),
            form: Resources::default(),
            boot: None,
            boot_base: None,
            autostart: false,
            autostart_base: false,
            busy: false,
            banner,
            list,
            list_handler,
            pane,
            handles: PaneHandles::default(),
        };
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, input: Self::Input, sender: ComponentSender<Self>, root: &Self::Root) {
        match input {
            TabInput::Show(target) => self.show(*target, &sender),
            TabInput::Tab(message) => self.handle(message, &sender, root),
        }
    }

    fn update_cmd(
        &mut self,
        command: HardwareCommand,
        sender: ComponentSender<Self>,
        _: &Self::Root,
    ) {
        match command {
            HardwareCommand::Loaded {
                generation,
                definition,
            } if generation == self.generation => match definition {
                Ok(definition) => self.loaded(*definition, &sender),
                Err(message) => self.banner.show(Tone::Error, &message),
            },
            HardwareCommand::Done { generation, result } if generation == self.generation => {
                self.busy = false;
                match result {
                    Ok(text) => {
                        self.banner.show(Tone::Success, &text);
                        // Editors start again from what libvirt now has.
                        self.form = Resources::default();
                        self.boot = None;
                    }
                    Err(message) => self.banner.show(Tone::Error, &message),
                }
                self.load(&sender);
            }
            _ => {} // about a machine no longer shown
        }
    }
}

impl HardwareTab {
    fn show(&mut self, target: DetailsTarget, sender: &ComponentSender<Self>) {
        let other = self
            .target
            .as_ref()
            .is_none_or(|shown| !shown.same_machine(&target));
        if other {
            self.generation += 1;
            self.definition = None;
            self.entries.clear();
            self.selected = HardwareId::Cpus;
            self.form = Resources::default();
            self.boot = None;
            self.busy = false;
            self.banner.hide();
        }
        self.target = Some(target);
        self.load(sender);
    }

    fn load(&self, sender: &ComponentSender<Self>) {
        let Some(target) = &self.target else {
            return;
        };
        let (connection, uuid, generation) =
            (target.connection.clone(), target.uuid, self.generation);
        sender.oneshot_command(async move {
            let definition = Definition::load(&connection, uuid)
                .await
                .map(Box::new)
                .map_err(|error| error.to_string());
            HardwareCommand::Loaded {
                generation,
                definition,
            }
        });
    }

    /// A fresh definition: the list and the pane follow; editors the user changed keep their
    /// values.
    fn loaded(&mut self, definition: Definition, sender: &ComponentSender<Self>) {
        let Some(target) = &self.target else {
            return;
        };
        let info = target.info.clone();
        let resources = ResourceState::new(&info, Some((&definition.domain, &definition.document)));
        let resources_edited =
            self.form != Resources::default() && self.form != self.resources.form();
        if !resources_edited {
            self.form = resources.form();
        }
        self.resources = resources;
        if self.boot.as_ref().is_none_or(|boot| !boot.is_changed())
            && self.autostart == self.autostart_base
        {
            self.boot = Some(BootEditor::new(&definition.domain));
            self.boot_base = Some(definition.clone());
            self.autostart = info.autostart;
            self.autostart_base = info.autostart;
        }
        self.entries = hardware_entries(&definition.domain);
        self.definition = Some(definition);
        self.fill_list();
        self.rebuild_pane(sender);
    }

    fn shown_autostart(&self) -> bool {
        self.target.as_ref().is_some_and(|t| t.info.autostart)
    }

    fn fill_list(&mut self) {
        self.list.block_signal(&self.list_handler);
        while let Some(row) = self.list.row_at_index(0) {
            self.list.remove(&row);
        }
        let mut selected_row = None;
        for entry in &self.entries {
            let icon = gtk::Image::from_icon_name(entry.icon);
            let label = gtk::Label::builder()
                .label(&entry.label)
                .xalign(0.0)
                .ellipsize(gtk::pango::EllipsizeMode::End)
                .build();
            if !entry.known {
                label.add_css_class("dim-label");
            }
            let line = gtk::Box::new(gtk::Orientation::Horizontal, 10);
            line.set_margin_top(2);
            line.set_margin_bottom(2);
            line.append(&icon);
            line.append(&label);
            let row = gtk::ListBoxRow::builder().child(&line).build();
            crate::ui::a11y::set_label(&row, &entry.label);
            self.list.append(&row);
            if entry.id == self.selected {
                selected_row = Some(row);
            }
        }
        if selected_row.is_none() {
            self.selected = HardwareId::Cpus;
            selected_row = self.list.row_at_index(0);
        }
        self.list.select_row(selected_row.as_ref());
        self.list.unblock_signal(&self.list_handler);
    }

    fn selected_entry(&self) -> Option<&HardwareEntry> {
        self.entries.iter().find(|entry| entry.id == self.selected)
    }

    fn rebuild_pane(&mut self, sender: &ComponentSender<Self>) {
        while let Some(child) = self.pane.first_child() {
            self.pane.remove(&child);
        }
        let (Some(entry), Some(definition), Some(target)) = (
            self.selected_entry().cloned(),
            self.definition.as_ref(),
            self.target.as_ref(),
        ) else {
            return;
        };
        let context = panes::PaneContext {
            entry: &entry,
            definition,
            info: &target.info,
            host_cpus: target.node.as_ref().map(|node| node.cpus),
            resources: &self.resources,
            form: &self.form,
            boot: self.boot.as_ref(),
            boot_base: self.boot_base.as_ref(),
            autostart: self.autostart,
        };
        let (widget, handles) = panes::build(&context, sender);
        self.pane.append(&widget);
        self.handles = handles;
        self.update_plan();
    }

    /// Refreshes the plan text and the Apply buttons from the editors' values.
    fn update_plan(&self) {
        let active = self
            .target
            .as_ref()
            .is_some_and(|t| t.info.state.is_active());
        if let Some(plan_label) = &self.handles.resource_plan {
            let plan = plan_resources(&self.resources, &self.form);
            panes::show_resource_plan(plan_label, &plan, active);
            let changed = plan.as_ref().is_ok_and(|plan| !plan.is_empty());
            if let Some(apply) = &self.handles.resource_apply {
                apply.set_sensitive(changed && !self.busy);
            }
            if let Some(revert) = &self.handles.resource_revert {
                revert.set_sensitive(self.form != self.resources.form() && !self.busy);
            }
        }
        if let Some(boot_label) = &self.handles.boot_plan {
            let order_changed = self.boot.as_ref().is_some_and(BootEditor::is_changed);
            let autostart_changed = self.autostart != self.autostart_base;
            let changed = order_changed || autostart_changed;
            let mut lines = Vec::new();
            if order_changed {
                lines.push(if active {
                    gettext("The new boot order applies at the machine’s next boot.")
                } else {
                    gettext("The new boot order applies at the machine’s next start.")
                });
            }
            if autostart_changed {
                lines.push(if self.autostart {
                    gettext("The machine will start with the host.")
                } else {
                    gettext("The machine will no longer start with the host.")
                });
            }
            if lines.is_empty() {
                lines.push(gettext("No changes."));
            }
            boot_label.set_label(&lines.join("\n"));
            for button in [&self.handles.boot_apply, &self.handles.boot_revert]
                .into_iter()
                .flatten()
            {
                button.set_sensitive(changed && !self.busy);
            }
        }
    }

    fn handle(&mut self, message: HardwareMsg, sender: &ComponentSender<Self>, root: &gtk::Box) {
        match message {
            HardwareMsg::Select(index) => {
                let Some(entry) = usize::try_from(index)
                    .ok()
                    .and_then(|i| self.entries.get(i))
                else {
                    return;
                };
                if entry.id != self.selected {
                    self.selected = entry.id;
                    self.banner.hide();
                    self.rebuild_pane(sender);
                }
            }
            HardwareMsg::Memory(kib) => {
                self.form.memory_kib = kib;
                self.update_plan();
            }
            HardwareMsg::MaxMemory(kib) => {
                self.form.max_memory_kib = kib;
                self.update_plan();
            }
            HardwareMsg::Vcpus(count) => {
                self.form.vcpus = count;
                self.update_plan();
            }
            HardwareMsg::MaxVcpus(count) => {
                self.form.max_vcpus = count;
                self.update_plan();
            }
            HardwareMsg::RevertResources => {
                self.form = self.resources.form();
                self.rebuild_pane(sender);
            }
            HardwareMsg::ApplyResources => self.apply_resources(sender),
            HardwareMsg::BootEnabled(index, on) => {
                self.edit_boot(sender, |b| b.set_enabled(index, on))
            }
            HardwareMsg::BootUp(index) => self.edit_boot(sender, |b| {
                b.move_up(index);
            }),
            HardwareMsg::BootDown(index) => self.edit_boot(sender, |b| {
                b.move_down(index);
            }),
            HardwareMsg::BootPerDevice => {
                if let (Some(boot), Some(definition)) = (&mut self.boot, &self.boot_base) {
                    boot.use_device_order(&definition.domain);
                }
                self.rebuild_pane(sender);
            }
            HardwareMsg::Autostart(on) => {
                self.autostart = on;
                self.update_plan();
            }
            HardwareMsg::RevertBoot => {
                self.boot = self
                    .definition
                    .as_ref()
                    .map(|definition| BootEditor::new(&definition.domain));
                self.boot_base = self.definition.clone();
                self.autostart = self.shown_autostart();
                self.autostart_base = self.autostart;
                self.rebuild_pane(sender);
            }
            HardwareMsg::ApplyBoot => self.apply_boot(sender),
            HardwareMsg::Remove(index) => self.confirm_removal(index, sender, root),
            HardwareMsg::RemoveConfirmed(index) => self.remove(index, sender),
        }
    }

    fn edit_boot(&mut self, sender: &ComponentSender<Self>, edit: impl FnOnce(&mut BootEditor)) {
        if let Some(boot) = &mut self.boot {
            edit(boot);
        }
        self.rebuild_pane(sender);
    }

    /// Runs `work` as a command; its answer comes back as `Done`.
    fn run(
        &mut self,
        sender: &ComponentSender<Self>,
        work: impl std::future::Future<Output = Result<String, String>> + Send + 'static,
    ) {
        self.busy = true;
        self.banner.hide();
        self.update_plan();
        let generation = self.generation;
        sender.oneshot_command(async move {
            HardwareCommand::Done {
                generation,
                result: work.await,
            }
        });
    }

    fn apply_resources(&mut self, sender: &ComponentSender<Self>) {
        let Some(target) = &self.target else {
            return;
        };
        let plan = match plan_resources(&self.resources, &self.form) {
            Ok(plan) if !plan.is_empty() => plan,
            Ok(_) => return,
            Err(error) => {
                self.banner.show(Tone::Error, &error.to_string());
                return;
            }
        };
        let (connection, uuid) = (target.connection.clone(), target.uuid);
        let outcome = plan.outcome_text(target.info.state.is_active());
        self.run(sender, async move {
            apply_resources(&connection, uuid, &plan)
                .await
                .map(|()| outcome)
                .map_err(|error| error.to_string())
        });
    }

    fn apply_boot(&mut self, sender: &ComponentSender<Self>) {
        let (Some(target), Some(definition), Some(boot)) =
            (&self.target, self.boot_base.clone(), &self.boot)
        else {
            return;
        };
        // A transient machine has no definition to save the order in (defining one would
        // make it persistent): only its autostart flag can change.
        let order = (boot.is_changed() && target.info.persistent).then(|| boot.order());
        let autostart = (self.autostart != self.autostart_base)
            .then_some((self.autostart, target.info.autostart));
        let (connection, uuid) = (target.connection.clone(), target.uuid);
        self.run(sender, async move {
            apply_boot(&connection, uuid, &definition, order.as_ref(), autostart)
                .await
                .map(|()| gettext("Boot options saved."))
                .map_err(|error| error.to_string())
        });
    }

    fn confirm_removal(&mut self, index: usize, sender: &ComponentSender<Self>, root: &gtk::Box) {
        let (Some(target), Some(definition)) = (&self.target, &self.definition) else {
            return;
        };
        let info = &target.info;
        let plan = match plan_removal(definition, index, info.state.is_active(), info.persistent) {
            Ok(plan) => plan,
            Err(error) => {
                self.banner.show(Tone::Error, &error.to_string());
                return;
            }
        };
        let window = root.root().and_then(|r| r.downcast::<gtk::Window>().ok());
        let sender = sender.clone();
        confirm_removal(
            window.as_ref(),
            &gettext_f(
                "Remove {device} from “{name}”?",
                &[("device", &plan.label), ("name", &info.name)],
            ),
            &plan.explain(),
            move || sender.input(msg(HardwareMsg::RemoveConfirmed(index))),
        );
    }

    fn remove(&mut self, index: usize, sender: &ComponentSender<Self>) {
        let (Some(target), Some(definition)) = (&self.target, &self.definition) else {
            return;
        };
        let info = &target.info;
        let plan = match plan_removal(definition, index, info.state.is_active(), info.persistent) {
            Ok(plan) => plan,
            Err(error) => {
                self.banner.show(Tone::Error, &error.to_string());
                return;
            }
        };
        let (connection, uuid) = (target.connection.clone(), target.uuid);
        self.selected = HardwareId::Cpus;
        self.run(sender, async move {
            apply_removal(&connection, uuid, &plan)
                .await
                .map(|outcome| outcome.describe(&plan.label))
                .map_err(|error| error.to_string())
        });
    }
}

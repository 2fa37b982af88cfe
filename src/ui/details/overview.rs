//! The Overview tab: name (rename when shut off), title and description (editable), UUID
//! (copyable), state with libvirt's reason, autostart, saved state, the platform (hypervisor,
//! domain type, architecture, machine, firmware, emulator), guest IP addresses where libvirt
//! can tell, and the host the machine runs on.

use adw::prelude::*;
use gtk::glib;
use relm4::prelude::*;

use hangar::details::Definition;
use hangar::details::hardware::firmware_text;
use hangar::details::overview::{
    AddressLine, address_lines, check_rename, hypervisor_text, metadata_scope, state_text,
};
use hangar::i18n::{gettext, pgettext};

use super::widgets::{Banner, Tone, ValueRow, clear_rows, content_box, page};
use super::{DetailsTarget, TabInput};

/// The tab's own messages.
#[derive(Debug)]
pub enum OverviewMsg {
    Rename,
    ApplyTitle,
    ApplyDescription,
    DescriptionEdited,
    Autostart(bool),
    CopyUuid,
    RefreshAddresses,
}

/// Results of the tab's libvirt work.
#[derive(Debug)]
pub enum OverviewCommand {
    Loaded {
        generation: u64,
        definition: Result<Box<Definition>, String>,
    },
    Addresses {
        generation: u64,
        result: Result<Vec<AddressLine>, String>,
    },
    /// A change finished; `Ok` carries the sentence to show.
    Done(Result<String, String>),
}

pub struct OverviewTab {
    target: Option<DetailsTarget>,
    definition: Option<Definition>,
    /// Bumped for each machine shown, so late answers about another machine are dropped.
    generation: u64,
    w: Widgets,
}

struct Widgets {
    banner: Banner,
    name: adw::EntryRow,
    title: adw::EntryRow,
    description: gtk::TextView,
    description_apply: gtk::Button,
    uuid: ValueRow,
    state: ValueRow,
    autostart: gtk::Switch,
    autostart_handler: glib::SignalHandlerId,
    saved_state: ValueRow,
    persistent: ValueRow,
    platform: adw::PreferencesGroup,
    platform_rows: Vec<gtk::Widget>,
    network: adw::PreferencesGroup,
    network_rows: Vec<gtk::Widget>,
    host: adw::PreferencesGroup,
    host_rows: Vec<gtk::Widget>,
}

fn msg(message: OverviewMsg) -> TabInput<OverviewMsg> {
    TabInput::Tab(message)
}

impl Component for OverviewTab {
    type Init = ();
    type Input = TabInput<OverviewMsg>;
    type Output = ();
    type CommandOutput = OverviewCommand;
    type Root = gtk::Box;
    type Widgets = ();

    fn init_root() -> Self::Root {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(_: (), root: Self::Root, sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let banner = Banner::new();
        let content = content_box();

        let machine = adw::PreferencesGroup::new();
        let name = adw::EntryRow::builder()
            .title(gettext("Name"))
            .show_apply_button(true)
            .build();
        name.connect_apply(glib::clone!(
            #[strong]
            sender,
            move |_| sender.input(msg(OverviewMsg::Rename))
        ));
        let title = adw::EntryRow::builder()
            .title(gettext("Title"))
            .show_apply_button(true)
            .build();
        title.connect_apply(glib::clone!(
            #[strong]
            sender,
            move |_| sender.input(msg(OverviewMsg::ApplyTitle))
        ));
        let uuid = ValueRow::new(&gettext("UUID"));
        let copy = gtk::Button::builder()
            .icon_name("edit-copy-symbolic")
            .valign(gtk::Align::Center)
            .css_classes(["flat"])
            .tooltip_text(gettext("Copy UUID"))
            .build();
        crate::ui::a11y::set_label(&copy, &gettext("Copy UUID"));
        copy.connect_clicked(glib::clone!(
            #[strong]
            sender,
            move |_| sender.input(msg(OverviewMsg::CopyUuid))
        ));
        uuid.row.add_suffix(&copy);
        let state = ValueRow::new(&pgettext("column", "State"));
        let autostart = gtk::Switch::builder().valign(gtk::Align::Center).build();
        let autostart_row = adw::ActionRow::builder()
            .title(gettext("Start with the host"))
            .subtitle(gettext("Boot this machine when the host starts"))
            .activatable_widget(&autostart)
            .build();
        autostart_row.add_suffix(&autostart);
        let autostart_handler = autostart.connect_active_notify(glib::clone!(
            #[strong]
            sender,
            move |switch| sender.input(msg(OverviewMsg::Autostart(switch.is_active())))
        ));
        let saved_state = ValueRow::new(&gettext("Saved state"));
        let persistent = ValueRow::new(&gettext("Persistent"));
        for row in [&name.clone().upcast::<gtk::Widget>(), title.upcast_ref()] {
            machine.add(row);
        }
        machine.add(&uuid.row);
        machine.add(&state.row);
        machine.add(&autostart_row);
        machine.add(&saved_state.row);
        machine.add(&persistent.row);

        let description_group = adw::PreferencesGroup::builder()
            .title(gettext("Description"))
            .build();
        let description = gtk::TextView::builder()
            .wrap_mode(gtk::WrapMode::WordChar)
            .top_margin(8)
            .bottom_margin(8)
            .left_margin(10)
            .right_margin(10)
            .height_request(72)
            .accepts_tab(false)
            .build();
        crate::ui::a11y::set_label(&description, &gettext("Description"));
        description.buffer().connect_changed(glib::clone!(
            #[strong]
            sender,
            move |_| sender.input(msg(OverviewMsg::DescriptionEdited))
        ));
        let frame = gtk::Frame::builder().child(&description).build();
        frame.add_css_class("view");
        let description_apply = gtk::Button::builder()
            .label(gettext("_Apply Description"))
            .use_underline(true)
            .halign(gtk::Align::End)
            .sensitive(false)
            .build();
        description_apply.connect_clicked(glib::clone!(
            #[strong]
            sender,
            move |_| sender.input(msg(OverviewMsg::ApplyDescription))
        ));
        let description_box = gtk::Box::new(gtk::Orientation::Vertical, 6);
        description_box.append(&frame);
        description_box.append(&description_apply);
        description_group.add(&description_box);

        let platform = adw::PreferencesGroup::builder()
            .title(gettext("Platform"))
            .build();
        let network = adw::PreferencesGroup::builder()
            .title(gettext("IP Addresses"))
            .description(gettext(
                "Known from the guest agent or a libvirt network’s DHCP leases",
            ))
            .build();
        let refresh = gtk::Button::builder()
            .icon_name("view-refresh-symbolic")
            .css_classes(["flat"])
            .valign(gtk::Align::Center)
            .tooltip_text(gettext("Ask again"))
            .build();
        crate::ui::a11y::set_label(&refresh, &gettext("Refresh IP addresses"));
        refresh.connect_clicked(glib::clone!(
            #[strong]
            sender,
            move |_| sender.input(msg(OverviewMsg::RefreshAddresses))
        ));
        network.set_header_suffix(Some(&refresh));
        let host = adw::PreferencesGroup::builder()
            .title(gettext("Host"))
            .build();

        content.append(&machine);
        content.append(&description_group);
        content.append(&platform);
        content.append(&network);
        content.append(&host);
        root.append(&banner.root);
        root.append(&page(&content));

        let model = OverviewTab {
            target: None,
            definition: None,
            generation: 0,
            w: Widgets {
                banner,
                name,
                title,
                description,
                description_apply,
                uuid,
                state,
                autostart,
                autostart_handler,
                saved_state,
                persistent,
                platform,
                platform_rows: Vec::new(),
                network,
                network_rows: Vec::new(),
                host,
                host_rows: Vec::new(),
            },
        };
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, input: Self::Input, sender: ComponentSender<Self>, root: &Self::Root) {
        match input {
            TabInput::Show(target) => self.show(*target, &sender),
            TabInput::Tab(message) => self.handle(message, &sender, root),
        }
    }

    fn update_cmd(&mut self, command: OverviewCommand, _: ComponentSender<Self>, _: &Self::Root) {
        match command {
            OverviewCommand::Loaded {
                generation,
                definition,
            } if generation == self.generation => match definition {
                Ok(definition) => {
                    self.definition = Some(*definition);
                    self.fill_platform();
                }
                Err(message) => self.w.banner.show(Tone::Error, &message),
            },
            OverviewCommand::Addresses { generation, result } if generation == self.generation => {
                self.fill_addresses(result)
            }
            OverviewCommand::Done(Ok(text)) => self.w.banner.show(Tone::Success, &text),
            OverviewCommand::Done(Err(message)) => {
                self.w.banner.show(Tone::Error, &message);
                self.resync_controls();
            }
            _ => {} // about a machine no longer shown
        }
    }
}

impl OverviewTab {
    fn show(&mut self, target: DetailsTarget, sender: &ComponentSender<Self>) {
        let other_machine = self
            .target
            .as_ref()
            .is_none_or(|shown| !shown.same_machine(&target));
        let was_active = self
            .target
            .as_ref()
            .is_some_and(|shown| shown.info.state.is_active());
        if other_machine {
            self.generation += 1;
            self.definition = None;
            self.w.banner.hide();
        }
        let info = target.info.clone();
        // A row the user is typing in keeps its text, unless another machine is shown.
        let typing = |row: &adw::EntryRow| row.focus_child().is_some();
        if other_machine || !typing(&self.w.name) {
            set_entry(&self.w.name, &info.name);
        }
        self.w.name.set_editable(!info.state.is_active());
        self.w.name.set_tooltip_text(
            info.state
                .is_active()
                .then(|| gettext("Shut the machine off to rename it"))
                .as_deref(),
        );
        if other_machine || !typing(&self.w.title) {
            set_entry(&self.w.title, info.title.as_deref().unwrap_or_default());
        }
        let description = info.description.clone().unwrap_or_default();
        let buffer = self.w.description.buffer();
        let edited = buffer_text(&buffer) != self.shown_description();
        if other_machine || !edited {
            buffer.set_text(&description);
        }
        self.w.uuid.set(&info.uuid.to_string());
        self.w.state.set(&state_text(info.state, info.state_reason));
        self.w.autostart.block_signal(&self.w.autostart_handler);
        self.w.autostart.set_active(info.autostart);
        self.w.autostart.unblock_signal(&self.w.autostart_handler);
        self.w.saved_state.set(&if info.has_managed_save {
            gettext("Yes — running it restores the saved memory")
        } else {
            gettext("No")
        });
        self.w.persistent.set(&if info.persistent {
            gettext("Yes")
        } else {
            gettext("No — it disappears when it stops")
        });
        self.fill_host(&target);
        let active = info.state.is_active();
        self.target = Some(target);
        self.update_description_button();
        self.load(sender);
        if other_machine || active != was_active {
            self.load_addresses(sender);
        }
    }

    /// Puts name, title and the autostart switch back to what libvirt has (after a refusal).
    fn resync_controls(&self) {
        let Some(info) = self.target.as_ref().map(|t| t.info.clone()) else {
            return;
        };
        set_entry(&self.w.name, &info.name);
        set_entry(&self.w.title, info.title.as_deref().unwrap_or_default());
        self.w.autostart.block_signal(&self.w.autostart_handler);
        self.w.autostart.set_active(info.autostart);
        self.w.autostart.unblock_signal(&self.w.autostart_handler);
    }

    /// The description libvirt has (what the text view started from).
    fn shown_description(&self) -> String {
        self.target
            .as_ref()
            .and_then(|t| t.info.description.clone())
            .unwrap_or_default()
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
            OverviewCommand::Loaded {
                generation,
                definition,
            }
        });
    }

    fn load_addresses(&mut self, sender: &ComponentSender<Self>) {
        let Some(target) = &self.target else {
            return;
        };
        if !target.info.state.is_active() {
            self.fill_addresses(Ok(Vec::new()));
            return;
        }
        let (connection, uuid, generation) =
            (target.connection.clone(), target.uuid, self.generation);
        sender.oneshot_command(async move {
            let result = connection
                .guest_addresses(uuid)
                .await
                .map(|interfaces| address_lines(&interfaces))
                .map_err(|error| error.to_string());
            OverviewCommand::Addresses { generation, result }
        });
    }

    fn handle(&mut self, message: OverviewMsg, sender: &ComponentSender<Self>, root: &gtk::Box) {
        let Some(target) = self.target.clone() else {
            return;
        };
        let (connection, uuid, info) = (target.connection, target.uuid, target.info);
        match message {
            OverviewMsg::Rename => match check_rename(&info, &self.w.name.text()) {
                Ok(name) => sender.oneshot_command(async move {
                    OverviewCommand::Done(
                        connection
                            .rename(uuid, name)
                            .await
                            .map(|()| gettext("Renamed."))
                            .map_err(|e| e.to_string()),
                    )
                }),
                Err(reason) => {
                    self.w.banner.show(Tone::Error, &reason);
                    set_entry(&self.w.name, &info.name);
                }
            },
            OverviewMsg::ApplyTitle => {
                let title = self.w.title.text().trim().to_owned();
                let scope = metadata_scope(&info);
                sender.oneshot_command(async move {
                    OverviewCommand::Done(
                        connection
                            .set_title(uuid, Some(title).filter(|t| !t.is_empty()), scope)
                            .await
                            .map(|()| gettext("Title saved."))
                            .map_err(|e| e.to_string()),
                    )
                });
            }
            OverviewMsg::ApplyDescription => {
                let text = buffer_text(&self.w.description.buffer());
                let scope = metadata_scope(&info);
                self.w.description_apply.set_sensitive(false);
                sender.oneshot_command(async move {
                    OverviewCommand::Done(
                        connection
                            .set_description(uuid, Some(text).filter(|t| !t.is_empty()), scope)
                            .await
                            .map(|()| gettext("Description saved."))
                            .map_err(|e| e.to_string()),
                    )
                });
            }
            OverviewMsg::DescriptionEdited => self.update_description_button(),
            OverviewMsg::Autostart(on) if on != info.autostart => {
                sender.oneshot_command(async move {
                    OverviewCommand::Done(
                        connection
                            .set_autostart(uuid, on)
                            .await
                            .map(|()| {
                                if on {
                                    gettext("The machine starts with the host.")
                                } else {
                                    gettext("The machine no longer starts with the host.")
                                }
                            })
                            .map_err(|e| e.to_string()),
                    )
                });
            }
            OverviewMsg::Autostart(_) => {}
            OverviewMsg::CopyUuid => {
                root.clipboard().set_text(&uuid.to_string());
                self.w.banner.show(Tone::Info, &gettext("UUID copied."));
            }
            OverviewMsg::RefreshAddresses => self.load_addresses(sender),
        }
    }

    fn update_description_button(&self) {
        let edited = buffer_text(&self.w.description.buffer()) != self.shown_description();
        self.w.description_apply.set_sensitive(edited);
    }

    fn fill_platform(&mut self) {
        clear_rows(&self.w.platform, &mut self.w.platform_rows);
        let (Some(definition), Some(target)) = (&self.definition, &self.target) else {
            return;
        };
        let domain = &definition.domain;
        let unknown = gettext("Unknown");
        let or_unknown = |value: Option<&str>| value.map_or(unknown.clone(), str::to_owned);
        let mut rows = vec![
            (
                gettext("Hypervisor"),
                target
                    .node
                    .as_ref()
                    .map_or(unknown.clone(), hypervisor_text),
            ),
            (
                gettext("Domain type"),
                or_unknown(domain.domain_type.as_deref()),
            ),
            (
                gettext("Architecture"),
                or_unknown(domain.os.arch.as_deref()),
            ),
            (
                gettext("Machine type"),
                or_unknown(domain.os.machine.as_deref()),
            ),
            (gettext("Firmware"), firmware_text(domain)),
        ];
        if let Some(loader) = domain.os.loader.as_ref().and_then(|l| l.path.clone()) {
            rows.push((gettext("Firmware image"), loader));
        }
        if let Some(kernel) = &domain.os.kernel {
            rows.push((gettext("Kernel"), kernel.clone()));
        }
        rows.push((gettext("Emulator"), or_unknown(domain.emulator.as_deref())));
        for (title, value) in rows {
            let row = ValueRow::with(&title, &value);
            self.w.platform.add(&row.row);
            self.w.platform_rows.push(row.row.upcast());
        }
    }

    fn fill_addresses(&mut self, result: Result<Vec<AddressLine>, String>) {
        clear_rows(&self.w.network, &mut self.w.network_rows);
        let active = self
            .target
            .as_ref()
            .is_some_and(|t| t.info.state.is_active());
        let mut add = |row: adw::ActionRow| {
            self.w.network.add(&row);
            self.w.network_rows.push(row.upcast());
        };
        match result {
            Ok(lines) if lines.is_empty() => {
                let text = if active {
                    gettext(
                        "None known: the guest runs no agent and no libvirt network leased it an address",
                    )
                } else {
                    gettext("The machine is not running")
                };
                add(adw::ActionRow::builder()
                    .title(text)
                    .css_classes(["dim-label"])
                    .build());
            }
            Ok(lines) => {
                for line in lines {
                    let row = ValueRow::with(&line.address_text(), &line.detail_text());
                    row.row.set_title_selectable(true);
                    add(row.row);
                }
            }
            Err(message) => add(ValueRow::with(&gettext("Could not ask"), &message).row),
        }
    }

    fn fill_host(&mut self, target: &DetailsTarget) {
        clear_rows(&self.w.host, &mut self.w.host_rows);
        let mut rows = vec![(gettext("Connection"), target.host_label.clone())];
        if let Some(node) = &target.node {
            rows.push((gettext("Host name"), node.hostname.clone()));
        }
        rows.push((gettext("URI"), target.connection.uri().to_owned()));
        for (title, value) in rows {
            let row = ValueRow::with(&title, &value);
            self.w.host.add(&row.row);
            self.w.host_rows.push(row.row.upcast());
        }
    }
}

/// Sets an entry row's text without leaving its apply button showing: the button is for the
/// user's edits, not for what libvirt reports.
fn set_entry(row: &adw::EntryRow, text: &str) {
    if row.text() == text {
        return;
    }
    row.set_show_apply_button(false);
    row.set_text(text);
    row.set_show_apply_button(true);
}

fn buffer_text(buffer: &gtk::TextBuffer) -> String {
    let (start, end) = buffer.bounds();
    buffer.text(&start, &end, false).to_string()
}

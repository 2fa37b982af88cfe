//! The window's widgets: header bar, search bar, the fleet beside the page area, the action
//! toolbar and the `win.*` actions with their shortcuts.

use adw::prelude::*;
use gtk::{gio, glib};
use relm4::ComponentSender;

use hangar::actions::VmAction;
use hangar::config;
use hangar::i18n::{gettext, gettext_f, ngettext_f};
use hangar::model::{ConnectionId, DomainState};

use super::{Window, WindowInput};
use crate::ui::fleet::{FleetItem, FleetView, ViewMode};
use crate::ui::host_page::HostPage;
use crate::ui::status_icon;
use crate::ui::vm_page::VmPage;

/// Handles to the widgets the window updates.
pub struct Layout {
    pub window: adw::ApplicationWindow,
    pub toasts: adw::ToastOverlay,
    /// "empty" (no connections) or "fleet".
    content: gtk::Stack,
    /// The fleet list or "no results".
    fleet_stack: gtk::Stack,
    pub leaflet: adw::Leaflet,
    /// "overview" (nothing selected), "host", "vm" or "many".
    pub pages: gtk::Stack,
    many: adw::StatusPage,
    /// The lifecycle buttons of a folded window's page header (machine pages only).
    page_actions: gtk::Box,
    pub title: adw::WindowTitle,
    actions: gio::SimpleActionGroup,
    pub column_view: gtk::ColumnView,
}

/// The primary menu: app-wide entries.
fn primary_menu() -> gio::Menu {
    let menu = gio::Menu::new();
    let view = gio::Menu::new();
    view.append(
        Some(&gettext("_One List of All Machines")),
        Some("win.view-list"),
    );
    menu.append_section(None, &view);
    let app = gio::Menu::new();
    app.append(Some(&gettext("_Preferences")), Some("app.preferences"));
    app.append(
        Some(&gettext("_Keyboard Shortcuts")),
        Some("win.show-help-overlay"),
    );
    app.append(Some(&gettext("_About Hangar")), Some("app.about"));
    menu.append_section(None, &app);
    menu
}

/// The menu of lifecycle actions, used by the toolbar's "more" button and the row menu.
pub fn vm_menu(include_primary: bool) -> gio::Menu {
    let menu = gio::Menu::new();
    let section = |actions: &[VmAction]| {
        let section = gio::Menu::new();
        for action in actions {
            section.append(Some(&action.label()), Some(&format!("win.{}", action.id())));
        }
        section
    };
    if include_primary {
        menu.append_section(
            None,
            &section(&[VmAction::Run, VmAction::Pause, VmAction::Resume]),
        );
    }
    menu.append_section(
        None,
        &section(&[VmAction::Shutdown, VmAction::Reboot, VmAction::Save]),
    );
    menu.append_section(None, &section(&[VmAction::ForceReset, VmAction::ForceOff]));
    menu.append_section(None, &section(&[VmAction::Delete]));
    menu
}

/// Run, Pause, Resume, Shut Down and a menu of the other actions, for the selected machines.
fn lifecycle_buttons() -> gtk::Box {
    let buttons = gtk::Box::new(gtk::Orientation::Horizontal, 6);
    buttons.append(&action_button(VmAction::Run));
    let (pause, resume) = pause_and_resume_buttons();
    buttons.append(&pause);
    buttons.append(&resume);
    buttons.append(&action_button(VmAction::Shutdown));
    let more = gtk::MenuButton::builder()
        .icon_name("view-more-symbolic")
        .tooltip_text(gettext("More Actions"))
        .menu_model(&vm_menu(false))
        .build();
    crate::ui::a11y::set_label(&more, &gettext("More Actions"));
    buttons.append(&more);
    buttons
}

/// Pause, and Resume drawn as a pressed Pause (as virt-manager's toggle is): a second play icon
/// beside Run's read as the same button twice. Resume shows only while it is valid, and then
/// takes Pause's place unless some selected machine can still be paused.
fn pause_and_resume_buttons() -> (gtk::Button, gtk::Button) {
    let pause = action_button(VmAction::Pause);
    let resume = action_button(VmAction::Resume);
    resume.set_icon_name(VmAction::Pause.icon());
    resume.set_state_flags(gtk::StateFlags::CHECKED, false);
    // The buttons' sensitivity follows their actions' enabled state. Weak references: the
    // handlers live in the buttons they look at.
    let show_valid = {
        let (pause, resume) = (pause.downgrade(), resume.downgrade());
        move || {
            let (Some(pause), Some(resume)) = (pause.upgrade(), resume.upgrade()) else {
                return;
            };
            let can_resume = resume.is_sensitive();
            resume.set_visible(can_resume);
            pause.set_visible(pause.is_sensitive() || !can_resume);
        }
    };
    show_valid();
    for button in [&pause, &resume] {
        let show_valid = show_valid.clone();
        button.connect_sensitive_notify(move |_| show_valid());
    }
    (pause, resume)
}

fn action_button(action: VmAction) -> gtk::Button {
    let button = gtk::Button::builder()
        .icon_name(action.icon())
        .action_name(format!("win.{}", action.id()))
        .tooltip_text(action.label().replace('_', ""))
        .build();
    crate::ui::a11y::set_label(&button, &action.label().replace('_', ""));
    button
}

impl Layout {
    pub fn build(
        window: &adw::ApplicationWindow,
        settings: &gio::Settings,
        fleet: &FleetView,
        sender: &ComponentSender<Window>,
    ) -> Self {
        window.set_title(Some(&gettext("Hangar")));
        window.set_default_size(settings.int("window-width"), settings.int("window-height"));
        window.set_maximized(settings.boolean("window-maximized"));
        window.set_size_request(360, 294);
        if config::is_development() {
            window.add_css_class("devel");
        }
        {
            let sender = sender.clone();
            window.connect_close_request(move |_| {
                sender.input(WindowInput::SaveGeometry);
                glib::Propagation::Proceed
            });
        }

        // Header bar.
        let title = adw::WindowTitle::new(&gettext("Hangar"), "");
        let header = adw::HeaderBar::builder().title_widget(&title).build();
        let add = gtk::Button::builder()
            .icon_name("list-add-symbolic")
            .action_name("win.add-connection")
            .tooltip_text(gettext("Add Connection"))
            .build();
        crate::ui::a11y::set_label(&add, &gettext("Add Connection"));
        header.pack_start(&add);
        // Back to the fleet overview: the only way to select nothing once something is.
        let overview = gtk::Button::builder()
            .icon_name("view-grid-symbolic")
            .action_name("win.fleet-overview")
            .tooltip_text(gettext("Fleet Overview"))
            .build();
        crate::ui::a11y::set_label(&overview, &gettext("Fleet Overview"));
        header.pack_start(&overview);
        let menu = gtk::MenuButton::builder()
            .icon_name("open-menu-symbolic")
            .tooltip_text(gettext("Main Menu"))
            .menu_model(&primary_menu())
            .primary(true)
            .build();
        crate::ui::a11y::set_label(&menu, &gettext("Main Menu"));
        header.pack_end(&menu);
        let search_toggle = gtk::ToggleButton::builder()
            .icon_name("system-search-symbolic")
            .tooltip_text(gettext("Search"))
            .build();
        crate::ui::a11y::set_label(&search_toggle, &gettext("Search"));
        header.pack_end(&search_toggle);

        // Search.
        let search_entry = gtk::SearchEntry::builder()
            .placeholder_text(gettext("Search by name, UUID, title, state or host"))
            .hexpand(true)
            .build();
        crate::ui::a11y::set_label(&search_entry, &gettext("Search machines"));
        let clamp = adw::Clamp::builder()
            .maximum_size(560)
            .child(&search_entry)
            .build();
        let search_bar = gtk::SearchBar::builder().child(&clamp).build();
        search_bar.connect_entry(&search_entry);
        search_bar.set_key_capture_widget(Some(window));
        search_toggle
            .bind_property("active", &search_bar, "search-mode-enabled")
            .bidirectional()
            .build();
        {
            let sender = sender.clone();
            search_entry.connect_search_changed(move |entry| {
                sender.input(WindowInput::Search(entry.text().to_string()));
            });
        }
        // Enter or Down goes on to the results, as in GNOME's searches. In the capture phase:
        // the entry's text would otherwise take Down and move the focus by geometry instead.
        {
            let sender = sender.clone();
            search_entry.connect_activate(move |entry| {
                sender.input(WindowInput::FocusResults(entry.text().to_string()))
            });
        }
        let keys = gtk::EventControllerKey::new();
        keys.set_propagation_phase(gtk::PropagationPhase::Capture);
        {
            let sender = sender.clone();
            let entry = search_entry.clone();
            keys.connect_key_pressed(move |_, key, _, modifiers| {
                if key == gtk::gdk::Key::Down && modifiers.is_empty() {
                    sender.input(WindowInput::FocusResults(entry.text().to_string()));
                    return glib::Propagation::Stop;
                }
                glib::Propagation::Proceed
            });
        }
        search_entry.add_controller(keys);

        // The fleet pane: toolbar above the column view.
        let toolbar = gtk::Box::builder()
            .orientation(gtk::Orientation::Horizontal)
            .spacing(6)
            .css_classes(["toolbar"])
            .build();
        toolbar.append(&lifecycle_buttons());
        let spacer = gtk::Box::builder().hexpand(true).build();
        toolbar.append(&spacer);
        let columns_button = gtk::MenuButton::builder()
            .icon_name("view-list-symbolic")
            .tooltip_text(gettext("Columns"))
            .popover(&columns_popover(fleet, settings, sender))
            .build();
        crate::ui::a11y::set_label(&columns_button, &gettext("Columns"));
        toolbar.append(&columns_button);

        let scroller = gtk::ScrolledWindow::builder()
            .child(&fleet.column_view)
            .vexpand(true)
            .hexpand(true)
            .build();
        let no_results = adw::StatusPage::builder()
            .title(gettext("No Results Found"))
            .description(gettext("Try a different search"))
            .build();
        let fleet_stack = gtk::Stack::new();
        fleet_stack.add_named(&scroller, Some("list"));
        fleet_stack.add_named(&no_results, Some("no-results"));
        status_icon::set_when_shown(&no_results, "system-search-symbolic");
        let fleet_pane = gtk::Box::new(gtk::Orientation::Vertical, 0);
        fleet_pane.set_width_request(420);
        fleet_pane.set_hexpand(true);
        fleet_pane.append(&toolbar);
        fleet_pane.append(&gtk::Separator::new(gtk::Orientation::Horizontal));
        fleet_pane.append(&fleet_stack);

        // The page pane, with a header (Back, and a machine's actions) when the leaflet is folded.
        let pages = gtk::Stack::builder().vexpand(true).build();
        let many = adw::StatusPage::new();
        pages.add_named(&many, Some("many"));
        status_icon::set_when_shown(&many, "edit-select-all-symbolic");
        let back = gtk::Button::builder()
            .icon_name("go-previous-symbolic")
            .tooltip_text(gettext("Back"))
            .halign(gtk::Align::Start)
            .css_classes(["flat"])
            .margin_start(6)
            .margin_top(6)
            .build();
        crate::ui::a11y::set_label(&back, &gettext("Back"));
        // Folded, the fleet's toolbar is out of sight: a machine's page brings its own.
        let page_actions = lifecycle_buttons();
        page_actions.add_css_class("toolbar");
        crate::ui::a11y::set_label(&page_actions, &gettext("Machine Actions"));
        page_actions.set_visible(false);
        let page_header = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        page_header.append(&back);
        page_header.append(&gtk::Box::builder().hexpand(true).build());
        page_header.append(&page_actions);
        let page_pane = gtk::Box::new(gtk::Orientation::Vertical, 0);
        page_pane.set_width_request(440);
        // The fleet takes the extra width; pages are sized by their clamps.
        page_pane.set_hexpand(false);
        page_pane.append(&page_header);
        page_pane.append(&pages);

        let leaflet = adw::Leaflet::builder()
            .can_navigate_back(true)
            .transition_type(adw::LeafletTransitionType::Over)
            .build();
        leaflet.append(&fleet_pane);
        leaflet
            .append(&gtk::Separator::new(gtk::Orientation::Vertical))
            .set_navigatable(false);
        leaflet.append(&page_pane);
        leaflet.set_visible_child(&fleet_pane);
        leaflet
            .bind_property("folded", &page_header, "visible")
            .sync_create()
            .build();
        {
            let leaflet = leaflet.clone();
            let fleet_pane = fleet_pane.clone();
            back.connect_clicked(move |_| leaflet.set_visible_child(&fleet_pane));
        }

        // No connections yet.
        let add_first = gtk::Button::builder()
            .label(gettext("_Add Connection"))
            .use_underline(true)
            .halign(gtk::Align::Center)
            .action_name("win.add-connection")
            .css_classes(["pill", "suggested-action"])
            .build();
        let empty = adw::StatusPage::builder()
            .icon_name(config::APP_ID)
            .title(gettext("No Connections"))
            .description(gettext("Add a libvirt host to see its virtual machines"))
            .child(&add_first)
            .vexpand(true)
            .build();
        let content = gtk::Stack::new();
        content.add_named(&empty, Some("empty"));
        content.add_named(&leaflet, Some("fleet"));

        let body = gtk::Box::new(gtk::Orientation::Vertical, 0);
        body.append(&header);
        body.append(&search_bar);
        body.append(&content);
        let toasts = adw::ToastOverlay::new();
        toasts.set_child(Some(&body));
        window.set_content(Some(&toasts));

        let actions = install_actions(window, settings, sender, &search_bar, &fleet.selection);
        // Delete only while the list has the focus, so it never deletes while typing a search.
        let delete = gtk::ShortcutController::new();
        delete.add_shortcut(gtk::Shortcut::new(
            gtk::ShortcutTrigger::parse_string("Delete"),
            Some(gtk::NamedAction::new("win.vm-delete")),
        ));
        fleet.column_view.add_controller(delete);
        {
            let sender = sender.clone();
            fleet.selection.connect_selection_changed(move |_, _, _| {
                sender.input(WindowInput::SelectionChanged)
            });
        }
        {
            let sender = sender.clone();
            fleet.selection.connect_items_changed(move |_, _, _, _| {
                sender.input(WindowInput::SelectionChanged)
            });
        }
        Layout {
            window: window.clone(),
            toasts,
            content,
            fleet_stack,
            leaflet,
            pages,
            many,
            page_actions,
            title,
            actions,
            column_view: fleet.column_view.clone(),
        }
    }

    pub fn add_pages(&self, host: &HostPage, vm: &VmPage) {
        self.pages.add_named(&host.root, Some("host"));
        self.pages.add_named(&vm.root, Some("vm"));
    }

    /// The fleet overview, shown while nothing is selected (and first).
    pub fn add_overview(&self, overview: &impl IsA<gtk::Widget>) {
        self.pages.add_named(overview, Some("overview"));
        self.pages.set_visible_child_name("overview");
    }

    /// Shows the "No Connections" page, the fleet, or "No Results Found".
    pub fn update_empty_state(&self, fleet: &FleetView) {
        let name = if fleet.host_count() == 0 {
            "empty"
        } else {
            "fleet"
        };
        self.content.set_visible_child_name(name);
        let list = if fleet.host_count() > 0 && fleet.is_empty() {
            "no-results"
        } else {
            "list"
        };
        self.fleet_stack.set_visible_child_name(list);
    }

    /// Shows a page; on a narrow window, slides to it.
    pub fn show_page(&self, name: &str, reveal: bool) {
        self.pages.set_visible_child_name(name);
        self.page_actions.set_visible(matches!(name, "vm" | "many"));
        if reveal {
            self.reveal_page();
        }
    }

    /// On a narrow window, slides from the list to the page pane.
    pub fn reveal_page(&self) {
        // Only a folded leaflet needs to slide to the page. Unfolded, both panes show, and
        // making the page the leaflet's visible child would move the keyboard focus into it
        // (libadwaita does that when the old child had it): after a click, arrow keys and
        // Delete would no longer reach the list.
        if self.leaflet.is_folded()
            && let Some(page_pane) = self.pages.parent()
        {
            self.leaflet.set_visible_child(&page_pane);
        }
    }

    /// The "N machines selected" page: `machines` on `machine_hosts` hosts. A selection of
    /// connection rows alone (`hosts` of them) has nothing for the toolbar to act on, and
    /// says so.
    pub fn show_many(&self, machines: usize, machine_hosts: usize, hosts: usize) {
        if machines == 0 {
            self.many.set_title(&ngettext_f(
                "{n} Host Selected",
                "{n} Hosts Selected",
                hosts as u32,
                &[("n", &hosts.to_string())],
            ));
            self.many.set_description(Some(&gettext(
                "Select virtual machines to act on several at once, or one host to see its details.",
            )));
        } else {
            self.many.set_title(&ngettext_f(
                "{n} Virtual Machine Selected",
                "{n} Virtual Machines Selected",
                machines as u32,
                &[("n", &machines.to_string())],
            ));
            self.many.set_description(Some(&ngettext_f(
                "On {n} host. The toolbar’s actions apply to all of them.",
                "On {n} hosts. The toolbar’s actions apply to all of them.",
                machine_hosts as u32,
                &[("n", &machine_hosts.to_string())],
            )));
        }
        self.show_page("many", false);
    }

    /// Enables each action when it is valid for at least one selected machine.
    pub fn update_actions(&self, selected: &[FleetItem]) {
        let states: Vec<(DomainState, bool)> = selected
            .iter()
            .filter_map(|item| item.vm().map(|vm| (vm.state, vm.persistent)))
            .collect();
        for action in VmAction::ALL {
            let enabled = states
                .iter()
                .any(|(state, persistent)| action.valid_for(*state, *persistent));
            if let Some(gaction) = self
                .actions
                .lookup_action(action.id())
                .and_downcast::<gio::SimpleAction>()
            {
                gaction.set_enabled(enabled);
            }
        }
    }

    /// Shows a toast; with details, a "Details" button opens them in a dialog.
    pub fn toast(&self, text: &str, details: Option<String>) {
        let toast = adw::Toast::builder()
            .title(glib::markup_escape_text(text))
            .timeout(6)
            .build();
        if let Some(details) = details {
            toast.set_button_label(Some(&gettext("Details")));
            let window = self.window.clone();
            let heading = text.to_owned();
            toast.connect_button_clicked(move |_| {
                let dialog = adw::MessageDialog::new(Some(&window), Some(&heading), Some(&details));
                dialog.add_response("close", &gettext("_Close"));
                dialog.present();
            });
        }
        self.toasts.add_toast(toast);
    }

    /// The window subtitle: how many hosts and machines are shown.
    pub fn set_counts(&self, hosts: usize, machines: usize) {
        let text = if hosts == 0 {
            String::new()
        } else {
            gettext_f(
                "{hosts} · {machines}",
                &[
                    (
                        "hosts",
                        &ngettext_f(
                            "{n} host",
                            "{n} hosts",
                            hosts as u32,
                            &[("n", &hosts.to_string())],
                        ),
                    ),
                    (
                        "machines",
                        &ngettext_f(
                            "{n} machine",
                            "{n} machines",
                            machines as u32,
                            &[("n", &machines.to_string())],
                        ),
                    ),
                ],
            )
        };
        self.title.set_subtitle(&text);
    }
}

/// The keyboard shortcuts of the `win.*` actions. None may be one of GTK's own window
/// bindings: Ctrl+Shift+D and Ctrl+Shift+I open the GTK Inspector (on by default in Debian's
/// GTK 4.8), and the window takes them before the application's shortcuts.
const ACCELERATORS: &[(&str, &[&str])] = &[
    ("win.add-connection", &["<Control>n"]),
    ("win.search", &["<Control>f"]),
    ("win.fleet-overview", &["<Alt>Home"]),
    ("win.view-list", &["<Control>l"]),
    ("win.vm-run", &["<Control>r"]),
    ("win.vm-pause", &["<Control>p"]),
    ("win.vm-resume", &["<Control><Shift>p"]),
    ("win.vm-shutdown", &["<Control>d"]),
    ("win.vm-reboot", &["<Control><Shift>r"]),
    ("win.vm-force-off", &["<Control><Shift>f"]),
    ("win.vm-force-reset", &["<Control><Shift>x"]),
    ("win.vm-save", &["<Control>s"]),
];

/// The `win.*` actions and their shortcuts.
fn install_actions(
    window: &adw::ApplicationWindow,
    settings: &gio::Settings,
    sender: &ComponentSender<Window>,
    search_bar: &gtk::SearchBar,
    selection: &gtk::MultiSelection,
) -> gio::SimpleActionGroup {
    let group = gio::SimpleActionGroup::new();
    // Selecting nothing shows the fleet overview (the selection-changed handler does the rest).
    let overview = gio::SimpleAction::new("fleet-overview", None);
    {
        let selection = selection.clone();
        let sender = sender.clone();
        overview.connect_activate(move |_, _| {
            selection.unselect_all();
            // On a narrow window the overview is behind the list: slide to it.
            sender.input(WindowInput::RevealPage);
        });
    }
    group.add_action(&overview);
    let add = gio::SimpleAction::new("add-connection", None);
    {
        let sender = sender.clone();
        add.connect_activate(move |_, _| sender.input(WindowInput::ShowAddConnection));
    }
    group.add_action(&add);

    let search = gio::SimpleAction::new("search", None);
    {
        let search_bar = search_bar.clone();
        search.connect_activate(move |_, _| {
            search_bar.set_search_mode(!search_bar.is_search_mode());
        });
    }
    group.add_action(&search);

    let list_view = settings.string("fleet-view") == "list";
    let view_list = gio::SimpleAction::new_stateful("view-list", None, &list_view.to_variant());
    {
        let sender = sender.clone();
        view_list.connect_activate(move |action, _| {
            let list = !action
                .state()
                .and_then(|s| s.get::<bool>())
                .unwrap_or(false);
            action.set_state(&list.to_variant());
            let mode = if list { ViewMode::List } else { ViewMode::Tree };
            sender.input(WindowInput::SetViewMode(mode));
        });
    }
    group.add_action(&view_list);
    if list_view {
        sender.input(WindowInput::SetViewMode(ViewMode::List));
    }

    for action in VmAction::ALL {
        let gaction = gio::SimpleAction::new(action.id(), None);
        gaction.set_enabled(false);
        let sender = sender.clone();
        gaction.connect_activate(move |_, _| sender.input(WindowInput::Action(action)));
        group.add_action(&gaction);
    }
    type HostMessage = fn(ConnectionId) -> WindowInput;
    let host_actions: [(&str, HostMessage); 4] = [
        ("host-connect", WindowInput::Connect),
        ("host-disconnect", WindowInput::Disconnect),
        ("host-edit", WindowInput::EditConnection),
        ("host-remove", WindowInput::RemoveConnection),
    ];
    for (name, message) in host_actions {
        let gaction = gio::SimpleAction::new(name, Some(glib::VariantTy::UINT64));
        let sender = sender.clone();
        gaction.connect_activate(move |_, parameter| {
            if let Some(id) = parameter.and_then(|p| p.get::<u64>()) {
                sender.input(message(ConnectionId(id)));
            }
        });
        group.add_action(&gaction);
    }
    // Into the window's own action map: a second group under the "win" prefix would hide the
    // window's built-in actions, such as GTK's win.show-help-overlay (Keyboard Shortcuts).
    for name in group.list_actions() {
        if let Some(action) = group.lookup_action(&name) {
            window.add_action(&action);
        }
    }

    let app = relm4::main_adw_application();
    for (action, keys) in ACCELERATORS {
        app.set_accels_for_action(action, keys);
    }
    group
}

/// The column chooser: one check button per optional column, saved in GSettings.
fn columns_popover(
    fleet: &FleetView,
    settings: &gio::Settings,
    sender: &ComponentSender<Window>,
) -> gtk::Popover {
    let list = gtk::Box::new(gtk::Orientation::Vertical, 6);
    list.set_margin_top(6);
    list.set_margin_bottom(6);
    list.set_margin_start(6);
    list.set_margin_end(6);
    let heading = gtk::Label::builder()
        .label(gettext("Columns"))
        .xalign(0.0)
        .css_classes(["heading"])
        .build();
    list.append(&heading);
    let visible: Vec<String> = settings
        .strv("visible-columns")
        .iter()
        .map(|s| s.to_string())
        .collect();
    let checks: std::rc::Rc<std::cell::RefCell<Vec<(&'static str, gtk::CheckButton)>>> =
        Default::default();
    for (key, title) in fleet.column_titles() {
        let check = gtk::CheckButton::builder()
            .label(title)
            .active(visible.iter().any(|k| k == key))
            .build();
        list.append(&check);
        checks.borrow_mut().push((key, check.clone()));
        let checks = checks.clone();
        let sender = sender.clone();
        check.connect_toggled(move |_| {
            let keys = checks
                .borrow()
                .iter()
                .filter(|(_, check)| check.is_active())
                .map(|(key, _)| (*key).to_owned())
                .collect();
            sender.input(WindowInput::SetColumns(keys));
        });
    }
    gtk::Popover::builder().child(&list).build()
}

#[cfg(test)]
mod tests {
    use super::ACCELERATORS;

    /// An accelerator as sorted lower-case modifiers and key ("<Shift><Control>D" and
    /// "<Control><Shift>d" are the same keys). gtk-rs's parser needs GTK initialised.
    fn keys(accel: &str) -> (Vec<String>, String) {
        let mut modifiers = Vec::new();
        let mut rest = accel;
        while let Some(after) = rest.strip_prefix('<') {
            let (modifier, tail) = after.split_once('>').expect("a closed modifier");
            let modifier = modifier.to_lowercase();
            modifiers.push(match modifier.as_str() {
                "primary" | "ctrl" => "control".to_owned(),
                _ => modifier,
            });
            rest = tail;
        }
        modifiers.sort();
        (modifiers, rest.to_lowercase())
    }

    #[test]
    fn shortcuts_are_unique_and_leave_gtks_inspector_bindings_alone() {
        let inspector = ["<Control><Shift>d", "<Control><Shift>i"].map(keys);
        let mut seen = Vec::new();
        for (action, accels) in ACCELERATORS {
            for accel in *accels {
                let pressed = keys(accel);
                assert!(
                    !inspector.contains(&pressed),
                    "{action}: {accel} opens the GTK Inspector instead"
                );
                assert!(!seen.contains(&pressed), "{action}: {accel} is taken twice");
                seen.push(pressed);
            }
        }
    }
}

//! The Add Connection dialog (also Edit Connection): hypervisor, transport, host fields or a
//! hand-typed URI, an optional name and the start-up switch, with the resulting URI — or why
//! there is none — shown live.
//!
//! All URI rules live in the GTK-free `hangar::uri`; this file only shows their results.
//!
//! ```ignore
//! let dialog = AddConnection::builder()
//!     .transient_for(&main_window)
//!     .launch(AddConnectionInit::add())
//!     .forward(sender.input_sender(), |AddConnectionOutput::AddConnection { uri, .. }| …);
//! dialog.widget().present(); // a component's window is built hidden
//! self.add_connection_dialog = Some(dialog); // keep the controller while the dialog is open
//! ```

use adw::prelude::*;
use gtk::glib;
use relm4::prelude::*;

use hangar::i18n::{gettext, gettext_f};
use hangar::uri::{self, ConnectionForm, Hypervisor, Transport, UriError, UriPart};

/// What the dialog starts from: nothing (add) or a saved connection (edit).
#[derive(Debug, Clone, Default)]
pub struct AddConnectionInit {
    /// The connection being edited; `None` to add a new one.
    pub uri: Option<String>,
    pub name: Option<String>,
    pub autoconnect: bool,
}

impl AddConnectionInit {
    /// A new connection: local QEMU/KVM, connecting at start-up.
    pub fn add() -> Self {
        Self {
            uri: None,
            name: None,
            autoconnect: true,
        }
    }

    /// Edit (or rename) the saved connection `uri`.
    pub fn edit(uri: &str, name: Option<&str>, autoconnect: bool) -> Self {
        Self {
            uri: Some(uri.to_owned()),
            name: name.map(str::to_owned),
            autoconnect,
        }
    }
}

/// The dialog's state: the form and its last result.
pub struct AddConnection {
    form: ConnectionForm,
    name: String,
    autoconnect: bool,
    /// The URI being edited, if this is Edit Connection.
    previous_uri: Option<String>,
    result: Result<String, UriError>,
    /// Bumped when the model, not the user, changes the custom URI text, so the view writes
    /// the entry only then: writing it on every edit would fight the entry's own two-step
    /// "changed" signals (delete, then insert) forever.
    custom_uri_revision: u32,
}

#[derive(Debug)]
pub enum AddConnectionInput {
    Hypervisor(u32),
    Transport(u32),
    User(String),
    Host(String),
    Port(String),
    CustomUri(String),
    VerifyCertificate(bool),
    Name(String),
    Autoconnect(bool),
    /// Add (or Save) was pressed, or Enter in a field.
    Confirm,
    Cancel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddConnectionOutput {
    /// Save this connection. `previous_uri` is the URI the edited connection had (it may
    /// differ from `uri`); `None` when adding.
    AddConnection {
        uri: String,
        name: Option<String>,
        autoconnect: bool,
        previous_uri: Option<String>,
    },
}

pub struct AddConnectionWidgets {
    hypervisor_row: adw::ComboRow,
    hypervisor_handler: glib::SignalHandlerId,
    transport_row: adw::ComboRow,
    transport_model: gtk::StringList,
    transport_handler: glib::SignalHandlerId,
    /// The transports the transport list shows now, in its order.
    shown_transports: Vec<Transport>,
    custom_row: adw::EntryRow,
    /// The `custom_uri_revision` last written into `custom_row`.
    custom_uri_revision: u32,
    remote_group: adw::PreferencesGroup,
    host_row: adw::EntryRow,
    user_row: adw::EntryRow,
    port_row: adw::EntryRow,
    verify_row: adw::ActionRow,
    status_icon: gtk::Image,
    status_label: gtk::Label,
    add_button: gtk::Button,
}

impl Component for AddConnection {
    type CommandOutput = ();
    type Init = AddConnectionInit;
    type Input = AddConnectionInput;
    type Output = AddConnectionOutput;
    type Root = adw::Window;
    type Widgets = AddConnectionWidgets;

    fn init_root() -> Self::Root {
        adw::Window::builder()
            .modal(true)
            .destroy_with_parent(true)
            .default_width(520)
            .default_height(660)
            .width_request(360)
            .build()
    }

    fn init(
        init: Self::Init,
        root: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let form = match &init.uri {
            Some(uri) => ConnectionForm::from_uri(uri),
            None => ConnectionForm::default(),
        };
        let editing = init.uri.is_some();
        let model = AddConnection {
            result: uri::build(&form),
            form,
            name: init.name.clone().unwrap_or_default(),
            autoconnect: init.autoconnect,
            previous_uri: init.uri.clone(),
            custom_uri_revision: 0,
        };

        let title = if editing {
            gettext("Edit Connection")
        } else {
            gettext("Add Connection")
        };
        root.set_title(Some(&title));

        // Header bar: Cancel and Add, no window buttons (GNOME dialog layout).
        let cancel_button = gtk::Button::with_mnemonic(&gettext("_Cancel"));
        cancel_button.connect_clicked(glib::clone!(
            #[strong]
            sender,
            move |_| sender.input(AddConnectionInput::Cancel)
        ));
        let add_button = gtk::Button::with_mnemonic(&if editing {
            gettext("_Save")
        } else {
            gettext("_Add")
        });
        add_button.add_css_class("suggested-action");
        add_button.connect_clicked(glib::clone!(
            #[strong]
            sender,
            move |_| sender.input(AddConnectionInput::Confirm)
        ));
        let header = adw::HeaderBar::builder()
            .show_end_title_buttons(false)
            .show_start_title_buttons(false)
            .title_widget(&adw::WindowTitle::new(&title, ""))
            .build();
        header.pack_start(&cancel_button);
        header.pack_end(&add_button);

        // Hypervisor and transport.
        let labels: Vec<String> = Hypervisor::ALL.iter().map(|h| h.label()).collect();
        let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let hypervisor_row = adw::ComboRow::builder()
            .title(gettext("Hypervisor"))
            .model(&gtk::StringList::new(&label_refs))
            .build();
        let hypervisor_index = Hypervisor::ALL
            .iter()
            .position(|h| *h == model.form.hypervisor)
            .unwrap_or(0);
        hypervisor_row.set_selected(hypervisor_index as u32);
        let hypervisor_handler = hypervisor_row.connect_selected_notify(glib::clone!(
            #[strong]
            sender,
            move |row| sender.input(AddConnectionInput::Hypervisor(row.selected()))
        ));

        let transport_model = gtk::StringList::new(&[]);
        let transport_row = adw::ComboRow::builder()
            .title(gettext("Transport"))
            .model(&transport_model)
            .build();
        let transport_handler = transport_row.connect_selected_notify(glib::clone!(
            #[strong]
            sender,
            move |row| sender.input(AddConnectionInput::Transport(row.selected()))
        ));

        let custom_row = entry_row(&gettext("URI"), &model.form.custom_uri);
        custom_row.set_input_purpose(gtk::InputPurpose::Url);
        connect_entry(&custom_row, &sender, AddConnectionInput::CustomUri);

        let kind_group = adw::PreferencesGroup::new();
        kind_group.add(&hypervisor_row);
        kind_group.add(&transport_row);
        kind_group.add(&custom_row);

        // Remote host.
        let host_row = entry_row(&gettext("Host"), &model.form.host);
        host_row.set_input_purpose(gtk::InputPurpose::Url);
        connect_entry(&host_row, &sender, AddConnectionInput::Host);
        let user_row = entry_row(&gettext("User Name"), &model.form.user);
        connect_entry(&user_row, &sender, AddConnectionInput::User);
        let port_row = entry_row(&gettext("Port"), &model.form.port);
        port_row.set_input_purpose(gtk::InputPurpose::Digits);
        connect_entry(&port_row, &sender, AddConnectionInput::Port);
        let verify_switch = gtk::Switch::builder()
            .active(model.form.verify_certificate)
            .valign(gtk::Align::Center)
            .build();
        verify_switch.connect_active_notify(glib::clone!(
            #[strong]
            sender,
            move |switch| sender.input(AddConnectionInput::VerifyCertificate(switch.is_active()))
        ));
        let verify_row = adw::ActionRow::builder()
            .title(gettext("Verify Certificate"))
            .subtitle(gettext(
                "Turn off only for hosts with a self-signed certificate you trust",
            ))
            .activatable_widget(&verify_switch)
            .build();
        verify_row.add_suffix(&verify_switch);
        let remote_group = adw::PreferencesGroup::builder()
            .title(gettext("Remote Host"))
            .build();
        remote_group.add(&host_row);
        remote_group.add(&user_row);
        remote_group.add(&port_row);
        remote_group.add(&verify_row);

        // Name and start-up.
        let name_row = entry_row(&gettext("Name"), &model.name);
        connect_entry(&name_row, &sender, AddConnectionInput::Name);
        let autoconnect_switch = gtk::Switch::builder()
            .active(model.autoconnect)
            .valign(gtk::Align::Center)
            .build();
        autoconnect_switch.connect_active_notify(glib::clone!(
            #[strong]
            sender,
            move |switch| sender.input(AddConnectionInput::Autoconnect(switch.is_active()))
        ));
        let autoconnect_row = adw::ActionRow::builder()
            .title(gettext("Connect Automatically"))
            .subtitle(gettext("Connect when Hangar starts"))
            .activatable_widget(&autoconnect_switch)
            .build();
        autoconnect_row.add_suffix(&autoconnect_switch);
        let general_group = adw::PreferencesGroup::builder()
            .description(gettext(
                "The name is optional; without one, the host’s own name is shown",
            ))
            .build();
        general_group.add(&name_row);
        general_group.add(&autoconnect_row);

        // The resulting URI, or why there is none.
        let status_icon = gtk::Image::builder().valign(gtk::Align::Start).build();
        let status_label = gtk::Label::builder()
            .xalign(0.0)
            .hexpand(true)
            .wrap(true)
            .wrap_mode(gtk::pango::WrapMode::WordChar)
            .selectable(true)
            .build();
        let status_box = gtk::Box::builder()
            .orientation(gtk::Orientation::Horizontal)
            .spacing(12)
            .margin_top(12)
            .margin_bottom(12)
            .margin_start(12)
            .margin_end(12)
            .build();
        status_box.append(&status_icon);
        status_box.append(&status_label);
        let status_card = gtk::Box::builder()
            .css_classes(["card"])
            .accessible_role(gtk::AccessibleRole::Status)
            .build();
        status_card.append(&status_box);
        let status_title = gtk::Label::builder()
            .label(gettext("Connection URI"))
            .xalign(0.0)
            .css_classes(["heading"])
            .build();
        let status_area = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(12)
            .margin_top(18)
            .margin_bottom(18)
            .margin_start(12)
            .margin_end(12)
            .build();
        status_area.append(&status_title);
        status_area.append(&status_card);

        let content = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(24)
            .margin_top(24)
            .margin_bottom(24)
            .margin_start(12)
            .margin_end(12)
            .build();
        for group in [&kind_group, &remote_group, &general_group] {
            content.append(group);
        }
        let scrolled = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .propagate_natural_height(true)
            .vexpand(true)
            .child(&clamped(&content))
            .build();
        // The URI (or what is wrong) stays in view below the fields, however long the form.
        let layout = gtk::Box::new(gtk::Orientation::Vertical, 0);
        layout.append(&header);
        layout.append(&scrolled);
        layout.append(&gtk::Separator::new(gtk::Orientation::Horizontal));
        layout.append(&clamped(&status_area));
        root.set_content(Some(&layout));
        root.set_default_widget(Some(&add_button));
        install_escape(&root);

        let mut widgets = AddConnectionWidgets {
            hypervisor_row,
            hypervisor_handler,
            transport_row,
            transport_model,
            transport_handler,
            shown_transports: Vec::new(),
            custom_row,
            custom_uri_revision: 0,
            remote_group,
            host_row,
            user_row,
            port_row,
            verify_row,
            status_icon,
            status_label,
            add_button,
        };
        model.update_view(&mut widgets, sender);
        ComponentParts { model, widgets }
    }

    fn update(&mut self, message: Self::Input, sender: ComponentSender<Self>, root: &Self::Root) {
        match message {
            AddConnectionInput::Hypervisor(index) => {
                let hypervisor = Hypervisor::ALL
                    .get(index as usize)
                    .copied()
                    .unwrap_or_default();
                // Switching to Custom starts from the URI built so far, as virt-manager does.
                if hypervisor == Hypervisor::Custom && self.form.custom_uri.trim().is_empty() {
                    if let Ok(uri) = &self.result {
                        self.form.custom_uri = uri.clone();
                        self.custom_uri_revision += 1;
                    }
                }
                self.form.hypervisor = hypervisor;
                if !hypervisor.transports().contains(&self.form.transport) {
                    self.form.transport =
                        hypervisor.transports().first().copied().unwrap_or_default();
                }
            }
            AddConnectionInput::Transport(index) => {
                if let Some(transport) = self.form.hypervisor.transports().get(index as usize) {
                    self.form.transport = *transport;
                }
            }
            AddConnectionInput::User(text) => self.form.user = text,
            AddConnectionInput::Host(text) => self.form.host = text,
            AddConnectionInput::Port(text) => self.form.port = text,
            AddConnectionInput::CustomUri(text) => self.form.custom_uri = text,
            AddConnectionInput::VerifyCertificate(verify) => self.form.verify_certificate = verify,
            AddConnectionInput::Name(text) => self.name = text,
            AddConnectionInput::Autoconnect(autoconnect) => self.autoconnect = autoconnect,
            AddConnectionInput::Confirm => {
                if let Ok(uri) = &self.result {
                    let name = self.name.trim();
                    let _ = sender.output(AddConnectionOutput::AddConnection {
                        uri: uri.clone(),
                        name: (!name.is_empty()).then(|| name.to_owned()),
                        autoconnect: self.autoconnect,
                        previous_uri: self.previous_uri.clone(),
                    });
                    root.close();
                }
                return;
            }
            AddConnectionInput::Cancel => {
                root.close();
                return;
            }
        }
        self.result = uri::build(&self.form);
    }

    fn update_view(&self, widgets: &mut Self::Widgets, _sender: ComponentSender<Self>) {
        let hypervisor = self.form.hypervisor;
        let transports = hypervisor.transports();
        let custom = hypervisor == Hypervisor::Custom;

        let hypervisor_index = Hypervisor::ALL
            .iter()
            .position(|h| *h == hypervisor)
            .unwrap_or(0) as u32;
        if widgets.hypervisor_row.selected() != hypervisor_index {
            widgets
                .hypervisor_row
                .block_signal(&widgets.hypervisor_handler);
            widgets.hypervisor_row.set_selected(hypervisor_index);
            widgets
                .hypervisor_row
                .unblock_signal(&widgets.hypervisor_handler);
        }

        if widgets.shown_transports != transports {
            // Refilling the list moves its selection; that is not the user's choice.
            widgets
                .transport_row
                .block_signal(&widgets.transport_handler);
            let labels: Vec<String> = transports.iter().map(|t| t.label()).collect();
            let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
            widgets
                .transport_model
                .splice(0, widgets.transport_model.n_items(), &label_refs);
            widgets.shown_transports = transports.to_vec();
            widgets
                .transport_row
                .unblock_signal(&widgets.transport_handler);
        }
        let transport_index = transports
            .iter()
            .position(|t| *t == self.form.transport)
            .unwrap_or(0) as u32;
        if widgets.transport_row.selected() != transport_index {
            widgets
                .transport_row
                .block_signal(&widgets.transport_handler);
            widgets.transport_row.set_selected(transport_index);
            widgets
                .transport_row
                .unblock_signal(&widgets.transport_handler);
        }
        widgets.transport_row.set_visible(!custom);
        widgets.transport_row.set_sensitive(transports.len() > 1);
        widgets.custom_row.set_visible(custom);
        if widgets.custom_uri_revision != self.custom_uri_revision {
            widgets.custom_uri_revision = self.custom_uri_revision;
            widgets.custom_row.set_text(&self.form.custom_uri);
        }

        let remote = !custom && self.form.transport.is_remote();
        widgets.remote_group.set_visible(remote);
        widgets
            .verify_row
            .set_visible(hypervisor.has_certificate_check());
        let description = self.form.transport.default_port(hypervisor).map(|port| {
            gettext_f(
                "User name and port are optional; the default port is {port}",
                &[("port", &port.to_string())],
            )
        });
        widgets.remote_group.set_description(description.as_deref());

        // Mark the field at fault; an empty required field is not a fault yet.
        let faulty = match &self.result {
            Err(error) => faulty_row(error, custom),
            Ok(_) => None,
        };
        for (row, field) in [
            (&widgets.custom_row, Field::Custom),
            (&widgets.host_row, Field::Host),
            (&widgets.user_row, Field::User),
            (&widgets.port_row, Field::Port),
        ] {
            if faulty == Some(field) {
                row.add_css_class("error");
            } else {
                row.remove_css_class("error");
            }
        }

        let label = &widgets.status_label;
        match &self.result {
            Ok(uri) => {
                widgets
                    .status_icon
                    .set_icon_name(Some("emblem-ok-symbolic"));
                widgets.status_icon.remove_css_class("error");
                widgets.status_icon.add_css_class("success");
                label.set_text(uri);
                label.remove_css_class("error");
                label.remove_css_class("dim-label");
                label.add_css_class("monospace");
            }
            Err(error) => {
                let incomplete = matches!(error, UriError::Empty | UriError::MissingHost);
                widgets.status_icon.set_icon_name(Some(if incomplete {
                    "dialog-information-symbolic"
                } else {
                    "dialog-error-symbolic"
                }));
                widgets.status_icon.remove_css_class("success");
                label.set_text(&error.to_string());
                label.remove_css_class("monospace");
                if incomplete {
                    widgets.status_icon.remove_css_class("error");
                    label.remove_css_class("error");
                    label.add_css_class("dim-label");
                } else {
                    widgets.status_icon.add_css_class("error");
                    label.add_css_class("error");
                    label.remove_css_class("dim-label");
                }
            }
        }
        widgets.add_button.set_sensitive(self.result.is_ok());
    }
}

/// The form fields an error can point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Custom,
    Host,
    User,
    Port,
}

fn faulty_row(error: &UriError, custom: bool) -> Option<Field> {
    if custom {
        return (!matches!(error, UriError::Empty)).then_some(Field::Custom);
    }
    match error {
        UriError::BadHost(_)
        | UriError::HostWithPort
        | UriError::UnbracketedIpv6
        | UriError::UserWithoutHost
        | UriError::ContainsSpaces(UriPart::Host) => Some(Field::Host),
        UriError::BadUser(_) | UriError::ContainsSpaces(UriPart::User) => Some(Field::User),
        UriError::BadPort(_) | UriError::PortWithoutHost => Some(Field::Port),
        _ => None,
    }
}

/// `child` at the width of a preferences page.
fn clamped(child: &impl IsA<gtk::Widget>) -> adw::Clamp {
    adw::Clamp::builder().maximum_size(560).child(child).build()
}

fn entry_row(title: &str, text: &str) -> adw::EntryRow {
    let row = adw::EntryRow::builder()
        .title(title)
        .activates_default(true)
        .build();
    row.set_text(text);
    row
}

/// Sends every edit of `row` as `message(text)`.
fn connect_entry(
    row: &adw::EntryRow,
    sender: &ComponentSender<AddConnection>,
    message: fn(String) -> AddConnectionInput,
) {
    row.connect_changed(glib::clone!(
        #[strong]
        sender,
        move |row| sender.input(message(row.text().to_string()))
    ));
}

/// Escape closes the dialog like Cancel (adw::Window has no such binding of its own).
fn install_escape(window: &impl IsA<gtk::Widget>) {
    let controller = gtk::ShortcutController::new();
    controller.add_shortcut(gtk::Shortcut::new(
        gtk::ShortcutTrigger::parse_string("Escape"),
        Some(gtk::CallbackAction::new(|widget, _| {
            if let Some(window) = widget.downcast_ref::<gtk::Window>() {
                window.close();
            }
            glib::Propagation::Stop
        })),
    ));
    window.add_controller(controller);
}

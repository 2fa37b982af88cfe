//! The dialogs driven through their widgets on a real display: Add Connection turns the form
//! into the right output, the credential prompt returns what was typed, and Preferences rows
//! and GSettings keys follow each other both ways.
//!
//! GTK allows one thread only, so everything runs in one test. It needs a display (Xvfb):
//! without one it says why and returns, or fails when `HANGAR_TEST_REQUIRE_ALL=1`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::glib;
use relm4::prelude::*;

use hangar::secrets::CredentialKind;
use hangar::uri::{UriError, UriPart};

use super::add_connection::{
    AddConnection, AddConnectionInit, AddConnectionInput, AddConnectionOutput,
};
use super::credentials::{self, CredentialPromptRequest, PromptField};
use super::preferences;
use super::settings::memory_settings;

fn display_available() -> bool {
    if gtk::init().is_ok() {
        return true;
    }
    let why = "GTK cannot open a display (run under Xvfb: DISPLAY=:N)";
    assert!(
        std::env::var("HANGAR_TEST_REQUIRE_ALL").as_deref() != Ok("1"),
        "HANGAR_TEST_REQUIRE_ALL=1 but {why}"
    );
    eprintln!("skipping the dialog test: {why}");
    false
}

/// Runs the main context until `done` holds, failing after five seconds.
pub(super) fn pump_until(what: &str, done: impl Fn() -> bool) {
    let context = glib::MainContext::default();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        context.iteration(false);
    }
}

/// Lets pending messages and redraws run (relm4 handles inputs from the main context). A
/// context that never settles means two parts keep messaging each other: fail, don't hang.
fn pump() {
    let context = glib::MainContext::default();
    let deadline = Instant::now() + Duration::from_secs(5);
    while context.iteration(false) {
        assert!(
            Instant::now() < deadline,
            "the main loop never settles: a message loop between view and model?"
        );
    }
}

fn descendants(root: &gtk::Widget) -> Vec<gtk::Widget> {
    let mut found = Vec::new();
    let mut child = root.first_child();
    while let Some(widget) = child {
        child = widget.next_sibling();
        found.extend(descendants(&widget));
        found.push(widget);
    }
    found
}

fn find<T: IsA<gtk::Widget>>(root: &impl IsA<gtk::Widget>, matches: impl Fn(&T) -> bool) -> T {
    descendants(root.upcast_ref())
        .into_iter()
        .filter_map(|widget| widget.downcast::<T>().ok())
        .find(|widget| matches(widget))
        .unwrap_or_else(|| panic!("no matching {} found", T::static_type().name()))
}

fn row_widget<T: IsA<gtk::Widget>>(root: &impl IsA<gtk::Widget>, title: &str) -> T {
    let row: adw::ActionRow = find(root, |row: &adw::ActionRow| row.title() == title);
    row.activatable_widget()
        .and_then(|widget| widget.downcast::<T>().ok())
        .unwrap_or_else(|| panic!("row “{title}” has no such widget"))
}

fn label_shown(root: &impl IsA<gtk::Widget>, text: &str) -> bool {
    descendants(root.upcast_ref())
        .into_iter()
        .filter_map(|widget| widget.downcast::<gtk::Label>().ok())
        .any(|label| label.label() == text && label.is_visible())
}

#[test]
fn dialogs_work_through_their_widgets() {
    if !display_available() {
        return;
    }
    adw::init().expect("libadwaita initialises after GTK");
    add_connection_builds_the_uri_and_refuses_bad_forms();
    add_connection_custom_starts_from_the_built_uri();
    add_connection_edits_keep_the_uri_and_report_the_old_one();
    credential_prompt_returns_the_answers_in_order();
    preferences_follow_gsettings_both_ways();
    grab_combinations_are_checked();
    // The chart widgets need the same single GTK thread.
    super::chart_tests::charts_follow_the_store_only_while_visible();
    super::chart_tests::busiest_machines_rank_and_select();
    super::fleet_tests::fleet_top_stays_in_view_when_a_host_sorts_in_above();
    super::fleet_tests::row_menu_shows_every_item();
    super::fleet_tests::rows_stay_in_view_right_to_left();
    super::spinner::tests::turns_only_while_shown();
    super::after_paint::tests::runs_once_after_the_next_painted_frame();
}

type Outputs = Rc<RefCell<Vec<AddConnectionOutput>>>;

fn launch(init: AddConnectionInit) -> (Controller<AddConnection>, Outputs) {
    let outputs: Outputs = Rc::default();
    let sink = outputs.clone();
    let controller = AddConnection::builder()
        .launch(init)
        .connect_receiver(move |_, output| sink.borrow_mut().push(output));
    controller.widget().present();
    pump();
    (controller, outputs)
}

fn add_connection_builds_the_uri_and_refuses_bad_forms() {
    let (dialog, outputs) = launch(AddConnectionInit::add());
    let root = dialog.widget().clone();
    let add: gtk::Button = find(&root, |b: &gtk::Button| {
        b.label().as_deref() == Some("_Add")
    });
    assert!(
        label_shown(&root, "qemu:///system"),
        "the default URI is shown"
    );
    assert!(add.is_sensitive());

    dialog.emit(AddConnectionInput::Transport(1)); // SSH
    pump();
    assert!(!add.is_sensitive(), "SSH without a host cannot be added");
    assert!(label_shown(&root, &UriError::MissingHost.to_string()));

    dialog.emit(AddConnectionInput::Host("my host".into()));
    dialog.emit(AddConnectionInput::Confirm);
    pump();
    assert!(label_shown(
        &root,
        &UriError::ContainsSpaces(UriPart::Host).to_string()
    ));
    let host_row: adw::EntryRow = find(&root, |row: &adw::EntryRow| row.title() == "Host");
    assert!(
        host_row.has_css_class("error"),
        "the faulty field is marked"
    );
    assert!(outputs.borrow().is_empty(), "an invalid form adds nothing");

    dialog.emit(AddConnectionInput::Host("lab.example.org".into()));
    dialog.emit(AddConnectionInput::User("root".into()));
    dialog.emit(AddConnectionInput::Port("2222".into()));
    dialog.emit(AddConnectionInput::Name("  Lab  ".into()));
    pump();
    assert!(add.is_sensitive());
    assert!(!host_row.has_css_class("error"));
    assert!(label_shown(
        &root,
        "qemu+ssh://root@lab.example.org:2222/system"
    ));
    add.emit_clicked();
    pump_until("the Add output", || !outputs.borrow().is_empty());
    assert_eq!(
        outputs.borrow()[0],
        AddConnectionOutput::AddConnection {
            uri: "qemu+ssh://root@lab.example.org:2222/system".into(),
            name: Some("Lab".into()),
            autoconnect: true,
            previous_uri: None,
        }
    );
    pump_until("the dialog to close", || !root.is_visible());

    // ESX only offers HTTPS; the transport list follows the hypervisor.
    let (dialog, outputs) = launch(AddConnectionInit::add());
    let root = dialog.widget().clone();
    let transport: adw::ComboRow = find(&root, |row: &adw::ComboRow| row.title() == "Transport");
    dialog.emit(AddConnectionInput::Hypervisor(4)); // VMware ESX
    dialog.emit(AddConnectionInput::Host("esx1".into()));
    dialog.emit(AddConnectionInput::VerifyCertificate(false));
    dialog.emit(AddConnectionInput::Autoconnect(false));
    pump();
    let model = transport.model().expect("the transport row has a list");
    assert_eq!(model.n_items(), 1);
    assert!(
        !transport.is_sensitive(),
        "a single transport is not a choice"
    );
    dialog.emit(AddConnectionInput::Confirm);
    pump_until("the ESX output", || !outputs.borrow().is_empty());
    assert!(matches!(
        &outputs.borrow()[0],
        AddConnectionOutput::AddConnection { uri, autoconnect: false, .. } if uri == "esx://esx1/?no_verify=1"
    ));
}

fn add_connection_custom_starts_from_the_built_uri() {
    let (dialog, outputs) = launch(AddConnectionInit::add());
    let root = dialog.widget().clone();
    dialog.emit(AddConnectionInput::Transport(1)); // SSH
    dialog.emit(AddConnectionInput::Host("h".into()));
    dialog.emit(AddConnectionInput::Hypervisor(8)); // Custom URI
    pump();
    let custom: adw::EntryRow = find(&root, |row: &adw::EntryRow| row.title() == "URI");
    assert!(custom.is_visible());
    assert_eq!(
        custom.text(),
        "qemu+ssh://h/system",
        "the custom field starts from the form"
    );
    custom.set_text("qemu:///nope");
    pump();
    assert!(custom.has_css_class("error"));
    assert!(label_shown(
        &root,
        &UriError::QemuPath("/nope".into()).to_string()
    ));
    custom.set_text("  test:///default ");
    dialog.emit(AddConnectionInput::Confirm);
    pump_until("the custom output", || !outputs.borrow().is_empty());
    assert!(matches!(
        &outputs.borrow()[0],
        AddConnectionOutput::AddConnection { uri, .. } if uri == "test:///default"
    ));
}

fn add_connection_edits_keep_the_uri_and_report_the_old_one() {
    let uri = "qemu+ssh://root@host/system?keyfile=/k";
    let (dialog, outputs) = launch(AddConnectionInit::edit(uri, Some("Old"), false));
    let root = dialog.widget().clone();
    assert_eq!(root.title().as_deref(), Some("Edit Connection"));
    let custom: adw::EntryRow = find(&root, |row: &adw::EntryRow| row.title() == "URI");
    assert!(
        custom.is_visible(),
        "a URI the fields cannot express opens as custom"
    );
    assert_eq!(custom.text(), uri);
    dialog.emit(AddConnectionInput::Name(String::new()));
    dialog.emit(AddConnectionInput::Confirm);
    pump_until("the Save output", || !outputs.borrow().is_empty());
    assert_eq!(
        outputs.borrow()[0],
        AddConnectionOutput::AddConnection {
            uri: uri.into(),
            name: None,
            autoconnect: false,
            previous_uri: Some(uri.into()),
        }
    );
}

fn credential_prompt_returns_the_answers_in_order() {
    let mut user = PromptField::new(CredentialKind::Username, "Enter username [root]: ");
    user.default_value = Some("root".into());
    let request = CredentialPromptRequest {
        uri: "qemu+ssh://lab/system".into(),
        fields: vec![
            user,
            PromptField::new(CredentialKind::NoEchoPrompt, "root@lab's password: "),
        ],
        can_remember: true,
        rejected_before: false,
    };

    let parent = gtk::Window::new();
    let answered = credentials::ask(Some(&parent), request.clone());
    let dialog = prompt_window();
    let password: adw::PasswordEntryRow = find(&dialog, |row: &adw::PasswordEntryRow| {
        row.title() == "root@lab's password"
    });
    let user_row: adw::EntryRow = find(&dialog, |row: &adw::EntryRow| {
        row.title() == "Enter username [root]"
    });
    assert_eq!(
        user_row.text(),
        "root",
        "libvirt's default answer is filled in"
    );
    password.set_text("s3cret");
    let remember: gtk::CheckButton = find(&dialog, |_: &gtk::CheckButton| true);
    remember.set_active(true);
    click_response(&dialog, "C_onnect");
    let answers = glib::MainContext::default()
        .block_on(answered)
        .expect("Connect gives answers");
    let values: Vec<&str> = answers.values.iter().map(|v| v.expose()).collect();
    assert!(
        values == ["root", "s3cret"],
        "answers come back in field order"
    );
    assert!(answers.remember);
    pump_until("the prompt to close", || !dialog.is_visible());

    // Cancel answers nothing; without a Secret Service there is nothing to remember. After a
    // rejection the prompt says so.
    let answered = credentials::ask(
        None,
        CredentialPromptRequest {
            can_remember: false,
            rejected_before: true,
            ..request
        },
    );
    let dialog = prompt_window();
    assert!(
        dialog
            .body()
            .starts_with("The host did not accept these credentials."),
        "{}",
        dialog.body()
    );
    assert!(
        descendants(dialog.upcast_ref())
            .iter()
            .all(|w| !w.is::<gtk::CheckButton>()),
        "no Remember check without a keyring"
    );
    click_response(&dialog, "_Cancel");
    assert_eq!(glib::MainContext::default().block_on(answered), None);
    pump_until("the prompt to close", || !dialog.is_visible());
}

/// Clicks the response button labelled `label`, as the user would.
fn click_response(dialog: &adw::MessageDialog, label: &str) {
    let button: gtk::Button = find(dialog, |b: &gtk::Button| {
        b.label().as_deref() == Some(label)
    });
    button.emit_clicked();
}

fn prompt_window() -> adw::MessageDialog {
    pump();
    gtk::Window::list_toplevels()
        .into_iter()
        .filter_map(|window| window.downcast::<adw::MessageDialog>().ok())
        .find(|dialog| dialog.is_visible())
        .expect("the prompt is shown")
}

fn preferences_follow_gsettings_both_ways() {
    let settings = memory_settings();
    let window = preferences::build(&settings);
    window.present();
    pump();

    let force_off: gtk::Switch = row_widget(&window, "Force Off");
    assert!(force_off.is_active());
    force_off.set_active(false);
    assert!(
        !settings.boolean("confirm-force-off"),
        "the switch writes the key"
    );
    assert!(settings.set_boolean("confirm-delete", false).is_ok());
    assert!(
        !row_widget::<gtk::Switch>(&window, "Delete").is_active(),
        "the key moves the switch"
    );
    let network: gtk::Switch = row_widget(&window, "Network Traffic");
    network.set_active(false);
    assert!(!settings.boolean("stats-network"));

    let interval: gtk::SpinButton = row_widget(&window, "Update Interval");
    assert_eq!(interval.value(), 1.0);
    interval.set_value(5.0);
    assert_eq!(settings.uint("polling-interval"), 5);
    interval.set_value(500.0);
    assert_eq!(
        settings.uint("polling-interval"),
        60,
        "the button stays in the key's range"
    );
    assert!(settings.set_uint("history-minutes", 120).is_ok());
    assert_eq!(
        row_widget::<gtk::SpinButton>(&window, "History Length").value(),
        120.0
    );

    let scaling: adw::ComboRow = find(&window, |row: &adw::ComboRow| row.title() == "Scaling");
    assert_eq!(scaling.selected(), 0);
    scaling.set_selected(2);
    assert_eq!(settings.string("console-scaling"), "resize-guest");
    assert!(settings.set_string("console-scaling", "one-to-one").is_ok());
    assert_eq!(scaling.selected(), 1);

    let shortcut: gtk::ShortcutLabel = find(&window, |_: &gtk::ShortcutLabel| true);
    assert_eq!(shortcut.accelerator().as_deref(), Some("<Control>Alt_L"));
    assert!(
        settings
            .set_string("console-grab-keys", "<Control><Alt>g")
            .is_ok()
    );
    assert_eq!(shortcut.accelerator().as_deref(), Some("<Control><Alt>g"));
    window.close();
}

fn grab_combinations_are_checked() {
    for accelerator in [
        "<Control>Alt_L",
        "<Alt>Control_L",
        "<Shift>Control_R",
        "<Control><Alt>g",
        "<Super>space",
        "<Control>F12",
    ] {
        assert!(
            preferences::is_valid_grab_accelerator(accelerator),
            "{accelerator} is usable"
        );
    }
    for accelerator in ["", "g", "<Shift>g", "Alt_L", "F12", "<Control", "not a key"] {
        assert!(
            !preferences::is_valid_grab_accelerator(accelerator),
            "{accelerator} is refused"
        );
    }
}

//! The GTK side of Hangar: relm4 components, one file per room, fed by the GTK-free core.
//!
//! The application is single-instance: a second launch forwards its command line over D-Bus
//! to the primary instance, whose window acts on it.

mod a11y;
mod about;
mod add_connection;
mod after_paint;
mod busiest;
mod chart;
#[cfg(test)]
mod chart_tests;
mod confirm;
mod console;
mod credential_provider;
mod credentials;
mod details;
#[cfg(test)]
mod dialog_tests;
mod fleet;
mod fleet_overview;
#[cfg(test)]
mod fleet_tests;
mod host_page;
mod labels;
mod performance;
mod preferences;
mod rows;
mod saved_connections;
mod settings;
mod spinner;
mod status_icon;
mod vm_page;
mod window;

use std::process::ExitCode;

use adw::prelude::*;
use gtk::{gio, glib};
use relm4::{MessageBroker, RelmApp};

use hangar::{cli, config, i18n::gettext};

/// The widest a page beside the fleet grows (machine, host and overview pages): two charts
/// side by side fit, and at the default window size the fleet keeps room for its default
/// columns, and for the Host column of the one-list view.
const PAGE_MAX_WIDTH: i32 = 700;

pub use window::WindowInput;

/// Lets the command-line handler reach the window component.
static WINDOW_BROKER: MessageBroker<WindowInput> = MessageBroker::new();

/// Registers resources, builds the application and runs it until the last window closes.
pub fn run(args: Vec<String>) -> ExitCode {
    if let Some(code) = forward_to_running_instance(&args) {
        return code;
    }
    gio::resources_register_include!("hangar.gresource")
        .expect("the GResource bundle is compiled into the binary by build.rs");
    glib::set_application_name(&gettext("Hangar"));

    let app = adw::Application::builder()
        .application_id(config::APP_ID)
        .resource_base_path("/io/github/hangar_vm/Hangar")
        .flags(gio::ApplicationFlags::HANDLES_COMMAND_LINE)
        .build();
    app.connect_command_line(|app, command_line| {
        let args: Vec<String> = command_line
            .arguments()
            .iter()
            .skip(1)
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        match cli::parse(&args) {
            Ok(options) => {
                WINDOW_BROKER.send(WindowInput::CommandLine(options));
                app.activate();
                glib::ExitCode::SUCCESS
            }
            // A second launch validates its own arguments before forwarding them, so this is
            // only reached by a hand-crafted D-Bus call.
            Err(error) => {
                eprintln!("hangar: ignoring a forwarded command line: {error}");
                glib::ExitCode::from(2)
            }
        }
    });
    app.connect_startup(|_| gtk::Window::set_default_icon_name(config::APP_ID));
    install_app_actions(&app);

    // The command line was validated in `main`, so the primary instance always accepts it.
    RelmApp::from_app(app)
        .with_broker(&WINDOW_BROKER)
        .with_args(args)
        .run::<window::Window>(());
    ExitCode::SUCCESS
}

/// When Hangar already runs in this session, hands it our command line and returns its exit
/// status; `None` when we are the first instance.
///
/// A plain `gio::Application` does the hand-over, so a second launch never initialises GTK (and
/// never waits in relm4's shutdown, which expects a window of its own). Two launches in the
/// same instant may both start a window; GApplication then still forwards the later one.
fn forward_to_running_instance(args: &[String]) -> Option<ExitCode> {
    let bus = gio::bus_get_sync(gio::BusType::Session, gio::Cancellable::NONE).ok()?;
    let owned = bus
        .call_sync(
            Some("org.freedesktop.DBus"),
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            Some(&(config::APP_ID,).to_variant()),
            Some(glib::VariantTy::new("(b)").ok()?),
            gio::DBusCallFlags::NONE,
            1000,
            gio::Cancellable::NONE,
        )
        .ok()
        .and_then(|reply| reply.get::<(bool,)>())
        .is_some_and(|(owned,)| owned);
    if !owned {
        return None;
    }
    let remote = gio::Application::new(
        Some(config::APP_ID),
        gio::ApplicationFlags::HANDLES_COMMAND_LINE,
    );
    let code = remote.run_with_args(args);
    Some(code.into())
}

/// Application-wide actions: quit, preferences and about.
fn install_app_actions(app: &adw::Application) {
    let quit = gio::SimpleAction::new("quit", None);
    quit.connect_activate(glib::clone!(
        #[weak]
        app,
        move |_, _| app.quit()
    ));
    app.add_action(&quit);
    app.set_accels_for_action("app.quit", &["<Control>q"]);
    app.set_accels_for_action("window.close", &["<Control>w"]);

    let about = gio::SimpleAction::new("about", None);
    about.connect_activate(glib::clone!(
        #[weak]
        app,
        move |_, _| about::show(app.active_window().as_ref())
    ));
    app.add_action(&about);

    preferences::install_action(app);
}

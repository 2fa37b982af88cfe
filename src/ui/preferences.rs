//! The Preferences window: confirmations, statistics collection and console behaviour, each
//! row bound straight to its GSettings key (changes apply at once, as in every GNOME app).

mod grab_shortcut;

#[cfg(test)]
pub(super) use grab_shortcut::is_valid_grab_accelerator;

use adw::prelude::*;
use gtk::{gio, glib};

use hangar::i18n::gettext;

use super::settings::settings;

/// The `console-scaling` enum's nicks, in the order the Scaling row lists them.
const SCALING_NICKS: [&str; 3] = ["fit", "one-to-one", "resize-guest"];

/// Opens the Preferences window over `parent`.
pub fn show(parent: Option<&gtk::Window>) {
    let window = build(&settings());
    window.set_transient_for(parent);
    window.present();
}

/// The Preferences window, bound to `settings`.
pub fn build(settings: &gio::Settings) -> adw::PreferencesWindow {
    let window = adw::PreferencesWindow::builder()
        .modal(true)
        .destroy_with_parent(true)
        .default_width(640)
        .default_height(660)
        .build();
    window.add(&general_page(settings));
    window.add(&statistics_page(settings));
    window.add(&console_page(settings, &window));
    window
}

fn general_page(settings: &gio::Settings) -> adw::PreferencesPage {
    let confirmations = adw::PreferencesGroup::builder()
        .title(gettext("Confirmations"))
        .description(gettext("Ask before these actions on a virtual machine"))
        .build();
    let rows = [
        (
            "confirm-force-off",
            gettext("Force Off"),
            gettext("Cuts the power; unsaved data in the guest is lost"),
        ),
        (
            "confirm-force-reset",
            gettext("Force Reset"),
            gettext("Restarts at once without asking the guest"),
        ),
        (
            "confirm-shutdown",
            gettext("Shut Down"),
            gettext("Asks the guest to power off"),
        ),
        (
            "confirm-reboot",
            gettext("Reboot"),
            gettext("Asks the guest to restart"),
        ),
        (
            "confirm-save",
            gettext("Save"),
            gettext("Saves the memory to disk and stops the virtual machine"),
        ),
        (
            "confirm-delete",
            gettext("Delete"),
            gettext("Removes the virtual machine’s definition"),
        ),
    ];
    for (key, title, subtitle) in rows {
        confirmations.add(&switch_row(settings, key, &title, &subtitle));
    }
    page(
        &gettext("General"),
        "preferences-system-symbolic",
        &[&confirmations],
    )
}

fn statistics_page(settings: &gio::Settings) -> adw::PreferencesPage {
    let polling = adw::PreferencesGroup::builder()
        .title(gettext("Polling"))
        .build();
    polling.add(&spin_row(
        settings,
        "polling-interval",
        &gettext("Update Interval"),
        &gettext("Seconds between two samples of every host"),
        (1.0, 60.0),
    ));
    polling.add(&spin_row(
        settings,
        "history-minutes",
        &gettext("History Length"),
        &gettext("Minutes of charts kept for each virtual machine and host"),
        (1.0, 1440.0),
    ));

    let collected = adw::PreferencesGroup::builder()
        .title(gettext("Collected Statistics"))
        .description(gettext(
            "Statistics that are not collected are not asked of the hosts, which saves work on large fleets",
        ))
        .build();
    let rows = [
        ("stats-cpu", gettext("CPU Usage"), String::new()),
        ("stats-memory", gettext("Memory Usage"), String::new()),
        (
            "stats-disk",
            gettext("Disk Traffic"),
            gettext("Bytes read and written per second"),
        ),
        (
            "stats-network",
            gettext("Network Traffic"),
            gettext("Bytes received and sent per second"),
        ),
    ];
    for (key, title, subtitle) in rows {
        collected.add(&switch_row(settings, key, &title, &subtitle));
    }
    page(
        &gettext("Statistics"),
        "power-profile-performance-symbolic",
        &[&polling, &collected],
    )
}

fn console_page(settings: &gio::Settings, window: &adw::PreferencesWindow) -> adw::PreferencesPage {
    let display = adw::PreferencesGroup::builder()
        .title(gettext("Display"))
        .build();
    let scaling_labels = [
        gettext("Fit to Window"),
        gettext("Actual Size"),
        gettext("Resize Guest to Window"),
    ];
    let scaling_refs: Vec<&str> = scaling_labels.iter().map(String::as_str).collect();
    let scaling = adw::ComboRow::builder()
        .title(gettext("Scaling"))
        .subtitle(gettext("How the guest’s screen fills the console"))
        .model(&gtk::StringList::new(&scaling_refs))
        .build();
    settings
        .bind("console-scaling", &scaling, "selected")
        .mapping(|variant, _| {
            let nick = variant.str()?;
            let index = SCALING_NICKS.iter().position(|known| *known == nick)?;
            Some((index as u32).to_value())
        })
        .set_mapping(|value, _| {
            let index = value.get::<u32>().ok()?;
            SCALING_NICKS
                .get(index as usize)
                .map(|nick| nick.to_variant())
        })
        .build();
    display.add(&scaling);

    let keyboard = adw::PreferencesGroup::builder()
        .title(gettext("Keyboard"))
        .build();
    keyboard.add(&grab_shortcut::row(settings, window));

    page(
        &gettext("Console"),
        "video-display-symbolic",
        &[&display, &keyboard],
    )
}

fn page(title: &str, icon_name: &str, groups: &[&adw::PreferencesGroup]) -> adw::PreferencesPage {
    let page = adw::PreferencesPage::builder()
        .title(title)
        .icon_name(icon_name)
        .build();
    for group in groups {
        page.add(*group);
    }
    page
}

/// A row with a switch bound to the boolean `key`.
fn switch_row(settings: &gio::Settings, key: &str, title: &str, subtitle: &str) -> adw::ActionRow {
    let switch = gtk::Switch::builder().valign(gtk::Align::Center).build();
    settings.bind(key, &switch, "active").build();
    let row = adw::ActionRow::builder()
        .title(title)
        .activatable_widget(&switch)
        .build();
    if !subtitle.is_empty() {
        row.set_subtitle(subtitle);
    }
    row.add_suffix(&switch);
    row
}

/// A row with a whole-number spin button bound to the unsigned `key` (libadwaita 1.2 has no
/// spin row). `range` repeats the schema's range so the button never offers a refused value.
fn spin_row(
    settings: &gio::Settings,
    key: &str,
    title: &str,
    subtitle: &str,
    range: (f64, f64),
) -> adw::ActionRow {
    let spin = gtk::SpinButton::with_range(range.0, range.1, 1.0);
    spin.set_valign(gtk::Align::Center);
    spin.set_numeric(true);
    spin.set_digits(0);
    // GSettings maps the double `value` to the key's `u` and back.
    settings.bind(key, &spin, "value").build();
    let row = adw::ActionRow::builder()
        .title(title)
        .subtitle(subtitle)
        .activatable_widget(&spin)
        .build();
    row.add_suffix(&spin);
    row
}

/// Activates `app.preferences` on the application: opens the window over the active one.
pub fn install_action(app: &adw::Application) {
    let action = gio::SimpleAction::new("preferences", None);
    action.connect_activate(glib::clone!(
        #[weak]
        app,
        move |_, _| show(app.active_window().as_ref())
    ));
    app.add_action(&action);
    app.set_accels_for_action("app.preferences", &["<Control>comma"]);
}

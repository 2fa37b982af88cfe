//! The About window.

use adw::prelude::*;

use hangar::config;
use hangar::i18n::gettext;

/// Shows the About window over `parent`.
pub fn show(parent: Option<&gtk::Window>) {
    let about = adw::AboutWindow::builder()
        .application_name(gettext("Hangar"))
        .application_icon(config::APP_ID)
        .developer_name(gettext("The Hangar developers"))
        .version(config::VERSION)
        .website("https://hangar-vm.github.io")
        .issue_url("https://github.com/hangar-vm/hangar/issues")
        .license_type(gtk::License::Gpl30)
        .comments(gettext(
            "Manage virtual machines on many libvirt hosts at once: live charts, an embedded console and a window that never freezes.",
        ))
        // Translators: replace with your names, one per line, e.g. "Jane Doe <jane@example.org>".
        .translator_credits(gettext("translator-credits"))
        .modal(true)
        .build();
    if let Some(parent) = parent {
        about.set_transient_for(Some(parent));
    }
    about.present();
}

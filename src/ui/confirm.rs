//! The question asked before removing something: Cancel (the default) or a destructive Remove.

use adw::prelude::*;

use hangar::i18n::gettext;

/// Asks `heading` / `body` over `parent`; `on_remove` runs only if the user picks Remove.
pub fn confirm_removal(
    parent: Option<&gtk::Window>,
    heading: &str,
    body: &str,
    on_remove: impl Fn() + 'static,
) {
    let dialog = adw::MessageDialog::new(parent, Some(heading), Some(body));
    dialog.add_response("cancel", &gettext("_Cancel"));
    dialog.add_response("remove", &gettext("_Remove"));
    dialog.set_response_appearance("remove", adw::ResponseAppearance::Destructive);
    dialog.set_default_response(Some("cancel"));
    dialog.set_close_response("cancel");
    dialog.connect_response(None, move |_, response| {
        if response == "remove" {
            on_remove();
        }
    });
    dialog.present();
}

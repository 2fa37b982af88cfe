//! The console's keyboard grab combination (`console-grab-keys`): a row that shows it and a
//! small dialog that records a new one from the keys the user presses.
//!
//! Two kinds of combination are accepted: modifiers alone (Ctrl+Alt, the default, recorded
//! as `<Control>Alt_L` when the second modifier goes down and taken when a key is released),
//! and an ordinary key with Ctrl, Alt or Super (`<Control><Alt>g`). A key with Shift alone or
//! no modifier would be stolen from the guest's typing, so it is refused.

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;
use gtk::{gdk, gio, glib};

use hangar::i18n::gettext;

const KEY: &str = "console-grab-keys";

/// Whether `accelerator` (GTK syntax) is a usable grab combination; see the module docs.
pub fn is_valid_grab_accelerator(accelerator: &str) -> bool {
    let Some((key, modifiers)) = gtk::accelerator_parse(accelerator) else {
        return false;
    };
    if is_modifier_key(key) {
        !modifiers.is_empty()
    } else {
        modifiers.intersects(
            gdk::ModifierType::CONTROL_MASK
                | gdk::ModifierType::ALT_MASK
                | gdk::ModifierType::SUPER_MASK,
        )
    }
}

fn is_modifier_key(key: gdk::Key) -> bool {
    use gdk::Key;
    [
        Key::Shift_L,
        Key::Shift_R,
        Key::Control_L,
        Key::Control_R,
        Key::Alt_L,
        Key::Alt_R,
        Key::Meta_L,
        Key::Meta_R,
        Key::Super_L,
        Key::Super_R,
        Key::Hyper_L,
        Key::Hyper_R,
        Key::ISO_Level3_Shift,
    ]
    .contains(&key)
}

/// The Preferences row: the current combination as key caps; activating it records a new one.
pub(super) fn row(settings: &gio::Settings, window: &adw::PreferencesWindow) -> adw::ActionRow {
    let shortcut = gtk::ShortcutLabel::builder()
        .disabled_text(gettext("None"))
        .valign(gtk::Align::Center)
        .build();
    settings.bind(KEY, &shortcut, "accelerator").get().build();
    let row = adw::ActionRow::builder()
        .title(gettext("Grab Keyboard"))
        .subtitle(gettext("Sends all keys to the guest until pressed again"))
        .activatable(true)
        .build();
    row.add_suffix(&shortcut);
    row.connect_activated(glib::clone!(
        #[strong]
        settings,
        #[weak]
        window,
        move |_| record(&settings, window.upcast_ref())
    ));
    row
}

/// Opens the dialog that records a new combination into `settings`.
fn record(settings: &gio::Settings, parent: &gtk::Window) {
    let dialog = adw::Window::builder()
        .modal(true)
        .transient_for(parent)
        .destroy_with_parent(true)
        .default_width(440)
        .title(gettext("Grab Keyboard Shortcut"))
        .build();

    let cancel = gtk::Button::with_mnemonic(&gettext("_Cancel"));
    cancel.connect_clicked(glib::clone!(
        #[weak]
        dialog,
        move |_| dialog.close()
    ));
    let header = adw::HeaderBar::builder()
        .show_end_title_buttons(false)
        .show_start_title_buttons(false)
        .build();
    header.pack_start(&cancel);

    let icon = gtk::Image::builder()
        .icon_name("input-keyboard-symbolic")
        .pixel_size(96)
        .css_classes(["dim-label"])
        .build();
    let instruction = gtk::Label::builder()
        .label(gettext("Press the new key combination"))
        .css_classes(["title-2"])
        .wrap(true)
        .justify(gtk::Justification::Center)
        .build();
    let hint = gtk::Label::builder()
        .label(gettext(
            "For example Ctrl and Alt together, or a key with Ctrl, Alt or Super. Press Esc to cancel.",
        ))
        .wrap(true)
        .justify(gtk::Justification::Center)
        .css_classes(["dim-label"])
        .build();
    let reset = gtk::Button::builder()
        .label(gettext("_Reset to Default"))
        .use_underline(true)
        .halign(gtk::Align::Center)
        .css_classes(["pill"])
        .build();
    reset.connect_clicked(glib::clone!(
        #[strong]
        settings,
        #[weak]
        dialog,
        move |_| {
            settings.reset(KEY);
            dialog.close();
        }
    ));
    let content = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(18)
        .margin_top(30)
        .margin_bottom(30)
        .margin_start(30)
        .margin_end(30)
        .build();
    for widget in [
        icon.upcast_ref::<gtk::Widget>(),
        instruction.upcast_ref(),
        hint.upcast_ref(),
        reset.upcast_ref(),
    ] {
        content.append(widget);
    }
    let layout = gtk::Box::new(gtk::Orientation::Vertical, 0);
    layout.append(&header);
    layout.append(&content);
    dialog.set_content(Some(&layout));

    // Modifiers alone are only known to be complete when a key is let go.
    let pending: Rc<RefCell<Option<String>>> = Rc::default();
    let keys = gtk::EventControllerKey::new();
    keys.set_propagation_phase(gtk::PropagationPhase::Capture);
    keys.connect_key_pressed(glib::clone!(
        #[strong]
        settings,
        #[strong]
        pending,
        #[weak]
        dialog,
        #[weak]
        hint,
        #[upgrade_or]
        glib::Propagation::Proceed,
        move |_, keyval, _, state| {
            let modifiers = state & gtk::accelerator_get_default_mod_mask();
            if keyval == gdk::Key::Escape && modifiers.is_empty() {
                dialog.close();
                return glib::Propagation::Stop;
            }
            let key = keyval.to_lower();
            let accelerator = gtk::accelerator_name(key, modifiers).to_string();
            if is_modifier_key(key) {
                *pending.borrow_mut() =
                    is_valid_grab_accelerator(&accelerator).then_some(accelerator);
            } else if is_valid_grab_accelerator(&accelerator) {
                save(&settings, &accelerator, &dialog);
            } else {
                pending.borrow_mut().take();
                hint.set_label(&gettext(
                    "That key is needed for typing. Hold Ctrl, Alt or Super with it, or press two modifier keys.",
                ));
                hint.add_css_class("error");
                hint.remove_css_class("dim-label");
            }
            glib::Propagation::Stop
        }
    ));
    keys.connect_key_released(glib::clone!(
        #[strong]
        settings,
        #[weak]
        dialog,
        move |_, _, _, _| {
            let accelerator = pending.borrow_mut().take();
            if let Some(accelerator) = accelerator {
                save(&settings, &accelerator, &dialog);
            }
        }
    ));
    dialog.add_controller(keys);
    dialog.present();
}

fn save(settings: &gio::Settings, accelerator: &str, dialog: &adw::Window) {
    if let Err(error) = settings.set_string(KEY, accelerator) {
        // Only a read-only (locked down) key refuses a valid string.
        log::warn!("cannot save the keyboard grab combination: {error}");
    }
    dialog.close();
}

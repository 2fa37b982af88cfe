//! Setting texts and icons only when they change. GTK 4.8 relayouts a label on every
//! `set_label` and an image on every `set_icon_name`, even to what it already shows, and
//! re-queries the pointer (a synchronous X round trip) on every `set_tooltip_text`; views
//! refreshed on each statistics tick must not pay for that.

use gtk::prelude::*;

/// Shows `text` in `label`, unless it already does.
pub fn set_text(label: &gtk::Label, text: &str) {
    if label.label() != text {
        label.set_label(text);
    }
}

/// Sets `widget`'s tooltip, unless it already has it.
pub fn set_tooltip(widget: &impl IsA<gtk::Widget>, text: Option<&str>) {
    if widget.tooltip_text().as_deref() != text {
        widget.set_tooltip_text(text);
    }
}

/// Shows the named icon in `image`, unless it already does.
pub fn set_icon(image: &gtk::Image, name: &str) {
    if image.icon_name().as_deref() != Some(name) {
        image.set_icon_name(Some(name));
    }
}

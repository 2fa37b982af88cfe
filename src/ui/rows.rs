//! Small shared widgets for pages: a row showing a read-only value beside its title.

use adw::prelude::*;

/// An `ActionRow` with `title` and `value` (selectable, right-aligned, wrapping at a sensible
/// width rather than squeezing into a narrow column).
pub fn value_row(title: &str, value: &str) -> adw::ActionRow {
    let row = adw::ActionRow::builder().title(title).build();
    let label = gtk::Label::builder()
        .label(value)
        .selectable(true)
        .wrap(true)
        .wrap_mode(gtk::pango::WrapMode::WordChar)
        .width_chars(16)
        .max_width_chars(48)
        .hexpand(true)
        .xalign(1.0)
        .justify(gtk::Justification::Right)
        .css_classes(["dim-label"])
        .build();
    row.add_suffix(&label);
    // Screen readers announce the value with its title.
    super::a11y::set_description(&row, value);
    row
}

//! Small widgets the details tabs share: a message bar for outcomes and libvirt's errors
//! (libadwaita 1.2 has no AdwBanner), value rows updated in place, and page scaffolding.

use adw::prelude::*;

/// How a message looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Success,
    Error,
}

/// The bar's widgets.
#[derive(Clone)]
pub struct Banner {
    pub root: gtk::Revealer,
    frame: gtk::Box,
    icon: gtk::Image,
    label: gtk::Label,
}

impl Banner {
    pub fn new() -> Banner {
        let icon = gtk::Image::builder().valign(gtk::Align::Start).build();
        let label = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .wrap_mode(gtk::pango::WrapMode::WordChar)
            .max_width_chars(60)
            .selectable(true)
            .hexpand(true)
            .build();
        let close = gtk::Button::builder()
            .icon_name("window-close-symbolic")
            .valign(gtk::Align::Start)
            .css_classes(["flat", "circular"])
            .tooltip_text(hangar::i18n::gettext("Close"))
            .build();
        crate::ui::a11y::set_label(&close, &hangar::i18n::gettext("Close"));
        let frame = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        frame.add_css_class("card");
        frame.set_margin_top(6);
        frame.set_margin_bottom(6);
        frame.set_margin_start(12);
        frame.set_margin_end(12);
        let inner = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        inner.set_margin_top(8);
        inner.set_margin_bottom(8);
        inner.set_margin_start(12);
        inner.set_margin_end(8);
        inner.set_hexpand(true);
        inner.append(&icon);
        inner.append(&label);
        inner.append(&close);
        frame.append(&inner);
        let root = gtk::Revealer::builder()
            .transition_type(gtk::RevealerTransitionType::SlideDown)
            .child(&frame)
            .build();
        close.connect_clicked({
            let root = root.clone();
            move |_| root.set_reveal_child(false)
        });
        Banner {
            root,
            frame,
            icon,
            label,
        }
    }

    /// Shows `text`.
    pub fn show(&self, tone: Tone, text: &str) {
        let (icon, class) = match tone {
            Tone::Info => ("dialog-information-symbolic", None),
            Tone::Success => ("emblem-ok-symbolic", Some("success")),
            Tone::Error => ("dialog-error-symbolic", Some("error")),
        };
        for old in ["success", "error"] {
            self.icon.remove_css_class(old);
        }
        if let Some(class) = class {
            self.icon.add_css_class(class);
        }
        self.icon.set_icon_name(Some(icon));
        self.label.remove_css_class("monospace");
        self.label.set_label(text);
        crate::ui::a11y::set_description(&self.frame, text);
        self.root.set_reveal_child(true);
    }

    /// Shows `text` in a monospace font: libvirt's parser errors quote the faulty line with a
    /// caret under the column, which only lines up in a fixed-width font.
    pub fn show_code(&self, tone: Tone, text: &str) {
        self.show(tone, text);
        self.label.add_css_class("monospace");
    }

    pub fn hide(&self) {
        self.root.set_reveal_child(false);
    }
}

/// A row showing a value that changes in place (state, addresses…).
#[derive(Clone)]
pub struct ValueRow {
    pub row: adw::ActionRow,
    label: gtk::Label,
}

impl ValueRow {
    pub fn new(title: &str) -> ValueRow {
        let row = adw::ActionRow::builder().title(title).build();
        let label = gtk::Label::builder()
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
        ValueRow { row, label }
    }

    /// A row already showing `value`.
    pub fn with(title: &str, value: &str) -> ValueRow {
        let row = ValueRow::new(title);
        row.set(value);
        row
    }

    pub fn set(&self, value: &str) {
        self.label.set_label(value);
        crate::ui::a11y::set_description(&self.row, value);
    }
}

/// A scrolled, width-limited page holding `content`, the way every details page looks.
pub fn page(content: &impl IsA<gtk::Widget>) -> gtk::ScrolledWindow {
    let clamp = adw::Clamp::builder()
        .maximum_size(crate::ui::PAGE_MAX_WIDTH)
        .tightening_threshold(560)
        .child(content)
        .build();
    // Natural width propagates so the window gives the page the room its rows ask for
    // (the fleet beside it takes only what is left).
    gtk::ScrolledWindow::builder()
        .hscrollbar_policy(gtk::PolicyType::Never)
        .propagate_natural_width(true)
        .vexpand(true)
        .child(&clamp)
        .build()
}

/// A vertical box with the margins of a page's content.
pub fn content_box() -> gtk::Box {
    let content = gtk::Box::new(gtk::Orientation::Vertical, 18);
    content.set_margin_top(12);
    content.set_margin_bottom(24);
    content.set_margin_start(12);
    content.set_margin_end(12);
    content
}

/// Removes every row `group` got through `rows`, emptying the list.
pub fn clear_rows(group: &adw::PreferencesGroup, rows: &mut Vec<gtk::Widget>) {
    for row in rows.drain(..) {
        group.remove(&row);
    }
}

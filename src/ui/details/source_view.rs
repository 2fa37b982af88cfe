//! A GtkSourceView for domain XML: highlighting, line numbers, a monospace font, and the
//! colour scheme following the light or dark style. Used by the XML tab (editable) and the
//! hardware pane's device XML (read-only).
//!
//! GtkSourceView 5 is used rather than a plain `GtkTextView` because the XML tab is an editor:
//! it brings XML highlighting, line numbers (libvirt's errors name lines), undo/redo, search
//! and bracket matching, none of which a text view has.

use std::sync::Once;

use adw::prelude::*;
use sourceview5::prelude::*;

/// A buffer and its view, set up for XML.
pub struct XmlView {
    pub buffer: sourceview5::Buffer,
    pub view: sourceview5::View,
}

impl XmlView {
    pub fn new(editable: bool) -> XmlView {
        static INIT: Once = Once::new();
        INIT.call_once(sourceview5::init);
        let buffer = sourceview5::Buffer::new(None);
        if let Some(xml) = sourceview5::LanguageManager::default().language("xml") {
            buffer.set_language(Some(&xml));
        }
        buffer.set_highlight_syntax(true);
        follow_style(&buffer);
        let view = sourceview5::View::with_buffer(&buffer);
        view.set_monospace(true);
        view.set_show_line_numbers(true);
        view.set_highlight_current_line(editable);
        view.set_editable(editable);
        view.set_auto_indent(true);
        view.set_insert_spaces_instead_of_tabs(true);
        view.set_tab_width(2);
        view.set_top_margin(6);
        view.set_bottom_margin(6);
        view.set_wrap_mode(gtk::WrapMode::None);
        XmlView { buffer, view }
    }

    /// Replaces the text (not undoable: it is what libvirt has, not an edit).
    pub fn set_text(&self, text: &str) {
        self.buffer.begin_irreversible_action();
        self.buffer.set_text(text);
        self.buffer.end_irreversible_action();
        self.buffer.place_cursor(&self.buffer.start_iter());
    }

    pub fn text(&self) -> String {
        let (start, end) = self.buffer.bounds();
        self.buffer.text(&start, &end, true).to_string()
    }
}

/// Uses Adwaita's source scheme matching the current style, now and when it changes.
fn follow_style(buffer: &sourceview5::Buffer) {
    let style = adw::StyleManager::default();
    let apply = |buffer: &sourceview5::Buffer, dark: bool| {
        let id = if dark { "Adwaita-dark" } else { "Adwaita" };
        if let Some(scheme) = sourceview5::StyleSchemeManager::default().scheme(id) {
            buffer.set_style_scheme(Some(&scheme));
        }
    };
    apply(buffer, style.is_dark());
    let weak = buffer.downgrade();
    let handler = style.connect_dark_notify(move |style| {
        if let Some(buffer) = weak.upgrade() {
            apply(&buffer, style.is_dark());
        }
    });
    // The style manager lives for the whole process; the views come and go with the pane.
    buffer.add_weak_ref_notify_local(move || style.disconnect(handler));
}

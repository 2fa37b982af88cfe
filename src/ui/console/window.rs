//! A console in its own window (detached, or fullscreen): a header bar above the console
//! view; the header hides in fullscreen, where the view's overlay toolbar takes over.

use adw::prelude::*;

use hangar::i18n::gettext_f;

use super::view::ConsoleView;

/// Without a compositor, windows get a 5 px "solid CSD" frame, which GTK 4.8 keeps even in
/// fullscreen; a fullscreen console shows the guest edge to edge.
const STYLE: &str =
    "window.hangar-console.fullscreen { padding: 0; box-shadow: none; border: none; }";

fn install_style() {
    thread_local! {
        static INSTALLED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if INSTALLED.with(|installed| installed.replace(true)) {
        return;
    }
    let Some(display) = gtk::gdk::Display::default() else {
        return;
    };
    let provider = gtk::CssProvider::new();
    provider.load_from_data(STYLE);
    gtk::style_context_add_provider_for_display(
        &display,
        &provider,
        gtk::STYLE_PROVIDER_PRIORITY_APPLICATION,
    );
}

/// The window around a detached console.
pub struct ConsoleWindow {
    pub window: adw::Window,
    header: adw::HeaderBar,
    body: gtk::Box,
}

impl ConsoleWindow {
    /// A window showing `view` (already removed from its previous parent).
    pub fn new(view: &ConsoleView) -> ConsoleWindow {
        let title = gettext_f("{name} — Console", &[("name", &view.title())]);
        let header = adw::HeaderBar::builder()
            .title_widget(&adw::WindowTitle::new(&title, ""))
            .build();
        let body = gtk::Box::new(gtk::Orientation::Vertical, 0);
        body.append(&header);
        body.append(view.root());
        let window = adw::Window::builder()
            .title(&title)
            .default_width(1024)
            .default_height(820)
            .content(&body)
            .build();
        window.set_application(Some(&relm4::main_adw_application()));
        window.add_css_class("hangar-console");
        install_style();
        ConsoleWindow {
            window,
            header,
            body,
        }
    }

    /// Hides the header bar while fullscreen.
    pub fn set_fullscreen_chrome(&self, fullscreen: bool) {
        self.header.set_visible(!fullscreen);
    }

    /// Takes the view out of the window (to put it back into the tab).
    pub fn release(&self, view: &ConsoleView) {
        self.body.remove(view.root());
    }
}

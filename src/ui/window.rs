//! The main window: header bar, primary menu and the fleet area (an empty state until a
//! connection is added).

use adw::prelude::*;
use gtk::gio;
use relm4::prelude::*;

use hangar::cli::Options;
use hangar::config;
use hangar::i18n::gettext;

use super::settings::settings;

/// Messages the window understands.
#[derive(Debug)]
pub enum WindowInput {
    /// A command line, from this launch or forwarded by a second one.
    CommandLine(Options),
    /// Remember the window size before it closes.
    SaveGeometry,
}

/// The main window's state.
pub struct Window {
    settings: gio::Settings,
}

#[relm4::component(pub)]
impl SimpleComponent for Window {
    type Init = ();
    type Input = WindowInput;
    type Output = ();

    view! {
        #[root]
        adw::ApplicationWindow {
            set_title: Some(&gettext("Hangar")),
            set_default_size: (model.settings.int("window-width"), model.settings.int("window-height")),
            set_maximized: model.settings.boolean("window-maximized"),
            set_width_request: 360,
            set_height_request: 294,
            add_css_class?: config::is_development().then_some("devel"),
            connect_close_request[sender] => move |_| {
                sender.input(WindowInput::SaveGeometry);
                gtk::glib::Propagation::Proceed
            },

            gtk::Box {
                set_orientation: gtk::Orientation::Vertical,

                adw::HeaderBar {
                    pack_end = &gtk::MenuButton {
                        set_icon_name: "open-menu-symbolic",
                        set_tooltip_text: Some(&gettext("Main Menu")),
                        set_primary: true,
                        set_menu_model: Some(&primary_menu()),
                    },
                },

                adw::StatusPage {
                    set_vexpand: true,
                    set_icon_name: Some(config::APP_ID),
                    set_title: &gettext("No Connections"),
                    set_description: Some(&gettext("Add a libvirt host to see its virtual machines")),
                },
            },
        }
    }

    fn init(
        _init: Self::Init,
        root: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let model = Window {
            settings: settings(),
        };
        let widgets = view_output!();
        ComponentParts { model, widgets }
    }

    fn update(&mut self, message: Self::Input, _sender: ComponentSender<Self>) {
        match message {
            WindowInput::CommandLine(_options) => {}
            WindowInput::SaveGeometry => {}
        }
    }
}

/// The primary menu: app-wide entries.
fn primary_menu() -> gio::Menu {
    let menu = gio::Menu::new();
    let section = gio::Menu::new();
    section.append(Some(&gettext("_Preferences")), Some("app.preferences"));
    section.append(
        Some(&gettext("_Keyboard Shortcuts")),
        Some("win.show-help-overlay"),
    );
    section.append(Some(&gettext("_About Hangar")), Some("app.about"));
    menu.append_section(None, &section);
    menu
}

//! The console's toolbar and its menus: Send Key, Screenshot, scaling, keyboard grab, a
//! status line, Detach and Fullscreen. Every control is a `console.*` action of the console
//! view, so the normal toolbar and the fullscreen overlay toolbar are two views of one state.

use adw::prelude::*;
use gtk::gio;

use hangar::console_model::ScalingMode;
use hangar::i18n::gettext;
use hangar::vnc::SendKeyCombo;

use crate::ui::a11y;

/// The name of a Send Key combination in the `console.send-key` action's target.
pub fn combo_id(combo: SendKeyCombo) -> String {
    match combo {
        SendKeyCombo::CtrlAltDelete => "ctrl-alt-delete".into(),
        SendKeyCombo::CtrlAltBackspace => "ctrl-alt-backspace".into(),
        SendKeyCombo::CtrlAltF(n) => format!("ctrl-alt-f{n}"),
        SendKeyCombo::Print => "print".into(),
    }
}

/// The combination a `console.send-key` target names.
pub fn combo_from_id(id: &str) -> Option<SendKeyCombo> {
    SendKeyCombo::all()
        .into_iter()
        .find(|combo| combo_id(*combo) == id)
}

/// Label of a scaling mode in the menu.
pub fn scaling_label(mode: ScalingMode) -> String {
    match mode {
        ScalingMode::Fit => gettext("_Fit to Window"),
        ScalingMode::OneToOne => gettext("_Actual Size"),
        ScalingMode::ResizeGuest => gettext("_Resize Guest to Window"),
    }
}

fn send_key_menu() -> gio::Menu {
    let menu = gio::Menu::new();
    let item = |combo: SendKeyCombo| {
        gio::MenuItem::new(
            Some(&combo.label()),
            Some(&format!("console.send-key::{}", combo_id(combo))),
        )
    };
    let main = gio::Menu::new();
    main.append_item(&item(SendKeyCombo::CtrlAltDelete));
    main.append_item(&item(SendKeyCombo::CtrlAltBackspace));
    menu.append_section(None, &main);
    let terminals = gio::Menu::new();
    for n in 1..=12 {
        terminals.append_item(&item(SendKeyCombo::CtrlAltF(n)));
    }
    let terminal_section = gio::Menu::new();
    terminal_section.append_submenu(Some(&gettext("_Virtual Terminal")), &terminals);
    menu.append_section(None, &terminal_section);
    let print = gio::Menu::new();
    print.append_item(&item(SendKeyCombo::Print));
    menu.append_section(None, &print);
    menu
}

fn scaling_menu() -> gio::Menu {
    let menu = gio::Menu::new();
    for mode in ScalingMode::ALL {
        menu.append(
            Some(&scaling_label(mode)),
            Some(&format!("console.scaling::{}", mode.nick())),
        );
    }
    menu
}

/// One toolbar's widgets.
pub struct Toolbar {
    pub root: gtk::Box,
    /// The state in words ("Connected (720×400)").
    pub status: gtk::Label,
    pub detach: gtk::Button,
    pub fullscreen: gtk::Button,
    /// The menu buttons (the overlay toolbar stays revealed while one is open).
    pub menus: Vec<gtk::MenuButton>,
}

fn icon_button(icon: &str, action: &str, tooltip: &str) -> gtk::Button {
    let button = gtk::Button::builder()
        .icon_name(icon)
        .action_name(action)
        .tooltip_text(tooltip)
        .build();
    a11y::set_label(&button, tooltip);
    button
}

/// Builds a toolbar; `overlay` for the fullscreen one (on an OSD background).
pub fn build(overlay: bool) -> Toolbar {
    let root = gtk::Box::builder()
        .orientation(gtk::Orientation::Horizontal)
        .spacing(6)
        .css_classes(["toolbar"])
        .build();
    if overlay {
        root.add_css_class("osd");
        root.set_halign(gtk::Align::Center);
        root.set_valign(gtk::Align::Start);
        root.set_margin_top(6);
    }
    let send_key = gtk::MenuButton::builder()
        .label(gettext("Send Key"))
        .tooltip_text(gettext("Send a key combination to the guest"))
        .menu_model(&send_key_menu())
        .build();
    a11y::set_label(&send_key, &gettext("Send Key"));
    root.append(&send_key);
    root.append(&icon_button(
        "camera-photo-symbolic",
        "console.screenshot",
        &gettext("Take Screenshot"),
    ));
    let scaling = gtk::MenuButton::builder()
        .icon_name("zoom-fit-best-symbolic")
        .tooltip_text(gettext("Scaling"))
        .menu_model(&scaling_menu())
        .build();
    a11y::set_label(&scaling, &gettext("Scaling"));
    root.append(&scaling);
    let grab = gtk::ToggleButton::builder()
        .icon_name("input-keyboard-symbolic")
        .action_name("console.grab-keyboard")
        .tooltip_text(gettext("Grab Keyboard"))
        .build();
    a11y::set_label(&grab, &gettext("Grab Keyboard"));
    root.append(&grab);

    let status = gtk::Label::builder()
        .hexpand(true)
        .xalign(if overlay { 0.5 } else { 1.0 })
        .ellipsize(gtk::pango::EllipsizeMode::End)
        .css_classes(["dim-label"])
        .margin_start(6)
        .margin_end(6)
        .build();
    root.append(&status);
    let detach = icon_button(
        "window-new-symbolic",
        "console.detach",
        &gettext("Open in Its Own Window"),
    );
    if overlay {
        detach.set_visible(false);
    }
    root.append(&detach);
    let fullscreen = icon_button(
        "view-fullscreen-symbolic",
        "console.fullscreen",
        &gettext("Fullscreen"),
    );
    root.append(&fullscreen);
    Toolbar {
        root,
        status,
        detach,
        fullscreen,
        menus: vec![send_key, scaling],
    }
}

impl Toolbar {
    /// Shows the Detach button as "back to the tab" while the console has its own window.
    pub fn set_detached(&self, detached: bool) {
        let (icon, tooltip) = if detached {
            (
                "go-previous-symbolic",
                gettext("Back to the Machine’s Page"),
            )
        } else {
            ("window-new-symbolic", gettext("Open in Its Own Window"))
        };
        self.detach.set_icon_name(icon);
        self.detach.set_tooltip_text(Some(&tooltip));
        a11y::set_label(&self.detach, &tooltip);
    }

    /// Shows the Fullscreen button as "leave fullscreen" while fullscreen.
    pub fn set_fullscreen(&self, fullscreen: bool) {
        let (icon, tooltip) = if fullscreen {
            ("view-restore-symbolic", gettext("Leave Fullscreen"))
        } else {
            ("view-fullscreen-symbolic", gettext("Fullscreen"))
        };
        self.fullscreen.set_icon_name(icon);
        self.fullscreen.set_tooltip_text(Some(&tooltip));
        a11y::set_label(&self.fullscreen, &tooltip);
    }

    /// Whether one of its menus is open.
    pub fn menu_open(&self) -> bool {
        // `GtkMenuButton:active` is GTK 4.10; the popover's visibility says the same.
        self.menus
            .iter()
            .any(|menu| menu.popover().is_some_and(|popover| popover.is_visible()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_key_targets_round_trip() {
        for combo in SendKeyCombo::all() {
            assert_eq!(combo_from_id(&combo_id(combo)), Some(combo));
        }
        assert_eq!(combo_from_id("ctrl-alt-f13"), None);
    }
}

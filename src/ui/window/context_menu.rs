//! The row menu: lifecycle actions for machines, connection commands for hosts.

use adw::prelude::*;
use gtk::{gio, glib};

use hangar::fleet::HostStatus;
use hangar::i18n::gettext;

use super::Window;
use super::layout::vm_menu;
use crate::ui::fleet::ItemData;

impl Window {
    /// Shows the menu for the row at `position` (selecting it unless it already is), pointing
    /// at `(x, y)` in the column view.
    pub(super) fn show_context_menu(&mut self, position: u32, x: f64, y: f64) {
        if !self.fleet.selection.is_selected(position) {
            self.fleet.selection.select_item(position, true);
        }
        let Some(item) = self.fleet.item_at(position) else {
            return;
        };
        let menu = match &*item.data() {
            ItemData::Vm(_) => vm_menu(true),
            ItemData::Host(host) => host_menu(host.id, &host.status),
        };
        popup_menu(&self.layout.column_view, &menu, x, y);
    }
}

/// Pops up `menu` pointing at `(x, y)` in `parent`; the popover unparents itself once closed.
pub(crate) fn popup_menu(
    parent: &impl IsA<gtk::Widget>,
    menu: &gio::Menu,
    x: f64,
    y: f64,
) -> gtk::PopoverMenu {
    let popover = gtk::PopoverMenu::from_model(Some(menu));
    popover.set_parent(parent);
    popover.set_has_arrow(false);
    popover.set_halign(gtk::Align::Start);
    popover.set_pointing_to(Some(&gtk::gdk::Rectangle::new(x as i32, y as i32, 1, 1)));
    popover.connect_closed(|popover| {
        // Unparent after the closing animation's idle, not during the signal.
        let popover = popover.clone();
        glib::idle_add_local_once(move || popover.unparent());
    });
    // Up once the menu is built: GTK 4.8's menu sections finish in an idle, and a popover up
    // before then keeps its first, shorter size. The row menu lost its last section (Delete),
    // clipped off below Force Off.
    let shown = popover.clone();
    glib::idle_add_local_once(move || shown.popup());
    popover
}

/// Connect or disconnect, edit, remove — for one connection row.
fn host_menu(id: hangar::model::ConnectionId, status: &HostStatus) -> gio::Menu {
    let menu = gio::Menu::new();
    let target = id.0.to_variant();
    let item = |label: String, action: &str| {
        let item = gio::MenuItem::new(Some(&label), None);
        item.set_action_and_target_value(Some(action), Some(&target));
        item
    };
    let state = gio::Menu::new();
    match status {
        HostStatus::Connected | HostStatus::Connecting => {
            state.append_item(&item(gettext("_Disconnect"), "win.host-disconnect"));
        }
        HostStatus::Disconnected(_) | HostStatus::Failed(_) => {
            state.append_item(&item(gettext("_Connect"), "win.host-connect"));
        }
    }
    menu.append_section(None, &state);
    let edit = gio::Menu::new();
    edit.append_item(&item(gettext("_Edit Connection…"), "win.host-edit"));
    edit.append_item(&item(gettext("_Remove Connection"), "win.host-remove"));
    menu.append_section(None, &edit);
    menu
}

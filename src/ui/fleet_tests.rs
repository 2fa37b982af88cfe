//! The fleet view on a real display: a host that sorts in above the rows on screen does not
//! push the top of the list out of sight, not even for one frame; the row menu shows whole;
//! rows are drawn inside the view right to left.
//!
//! Runs inside the dialogs' widget test (GTK allows one thread; see `dialog_tests`).

use gtk::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

use hangar::fleet::{HostStatus, HostSummary, VmSummary};
use hangar::model::{ConnectionId, DomainUuid};

use super::dialog_tests::pump_until;
use super::fleet::{FleetView, RowHandlers};
use super::window::{popup_menu, vm_menu};

fn host(id: u64, label: &str, vms: usize) -> HostSummary {
    HostSummary {
        id: ConnectionId(id),
        label: label.to_owned(),
        uri: format!("test:///{label}"),
        status: HostStatus::Connected,
        stale_since: None,
        cpu_percent: None,
        memory_used_kib: None,
        memory_total_kib: None,
        vm_count: vms,
    }
}

fn machines(id: u64, label: &str, count: usize) -> Vec<VmSummary> {
    (0..count)
        .map(|n| {
            let mut uuid = [0u8; 16];
            uuid[0] = id as u8;
            uuid[1] = n as u8;
            VmSummary::new(
                ConnectionId(id),
                DomainUuid(uuid),
                format!("{label}-vm-{n:02}"),
                label.to_owned(),
            )
        })
        .collect()
}

/// A fleet view whose clicks, Retry buttons and sparklines lead nowhere.
fn idle_view() -> FleetView {
    FleetView::new(
        Rc::new(|_| {}),
        RowHandlers {
            context: Rc::new(|_, _, _, _| {}),
            clicked: Rc::new(|| {}),
        },
        Rc::new(|_, _| Vec::new()),
    )
}

/// An idle view with one host of `count` machines.
fn view_with_host(id: u64, label: &str, count: usize) -> FleetView {
    let mut view = idle_view();
    view.upsert_host(host(id, label, count));
    view.set_host_vms(ConnectionId(id), machines(id, label, count));
    view
}

/// `child` scrolled, as the window holds the fleet.
fn scrolled(child: &impl IsA<gtk::Widget>) -> gtk::ScrolledWindow {
    gtk::ScrolledWindow::builder()
        .child(child)
        .vexpand(true)
        .build()
}

/// Every frame painted after a host sorts in above the list's top shows the top: the
/// vertical scroll position is 0 at each paint.
pub fn fleet_top_stays_in_view_when_a_host_sorts_in_above() {
    let mut view = idle_view();
    let scrolled = scrolled(&view.column_view);
    let window = gtk::Window::builder()
        .default_width(900)
        .default_height(400)
        .child(&scrolled)
        .build();
    window.present();
    view.upsert_host(host(2, "zulu", 40));
    view.set_host_vms(ConnectionId(2), machines(2, "zulu", 40));
    let adjustment = view
        .column_view
        .vadjustment()
        .expect("a scrolled column view");
    pump_until("the rows to overflow the window", || {
        adjustment.upper() > adjustment.page_size() + 100.0
    });
    assert_eq!(adjustment.value(), 0.0, "the list starts at its top");

    let clock = view.column_view.frame_clock().expect("a realized view");
    let painted: Rc<RefCell<Vec<f64>>> = Rc::default();
    let record = painted.clone();
    let recorded_adjustment = adjustment.clone();
    let recorder = clock.connect_after_paint(move |_| {
        record.borrow_mut().push(recorded_adjustment.value());
    });
    // "alpha" sorts above "zulu": GTK keeps zulu's rows in view and scrolls down by alpha's.
    view.upsert_host(host(1, "alpha", 30));
    view.set_host_vms(ConnectionId(1), machines(1, "alpha", 30));
    pump_until("five frames after the insertion", || {
        view.column_view.queue_draw();
        painted.borrow().len() >= 5
    });
    clock.disconnect(recorder);
    let first = view
        .item_at(0)
        .and_then(|item| item.host().map(|host| host.label.clone()));
    assert_eq!(first.as_deref(), Some("alpha"), "alpha sorts first");
    assert!(
        painted.borrow().iter().all(|value| *value == 0.0),
        "a frame showed the list scrolled away from its top: {:?}",
        painted.borrow()
    );
    window.destroy();
}

/// The row menu, popped up over the fleet as a right-click does, is as tall as its items: none
/// is clipped off below its edge (GTK 4.8 kept a popover shown too early at its first, shorter
/// size, which hid the Delete section).
pub fn row_menu_shows_every_item() {
    let view = view_with_host(2, "zulu", 40);
    let fleet = view.column_view.clone();
    let scrolled = scrolled(&fleet);
    let window = adw::ApplicationWindow::builder()
        .default_width(600)
        .default_height(700)
        .content(&scrolled)
        .build();
    // The lifecycle actions the menu's items name, as the main window has them.
    let actions = gtk::gio::SimpleActionGroup::new();
    for action in hangar::actions::VmAction::ALL {
        actions.add_action(&gtk::gio::SimpleAction::new(action.id(), None));
    }
    window.insert_action_group("win", Some(&actions));
    window.present();
    // As in the window: the menu pops up over a list already on screen.
    pump_until("the window to show", || {
        fleet.is_mapped() && fleet.height() > 0
    });
    let popover = popup_menu(&fleet, &vm_menu(true), 40.0, 40.0);
    pump_until("the row menu to show", || {
        popover.is_mapped() && popover.child().is_some_and(|c| c.height() > 0)
    });
    let content = popover.child().expect("a popover menu has content");
    // GTK builds the menu's sections over several main-loop turns: wait for the last item.
    pump_until("the menu's last item, Delete", || {
        menu_label(&content, "_Delete").is_some_and(|label| label.height() > 0)
    });
    pump_until("the popover to fit the whole menu", || {
        let (_, natural, _, _) = content.measure(gtk::Orientation::Vertical, content.width());
        content.height() >= natural
    });
    popover.popdown();
    // The menu leaves its parent in an idle after closing: closing the window first left that
    // idle a freed parent to leave, for the next test's main loop to trip over.
    pump_until("the closed menu to leave the fleet", || {
        popover.parent().is_none()
    });
    window.close();
}

/// Right to left, with optional columns hidden (as the defaults are), a machine's row is
/// drawn inside the view: GTK 4.8 counted hidden columns' widths in the rows' width and, right
/// to left, moved every cell out of sight by that much. Showing a column again gives it back
/// the width it had.
pub fn rows_stay_in_view_right_to_left() {
    gtk::Widget::set_default_direction(gtk::TextDirection::Rtl);
    let mut view = view_with_host(3, "yankee", 3);
    view.set_visible_columns(&["state".to_owned(), "cpu".to_owned()]);
    let fleet = view.column_view.clone();
    let scrolled = scrolled(&fleet);
    let window = gtk::Window::builder()
        .default_width(900)
        .default_height(400)
        .child(&scrolled)
        .build();
    window.present();
    pump_until("the first machine's row", || {
        menu_label(fleet.upcast_ref(), "yankee-vm-00").is_some_and(|label| label.width() > 0)
    });
    let label = menu_label(fleet.upcast_ref(), "yankee-vm-00").expect("the row is shown");
    let bounds = label
        .compute_bounds(&fleet)
        .expect("the label is inside the view");
    let inside = bounds.x() >= 0.0 && bounds.x() + bounds.width() <= fleet.width() as f32;
    gtk::Widget::set_default_direction(gtk::TextDirection::Ltr);
    assert!(
        inside,
        "the name is drawn at x {} to {} of a view {} wide",
        bounds.x(),
        bounds.x() + bounds.width(),
        fleet.width()
    );
    let spec = super::fleet::columns::specs()
        .into_iter()
        .find(|spec| spec.key == "disk")
        .expect("a disk column");
    let disk = fleet
        .columns()
        .iter::<gtk::ColumnViewColumn>()
        .flatten()
        .find(|column| column.title().as_deref() == Some(spec.title.as_str()))
        .expect("the disk column is in the view");
    assert!(!disk.is_visible());
    view.set_visible_columns(&["disk".to_owned()]);
    assert!(disk.is_visible());
    assert_eq!(disk.fixed_width(), spec.width, "shown again at its width");
    window.destroy();
}

/// The mapped label with `text` among `root`'s descendants.
fn menu_label(root: &gtk::Widget, text: &str) -> Option<gtk::Label> {
    let mut child = root.first_child();
    while let Some(widget) = child {
        if let Some(label) = widget.downcast_ref::<gtk::Label>()
            && label.label() == text
            && label.is_mapped()
        {
            return Some(label.clone());
        }
        if let Some(found) = menu_label(&widget, text) {
            return Some(found);
        }
        child = widget.next_sibling();
    }
    None
}

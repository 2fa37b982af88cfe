//! The fleet view on a real display: a host that sorts in above the rows on screen does not
//! push the top of the list out of sight, not even for one frame.
//!
//! Runs inside the dialogs' widget test (GTK allows one thread; see `dialog_tests`).

use gtk::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

use hangar::fleet::{HostStatus, HostSummary, VmSummary};
use hangar::model::{ConnectionId, DomainUuid};

use super::dialog_tests::pump_until;
use super::fleet::{FleetView, RowHandlers};

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

/// Every frame painted after a host sorts in above the list's top shows the top: the
/// vertical scroll position is 0 at each paint.
pub fn fleet_top_stays_in_view_when_a_host_sorts_in_above() {
    let mut view = FleetView::new(
        Rc::new(|_| {}),
        RowHandlers {
            context: Rc::new(|_, _, _, _| {}),
            clicked: Rc::new(|| {}),
        },
        Rc::new(|_, _| Vec::new()),
    );
    let scrolled = gtk::ScrolledWindow::builder()
        .child(&view.column_view)
        .vexpand(true)
        .build();
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

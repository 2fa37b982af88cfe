//! The chart widgets on a real display, fed a statistics store with simulated ticks: charts
//! draw only while on screen, show the store's current values and the states "not
//! available" and "not collected", read out values under the pointer, follow the dark style,
//! and the busiest-machines list ranks and selects machines.
//!
//! Runs inside the dialogs' widget test (GTK allows one thread; see `dialog_tests`).

#[path = "../../tests/stats_support/sim.rs"]
mod sim;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::glib;

use hangar::charts::Rgba;
use hangar::model::{ConnectionId, DomainUuid};
use hangar::perf::Target;
use hangar::stats::{Scope, StatsGroups, StatsStore};
use sim::{Load, SimDomain, SimHost, host};

use super::busiest::BusiestList;
use super::chart::line_colours;
use super::performance::ChartsPanel;

const A: ConnectionId = ConnectionId(7);
const MIB: u64 = 1024 * 1024;

/// Runs the main context until `done` holds, failing after five seconds.
fn pump_until(what: &str, done: impl Fn() -> bool) {
    let context = glib::MainContext::default();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        context.iteration(false);
    }
}

/// Lets pending work and redraws run for a moment (to see that something does *not* happen).
fn settle() {
    let context = glib::MainContext::default();
    let until = Instant::now() + Duration::from_millis(300);
    while Instant::now() < until {
        context.iteration(false);
    }
}

/// A store with 70 s of one host: machine 0 busy 1.5 of 2 vCPUs with 1 MiB/s disk reads and
/// writes; machine 1 at 25 % of 1 vCPU without disk or network counters.
fn store() -> (Rc<RefCell<StatsStore>>, SimHost) {
    let stats = Rc::new(RefCell::new(StatsStore::default()));
    let busy = SimDomain::new(
        0,
        2,
        Load {
            cores: 1.5,
            disk_rd: MIB,
            disk_wr: MIB,
            ..Load::IDLE
        },
    );
    let mut bare = SimDomain::new(1, 1, Load::cpu(0.25));
    bare.reports_io = false;
    // The store's time grid begins at its creation, before the first sample; the charts'
    // clock is then frozen at the last sample (70 s from now).
    let mut sim = SimHost::new(Instant::now(), host(4, 16), vec![busy, bare]);
    stats.borrow_mut().ingest(A, &sim.sample());
    for _ in 0..70 {
        stats.borrow_mut().ingest(A, &sim.tick(1.0));
    }
    (stats, sim)
}

pub(super) fn charts_follow_the_store_only_while_visible() {
    let (stats, sim) = store();
    let panel = ChartsPanel::new(stats.clone());
    panel.freeze_clock(sim.now);
    let uuid = sim.domains[0].uuid;
    panel.set_target(Some(Target::Vm(A, uuid)));

    let stack = adw::ViewStack::new();
    stack.add_named(&gtk::Label::new(Some("another tab")), Some("other"));
    stack.add_named(&panel.root, Some("performance"));
    stack.set_visible_child_name("other");
    let window = gtk::Window::builder()
        .default_width(900)
        .default_height(800)
        .child(&stack)
        .build();
    window.present();
    pump_until("the window to show", || window.is_mapped());
    settle();
    assert!(!panel.refresh(), "a hidden tab does not rebuild its charts");
    assert!(
        panel.charts().iter().all(|chart| chart.draw_count() == 0),
        "a hidden tab draws nothing"
    );

    // Switching to the tab draws it at once from the store.
    stack.set_visible_child_name("performance");
    let [cpu, memory, disk, network] = panel.charts() else {
        panic!("four charts");
    };
    pump_until("the charts to draw", || {
        panel.charts().iter().all(|chart| chart.draw_count() > 0)
    });
    assert_eq!(cpu.headline(), "75 %");
    assert_eq!(memory.headline(), "1.0 GiB");
    assert_eq!(disk.headline(), "2.0 MiB/s");
    assert_eq!(network.headline(), "0 B/s");

    // The pointer over the middle of the last minute reads the value there.
    panel.set_range(Duration::from_secs(60));
    let drawn = cpu.draw_count();
    pump_until("the new range to draw", || cpu.draw_count() > drawn);
    let middle = f64::from(cpu.area().width()) / 2.0;
    let readout = cpu.hover(middle).expect("a read-out over the plot");
    assert!(
        readout.contains("75 %") && readout.contains(" s"),
        "read-out {readout:?}"
    );
    assert_eq!(cpu.hover(-5.0), None, "no read-out left of the plot");

    // Turning disk statistics off says so instead of drawing what is left.
    panel.set_collected(StatsGroups {
        disk: false,
        ..StatsGroups::default()
    });
    assert!(panel.refresh());
    assert_eq!(disk.headline(), "Not collected");
    assert_eq!(cpu.headline(), "75 %");
    panel.set_collected(StatsGroups::default());

    // A machine whose hypervisor has no disk counters: "Not available", not zeros.
    panel.set_target(Some(Target::Vm(A, sim.domains[1].uuid)));
    assert!(panel.refresh());
    assert_eq!(disk.headline(), "Not available");
    assert_eq!(cpu.headline(), "25 %");

    // Dark style: the palette changes and the charts redraw by themselves.
    let manager = adw::StyleManager::default();
    let light = line_colours(cpu.area().upcast_ref());
    let drawn = cpu.draw_count();
    manager.set_color_scheme(adw::ColorScheme::ForceDark);
    pump_until("a redraw in the dark style", || cpu.draw_count() > drawn);
    let dark = line_colours(cpu.area().upcast_ref());
    assert_ne!(light, dark);
    assert_eq!(dark[1], Rgba::rgb8(0xff, 0xa3, 0x48));
    manager.set_color_scheme(adw::ColorScheme::Default);

    // Hidden again: refreshes stop.
    stack.set_visible_child_name("other");
    settle();
    let counts: Vec<u64> = panel.charts().iter().map(|c| c.draw_count()).collect();
    assert!(!panel.refresh());
    settle();
    let after: Vec<u64> = panel.charts().iter().map(|c| c.draw_count()).collect();
    assert_eq!(counts, after, "hidden charts are not redrawn");
    window.close();
}

pub(super) fn busiest_machines_rank_and_select() {
    let (stats, sim) = store();
    let selected: Rc<RefCell<Vec<(ConnectionId, DomainUuid)>>> = Rc::default();
    let sink = selected.clone();
    let list = BusiestList::new(
        5,
        Rc::new(move |connection, uuid| sink.borrow_mut().push((connection, uuid))),
        Rc::new(|| {}),
    );
    let window = gtk::Window::builder().child(&list.root).build();
    window.present();
    let names = |_: ConnectionId, uuid: &DomainUuid| {
        let index = sim.domains.iter().position(|d| d.uuid == *uuid)?;
        Some((format!("machine-{index}"), "host-a".to_owned()))
    };
    list.refresh(&stats.borrow(), Scope::Connection(A), &names);
    assert_eq!(
        list.shown(),
        [
            ("machine-0".to_owned(), "75 %".to_owned()),
            ("machine-1".to_owned(), "25 %".to_owned())
        ]
    );
    list.activate(0);
    assert_eq!(*selected.borrow(), [(A, sim.domains[0].uuid)]);
    // Another host's ranking is empty: no rows, no stale leftovers.
    list.refresh(&stats.borrow(), Scope::Connection(ConnectionId(99)), &names);
    assert!(list.shown().is_empty());
    window.close();
}

//! The window's charts: the VM page's Performance tab, the host page's charts and busiest
//! machines, and the fleet overview. After statistics ticks the window redraws the one that
//! is visible — paced to about once per polling interval however many hosts tick, in the
//! frame after the one that shows the tick in the fleet list — and on the one-second tick
//! only when its data is stale (its age moves on).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::glib;
use relm4::ComponentSender;

use hangar::i18n::gettext;
use hangar::model::{ConnectionId, DomainUuid};
use hangar::perf::{Pace, RedrawPacer, Target};
use hangar::stats::{Scope, StatsGroups, StatsStore};

use super::{Shown, Window, WindowInput};
use crate::ui::after_paint::AfterPaint;
use crate::ui::busiest::BusiestList;
use crate::ui::fleet_overview::FleetOverview;
use crate::ui::performance::ChartsPanel;

/// How many machines the host page ranks.
const HOST_BUSIEST: usize = 5;

/// The chart views of the pages.
pub struct PageCharts {
    /// The VM page's Performance tab (scrolls).
    pub vm_tab: gtk::ScrolledWindow,
    pub vm: ChartsPanel,
    /// The host page's section: its charts and busiest machines.
    pub host_section: gtk::Box,
    pub host: ChartsPanel,
    pub host_busiest: BusiestList,
    pub overview: FleetOverview,
    pacer: RedrawPacer,
    /// The machine whose history is kept at full resolution, and whether the store took it.
    detailed: Option<(ConnectionId, DomainUuid, bool)>,
    /// A tick's redraw waits for the list's frame to be painted.
    after_paint: AfterPaint,
    sender: ComponentSender<Window>,
}

impl PageCharts {
    pub fn new(
        stats: &Rc<RefCell<StatsStore>>,
        sender: &ComponentSender<Window>,
        interval: Duration,
    ) -> Self {
        let select: crate::ui::busiest::SelectMachine = {
            let sender = sender.clone();
            Rc::new(move |connection, uuid| {
                sender.input(WindowInput::SelectMachine(connection, uuid))
            })
        };
        let redraw: Rc<dyn Fn()> = {
            let sender = sender.clone();
            Rc::new(move || sender.input(WindowInput::RedrawCharts))
        };

        let vm = ChartsPanel::new(stats.clone());
        let vm_content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        vm_content.set_margin_top(18);
        vm_content.set_margin_bottom(18);
        vm_content.set_margin_start(12);
        vm_content.set_margin_end(12);
        vm_content.append(&vm.root);
        let vm_tab = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .propagate_natural_width(true)
            .child(
                &adw::Clamp::builder()
                    .maximum_size(crate::ui::PAGE_MAX_WIDTH)
                    .tightening_threshold(crate::ui::PAGE_MAX_WIDTH)
                    .child(&vm_content)
                    .build(),
            )
            .build();

        let host = ChartsPanel::new(stats.clone());
        let host_busiest = BusiestList::new(HOST_BUSIEST, select.clone(), redraw.clone());
        let host_title = gtk::Label::builder()
            .label(gettext("Performance"))
            .xalign(0.0)
            .css_classes(["heading"])
            .build();
        let host_section = gtk::Box::new(gtk::Orientation::Vertical, 12);
        host_section.append(&host_title);
        host_section.append(&host.root);
        host_section.append(&host_busiest.root);

        let overview = FleetOverview::new(stats.clone(), select, redraw);
        Self {
            vm_tab,
            vm,
            host_section,
            host,
            host_busiest,
            overview,
            pacer: RedrawPacer::for_interval(interval),
            detailed: None,
            after_paint: AfterPaint::default(),
            sender: sender.clone(),
        }
    }

    fn set_collected(&self, groups: StatsGroups) {
        for panel in [&self.vm, &self.host, &self.overview.charts] {
            panel.set_collected(groups);
        }
    }
}

impl Window {
    /// A batch of driver updates carried statistics: redraw the visible charts, in the next
    /// frame or a moment later when another host's tick just did. Only these redraws count
    /// for the pacing: a redraw for another cause (a page shown, a new ranking) must not put
    /// off the next tick's to some other moment of the interval, where it can share a frame
    /// with the following tick's list (a busiest row's 200 ms style transition, say).
    pub(super) fn charts_ticked(&mut self) {
        let now = Instant::now();
        match self.charts.pacer.request(now) {
            Pace::Now => {
                self.charts.pacer.drawn(now);
                self.redraw_charts_after_paint();
            }
            Pace::After(delay) => {
                let sender = self.charts.sender.clone();
                glib::timeout_add_local_once(delay, move || sender.input(WindowInput::PacedRedraw));
            }
            Pace::Scheduled => {}
        }
    }

    /// The redraw the pacer deferred.
    pub(super) fn paced_redraw(&mut self) {
        self.charts.pacer.drawn(Instant::now());
        self.redraw_charts();
    }

    /// Redraws the charts once the frame being prepared, which shows the tick's changes in
    /// the fleet list, has been painted: drawn in the same frame, the list's column and the
    /// page's charts would be sent to the X server as one box covering most of the window
    /// (`after_paint`). For a 1440×860 window that is 4.4 MB each second against 1.4 MB,
    /// and a second 4.4 MB block of Cairo's shared-memory upload pool kept resident.
    fn redraw_charts_after_paint(&mut self) {
        let sender = self.charts.sender.clone();
        self.charts
            .after_paint
            .schedule(&self.layout.window, move || {
                sender.input(WindowInput::RedrawCharts)
            });
    }

    /// Redraws the charts of the page on screen (the others are not mapped and skip).
    pub(super) fn redraw_charts(&mut self) {
        self.keep_detailed_history();
        let stats = self.stats.borrow();
        let hosts = &self.hosts;
        let names = |connection: ConnectionId, uuid: &DomainUuid| {
            let entry = hosts.get(&connection)?;
            let domain = entry.domains.get(uuid)?;
            Some((domain.name.clone(), entry.label()))
        };
        let charts = &self.charts;
        match self.shown {
            Shown::Vm(..) => {
                charts.vm.refresh();
            }
            Shown::Host(id) => {
                // A host that never reported statistics (not connected yet, failed) has no
                // charts to show, not charts of nothing.
                let known = stats.host_latest(id).is_some();
                charts.host_section.set_visible(known);
                if known && charts.host.refresh() {
                    charts
                        .host_busiest
                        .refresh(&stats, Scope::Connection(id), &names);
                }
            }
            Shown::Nothing => {
                charts.overview.refresh(&stats, &names);
            }
            Shown::Many => {}
        }
    }

    /// The selection changed: point the views at what is shown, and keep the shown machine's
    /// history at full resolution while its page is open.
    pub(super) fn charts_follow_selection(&mut self) {
        let (vm, host) = match self.shown {
            Shown::Vm(connection, uuid) => (Some(Target::Vm(connection, uuid)), None),
            Shown::Host(connection) => (None, Some(Target::Host(connection))),
            Shown::Nothing | Shown::Many => (None, None),
        };
        if vm.is_some() {
            self.charts.vm.set_target(vm);
        }
        if host.is_some() {
            self.charts.host.set_target(host);
        }
        let wanted = match self.shown {
            Shown::Vm(connection, uuid) => Some((connection, uuid)),
            _ => None,
        };
        let current = self.charts.detailed.map(|(c, u, _)| (c, u));
        if current != wanted {
            if let Some((connection, uuid, true)) = self.charts.detailed {
                self.stats
                    .borrow_mut()
                    .set_detailed(connection, &uuid, false);
            }
            self.charts.detailed = wanted.map(|(c, u)| (c, u, false));
        }
    }

    /// Asks the store for the shown machine's full-resolution history until it knows the
    /// machine (it does from the machine's first statistics tick on).
    fn keep_detailed_history(&mut self) {
        if let Some((connection, uuid, false)) = self.charts.detailed
            && self
                .stats
                .borrow_mut()
                .set_detailed(connection, &uuid, true)
        {
            self.charts.detailed = Some((connection, uuid, true));
        }
    }

    /// Once a second: a stale page's ages ("updated 12 s ago") and stale tails move on.
    pub(super) fn charts_tick(&mut self) {
        let stale = {
            let stats = self.stats.borrow();
            match self.shown {
                Shown::Vm(id, _) | Shown::Host(id) => stats
                    .host_latest(id)
                    .is_some_and(|host| host.stale_since.is_some()),
                Shown::Nothing => stats.fleet_latest().stale_hosts > 0,
                Shown::Many => false,
            }
        };
        if stale {
            self.redraw_charts();
        }
    }

    /// The statistics preferences changed: which groups are collected, how often.
    pub(super) fn charts_settings_changed(&mut self, groups: StatsGroups, interval: Duration) {
        self.charts.set_collected(groups);
        self.charts.pacer.set_interval(interval);
        self.redraw_charts();
    }

    /// A busiest-machines row was activated: select that machine in the fleet.
    pub(super) fn select_machine(&mut self, connection: ConnectionId, uuid: DomainUuid) {
        let Some(item) = self.fleet.vm(connection, uuid).cloned() else {
            return;
        };
        if self.fleet.select_item(&item) {
            self.show_selection();
        } else {
            self.layout.toast(
                &gettext("The machine is hidden by the search; clear the search to see it"),
                None,
            );
        }
    }
}

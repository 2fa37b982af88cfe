//! The fleet overview, shown while no host or machine is selected: every connected host's
//! machines summed into one set of charts (CPU of all hosts' capacity, memory of all hosts'
//! memory, total disk and network rates) and the ten busiest machines across all hosts.

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;

use hangar::i18n::{gettext, gettext_f, ngettext_f};
use hangar::perf::Target;
use hangar::stats::{Scope, StatsStore};
use hangar::units::format_bytes;

use super::busiest::{BusiestList, MachineNames, SelectMachine};
use super::labels::set_text;
use super::performance::ChartsPanel;

/// How many machines the overview ranks.
const BUSIEST: usize = 10;

/// The overview page.
pub struct FleetOverview {
    pub root: gtk::ScrolledWindow,
    summary: gtk::Label,
    pub charts: ChartsPanel,
    pub busiest: BusiestList,
}

impl FleetOverview {
    pub fn new(
        stats: Rc<RefCell<StatsStore>>,
        on_select: SelectMachine,
        on_ranking: Rc<dyn Fn()>,
    ) -> Self {
        let title = gtk::Label::builder()
            .label(gettext("Fleet"))
            .xalign(0.0)
            .css_classes(["title-1"])
            .build();
        let summary = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .css_classes(["dim-label"])
            .build();
        let charts = ChartsPanel::new(stats);
        charts.set_target(Some(Target::Fleet));
        let busiest = BusiestList::new(BUSIEST, on_select, on_ranking);

        let content = gtk::Box::new(gtk::Orientation::Vertical, 18);
        content.set_margin_top(24);
        content.set_margin_bottom(24);
        content.set_margin_start(12);
        content.set_margin_end(12);
        let heading = gtk::Box::new(gtk::Orientation::Vertical, 4);
        heading.append(&title);
        heading.append(&summary);
        content.append(&heading);
        content.append(&charts.root);
        content.append(&busiest.root);
        let clamp = adw::Clamp::builder()
            .maximum_size(crate::ui::PAGE_MAX_WIDTH)
            .tightening_threshold(crate::ui::PAGE_MAX_WIDTH)
            .child(&content)
            .build();
        let root = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            // Ask for the charts' natural width (two side by side) when the window has room.
            .propagate_natural_width(true)
            .child(&clamp)
            .vexpand(true)
            .build();
        Self {
            root,
            summary,
            charts,
            busiest,
        }
    }

    /// Refills the page from the store, if it is on screen. Returns whether it did.
    pub fn refresh(&self, store: &StatsStore, names: MachineNames<'_>) -> bool {
        if !self.root.is_mapped() {
            return false;
        }
        set_text(&self.summary, &summary_text(store));
        self.charts.refresh();
        self.busiest.refresh(store, Scope::Fleet, names);
        true
    }
}

/// "3 hosts · 42 machines, 30 active · 24 CPUs, 160 GiB".
fn summary_text(store: &StatsStore) -> String {
    let fleet = store.fleet_latest();
    if fleet.hosts == 0 {
        return gettext("Waiting for the first statistics of the connected hosts");
    }
    let hosts = ngettext_f(
        "{n} host",
        "{n} hosts",
        fleet.hosts,
        &[("n", &fleet.hosts.to_string())],
    );
    let machines = ngettext_f(
        "{n} machine, {running} active",
        "{n} machines, {running} active",
        fleet.domains,
        &[
            ("n", &fleet.domains.to_string()),
            ("running", &fleet.active_domains.to_string()),
        ],
    );
    let capacity = ngettext_f(
        "{n} CPU, {memory}",
        "{n} CPUs, {memory}",
        fleet.cpus,
        &[
            ("n", &fleet.cpus.to_string()),
            ("memory", &format_bytes(fleet.memory_bytes as f64)),
        ],
    );
    gettext_f(
        "{hosts} · {machines} · {capacity}",
        &[
            ("hosts", &hosts),
            ("machines", &machines),
            ("capacity", &capacity),
        ],
    )
}

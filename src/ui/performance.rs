//! A performance view: a time-range selector above the four charts (CPU, memory, disk,
//! network) of one machine, one host or the whole fleet, read from the window's statistics
//! store. Used by the VM page's Performance tab, the host page and the fleet overview.
//!
//! Charts are rebuilt only while the view is on screen: when it is mapped (a tab or page
//! switched to it) and when the window asks after a statistics tick.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use adw::prelude::*;

use hangar::i18n::gettext;
use hangar::perf::{ChartKind, Panel, Target, window_label};
use hangar::stats::{StatsGroups, StatsStore, Window};

use super::chart::ChartView;

/// The time range shown first.
const DEFAULT_RANGE: Duration = Duration::from_secs(5 * 60);

struct Inner {
    root: gtk::Box,
    stats: Rc<RefCell<StatsStore>>,
    target: Cell<Option<Target>>,
    range: Cell<Duration>,
    collected: Cell<StatsGroups>,
    charts: Vec<ChartView>,
    /// Tests draw at a fixed instant; the app at the real clock.
    frozen_now: Cell<Option<Instant>>,
}

/// The charts of one target, with their time-range selector.
pub struct ChartsPanel {
    pub root: gtk::Box,
    inner: Rc<Inner>,
}

impl ChartsPanel {
    pub fn new(stats: Rc<RefCell<StatsStore>>) -> Self {
        let root = gtk::Box::new(gtk::Orientation::Vertical, 12);
        let charts: Vec<ChartView> = ChartKind::ALL.iter().map(|_| ChartView::new()).collect();
        let flow = gtk::FlowBox::builder()
            .selection_mode(gtk::SelectionMode::None)
            .homogeneous(true)
            .min_children_per_line(1)
            .max_children_per_line(2)
            .column_spacing(12)
            .row_spacing(12)
            .build();
        for chart in &charts {
            flow.insert(&chart.root, -1);
        }
        // The charts are not items to pick: no focus or hover highlight on their cells.
        let mut child = flow.first_child();
        while let Some(cell) = child {
            cell.set_focusable(false);
            child = cell.next_sibling();
        }
        let inner = Rc::new(Inner {
            root: root.clone(),
            stats,
            target: Cell::new(None),
            range: Cell::new(DEFAULT_RANGE),
            collected: Cell::new(StatsGroups::default()),
            charts,
            frozen_now: Cell::new(None),
        });
        root.append(&range_selector(&inner));
        root.append(&flow);
        let weak = Rc::downgrade(&inner);
        root.connect_map(move |_| {
            if let Some(inner) = weak.upgrade() {
                inner.refresh();
            }
        });
        Self { root, inner }
    }

    /// Which machine, host or fleet the charts are about (drawn at the next refresh).
    pub fn set_target(&self, target: Option<Target>) {
        self.inner.target.set(target);
    }

    /// The statistics groups being collected (charts of the others say "Not collected").
    pub fn set_collected(&self, groups: StatsGroups) {
        self.inner.collected.set(groups);
    }

    /// Rebuilds the charts from the store, if the view is on screen. Returns whether it did.
    pub fn refresh(&self) -> bool {
        self.inner.refresh()
    }

    /// The charts, in `ChartKind::ALL` order.
    #[cfg(test)]
    pub fn charts(&self) -> &[ChartView] {
        &self.inner.charts
    }

    /// Draws as if it were `now` (simulated statistics run ahead of the clock).
    #[cfg(test)]
    pub fn freeze_clock(&self, now: Instant) {
        self.inner.frozen_now.set(Some(now));
    }

    /// Picks a time range as the selector does.
    #[cfg(test)]
    pub fn set_range(&self, range: Duration) {
        self.inner.range.set(range);
        self.inner.refresh();
    }
}

impl Inner {
    fn refresh(&self) -> bool {
        let Some(target) = self.target.get() else {
            return false;
        };
        if !self.root.is_mapped() {
            return false;
        }
        let now = self.frozen_now.get().unwrap_or_else(Instant::now);
        let window = Window::last(self.range.get(), now);
        let collected = self.collected.get();
        let store = self.stats.borrow();
        for (kind, chart) in ChartKind::ALL.iter().zip(&self.charts) {
            chart.set_panel(Panel::build(&store, target, *kind, window, collected, now));
        }
        true
    }
}

/// "Time range" with one linked toggle per window length.
fn range_selector(inner: &Rc<Inner>) -> gtk::Box {
    let label = gtk::Label::builder()
        .label(gettext("Time range"))
        .hexpand(true)
        .xalign(1.0)
        .css_classes(["dim-label"])
        .build();
    let buttons = gtk::Box::builder()
        .orientation(gtk::Orientation::Horizontal)
        .css_classes(["linked"])
        .build();
    crate::ui::a11y::set_label(&buttons, &gettext("Time range"));
    let mut first: Option<gtk::ToggleButton> = None;
    for length in Window::CHOICES {
        let button = gtk::ToggleButton::builder()
            .label(window_label(length))
            .active(length == DEFAULT_RANGE)
            .build();
        button.set_group(first.as_ref());
        first.get_or_insert_with(|| button.clone());
        let weak: Weak<Inner> = Rc::downgrade(inner);
        button.connect_toggled(move |button| {
            if let (true, Some(inner)) = (button.is_active(), weak.upgrade()) {
                inner.range.set(length);
                inner.refresh();
            }
        });
        buttons.append(&button);
    }
    let row = gtk::Box::new(gtk::Orientation::Horizontal, 12);
    row.append(&label);
    row.append(&buttons);
    row
}

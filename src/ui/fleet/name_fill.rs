//! The name column takes the width the other columns leave, as an expanding column would.
//! GTK 4.8's column view gives a column with a fixed width none of the spare width, which left
//! an empty strip right of the last column at most window sizes. A width the user drags the
//! name column to is kept from then on.

use std::cell::Cell;
use std::rc::Rc;

use gtk::glib;
use gtk::prelude::*;

/// Keeps one column view's name column as wide as the room the other shown columns leave.
pub struct NameFill {
    name: glib::WeakRef<gtk::ColumnViewColumn>,
    others: Vec<glib::WeakRef<gtk::ColumnViewColumn>>,
    hadjustment: glib::WeakRef<gtk::Adjustment>,
    /// Whether the name column follows the view's width (false once the user resized it).
    following: Cell<bool>,
    /// Set while the width is changed here, so the change is not taken for the user's.
    adjusting: Cell<bool>,
    /// A refill is queued for when the main loop is idle.
    queued: Cell<bool>,
    /// The name column's width when there is no room to spare.
    minimum: Cell<i32>,
}

impl NameFill {
    /// Starts following: the name column `name` of `column_view` fills what `others` leave,
    /// but is never narrower than `minimum`.
    pub fn attach(
        column_view: &gtk::ColumnView,
        name: &gtk::ColumnViewColumn,
        others: &[gtk::ColumnViewColumn],
        minimum: i32,
    ) -> Rc<Self> {
        let fill = Rc::new(Self {
            name: name.downgrade(),
            others: others.iter().map(|column| column.downgrade()).collect(),
            hadjustment: glib::WeakRef::new(),
            following: Cell::new(true),
            adjusting: Cell::new(false),
            queued: Cell::new(false),
            minimum: Cell::new(minimum),
        });
        let weak = Rc::downgrade(&fill);
        name.connect_fixed_width_notify(move |_| {
            if let Some(fill) = weak.upgrade()
                && !fill.adjusting.get()
            {
                fill.following.set(false);
            }
        });
        for column in others {
            let weak = Rc::downgrade(&fill);
            column.connect_fixed_width_notify(move |_| queue(&weak));
            let weak = Rc::downgrade(&fill);
            column.connect_visible_notify(move |_| queue(&weak));
        }
        // The scrolled window hands the view its horizontal adjustment when it adopts it; the
        // adjustment's page is the width the columns have.
        let weak = Rc::downgrade(&fill);
        column_view.connect_hadjustment_notify(move |view| {
            let Some(fill) = weak.upgrade() else { return };
            let Some(adjustment) = view.hadjustment() else {
                return;
            };
            fill.hadjustment.set(Some(&adjustment));
            let weak = Rc::downgrade(&fill);
            adjustment.connect_page_size_notify(move |_| queue(&weak));
            queue(&Rc::downgrade(&fill));
        });
        fill
    }

    /// A new smallest width (each view mode has its own); applies while the name column
    /// follows the view's width.
    pub fn set_minimum(self: &Rc<Self>, minimum: i32) {
        self.minimum.set(minimum);
        queue(&Rc::downgrade(self));
    }

    /// Gives the name column the width the others leave (at least the minimum).
    fn refill(&self) {
        let (Some(name), Some(adjustment)) = (self.name.upgrade(), self.hadjustment.upgrade())
        else {
            return;
        };
        if !self.following.get() {
            return;
        }
        let page = adjustment.page_size().floor() as i32;
        if page <= 0 {
            return;
        }
        let others: i32 = self
            .others
            .iter()
            .filter_map(glib::WeakRef::upgrade)
            .filter(|column| column.is_visible())
            .map(|column| column.fixed_width().max(0))
            .sum();
        let width = (page - others).max(self.minimum.get());
        if name.fixed_width() != width {
            self.adjusting.set(true);
            name.set_fixed_width(width);
            self.adjusting.set(false);
        }
    }
}

/// Refills once the main loop is idle: the page size changes while GTK allocates the view,
/// where resizing a column would only be undone by the allocation in progress.
fn queue(weak: &std::rc::Weak<NameFill>) {
    let Some(fill) = weak.upgrade() else { return };
    if fill.queued.replace(true) {
        return;
    }
    let weak = weak.clone();
    glib::idle_add_local_once(move || {
        if let Some(fill) = weak.upgrade() {
            fill.queued.set(false);
            fill.refill();
        }
    });
}

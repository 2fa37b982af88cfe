//! Bound cells: every cell bound to a row registers how to redraw itself, so a statistics tick
//! redraws only cells that are on screen (GTK keeps many more rows bound than it shows), and
//! only those whose row changed — the cost follows the window, not the fleet.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use hangar::model::{ConnectionId, DomainUuid};

use gtk::glib;
use gtk::prelude::*;

use super::item::FleetItem;

/// Which column a cell belongs to (one list item has one cell per column).
pub type ColumnKey = &'static str;

type Refresh = Box<dyn Fn(&FleetItem)>;

/// Identifies one cell: its list item and column.
pub type CellKey = (usize, ColumnKey);

struct BoundCell {
    item: FleetItem,
    /// The list item the cell belongs to (its position is the row's place in the view).
    list_item: glib::WeakRef<gtk::ListItem>,
    drawn_generation: Cell<u64>,
    refresh: Refresh,
    /// The cell's widget: only mapped (on-screen) cells are redrawn.
    root: gtk::Widget,
    /// Whether the cell draws a sparkline, redrawn on every tick (its time axis moves even if
    /// the row did not change).
    sparkline: bool,
}

impl BoundCell {
    fn redraw(&self) {
        self.drawn_generation.set(self.item.generation());
        (self.refresh)(&self.item);
    }
}

/// The cells currently bound to rows, keyed by list item and column.
#[derive(Default)]
pub struct BoundCells {
    cells: RefCell<HashMap<CellKey, BoundCell>>,
}

/// The key of a cell.
pub fn key(list_item: &gtk::ListItem, column: ColumnKey) -> CellKey {
    (list_item.as_ptr() as usize, column)
}

impl BoundCells {
    /// Registers a cell shown for `item` and draws it once.
    pub fn bind(
        &self,
        list_item: &gtk::ListItem,
        column: ColumnKey,
        item: FleetItem,
        root: gtk::Widget,
        sparkline: bool,
        refresh: impl Fn(&FleetItem) + 'static,
    ) {
        let key = key(list_item, column);
        let cell = BoundCell {
            drawn_generation: Cell::new(item.generation()),
            item,
            list_item: list_item.downgrade(),
            refresh: Box::new(refresh),
            root,
            sparkline,
        };
        cell.redraw();
        self.cells.borrow_mut().insert(key, cell);
    }

    /// Forgets a cell whose list item was unbound (scrolled away or recycled).
    pub fn unbind(&self, key: CellKey) {
        self.cells.borrow_mut().remove(&key);
    }

    /// Redraws the on-screen cells whose row changed since they were last drawn.
    pub fn refresh_changed(&self) {
        for cell in self.cells.borrow().values() {
            if cell.root.is_mapped() && cell.item.generation() != cell.drawn_generation.get() {
                cell.redraw();
            }
        }
    }

    /// Redraws every on-screen cell (ages such as "updated 12 s ago" change without a new row).
    pub fn refresh_all(&self) {
        for cell in self.cells.borrow().values() {
            if cell.root.is_mapped() {
                cell.redraw();
            }
        }
    }

    /// Redraws the on-screen sparklines: their history moved on by a tick.
    pub fn redraw_sparklines(&self) {
        for cell in self.cells.borrow().values() {
            if cell.sparkline && cell.root.is_mapped() {
                cell.root.queue_draw();
            }
        }
    }

    /// The machines whose rows have bound cells: those on screen and the margin of rows
    /// around them that GTK keeps bound.
    pub fn bound_vms(&self) -> HashSet<(ConnectionId, DomainUuid)> {
        self.cells
            .borrow()
            .values()
            .filter_map(|cell| cell.item.vm().map(|vm| (vm.connection, vm.uuid)))
            .collect()
    }

    /// The row item and a cell widget of the bound row that holds `widget` (the focused row
    /// or something inside one of its cells).
    pub fn row_holding(&self, widget: &gtk::Widget) -> Option<(FleetItem, gtk::Widget)> {
        self.cells
            .borrow()
            .values()
            .find(|cell| {
                &cell.root == widget
                    || cell.root.is_ancestor(widget)
                    || widget.is_ancestor(&cell.root)
            })
            .map(|cell| (cell.item.clone(), cell.root.clone()))
    }

    /// The list item and cell widget of the bound cell that holds `widget` (what a click
    /// picked).
    pub fn list_item_holding(&self, widget: &gtk::Widget) -> Option<(gtk::ListItem, gtk::Widget)> {
        self.cells
            .borrow()
            .values()
            .find(|cell| &cell.root == widget || widget.is_ancestor(&cell.root))
            .and_then(|cell| Some((cell.list_item.upgrade()?, cell.root.clone())))
    }

    /// A cell widget of `item`'s row, if the row is bound.
    pub fn cell_of(&self, item: &FleetItem) -> Option<gtk::Widget> {
        self.cells
            .borrow()
            .values()
            .find(|cell| cell.item == *item)
            .map(|cell| cell.root.clone())
    }

    /// A cell came on screen: catches up with changes it skipped while off screen.
    pub fn mapped(&self, key: CellKey) {
        if let Some(cell) = self.cells.borrow().get(&key)
            && cell.item.generation() != cell.drawn_generation.get()
        {
            cell.redraw();
        }
    }
}

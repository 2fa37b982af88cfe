//! Bound cells: every visible cell registers how to redraw itself, so a statistics tick redraws
//! only what is on screen, and only rows that changed — the cost follows the window, not the fleet.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use gtk::prelude::*;

use super::item::FleetItem;

/// Which column a cell belongs to (one list item has one cell per column).
pub type ColumnKey = &'static str;

type Refresh = Box<dyn Fn(&FleetItem)>;

struct BoundCell {
    item: FleetItem,
    drawn_generation: Cell<u64>,
    refresh: Refresh,
}

/// The cells currently bound to rows, keyed by list item and column.
#[derive(Default)]
pub struct BoundCells {
    cells: RefCell<HashMap<(usize, ColumnKey), BoundCell>>,
}

impl BoundCells {
    /// Registers a cell shown for `item` and draws it once.
    pub fn bind(
        &self,
        list_item: &gtk::ListItem,
        column: ColumnKey,
        item: FleetItem,
        refresh: impl Fn(&FleetItem) + 'static,
    ) {
        refresh(&item);
        let cell = BoundCell {
            drawn_generation: Cell::new(item.generation()),
            item,
            refresh: Box::new(refresh),
        };
        self.cells.borrow_mut().insert(key(list_item, column), cell);
    }

    /// Forgets a cell whose list item was unbound (scrolled away or recycled).
    pub fn unbind(&self, list_item: &gtk::ListItem, column: ColumnKey) {
        self.cells.borrow_mut().remove(&key(list_item, column));
    }

    /// Redraws the cells whose row changed since they were last drawn.
    pub fn refresh_changed(&self) {
        for cell in self.cells.borrow().values() {
            let generation = cell.item.generation();
            if generation != cell.drawn_generation.get() {
                cell.drawn_generation.set(generation);
                (cell.refresh)(&cell.item);
            }
        }
    }

    /// Redraws every bound cell (ages such as "updated 12 s ago" change without a new row).
    pub fn refresh_all(&self) {
        for cell in self.cells.borrow().values() {
            cell.drawn_generation.set(cell.item.generation());
            (cell.refresh)(&cell.item);
        }
    }
}

fn key(list_item: &gtk::ListItem, column: ColumnKey) -> (usize, ColumnKey) {
    (list_item.as_ptr() as usize, column)
}

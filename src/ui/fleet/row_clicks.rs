//! Clicks on the fleet's rows: one gesture on the column view for every row, instead of one
//! in each cell of each of the ~200 rows GTK keeps bound (a controller costs about as much as
//! a widget). It runs in the capture phase, before GTK's own row handler.

use std::rc::Rc;

use gtk::prelude::*;

use super::cells::BoundCells;
use super::columns::RowHandlers;

/// Handles right-clicks (the row's menu), Ctrl+clicks (toggle the row in the selection) and
/// plain clicks (show the row's page on a narrow window) on `column_view`'s rows.
pub fn attach(column_view: &gtk::ColumnView, cells: &Rc<BoundCells>, handlers: RowHandlers) {
    let click = gtk::GestureClick::builder()
        .button(0)
        .propagation_phase(gtk::PropagationPhase::Capture)
        .build();
    let cells = cells.clone();
    click.connect_pressed(move |gesture, _, x, y| {
        let Some(view) = gesture.widget() else {
            return;
        };
        // The cell under the pointer; clicks on the headers or between rows are GTK's.
        let Some(target) = view.pick(x, y, gtk::PickFlags::DEFAULT) else {
            return;
        };
        let Some((list_item, cell)) = cells.list_item_holding(&target) else {
            return;
        };
        // A button in a cell (Retry, a host's expander arrow) takes its own clicks, as it did
        // when each cell had its gesture: seen first here, they must not also select or
        // reveal a page.
        if gesture.current_button() == gtk::gdk::BUTTON_PRIMARY && takes_clicks(&target, &cell) {
            return;
        }
        match gesture.current_button() {
            gtk::gdk::BUTTON_SECONDARY => (handlers.context)(list_item.position(), &view, x, y),
            gtk::gdk::BUTTON_PRIMARY if toggles_selection(gesture.current_event_state()) => {
                // GTK 4.8's column view runs a click's selection in the cell and again in
                // its row, so Ctrl's toggle ran twice and the selection never changed. The
                // toggle runs here once, through the list action GTK's own click handler
                // uses, and the claimed click reaches nothing else.
                gesture.set_state(gtk::EventSequenceState::Claimed);
                let toggle = (list_item.position(), true, false).to_variant();
                if let Err(error) = cell.activate_action("list.select-item", Some(&toggle)) {
                    log::warn!("Ctrl+click could not change the selection: {error}");
                }
            }
            // GTK's row handler selects the row in this same event; the window slides to its
            // page when it gets to the message.
            gtk::gdk::BUTTON_PRIMARY if is_plain_click(gesture.current_event_state()) => {
                (handlers.clicked)()
            }
            _ => {}
        }
    });
    column_view.add_controller(click);
}

/// Whether `target`, or a widget between it and its `cell`, handles clicks itself.
fn takes_clicks(target: &gtk::Widget, cell: &gtk::Widget) -> bool {
    let mut widget = Some(target.clone());
    while let Some(current) = widget {
        if &current == cell {
            return false;
        }
        if current.is::<gtk::Button>() || current.css_name() == "expander" {
            return true;
        }
        widget = current.parent();
    }
    false
}

/// Whether a primary click with these modifiers toggles its row in the selection (Ctrl alone;
/// Ctrl+Shift extends the selection, which GTK does right).
fn toggles_selection(state: gtk::gdk::ModifierType) -> bool {
    state.contains(gtk::gdk::ModifierType::CONTROL_MASK)
        && !state.contains(gtk::gdk::ModifierType::SHIFT_MASK)
}

/// A click with neither Ctrl nor Shift, which selects just the clicked row.
fn is_plain_click(state: gtk::gdk::ModifierType) -> bool {
    !state.intersects(gtk::gdk::ModifierType::CONTROL_MASK | gtk::gdk::ModifierType::SHIFT_MASK)
}

//! The fleet: every connection with its virtual machines in one `ColumnView`, as a tree (VMs
//! under their host) or as one flat, sortable list of all VMs of all hosts.
//!
//! Rows are list items updated in place by id; a statistics tick redraws only bound cells.

mod cells;
pub mod columns;
pub mod item;
mod name_fill;
mod row_clicks;
mod spark_label;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::rc::Rc;

use gtk::prelude::*;
use gtk::{gio, glib};

use hangar::fleet::{HostSummary, Search, VmSummary};
use hangar::model::{ConnectionId, DomainUuid};

use cells::BoundCells;
pub use columns::RowHandlers;
use columns::{ContextHandler, RetryHandler, SeriesSource};
pub use item::{FleetItem, ItemData};
use name_fill::NameFill;

/// Tree (VMs under their host) or one list of all VMs with a Host column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewMode {
    Tree,
    List,
}

/// The fleet's models and its column view.
pub struct FleetView {
    pub column_view: gtk::ColumnView,
    pub selection: gtk::MultiSelection,
    hosts: gio::ListStore,
    /// Each host's VM store, in host order: the flat list view flattens these.
    vm_stores: gio::ListStore,
    host_filter: gtk::CustomFilter,
    vm_filter: gtk::CustomFilter,
    tree: gtk::SortListModel,
    list: gtk::SortListModel,
    search: Rc<RefCell<Search>>,
    cells: Rc<BoundCells>,
    columns: HashMap<&'static str, gtk::ColumnViewColumn>,
    /// Keeps the name column as wide as the other columns leave room for.
    name_fill: Option<Rc<NameFill>>,
    host_items: HashMap<ConnectionId, FleetItem>,
    vm_items: HashMap<(ConnectionId, DomainUuid), FleetItem>,
    mode: ViewMode,
    /// The optional columns the user chose to see.
    visible_columns: Vec<String>,
    /// The widths of hidden columns, given back when they show again (see
    /// `apply_visible_columns`).
    hidden_widths: RefCell<HashMap<&'static str, i32>>,
    /// The column the view last sorted by (see `columns::sorter`).
    sort_column: Rc<std::cell::Cell<Option<hangar::fleet::Column>>>,
}

impl FleetView {
    pub fn new(on_retry: RetryHandler, handlers: RowHandlers, series: SeriesSource) -> Self {
        let hosts = gio::ListStore::new::<FleetItem>();
        let vm_stores = gio::ListStore::new::<gio::ListStore>();
        let search: Rc<RefCell<Search>> = Rc::default();

        let vm_search = search.clone();
        let vm_filter = gtk::CustomFilter::new(move |object| {
            object
                .downcast_ref::<FleetItem>()
                .and_then(|item| item.vm().map(|vm| vm_search.borrow().matches(&vm)))
                .unwrap_or(false)
        });
        let host_search = search.clone();
        let host_filter = gtk::CustomFilter::new(move |object| {
            let Some(item) = object.downcast_ref::<FleetItem>() else {
                return false;
            };
            let search = host_search.borrow();
            if search.is_empty() {
                return true;
            }
            let Some(host) = item.host() else {
                return false;
            };
            search.matches_host(&host)
                || item.children().is_some_and(|children| {
                    children
                        .iter::<FleetItem>()
                        .flatten()
                        .any(|vm| vm.vm().is_some_and(|vm| search.matches(&vm)))
                })
        });

        let child_filter = vm_filter.clone();
        let tree_search = search.clone();
        let tree_roots = gtk::FilterListModel::new(Some(hosts.clone()), Some(host_filter.clone()));
        let tree_model = gtk::TreeListModel::new(tree_roots, false, true, move |object| {
            let item = object.downcast_ref::<FleetItem>()?;
            let children = item.children()?;
            // A host found by its own name shows all its machines; otherwise only the matches.
            let host_matches = item
                .host()
                .is_some_and(|host| tree_search.borrow().matches_host(&host));
            if host_matches {
                Some(children.upcast())
            } else {
                Some(gtk::FilterListModel::new(Some(children), Some(child_filter.clone())).upcast())
            }
        });
        let flat = gtk::FlattenListModel::new(Some(vm_stores.clone()));
        let flat_filtered = gtk::FilterListModel::new(Some(flat), Some(vm_filter.clone()));
        let list_model = gtk::TreeListModel::new(flat_filtered, false, false, |_| None);

        let column_view = gtk::ColumnView::builder()
            .show_column_separators(false)
            .show_row_separators(false)
            .reorderable(true)
            .css_classes(["data-table"])
            .build();
        crate::ui::a11y::set_label(
            &column_view,
            &hangar::i18n::gettext("Virtual machines of all connections"),
        );
        let cells = Rc::new(BoundCells::default());
        let sort_column: Rc<std::cell::Cell<Option<hangar::fleet::Column>>> = Rc::default();
        let mut columns = HashMap::new();
        for spec in columns::specs() {
            let factory = if spec.key == "name" {
                columns::name_factory(&cells, on_retry.clone())
            } else {
                columns::value_factory(&cells, &series, spec.key)
            };
            let column = gtk::ColumnViewColumn::builder()
                .title(spec.title.as_str())
                .factory(&factory)
                .expand(spec.expand)
                .fixed_width(spec.width)
                .resizable(true)
                .sorter(&columns::sorter(spec.sort, sort_column.clone()))
                .build();
            column_view.append_column(&column);
            columns.insert(spec.key, column);
        }

        if let Some(name) = columns.get("name") {
            column_view.sort_by_column(Some(name), gtk::SortType::Ascending);
        }
        let name_fill = columns.get("name").map(|name| {
            let others: Vec<_> = columns
                .iter()
                .filter(|(key, _)| **key != "name")
                .map(|(_, column)| column.clone())
                .collect();
            NameFill::attach(&column_view, name, &others, columns::NAME_WIDTH_TREE)
        });
        add_menu_key(&column_view, &cells, handlers.context.clone());
        row_clicks::attach(&column_view, &cells, handlers);
        let row_sorter = gtk::TreeListRowSorter::new(column_view.sorter());
        let tree = gtk::SortListModel::new(Some(tree_model), Some(row_sorter.clone()));
        let list = gtk::SortListModel::new(Some(list_model), Some(row_sorter));
        let selection = gtk::MultiSelection::new(Some(tree.clone()));
        column_view.set_model(Some(&selection));

        let view = Self {
            column_view,
            selection,
            hosts,
            vm_stores,
            host_filter,
            vm_filter,
            tree,
            list,
            search,
            cells,
            columns,
            name_fill,
            host_items: HashMap::new(),
            vm_items: HashMap::new(),
            mode: ViewMode::Tree,
            visible_columns: columns::specs()
                .iter()
                .map(|spec| spec.key.to_owned())
                .collect(),
            hidden_widths: RefCell::default(),
            sort_column,
        };
        view.apply_mode();
        view
    }

    /// Switches between the tree and the one-list view.
    pub fn set_mode(&mut self, mode: ViewMode) {
        if mode != self.mode {
            self.mode = mode;
            self.apply_mode();
        }
    }

    fn apply_mode(&self) {
        let model = match self.mode {
            ViewMode::Tree => &self.tree,
            ViewMode::List => &self.list,
        };
        self.selection.set_model(Some(model));
        // Each view has its own smallest name width; a width the user chose is kept.
        if let Some(fill) = &self.name_fill {
            fill.set_minimum(match self.mode {
                ViewMode::Tree => columns::NAME_WIDTH_TREE,
                ViewMode::List => columns::NAME_WIDTH_LIST,
            });
        }
        self.apply_visible_columns();
    }

    /// Shows exactly the listed optional columns. The name column always shows; the Host
    /// column only in the one-list view (in the tree, the host is the row above).
    pub fn set_visible_columns(&mut self, keys: &[String]) {
        self.visible_columns = keys.to_vec();
        self.apply_visible_columns();
    }

    /// A hidden column also gets a width of 0 while it is hidden: GTK 4.8 counts every
    /// column's fixed width in the width of the rows, shown or not (but not in the header's).
    /// Rows wider than the view do no harm left to right; right to left, GTK aligns them on
    /// the view's right edge, which moved every cell left by the hidden columns' widths, out
    /// of sight with the default columns: an empty list in Hebrew or Arabic.
    fn apply_visible_columns(&self) {
        let mut hidden_widths = self.hidden_widths.borrow_mut();
        for (key, column) in &self.columns {
            let visible = match *key {
                "name" => true,
                "host" => self.mode == ViewMode::List,
                key => self.visible_columns.iter().any(|k| k == key),
            };
            if visible {
                if let Some(width) = hidden_widths.remove(key) {
                    column.set_fixed_width(width);
                }
                column.set_visible(true);
            } else if let Entry::Vacant(hidden) = hidden_widths.entry(key) {
                column.set_visible(false);
                hidden.insert(column.fixed_width());
                column.set_fixed_width(0);
            }
        }
    }

    /// The columns in display order with their titles, for the column chooser. Name and Host
    /// are not offered: Name always shows, and Host is what makes the one list (it shows there
    /// and never in the tree, where the host is the row above).
    pub fn column_titles(&self) -> Vec<(&'static str, String)> {
        columns::specs()
            .into_iter()
            .filter(|spec| spec.key != "name" && spec.key != "host")
            .map(|spec| (spec.key, spec.title))
            .collect()
    }

    /// Filters every host's machines by name, UUID, title, state or host.
    pub fn set_search(&self, text: &str) {
        let search = Search::new(text);
        if *self.search.borrow() == search {
            return;
        }
        *self.search.borrow_mut() = search;
        self.vm_filter.changed(gtk::FilterChange::Different);
        self.host_filter.changed(gtk::FilterChange::Different);
    }

    /// Whether nothing is shown although hosts exist (a search without a match).
    pub fn is_empty(&self) -> bool {
        self.selection.n_items() == 0
    }

    pub fn host_count(&self) -> usize {
        self.host_items.len()
    }

    /// Adds or replaces a host row.
    pub fn upsert_host(&mut self, host: HostSummary) {
        if let Some(item) = self.host_items.get(&host.id) {
            item.set_data(ItemData::Host(host));
            return;
        }
        let id = host.id;
        let item = FleetItem::new_host(host);
        self.keeping_top(|| {
            self.hosts.append(&item);
            if let Some(children) = item.children() {
                self.vm_stores.append(&children);
            }
        });
        self.host_items.insert(id, item);
    }

    /// Removes a host and its machines.
    pub fn remove_host(&mut self, id: ConnectionId) {
        let Some(item) = self.host_items.remove(&id) else {
            return;
        };
        self.vm_items.retain(|(connection, _), _| *connection != id);
        if let Some(position) = self.hosts.find(&item) {
            self.hosts.remove(position);
        }
        if let Some(children) = item.children()
            && let Some(position) = self.vm_stores.find(&children)
        {
            self.vm_stores.remove(position);
        }
    }

    pub fn host(&self, id: ConnectionId) -> Option<&FleetItem> {
        self.host_items.get(&id)
    }

    pub fn vm(&self, id: ConnectionId, uuid: DomainUuid) -> Option<&FleetItem> {
        self.vm_items.get(&(id, uuid))
    }

    /// Replaces a host's machines with `vms`, keeping the items of machines that stay (rows
    /// are updated in place, never rebuilt).
    pub fn set_host_vms(&mut self, id: ConnectionId, vms: Vec<VmSummary>) {
        let Some(children) = self.host_items.get(&id).and_then(FleetItem::children) else {
            return;
        };
        let wanted: std::collections::HashSet<DomainUuid> = vms.iter().map(|vm| vm.uuid).collect();
        let mut position = 0;
        while position < children.n_items() {
            let gone = children
                .item(position)
                .and_downcast::<FleetItem>()
                .and_then(|item| item.vm().map(|vm| !wanted.contains(&vm.uuid)))
                .unwrap_or(true);
            if gone {
                children.remove(position);
            } else {
                position += 1;
            }
        }
        self.vm_items
            .retain(|(connection, uuid), _| *connection != id || wanted.contains(uuid));
        let mut added = Vec::new();
        for vm in vms {
            match self.vm_items.get(&(id, vm.uuid)) {
                Some(item) => item.set_data(ItemData::Vm(vm)),
                None => {
                    let key = (id, vm.uuid);
                    let item = FleetItem::new_vm(vm);
                    added.push(item.clone().upcast::<glib::Object>());
                    self.vm_items.insert(key, item);
                }
            }
        }
        let grew = !added.is_empty();
        children.splice(children.n_items(), 0, &added);
        self.host_filter.changed(gtk::FilterChange::Different);
        if grew {
            self.resort_after_insertion();
        }
    }

    /// GTK 4.8's sort model sometimes places rows that a tree host just gained before every
    /// other row (seen: a host's first machine shown at the very top, above all hosts, for as
    /// long as the window lived). A full re-sort puts every row where the sorter says.
    fn resort_after_insertion(&self) {
        self.keeping_top(|| self.resort());
    }

    /// Runs `change` and, if the list was scrolled to its top, shows the top again afterwards.
    /// GTK keeps the row that was first in view where it is, so rows sorted in above it (a
    /// host that answers after one sorting below it) would push the list's top out of sight
    /// of a user who never scrolled. The list moves its scroll position while the next frame
    /// is laid out, so the return to the top runs right after that layout (setting it at once,
    /// or in the frame's tick, was undone by it). Moving the adjustment asks for layout again,
    /// which the frame clock runs before it paints: no frame shows the scrolled list.
    fn keeping_top(&self, change: impl FnOnce()) {
        let adjustment = self.column_view.vadjustment();
        let at_top = adjustment.as_ref().is_some_and(|a| a.value() <= 0.0);
        change();
        if let (true, Some(adjustment)) = (at_top, adjustment) {
            self.column_view.add_tick_callback(move |_, clock| {
                let handler: Rc<Cell<Option<glib::SignalHandlerId>>> = Rc::default();
                let once = handler.clone();
                let adjustment = adjustment.clone();
                let id = clock.connect_closure(
                    "layout",
                    true,
                    glib::closure_local!(move |clock: gtk::gdk::FrameClock| {
                        adjustment.set_value(0.0);
                        if let Some(id) = once.take() {
                            clock.disconnect(id);
                        }
                    }),
                );
                handler.set(Some(id));
                glib::ControlFlow::Break
            });
        }
    }

    /// Adds or updates one machine of a host.
    pub fn upsert_vm(&mut self, vm: VmSummary) {
        let key = (vm.connection, vm.uuid);
        if let Some(item) = self.vm_items.get(&key) {
            item.set_data(ItemData::Vm(vm));
            return;
        }
        let Some(children) = self
            .host_items
            .get(&vm.connection)
            .and_then(FleetItem::children)
        else {
            return;
        };
        let item = FleetItem::new_vm(vm);
        children.append(&item);
        self.vm_items.insert(key, item);
        self.resort_after_insertion();
    }

    /// Removes one machine.
    pub fn remove_vm(&mut self, id: ConnectionId, uuid: DomainUuid) {
        let Some(item) = self.vm_items.remove(&(id, uuid)) else {
            return;
        };
        if let Some(children) = self.host_items.get(&id).and_then(FleetItem::children)
            && let Some(position) = children.find(&item)
        {
            children.remove(position);
        }
    }

    /// Every VM item (for statistics updates).
    pub fn vm_items(&self) -> impl Iterator<Item = (&(ConnectionId, DomainUuid), &FleetItem)> {
        self.vm_items.iter()
    }

    /// The machines whose rows are on screen or about to be (bound by GTK).
    pub fn bound_vms(&self) -> std::collections::HashSet<(ConnectionId, DomainUuid)> {
        self.cells.bound_vms()
    }

    /// Redraws the visible cells of rows that changed; with `all`, every visible cell.
    pub fn refresh(&self, all: bool) {
        if all {
            self.cells.refresh_all();
        } else {
            self.cells.refresh_changed();
        }
    }

    /// The column the rows are sorted by, if the user chose one.
    pub fn sort_column(&self) -> Option<hangar::fleet::Column> {
        self.sort_column.get()
    }

    /// Redraws the on-screen sparklines (their time axis moved).
    pub fn redraw_sparklines(&self) {
        self.cells.redraw_sparklines();
    }

    /// Re-sorts after values changed (sorting by a live column such as CPU).
    pub fn resort(&self) {
        if let Some(sorter) = self.column_view.sorter() {
            sorter.changed(gtk::SorterChange::Different);
        }
    }

    /// The selected rows' items.
    pub fn selected_items(&self) -> Vec<FleetItem> {
        let selected = self.selection.selection();
        let mut items = Vec::new();
        if let Some((iter, first)) = gtk::BitsetIter::init_first(&selected) {
            for position in std::iter::once(first).chain(iter) {
                if let Some(item) = self.item_at(position) {
                    items.push(item);
                }
            }
        }
        items
    }

    /// The item at a position of the view's model.
    pub fn item_at(&self, position: u32) -> Option<FleetItem> {
        self.selection.item(position).and_then(columns::row_item)
    }

    /// Selects the first machine shown and moves the keyboard focus to its row (Down or Enter
    /// in the search entry). Returns whether there is one.
    pub fn focus_first_machine(&self) -> bool {
        let Some((position, item)) = (0..self.selection.n_items())
            .filter_map(|position| Some((position, self.item_at(position)?)))
            .find(|(_, item)| item.vm().is_some())
        else {
            return false;
        };
        self.selection.select_item(position, true);
        // The row (or its cell) takes the focus, so the list's own keys go on from there.
        let mut widget = self.cells.cell_of(&item);
        while let Some(candidate) = widget {
            if candidate == *self.column_view.upcast_ref::<gtk::Widget>() {
                break;
            }
            if candidate.is_focusable() {
                return candidate.grab_focus();
            }
            widget = candidate.parent();
        }
        self.column_view.grab_focus()
    }

    /// Selects exactly the row of `item`, if it is shown.
    pub fn select_item(&self, item: &FleetItem) -> bool {
        let Some(position) = position_of(&self.selection, item) else {
            return false;
        };
        self.selection.select_item(position, true);
        true
    }
}

/// The position of `item`'s row among the view's rows, if it is shown.
fn position_of(rows: &impl IsA<gio::ListModel>, item: &FleetItem) -> Option<u32> {
    (0..rows.n_items())
        .find(|&position| rows.item(position).and_then(columns::row_item).as_ref() == Some(item))
}

/// Shift+F10 and the Menu key open the focused row's menu, as a right-click does.
fn add_menu_key(column_view: &gtk::ColumnView, cells: &Rc<BoundCells>, on_context: ContextHandler) {
    let cells = cells.clone();
    let action = gtk::CallbackAction::new(move |view, _| {
        let Some(view) = view.downcast_ref::<gtk::ColumnView>() else {
            return glib::Propagation::Proceed;
        };
        let Some(focus) = view.root().and_then(|root| root.focus()) else {
            return glib::Propagation::Proceed;
        };
        let Some((item, cell)) = cells.row_holding(&focus) else {
            return glib::Propagation::Proceed;
        };
        let Some(position) = view.model().and_then(|rows| position_of(&rows, &item)) else {
            return glib::Propagation::Proceed;
        };
        // Point at the start of the row, halfway down.
        on_context(position, &cell, 12.0, f64::from(cell.height()) / 2.0);
        glib::Propagation::Stop
    });
    let shortcuts = gtk::ShortcutController::new();
    shortcuts.add_shortcut(gtk::Shortcut::new(
        gtk::ShortcutTrigger::parse_string("<Shift>F10|Menu"),
        Some(action),
    ));
    column_view.add_controller(shortcuts);
}

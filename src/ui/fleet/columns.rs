//! The fleet's columns: how each cell is built, drawn from its row, and sorted.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

use gtk::prelude::*;

use hangar::charts::{SparklineStyle, render_sparkline};
use hangar::fleet::{self, Column, HostStatus, HostSummary, VmSummary};
use hangar::i18n::{gettext, gettext_f, ngettext_f, pgettext};
use hangar::model::ConnectionId;
use hangar::stats::Series;
use hangar::units::{format_kib, format_percent, format_rate};

use super::cells::{self, BoundCells, ColumnKey};
use super::item::{FleetItem, ItemData};
use super::spark_label::SparkLabel;
use crate::ui::labels::{set_icon, set_text, set_tooltip};
use crate::ui::spinner::Spinner;

/// A column's settings key (as stored in `visible-columns`), title and sort column.
pub struct ColumnSpec {
    pub key: ColumnKey,
    pub title: String,
    pub sort: Column,
    pub expand: bool,
    /// Starting width in pixels (the user can resize).
    pub width: i32,
}

/// The name column's smallest width in the tree, where machine rows are indented under their
/// host (it takes whatever more the other columns leave: see `name_fill`).
pub const NAME_WIDTH_TREE: i32 = 260;

/// The name column's smallest width in the one-list view: no indent, and the Host column
/// beside it needs the room.
pub const NAME_WIDTH_LIST: i32 = 210;

/// Every column in display order. The name column is always shown.
pub fn specs() -> Vec<ColumnSpec> {
    let spec = |key, title, sort, expand, width| ColumnSpec {
        key,
        title,
        sort,
        expand,
        width,
    };
    vec![
        spec("name", gettext("Name"), Column::Name, true, NAME_WIDTH_TREE),
        spec("host", pgettext("column", "Host"), Column::Host, false, 110),
        spec(
            "state",
            pgettext("column", "State"),
            Column::State,
            false,
            120,
        ),
        spec("cpu", pgettext("column", "CPU"), Column::Cpu, false, 120),
        spec(
            "host-cpu",
            pgettext("column", "Host CPU"),
            Column::HostCpu,
            false,
            // Room for the sparkline and "100 %".
            130,
        ),
        spec(
            "memory",
            pgettext("column", "Memory"),
            Column::Memory,
            false,
            160,
        ),
        spec(
            "disk",
            pgettext("column", "Disk I/O"),
            Column::Disk,
            false,
            250,
        ),
        spec(
            "network",
            pgettext("column", "Network I/O"),
            Column::Network,
            false,
            250,
        ),
    ]
}

/// What the name column's Retry button asks for.
pub type RetryHandler = Rc<dyn Fn(ConnectionId)>;

/// A right-click on a row: its position in the view's model and the point in `widget`.
pub type ContextHandler = Rc<dyn Fn(u32, &gtk::Widget, f64, f64)>;

/// What clicks on a row ask the window for.
#[derive(Clone)]
pub struct RowHandlers {
    /// The row's menu (right-click, Shift+F10, the Menu key).
    pub context: ContextHandler,
    /// A plain left-click: on a narrow window the row's page slides in, even when the row was
    /// already selected (then the selection does not change and nothing else would show it).
    pub clicked: Rc<dyn Fn()>,
}

/// The recent history a row's sparkline draws in a column: none, one or two series.
pub type SeriesSource = Rc<dyn Fn(&ItemData, ColumnKey) -> Vec<Series>>;

/// The row item behind a list item: the tree row's item, or the item itself in a flat list.
pub fn fleet_item(list_item: &gtk::ListItem) -> Option<FleetItem> {
    list_item.item().and_then(row_item)
}

/// The fleet item a row of the view's model stands for (rows are tree rows in both views).
pub fn row_item(object: gtk::glib::Object) -> Option<FleetItem> {
    match object.downcast::<gtk::TreeListRow>() {
        Ok(row) => row.item().and_downcast::<FleetItem>(),
        Err(object) => object.downcast::<FleetItem>().ok(),
    }
}

/// Builds a factory whose cells are made by `setup` and redrawn by `draw` whenever their row
/// changes (and, with `sparkline`, at every tick while on screen). `W` holds typed handles to
/// a cell's widgets.
fn factory<W: Clone + 'static>(
    cells: &Rc<BoundCells>,
    column: ColumnKey,
    setup: impl Fn() -> (gtk::Widget, W) + 'static,
    sparkline: bool,
    draw: impl Fn(&W, &FleetItem, &gtk::ListItem) + 'static,
) -> gtk::SignalListItemFactory {
    let widgets: Rc<RefCell<HashMap<usize, (gtk::Widget, W)>>> = Rc::default();
    let draw = Rc::new(draw);
    let factory = gtk::SignalListItemFactory::new();
    let setup_widgets = widgets.clone();
    let map_cells = cells.clone();
    factory.connect_setup(move |_, object| {
        let Some(list_item) = object.downcast_ref::<gtk::ListItem>() else {
            return;
        };
        let (root, handles) = setup();
        // Off-screen cells skip refreshes; coming on screen, they catch up.
        let bound = map_cells.clone();
        let key = cells::key(list_item, column);
        root.connect_map(move |_| bound.mapped(key));
        list_item.set_child(Some(&root));
        setup_widgets
            .borrow_mut()
            .insert(list_item.as_ptr() as usize, (root, handles));
    });
    let bind_widgets = widgets.clone();
    let bind_cells = cells.clone();
    factory.connect_bind(move |_, object| {
        let Some(list_item) = object.downcast_ref::<gtk::ListItem>() else {
            return;
        };
        let (Some(item), Some((root, handles))) = (
            fleet_item(list_item),
            bind_widgets
                .borrow()
                .get(&(list_item.as_ptr() as usize))
                .cloned(),
        ) else {
            return;
        };
        let draw = draw.clone();
        let weak_list_item = list_item.downgrade();
        bind_cells.bind(list_item, column, item, root, sparkline, move |item| {
            if let Some(list_item) = weak_list_item.upgrade() {
                draw(&handles, item, &list_item);
            }
        });
    });
    let unbind_cells = cells.clone();
    factory.connect_unbind(move |_, object| {
        if let Some(list_item) = object.downcast_ref::<gtk::ListItem>() {
            unbind_cells.unbind(cells::key(list_item, column));
        }
    });
    factory.connect_teardown(move |_, object| {
        if let Some(list_item) = object.downcast_ref::<gtk::ListItem>() {
            widgets.borrow_mut().remove(&(list_item.as_ptr() as usize));
        }
    });
    factory
}

/// A connected host's machine count for its State cell: "No machines", "1 machine", "9 machines".
fn machine_count(count: usize) -> String {
    if count == 0 {
        return gettext("No machines");
    }
    let n = u32::try_from(count).unwrap_or(u32::MAX);
    ngettext_f(
        "{n} machine",
        "{n} machines",
        n,
        &[("n", &count.to_string())],
    )
}

/// Greys a cell whose row's data is out of date.
fn set_stale(widget: &impl IsA<gtk::Widget>, stale: bool) {
    set_class(widget, "stale", stale);
}

/// Adds or removes a style class (cells are recycled: each draw sets every class it uses).
fn set_class(widget: &impl IsA<gtk::Widget>, class: &str, on: bool) {
    if on {
        widget.add_css_class(class);
    } else {
        widget.remove_css_class(class);
    }
}

/// "Updated 12 s ago" for data last fresh at `since`.
pub fn age_text(since: Instant) -> String {
    let seconds = since.elapsed().as_secs();
    if seconds < 120 {
        gettext_f(
            "Updated {seconds} s ago",
            &[("seconds", &seconds.to_string())],
        )
    } else {
        gettext_f(
            "Updated {minutes} min ago",
            &[("minutes", &(seconds / 60).to_string())],
        )
    }
}

const NOT_AVAILABLE: &str = "—";

fn not_available_tooltip() -> String {
    gettext("Not available from this hypervisor")
}

/// Sets a value label, or a dash with an explanation when the value is not available.
fn set_value(label: &gtk::Label, value: Option<String>) {
    match value {
        Some(text) => {
            set_text(label, &text);
            set_tooltip(label, None);
        }
        None => {
            set_text(label, NOT_AVAILABLE);
            set_tooltip(label, Some(&not_available_tooltip()));
        }
    }
}

const TWO_LINES: &str = "two";
const ONE_LINE: &str = "one";

/// Shows `name` over `subtitle`, or `name` alone, centred, without one. The hidden page's
/// labels are emptied so a screen reader finds each text once.
fn show_lines(cell: &NameCell, name: &str, subtitle: Option<&str>) {
    match subtitle {
        Some(subtitle) => {
            set_text(&cell.title, name);
            set_text(&cell.subtitle, subtitle);
            set_text(&cell.single, "");
            cell.lines.set_visible_child_name(TWO_LINES);
        }
        None => {
            set_text(&cell.single, name);
            set_text(&cell.title, "");
            set_text(&cell.subtitle, "");
            cell.lines.set_visible_child_name(ONE_LINE);
        }
    }
}

#[derive(Clone)]
struct NameCell {
    expander: gtk::TreeExpander,
    /// Icon, lines, and the spinner and Retry button once made.
    content: gtk::Box,
    icon: gtk::Image,
    /// Two lines (name and subtitle) or one centred line, always two lines high: rows of one
    /// height scroll smoothly, where rows of mixed heights make GTK 4.8 re-estimate the list's
    /// positions as they pass (a third of the frames dropped in the scrolling benchmark).
    lines: gtk::Stack,
    title: gtk::Label,
    subtitle: gtk::Label,
    /// The name alone, centred, for a machine without a title.
    single: gtk::Label,
    /// Made the first time the cell shows a busy machine or a connecting host, and the Retry
    /// button the first time it shows a host that can be retried: most cells never do, and
    /// every widget in a row is paid for in each of the ~200 rows GTK keeps bound.
    spinner: Rc<OnceCell<Spinner>>,
    retry: Rc<OnceCell<gtk::Button>>,
    /// The host the Retry button currently stands for (cells are recycled between rows).
    retry_target: Rc<Cell<Option<ConnectionId>>>,
    on_retry: RetryHandler,
}

impl NameCell {
    /// Shows the spinner turning, or hides it (making it only when it is first needed).
    fn set_busy(&self, busy: bool) {
        if let Some(spinner) = self.spinner.get() {
            spinner.set_visible(busy);
        } else if busy {
            let spinner = Spinner::new(16);
            spinner.set_valign(gtk::Align::Center);
            self.content.insert_child_after(&spinner, Some(&self.lines));
            let _ = self.spinner.set(spinner);
        }
    }

    /// The Retry button, made and added to the row the first time it is needed.
    fn retry_button(&self) -> &gtk::Button {
        self.retry.get_or_init(|| {
            let retry = gtk::Button::builder()
                .valign(gtk::Align::Center)
                .css_classes(["flat"])
                .build();
            let target = self.retry_target.clone();
            let on_retry = self.on_retry.clone();
            retry.connect_clicked(move |_| {
                if let Some(id) = target.get() {
                    on_retry(id);
                }
            });
            self.content.append(&retry);
            retry
        })
    }

    /// Hides the Retry button, if the cell has one.
    fn hide_retry(&self) {
        if let Some(retry) = self.retry.get() {
            retry.set_visible(false);
        }
        self.retry_target.set(None);
    }
}

/// The name column: tree expander, state icon, name and subtitle, spinner, Retry.
pub fn name_factory(cells: &Rc<BoundCells>, on_retry: RetryHandler) -> gtk::SignalListItemFactory {
    factory(
        cells,
        "name",
        move || {
            let icon = gtk::Image::new();
            let title = gtk::Label::builder()
                .xalign(0.0)
                .ellipsize(gtk::pango::EllipsizeMode::End)
                .build();
            let subtitle = gtk::Label::builder()
                .xalign(0.0)
                .ellipsize(gtk::pango::EllipsizeMode::End)
                .css_classes(["dim-label", "caption"])
                .build();
            let text = gtk::Box::new(gtk::Orientation::Vertical, 0);
            text.append(&title);
            text.append(&subtitle);
            let single = gtk::Label::builder()
                .xalign(0.0)
                .valign(gtk::Align::Center)
                .ellipsize(gtk::pango::EllipsizeMode::End)
                .build();
            // A stack is as high as its highest page, shown or not.
            let lines = gtk::Stack::builder()
                .hexpand(true)
                .vhomogeneous(true)
                .hhomogeneous(false)
                .build();
            lines.add_named(&text, Some(TWO_LINES));
            lines.add_named(&single, Some(ONE_LINE));
            let content = gtk::Box::new(gtk::Orientation::Horizontal, 8);
            content.append(&icon);
            content.append(&lines);
            let expander = gtk::TreeExpander::new();
            expander.set_child(Some(&content));
            let handles = NameCell {
                expander: expander.clone(),
                content,
                icon,
                lines,
                title,
                subtitle,
                single,
                spinner: Rc::default(),
                retry: Rc::default(),
                retry_target: Rc::default(),
                on_retry: on_retry.clone(),
            };
            (expander.upcast(), handles)
        },
        false,
        |cell, item, list_item| {
            let row = list_item.item().and_downcast::<gtk::TreeListRow>();
            cell.expander.set_list_row(row.as_ref());
            match &*item.data() {
                ItemData::Host(host) => draw_host_name(cell, host),
                ItemData::Vm(vm) => draw_vm_name(cell, vm),
            }
        },
    )
}

fn draw_host_name(cell: &NameCell, host: &HostSummary) {
    set_icon(&cell.icon, "network-server-symbolic");
    let status = match (&host.status, host.stale_since) {
        (HostStatus::Connected, Some(since)) => age_text(since),
        (HostStatus::Connected, None) => host.uri.clone(),
        _ => fleet::host_status_text(host),
    };
    show_lines(cell, &host.label, Some(&status));
    cell.title.add_css_class("heading");
    // A failure or a lost connection is an error; a disconnect the user asked for is not.
    let failed = matches!(
        host.status,
        HostStatus::Failed(_) | HostStatus::Disconnected(Some(_))
    );
    let disconnected = host.status == HostStatus::Disconnected(None);
    // libvirt's reason is often longer than the cell: the tooltip holds all of it.
    let tooltip = if failed {
        format!("{}\n{}", host.uri, status)
    } else {
        host.uri.clone()
    };
    set_tooltip(&cell.subtitle, Some(&tooltip));
    set_class(&cell.subtitle, "error", failed);
    set_class(&cell.expander, "no-children", host.vm_count == 0);
    cell.set_busy(host.status == HostStatus::Connecting);
    if failed || disconnected {
        draw_retry(cell, host, disconnected);
    } else {
        cell.hide_retry();
    }
    // Only a connected host's row greys while its figures age; an error stays readable.
    set_stale(
        &cell.expander,
        host.status == HostStatus::Connected && host.stale_since.is_some(),
    );
}

/// Shows the Retry button (Connect, for a host the user disconnected) for `host`.
fn draw_retry(cell: &NameCell, host: &HostSummary, disconnected: bool) {
    let retry = cell.retry_button();
    retry.set_visible(true);
    cell.retry_target.set(Some(host.id));
    let (label, accessible) = if disconnected {
        (
            gettext("Connect"),
            gettext_f("Connect to {host}", &[("host", &host.label)]),
        )
    } else {
        (
            gettext("Retry"),
            gettext_f("Retry connecting to {host}", &[("host", &host.label)]),
        )
    };
    if retry.label().as_deref() != Some(label.as_str()) {
        retry.set_label(&label);
    }
    crate::ui::a11y::set_label(retry, &accessible);
}

fn draw_vm_name(cell: &NameCell, vm: &VmSummary) {
    set_icon(&cell.icon, fleet::state_icon(vm.state));
    set_tooltip(&cell.icon, Some(&fleet::state_label(vm.state)));
    show_lines(cell, &vm.name, (!vm.title.is_empty()).then_some(&vm.title));
    cell.title.remove_css_class("heading");
    cell.subtitle.remove_css_class("error");
    cell.expander.remove_css_class("no-children");
    set_tooltip(&cell.subtitle, None);
    cell.set_busy(vm.busy.is_some());
    cell.hide_retry();
    set_stale(&cell.expander, vm.stale_since.is_some());
}

/// A value cell: a label, with a sparkline of the row's recent history before it when the
/// column has one. Without a sparkline the label is the cell.
#[derive(Clone)]
struct ValueCell {
    root: gtk::Widget,
    label: gtk::Label,
    spark: Option<SparkLabel>,
    /// The row the sparkline draws (cells are recycled between rows).
    shown: Rc<RefCell<Option<FleetItem>>>,
}

/// A column of one right- or left-aligned label whose text comes from the row, with a
/// sparkline when `sparkline` gives the series to draw.
fn label_factory(
    cells: &Rc<BoundCells>,
    column: ColumnKey,
    numeric: bool,
    sparkline: Option<SeriesSource>,
    text: impl Fn(&ItemData) -> Option<Option<String>> + 'static,
) -> gtk::SignalListItemFactory {
    let has_sparkline = sparkline.is_some();
    factory(
        cells,
        column,
        move || {
            let label = gtk::Label::builder()
                .xalign(if numeric { 1.0 } else { 0.0 })
                .hexpand(true)
                .ellipsize(gtk::pango::EllipsizeMode::End)
                .build();
            if numeric {
                label.add_css_class("numeric");
            }
            let shown: Rc<RefCell<Option<FleetItem>>> = Rc::default();
            let spark = sparkline.clone().map(|source| {
                let shown = shown.clone();
                SparkLabel::new(&label, move |widget, cr, size| {
                    let Some(item) = shown.borrow().clone() else {
                        return;
                    };
                    let series = source(&item.data(), column);
                    // The charts' colours: the theme's accent first (CPU, read, receive).
                    let colours = crate::ui::chart::line_colours(widget);
                    for (index, (series, colour)) in series.iter().zip(colours).enumerate() {
                        let mut style = SparklineStyle::new(colour);
                        // A pair's second line is drawn without fill: two fills over each
                        // other would blend into a third colour.
                        if index > 0 {
                            style.fill_alpha = 0.0;
                        }
                        // A failed sparkline leaves its cell blank; the value is still shown.
                        let _ = render_sparkline(cr, size, series, &style);
                    }
                })
            });
            let root: gtk::Widget = spark
                .as_ref()
                .map_or_else(|| label.clone().upcast(), |spark| spark.clone().upcast());
            let cell = ValueCell {
                root: root.clone(),
                label,
                spark,
                shown,
            };
            (root, cell)
        },
        has_sparkline,
        move |cell, item, _| {
            let data = item.data();
            // Outer None: the column says nothing for this kind of row; inner None: not available.
            let value = text(&data);
            match &value {
                None => {
                    set_text(&cell.label, "");
                    set_tooltip(&cell.label, None);
                }
                Some(value) => set_value(&cell.label, value.clone()),
            }
            if let Some(spark) = &cell.spark {
                *cell.shown.borrow_mut() = Some(item.clone());
                // Only rows with a value draw a history (an off machine shows nothing).
                spark.set_chart_shown(matches!(value, Some(Some(_))));
            }
            set_stale(&cell.root, stale_since(&data).is_some());
        },
    )
}

fn stale_since(data: &ItemData) -> Option<Instant> {
    match data {
        ItemData::Host(host) if host.status == HostStatus::Connected => host.stale_since,
        ItemData::Host(_) => None,
        ItemData::Vm(vm) => vm.stale_since,
    }
}

/// "1.2 GiB / 4.0 GiB", or just the allocation when use is unknown.
fn memory_text(used_kib: Option<u64>, total_kib: Option<u64>) -> Option<String> {
    match (used_kib, total_kib) {
        (Some(used), Some(total)) => Some(gettext_f(
            "{used} / {total}",
            &[("used", &format_kib(used)), ("total", &format_kib(total))],
        )),
        (None, Some(total)) if total > 0 => Some(format_kib(total)),
        (Some(used), None) => Some(format_kib(used)),
        _ => None,
    }
}

/// "↓ 1.2 MiB/s ↑ 40 KiB/s" style pair of rates.
fn rate_pair(first: Option<f64>, second: Option<f64>, template: &str) -> Option<String> {
    if first.is_none() && second.is_none() {
        return None;
    }
    let format = |rate: Option<f64>| {
        rate.map(format_rate)
            .unwrap_or_else(|| NOT_AVAILABLE.into())
    };
    Some(hangar::i18n::format(
        template,
        &[("first", &format(first)), ("second", &format(second))],
    ))
}

/// Whether a VM's live figures mean anything (an off machine shows nothing, not zeros).
fn live(vm: &VmSummary) -> bool {
    vm.state.is_active()
}

/// The factory of every column but the name column.
pub fn value_factory(
    cells: &Rc<BoundCells>,
    series: &SeriesSource,
    key: ColumnKey,
) -> gtk::SignalListItemFactory {
    let spark = Some(series.clone());
    match key {
        "host" => label_factory(cells, key, false, None, |data| match data {
            ItemData::Vm(vm) => Some(Some(vm.host_label.clone())),
            ItemData::Host(_) => None,
        }),
        "state" => label_factory(cells, key, false, None, |data| match data {
            ItemData::Vm(vm) => Some(Some(
                vm.busy
                    .clone()
                    .unwrap_or_else(|| fleet::state_label(vm.state)),
            )),
            ItemData::Host(host) => Some(Some(match &host.status {
                HostStatus::Connected => machine_count(host.vm_count),
                status => fleet::host_state_word(status),
            })),
        }),
        "cpu" => label_factory(cells, key, true, spark.clone(), |data| match data {
            ItemData::Vm(vm) if live(vm) => Some(vm.cpu_percent.map(format_percent)),
            ItemData::Vm(_) => None,
            // A connection's CPU is its guests' share of the host: shown here, where it
            // is seen with the default columns, and not again under Host CPU.
            ItemData::Host(host) if host.status == HostStatus::Connected => {
                Some(host.cpu_percent.map(format_percent))
            }
            ItemData::Host(_) => None,
        }),
        "host-cpu" => label_factory(cells, key, true, spark.clone(), |data| match data {
            ItemData::Vm(vm) if live(vm) => Some(vm.host_cpu_percent.map(format_percent)),
            ItemData::Vm(_) | ItemData::Host(_) => None,
        }),
        "memory" => label_factory(cells, key, true, None, |data| match data {
            ItemData::Vm(vm) if live(vm) => Some(memory_text(
                vm.memory_used_kib,
                Some(vm.memory_allocated_kib),
            )),
            ItemData::Vm(vm) => Some(Some(format_kib(vm.memory_allocated_kib))),
            ItemData::Host(host) if host.status == HostStatus::Connected => {
                Some(memory_text(host.memory_used_kib, host.memory_total_kib))
            }
            ItemData::Host(_) => None,
        }),
        "disk" => label_factory(cells, key, true, spark.clone(), |data| match data {
            // Translators: disk read and write rates.
            ItemData::Vm(vm) if live(vm) => Some(rate_pair(
                vm.disk_read_bps,
                vm.disk_write_bps,
                &gettext("R {first} · W {second}"),
            )),
            _ => None,
        }),
        "network" => label_factory(cells, key, true, spark.clone(), |data| match data {
            // Translators: network receive and transmit rates.
            ItemData::Vm(vm) if live(vm) => Some(rate_pair(
                vm.net_rx_bps,
                vm.net_tx_bps,
                &gettext("↓ {first} ↑ {second}"),
            )),
            _ => None,
        }),
        other => unreachable!("no column {other}"),
    }
}

/// Sorts rows by a column: VMs by `fleet::compare_vms`, hosts by their label (hosts are the
/// tree's top level, which the tree sorter keeps apart from their VMs).
///
/// GTK 4.8 cannot tell which column the view sorts by, so each sorter notes in `in_use` that
/// it ran: the view only runs its primary column's sorter (ties never reach the next column,
/// because `compare_vms` never returns Equal for two machines).
pub fn sorter(column: Column, in_use: Rc<Cell<Option<Column>>>) -> gtk::CustomSorter {
    gtk::CustomSorter::new(move |a, b| {
        in_use.set(Some(column));
        let (Some(a), Some(b)) = (a.downcast_ref::<FleetItem>(), b.downcast_ref::<FleetItem>())
        else {
            return gtk::Ordering::Equal;
        };
        let order = match (&*a.data(), &*b.data()) {
            (ItemData::Vm(a), ItemData::Vm(b)) => fleet::compare_vms(column, a, b),
            (ItemData::Host(a), ItemData::Host(b)) => fleet::natural_cmp(&a.label, &b.label),
            (ItemData::Host(_), ItemData::Vm(_)) => std::cmp::Ordering::Less,
            (ItemData::Vm(_), ItemData::Host(_)) => std::cmp::Ordering::Greater,
        };
        order.into()
    })
}

#[cfg(test)]
mod tests {
    use super::machine_count;

    #[test]
    fn a_hosts_machine_count_reads_in_words() {
        assert_eq!(machine_count(0), "No machines");
        assert_eq!(machine_count(1), "1 machine");
        assert_eq!(machine_count(9), "9 machines");
    }
}

//! The main window: header bar, the fleet (every connection with its machines) beside the
//! selected item's page, and the everyday actions. Driver updates stream in over one channel;
//! nothing here calls libvirt — commands go through the driver's async handles.

mod bench;
mod charts;
mod connections;
mod console_sync;
mod context_menu;
mod layout;
mod per_domain_scope;
#[cfg(test)]
pub(crate) use {context_menu::popup_menu, layout::vm_menu};
mod sparklines;
mod updates;
mod vm_actions;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::{gio, glib};
use relm4::prelude::*;

use hangar::actions::VmAction;
use hangar::cli::{Options, ShowPage};
use hangar::driver::{ConnectionUpdate, Driver, OpenOptions};
use hangar::i18n::gettext;
use hangar::model::{ConnectionId, DomainUuid};
use hangar::stats::{Retention, StatsGroups, StatsStore};

use super::add_connection::{AddConnection, AddConnectionOutput};
use super::credential_provider::{PromptJob, UiCredentials};
use super::fleet::{FleetView, RowHandlers, ViewMode};
use super::host_page::HostPage;
use super::settings::settings;
use super::vm_page::VmPage;
use connections::HostEntry;
use layout::Layout;
use vm_actions::{Batch, Target};

/// Messages the window understands.
#[derive(Debug)]
pub enum WindowInput {
    /// A command line, from this launch or forwarded by a second one.
    CommandLine(Options),
    /// Remember the window size before it closes.
    SaveGeometry,
    /// Updates from the driver, batched as they arrived.
    Driver(Vec<ConnectionUpdate>),
    /// The fleet's selection changed.
    SelectionChanged,
    /// Slide a narrow window over to the shown page (a row or the fleet overview was clicked).
    RevealPage,
    /// The search text changed.
    Search(String),
    /// Down or Enter in the search entry, with its text: on to the first machine found.
    FocusResults(String),
    /// Tree or one list.
    SetViewMode(ViewMode),
    /// Which optional columns to show.
    SetColumns(Vec<String>),
    /// Open the Add Connection dialog.
    ShowAddConnection,
    /// Open the dialog for an existing connection.
    EditConnection(ConnectionId),
    /// The Add/Edit Connection dialog's answer.
    ConnectionDialog(AddConnectionOutput),
    /// Try a failed or disconnected connection again.
    Connect(ConnectionId),
    Disconnect(ConnectionId),
    /// Asks before forgetting a connection.
    RemoveConnection(ConnectionId),
    /// Forget the connection: the user confirmed.
    RemoveConfirmed(ConnectionId),
    /// An action on the selected machines (asks first when configured to).
    Action(VmAction),
    /// The action, confirmed, on these machines.
    Run(VmAction, Vec<Target>),
    /// Right-click on a row (position in the view's model, point in the column view).
    ContextMenu(u32, f64, f64),
    /// Once a second: ages ("updated 12 s ago") move on.
    Tick,
    /// Statistics settings changed.
    PollingChanged,
    /// Redraw the visible charts (a new ranking, or the frame after a tick's).
    RedrawCharts,
    /// The redraw the pacer deferred after statistics ticks.
    PacedRedraw,
    /// Select this machine in the fleet (from a busiest-machines list).
    SelectMachine(ConnectionId, DomainUuid),
}

/// Results of async work started by the window.
#[derive(Debug)]
pub enum WindowCommand {
    /// One machine's action finished.
    ActionDone {
        batch: u64,
        target: Target,
        result: Result<(), String>,
    },
}

/// The main window's state.
pub struct Window {
    settings: gio::Settings,
    driver: Driver,
    hosts: HashMap<ConnectionId, HostEntry>,
    fleet: FleetView,
    /// Shared with the fleet's sparkline cells, which read it while drawing.
    stats: Rc<RefCell<StatsStore>>,
    layout: Layout,
    host_page: HostPage,
    vm_page: VmPage,
    /// The pages' charts: VM Performance tab, host page, fleet overview.
    charts: charts::PageCharts,
    /// What the page area shows.
    shown: Shown,
    /// A `--show-*` request waiting for its machine or host to appear.
    pending_show: Option<ShowPage>,
    /// The hosts that request is about: its command line's `--connect` hosts (none: any host).
    pending_hosts: Vec<ConnectionId>,
    batches: HashMap<u64, Batch>,
    next_batch: u64,
    add_dialog: Option<Controller<AddConnection>>,
    /// Where the driver sends its updates (drained by a main-loop task into `Driver` messages).
    updates: tokio::sync::mpsc::UnboundedSender<ConnectionUpdate>,
    /// Benchmark hook: where to report when every connection's machines are listed.
    bench_events: Option<std::path::PathBuf>,
    started: Instant,
}

/// What the page area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Nothing,
    Host(ConnectionId),
    Vm(ConnectionId, DomainUuid),
    Many,
}

impl Component for Window {
    type Init = ();
    type Input = WindowInput;
    type Output = ();
    type CommandOutput = WindowCommand;
    type Root = adw::ApplicationWindow;
    type Widgets = ();

    fn init_root() -> Self::Root {
        adw::ApplicationWindow::new(&relm4::main_adw_application())
    }

    fn init(
        _init: Self::Init,
        root: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let settings = settings();
        let (credentials, prompts) = UiCredentials::new();
        let driver = Driver::new(Arc::new(credentials));
        driver.hold_opens();
        allow_opens_after_first_frame(&root, &driver);
        let retention = Retention::new(
            settings.uint("history-minutes"),
            settings.uint("polling-interval"),
        )
        .unwrap_or_default();
        let stats = Rc::new(RefCell::new(StatsStore::new(retention)));
        let retry_sender = sender.clone();
        let context_sender = sender.clone();
        let column_view_cell: std::rc::Rc<std::cell::RefCell<Option<gtk::ColumnView>>> =
            Default::default();
        let view_for_menu = column_view_cell.clone();
        let click_sender = sender.clone();
        let fleet = FleetView::new(
            std::rc::Rc::new(move |id| retry_sender.input(WindowInput::Connect(id))),
            RowHandlers {
                context: std::rc::Rc::new(move |position, widget: &gtk::Widget, x, y| {
                    // Menus point into the column view, whatever cell was clicked.
                    let point = view_for_menu
                        .borrow()
                        .as_ref()
                        .and_then(|view| widget.translate_coordinates(view, x, y))
                        .unwrap_or((x, y));
                    context_sender.input(WindowInput::ContextMenu(position, point.0, point.1));
                }),
                clicked: std::rc::Rc::new(move || click_sender.input(WindowInput::RevealPage)),
            },
            {
                let stats = stats.clone();
                Rc::new(move |data, column| sparklines::series(&stats.borrow(), data, column))
            },
        );
        *column_view_cell.borrow_mut() = Some(fleet.column_view.clone());
        let layout = Layout::build(&root, &settings, &fleet, &sender);
        let host_page = HostPage::new();
        let vm_page = VmPage::new();
        layout.add_pages(&host_page, &vm_page);
        let charts = charts::PageCharts::new(
            &stats,
            &sender,
            Duration::from_secs(u64::from(settings.uint("polling-interval").max(1))),
        );
        vm_page.add_tab(
            &charts.vm_tab,
            "performance",
            &gettext("Performance"),
            "power-profile-performance-symbolic",
        );
        host_page.add_performance(&charts.host_section);
        layout.add_overview(&charts.overview.root);

        let mut model = Window {
            updates: updates::spawn_update_loop(&sender),
            driver,
            hosts: HashMap::new(),
            fleet,
            stats,
            layout,
            host_page,
            vm_page,
            charts,
            shown: Shown::Nothing,
            pending_show: None,
            pending_hosts: Vec::new(),
            batches: HashMap::new(),
            next_batch: 1,
            add_dialog: None,
            bench_events: std::env::var_os("HANGAR_BENCH_EVENTS").map(Into::into),
            started: Instant::now(),
            settings,
        };
        model.fleet.set_visible_columns(
            &model
                .settings
                .strv("visible-columns")
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        );
        model.layout.update_empty_state(&model.fleet);
        let groups = model.stats_groups();
        let interval = model.open_options().poll_interval;
        model.charts_settings_changed(groups, interval);
        spawn_prompt_loop(&root, prompts);
        spawn_tick(&sender);
        watch_polling_settings(&model.settings, &sender);
        model.open_saved_connections();
        model.open_bench_console();
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, message: Self::Input, sender: ComponentSender<Self>, root: &Self::Root) {
        match message {
            WindowInput::CommandLine(options) => self.apply_command_line(options),
            WindowInput::SaveGeometry => self.save_geometry(root),
            WindowInput::Driver(updates) => self.apply_updates(updates),
            WindowInput::SelectionChanged => self.show_selection(),
            WindowInput::RevealPage => self.layout.reveal_page(),
            WindowInput::Search(text) => self.search(&text),
            WindowInput::FocusResults(text) => {
                // The entry reports its text a moment after typing: Enter may come first.
                self.search(&text);
                self.fleet.focus_first_machine();
            }
            WindowInput::SetViewMode(mode) => {
                self.fleet.set_mode(mode);
                let nick = if mode == ViewMode::List {
                    "list"
                } else {
                    "tree"
                };
                let _ = self.settings.set_string("fleet-view", nick);
                self.layout.update_empty_state(&self.fleet);
            }
            WindowInput::SetColumns(keys) => {
                self.fleet.set_visible_columns(&keys);
                let _ = self.settings.set_strv(
                    "visible-columns",
                    keys.iter().map(String::as_str).collect::<Vec<_>>(),
                );
            }
            WindowInput::ShowAddConnection => self.show_connection_dialog(None, root, &sender),
            WindowInput::EditConnection(id) => self.show_connection_dialog(Some(id), root, &sender),
            WindowInput::ConnectionDialog(output) => self.apply_connection_dialog(output),
            WindowInput::Connect(id) => self.connect(id),
            WindowInput::Disconnect(id) => self.disconnect(id),
            WindowInput::RemoveConnection(id) => self.confirm_remove_connection(id, root, &sender),
            WindowInput::RemoveConfirmed(id) => self.remove_connection(id),
            WindowInput::Action(action) => self.request_action(action, root, &sender),
            WindowInput::Run(action, targets) => self.run_action(action, targets, &sender),
            WindowInput::ContextMenu(position, x, y) => self.show_context_menu(position, x, y),
            WindowInput::Tick => self.tick(),
            WindowInput::PollingChanged => self.apply_polling_settings(),
            WindowInput::RedrawCharts => self.redraw_charts(),
            WindowInput::PacedRedraw => self.paced_redraw(),
            WindowInput::SelectMachine(connection, uuid) => self.select_machine(connection, uuid),
        }
        self.layout.update_actions(&self.fleet.selected_items());
    }

    fn update_cmd(
        &mut self,
        message: Self::CommandOutput,
        _sender: ComponentSender<Self>,
        _root: &Self::Root,
    ) {
        match message {
            WindowCommand::ActionDone {
                batch,
                target,
                result,
            } => self.action_done(batch, target, result),
        }
    }
}

impl Window {
    fn save_geometry(&self, window: &adw::ApplicationWindow) {
        let (width, height) = window.default_size();
        let _ = self.settings.set_int("window-width", width);
        let _ = self.settings.set_int("window-height", height);
        let _ = self
            .settings
            .set_boolean("window-maximized", window.is_maximized());
    }

    /// Filters the fleet by `text`, or shows "No Results Found".
    fn search(&self, text: &str) {
        self.fleet.set_search(text);
        self.layout.update_empty_state(&self.fleet);
    }

    fn updates_sender(&self) -> tokio::sync::mpsc::UnboundedSender<ConnectionUpdate> {
        self.updates.clone()
    }

    /// The options every new connection opens with, from the statistics preferences.
    fn open_options(&self) -> OpenOptions {
        OpenOptions {
            poll_interval: Duration::from_secs(u64::from(
                self.settings.uint("polling-interval").max(1),
            )),
            stats_groups: self.stats_groups(),
            ..OpenOptions::default()
        }
    }

    fn stats_groups(&self) -> StatsGroups {
        StatsGroups {
            cpu: self.settings.boolean("stats-cpu"),
            memory: self.settings.boolean("stats-memory"),
            disk: self.settings.boolean("stats-disk"),
            network: self.settings.boolean("stats-network"),
        }
    }

    /// The polling interval, history length or collected statistics changed.
    fn apply_polling_settings(&mut self) {
        let options = self.open_options();
        for entry in self.hosts.values() {
            entry
                .connection
                .set_polling(options.poll_interval, options.stats_groups);
        }
        if let Ok(retention) = Retention::new(
            self.settings.uint("history-minutes"),
            self.settings.uint("polling-interval"),
        ) && retention != self.stats.borrow().retention()
        {
            self.stats.borrow_mut().set_retention(retention);
        }
        self.charts_settings_changed(options.stats_groups, options.poll_interval);
    }

    /// Once a second: redraw ages of stale rows.
    fn tick(&mut self) {
        if self.hosts.values().any(|entry| entry.stale_since.is_some()) {
            self.fleet.refresh(true);
        }
        self.charts_tick();
    }
}

/// Shows each credential prompt the driver asks for, one at a time, over the window.
fn spawn_prompt_loop(
    window: &adw::ApplicationWindow,
    mut prompts: tokio::sync::mpsc::UnboundedReceiver<PromptJob>,
) {
    let window = window.downgrade();
    glib::spawn_future_local(async move {
        while let Some(job) = prompts.recv().await {
            let parent = window.upgrade().map(|w| w.upcast::<gtk::Window>());
            let answers = super::credentials::ask(parent.as_ref(), job.request).await;
            let _ = job.reply.send(answers);
        }
    });
}

/// Lets connections open once the window has drawn its first frame and the main loop has
/// nothing left to do, so that an in-process driver's inventory parse does not share heap
/// pages with the window's making (`Driver::hold_opens`). A window that draws nothing within a
/// second (say, started minimised) lets them open then.
fn allow_opens_after_first_frame(root: &adw::ApplicationWindow, driver: &Driver) {
    let after_frame = driver.clone();
    root.add_tick_callback(move |_, _| {
        // The tick is the frame's update phase: the idle callback runs after its painting.
        let driver = after_frame.clone();
        glib::idle_add_local_full(glib::Priority::LOW, move || {
            driver.allow_opens();
            glib::ControlFlow::Break
        });
        glib::ControlFlow::Break
    });
    let fallback = driver.clone();
    glib::timeout_add_local_once(Duration::from_secs(1), move || fallback.allow_opens());
}

fn spawn_tick(sender: &ComponentSender<Window>) {
    let sender = sender.clone();
    glib::timeout_add_seconds_local(1, move || {
        sender.input(WindowInput::Tick);
        glib::ControlFlow::Continue
    });
}

fn watch_polling_settings(settings: &gio::Settings, sender: &ComponentSender<Window>) {
    for key in [
        "polling-interval",
        "history-minutes",
        "stats-cpu",
        "stats-memory",
        "stats-disk",
        "stats-network",
    ] {
        let sender = sender.clone();
        settings.connect_changed(Some(key), move |_, _| {
            sender.input(WindowInput::PollingChanged)
        });
    }
}

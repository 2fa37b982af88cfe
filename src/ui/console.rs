//! The embedded VNC console: the VM page's Console tab, consoles detached into their own
//! windows, and fullscreen.
//!
//! The tab shows the console of the machine the VM page shows; a console runs only while it
//! is visible (its tab shown, or its own window open) — see `hangar::console_model::lifecycle`.
//! Detaching moves the live console (no reconnection) into a window; the tab then says so.
//! Fullscreen from the tab detaches into a fullscreen window and comes back when it ends.
//!
//! ```ignore
//! // The window, whenever the shown page or a machine's state may have changed:
//! console_tab.show_machine(Some(ConsoleMachine { connection, connection_id, uuid, name, state }));
//! console_tab.sync(|id, uuid| /* Some((state, name)) of any machine, None if gone */);
//! ```

mod actions;
mod connect;
mod display;
mod input;
mod password;
mod runtime;
mod status;
mod toolbar;
mod view;
mod window;

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;
use gtk::glib::translate::IntoGlib;
use gtk::{gdk, gio};

use hangar::console_model::{GrabCombo, Modifier, ModifierSet};
use hangar::driver::Connection;
use hangar::i18n::gettext;
use hangar::model::{ConnectionId, DomainState, DomainUuid};

use connect::ConsoleSource;
pub use view::{ConsoleView, MachineKey};
use window::ConsoleWindow;

/// The `console-grab-keys` accelerator as GTK parses it.
fn parse_grab_setting(settings: &gio::Settings) -> Option<(gdk::Key, gdk::ModifierType)> {
    gtk::accelerator_parse(settings.string("console-grab-keys"))
}

/// The grab combination from the `console-grab-keys` setting (Ctrl+Alt if it is unusable).
fn settings_grab_combo(settings: &gio::Settings) -> GrabCombo {
    let Some((key, modifiers)) = parse_grab_setting(settings) else {
        return GrabCombo::default();
    };
    let mut set = ModifierSet::EMPTY;
    for (mask, modifier) in [
        (gdk::ModifierType::SHIFT_MASK, Modifier::Shift),
        (gdk::ModifierType::CONTROL_MASK, Modifier::Control),
        (gdk::ModifierType::ALT_MASK, Modifier::Alt),
        (gdk::ModifierType::META_MASK, Modifier::Alt),
        (gdk::ModifierType::SUPER_MASK, Modifier::Super),
        (gdk::ModifierType::HYPER_MASK, Modifier::Super),
    ] {
        if modifiers.contains(mask) {
            set = set.with(modifier);
        }
    }
    GrabCombo::new(set, key.into_glib()).unwrap_or_default()
}

/// The grab combination in words ("Ctrl+Alt").
fn grab_combo_label(settings: &gio::Settings) -> String {
    let combo = settings_grab_combo(settings);
    if combo.key().is_some()
        && let Some((key, modifiers)) = parse_grab_setting(settings)
    {
        return gtk::accelerator_get_label(key.to_lower(), modifiers).to_string();
    }
    let names = [
        (Modifier::Shift, gettext("Shift")),
        (Modifier::Control, gettext("Ctrl")),
        (Modifier::Alt, gettext("Alt")),
        (Modifier::Super, gettext("Super")),
        (Modifier::Level3, gettext("AltGr")),
    ];
    names
        .into_iter()
        .filter(|(modifier, _)| combo.modifiers().contains(*modifier))
        .map(|(_, name)| name)
        .collect::<Vec<_>>()
        .join("+")
}

/// The machine the VM page shows, as the console needs it.
#[derive(Clone)]
pub struct ConsoleMachine {
    pub connection: Connection,
    pub connection_id: ConnectionId,
    pub uuid: DomainUuid,
    pub name: String,
    pub state: DomainState,
}

impl ConsoleMachine {
    fn key(&self) -> MachineKey {
        (self.connection_id, self.uuid)
    }
}

/// A console in its own window.
struct Detached {
    view: ConsoleView,
    window: ConsoleWindow,
    /// Went fullscreen from the tab: comes back to the tab when fullscreen ends.
    back_after_fullscreen: bool,
}

struct TabInner {
    root: gtk::Box,
    /// The console in the tab (of the shown machine, unless that one is detached).
    current: RefCell<Option<ConsoleView>>,
    /// The machine the VM page shows.
    shown: RefCell<Option<ConsoleMachine>>,
    /// "This console is in its own window".
    placeholder: adw::StatusPage,
    detached: RefCell<Vec<Detached>>,
}

/// The VM page's Console tab and every detached console.
#[derive(Clone)]
pub struct ConsoleTab {
    inner: Rc<TabInner>,
}

impl Default for ConsoleTab {
    fn default() -> Self {
        Self::new()
    }
}

impl ConsoleTab {
    pub fn new() -> ConsoleTab {
        let root = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .vexpand(true)
            .hexpand(true)
            .build();
        let show = gtk::Button::builder()
            .label(gettext("_Show Window"))
            .use_underline(true)
            .css_classes(["pill", "suggested-action"])
            .build();
        let back = gtk::Button::builder()
            .label(gettext("_Bring Back"))
            .use_underline(true)
            .css_classes(["pill"])
            .build();
        let buttons = gtk::Box::builder()
            .spacing(12)
            .halign(gtk::Align::Center)
            .build();
        buttons.append(&show);
        buttons.append(&back);
        let placeholder = adw::StatusPage::builder()
            .icon_name("window-new-symbolic")
            .title(gettext("Console in Its Own Window"))
            .description(gettext(
                "The console of this machine is shown in a separate window.",
            ))
            .child(&buttons)
            .vexpand(true)
            .visible(false)
            .build();
        root.append(&placeholder);
        let tab = ConsoleTab {
            inner: Rc::new(TabInner {
                root,
                current: RefCell::default(),
                shown: RefCell::default(),
                placeholder,
                detached: RefCell::default(),
            }),
        };
        let weak = Rc::downgrade(&tab.inner);
        show.connect_clicked(move |_| {
            if let Some(tab) = weak.upgrade().map(|inner| ConsoleTab { inner }) {
                tab.present_shown_window();
            }
        });
        let weak = Rc::downgrade(&tab.inner);
        back.connect_clicked(move |_| {
            if let Some(tab) = weak.upgrade().map(|inner| ConsoleTab { inner }) {
                let key = tab.shown_key();
                if let Some(key) = key {
                    tab.attach(key);
                }
            }
        });
        tab
    }

    /// The tab's page.
    pub fn root(&self) -> &gtk::Box {
        &self.inner.root
    }

    fn shown_key(&self) -> Option<MachineKey> {
        self.inner.shown.borrow().as_ref().map(ConsoleMachine::key)
    }

    /// Shows the console of `machine` (the machine the VM page shows), or none.
    pub fn show_machine(&self, machine: Option<ConsoleMachine>) {
        self.inner.shown.replace(machine.clone());
        let Some(machine) = machine else {
            self.drop_current();
            self.inner.placeholder.set_visible(false);
            return;
        };
        let detached = self.find_detached(machine.key());
        if let Some(view) = detached {
            self.drop_current();
            view.set_title(&machine.name);
            view.set_guest_active(machine.state.is_active());
            self.inner.placeholder.set_visible(true);
            return;
        }
        self.inner.placeholder.set_visible(false);
        let current = self.inner.current.borrow().clone();
        match current {
            Some(view) if view.key() == Some(machine.key()) => {
                view.set_title(&machine.name);
                view.set_guest_active(machine.state.is_active());
            }
            _ => {
                self.drop_current();
                let view = ConsoleView::new(
                    ConsoleSource::Libvirt {
                        connection: machine.connection.clone(),
                        uuid: machine.uuid,
                    },
                    Some(machine.key()),
                    &machine.name,
                    machine.state.is_active(),
                );
                self.wire(&view);
                self.inner.root.append(view.root());
                self.inner.current.replace(Some(view));
            }
        }
    }

    /// Updates detached consoles from `lookup`, which gives a machine's state and name, or
    /// `None` once it is gone.
    pub fn sync(&self, lookup: impl Fn(ConnectionId, DomainUuid) -> Option<(DomainState, String)>) {
        let views: Vec<ConsoleView> = self
            .inner
            .detached
            .borrow()
            .iter()
            .map(|detached| detached.view.clone())
            .collect();
        for view in views {
            let Some((id, uuid)) = view.key() else {
                continue;
            };
            match lookup(id, uuid) {
                Some((state, name)) => {
                    view.set_title(&name);
                    view.set_guest_active(state.is_active());
                }
                None => view.set_guest_active(false),
            }
        }
    }

    /// Opens a console on a VNC server at `host:port` in its own window (the benchmark hook
    /// `HANGAR_BENCH_CONSOLE`); returns it.
    pub fn open_direct(&self, host: &str, port: u16) -> ConsoleView {
        let view = ConsoleView::new(
            ConsoleSource::Direct {
                host: host.to_owned(),
                port,
            },
            None,
            &format!("{host}:{port}"),
            true,
        );
        self.wire(&view);
        self.detach_view(view.clone(), false);
        view
    }

    fn find_detached(&self, key: MachineKey) -> Option<ConsoleView> {
        self.inner
            .detached
            .borrow()
            .iter()
            .find(|detached| detached.view.key() == Some(key))
            .map(|detached| detached.view.clone())
    }

    fn drop_current(&self) {
        if let Some(view) = self.inner.current.take() {
            self.inner.root.remove(view.root());
            view.close();
        }
    }

    /// Connects a view's Detach and Fullscreen requests to this tab.
    fn wire(&self, view: &ConsoleView) {
        let weak = Rc::downgrade(&self.inner);
        let key = view.key();
        let handle = Rc::downgrade(&view.inner);
        view.connect_detach(move || {
            let (Some(inner), Some(view)) = (weak.upgrade(), handle.upgrade()) else {
                return;
            };
            let tab = ConsoleTab { inner };
            let view = ConsoleView { inner: view };
            if view.inner.detached.get() {
                match key {
                    Some(key) => tab.attach(key),
                    None => tab.close_window_of(&view),
                }
            } else {
                tab.detach_current(false);
            }
        });
        let weak = Rc::downgrade(&self.inner);
        let handle = Rc::downgrade(&view.inner);
        view.connect_fullscreen(move |fullscreen| {
            let (Some(inner), Some(view)) = (weak.upgrade(), handle.upgrade()) else {
                return;
            };
            let tab = ConsoleTab { inner };
            let view = ConsoleView { inner: view };
            if view.inner.detached.get() {
                tab.set_window_fullscreen(&view, fullscreen);
            } else if fullscreen {
                tab.detach_current(true);
            }
        });
    }

    /// Moves the tab's console into its own window (fullscreen with `fullscreen`).
    fn detach_current(&self, fullscreen: bool) {
        let Some(view) = self.inner.current.take() else {
            return;
        };
        self.inner.root.remove(view.root());
        self.inner.placeholder.set_visible(true);
        self.detach_view(view, fullscreen);
    }

    fn detach_view(&self, view: ConsoleView, fullscreen: bool) {
        let window = ConsoleWindow::new(&view);
        view.set_placement(true, fullscreen);
        window.set_fullscreen_chrome(fullscreen);
        let weak = Rc::downgrade(&self.inner);
        let handle = Rc::downgrade(&view.inner);
        window.window.connect_fullscreened_notify(move |window| {
            let (Some(inner), Some(view)) = (weak.upgrade(), handle.upgrade()) else {
                return;
            };
            let tab = ConsoleTab { inner };
            tab.window_fullscreen_changed(&ConsoleView { inner: view }, window.is_fullscreen());
        });
        let weak = Rc::downgrade(&self.inner);
        let handle = Rc::downgrade(&view.inner);
        window.window.connect_close_request(move |_| {
            if let (Some(inner), Some(view)) = (weak.upgrade(), handle.upgrade()) {
                ConsoleTab { inner }.window_closed(&ConsoleView { inner: view });
            }
            gtk::glib::Propagation::Proceed
        });
        if fullscreen {
            window.window.fullscreen();
        }
        window.window.present();
        self.inner.detached.borrow_mut().push(Detached {
            view,
            window,
            back_after_fullscreen: fullscreen,
        });
    }

    fn set_window_fullscreen(&self, view: &ConsoleView, fullscreen: bool) {
        let detached = self.inner.detached.borrow();
        if let Some(entry) = detached
            .iter()
            .find(|d| Rc::ptr_eq(&d.view.inner, &view.inner))
        {
            if fullscreen {
                entry.window.window.fullscreen();
            } else {
                entry.window.window.unfullscreen();
            }
        }
    }

    fn window_fullscreen_changed(&self, view: &ConsoleView, fullscreen: bool) {
        let back = {
            let detached = self.inner.detached.borrow();
            let Some(entry) = detached
                .iter()
                .find(|d| Rc::ptr_eq(&d.view.inner, &view.inner))
            else {
                return;
            };
            entry.window.set_fullscreen_chrome(fullscreen);
            view.set_placement(true, fullscreen);
            !fullscreen && entry.back_after_fullscreen
        };
        if back && let Some(key) = view.key() {
            self.attach(key);
        }
    }

    /// Moves a detached console back into the tab if the tab shows its machine; otherwise
    /// its window closes (and the console with it).
    fn attach(&self, key: MachineKey) {
        let entry = {
            let mut detached = self.inner.detached.borrow_mut();
            let Some(at) = detached.iter().position(|d| d.view.key() == Some(key)) else {
                return;
            };
            detached.remove(at)
        };
        entry.window.release(&entry.view);
        if self.shown_key() == Some(key) {
            self.drop_current();
            self.inner.placeholder.set_visible(false);
            entry.view.set_placement(false, false);
            self.inner.root.append(entry.view.root());
            self.inner.current.replace(Some(entry.view));
        } else {
            entry.view.close();
        }
        entry.window.window.destroy();
    }

    fn close_window_of(&self, view: &ConsoleView) {
        let window = self
            .inner
            .detached
            .borrow()
            .iter()
            .find(|d| Rc::ptr_eq(&d.view.inner, &view.inner))
            .map(|d| d.window.window.clone());
        if let Some(window) = window {
            window.close();
        }
    }

    /// A detached console's window was closed: the console ends; if the tab shows its
    /// machine, a fresh console takes its place there.
    fn window_closed(&self, view: &ConsoleView) {
        let entry = {
            let mut detached = self.inner.detached.borrow_mut();
            let Some(at) = detached
                .iter()
                .position(|d| Rc::ptr_eq(&d.view.inner, &view.inner))
            else {
                return;
            };
            detached.remove(at)
        };
        entry.view.close();
        let shown = self.inner.shown.borrow().clone();
        if shown.is_some() && shown.as_ref().map(ConsoleMachine::key) == entry.view.key() {
            self.show_machine(shown);
        }
    }

    /// Presents the window of the shown machine's detached console.
    fn present_shown_window(&self) {
        let key = self.shown_key();
        let detached = self.inner.detached.borrow();
        if let Some(entry) = detached
            .iter()
            .find(|d| d.view.key() == key && key.is_some())
        {
            entry.window.window.present();
        }
    }
}

//! One machine's console: toolbar, the display widget or a status page, and the session
//! behind them. The [`Lifecycle`] decides when to connect; this file carries its steps out
//! (planning the route and starting sessions on the consoles' runtime, timers for retries and
//! the hidden grace period) and turns session events into pixels, pointer images, clipboard
//! text and words. Input lives in `input.rs`, the toolbar's actions in `actions.rs`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use adw::prelude::*;
use gtk::{gio, glib};

use hangar::console_model::scaling::desktop_size_for;
use hangar::console_model::{KeyboardState, Lifecycle, Outcome, Phase, ScalingMode, Step};
use hangar::i18n::gettext;
use hangar::model::{ConnectionId, DomainUuid};
use hangar::secrets::SecretKey;
use hangar::vnc::{
    ButtonMask, DisconnectReason, Session, SessionEvent, SessionEvents, SessionHandle,
    SessionOptions, SessionState,
};

use super::connect::{self, ConsoleSource};
use super::display::ConsoleDisplay;
use super::input::Grab;
use super::password::{self, PasswordAsker};
use super::status::{self, StatusAction};
use super::toolbar::{self, Toolbar};
use super::{runtime, settings_grab_combo};
use crate::ui::a11y;
use crate::ui::spinner::Spinner;

/// Identifies a libvirt guest's console.
pub type MachineKey = (ConnectionId, DomainUuid);

/// What the owner (the tab) hears from a console.
#[derive(Default)]
pub(super) struct Callbacks {
    /// Detach / back to the tab was pressed.
    pub detach: Option<Box<dyn Fn()>>,
    /// Fullscreen was toggled (the wanted state).
    pub fullscreen: Option<Box<dyn Fn(bool)>>,
}

/// A pending `glib` timeout, removed when replaced or dropped.
#[derive(Default)]
pub(super) struct Timer(RefCell<Option<glib::SourceId>>);

impl Timer {
    pub fn start(&self, delay: Duration, then: impl FnOnce() + 'static) {
        self.cancel();
        let then = RefCell::new(Some(then));
        let id = glib::timeout_add_local_once(delay, move || {
            if let Some(then) = then.borrow_mut().take() {
                then();
            }
        });
        *self.0.borrow_mut() = Some(id);
    }

    /// Forgets a timer that has fired (its source is gone).
    pub fn fired(&self) {
        self.0.borrow_mut().take();
    }

    pub fn cancel(&self) {
        if let Some(id) = self.0.borrow_mut().take() {
            id.remove();
        }
    }
}

/// The console's state; shared by its widgets' handlers through `Rc`/`Weak`.
pub(super) struct Inner {
    pub source: ConsoleSource,
    pub key: Option<MachineKey>,
    pub title: RefCell<String>,
    pub lifecycle: RefCell<Lifecycle>,
    pub session: RefCell<Option<SessionHandle>>,
    /// The session showed its desktop (input goes to it).
    pub connected: Cell<bool>,
    /// Counts sessions; events of an older one are ignored.
    pub generation: Cell<u64>,
    pub root: gtk::Box,
    pub stack: gtk::Stack,
    pub overlay: gtk::Overlay,
    pub display: ConsoleDisplay,
    pub status: adw::StatusPage,
    pub status_button: gtk::Button,
    pub status_action: Cell<Option<StatusAction>>,
    pub spinner: Spinner,
    pub toolbar: Toolbar,
    pub overlay_toolbar: Toolbar,
    pub overlay_revealer: gtk::Revealer,
    pub hint: gtk::Label,
    pub hint_revealer: gtk::Revealer,
    pub hint_timer: Timer,
    pub actions: gio::SimpleActionGroup,
    pub keyboard: RefCell<KeyboardState>,
    pub grab: RefCell<Option<Grab>>,
    pub buttons: Cell<ButtonMask>,
    pub scroll: Cell<(f64, f64)>,
    pub retry_timer: Timer,
    pub grace_timer: Timer,
    pub resize_timer: Timer,
    /// The server accepts SetDesktopSize.
    pub resizable: Cell<bool>,
    pub asker: Arc<PasswordAsker>,
    /// The last clipboard text the guest sent (not echoed back to it).
    pub guest_clipboard: RefCell<Option<String>>,
    pub detached: Cell<bool>,
    pub fullscreen: Cell<bool>,
    pub callbacks: RefCell<Callbacks>,
    pub file_chooser: RefCell<Option<gtk::FileChooserNative>>,
    pub settings: gio::Settings,
}

/// One machine's console (cheap to clone: shared).
#[derive(Clone)]
pub struct ConsoleView {
    pub(super) inner: Rc<Inner>,
}

impl ConsoleView {
    /// A console for `source`, titled `title` (the machine's name); `guest_active` says
    /// whether the guest has a display process now. It connects once shown.
    pub fn new(
        source: ConsoleSource,
        key: Option<MachineKey>,
        title: &str,
        guest_active: bool,
    ) -> ConsoleView {
        let settings = crate::ui::settings::settings();
        let display = ConsoleDisplay::new();
        a11y::set_label(&display, &gettext("Guest display"));
        let mode = ScalingMode::from_nick(&settings.string("console-scaling")).unwrap_or_default();
        display.set_mode(mode);
        // The guest's own size is the natural size of the page around it.
        let scroller = gtk::ScrolledWindow::builder()
            .child(&display)
            .hexpand(true)
            .vexpand(true)
            .propagate_natural_width(true)
            .propagate_natural_height(true)
            .build();
        scroller.add_css_class("console-scroller");
        let toolbar = toolbar::build(false);
        let overlay_toolbar = toolbar::build(true);
        overlay_toolbar.set_fullscreen(true);
        let overlay_revealer = gtk::Revealer::builder()
            .child(&overlay_toolbar.root)
            .transition_type(gtk::RevealerTransitionType::SlideDown)
            .valign(gtk::Align::Start)
            .halign(gtk::Align::Center)
            .visible(false)
            .build();
        let hint = gtk::Label::builder()
            .wrap(true)
            .justify(gtk::Justification::Center)
            .margin_top(6)
            .margin_bottom(6)
            .margin_start(12)
            .margin_end(12)
            .build();
        let hint_box = gtk::Box::builder()
            .css_classes(["osd", "app-notification"])
            .build();
        hint_box.append(&hint);
        let hint_revealer = gtk::Revealer::builder()
            .child(&hint_box)
            .transition_type(gtk::RevealerTransitionType::Crossfade)
            .valign(gtk::Align::End)
            .halign(gtk::Align::Center)
            .margin_bottom(24)
            .can_target(false)
            .build();
        let overlay = gtk::Overlay::builder().child(&scroller).build();
        overlay.add_overlay(&hint_revealer);
        overlay.add_overlay(&overlay_revealer);

        // It turns only while on screen (see `Spinner`): a turning spinner keeps the frame
        // clock ticking at the display's rate, which on a VM page whose Console tab was never
        // opened cost the GTK thread ~5 % of a core.
        let spinner = Spinner::new(32);
        spinner.set_halign(gtk::Align::Center);
        let status_button = gtk::Button::builder()
            .use_underline(true)
            .halign(gtk::Align::Center)
            .css_classes(["pill", "suggested-action"])
            .build();
        let status_child = gtk::Box::new(gtk::Orientation::Vertical, 12);
        status_child.append(&spinner);
        status_child.append(&status_button);
        let status = adw::StatusPage::builder()
            .child(&status_child)
            .vexpand(true)
            .build();
        let stack = gtk::Stack::builder()
            .transition_type(gtk::StackTransitionType::Crossfade)
            .vexpand(true)
            .build();
        stack.add_named(&overlay, Some("display"));
        stack.add_named(&status, Some("status"));
        stack.set_visible_child_name("status");

        let root = gtk::Box::new(gtk::Orientation::Vertical, 0);
        root.append(&toolbar.root);
        let separator = gtk::Separator::new(gtk::Orientation::Horizontal);
        toolbar
            .root
            .bind_property("visible", &separator, "visible")
            .sync_create()
            .build();
        root.append(&separator);
        root.append(&stack);

        let secret_key = match &source {
            ConsoleSource::Libvirt { connection, uuid } => Some(SecretKey::Vnc {
                uri: connection.uri().to_owned(),
                domain: *uuid,
            }),
            ConsoleSource::Direct { .. } => None,
        };
        let (asker, prompts) = PasswordAsker::new(secret_key);
        let inner = Rc::new(Inner {
            source,
            key,
            title: RefCell::new(title.to_owned()),
            lifecycle: RefCell::new(Lifecycle::new(guest_active)),
            session: RefCell::default(),
            connected: Cell::new(false),
            generation: Cell::new(0),
            root,
            stack,
            overlay,
            display,
            status,
            status_button,
            status_action: Cell::new(None),
            spinner,
            toolbar,
            overlay_toolbar,
            overlay_revealer,
            hint,
            hint_revealer,
            hint_timer: Timer::default(),
            actions: gio::SimpleActionGroup::new(),
            keyboard: RefCell::new(KeyboardState::new(settings_grab_combo(&settings))),
            grab: RefCell::default(),
            buttons: Cell::new(ButtonMask::NONE),
            scroll: Cell::new((0.0, 0.0)),
            retry_timer: Timer::default(),
            grace_timer: Timer::default(),
            resize_timer: Timer::default(),
            resizable: Cell::new(false),
            asker,
            guest_clipboard: RefCell::default(),
            detached: Cell::new(false),
            fullscreen: Cell::new(false),
            callbacks: RefCell::default(),
            file_chooser: RefCell::default(),
            settings,
        });
        inner.install_actions();
        inner.attach_input();
        inner.connect_signals();
        inner.spawn_prompts(prompts);
        inner.refresh_status();
        ConsoleView { inner }
    }

    /// The widget to place in a tab or window.
    pub fn root(&self) -> &gtk::Box {
        &self.inner.root
    }

    pub fn key(&self) -> Option<MachineKey> {
        self.inner.key
    }

    pub fn title(&self) -> String {
        self.inner.title.borrow().clone()
    }

    pub fn set_title(&self, title: &str) {
        self.inner.title.replace(title.to_owned());
    }

    /// The guest's power state changed (from the window's lifecycle updates).
    pub fn set_guest_active(&self, active: bool) {
        let step = self.inner.lifecycle.borrow_mut().set_guest_active(active);
        self.inner.apply(step);
    }

    pub fn connect_detach(&self, callback: impl Fn() + 'static) {
        self.inner.callbacks.borrow_mut().detach = Some(Box::new(callback));
    }

    pub fn connect_fullscreen(&self, callback: impl Fn(bool) + 'static) {
        self.inner.callbacks.borrow_mut().fullscreen = Some(Box::new(callback));
    }

    /// Where the console is now: in its own window or the tab, fullscreen or not.
    pub fn set_placement(&self, detached: bool, fullscreen: bool) {
        let inner = &self.inner;
        // GTK 4.8's action helpers lose sight of a group inserted on a widget that moved to
        // another window (the buttons turn insensitive); inserting it again fixes them.
        inner
            .root
            .insert_action_group("console", None::<&gio::ActionGroup>);
        inner
            .root
            .insert_action_group("console", Some(&inner.actions));
        inner.detached.set(detached);
        inner.fullscreen.set(fullscreen);
        inner.toolbar.set_detached(detached);
        inner.toolbar.set_fullscreen(fullscreen);
        inner.toolbar.root.set_visible(!fullscreen);
        inner.overlay_revealer.set_visible(fullscreen);
        inner.overlay_revealer.set_reveal_child(false);
        if let Some(action) = inner.action("fullscreen") {
            action.set_state(&fullscreen.to_variant());
        }
    }

    /// Ends the console for good (its tab or window is going away).
    pub fn close(&self) {
        let inner = &self.inner;
        inner.set_grabbed(false);
        inner.retry_timer.cancel();
        inner.grace_timer.cancel();
        inner.resize_timer.cancel();
        inner.hint_timer.cancel();
        inner.close_session();
    }

    /// Textures drawn so far (for the benchmark hook).
    pub fn frames(&self) -> u64 {
        self.inner.display.frames()
    }
}

impl Inner {
    pub fn action(&self, name: &str) -> Option<gio::SimpleAction> {
        self.actions
            .lookup_action(name)
            .and_downcast::<gio::SimpleAction>()
    }

    fn connect_signals(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        self.root.connect_map(move |_| {
            if let Some(inner) = weak.upgrade() {
                let step = inner.lifecycle.borrow_mut().set_shown(true);
                inner.grace_timer.cancel();
                inner.apply(step);
                // A paused session resumes when its next frame is taken.
                inner.display.queue_draw();
            }
        });
        let weak = Rc::downgrade(self);
        self.root.connect_unmap(move |_| {
            if let Some(inner) = weak.upgrade() {
                inner.set_grabbed(false);
                let step = inner.lifecycle.borrow_mut().set_shown(false);
                inner.apply(step);
            }
        });
        let weak = Rc::downgrade(self);
        self.status_button.connect_clicked(move |_| {
            if let Some(inner) = weak.upgrade() {
                inner.status_clicked();
            }
        });
        let weak = Rc::downgrade(self);
        self.display.connect_allocated(move || {
            if let Some(inner) = weak.upgrade() {
                inner.schedule_guest_resize();
            }
        });
        let weak = Rc::downgrade(self);
        self.settings
            .connect_changed(Some("console-grab-keys"), move |settings, _| {
                if let Some(inner) = weak.upgrade() {
                    inner
                        .keyboard
                        .borrow_mut()
                        .set_combo(settings_grab_combo(settings));
                }
            });
        let weak = Rc::downgrade(self);
        self.display.clipboard().connect_changed(move |clipboard| {
            if let Some(inner) = weak.upgrade() {
                inner.local_clipboard_changed(clipboard);
            }
        });
    }

    /// Carries out what the lifecycle decided, then shows the new phase.
    pub fn apply(self: &Rc<Self>, step: Step) {
        match step {
            Step::Nothing => {}
            Step::Connect { ask_password } => self.start_session(ask_password),
            Step::Close => self.close_session(),
            Step::Pause { grace } => {
                let weak = Rc::downgrade(self);
                self.grace_timer.start(grace, move || {
                    if let Some(inner) = weak.upgrade() {
                        inner.grace_timer.fired();
                        let step = inner.lifecycle.borrow_mut().hidden_for_long();
                        inner.apply(step);
                    }
                });
            }
            Step::RetryAfter(delay) => {
                let weak = Rc::downgrade(self);
                self.retry_timer.start(delay, move || {
                    if let Some(inner) = weak.upgrade() {
                        inner.retry_timer.fired();
                        let step = inner.lifecycle.borrow_mut().retry_due();
                        inner.apply(step);
                    }
                });
            }
        }
        self.refresh_status();
    }

    fn start_session(self: &Rc<Self>, ask_password: bool) {
        self.retry_timer.cancel();
        self.close_session();
        let generation = self.generation.get();
        self.asker.set_ask_user(ask_password);
        let source = self.source.clone();
        let weak = Rc::downgrade(self);
        glib::spawn_future_local(async move {
            let planned = runtime::run(connect::open_target(source)).await;
            let Some(inner) = weak.upgrade() else {
                return;
            };
            if inner.generation.get() != generation {
                return; // closed or replaced meanwhile
            }
            let target = match planned {
                Ok(Ok(target)) => target,
                Ok(Err(outcome)) => {
                    let step = inner.lifecycle.borrow_mut().session_outcome(outcome);
                    inner.apply(step);
                    return;
                }
                Err(reason) => {
                    let step = inner
                        .lifecycle
                        .borrow_mut()
                        .session_outcome(Outcome::Driver(reason));
                    inner.apply(step);
                    return;
                }
            };
            let runtime = match runtime::handle() {
                Ok(runtime) => runtime,
                Err(reason) => {
                    let step = inner
                        .lifecycle
                        .borrow_mut()
                        .session_outcome(Outcome::Driver(reason));
                    inner.apply(step);
                    return;
                }
            };
            let options = SessionOptions {
                password: Some(inner.asker.provider()),
                ..SessionOptions::default()
            };
            let (handle, events) = Session::start(&runtime, target, options);
            inner
                .display
                .set_framebuffer(Some(handle.framebuffer().clone()));
            *inner.session.borrow_mut() = Some(handle);
            inner.spawn_events(generation, events);
        });
    }

    pub fn close_session(&self) {
        self.generation.set(self.generation.get() + 1);
        self.connected.set(false);
        self.resizable.set(false);
        if let Some(handle) = self.session.borrow_mut().take() {
            handle.close();
        }
        self.display.set_framebuffer(None);
        self.display.set_cursor(None);
        self.keyboard.borrow_mut().release_all();
        self.buttons.set(ButtonMask::NONE);
    }

    fn spawn_events(self: &Rc<Self>, generation: u64, mut events: SessionEvents) {
        let weak = Rc::downgrade(self);
        glib::spawn_future_local(async move {
            while let Some(event) = events.recv().await {
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                if inner.generation.get() != generation {
                    return;
                }
                inner.session_event(event);
            }
        });
    }

    fn session_event(self: &Rc<Self>, event: SessionEvent) {
        match event {
            SessionEvent::Damaged => self.display.damaged(),
            SessionEvent::Resized {
                width,
                height,
                resizable,
            } => {
                self.resizable.set(resizable);
                self.display.resized(width, height);
                self.refresh_status();
            }
            SessionEvent::Cursor(image) => self.display.set_remote_cursor(&image),
            SessionEvent::Bell => self.display.error_bell(),
            SessionEvent::Clipboard(text) => {
                self.display.clipboard().set_text(&text);
                self.guest_clipboard.replace(Some(text));
            }
            SessionEvent::DesktopSizeRefused { reason } => self.show_hint(&reason),
            SessionEvent::State(state) => self.session_state(state),
        }
    }

    fn session_state(self: &Rc<Self>, state: SessionState) {
        let outcome = match state {
            SessionState::Connecting | SessionState::AuthenticationRequired => {
                self.refresh_status();
                return;
            }
            SessionState::Connected { width, height } => {
                self.connected.set(true);
                self.asker.connected();
                self.display.resized(width, height);
                self.stack.set_visible_child_name("display");
                if self.root.is_mapped() {
                    self.display.grab_focus();
                    self.show_grab_hint(false);
                }
                self.schedule_guest_resize();
                Outcome::Connected
            }
            SessionState::Disconnected(DisconnectReason::Closed) => Outcome::Closed,
            SessionState::Disconnected(DisconnectReason::ServerClosed) => Outcome::ServerClosed,
            SessionState::AuthenticationFailed(error) | SessionState::Error(error) => {
                Outcome::Error(error)
            }
        };
        if outcome != Outcome::Connected {
            // The session is over: forget it without closing again.
            self.generation.set(self.generation.get() + 1);
            self.session.borrow_mut().take();
            self.connected.set(false);
            self.set_grabbed(false);
            self.keyboard.borrow_mut().release_all();
        }
        let step = self.lifecycle.borrow_mut().session_outcome(outcome);
        self.apply(step);
    }

    /// Shows the display or the status page for the current phase, and the state in words.
    pub fn refresh_status(&self) {
        let phase = self.lifecycle.borrow().phase().clone();
        let can_run = matches!(self.source, ConsoleSource::Libvirt { .. });
        let connected = phase == Phase::Connected;
        for name in ["screenshot", "scaling", "grab-keyboard"] {
            if let Some(action) = self.action(name) {
                action.set_enabled(connected);
            }
        }
        let words = match &phase {
            Phase::Connected => {
                let (width, height) = self.display.guest_size();
                SessionState::Connected { width, height }.to_string()
            }
            other => status::content(other, can_run)
                .map(|content| content.title)
                .unwrap_or_default(),
        };
        self.toolbar.status.set_label(&words);
        self.overlay_toolbar.status.set_label(&words);
        match status::content(&phase, can_run) {
            None => {
                self.stack.set_visible_child_name("display");
            }
            Some(content) => {
                self.status.set_icon_name(Some(content.icon));
                self.status.set_title(&content.title);
                self.status.set_description(Some(&content.description));
                // Shown only while busy; it spins while shown (see `new`).
                self.spinner.set_visible(content.busy);
                match &content.button {
                    Some((label, action)) => {
                        self.status_button.set_label(label);
                        self.status_button.set_visible(true);
                        self.status_action.set(Some(*action));
                    }
                    None => {
                        self.status_button.set_visible(false);
                        self.status_action.set(None);
                    }
                }
                self.stack.set_visible_child_name("status");
            }
        }
    }

    fn status_clicked(self: &Rc<Self>) {
        match self.status_action.get() {
            Some(StatusAction::Retry) => {
                let step = self.lifecycle.borrow_mut().user_retry();
                self.apply(step);
            }
            Some(StatusAction::Run) => self.run_guest(),
            None => {}
        }
    }

    /// Starts the guest; the console connects when the lifecycle update says it runs.
    fn run_guest(self: &Rc<Self>) {
        let ConsoleSource::Libvirt { connection, uuid } = self.source.clone() else {
            return;
        };
        self.status_button.set_sensitive(false);
        let weak = Rc::downgrade(self);
        glib::spawn_future_local(async move {
            let result = runtime::run(async move { connection.start(uuid).await }).await;
            let Some(inner) = weak.upgrade() else {
                return;
            };
            inner.status_button.set_sensitive(true);
            let error = match result {
                Ok(Ok(())) => return,
                Ok(Err(error)) => error.to_string(),
                Err(reason) => reason,
            };
            inner.status.set_description(Some(&error));
        });
    }

    /// Resize-guest mode: after the widget settles on a size, asks the guest to match it.
    pub fn schedule_guest_resize(self: &Rc<Self>) {
        if self.display.mode() != ScalingMode::ResizeGuest || !self.connected.get() {
            return;
        }
        let weak = Rc::downgrade(self);
        self.resize_timer
            .start(Duration::from_millis(300), move || {
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                inner.resize_timer.fired();
                inner.resize_guest_now();
            });
    }

    fn resize_guest_now(self: &Rc<Self>) {
        if self.display.mode() != ScalingMode::ResizeGuest {
            return;
        }
        if !self.resizable.get() {
            self.show_hint(&gettext(
                "This display cannot be resized from here; it is fitted to the window instead.",
            ));
            return;
        }
        let display = &self.display;
        let Some((width, height)) = desktop_size_for(
            (f64::from(display.width()), f64::from(display.height())),
            f64::from(display.scale_factor()),
        ) else {
            return;
        };
        if display.guest_size() == (u32::from(width), u32::from(height)) {
            return;
        }
        if let Some(handle) = self.session.borrow().as_ref() {
            let _ = handle.set_desktop_size(width, height);
        }
    }

    /// A short message over the display, hidden after a few seconds.
    pub fn show_hint(self: &Rc<Self>, text: &str) {
        self.hint.set_label(text);
        self.hint_revealer.set_reveal_child(true);
        let weak = Rc::downgrade(self);
        self.hint_timer.start(Duration::from_secs(4), move || {
            if let Some(inner) = weak.upgrade() {
                inner.hint_timer.fired();
                inner.hint_revealer.set_reveal_child(false);
            }
        });
    }

    /// Shows the password prompts the session asks for, one at a time.
    fn spawn_prompts(
        self: &Rc<Self>,
        mut prompts: tokio::sync::mpsc::UnboundedReceiver<password::PromptJob>,
    ) {
        let weak = Rc::downgrade(self);
        glib::spawn_future_local(async move {
            while let Some(job) = prompts.recv().await {
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                let parent = inner.root.root().and_downcast::<gtk::Window>();
                let title = inner.title.borrow().clone();
                drop(inner);
                let answer = password::ask(parent, &title, &job).await;
                let _ = job.reply.send(answer);
            }
        });
    }

    /// The desktop's clipboard changed: give its text to the guest (not what came from it).
    fn local_clipboard_changed(self: &Rc<Self>, clipboard: &gtk::gdk::Clipboard) {
        if !self.connected.get() || clipboard.is_local() {
            return;
        }
        let weak = Rc::downgrade(self);
        let clipboard = clipboard.clone();
        glib::spawn_future_local(async move {
            let Ok(Some(text)) = clipboard.read_text_future().await else {
                return;
            };
            let Some(inner) = weak.upgrade() else {
                return;
            };
            if inner.guest_clipboard.borrow().as_deref() == Some(text.as_str()) {
                return;
            }
            if let Some(handle) = inner.session.borrow().as_ref()
                && let Err(error) = handle.clipboard(&text)
            {
                inner.show_hint(&error.to_string());
            }
        });
    }
}

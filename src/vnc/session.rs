//! One console session: a tokio task that owns the vnc-rs client and `select!`s over server
//! events and UI input (vnc-rs deadlocks if `input()` runs while another task waits in
//! `recv_event()`), paints into a [`SharedFramebuffer`], and reports to the UI through
//! [`SessionEvents`]. The UI talks back through a cloneable [`SessionHandle`] whose methods
//! never block, so the GTK main thread can call them.

mod apply;
mod run;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use super::error::SessionError;
use super::framebuffer::SharedFramebuffer;
use super::keys::{ButtonMask, SendKeyCombo, WheelDirection};
use super::target::ConsoleTarget;
use crate::i18n::{gettext, gettext_f};

/// The encodings a session may offer the server. Pixel encodings first, in order of
/// preference; pseudo-encodings announce client abilities. TRLE is deliberately absent: the
/// vnc-rs decoder for it does not follow RFC 6143.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Tight,
    Zrle,
    CopyRect,
    Raw,
    /// The server sends the pointer image instead of drawing it into the framebuffer.
    Cursor,
    DesktopSize,
    ExtendedDesktopSize,
    LastRect,
}

impl Encoding {
    /// What a console offers by default: Tight, CopyRect, Raw, ZRLE and every
    /// pseudo-encoding. Servers use the first pixel encoding of the list they support, so ZRLE
    /// (slow in vnc-rs) after Raw is offered but in practice not chosen.
    pub fn defaults() -> Vec<Encoding> {
        vec![
            Encoding::Tight,
            Encoding::CopyRect,
            Encoding::Raw,
            Encoding::Zrle,
            Encoding::Cursor,
            Encoding::ExtendedDesktopSize,
            Encoding::DesktopSize,
            Encoding::LastRect,
        ]
    }

    /// `encoding` alone plus the pseudo-encodings (how the tests offer a single encoding).
    pub fn only(encoding: Encoding) -> Vec<Encoding> {
        vec![
            encoding,
            Encoding::Cursor,
            Encoding::ExtendedDesktopSize,
            Encoding::DesktopSize,
            Encoding::LastRect,
        ]
    }

    pub(crate) fn to_vnc(self) -> vnc::VncEncoding {
        match self {
            Encoding::Tight => vnc::VncEncoding::Tight,
            Encoding::Zrle => vnc::VncEncoding::Zrle,
            Encoding::CopyRect => vnc::VncEncoding::CopyRect,
            Encoding::Raw => vnc::VncEncoding::Raw,
            Encoding::Cursor => vnc::VncEncoding::CursorPseudo,
            Encoding::DesktopSize => vnc::VncEncoding::DesktopSizePseudo,
            Encoding::ExtendedDesktopSize => vnc::VncEncoding::ExtendedDesktopSizePseudo,
            Encoding::LastRect => vnc::VncEncoding::LastRectPseudo,
        }
    }
}

/// Bounds on what the server controls. A violation ends the session with
/// [`SessionError::Limit`]. vnc-rs itself refuses desktops and rectangles over 8192 pixels a
/// side or 8 294 400 pixels (3840×2160), compressed rectangles over 64 MiB and cut text over
/// 1 MiB; these limits can only be tighter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_width: u32,
    pub max_height: u32,
    pub max_pixels: u64,
    /// Largest pointer image, per side.
    pub max_cursor_side: u32,
    /// Longest server clipboard text, in bytes.
    pub max_cut_text: usize,
    /// About how many received bytes vnc-rs may queue ahead of its decoder.
    pub max_buffered_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_width: 8192,
            max_height: 8192,
            max_pixels: 8_294_400,
            max_cursor_side: 512,
            max_cut_text: 1024 * 1024,
            max_buffered_bytes: 32 * 1024 * 1024,
        }
    }
}

/// A password, or `None` when the user cancelled the request.
pub type PasswordFuture = Pin<Box<dyn Future<Output = Option<String>> + Send>>;

/// Asked (at most once per session) when the server wants VncAuth. The future may wait for the
/// user; it is dropped if the session is closed meanwhile.
#[derive(Clone)]
pub struct PasswordProvider(Arc<dyn Fn() -> PasswordFuture + Send + Sync>);

impl PasswordProvider {
    pub fn new(ask: impl Fn() -> PasswordFuture + Send + Sync + 'static) -> PasswordProvider {
        PasswordProvider(Arc::new(ask))
    }

    /// Always answers `password` (tests, stored passwords).
    pub fn fixed(password: impl Into<String>) -> PasswordProvider {
        let password: String = password.into();
        PasswordProvider::new(move || {
            let password = password.clone();
            Box::pin(async move { Some(password) })
        })
    }

    pub(crate) fn ask(&self) -> PasswordFuture {
        (self.0)()
    }
}

impl fmt::Debug for PasswordProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordProvider(..)")
    }
}

/// How a session behaves.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    pub encodings: Vec<Encoding>,
    pub password: Option<PasswordProvider>,
    pub limits: Limits,
    /// Bounds the TCP connect or SSH set-up.
    pub connect_timeout: Duration,
    /// Bounds the VNC handshake (not counting time spent waiting for the password).
    pub handshake_timeout: Duration,
    /// Let other viewers stay connected (RFB shared flag).
    pub shared: bool,
    /// Ask for the next update only once the UI has taken the previous frame (at most one
    /// frame ahead of the reader): a hidden console then costs nothing. Turn off for readers
    /// that do not call `take_frame`.
    pub paced: bool,
    /// Quiet time after the last decoded rectangle that marks the end of a batch (vnc-rs does
    /// not say where an update ends).
    pub batch_quiet: Duration,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            encodings: Encoding::defaults(),
            password: None,
            limits: Limits::default(),
            connect_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(20),
            shared: true,
            paced: true,
            batch_quiet: Duration::from_millis(1),
        }
    }
}

/// Why a session ended without an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisconnectReason {
    /// Closed through the handle (or every handle was dropped).
    Closed,
    /// The server closed the connection.
    ServerClosed,
}

/// Where a session stands; the last three end it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionState {
    Connecting,
    /// The server asked for a password; the provider was called.
    AuthenticationRequired,
    Connected {
        width: u32,
        height: u32,
    },
    /// The password was wrong (ask again and start a new session).
    AuthenticationFailed(SessionError),
    Disconnected(DisconnectReason),
    Error(SessionError),
}

impl SessionState {
    /// True for the states that end a session.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            SessionState::AuthenticationFailed(_)
                | SessionState::Disconnected(_)
                | SessionState::Error(_)
        )
    }
}

impl fmt::Display for SessionState {
    /// The state in words, for the console's status line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            SessionState::Connecting => gettext("Connecting to the display…"),
            SessionState::AuthenticationRequired => gettext("The display asks for a password."),
            SessionState::Connected { width, height } => gettext_f(
                "Connected ({width}×{height})",
                &[
                    ("width", &width.to_string()),
                    ("height", &height.to_string()),
                ],
            ),
            SessionState::AuthenticationFailed(error) | SessionState::Error(error) => {
                error.to_string()
            }
            SessionState::Disconnected(DisconnectReason::Closed) => {
                gettext("The console was closed.")
            }
            SessionState::Disconnected(DisconnectReason::ServerClosed) => {
                gettext("The display server closed the connection.")
            }
        };
        f.write_str(&text)
    }
}

/// The pointer image: RGBA (straight alpha) rows of `width` pixels, hotspot inside. An empty
/// image (0×0) means "hide the pointer".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorImage {
    pub width: u32,
    pub height: u32,
    pub hotspot_x: u32,
    pub hotspot_y: u32,
    pub rgba: Vec<u8>,
}

/// What a session tells the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    State(SessionState),
    /// The desktop size changed (the framebuffer was reallocated); `resizable` says whether the
    /// server accepts [`SessionHandle::set_desktop_size`].
    Resized {
        width: u32,
        height: u32,
        resizable: bool,
    },
    /// New pixels: take them with [`SharedFramebuffer::take_frame`]. Sent at most once until
    /// the damage is taken.
    Damaged,
    Cursor(Arc<CursorImage>),
    Bell,
    /// The server's clipboard changed.
    Clipboard(String),
    /// A [`SessionHandle::set_desktop_size`] request was not carried out.
    DesktopSizeRefused {
        reason: String,
    },
}

/// Receives a session's events; ends (returns `None`) after the final state.
#[derive(Debug)]
pub struct SessionEvents(mpsc::Receiver<SessionEvent>);

impl SessionEvents {
    pub async fn recv(&mut self) -> Option<SessionEvent> {
        self.0.recv().await
    }

    pub fn try_recv(&mut self) -> Option<SessionEvent> {
        self.0.try_recv().ok()
    }
}

/// Why the UI's input was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputError {
    /// The session has ended.
    Closed,
    /// The session is not keeping up; pointer motion may be dropped, keys should be retried.
    Busy,
    /// Clipboard text over the limit.
    TooLong,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&match self {
            InputError::Closed => gettext("The console is closed."),
            InputError::Busy => gettext("The console is busy."),
            InputError::TooLong => gettext("The text is too long to paste."),
        })
    }
}

impl std::error::Error for InputError {}

#[derive(Debug)]
pub(crate) enum Command {
    Pointer { x: u16, y: u16, buttons: u8 },
    Key { keysym: u32, down: bool },
    Keys(Vec<u32>),
    Clipboard(String),
    Refresh { full: bool },
    SetDesktopSize { width: u16, height: u16 },
}

/// Counters of one session, for tests, benchmarks and a "statistics" view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    pub bytes_received: u64,
    pub bytes_sent: u64,
    /// Pixel rectangles painted (a ZRLE rectangle counts once per 64×64 tile).
    pub rectangles: u64,
    pub copy_rectangles: u64,
    pub jpeg_rectangles: u64,
    pub pixels_painted: u64,
    pub cursor_updates: u64,
    /// Batches of updates ended (see [`SessionOptions::batch_quiet`]).
    pub batches: u64,
    pub update_requests: u64,
}

#[derive(Debug, Default)]
pub(crate) struct StatsCell {
    pub rectangles: AtomicU64,
    pub copy_rectangles: AtomicU64,
    pub jpeg_rectangles: AtomicU64,
    pub pixels_painted: AtomicU64,
    pub cursor_updates: AtomicU64,
    pub batches: AtomicU64,
    pub update_requests: AtomicU64,
    pub meter: std::sync::Mutex<Option<Arc<super::transport::Meter>>>,
}

impl StatsCell {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn snapshot(&self) -> SessionStats {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let meter = self
            .meter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        SessionStats {
            bytes_received: meter.as_ref().map_or(0, |meter| meter.bytes_in()),
            bytes_sent: meter.as_ref().map_or(0, |meter| meter.bytes_out()),
            rectangles: get(&self.rectangles),
            copy_rectangles: get(&self.copy_rectangles),
            jpeg_rectangles: get(&self.jpeg_rectangles),
            pixels_painted: get(&self.pixels_painted),
            cursor_updates: get(&self.cursor_updates),
            batches: get(&self.batches),
            update_requests: get(&self.update_requests),
        }
    }
}

/// The UI's side of a session. Cloneable; the session closes when [`SessionHandle::close`] is
/// called or every handle is dropped. No method blocks.
#[derive(Debug, Clone)]
pub struct SessionHandle {
    commands: mpsc::Sender<Command>,
    /// Separate from the command queue so that closing works even when the queue is full.
    close: Arc<tokio::sync::watch::Sender<bool>>,
    framebuffer: SharedFramebuffer,
    stats: Arc<StatsCell>,
    max_cut_text: usize,
}

/// Queue length between UI and session; pointer motion beyond it is dropped.
const COMMAND_QUEUE: usize = 1024;
const EVENT_QUEUE: usize = 256;

/// Starts console sessions.
#[derive(Debug)]
pub struct Session;

impl Session {
    /// Starts a session on `runtime`: connects to `target`, then runs until closed. Returns the
    /// UI's handle and the event stream; the first event is `State(Connecting)`.
    pub fn start(
        runtime: &tokio::runtime::Handle,
        target: ConsoleTarget,
        options: SessionOptions,
    ) -> (SessionHandle, SessionEvents) {
        let (command_tx, command_rx) = mpsc::channel(COMMAND_QUEUE);
        let (event_tx, event_rx) = mpsc::channel(EVENT_QUEUE);
        let (close_tx, close_rx) = tokio::sync::watch::channel(false);
        let framebuffer = SharedFramebuffer::new();
        let stats = Arc::new(StatsCell::default());
        let handle = SessionHandle {
            commands: command_tx,
            close: Arc::new(close_tx),
            framebuffer: framebuffer.clone(),
            stats: Arc::clone(&stats),
            max_cut_text: options.limits.max_cut_text,
        };
        runtime.spawn(run::run(
            target,
            options,
            command_rx,
            close_rx,
            event_tx,
            framebuffer,
            stats,
        ));
        (handle, SessionEvents(event_rx))
    }
}

impl SessionHandle {
    fn send(&self, command: Command) -> Result<(), InputError> {
        self.commands
            .try_send(command)
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => InputError::Busy,
                mpsc::error::TrySendError::Closed(_) => InputError::Closed,
            })
    }

    /// The framebuffer this session paints.
    pub fn framebuffer(&self) -> &SharedFramebuffer {
        &self.framebuffer
    }

    /// Counters so far.
    pub fn stats(&self) -> SessionStats {
        self.stats.snapshot()
    }

    /// Pointer at (`x`, `y`) in framebuffer pixels with `buttons` held.
    pub fn pointer(&self, x: u16, y: u16, buttons: ButtonMask) -> Result<(), InputError> {
        self.send(Command::Pointer {
            x,
            y,
            buttons: buttons.0,
        })
    }

    /// One wheel step at (`x`, `y`): the wheel button pressed and released, other buttons kept.
    pub fn wheel(
        &self,
        x: u16,
        y: u16,
        held: ButtonMask,
        direction: WheelDirection,
    ) -> Result<(), InputError> {
        self.pointer(x, y, held.with(direction.button()))?;
        self.pointer(x, y, held)
    }

    /// A key (X keysym) pressed or released.
    pub fn key(&self, keysym: u32, down: bool) -> Result<(), InputError> {
        self.send(Command::Key { keysym, down })
    }

    /// Presses `keysyms` in order, then releases them in reverse.
    pub fn keys(&self, keysyms: &[u32]) -> Result<(), InputError> {
        self.send(Command::Keys(keysyms.to_vec()))
    }

    /// Sends a "Send Key" combination as keysyms through the VNC server.
    pub fn send_combo(&self, combo: SendKeyCombo) -> Result<(), InputError> {
        match combo.keysyms() {
            Some(keysyms) => self.keys(&keysyms),
            None => Ok(()),
        }
    }

    /// Sets the server's clipboard (sent as Latin-1; other characters become `?`).
    pub fn clipboard(&self, text: &str) -> Result<(), InputError> {
        if text.len() > self.max_cut_text {
            return Err(InputError::TooLong);
        }
        self.send(Command::Clipboard(text.to_owned()))
    }

    /// Asks for an update: of what changed, or (`full`) of the whole screen.
    pub fn refresh(&self, full: bool) -> Result<(), InputError> {
        self.send(Command::Refresh { full })
    }

    /// Asks the server to change the desktop size (ExtendedDesktopSize `SetDesktopSize`); the
    /// outcome arrives as `Resized` or `DesktopSizeRefused`.
    pub fn set_desktop_size(&self, width: u16, height: u16) -> Result<(), InputError> {
        self.send(Command::SetDesktopSize { width, height })
    }

    /// Ends the session; the final event is `State(Disconnected(Closed))`.
    pub fn close(&self) {
        self.close.send_replace(true);
    }

    /// True once the session task has ended.
    pub fn is_closed(&self) -> bool {
        self.commands.is_closed()
    }
}

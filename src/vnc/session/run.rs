//! The session task: open the transport, run the VNC handshake (asking the password provider
//! when the server wants one), then loop over server events and UI commands in one task.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use vnc::{PixelFormat, VncClient, VncConnector, VncError, X11Event};

use super::apply::{Applied, Applier};
use super::{
    Command, DisconnectReason, PasswordFuture, SessionEvent, SessionOptions, SessionState,
    StatsCell,
};
use crate::i18n::gettext;
use crate::vnc::clipboard::to_latin1;
use crate::vnc::error::{LimitViolation, SessionError};
use crate::vnc::framebuffer::SharedFramebuffer;
use crate::vnc::ssh::SshChannel;
use crate::vnc::target::ConsoleTarget;
use crate::vnc::transport::{self, Meter, MeteredStream, StreamEnd};

/// With nothing arriving for this long, ask again: a server that answered a request with an
/// empty update (which vnc-rs does not report) would otherwise never be asked again.
const IDLE_REQUEST: Duration = Duration::from_secs(1);
/// Events decoded back to back before the loop looks at UI input again.
const DRAIN_AT_ONCE: usize = 64;
/// How long the final state may wait for room in a full event queue.
const FINAL_EVENT_WAIT: Duration = Duration::from_secs(5);

enum Ending {
    Closed,
    ServerClosed,
    Failed(SessionError),
}

/// The UI's side as the task sees it: events out, close requests in.
struct Ui {
    events: mpsc::Sender<SessionEvent>,
    close: watch::Receiver<bool>,
}

struct Stop;

impl Ui {
    /// Resolves when the UI closed the session or dropped every handle.
    async fn closed(&mut self) {
        loop {
            if *self.close.borrow_and_update() {
                return;
            }
            if self.close.changed().await.is_err() {
                return;
            }
        }
    }

    /// Sends an event, waiting for room, unless the session is closed meanwhile. A UI that
    /// dropped its receiver just does not hear.
    async fn emit(&mut self, event: SessionEvent) -> Result<(), Stop> {
        let events = self.events.clone();
        tokio::select! {
            _ = events.send(event) => Ok(()),
            _ = self.closed() => Err(Stop),
        }
    }
}

async fn maybe<T>(future: &mut Option<Pin<Box<dyn Future<Output = T> + Send>>>) -> T {
    match future.as_mut() {
        Some(future) => future.await,
        None => std::future::pending().await,
    }
}

pub(super) async fn run(
    target: ConsoleTarget,
    options: SessionOptions,
    mut commands: mpsc::Receiver<Command>,
    close: watch::Receiver<bool>,
    events: mpsc::Sender<SessionEvent>,
    framebuffer: SharedFramebuffer,
    stats: Arc<StatsCell>,
) {
    let mut ui = Ui { events, close };
    let ending = if ui
        .emit(SessionEvent::State(SessionState::Connecting))
        .await
        .is_err()
    {
        Ending::Closed
    } else {
        drive(
            target,
            &options,
            &mut commands,
            &mut ui,
            &framebuffer,
            &stats,
        )
        .await
    };
    let state = match ending {
        Ending::Closed => SessionState::Disconnected(DisconnectReason::Closed),
        Ending::ServerClosed => SessionState::Disconnected(DisconnectReason::ServerClosed),
        Ending::Failed(error) if error.is_authentication_failure() => {
            SessionState::AuthenticationFailed(error)
        }
        Ending::Failed(error) => SessionState::Error(error),
    };
    log::debug!("console session ended: {state:?}");
    let _ =
        tokio::time::timeout(FINAL_EVENT_WAIT, ui.events.send(SessionEvent::State(state))).await;
}

async fn drive(
    target: ConsoleTarget,
    options: &SessionOptions,
    commands: &mut mpsc::Receiver<Command>,
    ui: &mut Ui,
    framebuffer: &SharedFramebuffer,
    stats: &Arc<StatsCell>,
) -> Ending {
    let opened = tokio::select! {
        opened = transport::open(target, options.connect_timeout) => opened,
        _ = ui.closed() => return Ending::Closed,
    };
    let transport = match opened {
        Ok(transport) => transport,
        Err(error) => return Ending::Failed(error),
    };
    let mut channel = transport.channel;
    let meter = Arc::new(Meter::default());
    *stats
        .meter
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::clone(&meter));
    let stream = MeteredStream::new(
        transport.io,
        Arc::clone(&meter),
        options.limits.max_buffered_bytes,
    );
    let ending = match handshake(stream, options, &meter, ui, commands).await {
        Ok(client) => {
            let mut session = Connected {
                client,
                options,
                meter: &meter,
                framebuffer,
                stats,
                applier: Applier::new(framebuffer.clone(), options.limits, Arc::clone(stats)),
                connected: false,
                reported_resizable: false,
                server_error: None,
                batch_open: false,
                batch_had_update: false,
                last_event: Instant::now(),
                last_request: Instant::now(),
                waiting_for_reader: false,
                resize: None,
            };
            let ending = session.run(ui, commands).await;
            let _ = session.client.close().await;
            ending
        }
        Err(ending) => ending,
    };
    explain_with_tunnel(ending, channel.as_mut()).await
}

/// When the stream ended because the SSH tunnel failed, say so (with ssh's own words).
async fn explain_with_tunnel(ending: Ending, channel: Option<&mut SshChannel>) -> Ending {
    let Some(channel) = channel else {
        return ending;
    };
    match ending {
        Ending::ServerClosed | Ending::Failed(SessionError::Io { .. }) => {
            match channel.wait_failure(Duration::from_millis(500)).await {
                Some(error) => Ending::Failed(error),
                None => ending,
            }
        }
        ending => ending,
    }
}

async fn handshake(
    stream: MeteredStream,
    options: &SessionOptions,
    meter: &Meter,
    ui: &mut Ui,
    commands: &mut mpsc::Receiver<Command>,
) -> Result<VncClient, Ending> {
    // vnc-rs wants the password as a future fixed before the handshake starts; it polls it
    // only for VncAuth. This one tells us when it is polled, then waits for our answer, so the
    // provider runs here, cancellable, and the handshake deadline can pause meanwhile.
    let (want_tx, mut want_rx) = oneshot::channel::<()>();
    let (password_tx, password_rx) = oneshot::channel::<String>();
    let auth = async move {
        let _ = want_tx.send(());
        password_rx.await.map_err(|_| VncError::NoPassword)
    };
    let mut connector = VncConnector::new(stream)
        .set_auth_method(auth)
        .allow_shared(options.shared)
        .set_pixel_format(PixelFormat::bgra());
    for encoding in &options.encodings {
        connector = connector.add_encoding(encoding.to_vnc());
    }
    let state = connector.build().map_err(|error| {
        Ending::Failed(SessionError::Internal {
            detail: error.to_string(),
        })
    })?;
    let mut connecting = state.try_start();
    let mut password_tx = Some(password_tx);
    let mut asking: Option<PasswordFuture> = None;
    let mut want_pending = true;
    let mut password_given = false;
    let mut deadline = Instant::now() + options.handshake_timeout;
    let result = loop {
        tokio::select! {
            result = &mut connecting => break result,
            wanted = &mut want_rx, if want_pending => {
                want_pending = false;
                if wanted.is_err() {
                    continue;
                }
                ui.emit(SessionEvent::State(SessionState::AuthenticationRequired))
                    .await
                    .map_err(|Stop| Ending::Closed)?;
                match &options.password {
                    Some(provider) => asking = Some(provider.ask()),
                    None => return Err(Ending::Failed(SessionError::PasswordRequired)),
                }
            }
            answer = maybe(&mut asking), if asking.is_some() => {
                asking = None;
                let Some(password) = answer else {
                    return Err(Ending::Failed(SessionError::AuthenticationCancelled));
                };
                meter.arm_auth_tap();
                password_given = true;
                if let Some(sender) = password_tx.take() {
                    let _ = sender.send(password);
                }
                deadline = Instant::now() + options.handshake_timeout;
            }
            _ = tokio::time::sleep_until(deadline), if asking.is_none() => {
                return Err(Ending::Failed(SessionError::HandshakeTimeout {
                    seconds: options.handshake_timeout.as_secs().max(1),
                }));
            }
            _ = ui.closed() => return Err(Ending::Closed),
            command = commands.recv() => {
                // Input before the desktop is shown has nothing to act on.
                if command.is_none() {
                    return Err(Ending::Closed);
                }
            }
        }
    };
    match result.and_then(|state| state.finish()) {
        Ok(client) => Ok(client),
        Err(error) => Err(Ending::Failed(classify_handshake_error(
            error,
            password_given,
            meter,
        ))),
    }
}

const VNC_RS_UNSUPPORTED_SECURITY: &str = "Security type apart from Vnc Auth";
const VNC_RS_STRING_LIMIT: &str = "VNC string exceeds size limit";

fn classify_handshake_error(error: VncError, password_given: bool, meter: &Meter) -> SessionError {
    if password_given
        && (matches!(error, VncError::WrongPassword) || meter.security_result() == Some(1))
    {
        let reason = match error {
            VncError::General(reason) if !reason.trim().is_empty() => Some(reason),
            _ => None,
        };
        return SessionError::AuthenticationFailed { reason };
    }
    match error {
        VncError::NoPassword => SessionError::PasswordRequired,
        VncError::InvalidSecurityTyep(kind) => SessionError::UnsupportedSecurity {
            detail: kind.to_string(),
        },
        VncError::General(message) if message.starts_with(VNC_RS_UNSUPPORTED_SECURITY) => {
            SessionError::UnsupportedSecurity {
                detail: gettext("only no security and VNC password authentication are supported"),
            }
        }
        VncError::General(message) if password_given => SessionError::Protocol { detail: message },
        VncError::General(reason) => SessionError::Refused { reason },
        VncError::ConnectError => SessionError::Refused {
            reason: gettext("it offered no security type"),
        },
        VncError::IoError(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
            SessionError::Io {
                detail: gettext("the display server closed the connection during the handshake"),
            }
        }
        VncError::IoError(error) => SessionError::Io {
            detail: error.to_string(),
        },
        other => SessionError::Protocol {
            detail: other.to_string(),
        },
    }
}

/// A SetDesktopSize request waiting for the server's answer.
type PendingResize =
    Pin<Box<dyn Future<Output = Result<vnc::DesktopLayout, vnc::ResizeError>> + Send>>;

/// A connected session's loop state.
struct Connected<'a> {
    client: VncClient,
    options: &'a SessionOptions,
    meter: &'a Meter,
    framebuffer: &'a SharedFramebuffer,
    stats: &'a Arc<StatsCell>,
    applier: Applier,
    connected: bool,
    /// Whether the last `Resized` event said the server accepts SetDesktopSize.
    reported_resizable: bool,
    /// What vnc-rs said before its decoder stopped.
    server_error: Option<String>,
    /// Events arrived and the batch has not been closed yet.
    batch_open: bool,
    /// The open batch came from a framebuffer update (which used up the update request).
    batch_had_update: bool,
    last_event: Instant,
    last_request: Instant,
    /// Paced: the UI has not taken the previous frame; ask for the next when it does.
    waiting_for_reader: bool,
    resize: Option<PendingResize>,
}

impl Connected<'_> {
    async fn run(&mut self, ui: &mut Ui, commands: &mut mpsc::Receiver<Command>) -> Ending {
        loop {
            let quiet_at = self.last_event + self.options.batch_quiet;
            let idle_at = self.last_request.max(self.last_event) + IDLE_REQUEST;
            let step = tokio::select! {
                _ = ui.closed() => Err(Ending::Closed),
                command = commands.recv() => match command {
                    Some(command) => self.command(command, ui).await,
                    None => Err(Ending::Closed),
                },
                event = self.client.recv_event() => match event {
                    Ok(event) => self.events(event, ui).await,
                    Err(_) => Err(self.decoder_stopped()),
                },
                _ = tokio::time::sleep_until(quiet_at), if self.batch_open => {
                    self.end_batch(ui).await
                }
                _ = self.framebuffer.taken(), if self.waiting_for_reader => {
                    if self.framebuffer.write().notification_pending() {
                        Ok(())
                    } else {
                        self.waiting_for_reader = false;
                        self.request(false, ui).await
                    }
                }
                _ = tokio::time::sleep_until(idle_at), if !self.batch_open && !self.waiting_for_reader => {
                    self.request(false, ui).await
                }
                result = maybe(&mut self.resize), if self.resize.is_some() => {
                    self.resize = None;
                    self.resized(result, ui).await
                }
            };
            if let Err(ending) = step {
                return ending;
            }
        }
    }

    async fn input(&mut self, event: X11Event, ui: &mut Ui) -> Result<(), Ending> {
        // vnc-rs applies backpressure when the server stops reading; stay closable.
        tokio::select! {
            // A stopped client is noticed by the next recv_event.
            _ = self.client.input(event) => Ok(()),
            _ = ui.closed() => Err(Ending::Closed),
        }
    }

    async fn request(&mut self, full: bool, ui: &mut Ui) -> Result<(), Ending> {
        self.last_request = Instant::now();
        StatsCell::add(&self.stats.update_requests, 1);
        let event = if full {
            X11Event::FullRefresh
        } else {
            X11Event::Refresh
        };
        self.input(event, ui).await
    }

    async fn command(&mut self, command: Command, ui: &mut Ui) -> Result<(), Ending> {
        match command {
            Command::Pointer { x, y, buttons } => {
                self.input(X11Event::PointerEvent((x, y, buttons).into()), ui)
                    .await
            }
            Command::Key { keysym, down } => {
                self.input(X11Event::KeyEvent((keysym, down).into()), ui)
                    .await
            }
            Command::Keys(keysyms) => {
                for keysym in &keysyms {
                    self.input(X11Event::KeyEvent((*keysym, true).into()), ui)
                        .await?;
                }
                for keysym in keysyms.iter().rev() {
                    self.input(X11Event::KeyEvent((*keysym, false).into()), ui)
                        .await?;
                }
                Ok(())
            }
            Command::Clipboard(text) => {
                let latin1 = to_latin1(&text);
                let mut message = vec![6u8, 0, 0, 0];
                message.extend_from_slice(&u32::try_from(latin1.len()).unwrap_or(0).to_be_bytes());
                message.extend_from_slice(&latin1);
                self.meter.inject(message);
                // The injected message goes out just before vnc-rs's next message.
                self.request(false, ui).await
            }
            Command::Refresh { full } => self.request(full, ui).await,
            Command::SetDesktopSize { width, height } => {
                if self.resize.is_some() {
                    return ui
                        .emit(SessionEvent::DesktopSizeRefused {
                            reason: vnc::ResizeError::Busy.to_string(),
                        })
                        .await
                        .map_err(|Stop| Ending::Closed);
                }
                let client = self.client.clone();
                self.resize = Some(Box::pin(async move {
                    client.resize_desktop(width, height).await
                }));
                Ok(())
            }
        }
    }

    async fn resized(
        &mut self,
        result: Result<vnc::DesktopLayout, vnc::ResizeError>,
        ui: &mut Ui,
    ) -> Result<(), Ending> {
        let Err(error) = result else {
            // The DesktopUpdate event already resized the framebuffer.
            return Ok(());
        };
        let reason = match error {
            vnc::ResizeError::Unsupported | vnc::ResizeError::UnsupportedLayout => {
                gettext("The display server cannot change the size of its desktop.")
            }
            vnc::ResizeError::Denied(_) => gettext("The display server refused the new size."),
            other => other.to_string(),
        };
        ui.emit(SessionEvent::DesktopSizeRefused { reason })
            .await
            .map_err(|Stop| Ending::Closed)
    }

    /// Applies `first` and whatever else vnc-rs has ready, then leaves the batch open until
    /// the quiet time passes.
    async fn events(&mut self, first: vnc::VncEvent, ui: &mut Ui) -> Result<(), Ending> {
        self.event(first, ui).await?;
        for _ in 0..DRAIN_AT_ONCE {
            match self.client.poll_event().await {
                Ok(Some(event)) => self.event(event, ui).await?,
                _ => break,
            }
        }
        self.batch_open = true;
        self.last_event = Instant::now();
        Ok(())
    }

    async fn event(&mut self, event: vnc::VncEvent, ui: &mut Ui) -> Result<(), Ending> {
        let applied = self.applier.apply(event).map_err(Ending::Failed)?;
        self.batch_had_update |= applied.is_update();
        let emit = match applied {
            Applied::Nothing | Applied::Painted => None,
            Applied::Layout => {
                // The first ExtendedDesktopSize announcement usually repeats the size of the
                // ServerInit, but it is what makes the desktop resizable: say so once.
                let resizable = self.client.desktop_layout().is_some();
                if resizable == self.reported_resizable {
                    None
                } else {
                    self.reported_resizable = resizable;
                    let framebuffer = self.framebuffer.lock();
                    Some(SessionEvent::Resized {
                        width: framebuffer.width(),
                        height: framebuffer.height(),
                        resizable,
                    })
                }
            }
            Applied::Resized { width, height } => {
                if !self.connected {
                    self.connected = true;
                    ui.emit(SessionEvent::State(SessionState::Connected {
                        width,
                        height,
                    }))
                    .await
                    .map_err(|Stop| Ending::Closed)?;
                }
                self.reported_resizable = self.client.desktop_layout().is_some();
                Some(SessionEvent::Resized {
                    width,
                    height,
                    resizable: self.reported_resizable,
                })
            }
            Applied::Cursor(event) | Applied::Unsolicited(event) => Some(event),
            Applied::ServerError(message) => {
                self.server_error = Some(message);
                None
            }
        };
        match emit {
            Some(event) => ui.emit(event).await.map_err(|Stop| Ending::Closed),
            None => Ok(()),
        }
    }

    async fn end_batch(&mut self, ui: &mut Ui) -> Result<(), Ending> {
        self.batch_open = false;
        StatsCell::add(&self.stats.batches, 1);
        if !std::mem::take(&mut self.batch_had_update) {
            // Bell or clipboard only: the update request is still outstanding.
            return Ok(());
        }
        let (reader_behind, notify) = {
            let mut framebuffer = self.framebuffer.write();
            (
                framebuffer.notification_pending(),
                framebuffer.should_notify(),
            )
        };
        if notify {
            ui.emit(SessionEvent::Damaged)
                .await
                .map_err(|Stop| Ending::Closed)?;
        }
        if self.options.paced && reader_behind {
            self.waiting_for_reader = true;
            return Ok(());
        }
        self.request(false, ui).await
    }

    /// vnc-rs's decoder has stopped: say why, from what it reported and what the stream saw.
    fn decoder_stopped(&mut self) -> Ending {
        if let Some(StreamEnd::Error(detail)) = self.meter.end() {
            return Ending::Failed(SessionError::Io { detail });
        }
        if let Some(message) = self.server_error.take() {
            if message.contains(VNC_RS_STRING_LIMIT) {
                return Ending::Failed(SessionError::Limit(LimitViolation::CutText {
                    bytes: None,
                }));
            }
            return Ending::Failed(SessionError::Protocol { detail: message });
        }
        match self.meter.end() {
            Some(_) => Ending::ServerClosed,
            // vnc-rs treats a short read inside a decoder (truncated zlib data) like a normal
            // end of stream and says nothing, but the connection is still up.
            None => Ending::Failed(SessionError::Protocol {
                detail: gettext("an update could not be decompressed or ended too early"),
            }),
        }
    }
}

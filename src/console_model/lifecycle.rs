//! When a console connects, reconnects, asks for a password or waits for the user.
//!
//! The console feeds in what happens — shown or hidden, the guest's power state from the
//! window's lifecycle updates, how each session ended — and carries out the [`Step`] it gets
//! back. The rules:
//! - A console runs only while shown (its tab visible, or detached). Hidden, it is paused
//!   first (a paced session asks for nothing while nobody takes its frames) and closed after a
//!   grace period, so flipping tabs does not reconnect but a forgotten console costs nothing.
//! - A guest that is off shows "not running"; when it starts again the console connects by
//!   itself (a reboot that restarts QEMU, or a shutdown and start).
//! - A session that broke while the guest runs is retried with a growing delay (1, 2, 4, 8,
//!   then every 15 s); a refused password is asked for again at once; an unreachable route, an
//!   unsupported security type or a guest without VNC waits for the user's "Try Again".

use std::time::Duration;

use crate::vnc::SessionError;

/// What the console shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Not shown and no session (nothing to show yet).
    Idle,
    /// The guest is off.
    NotRunning,
    Connecting,
    Connected,
    /// The display refused the password, or the password prompt was cancelled.
    AuthFailed {
        message: String,
    },
    /// The guest has no display the console can show.
    NoGraphics {
        message: String,
    },
    /// The session ended; `retrying` when a retry is scheduled.
    Disconnected {
        message: String,
        retrying: bool,
    },
    /// The display cannot be reached as things are; waits for the user.
    Failed {
        message: String,
    },
}

/// How a connection attempt or session ended (or that it connected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Connected,
    /// The console closed it (hidden too long, guest off, console dropped).
    Closed,
    /// The display server hung up.
    ServerClosed,
    /// The session or its route planning failed.
    Error(SessionError),
    /// libvirt could not give the XML or the display socket (its message, verbatim).
    Driver(String),
    /// The connection's driver cannot open a display at all (libvirt's "not supported", e.g.
    /// the test driver): retrying would only fail again.
    Unsupported(String),
}

/// What the console must do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Nothing,
    /// Start a session; with `ask_password`, a password the display asks for must come from
    /// the user (the stored or cached one was refused).
    Connect {
        ask_password: bool,
    },
    /// Close the session.
    Close,
    /// Keep the session but expect no frames to be taken; call
    /// [`Lifecycle::hidden_for_long`] after `grace` unless shown again.
    Pause {
        grace: Duration,
    },
    /// Call [`Lifecycle::retry_due`] after this delay.
    RetryAfter(Duration),
}

/// How long a hidden console keeps its session.
pub const HIDDEN_GRACE: Duration = Duration::from_secs(10);

/// The delay before retry number `failures` (1-based).
pub fn retry_delay(failures: u32) -> Duration {
    match failures {
        0 | 1 => Duration::from_secs(1),
        2 => Duration::from_secs(2),
        3 => Duration::from_secs(4),
        4 => Duration::from_secs(8),
        _ => Duration::from_secs(15),
    }
}

/// How a session error is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    Auth,
    Cancelled,
    NoGraphics,
    /// The live XML shows no port: the guest is not (or no longer) running.
    NotActive,
    /// Will not change by retrying (route, security type, limits, protocol).
    Permanent,
    /// Network and timing: retry.
    Transient,
}

fn classify(error: &SessionError) -> ErrorKind {
    match error {
        SessionError::AuthenticationFailed { .. } | SessionError::PasswordRequired => {
            ErrorKind::Auth
        }
        SessionError::AuthenticationCancelled => ErrorKind::Cancelled,
        SessionError::NoVncGraphics => ErrorKind::NoGraphics,
        SessionError::GraphicsNotActive => ErrorKind::NotActive,
        SessionError::InvalidUri { .. }
        | SessionError::NeedsLocalConnection
        | SessionError::LoopbackOnRemoteHost { .. }
        | SessionError::SocketOnRemoteHost { .. }
        | SessionError::UnsupportedSecurity { .. }
        | SessionError::Refused { .. }
        | SessionError::Protocol { .. }
        | SessionError::Limit(_)
        | SessionError::SshMaster { .. } => ErrorKind::Permanent,
        SessionError::Connect { .. }
        | SessionError::ConnectTimeout { .. }
        | SessionError::SshTunnel { .. }
        | SessionError::HandshakeTimeout { .. }
        | SessionError::Io { .. }
        | SessionError::Internal { .. } => ErrorKind::Transient,
    }
}

/// The console's connection state machine.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    phase: Phase,
    shown: bool,
    guest_active: bool,
    /// A session exists (connecting, connected or paused).
    session: bool,
    /// Failed attempts since the last successful connection.
    failures: u32,
    /// The next connection must ask the user for a password.
    ask_password: bool,
}

impl Lifecycle {
    /// A console for a guest that is (`guest_active`) or is not running, not yet shown.
    pub fn new(guest_active: bool) -> Lifecycle {
        Lifecycle {
            phase: if guest_active {
                Phase::Idle
            } else {
                Phase::NotRunning
            },
            shown: false,
            guest_active,
            session: false,
            failures: 0,
            ask_password: false,
        }
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    pub fn is_shown(&self) -> bool {
        self.shown
    }

    /// Whether a session exists (it may be paused).
    pub fn has_session(&self) -> bool {
        self.session
    }

    fn connect(&mut self) -> Step {
        if !self.shown || self.session {
            return Step::Nothing;
        }
        if !self.guest_active {
            self.phase = Phase::NotRunning;
            return Step::Nothing;
        }
        self.session = true;
        self.phase = Phase::Connecting;
        Step::Connect {
            ask_password: self.ask_password,
        }
    }

    /// Whether the phase waits for the user (no automatic connection when shown again).
    fn waits_for_user(&self) -> bool {
        matches!(
            self.phase,
            Phase::AuthFailed { .. } | Phase::NoGraphics { .. } | Phase::Failed { .. }
        )
    }

    /// The console became visible (`true`) or hidden.
    pub fn set_shown(&mut self, shown: bool) -> Step {
        if shown == self.shown {
            return Step::Nothing;
        }
        self.shown = shown;
        if !shown {
            return if self.session {
                Step::Pause {
                    grace: HIDDEN_GRACE,
                }
            } else {
                Step::Nothing
            };
        }
        if self.session || self.waits_for_user() {
            return Step::Nothing;
        }
        self.connect()
    }

    /// The grace period after hiding ran out.
    pub fn hidden_for_long(&mut self) -> Step {
        if self.shown || !self.session {
            return Step::Nothing;
        }
        self.session = false;
        if matches!(self.phase, Phase::Connecting | Phase::Connected) {
            self.phase = Phase::Idle;
        }
        Step::Close
    }

    /// The guest's power state, from the window's lifecycle updates (`true`: it has a running
    /// or paused hypervisor process, hence a display).
    pub fn set_guest_active(&mut self, active: bool) -> Step {
        if active == self.guest_active {
            return Step::Nothing;
        }
        self.guest_active = active;
        self.failures = 0;
        if !active {
            self.phase = Phase::NotRunning;
            return if std::mem::take(&mut self.session) {
                Step::Close
            } else {
                Step::Nothing
            };
        }
        // A fresh start: whatever failed before (no graphics, refused route) may differ now.
        self.phase = Phase::Idle;
        self.connect()
    }

    /// The session connected or ended (or its route could not be planned).
    pub fn session_outcome(&mut self, outcome: Outcome) -> Step {
        if outcome == Outcome::Connected {
            self.phase = Phase::Connected;
            self.failures = 0;
            self.ask_password = false;
            return Step::Nothing;
        }
        self.session = false;
        let transient = |this: &mut Lifecycle, message: String| {
            if !this.guest_active {
                this.phase = Phase::NotRunning;
                return Step::Nothing;
            }
            this.failures += 1;
            this.phase = Phase::Disconnected {
                message,
                retrying: this.shown,
            };
            if this.shown {
                Step::RetryAfter(retry_delay(this.failures))
            } else {
                Step::Nothing
            }
        };
        match outcome {
            Outcome::Connected => Step::Nothing,
            Outcome::Closed => {
                if matches!(self.phase, Phase::Connecting | Phase::Connected) {
                    self.phase = Phase::Idle;
                }
                Step::Nothing
            }
            Outcome::ServerClosed => transient(self, String::new()),
            Outcome::Driver(message) => transient(self, message),
            Outcome::Unsupported(message) => {
                self.phase = Phase::Failed { message };
                Step::Nothing
            }
            Outcome::Error(error) => {
                let message = error.to_string();
                match classify(&error) {
                    ErrorKind::Auth => {
                        self.ask_password = true;
                        self.phase = Phase::AuthFailed { message };
                        self.connect()
                    }
                    ErrorKind::Cancelled => {
                        self.ask_password = true;
                        self.phase = Phase::AuthFailed { message };
                        Step::Nothing
                    }
                    ErrorKind::NoGraphics => {
                        self.phase = Phase::NoGraphics { message };
                        Step::Nothing
                    }
                    ErrorKind::NotActive | ErrorKind::Transient => transient(self, message),
                    ErrorKind::Permanent => {
                        self.phase = Phase::Failed { message };
                        Step::Nothing
                    }
                }
            }
        }
    }

    /// A scheduled retry is due.
    pub fn retry_due(&mut self) -> Step {
        match self.phase {
            Phase::Disconnected { retrying: true, .. } => self.connect(),
            _ => Step::Nothing,
        }
    }

    /// The user pressed "Try Again" / "Reconnect".
    pub fn user_retry(&mut self) -> Step {
        self.failures = 0;
        if self.session {
            return Step::Nothing;
        }
        self.connect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown_and_connected() -> Lifecycle {
        let mut console = Lifecycle::new(true);
        assert_eq!(
            console.set_shown(true),
            Step::Connect {
                ask_password: false
            }
        );
        assert_eq!(console.phase(), &Phase::Connecting);
        assert_eq!(console.session_outcome(Outcome::Connected), Step::Nothing);
        assert_eq!(console.phase(), &Phase::Connected);
        console
    }

    #[test]
    fn connects_only_while_shown_and_running() {
        let mut console = Lifecycle::new(false);
        assert_eq!(console.phase(), &Phase::NotRunning);
        assert_eq!(console.set_shown(true), Step::Nothing);
        assert_eq!(console.phase(), &Phase::NotRunning);
        // The guest starts: the console connects by itself.
        assert!(matches!(
            console.set_guest_active(true),
            Step::Connect { .. }
        ));
        let mut hidden = Lifecycle::new(true);
        assert_eq!(hidden.set_guest_active(true), Step::Nothing);
        assert_eq!(hidden.phase(), &Phase::Idle);
    }

    #[test]
    fn hiding_pauses_then_closes_and_showing_again_resumes_or_reconnects() {
        let mut console = shown_and_connected();
        assert_eq!(
            console.set_shown(false),
            Step::Pause {
                grace: HIDDEN_GRACE
            }
        );
        // Back within the grace period: the paused session simply goes on.
        assert_eq!(console.set_shown(true), Step::Nothing);
        assert_eq!(console.phase(), &Phase::Connected);
        assert_eq!(console.hidden_for_long(), Step::Nothing);
        // Hidden past the grace period: closed; shown again: a new session.
        console.set_shown(false);
        assert_eq!(console.hidden_for_long(), Step::Close);
        assert!(!console.has_session());
        assert_eq!(console.phase(), &Phase::Idle);
        assert_eq!(console.session_outcome(Outcome::Closed), Step::Nothing);
        assert!(matches!(console.set_shown(true), Step::Connect { .. }));
    }

    #[test]
    fn reboot_reconnects_and_shutdown_waits_for_the_next_start() {
        // The guest reboots with a new QEMU: the server hangs up while the guest still runs.
        let mut console = shown_and_connected();
        assert_eq!(
            console.session_outcome(Outcome::ServerClosed),
            Step::RetryAfter(Duration::from_secs(1))
        );
        assert!(matches!(
            console.phase(),
            Phase::Disconnected { retrying: true, .. }
        ));
        assert!(matches!(console.retry_due(), Step::Connect { .. }));
        console.session_outcome(Outcome::Connected);

        // Shut down: the server hangs up, then the lifecycle update says the guest is off.
        assert!(matches!(
            console.session_outcome(Outcome::ServerClosed),
            Step::RetryAfter(_)
        ));
        assert_eq!(console.set_guest_active(false), Step::Nothing);
        assert_eq!(console.phase(), &Phase::NotRunning);
        assert_eq!(console.retry_due(), Step::Nothing, "no retries while off");
        assert!(matches!(
            console.set_guest_active(true),
            Step::Connect { .. }
        ));
    }

    #[test]
    fn guest_off_closes_a_live_session() {
        let mut console = shown_and_connected();
        assert_eq!(console.set_guest_active(false), Step::Close);
        assert_eq!(console.phase(), &Phase::NotRunning);
        // The session's own ending (closed by us) does not change that.
        assert_eq!(console.session_outcome(Outcome::Closed), Step::Nothing);
        assert_eq!(console.phase(), &Phase::NotRunning);
    }

    #[test]
    fn failures_back_off_and_reset_on_success() {
        let mut console = shown_and_connected();
        let io = || {
            Outcome::Error(SessionError::Io {
                detail: "reset".into(),
            })
        };
        let mut delays = Vec::new();
        for _ in 0..6 {
            match console.session_outcome(io()) {
                Step::RetryAfter(delay) => delays.push(delay.as_secs()),
                other => panic!("{other:?}"),
            }
            assert!(matches!(console.retry_due(), Step::Connect { .. }));
        }
        assert_eq!(delays, [1, 2, 4, 8, 15, 15]);
        console.session_outcome(Outcome::Connected);
        assert_eq!(
            console.session_outcome(Outcome::Driver("Requested operation is not valid".into())),
            Step::RetryAfter(Duration::from_secs(1))
        );
    }

    #[test]
    fn a_driver_without_consoles_fails_once_and_does_not_retry() {
        let mut console = Lifecycle::new(true);
        console.set_shown(true);
        let unsupported = Outcome::Unsupported("this function is not supported".into());
        assert_eq!(console.session_outcome(unsupported), Step::Nothing);
        assert!(matches!(console.phase(), Phase::Failed { .. }));
        assert_eq!(console.retry_due(), Step::Nothing);
    }

    #[test]
    fn refused_password_asks_again_and_cancel_waits_for_the_user() {
        let mut console = Lifecycle::new(true);
        console.set_shown(true);
        let refused = Outcome::Error(SessionError::AuthenticationFailed { reason: None });
        assert_eq!(
            console.session_outcome(refused),
            Step::Connect { ask_password: true }
        );
        // Connecting again at once, and this time the user is asked.
        assert_eq!(console.phase(), &Phase::Connecting);
        assert_eq!(
            console.session_outcome(Outcome::Error(SessionError::AuthenticationCancelled)),
            Step::Nothing
        );
        assert!(matches!(console.phase(), Phase::AuthFailed { .. }));
        // Hiding and showing does not pop the prompt up again; the button does.
        console.set_shown(false);
        assert_eq!(console.set_shown(true), Step::Nothing);
        assert_eq!(console.user_retry(), Step::Connect { ask_password: true });
        console.session_outcome(Outcome::Connected);
        // After a success the stored or cached password is tried first again.
        console.session_outcome(Outcome::ServerClosed);
        assert_eq!(
            console.retry_due(),
            Step::Connect {
                ask_password: false
            }
        );
    }

    #[test]
    fn unreachable_routes_and_missing_graphics_wait_until_the_guest_restarts() {
        let mut console = Lifecycle::new(true);
        console.set_shown(true);
        let loopback = SessionError::LoopbackOnRemoteHost {
            host: "kvm1".into(),
            listen: "127.0.0.1".into(),
        };
        assert_eq!(
            console.session_outcome(Outcome::Error(loopback)),
            Step::Nothing
        );
        assert!(matches!(console.phase(), Phase::Failed { message } if message.contains("kvm1")));
        assert_eq!(console.retry_due(), Step::Nothing);
        assert!(matches!(console.user_retry(), Step::Connect { .. }));
        assert_eq!(
            console.session_outcome(Outcome::Error(SessionError::NoVncGraphics)),
            Step::Nothing
        );
        assert!(matches!(console.phase(), Phase::NoGraphics { .. }));
        console.set_shown(false);
        assert_eq!(console.set_shown(true), Step::Nothing);
        // A restart may have brought a display: try again then.
        console.set_guest_active(false);
        assert!(matches!(
            console.set_guest_active(true),
            Step::Connect { .. }
        ));
    }

    #[test]
    fn a_hidden_console_that_broke_reconnects_when_shown() {
        let mut console = shown_and_connected();
        console.set_shown(false);
        assert_eq!(
            console.session_outcome(Outcome::ServerClosed),
            Step::Nothing
        );
        assert!(matches!(
            console.phase(),
            Phase::Disconnected {
                retrying: false,
                ..
            }
        ));
        assert_eq!(console.retry_due(), Step::Nothing);
        assert!(matches!(console.set_shown(true), Step::Connect { .. }));
    }
}

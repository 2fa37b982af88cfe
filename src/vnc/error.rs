//! Why a console session could not start or had to end, as a typed value whose `Display` is
//! the sentence shown to the user (translated through gettext).

use std::fmt;

use crate::i18n::{gettext, gettext_f};

/// A server-controlled quantity that went over the session's [`Limits`](super::Limits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitViolation {
    /// The desktop is larger than the framebuffer limit.
    Framebuffer { width: u32, height: u32 },
    /// The pointer image is larger than the cursor limit.
    Cursor { width: u32, height: u32 },
    /// The server's clipboard text is longer than the clipboard limit (length, when known).
    CutText { bytes: Option<usize> },
    /// A JPEG rectangle is larger than the framebuffer limit.
    Jpeg { width: u32, height: u32 },
}

/// Everything that stops a console, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionError {
    /// The graphics device is not VNC (e.g. SPICE), or the guest has none.
    NoVncGraphics,
    /// The guest is not running, so its display has no port yet.
    GraphicsNotActive,
    /// The connection URI could not be understood.
    InvalidUri { uri: String, detail: String },
    /// A local display reached through libvirt needs a local (UNIX socket) libvirt connection.
    NeedsLocalConnection,
    /// The display listens only on a remote host's loopback interface.
    LoopbackOnRemoteHost { host: String, listen: String },
    /// The display listens on a UNIX socket or nowhere, which only the local host can reach.
    SocketOnRemoteHost { host: String },
    /// TCP connection to the display failed.
    Connect { address: String, detail: String },
    /// TCP connection to the display did not complete in time.
    ConnectTimeout { address: String, seconds: u64 },
    /// The shared SSH connection to the host could not be set up.
    SshMaster { host: String, detail: String },
    /// The SSH tunnel to the display failed.
    SshTunnel { host: String, detail: String },
    /// The server did not finish the VNC handshake in time.
    HandshakeTimeout { seconds: u64 },
    /// The server asks for a security type vnc-rs does not implement (VeNCrypt, TLS, SASL…).
    UnsupportedSecurity { detail: String },
    /// The server refused the connection before authentication.
    Refused { reason: String },
    /// The display is password protected and the session has no password provider.
    PasswordRequired,
    /// The user cancelled the password request.
    AuthenticationCancelled,
    /// The server rejected the password; ask again.
    AuthenticationFailed { reason: Option<String> },
    /// The server sent something the console cannot decode.
    Protocol { detail: String },
    /// The server exceeded a resource limit.
    Limit(LimitViolation),
    /// The connection broke (I/O error).
    Io { detail: String },
    /// The session could not start because no async runtime was available.
    Internal { detail: String },
}

impl SessionError {
    /// True for an authentication failure, after which the UI may ask for the password again.
    pub fn is_authentication_failure(&self) -> bool {
        matches!(self, SessionError::AuthenticationFailed { .. })
    }
}

impl fmt::Display for LimitViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            LimitViolation::Framebuffer { width, height } => gettext_f(
                "The remote display is {width}×{height} pixels, larger than the console accepts.",
                &[
                    ("width", &width.to_string()),
                    ("height", &height.to_string()),
                ],
            ),
            LimitViolation::Cursor { width, height } => gettext_f(
                "The display server sent a pointer image of {width}×{height} pixels, larger than the console accepts.",
                &[
                    ("width", &width.to_string()),
                    ("height", &height.to_string()),
                ],
            ),
            LimitViolation::CutText { bytes: Some(bytes) } => gettext_f(
                "The display server sent {bytes} bytes of clipboard text, more than the console accepts.",
                &[("bytes", &bytes.to_string())],
            ),
            LimitViolation::CutText { bytes: None } => {
                gettext("The display server sent more clipboard text than the console accepts.")
            }
            LimitViolation::Jpeg { width, height } => gettext_f(
                "The display server sent a JPEG image of {width}×{height} pixels, larger than the console accepts.",
                &[
                    ("width", &width.to_string()),
                    ("height", &height.to_string()),
                ],
            ),
        };
        f.write_str(&text)
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            SessionError::NoVncGraphics => {
                gettext("This virtual machine has no VNC display the console can show.")
            }
            SessionError::GraphicsNotActive => {
                gettext("The virtual machine is not running, so its display cannot be shown.")
            }
            SessionError::InvalidUri { uri, detail } => gettext_f(
                "The connection address “{uri}” cannot be used for the console: {detail}",
                &[("uri", uri), ("detail", detail)],
            ),
            SessionError::NeedsLocalConnection => {
                gettext("This display can only be opened through a local libvirt connection.")
            }
            SessionError::LoopbackOnRemoteHost { host, listen } => gettext_f(
                "The display of this virtual machine listens only on {listen}, the loopback address of {host}, which cannot be reached from here. Connect to {host} over SSH (qemu+ssh://), or make the display listen on a network address.",
                &[("host", host), ("listen", listen)],
            ),
            SessionError::SocketOnRemoteHost { host } => gettext_f(
                "The display of this virtual machine has no network address on {host}; only a local connection can open it.",
                &[("host", host)],
            ),
            SessionError::Connect { address, detail } => gettext_f(
                "Could not connect to the display at {address}: {detail}",
                &[("address", address), ("detail", detail)],
            ),
            SessionError::ConnectTimeout { address, seconds } => gettext_f(
                "The display at {address} did not answer within {seconds} s.",
                &[("address", address), ("seconds", &seconds.to_string())],
            ),
            SessionError::SshMaster { host, detail } => gettext_f(
                "Could not open an SSH connection to {host}: {detail}",
                &[("host", host), ("detail", detail)],
            ),
            SessionError::SshTunnel { host, detail } => gettext_f(
                "The SSH tunnel to the display on {host} failed: {detail}",
                &[("host", host), ("detail", detail)],
            ),
            SessionError::HandshakeTimeout { seconds } => gettext_f(
                "The display server did not complete the VNC handshake within {seconds} s.",
                &[("seconds", &seconds.to_string())],
            ),
            SessionError::UnsupportedSecurity { detail } => gettext_f(
                "The display server requires a kind of security the console does not support ({detail}).",
                &[("detail", detail)],
            ),
            SessionError::Refused { reason } => gettext_f(
                "The display server refused the connection: {reason}",
                &[("reason", reason)],
            ),
            SessionError::PasswordRequired => {
                gettext("The display is password protected, but no password was given.")
            }
            SessionError::AuthenticationCancelled => gettext("The password request was cancelled."),
            SessionError::AuthenticationFailed { reason: None } => {
                gettext("The display server did not accept the password.")
            }
            SessionError::AuthenticationFailed {
                reason: Some(reason),
            } => gettext_f(
                "The display server did not accept the password: {reason}",
                &[("reason", reason)],
            ),
            SessionError::Protocol { detail } => gettext_f(
                "The display server sent data the console cannot use ({detail}).",
                &[("detail", detail)],
            ),
            SessionError::Limit(violation) => return violation.fmt(f),
            SessionError::Io { detail } => gettext_f(
                "The connection to the display broke: {detail}",
                &[("detail", detail)],
            ),
            SessionError::Internal { detail } => gettext_f(
                "The console could not start: {detail}",
                &[("detail", detail)],
            ),
        };
        f.write_str(&text)
    }
}

impl std::error::Error for SessionError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_name_what_went_wrong() {
        let loopback = SessionError::LoopbackOnRemoteHost {
            host: "db1.example.org".into(),
            listen: "127.0.0.1".into(),
        };
        let text = loopback.to_string();
        assert!(
            text.contains("db1.example.org") && text.contains("127.0.0.1"),
            "{text}"
        );
        assert!(text.contains("SSH"), "{text}");
        let limit = SessionError::Limit(LimitViolation::Cursor {
            width: 9000,
            height: 2,
        });
        assert!(limit.to_string().contains("9000×2"));
        assert!(SessionError::AuthenticationFailed { reason: None }.is_authentication_failure());
        assert!(!SessionError::PasswordRequired.is_authentication_failure());
    }
}

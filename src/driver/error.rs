//! The driver's one error type. Its `Display` is the sentence shown to users: libvirt's own
//! message verbatim where libvirt produced the error, Hangar's translated wording otherwise.

#![forbid(unsafe_code)]

use std::time::Duration;

use virt::sys;

use crate::i18n::{gettext, gettext_f};

/// Everything a driver command or connection attempt can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriverError {
    /// The URI is not a libvirt URI, or no libvirt driver handles it.
    #[error("{message}")]
    InvalidUri { uri: String, message: String },
    /// Libvirt reported an error; `message` is libvirt's text, unchanged.
    #[error("{message}")]
    Libvirt {
        /// `virErrorNumber` (e.g. 8 = `VIR_ERR_XML_ERROR`).
        code: i32,
        /// `virErrorDomain`: the part of libvirt that failed.
        domain: i32,
        message: String,
    },
    /// The object (domain, volume, network, pool) does not exist; `message` is libvirt's text
    /// when libvirt said so.
    #[error("{message}")]
    NotFound { message: String },
    /// The host did not answer within the command's deadline.
    #[error("{}", timeout_text(*.after))]
    Timeout { after: Duration },
    /// The connection is not open (yet, or any more).
    #[error("{}", not_connected_text())]
    NotConnected,
    /// The connection was closed for good (user disconnect or last handle dropped).
    #[error("{}", closed_text())]
    Closed,
    /// The user cancelled a credential prompt.
    #[error("{}", auth_cancelled_text())]
    AuthCancelled,
    /// The host rejected the credentials; `message` is libvirt's text.
    #[error("{message}")]
    AuthFailed { message: String },
    /// An argument Hangar refuses before libvirt sees it (e.g. text with a NUL character).
    #[error("{message}")]
    InvalidInput { message: String },
}

// The texts live in functions because xgettext reads Rust as C, where a line starting with `#`
// is a preprocessor directive: strings inside `#[error(…)]` would never reach translators.
fn not_connected_text() -> String {
    gettext("Not connected to this host")
}

fn closed_text() -> String {
    gettext("The connection was closed")
}

fn auth_cancelled_text() -> String {
    gettext("Authentication was cancelled")
}

fn timeout_text(after: Duration) -> String {
    let secs = format!("{:.0}", after.as_secs_f64().max(1.0));
    gettext_f(
        "The host did not answer within {secs} s",
        &[("secs", &secs)],
    )
}

impl DriverError {
    /// Converts a libvirt error, keeping its message verbatim and sorting out the codes a
    /// caller reacts to (missing objects, authentication).
    pub fn from_libvirt(error: &virt::error::Error) -> Self {
        let code = error.code().to_raw() as i32;
        let message = error.message().to_owned();
        match code as u32 {
            sys::VIR_ERR_NO_DOMAIN
            | sys::VIR_ERR_NO_NETWORK
            | sys::VIR_ERR_NO_STORAGE_POOL
            | sys::VIR_ERR_NO_STORAGE_VOL
            | sys::VIR_ERR_NO_DOMAIN_SNAPSHOT => Self::NotFound { message },
            sys::VIR_ERR_AUTH_FAILED => Self::AuthFailed { message },
            sys::VIR_ERR_AUTH_CANCELLED => Self::AuthCancelled,
            _ => Self::Libvirt {
                code,
                domain: error.domain().to_raw() as i32,
                message,
            },
        }
    }

    /// The `virErrorNumber` when libvirt produced this error.
    pub fn libvirt_code(&self) -> Option<i32> {
        match self {
            Self::Libvirt { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether a later attempt may succeed without the user changing anything (used to decide
    /// whether to reconnect automatically).
    pub fn is_transient(&self) -> bool {
        !matches!(
            self,
            Self::InvalidUri { .. }
                | Self::AuthCancelled
                | Self::AuthFailed { .. }
                | Self::InvalidInput { .. }
                | Self::Closed
        )
    }

    /// Whether libvirt said the call, flag or driver feature is not supported (as opposed to
    /// failing this time).
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self.libvirt_code().map(|code| code as u32),
            Some(sys::VIR_ERR_NO_SUPPORT | sys::VIR_ERR_OPERATION_UNSUPPORTED)
        )
    }

    /// Whether libvirt rejected a flag value (`unsupported flags (0x4) in function …` is
    /// reported as an invalid argument).
    pub fn is_invalid_arg(&self) -> bool {
        matches!(
            self.libvirt_code().map(|code| code as u32),
            Some(sys::VIR_ERR_INVALID_ARG | sys::VIR_ERR_NO_SUPPORT)
        )
    }

    pub(crate) fn nul_in_text(what: &str) -> Self {
        Self::InvalidInput {
            message: gettext_f(
                "The {what} contains a NUL character, which libvirt cannot accept",
                &[("what", what)],
            ),
        }
    }
}

impl From<virt::error::Error> for DriverError {
    fn from(error: virt::error::Error) -> Self {
        Self::from_libvirt(&error)
    }
}

/// Result of every driver command.
pub type DriverResult<T> = Result<T, DriverError>;

/// Rejects text libvirt's C API cannot carry (virt 0.5 panics on an interior NUL in some
/// optional arguments, so this check runs before every such call).
pub(crate) fn check_text(text: &str, what: &str) -> DriverResult<()> {
    if text.contains('\0') {
        Err(DriverError::nul_in_text(what))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libvirt_messages_are_shown_verbatim() {
        let error = DriverError::Libvirt {
            code: 27,
            domain: 20,
            message: "XML error: failed to parse xml document".into(),
        };
        assert_eq!(error.to_string(), "XML error: failed to parse xml document");
    }

    #[test]
    fn timeout_names_the_deadline() {
        let text = DriverError::Timeout {
            after: Duration::from_secs(15),
        }
        .to_string();
        assert!(text.contains("15"), "{text}");
    }

    #[test]
    fn nul_is_refused_with_a_sentence() {
        assert!(check_text("ok", "title").is_ok());
        let error = check_text("a\0b", "title").unwrap_err();
        assert!(matches!(error, DriverError::InvalidInput { .. }));
        assert!(error.to_string().contains("title"));
    }

    #[test]
    fn auth_and_uri_errors_are_not_retried() {
        assert!(!DriverError::AuthCancelled.is_transient());
        assert!(
            DriverError::Timeout {
                after: Duration::from_secs(1)
            }
            .is_transient()
        );
    }
}

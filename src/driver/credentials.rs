//! The authentication hook: when libvirt needs credentials to open a connection, the driver asks
//! an async [`CredentialProvider`] (the UI implements it with a prompt and the keyring) and
//! tells it afterwards whether the host accepted or rejected what it supplied.

#![forbid(unsafe_code)]

use std::future::Future;
use std::pin::Pin;

use virt::sys;

use crate::model::ConnectionId;

/// What libvirt asks for (`virConnectCredentialType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// The identity to act as.
    Username,
    /// The identity to authenticate as (SASL authname).
    AuthName,
    /// An RFC 1766 language code.
    Language,
    /// A client nonce.
    ClientNonce,
    /// A password or passphrase (never echoed).
    Passphrase,
    /// A challenge answer that may be shown while typed.
    EchoPrompt,
    /// A challenge answer that must not be shown.
    NoEchoPrompt,
    /// The authentication realm.
    Realm,
    /// Out-of-band authentication (e.g. polkit): the answer is ignored.
    External,
    /// A type newer than this code.
    Other(u32),
}

impl CredentialKind {
    pub fn from_libvirt(kind: u32) -> Self {
        match kind {
            sys::VIR_CRED_USERNAME => Self::Username,
            sys::VIR_CRED_AUTHNAME => Self::AuthName,
            sys::VIR_CRED_LANGUAGE => Self::Language,
            sys::VIR_CRED_CNONCE => Self::ClientNonce,
            sys::VIR_CRED_PASSPHRASE => Self::Passphrase,
            sys::VIR_CRED_ECHOPROMPT => Self::EchoPrompt,
            sys::VIR_CRED_NOECHOPROMPT => Self::NoEchoPrompt,
            sys::VIR_CRED_REALM => Self::Realm,
            sys::VIR_CRED_EXTERNAL => Self::External,
            other => Self::Other(other),
        }
    }

    /// The stable name used in keyring account strings (never translated: it names stored
    /// entries).
    pub fn key(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::AuthName => "authname",
            Self::Language => "language",
            Self::ClientNonce => "cnonce",
            Self::Passphrase => "passphrase",
            Self::EchoPrompt => "echoprompt",
            Self::NoEchoPrompt => "noechoprompt",
            Self::Realm => "realm",
            Self::External => "external",
            Self::Other(_) => "other",
        }
    }

    /// Whether the answer is a secret (store it only in the keyring, never show it).
    pub fn is_secret(self) -> bool {
        matches!(self, Self::Passphrase | Self::NoEchoPrompt)
    }
}

/// One question libvirt asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialPrompt {
    pub kind: CredentialKind,
    /// libvirt's prompt text (e.g. "Please enter your password").
    pub prompt: String,
    pub challenge: Option<String>,
    /// libvirt's suggested answer (e.g. the user name from the URI).
    pub default: Option<String>,
}

/// One round of questions for one connection attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRequest {
    pub connection: ConnectionId,
    pub uri: String,
    /// 1 for the first round of an open attempt; higher after the host rejected earlier answers.
    pub attempt: u32,
    pub prompts: Vec<CredentialPrompt>,
}

/// The answers, one per prompt and in the same order; `None` cancels the attempt.
pub type CredentialAnswer = Option<Vec<String>>;

/// The future a provider returns; it may wait for the user as long as it likes.
pub type CredentialFuture = Pin<Box<dyn Future<Output = CredentialAnswer> + Send>>;

/// Supplies credentials on demand. Implemented by the UI (prompt + keyring); tests implement it
/// with fixed answers. Called from the driver's own threads, never from the GTK main thread.
pub trait CredentialProvider: Send + Sync {
    /// Answers libvirt's questions for one attempt, or cancels it with `None`.
    fn credentials(&self, request: CredentialRequest) -> CredentialFuture;

    /// The host rejected the answers given for `uri` (a stored password should be forgotten).
    /// The driver then asks again (with `attempt` + 1) up to the connection's retry limit.
    fn rejected(&self, connection: ConnectionId, uri: &str) {
        let _ = (connection, uri);
    }

    /// The host accepted the answers given for `uri` (a new password may now be stored).
    fn accepted(&self, connection: ConnectionId, uri: &str) {
        let _ = (connection, uri);
    }
}

/// A provider that cancels every request: for hosts that need no credentials, command-line
/// tools and benchmarks.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoCredentials;

impl CredentialProvider for NoCredentials {
    fn credentials(&self, _request: CredentialRequest) -> CredentialFuture {
        Box::pin(std::future::ready(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_kinds_are_marked() {
        assert!(CredentialKind::from_libvirt(sys::VIR_CRED_PASSPHRASE).is_secret());
        assert!(!CredentialKind::from_libvirt(sys::VIR_CRED_AUTHNAME).is_secret());
        assert_eq!(CredentialKind::from_libvirt(99), CredentialKind::Other(99));
        assert_eq!(
            CredentialKind::from_libvirt(sys::VIR_CRED_CNONCE).key(),
            "cnonce"
        );
    }
}

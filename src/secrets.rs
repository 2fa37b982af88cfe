//! Connection and console passwords in the Secret Service (GNOME Keyring, KWallet, KeePassXC…),
//! through the `keyring` crate.
//!
//! **Every function here blocks** on D-Bus, and the first access after login may wait for the
//! user to unlock the keyring. Never call them on the GTK main thread: call them on the
//! connection's driver worker thread, or in `tokio::task::spawn_blocking`.
//!
//! Entries are stored under the service name [`SERVICE`] with an account string that says what
//! the secret opens ([`SecretKey::account`]). A missing Secret Service is not fatal: it is the
//! distinct error [`SecretsError::Unavailable`], after which the UI simply asks every time.
//! Secret values are wrapped in [`Secret`], whose `Debug` never shows them, and are wiped from
//! memory when dropped.
//!
//! `keyring` opens its Secret Service session once per process, on first use: a Secret Service
//! that starts after that first use is only seen after Hangar restarts.

use std::fmt;

use zeroize::Zeroizing;

pub mod remembered;

use crate::i18n::{gettext, gettext_f};
use crate::model::DomainUuid;

/// The Secret Service "service" attribute of every Hangar entry. It is the same for the
/// development profile, so passwords carry over.
pub const SERVICE: &str = "io.github.hangar_vm.Hangar";

pub use crate::driver::CredentialKind;

/// What a stored secret opens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SecretKey {
    /// An answer to libvirt's authentication callback for one connection and user name
    /// (empty when libvirt did not say which user).
    Libvirt {
        uri: String,
        kind: CredentialKind,
        username: String,
    },
    /// The VNC password of one domain's console.
    Vnc { uri: String, domain: DomainUuid },
}

impl SecretKey {
    /// The account string of the entry: `libvirt:<uri>:<kind>:<username>` or
    /// `vnc:<uri>:<domain uuid>`. Secret Service tools (Seahorse) show it.
    pub fn account(&self) -> String {
        match self {
            SecretKey::Libvirt {
                uri,
                kind,
                username,
            } => format!("libvirt:{uri}:{}:{username}", kind.key()),
            SecretKey::Vnc { uri, domain } => format!("vnc:{uri}:{domain}"),
        }
    }
}

/// A password or other secret. `Debug` prints `Secret(<redacted>)`; the text is wiped from
/// memory when the value is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }

    /// The secret text, for handing to libvirt or the VNC session. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Why the Secret Service could not be used. None of these carries a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretsError {
    /// No Secret Service answers on the session bus (or there is no session bus). Not fatal:
    /// nothing can be remembered, so the user is asked every time.
    Unavailable,
    /// The keyring is locked and was not unlocked (the unlock prompt was dismissed), or access
    /// was refused.
    Locked(String),
    /// Several entries match one key (made by another program); none is used.
    Ambiguous,
    /// The stored secret is not text.
    NotText,
    /// Any other failure of the Secret Service, in its words.
    Failed(String),
}

impl SecretsError {
    /// Whether this only means "no Secret Service here" (ask the user instead, don't warn).
    pub fn is_unavailable(&self) -> bool {
        *self == SecretsError::Unavailable
    }

    fn from_keyring(error: keyring::Error) -> Self {
        match error {
            keyring::Error::NoDefaultStore => SecretsError::Unavailable,
            keyring::Error::NoStorageAccess(cause) => SecretsError::Locked(cause.to_string()),
            keyring::Error::Ambiguous(_) => SecretsError::Ambiguous,
            // The bytes are dropped here, unread: they are the secret.
            keyring::Error::BadEncoding(_) | keyring::Error::BadDataFormat(..) => {
                SecretsError::NotText
            }
            keyring::Error::PlatformFailure(cause) => {
                let text = cause.to_string();
                // The service went away after Hangar first reached it (the keyring daemon
                // quit, possibly in the middle of a call): as harmless as never having one.
                if [
                    "ServiceUnknown",
                    "NoReply",
                    "NameHasNoOwner",
                    "Disconnected",
                    "no secret service",
                ]
                .iter()
                .any(|sign| text.contains(sign))
                {
                    SecretsError::Unavailable
                } else {
                    SecretsError::Failed(text)
                }
            }
            other => SecretsError::Failed(other.to_string()),
        }
    }
}

impl fmt::Display for SecretsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            SecretsError::Unavailable => {
                gettext("No Secret Service is available, so passwords cannot be remembered")
            }
            SecretsError::Locked(reason) => gettext_f(
                "The keyring is locked or refused access: {reason}",
                &[("reason", reason)],
            ),
            SecretsError::Ambiguous => gettext(
                "The keyring holds several passwords for this connection; remove the extra ones with a keyring manager such as Passwords and Keys",
            ),
            SecretsError::NotText => gettext("The stored password is not text"),
            SecretsError::Failed(reason) => {
                gettext_f("The keyring failed: {reason}", &[("reason", reason)])
            }
        };
        f.write_str(&text)
    }
}

impl std::error::Error for SecretsError {}

fn entry(key: &SecretKey) -> Result<keyring::Entry, SecretsError> {
    keyring::Entry::new(SERVICE, &key.account()).map_err(SecretsError::from_keyring)
}

/// The secret stored for `key`, or `None` if there is none. Blocks (see the module docs).
pub fn lookup(key: &SecretKey) -> Result<Option<Secret>, SecretsError> {
    match entry(key)?.get_password() {
        Ok(text) => Ok(Some(Secret::new(text))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(error) => Err(SecretsError::from_keyring(error)),
    }
}

/// Stores `secret` for `key`, replacing what was stored. Blocks (see the module docs).
pub fn store(key: &SecretKey, secret: &Secret) -> Result<(), SecretsError> {
    entry(key)?
        .set_password(secret.expose())
        .map_err(SecretsError::from_keyring)
}

/// Forgets the secret for `key`. Returns whether there was one. Blocks (see the module docs).
pub fn delete(key: &SecretKey) -> Result<bool, SecretsError> {
    match entry(key)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(error) => Err(SecretsError::from_keyring(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_name_what_the_secret_opens() {
        let libvirt = SecretKey::Libvirt {
            uri: "qemu+ssh://root@h/system".into(),
            kind: CredentialKind::NoEchoPrompt,
            username: "root".into(),
        };
        assert_eq!(
            libvirt.account(),
            "libvirt:qemu+ssh://root@h/system:noechoprompt:root"
        );
        let uuid = "4b3f1a52-0e1c-4d7b-9a54-1f0e2d3c4b5a"
            .parse()
            .expect("valid uuid");
        let vnc = SecretKey::Vnc {
            uri: "qemu:///system".into(),
            domain: uuid,
        };
        assert_eq!(
            vnc.account(),
            "vnc:qemu:///system:4b3f1a52-0e1c-4d7b-9a54-1f0e2d3c4b5a"
        );
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert_eq!(secret.expose().len(), 7);
        let wrapped = Some(secret);
        assert!(!format!("{wrapped:?}").contains("hunter"));
    }

    #[test]
    fn a_bad_encoding_error_drops_the_bytes() {
        let error =
            SecretsError::from_keyring(keyring::Error::BadEncoding(b"hunter2\xff".to_vec()));
        assert_eq!(error, SecretsError::NotText);
        assert!(!format!("{error:?} {error}").contains("hunter"));
        assert!(SecretsError::from_keyring(keyring::Error::NoDefaultStore).is_unavailable());
    }
}

//! The UI's answer to libvirt's authentication callback: stored passwords from the Secret
//! Service first, else a prompt on the main thread; "Remember" stores the password once the host
//! accepts it, and a rejected stored password is forgotten so the next round asks.
//!
//! The driver calls the provider on its own threads, so the keyring's blocking D-Bus calls
//! happen there, never on the GTK main thread.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use hangar::driver::{
    CredentialAnswer, CredentialFuture, CredentialKind, CredentialProvider, CredentialRequest,
};
use hangar::model::ConnectionId;
use hangar::secrets::{self, Secret, SecretKey};

use super::credentials::{CredentialPromptRequest, PromptField};

/// A prompt the main thread must show, with where to send the answer.
pub struct PromptJob {
    pub request: CredentialPromptRequest,
    pub reply: oneshot::Sender<Option<super::credentials::CredentialAnswers>>,
}

/// What one connection attempt got from where, so `accepted`/`rejected` know what to do.
#[derive(Default)]
struct Attempt {
    /// Keys whose stored secret was used.
    used_stored: Vec<SecretKey>,
    /// Secrets the user asked to remember, stored once the host accepts them.
    to_remember: Vec<(SecretKey, Secret)>,
}

/// The provider the window gives the driver.
pub struct UiCredentials {
    prompts: mpsc::UnboundedSender<PromptJob>,
    attempts: Arc<Mutex<HashMap<ConnectionId, Attempt>>>,
}

impl UiCredentials {
    /// A provider and the receiving end of its prompts (drained on the main thread).
    pub fn new() -> (Self, mpsc::UnboundedReceiver<PromptJob>) {
        let (prompts, receiver) = mpsc::unbounded_channel();
        let provider = Self {
            prompts,
            attempts: Arc::default(),
        };
        (provider, receiver)
    }

    fn take_attempt(&self, id: ConnectionId) -> Attempt {
        self.attempts
            .lock()
            .ok()
            .and_then(|mut attempts| attempts.remove(&id))
            .unwrap_or_default()
    }
}

/// The user name the request is about: libvirt's suggested answer to a user-name question
/// (the URI's user), else empty. Stored entries are keyed by it, so the next attempt finds them.
fn username_of(request: &CredentialRequest) -> String {
    request
        .prompts
        .iter()
        .find(|p| matches!(p.kind, CredentialKind::Username | CredentialKind::AuthName))
        .and_then(|p| p.default.clone())
        .unwrap_or_default()
}

fn key_for(uri: &str, kind: CredentialKind, username: &str) -> SecretKey {
    SecretKey::Libvirt {
        uri: uri.to_owned(),
        kind,
        username: username.to_owned(),
    }
}

/// Answers found without asking: one per question, and the keyring entries they came from.
struct StoredAnswers {
    answers: Vec<String>,
    used: Vec<SecretKey>,
}

/// Answers every question from the keyring (secrets) and libvirt's defaults (the rest), or
/// `None` when something is missing. The second value says whether a keyring is available.
fn stored_answers(request: &CredentialRequest, username: &str) -> (Option<StoredAnswers>, bool) {
    let mut answers = Vec::new();
    let mut used = Vec::new();
    for prompt in &request.prompts {
        if prompt.kind.is_secret() {
            let key = key_for(&request.uri, prompt.kind, username);
            match secrets::lookup(&key) {
                Ok(Some(secret)) => {
                    answers.push(secret.expose().to_owned());
                    used.push(key);
                }
                Ok(None) => return (None, true),
                Err(error) => return (None, !error.is_unavailable()),
            }
        } else {
            match prompt.default.clone().filter(|d| !d.is_empty()) {
                Some(default) => answers.push(default),
                None => return (None, true),
            }
        }
    }
    let found = (!used.is_empty()).then_some(StoredAnswers { answers, used });
    (found, true)
}

impl CredentialProvider for UiCredentials {
    fn credentials(&self, request: CredentialRequest) -> CredentialFuture {
        let username = username_of(&request);
        // Only the first round may use stored answers: later rounds follow a rejection.
        let (stored, keyring_available) = if request.attempt == 1 {
            stored_answers(&request, &username)
        } else {
            (None, true)
        };
        if let Some(stored) = stored {
            if let Ok(mut attempts) = self.attempts.lock() {
                attempts.entry(request.connection).or_default().used_stored = stored.used;
            }
            return Box::pin(std::future::ready(Some(stored.answers)));
        }

        let fields = request
            .prompts
            .iter()
            .map(|prompt| PromptField {
                kind: prompt.kind,
                prompt: prompt.prompt.clone(),
                echo: !prompt.kind.is_secret(),
                default_value: prompt.default.clone(),
            })
            .collect();
        let (reply, answer) = oneshot::channel();
        let job = PromptJob {
            request: CredentialPromptRequest {
                uri: request.uri.clone(),
                fields,
                can_remember: keyring_available,
            },
            reply,
        };
        if self.prompts.send(job).is_err() {
            // The window is gone: nobody can answer.
            return Box::pin(std::future::ready(None));
        }
        let attempts = self.attempts.clone();
        Box::pin(async move {
            let answers = answer.await.ok().flatten()?;
            if answers.remember {
                // Stored only once the host accepts them (see `accepted`).
                let remembered = request
                    .prompts
                    .iter()
                    .zip(&answers.values)
                    .filter(|(prompt, _)| prompt.kind.is_secret())
                    .map(|(prompt, value)| {
                        (key_for(&request.uri, prompt.kind, &username), value.clone())
                    })
                    .collect();
                if let Ok(mut attempts) = attempts.lock() {
                    attempts.entry(request.connection).or_default().to_remember = remembered;
                }
            }
            let plain: CredentialAnswer = Some(
                answers
                    .values
                    .iter()
                    .map(|v| v.expose().to_owned())
                    .collect(),
            );
            plain
        })
    }

    fn rejected(&self, connection: ConnectionId, _uri: &str) {
        // A stored password that no longer works is forgotten, so the next round asks.
        for key in self.take_attempt(connection).used_stored {
            if let Err(error) = secrets::delete(&key) {
                log::warn!("could not forget a rejected password: {error}");
            }
        }
    }

    fn accepted(&self, connection: ConnectionId, _uri: &str) {
        for (key, secret) in self.take_attempt(connection).to_remember {
            if let Err(error) = secrets::store(&key, &secret) {
                log::warn!("could not store a password in the keyring: {error}");
            }
        }
    }
}

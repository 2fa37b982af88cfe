//! The UI's answer to libvirt's authentication callback: stored passwords from the Secret
//! Service first, else a prompt on the main thread; "Remember" stores the password (and the
//! user name typed with it) once the host accepts it, and a rejected stored password is
//! forgotten so the next round asks. What is stored and read back is `secrets::remembered`.
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
use hangar::secrets::{self, Secret, SecretKey, remembered};

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
    /// The user name the user typed, filled in again when the host rejects the answers and
    /// asks once more (never a password, nor a one-time challenge answer).
    typed: Vec<(CredentialKind, String)>,
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

impl CredentialProvider for UiCredentials {
    fn credentials(&self, request: CredentialRequest) -> CredentialFuture {
        // Only the first round may use stored answers: later rounds follow a rejection.
        let (stored, keyring_available) = if request.attempt == 1 {
            match remembered::stored_answers(&request) {
                Ok(stored) => (stored, true),
                Err(error) => {
                    if !error.is_unavailable() {
                        log::warn!("could not read the keyring: {error}");
                    }
                    (None, !error.is_unavailable())
                }
            }
        } else {
            (None, true)
        };
        if let Some(stored) = stored {
            if let Ok(mut attempts) = self.attempts.lock() {
                attempts.entry(request.connection).or_default().used_stored = stored.used;
            }
            let answers = stored.answers.iter().map(|a| a.expose().to_owned());
            return Box::pin(std::future::ready(Some(answers.collect())));
        }

        let typed = self
            .attempts
            .lock()
            .ok()
            .and_then(|attempts| Some(attempts.get(&request.connection)?.typed.clone()))
            .unwrap_or_default();
        let fields = request
            .prompts
            .iter()
            .map(|prompt| PromptField {
                kind: prompt.kind,
                prompt: prompt.prompt.clone(),
                echo: !prompt.kind.is_secret(),
                default_value: typed
                    .iter()
                    .find(|(kind, _)| *kind == prompt.kind)
                    .map(|(_, value)| value.clone())
                    .or_else(|| prompt.default.clone()),
            })
            .collect();
        let (reply, answer) = oneshot::channel();
        let job = PromptJob {
            request: CredentialPromptRequest {
                uri: request.uri.clone(),
                fields,
                can_remember: keyring_available,
                rejected_before: request.attempt > 1,
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
            // Stored only once the host accepts them (see `accepted`).
            let remembered = if answers.remember {
                remembered::to_remember(&request, &answers.values)
            } else {
                Vec::new()
            };
            let typed = request
                .prompts
                .iter()
                .zip(&answers.values)
                .filter(|(prompt, _)| {
                    matches!(
                        prompt.kind,
                        CredentialKind::AuthName | CredentialKind::Username
                    )
                })
                .map(|(prompt, value)| (prompt.kind, value.expose().to_owned()))
                .collect();
            if let Ok(mut attempts) = attempts.lock() {
                let attempt = attempts.entry(request.connection).or_default();
                attempt.to_remember = remembered;
                attempt.typed = typed;
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
        let attempt = self.take_attempt(connection);
        // A stored password that no longer works is forgotten, so the next round asks.
        for key in attempt.used_stored {
            if let Err(error) = secrets::delete(&key) {
                log::warn!("could not forget a rejected password: {error}");
            }
        }
        // The next round shows the user name typed in this one again.
        if let Ok(mut attempts) = self.attempts.lock() {
            attempts.entry(connection).or_default().typed = attempt.typed;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::credentials::CredentialAnswers;
    use hangar::driver::CredentialPrompt;

    fn login(attempt: u32) -> CredentialRequest {
        let prompt = |kind| CredentialPrompt {
            kind,
            prompt: String::new(),
            challenge: None,
            default: None,
        };
        CredentialRequest {
            connection: ConnectionId(7),
            uri: format!("test+unix:///hangar-unit-{}", std::process::id()),
            attempt,
            prompts: vec![
                prompt(CredentialKind::AuthName),
                prompt(CredentialKind::Passphrase),
            ],
        }
    }

    #[test]
    fn a_rejected_login_asks_again_with_the_user_name_filled_in() {
        let (provider, mut prompts) = UiCredentials::new();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let answered = provider.credentials(login(1));
            let job = prompts.recv().await.expect("the first prompt");
            assert!(!job.request.rejected_before);
            assert_eq!(job.request.fields[0].default_value, None);
            let typed = ["alice", "not-it"].map(Secret::new).to_vec();
            let _ = job.reply.send(Some(CredentialAnswers {
                values: typed,
                remember: false,
            }));
            assert!(answered.await.is_some_and(|a| a[0] == "alice"));

            provider.rejected(ConnectionId(7), "");
            let answered = provider.credentials(login(2));
            let job = prompts.recv().await.expect("the second prompt");
            assert!(
                job.request.rejected_before,
                "the prompt says why it asks again"
            );
            let defaults: Vec<_> = job
                .request
                .fields
                .iter()
                .map(|f| f.default_value.as_deref())
                .collect();
            assert_eq!(
                defaults,
                [Some("alice"), None],
                "the name, never the password"
            );
            drop(job);
            assert_eq!(answered.await, None, "no answer cancels");
        });
    }
}

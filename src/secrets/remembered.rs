//! Remembered answers to libvirt's authentication questions: which answers "Remember" keeps in
//! the Secret Service, and answering a later request from them without asking.
//!
//! A password is remembered with the user name it belongs to. The user name is kept beside it
//! in the keyring when libvirt does not suggest one (SASL over TCP or a socket asks for
//! "your authentication name" with no default); otherwise the next start would know the
//! password but not whose it is, and would have to ask again. Like the rest of this module,
//! every function blocks on D-Bus.

use crate::driver::{CredentialKind, CredentialRequest};

use super::{Secret, SecretKey, SecretsError};

/// Answers found without asking: one per question, and the keyring entries they came from.
#[derive(Debug)]
pub struct StoredAnswers {
    pub answers: Vec<Secret>,
    pub used: Vec<SecretKey>,
}

/// The user name the request's entries are keyed by: libvirt's suggested answer to a user-name
/// question (the URI's user), else empty.
fn username_of(request: &CredentialRequest) -> String {
    request
        .prompts
        .iter()
        .find(|p| is_identity(p.kind))
        .and_then(|p| p.default.clone())
        .unwrap_or_default()
}

/// Whether an answer of this kind says who logs in (kept with the password it goes with).
fn is_identity(kind: CredentialKind) -> bool {
    matches!(kind, CredentialKind::AuthName | CredentialKind::Username)
}

fn key_for(request: &CredentialRequest, kind: CredentialKind, username: &str) -> SecretKey {
    SecretKey::Libvirt {
        uri: request.uri.clone(),
        kind,
        username: username.to_owned(),
    }
}

/// Answers every question from the keyring (secrets, and user names libvirt gave no default
/// for) and libvirt's defaults (the rest). `Ok(None)` when something is missing; an error
/// when the keyring could not be read.
pub fn stored_answers(request: &CredentialRequest) -> Result<Option<StoredAnswers>, SecretsError> {
    let username = username_of(request);
    let mut answers = Vec::new();
    let mut used = Vec::new();
    for prompt in &request.prompts {
        let default = prompt.default.clone().filter(|d| !d.is_empty());
        if prompt.kind.is_secret() || is_identity(prompt.kind) && default.is_none() {
            let key = key_for(request, prompt.kind, &username);
            let Some(secret) = super::lookup(&key)? else {
                return Ok(None);
            };
            answers.push(secret);
            used.push(key);
        } else if let Some(default) = default {
            answers.push(Secret::new(default));
        } else {
            return Ok(None);
        }
    }
    // Only a request with a stored secret counts as answered from the keyring.
    let has_secret = request.prompts.iter().any(|p| p.kind.is_secret());
    Ok(has_secret.then_some(StoredAnswers { answers, used }))
}

/// The entries "Remember" stores once the host accepts `answers` (one per question): each
/// secret, and the user name typed where libvirt suggested none.
pub fn to_remember(request: &CredentialRequest, answers: &[Secret]) -> Vec<(SecretKey, Secret)> {
    let username = username_of(request);
    request
        .prompts
        .iter()
        .zip(answers)
        .filter(|(prompt, answer)| {
            prompt.kind.is_secret()
                || is_identity(prompt.kind)
                    && !answer.is_empty()
                    && prompt.default.as_deref().is_none_or(str::is_empty)
        })
        .map(|(prompt, answer)| (key_for(request, prompt.kind, &username), answer.clone()))
        .collect()
}

//! The credential prompt: what libvirt's authentication callback asks for (user name,
//! password, passphrase…), in libvirt's own words, with a "Remember" check.
//!
//! ```ignore
//! // On the GTK main thread, when the driver's credential callback needs answers:
//! match credentials::ask(Some(window.upcast_ref()), request).await {
//!     Some(answers) => { /* answers.values[i] answers request.fields[i] */ }
//!     None => { /* cancelled: fail the connection attempt quietly */ }
//! }
//! ```

#![cfg_attr(
    not(test),
    allow(
        dead_code,
        reason = "the driver's credential callback calls `ask` (the lead wires it)"
    )
)]

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use adw::prelude::*;
use tokio::sync::oneshot;

use hangar::i18n::{gettext, gettext_f};
use hangar::secrets::{CredentialKind, Secret};

/// One question of libvirt's authentication callback (one `virConnectCredential`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptField {
    pub kind: CredentialKind,
    /// libvirt's own prompt text, shown verbatim (a trailing ": " is dropped). Empty for a
    /// default label by kind.
    pub prompt: String,
    /// Whether the answer is shown while typed (false for passwords).
    pub echo: bool,
    /// libvirt's suggested answer (`defresult`), filled in.
    pub default_value: Option<String>,
}

impl PromptField {
    /// A field with the usual echo for its kind and no default.
    pub fn new(kind: CredentialKind, prompt: &str) -> Self {
        Self {
            kind,
            prompt: prompt.to_owned(),
            echo: !kind.is_secret(),
            default_value: None,
        }
    }
}

/// Everything the prompt shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialPromptRequest {
    /// The connection asking.
    pub uri: String,
    pub fields: Vec<PromptField>,
    /// Offer "Remember password" (false when no Secret Service is available).
    pub can_remember: bool,
    /// The host rejected the previous answers of this attempt (the prompt says so).
    pub rejected_before: bool,
}

/// The user's answers, one per field, in the request's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialAnswers {
    pub values: Vec<Secret>,
    /// Whether the secret answers should be stored in the keyring.
    pub remember: bool,
}

/// Shows the prompt over `parent` and resolves to the answers, or `None` if cancelled.
///
/// Call it on the GTK main thread; the future needs no runtime of its own (await it in
/// `glib::spawn_future_local` or a relm4 `oneshot_command`'s local future).
pub fn ask(
    parent: Option<&gtk::Window>,
    request: CredentialPromptRequest,
) -> impl Future<Output = Option<CredentialAnswers>> + use<> {
    let (reply, answered) = oneshot::channel();
    let dialog = build_dialog(parent, &request);
    let entries = dialog.entries.clone();
    let remember = dialog.remember.clone();
    let reply = Rc::new(RefCell::new(Some(reply)));
    dialog.window.connect_response(None, move |_, response| {
        let answers = (response == "connect").then(|| CredentialAnswers {
            values: entries
                .iter()
                .map(|entry| Secret::new(entry.text().to_string()))
                .collect(),
            remember: remember.as_ref().is_some_and(|check| check.is_active()),
        });
        if let Some(reply) = reply.borrow_mut().take() {
            let _ = reply.send(answers);
        }
    });
    dialog.window.present();
    // Start typing where an answer is missing.
    if let Some(first_empty) = dialog.entries.iter().find(|entry| entry.text().is_empty()) {
        first_empty.grab_focus();
    }
    async move { answered.await.ok().flatten() }
}

struct Prompt {
    window: adw::MessageDialog,
    entries: Vec<adw::EntryRow>,
    remember: Option<gtk::CheckButton>,
}

fn build_dialog(parent: Option<&gtk::Window>, request: &CredentialPromptRequest) -> Prompt {
    let body = if request.rejected_before {
        gettext_f(
            "The host did not accept these credentials. Log in again to connect to {uri}",
            &[("uri", &request.uri)],
        )
    } else {
        gettext_f("Log in to connect to {uri}", &[("uri", &request.uri)])
    };
    let window = adw::MessageDialog::new(
        parent,
        Some(&gettext("Authentication Required")),
        Some(&body),
    );
    window.add_response("cancel", &gettext("_Cancel"));
    window.add_response("connect", &gettext("C_onnect"));
    window.set_response_appearance("connect", adw::ResponseAppearance::Suggested);
    window.set_default_response(Some("connect"));
    window.set_close_response("cancel");

    let list = gtk::ListBox::builder()
        .selection_mode(gtk::SelectionMode::None)
        .css_classes(["boxed-list"])
        .build();
    let entries: Vec<adw::EntryRow> = request
        .fields
        .iter()
        .map(|field| {
            let title = field_title(field);
            let row: adw::EntryRow = if field.echo {
                adw::EntryRow::new()
            } else {
                adw::PasswordEntryRow::new().upcast()
            };
            row.set_title(&title);
            // Long libvirt prompts (ssh key paths) may be cut off in the row title.
            row.set_tooltip_text(Some(&title));
            row.set_activates_default(true);
            if let Some(value) = &field.default_value {
                row.set_text(value);
            }
            list.append(&row);
            row
        })
        .collect();

    let content = gtk::Box::new(gtk::Orientation::Vertical, 12);
    content.append(&list);
    let asks_secret = request.fields.iter().any(|field| !field.echo);
    let remember = (request.can_remember && asks_secret).then(|| {
        let check = gtk::CheckButton::with_mnemonic(&gettext("_Remember password"));
        content.append(&check);
        check
    });
    window.set_extra_child(Some(&content));

    Prompt {
        window,
        entries,
        remember,
    }
}

/// libvirt's prompt without its trailing colon, or a label for the kind when it has none.
fn field_title(field: &PromptField) -> String {
    let prompt = field.prompt.trim().trim_end_matches(':').trim_end();
    if !prompt.is_empty() {
        return prompt.to_owned();
    }
    match field.kind {
        CredentialKind::Username => gettext("User Name"),
        CredentialKind::AuthName => gettext("Authentication Name"),
        CredentialKind::Language => gettext("Language"),
        CredentialKind::ClientNonce => gettext("Client Nonce"),
        CredentialKind::Passphrase | CredentialKind::NoEchoPrompt => gettext("Password"),
        CredentialKind::EchoPrompt => gettext("Answer"),
        CredentialKind::Realm => gettext("Realm"),
        CredentialKind::External | CredentialKind::Other(_) => gettext("Credential"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_shown_in_libvirts_words_without_the_colon() {
        let field = PromptField::new(CredentialKind::NoEchoPrompt, "root@lab's password: ");
        assert_eq!(field_title(&field), "root@lab's password");
        assert!(!field.echo);
        let empty = PromptField::new(CredentialKind::Username, "  ");
        assert_eq!(field_title(&empty), "User Name");
        assert!(empty.echo);
        assert_eq!(
            field_title(&PromptField::new(CredentialKind::Passphrase, "")),
            "Password"
        );
    }
}

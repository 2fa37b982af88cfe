//! Passwords for password-protected displays: the keyring first (`SecretKey::Vnc`), else a
//! prompt with "Remember password"; a refused password is asked for again. Keyring calls block,
//! so they run on the consoles' runtime's blocking pool, never on the GTK thread. A password
//! that worked is kept (wiped on drop) for this console's reconnections, and stored in the
//! keyring only once the display has accepted it.

use std::sync::{Arc, Mutex, PoisonError};

use adw::prelude::*;
use tokio::sync::{mpsc, oneshot};

use hangar::i18n::{gettext, gettext_f};
use hangar::secrets::{self, Secret, SecretKey};
use hangar::vnc::PasswordProvider;

/// A request for the GTK side to show the prompt.
pub struct PromptJob {
    /// The previous password was refused.
    pub retry: bool,
    /// A Secret Service answered, so "Remember password" can work.
    pub can_remember: bool,
    pub reply: oneshot::Sender<Option<(Secret, bool)>>,
}

#[derive(Default)]
struct AskerState {
    /// The user must be asked (the cached or stored password was refused).
    ask_user: bool,
    /// The last password that worked.
    cached: Option<Secret>,
    /// The password just given, and whether to remember it once it works.
    pending: Option<(Secret, bool)>,
    /// Whether any password was asked for since the last connection.
    asked_after_refusal: bool,
}

/// Answers a console session's password requests. Shared with the session task.
pub struct PasswordAsker {
    key: Option<SecretKey>,
    prompts: mpsc::UnboundedSender<PromptJob>,
    state: Mutex<AskerState>,
}

impl PasswordAsker {
    /// An asker whose prompts arrive on the returned receiver; `key` is where the password is
    /// stored (`None`: nothing is stored, e.g. for a console without a libvirt guest).
    pub fn new(key: Option<SecretKey>) -> (Arc<PasswordAsker>, mpsc::UnboundedReceiver<PromptJob>) {
        let (prompts, receiver) = mpsc::unbounded_channel();
        let asker = Arc::new(PasswordAsker {
            key,
            prompts,
            state: Mutex::default(),
        });
        (asker, receiver)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, AskerState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next session must ask the user (the lifecycle says the password was refused).
    pub fn set_ask_user(&self, ask_user: bool) {
        let mut state = self.state();
        state.ask_user = ask_user;
        if ask_user {
            state.cached = None;
        }
    }

    /// The provider for one session.
    pub fn provider(self: &Arc<Self>) -> PasswordProvider {
        let asker = Arc::clone(self);
        PasswordProvider::new(move || {
            let asker = Arc::clone(&asker);
            Box::pin(async move { asker.password().await })
        })
    }

    async fn password(self: Arc<Self>) -> Option<String> {
        let (ask_user, cached) = {
            let state = self.state();
            (state.ask_user, state.cached.clone())
        };
        let mut can_remember = self.key.is_some();
        if !ask_user {
            if let Some(cached) = cached {
                return Some(cached.expose().to_owned());
            }
            if let Some(key) = self.key.clone() {
                match tokio::task::spawn_blocking(move || secrets::lookup(&key)).await {
                    Ok(Ok(Some(secret))) => {
                        self.state().pending = Some((secret.clone(), false));
                        return Some(secret.expose().to_owned());
                    }
                    Ok(Ok(None)) => {}
                    Ok(Err(error)) => {
                        can_remember = !error.is_unavailable();
                        if can_remember {
                            log::warn!("console password lookup: {error}");
                        }
                    }
                    Err(error) => log::warn!("console password lookup: {error}"),
                }
            }
        }
        let (reply, answer) = oneshot::channel();
        let job = PromptJob {
            retry: ask_user,
            can_remember,
            reply,
        };
        self.prompts.send(job).ok()?;
        let (secret, remember) = answer.await.ok().flatten()?;
        let text = secret.expose().to_owned();
        let mut state = self.state();
        state.pending = Some((secret, remember));
        state.asked_after_refusal = true;
        Some(text)
    }

    /// The display accepted the password (if one was asked for): keep it, and store it when
    /// the user asked to remember it.
    pub fn connected(&self) {
        let pending = {
            let mut state = self.state();
            state.ask_user = false;
            state.asked_after_refusal = false;
            let pending = state.pending.take();
            if let Some((secret, _)) = &pending {
                state.cached = Some(secret.clone());
            }
            pending
        };
        let (Some((secret, true)), Some(key)) = (pending, self.key.clone()) else {
            return;
        };
        let store = move || {
            if let Err(error) = secrets::store(&key, &secret) {
                log::warn!("could not remember the console password: {error}");
            }
        };
        match super::runtime::handle() {
            Ok(runtime) => {
                runtime.spawn_blocking(store);
            }
            Err(error) => log::warn!("could not remember the console password: {error}"),
        }
    }
}

/// Shows the password prompt over `parent`; resolves to the password and "remember", or
/// `None` when cancelled.
pub async fn ask(
    parent: Option<gtk::Window>,
    title: &str,
    job: &PromptJob,
) -> Option<(Secret, bool)> {
    let heading = if job.retry {
        gettext("Wrong Password")
    } else {
        gettext("Password Required")
    };
    let body = if job.retry {
        gettext_f(
            "The display of “{name}” did not accept the password. Enter it again.",
            &[("name", title)],
        )
    } else {
        gettext_f(
            "The display of “{name}” is protected by a password.",
            &[("name", title)],
        )
    };
    let dialog = adw::MessageDialog::new(parent.as_ref(), Some(&heading), Some(&body));
    dialog.add_response("cancel", &gettext("_Cancel"));
    dialog.add_response("connect", &gettext("C_onnect"));
    dialog.set_response_appearance("connect", adw::ResponseAppearance::Suggested);
    dialog.set_default_response(Some("connect"));
    dialog.set_close_response("cancel");
    let list = gtk::ListBox::builder()
        .selection_mode(gtk::SelectionMode::None)
        .css_classes(["boxed-list"])
        .build();
    let entry = adw::PasswordEntryRow::new();
    entry.set_title(&gettext("Password"));
    entry.set_activates_default(true);
    list.append(&entry);
    let content = gtk::Box::new(gtk::Orientation::Vertical, 12);
    content.append(&list);
    let remember = job.can_remember.then(|| {
        let check = gtk::CheckButton::with_mnemonic(&gettext("_Remember password"));
        content.append(&check);
        check
    });
    dialog.set_extra_child(Some(&content));
    // AdwMessageDialog's `choose` is libadwaita 1.3: answer through the response signal.
    let (responded, response) = oneshot::channel::<String>();
    let responded = std::cell::RefCell::new(Some(responded));
    dialog.connect_response(None, move |_, response| {
        if let Some(responded) = responded.borrow_mut().take() {
            let _ = responded.send(response.to_owned());
        }
    });
    dialog.present();
    entry.grab_focus();
    let response = response.await.unwrap_or_default();
    (response == "connect").then(|| {
        (
            Secret::new(entry.text().to_string()),
            remember.is_some_and(|check| check.is_active()),
        )
    })
}

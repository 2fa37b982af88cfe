//! What the console says when it shows no picture: one status page whose icon, title,
//! description and button follow the lifecycle's phase.

use hangar::console_model::Phase;
use hangar::i18n::gettext;

/// What the status page's button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    /// Start the guest.
    Run,
    /// Connect again now (after a failure or refused password).
    Retry,
}

/// The status page for a phase; `None` while the guest's screen is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusContent {
    pub icon: &'static str,
    pub title: String,
    pub description: String,
    pub button: Option<(String, StatusAction)>,
    /// Show a spinner (work in progress).
    pub busy: bool,
}

/// `can_run`: the console belongs to a libvirt guest that can be started from here.
pub fn content(phase: &Phase, can_run: bool) -> Option<StatusContent> {
    let page = |icon, title: String, description: String| StatusContent {
        icon,
        title,
        description,
        button: None,
        busy: false,
    };
    Some(match phase {
        Phase::Connected => return None,
        Phase::Idle | Phase::Connecting => StatusContent {
            busy: true,
            ..page(
                "video-display-symbolic",
                gettext("Connecting…"),
                gettext("Opening the display of the virtual machine."),
            )
        },
        Phase::NotRunning => StatusContent {
            button: can_run.then(|| (gettext("_Run"), StatusAction::Run)),
            ..page(
                "system-shutdown-symbolic",
                gettext("Not Running"),
                gettext("Start the virtual machine to see its screen."),
            )
        },
        Phase::AuthFailed { message } => StatusContent {
            button: Some((gettext("_Enter Password…"), StatusAction::Retry)),
            ..page(
                "dialog-password-symbolic",
                gettext("Authentication Failed"),
                message.clone(),
            )
        },
        Phase::NoGraphics { message } => page(
            "video-display-symbolic",
            gettext("No Display"),
            message.clone(),
        ),
        Phase::Disconnected { message, retrying } => {
            let mut description = if message.is_empty() {
                gettext("The display server closed the connection.")
            } else {
                message.clone()
            };
            if *retrying {
                description.push('\n');
                description.push_str(&gettext("Reconnecting…"));
            }
            StatusContent {
                button: Some((gettext("_Reconnect"), StatusAction::Retry)),
                busy: *retrying,
                ..page(
                    "network-offline-symbolic",
                    gettext("Disconnected"),
                    description,
                )
            }
        }
        Phase::Failed { message } => StatusContent {
            button: Some((gettext("_Try Again"), StatusAction::Retry)),
            ..page(
                "dialog-error-symbolic",
                gettext("Cannot Show the Display"),
                message.clone(),
            )
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phase_but_connected_has_words_and_the_right_button() {
        assert_eq!(content(&Phase::Connected, true), None);
        let off = content(&Phase::NotRunning, true).unwrap();
        assert_eq!(off.button.map(|b| b.1), Some(StatusAction::Run));
        assert!(content(&Phase::NotRunning, false).unwrap().button.is_none());
        let refused = content(
            &Phase::AuthFailed {
                message: "wrong".into(),
            },
            true,
        )
        .unwrap();
        assert_eq!(refused.description, "wrong");
        assert_eq!(refused.button.map(|b| b.1), Some(StatusAction::Retry));
        let lost = content(
            &Phase::Disconnected {
                message: String::new(),
                retrying: true,
            },
            true,
        )
        .unwrap();
        assert!(lost.busy && lost.description.contains('\n'));
        assert!(content(&Phase::Connecting, true).unwrap().busy);
    }
}

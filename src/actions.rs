//! Lifecycle actions on virtual machines, GTK-free: which action is valid in which state, which
//! need confirmation, and how the result of one action on many machines is summed up in words.

use crate::i18n::{gettext, ngettext_f, pgettext};
use crate::model::DomainState;

/// An everyday action on a virtual machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VmAction {
    Run,
    Pause,
    Resume,
    Shutdown,
    Reboot,
    ForceReset,
    ForceOff,
    Save,
    Delete,
}

impl VmAction {
    pub const ALL: [VmAction; 9] = [
        Self::Run,
        Self::Pause,
        Self::Resume,
        Self::Shutdown,
        Self::Reboot,
        Self::ForceReset,
        Self::ForceOff,
        Self::Save,
        Self::Delete,
    ];

    /// The action's name in `win.` actions and the accessibility tree.
    pub fn id(self) -> &'static str {
        match self {
            Self::Run => "vm-run",
            Self::Pause => "vm-pause",
            Self::Resume => "vm-resume",
            Self::Shutdown => "vm-shutdown",
            Self::Reboot => "vm-reboot",
            Self::ForceReset => "vm-force-reset",
            Self::ForceOff => "vm-force-off",
            Self::Save => "vm-save",
            Self::Delete => "vm-delete",
        }
    }

    /// Whether the action makes sense for a machine in `state`.
    pub fn valid_for(self, state: DomainState, persistent: bool) -> bool {
        use DomainState::*;
        match self {
            Self::Run => matches!(state, ShutOff | Crashed | NoState) && persistent,
            Self::Pause => matches!(state, Running | Blocked),
            Self::Resume => matches!(state, Paused | PmSuspended),
            Self::Shutdown | Self::Reboot => matches!(state, Running | Blocked),
            Self::ForceReset => matches!(state, Running | Blocked | Paused | ShuttingDown),
            Self::ForceOff => state.is_active(),
            Self::Save => matches!(state, Running | Blocked | Paused) && persistent,
            // A transient machine disappears when it stops; deleting it means forcing it off.
            Self::Delete => persistent || state.is_active(),
        }
    }

    /// The GSettings key that says whether to confirm this action, if it is ever confirmed.
    pub fn confirmation_key(self) -> Option<&'static str> {
        match self {
            Self::ForceOff => Some("confirm-force-off"),
            Self::ForceReset => Some("confirm-force-reset"),
            Self::Shutdown => Some("confirm-shutdown"),
            Self::Reboot => Some("confirm-reboot"),
            Self::Save => Some("confirm-save"),
            Self::Delete => Some("confirm-delete"),
            Self::Run | Self::Pause | Self::Resume => None,
        }
    }

    /// The label of the button or menu item (with a mnemonic).
    pub fn label(self) -> String {
        match self {
            Self::Run => gettext("_Run"),
            Self::Pause => gettext("_Pause"),
            Self::Resume => gettext("R_esume"),
            Self::Shutdown => gettext("_Shut Down"),
            Self::Reboot => gettext("Re_boot"),
            Self::ForceReset => gettext("Force _Reset"),
            Self::ForceOff => gettext("_Force Off"),
            Self::Save => gettext("_Save"),
            Self::Delete => gettext("_Delete"),
        }
    }

    /// The symbolic icon of the action's button.
    pub fn icon(self) -> &'static str {
        match self {
            Self::Run => "media-playback-start-symbolic",
            Self::Pause => "media-playback-pause-symbolic",
            Self::Resume => "media-playback-start-symbolic",
            Self::Shutdown => "system-shutdown-symbolic",
            Self::Reboot => "system-reboot-symbolic",
            Self::ForceReset => "view-refresh-symbolic",
            Self::ForceOff => "process-stop-symbolic",
            Self::Save => "document-save-symbolic",
            Self::Delete => "user-trash-symbolic",
        }
    }

    /// What a row shows while the action runs ("Starting…").
    pub fn in_flight(self) -> String {
        match self {
            Self::Run => pgettext("action in flight", "Starting…"),
            Self::Pause => pgettext("action in flight", "Pausing…"),
            Self::Resume => pgettext("action in flight", "Resuming…"),
            Self::Shutdown => pgettext("action in flight", "Shutting down…"),
            Self::Reboot => pgettext("action in flight", "Rebooting…"),
            Self::ForceReset => pgettext("action in flight", "Resetting…"),
            Self::ForceOff => pgettext("action in flight", "Forcing off…"),
            Self::Save => pgettext("action in flight", "Saving…"),
            Self::Delete => pgettext("action in flight", "Deleting…"),
        }
    }

    /// "7 started" for `count` machines on which the action succeeded.
    pub fn done_text(self, count: u32) -> String {
        let n = count.to_string();
        let args = [("n", n.as_str())];
        match self {
            Self::Run => ngettext_f("{n} started", "{n} started", count, &args),
            Self::Pause => ngettext_f("{n} paused", "{n} paused", count, &args),
            Self::Resume => ngettext_f("{n} resumed", "{n} resumed", count, &args),
            Self::Shutdown => ngettext_f("{n} shutting down", "{n} shutting down", count, &args),
            Self::Reboot => ngettext_f("{n} rebooting", "{n} rebooting", count, &args),
            Self::ForceReset => ngettext_f("{n} reset", "{n} reset", count, &args),
            Self::ForceOff => ngettext_f("{n} forced off", "{n} forced off", count, &args),
            Self::Save => ngettext_f("{n} saved", "{n} saved", count, &args),
            Self::Delete => ngettext_f("{n} deleted", "{n} deleted", count, &args),
        }
    }

    /// The confirmation question for `count` machines, the first of which is `name`.
    pub fn confirm_question(self, count: u32, name: &str) -> String {
        let n = count.to_string();
        let args = [("n", n.as_str()), ("name", name)];
        // Each arm calls ngettext_f with literals so that xgettext extracts them.
        match self {
            Self::Shutdown => ngettext_f(
                "Shut down “{name}”?",
                "Shut down {n} virtual machines?",
                count,
                &args,
            ),
            Self::Reboot => ngettext_f(
                "Reboot “{name}”?",
                "Reboot {n} virtual machines?",
                count,
                &args,
            ),
            Self::ForceReset => ngettext_f(
                "Force “{name}” to reset?",
                "Force {n} virtual machines to reset?",
                count,
                &args,
            ),
            Self::ForceOff => ngettext_f(
                "Force “{name}” off?",
                "Force {n} virtual machines off?",
                count,
                &args,
            ),
            Self::Save => ngettext_f(
                "Save the state of “{name}”?",
                "Save the state of {n} virtual machines?",
                count,
                &args,
            ),
            Self::Delete => ngettext_f(
                "Delete “{name}”?",
                "Delete {n} virtual machines?",
                count,
                &args,
            ),
            Self::Run | Self::Pause | Self::Resume => name.to_owned(),
        }
    }

    /// What confirming means, in one sentence.
    pub fn confirm_detail(self) -> String {
        match self {
            Self::Shutdown => gettext(
                "The guest operating system is asked to shut down; it may refuse or take a while.",
            ),
            Self::Reboot => gettext("The guest operating system is asked to restart."),
            Self::ForceReset => gettext(
                "The machine restarts at once, like pressing its reset button. Unsaved work in the guest is lost.",
            ),
            Self::ForceOff => gettext(
                "The machine stops at once, like pulling its power plug. Unsaved work in the guest is lost.",
            ),
            Self::Save => gettext(
                "The machine’s memory is written to disk and the machine stops; running it again restores it.",
            ),
            Self::Delete => gettext(
                "The machine’s definition is removed from its host. Its disk images are kept.",
            ),
            Self::Run | Self::Pause | Self::Resume => String::new(),
        }
    }

    /// Whether confirming destroys something (the dialog marks the button in red).
    pub fn is_destructive(self) -> bool {
        matches!(self, Self::ForceReset | Self::ForceOff | Self::Delete)
    }
}

/// The outcome of one action on many machines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchResult {
    pub succeeded: u32,
    /// Each failure: the machine's name and libvirt's message.
    pub failures: Vec<(String, String)>,
}

impl BatchResult {
    /// "7 started, 1 failed: web-03: Requested operation is not valid…"; only the first
    /// failure's message is quoted, the rest are in the details.
    pub fn summary(&self, action: VmAction) -> String {
        let mut parts = Vec::new();
        if self.succeeded > 0 || self.failures.is_empty() {
            parts.push(action.done_text(self.succeeded));
        }
        if let Some((name, message)) = self.failures.first() {
            let n = self.failures.len() as u32;
            let count = n.to_string();
            parts.push(ngettext_f(
                "{n} failed: {name}: {message}",
                "{n} failed: {name}: {message} …",
                n,
                &[("n", &count), ("name", name), ("message", message)],
            ));
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DomainState::*;

    #[test]
    fn actions_follow_the_state() {
        assert!(VmAction::Run.valid_for(ShutOff, true));
        assert!(!VmAction::Run.valid_for(Running, true));
        assert!(!VmAction::Run.valid_for(ShutOff, false));
        assert!(VmAction::Pause.valid_for(Running, true));
        assert!(!VmAction::Pause.valid_for(Paused, true));
        assert!(VmAction::Resume.valid_for(Paused, true));
        assert!(VmAction::ForceOff.valid_for(Paused, true));
        assert!(!VmAction::ForceOff.valid_for(ShutOff, true));
        assert!(!VmAction::Shutdown.valid_for(Paused, true));
        assert!(VmAction::Save.valid_for(Paused, true));
        assert!(!VmAction::Save.valid_for(Running, false));
        assert!(VmAction::Delete.valid_for(ShutOff, true));
        assert!(VmAction::Delete.valid_for(Running, false));
    }

    #[test]
    fn only_harmless_actions_skip_confirmation() {
        for action in VmAction::ALL {
            let confirmed = action.confirmation_key().is_some();
            let harmless = matches!(action, VmAction::Run | VmAction::Pause | VmAction::Resume);
            assert_eq!(confirmed, !harmless, "{action:?}");
        }
    }

    #[test]
    fn summary_counts_successes_and_quotes_the_first_failure() {
        let result = BatchResult {
            succeeded: 7,
            failures: vec![("web-03".into(), "domain is already running".into())],
        };
        assert_eq!(
            result.summary(VmAction::Run),
            "7 started, 1 failed: web-03: domain is already running"
        );
        let none = BatchResult::default();
        assert_eq!(none.summary(VmAction::ForceOff), "0 forced off");
        let all_failed = BatchResult {
            succeeded: 0,
            failures: vec![("a".into(), "x".into()), ("b".into(), "y".into())],
        };
        assert_eq!(all_failed.summary(VmAction::Pause), "2 failed: a: x …");
    }
}

//! Lifecycle actions on the selected machines: confirmation (when configured), one command per
//! machine run in parallel (each connection's worker serialises its own), rows showing the
//! action in flight, and one summary toast for the whole batch.

use adw::prelude::*;
use relm4::ComponentSender;

use hangar::actions::{BatchResult, VmAction};
use hangar::details::apply::delete_domain;
use hangar::details::delete::DeletePlan;
use hangar::driver::Connection;
use hangar::i18n::gettext;
use hangar::model::{ConnectionId, DomainState, DomainUuid};

use super::{Window, WindowCommand, WindowInput};
use crate::ui::details::delete_dialog::{self, DeleteInit};

/// One machine an action applies to.
#[derive(Debug, Clone)]
pub struct Target {
    pub connection: ConnectionId,
    pub uuid: DomainUuid,
    pub name: String,
    pub state: DomainState,
    /// For Delete: the volume paths to delete with the machine (chosen in the Delete dialog).
    pub storage: Vec<String>,
}

/// An action on several machines, collecting results until all have answered.
#[derive(Debug)]
pub struct Batch {
    action: VmAction,
    pending: usize,
    result: BatchResult,
}

/// Runs one action on one machine through its connection's worker.
async fn perform(connection: Connection, action: VmAction, target: &Target) -> Result<(), String> {
    let uuid = target.uuid;
    let result = match action {
        VmAction::Run => connection.start(uuid).await,
        VmAction::Pause => connection.suspend(uuid).await,
        VmAction::Resume => connection.resume(uuid).await,
        VmAction::Shutdown => connection.shutdown(uuid).await,
        VmAction::Reboot => connection.reboot(uuid).await,
        VmAction::ForceReset => connection.reset(uuid).await,
        VmAction::ForceOff => connection.force_off(uuid).await,
        VmAction::Save => connection.managed_save(uuid).await,
        VmAction::Delete => {
            // A running machine is forced off first, as virt-manager does; then the
            // definition goes (with its saved state and snapshot metadata), then the storage.
            let plan = DeletePlan {
                force_off: target.state.is_active(),
                volumes: target.storage.clone(),
            };
            return delete_domain(&connection, uuid, &plan)
                .await
                .map_err(|error| error.to_string())?
                .into_result();
        }
    };
    result.map_err(|error| error.to_string())
}

impl Window {
    /// The selected machines for which `action` is valid.
    fn targets(&self, action: VmAction) -> Vec<Target> {
        self.fleet
            .selected_items()
            .iter()
            .filter_map(|item| {
                let vm = item.vm()?;
                action.valid_for(vm.state, vm.persistent).then(|| Target {
                    connection: vm.connection,
                    uuid: vm.uuid,
                    name: vm.name.clone(),
                    state: vm.state,
                    storage: Vec::new(),
                })
            })
            .collect()
    }

    /// Asks for confirmation if the preferences say so, then runs the action.
    pub(super) fn request_action(
        &mut self,
        action: VmAction,
        root: &adw::ApplicationWindow,
        sender: &ComponentSender<Self>,
    ) {
        let targets = self.targets(action);
        if targets.is_empty() {
            return;
        }
        // One machine: the Delete dialog offers its disk images. Several: the summary
        // confirmation below, and their storage is kept.
        if action == VmAction::Delete
            && let [target] = targets.as_slice()
            && self.open_delete_dialog(target.clone(), root, sender)
        {
            return;
        }
        let confirm = action
            .confirmation_key()
            .is_some_and(|key| self.settings.boolean(key));
        if !confirm {
            self.run_action(action, targets, sender);
            return;
        }
        let count = targets.len() as u32;
        let dialog = adw::MessageDialog::new(
            Some(root),
            Some(&action.confirm_question(count, &targets[0].name)),
            Some(&action.confirm_detail()),
        );
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("confirm", &action.label());
        dialog.set_response_appearance(
            "confirm",
            if action.is_destructive() {
                adw::ResponseAppearance::Destructive
            } else {
                adw::ResponseAppearance::Suggested
            },
        );
        dialog.set_default_response(Some("cancel"));
        dialog.set_close_response("cancel");
        let sender = sender.clone();
        dialog.connect_response(None, move |_, response| {
            if response == "confirm" {
                sender.input(WindowInput::Run(action, targets.clone()));
            }
        });
        dialog.present();
    }

    /// The Delete dialog for one machine; confirming runs Delete with the chosen storage.
    /// False when the machine's facts are not known yet (the plain confirmation is used).
    fn open_delete_dialog(
        &self,
        target: Target,
        root: &adw::ApplicationWindow,
        sender: &ComponentSender<Self>,
    ) -> bool {
        let Some(entry) = self.hosts.get(&target.connection) else {
            return false;
        };
        let Some(info) = entry.domains.get(&target.uuid).cloned() else {
            return false;
        };
        let init = DeleteInit {
            connection: entry.connection.clone(),
            info,
        };
        let sender = sender.clone();
        delete_dialog::open(root, init, move |plan| {
            let target = Target {
                storage: plan.volumes,
                ..target.clone()
            };
            sender.input(WindowInput::Run(VmAction::Delete, vec![target]));
        });
        true
    }

    /// Starts the action on every target at once and marks their rows busy.
    pub(super) fn run_action(
        &mut self,
        action: VmAction,
        targets: Vec<Target>,
        sender: &ComponentSender<Self>,
    ) {
        let batch = self.next_batch;
        self.next_batch += 1;
        let mut started = 0;
        for target in targets {
            let Some(connection) = self
                .hosts
                .get(&target.connection)
                .map(|entry| entry.connection.clone())
            else {
                continue;
            };
            if let Some(item) = self.fleet.vm(target.connection, target.uuid) {
                item.update_vm(|vm| vm.busy = Some(action.in_flight()));
            }
            started += 1;
            sender.oneshot_command(async move {
                let result = perform(connection, action, &target).await;
                WindowCommand::ActionDone {
                    batch,
                    target,
                    result,
                }
            });
        }
        if started > 0 {
            self.batches.insert(
                batch,
                Batch {
                    action,
                    pending: started,
                    result: BatchResult::default(),
                },
            );
        }
        self.fleet.refresh(false);
        self.refresh_shown_page();
    }

    /// One machine answered; when the whole batch has, sums it up in a toast.
    pub(super) fn action_done(&mut self, batch: u64, target: Target, result: Result<(), String>) {
        if let Some(item) = self.fleet.vm(target.connection, target.uuid) {
            // The lifecycle event clears it too; a failed action has none.
            item.update_vm(|vm| vm.busy = None);
        }
        self.fleet.refresh(false);
        self.refresh_shown_page();
        let Some(entry) = self.batches.get_mut(&batch) else {
            return;
        };
        match result {
            Ok(()) => entry.result.succeeded += 1,
            Err(message) => entry.result.failures.push((target.name, message)),
        }
        entry.pending -= 1;
        if entry.pending > 0 {
            return;
        }
        let Some(done) = self.batches.remove(&batch) else {
            return;
        };
        let total = done.result.succeeded as usize + done.result.failures.len();
        // A single successful action speaks for itself in its row; anything else gets a toast.
        if total == 1 && done.result.failures.is_empty() {
            return;
        }
        let details = (!done.result.failures.is_empty()).then(|| {
            done.result
                .failures
                .iter()
                .map(|(name, message)| format!("{name}: {message}"))
                .collect::<Vec<_>>()
                .join("\n")
        });
        self.layout
            .toast(&done.result.summary(done.action), details);
    }
}

//! The Delete dialog for one machine: its disk images with checkboxes ("delete associated
//! storage"), images shared with other machines of the host flagged and unchecked, what else
//! the undefine removes (saved state, snapshot metadata, UEFI variables), then Delete.
//!
//! ```ignore
//! delete_dialog::open(&window, DeleteInit { connection, info }, |plan| { … run it … });
//! ```

use std::cell::RefCell;
use std::sync::Arc;

use adw::prelude::*;
use gtk::glib;
use relm4::prelude::*;

use hangar::details::Definition;
use hangar::details::apply::{host_domains, resolve_volumes, snapshot_count};
use hangar::details::delete::{DeletePlan, StorageChoice, storage_choices, undefine_notes};
use hangar::driver::{Connection, DomainInfo};
use hangar::i18n::{gettext, gettext_f};

/// The machine to delete.
pub struct DeleteInit {
    pub connection: Connection,
    pub info: Arc<DomainInfo>,
}

/// The dialog's answer.
#[derive(Debug)]
pub enum DeleteOutput {
    Confirmed(DeletePlan),
}

#[derive(Debug)]
pub enum DeleteInput {
    /// The "delete associated storage" switch.
    Storage(bool),
    Toggle(usize, bool),
    Response(String),
}

#[derive(Debug)]
pub enum DeleteCommand {
    Loaded(Result<(Vec<StorageChoice>, Vec<String>), String>),
}

pub struct DeleteDialog {
    info: Arc<DomainInfo>,
    choices: Vec<StorageChoice>,
    delete_storage: bool,
    list: gtk::ListBox,
    body: gtk::Box,
}

thread_local! {
    /// The open dialog's controller (one at a time); dropped once the dialog has answered.
    static OPEN: RefCell<Option<Controller<DeleteDialog>>> = const { RefCell::new(None) };
}

/// Opens the dialog over `parent`; `confirmed` runs with the plan if the user deletes.
pub fn open(
    parent: &adw::ApplicationWindow,
    init: DeleteInit,
    confirmed: impl Fn(DeletePlan) + 'static,
) {
    let controller = DeleteDialog::builder()
        .transient_for(parent)
        .launch(init)
        .connect_receiver(move |_, DeleteOutput::Confirmed(plan)| confirmed(plan));
    OPEN.with(|open| *open.borrow_mut() = Some(controller));
}

fn close_later() {
    // Not from inside the dialog's own handler: its runtime is still on the stack.
    glib::idle_add_local_once(|| {
        let controller = OPEN.with(|open| open.borrow_mut().take());
        if let Some(controller) = controller {
            controller.widget().destroy();
        }
    });
}

impl Component for DeleteDialog {
    type Init = DeleteInit;
    type Input = DeleteInput;
    type Output = DeleteOutput;
    type CommandOutput = DeleteCommand;
    type Root = adw::MessageDialog;
    type Widgets = ();

    fn init_root() -> Self::Root {
        adw::MessageDialog::builder().modal(true).build()
    }

    fn init(
        init: DeleteInit,
        root: Self::Root,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let info = init.info.clone();
        root.set_heading(Some(&gettext_f(
            "Delete “{name}”?",
            &[("name", &info.name)],
        )));
        root.set_body(&gettext(
            "The machine’s definition is removed from its host. Checked disk images are deleted as well; this cannot be undone.",
        ));
        root.add_response("cancel", &gettext("_Cancel"));
        root.add_response("delete", &gettext("_Delete"));
        root.set_response_appearance("delete", adw::ResponseAppearance::Destructive);
        root.set_default_response(Some("cancel"));
        root.set_close_response("cancel");
        root.set_response_enabled("delete", false);
        root.connect_response(
            None,
            glib::clone!(
                #[strong]
                sender,
                move |_, response| sender.input(DeleteInput::Response(response.to_owned()))
            ),
        );

        let body = gtk::Box::new(gtk::Orientation::Vertical, 12);
        let spinner = crate::ui::spinner::Spinner::new(16);
        spinner.set_valign(gtk::Align::Center);
        let waiting = gtk::Box::new(gtk::Orientation::Horizontal, 8);
        waiting.set_halign(gtk::Align::Center);
        waiting.append(&spinner);
        waiting.append(&gtk::Label::new(Some(&gettext(
            "Looking for the machine’s storage…",
        ))));
        body.append(&waiting);
        root.set_extra_child(Some(&body));
        // Shown once the storage is listed (a message dialog keeps the size it was first shown
        // with), or after half a second with the spinner if the host is slow to answer.
        glib::timeout_add_local_once(
            std::time::Duration::from_millis(500),
            glib::clone!(
                #[weak]
                root,
                move || root.present()
            ),
        );

        let connection = init.connection;
        let loading_info = info.clone();
        sender.oneshot_command(async move {
            DeleteCommand::Loaded(load(&connection, &loading_info).await)
        });
        let list = gtk::ListBox::builder()
            .selection_mode(gtk::SelectionMode::None)
            .css_classes(["boxed-list"])
            .build();
        let model = DeleteDialog {
            info,
            choices: Vec::new(),
            delete_storage: false,
            list,
            body,
        };
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, input: DeleteInput, sender: ComponentSender<Self>, _: &Self::Root) {
        match input {
            DeleteInput::Storage(on) => {
                self.delete_storage = on;
                self.list.set_sensitive(on);
            }
            DeleteInput::Toggle(index, on) => {
                if let Some(choice) = self.choices.get_mut(index) {
                    choice.checked = on;
                }
            }
            DeleteInput::Response(response) => {
                if response == "delete" {
                    let choices: Vec<StorageChoice> = if self.delete_storage {
                        self.choices.clone()
                    } else {
                        Vec::new()
                    };
                    let _ = sender.output(DeleteOutput::Confirmed(DeletePlan::new(
                        &self.info, &choices,
                    )));
                }
                close_later();
            }
        }
    }

    fn update_cmd(
        &mut self,
        command: DeleteCommand,
        sender: ComponentSender<Self>,
        root: &Self::Root,
    ) {
        let DeleteCommand::Loaded(result) = command;
        while let Some(child) = self.body.first_child() {
            self.body.remove(&child);
        }
        root.set_response_enabled("delete", true);
        match result {
            Ok((choices, notes)) => self.fill(choices, notes, &sender),
            Err(message) => {
                let label = gtk::Label::builder()
                    .label(gettext_f(
                        "The machine’s storage could not be listed, so none will be deleted: {message}",
                        &[("message", &message)],
                    ))
                    .wrap(true)
                    .xalign(0.0)
                    .css_classes(["error"])
                    .build();
                self.body.append(&label);
            }
        }
        root.present();
    }
}

impl DeleteDialog {
    fn fill(
        &mut self,
        choices: Vec<StorageChoice>,
        notes: Vec<String>,
        sender: &ComponentSender<Self>,
    ) {
        if choices.is_empty() {
            self.body.append(
                &gtk::Label::builder()
                    .label(gettext("The machine has no disk images."))
                    .xalign(0.0)
                    .css_classes(["dim-label"])
                    .build(),
            );
        } else {
            self.delete_storage = choices.iter().any(|c| c.checked);
            let master = gtk::CheckButton::builder()
                .label(gettext("Delete _associated storage"))
                .use_underline(true)
                .active(self.delete_storage)
                .build();
            let master_sender = sender.clone();
            master.connect_toggled(move |check| {
                master_sender.input(DeleteInput::Storage(check.is_active()))
            });
            self.body.append(&master);
            for (index, choice) in choices.iter().enumerate() {
                let check = gtk::CheckButton::builder()
                    .active(choice.checked)
                    .sensitive(choice.blocked.is_none())
                    .valign(gtk::Align::Center)
                    .build();
                let title = if choice.target.is_empty() {
                    choice.device.clone()
                } else {
                    format!("{} ({})", choice.target, choice.device)
                };
                crate::ui::a11y::set_label(&check, &title);
                let toggle_sender = sender.clone();
                check.connect_toggled(move |check| {
                    toggle_sender.input(DeleteInput::Toggle(index, check.is_active()))
                });
                let row = adw::ActionRow::builder()
                    .title(&title)
                    .subtitle(choice.detail())
                    .subtitle_lines(3)
                    .activatable_widget(&check)
                    .build();
                row.add_prefix(&check);
                if !choice.used_by.is_empty() {
                    let shared = gtk::Image::builder()
                        .icon_name("dialog-warning-symbolic")
                        .tooltip_text(gettext("Shared with another machine"))
                        .css_classes(["warning"])
                        .build();
                    crate::ui::a11y::set_label(&shared, &gettext("Shared with another machine"));
                    row.add_suffix(&shared);
                }
                self.list.append(&row);
            }
            self.list.set_sensitive(self.delete_storage);
            self.body.append(&self.list);
        }
        for note in notes {
            self.body.append(
                &gtk::Label::builder()
                    .label(note)
                    .wrap(true)
                    .xalign(0.0)
                    .css_classes(["dim-label"])
                    .build(),
            );
        }
        self.choices = choices;
    }
}

/// Everything the dialog lists, read through the driver.
async fn load(
    connection: &Connection,
    info: &DomainInfo,
) -> Result<(Vec<StorageChoice>, Vec<String>), String> {
    let definition = Definition::load(connection, info.uuid)
        .await
        .map_err(|e| e.to_string())?;
    let storage = definition.domain.disk_storage();
    let resolved = resolve_volumes(connection, &storage)
        .await
        .map_err(|e| e.to_string())?;
    let others = host_domains(connection).await.map_err(|e| e.to_string())?;
    let snapshots = snapshot_count(connection, info.uuid).await;
    let choices = storage_choices(&definition.domain, &others, &resolved);
    let notes = undefine_notes(info, snapshots, definition.domain.os.nvram.as_deref());
    Ok((choices, notes))
}

//! The XML tab: the machine's persistent definition (with secrets where the connection may read
//! them) in a source view. Edit makes it editable; Apply defines it through libvirt with schema
//! validation — an invalid document shows libvirt's message and marks its line, changes
//! nothing and keeps the text for fixing; Revert discards the edits.

use adw::prelude::*;
use gtk::glib;
use relm4::prelude::*;

use hangar::details::Definition;
use hangar::details::apply::{define_edited_xml, not_secure_text};
use hangar::details::xml_editor::{XmlProblem, applied_text};
use hangar::i18n::gettext;

use super::source_view::XmlView;
use super::widgets::{Banner, Tone};
use super::{DetailsTarget, TabInput};

/// The tab's own messages.
#[derive(Debug)]
pub enum XmlMsg {
    Edit,
    Apply,
    Revert,
    /// The buffer's text changed (by the user or by a load).
    Changed,
}

/// Results of the tab's libvirt work.
#[derive(Debug)]
pub enum XmlCommand {
    Loaded {
        generation: u64,
        definition: Result<Box<Definition>, String>,
    },
    Applied {
        generation: u64,
        result: Result<(), XmlProblem>,
    },
}

pub struct XmlTab {
    target: Option<DetailsTarget>,
    /// The definition the text started from.
    base: Option<Definition>,
    /// A newer definition that arrived while the user was editing (Revert shows it).
    newer: Option<Definition>,
    generation: u64,
    editing: bool,
    modified: bool,
    busy: bool,
    /// The buffer's "changed" handler, blocked while code replaces the text (so that is not
    /// taken for an edit).
    changed_handler: glib::SignalHandlerId,
    banner: Banner,
    view: XmlView,
    error_tag: gtk::TextTag,
    status: gtk::Label,
    edit: gtk::Button,
    revert: gtk::Button,
    apply: gtk::Button,
}

fn msg(message: XmlMsg) -> TabInput<XmlMsg> {
    TabInput::Tab(message)
}

impl Component for XmlTab {
    type Init = ();
    type Input = TabInput<XmlMsg>;
    type Output = ();
    type CommandOutput = XmlCommand;
    type Root = gtk::Box;
    type Widgets = ();

    fn init_root() -> Self::Root {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(_: (), root: Self::Root, sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let banner = Banner::new();
        let view = XmlView::new(true);
        view.view.set_editable(false);
        crate::ui::a11y::set_label(&view.view, &gettext("Domain XML"));
        let error_tag = gtk::TextTag::builder()
            .name("libvirt-error")
            .background("rgba(224, 27, 36, 0.25)")
            .paragraph_background("rgba(224, 27, 36, 0.18)")
            .build();
        view.buffer.tag_table().add(&error_tag);
        let changed_handler = view.buffer.connect_changed(glib::clone!(
            #[strong]
            sender,
            move |_| sender.input(msg(XmlMsg::Changed))
        ));
        let status = gtk::Label::builder()
            .xalign(0.0)
            .hexpand(true)
            .wrap(true)
            .max_width_chars(50)
            .css_classes(["dim-label"])
            .build();
        let button = |label: &str, message: fn() -> XmlMsg| {
            let button = gtk::Button::with_mnemonic(label);
            let sender = sender.clone();
            button.connect_clicked(move |_| sender.input(msg(message())));
            button
        };
        let edit = button(&gettext("_Edit"), || XmlMsg::Edit);
        let revert = button(&gettext("Re_vert"), || XmlMsg::Revert);
        let apply = button(&gettext("_Apply"), || XmlMsg::Apply);
        apply.add_css_class("suggested-action");
        let toolbar = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        toolbar.set_margin_top(6);
        toolbar.set_margin_bottom(6);
        toolbar.set_margin_start(12);
        toolbar.set_margin_end(12);
        toolbar.append(&status);
        toolbar.append(&edit);
        toolbar.append(&revert);
        toolbar.append(&apply);
        let scroller = gtk::ScrolledWindow::builder()
            .vexpand(true)
            .child(&view.view)
            .build();
        root.append(&toolbar);
        root.append(&banner.root);
        root.append(&scroller);
        let model = XmlTab {
            target: None,
            base: None,
            newer: None,
            generation: 0,
            editing: false,
            modified: false,
            busy: false,
            changed_handler,
            banner,
            view,
            error_tag,
            status,
            edit,
            revert,
            apply,
        };
        model.update_controls();
        ComponentParts { model, widgets: () }
    }

    fn update(&mut self, input: Self::Input, sender: ComponentSender<Self>, _: &Self::Root) {
        match input {
            TabInput::Show(target) => self.show(*target, &sender),
            TabInput::Tab(XmlMsg::Edit) => {
                self.editing = true;
                self.view.view.grab_focus();
            }
            TabInput::Tab(XmlMsg::Revert) => {
                let latest = self.newer.take().or_else(|| self.base.take());
                if let Some(definition) = latest {
                    self.replace_text(definition);
                }
                self.editing = false;
                self.banner.hide();
            }
            TabInput::Tab(XmlMsg::Apply) => self.apply(&sender),
            TabInput::Tab(XmlMsg::Changed) => {
                self.modified = true;
                let (start, end) = self.view.buffer.bounds();
                self.view.buffer.remove_tag(&self.error_tag, &start, &end);
            }
        }
        self.update_controls();
    }

    fn update_cmd(&mut self, command: XmlCommand, sender: ComponentSender<Self>, _: &Self::Root) {
        match command {
            XmlCommand::Loaded {
                generation,
                definition,
            } if generation == self.generation => match definition {
                Ok(definition) if !self.modified => self.replace_text(*definition),
                Ok(definition) => {
                    if self.base.as_ref().is_some_and(|b| b.xml != definition.xml) {
                        self.banner.show(
                            Tone::Info,
                            &gettext(
                                "The definition changed since you started editing. Revert shows the current one.",
                            ),
                        );
                        self.newer = Some(*definition);
                    }
                }
                Err(message) => self.banner.show(Tone::Error, &message),
            },
            XmlCommand::Applied { generation, result } if generation == self.generation => {
                self.busy = false;
                match result {
                    Ok(()) => {
                        let active = self
                            .target
                            .as_ref()
                            .is_some_and(|t| t.info.state.is_active());
                        self.modified = false;
                        self.editing = false;
                        self.newer = None;
                        self.banner.show(Tone::Success, &applied_text(active));
                        self.load(&sender);
                    }
                    Err(problem) => self.show_problem(&problem),
                }
            }
            _ => {} // about a machine no longer shown
        }
        self.update_controls();
    }
}

impl XmlTab {
    fn show(&mut self, target: DetailsTarget, sender: &ComponentSender<Self>) {
        let other = self
            .target
            .as_ref()
            .is_none_or(|shown| !shown.same_machine(&target));
        if other {
            self.generation += 1;
            self.base = None;
            self.newer = None;
            self.modified = false;
            self.editing = false;
            self.busy = false;
            self.banner.hide();
            self.set_text_quietly("");
        }
        self.target = Some(target);
        self.load(sender);
    }

    fn load(&self, sender: &ComponentSender<Self>) {
        let Some(target) = &self.target else {
            return;
        };
        let (connection, uuid, generation) =
            (target.connection.clone(), target.uuid, self.generation);
        sender.oneshot_command(async move {
            let definition = Definition::load(&connection, uuid)
                .await
                .map(Box::new)
                .map_err(|error| error.to_string());
            XmlCommand::Loaded {
                generation,
                definition,
            }
        });
    }

    fn replace_text(&mut self, definition: Definition) {
        self.set_text_quietly(&definition.xml);
        self.modified = false;
        self.base = Some(definition);
    }

    fn set_text_quietly(&self, text: &str) {
        self.view.buffer.block_signal(&self.changed_handler);
        self.view.set_text(text);
        self.view.buffer.unblock_signal(&self.changed_handler);
    }

    fn apply(&mut self, sender: &ComponentSender<Self>) {
        let Some(target) = &self.target else {
            return;
        };
        let text = self.view.text();
        let (connection, uuid, generation) =
            (target.connection.clone(), target.uuid, self.generation);
        self.busy = true;
        self.banner.hide();
        sender.oneshot_command(async move {
            let result = define_edited_xml(&connection, uuid, &text).await;
            XmlCommand::Applied { generation, result }
        });
    }

    /// Shows libvirt's complaint and marks the line it is about, keeping the user's text.
    fn show_problem(&self, problem: &XmlProblem) {
        if problem.message.contains('\n') {
            self.banner.show_code(Tone::Error, &problem.describe());
        } else {
            self.banner.show(Tone::Error, &problem.describe());
        }
        let Some(line) = problem.line else {
            return;
        };
        let buffer = &self.view.buffer;
        let Some(start) = buffer.iter_at_line(line.saturating_sub(1) as i32) else {
            return;
        };
        let mut end = start;
        end.forward_to_line_end();
        buffer.apply_tag(&self.error_tag, &start, &end);
        buffer.place_cursor(&start);
        let mark = buffer.create_mark(None, &start, true);
        self.view.view.scroll_to_mark(&mark, 0.2, true, 0.0, 0.3);
        buffer.delete_mark(&mark);
    }

    fn update_controls(&self) {
        let secure = self.base.as_ref().is_none_or(|base| base.secure);
        let active = self
            .target
            .as_ref()
            .is_some_and(|t| t.info.state.is_active());
        self.view
            .view
            .set_editable(self.editing && secure && !self.busy);
        self.edit.set_visible(!self.editing);
        self.edit
            .set_sensitive(self.base.is_some() && secure && !self.busy);
        self.revert
            .set_sensitive((self.modified || self.editing) && !self.busy);
        self.apply.set_sensitive(self.modified && !self.busy);
        let status = if !secure {
            not_secure_text()
        } else if self.busy {
            gettext("Saving…")
        } else if self.editing && active {
            gettext(
                "Editing. The machine is running: applied changes take effect at its next boot.",
            )
        } else if self.editing {
            gettext("Editing. Apply saves the definition through libvirt, which checks it first.")
        } else {
            gettext("The saved definition, as libvirt keeps it.")
        };
        self.status.set_label(&status);
    }
}

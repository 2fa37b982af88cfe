//! The `console.*` actions behind both toolbars: Send Key, scaling, Screenshot, keyboard grab,
//! Detach and Fullscreen.

use std::rc::Rc;

use adw::prelude::*;
use gtk::{gio, glib};

use hangar::console_model::ScalingMode;
use hangar::driver::KeyCodeSet;
use hangar::i18n::{gettext, gettext_f};
use hangar::vnc::SendKeyCombo;

use super::connect::ConsoleSource;
use super::runtime;
use super::toolbar::combo_from_id;
use super::view::Inner;

impl Inner {
    pub(super) fn install_actions(self: &Rc<Self>) {
        let group = &self.actions;

        let send_key = gio::SimpleAction::new("send-key", Some(glib::VariantTy::STRING));
        let weak = Rc::downgrade(self);
        send_key.connect_activate(move |_, target| {
            let combo = target.and_then(|t| t.str()).and_then(combo_from_id);
            if let (Some(inner), Some(combo)) = (weak.upgrade(), combo) {
                inner.send_combo(combo);
            }
        });
        group.add_action(&send_key);

        let mode = self.display.mode();
        let scaling = gio::SimpleAction::new_stateful(
            "scaling",
            Some(glib::VariantTy::STRING),
            &mode.nick().to_variant(),
        );
        let weak = Rc::downgrade(self);
        scaling.connect_activate(move |action, target| {
            let mode = target
                .and_then(|t| t.str())
                .and_then(ScalingMode::from_nick);
            if let (Some(inner), Some(mode)) = (weak.upgrade(), mode) {
                action.set_state(&mode.nick().to_variant());
                inner.display.set_mode(mode);
                inner.schedule_guest_resize();
            }
        });
        group.add_action(&scaling);

        let screenshot = gio::SimpleAction::new("screenshot", None);
        let weak = Rc::downgrade(self);
        screenshot.connect_activate(move |_, _| {
            if let Some(inner) = weak.upgrade() {
                inner.save_screenshot();
            }
        });
        group.add_action(&screenshot);

        let grab = gio::SimpleAction::new_stateful("grab-keyboard", None, &false.to_variant());
        let weak = Rc::downgrade(self);
        grab.connect_activate(move |action, _| {
            let grabbed = action
                .state()
                .and_then(|s| s.get::<bool>())
                .unwrap_or(false);
            if let Some(inner) = weak.upgrade() {
                inner.set_grabbed(!grabbed);
            }
        });
        group.add_action(&grab);

        let detach = gio::SimpleAction::new("detach", None);
        let weak = Rc::downgrade(self);
        detach.connect_activate(move |_, _| {
            if let Some(inner) = weak.upgrade()
                && let Some(callback) = inner.callbacks.borrow().detach.as_ref()
            {
                callback();
            }
        });
        group.add_action(&detach);

        let fullscreen = gio::SimpleAction::new_stateful("fullscreen", None, &false.to_variant());
        let weak = Rc::downgrade(self);
        fullscreen.connect_activate(move |action, _| {
            let wanted = !action
                .state()
                .and_then(|s| s.get::<bool>())
                .unwrap_or(false);
            if let Some(inner) = weak.upgrade()
                && let Some(callback) = inner.callbacks.borrow().fullscreen.as_ref()
            {
                callback(wanted);
            }
        });
        group.add_action(&fullscreen);

        self.root.insert_action_group("console", Some(group));
    }

    /// Sends a Send Key combination: through libvirt's send-key where the core prefers it
    /// (exact scan codes for the guest), else as keysyms through the VNC session.
    fn send_combo(self: &Rc<Self>, combo: SendKeyCombo) {
        if let ConsoleSource::Libvirt { connection, uuid } = &self.source
            && combo.prefers_libvirt()
            && let Some(codes) = combo.linux_keycodes()
        {
            let connection = connection.clone();
            let uuid = *uuid;
            let weak = Rc::downgrade(self);
            glib::spawn_future_local(async move {
                let result = runtime::run(async move {
                    connection.send_key(uuid, KeyCodeSet::Linux, 0, codes).await
                })
                .await;
                let error = match result {
                    Ok(Ok(())) => return,
                    Ok(Err(error)) => error.to_string(),
                    Err(reason) => reason,
                };
                if let Some(inner) = weak.upgrade() {
                    inner.show_hint(&error);
                }
            });
            return;
        }
        let result = match self.session.borrow().as_ref() {
            Some(handle) => handle.send_combo(combo),
            None => return,
        };
        if let Err(error) = result {
            self.show_hint(&error.to_string());
        }
    }

    /// Saves the guest's screen as PNG where the user chooses.
    fn save_screenshot(self: &Rc<Self>) {
        let Some(png) = self.display.screenshot_png() else {
            return;
        };
        let parent = self.root.root().and_downcast::<gtk::Window>();
        let chooser = gtk::FileChooserNative::new(
            Some(&gettext("Save Screenshot")),
            parent.as_ref(),
            gtk::FileChooserAction::Save,
            Some(&gettext("_Save")),
            Some(&gettext("_Cancel")),
        );
        chooser.set_modal(true);
        let stamp = glib::DateTime::now_local()
            .and_then(|now| now.format("%Y-%m-%d %H-%M-%S"))
            .map(|s| s.to_string())
            .unwrap_or_default();
        chooser.set_current_name(&format!("{} {stamp}.png", self.title.borrow()));
        let weak = Rc::downgrade(self);
        chooser.connect_response(move |chooser, response| {
            let file = (response == gtk::ResponseType::Accept)
                .then(|| chooser.file())
                .flatten();
            let Some(inner) = weak.upgrade() else {
                return;
            };
            inner.file_chooser.borrow_mut().take();
            let Some(file) = file else {
                return;
            };
            let png = png.clone();
            let weak = Rc::downgrade(&inner);
            glib::spawn_future_local(async move {
                let result = file
                    .replace_contents_future(
                        png,
                        None,
                        false,
                        gio::FileCreateFlags::REPLACE_DESTINATION,
                    )
                    .await;
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                let name = file
                    .basename()
                    .map(|name| name.display().to_string())
                    .unwrap_or_default();
                match result {
                    Ok(_) => inner.show_hint(&gettext_f(
                        "Screenshot saved as “{name}”.",
                        &[("name", &name)],
                    )),
                    Err((_, error)) => inner.show_hint(&gettext_f(
                        "Could not save the screenshot: {error}",
                        &[("error", &error.to_string())],
                    )),
                }
            });
        });
        chooser.show();
        // A native chooser is not a widget: keep it alive until it answers.
        *self.file_chooser.borrow_mut() = Some(chooser);
    }
}

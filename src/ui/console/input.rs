//! Keyboard and pointer input of a console: GDK events → the keyboard state machine and the
//! display's transform → RFB key and pointer events; the keyboard grab; the fullscreen
//! toolbar that appears when the pointer touches the top edge.
//!
//! Without the grab, the focused display gets the keys the window's shortcuts leave over.
//! Grabbed, a capture-phase key controller on the toplevel takes every key before GTK's
//! shortcut machinery (controllers added later run first, and the application's accelerators
//! run from the window's own capture controller), and the toplevel inhibits system shortcuts
//! (on X11 that grabs the keyboard).

use std::rc::Rc;

use adw::prelude::*;
use gtk::glib::translate::IntoGlib;
use gtk::{gdk, glib};

use hangar::i18n::gettext_f;
use hangar::vnc::{ButtonMask, WheelDirection, gdk_keyval_to_keysym};

use super::view::Inner;

/// An active keyboard grab on a toplevel.
pub struct Grab {
    window: gtk::Window,
    controller: gtk::EventControllerKey,
    deactivated: glib::SignalHandlerId,
}

impl Inner {
    /// Connects the display's event controllers.
    pub(super) fn attach_input(self: &Rc<Self>) {
        let keys = gtk::EventControllerKey::new();
        let weak = Rc::downgrade(self);
        keys.connect_key_pressed(move |_, keyval, keycode, _| match weak.upgrade() {
            Some(inner) => inner.key_event(keyval, keycode, true),
            None => glib::Propagation::Proceed,
        });
        let weak = Rc::downgrade(self);
        keys.connect_key_released(move |_, keyval, keycode, _| {
            if let Some(inner) = weak.upgrade() {
                inner.key_event(keyval, keycode, false);
            }
        });
        self.display.add_controller(keys);

        let focus = gtk::EventControllerFocus::new();
        let weak = Rc::downgrade(self);
        focus.connect_enter(move |_| {
            // F10 opens the window's menu unless told otherwise; in a console it is the
            // guest's key (memtest's menus, BIOS setups).
            if let Some(inner) = weak.upgrade()
                && let Some(window) = inner.display.root().and_downcast::<gtk::Window>()
            {
                window.set_handle_menubar_accel(false);
            }
        });
        let weak = Rc::downgrade(self);
        focus.connect_leave(move |_| {
            let Some(inner) = weak.upgrade() else {
                return;
            };
            if let Some(window) = inner.display.root().and_downcast::<gtk::Window>() {
                window.set_handle_menubar_accel(true);
            }
            if inner.grab.borrow().is_none() {
                let released = inner.keyboard.borrow_mut().release_all();
                inner.send_keys(&released);
            }
        });
        self.display.add_controller(focus);

        let motion = gtk::EventControllerMotion::new();
        let weak = Rc::downgrade(self);
        motion.connect_motion(move |_, x, y| {
            if let Some(inner) = weak.upgrade() {
                inner.pointer_at(x, y);
            }
        });
        self.display.add_controller(motion);

        // Raw button events: a click gesture stops reporting once the pointer moves, and
        // dragging in the guest needs every press and release.
        let buttons = gtk::EventControllerLegacy::new();
        let weak = Rc::downgrade(self);
        buttons.connect_event(move |_, event| match weak.upgrade() {
            Some(inner) => inner.button_event(event),
            None => glib::Propagation::Proceed,
        });
        self.display.add_controller(buttons);

        let scroll = gtk::EventControllerScroll::new(
            gtk::EventControllerScrollFlags::BOTH_AXES | gtk::EventControllerScrollFlags::DISCRETE,
        );
        let weak = Rc::downgrade(self);
        scroll.connect_scroll(move |_, dx, dy| match weak.upgrade() {
            Some(inner) => inner.scrolled(dx, dy),
            None => glib::Propagation::Proceed,
        });
        self.display.add_controller(scroll);

        // Fullscreen: the overlay toolbar appears at the top edge and hides when left.
        let edge = gtk::EventControllerMotion::new();
        let weak = Rc::downgrade(self);
        edge.connect_motion(move |_, _, y| {
            if let Some(inner) = weak.upgrade() {
                inner.pointer_near_top(y);
            }
        });
        self.overlay.add_controller(edge);
    }

    fn key_event(
        self: &Rc<Self>,
        keyval: gdk::Key,
        keycode: u32,
        pressed: bool,
    ) -> glib::Propagation {
        if !self.connected.get() {
            return glib::Propagation::Proceed;
        }
        let output = {
            let mut keyboard = self.keyboard.borrow_mut();
            if pressed {
                keyboard.press(keycode, gdk_keyval_to_keysym(keyval.into_glib()))
            } else {
                keyboard.release(keycode)
            }
        };
        self.send_keys(&output.send);
        if output.toggle_grab {
            let grabbed = self.grab.borrow().is_some();
            self.set_grabbed(!grabbed);
        }
        glib::Propagation::Stop
    }

    pub(super) fn send_keys(&self, keys: &[(u32, bool)]) {
        if keys.is_empty() {
            return;
        }
        if let Some(handle) = self.session.borrow().as_ref() {
            for (keysym, down) in keys {
                // A full queue drops the key; the session is far behind anyway.
                let _ = handle.key(*keysym, *down);
            }
        }
    }

    fn pointer_at(&self, x: f64, y: f64) {
        if !self.connected.get() {
            return;
        }
        let Some((gx, gy)) = self.display.transform().to_guest(x, y) else {
            return;
        };
        if let Some(handle) = self.session.borrow().as_ref() {
            // Busy: motion is dropped; the next one carries the position again.
            let _ = handle.pointer(gx, gy, self.buttons.get());
        }
    }

    fn button_event(self: &Rc<Self>, event: &gdk::Event) -> glib::Propagation {
        let pressed = match event.event_type() {
            gdk::EventType::ButtonPress => true,
            gdk::EventType::ButtonRelease => false,
            _ => return glib::Propagation::Proceed,
        };
        let Some(button) = event.downcast_ref::<gdk::ButtonEvent>() else {
            return glib::Propagation::Proceed;
        };
        if pressed && !self.display.has_focus() {
            self.display.grab_focus();
        }
        if !self.connected.get() {
            return glib::Propagation::Proceed;
        }
        let Some(mask) = ButtonMask::from_button(button.button()) else {
            return glib::Propagation::Proceed;
        };
        let held = self.buttons.get();
        self.buttons.set(if pressed {
            held.with(mask)
        } else {
            held.without(mask)
        });
        if let Some((x, y)) = self.event_position(event) {
            self.pointer_at(x, y);
        }
        glib::Propagation::Stop
    }

    /// An event's position in the display widget's coordinates.
    fn event_position(&self, event: &gdk::Event) -> Option<(f64, f64)> {
        let (x, y) = event.position()?;
        let native = self.display.native()?;
        let (dx, dy) = native.surface_transform();
        native
            .upcast_ref::<gtk::Widget>()
            .translate_coordinates(&self.display, x - dx, y - dy)
    }

    fn scrolled(&self, dx: f64, dy: f64) -> glib::Propagation {
        if !self.connected.get() {
            return glib::Propagation::Proceed;
        }
        let (mut ax, mut ay) = self.scroll.get();
        ax += dx;
        ay += dy;
        let mut steps = Vec::new();
        while ay >= 1.0 {
            steps.push(WheelDirection::Down);
            ay -= 1.0;
        }
        while ay <= -1.0 {
            steps.push(WheelDirection::Up);
            ay += 1.0;
        }
        while ax >= 1.0 {
            steps.push(WheelDirection::Right);
            ax -= 1.0;
        }
        while ax <= -1.0 {
            steps.push(WheelDirection::Left);
            ax += 1.0;
        }
        self.scroll.set((ax, ay));
        let transform = self.display.transform();
        let position = self
            .display
            .root()
            .and_then(|root| root.surface())
            .and_then(|surface| {
                let seat = surface.display().default_seat()?;
                let pointer = seat.pointer()?;
                let (x, y, _) = surface.device_position(&pointer)?;
                let native = self.display.native()?;
                let (dx, dy) = native.surface_transform();
                native.upcast_ref::<gtk::Widget>().translate_coordinates(
                    &self.display,
                    x - dx,
                    y - dy,
                )
            })
            .and_then(|(x, y)| transform.to_guest(x, y));
        if let (Some((gx, gy)), Some(handle)) = (position, self.session.borrow().as_ref()) {
            for direction in steps {
                let _ = handle.wheel(gx, gy, self.buttons.get(), direction);
            }
        }
        glib::Propagation::Stop
    }

    /// Grabs the keyboard for the guest, or gives it back.
    pub(super) fn set_grabbed(self: &Rc<Self>, grabbed: bool) {
        if grabbed == self.grab.borrow().is_some() {
            return;
        }
        if let Some(action) = self.action("grab-keyboard") {
            action.set_state(&grabbed.to_variant());
        }
        if !grabbed {
            let Some(grab) = self.grab.borrow_mut().take() else {
                return;
            };
            grab.window.remove_controller(&grab.controller);
            grab.window.disconnect(grab.deactivated);
            if let Some(toplevel) = grab.window.surface().and_downcast::<gdk::Toplevel>() {
                toplevel.restore_system_shortcuts();
            }
            let released = self.keyboard.borrow_mut().release_all();
            self.send_keys(&released);
            if self.root.is_mapped() {
                self.show_grab_hint(false);
            }
            return;
        }
        if !self.connected.get() {
            if let Some(action) = self.action("grab-keyboard") {
                action.set_state(&false.to_variant());
            }
            return;
        }
        let Some(window) = self.root.root().and_downcast::<gtk::Window>() else {
            return;
        };
        self.display.grab_focus();
        let controller = gtk::EventControllerKey::new();
        controller.set_propagation_phase(gtk::PropagationPhase::Capture);
        let weak = Rc::downgrade(self);
        controller.connect_key_pressed(move |_, keyval, keycode, _| {
            if let Some(inner) = weak.upgrade() {
                inner.key_event(keyval, keycode, true);
            }
            glib::Propagation::Stop
        });
        let weak = Rc::downgrade(self);
        controller.connect_key_released(move |_, keyval, keycode, _| {
            if let Some(inner) = weak.upgrade() {
                inner.key_event(keyval, keycode, false);
            }
        });
        window.add_controller(controller.clone());
        let weak = Rc::downgrade(self);
        let deactivated = window.connect_is_active_notify(move |window| {
            if !window.is_active()
                && let Some(inner) = weak.upgrade()
            {
                inner.set_grabbed(false);
            }
        });
        if let Some(toplevel) = window.surface().and_downcast::<gdk::Toplevel>() {
            toplevel.inhibit_system_shortcuts(None::<&gdk::Event>);
        }
        *self.grab.borrow_mut() = Some(Grab {
            window,
            controller,
            deactivated,
        });
        self.show_grab_hint(true);
    }

    /// Says how to grab or release the keyboard.
    pub(super) fn show_grab_hint(self: &Rc<Self>, grabbed: bool) {
        let combo = super::grab_combo_label(&self.settings);
        let text = if grabbed {
            gettext_f(
                "The keyboard goes to the guest. Press {keys} to release it.",
                &[("keys", &combo)],
            )
        } else {
            gettext_f(
                "Press {keys} to send every key, shortcuts included, to the guest.",
                &[("keys", &combo)],
            )
        };
        self.show_hint(&text);
    }

    fn pointer_near_top(&self, y: f64) {
        if !self.fullscreen.get() {
            return;
        }
        let revealer = &self.overlay_revealer;
        if y <= 4.0 {
            revealer.set_reveal_child(true);
        } else if revealer.reveals_child() && !self.overlay_toolbar.menu_open() {
            let height = f64::from(self.overlay_toolbar.root.height()) + 24.0;
            if y > height {
                revealer.set_reveal_child(false);
            }
        }
    }
}

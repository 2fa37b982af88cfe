//! A spinner drawn in code: an arc turning round a faint ring, in the text colour.
//!
//! GTK 4.8's spinner turns the theme's `process-working-symbolic` icon, which Adwaita ships
//! as SVG only. Drawing it loads librsvg, 6.3 MiB resident for the rest of the session, and
//! a host row shows a spinner while it connects, so every session paid for it at start-up.
//! This one turns exactly while it is on screen, and only if animations are on: the frame
//! clock does not tick for a hidden one.

use std::cell::{Cell, RefCell};
use std::f64::consts::TAU;

use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{glib, graphene};

/// One turn takes this long, as GTK's spinner.
const TURN_SECONDS: f64 = 1.0;
/// The moving arc's share of the circle.
const ARC_TURNS: f64 = 0.3;
/// How much of the text colour the ring under the arc has.
const RING_ALPHA: f64 = 0.15;

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct Spinner {
        /// The diameter, in pixels.
        pub size: Cell<i32>,
        /// Where the arc starts, in turns (0–1), from the frame clock's time.
        pub angle: Cell<f64>,
        pub tick: RefCell<Option<gtk::TickCallbackId>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for Spinner {
        const NAME: &'static str = "HangarSpinner";
        type Type = super::Spinner;
        type ParentType = gtk::Widget;

        fn class_init(klass: &mut Self::Class) {
            // The accessible role stays a plain widget's, as GTK 4.8 gives its own spinner: a
            // progress bar's role promises a value, which this one does not have.
            klass.set_css_name("hangar-spinner");
        }
    }

    impl ObjectImpl for Spinner {}

    impl WidgetImpl for Spinner {
        fn measure(&self, _orientation: gtk::Orientation, _for_size: i32) -> (i32, i32, i32, i32) {
            let size = self.size.get();
            (size, size, -1, -1)
        }

        fn map(&self) {
            self.parent_map();
            // With animations turned off (reduced motion), the arc stands still, as GTK's
            // own spinner does: its turning is a CSS animation.
            if !self.obj().settings().is_gtk_enable_animations() {
                return;
            }
            let id = self.obj().add_tick_callback(|spinner, clock| {
                let seconds = clock.frame_time() as f64 / 1e6;
                spinner.imp().angle.set((seconds / TURN_SECONDS).fract());
                spinner.queue_draw();
                glib::ControlFlow::Continue
            });
            if let Some(old) = self.tick.replace(Some(id)) {
                old.remove();
            }
        }

        fn unmap(&self) {
            if let Some(id) = self.tick.take() {
                id.remove();
            }
            self.parent_unmap();
        }

        fn snapshot(&self, snapshot: &gtk::Snapshot) {
            let widget = self.obj();
            let (width, height) = (widget.width(), widget.height());
            let diameter = f64::from(width.min(height));
            if diameter <= 0.0 {
                return;
            }
            let bounds = graphene::Rect::new(0.0, 0.0, width as f32, height as f32);
            let cr = snapshot.append_cairo(&bounds);
            #[allow(deprecated)] // GTK 4.10 replaces it with `color()`; this builds for 4.8.
            let color = widget.style_context().color();
            let line = (diameter / 8.0).max(1.5);
            let radius = (diameter - line) / 2.0;
            let (x, y) = (f64::from(width) / 2.0, f64::from(height) / 2.0);
            let (red, green, blue) = (
                f64::from(color.red()),
                f64::from(color.green()),
                f64::from(color.blue()),
            );
            let alpha = f64::from(color.alpha());
            cr.set_line_width(line);
            cr.set_source_rgba(red, green, blue, alpha * RING_ALPHA);
            cr.arc(x, y, radius, 0.0, TAU);
            // Drawing errors only leave the frame without its spinner.
            let _ = cr.stroke();
            let start = self.angle.get() * TAU;
            cr.set_line_cap(gtk::cairo::LineCap::Round);
            cr.set_source_rgba(red, green, blue, alpha);
            cr.arc(x, y, radius, start, start + ARC_TURNS * TAU);
            let _ = cr.stroke();
        }
    }
}

glib::wrapper! {
    /// A spinner that turns while it is shown.
    pub struct Spinner(ObjectSubclass<imp::Spinner>)
        @extends gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget;
}

impl Spinner {
    /// A spinner `size` pixels across.
    pub fn new(size: i32) -> Self {
        let spinner: Self = glib::Object::new();
        spinner.imp().size.set(size);
        spinner
    }
}

#[cfg(test)]
pub mod tests {
    use gtk::prelude::*;
    use gtk::subclass::prelude::*;

    use super::Spinner;
    use crate::ui::dialog_tests::pump_until;

    /// The spinner turns while it is shown, and a hidden one leaves the frame clock alone: a
    /// turning spinner on a hidden page once cost ~5 % of a core. With animations turned off,
    /// it does not turn at all.
    pub fn turns_only_while_shown() {
        let spinner = Spinner::new(32);
        let window = gtk::Window::builder().child(&spinner).build();
        window.present();
        pump_until("the spinner's first frame", || {
            spinner.imp().angle.get() != 0.0
        });
        let first = spinner.imp().angle.get();
        pump_until("the spinner to turn", || spinner.imp().angle.get() != first);
        assert_eq!(spinner.width(), 32, "drawn at the size asked for");
        spinner.set_visible(false);
        assert!(
            spinner.imp().tick.borrow().is_none(),
            "a hidden spinner still ticks"
        );
        spinner.set_visible(true);
        assert!(
            spinner.imp().tick.borrow().is_some(),
            "shown again, it turns"
        );
        // With animations turned off (reduced motion), a shown spinner stands still.
        let settings = spinner.settings();
        settings.set_gtk_enable_animations(false);
        spinner.set_visible(false);
        spinner.set_visible(true);
        let ticking = spinner.imp().tick.borrow().is_some();
        settings.set_gtk_enable_animations(true);
        assert!(!ticking, "it turns with animations turned off");
        window.destroy();
    }
}

//! Work deferred until the frame being prepared has been painted, so that what it changes is
//! drawn in a frame of its own rather than in the same one.
//!
//! GTK's Cairo renderer (X11 without OpenGL, as over `ssh -X` or under Xvfb) sends the
//! bounding box of each frame's damaged region to the X server. Two changes far apart on the
//! screen — a fleet column and the page's charts — made in one frame send most of the window;
//! in two frames they send only themselves.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gtk::prelude::*;
use gtk::{gdk, glib};

/// Runs work after a widget's next painted frame, one run waiting at a time.
#[derive(Default)]
pub struct AfterPaint {
    /// The frame clock handler of the run that waits, if one does.
    waiting: Rc<RefCell<Option<glib::SignalHandlerId>>>,
}

impl AfterPaint {
    /// Runs `run` once `widget`'s frame clock has painted its next frame, asking for that frame
    /// so it comes even when nothing else changed. While an earlier run still waits, `run` is
    /// dropped and this returns false (the waiting one does the same work). A widget that is
    /// not realized has no frames: `run` runs at once.
    pub fn schedule(&self, widget: &impl IsA<gtk::Widget>, run: impl FnOnce() + 'static) -> bool {
        if self.waiting.borrow().is_some() {
            return false;
        }
        let Some(clock) = widget.frame_clock() else {
            run();
            return true;
        };
        let waiting = self.waiting.clone();
        let run = Cell::new(Some(run));
        let id = clock.connect_after_paint(move |clock| {
            if let Some(id) = waiting.borrow_mut().take() {
                clock.disconnect(id);
            }
            if let Some(run) = run.take() {
                run();
            }
        });
        *self.waiting.borrow_mut() = Some(id);
        clock.request_phase(gdk::FrameClockPhase::AFTER_PAINT);
        true
    }
}

#[cfg(test)]
pub mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::ui::dialog_tests::pump_until;

    /// The run comes right after the paint of the frame that was being prepared when it was
    /// scheduled, once however often it is scheduled meanwhile, and what it changes is painted
    /// in a later frame. With nothing else changed it still comes.
    pub fn runs_once_after_the_next_painted_frame() {
        let first = gtk::Label::new(Some("first"));
        let second = gtk::Label::new(Some("second"));
        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&first);
        content.append(&second);
        let window = gtk::Window::builder()
            .default_width(300)
            .default_height(200)
            .child(&content)
            .build();
        window.present();
        pump_until("the window to be mapped", || window.is_mapped());
        let clock = window.frame_clock().expect("a realized window");
        let painted: Rc<RefCell<Vec<i64>>> = Rc::default();
        let record = painted.clone();
        let recorder = clock.connect_paint(move |clock| {
            record.borrow_mut().push(clock.frame_counter());
        });
        pump_until("a first frame", || !painted.borrow().is_empty());

        let after_paint = AfterPaint::default();
        let runs: Rc<RefCell<Vec<i64>>> = Rc::default();
        let schedule = |text: &'static str| {
            let runs = runs.clone();
            let clock = clock.clone();
            let second = second.clone();
            after_paint.schedule(&window, move || {
                runs.borrow_mut().push(clock.frame_counter());
                second.set_label(text);
            })
        };
        let frames_before = painted.borrow().len();
        first.set_label("first, changed");
        assert!(schedule("second, changed"), "nothing waits yet");
        assert!(!schedule("dropped"), "the first run still waits");
        pump_until("the run and the frame after it", || {
            runs.borrow().len() == 1 && painted.borrow().last() > runs.borrow().first()
        });
        let change_frame = painted.borrow()[frames_before];
        assert_eq!(
            runs.borrow().as_slice(),
            &[change_frame],
            "the run came after the paint of the frame that showed the first change"
        );
        assert_eq!(
            second.label(),
            "second, changed",
            "the dropped run never ran"
        );

        // Nothing changed: the run asks for a frame itself, and waits for it.
        let last_painted = *painted.borrow().last().expect("frames were painted");
        assert!(schedule("second, again"), "the earlier run is done");
        assert_eq!(runs.borrow().len(), 1, "the run waits for the next frame");
        pump_until("a run with nothing else on screen changing", || {
            runs.borrow().len() == 2
        });
        assert!(
            runs.borrow()[1] > last_painted,
            "the run came in a frame after the last painted one: {:?} after {last_painted}",
            runs.borrow()
        );
        clock.disconnect(recorder);
        window.destroy();
    }
}

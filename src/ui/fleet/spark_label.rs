//! A value cell with a sparkline: the cell paints a small chart of the row's recent history
//! and shows its label beside it. One widget where a box held a drawing area and the label:
//! every widget in a row is paid for (with its accessible object) in each of the ~200 rows
//! GTK 4.8's column view keeps bound, and four columns have sparklines.

use std::cell::{Cell, OnceCell, RefCell};

use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{cairo, glib, graphene};

/// The sparkline's size in a cell, and the gap before the label.
pub const SPARK_WIDTH: i32 = 56;
pub const SPARK_HEIGHT: i32 = 22;
const GAP: i32 = 6;

/// Paints the sparkline: the cell, a context whose origin is the chart's corner, its size.
type Painter = Box<dyn Fn(&gtk::Widget, &cairo::Context, (u32, u32))>;

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct SparkLabel {
        pub label: OnceCell<gtk::Label>,
        pub painter: RefCell<Option<Painter>>,
        pub chart_shown: Cell<bool>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for SparkLabel {
        const NAME: &'static str = "HangarSparkLabel";
        type Type = super::SparkLabel;
        type ParentType = gtk::Widget;

        fn class_init(klass: &mut Self::Class) {
            klass.set_layout_manager_type::<gtk::BinLayout>();
        }
    }

    impl ObjectImpl for SparkLabel {
        fn dispose(&self) {
            if let Some(label) = self.label.get() {
                label.unparent();
            }
        }
    }

    impl WidgetImpl for SparkLabel {
        fn snapshot(&self, snapshot: &gtk::Snapshot) {
            if self.chart_shown.get()
                && let Some(painter) = &*self.painter.borrow()
            {
                let widget = self.obj();
                let top = ((WidgetExt::height(&*widget) - SPARK_HEIGHT) / 2).max(0);
                // The chart comes first in reading order: on the left, or on the right in a
                // right-to-left locale (the label's start margin follows the same way).
                let left = if widget.direction() == gtk::TextDirection::Rtl {
                    (WidgetExt::width(&*widget) - SPARK_WIDTH).max(0)
                } else {
                    0
                };
                let bounds = graphene::Rect::new(
                    left as f32,
                    top as f32,
                    SPARK_WIDTH as f32,
                    SPARK_HEIGHT as f32,
                );
                let cr = snapshot.append_cairo(&bounds);
                cr.translate(f64::from(left), f64::from(top));
                painter(
                    widget.upcast_ref(),
                    &cr,
                    (SPARK_WIDTH as u32, SPARK_HEIGHT as u32),
                );
            }
            self.parent_snapshot(snapshot);
        }
    }
}

glib::wrapper! {
    /// A label with a sparkline painted before it.
    pub struct SparkLabel(ObjectSubclass<imp::SparkLabel>)
        @extends gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget;
}

impl SparkLabel {
    /// A cell showing `label`, with the chart `painter` draws when shown.
    pub fn new(
        label: &gtk::Label,
        painter: impl Fn(&gtk::Widget, &cairo::Context, (u32, u32)) + 'static,
    ) -> Self {
        let cell: Self = glib::Object::builder()
            .property("height-request", SPARK_HEIGHT)
            .build();
        label.set_parent(&cell);
        let _ = cell.imp().label.set(label.clone());
        *cell.imp().painter.borrow_mut() = Some(Box::new(painter));
        cell
    }

    /// Shows or hides the chart (the label takes its room while it is hidden).
    pub fn set_chart_shown(&self, shown: bool) {
        if self.imp().chart_shown.replace(shown) != shown {
            if let Some(label) = self.imp().label.get() {
                label.set_margin_start(if shown { SPARK_WIDTH + GAP } else { 0 });
            }
        }
        self.queue_draw();
    }
}

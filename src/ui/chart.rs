//! A chart widget: title, the current value written large (announced to screen readers), a
//! legend for paired series, and the plot — a `gtk::DrawingArea` drawn by
//! `charts::render_chart` — with a read-out of the values under the pointer.
//!
//! The widget draws whatever [`Panel`] it was last given; whoever owns it decides when to
//! build a new one (see `performance`), so a hidden chart costs nothing.

mod style;

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;

use hangar::charts::{ChartLayout, ChartModel, ChartState, ChartStyle, Rgba, render_chart};
use hangar::perf::{Panel, readout_text};

pub use style::line_colours;

use super::labels::set_text;

/// Plot height in pixels.
const PLOT_HEIGHT: i32 = 150;
/// Narrowest useful plot.
const PLOT_MIN_WIDTH: i32 = 240;
/// Gap between the pointer and its read-out.
const READOUT_OFFSET: i32 = 14;

/// What the draw function and the pointer handlers share.
#[derive(Default)]
struct Drawn {
    model: Option<ChartModel>,
    /// Where the last draw put the plot (for the pointer).
    layout: Option<ChartLayout>,
    /// The pointer's x in the drawing area, while it is over it.
    hover: Option<f64>,
    /// How many times the plot was drawn (tests check that hidden charts are not).
    draws: u64,
}

/// One swatch and text of the legend.
struct LegendItem {
    root: gtk::Box,
    label: gtk::Label,
}

/// A chart with its header.
pub struct ChartView {
    pub root: gtk::Box,
    title: gtk::Label,
    headline: gtk::Label,
    caption: gtk::Label,
    status: gtk::Label,
    legend: gtk::Box,
    legend_items: [LegendItem; 2],
    area: gtk::DrawingArea,
    readout: gtk::Label,
    drawn: Rc<RefCell<Drawn>>,
    /// The accessible value last announced (only changes are sent to assistive technology).
    accessible: RefCell<String>,
}

impl ChartView {
    pub fn new() -> Self {
        let title = gtk::Label::builder()
            .xalign(0.0)
            .css_classes(["heading"])
            .build();
        // One entry per line, so two charts fit side by side in a narrow page.
        let legend = gtk::Box::new(gtk::Orientation::Vertical, 2);
        let legend_items = [legend_item(0), legend_item(1)];
        for item in &legend_items {
            legend.append(&item.root);
        }
        let status = gtk::Label::builder()
            .xalign(0.0)
            .visible(false)
            .css_classes(["caption", "dim-label"])
            .build();
        let left = gtk::Box::new(gtk::Orientation::Vertical, 4);
        left.set_hexpand(true);
        left.append(&title);
        left.append(&legend);
        left.append(&status);

        let headline = gtk::Label::builder()
            .xalign(1.0)
            .css_classes(["title-2", "numeric"])
            .build();
        let caption = gtk::Label::builder()
            .xalign(1.0)
            .css_classes(["caption", "dim-label"])
            .build();
        let right = gtk::Box::new(gtk::Orientation::Vertical, 0);
        right.set_valign(gtk::Align::Start);
        right.append(&headline);
        right.append(&caption);

        let header = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        header.append(&left);
        header.append(&right);

        let area = gtk::DrawingArea::builder()
            .content_height(PLOT_HEIGHT)
            .hexpand(true)
            .build();
        area.set_size_request(PLOT_MIN_WIDTH, PLOT_HEIGHT);
        let readout = gtk::Label::builder()
            .halign(gtk::Align::Start)
            .valign(gtk::Align::Start)
            .xalign(0.0)
            .visible(false)
            .can_target(false)
            .css_classes(["chart-readout", "caption", "numeric"])
            .build();
        let overlay = gtk::Overlay::builder().child(&area).build();
        overlay.add_overlay(&readout);

        let root = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(6)
            .css_classes(["card", "chart"])
            .build();
        root.append(&header);
        root.append(&overlay);

        let drawn: Rc<RefCell<Drawn>> = Rc::default();
        let view = Self {
            root,
            title,
            headline,
            caption,
            status,
            legend,
            legend_items,
            area,
            readout,
            drawn,
            accessible: RefCell::default(),
        };
        view.connect_drawing();
        view.connect_pointer();
        style::redraw_on_style_change(&view.area);
        for item in &view.legend_items {
            if let Some(swatch) = item.root.first_child() {
                style::redraw_on_style_change(&swatch);
            }
        }
        view
    }

    fn connect_drawing(&self) {
        let drawn = self.drawn.clone();
        self.area.set_draw_func(move |area, cr, width, height| {
            let mut drawn = drawn.borrow_mut();
            let Drawn {
                model,
                layout,
                hover,
                draws,
            } = &mut *drawn;
            *draws += 1;
            let Some(model) = model else {
                return;
            };
            let size = (width.max(0) as u32, height.max(0) as u32);
            let style = style::chart_style(area.upcast_ref());
            // A chart that cannot be drawn leaves its area blank; the header still tells.
            *layout = render_chart(cr, size, model, &style).ok();
            if let (Some(layout), Some(x)) = (layout, hover) {
                draw_cursor(cr, layout, model, *x, &style);
            }
        });
    }

    fn connect_pointer(&self) {
        let motion = gtk::EventControllerMotion::new();
        let drawn = self.drawn.clone();
        let readout = self.readout.clone();
        let area = self.area.clone();
        motion.connect_motion(move |_, x, _| {
            drawn.borrow_mut().hover = Some(x);
            show_readout(&drawn.borrow(), &readout, &area);
            area.queue_draw();
        });
        let drawn = self.drawn.clone();
        let readout = self.readout.clone();
        let area = self.area.clone();
        motion.connect_leave(move |_| {
            drawn.borrow_mut().hover = None;
            readout.set_visible(false);
            area.queue_draw();
        });
        self.area.add_controller(motion);
    }

    /// Shows `panel`: header texts, legend and accessible value at once, the plot at the
    /// next frame.
    pub fn set_panel(&self, panel: Panel) {
        set_text(&self.title, &panel.kind.title());
        set_text(&self.headline, &panel.headline);
        if *self.accessible.borrow() != panel.accessible {
            crate::ui::a11y::set_label(&self.headline, &panel.accessible);
            *self.accessible.borrow_mut() = panel.accessible.clone();
        }
        set_text(&self.caption, panel.caption.as_deref().unwrap_or(""));
        self.caption.set_visible(panel.caption.is_some());
        set_text(&self.status, panel.status.as_deref().unwrap_or(""));
        self.status.set_visible(panel.status.is_some());
        for widget in [&self.headline, &self.caption] {
            if panel.stale {
                widget.add_css_class("stale");
            } else {
                widget.remove_css_class("stale");
            }
        }
        let legend = panel.model.legend();
        let paired = legend.len() > 1 && panel.model.state == ChartState::Data;
        self.legend.set_visible(paired);
        for (item, entry) in self.legend_items.iter().zip(&legend) {
            let text = match &entry.label {
                Some(label) => format!("{label} {}", entry.value_text),
                None => entry.value_text.clone(),
            };
            set_text(&item.label, &text);
        }
        let mut drawn = self.drawn.borrow_mut();
        drawn.model = Some(panel.model);
        show_readout(&drawn, &self.readout, &self.area);
        drop(drawn);
        self.area.queue_draw();
    }

    /// How many times the plot was drawn.
    #[cfg(test)]
    pub fn draw_count(&self) -> u64 {
        self.drawn.borrow().draws
    }

    /// The headline as shown.
    #[cfg(test)]
    pub fn headline(&self) -> String {
        self.headline.label().to_string()
    }

    /// The plot's drawing area (tests draw it and read its state).
    #[cfg(test)]
    pub fn area(&self) -> &gtk::DrawingArea {
        &self.area
    }

    /// The read-out text for the pointer at `x` pixels, as the motion handler shows it.
    #[cfg(test)]
    pub fn hover(&self, x: f64) -> Option<String> {
        self.drawn.borrow_mut().hover = Some(x);
        show_readout(&self.drawn.borrow(), &self.readout, &self.area);
        self.readout
            .is_visible()
            .then(|| self.readout.label().to_string())
    }
}

/// A legend entry: a swatch in the line's colour beside its name and value.
fn legend_item(index: usize) -> LegendItem {
    let swatch = gtk::DrawingArea::builder()
        .content_width(10)
        .content_height(10)
        .valign(gtk::Align::Center)
        .build();
    swatch.set_draw_func(move |area, cr, width, height| {
        let colour = line_colours(area.upcast_ref())[index];
        cr.set_source_rgba(colour.red, colour.green, colour.blue, colour.alpha);
        cr.rectangle(0.0, 0.0, f64::from(width), f64::from(height));
        // Nothing to recover: a failed fill leaves the swatch empty.
        let _ = cr.fill();
    });
    let label = gtk::Label::builder()
        .css_classes(["caption", "numeric"])
        .build();
    let root = gtk::Box::new(gtk::Orientation::Horizontal, 6);
    root.append(&swatch);
    root.append(&label);
    LegendItem { root, label }
}

/// Shows the read-out for the pointer beside it (flipped to its left near the right edge), or
/// hides it when the pointer is outside the plot or there is nothing to read.
fn show_readout(drawn: &Drawn, readout: &gtk::Label, area: &gtk::DrawingArea) {
    let target = drawn.hover.zip(drawn.layout).zip(drawn.model.as_ref());
    let Some(((x, layout), model)) = target.filter(|(_, model)| model.state == ChartState::Data)
    else {
        readout.set_visible(false);
        return;
    };
    let Some(secs) = layout.secs_at(x) else {
        readout.set_visible(false);
        return;
    };
    set_text(readout, &readout_text(&model.readout(secs)));
    let (_, width, _, _) = readout.measure(gtk::Orientation::Horizontal, -1);
    let x = x.round() as i32;
    let start = if x + READOUT_OFFSET + width <= area.width() {
        x + READOUT_OFFSET
    } else {
        (x - READOUT_OFFSET - width).max(0)
    };
    readout.set_margin_start(start);
    readout.set_margin_top(layout.top.round() as i32);
    readout.set_visible(true);
}

/// A hairline at the pointer and a dot in each line's colour where the line crosses it.
fn draw_cursor(
    cr: &gtk::cairo::Context,
    layout: &ChartLayout,
    model: &ChartModel,
    x: f64,
    style: &ChartStyle,
) {
    let Some(secs) = layout.secs_at(x) else {
        return;
    };
    if model.state != ChartState::Data {
        return;
    }
    let x = layout.x_of(secs).round() + 0.5;
    let set_colour =
        |colour: Rgba| cr.set_source_rgba(colour.red, colour.green, colour.blue, colour.alpha);
    set_colour(style.text);
    cr.set_line_width(1.0);
    cr.move_to(x, layout.top);
    cr.line_to(x, layout.bottom);
    // Cairo errors leave the cursor undrawn; the read-out still shows the values.
    let _ = cr.stroke();
    for (index, line) in model.lines.iter().enumerate() {
        if let (Some(value), _) = line.value_at(secs) {
            set_colour(style.lines[index.min(1)]);
            cr.arc(x, layout.y_of(value), 3.5, 0.0, std::f64::consts::TAU);
            let _ = cr.fill();
        }
    }
}

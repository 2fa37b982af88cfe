//! Chart colours from the running theme: libadwaita's dark flag picks the light or dark
//! palette, the theme's accent colour draws the first line (libadwaita 1.2 has no accent API;
//! the stylesheet's `accent_color` is what its own widgets use), and text takes the widget's
//! colour. Charts redraw when the style manager switches between light and dark.

use adw::prelude::*;
use gtk::gdk;

use hangar::charts::{ACCENT_BLUE, ChartStyle, Rgba};

fn rgba(color: gdk::RGBA) -> Rgba {
    Rgba {
        red: f64::from(color.red()),
        green: f64::from(color.green()),
        blue: f64::from(color.blue()),
        alpha: f64::from(color.alpha()),
    }
}

/// The theme's accent colour as seen by `widget`, else GNOME blue.
fn accent(widget: &gtk::Widget) -> Rgba {
    let context = widget.style_context();
    context
        .lookup_color("accent_color")
        .or_else(|| context.lookup_color("accent_bg_color"))
        .map_or(ACCENT_BLUE, rgba)
}

fn is_dark() -> bool {
    adw::StyleManager::default().is_dark()
}

/// How a full chart in `widget` looks now. The legend is left to the widget's header.
pub fn chart_style(widget: &gtk::Widget) -> ChartStyle {
    let accent = accent(widget);
    let mut style = if is_dark() {
        ChartStyle::dark(accent)
    } else {
        ChartStyle::light(accent)
    };
    let text = rgba(widget.style_context().color());
    style.text = text.with_alpha(text.alpha * 0.7);
    style.grid = text.with_alpha(text.alpha * 0.12);
    style.legend = false;
    if let Some(font) = widget.pango_context().font_description() {
        if let Some(family) = font.family() {
            style.font_family = family.to_string();
        }
        // Labels a little smaller than body text, in pixels (Pango sizes are points at 96 dpi
        // unless absolute).
        let size = f64::from(font.size()) / f64::from(gtk::pango::SCALE);
        if size > 0.0 {
            let pixels = if font.is_size_absolute() {
                size
            } else {
                size * 96.0 / 72.0
            };
            style.font_size = (pixels * 0.8).round().max(8.0);
        }
    }
    style
}

/// The two line colours (accent, then the palette's second colour) for `widget`'s theme, as
/// the fleet's sparklines and the chart legends use them.
pub fn line_colours(widget: &gtk::Widget) -> [Rgba; 2] {
    let accent = accent(widget);
    if is_dark() {
        ChartStyle::dark(accent).lines
    } else {
        ChartStyle::light(accent).lines
    }
}

/// Redraws `area` whenever the style manager switches between light and dark (the accent
/// and text colours are read again at each draw).
pub fn redraw_on_style_change(area: &impl IsA<gtk::Widget>) {
    let manager = adw::StyleManager::default();
    for property in ["dark", "high-contrast"] {
        let weak = area.downgrade();
        manager.connect_notify_local(Some(property), move |_, _| {
            if let Some(area) = weak.upgrade() {
                area.queue_draw();
            }
        });
    }
}

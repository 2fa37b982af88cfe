//! Colours and sizes of charts, passed in by the UI so charts follow the light or dark style
//! and the accent colour. GTK-free: the UI converts its `gdk::RGBA` into [`Rgba`].

use plotters::style::RGBAColor;

/// A colour with components in 0–1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgba {
    pub red: f64,
    pub green: f64,
    pub blue: f64,
    pub alpha: f64,
}

impl Rgba {
    /// An opaque colour from 8-bit components.
    pub const fn rgb8(red: u8, green: u8, blue: u8) -> Self {
        Self {
            red: red as f64 / 255.0,
            green: green as f64 / 255.0,
            blue: blue as f64 / 255.0,
            alpha: 1.0,
        }
    }

    /// The same colour with another opacity.
    pub const fn with_alpha(self, alpha: f64) -> Self {
        Self { alpha, ..self }
    }

    pub(crate) fn to_plotters(self) -> RGBAColor {
        let channel = |value: f64| (value.clamp(0.0, 1.0) * 255.0).round() as u8;
        RGBAColor(
            channel(self.red),
            channel(self.green),
            channel(self.blue),
            self.alpha.clamp(0.0, 1.0),
        )
    }
}

/// How a full chart looks.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartStyle {
    /// Line colours of the first and second series (e.g. read and write).
    pub lines: [Rgba; 2],
    /// Opacity of the soft fill under each line (0 = none).
    pub fill_alpha: f64,
    /// Line width in pixels.
    pub line_width: u32,
    /// Grid lines and the plot frame.
    pub grid: Rgba,
    /// Axis labels, legend and messages.
    pub text: Rgba,
    /// The stale tail: its dashed line and the shade over it.
    pub stale: Rgba,
    /// Painted under everything, when set (otherwise the widget's background shows).
    pub background: Option<Rgba>,
    /// Font family and size (pixels) of labels.
    pub font_family: String,
    pub font_size: f64,
    /// Whether to draw the legend (series names and current values) over the plot.
    pub legend: bool,
}

impl ChartStyle {
    /// Colours for a light background, with `accent` as the first line colour.
    pub fn light(accent: Rgba) -> Self {
        Self {
            lines: [accent, Rgba::rgb8(0xe6, 0x61, 0x00)],
            fill_alpha: 0.18,
            line_width: 2,
            grid: Rgba::rgb8(0, 0, 0).with_alpha(0.12),
            text: Rgba::rgb8(0, 0, 0).with_alpha(0.6),
            stale: Rgba::rgb8(0x77, 0x76, 0x7b),
            background: None,
            font_family: "sans-serif".to_owned(),
            font_size: 11.0,
            legend: true,
        }
    }

    /// Colours for a dark background, with `accent` as the first line colour.
    pub fn dark(accent: Rgba) -> Self {
        Self {
            lines: [accent, Rgba::rgb8(0xff, 0xa3, 0x48)],
            grid: Rgba::rgb8(255, 255, 255).with_alpha(0.12),
            text: Rgba::rgb8(255, 255, 255).with_alpha(0.7),
            stale: Rgba::rgb8(0x9a, 0x99, 0x96),
            fill_alpha: 0.25,
            ..Self::light(accent)
        }
    }
}

/// How a sparkline (a tiny chart in a table cell) looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SparklineStyle {
    pub line: Rgba,
    pub fill_alpha: f64,
    pub line_width: u32,
    /// The stale tail's colour.
    pub stale: Rgba,
}

impl SparklineStyle {
    /// A sparkline in `line` colour with a soft fill.
    pub fn new(line: Rgba) -> Self {
        Self {
            line,
            fill_alpha: 0.2,
            line_width: 1,
            stale: Rgba::rgb8(0x9a, 0x99, 0x96),
        }
    }
}

/// GNOME's blue accent, a default for the first line.
pub const ACCENT_BLUE: Rgba = Rgba::rgb8(0x35, 0x84, 0xe4);

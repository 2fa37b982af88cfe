//! How the guest's screen sits in the console widget: one transform, computed from the widget
//! size, the guest's desktop size and the scaling mode, used both to draw the image and to map
//! pointer positions back to guest pixels — so what the user points at is what the guest gets.

/// How the guest's screen fills the console (the GSettings enum `console-scaling`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ScalingMode {
    /// Scaled to the widget, keeping the aspect ratio (letterboxed), up or down.
    #[default]
    Fit,
    /// One guest pixel per screen pixel; larger desktops scroll.
    OneToOne,
    /// The guest is asked to change its desktop to the widget's size (ExtendedDesktopSize);
    /// until it does, or if it cannot, the screen is fitted.
    ResizeGuest,
}

impl ScalingMode {
    pub const ALL: [ScalingMode; 3] = [
        ScalingMode::Fit,
        ScalingMode::OneToOne,
        ScalingMode::ResizeGuest,
    ];

    /// The GSettings nick (`fit`, `one-to-one`, `resize-guest`).
    pub fn nick(self) -> &'static str {
        match self {
            ScalingMode::Fit => "fit",
            ScalingMode::OneToOne => "one-to-one",
            ScalingMode::ResizeGuest => "resize-guest",
        }
    }

    pub fn from_nick(nick: &str) -> Option<ScalingMode> {
        ScalingMode::ALL
            .into_iter()
            .find(|mode| mode.nick() == nick)
    }

    /// Whether the widget asks for the guest's full size and scrolls when it does not fit.
    pub fn scrolls(self) -> bool {
        self == ScalingMode::OneToOne
    }
}

/// Where the guest image is drawn in the widget, in the widget's (logical) pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewTransform {
    /// Widget pixels per guest pixel.
    pub scale: f64,
    /// Top-left corner of the image in the widget.
    pub offset_x: f64,
    pub offset_y: f64,
    pub guest_width: u32,
    pub guest_height: u32,
}

/// Rounds a logical coordinate down to a whole device pixel, so a 1:1 image lands exactly on
/// screen pixels (no resampling).
fn to_device_grid(value: f64, device_scale: f64) -> f64 {
    (value * device_scale).floor() / device_scale
}

impl ViewTransform {
    /// The transform for a widget of `widget` logical pixels showing a guest desktop of
    /// `guest` pixels; `device_scale` is the widget's scale factor (screen pixels per logical
    /// pixel, 1 on most screens).
    pub fn new(
        mode: ScalingMode,
        widget: (f64, f64),
        guest: (u32, u32),
        device_scale: f64,
    ) -> ViewTransform {
        let device_scale = if device_scale > 0.0 {
            device_scale
        } else {
            1.0
        };
        let (width, height) = (widget.0.max(0.0), widget.1.max(0.0));
        let (guest_w, guest_h) = (f64::from(guest.0), f64::from(guest.1));
        let scale = if guest.0 == 0 || guest.1 == 0 {
            1.0
        } else {
            match mode {
                ScalingMode::OneToOne => 1.0 / device_scale,
                ScalingMode::Fit | ScalingMode::ResizeGuest => {
                    let fitted = (width / guest_w).min(height / guest_h);
                    if fitted.is_finite() && fitted > 0.0 {
                        fitted
                    } else {
                        1.0 / device_scale
                    }
                }
            }
        };
        let centre = |space: f64, image: f64| {
            if space > image {
                to_device_grid((space - image) / 2.0, device_scale)
            } else {
                0.0
            }
        };
        ViewTransform {
            scale,
            offset_x: centre(width, guest_w * scale),
            offset_y: centre(height, guest_h * scale),
            guest_width: guest.0,
            guest_height: guest.1,
        }
    }

    /// The image's rectangle in the widget: x, y, width, height.
    pub fn image_bounds(&self) -> (f64, f64, f64, f64) {
        (
            self.offset_x,
            self.offset_y,
            f64::from(self.guest_width) * self.scale,
            f64::from(self.guest_height) * self.scale,
        )
    }

    /// The guest pixel under widget point (`x`, `y`), clamped to the desktop (a pointer in the
    /// letterbox bars moves along the nearest edge); `None` while there is no desktop.
    pub fn to_guest(&self, x: f64, y: f64) -> Option<(u16, u16)> {
        if self.guest_width == 0 || self.guest_height == 0 {
            return None;
        }
        let map = |point: f64, offset: f64, size: u32| -> u16 {
            let guest = ((point - offset) / self.scale).floor();
            let max = f64::from(size.min(u32::from(u16::MAX) + 1) - 1);
            if guest.is_nan() {
                0
            } else {
                guest.clamp(0.0, max) as u16
            }
        };
        Some((
            map(x, self.offset_x, self.guest_width),
            map(y, self.offset_y, self.guest_height),
        ))
    }

    /// The widget point of guest pixel (`x`, `y`)'s top-left corner.
    pub fn to_widget(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.offset_x + x * self.scale,
            self.offset_y + y * self.scale,
        )
    }
}

/// The size a console widget asks for: `(minimum, natural)` per axis, in logical pixels.
/// Actual size insists on the whole desktop (the scrolled window then scrolls); the other modes
/// can shrink to almost nothing.
pub fn preferred_size(
    mode: ScalingMode,
    guest: (u32, u32),
    device_scale: f64,
) -> ((i32, i32), (i32, i32)) {
    let device_scale = if device_scale > 0.0 {
        device_scale
    } else {
        1.0
    };
    let natural = |pixels: u32| (f64::from(pixels) / device_scale).ceil() as i32;
    let natural = (natural(guest.0), natural(guest.1));
    if mode.scrolls() {
        (natural, natural)
    } else {
        ((1, 1), natural)
    }
}

/// The desktop size to ask the guest for so it fills a widget of `widget` logical pixels,
/// clamped to what RFB can carry; `None` for an empty widget.
pub fn desktop_size_for(widget: (f64, f64), device_scale: f64) -> Option<(u16, u16)> {
    let device_scale = if device_scale > 0.0 {
        device_scale
    } else {
        1.0
    };
    let pixels = |logical: f64| (logical * device_scale).floor();
    let (width, height) = (pixels(widget.0), pixels(widget.1));
    if !(width >= 1.0 && height >= 1.0) {
        return None;
    }
    // 8192 is the largest side vnc-rs (and the session's limits) accept.
    let clamp = |value: f64| value.min(8192.0) as u16;
    Some((clamp(width), clamp(height)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicks_match_the_gsettings_enum() {
        for mode in ScalingMode::ALL {
            assert_eq!(ScalingMode::from_nick(mode.nick()), Some(mode));
        }
        assert_eq!(ScalingMode::from_nick("stretch"), None);
        assert_eq!(ScalingMode::default(), ScalingMode::Fit);
    }

    #[test]
    fn fit_keeps_the_aspect_ratio_and_centres_the_image() {
        // 720×400 into 1000×800: width limits, scale 1000/720; bars above and below.
        let t = ViewTransform::new(ScalingMode::Fit, (1000.0, 800.0), (720, 400), 1.0);
        assert!((t.scale - 1000.0 / 720.0).abs() < 1e-9);
        let (x, y, w, h) = t.image_bounds();
        assert_eq!(x, 0.0);
        assert!((w - 1000.0).abs() < 1e-9);
        assert!((h - 555.555).abs() < 0.01);
        assert_eq!(y, ((800.0 - h) / 2.0).floor());
        // Shrinking too: 1920×1080 into 960×1000 is half size.
        let t = ViewTransform::new(ScalingMode::Fit, (960.0, 1000.0), (1920, 1080), 1.0);
        assert_eq!(t.scale, 0.5);
        assert_eq!(t.image_bounds(), (0.0, 230.0, 960.0, 540.0));
    }

    #[test]
    fn pointer_maps_through_the_same_transform_and_clamps_in_the_bars() {
        let t = ViewTransform::new(ScalingMode::Fit, (960.0, 1000.0), (1920, 1080), 1.0);
        assert_eq!(t.to_guest(0.0, 230.0), Some((0, 0)));
        assert_eq!(t.to_guest(480.0, 500.0), Some((960, 540)));
        assert_eq!(t.to_guest(959.9, 769.9), Some((1919, 1079)));
        // Letterbox bars and outside the widget: the nearest edge.
        assert_eq!(t.to_guest(100.0, 10.0), Some((200, 0)));
        assert_eq!(t.to_guest(-50.0, 2000.0), Some((0, 1079)));
        // Round trip: a guest pixel's corner maps back to that pixel.
        for (gx, gy) in [(0.0, 0.0), (17.0, 33.0), (1919.0, 1079.0)] {
            let (wx, wy) = t.to_widget(gx, gy);
            assert_eq!(
                t.to_guest(wx + 0.01, wy + 0.01),
                Some((gx as u16, gy as u16))
            );
        }
        let empty = ViewTransform::new(ScalingMode::Fit, (100.0, 100.0), (0, 0), 1.0);
        assert_eq!(empty.to_guest(5.0, 5.0), None);
    }

    #[test]
    fn one_to_one_is_pixel_exact_on_whole_device_pixels() {
        let t = ViewTransform::new(ScalingMode::OneToOne, (1001.0, 601.0), (720, 400), 1.0);
        assert_eq!(t.scale, 1.0);
        // (1001 − 720) / 2 = 140.5 → 140: the image starts on a pixel boundary.
        assert_eq!((t.offset_x, t.offset_y), (140.0, 100.0));
        assert_eq!(t.to_guest(140.0, 100.0), Some((0, 0)));
        assert_eq!(t.to_guest(859.99, 499.99), Some((719, 399)));
        // A desktop larger than the widget starts at the corner (the scroller moves it).
        let t = ViewTransform::new(ScalingMode::OneToOne, (800.0, 600.0), (1920, 1080), 1.0);
        assert_eq!((t.offset_x, t.offset_y, t.scale), (0.0, 0.0, 1.0));
        // On a 2× screen one guest pixel is half a logical pixel.
        let t = ViewTransform::new(ScalingMode::OneToOne, (1000.0, 1000.0), (720, 400), 2.0);
        assert_eq!(t.scale, 0.5);
        assert_eq!(
            t.to_guest(t.offset_x + 100.0, t.offset_y + 50.0),
            Some((200, 100))
        );
        assert_eq!((t.offset_x * 2.0).fract(), 0.0);
    }

    #[test]
    fn preferred_sizes_scroll_only_at_actual_size() {
        assert_eq!(
            preferred_size(ScalingMode::OneToOne, (720, 400), 1.0),
            ((720, 400), (720, 400))
        );
        assert_eq!(
            preferred_size(ScalingMode::OneToOne, (721, 400), 2.0),
            ((361, 200), (361, 200))
        );
        assert_eq!(
            preferred_size(ScalingMode::Fit, (720, 400), 1.0),
            ((1, 1), (720, 400))
        );
    }

    #[test]
    fn resize_requests_use_device_pixels_within_rfb_limits() {
        assert_eq!(desktop_size_for((1024.0, 700.5), 1.0), Some((1024, 700)));
        assert_eq!(desktop_size_for((800.0, 600.0), 2.0), Some((1600, 1200)));
        assert_eq!(desktop_size_for((20000.0, 10.0), 1.0), Some((8192, 10)));
        assert_eq!(desktop_size_for((0.0, 600.0), 1.0), None);
        assert_eq!(desktop_size_for((f64::NAN, 600.0), 1.0), None);
    }
}

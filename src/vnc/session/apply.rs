//! Applying what vnc-rs decoded: paint, copy and resize the framebuffer, decode Tight JPEG
//! rectangles (vnc-rs passes them on undecoded), convert the pointer image, and enforce the
//! session's limits on everything the server controls.

use std::sync::Arc;

use vnc::{Rect, VncEvent};

use super::{CursorImage, Limits, SessionEvent, StatsCell};
use crate::i18n::gettext;
use crate::vnc::error::{LimitViolation, SessionError};
use crate::vnc::framebuffer::{DamageRect, SharedFramebuffer};

/// What one vnc-rs event amounted to.
#[derive(Debug)]
pub(super) enum Applied {
    /// Nothing the UI needs to hear about.
    Nothing,
    /// A desktop layout message that changes no size (a same-size announcement, or the reply
    /// to a refused resize, which is reported elsewhere); it still came in an update.
    Layout,
    /// Pixels changed.
    Painted,
    /// The desktop has a new size.
    Resized { width: u32, height: u32 },
    /// The pointer image changed (part of a framebuffer update).
    Cursor(SessionEvent),
    /// Outside any framebuffer update: bell, clipboard.
    Unsolicited(SessionEvent),
    /// vnc-rs reports why it is about to stop.
    ServerError(String),
}

impl Applied {
    /// True when the event came from a FramebufferUpdate (so the update request was used up).
    pub(super) fn is_update(&self) -> bool {
        matches!(
            self,
            Applied::Painted | Applied::Layout | Applied::Resized { .. } | Applied::Cursor(_)
        )
    }
}

pub(super) struct Applier {
    framebuffer: SharedFramebuffer,
    limits: Limits,
    stats: Arc<StatsCell>,
}

fn damage_of(rect: &Rect) -> DamageRect {
    DamageRect {
        x: u32::from(rect.x),
        y: u32::from(rect.y),
        width: u32::from(rect.width),
        height: u32::from(rect.height),
    }
}

fn outside() -> SessionError {
    SessionError::Protocol {
        detail: gettext("a rectangle lies outside the desktop"),
    }
}

impl Applier {
    pub(super) fn new(
        framebuffer: SharedFramebuffer,
        limits: Limits,
        stats: Arc<StatsCell>,
    ) -> Self {
        Applier {
            framebuffer,
            limits,
            stats,
        }
    }

    pub(super) fn apply(&self, event: VncEvent) -> Result<Applied, SessionError> {
        match event {
            VncEvent::SetResolution(screen) => {
                self.resize(u32::from(screen.width), u32::from(screen.height))
            }
            VncEvent::DesktopUpdate(update) => match update.layout {
                Some(layout) => self.resize(u32::from(layout.width), u32::from(layout.height)),
                None => Ok(Applied::Layout),
            },
            VncEvent::RawImage(rect, data) => {
                let damage = damage_of(&rect);
                self.framebuffer
                    .write()
                    .paint_bgrx(damage, &data)
                    .map_err(|_| outside())?;
                self.count(&damage);
                Ok(Applied::Painted)
            }
            VncEvent::Copy(dst, src) => {
                let damage = damage_of(&dst);
                self.framebuffer
                    .write()
                    .copy(damage, u32::from(src.x), u32::from(src.y))
                    .map_err(|_| outside())?;
                StatsCell::add(&self.stats.copy_rectangles, 1);
                self.count(&damage);
                Ok(Applied::Painted)
            }
            VncEvent::JpegImage(rect, data) => {
                let damage = damage_of(&rect);
                let rgb = decode_jpeg(&damage, &data, &self.limits)?;
                self.framebuffer
                    .write()
                    .paint_rgb(damage, &rgb)
                    .map_err(|_| outside())?;
                StatsCell::add(&self.stats.jpeg_rectangles, 1);
                self.count(&damage);
                Ok(Applied::Painted)
            }
            VncEvent::SetCursor(rect, data) => {
                StatsCell::add(&self.stats.cursor_updates, 1);
                Ok(Applied::Cursor(SessionEvent::Cursor(Arc::new(
                    self.cursor(&rect, &data)?,
                ))))
            }
            VncEvent::Bell => Ok(Applied::Unsolicited(SessionEvent::Bell)),
            VncEvent::Text(text) => {
                if text.len() > self.limits.max_cut_text {
                    return Err(SessionError::Limit(LimitViolation::CutText {
                        bytes: Some(text.len()),
                    }));
                }
                Ok(Applied::Unsolicited(SessionEvent::Clipboard(text)))
            }
            VncEvent::Error(message) => Ok(Applied::ServerError(message)),
            // We always set our pixel format, so vnc-rs never asks us to adopt the server's.
            VncEvent::SetPixelFormat(_) => Ok(Applied::Nothing),
            _ => Ok(Applied::Nothing),
        }
    }

    fn count(&self, damage: &DamageRect) {
        StatsCell::add(&self.stats.rectangles, 1);
        StatsCell::add(&self.stats.pixels_painted, damage.area());
    }

    fn resize(&self, width: u32, height: u32) -> Result<Applied, SessionError> {
        let limits = &self.limits;
        if width > limits.max_width
            || height > limits.max_height
            || u64::from(width) * u64::from(height) > limits.max_pixels
        {
            return Err(SessionError::Limit(LimitViolation::Framebuffer {
                width,
                height,
            }));
        }
        let mut framebuffer = self.framebuffer.write();
        if framebuffer.width() == width && framebuffer.height() == height {
            // A same-size layout announcement keeps the pixels (and asks for nothing).
            return Ok(Applied::Layout);
        }
        framebuffer.resize(width, height);
        Ok(Applied::Resized { width, height })
    }

    /// vnc-rs gives the pointer as BGRA in our pixel format with the RFB bitmask already turned
    /// into alpha 0/255, and the hotspot in the rectangle's position.
    fn cursor(&self, rect: &Rect, data: &[u8]) -> Result<CursorImage, SessionError> {
        let (width, height) = (u32::from(rect.width), u32::from(rect.height));
        if width == 0 || height == 0 {
            return Ok(CursorImage {
                width: 0,
                height: 0,
                hotspot_x: 0,
                hotspot_y: 0,
                rgba: Vec::new(),
            });
        }
        let side = self.limits.max_cursor_side;
        if width > side || height > side {
            return Err(SessionError::Limit(LimitViolation::Cursor {
                width,
                height,
            }));
        }
        if data.len() != width as usize * height as usize * 4 {
            return Err(SessionError::Protocol {
                detail: gettext("the pointer image has the wrong size"),
            });
        }
        let rgba = data
            .chunks_exact(4)
            .flat_map(|bgra| [bgra[2], bgra[1], bgra[0], bgra[3]])
            .collect();
        Ok(CursorImage {
            width,
            height,
            hotspot_x: u32::from(rect.x).min(width - 1),
            hotspot_y: u32::from(rect.y).min(height - 1),
            rgba,
        })
    }
}

/// Decodes a Tight JPEG rectangle into RGB rows, refusing images that do not match their
/// rectangle or exceed the framebuffer limit.
fn decode_jpeg(rect: &DamageRect, data: &[u8], limits: &Limits) -> Result<Vec<u8>, SessionError> {
    let bad = |detail: String| SessionError::Protocol { detail };
    if rect.area() > limits.max_pixels {
        return Err(SessionError::Limit(LimitViolation::Jpeg {
            width: rect.width,
            height: rect.height,
        }));
    }
    let mut decoder = jpeg_decoder::Decoder::new(data);
    decoder
        .set_max_decoding_buffer_size(usize::try_from(limits.max_pixels * 4).unwrap_or(usize::MAX));
    decoder
        .read_info()
        .map_err(|error| bad(format!("JPEG: {error}")))?;
    let Some(info) = decoder.info() else {
        return Err(bad("JPEG: no image header".to_owned()));
    };
    if u32::from(info.width) != rect.width || u32::from(info.height) != rect.height {
        return Err(bad(format!(
            "JPEG image is {}×{} in a {}×{} rectangle",
            info.width, info.height, rect.width, rect.height
        )));
    }
    let pixels = decoder
        .decode()
        .map_err(|error| bad(format!("JPEG: {error}")))?;
    let expected = rect.area() as usize;
    let rgb: Vec<u8> = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels,
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        jpeg_decoder::PixelFormat::L16 => pixels
            .chunks_exact(2)
            .flat_map(|l| [l[0], l[0], l[0]])
            .collect(),
        jpeg_decoder::PixelFormat::CMYK32 => {
            return Err(bad("JPEG: CMYK images are not used by VNC".to_owned()));
        }
    };
    if rgb.len() != expected * 3 {
        return Err(bad("JPEG: decoded size does not match".to_owned()));
    }
    Ok(rgb)
}

//! The console's persistent framebuffer: BGRx pixels (alpha forced opaque) that the session
//! paints into and the widget reads once per frame-clock tick, plus the damage accumulated in
//! between and the hand-shake that lets the session pace its update requests to the reader.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

/// Bytes per pixel in the framebuffer: blue, green, red, then an alpha byte that is always 0xFF
/// (GDK's `B8g8r8a8` / `B8g8r8x8` memory formats on every platform; Cairo's `RGB24` on little
/// endian machines).
pub const BYTES_PER_PIXEL: usize = 4;

/// A rectangle of framebuffer pixels, in framebuffer coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DamageRect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl DamageRect {
    /// The smallest rectangle holding both.
    pub fn union(self, other: DamageRect) -> DamageRect {
        let left = self.x.min(other.x);
        let top = self.y.min(other.y);
        let right = (self.x + self.width).max(other.x + other.width);
        let bottom = (self.y + self.height).max(other.y + other.height);
        DamageRect {
            x: left,
            y: top,
            width: right - left,
            height: bottom - top,
        }
    }

    /// Number of pixels covered.
    pub fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// The pixels of the remote display and what changed since the reader last looked.
///
/// Only the session writes; readers get it through [`SharedFramebuffer`].
#[derive(Debug)]
pub struct Framebuffer {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
    generation: u64,
    damage: Option<DamageRect>,
    /// Set when the session told the UI about new pixels and the UI has not taken them yet:
    /// the UI hears "new pixels" at most once until it looks.
    notified: bool,
}

/// Why a paint operation was refused: the rectangle or its data does not fit the framebuffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutOfBounds;

impl Framebuffer {
    fn new() -> Self {
        Framebuffer {
            width: 0,
            height: 0,
            pixels: Vec::new(),
            generation: 0,
            damage: None,
            notified: false,
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes from the start of one row to the start of the next.
    pub fn stride(&self) -> usize {
        self.width as usize * BYTES_PER_PIXEL
    }

    /// All pixels, row after row, `stride()` bytes each, BGRx with x = 0xFF.
    pub fn bytes(&self) -> &[u8] {
        &self.pixels
    }

    /// Counts every change (paint, copy, resize); equal generations mean equal pixels.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The union of everything changed since the damage was last taken, without taking it.
    pub fn pending_damage(&self) -> Option<DamageRect> {
        self.damage
    }

    /// One pixel as `[b, g, r, a]`, or `None` outside the framebuffer.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let at = y as usize * self.stride() + x as usize * BYTES_PER_PIXEL;
        let px = self.pixels.get(at..at + BYTES_PER_PIXEL)?;
        Some([px[0], px[1], px[2], px[3]])
    }

    fn full(&self) -> DamageRect {
        DamageRect {
            x: 0,
            y: 0,
            width: self.width,
            height: self.height,
        }
    }

    fn damage(&mut self, rect: DamageRect) {
        self.generation += 1;
        self.damage = Some(match self.damage {
            Some(old) => old.union(rect),
            None => rect,
        });
    }

    /// Reallocates for a new desktop size, keeping the pixels both sizes share (the server
    /// repaints the rest; until then it is opaque black). Everything counts as damaged.
    pub(crate) fn resize(&mut self, width: u32, height: u32) {
        if width == self.width && height == self.height {
            return;
        }
        let stride = width as usize * BYTES_PER_PIXEL;
        let mut pixels = opaque_black(stride * height as usize);
        let keep_rows = self.height.min(height) as usize;
        let keep_bytes = self.width.min(width) as usize * BYTES_PER_PIXEL;
        let old_stride = self.stride();
        for row in 0..keep_rows {
            pixels[row * stride..row * stride + keep_bytes]
                .copy_from_slice(&self.pixels[row * old_stride..row * old_stride + keep_bytes]);
        }
        self.width = width;
        self.height = height;
        self.pixels = pixels;
        self.damage = None;
        let full = self.full();
        self.damage(full);
    }

    fn check(&self, x: u32, y: u32, width: u32, height: u32) -> Result<(), OutOfBounds> {
        if u64::from(x) + u64::from(width) > u64::from(self.width)
            || u64::from(y) + u64::from(height) > u64::from(self.height)
        {
            return Err(OutOfBounds);
        }
        Ok(())
    }

    /// Paints 32-bit BGRx pixels (tightly packed rows), forcing alpha opaque.
    pub(crate) fn paint_bgrx(&mut self, rect: DamageRect, data: &[u8]) -> Result<(), OutOfBounds> {
        self.check(rect.x, rect.y, rect.width, rect.height)?;
        let row_bytes = rect.width as usize * BYTES_PER_PIXEL;
        if data.len() != row_bytes * rect.height as usize {
            return Err(OutOfBounds);
        }
        if row_bytes == 0 {
            return Ok(());
        }
        let stride = self.stride();
        let start = rect.y as usize * stride + rect.x as usize * BYTES_PER_PIXEL;
        for (row, source) in data.chunks_exact(row_bytes).enumerate() {
            let at = start + row * stride;
            copy_opaque(&mut self.pixels[at..at + row_bytes], source);
        }
        self.damage(rect);
        Ok(())
    }

    /// Paints 24-bit RGB pixels (a decoded JPEG), forcing alpha opaque.
    pub(crate) fn paint_rgb(&mut self, rect: DamageRect, data: &[u8]) -> Result<(), OutOfBounds> {
        self.check(rect.x, rect.y, rect.width, rect.height)?;
        let row_in = rect.width as usize * 3;
        if data.len() != row_in * rect.height as usize {
            return Err(OutOfBounds);
        }
        if row_in == 0 {
            return Ok(());
        }
        let stride = self.stride();
        let start = rect.y as usize * stride + rect.x as usize * BYTES_PER_PIXEL;
        let row_out = rect.width as usize * BYTES_PER_PIXEL;
        for (row, source) in data.chunks_exact(row_in).enumerate() {
            let at = start + row * stride;
            for (out, rgb) in self.pixels[at..at + row_out]
                .chunks_exact_mut(BYTES_PER_PIXEL)
                .zip(source.chunks_exact(3))
            {
                out.copy_from_slice(&[rgb[2], rgb[1], rgb[0], 0xFF]);
            }
        }
        self.damage(rect);
        Ok(())
    }

    /// Copies a rectangle of the framebuffer to another place (CopyRect); the areas may overlap.
    pub(crate) fn copy(
        &mut self,
        dst: DamageRect,
        src_x: u32,
        src_y: u32,
    ) -> Result<(), OutOfBounds> {
        self.check(dst.x, dst.y, dst.width, dst.height)?;
        self.check(src_x, src_y, dst.width, dst.height)?;
        let stride = self.stride();
        let row_bytes = dst.width as usize * BYTES_PER_PIXEL;
        if row_bytes == 0 || dst.height == 0 {
            return Ok(());
        }
        let rows: Box<dyn Iterator<Item = u32>> = if dst.y > src_y {
            // Moving down: walk bottom-up so no source row is overwritten before it is read.
            Box::new((0..dst.height).rev())
        } else {
            Box::new(0..dst.height)
        };
        for row in rows {
            let from = (src_y + row) as usize * stride + src_x as usize * BYTES_PER_PIXEL;
            let to = (dst.y + row) as usize * stride + dst.x as usize * BYTES_PER_PIXEL;
            self.pixels.copy_within(from..from + row_bytes, to);
        }
        self.damage(dst);
        Ok(())
    }

    /// Takes the damage since the last call and re-arms the "new pixels" notification.
    fn take_damage(&mut self) -> Option<DamageRect> {
        self.notified = false;
        self.damage.take()
    }

    /// True when the UI should be told about new pixels now (damage exists and it has not been
    /// told since it last took the damage); marks it as told.
    pub(crate) fn should_notify(&mut self) -> bool {
        if self.damage.is_some() && !self.notified {
            self.notified = true;
            return true;
        }
        false
    }

    /// True while a "new pixels" notification is waiting for the UI to take the damage.
    pub(crate) fn notification_pending(&self) -> bool {
        self.notified
    }
}

fn opaque_black(len: usize) -> Vec<u8> {
    let mut pixels = vec![0u8; len];
    for alpha in pixels.iter_mut().skip(3).step_by(BYTES_PER_PIXEL) {
        *alpha = 0xFF;
    }
    pixels
}

/// Copies BGRx pixels, setting every alpha byte to 0xFF (servers send 0 there, and the Tight
/// gradient filter of vnc-rs leaves it 0); written so the compiler vectorises it.
fn copy_opaque(dst: &mut [u8], src: &[u8]) {
    for (out, px) in dst
        .chunks_exact_mut(BYTES_PER_PIXEL)
        .zip(src.chunks_exact(BYTES_PER_PIXEL))
    {
        let value = u32::from_le_bytes([px[0], px[1], px[2], px[3]]) | 0xFF00_0000;
        out.copy_from_slice(&value.to_le_bytes());
    }
}

/// Read access to the framebuffer while the lock is held. Keep it short: the session waits.
pub struct FramebufferRead<'a>(MutexGuard<'a, Framebuffer>);

impl std::ops::Deref for FramebufferRead<'_> {
    type Target = Framebuffer;
    fn deref(&self) -> &Framebuffer {
        &self.0
    }
}

#[derive(Debug)]
struct Shared {
    framebuffer: Mutex<Framebuffer>,
    /// Wakes the session when the UI took the damage (it may be holding back an update request).
    taken: Notify,
}

/// The framebuffer shared between one session (writer) and its viewers (readers).
///
/// A widget, once per frame-clock tick, calls [`SharedFramebuffer::take_frame`]: if anything
/// changed it builds one texture from [`Framebuffer::bytes`], so all updates that arrived between
/// two ticks cost one upload.
#[derive(Debug, Clone)]
pub struct SharedFramebuffer(Arc<Shared>);

impl Default for SharedFramebuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl SharedFramebuffer {
    /// An empty (0×0) framebuffer.
    pub fn new() -> Self {
        SharedFramebuffer(Arc::new(Shared {
            framebuffer: Mutex::new(Framebuffer::new()),
            taken: Notify::new(),
        }))
    }

    /// Locks for reading without taking the damage.
    pub fn lock(&self) -> FramebufferRead<'_> {
        FramebufferRead(self.write())
    }

    /// Takes the damage accumulated since the last call and, with the lock still held, gives it
    /// and the pixels to `read` (the damage is `None` when nothing changed). Taking the damage
    /// also tells a paced session that the UI is ready for the next update.
    pub fn take_frame<R>(&self, read: impl FnOnce(&Framebuffer, Option<DamageRect>) -> R) -> R {
        let result = {
            let mut framebuffer = self.write();
            let damage = framebuffer.take_damage();
            read(&framebuffer, damage)
        };
        self.0.taken.notify_one();
        result
    }

    /// Takes the damage (see [`SharedFramebuffer::take_frame`]) without looking at the pixels.
    pub fn take_damage(&self) -> Option<DamageRect> {
        self.take_frame(|_, damage| damage)
    }

    pub(crate) fn write(&self) -> MutexGuard<'_, Framebuffer> {
        // A panic while painting leaves only pixels half-written: still safe to show.
        self.0
            .framebuffer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Resolves after the next `take_frame`/`take_damage` (or at once if one happened since
    /// the last wait).
    pub(crate) async fn taken(&self) {
        self.0.taken.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x: u32, y: u32, width: u32, height: u32) -> DamageRect {
        DamageRect {
            x,
            y,
            width,
            height,
        }
    }

    #[test]
    fn paint_forces_alpha_and_accumulates_damage() {
        let shared = SharedFramebuffer::new();
        {
            let mut fb = shared.write();
            fb.resize(4, 3);
            fb.take_damage();
            fb.paint_bgrx(rect(1, 1, 1, 1), &[1, 2, 3, 0]).unwrap();
            fb.paint_bgrx(rect(3, 2, 1, 1), &[4, 5, 6, 7]).unwrap();
        }
        let damage = shared.take_damage();
        assert_eq!(damage, Some(rect(1, 1, 3, 2)));
        let fb = shared.lock();
        assert_eq!(fb.pixel(1, 1), Some([1, 2, 3, 0xFF]));
        assert_eq!(fb.pixel(3, 2), Some([4, 5, 6, 0xFF]));
        assert_eq!(fb.pixel(0, 0), Some([0, 0, 0, 0xFF]));
        assert_eq!(fb.pending_damage(), None);
    }

    #[test]
    fn out_of_bounds_paint_and_copy_are_refused_untouched() {
        let shared = SharedFramebuffer::new();
        let mut fb = shared.write();
        fb.resize(4, 4);
        let before = fb.generation();
        assert_eq!(fb.paint_bgrx(rect(3, 0, 2, 1), &[0; 8]), Err(OutOfBounds));
        assert_eq!(fb.paint_bgrx(rect(0, 0, 1, 1), &[0; 8]), Err(OutOfBounds));
        assert_eq!(fb.copy(rect(0, 0, 2, 2), 3, 3), Err(OutOfBounds));
        assert_eq!(
            fb.paint_rgb(rect(u32::MAX, 0, 1, 1), &[0; 3]),
            Err(OutOfBounds)
        );
        assert_eq!(fb.generation(), before);
    }

    #[test]
    fn overlapping_copy_moves_like_memmove_in_both_directions() {
        let shared = SharedFramebuffer::new();
        let mut fb = shared.write();
        fb.resize(1, 4);
        for y in 0..4u8 {
            fb.paint_bgrx(rect(0, u32::from(y), 1, 1), &[y, y, y, 0])
                .unwrap();
        }
        fb.copy(rect(0, 1, 1, 3), 0, 0).unwrap();
        let column: Vec<u8> = (0..4).map(|y| fb.pixel(0, y).unwrap()[0]).collect();
        assert_eq!(column, [0, 0, 1, 2]);
        fb.copy(rect(0, 0, 1, 3), 0, 1).unwrap();
        let column: Vec<u8> = (0..4).map(|y| fb.pixel(0, y).unwrap()[0]).collect();
        assert_eq!(column, [0, 1, 2, 2]);
    }

    #[test]
    fn resize_keeps_the_shared_corner_and_damages_everything() {
        let shared = SharedFramebuffer::new();
        let mut fb = shared.write();
        fb.resize(2, 2);
        fb.paint_bgrx(rect(0, 0, 2, 2), &[9; 16]).unwrap();
        fb.take_damage();
        fb.resize(3, 1);
        assert_eq!(fb.pixel(1, 0), Some([9, 9, 9, 0xFF]));
        assert_eq!(fb.pixel(2, 0), Some([0, 0, 0, 0xFF]));
        assert_eq!(fb.pending_damage(), Some(rect(0, 0, 3, 1)));
        assert_eq!(fb.bytes().len(), fb.stride());
    }

    #[test]
    fn notification_is_given_once_until_the_damage_is_taken() {
        let shared = SharedFramebuffer::new();
        {
            let mut fb = shared.write();
            assert!(!fb.should_notify());
            fb.resize(1, 1);
            assert!(fb.should_notify());
            fb.paint_bgrx(rect(0, 0, 1, 1), &[0; 4]).unwrap();
            assert!(!fb.should_notify());
        }
        assert!(shared.take_damage().is_some());
        let mut fb = shared.write();
        fb.paint_bgrx(rect(0, 0, 1, 1), &[0; 4]).unwrap();
        assert!(fb.should_notify());
    }

    #[test]
    fn jpeg_rgb_lands_as_bgrx() {
        let shared = SharedFramebuffer::new();
        let mut fb = shared.write();
        fb.resize(2, 1);
        fb.paint_rgb(rect(0, 0, 2, 1), &[10, 20, 30, 40, 50, 60])
            .unwrap();
        assert_eq!(fb.pixel(0, 0), Some([30, 20, 10, 0xFF]));
        assert_eq!(fb.pixel(1, 0), Some([60, 50, 40, 0xFF]));
    }
}

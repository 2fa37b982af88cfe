//! The console draws the guest's screen as a grid of tiles, one texture each, so an update
//! replaces only the tiles it touches. GTK 4.8 has no texture update regions, but its renderers
//! diff render nodes: tiles whose texture did not change cause no redraw and no new upload, so a
//! blinking cursor or a clock costs a few small textures instead of a whole screen's.
//!
//! Tiles are drawn at destination rectangles whose edges are snapped to device pixels, so
//! neighbouring tiles share their edges exactly (no seams from antialiased borders) at any scale.

use crate::vnc::DamageRect;

use super::ViewTransform;

/// Tile side in guest pixels: 128 keeps 1080p at 135 tiles and a text cursor's update at one.
pub const TILE: u32 = 128;

/// A desktop cut into tiles, row by row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TileGrid {
    pub width: u32,
    pub height: u32,
}

impl TileGrid {
    pub fn new(width: u32, height: u32) -> TileGrid {
        TileGrid { width, height }
    }

    pub fn columns(&self) -> u32 {
        self.width.div_ceil(TILE)
    }

    pub fn rows(&self) -> u32 {
        self.height.div_ceil(TILE)
    }

    pub fn len(&self) -> usize {
        (self.columns() * self.rows()) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tile `index`'s rectangle in guest pixels (the last row and column may be smaller).
    pub fn rect(&self, index: usize) -> DamageRect {
        let columns = self.columns().max(1);
        let (column, row) = (index as u32 % columns, index as u32 / columns);
        let (x, y) = (column * TILE, row * TILE);
        DamageRect {
            x,
            y,
            width: TILE.min(self.width.saturating_sub(x)),
            height: TILE.min(self.height.saturating_sub(y)),
        }
    }

    /// The tiles a damaged rectangle touches.
    pub fn touching(&self, damage: DamageRect) -> impl Iterator<Item = usize> + '_ {
        let columns = self.columns();
        let clamp = |value: u32, size: u32| value.min(size);
        let left = clamp(damage.x, self.width) / TILE;
        let top = clamp(damage.y, self.height) / TILE;
        let right = clamp(damage.x.saturating_add(damage.width), self.width).div_ceil(TILE);
        let bottom = clamp(damage.y.saturating_add(damage.height), self.height).div_ceil(TILE);
        let empty = damage.width == 0 || damage.height == 0;
        let (right, bottom) = if empty { (left, top) } else { (right, bottom) };
        (top..bottom)
            .flat_map(move |row| (left..right).map(move |column| (row * columns + column) as usize))
    }

    /// Where tile `index` is drawn in the widget: x, y, width, height, with edges on the
    /// device-pixel grid so that neighbours meet exactly.
    pub fn destination(
        &self,
        index: usize,
        transform: &ViewTransform,
        device_scale: f64,
    ) -> (f64, f64, f64, f64) {
        let device_scale = if device_scale > 0.0 {
            device_scale
        } else {
            1.0
        };
        let rect = self.rect(index);
        let (x0, y0, _, _) = transform.image_bounds();
        let snap = |origin: f64, guest: u32| {
            ((origin + f64::from(guest) * transform.scale) * device_scale).round() / device_scale
        };
        let left = snap(x0, rect.x);
        let top = snap(y0, rect.y);
        let right = snap(x0, rect.x + rect.width);
        let bottom = snap(y0, rect.y + rect.height);
        (left, top, right - left, bottom - top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console_model::ScalingMode;

    #[test]
    fn a_desktop_is_covered_by_its_tiles_exactly_once() {
        let grid = TileGrid::new(1024 + 5, 768);
        assert_eq!((grid.columns(), grid.rows(), grid.len()), (9, 6, 54));
        let area: u64 = (0..grid.len())
            .map(|i| {
                let r = grid.rect(i);
                u64::from(r.width) * u64::from(r.height)
            })
            .sum();
        assert_eq!(area, 1029 * 768);
        assert_eq!(grid.rect(8).width, 5, "the last column is the remainder");
        assert!(TileGrid::new(0, 0).is_empty());
    }

    #[test]
    fn damage_selects_only_the_tiles_it_touches() {
        let grid = TileGrid::new(720, 400);
        // A text cursor inside one tile.
        let cursor = DamageRect {
            x: 130,
            y: 10,
            width: 8,
            height: 16,
        };
        assert_eq!(grid.touching(cursor).collect::<Vec<_>>(), [1]);
        // Straddling a corner: four tiles.
        let corner = DamageRect {
            x: 120,
            y: 120,
            width: 16,
            height: 16,
        };
        let columns = grid.columns() as usize;
        assert_eq!(
            grid.touching(corner).collect::<Vec<_>>(),
            [0, 1, columns, columns + 1]
        );
        // The whole screen and beyond: every tile once.
        let all = DamageRect {
            x: 0,
            y: 0,
            width: 5000,
            height: 5000,
        };
        assert_eq!(grid.touching(all).count(), grid.len());
        let empty = DamageRect {
            x: 10,
            y: 10,
            width: 0,
            height: 0,
        };
        assert_eq!(grid.touching(empty).count(), 0);
    }

    #[test]
    fn scaled_tiles_meet_on_device_pixels_without_gaps() {
        let grid = TileGrid::new(720, 400);
        for device_scale in [1.0, 2.0] {
            let transform =
                ViewTransform::new(ScalingMode::Fit, (1013.0, 577.0), (720, 400), device_scale);
            let (x0, y0, w, h) = transform.image_bounds();
            for index in 0..grid.len() {
                let (x, y, tw, th) = grid.destination(index, &transform, device_scale);
                for edge in [x, y, x + tw, y + th] {
                    let device = edge * device_scale;
                    assert!(
                        (device - device.round()).abs() < 1e-9,
                        "{edge} off the grid"
                    );
                }
                let rect = grid.rect(index);
                if rect.x + rect.width < grid.width {
                    let (nx, ..) = grid.destination(index + 1, &transform, device_scale);
                    assert_eq!(x + tw, nx, "neighbours share the edge");
                }
                assert!(x >= x0.floor() - 1.0 && x + tw <= x0 + w + 1.0);
                assert!(y >= y0.floor() - 1.0 && y + th <= y0 + h + 1.0);
            }
        }
    }
}

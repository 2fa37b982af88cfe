//! Hand-made series and pixel probes for chart tests.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use hangar::stats::{Availability, Series, SeriesPoint, Unit, Window};

/// A series over the `length_secs` before `end`, one point per second; `value(t)` gives the
/// value `t` seconds after the window's start (`None` = gap).
pub fn series(
    unit: Unit,
    end: Instant,
    length_secs: u64,
    value: impl Fn(u64) -> Option<f32>,
) -> Series {
    let window = Window::last(Duration::from_secs(length_secs), end);
    let start = window.start();
    let mut series = Series::new(unit, window);
    series.points = (0..=length_secs)
        .map(|t| SeriesPoint {
            time: start + Duration::from_secs(t),
            value: value(t),
        })
        .collect();
    series.last_sample_at = Some(end);
    series.availability = Availability::Available;
    series
}

/// Marks `series` stale after `last_secs` seconds from its start: later points are dropped.
pub fn stale_after(mut series: Series, last_secs: u64) -> Series {
    let start = series.window.start();
    let last = start + Duration::from_secs(last_secs);
    series.points.retain(|point| point.time <= last);
    series.last_sample_at = Some(last);
    series.stale_since = Some(last + Duration::from_secs(2));
    series
}

/// An ARGB32 image's pixels as (r, g, b, a) rows.
pub struct Pixels {
    pub width: usize,
    pub height: usize,
    data: Vec<u8>,
    stride: usize,
}

impl Pixels {
    /// Copies the pixels of `surface` (which must have no other users).
    pub fn of(mut surface: cairo::ImageSurface) -> Self {
        surface.flush();
        let width = surface.width() as usize;
        let height = surface.height() as usize;
        let stride = surface.stride() as usize;
        let data = surface
            .data()
            .expect("no other reference to the surface")
            .to_vec();
        Self {
            width,
            height,
            data,
            stride,
        }
    }

    /// Writes the image as a PPM file into `$HANGAR_CHART_DUMP/name.ppm` when that variable is
    /// set, for looking at what a test drew.
    pub fn dump(&self, name: &str) {
        let Some(dir) = std::env::var_os("HANGAR_CHART_DUMP") else {
            return;
        };
        let mut ppm = format!("P6 {} {} 255\n", self.width, self.height).into_bytes();
        for y in 0..self.height {
            for x in 0..self.width {
                let (r, g, b, _) = self.at(x, y);
                ppm.extend([r, g, b]);
            }
        }
        let path = std::path::Path::new(&dir).join(format!("{name}.ppm"));
        std::fs::write(&path, ppm).expect("dump directory is writable");
    }

    /// (r, g, b, a) at (x, y); cairo's ARGB32 is a native-endian 0xAARRGGBB word.
    pub fn at(&self, x: usize, y: usize) -> (u8, u8, u8, u8) {
        let offset = y * self.stride + x * 4;
        let word = u32::from_ne_bytes(self.data[offset..offset + 4].try_into().expect("4 bytes"));
        (
            (word >> 16) as u8,
            (word >> 8) as u8,
            word as u8,
            (word >> 24) as u8,
        )
    }

    /// Rows of column `x` whose pixel satisfies `is`.
    pub fn rows_where(&self, x: usize, is: impl Fn((u8, u8, u8, u8)) -> bool) -> Vec<usize> {
        (0..self.height).filter(|y| is(self.at(x, *y))).collect()
    }

    /// Whether any pixel in the rectangle satisfies `is`.
    pub fn any_in(
        &self,
        xs: std::ops::Range<usize>,
        ys: std::ops::Range<usize>,
        is: impl Fn((u8, u8, u8, u8)) -> bool,
    ) -> bool {
        xs.into_iter()
            .any(|x| ys.clone().any(|y| is(self.at(x, y))))
    }
}

/// Mostly red (the test line colour), as opposed to the pale fill or grey grid.
pub fn reddish((r, g, b, _): (u8, u8, u8, u8)) -> bool {
    r > 180 && g < 110 && b < 110
}

/// Mostly blue (the second line or the stale colour in tests).
pub fn bluish((r, g, b, _): (u8, u8, u8, u8)) -> bool {
    b > 180 && r < 110 && g < 110
}

/// Dark (text on a white background).
pub fn dark((r, g, b, _): (u8, u8, u8, u8)) -> bool {
    u32::from(r) + u32::from(g) + u32::from(b) < 300
}

/// A white canvas of `width` × `height` and its context.
pub fn canvas(width: i32, height: i32) -> (cairo::ImageSurface, cairo::Context) {
    let surface =
        cairo::ImageSurface::create(cairo::Format::ARgb32, width, height).expect("image surface");
    let cr = cairo::Context::new(&surface).expect("cairo context");
    cr.set_source_rgb(1.0, 1.0, 1.0);
    cr.paint().expect("paint");
    (surface, cr)
}

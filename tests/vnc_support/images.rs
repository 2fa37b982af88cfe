//! Test helpers for pictures: PPM in and out, screenshots of X displays with ImageMagick's
//! `import`, the session framebuffer as RGB, a test-owned pattern, and pixel comparison.
#![allow(dead_code)]

use std::process::Command;

use hangar::vnc::SharedFramebuffer;

/// An 8-bit RGB picture.
#[derive(Clone, PartialEq, Eq)]
pub struct Rgb {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Rgb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rgb({}×{})", self.width, self.height)
    }
}

impl Rgb {
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let at = (y as usize * self.width as usize + x as usize) * 3;
        [self.data[at], self.data[at + 1], self.data[at + 2]]
    }

    /// Binary PPM (P6).
    pub fn to_ppm(&self) -> Vec<u8> {
        let mut out = format!("P6\n{} {}\n255\n", self.width, self.height).into_bytes();
        out.extend_from_slice(&self.data);
        out
    }

    pub fn write_ppm(&self, path: &std::path::Path) {
        std::fs::write(path, self.to_ppm()).expect("write PPM");
    }
}

/// Parses a binary 8-bit PPM (P6), as `import` and `virsh screenshot` write it.
pub fn read_ppm(bytes: &[u8]) -> Rgb {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if bytes[at] == b'#' {
            while bytes[at] != b'\n' {
                at += 1;
            }
            continue;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
    }
    at += 1; // the single whitespace after maxval
    assert_eq!(fields[0], "P6", "not a binary PPM");
    assert_eq!(fields[3], "255", "not an 8-bit PPM");
    let width: u32 = fields[1].parse().expect("PPM width");
    let height: u32 = fields[2].parse().expect("PPM height");
    let len = width as usize * height as usize * 3;
    Rgb {
        width,
        height,
        data: bytes[at..at + len].to_vec(),
    }
}

/// The root window of X display `:display`, as `import -window root` sees it.
pub fn import_root(display: u16) -> Rgb {
    let output = Command::new("import")
        .args(["-window", "root", "-depth", "8", "ppm:-"])
        .env("DISPLAY", format!(":{display}"))
        .output()
        .expect("run import");
    assert!(
        output.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    read_ppm(&output.stdout)
}

/// The session's framebuffer as RGB (and a check that every alpha byte is opaque).
pub fn framebuffer_rgb(framebuffer: &SharedFramebuffer) -> Rgb {
    let fb = framebuffer.lock();
    let mut data = Vec::with_capacity(fb.width() as usize * fb.height() as usize * 3);
    for bgrx in fb.bytes().chunks_exact(4) {
        assert_eq!(bgrx[3], 0xFF, "alpha must be forced opaque");
        data.extend_from_slice(&[bgrx[2], bgrx[1], bgrx[0]]);
    }
    Rgb {
        width: fb.width(),
        height: fb.height(),
        data,
    }
}

/// Positions of differing pixels (both pictures must have the same size).
pub fn differences(a: &Rgb, b: &Rgb) -> Vec<(u32, u32)> {
    assert_eq!((a.width, a.height), (b.width, b.height), "sizes differ");
    a.data
        .chunks_exact(3)
        .zip(b.data.chunks_exact(3))
        .enumerate()
        .filter(|(_, (p, q))| p != q)
        .map(|(i, _)| ((i as u32) % a.width, (i as u32) / a.width))
        .collect()
}

/// A deterministic test picture that exercises every Tight and ZRLE sub-encoding: flat
/// areas, two-colour text-like stripes, small palettes, gradients and incompressible noise.
pub fn test_pattern(width: u32, height: u32, seed: u32) -> Rgb {
    let mut data = Vec::with_capacity(width as usize * height as usize * 3);
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    for y in 0..height {
        for x in 0..width {
            let band = (x * 6 / width.max(1), y * 4 / height.max(1));
            let pixel = match band {
                (0, _) => [0x20, 0x40, 0x80],
                (1, _) => {
                    if (x / 3 + y / 2) % 2 == 0 {
                        [0, 0, 0]
                    } else {
                        [0xff, 0xff, 0xff]
                    }
                }
                (2, _) => {
                    let k = ((x / 7) + (y / 5)) % 5;
                    [
                        [200, 0, 0],
                        [0, 200, 0],
                        [0, 0, 200],
                        [200, 200, 0],
                        [30, 30, 30],
                    ][k as usize]
                }
                (3, _) => [(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8],
                (4, row) if row % 2 == 0 => {
                    let value = noise();
                    [value as u8, (value >> 8) as u8, (value >> 16) as u8]
                }
                (4, _) => [(x * 255 / width) as u8, 0x80, (y * 255 / height) as u8],
                _ => {
                    let value = noise() % 3;
                    [[250, 250, 250], [10, 120, 10], [120, 10, 10]][value as usize]
                }
            };
            data.extend_from_slice(&pixel);
        }
    }
    Rgb {
        width,
        height,
        data,
    }
}

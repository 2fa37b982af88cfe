//! Size units of libvirt XML (`unit='MiB'` and friends): scaling any of them to KiB the way
//! libvirt does, and a compact human form for showing sizes.

/// How many bytes one `unit` stands for, following libvirt's rules: case-insensitive,
/// `b`/`bytes` are bytes, a bare prefix (`k`, `M`) or `KiB`-style is a power of 1024, `KB`-style
/// a power of 1000. `None` for an unknown unit.
pub fn unit_bytes(unit: &str) -> Option<u128> {
    let unit = unit.trim().to_ascii_lowercase();
    if unit == "b" || unit == "bytes" {
        return Some(1);
    }
    let mut chars = unit.chars();
    let exponent = match chars.next()? {
        'k' => 1,
        'm' => 2,
        'g' => 3,
        't' => 4,
        'p' => 5,
        'e' => 6,
        _ => return None,
    };
    let base: u128 = match chars.as_str() {
        "" | "ib" => 1024,
        "b" => 1000,
        _ => return None,
    };
    Some(base.pow(exponent))
}

/// `value` given in `unit` (KiB when `None`, as libvirt assumes for memory), in KiB rounded up
/// as libvirt rounds. `None` for an unknown unit or a result beyond `u64`.
pub fn scale_to_kib(value: u64, unit: Option<&str>) -> Option<u64> {
    let bytes = u128::from(value).checked_mul(unit.map_or(Some(1024), unit_bytes)?)?;
    u64::try_from(bytes.div_ceil(1024)).ok()
}

/// A size written as text (`" 4 "`) with an optional unit, in KiB. `None` when the text is not
/// a whole number or the unit is unknown.
pub fn parse_kib(text: &str, unit: Option<&str>) -> Option<u64> {
    scale_to_kib(text.trim().parse().ok()?, unit)
}

/// A size in KiB for people: the largest binary unit that keeps the number ≥ 1, with at most
/// one decimal ("512 MiB", "1.5 GiB", "4 GiB").
pub fn format_kib(kib: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = kib as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0} {}", UNITS[unit])
    } else {
        format!("{rounded:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_libvirt_unit_scales_to_kib() {
        let cases: &[(u64, Option<&str>, u64)] = &[
            (4, None, 4),
            (4, Some("KiB"), 4),
            (4, Some("k"), 4),
            (4, Some("KB"), 4), // 4000 bytes round up to 4 KiB
            (1, Some("b"), 1),  // a single byte still takes a KiB
            (2048, Some("bytes"), 2),
            (64, Some("MiB"), 65_536),
            (64, Some("M"), 65_536),
            (64, Some("mib"), 65_536),
            (1, Some("MB"), 977), // 1,000,000 bytes
            (2, Some("GiB"), 2_097_152),
            (2, Some("G"), 2_097_152),
            (1, Some("GB"), 976_563),
            (1, Some("TiB"), 1 << 30),
            (1, Some("T"), 1 << 30),
            (1, Some("PiB"), 1 << 40),
            (1, Some("EiB"), 1 << 50),
            (1, Some("TB"), 976_562_500),
        ];
        for &(value, unit, kib) in cases {
            assert_eq!(scale_to_kib(value, unit), Some(kib), "{value} {unit:?}");
        }
    }

    #[test]
    fn bad_units_and_overflow_are_none() {
        assert_eq!(scale_to_kib(1, Some("furlong")), None);
        assert_eq!(scale_to_kib(1, Some("KiBB")), None);
        assert_eq!(scale_to_kib(1, Some("")), None);
        assert_eq!(scale_to_kib(u64::MAX, Some("EiB")), None);
        assert_eq!(parse_kib("12x", None), None);
        assert_eq!(parse_kib("-1", None), None);
        assert_eq!(parse_kib(" 8 ", Some("MiB")), Some(8192));
    }

    #[test]
    fn sizes_are_formatted_compactly() {
        assert_eq!(format_kib(0), "0 KiB");
        assert_eq!(format_kib(512), "512 KiB");
        assert_eq!(format_kib(65_536), "64 MiB");
        assert_eq!(format_kib(1_572_864), "1.5 GiB");
        assert_eq!(format_kib(4 << 20), "4 GiB");
        // 2^64 KiB is 16 ZiB; the largest unit used is EiB.
        assert_eq!(format_kib(u64::MAX), "16384 EiB");
    }
}

//! Human-readable numbers: sizes in binary units (KiB, MiB, GiB…), rates per second and
//! percentages, translated and in the user's locale conventions where gettext provides them.

use crate::i18n::gettext_f;

const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/// Scales `bytes` to the largest binary unit that keeps it ≥ 1; returns the value and unit index.
pub fn scale_bytes(bytes: f64) -> (f64, usize) {
    let mut value = bytes.max(0.0);
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    (value, unit)
}

/// The unit's symbol ("MiB").
pub fn unit_symbol(unit: usize) -> &'static str {
    UNITS[unit.min(UNITS.len() - 1)]
}

/// Formats a value with up to three significant digits: 0.5, 12.3, 512, 1023.
fn significant(value: f64) -> String {
    if value == 0.0 {
        "0".to_owned()
    } else if value < 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    }
}

/// A size: "512 B", "1.5 GiB".
pub fn format_bytes(bytes: f64) -> String {
    let (value, unit) = scale_bytes(bytes);
    gettext_f(
        "{value} {unit}",
        &[("value", &significant(value)), ("unit", unit_symbol(unit))],
    )
}

/// A size given in KiB, as libvirt reports memory.
pub fn format_kib(kib: u64) -> String {
    format_bytes(kib as f64 * 1024.0)
}

/// A rate: "0 B/s", "12 KiB/s", "1.5 MiB/s".
pub fn format_rate(bytes_per_second: f64) -> String {
    let (value, unit) = scale_bytes(bytes_per_second);
    gettext_f(
        "{value} {unit}/s",
        &[("value", &significant(value)), ("unit", unit_symbol(unit))],
    )
}

/// A percentage: "7 %", "0.4 %", "100 %".
pub fn format_percent(percent: f64) -> String {
    let value = if percent > 0.0 && percent < 1.0 {
        format!("{percent:.1}")
    } else {
        format!("{percent:.0}")
    };
    // Translators: a percentage; use your language's spacing, e.g. "{value} %" or "{value}%".
    gettext_f("{value} %", &[("value", &value)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_binary_units_and_three_digits() {
        assert_eq!(format_bytes(0.0), "0 B");
        assert_eq!(format_bytes(512.0), "512 B");
        assert_eq!(format_bytes(1536.0), "1.5 KiB");
        assert_eq!(format_bytes(1023.0 * 1024.0), "1023 KiB");
        assert_eq!(format_kib(4 * 1024 * 1024), "4.0 GiB");
        assert_eq!(format_rate(30.0 * 1024.0 * 1024.0), "30 MiB/s");
        assert_eq!(format_bytes(-5.0), "0 B");
    }

    #[test]
    fn percentages_keep_small_values_visible() {
        assert_eq!(format_percent(97.2), "97 %");
        assert_eq!(format_percent(0.42), "0.4 %");
        assert_eq!(format_percent(0.0), "0 %");
    }
}

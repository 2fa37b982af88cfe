//! Unit formatting for chart labels and current-value text: percentages, sizes (B … TiB),
//! throughputs (B/s … TiB/s) and request rates, with one unit per axis so labels line up;
//! relative time labels and "updated … ago" texts. All templates are translatable.

use std::time::Duration;

use crate::i18n::{gettext, gettext_f, ngettext_f};
use crate::stats::{GapReason, Reading, Unit};

/// A unit with its prefix chosen: values are divided by `divisor()` and written with the
/// prefix's label, e.g. `MiB/s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitScale {
    unit: Unit,
    /// 0 = no prefix, 1 = Ki (or k for requests), 2 = Mi, …
    prefix: u8,
}

/// Largest prefix offered (Ti).
const MAX_PREFIX: u8 = 4;

impl UnitScale {
    /// The largest prefix under which `value` is still at least 1 (so 1536 B/s is 1.5 KiB/s).
    pub fn for_value(unit: Unit, value: f64) -> Self {
        let base = Self::base(unit);
        let mut prefix = 0;
        if base > 1.0 {
            let mut scaled = value.abs();
            while scaled >= base && prefix < MAX_PREFIX {
                scaled /= base;
                prefix += 1;
            }
        }
        Self { unit, prefix }
    }

    /// The unit being formatted.
    pub fn unit(&self) -> Unit {
        self.unit
    }

    fn base(unit: Unit) -> f64 {
        match unit {
            Unit::Percent => 1.0,
            Unit::Bytes | Unit::BytesPerSecond => 1024.0,
            Unit::OpsPerSecond => 1000.0,
        }
    }

    /// What one unit of this scale is in base units (e.g. 1048576 for MiB).
    pub fn divisor(&self) -> f64 {
        Self::base(self.unit).powi(i32::from(self.prefix))
    }

    /// `value` (in base units) written in this scale with `decimals` decimals, e.g. "1.5 MiB/s".
    pub fn format(&self, value: f64, decimals: usize) -> String {
        let number = format!("{:.*}", decimals, value / self.divisor());
        self.with_unit(&number)
    }

    /// A number already scaled, followed by this scale's unit (translatable template).
    fn with_unit(&self, number: &str) -> String {
        let args = [("value", number)];
        match (self.unit, self.prefix) {
            (Unit::Percent, _) => gettext_f("{value}%", &args),
            (Unit::Bytes, 0) => gettext_f("{value} B", &args),
            (Unit::Bytes, 1) => gettext_f("{value} KiB", &args),
            (Unit::Bytes, 2) => gettext_f("{value} MiB", &args),
            (Unit::Bytes, 3) => gettext_f("{value} GiB", &args),
            (Unit::Bytes, _) => gettext_f("{value} TiB", &args),
            (Unit::BytesPerSecond, 0) => gettext_f("{value} B/s", &args),
            (Unit::BytesPerSecond, 1) => gettext_f("{value} KiB/s", &args),
            (Unit::BytesPerSecond, 2) => gettext_f("{value} MiB/s", &args),
            (Unit::BytesPerSecond, 3) => gettext_f("{value} GiB/s", &args),
            (Unit::BytesPerSecond, _) => gettext_f("{value} TiB/s", &args),
            (Unit::OpsPerSecond, 0) => gettext_f("{value} op/s", &args),
            (Unit::OpsPerSecond, 1) => gettext_f("{value}k op/s", &args),
            (Unit::OpsPerSecond, _) => gettext_f("{value}M op/s", &args),
        }
    }
}

/// A value for a label or a table cell, with about three significant digits and the fitting
/// prefix: "42.5%", "1.23 GiB", "812 KiB/s", "37 op/s".
pub fn format_value(unit: Unit, value: f64) -> String {
    let scale = UnitScale::for_value(unit, value);
    let scaled = (value / scale.divisor()).abs();
    let decimals = match unit {
        Unit::Percent => 1,
        // Whole bytes and requests have no fractions worth showing.
        _ if scale.prefix == 0 && (scaled >= 1.0 || scaled == 0.0) => 0,
        _ if scaled >= 100.0 => 0,
        _ if scaled >= 10.0 => 1,
        _ => 2,
    };
    scale.format(value, decimals)
}

/// The text of a reading: its value, an em dash for a gap, or "Not available".
pub fn format_reading(unit: Unit, reading: Reading) -> String {
    match reading {
        Reading::Value(value) => format_value(unit, value),
        Reading::Gap(GapReason::Inactive | GapReason::Warmup) => "—".to_owned(),
        Reading::NotAvailable => gettext("Not available"),
    }
}

/// "updated just now", "updated 12 s ago", "updated 3 min ago", "updated 2 h ago".
pub fn format_age(age: Duration) -> String {
    let secs = age.as_secs();
    if secs < 2 {
        return gettext("updated just now");
    }
    if secs < 120 {
        let n = secs.to_string();
        return ngettext_f(
            "updated {n} second ago",
            "updated {n} seconds ago",
            plural(secs),
            &[("n", &n)],
        );
    }
    let minutes = secs / 60;
    if minutes < 120 {
        let n = minutes.to_string();
        return ngettext_f(
            "updated {n} minute ago",
            "updated {n} minutes ago",
            plural(minutes),
            &[("n", &n)],
        );
    }
    let hours = minutes / 60;
    let n = hours.to_string();
    ngettext_f(
        "updated {n} hour ago",
        "updated {n} hours ago",
        plural(hours),
        &[("n", &n)],
    )
}

/// A time-axis label for a point `secs` before the window's end: "now", "−30 s", "−5 min",
/// "−2 h".
pub fn format_time_offset(secs: u64) -> String {
    if secs == 0 {
        return gettext("now");
    }
    if secs < 120 && secs % 60 != 0 || secs < 60 {
        return gettext_f("−{n} s", &[("n", &secs.to_string())]);
    }
    if secs < 7200 || secs % 3600 != 0 {
        return gettext_f("−{n} min", &[("n", &(secs / 60).to_string())]);
    }
    gettext_f("−{n} h", &[("n", &(secs / 3600).to_string())])
}

/// The plural selector for ngettext (saturating: huge numbers use the plural form anyway).
fn plural(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_get_the_fitting_prefix() {
        assert_eq!(format_value(Unit::BytesPerSecond, 0.0), "0 B/s");
        assert_eq!(format_value(Unit::BytesPerSecond, 512.0), "512 B/s");
        assert_eq!(format_value(Unit::BytesPerSecond, 1536.0), "1.50 KiB/s");
        assert_eq!(
            format_value(Unit::BytesPerSecond, 30.0 * 1048576.0),
            "30.0 MiB/s"
        );
        assert_eq!(format_value(Unit::Bytes, 1.5 * 1073741824.0), "1.50 GiB");
        assert_eq!(format_value(Unit::Bytes, 812.0 * 1024.0), "812 KiB");
        assert_eq!(format_value(Unit::Percent, 42.46), "42.5%");
        assert_eq!(format_value(Unit::OpsPerSecond, 37.0), "37 op/s");
        assert_eq!(format_value(Unit::OpsPerSecond, 12_500.0), "12.5k op/s");
    }

    #[test]
    fn readings_say_gap_or_not_available() {
        assert_eq!(format_reading(Unit::Percent, Reading::Value(5.0)), "5.0%");
        assert_eq!(
            format_reading(Unit::Percent, Reading::Gap(GapReason::Inactive)),
            "—"
        );
        assert_eq!(
            format_reading(Unit::BytesPerSecond, Reading::NotAvailable),
            "Not available"
        );
    }

    #[test]
    fn ages_and_time_offsets_read_naturally() {
        assert_eq!(format_age(Duration::from_millis(800)), "updated just now");
        assert_eq!(
            format_age(Duration::from_secs(12)),
            "updated 12 seconds ago"
        );
        assert_eq!(
            format_age(Duration::from_secs(300)),
            "updated 5 minutes ago"
        );
        assert_eq!(
            format_age(Duration::from_secs(3 * 3600)),
            "updated 3 hours ago"
        );
        assert_eq!(format_time_offset(0), "now");
        assert_eq!(format_time_offset(45), "−45 s");
        assert_eq!(format_time_offset(90), "−90 s");
        assert_eq!(format_time_offset(300), "−5 min");
        assert_eq!(format_time_offset(3600), "−60 min");
        assert_eq!(format_time_offset(7200), "−2 h");
    }
}

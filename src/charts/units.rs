//! Unit formatting for charts: axis labels that share one unit per axis ("0 MiB/s" … "4 MiB/s"),
//! current values and read-outs in the same words as the fleet table (through
//! [`crate::units`]), request rates, relative time labels and "updated … ago". All templates
//! are translatable.

use std::time::Duration;

use crate::i18n::{gettext, gettext_f, ngettext_f};
use crate::stats::{GapReason, Reading, Unit};
use crate::units::{format_bytes, format_percent, format_rate, scale_bytes, unit_symbol};

/// A unit with its prefix chosen: values are divided by `divisor()` and written with the
/// prefix's symbol, e.g. `MiB/s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitScale {
    unit: Unit,
    /// 0 = no prefix, 1 = Ki (or k for requests), 2 = Mi, …
    prefix: usize,
}

impl UnitScale {
    /// The largest prefix under which `value` is still at least 1 (so 1536 B/s is 1.5 KiB/s).
    pub fn for_value(unit: Unit, value: f64) -> Self {
        let prefix = match unit {
            Unit::Percent => 0,
            Unit::Bytes | Unit::BytesPerSecond => scale_bytes(value.abs()).1,
            Unit::OpsPerSecond => {
                let mut prefix = 0;
                let mut scaled = value.abs();
                while scaled >= 1000.0 && prefix < 2 {
                    scaled /= 1000.0;
                    prefix += 1;
                }
                prefix
            }
        };
        Self { unit, prefix }
    }

    /// The unit being formatted.
    pub fn unit(&self) -> Unit {
        self.unit
    }

    /// What one unit of this scale is in base units (e.g. 1048576 for MiB).
    pub fn divisor(&self) -> f64 {
        let base: f64 = match self.unit {
            Unit::Percent => 1.0,
            Unit::Bytes | Unit::BytesPerSecond => 1024.0,
            Unit::OpsPerSecond => 1000.0,
        };
        base.powi(i32::try_from(self.prefix).unwrap_or(0))
    }

    /// `value` (in base units) written in this scale with `decimals` decimals, e.g. "1.5 MiB/s".
    pub fn format(&self, value: f64, decimals: usize) -> String {
        let number = format!("{:.*}", decimals, value / self.divisor());
        let symbol = unit_symbol(self.prefix);
        // The same templates as `crate::units`, so charts and tables read alike.
        match self.unit {
            // Translators: a percentage; use your language's spacing, e.g. "{value} %" or "{value}%".
            Unit::Percent => gettext_f("{value} %", &[("value", &number)]),
            Unit::Bytes => gettext_f("{value} {unit}", &[("value", &number), ("unit", symbol)]),
            Unit::BytesPerSecond => {
                gettext_f("{value} {unit}/s", &[("value", &number), ("unit", symbol)])
            }
            Unit::OpsPerSecond => format_ops(&number, self.prefix),
        }
    }
}

/// Requests per second: "37 op/s", "12k op/s", "1.2M op/s".
fn format_ops(number: &str, prefix: usize) -> String {
    let args = [("value", number)];
    match prefix {
        // Translators: disk requests (operations) per second.
        0 => gettext_f("{value} op/s", &args),
        // Translators: thousands of disk requests (operations) per second.
        1 => gettext_f("{value}k op/s", &args),
        // Translators: millions of disk requests (operations) per second.
        _ => gettext_f("{value}M op/s", &args),
    }
}

/// A value for a legend, read-out or table cell, in the same words as the fleet table:
/// "42 %", "1.5 GiB", "812 KiB/s", "37 op/s".
pub fn format_value(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Percent => format_percent(value),
        Unit::Bytes => format_bytes(value),
        Unit::BytesPerSecond => format_rate(value),
        Unit::OpsPerSecond => {
            let scale = UnitScale::for_value(unit, value);
            let scaled = value.max(0.0) / scale.divisor();
            let decimals = usize::from(scale.prefix > 0 && scaled < 10.0);
            scale.format(value.max(0.0), decimals)
        }
    }
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
    fn values_read_like_the_fleet_table() {
        assert_eq!(format_value(Unit::BytesPerSecond, 0.0), "0 B/s");
        assert_eq!(format_value(Unit::BytesPerSecond, 1536.0), "1.5 KiB/s");
        assert_eq!(format_value(Unit::Bytes, 1.5 * 1073741824.0), "1.5 GiB");
        assert_eq!(format_value(Unit::Percent, 42.46), "42 %");
        assert_eq!(format_value(Unit::OpsPerSecond, 37.0), "37 op/s");
        assert_eq!(format_value(Unit::OpsPerSecond, 12_500.0), "12k op/s");
        assert_eq!(format_value(Unit::OpsPerSecond, 2_500.0), "2.5k op/s");
    }

    #[test]
    fn scales_write_every_label_in_one_unit() {
        let mib = UnitScale::for_value(Unit::BytesPerSecond, 3.7 * 1048576.0);
        assert_eq!(mib.format(0.0, 0), "0 MiB/s");
        assert_eq!(mib.format(2.5 * 1048576.0, 1), "2.5 MiB/s");
        assert_eq!(
            UnitScale::for_value(Unit::Bytes, 3e9).format(2147483648.0, 0),
            "2 GiB"
        );
        assert_eq!(
            UnitScale::for_value(Unit::Percent, 100.0).format(75.0, 0),
            "75 %"
        );
    }

    #[test]
    fn readings_say_gap_or_not_available() {
        assert_eq!(format_reading(Unit::Percent, Reading::Value(5.0)), "5 %");
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

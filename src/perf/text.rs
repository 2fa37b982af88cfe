//! Words of the performance views: the time-range choices and the hover read-out.

use std::time::Duration;

use crate::charts::Readout;
use crate::i18n::gettext_f;

/// A time-range choice: "1 min", "5 min", "1 h".
pub fn window_label(length: Duration) -> String {
    let secs = length.as_secs();
    if secs >= 3600 && secs % 3600 == 0 {
        // Translators: a chart time range in hours.
        gettext_f("{n} h", &[("n", &(secs / 3600).to_string())])
    } else if secs >= 60 {
        // Translators: a chart time range in minutes.
        gettext_f("{n} min", &[("n", &(secs / 60).to_string())])
    } else {
        // Translators: a chart time range in seconds.
        gettext_f("{n} s", &[("n", &secs.to_string())])
    }
}

/// The read-out under the pointer, one line each: the time ("−42 s"), then every line's value
/// with its name ("Read 1.2 MiB/s"); a value of a host that stopped answering is marked as
/// the last known one.
pub fn readout_text(readout: &Readout) -> String {
    let mut lines = vec![readout.time_text.clone()];
    for entry in &readout.entries {
        let value = if entry.stale && entry.value.is_some() {
            gettext_f("{value} (last known)", &[("value", &entry.text)])
        } else {
            entry.text.clone()
        };
        lines.push(match &entry.label {
            Some(label) => gettext_f("{name} {value}", &[("name", label), ("value", &value)]),
            None => value,
        });
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::ReadoutEntry;
    use std::time::Instant;

    #[test]
    fn window_choices_read_as_minutes_or_hours() {
        let labels: Vec<String> = crate::stats::Window::CHOICES
            .iter()
            .map(|length| window_label(*length))
            .collect();
        assert_eq!(labels, ["1 min", "5 min", "15 min", "1 h"]);
        assert_eq!(window_label(Duration::from_secs(30)), "30 s");
    }

    #[test]
    fn readouts_name_each_line_and_mark_stale_values() {
        let readout = Readout {
            time: Instant::now(),
            before_end: Duration::from_secs(42),
            time_text: "−42 s".to_owned(),
            entries: vec![
                ReadoutEntry {
                    label: Some("Read".to_owned()),
                    value: Some(1.0),
                    text: "1.0 MiB/s".to_owned(),
                    stale: false,
                },
                ReadoutEntry {
                    label: Some("Write".to_owned()),
                    value: None,
                    text: "—".to_owned(),
                    stale: true,
                },
            ],
        };
        assert_eq!(readout_text(&readout), "−42 s\nRead 1.0 MiB/s\nWrite —");
    }
}

//! How much history is kept and how it is laid out: the user's retention settings, the slot
//! grid that turns sample instants into ring positions, and the per-VM tier sizes that keep
//! an hour of history for each domain within the memory budget.

use std::fmt;
use std::time::{Duration, Instant};

use crate::i18n::gettext_f;

/// Full-resolution slots a VM keeps (the last five minutes at a 1 s interval).
pub const FINE_SLOTS: u32 = 300;

/// Coarse buckets that cover the whole retention period of a VM, whatever its length.
pub const COARSE_BUCKETS: u32 = 360;

/// Up to this many slots, a VM keeps its whole history at full resolution (one tier).
const SINGLE_TIER_MAX: u32 = 600;

/// Longest history the settings accept (one day).
pub const MAX_HISTORY_MINUTES: u32 = 24 * 60;

/// Longest polling interval the settings accept.
pub const MAX_INTERVAL_SECS: u32 = 60;

/// How long history is kept and how often the driver samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Retention {
    history_minutes: u32,
    interval_secs: u32,
}

/// Retention settings outside the supported range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionError {
    /// History length not in 1..=1440 minutes.
    HistoryMinutes(u32),
    /// Polling interval not in 1..=60 seconds.
    IntervalSecs(u32),
}

impl fmt::Display for RetentionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            RetentionError::HistoryMinutes(minutes) => gettext_f(
                "History length must be between 1 and {max} minutes, not {minutes}",
                &[
                    ("max", &MAX_HISTORY_MINUTES.to_string()),
                    ("minutes", &minutes.to_string()),
                ],
            ),
            RetentionError::IntervalSecs(secs) => gettext_f(
                "Polling interval must be between 1 and {max} seconds, not {secs}",
                &[
                    ("max", &MAX_INTERVAL_SECS.to_string()),
                    ("secs", &secs.to_string()),
                ],
            ),
        };
        f.write_str(&text)
    }
}

impl std::error::Error for RetentionError {}

impl Default for Retention {
    /// One hour of history at a 1 s polling interval.
    fn default() -> Self {
        Self {
            history_minutes: 60,
            interval_secs: 1,
        }
    }
}

impl Retention {
    /// Validated settings: `history_minutes` in 1..=1440, `interval_secs` in 1..=60.
    pub fn new(history_minutes: u32, interval_secs: u32) -> Result<Self, RetentionError> {
        if !(1..=MAX_HISTORY_MINUTES).contains(&history_minutes) {
            return Err(RetentionError::HistoryMinutes(history_minutes));
        }
        if !(1..=MAX_INTERVAL_SECS).contains(&interval_secs) {
            return Err(RetentionError::IntervalSecs(interval_secs));
        }
        Ok(Self {
            history_minutes,
            interval_secs,
        })
    }

    /// How many minutes of history are kept.
    pub fn history_minutes(self) -> u32 {
        self.history_minutes
    }

    /// The polling interval.
    pub fn interval(self) -> Duration {
        Duration::from_secs(u64::from(self.interval_secs))
    }

    /// The history length.
    pub fn history(self) -> Duration {
        Duration::from_secs(u64::from(self.history_minutes) * 60)
    }

    /// Slots (polling intervals) in the history period.
    pub fn slots(self) -> u32 {
        (self.history_minutes * 60).div_ceil(self.interval_secs)
    }

    /// The tier sizes of an ordinary VM's history.
    pub(crate) fn vm_layout(self) -> Layout {
        let slots = self.slots();
        if slots <= SINGLE_TIER_MAX {
            return Layout::single(slots);
        }
        let bucket = slots.div_ceil(COARSE_BUCKETS).max(2);
        Layout {
            fine: FINE_SLOTS,
            bucket,
            // Every sample also goes into the bucket averages, so the coarse ring holds the
            // whole period (plus the bucket that is partly older than the period).
            coarse: slots.div_ceil(bucket) + 1,
        }
    }

    /// The tier sizes of a VM whose page is open: the whole period at full resolution, plus
    /// the coarse tier so that closing the page loses nothing.
    pub(crate) fn detailed_vm_layout(self) -> Layout {
        Layout {
            fine: self.slots(),
            ..self.vm_layout()
        }
    }

    /// The tier sizes of a host aggregate: the whole period at full resolution.
    pub(crate) fn host_layout(self) -> Layout {
        Layout::single(self.slots())
    }
}

/// Sizes of one history's two tiers. `bucket == 0` means there is no coarse tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Slots in the full-resolution ring.
    pub fine: u32,
    /// Slots averaged into one coarse bucket (0: no coarse tier).
    pub bucket: u32,
    /// Buckets in the coarse ring.
    pub coarse: u32,
}

impl Layout {
    fn single(slots: u32) -> Self {
        Self {
            fine: slots,
            bucket: 0,
            coarse: 0,
        }
    }
}

/// The store-wide time grid: slot `n` is the instant `epoch + n × interval`. All connections
/// share it so host series can be summed slot by slot into fleet series.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SlotClock {
    pub epoch: Instant,
    pub interval: Duration,
}

impl SlotClock {
    /// The position of `at` on the grid in slots (fractional). Instants before the epoch
    /// count as the epoch.
    pub fn position(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.epoch).as_secs_f64() / self.interval.as_secs_f64()
    }

    /// The nearest slot to `at`.
    pub fn nearest_slot(&self, at: Instant) -> u32 {
        // Saturating float-to-int conversion: beyond 136 years at 1 s the grid simply ends.
        self.position(at).round() as u32
    }

    /// The instant of a (fractional) slot position.
    pub fn instant(&self, position: f64) -> Instant {
        self.epoch + self.interval.mul_f64(position.max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_validated() {
        assert!(Retention::new(0, 1).is_err());
        assert!(Retention::new(1441, 1).is_err());
        assert!(Retention::new(60, 0).is_err());
        assert!(Retention::new(60, 61).is_err());
        let error = Retention::new(60, 61).unwrap_err().to_string();
        assert!(error.contains("61"), "{error}");
        assert_eq!(Retention::new(60, 1).unwrap(), Retention::default());
    }

    #[test]
    fn an_hour_at_one_second_uses_ten_second_buckets() {
        let layout = Retention::default().vm_layout();
        assert_eq!(layout.fine, 300);
        assert_eq!(layout.bucket, 10);
        assert!(layout.coarse * layout.bucket + layout.fine >= 3600);
    }

    #[test]
    fn every_setting_covers_its_period_within_the_row_budget() {
        for minutes in [1, 5, 10, 30, 60, 120, 600, 1440] {
            for secs in 1..=60 {
                let retention = Retention::new(minutes, secs).unwrap();
                let layout = retention.vm_layout();
                let covered = if layout.bucket == 0 {
                    layout.fine
                } else {
                    (layout.coarse - 1) * layout.bucket
                };
                assert!(covered >= retention.slots(), "{minutes} min at {secs} s");
                assert!(
                    layout.fine + layout.coarse <= 662,
                    "{minutes} min at {secs} s"
                );
                if layout.bucket > 0 {
                    assert!(layout.bucket < layout.fine, "fine tier spans a bucket");
                }
            }
        }
    }
}

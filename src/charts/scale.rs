//! Axis scaling: a value axis from zero to a "nice" maximum with evenly spaced ticks in one
//! unit (CPU fixed at 0–100 %), and a time axis with round tick spacing for the window.

use std::time::Duration;

use super::units::{UnitScale, format_time_offset};
use crate::stats::Unit;

/// Ticks aimed for on a value axis (between 3 and 6 result).
const TARGET_INTERVALS: f64 = 4.0;

/// A value axis from 0 to `max` with a tick every `step`, labelled in one unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueAxis {
    /// Top of the axis, in base units (bytes/s, %, …).
    pub max: f64,
    /// Tick spacing, in base units.
    pub step: f64,
    /// The unit prefix all labels use.
    pub scale: UnitScale,
    /// Decimals the labels need to tell ticks apart.
    pub decimals: usize,
}

impl ValueAxis {
    /// The axis for data whose largest value is `data_max` (`None`: no data). Percentages are
    /// fixed at 0–100; other units get a nice maximum above the data, never below a small
    /// floor, so an idle domain's noise does not fill the chart.
    pub fn for_data(unit: Unit, data_max: Option<f64>) -> Self {
        if unit == Unit::Percent {
            return Self {
                max: 100.0,
                step: 25.0,
                scale: UnitScale::for_value(unit, 100.0),
                decimals: 0,
            };
        }
        let floor = match unit {
            Unit::Percent => 100.0,
            Unit::Bytes => 1024.0 * 1024.0,
            Unit::BytesPerSecond => 1024.0,
            Unit::OpsPerSecond => 10.0,
        };
        let top = data_max
            .filter(|max| max.is_finite())
            .map_or(floor, |max| max.max(floor));
        let scale = UnitScale::for_value(unit, top);
        let scaled_top = top / scale.divisor();
        let step = nice_step(scaled_top / TARGET_INTERVALS);
        // A little headroom so a flat line at the maximum does not run along the frame (the
        // floor itself needs none: no data reaches it).
        let headroom = if top > floor { 1.02 } else { 1.0 };
        let intervals = (scaled_top * headroom / step).ceil().max(1.0);
        Self {
            max: intervals * step * scale.divisor(),
            step: step * scale.divisor(),
            scale,
            decimals: decimals_for(step),
        }
    }

    /// Tick values from 0 to `max`, in base units.
    pub fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let count = (self.max / self.step).round() as usize;
        (0..=count).map(move |index| index as f64 * self.step)
    }

    /// The label of a tick.
    pub fn label(&self, value: f64) -> String {
        self.scale.format(value, self.decimals)
    }
}

/// The smallest of 1, 2, 2.5, 5 × 10ⁿ not below `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let normalized = raw / magnitude;
    let nice = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|candidate| *candidate >= normalized - 1e-9)
        .unwrap_or(10.0);
    nice * magnitude
}

/// Decimals needed to write multiples of `step` exactly (2.5 → 1, 0.25 → 2, 20 → 0).
fn decimals_for(step: f64) -> usize {
    (0..4)
        .find(|decimals| {
            let shifted = step * 10f64.powi(*decimals);
            (shifted - shifted.round()).abs() < 1e-6 * shifted.max(1.0)
        })
        .map_or(3, |decimals| decimals as usize)
}

/// A time axis over a window: ticks every `step` back from the window's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeAxis {
    pub length: Duration,
    pub step: Duration,
}

impl TimeAxis {
    /// Round tick spacing for a window of `length` (1 min → 15 s, 5 min → 1 min, 15 min →
    /// 5 min, 60 min → 15 min).
    pub fn for_window(length: Duration) -> Self {
        const STEPS: [u64; 12] = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
        let secs = length.as_secs().max(1);
        let step = STEPS
            .into_iter()
            .find(|step| secs / step <= 5)
            .unwrap_or_else(|| secs.div_ceil(4));
        Self {
            length,
            step: Duration::from_secs(step),
        }
    }

    /// Ticks as seconds before the window's end, newest first (0 = now).
    pub fn ticks(&self) -> impl Iterator<Item = u64> + '_ {
        let step = self.step.as_secs().max(1);
        (0..=self.length.as_secs() / step).map(move |index| index * step)
    }

    /// The label of a tick `secs` before the end.
    pub fn label(&self, secs: u64) -> String {
        format_time_offset(secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_is_always_zero_to_a_hundred() {
        for max in [None, Some(3.0), Some(100.0)] {
            let axis = ValueAxis::for_data(Unit::Percent, max);
            assert_eq!(axis.max, 100.0);
            let ticks: Vec<f64> = axis.ticks().collect();
            assert_eq!(ticks, [0.0, 25.0, 50.0, 75.0, 100.0]);
            assert_eq!(axis.label(50.0), "50 %");
        }
    }

    #[test]
    fn throughput_gets_a_nice_maximum_in_one_unit() {
        let mib = 1024.0 * 1024.0;
        let axis = ValueAxis::for_data(Unit::BytesPerSecond, Some(3.7 * mib));
        assert_eq!(axis.max, 4.0 * mib);
        assert_eq!(axis.step, mib);
        let labels: Vec<String> = axis.ticks().map(|tick| axis.label(tick)).collect();
        assert_eq!(
            labels,
            ["0 MiB/s", "1 MiB/s", "2 MiB/s", "3 MiB/s", "4 MiB/s"]
        );

        let axis = ValueAxis::for_data(Unit::BytesPerSecond, Some(9.0 * mib));
        assert_eq!(axis.step, 2.5 * mib);
        assert_eq!(axis.max, 10.0 * mib);
        assert_eq!(axis.label(2.5 * mib), "2.5 MiB/s");

        let axis = ValueAxis::for_data(Unit::BytesPerSecond, Some(700.0));
        assert_eq!(axis.label(axis.max), "1.00 KiB/s");
        assert!(axis.max >= 1024.0);
    }

    #[test]
    fn the_maximum_is_above_the_data_and_never_below_the_floor() {
        for unit in [Unit::Bytes, Unit::BytesPerSecond, Unit::OpsPerSecond] {
            for max in [0.0, 1.0, 999.0, 1234.5, 1e6, 3.3e9, 7.7e12] {
                let axis = ValueAxis::for_data(unit, Some(max));
                assert!(axis.max >= max, "{unit:?} {max}");
                let intervals = axis.max / axis.step;
                assert!(
                    (intervals - intervals.round()).abs() < 1e-9,
                    "{unit:?} {max}"
                );
                assert!(
                    (2.0..=6.0).contains(&intervals),
                    "{unit:?} {max}: {intervals}"
                );
            }
            assert_eq!(
                ValueAxis::for_data(unit, None),
                ValueAxis::for_data(unit, Some(0.0))
            );
        }
    }

    #[test]
    fn time_axes_tick_at_round_intervals() {
        let ticks = |minutes: u64| -> Vec<u64> {
            TimeAxis::for_window(Duration::from_secs(minutes * 60))
                .ticks()
                .collect()
        };
        assert_eq!(ticks(1), [0, 15, 30, 45, 60]);
        assert_eq!(ticks(5), [0, 60, 120, 180, 240, 300]);
        assert_eq!(ticks(15), [0, 300, 600, 900]);
        assert_eq!(ticks(60), [0, 900, 1800, 2700, 3600]);
    }
}

//! Statistics: per-tick samples from the driver, rates from counter deltas, compact history
//! rings and staleness.

pub mod sample;

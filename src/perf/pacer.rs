//! Pacing chart redraws: each host ticks on its own clock, so a fleet of ten hosts would
//! redraw the visible charts ten times per polling interval. The pacer lets one redraw through
//! and defers the rest to one redraw a moment later, whatever the number of hosts.

use std::time::{Duration, Instant};

/// What to do with a redraw request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Redraw now (then call [`RedrawPacer::drawn`]).
    Now,
    /// Schedule one redraw after this delay; later requests are folded into it.
    After(Duration),
    /// A redraw is already scheduled: nothing to do.
    Scheduled,
}

/// Lets at most one redraw through per `min_gap`.
#[derive(Debug, Clone)]
pub struct RedrawPacer {
    min_gap: Duration,
    last: Option<Instant>,
    scheduled: bool,
}

impl RedrawPacer {
    /// The shortest and longest gap the pacer keeps between two redraws.
    pub const GAP_RANGE: (Duration, Duration) =
        (Duration::from_millis(250), Duration::from_secs(5));

    /// A pacer for hosts polled every `interval`: redraws at most about once per interval
    /// (a little less than it, so one host's slightly early tick is not deferred).
    pub fn for_interval(interval: Duration) -> Self {
        Self {
            min_gap: Self::gap_for(interval),
            last: None,
            scheduled: false,
        }
    }

    fn gap_for(interval: Duration) -> Duration {
        interval
            .mul_f64(0.9)
            .clamp(Self::GAP_RANGE.0, Self::GAP_RANGE.1)
    }

    /// Follows a new polling interval.
    pub fn set_interval(&mut self, interval: Duration) {
        self.min_gap = Self::gap_for(interval);
    }

    /// The current minimum gap.
    pub fn min_gap(&self) -> Duration {
        self.min_gap
    }

    /// A statistics tick at `now` asks for a redraw.
    pub fn request(&mut self, now: Instant) -> Pace {
        if self.scheduled {
            return Pace::Scheduled;
        }
        match self.last {
            Some(last) if now.saturating_duration_since(last) < self.min_gap => {
                self.scheduled = true;
                Pace::After(self.min_gap - now.saturating_duration_since(last))
            }
            _ => Pace::Now,
        }
    }

    /// A tick's redraw was let through or done at `now` (a request answered `Now`, or the
    /// scheduled one).
    pub fn drawn(&mut self, now: Instant) {
        self.last = Some(now);
        self.scheduled = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_redraw_per_gap_whatever_the_number_of_ticks() {
        let start = Instant::now();
        let mut pacer = RedrawPacer::for_interval(Duration::from_secs(1));
        assert_eq!(pacer.min_gap(), Duration::from_millis(900));
        assert_eq!(pacer.request(start), Pace::Now);
        pacer.drawn(start);
        // Three other hosts tick within the next half second: one deferred redraw.
        let at = |ms| start + Duration::from_millis(ms);
        assert_eq!(
            pacer.request(at(100)),
            Pace::After(Duration::from_millis(800))
        );
        assert_eq!(pacer.request(at(300)), Pace::Scheduled);
        assert_eq!(pacer.request(at(500)), Pace::Scheduled);
        pacer.drawn(at(900));
        // One host alone, ticking once a second with some jitter, always redraws at once.
        assert_eq!(pacer.request(at(1850)), Pace::Now);
        pacer.drawn(at(1850));
        assert_eq!(pacer.request(at(2800)), Pace::Now);
    }

    #[test]
    fn gaps_stay_within_their_range() {
        let fast = RedrawPacer::for_interval(Duration::from_millis(100));
        assert_eq!(fast.min_gap(), RedrawPacer::GAP_RANGE.0);
        let mut slow = RedrawPacer::for_interval(Duration::from_secs(60));
        assert_eq!(slow.min_gap(), RedrawPacer::GAP_RANGE.1);
        slow.set_interval(Duration::from_secs(2));
        assert_eq!(slow.min_gap(), Duration::from_millis(1800));
    }
}

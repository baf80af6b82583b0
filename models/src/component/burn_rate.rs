//! Error-budget burn rate over a sliding window of judged intervals: what a rollout's
//! `burn_gate` measures.
//!
//! An SLO that allows a share `budget` of bad requests (`error_rate < 1%`: budget 1%;
//! `availability > 99.9%`: budget 0.1%) burns its budget at rate 1 when exactly that share
//! is bad. The burn rate over a window is `(bad / total) / budget`: 14.4 means a 30-day
//! budget would be gone in 50 hours (the classic fast-burn page).
//!
//! ```text
//!   judged intervals:  |  i1  |  i2  |  i3  |  i4  |      (each: bad, total)
//!                                    ^ now - window      ^ now
//!   window sums i3 + i4 (the intervals that started inside it); burn = bad/total/budget
//! ```
//!
//! **Guarantees.** Pure integer bookkeeping, no random draw and no clock: the same
//! intervals give the same rate. [`BurnWindow`] keeps only the intervals that can still
//! fall in its longest window (memory bounded by `keep / shortest interval`). A window with
//! no request has no rate (`None`), never 0 or NaN.

use sim::{SimDuration, SimTime};
use std::collections::VecDeque;

/// Counts of one judged interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Interval {
    start: SimTime,
    bad: u64,
    total: u64,
}

/// The judged intervals of the last `keep`, oldest first.
#[derive(Clone, Debug, Default)]
pub struct BurnWindow {
    intervals: VecDeque<Interval>,
    keep: SimDuration,
}

impl BurnWindow {
    /// A window that can answer for any span up to `keep`.
    pub fn new(keep: SimDuration) -> BurnWindow {
        BurnWindow {
            intervals: VecDeque::new(),
            keep,
        }
    }

    /// Records the interval `[start, now)` with `bad` of `total` requests bad, and forgets
    /// the intervals that started before `now - keep`.
    pub fn push(&mut self, start: SimTime, now: SimTime, bad: u64, total: u64) {
        self.intervals.push_back(Interval {
            start,
            bad: bad.min(total),
            total,
        });
        let from = now.as_nanos().saturating_sub(self.keep.as_nanos());
        while self
            .intervals
            .front()
            .is_some_and(|i| i.start.as_nanos() < from)
        {
            self.intervals.pop_front();
        }
    }

    /// (bad, total) over the intervals that started at or after `now - span`.
    pub fn sums(&self, now: SimTime, span: SimDuration) -> (u64, u64) {
        let from = now.as_nanos().saturating_sub(span.as_nanos());
        self.intervals
            .iter()
            .rev()
            .take_while(|i| i.start.as_nanos() >= from)
            .fold((0, 0), |(b, t), i| (b + i.bad, t + i.total))
    }

    /// Intervals held (for tests and bounds).
    pub fn len(&self) -> usize {
        self.intervals.len()
    }

    /// Whether no interval is held.
    pub fn is_empty(&self) -> bool {
        self.intervals.is_empty()
    }
}

/// The burn rate of `bad` of `total` requests against a budget share `budget` (0, 1];
/// `None` when there was no request.
pub fn burn_rate(bad: u64, total: u64, budget: f64) -> Option<f64> {
    (total > 0 && budget > 0.0).then(|| bad as f64 / total as f64 / budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: u64) -> SimTime {
        SimTime(x * 1_000_000_000)
    }

    /// Goal: a known error rate gives a known burn rate, exactly. Method: 3 bad of 200
    /// (1.5%) against budgets 0.1% (15×), 1.5% (1×) and 100% (0.015×); no request: none.
    #[test]
    fn known_error_rate_known_burn() {
        assert_eq!(burn_rate(3, 200, 0.001), Some(3.0 / 200.0 / 0.001));
        assert!((burn_rate(3, 200, 0.001).unwrap() - 15.0).abs() < 1e-9);
        assert_eq!(burn_rate(3, 200, 0.015), Some(1.0));
        assert!((burn_rate(3, 200, 1.0).unwrap() - 0.015).abs() < 1e-12);
        assert_eq!(burn_rate(0, 0, 0.01), None);
        assert_eq!(burn_rate(0, 10, 0.01), Some(0.0));
    }

    /// Goal: a window sums exactly the intervals that started inside it, and the window
    /// forgets what its longest span can no longer see. Method: 10 s intervals with 1..=6
    /// bad of 100; spans of 20 s, 30 s and 60 s at t = 60 s; then the held count with
    /// keep = 30 s.
    #[test]
    fn window_sums_the_intervals_inside_it() {
        let mut w = BurnWindow::new(SimDuration::from_secs(30));
        for k in 0..6u64 {
            w.push(s(k * 10), s(k * 10 + 10), k + 1, 100);
        }
        // Intervals start at 0, 10, …, 50; at t = 60 a 20 s span holds those at 40 and 50.
        assert_eq!(w.sums(s(60), SimDuration::from_secs(20)), (5 + 6, 200));
        assert_eq!(w.sums(s(60), SimDuration::from_secs(30)), (4 + 5 + 6, 300));
        // keep = 30 s: the intervals starting before 30 s were forgotten.
        assert_eq!(w.len(), 3);
        assert_eq!(w.sums(s(60), SimDuration::from_secs(60)), (15, 300));
        let (b, t) = w.sums(s(60), SimDuration::from_secs(20));
        // 11 bad of 200 against a 1% budget: 5.5× (exact).
        assert_eq!(burn_rate(b, t, 0.01), Some(11.0 / 200.0 / 0.01));
        assert!(BurnWindow::new(SimDuration::from_secs(1)).is_empty());
    }

    /// Goal: bad counts never exceed their totals (a rate above 1/budget is impossible).
    /// Method: push 5 bad of 3.
    #[test]
    fn bad_is_clamped_to_total() {
        let mut w = BurnWindow::new(SimDuration::from_secs(10));
        w.push(s(0), s(1), 5, 3);
        assert_eq!(w.sums(s(1), SimDuration::from_secs(10)), (3, 3));
    }
}

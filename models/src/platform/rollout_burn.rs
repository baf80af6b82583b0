//! The burn-rate gate of a rollout, at run time: each judged interval's bad and total
//! requests (over the gate's traffic) go into a sliding window, and the gate trips when the
//! error-budget burn rate over the window — and over the short window, if one is given — is
//! at or above the declared rate. The scenario side is `crate::scenario::rollout_burn`; the
//! window arithmetic is [`crate::component::burn_rate`].
//!
//! **When it is judged.** With the objective gate (`gate`), every `gate_every` while the
//! rollout runs and at the end of each bake, over the same interval's requests. A window
//! that holds fewer than `gate_min_requests` requests is not judged (it passes). Before the
//! window has filled (the rollout started less than `window` ago) it is judged over what it
//! holds: the rollout's traffic before its start is not the change's.
//!
//! **Guarantees.** No random draw and no event of its own (it rides the gate's `GateDue`);
//! without a `burn_gate` the run keeps `None` and pays nothing. A latency SLO (`p(N) < D`)
//! counts an ok request as good when the latency histogram's bucket holding it lies at or
//! below D (the histogram's resolution), so its bad share errs high by at most a bucket.

use crate::component::burn_rate::{burn_rate, BurnWindow};
use crate::component::outcome::Cause;
use crate::record::Stats;
use crate::scenario::rollout_burn::{BadShare, BurnGate};
use sim::SimTime;

/// (bad, total) requests of `s` for what the SLO counts as bad.
pub(super) fn count(bad: BadShare, s: &Stats) -> (u64, u64) {
    let answered = s.ok + s.shed + s.errors + s.timeouts;
    match bad {
        BadShare::Failed => (answered - s.ok, answered),
        BadShare::NotServed => (s.finished() - s.ok, s.finished()),
        BadShare::TimedOut => (s.timeouts, answered),
        BadShare::Rejected => (s.rejected, s.finished()),
        BadShare::StaleRead => (s.causes[Cause::StaleRead as usize], answered),
        BadShare::SlowerThan(ns) => (
            answered.saturating_sub(s.latency.count_at_most(ns)),
            answered,
        ),
    }
}

/// One rollout's burn-rate state.
pub(super) struct BurnRt {
    window: BurnWindow,
    /// Start of the interval being accumulated.
    since: SimTime,
}

/// What one judgement found.
pub(super) struct BurnVerdict {
    /// The burn rate over the (long) window.
    pub rate: f64,
    /// Whether the gate trips.
    pub fails: bool,
}

impl BurnRt {
    /// The state for `g`, before the rollout starts.
    pub(super) fn new(g: &BurnGate) -> BurnRt {
        BurnRt {
            window: BurnWindow::new(g.window),
            since: SimTime::ZERO,
        }
    }

    /// The rollout started at `now`: the first interval begins.
    pub(super) fn started(&mut self, now: SimTime) {
        self.since = now;
    }

    /// Records the interval ending at `now` (the gate traffic `acc`) and judges the gate;
    /// `None` when the window holds fewer than `min_requests` requests.
    pub(super) fn judge(
        &mut self,
        g: &BurnGate,
        acc: &Stats,
        now: SimTime,
        min_requests: u64,
    ) -> Option<BurnVerdict> {
        let (bad, total) = count(g.bad, acc);
        self.window.push(self.since, now, bad, total);
        self.since = now;
        let (b, t) = self.window.sums(now, g.window);
        if t < min_requests.max(1) {
            return None;
        }
        let rate = burn_rate(b, t, g.budget)?;
        let short_burns = match g.short_window {
            None => true,
            Some(sw) => {
                let (b, t) = self.window.sums(now, sw);
                burn_rate(b, t, g.budget).is_some_and(|x| x >= g.rate)
            }
        };
        Some(BurnVerdict {
            rate,
            fails: rate >= g.rate && short_burns,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::outcome::Outcome;
    use sim::SimDuration;

    fn gate(rate: f64, short: Option<u64>) -> BurnGate {
        BurnGate {
            slo: "errors".into(),
            budget: 0.01,
            bad: BadShare::Failed,
            rate,
            window: SimDuration::from_secs(30),
            short_window: short.map(SimDuration::from_secs),
        }
    }

    fn interval(ok: u64, failed: u64) -> Stats {
        let mut s = Stats::default();
        for _ in 0..ok {
            s.finish(Outcome::Ok, 1_000_000, 1);
        }
        for _ in 0..failed {
            s.finish(Outcome::TimedOut, 1_000_000_000, 1);
        }
        s
    }

    /// Goal: with a known error rate the gate measures the known burn rate and trips exactly
    /// at it. Method: 10 s intervals of 100 requests, 20 failed (20% against a 1% budget:
    /// 20×); gates at 20 (trips: at or above) and 20.01 (passes); 429s are not errors.
    #[test]
    fn known_error_rate_trips_at_its_burn_rate() {
        for (threshold, trips) in [(20.0, true), (20.01, false)] {
            let g = gate(threshold, None);
            let mut b = BurnRt::new(&g);
            b.started(SimTime::ZERO);
            let mut acc = interval(80, 20);
            acc.finish(Outcome::Rejected, 0, 1);
            let v = b
                .judge(&g, &acc, SimTime(10_000_000_000), 20)
                .expect("judged");
            assert_eq!(v.rate, 0.2 / 0.01);
            assert_eq!(v.fails, trips);
        }
    }

    /// Goal: the short window keeps a burn that has stopped from tripping the gate, and a
    /// window with too few requests is not judged. Method: 30 s window, 10 s short window;
    /// a bad interval (50%) then a clean one: the long window still burns 25×, the short 0×.
    #[test]
    fn short_window_and_min_requests() {
        let g = gate(10.0, Some(10));
        let mut b = BurnRt::new(&g);
        let s = |x: u64| SimTime(x * 1_000_000_000);
        assert!(b.judge(&g, &interval(1, 1), s(10), 20).is_none());
        let v = b.judge(&g, &interval(50, 50), s(20), 20).unwrap();
        assert!(v.fails);
        let v = b.judge(&g, &interval(100, 0), s(30), 20).unwrap();
        assert!((v.rate - 51.0 / 202.0 / 0.01).abs() < 1e-9, "{}", v.rate);
        assert!(!v.fails, "the short window no longer burns");
        let g1 = gate(10.0, None);
        let mut b1 = BurnRt::new(&g1);
        b1.judge(&g1, &interval(50, 50), s(10), 20);
        assert!(b1.judge(&g1, &interval(100, 0), s(20), 20).unwrap().fails);
    }

    /// Goal: each kind of SLO counts its own bad requests. Method: one interval with every
    /// outcome; check each share's (bad, total).
    #[test]
    fn each_share_counts_its_own_bad_requests() {
        let mut s = interval(6, 2);
        s.finish(Outcome::Rejected, 0, 1);
        s.finish(Outcome::Ok, 900_000_000, 1);
        assert_eq!(count(BadShare::Failed, &s), (2, 9));
        assert_eq!(count(BadShare::NotServed, &s), (3, 10));
        assert_eq!(count(BadShare::TimedOut, &s), (2, 9));
        assert_eq!(count(BadShare::Rejected, &s), (1, 10));
        assert_eq!(count(BadShare::StaleRead, &s), (0, 9));
        assert_eq!(count(BadShare::SlowerThan(250_000_000), &s), (3, 9));
    }
}

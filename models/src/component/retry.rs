//! Client retry policies (backoff with jitter) and retry budgets.
//!
//! **Policies.** After a timeout or a retryable error a client may try again. Attempt 1 is
//! the original request; attempt `n ≥ 2` is retry number `n − 1`. `max_attempts` counts all
//! attempts, the first included (gRPC's `maxAttempts`). For retry number `k = n − 1` the
//! exponential ceiling is `e = min(cap, base · 2^(k−1))` (so the first retry's ceiling is
//! `base`), and the delay is, after the AWS Architecture Blog's "Exponential Backoff And
//! Jitter":
//!
//! | jitter         | delay                                   | random draws           |
//! |----------------|-----------------------------------------|------------------------|
//! | `None`         | `e`                                     | none                   |
//! | `Full`         | uniform in `[0, e)`                     | one `below` if `e > 0` |
//! | `Equal`        | `⌊e/2⌋ + uniform in [0, e − ⌊e/2⌋)`       | one `below` if `e > 0` |
//! | `Decorrelated` | `min(cap, uniform in [base, 3·prev))`   | one `below` if `3·prev > base` |
//!
//! where `prev` is the previous delay (taken as `base` for the first retry, or whenever it is
//! below `base`). All arithmetic is integer nanoseconds, saturating (no overflow for any
//! attempt number); the only randomness is [`Bits::below`] on the caller's generator (a
//! [`sim::RngStream`] or a per-request [`sim::SplitMix`]), so a seed replays exactly.
//! No delay ever exceeds `cap`; `Decorrelated` is never below `base` unless `cap < base` (then
//! `cap` wins). `Retry-After` is honoured by the caller, with [`combine_with_retry_after`].
//!
//! **Budgets.** A [`RetryBudget`] (as in gRPC retry throttling and Finagle's `RetryBudget`)
//! caps retries at a fraction of first attempts, plus a small floor so that a quiet client can
//! still retry. See its docs for the exact guarantee. Its sliding window is a fixed ring of
//! [`BUDGET_BUCKETS`] sub-buckets: O(10) per call, no allocation.

use serde::{Deserialize, Serialize};
use sim::{Bits, SimDuration, SimTime};

/// Number of sub-buckets in a [`RetryBudget`]'s sliding window.
pub const BUDGET_BUCKETS: usize = 10;

/// How a backoff delay is randomised (see the module docs for the formulas).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// The exponential ceiling itself.
    None,
    /// Uniform between zero and the ceiling.
    Full,
    /// Half the ceiling plus uniform over the other half.
    Equal,
    /// Uniform between `base` and three times the previous delay, capped.
    Decorrelated,
}

/// When and how often a client retries (plain data from the scenario).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryPolicy {
    /// Never retry.
    None,
    /// Retry at once, up to `max_attempts` attempts in total.
    Immediate {
        /// Attempts in total, the first included.
        max_attempts: u32,
    },
    /// Exponential backoff with jitter, up to `max_attempts` attempts in total.
    Backoff {
        /// Attempts in total, the first included.
        max_attempts: u32,
        /// Ceiling of the first retry's delay; floor of decorrelated delays.
        base: SimDuration,
        /// No delay exceeds this.
        cap: SimDuration,
        /// Randomisation.
        jitter: Jitter,
    },
}

impl RetryPolicy {
    /// Attempts in total, the first included (1 for [`RetryPolicy::None`]).
    pub fn max_attempts(&self) -> u32 {
        match *self {
            RetryPolicy::None => 1,
            RetryPolicy::Immediate { max_attempts } | RetryPolicy::Backoff { max_attempts, .. } => {
                max_attempts.max(1)
            }
        }
    }

    /// The wait before attempt `next_attempt` (2 = the first retry), or `None` when the
    /// attempts are exhausted. `prev_delay` is the delay chosen before the previous attempt
    /// (only `Decorrelated` uses it; pass [`SimDuration::ZERO`] for the first retry). Draws
    /// from `rng` only as the module docs' table says.
    pub fn delay_before_attempt<R: Bits + ?Sized>(
        &self,
        next_attempt: u32,
        prev_delay: SimDuration,
        rng: &mut R,
    ) -> Option<SimDuration> {
        assert!(
            next_attempt >= 2,
            "attempt {next_attempt}: attempt 1 is the original request"
        );
        if next_attempt > self.max_attempts() {
            return None;
        }
        match *self {
            RetryPolicy::None => None,
            RetryPolicy::Immediate { .. } => Some(SimDuration::ZERO),
            RetryPolicy::Backoff {
                base, cap, jitter, ..
            } => {
                let retry = next_attempt - 1;
                let ceiling = exponential_ceiling(base, cap, retry).as_nanos();
                let delay_ns = match jitter {
                    Jitter::None => ceiling,
                    Jitter::Full => uniform_below(rng, ceiling),
                    Jitter::Equal => {
                        let half = ceiling / 2;
                        half + uniform_below(rng, ceiling - half)
                    }
                    Jitter::Decorrelated => {
                        let base_ns = base.as_nanos();
                        let prev_ns = prev_delay.as_nanos().max(base_ns);
                        let upper = prev_ns.saturating_mul(3);
                        let drawn = base_ns + uniform_below(rng, upper.saturating_sub(base_ns));
                        drawn.min(cap.as_nanos())
                    }
                };
                Some(SimDuration(delay_ns))
            }
        }
    }
}

/// `min(cap, base · 2^(retry−1))` for retry number `retry ≥ 1`, without overflow.
pub fn exponential_ceiling(base: SimDuration, cap: SimDuration, retry: u32) -> SimDuration {
    let doublings = retry.saturating_sub(1);
    let scaled = if doublings >= 64 {
        if base.as_nanos() == 0 {
            0
        } else {
            u64::MAX
        }
    } else {
        base.as_nanos().saturating_mul(1u64 << doublings)
    };
    SimDuration(scaled.min(cap.as_nanos()))
}

/// Uniform in `[0, n)`, or 0 without drawing when `n = 0`.
fn uniform_below<R: Bits + ?Sized>(rng: &mut R, n: u64) -> u64 {
    if n == 0 {
        0
    } else {
        rng.below(n)
    }
}

/// The wait actually used when the server sent `Retry-After`: the longer of the policy's
/// delay and the server's hint. (Whether to honour the hint is the caller's policy.)
pub fn combine_with_retry_after(
    delay: SimDuration,
    retry_after: Option<SimDuration>,
) -> SimDuration {
    retry_after.map_or(delay, |hint| delay.max(hint))
}

/// One sub-bucket of a budget's sliding window (its epoch is implied by its ring position
/// and the budget's newest epoch). Counts saturate at `u32::MAX` per sub-bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct BudgetBucket {
    first_attempts: u32,
    retries: u32,
}

/// A retry budget: retries may be at most `ratio` of first attempts (plus a floor of
/// `min_retries_per_sec`) over a sliding window.
///
/// **Rule.** A retry at `now` is allowed iff
/// `retries_in_window + 1 ≤ ratio × first_attempts_in_window + min_retries_per_sec × window_secs`,
/// and an allowed retry is counted. `ratio` is rounded to parts per million and the floor
/// `min_retries_per_sec × window_secs` to millionths of a retry, once, at construction; the
/// comparison is then exact in integers.
///
/// **Window.** [`BUDGET_BUCKETS`] sub-buckets of width `w = ceil(window / 10)`; the window at
/// `now` is the current bucket and the nine before it, i.e. it covers at least `9w` and less
/// than `10w` of history.
///
/// **Guarantee** (what the tests check). For every interval `(t − 9w, t]` ending at an allowed
/// retry `t`: `retries ≤ ratio × first_attempts in (t − 10w, t] + floor`. With a 10s window:
/// retries in any 9s are at most `ratio` × first attempts in the surrounding 10s, plus the floor.
///
/// **Layout.** 120 bytes: the ring holds only counts; sub-bucket `k mod 10` holds epoch `k`
/// for the ten epochs up to the newest one touched, and the ones it skips over are zeroed as
/// the clock reaches them (a budget per tenant and class adds up at 100,000 tenants).
#[derive(Clone, Debug)]
pub struct RetryBudget {
    bucket_ns: u64,
    ratio_ppm: u64,
    floor_micros: u64,
    buckets: [BudgetBucket; BUDGET_BUCKETS],
    /// The newest epoch (`floor(t / width) + 1`) a sub-bucket was opened for; 0: none yet.
    newest: u64,
    last_call: SimTime,
}

impl RetryBudget {
    /// A budget allowing `ratio` retries per first attempt (e.g. 0.1 = 10%, in `[0, 1000]`),
    /// over a sliding `window` (> 0), with a floor of `min_retries_per_sec` (≥ 0). Asserts
    /// the ranges: the scenario loader validates them.
    pub fn new(ratio: f64, window: SimDuration, min_retries_per_sec: f64) -> Self {
        assert!(
            ratio.is_finite() && (0.0..=1000.0).contains(&ratio),
            "retry budget ratio {ratio} not in [0, 1000]"
        );
        assert!(
            min_retries_per_sec.is_finite() && (0.0..=1e9).contains(&min_retries_per_sec),
            "retry budget min_retries_per_sec {min_retries_per_sec} not in [0, 1e9]"
        );
        assert!(
            window.as_nanos() > 0,
            "retry budget window must be positive"
        );
        // retries/s × window ns / 1e9 = retries; × 1e6 for micro-retries.
        let floor_micros = min_retries_per_sec * window.as_nanos() as f64 / 1e3;
        RetryBudget {
            bucket_ns: window.as_nanos().div_ceil(BUDGET_BUCKETS as u64),
            ratio_ppm: (ratio * 1e6 + 0.5) as u64,
            floor_micros: (floor_micros + 0.5) as u64,
            buckets: [BudgetBucket::default(); BUDGET_BUCKETS],
            newest: 0,
            last_call: SimTime::ZERO,
        }
    }

    /// Counts an original (non-retry) request at `now`.
    #[inline]
    pub fn record_first_attempt(&mut self, now: SimTime) {
        let bucket = self.bucket_at(now);
        bucket.first_attempts = bucket.first_attempts.saturating_add(1);
    }

    /// Asks to retry at `now`: true (and counted) if the budget allows it.
    #[inline]
    pub fn try_spend_retry(&mut self, now: SimTime) -> bool {
        self.advance_clock(now);
        let (first_attempts, retries) = self.window_counts(now);
        let wanted_micros = (retries as u128 + 1) * 1_000_000;
        let allowed_micros =
            self.ratio_ppm as u128 * first_attempts as u128 + self.floor_micros as u128;
        if wanted_micros > allowed_micros {
            return false;
        }
        let bucket = self.bucket_at(now);
        bucket.retries = bucket.retries.saturating_add(1);
        true
    }

    /// (first attempts, retries) in the window as seen at `now`.
    pub fn window_counts(&self, now: SimTime) -> (u64, u64) {
        let current = self.epoch(now);
        // The window's epochs that the ring still holds: at most the newest touched.
        let span = BUDGET_BUCKETS as u64 - 1;
        let oldest = current
            .saturating_sub(span)
            .max(self.newest.saturating_sub(span))
            .max(1);
        let newest = current.min(self.newest);
        (oldest..=newest)
            .map(|k| self.buckets[(k % BUDGET_BUCKETS as u64) as usize])
            .fold((0u64, 0u64), |(f, r), b| {
                (f + u64::from(b.first_attempts), r + u64::from(b.retries))
            })
    }

    fn epoch(&self, now: SimTime) -> u64 {
        now.as_nanos() / self.bucket_ns + 1
    }

    fn advance_clock(&mut self, now: SimTime) {
        assert!(
            now >= self.last_call,
            "retry budget: time went backwards ({now} < {})",
            self.last_call
        );
        self.last_call = now;
    }

    /// The bucket for `now`; the sub-buckets of the epochs since the newest one are emptied
    /// first (they held epochs that have left the window).
    fn bucket_at(&mut self, now: SimTime) -> &mut BudgetBucket {
        self.advance_clock(now);
        let epoch = self.epoch(now);
        if epoch > self.newest {
            let from = self.newest.max(epoch.saturating_sub(BUDGET_BUCKETS as u64)) + 1;
            for k in from..=epoch {
                self.buckets[(k % BUDGET_BUCKETS as u64) as usize] = BudgetBucket::default();
            }
            self.newest = epoch;
        }
        &mut self.buckets[(epoch % BUDGET_BUCKETS as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sim::{RngStream, SplitMix};

    const MS: u64 = 1_000_000;
    const S: u64 = 1_000_000_000;

    fn rng() -> RngStream {
        RngStream::new(7, "retry-tests", 0)
    }

    fn backoff(jitter: Jitter) -> RetryPolicy {
        RetryPolicy::Backoff {
            max_attempts: 200,
            base: SimDuration::from_millis(100),
            cap: SimDuration::from_secs(20),
            jitter,
        }
    }

    #[test]
    fn no_jitter_is_exact_exponential_up_to_the_cap() {
        // Goal: the formula without randomness. Method: 100ms doubling, capped at 20s; the
        // rng is never touched (compared with a fresh stream afterwards).
        let mut r = rng();
        let p = backoff(Jitter::None);
        let got: Vec<u64> = (2..=12)
            .map(|n| {
                p.delay_before_attempt(n, SimDuration::ZERO, &mut r)
                    .unwrap()
                    .as_nanos()
                    / MS
            })
            .collect();
        assert_eq!(
            got,
            vec![100, 200, 400, 800, 1600, 3200, 6400, 12800, 20000, 20000, 20000]
        );
        assert_eq!(r.next_u64(), rng().next_u64(), "no draws for Jitter::None");
    }

    #[test]
    fn any_bit_source_works_and_replays() {
        // Goal: the policy takes a per-request SplitMix as well as a ChaCha stream, and the
        // same generator state gives the same delays.
        let p = backoff(Jitter::Full);
        let draw = |seed| {
            let mut g = SplitMix(seed);
            (2..=6)
                .map(|n| {
                    p.delay_before_attempt(n, SimDuration::ZERO, &mut g)
                        .unwrap()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
    }

    #[test]
    fn huge_attempt_numbers_do_not_overflow() {
        let mut r = rng();
        for jitter in [
            Jitter::None,
            Jitter::Full,
            Jitter::Equal,
            Jitter::Decorrelated,
        ] {
            let p = RetryPolicy::Backoff {
                max_attempts: u32::MAX,
                base: SimDuration(u64::MAX / 3),
                cap: SimDuration::MAX,
                jitter,
            };
            for n in [2, 63, 64, 65, 66, 1000, u32::MAX] {
                let d = p.delay_before_attempt(n, SimDuration::MAX, &mut r).unwrap();
                if jitter == Jitter::None && n >= 4 {
                    assert_eq!(d, SimDuration::MAX);
                }
            }
        }
        assert_eq!(
            exponential_ceiling(SimDuration::ZERO, SimDuration::MAX, u32::MAX),
            SimDuration::ZERO
        );
        assert_eq!(
            exponential_ceiling(SimDuration(3), SimDuration::MAX, 64),
            SimDuration(u64::MAX)
        );
        assert_eq!(
            exponential_ceiling(SimDuration(1), SimDuration::MAX, 64),
            SimDuration(1 << 63)
        );
    }

    #[test]
    fn jittered_delays_stay_in_their_bounds() {
        // Goal: each jitter's range over many draws, and that the range is actually used.
        // Method: 20,000 draws per (jitter, attempt); min and max must land in the range and
        // close to its ends.
        let mut r = rng();
        for jitter in [Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
            let p = backoff(jitter);
            let (base, cap) = (100 * MS, 20 * S);
            for n in 2..=12u32 {
                let e = exponential_ceiling(SimDuration(base), SimDuration(cap), n - 1).as_nanos();
                let mut prev = SimDuration::ZERO;
                let (mut lo, mut hi) = (u64::MAX, 0u64);
                for _ in 0..20_000 {
                    let d = p.delay_before_attempt(n, prev, &mut r).unwrap().as_nanos();
                    assert!(d <= cap, "{jitter:?} exceeded the cap");
                    match jitter {
                        Jitter::Full => assert!(d < e),
                        Jitter::Equal => assert!(d >= e / 2 && d < e),
                        Jitter::Decorrelated => {
                            let prev_ns = prev.as_nanos().max(base);
                            assert!(d >= base && (d < 3 * prev_ns || d == cap));
                        }
                        Jitter::None => unreachable!(),
                    }
                    lo = lo.min(d);
                    hi = hi.max(d);
                    if jitter == Jitter::Decorrelated {
                        prev = SimDuration(d); // a chain, as a client would use it
                    }
                }
                match jitter {
                    Jitter::Full => assert!(lo < e / 100 && hi > e - e / 100, "{n}: {lo} {hi}"),
                    Jitter::Equal => assert!(lo < e / 2 + e / 100 && hi > e - e / 100),
                    _ => assert!(lo < base + base / 10, "decorrelated reaches near base"),
                }
            }
        }
    }

    #[test]
    fn decorrelated_grows_from_base_and_saturates_at_the_cap() {
        // Goal: the decorrelated chain. Method: first retry in [base, 3·base); a long chain
        // reaches the cap and stays ≤ it.
        let mut r = rng();
        let p = backoff(Jitter::Decorrelated);
        let first = p
            .delay_before_attempt(2, SimDuration::ZERO, &mut r)
            .unwrap()
            .as_nanos();
        assert!((100 * MS..300 * MS).contains(&first));
        let mut prev = SimDuration(first);
        let mut reached_cap = false;
        for n in 3..=200 {
            prev = p.delay_before_attempt(n, prev, &mut r).unwrap();
            assert!(prev.as_nanos() >= 100 * MS && prev.as_nanos() <= 20 * S);
            reached_cap |= prev.as_nanos() == 20 * S;
        }
        assert!(reached_cap);
    }

    #[test]
    fn attempts_are_exhausted_at_max_attempts() {
        let mut r = rng();
        let immediate = RetryPolicy::Immediate { max_attempts: 3 };
        assert_eq!(
            immediate.delay_before_attempt(2, SimDuration::ZERO, &mut r),
            Some(SimDuration::ZERO)
        );
        assert_eq!(
            immediate.delay_before_attempt(3, SimDuration::ZERO, &mut r),
            Some(SimDuration::ZERO)
        );
        assert_eq!(
            immediate.delay_before_attempt(4, SimDuration::ZERO, &mut r),
            None
        );
        assert_eq!(
            RetryPolicy::None.delay_before_attempt(2, SimDuration::ZERO, &mut r),
            None
        );
        assert_eq!(RetryPolicy::None.max_attempts(), 1);
        let p = RetryPolicy::Backoff {
            max_attempts: 4,
            base: SimDuration::from_millis(10),
            cap: SimDuration::from_secs(1),
            jitter: Jitter::Full,
        };
        assert!(p
            .delay_before_attempt(4, SimDuration::ZERO, &mut r)
            .is_some());
        assert_eq!(p.delay_before_attempt(5, SimDuration::ZERO, &mut r), None);
        let once = RetryPolicy::Immediate { max_attempts: 1 };
        assert_eq!(
            once.delay_before_attempt(2, SimDuration::ZERO, &mut r),
            None
        );
    }

    #[test]
    fn retry_after_takes_the_longer_wait() {
        let d = SimDuration::from_millis(200);
        assert_eq!(combine_with_retry_after(d, None), d);
        assert_eq!(
            combine_with_retry_after(d, Some(SimDuration::from_secs(1))),
            SimDuration::from_secs(1)
        );
        assert_eq!(
            combine_with_retry_after(d, Some(SimDuration::from_millis(5))),
            d
        );
    }

    #[test]
    fn budget_allows_ratio_plus_floor() {
        // Goal: the rule's arithmetic. Method: 10% of 100 first attempts = 10 retries, plus
        // a floor of 0.5/s × 10s = 5.
        let mut b = RetryBudget::new(0.1, SimDuration::from_secs(10), 0.5);
        let t = SimTime(S);
        for _ in 0..100 {
            b.record_first_attempt(t);
        }
        let allowed = (0..100).filter(|_| b.try_spend_retry(t)).count();
        assert_eq!(allowed, 15);
        assert_eq!(b.window_counts(t), (100, 15));
        // No floor: exactly 10% (ppm rounding keeps 0.1 exact).
        let mut b = RetryBudget::new(0.1, SimDuration::from_secs(10), 0.0);
        for _ in 0..30 {
            b.record_first_attempt(t);
        }
        assert_eq!((0..10).filter(|_| b.try_spend_retry(t)).count(), 3);
    }

    #[test]
    fn budget_window_forgets() {
        // Goal: first attempts and retries age out of the window. Method: window 10s (1s
        // buckets). 100 first attempts and 10 retries at 0.5s exhaust the budget; at 5s,
        // 100 more first attempts allow 10 more; from 10s the first batch and its retries are
        // forgotten: 100 first attempts, 10 retries → exhausted again; from 15s nothing is
        // left and no retry is allowed.
        let mut b = RetryBudget::new(0.1, SimDuration::from_secs(10), 0.0);
        let at = |s: f64| SimTime((s * S as f64) as u64);
        for _ in 0..100 {
            b.record_first_attempt(at(0.5));
        }
        assert_eq!((0..20).filter(|_| b.try_spend_retry(at(0.5))).count(), 10);
        for _ in 0..100 {
            b.record_first_attempt(at(5.0));
        }
        assert_eq!((0..20).filter(|_| b.try_spend_retry(at(5.0))).count(), 10);
        assert_eq!(b.window_counts(at(9.99)), (200, 20));
        assert_eq!(b.window_counts(at(10.0)), (100, 10));
        assert!(!b.try_spend_retry(at(10.0)));
        assert_eq!(b.window_counts(at(15.0)), (0, 0));
        assert!(!b.try_spend_retry(at(15.0)));
    }

    /// The budget as it was laid out before session 8 (each sub-bucket kept its epoch), to
    /// check that the 120-byte layout decides the same.
    struct EpochRing {
        width: u64,
        ratio_ppm: u128,
        floor_micros: u128,
        ring: [(u64, u64, u64); BUDGET_BUCKETS],
    }

    impl EpochRing {
        fn slot(&mut self, now: u64) -> &mut (u64, u64, u64) {
            let e = now / self.width + 1;
            let b = &mut self.ring[(e % BUDGET_BUCKETS as u64) as usize];
            if b.0 != e {
                *b = (e, 0, 0);
            }
            b
        }
        fn first(&mut self, now: u64) {
            self.slot(now).1 += 1;
        }
        fn retry(&mut self, now: u64) -> bool {
            let cur = now / self.width + 1;
            let oldest = cur.saturating_sub(BUDGET_BUCKETS as u64 - 1).max(1);
            let (f, r) = self
                .ring
                .iter()
                .filter(|b| (oldest..=cur).contains(&b.0))
                .fold((0, 0), |(f, r), b| (f + b.1, r + b.2));
            if (r as u128 + 1) * 1_000_000 > self.ratio_ppm * f as u128 + self.floor_micros {
                return false;
            }
            self.slot(now).2 += 1;
            true
        }
    }

    #[test]
    fn the_budget_is_120_bytes() {
        // Goal: the memory promise of the layout (100,000 tenants × classes). Method: size_of.
        assert_eq!(std::mem::size_of::<RetryBudget>(), 120);
    }

    proptest! {
        #[test]
        fn the_compact_ring_decides_as_the_epoch_ring(
            steps in proptest::collection::vec((0u64..3_000, any::<bool>()), 1..400),
            floor in 0.0f64..2.0,
        ) {
            // Goal: dropping the per-bucket epochs changed no decision. Method: the same
            // random sequence of first attempts and retries (gaps of up to 3 s, so buckets
            // are skipped and the ring wraps) on both layouts, window 10 s, ratio 0.1.
            let mut b = RetryBudget::new(0.1, SimDuration::from_secs(10), floor);
            let mut r = EpochRing {
                width: S,
                ratio_ppm: 100_000,
                floor_micros: (floor * (10 * S) as f64 / 1e3 + 0.5) as u128,
                ring: [(0, 0, 0); BUDGET_BUCKETS],
            };
            let mut now = 0u64;
            for (gap_ms, is_retry) in steps {
                now += gap_ms * MS;
                if is_retry {
                    prop_assert_eq!(b.try_spend_retry(SimTime(now)), r.retry(now));
                } else {
                    b.record_first_attempt(SimTime(now));
                    r.first(now);
                }
            }
        }
    }

    #[test]
    fn budget_holds_a_retry_storm_to_ten_percent() {
        // Goal: the brief's case. Method: 100 first attempts/s for 10 minutes, every one of
        // which wants to retry, ratio 0.1, no floor; the retries granted in every 9 s
        // (the bucket-exact part of the window) stay ≤ 10% of the first attempts in the
        // surrounding 10 s, and the long-run total is 10% (the budget is used, not starved).
        let mut b = RetryBudget::new(0.1, SimDuration::from_secs(10), 0.0);
        let mut firsts = Vec::new();
        let mut retries = Vec::new();
        for i in 0..60_000u64 {
            let t = i * 10 * MS;
            b.record_first_attempt(SimTime(t));
            firsts.push(t);
            if b.try_spend_retry(SimTime(t)) {
                retries.push(t);
                let r = retries.iter().filter(|&&x| x + 9 * S > t).count();
                let f = firsts.iter().rev().take_while(|&&x| x + 10 * S > t).count();
                assert!(r * 10 <= f, "t={t}: {r} retries vs {f} first attempts");
            }
        }
        let share = retries.len() as f64 / firsts.len() as f64;
        assert!((0.095..=0.1).contains(&share), "share {share}");
    }

    proptest! {
        /// Goal: the budget's guarantee under a retry storm. Method: first attempts at random
        /// gaps, each followed by a wish to retry (sometimes several); for every allowed
        /// retry at t, the retries in (t − 9w, t] must be ≤ ratio × first attempts in
        /// (t − 10w, t] + floor.
        #[test]
        fn budget_caps_retries_over_any_window(
            ratio_pct in 0u64..=50,
            floor_per_sec in 0u64..3,
            gaps in proptest::collection::vec((0u64..300 * MS, 1u32..4), 1..600),
        ) {
            let window = 10 * S;
            let width = window / 10;
            let ratio = ratio_pct as f64 / 100.0;
            let mut b = RetryBudget::new(ratio, SimDuration(window), floor_per_sec as f64);
            let floor = floor_per_sec * 10;
            let mut t = 0u64;
            let mut firsts: Vec<u64> = Vec::new();
            let mut retries: Vec<u64> = Vec::new();
            for (gap, wishes) in gaps {
                t += gap;
                b.record_first_attempt(SimTime(t));
                firsts.push(t);
                for _ in 0..wishes {
                    if b.try_spend_retry(SimTime(t)) {
                        retries.push(t);
                        let in_window = |xs: &[u64], span: u64| {
                            xs.iter().filter(|&&x| x + span > t).count() as u64
                        };
                        let r = in_window(&retries, 9 * width);
                        let f = in_window(&firsts, 10 * width);
                        prop_assert!(
                            r * 100 <= ratio_pct * f + floor * 100,
                            "t={} retries {} firsts {} ratio {}% floor {}",
                            t, r, f, ratio_pct, floor
                        );
                    }
                }
            }
        }
    }
}

//! A token bucket: the edge's per-tenant rate limiter (429 with `Retry-After`).
//!
//! ```text
//!   credit ▲  cap = burst tokens
//!          │‾‾‾‾‾‾\        /‾‾‾‾‾‾‾‾‾      refill: +rate per second, never above the cap
//!          │       \  /\  /                take:   −1 token per admitted request
//!          │        \/  \/                 empty:  Err(time until the next whole token)
//!          └────────────────────────▶ t
//! ```
//!
//! **Representation (exact integer arithmetic).** The rate is kept as an integer number of
//! micro-tokens per second, `rate_micros = round(rate_per_sec × 10⁶)`. The bucket's credit is a
//! `u128` in units of *micro-token·seconds per 10⁹*, i.e. one nanosecond of refill adds exactly
//! `rate_micros` units and one token costs exactly [`UNITS_PER_TOKEN`] = 10¹⁵ units. Every
//! operation after the constructor is exact: no rounding, no drift, however long the run.
//!
//! **Rounding (the only one).** The configured rate is rounded to the nearest 10⁻⁶ token/s
//! when it is set, so `0.5/s`, `3/s`, `5000/s` and `1234.567891/s` are exact; a positive rate
//! below 0.5·10⁻⁶/s is raised to 10⁻⁶/s (a positive rate always refills). Call it `r` below:
//! [`TokenBucket::rate_micros_per_sec`] reports it.
//!
//! **Guarantees** (for a bucket at the quantised rate `r`, burst `b`, started full, between
//! limit changes):
//!
//! - *Model.* The bucket is exactly the continuous-time token bucket (refill at `r`, capped at
//!   `b`) observed at the integer-nanosecond instants at which it is called.
//! - *Conformance.* In every closed window `[t, t+T]`, the number of admitted requests is at
//!   most `b + floor(T·r)` (T in seconds; computed exactly as `T_ns·rate_micros / 10¹⁵`).
//!   No "+1 for the boundary" is needed, because no credit is ever rounded.
//! - *Saturation.* If the bucket is offered at least one request per token interval from the
//!   start (full) to `T` and its cap never binds after the start (true for `b ≥ 2`), exactly
//!   `b + floor(T·r)` are admitted. With `b = 1` a full bucket discards refill between
//!   nanosecond ticks (as the continuous bucket does), so a request-every-ns load gets
//!   `1 + floor(T / ceil(1/r))` instead; the tests pin both.
//! - *Retry-After.* `Err(d)` is the exact time until the next whole token: retrying at
//!   `now + d` succeeds (absent other takes), at `now + d − 1ns` fails. `d` is rounded up to
//!   the nanosecond. With rate 0 (or burst 0) it is [`SimDuration::MAX`] ("never").
//!
//! **Time never goes back.** Calling with an instant earlier than the previous call is a model
//! bug and panics. No method allocates.

use sim::{SimDuration, SimTime};

/// Credit units in one whole token: 10⁶ (micro-tokens) × 10⁹ (ns per second).
pub const UNITS_PER_TOKEN: u128 = 1_000_000 * 1_000_000_000;

/// The largest accepted rate, in tokens per second (10¹²/s: far beyond any tenant, and
/// `rate_micros` still fits a `u64` with room to spare).
pub const RATE_PER_SEC_MAX: f64 = 1e12;

/// Runtime state of one token bucket. Plain data; cheap to clone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenBucket {
    /// Refill rate in micro-tokens per second = credit units added per nanosecond.
    rate_micros: u64,
    /// Capacity in whole tokens.
    burst: u32,
    /// Current credit in units ([`UNITS_PER_TOKEN`] per token); `≤ burst × UNITS_PER_TOKEN`.
    credit: u128,
    /// Instant up to which `credit` has been refilled.
    refilled_at: SimTime,
    /// Admits everything; rate and burst are ignored.
    unlimited: bool,
}

/// `rate_per_sec` in micro-tokens per second, rounded to nearest (see the module docs).
fn rate_to_micros(rate_per_sec: f64) -> u64 {
    assert!(
        rate_per_sec.is_finite() && (0.0..=RATE_PER_SEC_MAX).contains(&rate_per_sec),
        "token bucket rate {rate_per_sec}/s is not in [0, {RATE_PER_SEC_MAX}]; the scenario \
         loader must reject it"
    );
    if rate_per_sec == 0.0 {
        return 0;
    }
    // Round half up; `as` saturates and the range is asserted above, so this is exact for
    // every rate with at most six decimals.
    ((rate_per_sec * 1e6 + 0.5) as u64).max(1)
}

impl TokenBucket {
    /// A bucket refilling at `rate_per_sec` tokens per second up to `burst` tokens, full at
    /// time zero. `rate_per_sec` must be finite and in `[0, RATE_PER_SEC_MAX]` (asserted:
    /// the scenario loader validates it); 0 means the bucket never refills.
    pub fn new(rate_per_sec: f64, burst: u32) -> Self {
        Self::with_rate_micros(rate_to_micros(rate_per_sec), burst)
    }

    /// As [`TokenBucket::new`], with the rate given exactly in micro-tokens per second.
    pub fn with_rate_micros(rate_micros_per_sec: u64, burst: u32) -> Self {
        TokenBucket {
            rate_micros: rate_micros_per_sec,
            burst,
            credit: Self::cap_units(burst),
            refilled_at: SimTime::ZERO,
            unlimited: false,
        }
    }

    /// A bucket that admits every request (no limit configured).
    pub fn unlimited() -> Self {
        TokenBucket {
            rate_micros: 0,
            burst: 0,
            credit: 0,
            refilled_at: SimTime::ZERO,
            unlimited: true,
        }
    }

    /// Takes one token at `now`, or returns how long until one will be available
    /// (Retry-After, rounded up to the ns; [`SimDuration::MAX`] if it never will).
    #[inline]
    pub fn try_take(&mut self, now: SimTime) -> Result<(), SimDuration> {
        if self.unlimited {
            return Ok(());
        }
        self.refill(now);
        if self.credit >= UNITS_PER_TOKEN {
            self.credit -= UNITS_PER_TOKEN;
            Ok(())
        } else {
            Err(self.wait_for_missing(UNITS_PER_TOKEN - self.credit))
        }
    }

    /// Time from `now` until a whole token is available: zero if one is available now,
    /// [`SimDuration::MAX`] if none ever will be. Does not take anything.
    pub fn time_until_available(&self, now: SimTime) -> SimDuration {
        if self.unlimited {
            return SimDuration::ZERO;
        }
        let credit = self.credit_at(now);
        if credit >= UNITS_PER_TOKEN {
            SimDuration::ZERO
        } else {
            self.wait_for_missing(UNITS_PER_TOKEN - credit)
        }
    }

    /// Changes rate and burst at `now` (a config push): the credit is first refilled up to
    /// `now` under the old rate, then clamped to the new burst. The fractional credit is kept,
    /// so a change that keeps the limits is a no-op. An unlimited bucket becomes limited and
    /// full.
    pub fn set_limits(&mut self, now: SimTime, rate_per_sec: f64, burst: u32) {
        let rate_micros = rate_to_micros(rate_per_sec);
        if self.unlimited {
            assert!(now >= self.refilled_at, "token bucket: time went backwards");
            self.unlimited = false;
            self.credit = Self::cap_units(burst);
        } else {
            self.refill(now);
            self.credit = self.credit.min(Self::cap_units(burst));
        }
        self.refilled_at = now;
        self.rate_micros = rate_micros;
        self.burst = burst;
    }

    /// Removes the limit at `now` (a config push to "unlimited").
    pub fn set_unlimited(&mut self, now: SimTime) {
        assert!(now >= self.refilled_at, "token bucket: time went backwards");
        *self = TokenBucket::unlimited();
        self.refilled_at = now;
    }

    /// Whole tokens available at `now` (`u64::MAX` when unlimited). Does not change state.
    pub fn available(&self, now: SimTime) -> u64 {
        if self.unlimited {
            return u64::MAX;
        }
        // ≤ burst, which is a u32.
        (self.credit_at(now) / UNITS_PER_TOKEN) as u64
    }

    /// The quantised refill rate in micro-tokens per second (see the module docs).
    pub fn rate_micros_per_sec(&self) -> u64 {
        self.rate_micros
    }

    /// The quantised refill rate in tokens per second (for reports).
    pub fn rate_per_sec(&self) -> f64 {
        self.rate_micros as f64 / 1e6
    }

    /// Capacity in whole tokens.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// True for a bucket that admits everything.
    pub fn is_unlimited(&self) -> bool {
        self.unlimited
    }

    fn cap_units(burst: u32) -> u128 {
        burst as u128 * UNITS_PER_TOKEN
    }

    /// Credit at `now` without mutating: the lazy form of the continuous refill.
    #[inline]
    fn credit_at(&self, now: SimTime) -> u128 {
        assert!(
            now >= self.refilled_at,
            "token bucket: time went backwards ({now} < {})",
            self.refilled_at
        );
        let elapsed_ns = now.since(self.refilled_at).as_nanos() as u128;
        // (2^64−1)² < 2^128: the product cannot overflow; saturating only for clarity.
        let gained = elapsed_ns.saturating_mul(self.rate_micros as u128);
        self.credit
            .saturating_add(gained)
            .min(Self::cap_units(self.burst))
    }

    #[inline]
    fn refill(&mut self, now: SimTime) {
        self.credit = self.credit_at(now);
        self.refilled_at = now;
    }

    /// Nanoseconds of refill needed to gain `missing` units, rounded up.
    #[inline]
    fn wait_for_missing(&self, missing: u128) -> SimDuration {
        if self.rate_micros == 0 || self.burst == 0 {
            return SimDuration::MAX;
        }
        let rate = self.rate_micros as u128;
        // missing ≤ 10¹⁵, so the quotient fits a u64.
        SimDuration(missing.div_ceil(rate) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Exact bound `b + floor(T·r)` for a window of `window_ns`.
    fn window_bound(bucket: &TokenBucket, window_ns: u64) -> u128 {
        bucket.burst as u128 + (window_ns as u128 * bucket.rate_micros as u128) / UNITS_PER_TOKEN
    }

    /// Rates the tests draw from: the brief's examples plus arbitrary micro-exact rates.
    fn rate_strategy() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(0.5),
            Just(3.0),
            Just(5000.0),
            Just(0.0),
            (1u64..20_000_000_000).prop_map(|m| m as f64 / 1e6),
        ]
    }

    /// Gaps between arrivals: same instant, sub-token, and long idle periods.
    fn gap_strategy() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(0u64),
            1u64..1_000,
            1u64..10_000_000,
            1u64..3_000_000_000,
        ]
    }

    #[test]
    fn rates_are_quantised_to_micro_tokens() {
        // Goal: the documented rounding. Method: known rates and their micro values.
        assert_eq!(TokenBucket::new(0.5, 1).rate_micros_per_sec(), 500_000);
        assert_eq!(TokenBucket::new(3.0, 1).rate_micros_per_sec(), 3_000_000);
        assert_eq!(
            TokenBucket::new(5000.0, 1).rate_micros_per_sec(),
            5_000_000_000
        );
        assert_eq!(
            TokenBucket::new(1234.567891, 1).rate_micros_per_sec(),
            1_234_567_891
        );
        assert_eq!(
            TokenBucket::new(1e-9, 1).rate_micros_per_sec(),
            1,
            "positive stays positive"
        );
        assert_eq!(TokenBucket::new(0.0, 1).rate_micros_per_sec(), 0);
    }

    #[test]
    fn starts_full_and_drains() {
        // Goal: a new bucket holds `burst` tokens. Method: take them all at t=0.
        let mut b = TokenBucket::new(2.0, 3);
        assert_eq!(b.available(SimTime::ZERO), 3);
        for _ in 0..3 {
            assert_eq!(b.try_take(SimTime::ZERO), Ok(()));
        }
        // 2/s: next token after exactly 0.5 s.
        assert_eq!(
            b.try_take(SimTime::ZERO),
            Err(SimDuration::from_millis(500))
        );
        assert_eq!(b.available(SimTime(499_999_999)), 0);
        assert_eq!(b.available(SimTime(500_000_000)), 1);
        assert_eq!(b.available(SimTime(10_000_000_000)), 3, "capped at burst");
    }

    #[test]
    fn retry_after_rounds_up_to_the_nanosecond() {
        // Goal: a non-integral token interval rounds up. Method: 3/s → 333,333,333.3 ns.
        let mut b = TokenBucket::new(3.0, 1);
        b.try_take(SimTime::ZERO).unwrap();
        assert_eq!(b.try_take(SimTime::ZERO), Err(SimDuration(333_333_334)));
        assert!(b.try_take(SimTime(333_333_333)).is_err());
        assert!(b.try_take(SimTime(333_333_334)).is_ok());
    }

    #[test]
    fn zero_rate_never_refills_and_zero_burst_never_admits() {
        let mut b = TokenBucket::new(0.0, 2);
        assert!(b.try_take(SimTime(0)).is_ok());
        assert!(b.try_take(SimTime(0)).is_ok());
        assert_eq!(
            b.try_take(SimTime(1_000_000_000_000)),
            Err(SimDuration::MAX)
        );
        assert_eq!(
            b.time_until_available(SimTime(2_000_000_000_000)),
            SimDuration::MAX
        );

        let mut b = TokenBucket::new(100.0, 0);
        assert_eq!(b.try_take(SimTime(5_000_000_000)), Err(SimDuration::MAX));
    }

    #[test]
    fn unlimited_admits_everything_until_limited() {
        // Goal: the unlimited constructor and the transitions in and out of it.
        let mut b = TokenBucket::unlimited();
        for t in 0..10_000 {
            assert!(b.try_take(SimTime(t / 7)).is_ok());
        }
        assert_eq!(b.available(SimTime(5)), u64::MAX);
        b.set_limits(SimTime(2_000), 1.0, 2);
        assert_eq!(b.available(SimTime(2_000)), 2, "limited bucket starts full");
        assert!(b.try_take(SimTime(2_000)).is_ok());
        assert!(b.try_take(SimTime(2_000)).is_ok());
        assert!(b.try_take(SimTime(2_000)).is_err());
        b.set_unlimited(SimTime(3_000));
        assert!(b.try_take(SimTime(3_000)).is_ok());
    }

    #[test]
    fn set_limits_refills_under_the_old_rate_then_clamps() {
        // Goal: config change semantics. Method: drain, let 1.5 s pass at 2/s (3 tokens),
        // change to burst 2 at 1/s: 2 tokens left (clamped); then 1 s per token.
        let mut b = TokenBucket::new(2.0, 10);
        for _ in 0..10 {
            b.try_take(SimTime::ZERO).unwrap();
        }
        let t = SimTime(1_500_000_000);
        assert_eq!(b.available(t), 3);
        b.set_limits(t, 1.0, 2);
        assert_eq!(b.available(t), 2);
        b.try_take(t).unwrap();
        b.try_take(t).unwrap();
        assert_eq!(b.try_take(t), Err(SimDuration::from_secs(1)));

        // Raising the burst does not add tokens, and keeps the fractional credit: 0.25 s at
        // 2/s is half a token, which the new rate (1/s) completes in 0.5 s.
        let mut b = TokenBucket::new(2.0, 1);
        b.try_take(SimTime::ZERO).unwrap();
        let t = SimTime(250_000_000);
        b.set_limits(t, 1.0, 5);
        assert_eq!(b.available(t), 0);
        assert_eq!(b.try_take(t), Err(SimDuration::from_millis(500)));
    }

    #[test]
    #[should_panic(expected = "time went backwards")]
    fn time_going_backwards_is_a_bug() {
        let mut b = TokenBucket::new(1.0, 1);
        b.try_take(SimTime(10)).unwrap();
        let _ = b.try_take(SimTime(9));
    }

    /// Runs a client that polls every nanosecond from 0 through `end_ns` and returns how many
    /// requests were admitted. Instead of looping over every ns it jumps by the Retry-After:
    /// by the Retry-After law the skipped requests would all have been refused, so the count
    /// is the same; `saturation_shortcut_matches_brute_force` checks that equivalence.
    fn every_ns_admitted(bucket: &mut TokenBucket, end_ns: u64) -> u64 {
        let mut t = 0u64;
        let mut admitted = 0u64;
        while t <= end_ns {
            match bucket.try_take(SimTime(t)) {
                Ok(()) => {
                    admitted += 1;
                    t += 1;
                }
                Err(wait) => {
                    // A zero Retry-After would be a lie (and would spin this loop).
                    assert!(wait.as_nanos() > 0, "Retry-After 0 at t={t}");
                    t = t.saturating_add(wait.as_nanos());
                }
            }
        }
        admitted
    }

    #[test]
    fn saturation_shortcut_matches_brute_force() {
        // Goal: validate the Retry-After jump used by the saturation tests. Method: the same
        // buckets polled literally every ns over 30 ms.
        for (rate, burst) in [(5000.0, 4), (3.0, 1), (123_456.789, 1), (70_000.0, 2)] {
            let end_ns = 30_000_000;
            let mut brute = TokenBucket::new(rate, burst);
            let brute_count = (0..=end_ns)
                .filter(|&t| brute.try_take(SimTime(t)).is_ok())
                .count() as u64;
            let mut jump = TokenBucket::new(rate, burst);
            assert_eq!(
                every_ns_admitted(&mut jump, end_ns),
                brute_count,
                "rate {rate}"
            );
        }
    }

    #[test]
    fn saturation_admits_exactly_burst_plus_rate_times_t() {
        // Goal: the saturation law over a long run (1 simulated hour). Method: a client
        // polling every ns (via the Retry-After shortcut) against several rates, burst ≥ 2.
        let hour_ns = 3_600_000_000_000u64;
        for (rate, burst) in [(0.5, 2), (3.0, 5), (5000.0, 100), (1234.567891, 7)] {
            let mut b = TokenBucket::new(rate, burst);
            let got = every_ns_admitted(&mut b, hour_ns);
            assert_eq!(
                got as u128,
                window_bound(&b, hour_ns),
                "rate {rate} burst {burst}"
            );
        }
        // 5000/s for an hour: 18,000,000 + 100, exactly.
        let mut b = TokenBucket::new(5000.0, 100);
        assert_eq!(every_ns_admitted(&mut b, hour_ns), 18_000_100);
    }

    #[test]
    fn saturation_with_burst_one_loses_the_sub_nanosecond_remainder() {
        // Goal: pin the documented burst-1 exception. Method: 3/s (token every 333.3 ms):
        // a full bucket of capacity 1 discards refill, so tokens come every ceil(1/r) ns.
        let hour_ns = 3_600_000_000_000u64;
        let mut b = TokenBucket::new(3.0, 1);
        let period_ns = 333_333_334u64;
        assert_eq!(every_ns_admitted(&mut b, hour_ns), 1 + hour_ns / period_ns);
        // When 1/r is a whole number of ns nothing is lost and the general law holds.
        let mut b = TokenBucket::new(5000.0, 1);
        assert_eq!(every_ns_admitted(&mut b, hour_ns), 1 + 5000 * 3600);
    }

    /// Naive floating-point reference: tokens as f64, refilled by elapsed × rate.
    struct NaiveBucket {
        tokens: f64,
        rate_per_ns: f64,
        burst: f64,
        last_ns: u64,
    }

    impl NaiveBucket {
        fn refill(&mut self, now_ns: u64) {
            let elapsed = (now_ns - self.last_ns) as f64;
            self.tokens = (self.tokens + elapsed * self.rate_per_ns).min(self.burst);
            self.last_ns = now_ns;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Goal: the conformance bound. Method: random arrivals (bursts at one instant, dense
        /// and sparse gaps); for every pair of admitted requests i ≤ j, the window
        /// [t_i, t_j] holds j−i+1 admissions, which must be ≤ b + floor((t_j − t_i)·r).
        /// Windows that start and end on admissions are the tightest, so this covers all.
        #[test]
        fn admitted_never_exceed_burst_plus_rate_times_window(
            rate in rate_strategy(),
            burst in 0u32..20,
            gaps in proptest::collection::vec(gap_strategy(), 1..400),
        ) {
            let mut b = TokenBucket::new(rate, burst);
            let mut t = 0u64;
            let mut admitted = Vec::new();
            for gap in gaps {
                t += gap;
                if b.try_take(SimTime(t)).is_ok() {
                    admitted.push(t);
                }
            }
            for i in 0..admitted.len() {
                for j in i..admitted.len() {
                    let count = (j - i + 1) as u128;
                    prop_assert!(
                        count <= window_bound(&b, admitted[j] - admitted[i]),
                        "{count} admitted in [{}, {}]", admitted[i], admitted[j]
                    );
                }
            }
        }

        /// Goal: the saturation law under dense but not per-ns load. Method: one request every
        /// `period` ns, with period ≤ the token interval and burst ≥ 2 (the cap never binds
        /// after the start); admitted = min(requests, b + floor(T·r)) exactly, T = last
        /// request time.
        #[test]
        fn dense_load_admits_exactly_burst_plus_rate_times_t(
            rate_micros in 1_000u64..1_000_000_000_000,
            burst in 2u32..50,
            period_frac in 1u64..=1000,
            requests in 1u64..20_000,
        ) {
            let token_interval_ns = (UNITS_PER_TOKEN / rate_micros as u128) as u64;
            let period_ns = (token_interval_ns * period_frac / 1000).max(1);
            let mut b = TokenBucket::with_rate_micros(rate_micros, burst);
            let mut admitted = 0u128;
            for k in 0..requests {
                if b.try_take(SimTime(k * period_ns)).is_ok() {
                    admitted += 1;
                }
            }
            let last_ns = (requests - 1) * period_ns;
            prop_assert_eq!(admitted, (requests as u128).min(window_bound(&b, last_ns)));
        }

        /// Goal: Retry-After is exact. Method: random traffic; whenever a take is refused with
        /// `d`, a copy of the bucket refuses at now + d − 1 and admits at now + d.
        #[test]
        fn retry_after_is_exact(
            rate in rate_strategy(),
            burst in 1u32..10,
            gaps in proptest::collection::vec(gap_strategy(), 1..200),
        ) {
            let mut b = TokenBucket::new(rate, burst);
            let mut t = 0u64;
            for gap in gaps {
                t += gap;
                if let Err(wait) = b.try_take(SimTime(t)) {
                    prop_assert_eq!(b.time_until_available(SimTime(t)), wait);
                    if wait == SimDuration::MAX {
                        prop_assert_eq!(b.rate_micros_per_sec(), 0);
                        continue;
                    }
                    prop_assert!(wait.as_nanos() > 0);
                    let mut early = b.clone();
                    prop_assert!(early.try_take(SimTime(t + wait.as_nanos() - 1)).is_err());
                    let mut on_time = b.clone();
                    prop_assert!(on_time.try_take(SimTime(t + wait.as_nanos())).is_ok());
                }
            }
        }

        /// Goal: agree with a naive f64 token bucket. Method: the same random arrivals and
        /// limit changes through both; decisions must match and the credit must agree to
        /// 1e-6 token. Where the f64 credit is within 1e-6 of the 1-token threshold (a full
        /// bucket of burst 1, or an arrival landing on a token boundary) the reference cannot
        /// decide reliably, so it follows the exact bucket there.
        #[test]
        fn agrees_with_a_naive_f64_bucket(
            rate in rate_strategy(),
            burst in 0u32..20,
            steps in proptest::collection::vec(
                (gap_strategy(), 0u32..40, rate_strategy(), 0u32..20),
                1..300,
            ),
        ) {
            let mut b = TokenBucket::new(rate, burst);
            let mut naive = NaiveBucket {
                tokens: burst as f64,
                rate_per_ns: b.rate_micros_per_sec() as f64 / 1e15,
                burst: burst as f64,
                last_ns: 0,
            };
            let mut t = 0u64;
            for (gap, dice, new_rate, new_burst) in steps {
                t += gap;
                if dice == 0 {
                    // a config push
                    naive.refill(t);
                    b.set_limits(SimTime(t), new_rate, new_burst);
                    naive.rate_per_ns = b.rate_micros_per_sec() as f64 / 1e15;
                    naive.burst = new_burst as f64;
                    naive.tokens = naive.tokens.min(naive.burst);
                    continue;
                }
                naive.refill(t);
                let exact = b.try_take(SimTime(t)).is_ok();
                let reference = naive.tokens >= 1.0;
                if (naive.tokens - 1.0).abs() >= 1e-6 {
                    prop_assert_eq!(exact, reference, "t={} naive tokens {}", t, naive.tokens);
                }
                if exact {
                    naive.tokens -= 1.0;
                }
                let exact_tokens = b.credit as f64 / UNITS_PER_TOKEN as f64;
                prop_assert!((exact_tokens - naive.tokens).abs() < 1e-6,
                    "credit drift: exact {} naive {}", exact_tokens, naive.tokens);
                if (naive.tokens - naive.tokens.round()).abs() > 1e-6 {
                    prop_assert_eq!(b.available(SimTime(t)), naive.tokens.floor() as u64);
                }
            }
        }
    }
}

//! Circuit breakers guarding calls to a dependency, scoped globally or per tenant.
//!
//! ```text
//!            error fraction ≥ threshold            open_for elapsed
//!            over ≥ min_requests in the window     (at the next admit)
//!   Closed ────────────────────────────────▶ Open ─────────────────▶ HalfOpen
//!     ▲                                       ▲                         │
//!     │        all `probes` probes succeed    │   any probe fails       │
//!     └───────────────────────────────────────┼─────────────────────────┘
//!                                             └─────────────────────────┘
//! ```
//!
//! - **Closed**: every call is [`Admit::Allowed`]; outcomes are counted in a sliding window.
//! - **Open**: every call is [`Admit::Rejected`] (fail fast) until `open_for` has elapsed
//!   since the trip. The move to half-open happens lazily, at the first `admit` after that
//!   (as in most real breakers), and is logged at that instant.
//! - **HalfOpen**: up to `probes` calls in total are admitted as [`Admit::Probe`], the rest
//!   rejected. When all `probes` succeed the breaker closes with an empty window; the first
//!   failed probe re-opens it for another `open_for`.
//!
//! **Sliding window.** A fixed ring of [`WINDOW_BUCKETS`] sub-buckets of width
//! `w = ceil(window / 10)` (at least 1ns), each tagged with its epoch `floor(t / w)`. An outcome
//! recorded at `t` is counted from `t` until the end of bucket `floor(t/w) + 9`: for between
//! `9w` and `10w` (≈ 0.9–1.0 × window). Recording is O(10) and never allocates.
//!
//! **Threshold arithmetic.** `error_threshold` is rounded to parts per million once; the trip
//! test is then exact in integers: `requests ≥ max(min_requests, 1)` and
//! `errors × 10⁶ ≥ threshold_ppm × requests`. So 50% trips at exactly 10 errors of 20.
//!
//! **Outcomes that arrive out of phase are ignored**: a non-probe result while the breaker is
//! not Closed (the call was admitted before the trip; the window restarts on close anyway),
//! and a probe result while not HalfOpen or with no probe outstanding (a probe from an earlier
//! half-open period). The caller must record exactly one outcome per admitted probe (a client
//! timeout counts as a failure); otherwise the half-open breaker keeps the probe slot.
//!
//! **Transitions** are counted ([`Breaker::transitions`]) and queued with their instant in a
//! small fixed log drained by [`Breaker::take_transition`]; if the model does not drain it,
//! the oldest entries are dropped and counted, never an allocation.
//!
//! **Time never goes back**: calls with an earlier instant than a previous call panic.

use serde::{Deserialize, Serialize};
use sim::{SimDuration, SimTime};
use std::collections::VecDeque;

/// Number of sub-buckets in the sliding window.
pub const WINDOW_BUCKETS: usize = 10;

/// Capacity of a breaker's own transition log (each call makes at most two transitions).
const LOG_CAPACITY: usize = 8;

/// Capacity of a [`BreakerSet`]'s transition log.
const SET_LOG_CAPACITY: usize = 256;

/// Breaker parameters (plain data from the scenario; no heap, so cloning is a copy).
#[derive(Clone, Debug, PartialEq)]
pub struct BreakerConfig {
    /// Length of the sliding window of outcomes.
    pub window: SimDuration,
    /// Fewest outcomes in the window before the breaker may trip.
    pub min_requests: u32,
    /// Error fraction in `[0, 1]` at or above which the breaker trips.
    pub error_threshold: f64,
    /// How long the breaker stays open before admitting probes.
    pub open_for: SimDuration,
    /// Number of probes admitted when half-open; all must succeed to close (≥ 1).
    pub probes: u32,
}

impl Default for BreakerConfig {
    /// 10s window, 20 requests minimum, 50% errors, 5s open, 3 probes.
    fn default() -> Self {
        BreakerConfig {
            window: SimDuration::from_secs(10),
            min_requests: 20,
            error_threshold: 0.5,
            open_for: SimDuration::from_secs(5),
            probes: 3,
        }
    }
}

/// The state of a breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls flow; outcomes are counted.
    Closed,
    /// Calls fail fast.
    Open,
    /// A few probe calls test the dependency.
    HalfOpen,
}

/// The decision for one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Admit {
    /// Closed: make the call, then [`Breaker::record`] with `probe = false`.
    Allowed,
    /// Half-open: make the call as a probe, then record with `probe = true`.
    Probe,
    /// Fail fast without calling.
    Rejected,
}

/// Which calls share a breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerScope {
    /// One breaker per dependency: one tenant's failures open it for everyone.
    Global,
    /// One breaker per (tenant, dependency): tenants are isolated.
    PerTenant,
}

/// One sub-bucket of the sliding window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Bucket {
    /// `floor(t / width) + 1` of the outcomes it holds; 0 = never used.
    epoch: u64,
    requests: u32,
    errors: u32,
}

/// A circuit breaker (runtime state). About 250 bytes, no heap.
#[derive(Clone, Debug)]
pub struct Breaker {
    bucket_ns: u64,
    min_requests: u32,
    threshold_ppm: u64,
    open_for: SimDuration,
    probes: u32,
    state: BreakerState,
    buckets: [Bucket; WINDOW_BUCKETS],
    opened_at: SimTime,
    probes_in_flight: u32,
    probe_successes: u32,
    last_call: SimTime,
    transitions: u64,
    log: [(SimTime, BreakerState); LOG_CAPACITY],
    log_head: usize,
    log_len: usize,
    log_dropped: u64,
}

impl Breaker {
    /// A closed breaker. `error_threshold` must be in `[0, 1]` and `probes ≥ 1` (asserted:
    /// the scenario loader validates them).
    pub fn new(cfg: BreakerConfig) -> Self {
        assert!(
            cfg.error_threshold.is_finite() && (0.0..=1.0).contains(&cfg.error_threshold),
            "breaker error_threshold {} is not a fraction in [0, 1]",
            cfg.error_threshold
        );
        assert!(
            cfg.probes >= 1,
            "a breaker needs at least one probe to ever close again"
        );
        Breaker {
            bucket_ns: cfg.window.as_nanos().div_ceil(WINDOW_BUCKETS as u64).max(1),
            min_requests: cfg.min_requests.max(1),
            threshold_ppm: (cfg.error_threshold * 1e6 + 0.5) as u64,
            open_for: cfg.open_for,
            probes: cfg.probes,
            state: BreakerState::Closed,
            buckets: [Bucket::default(); WINDOW_BUCKETS],
            opened_at: SimTime::ZERO,
            probes_in_flight: 0,
            probe_successes: 0,
            last_call: SimTime::ZERO,
            transitions: 0,
            log: [(SimTime::ZERO, BreakerState::Closed); LOG_CAPACITY],
            log_head: 0,
            log_len: 0,
            log_dropped: 0,
        }
    }

    /// Decides whether a call at `now` may go ahead (see the module docs).
    #[inline]
    pub fn admit(&mut self, now: SimTime) -> Admit {
        self.advance_clock(now);
        match self.state {
            BreakerState::Closed => Admit::Allowed,
            BreakerState::Open => {
                if now < self.opened_at.after(self.open_for) {
                    return Admit::Rejected;
                }
                self.transition(now, BreakerState::HalfOpen);
                self.admit_probe()
            }
            BreakerState::HalfOpen => self.admit_probe(),
        }
    }

    /// Records the outcome of a call admitted earlier: `ok` = success, `probe` = it was
    /// admitted as [`Admit::Probe`]. May trip, re-open or close the breaker.
    #[inline]
    pub fn record(&mut self, now: SimTime, ok: bool, probe: bool) {
        self.advance_clock(now);
        if probe {
            if self.state != BreakerState::HalfOpen || self.probes_in_flight == 0 {
                return; // a probe from an earlier half-open period
            }
            self.probes_in_flight -= 1;
            if !ok {
                self.trip(now);
            } else {
                self.probe_successes += 1;
                if self.probe_successes >= self.probes {
                    self.buckets = [Bucket::default(); WINDOW_BUCKETS];
                    self.transition(now, BreakerState::Closed);
                }
            }
            return;
        }
        if self.state != BreakerState::Closed {
            return; // admitted before the trip
        }
        let epoch = self.epoch(now);
        let bucket = &mut self.buckets[(epoch % WINDOW_BUCKETS as u64) as usize];
        if bucket.epoch != epoch {
            *bucket = Bucket {
                epoch,
                requests: 0,
                errors: 0,
            };
        }
        bucket.requests = bucket.requests.saturating_add(1);
        if !ok {
            bucket.errors = bucket.errors.saturating_add(1);
        }
        let (requests, errors) = self.window_counts(now);
        if requests >= self.min_requests as u64
            && errors as u128 * 1_000_000 >= self.threshold_ppm as u128 * requests as u128
        {
            self.trip(now);
        }
    }

    /// The current state. An open breaker whose `open_for` has elapsed still reads `Open`
    /// until the next [`Breaker::admit`].
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Number of state changes so far.
    pub fn transitions(&self) -> u64 {
        self.transitions
    }

    /// The oldest state change not yet taken: when it happened and the state entered.
    pub fn take_transition(&mut self) -> Option<(SimTime, BreakerState)> {
        if self.log_len == 0 {
            return None;
        }
        let entry = self.log[self.log_head];
        self.log_head = (self.log_head + 1) % LOG_CAPACITY;
        self.log_len -= 1;
        Some(entry)
    }

    /// Transitions dropped from the log because it was not drained.
    pub fn transitions_dropped(&self) -> u64 {
        self.log_dropped
    }

    /// (requests, errors) in the sliding window as seen at `now` (diagnostics and tests).
    pub fn window_counts(&self, now: SimTime) -> (u64, u64) {
        let current = self.epoch(now);
        let oldest = current.saturating_sub(WINDOW_BUCKETS as u64 - 1);
        self.buckets
            .iter()
            .filter(|b| b.epoch >= oldest && b.epoch <= current && b.epoch != 0)
            .fold((0, 0), |(r, e), b| {
                (r + b.requests as u64, e + b.errors as u64)
            })
    }

    /// When the breaker last tripped (meaningful when not Closed).
    pub fn opened_at(&self) -> SimTime {
        self.opened_at
    }

    fn epoch(&self, now: SimTime) -> u64 {
        now.as_nanos() / self.bucket_ns + 1
    }

    fn advance_clock(&mut self, now: SimTime) {
        assert!(
            now >= self.last_call,
            "breaker: time went backwards ({now} < {})",
            self.last_call
        );
        self.last_call = now;
    }

    fn admit_probe(&mut self) -> Admit {
        if self.probes_in_flight + self.probe_successes < self.probes {
            self.probes_in_flight += 1;
            Admit::Probe
        } else {
            Admit::Rejected
        }
    }

    fn trip(&mut self, now: SimTime) {
        self.opened_at = now;
        self.transition(now, BreakerState::Open);
    }

    fn transition(&mut self, now: SimTime, to: BreakerState) {
        debug_assert_ne!(self.state, to);
        self.state = to;
        self.probes_in_flight = 0;
        self.probe_successes = 0;
        self.transitions += 1;
        if self.log_len == LOG_CAPACITY {
            self.log_head = (self.log_head + 1) % LOG_CAPACITY;
            self.log_len -= 1;
            self.log_dropped += 1;
        }
        self.log[(self.log_head + self.log_len) % LOG_CAPACITY] = (now, to);
        self.log_len += 1;
    }
}

/// A logged state change of one breaker of a [`BreakerSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerTransition {
    /// When it happened.
    pub at: SimTime,
    /// The tenant whose breaker changed; `None` for the global breaker.
    pub tenant: Option<u32>,
    /// The state entered.
    pub state: BreakerState,
}

/// The breakers guarding one dependency: one shared breaker, or one per local tenant index
/// created on the tenant's first recorded outcome (a tenant with no breaker yet is Closed).
#[derive(Clone, Debug)]
pub struct BreakerSet {
    cfg: BreakerConfig,
    scope: BreakerScope,
    /// Global: slot 0. PerTenant: slot = tenant index.
    breakers: Vec<Option<Breaker>>,
    log: VecDeque<BreakerTransition>,
    log_dropped: u64,
}

impl BreakerSet {
    /// An empty set; per-tenant breakers are created lazily.
    pub fn new(cfg: BreakerConfig, scope: BreakerScope) -> Self {
        Self::with_tenants(cfg, scope, 0)
    }

    /// As [`BreakerSet::new`], reserving room for tenants `0..tenants` up front.
    pub fn with_tenants(cfg: BreakerConfig, scope: BreakerScope, tenants: u32) -> Self {
        // Validate the config now rather than at the first outcome.
        let _ = Breaker::new(cfg.clone());
        let slots = match scope {
            BreakerScope::Global => 1,
            BreakerScope::PerTenant => tenants as usize,
        };
        BreakerSet {
            cfg,
            scope,
            breakers: Vec::with_capacity(slots),
            log: VecDeque::with_capacity(SET_LOG_CAPACITY),
            log_dropped: 0,
        }
    }

    /// Decides whether `tenant`'s call at `now` may go ahead.
    #[inline]
    pub fn admit(&mut self, now: SimTime, tenant: u32) -> Admit {
        let slot = self.slot(tenant);
        let Some(Some(breaker)) = self.breakers.get_mut(slot) else {
            return Admit::Allowed; // no outcome recorded yet: closed
        };
        let decision = breaker.admit(now);
        self.collect(slot);
        decision
    }

    /// Records the outcome of `tenant`'s call (see [`Breaker::record`]).
    #[inline]
    pub fn record(&mut self, now: SimTime, tenant: u32, ok: bool, probe: bool) {
        let slot = self.slot(tenant);
        if slot >= self.breakers.len() {
            self.breakers.resize_with(slot + 1, || None);
        }
        self.breakers[slot]
            .get_or_insert_with(|| Breaker::new(self.cfg.clone()))
            .record(now, ok, probe);
        self.collect(slot);
    }

    /// The state of the breaker guarding `tenant`'s calls.
    pub fn state(&self, tenant: u32) -> BreakerState {
        self.breaker(tenant)
            .map_or(BreakerState::Closed, Breaker::state)
    }

    /// The breaker guarding `tenant`'s calls, if it exists yet.
    pub fn breaker(&self, tenant: u32) -> Option<&Breaker> {
        self.breakers
            .get(self.slot(tenant))
            .and_then(Option::as_ref)
    }

    /// The scope.
    pub fn scope(&self) -> BreakerScope {
        self.scope
    }

    /// The oldest state change not yet taken, across all breakers of the set.
    pub fn take_transition(&mut self) -> Option<BreakerTransition> {
        self.log.pop_front()
    }

    /// Transitions dropped because the log was not drained (it holds 256).
    pub fn transitions_dropped(&self) -> u64 {
        self.log_dropped
    }

    fn slot(&self, tenant: u32) -> usize {
        match self.scope {
            BreakerScope::Global => 0,
            BreakerScope::PerTenant => tenant as usize,
        }
    }

    /// Moves the transitions of the breaker in `slot` into the set's log.
    fn collect(&mut self, slot: usize) {
        let tenant = match self.scope {
            BreakerScope::Global => None,
            BreakerScope::PerTenant => Some(slot as u32),
        };
        let Some(Some(breaker)) = self.breakers.get_mut(slot) else {
            return;
        };
        self.log_dropped += std::mem::take(&mut breaker.log_dropped);
        while let Some((at, state)) = breaker.take_transition() {
            if self.log.len() == SET_LOG_CAPACITY {
                self.log.pop_front();
                self.log_dropped += 1;
            }
            self.log.push_back(BreakerTransition { at, tenant, state });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const S: u64 = 1_000_000_000;

    fn secs(s: f64) -> SimTime {
        SimTime((s * S as f64) as u64)
    }

    fn default_breaker() -> Breaker {
        Breaker::new(BreakerConfig::default())
    }

    /// Records `ok` and `err` outcomes at `t` (admitting each first, as a caller would).
    fn feed(b: &mut Breaker, t: SimTime, ok: u32, err: u32) {
        for i in 0..ok + err {
            assert_eq!(b.admit(t), Admit::Allowed);
            b.record(t, i < ok, false);
        }
    }

    #[test]
    fn does_not_trip_below_min_requests() {
        // Goal: min_requests gates the trip. Method: 19 failures of 19 (100%) stay closed,
        // the 20th trips.
        let mut b = default_breaker();
        feed(&mut b, secs(1.0), 0, 19);
        assert_eq!(b.state(), BreakerState::Closed);
        feed(&mut b, secs(1.0), 0, 1);
        assert_eq!(b.state(), BreakerState::Open);
    }

    #[test]
    fn trips_exactly_at_the_threshold() {
        // Goal: "≥ threshold" is exact. Method: 50%: 11 ok + 9 errors stays closed (45%),
        // then 10 ok + 10 errors of a fresh breaker trips on the 20th.
        let mut b = default_breaker();
        feed(&mut b, secs(1.0), 11, 9);
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(b.window_counts(secs(1.0)), (20, 9));

        let mut b = default_breaker();
        feed(&mut b, secs(1.0), 10, 9);
        assert_eq!(b.state(), BreakerState::Closed);
        feed(&mut b, secs(1.0), 0, 1);
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(b.take_transition(), Some((secs(1.0), BreakerState::Open)));

        // A threshold that is not a binary fraction: 10% trips at 3 of 30.
        let mut b = Breaker::new(BreakerConfig {
            error_threshold: 0.1,
            min_requests: 30,
            ..BreakerConfig::default()
        });
        feed(&mut b, secs(0.0), 27, 3);
        assert_eq!(b.state(), BreakerState::Open);
    }

    #[test]
    fn stays_open_for_open_for_then_admits_probes() {
        // Goal: fail fast for exactly open_for. Method: trip at 1s; rejected up to 6s − 1ns,
        // first admit at 6s is a probe (half-open).
        let mut b = default_breaker();
        feed(&mut b, secs(1.0), 0, 20);
        assert_eq!(b.admit(secs(1.0)), Admit::Rejected);
        assert_eq!(b.admit(SimTime(6 * S - 1)), Admit::Rejected);
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(b.admit(secs(6.0)), Admit::Probe);
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert_eq!(b.transitions(), 2);
    }

    #[test]
    fn half_open_probes_success_closes() {
        // Goal: up to `probes` probes; all succeeding closes with an empty window.
        let mut b = default_breaker();
        feed(&mut b, secs(1.0), 0, 20);
        let t = secs(6.0);
        assert_eq!(b.admit(t), Admit::Probe);
        assert_eq!(b.admit(t), Admit::Probe);
        assert_eq!(b.admit(t), Admit::Probe);
        assert_eq!(b.admit(t), Admit::Rejected, "only 3 probes");
        b.record(secs(6.1), true, true);
        assert_eq!(
            b.admit(secs(6.1)),
            Admit::Rejected,
            "3 probes in total, not 3 at a time"
        );
        b.record(secs(6.2), true, true);
        assert_eq!(b.state(), BreakerState::HalfOpen);
        b.record(secs(6.3), true, true);
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(b.window_counts(secs(6.3)), (0, 0), "window reset on close");
        assert_eq!(b.admit(secs(6.3)), Admit::Allowed);
        let log: Vec<_> = std::iter::from_fn(|| b.take_transition()).collect();
        assert_eq!(
            log,
            vec![
                (secs(1.0), BreakerState::Open),
                (secs(6.0), BreakerState::HalfOpen),
                (secs(6.3), BreakerState::Closed),
            ]
        );
    }

    #[test]
    fn half_open_probe_failure_reopens() {
        // Goal: any failed probe re-opens for a fresh open_for; later results of the other
        // probes are ignored.
        let mut b = default_breaker();
        feed(&mut b, secs(1.0), 0, 20);
        assert_eq!(b.admit(secs(6.0)), Admit::Probe);
        assert_eq!(b.admit(secs(6.0)), Admit::Probe);
        b.record(secs(6.5), true, true);
        b.record(secs(7.0), false, true);
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(b.opened_at(), secs(7.0));
        b.record(secs(11.0), true, true); // the stale second probe: ignored
        b.record(secs(11.0), false, false); // a late non-probe result: ignored
        assert_eq!(b.admit(SimTime(12 * S - 1)), Admit::Rejected);
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(b.admit(secs(12.0)), Admit::Probe);
        for t in [12.1, 12.2] {
            assert_eq!(b.admit(secs(t)), Admit::Probe);
        }
        for t in [12.3, 12.4, 12.5] {
            b.record(secs(t), true, true);
        }
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(b.transitions(), 5);
    }

    #[test]
    fn sliding_window_forgets_old_errors() {
        // Goal: errors age out. Method: window 10s, buckets of 1s. 15 errors at t=0.5s are
        // counted through bucket 9 (t < 10s) and forgotten from t=10s: 10 more errors at
        // 10s do not trip (10 < 20), while the same 10 errors at 9.9s would (25 ≥ 20).
        let mut b = default_breaker();
        feed(&mut b, secs(0.5), 0, 15);
        assert_eq!(b.window_counts(secs(9.9)), (15, 15));
        assert_eq!(b.window_counts(secs(10.0)), (0, 0));
        feed(&mut b, secs(10.0), 0, 10);
        assert_eq!(b.state(), BreakerState::Closed);

        let mut b = default_breaker();
        feed(&mut b, secs(0.5), 0, 15);
        feed(&mut b, secs(9.9), 0, 5);
        assert_eq!(b.state(), BreakerState::Open);
    }

    #[test]
    fn transition_log_is_bounded() {
        // Goal: an undrained log drops its oldest entries instead of growing.
        let cfg = BreakerConfig {
            min_requests: 1,
            probes: 1,
            open_for: SimDuration(10),
            ..BreakerConfig::default()
        };
        let mut b = Breaker::new(cfg);
        let mut t = 0;
        for _ in 0..10 {
            b.record(SimTime(t), false, false); // → Open
            t += 10;
            assert_eq!(b.admit(SimTime(t)), Admit::Probe); // → HalfOpen
            b.record(SimTime(t), true, true); // → Closed
        }
        assert_eq!(b.transitions(), 30);
        assert_eq!(b.transitions_dropped(), 30 - LOG_CAPACITY as u64);
        let log: Vec<_> = std::iter::from_fn(|| b.take_transition()).collect();
        assert_eq!(log.len(), LOG_CAPACITY);
        assert_eq!(log.last(), Some(&(SimTime(t), BreakerState::Closed)));
    }

    #[test]
    fn per_tenant_scope_isolates_tenants() {
        // Goal: one tenant's errors open only its own breaker. Method: tenant 3 fails 20
        // calls; tenants 0 and 7 keep being admitted.
        let mut set = BreakerSet::new(BreakerConfig::default(), BreakerScope::PerTenant);
        let t = secs(1.0);
        for _ in 0..20 {
            assert_eq!(set.admit(t, 3), Admit::Allowed);
            set.record(t, 3, false, false);
        }
        set.record(t, 7, true, false);
        assert_eq!(set.state(3), BreakerState::Open);
        assert_eq!(set.admit(t, 3), Admit::Rejected);
        for tenant in [0, 7, 1000] {
            assert_eq!(set.state(tenant), BreakerState::Closed);
            assert_eq!(set.admit(t, tenant), Admit::Allowed);
        }
        assert_eq!(
            set.take_transition(),
            Some(BreakerTransition {
                at: t,
                tenant: Some(3),
                state: BreakerState::Open
            })
        );
        assert_eq!(set.take_transition(), None);
    }

    #[test]
    fn global_scope_fails_everyone() {
        // Goal: a global breaker opened by one tenant rejects all tenants.
        let mut set = BreakerSet::with_tenants(BreakerConfig::default(), BreakerScope::Global, 10);
        let t = secs(1.0);
        for _ in 0..20 {
            assert_eq!(set.admit(t, 3), Admit::Allowed);
            set.record(t, 3, false, false);
        }
        for tenant in [0, 3, 7] {
            assert_eq!(set.state(tenant), BreakerState::Open);
            assert_eq!(set.admit(t, tenant), Admit::Rejected);
        }
        assert_eq!(
            set.take_transition().map(|tr| (tr.tenant, tr.state)),
            Some((None, BreakerState::Open))
        );
    }

    #[test]
    #[should_panic(expected = "time went backwards")]
    fn time_going_backwards_is_a_bug() {
        let mut b = default_breaker();
        b.record(secs(2.0), true, false);
        b.admit(secs(1.0));
    }

    proptest! {
        /// Goal: the window counts what the module docs promise. Method: random outcomes at
        /// random gaps into a breaker that never trips (huge min_requests); after each, the
        /// counts equal a naive recount of every outcome whose bucket is among the last ten,
        /// and that recount includes everything from the last 9 bucket widths and nothing
        /// older than 10.
        #[test]
        fn window_counts_match_a_naive_recount(
            window_ns in 10u64..100_000,
            steps in proptest::collection::vec((0u64..20_000, any::<bool>()), 1..300),
        ) {
            let cfg = BreakerConfig {
                window: SimDuration(window_ns),
                min_requests: u32::MAX,
                ..BreakerConfig::default()
            };
            let mut b = Breaker::new(cfg);
            let width = window_ns.div_ceil(10);
            let mut t = 0u64;
            let mut history: Vec<(u64, bool)> = Vec::new();
            for (gap, ok) in steps {
                t += gap;
                b.record(SimTime(t), ok, false);
                history.push((t, ok));
                let current = t / width;
                let counted: Vec<&(u64, bool)> = history
                    .iter()
                    .filter(|(at, _)| *at / width + 9 >= current)
                    .collect();
                let errors = counted.iter().filter(|(_, ok)| !ok).count() as u64;
                let naive = (counted.len() as u64, errors);
                prop_assert_eq!(b.window_counts(SimTime(t)), naive);
                for &(at, _) in &history {
                    let age = t - at;
                    let in_window = at / width + 9 >= current;
                    if age < 9 * width { prop_assert!(in_window); }
                    if age >= 10 * width { prop_assert!(!in_window); }
                }
            }
        }

        /// Goal: the breaker trips exactly when the documented test says so. Method: random
        /// outcomes; before each record, predict the trip from the window counts.
        #[test]
        fn trips_exactly_when_the_window_crosses_the_threshold(
            min_requests in 1u32..30,
            threshold_pct in 0u32..=100,
            steps in proptest::collection::vec((0u64..2 * S, 0u32..100), 1..200),
        ) {
            let cfg = BreakerConfig {
                min_requests,
                error_threshold: threshold_pct as f64 / 100.0,
                ..BreakerConfig::default()
            };
            let mut b = Breaker::new(cfg);
            let mut t = 0u64;
            for (gap, dice) in steps {
                t += gap;
                if b.state() != BreakerState::Closed {
                    break;
                }
                let ok = dice >= 40;
                b.record(SimTime(t), ok, false);
                let (requests, errors) = b.window_counts(SimTime(t));
                let should_trip = requests >= min_requests as u64
                    && errors * 100 >= threshold_pct as u64 * requests;
                let tripped = b.state() == BreakerState::Open;
                prop_assert_eq!(tripped, should_trip);
            }
        }
    }
}

//! Envelope encryption: cells cache each tenant's data key for a TTL; a request of a class
//! that needs decryption uses the cached key or asks the KMS (holding its worker).
//!
//! The KMS knows each tenant's key state. A disabled key fails that tenant's calls with
//! `kms_key_disabled` (once its cached key has expired); a KMS outage or a cell↔KMS
//! partition fails calls with `kms_unavailable` after the caller's timeout (or at once with
//! `mode = "reject"`). Calls may go through a breaker scoped `global` (one per cell: one
//! tenant's disabled key opens it for everyone — the second-order failure) or `per_tenant`.
//!
//! **The part.** [`KmsRt`] owns the key caches, the breakers, the latency stream and the
//! call counters, and decides; it never calls back into the platform:
//!
//! ```text
//!  key_for(now, t, cell) ─▶ Cached            go on with the CPU work
//!                        ─▶ Fail(cause)       the breaker refused: end the attempt
//!                        ─▶ Ask { probe }     a call is counted; cross the link:
//!  call(t, cell)         ─▶ Held              a `delay` cut holds it (call again on heal)
//!                        ─▶ Reached { latency, answer }   answer after latency + network
//!                        ─▶ Unreachable { after }         `Unreachable` after 0 or timeout
//!  on_answer(now, t, cell, probe, answer) ─▶ Go | Fail(cause)   (breaker fed, key cached)
//! ```
//!
//! The `Platform` glue below applies the decisions (schedules `KmsAnswered`, ends the
//! attempt, traces the `kms` phase). Built from the scenario's plain [`Kms`] settings (checked
//! with their positions when the scenario loads) by [`KmsRt::new`]; no scenario file is
//! needed to build one (see the tests).
//!
//! Guarantees: a key cached in a cell is used until its expiry and never after; only an
//! `Ask` counts a call, only a failed answer counts a failure; every latency is drawn from
//! the stream `kms`, one draw per call that reaches the KMS and none otherwise. Fault state
//! (`up`, `enabled`, `cut`) is plain data the platform's fault code sets.

use super::tenant_cell_map::TenantCellMap;
use super::{Ev, Platform};
use crate::component::breaker::{Admit, BreakerSet};
use crate::component::link::{Call, Link};
use crate::component::outcome::{Cause, Outcome};
use crate::component::slab::Id;
use crate::scenario::Kms;
use sim::{Dist, EventQueue, RngStream, SimDuration, SimTime};

/// What the KMS answered a cell asking for a tenant's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KmsAnswer {
    /// The key: the attempt decrypts and goes on.
    Ok,
    /// The tenant's key is disabled.
    KeyDisabled,
    /// No answer: the KMS is down or the link to it is cut.
    Unreachable,
}

impl KmsAnswer {
    /// The answer's code in the event digest (frozen: golden digests rest on it).
    pub fn code(self) -> u8 {
        match self {
            KmsAnswer::Ok => 0,
            KmsAnswer::KeyDisabled => 1,
            KmsAnswer::Unreachable => 2,
        }
    }
}

/// What a cell does about a tenant's data key before an attempt's CPU work
/// ([`KmsRt::key_for`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyDecision {
    /// The cached key is valid: go on now.
    Cached,
    /// Ask the KMS ([`KmsRt::call`]); the call is counted. `probe` is `Some` when a breaker
    /// admitted the call: whether as a half-open probe (the attempt remembers it for
    /// [`KmsRt::on_answer`]).
    Ask {
        /// The breaker's admission, if there is a breaker.
        probe: Option<bool>,
    },
    /// Refused without a call (the breaker is open).
    Fail(Cause),
}

/// How a call to the KMS crosses the cell's link ([`KmsRt::call`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KmsCall {
    /// Held by a `delay` partition: make the call again when the cut heals.
    Held,
    /// Reached the KMS: `answer` comes back after `latency` plus the link's network round
    /// trip.
    Reached {
        /// The KMS's own latency (drawn from the stream `kms`).
        latency: SimDuration,
        /// Its answer.
        answer: KmsAnswer,
    },
    /// Did not reach it: the caller sees [`KmsAnswer::Unreachable`] after `after` (zero
    /// under `reject`, the caller's timeout when the call hangs).
    Unreachable {
        /// When the caller gives up.
        after: SimDuration,
    },
}

/// What an attempt does with the KMS's answer ([`KmsRt::on_answer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyResult {
    /// The key is cached now: go on with the CPU work.
    Go,
    /// The attempt fails with this cause.
    Fail(Cause),
}

/// Runtime state of the KMS and the cells' key caches.
pub struct KmsRt {
    latency: Dist,
    rng: RngStream,
    ttl: SimDuration,
    timeout: SimDuration,
    /// Answering (no outage). Fault state, set by `faults.rs`.
    pub up: bool,
    /// Per cell, the link cell → KMS. Fault state, set by `faults.rs`.
    pub(super) cut: Vec<Link>,
    /// Key enabled, per tenant. Fault state, set by `faults.rs`.
    pub(super) enabled: Vec<bool>,
    /// Per (tenant, cell) that fetched a key in the run: when the cached data key expires.
    /// Pairs not in the map hold the key fetched before the run ([`KmsRt::cached_until`]).
    cache: TenantCellMap<SimTime>,
    /// Per cell: breaker on KMS calls (its transitions are traced by the platform).
    pub(super) breakers: Vec<Option<BreakerSet>>,
    /// Calls made.
    pub calls: u64,
    /// Calls that failed.
    pub failures: u64,
    /// Per tenant: calls made for it (empty unless `[cost]` prices KMS calls).
    pub tenant_calls: Vec<u64>,
}

/// How big a [`KmsRt`] is and what it keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KmsSizes {
    /// Cells (one link, one breaker set each).
    pub cells: usize,
    /// Tenants (one key each).
    pub tenants: usize,
    /// Some request class needs a key: keep a key cache per (tenant, cell).
    pub caches_keys: bool,
    /// `[cost]` prices KMS calls: count them per tenant.
    pub counts_tenant_calls: bool,
}

impl KmsRt {
    /// A KMS that is up, every key enabled, every link up, from its settings; latencies
    /// come from the stream `kms` of `seed`. Breakers start closed.
    pub fn new(s: &Kms, seed: u64, n: KmsSizes) -> KmsRt {
        KmsRt {
            latency: s.latency.clone(),
            rng: RngStream::new(seed, "kms", 0),
            ttl: s.data_key_ttl,
            timeout: s.timeout,
            up: true,
            cut: vec![Link::Up; n.cells],
            enabled: vec![true; n.tenants],
            // Data keys were fetched at staggered times before the run (like routes), so
            // that they do not all expire together at t = TTL: see `KmsRt::cached_until`.
            cache: TenantCellMap::new(if n.caches_keys { n.tenants } else { 0 }),
            tenant_calls: if n.counts_tenant_calls {
                vec![0; n.tenants]
            } else {
                Vec::new()
            },
            breakers: (0..n.cells)
                .map(|_| {
                    s.breaker
                        .as_ref()
                        .map(|(cfg, scope)| BreakerSet::with_tenants(cfg.clone(), *scope, 0))
                })
                .collect(),
            calls: 0,
            failures: 0,
        }
    }

    /// When tenant `t`'s data key cached in `cell` expires. Keys were fetched at staggered
    /// times before the run (like routes), so that they do not all expire together at
    /// t = TTL: a pair that has not fetched in the run expires at a fixed hash of (cell,
    /// tenant) modulo the TTL.
    #[inline]
    pub(super) fn cached_until(&self, t: u32, cell: u32) -> SimTime {
        self.cache.get(t, cell).unwrap_or_else(|| {
            let ttl = self.ttl.as_nanos().max(1);
            SimTime(sim::digest::mix64(((cell as u64) << 32) | t as u64) % ttl)
        })
    }

    /// Whether tenant `t`'s key is enabled.
    #[inline]
    pub fn key_enabled(&self, t: u32) -> bool {
        self.enabled[t as usize]
    }

    /// Decides, at `now`, how `cell` gets tenant `t`'s data key: the cached key, a call
    /// (admitted by the cell's breaker, if any, and counted), or a refusal by the breaker.
    #[inline]
    pub fn key_for(&mut self, now: SimTime, t: u32, cell: u32) -> KeyDecision {
        if self.cached_until(t, cell) > now {
            return KeyDecision::Cached;
        }
        let mut probe = None;
        if let Some(b) = self.breakers[cell as usize].as_mut() {
            probe = Some(match b.admit(now, t) {
                Admit::Rejected => return KeyDecision::Fail(Cause::BreakerOpen),
                Admit::Probe => true,
                Admit::Allowed => false,
            });
        }
        self.calls += 1;
        if let Some(n) = self.tenant_calls.get_mut(t as usize) {
            *n += 1;
        }
        KeyDecision::Ask { probe }
    }

    /// A call from `cell` for tenant `t`'s key crosses the link (a KMS that is down answers
    /// nothing: the call hangs). Draws the KMS's latency only when the call reaches it.
    pub fn call(&mut self, t: u32, cell: u32) -> KmsCall {
        match self.cut[cell as usize].unless_down(self.up).call() {
            Call::Hold => KmsCall::Held,
            Call::Reach => KmsCall::Reached {
                latency: SimDuration::from_nanos_f64(self.latency.sample(&mut self.rng)),
                answer: if self.enabled[t as usize] {
                    KmsAnswer::Ok
                } else {
                    KmsAnswer::KeyDisabled
                },
            },
            Call::Reject => KmsCall::Unreachable {
                after: SimDuration::ZERO,
            },
            Call::Hang => KmsCall::Unreachable {
                after: self.timeout,
            },
        }
    }

    /// The KMS's `answer` to `cell`'s call for tenant `t` arrived at `now` (`probe`: the
    /// call was a breaker's half-open probe): feeds the breaker, caches the key for the TTL
    /// on success, counts a failure otherwise.
    pub fn on_answer(
        &mut self,
        now: SimTime,
        t: u32,
        cell: u32,
        probe: bool,
        answer: KmsAnswer,
    ) -> KeyResult {
        if let Some(b) = self.breakers[cell as usize].as_mut() {
            b.record(now, t, answer == KmsAnswer::Ok, probe);
        }
        match answer {
            KmsAnswer::Ok => {
                self.cache.set(t, cell, now.after(self.ttl));
                KeyResult::Go
            }
            KmsAnswer::KeyDisabled => {
                self.failures += 1;
                KeyResult::Fail(Cause::KmsKeyDisabled)
            }
            KmsAnswer::Unreachable => {
                self.failures += 1;
                KeyResult::Fail(Cause::KmsUnavailable)
            }
        }
    }
}

impl Platform {
    /// Before the CPU work of an attempt that needs its tenant's data key: returns true if
    /// the key is cached (go on now); otherwise a KMS call is under way (or the attempt
    /// ended) and the attempt resumes on `KmsAnswered`.
    pub(super) fn kms_key_ready(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) -> bool {
        let Some(a) = self.attempts.get_mut(att) else {
            return false;
        };
        let (cell, t) = (a.cell, a.tenant);
        match self.kms.key_for(now, t, cell) {
            KeyDecision::Cached => true,
            KeyDecision::Fail(cause) => {
                self.end_attempt(now, att, Outcome::Failed(cause), true, q);
                false
            }
            KeyDecision::Ask { probe } => {
                if let Some(p) = probe {
                    a.probe = p;
                }
                if let Some(tr) = self.tracer.as_deref_mut() {
                    tr.phase(now, att, "kms");
                }
                self.call_kms(att, cell as usize, t, q);
                false
            }
        }
    }

    /// A cell's call to the KMS for tenant `t`'s key crosses the link: answered after its
    /// latency (and the link's network round trip), failed at once or at the timeout, or
    /// held by a `delay` partition.
    pub(super) fn call_kms(&mut self, att: Id, cell: usize, t: u32, q: &mut EventQueue<Ev>) {
        match self.kms.call(t, cell as u32) {
            KmsCall::Held => self.hold_call(
                crate::fault::PartitionKind::CellKms,
                cell as u32,
                att.word(),
                0,
            ),
            KmsCall::Reached { latency, answer } => {
                let d = latency.saturating_add(self.net.cell_kms.round_trip());
                q.schedule_in(d, Ev::KmsAnswered { att, answer });
            }
            KmsCall::Unreachable { after } => q.schedule_in(
                after,
                Ev::KmsAnswered {
                    att,
                    answer: KmsAnswer::Unreachable,
                },
            ),
        }
    }

    /// The KMS answered.
    pub(super) fn on_kms_answered(
        &mut self,
        now: SimTime,
        att: Id,
        answer: KmsAnswer,
        q: &mut EventQueue<Ev>,
    ) {
        let Some(a) = self.attempts.get(att) else {
            return;
        };
        let (cell, t, probe) = (a.cell, a.tenant, a.probe);
        match self.kms.on_answer(now, t, cell, probe, answer) {
            KeyResult::Go => self.begin_cpu(now, att, q),
            KeyResult::Fail(cause) => self.end_attempt(now, att, Outcome::Failed(cause), true, q),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Goal: the KMS part decides alone, from plain settings (no scenario file): the cache,
    //! a disabled key, an outage or a cut link, and the breaker's scope.
    //! Method: build a `KmsRt` directly (constant 5 ms latency, 60 s TTL, 1 s timeout), drive
    //! `key_for` → `call` → `on_answer` at chosen instants, and check each decision and
    //! counter against the arithmetic of the settings.
    use super::*;
    use crate::component::breaker::{BreakerConfig, BreakerScope};
    use crate::component::link::CutMode;

    const S: u64 = 1_000_000_000;
    const TTL: SimDuration = SimDuration(60 * S);
    const LATENCY: SimDuration = SimDuration(5_000_000);
    const TIMEOUT: SimDuration = SimDuration(S);

    /// Two cells, three tenants; a breaker (trips at 2 calls with ≥ 50% failures) if scoped.
    fn kms(scope: Option<BreakerScope>) -> KmsRt {
        let cfg = BreakerConfig {
            window: SimDuration::from_secs(10),
            min_requests: 2,
            error_threshold: 0.5,
            open_for: SimDuration::from_secs(5),
            probes: 1,
        };
        let s = Kms {
            latency: Dist::Const(LATENCY.as_nanos() as f64),
            data_key_ttl: TTL,
            timeout: TIMEOUT,
            breaker: scope.map(|sc| (cfg, sc)),
        };
        let sizes = KmsSizes {
            cells: 2,
            tenants: 3,
            caches_keys: true,
            counts_tenant_calls: true,
        };
        KmsRt::new(&s, 7, sizes)
    }

    /// One whole exchange for tenant `t` in `cell` starting at `now`: the decision, and if
    /// a call was made, what its answer did (at the instant it arrives).
    fn fetch(k: &mut KmsRt, now: SimTime, t: u32, cell: u32) -> Result<KeyResult, KeyDecision> {
        let probe = match k.key_for(now, t, cell) {
            KeyDecision::Ask { probe } => probe.unwrap_or(false),
            other => return Err(other),
        };
        let (at, answer) = match k.call(t, cell) {
            KmsCall::Reached { latency, answer } => (now.after(latency), answer),
            KmsCall::Unreachable { after } => (now.after(after), KmsAnswer::Unreachable),
            KmsCall::Held => panic!("held: no answer"),
        };
        Ok(k.on_answer(at, t, cell, probe, answer))
    }

    #[test]
    fn cached_key_used_within_ttl_and_asked_after_expiry() {
        // A pair's pre-run key expires at its staggered instant (< TTL); fetched then, the
        // key is cached for exactly TTL from the answer, in that cell only.
        let mut k = kms(None);
        let e = k.cached_until(0, 0);
        assert!(e < SimTime(TTL.as_nanos()));
        if e > SimTime::ZERO {
            assert_eq!(k.key_for(SimTime(e.0 - 1), 0, 0), KeyDecision::Cached);
        }
        assert_eq!(k.calls, 0);
        assert_eq!(fetch(&mut k, e, 0, 0), Ok(KeyResult::Go));
        let answered = e.after(LATENCY);
        let expiry = answered.after(TTL);
        assert_eq!(k.key_for(SimTime(expiry.0 - 1), 0, 0), KeyDecision::Cached);
        assert_eq!(k.calls, 1);
        assert_eq!(k.key_for(expiry, 0, 0), KeyDecision::Ask { probe: None });
        assert_eq!((k.calls, k.tenant_calls[0], k.failures), (2, 2, 0));
        // The fetch cached the key in cell 0 only: cell 1's pre-run key has expired by TTL.
        assert_eq!(
            k.key_for(SimTime(TTL.as_nanos()), 0, 1),
            KeyDecision::Ask { probe: None }
        );
        assert_eq!(k.tenant_calls, vec![3, 0, 0]);
    }

    #[test]
    fn disabled_key_fails_only_once_the_cached_key_expired() {
        // Tenant 0's key is disabled after it was cached: calls still succeed from the
        // cache until its expiry, then fail with `kms_key_disabled`; tenant 1 is untouched.
        let mut k = kms(None);
        let t0 = SimTime(TTL.as_nanos());
        assert_eq!(fetch(&mut k, t0, 0, 0), Ok(KeyResult::Go));
        k.enabled[0] = false;
        assert!(!k.key_enabled(0));
        let expiry = t0.after(LATENCY).after(TTL);
        assert_eq!(k.key_for(SimTime(expiry.0 - 1), 0, 0), KeyDecision::Cached);
        let r = fetch(&mut k, expiry, 0, 0);
        assert_eq!(r, Ok(KeyResult::Fail(Cause::KmsKeyDisabled)));
        assert_eq!(Cause::KmsKeyDisabled.name(), "kms_key_disabled");
        assert_eq!((k.calls, k.failures), (2, 1));
        // A failed answer caches nothing: the next attempt asks again.
        let later = expiry.after(LATENCY);
        assert_eq!(k.key_for(later, 0, 0), KeyDecision::Ask { probe: None });
        assert_eq!(fetch(&mut k, t0, 1, 0), Ok(KeyResult::Go));
        assert_eq!(k.provision_problem(0, 0), Some("KMS key disabled"));
        assert_eq!(k.provision_problem(1, 0), None);
    }

    #[test]
    fn outage_fails_after_the_timeout_and_reject_fails_at_once() {
        // A KMS that is down answers nothing (the caller times out, whatever the link);
        // a cut link fails at once under `reject`, at the timeout under `blackhole`, and
        // holds the call under `delay`; the other cell's link is up.
        let mut k = kms(None);
        let now = SimTime(TTL.as_nanos());
        k.up = false;
        k.cut[0] = Link::partitioned(true, CutMode::parse("reject").expect("a mode"));
        assert_eq!(k.call(0, 0), KmsCall::Unreachable { after: TIMEOUT });
        assert_eq!(
            fetch(&mut k, now, 0, 1),
            Ok(KeyResult::Fail(Cause::KmsUnavailable))
        );
        assert_eq!(k.provision_problem(0, 1), Some("KMS unreachable"));
        k.up = true;
        assert_eq!(
            k.call(0, 0),
            KmsCall::Unreachable {
                after: SimDuration::ZERO
            }
        );
        k.cut[0] = Link::partitioned(true, CutMode::Blackhole);
        assert_eq!(k.call(0, 0), KmsCall::Unreachable { after: TIMEOUT });
        k.cut[0] = Link::partitioned(true, CutMode::Delay);
        assert_eq!(k.call(0, 0), KmsCall::Held);
        assert_eq!(k.provision_problem(0, 0), Some("KMS unreachable"));
        assert_eq!(
            k.call(0, 1),
            KmsCall::Reached {
                latency: LATENCY,
                answer: KmsAnswer::Ok
            }
        );
        assert_eq!(k.provision_problem(0, 1), None);
        assert_eq!(k.failures, 1);
    }

    #[test]
    fn global_breaker_opens_for_everyone_per_tenant_only_for_the_culprit() {
        // Tenant 0's disabled key fails two calls in cell 0: that trips the breaker. Scoped
        // `global`, tenant 1 is refused too (no call counted); scoped `per_tenant`, tenant 1
        // still gets its key and only tenant 0 is refused. Cell 1 has its own breakers.
        for (scope, t1_refused) in [
            (BreakerScope::Global, true),
            (BreakerScope::PerTenant, false),
        ] {
            let mut k = kms(Some(scope));
            let now = SimTime(TTL.as_nanos());
            k.enabled[0] = false;
            let mut later = now;
            for _ in 0..2 {
                let r = fetch(&mut k, later, 0, 0);
                assert_eq!(r, Ok(KeyResult::Fail(Cause::KmsKeyDisabled)), "{scope:?}");
                later = later.after(LATENCY);
            }
            assert_eq!(
                k.key_for(later, 0, 0),
                KeyDecision::Fail(Cause::BreakerOpen),
                "{scope:?}"
            );
            let calls = k.calls;
            let t1 = k.key_for(later, 1, 0);
            if t1_refused {
                assert_eq!(t1, KeyDecision::Fail(Cause::BreakerOpen));
                assert_eq!(k.calls, calls);
            } else {
                assert_eq!(t1, KeyDecision::Ask { probe: Some(false) });
                assert_eq!(k.calls, calls + 1);
            }
            assert_eq!(
                k.key_for(later, 1, 1),
                KeyDecision::Ask { probe: Some(false) },
                "{scope:?}"
            );
        }
    }
}

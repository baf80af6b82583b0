//! Envelope encryption: cells cache each tenant's data key for a TTL; a request of a class
//! that needs decryption uses the cached key or asks the KMS (holding its worker).
//!
//! The KMS knows each tenant's key state. A disabled key fails that tenant's calls with
//! `kms_key_disabled` (once its cached key has expired); a KMS outage or a cell↔KMS
//! partition fails calls with `kms_unavailable` after the caller's timeout (or at once with
//! `mode = "reject"`). Calls may go through a breaker scoped `global` (one per cell: one
//! tenant's disabled key opens it for everyone — the second-order failure) or `per_tenant`.

use super::tenant_cell_map::TenantCellMap;
use super::{Ev, Platform};

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
use crate::component::breaker::{Admit, BreakerSet};
use crate::component::link::{Call, Link};
use crate::component::outcome::{Cause, Outcome};
use crate::component::slab::Id;
use sim::{Dist, EventQueue, RngStream, SimDuration, SimTime};

/// Runtime state of the KMS and the cells' key caches.
pub struct KmsRt {
    pub(super) latency: Dist,
    pub(super) rng: RngStream,
    pub(super) ttl: SimDuration,
    pub(super) timeout: SimDuration,
    /// Answering (no outage).
    pub up: bool,
    /// Per cell, the link cell → KMS.
    pub(super) cut: Vec<Link>,
    /// Key enabled, per tenant.
    pub(super) enabled: Vec<bool>,
    /// Per (tenant, cell) that fetched a key in the run: when the cached data key expires.
    /// Pairs not in the map hold the key fetched before the run ([`KmsRt::cached_until`]).
    pub(super) cache: TenantCellMap<SimTime>,
    /// Per cell: breaker on KMS calls.
    pub(super) breakers: Vec<Option<BreakerSet>>,
    /// Calls made.
    pub calls: u64,
    /// Calls that failed.
    pub failures: u64,
    /// Per tenant: calls made for it (empty unless `[cost]` prices KMS calls).
    pub tenant_calls: Vec<u64>,
}

impl KmsRt {
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
}

impl Platform {
    /// Before the CPU work of an attempt that needs its tenant's data key: returns true if
    /// the key is cached (go on now); otherwise a KMS call is under way (or the attempt
    /// ended) and the attempt resumes on `KmsAnswered`.
    pub(super) fn kms_key_ready(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) -> bool {
        let Some(a) = self.attempts.get_mut(att) else {
            return false;
        };
        let (cell, t) = (a.cell as usize, a.tenant);
        if self.kms.cached_until(t, cell as u32) > now {
            return true;
        }
        if let Some(b) = self.kms.breakers[cell].as_mut() {
            match b.admit(now, t) {
                Admit::Rejected => {
                    self.end_attempt(now, att, Outcome::Failed(Cause::BreakerOpen), true, q);
                    return false;
                }
                Admit::Probe => a.probe = true,
                Admit::Allowed => a.probe = false,
            }
        }
        self.kms.calls += 1;
        if let Some(n) = self.kms.tenant_calls.get_mut(t as usize) {
            *n += 1;
        }
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.phase(now, att, "kms");
        }
        self.call_kms(att, cell, t, q);
        false
    }

    /// A cell's call to the KMS for tenant `t`'s key crosses the link: answered after its
    /// latency, failed at once or at the timeout, or held by a `delay` partition.
    pub(super) fn call_kms(&mut self, att: Id, cell: usize, t: u32, q: &mut EventQueue<Ev>) {
        // A KMS that is down answers nothing: the call hangs.
        match self.kms.cut[cell].unless_down(self.kms.up).call() {
            Call::Hold => self.hold_call(
                crate::fault::PartitionKind::CellKms,
                cell as u32,
                att.word(),
                0,
            ),
            Call::Reach => {
                let d = SimDuration::from_nanos_f64(self.kms.latency.sample(&mut self.kms.rng))
                    .saturating_add(self.net.cell_kms.round_trip());
                let ok = self.kms.enabled[t as usize];
                let answer = if ok {
                    KmsAnswer::Ok
                } else {
                    KmsAnswer::KeyDisabled
                };
                q.schedule_in(d, Ev::KmsAnswered { att, answer });
            }
            call @ (Call::Reject | Call::Hang) => {
                let d = if call == Call::Reject {
                    SimDuration::ZERO
                } else {
                    self.kms.timeout
                };
                q.schedule_in(
                    d,
                    Ev::KmsAnswered {
                        att,
                        answer: KmsAnswer::Unreachable,
                    },
                );
            }
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
        let (cell, t, probe) = (a.cell as usize, a.tenant, a.probe);
        if let Some(b) = self.kms.breakers[cell].as_mut() {
            b.record(now, t, answer == KmsAnswer::Ok, probe);
        }
        match answer {
            KmsAnswer::Ok => {
                self.kms.cache.set(t, cell as u32, now.after(self.kms.ttl));
                self.begin_cpu(now, att, q);
            }
            KmsAnswer::KeyDisabled => {
                self.kms.failures += 1;
                self.end_attempt(now, att, Outcome::Failed(Cause::KmsKeyDisabled), true, q);
            }
            KmsAnswer::Unreachable => {
                self.kms.failures += 1;
                self.end_attempt(now, att, Outcome::Failed(Cause::KmsUnavailable), true, q);
            }
        }
    }
}

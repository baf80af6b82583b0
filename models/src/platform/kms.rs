//! Envelope encryption: cells cache each tenant's data key for a TTL; a request of a class
//! that needs decryption uses the cached key or asks the KMS (holding its worker).
//!
//! The KMS knows each tenant's key state. A disabled key fails that tenant's calls with
//! `kms_key_disabled` (once its cached key has expired); a KMS outage or a cell↔KMS
//! partition fails calls with `kms_unavailable` after the caller's timeout (or at once with
//! `mode = "reject"`). Calls may go through a breaker scoped `global` (one per cell: one
//! tenant's disabled key opens it for everyone — the second-order failure) or `per_tenant`.

use super::{Ev, Platform};
use crate::breaker::{Admit, BreakerSet};
use crate::outcome::{Cause, Outcome};
use crate::slab::Id;
use sim::{Dist, EventQueue, RngStream, SimDuration, SimTime};

/// Runtime state of the KMS and the cells' key caches.
pub struct KmsRt {
    pub(super) latency: Dist,
    pub(super) rng: RngStream,
    pub(super) ttl: SimDuration,
    pub(super) timeout: SimDuration,
    /// Answering (no outage).
    pub up: bool,
    /// Cells cut from the KMS, and whether the cut rejects.
    pub(super) cut: Vec<Option<bool>>,
    /// Key enabled, per tenant.
    pub(super) enabled: Vec<bool>,
    /// Per cell, per tenant: when the cached data key expires.
    pub(super) cache: Vec<Vec<SimTime>>,
    /// Per cell: breaker on KMS calls.
    pub(super) breakers: Vec<Option<BreakerSet>>,
    /// Calls made.
    pub calls: u64,
    /// Calls that failed.
    pub failures: u64,
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
        if self.kms.cache[cell][t as usize] > now {
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
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.phase(now, att, "kms");
        }
        let reachable = if !self.kms.up {
            Some(false)
        } else {
            self.kms.cut[cell]
        };
        match reachable {
            None => {
                let d = SimDuration::from_nanos_f64(self.kms.latency.sample(&mut self.kms.rng));
                let ok = self.kms.enabled[t as usize];
                q.schedule_in(
                    d,
                    Ev::KmsAnswered {
                        att,
                        code: if ok { 0 } else { 1 },
                    },
                );
            }
            Some(reject) => {
                let d = if reject {
                    SimDuration::ZERO
                } else {
                    self.kms.timeout
                };
                q.schedule_in(d, Ev::KmsAnswered { att, code: 2 });
            }
        }
        false
    }

    /// The KMS answered (code 0 ok, 1 key disabled, 2 unreachable).
    pub(super) fn on_kms_answered(
        &mut self,
        now: SimTime,
        att: Id,
        code: u8,
        q: &mut EventQueue<Ev>,
    ) {
        let Some(a) = self.attempts.get(att) else {
            return;
        };
        let (cell, t, probe) = (a.cell as usize, a.tenant, a.probe);
        if let Some(b) = self.kms.breakers[cell].as_mut() {
            b.record(now, t, code == 0, probe);
        }
        match code {
            0 => {
                self.kms.cache[cell][t as usize] = now.after(self.kms.ttl);
                self.begin_cpu(now, att, q);
            }
            1 => {
                self.kms.failures += 1;
                self.end_attempt(now, att, Outcome::Failed(Cause::KmsKeyDisabled), true, q);
            }
            _ => {
                self.kms.failures += 1;
                self.end_attempt(now, att, Outcome::Failed(Cause::KmsUnavailable), true, q);
            }
        }
    }
}

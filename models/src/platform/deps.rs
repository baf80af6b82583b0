//! Wiring of the shared global dependencies into the request path.
//!
//! ```text
//!  worker: service CPU ─▶ call dep₀ ─▶ call dep₁ … ─▶ DB queries ─▶ response
//!                          │ quota spent ─▶ 5xx quota_exceeded (the caller's tenant alone)
//!                          │ waiting line full ─▶ 503 dependency_busy
//!                          └ no answer within the dependency's timeout ─▶ 5xx dependency_timeout
//! ```
//!
//! A request of a class with `calls` makes them in order after its CPU work, holding its
//! worker (a synchronous call): a saturated dependency therefore holds workers in every
//! cell that calls it, which is how one tenant's use spreads to cells it is not in. The
//! dependencies are global: one [`Dependency`] per `[[dependencies]]` entry, shared by all
//! cells. Each call's service time is drawn from a SplitMix sub-stream of the attempt's own
//! seed salted for dependencies (a new stream: no existing draw moves), so a tenant's calls
//! cost the same whatever the others do. Outcomes of refused and timed-out calls end the
//! attempt through `end_attempt` like every other failure, so the ledger balances.
//!
//! A scenario without `[[dependencies]]` builds an empty [`DepsRt`]; its only cost on the
//! request path is one predictable branch in `on_service_finished`.

use super::{Ev, Platform};
use crate::component::dependency::{Decision, Dependency, DependencySettings, Next};
use crate::component::outcome::{Cause, Outcome};
use crate::component::slab::Id;
use crate::scenario::Scenario;
use sim::{Dist, EventQueue, SimDuration, SimTime, SplitMix};

/// Salt of the dependency sub-stream of an attempt (distinct from every other salt).
const DEP_SALT: u64 = 0xDE9E_4D00_CA11_0001;

/// The shared dependencies of a run.
pub struct DepsRt {
    /// One per `[[dependencies]]` entry, in file order.
    pub deps: Vec<Dependency>,
    /// Service time of a call, per dependency.
    service: Vec<Dist>,
    /// Names, for reports.
    pub names: Vec<String>,
    /// Per dependency, per tenant: calls admitted (started or queued). A dependency's
    /// vector is empty unless `[cost]` prices its calls.
    pub tenant_calls: Vec<Vec<u64>>,
}

impl DepsRt {
    /// The dependencies of `sc` for `tenants` tenants (none: an empty, inert set).
    pub fn build(sc: &Scenario, tenants: usize) -> DepsRt {
        DepsRt {
            deps: sc
                .dependencies
                .iter()
                .map(|d| {
                    Dependency::new(&DependencySettings {
                        capacity: d.capacity,
                        queue_limit: d.queue_limit,
                        timeout: d.timeout,
                        tenant_rate: d.tenant_rate,
                        tenant_quota: d.tenant_quota,
                        tenants,
                    })
                })
                .collect(),
            service: sc.dependencies.iter().map(|d| d.service.clone()).collect(),
            names: sc.dependencies.iter().map(|d| d.name.clone()).collect(),
            tenant_calls: sc
                .dependencies
                .iter()
                .map(|d| {
                    let priced = sc
                        .cost
                        .as_ref()
                        .is_some_and(|p| p.dependency_calls.iter().any(|x| x.name == d.name));
                    if priced {
                        vec![0; tenants]
                    } else {
                        Vec::new()
                    }
                })
                .collect(),
        }
    }

    /// Whether the scenario declares any dependency.
    #[inline]
    pub fn any(&self) -> bool {
        !self.deps.is_empty()
    }
}

impl Platform {
    /// After the CPU work (or an answered call): the attempt's next dependency call, or its
    /// DB queries once every call is made.
    pub(super) fn next_call(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        let Some(a) = self.attempts.get(att) else {
            return;
        };
        let calls = &self.classes[a.class as usize].calls;
        let Some(&dep) = calls.get(a.calls_done as usize) else {
            // Every dependency called: the class's cross-cell call, if any (cross_cell.rs).
            if self.cell_call_due(a.class, a.calls_done, calls.len()) {
                return self.cell_call(now, att, q);
            }
            self.next_query(now, att, q);
            return;
        };
        let tenant = a.tenant;
        let decision = self.deps.deps[dep as usize].call(now, tenant, att.word());
        if matches!(decision, Decision::Start { .. } | Decision::Queued) {
            if let Some(n) = self.deps.tenant_calls[dep as usize].get_mut(tenant as usize) {
                *n += 1;
            }
        }
        match decision {
            Decision::Start { at } => self.dependency_started(dep, att, now, at, q),
            Decision::Queued => {
                if let Some(tr) = self.tracer.as_deref_mut() {
                    tr.phase(now, att, "dependency_wait");
                }
            }
            Decision::Quota => {
                self.end_attempt(now, att, Outcome::Failed(Cause::QuotaExceeded), true, q)
            }
            Decision::Busy => {
                self.end_attempt(now, att, Outcome::Failed(Cause::DependencyBusy), true, q)
            }
        }
    }

    /// A call of `att` (made at `made`) starts being served at `start`: its answer (or the
    /// caller's timeout) is scheduled.
    fn dependency_started(
        &mut self,
        dep: u16,
        att: Id,
        made: SimTime,
        start: SimTime,
        q: &mut EventQueue<Ev>,
    ) {
        let service = match self.attempts.get(att) {
            Some(a) => {
                let mut rng = SplitMix(sim::digest::mix64(
                    a.chance.0 ^ DEP_SALT ^ ((a.calls_done as u64) << 48),
                ));
                SimDuration::from_nanos_f64(
                    self.deps.service[dep as usize].sample(&mut rng).max(0.0),
                )
            }
            None => SimDuration::ZERO,
        };
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.phase(q.now(), att, "dependency");
        }
        let (at, ok) = self.deps.deps[dep as usize].answer_at(made, start, service);
        q.schedule_at(at, Ev::DependencyAnswered { dep, att, ok });
    }

    /// A dependency answered a call (or the caller gave up at its timeout): the server takes
    /// the next waiting call, and the attempt goes on or fails.
    pub(super) fn on_dependency_answered(
        &mut self,
        now: SimTime,
        dep: u16,
        att: Id,
        ok: bool,
        q: &mut EventQueue<Ev>,
    ) {
        let mut next = self.deps.deps[dep as usize].finish(now);
        loop {
            match next {
                Next::Idle => break,
                Next::Start { token, made } => {
                    self.dependency_started(dep, Id::from_word(token), made, now, q);
                    break;
                }
                Next::Expired(token) => {
                    let waiting = Id::from_word(token);
                    self.end_attempt(
                        now,
                        waiting,
                        Outcome::Failed(Cause::DependencyTimeout),
                        true,
                        q,
                    );
                    next = self.deps.deps[dep as usize].next_after_expired(now);
                }
            }
        }
        if !ok {
            self.deps.deps[dep as usize].caller_gave_up();
        }
        // An attempt whose cell died during the call fails as the cell's (`cell_down`).
        let dead = self.cell_died_under(att);
        if !ok || dead {
            let cause = if dead {
                Cause::CellDown
            } else {
                Cause::DependencyTimeout
            };
            self.end_attempt(now, att, Outcome::Failed(cause), true, q);
            return;
        }
        if let Some(a) = self.attempts.get_mut(att) {
            a.calls_done = a.calls_done.saturating_add(1);
            self.next_call(now, att, q);
        }
    }
}

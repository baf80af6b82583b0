//! The reconciler: a periodic loop that compares each tenant's desired state with the state
//! the control plane observes and drives the lifecycle towards it.
//!
//! ```text
//!  ReconcileDue every `interval` (control plane up):
//!    desired active, observed provision_failed, its backoff over, < concurrency under way
//!      ─▶ provision_failed → provision_pending (retry) ─▶ placement ─▶ the cell creates it
//!         ─▶ active: action `reconcile` outcome `rescued`
//!         ─▶ provision_failed again (no eligible cell, or its cell was down when it should
//!            have created the tenant): outcome `failed`, backoff doubled (up to the cap)
//! ```
//!
//! **Desired state.** Every tenant asked to be provisioned is desired `active`; this loop
//! rescues failed provisioning. An operator's `suspend` or `destroy` makes the tenant
//! desired `suspended` or `destroyed`: the loop retries a `suspension_failed` or
//! `destroy_failed` tenant with the same concurrency and backoff (`lifecycle_ops.rs`).
//! With `watch_serving` it also judges every serving tenant each tick: the RECONCILE
//! sub-states (`reconcile_states.rs`); with `repair` it retries the failed ones and
//! re-places those whose cell is dead (`reconcile_repair.rs`).
//!
//! **Backoff.** A tenant's first failed provisioning waits `backoff` before its retry; each
//! further failure doubles the wait, up to `max_backoff`. A rescue in progress counts against
//! `concurrency` until it settles.
//!
//! **Cost.** With the reconciler off ([`Reconciler`] absent) no event is scheduled. It draws
//! no random number of its own: a retried provisioning goes through the same placement and
//! creation as a first one.

use super::actions::Action;
use super::{Ev, Platform};
use crate::component::lifecycle::{Cause as LCause, TenantState};
use crate::scenario::control_plane::Reconcile;
use sim::{EventQueue, SimTime};

/// Runtime state of the reconciler (present only when the scenario turns it on).
pub struct Reconciler {
    pub(super) cfg: Reconcile,
    /// The RECONCILE sub-states of serving tenants (`None` without `watch_serving`).
    pub(super) serving: Option<Box<super::reconcile_states::ServingWatch>>,
    /// Repairs of serving tenants (`None` without `repair`; `reconcile_repair.rs`).
    pub(super) repair: Option<Box<super::reconcile_repair::Repairs>>,
    /// Failed provisionings of each tenant since its last success.
    failures: Vec<u32>,
    /// Earliest retry of each tenant.
    next_try: Vec<SimTime>,
    /// When the rescue under way of each tenant started (`None`: none).
    rescuing: Vec<Option<SimTime>>,
    in_flight: u32,
}

impl Reconciler {
    /// The reconciler of a run with `tenants` tenants, or `None` when it is off.
    pub(super) fn build(cfg: Option<&Reconcile>, seed: u64, tenants: usize) -> Option<Box<Self>> {
        let cfg = cfg?.clone();
        Some(Box::new(Reconciler {
            repair: cfg
                .repair
                .then(|| Box::new(super::reconcile_repair::Repairs::new(seed, tenants))),
            serving: cfg
                .watch_serving
                .then(|| Box::new(super::reconcile_states::ServingWatch::new(tenants))),
            cfg,
            failures: vec![0; tenants],
            next_try: vec![SimTime::ZERO; tenants],
            rescuing: vec![None; tenants],
            in_flight: 0,
        }))
    }

    /// The first tick.
    pub(super) fn first_tick(&self) -> SimTime {
        SimTime(self.cfg.interval.as_nanos())
    }

    /// Starts a retry of `t` if a slot is free and its backoff is over: `None` when no slot
    /// is free (stop looking), `Some(false)` when `t` must wait, `Some(true)` when started.
    pub(super) fn try_start(&mut self, now: SimTime, t: u32) -> Option<bool> {
        if self.in_flight >= self.cfg.concurrency {
            return None;
        }
        if self.rescuing[t as usize].is_some() || self.next_try[t as usize] > now {
            return Some(false);
        }
        self.rescuing[t as usize] = Some(now);
        self.in_flight += 1;
        Some(true)
    }

    /// An operation on `t` settled (`ok`) or failed: its backoff, and the start of the
    /// retry it ends, if it was one.
    pub(super) fn settle(&mut self, now: SimTime, t: u32, ok: bool) -> Option<SimTime> {
        let started = self.rescuing[t as usize].take();
        if started.is_some() {
            self.in_flight -= 1;
        }
        if ok {
            self.failures[t as usize] = 0;
        } else {
            let f = self.failures[t as usize].saturating_add(1);
            self.failures[t as usize] = f;
            let wait = self
                .cfg
                .backoff
                .saturating_mul(1u64 << (f - 1).min(32))
                .min(self.cfg.max_backoff);
            self.next_try[t as usize] = now.after(wait);
        }
        started
    }
}

impl Platform {
    /// The reconciler's tick: start retries of failed provisionings.
    pub(super) fn on_reconcile_due(&mut self, now: SimTime, q: &mut EventQueue<Ev>) {
        let Some(r) = self.ctl.recon.as_deref() else {
            return;
        };
        let next = now.after(r.cfg.interval);
        // The reconciler is part of the control plane: it does nothing while that is down.
        if self.ctl.up {
            let n = self.ctl.route.len() as u32;
            for t in 0..n {
                if self.ctl.state(t) != Some(TenantState::ProvisionFailed) {
                    continue;
                }
                let Some(r) = self.ctl.recon.as_deref_mut() else {
                    return;
                };
                match r.try_start(now, t) {
                    None => break,
                    Some(false) => continue,
                    Some(true) => {}
                }
                self.transition(now, t, TenantState::ProvisionPending, LCause::Retry);
                self.run_cp_op(now, super::control::CpOp::Provision(t), q);
            }
            self.reconcile_lifecycle_ops(now, q);
            self.reconcile_serving(now, q);
        }
        if next <= self.end {
            q.schedule_at(next, Ev::ReconcileDue);
        }
    }

    /// A provisioning of `t` settled (`ok`: the tenant is active): backoff bookkeeping, and
    /// the action of a rescue.
    pub(super) fn reconcile_settled(&mut self, now: SimTime, t: u32, ok: bool) {
        self.reconcile_settled_because(now, t, ok, "");
    }

    /// [`Platform::reconcile_settled`] with the cause of a failure (`""`: none named), which
    /// the action's reason ends with.
    pub(super) fn reconcile_settled_because(
        &mut self,
        now: SimTime,
        t: u32,
        ok: bool,
        cause: &str,
    ) {
        let Some(r) = self.ctl.recon.as_deref_mut() else {
            return;
        };
        if let Some(start) = r.settle(now, t, ok) {
            self.record_action(Action {
                start,
                end: now,
                kind: "reconcile",
                tenant: Some(t),
                cell: Some(self.ctl.route[t as usize]),
                to: None,
                reason: if cause.is_empty() {
                    "desired active, observed provision_failed".to_string()
                } else {
                    format!("desired active, observed provision_failed; {cause}")
                },
                outcome: if ok { "rescued" } else { "failed" },
            });
        }
    }
}

#[cfg(test)]
mod tests {
    //! Goal: the reconciler's slots on their own: at most `concurrency` operations under
    //! way, a settled one frees its slot, a failure waits its backoff (doubled per further
    //! failure, capped) and a success resets it. Method: a reconciler built from plain
    //! settings (no scenario), driven by hand at chosen times.

    use super::*;
    use sim::SimDuration;

    const S: u64 = 1_000_000_000;

    fn reconciler(concurrency: u32) -> Box<Reconciler> {
        let cfg = Reconcile {
            interval: SimDuration(10 * S),
            concurrency,
            backoff: SimDuration(5 * S),
            max_backoff: SimDuration(12 * S),
            watch_serving: false,
            repair: false,
        };
        Reconciler::build(Some(&cfg), 1, 4).expect("on")
    }

    #[test]
    fn at_most_concurrency_operations_are_under_way_and_settling_frees_a_slot() {
        let mut r = reconciler(2);
        let now = SimTime(S);
        assert_eq!(r.try_start(now, 0), Some(true));
        assert_eq!(r.try_start(now, 0), Some(false), "already under way");
        assert_eq!(r.try_start(now, 1), Some(true));
        assert_eq!(r.try_start(now, 2), None, "no slot free: stop looking");
        assert_eq!(r.settle(SimTime(3 * S), 1, true), Some(now));
        assert_eq!(r.try_start(SimTime(3 * S), 2), Some(true));
        assert_eq!(r.settle(SimTime(3 * S), 3, true), None, "not a retry");
    }

    #[test]
    fn a_failure_waits_its_backoff_doubled_and_capped_and_a_success_resets_it() {
        let mut r = reconciler(4);
        // First failure: 5 s; second: 10 s; third: 20 s capped at 12 s.
        let mut at = SimTime::ZERO;
        for wait in [5, 10, 12] {
            r.settle(at, 0, false);
            let ready = at.after(SimDuration(wait * S));
            assert_eq!(r.try_start(SimTime(ready.as_nanos() - 1), 0), Some(false));
            assert_eq!(r.try_start(ready, 0), Some(true), "after {wait} s");
            at = ready;
        }
        r.settle(at, 0, true);
        r.settle(at, 0, false);
        assert_eq!(
            r.try_start(at.after(SimDuration(5 * S)), 0),
            Some(true),
            "a success resets the backoff to its first step"
        );
    }
}

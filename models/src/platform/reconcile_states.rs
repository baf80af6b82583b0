//! The RECONCILE sub-states of serving tenants: with `[control_plane.reconcile]
//! watch_serving = true`, each reconciler tick judges every `active` and `dormant` tenant and
//! records whether its reconcile succeeded.
//!
//! ```text
//!  ReconcileDue (control plane up), per active|dormant tenant, first reason that applies:
//!    its cell is declared dead                       ─▶ …_reconcile_failed "cell N dead"
//!    its KMS key is disabled                         ─▶ …_reconcile_failed "KMS key disabled"
//!    the edge cannot hear the control plane          ─▶ …_reconcile_failed "edge unreachable"
//!    (its route and config cannot be pushed: an edge|control_plane partition)
//!    otherwise                                       ─▶ …_reconcile_success
//! ```
//!
//! A change of sub-state is counted (summary.json `control.transitions`, e.g.
//! `active_reconcile_success->active_reconcile_failed`, checked by the lifecycle
//! invariant); entering a failed sub-state is an action `reconcile` outcome `failed` with its
//! reason, and leaving it an action `reconcile` outcome `recovered` whose duration is the time
//! spent failed. The first judgement of a tenant is its initial sub-state, not a change.
//! Without `repair` the loop observes: it repairs nothing by itself (evacuation moves
//! tenants off a dead cell; the operator re-enables a key). With `repair = true` a failed
//! tenant stays failed until a repair attempt of `reconcile_repair.rs` succeeds.
//!
//! **Cost.** O(tenants) per tick, off the request path, only with `watch_serving`; without
//! `repair` it draws nothing and schedules nothing.

use super::actions::Action;
use super::{Ev, Platform};
use crate::component::lifecycle::Reconciled;
use crate::component::link::Call;
use sim::{EventQueue, SimTime};

/// No sub-state yet.
const NONE: u8 = u8::MAX;

/// The sub-states and their change counts.
pub struct ServingWatch {
    /// Per tenant: [`Reconciled::index`], or [`NONE`].
    sub: Vec<u8>,
    /// Per tenant: since when its reconcile fails.
    failing_since: Vec<SimTime>,
    /// Changes per (from, to).
    counts: [[u64; 4]; 4],
}

impl ServingWatch {
    /// No tenant judged yet.
    pub(super) fn new(tenants: usize) -> Self {
        ServingWatch {
            sub: vec![NONE; tenants],
            failing_since: vec![SimTime::ZERO; tenants],
            counts: [[0; 4]; 4],
        }
    }

    /// The non-zero change counts as (from, to, n), in declaration order.
    pub fn changes(&self) -> Vec<(Reconciled, Reconciled, u64)> {
        let mut v = Vec::new();
        for a in Reconciled::ALL {
            for b in Reconciled::ALL {
                let n = self.counts[a.index()][b.index()];
                if n > 0 {
                    v.push((a, b, n));
                }
            }
        }
        v
    }

    /// The current sub-state of `t`.
    pub fn of(&self, t: u32) -> Option<Reconciled> {
        Reconciled::ALL.get(self.sub[t as usize] as usize).copied()
    }
}

impl Platform {
    /// Why the reconcile of serving tenant `t` fails now (`None`: it succeeds): the first
    /// of its cell declared dead, its KMS key disabled, the edge cut off from the control
    /// plane.
    pub(super) fn reconcile_cause(&self, t: u32, edge_ok: bool) -> Option<String> {
        let cell = self.ctl.route[t as usize];
        if self.ctl.dead[cell as usize] {
            Some(format!("cell {cell} dead"))
        } else if !self.kms.enabled[t as usize] {
            Some("KMS key disabled".to_string())
        } else if !edge_ok {
            Some("edge unreachable from the control plane".to_string())
        } else {
            None
        }
    }

    /// Judges every serving tenant (the reconciler's tick, control plane up). With
    /// `repair`, a failed tenant stays failed until a repair attempt succeeds
    /// (`reconcile_repair.rs`), and each failed tenant is offered one.
    pub(super) fn reconcile_serving(&mut self, now: SimTime, q: &mut EventQueue<Ev>) {
        let Some(r) = self.ctl.recon.as_deref() else {
            return;
        };
        if r.serving.is_none() {
            return;
        }
        let repair = r.cfg.repair;
        let edge_ok = self.ctl.edge_call() == Call::Reach;
        for t in 0..self.ctl.route.len() as u32 {
            let Some(state) = self.ctl.state(t) else {
                continue;
            };
            let reason = self.reconcile_cause(t, edge_ok);
            let held = repair
                && self
                    .ctl
                    .recon
                    .as_deref()
                    .and_then(|r| r.serving.as_deref())
                    .and_then(|w| w.of(t))
                    .is_some_and(|b| !b.ok());
            let Some(now_sub) = Reconciled::of(state, reason.is_none() && !held) else {
                continue;
            };
            let reason = reason.unwrap_or_else(|| "failed before; awaiting repair".to_string());
            self.set_substate(now, t, now_sub, reason, "recovered");
            if repair && !now_sub.ok() {
                self.repair_try(now, t, q);
            }
        }
    }

    /// Sets the sub-state of `t` to `now_sub`: counted when it changes; entering a failed
    /// sub-state is an action `reconcile` `failed` with `reason`, leaving it an action with
    /// outcome `ok_outcome` (`recovered`, `repaired`) spanning the time spent failed.
    pub(super) fn set_substate(
        &mut self,
        now: SimTime,
        t: u32,
        now_sub: Reconciled,
        reason: String,
        ok_outcome: &'static str,
    ) {
        let cell = self.ctl.route[t as usize];
        let Some(w) = self
            .ctl
            .recon
            .as_deref_mut()
            .and_then(|r| r.serving.as_deref_mut())
        else {
            return;
        };
        let before = w.of(t);
        w.sub[t as usize] = now_sub.index() as u8;
        let Some(before) = before else {
            if !now_sub.ok() {
                w.failing_since[t as usize] = now;
            }
            return;
        };
        if before == now_sub {
            return;
        }
        w.counts[before.index()][now_sub.index()] += 1;
        let action = match (before.ok(), now_sub.ok()) {
            (true, false) => {
                w.failing_since[t as usize] = now;
                Some((now, "failed", reason))
            }
            (false, true) => Some((
                w.failing_since[t as usize],
                ok_outcome,
                if ok_outcome == "recovered" {
                    format!("{} → {}", before.name(), now_sub.name())
                } else {
                    format!("{} → {}: {reason}", before.name(), now_sub.name())
                },
            )),
            _ => None, // active ↔ dormant with the same verdict
        };
        if let Some((start, outcome, reason)) = action {
            self.record_action(Action {
                start,
                end: now,
                kind: "reconcile",
                tenant: Some(t),
                cell: Some(cell),
                to: None,
                reason,
                outcome,
            });
        }
    }

    /// The sub-state changes so far (empty without `watch_serving`).
    pub fn reconcile_substate_changes(&self) -> Vec<(Reconciled, Reconciled, u64)> {
        self.ctl
            .recon
            .as_deref()
            .and_then(|r| r.serving.as_deref())
            .map_or_else(Vec::new, ServingWatch::changes)
    }
}

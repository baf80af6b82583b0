//! The operator's lifecycle operations on a tenant — `suspend`, `resume`, `destroy`,
//! `restore`, written as faults on the timeline — carried out by the control plane through
//! the tenant state machine (`component/lifecycle.rs`), each recorded as an action.
//!
//! ```text
//!  suspend  active|dormant ─▶ suspension_pending ─(control-plane call)─▶
//!             its cell down ─▶ suspension_failed (still served; the reconciler retries)
//!             otherwise     ─▶ suspended: urgent config push; once the edge has it, the
//!                              tenant's requests get `tenant_suspended`
//!  resume   suspended ─▶ active (reinstate) | suspension_failed ─▶ active (rollback):
//!             urgent config push, served again
//!  destroy  active|dormant|suspended|provision_failed ─▶ destroy_pending at once (requests
//!             get `tenant_not_active`) ─(call)─▶ its cell down ─▶ destroy_failed; otherwise
//!             the live copy is dropped (the cell's capacity is freed; from the request
//!             on, its async jobs are cancelled: `jobs_stopped.rs`) and the backup is
//!             kept `retention` ─▶ TenantPurgeDue: the KMS must delete the tenant's data key
//!             (crypto-shredding): KMS down ─▶ destroy_failed; otherwise ─▶ destroyed
//!  restore  destroy_pending (backup still kept) ─▶ provision_pending ─(call)─▶ placement
//!             (the policy, like a new tenant, within its cohort's cells) ─▶ provision_time + data_size / restore_rate,
//!             the destination DB loading `restore_rate × backfill_db_time` of its cores when
//!             `[control_plane.migration]` is set (that DB work metered to the tenant:
//!             showback charges it) ─▶ TenantRestored: its cell down ─▶
//!             provision_failed (the reconciler rescues it); otherwise ─▶ active, cold for
//!             the evacuation's `warmup` when evacuation is on, its edge route refetched
//!           destroyed ─▶ action `restore` outcome `too_late` (the backup is gone)
//! ```
//!
//! An operation the tenant's state does not allow (resuming an active tenant, destroying
//! one being provisioned) changes nothing and is an action with outcome `skipped` and the
//! state as its reason. The operator's wish is the tenant's *desired* state (suspended,
//! active, destroyed); with `[control_plane.reconcile]` the reconciler retries
//! `suspension_failed` and `destroy_failed` tenants whose desired state is still the one that
//! failed, with its concurrency and backoff (action `reconcile`, outcome `rescued` or
//! `failed`).
//!
//! **Cost.** Nothing is allocated, scheduled or drawn unless an operation is on the
//! timeline: the per-tenant records are made at the first one. Restores draw their
//! provisioning time from the control plane's stream, as a provisioning does; that stream is
//! only drawn in runs that restore.

use super::actions::Action;
use super::control::CpOp;
use super::{Ev, Platform};
use crate::component::lifecycle::{Cause as LCause, TenantState};
use crate::fault::LifecycleOp;
use sim::{EventQueue, SimDuration, SimTime};

/// What the operator last asked a tenant to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Desired {
    /// Nothing asked (or resumed / restored): serving.
    Active,
    /// Suspended.
    Suspended,
    /// Destroyed.
    Destroyed,
}

/// Runtime state of the lifecycle operations (made at the first one).
pub struct LifecycleOpsRt {
    desired: Vec<Desired>,
    /// Per tenant: the operation under way and when the operator asked for it.
    under_way: Vec<Option<(LifecycleOp, SimTime)>>,
    /// Per tenant: its live copy was dropped by a destroy, and its backup is kept until then.
    retained_until: Vec<Option<SimTime>>,
    /// Per tenant: DB cores its restore takes on its destination (0: none).
    restore_load: Vec<f64>,
    /// Operations done, per kind and outcome, for tests and the summary's actions.
    pub done: u64,
    /// Per tenant: async jobs cancelled by its destroy (`jobs_stopped.rs`).
    pub(super) jobs_cancelled: Vec<u32>,
}

impl LifecycleOpsRt {
    fn new(tenants: usize) -> Self {
        LifecycleOpsRt {
            desired: vec![Desired::Active; tenants],
            under_way: vec![None; tenants],
            retained_until: vec![None; tenants],
            restore_load: vec![0.0; tenants],
            done: 0,
            jobs_cancelled: vec![0; tenants],
        }
    }
}

impl Platform {
    fn ops_rt(&mut self) -> &mut LifecycleOpsRt {
        let n = self.ctl.route.len();
        self.ctl
            .ops
            .get_or_insert_with(|| Box::new(LifecycleOpsRt::new(n)))
    }

    /// Records the end of an operation on `t` as an action.
    fn op_action(
        &mut self,
        now: SimTime,
        t: u32,
        op: LifecycleOp,
        outcome: &'static str,
        reason: String,
    ) {
        let rt = self.ops_rt();
        let start = rt.under_way[t as usize]
            .take()
            .filter(|(o, _)| *o == op)
            .map_or(now, |(_, s)| s);
        rt.done += 1;
        self.record_action(Action {
            start,
            end: now,
            kind: op.name(),
            tenant: Some(t),
            cell: Some(self.ctl.route[t as usize]),
            to: None,
            reason,
            outcome,
        });
    }

    /// The operator asks for `op` on `t` (a fault starting): the pending state now, the
    /// control-plane call (or the backlog while it is down).
    pub(super) fn lifecycle_op_requested(
        &mut self,
        now: SimTime,
        t: u32,
        op: LifecycleOp,
        fault: u32,
        q: &mut EventQueue<Ev>,
    ) {
        use TenantState as S;
        let state = self.ctl.state(t);
        let ok = match (op, state) {
            (LifecycleOp::Suspend, Some(S::Active | S::Dormant)) => {
                self.transition(now, t, S::SuspensionPending, LCause::Operator);
                true
            }
            (LifecycleOp::Resume, Some(S::Suspended | S::SuspensionFailed)) => true,
            (LifecycleOp::Destroy, Some(S::Active | S::Dormant | S::Suspended)) => {
                self.transition(now, t, S::DestroyPending, LCause::Operator);
                true
            }
            (LifecycleOp::Destroy, Some(S::ProvisionFailed)) => {
                // Never created: no live copy to drop, no backup to keep.
                self.transition(now, t, S::DestroyPending, LCause::Operator);
                self.ops_rt().retained_until[t as usize] = Some(now);
                true
            }
            (LifecycleOp::Restore, Some(S::DestroyPending)) => {
                // The destroy ends here: its backup is restored instead of purged.
                let reason = "restored before the retention ended".to_string();
                self.op_action(now, t, LifecycleOp::Destroy, "cancelled", reason);
                if self.ops_rt().retained_until[t as usize].take().is_none() {
                    // Its destroy had not reached the cell: the restore re-places it anyway.
                    self.release_cell_view(t, self.ctl.route[t as usize]);
                }
                self.transition(now, t, S::ProvisionPending, LCause::Operator);
                true
            }
            _ => false,
        };
        let rt = self.ops_rt();
        if !ok {
            rt.under_way[t as usize] = Some((op, now));
            let (outcome, reason) = match (op, state) {
                (LifecycleOp::Restore, Some(S::Destroyed)) => (
                    "too_late",
                    "destroyed: its backup was purged at the end of the retention".to_string(),
                ),
                (_, s) => (
                    "skipped",
                    format!(
                        "tenant is {} (fault #{fault})",
                        s.map_or("not provisioned", |s| s.name())
                    ),
                ),
            };
            self.op_action(now, t, op, outcome, reason);
            return;
        }
        rt.under_way[t as usize] = Some((op, now));
        rt.desired[t as usize] = match op {
            LifecycleOp::Suspend => Desired::Suspended,
            LifecycleOp::Destroy => Desired::Destroyed,
            LifecycleOp::Resume | LifecycleOp::Restore => Desired::Active,
        };
        self.run_cp_op(now, CpOp::Lifecycle(t, op), q);
    }

    /// The control plane carries out `op` on `t` (its call completed, the control plane up).
    pub(super) fn lifecycle_op_done(
        &mut self,
        now: SimTime,
        t: u32,
        op: LifecycleOp,
        q: &mut EventQueue<Ev>,
    ) {
        use TenantState as S;
        let state = self.ctl.state(t);
        let cell = self.ctl.route[t as usize];
        let cell_down = self.ctl.down[cell as usize];
        match (op, state) {
            (LifecycleOp::Suspend, Some(S::SuspensionPending)) => {
                if cell_down {
                    self.transition(now, t, S::SuspensionFailed, LCause::CellFailed);
                    let reason = format!("cell {cell} down: it cannot stop the tenant");
                    self.lifecycle_settled(now, t, false, &reason);
                    self.op_action(now, t, op, "failed", reason);
                    return;
                }
                self.transition(now, t, S::Suspended, LCause::Completed);
                self.ctl.configs.limits_mut(t).2 = true;
                self.publish_config(now, t, true, q);
                self.lifecycle_settled(now, t, true, "");
                self.op_action(now, t, op, "suspended", "operator".to_string());
            }
            (LifecycleOp::Resume, Some(s @ (S::Suspended | S::SuspensionFailed))) => {
                let cause = if s == S::Suspended {
                    LCause::Operator
                } else {
                    LCause::Rollback
                };
                self.transition(now, t, S::Active, cause);
                self.ctl.configs.limits_mut(t).2 = false;
                self.publish_config(now, t, true, q);
                self.op_action(now, t, op, "resumed", format!("operator ({})", s.name()));
            }
            (LifecycleOp::Destroy, Some(S::DestroyPending)) => {
                let retained = self.ops_rt().retained_until[t as usize];
                if retained.is_none() {
                    if cell_down {
                        self.transition(now, t, S::DestroyFailed, LCause::CellFailed);
                        let reason = format!("cell {cell} down: it cannot drop the tenant");
                        self.lifecycle_settled(now, t, false, &reason);
                        self.op_action(now, t, op, "failed", reason);
                        return;
                    }
                    self.release_cell_view(t, cell);
                }
                let until = retained.unwrap_or(now.after(self.ctl.lifecycle_cfg.retention));
                self.ops_rt().retained_until[t as usize] = Some(until);
                q.schedule_at(until.max(now), Ev::TenantPurgeDue { tenant: t });
            }
            (LifecycleOp::Restore, Some(S::ProvisionPending)) => self.restore_place(now, t, q),
            // The tenant moved on while the call was under way (e.g. resumed, restored).
            _ => {}
        }
    }

    /// The placement no longer counts `t` on `cell` (its live copy is gone).
    pub(super) fn release_cell_view(&mut self, t: u32, cell: u32) {
        let info = self.ctl.tenant_info[t as usize];
        let v = &mut self.ctl.cell_views[cell as usize];
        v.tenants = v.tenants.saturating_sub(1);
        v.spiky_tenants = v.spiky_tenants.saturating_sub(u32::from(info.spiky));
        v.predicted_load = (v.predicted_load - info.predicted_load).max(0.0);
    }

    /// A destroyed tenant's retention is over: purge its backup and data key.
    pub(super) fn on_tenant_purge_due(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        let _ = q;
        let due = self
            .ctl
            .ops
            .as_deref()
            .and_then(|rt| rt.retained_until[t as usize]);
        if self.ctl.state(t) != Some(TenantState::DestroyPending) || due.is_none_or(|d| d > now) {
            return; // restored meanwhile, or a later purge is due
        }
        if !self.kms.up {
            self.transition(now, t, TenantState::DestroyFailed, LCause::Failed);
            let reason = "KMS down: the data key cannot be deleted".to_string();
            self.lifecycle_settled(now, t, false, &reason);
            self.op_action(now, t, LifecycleOp::Destroy, "failed", reason);
            return;
        }
        self.transition(now, t, TenantState::Destroyed, LCause::Completed);
        self.data_size[t as usize] = 0.0;
        self.lifecycle_settled(now, t, true, "");
        let cancelled = self.ops_rt().jobs_cancelled[t as usize];
        let reason = if cancelled == 0 {
            "operator".to_string()
        } else {
            format!("operator; {cancelled} async jobs cancelled")
        };
        self.op_action(now, t, LifecycleOp::Destroy, "destroyed", reason);
    }

    /// A restore's call completed: place the tenant and start copying its backup.
    fn restore_place(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        for (c, v) in self.ctl.cell_views.iter_mut().enumerate() {
            v.live = !self.ctl.dead[c];
        }
        self.ctl.allowed.mask(t, &mut self.ctl.cell_views);
        let info = self.ctl.tenant_info[t as usize];
        let Some(cell) = self
            .ctl
            .placement
            .place(&info, &self.ctl.cell_views, &mut self.ctl.rng)
        else {
            self.ctl.counts.provision_failed += 1;
            self.transition(now, t, TenantState::ProvisionFailed, LCause::Failed);
            self.reconcile_settled(now, t, false);
            self.op_action(
                now,
                t,
                LifecycleOp::Restore,
                "failed",
                "no eligible cell".to_string(),
            );
            return;
        };
        let v = &mut self.ctl.cell_views[cell as usize];
        v.tenants += 1;
        v.predicted_load += info.predicted_load;
        v.spiky_tenants += u32::from(info.spiky);
        self.ctl.route[t as usize] = cell;
        self.tenant_cell[t as usize] = cell;
        let rate = self.ctl.lifecycle_cfg.restore_rate;
        let copy = SimDuration::from_secs_f64(self.data_size[t as usize] / rate);
        let create = SimDuration::from_nanos_f64(self.ctl.provision_time.sample(&mut self.ctl.rng));
        let load = self.ctl.moves.restore_load_start(cell, rate);
        self.ops_rt().restore_load[t as usize] = load;
        if load > 0.0 {
            self.recompute_cell(now, cell, q);
        }
        q.schedule_in(
            create.saturating_add(copy),
            Ev::TenantRestored { tenant: t },
        );
    }

    /// Ends the DB load of `t`'s restore, if any.
    fn restore_release(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        let Some(rt) = self.ctl.ops.as_deref_mut() else {
            return;
        };
        let load = std::mem::take(&mut rt.restore_load[t as usize]);
        if load > 0.0 {
            let cell = self.ctl.route[t as usize];
            self.ctl.moves.restore_load_end(cell, load);
            self.recompute_cell(now, cell, q);
            self.charge_restore(t, load);
        }
    }

    /// The DB work of copying `t`'s backup into its new cell (`load` cores for
    /// data_size / restore_rate) is the tenant's: metered like its queries, so showback
    /// charges the re-provisioning.
    pub(super) fn charge_restore(&mut self, t: u32, load: f64) {
        let secs = self.data_size[t as usize] / self.ctl.lifecycle_cfg.restore_rate;
        self.recorder.meter(t, 0, (load * secs * 1e9) as u64, 0);
    }

    /// The backup of `t` is copied into its new cell: the tenant is active again.
    pub(super) fn on_tenant_restored(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        if !self.ctl.up {
            q.schedule_in(self.ctl.call_timeout, Ev::TenantRestored { tenant: t });
            return;
        }
        self.restore_release(now, t, q);
        if self.ctl.state(t) != Some(TenantState::ProvisionPending) {
            return;
        }
        let cell = self.ctl.route[t as usize];
        if self.ctl.down[cell as usize] {
            self.release_cell_view(t, cell);
            self.ctl.counts.provision_failed += 1;
            self.transition(now, t, TenantState::ProvisionFailed, LCause::CellFailed);
            self.reconcile_settled(now, t, false);
            let reason = format!("cell {cell} died during the restore");
            self.op_action(now, t, LifecycleOp::Restore, "failed", reason);
            return;
        }
        self.ctl.route_version[t as usize] += 1;
        self.transition(now, t, TenantState::Active, LCause::Completed);
        if let Some(ev) = self.ctl.evac.as_deref_mut() {
            ev.cold_until[t as usize] = now.after(ev.cfg_warmup());
        }
        self.invalidate_route(now, t);
        let secs = self.data_size[t as usize] / self.ctl.lifecycle_cfg.restore_rate;
        self.op_action(
            now,
            t,
            LifecycleOp::Restore,
            "restored",
            format!("operator; {secs:.1} s of backup copied to cell {cell}"),
        );
    }

    /// A suspension or destroy of `t` settled (`ok`) or failed: the reconciler's backoff,
    /// and the action of its retry if it was one.
    fn lifecycle_settled(&mut self, now: SimTime, t: u32, ok: bool, reason: &str) {
        let desired = self
            .ctl
            .ops
            .as_deref()
            .map_or(Desired::Active, |rt| rt.desired[t as usize]);
        let Some(r) = self.ctl.recon.as_deref_mut() else {
            return;
        };
        let Some(start) = r.settle(now, t, ok) else {
            return;
        };
        let wanted = match desired {
            Desired::Suspended => "desired suspended, observed suspension_failed",
            Desired::Destroyed => "desired destroyed, observed destroy_failed",
            Desired::Active => "desired active",
        };
        self.record_action(Action {
            start,
            end: now,
            kind: "reconcile",
            tenant: Some(t),
            cell: Some(self.ctl.route[t as usize]),
            to: None,
            reason: if ok {
                wanted.to_string()
            } else {
                format!("{wanted}; {reason}")
            },
            outcome: if ok { "rescued" } else { "failed" },
        });
    }

    /// The reconciler's tick for lifecycle operations: retry failed suspensions and
    /// destructions whose desired state is still the one that failed.
    pub(super) fn reconcile_lifecycle_ops(&mut self, now: SimTime, q: &mut EventQueue<Ev>) {
        if self.ctl.ops.is_none() {
            return;
        }
        for t in 0..self.ctl.route.len() as u32 {
            let desired = self
                .ctl
                .ops
                .as_deref()
                .map_or(Desired::Active, |rt| rt.desired[t as usize]);
            let (to, op) = match (self.ctl.state(t), desired) {
                (Some(TenantState::SuspensionFailed), Desired::Suspended) => {
                    (TenantState::SuspensionPending, LifecycleOp::Suspend)
                }
                (Some(TenantState::DestroyFailed), Desired::Destroyed) => {
                    (TenantState::DestroyPending, LifecycleOp::Destroy)
                }
                _ => continue,
            };
            let Some(r) = self.ctl.recon.as_deref_mut() else {
                return;
            };
            match r.try_start(now, t) {
                None => break,
                Some(false) => continue,
                Some(true) => {}
            }
            self.transition(now, t, to, LCause::Retry);
            self.ops_rt().under_way[t as usize] = Some((op, now));
            self.run_cp_op(now, CpOp::Lifecycle(t, op), q);
        }
    }
}

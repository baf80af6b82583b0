//! Repairing RECONCILE_FAILED tenants: with `[control_plane.reconcile] repair = true`, a
//! serving tenant whose reconcile failed is retried with the reconciler's backoff until it is
//! `…_reconcile_success` again, and re-placed when its cell is dead.
//!
//! ```text
//!  ReconcileDue (control plane up), per active|dormant tenant judged `…_reconcile_failed`
//!  (it stays failed until a repair succeeds), its backoff over, < concurrency under way:
//!    repair call (control-plane latency) ─▶ the cause judged again:
//!      gone        ─▶ route and config pushed to the edge again (whatever it missed while
//!                     cut off) ─▶ `…_reconcile_success`: action `reconcile` `repaired`
//!                     (its span: the time spent failed)
//!      cell dead, evacuation on  ─▶ the evacuation's: queued with it when its grace is over
//!                     and it is neither queued nor moving (action `evacuating`); it stays
//!                     failed, and a later repair finds the cause gone
//!      cell dead, evacuation off ─▶ re-placed: placement (policy, live cells, residency,
//!                     cohort cells) ─▶ none: action `no_capacity`, backoff
//!                                  ─▶ cell B: restored from backup there, provision_time +
//!                     data_size / restore_rate (B's DB loaded like a restore's when
//!                     `[control_plane.migration]` is set, that DB time charged to the
//!                     tenant) ─▶ ReconcileReplaced: route → B (pushed to the edge), action
//!                     `reconcile` `re_placed`, `…_reconcile_success`
//!      otherwise (key disabled, edge cut) ─▶ action `reconcile` `failed`, backoff doubled
//! ```
//!
//! The sub-state changes are the same pairs as without repair (`control.transitions`,
//! checked by the lifecycle invariant). Repairs share the reconciler's concurrency and
//! backoff with the provisioning rescues.
//!
//! **Determinism and cost.** Off by default: without `repair` nothing here exists and
//! nothing is scheduled. On, the repair calls' latency, placements, provisioning times and
//! route pushes draw from the stream `control/reconcile` only, never from the control
//! plane's own stream (a call that waited in the backlog of a control-plane outage draws
//! its latency there, as every backlogged operation does).

use super::actions::Action;
use super::control::{CpOp, MigrationPhase};
use super::{Ev, Platform};
use crate::component::lifecycle::Reconciled;
use crate::component::link::Call;
use sim::{EventQueue, RngStream, SimDuration, SimTime};

/// A re-placement under way.
#[derive(Clone, Copy, Debug)]
struct Replacing {
    from: u32,
    to: u32,
    /// DB cores the restore takes on `to` (0 without move costs).
    load: f64,
}

/// Runtime state of repairs (present only with `repair = true`).
pub struct Repairs {
    /// `control/reconcile`.
    rng: RngStream,
    replacing: Vec<Option<Replacing>>,
    /// Tenants brought back to `…_reconcile_success` by a repair.
    pub repaired: u64,
    /// Tenants re-placed off a dead cell.
    pub re_placed: u64,
}

impl Repairs {
    /// No repair yet.
    pub(super) fn new(seed: u64, tenants: usize) -> Self {
        Repairs {
            rng: RngStream::new(seed, "control/reconcile", 0),
            replacing: vec![None; tenants],
            repaired: 0,
            re_placed: 0,
        }
    }
}

impl Platform {
    fn repairs(&mut self) -> Option<&mut Repairs> {
        self.ctl
            .recon
            .as_deref_mut()
            .and_then(|r| r.repair.as_deref_mut())
    }

    /// Starts a repair of failed tenant `t` if a slot is free and its backoff is over.
    pub(super) fn repair_try(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        let Some(r) = self.ctl.recon.as_deref_mut() else {
            return;
        };
        if r.repair
            .as_deref()
            .is_none_or(|rep| rep.replacing[t as usize].is_some())
        {
            return;
        }
        if r.try_start(now, t) != Some(true) {
            return;
        }
        let Some(rep) = r.repair.as_deref_mut() else {
            return;
        };
        let d = SimDuration::from_nanos_f64(self.ctl.latency.sample(&mut rep.rng));
        q.schedule_in(
            d,
            Ev::ControlOpDone {
                op: CpOp::Repair(t),
            },
        );
    }

    /// A repair call on `t` completed (control plane up): judge the cause again and act.
    pub(super) fn repair_done(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        let Some(state) = self.ctl.state(t).filter(|s| s.serves_traffic()) else {
            // Suspended or destroyed meanwhile: nothing left to repair.
            self.repair_settled(now, t, true);
            return;
        };
        let edge_ok = self.ctl.edge_call() == Call::Reach;
        let cell = self.ctl.route[t as usize];
        match self.reconcile_cause(t, edge_ok) {
            None => {
                let Some(rep) = self
                    .ctl
                    .recon
                    .as_deref_mut()
                    .and_then(|r| r.repair.as_deref_mut())
                else {
                    return;
                };
                rep.repaired += 1;
                let d = SimDuration::from_nanos_f64(self.ctl.push_delay.sample(&mut rep.rng));
                let version = self.ctl.configs.version(t);
                q.schedule_in(d, Ev::RoutePushed { tenant: t });
                q.schedule_in(d, Ev::ConfigPushed { tenant: t, version });
                self.repair_settled(now, t, true);
                if let Some(sub) = Reconciled::of(state, true) {
                    let why = "cause gone; route and config pushed to the edge again";
                    self.set_substate(now, t, sub, why.to_string(), "repaired");
                }
            }
            Some(reason) if self.ctl.dead[cell as usize] => {
                if self.ctl.evac.is_some() {
                    let queued = self.evac_requeue(now, t, cell, q);
                    let start = self.repair_settled(now, t, false);
                    if let (true, Some(start)) = (queued, start) {
                        self.repair_action(start, now, t, (None, reason), "evacuating");
                    }
                } else {
                    self.repair_replace(now, t, cell, reason, q);
                }
            }
            Some(reason) => {
                if let Some(start) = self.repair_settled(now, t, false) {
                    self.repair_action(start, now, t, (None, reason), "failed");
                }
            }
        }
    }

    /// Re-places `t` off dead `cell` (evacuation off): restored from backup elsewhere.
    fn repair_replace(
        &mut self,
        now: SimTime,
        t: u32,
        cell: u32,
        reason: String,
        q: &mut EventQueue<Ev>,
    ) {
        let moving = self.ctl.moves.is_moving(t)
            || matches!(
                self.ctl.migration[t as usize],
                Some(MigrationPhase::Migrating { .. } | MigrationPhase::CutOver { .. })
            );
        if moving {
            // A scripted move is under way: it decides where the tenant lives.
            self.repair_settled(now, t, false);
            return;
        }
        let ctl = &mut self.ctl;
        for (c, v) in ctl.cell_views.iter_mut().enumerate() {
            v.live = !ctl.dead[c];
        }
        ctl.allowed.mask(t, &mut ctl.cell_views);
        let info = ctl.tenant_info[t as usize];
        let Some(rep) = ctl
            .recon
            .as_deref_mut()
            .and_then(|r| r.repair.as_deref_mut())
        else {
            return;
        };
        let Some(to) = ctl.placement.place(&info, &ctl.cell_views, &mut rep.rng) else {
            if let Some(start) = self.repair_settled(now, t, false) {
                self.repair_action(start, now, t, (None, reason), "no_capacity");
            }
            return;
        };
        let create = SimDuration::from_nanos_f64(ctl.provision_time.sample(&mut rep.rng));
        // The tenant counts on its destination from now on, so that concurrent
        // re-placements spread (as a restore does).
        let v = &mut ctl.cell_views[to as usize];
        v.tenants += 1;
        v.predicted_load += info.predicted_load;
        v.spiky_tenants += u32::from(info.spiky);
        let rate = ctl.lifecycle_cfg.restore_rate;
        let copy = SimDuration::from_secs_f64(self.data_size[t as usize] / rate);
        let load = self.ctl.moves.restore_load_start(to, rate);
        if load > 0.0 {
            self.recompute_cell(now, to, q);
        }
        if let Some(rep) = self.repairs() {
            rep.replacing[t as usize] = Some(Replacing {
                from: cell,
                to,
                load,
            });
        }
        q.schedule_in(
            create.saturating_add(copy),
            Ev::ReconcileReplaced { tenant: t },
        );
    }

    /// A re-placement of `t` is done: the route moves to its new cell.
    pub(super) fn on_reconcile_replaced(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        if !self.ctl.up {
            q.schedule_in(self.ctl.call_timeout, Ev::ReconcileReplaced { tenant: t });
            return;
        }
        let Some(m) = self
            .repairs()
            .and_then(|rep| rep.replacing[t as usize].take())
        else {
            return;
        };
        if m.load > 0.0 {
            self.ctl.moves.restore_load_end(m.to, m.load);
            self.recompute_cell(now, m.to, q);
            self.charge_restore(t, m.load);
        }
        let serving = self.ctl.state(t).is_some_and(|s| s.serves_traffic());
        if !serving || self.ctl.route[t as usize] != m.from || self.ctl.down[m.to as usize] {
            self.release_cell_view(t, m.to);
            let ok = !serving || self.ctl.route[t as usize] != m.from;
            if let Some(start) = self.repair_settled(now, t, ok) {
                if !ok {
                    let why = format!("cell {} died during the re-placement", m.to);
                    self.repair_action(start, now, t, (Some(m.to), why), "failed");
                }
            }
            return;
        }
        self.release_cell_view(t, m.from);
        self.ctl.route[t as usize] = m.to;
        self.ctl.route_version[t as usize] += 1;
        self.tenant_cell[t as usize] = m.to;
        let Some(rep) = self
            .ctl
            .recon
            .as_deref_mut()
            .and_then(|r| r.repair.as_deref_mut())
        else {
            return;
        };
        rep.re_placed += 1;
        let d = SimDuration::from_nanos_f64(self.ctl.push_delay.sample(&mut rep.rng));
        q.schedule_in(d, Ev::RoutePushed { tenant: t });
        let secs = self.data_size[t as usize] / self.ctl.lifecycle_cfg.restore_rate;
        if let Some(start) = self.repair_settled(now, t, true) {
            let why = format!(
                "cell {} dead: restored from backup on cell {} ({secs:.1} s of data copied)",
                m.from, m.to
            );
            self.repair_action_from(start, now, t, m.from, (Some(m.to), why), "re_placed");
        }
        if let Some(sub) = self.ctl.state(t).and_then(|s| Reconciled::of(s, true)) {
            let why = format!("re-placed on cell {}", m.to);
            self.set_substate(now, t, sub, why, "repaired");
        }
    }

    /// Backoff bookkeeping of a repair attempt; its start, if one was under way.
    fn repair_settled(&mut self, now: SimTime, t: u32, ok: bool) -> Option<SimTime> {
        self.ctl.recon.as_deref_mut()?.settle(now, t, ok)
    }

    /// Records a repair attempt of `t` on its current cell.
    fn repair_action(
        &mut self,
        start: SimTime,
        now: SimTime,
        t: u32,
        (to, reason): (Option<u32>, String),
        outcome: &'static str,
    ) {
        let cell = self.ctl.route[t as usize];
        self.repair_action_from(start, now, t, cell, (to, reason), outcome);
    }

    /// Records a repair attempt of `t` that concerned `cell`.
    fn repair_action_from(
        &mut self,
        start: SimTime,
        now: SimTime,
        t: u32,
        cell: u32,
        (to, reason): (Option<u32>, String),
        outcome: &'static str,
    ) {
        self.record_action(Action {
            start,
            end: now,
            kind: "reconcile",
            tenant: Some(t),
            cell: Some(cell),
            to,
            reason: format!("repair: {reason}"),
            outcome,
        });
    }
}

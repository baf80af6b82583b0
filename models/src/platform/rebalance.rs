//! The rebalancer: a control loop that watches each cell's DB utilisation and each tenant's
//! request rate, and moves the top tenant off a hot cell — promoting it to an empty
//! (dedicated) cell, or the emptiest eligible one, when it has outgrown its cell.
//!
//! ```text
//!  RebalanceDue every `interval` (control plane up, fewer than max_concurrent of its moves):
//!    per cell: utilisation = DB core time used in the interval / (cores × interval)
//!    per tenant: rate = requests offered in the interval / interval; growth = rate / the
//!                rate it had when the rebalancer first saw it send
//!    hot cells (utilisation ≥ cell_utilisation, not cooling down), hottest first:
//!      top tenant (highest rate, not moving, not cooling down)
//!      outgrown (share ≥ promote_share or growth ≥ growth) ─▶ promote: an empty eligible
//!          cell if any, else the emptiest; otherwise ─▶ rebalance: the emptiest eligible cell
//!      destination must keep utilisation + the tenant's estimated share ≤ target_utilisation
//!          (and, for a rebalance, below the source's): none ─▶ action `no_destination`
//!      else ─▶ a move through `move_cost.rs` (backfill, verify, cutover or rollback)
//! ```
//!
//! **Legal destinations.** A destination is live (heartbeats), not the source, and
//! [`eligible`] for the tenant: residency (region,
//! EU), the cell's tenant limit and dedication are honoured, and so are its cohort's
//! `cells` (`allowed_cells.rs`): a restricted tenant never leaves them. The tenant's estimated DB load
//! is its share of the source's requests × the source's utilisation.
//!
//! **Cooldown.** After a decision on a cell (a move or `no_destination`) the cell is left
//! alone for `cooldown`; a moved tenant is left alone for `cooldown` after its move ends.
//!
//! **Determinism and cost.** The loop draws nothing (ties go to the lowest index) and
//! reads counters the platform keeps anyway; it runs on its own event, off the request path.
//! Without `[control_plane.rebalance]` the platform holds `None`: no event is scheduled.

use super::actions::Action;
use super::control::MigrationPhase;
use super::move_cost::MoveOrigin;
use super::{Ev, Platform};
use crate::component::placement::eligible;
use crate::scenario::moves::Rebalance;
use sim::{EventQueue, SimTime};

/// Runtime state of the rebalancer (present only when the scenario turns it on).
pub struct Rebalancer {
    pub(super) cfg: Rebalance,
    /// Each cell's DB busy core-ns at the last evaluation.
    last_busy: Vec<f64>,
    /// Each tenant's offered requests at the last evaluation.
    last_offered: Vec<u64>,
    /// Each tenant's rate (per s) when first seen sending (0: not yet).
    baseline: Vec<f64>,
    /// Until when each tenant is left alone.
    tenant_cool: Vec<SimTime>,
    /// Until when each cell is left alone.
    cell_cool: Vec<SimTime>,
    /// Evaluations made.
    pub evaluations: u64,
}

impl Rebalancer {
    /// The rebalancer of a run, or `None` when it is off.
    pub(super) fn build(
        cfg: Option<&Rebalance>,
        tenants: usize,
        cells: usize,
    ) -> Option<Box<Self>> {
        let cfg = cfg?.clone();
        Some(Box::new(Rebalancer {
            cfg,
            last_busy: vec![0.0; cells],
            last_offered: vec![0; tenants],
            baseline: vec![0.0; tenants],
            tenant_cool: vec![SimTime::ZERO; tenants],
            cell_cool: vec![SimTime::ZERO; cells],
            evaluations: 0,
        }))
    }

    /// Its first evaluation.
    pub(super) fn first_tick(&self) -> SimTime {
        SimTime(self.cfg.interval.as_nanos())
    }
}

/// One decision of an evaluation.
struct Decision {
    tenant: u32,
    from: u32,
    to: Option<u32>,
    origin: MoveOrigin,
    reason: String,
}

impl Platform {
    /// The rebalancer's evaluation: measure the interval just ended, then decide.
    pub(super) fn on_rebalance_due(&mut self, now: SimTime, q: &mut EventQueue<Ev>) {
        let Some(rb) = self.ctl.rebal.as_deref_mut() else {
            return;
        };
        let next = now.after(rb.cfg.interval);
        let secs = rb.cfg.interval.as_secs_f64();
        rb.evaluations += 1;
        // Measure (always, so that each interval is exactly one interval).
        let n_cells = self.cells.len();
        let mut util = vec![0.0; n_cells];
        for (c, cell) in self.cells.iter().enumerate() {
            let busy = cell.db.busy_core_ns();
            util[c] = (busy - rb.last_busy[c]) / (cell.db.cores() * secs * 1e9);
            rb.last_busy[c] = busy;
        }
        let n = rb.last_offered.len();
        let mut rate = vec![0.0; n];
        let mut cell_rate = vec![0.0; n_cells];
        for (t, r) in rate.iter_mut().enumerate() {
            let offered = self.recorder.tenants[t].run.offered;
            *r = (offered - rb.last_offered[t]) as f64 / secs;
            rb.last_offered[t] = offered;
            if rb.baseline[t] == 0.0 && *r > 0.0 {
                rb.baseline[t] = *r;
            }
            cell_rate[self.ctl.route[t] as usize] += *r;
        }
        if next <= self.end {
            q.schedule_at(next, Ev::RebalanceDue);
        }
        // Decide (the rebalancer is part of the control plane: nothing while it is down).
        if !self.ctl.up {
            return;
        }
        let mut in_flight = self
            .ctl
            .moves
            .in_flight(|o| matches!(o, MoveOrigin::Rebalance | MoveOrigin::Promote));
        let mut hot: Vec<u32> = (0..n_cells as u32)
            .filter(|&c| {
                util[c as usize] >= rb.cfg.cell_utilisation
                    && !self.ctl.dead[c as usize]
                    && rb.cell_cool[c as usize] <= now
            })
            .collect();
        hot.sort_by(|a, b| {
            util[*b as usize]
                .total_cmp(&util[*a as usize])
                .then(a.cmp(b))
        });
        let mut decisions = Vec::new();
        for c in hot {
            if in_flight >= rb.cfg.max_concurrent {
                break;
            }
            let mut top: Option<u32> = None;
            for t in 0..n as u32 {
                let ti = t as usize;
                if self.ctl.route[ti] != c
                    || self.ctl.lifecycle[ti].is_none()
                    || rb.tenant_cool[ti] > now
                    || rate[ti] <= 0.0
                    || self.ctl.moves.is_moving(t)
                    || matches!(
                        self.ctl.migration[ti],
                        Some(MigrationPhase::Migrating { .. } | MigrationPhase::CutOver { .. })
                    )
                {
                    continue;
                }
                if top.is_none_or(|b| rate[ti] > rate[b as usize]) {
                    top = Some(t);
                }
            }
            let Some(t) = top else { continue };
            let ti = t as usize;
            let share = rate[ti] / cell_rate[c as usize].max(f64::MIN_POSITIVE);
            let growth = rate[ti] / rb.baseline[ti].max(f64::MIN_POSITIVE);
            let outgrown = share >= rb.cfg.promote_share || growth >= rb.cfg.growth;
            let est = util[c as usize] * share;
            let info = self.ctl.tenant_info[ti];
            let mut best: Option<(bool, f64, u32)> = None;
            for d in 0..n_cells as u32 {
                let mut v = self.ctl.cell_views[d as usize];
                v.live = !self.ctl.dead[d as usize];
                if d == c || !eligible(&info, &v) || !self.ctl.allowed.permits(t, d) {
                    continue;
                }
                let after = util[d as usize] + est;
                if after > rb.cfg.target_utilisation || (!outgrown && after >= util[c as usize]) {
                    continue;
                }
                // Promotion prefers an empty cell (dedicated capacity), then the emptiest.
                let key = (!(outgrown && v.tenants == 0), util[d as usize], d);
                if best.is_none_or(|b| (key.0, key.1) < (b.0, b.1)) {
                    best = Some(key);
                }
            }
            let origin = if outgrown {
                MoveOrigin::Promote
            } else {
                MoveOrigin::Rebalance
            };
            // `explain --without promote|rebalance`: decide as before, do not act.
            let allowed = match origin {
                MoveOrigin::Promote => rb.cfg.allow_promote,
                _ => rb.cfg.allow_rebalance,
            };
            if !allowed {
                continue;
            }
            let reason = format!(
                "cell {c} DB {:.0}% busy; top tenant {:.0}% of its requests, {:.1}x its first rate",
                util[c as usize] * 100.0,
                share * 100.0,
                growth
            );
            rb.cell_cool[c as usize] = now.after(rb.cfg.cooldown);
            let to = best.map(|b| b.2);
            if to.is_some() {
                in_flight += 1;
                rb.tenant_cool[ti] = now.after(rb.cfg.cooldown);
            }
            decisions.push(Decision {
                tenant: t,
                from: c,
                to,
                origin,
                reason,
            });
        }
        let rate_bps = self
            .ctl
            .moves
            .cost
            .as_deref()
            .map_or(50e6, |c| c.cfg.backfill_rate);
        for d in decisions {
            match d.to {
                Some(to) => {
                    self.start_move(now, d.tenant, to, rate_bps, true, (d.origin, d.reason), q);
                }
                None => self.record_action(Action {
                    start: now,
                    end: now,
                    kind: d.origin.kind(),
                    tenant: Some(d.tenant),
                    cell: Some(d.from),
                    to: None,
                    reason: d.reason,
                    outcome: "no_destination",
                }),
            }
        }
    }

    /// A rebalancer's move of `t` off `from` ended (`moved`, or rolled back): the tenant
    /// cools down from now.
    pub(super) fn rebalance_move_ended(&mut self, now: SimTime, t: u32, from: u32, moved: bool) {
        let Some(rb) = self.ctl.rebal.as_deref_mut() else {
            return;
        };
        let _ = (from, moved);
        rb.tenant_cool[t as usize] = now.after(rb.cfg.cooldown);
    }
}

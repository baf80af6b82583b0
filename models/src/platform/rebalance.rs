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
use super::control::{ControlRt, MigrationPhase};
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

/// What one evaluation measured over the interval just ended.
struct Measured {
    /// Each cell's DB utilisation.
    util: Vec<f64>,
    /// Each tenant's offered request rate (per s).
    rate: Vec<f64>,
    /// Each cell's offered request rate: the sum of its tenants'.
    cell_rate: Vec<f64>,
}

impl Rebalancer {
    /// Measures the interval just ended from each cell's DB `(busy core-ns, cores)`, each
    /// tenant's `offered` requests so far and its cell (`route`), and keeps the counters for
    /// the next interval (always, so that each interval is exactly one interval).
    fn measure(
        &mut self,
        dbs: impl Iterator<Item = (f64, f64)>,
        offered: impl Fn(usize) -> u64,
        route: &[u32],
    ) -> Measured {
        let secs = self.cfg.interval.as_secs_f64();
        let util: Vec<f64> = dbs
            .enumerate()
            .map(|(c, (busy, cores))| {
                let u = (busy - self.last_busy[c]) / (cores * secs * 1e9);
                self.last_busy[c] = busy;
                u
            })
            .collect();
        let n = self.last_offered.len();
        let mut rate = vec![0.0; n];
        let mut cell_rate = vec![0.0; util.len()];
        for (t, r) in rate.iter_mut().enumerate() {
            let offered = offered(t);
            *r = (offered - self.last_offered[t]) as f64 / secs;
            self.last_offered[t] = offered;
            if self.baseline[t] == 0.0 && *r > 0.0 {
                self.baseline[t] = *r;
            }
            cell_rate[route[t] as usize] += *r;
        }
        Measured {
            util,
            rate,
            cell_rate,
        }
    }

    /// The hot cells, hottest first (ties: lowest index): at or above `cell_utilisation`,
    /// live, and not cooling down.
    fn hot_cells(&self, m: &Measured, dead: &[bool], now: SimTime) -> Vec<u32> {
        let util = &m.util;
        let mut hot: Vec<u32> = (0..util.len() as u32)
            .filter(|&c| {
                util[c as usize] >= self.cfg.cell_utilisation
                    && !dead[c as usize]
                    && self.cell_cool[c as usize] <= now
            })
            .collect();
        hot.sort_by(|a, b| {
            util[*b as usize]
                .total_cmp(&util[*a as usize])
                .then(a.cmp(b))
        });
        hot
    }

    /// The top tenant of cell `c`: the highest rate among its sending tenants that are
    /// provisioned, not cooling down and not moving (ties: lowest index).
    fn top_tenant(&self, ctl: &ControlRt, m: &Measured, c: u32, now: SimTime) -> Option<u32> {
        let mut top: Option<u32> = None;
        for t in 0..m.rate.len() as u32 {
            let ti = t as usize;
            if ctl.route[ti] != c
                || !ctl.known(t)
                || self.tenant_cool[ti] > now
                || m.rate[ti] <= 0.0
                || ctl.moves.is_moving(t)
                || matches!(
                    ctl.migration[ti],
                    Some(MigrationPhase::Migrating { .. } | MigrationPhase::CutOver { .. })
                )
            {
                continue;
            }
            if top.is_none_or(|b| m.rate[ti] > m.rate[b as usize]) {
                top = Some(t);
            }
        }
        top
    }

    /// Where tenant `t` of hot cell `c` may go, carrying `est` of DB utilisation: a legal
    /// destination that stays at or below `target_utilisation` (and, unless `outgrown`,
    /// below `c`'s); a promotion prefers an empty cell, then the emptiest (ties: lowest).
    fn destination(
        &self,
        ctl: &ControlRt,
        m: &Measured,
        (t, c): (u32, u32),
        outgrown: bool,
        est: f64,
    ) -> Option<u32> {
        let info = ctl.tenant_info[t as usize];
        let mut best: Option<(bool, f64, u32)> = None;
        for d in 0..m.util.len() as u32 {
            let mut v = ctl.cell_views[d as usize];
            v.live = !ctl.dead[d as usize];
            if d == c || !eligible(&info, &v) || !ctl.allowed.permits(t, d) {
                continue;
            }
            let after = m.util[d as usize] + est;
            if after > self.cfg.target_utilisation || (!outgrown && after >= m.util[c as usize]) {
                continue;
            }
            // Promotion prefers an empty cell (dedicated capacity), then the emptiest.
            let key = (!(outgrown && v.tenants == 0), m.util[d as usize], d);
            if best.is_none_or(|b| (key.0, key.1) < (b.0, b.1)) {
                best = Some(key);
            }
        }
        best.map(|b| b.2)
    }

    /// The decision on hot cell `c`, if any: its top tenant, promoted or rebalanced to its
    /// destination (or `no_destination`); `None` when the cell has no candidate or the
    /// decision's kind is not allowed (`explain --without`). A decision cools the cell, and
    /// a move the tenant.
    fn decide_cell(
        &mut self,
        ctl: &ControlRt,
        m: &Measured,
        c: u32,
        now: SimTime,
    ) -> Option<Decision> {
        let t = self.top_tenant(ctl, m, c, now)?;
        let ti = t as usize;
        let share = m.rate[ti] / m.cell_rate[c as usize].max(f64::MIN_POSITIVE);
        let growth = m.rate[ti] / self.baseline[ti].max(f64::MIN_POSITIVE);
        let outgrown = share >= self.cfg.promote_share || growth >= self.cfg.growth;
        let est = m.util[c as usize] * share;
        let to = self.destination(ctl, m, (t, c), outgrown, est);
        let origin = if outgrown {
            MoveOrigin::Promote
        } else {
            MoveOrigin::Rebalance
        };
        // `explain --without promote|rebalance`: decide as before, do not act.
        let allowed = match origin {
            MoveOrigin::Promote => self.cfg.allow_promote,
            _ => self.cfg.allow_rebalance,
        };
        if !allowed {
            return None;
        }
        let reason = format!(
            "cell {c} DB {:.0}% busy; top tenant {:.0}% of its requests, {:.1}x its first rate",
            m.util[c as usize] * 100.0,
            share * 100.0,
            growth
        );
        self.cell_cool[c as usize] = now.after(self.cfg.cooldown);
        if to.is_some() {
            self.tenant_cool[ti] = now.after(self.cfg.cooldown);
        }
        Some(Decision {
            tenant: t,
            from: c,
            to,
            origin,
            reason,
        })
    }

    /// The evaluation's decisions, hot cells hottest first, while fewer than
    /// `max_concurrent` of its moves (`in_flight` now) are under way.
    fn decide(
        &mut self,
        ctl: &ControlRt,
        m: &Measured,
        mut in_flight: u32,
        now: SimTime,
    ) -> Vec<Decision> {
        let mut decisions = Vec::new();
        for c in self.hot_cells(m, &ctl.dead, now) {
            if in_flight >= self.cfg.max_concurrent {
                break;
            }
            if let Some(d) = self.decide_cell(ctl, m, c, now) {
                in_flight += u32::from(d.to.is_some());
                decisions.push(d);
            }
        }
        decisions
    }
}

impl Platform {
    /// The rebalancer's evaluation: measure the interval just ended, then decide (as data,
    /// with the rebalancer taken out of the control plane), then act on the decisions.
    pub(super) fn on_rebalance_due(&mut self, now: SimTime, q: &mut EventQueue<Ev>) {
        let Some(mut rb) = self.ctl.rebal.take() else {
            return;
        };
        let next = now.after(rb.cfg.interval);
        rb.evaluations += 1;
        let m = rb.measure(
            self.cells
                .iter()
                .map(|c| (c.db.busy_core_ns(), c.db.cores())),
            |t| self.recorder.tenants[t].run.offered,
            &self.ctl.route,
        );
        if next <= self.end {
            q.schedule_at(next, Ev::RebalanceDue);
        }
        // Decide (the rebalancer is part of the control plane: nothing while it is down).
        let decisions = if self.ctl.up {
            let in_flight = self
                .ctl
                .moves
                .in_flight(|o| matches!(o, MoveOrigin::Rebalance | MoveOrigin::Promote));
            rb.decide(&self.ctl, &m, in_flight, now)
        } else {
            Vec::new()
        };
        self.ctl.rebal = Some(rb);
        self.apply_rebalance(now, decisions, q);
    }

    /// Acts on an evaluation's decisions in order: a move through `move_cost.rs`, or the
    /// action `no_destination`.
    fn apply_rebalance(&mut self, now: SimTime, decisions: Vec<Decision>, q: &mut EventQueue<Ev>) {
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

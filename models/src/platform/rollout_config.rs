//! The config items of a `change = "config"` rollout, at run time: each changed tenant's DB
//! concurrency cap, its in-service cap at the scheduler, its cell's scheduler and a feature
//! flag ([`ConfigItem`]), applied when the tenant's change starts and undone by a rollback.
//!
//! - `db_concurrency`: the tenant's `[db_governance]` concurrency, through the cells' config
//!   (`cell_config_ttl.rs`: a tenant on an expired cell's defaults gets it on restore).
//! - `tenant_cap`: the cap of the tenant's scheduler lane on every cell that has one, and of
//!   the lanes it gets later. Bulkhead pools keep their own caps.
//! - `scheduler`: the scheduler of the cell the tenant is on when changed. The cell switches
//!   with its first changed tenant (queued requests keep their order) and back with the undo
//!   of its last one. Bulkhead pools keep theirs.
//! - `flag`: while on, the tenant's requests cost `cpu_factor` × their CPU time when they
//!   reach a cell (the product over rollouts whose flag is on for it).
//!
//! **Guarantees.** Items are matched exhaustively; each acts on exactly the tenant being
//! changed (and, for the scheduler, its cell), and an undo restores exactly what the change
//! replaced. No random draw and no event: a rollout without items keeps `None` here.

use super::rollout::RolloutRt;
use super::{Ev, Platform};
use crate::component::scheduler::SchedulerKind;
use crate::scenario::rollout_config::ConfigItem;
use crate::scenario::rollouts::ChangeKind;
use crate::scenario::Scenario;
use sim::{EventQueue, SimTime};

/// What a rollout's config items replaced, to undo them.
pub struct ConfigRt {
    /// Per tenant: the DB concurrency it had.
    db_saved: Vec<u32>,
    /// Per tenant: the scheduler cap it had.
    cap_saved: Vec<Option<u32>>,
    /// Per tenant: the rollout's flag is on.
    pub(super) flag_on: Vec<bool>,
    /// The flag's CPU factor (1 without a flag).
    pub(super) cpu_factor: f64,
    /// Per tenant: the cell whose scheduler its change counted on.
    sched_cell: Vec<u32>,
    /// Per cell: changed tenants counting on the switched scheduler.
    cell_users: Vec<u32>,
    /// Per cell: the scheduler it had before the switch.
    cell_saved: Vec<Option<SchedulerKind>>,
}

impl ConfigRt {
    /// The state for rollout change `change` (`None` unless it is a config change with
    /// items).
    pub(super) fn build(change: &ChangeKind, tenants: usize, cells: usize) -> Option<Box<Self>> {
        let items = match change {
            ChangeKind::Config { items, .. } if !items.is_empty() => items,
            ChangeKind::Config { .. }
            | ChangeKind::Migration { .. }
            | ChangeKind::Deploy { .. } => return None,
        };
        let cpu_factor = items
            .iter()
            .find_map(|x| match x {
                ConfigItem::Flag { cpu_factor, .. } => Some(*cpu_factor),
                ConfigItem::DbConcurrency(_)
                | ConfigItem::TenantCap(_)
                | ConfigItem::Scheduler(_) => None,
            })
            .unwrap_or(1.0);
        Some(Box::new(ConfigRt {
            db_saved: vec![0; tenants],
            cap_saved: vec![None; tenants],
            flag_on: vec![false; tenants],
            cpu_factor,
            sched_cell: vec![0; tenants],
            cell_users: vec![0; cells],
            cell_saved: vec![None; cells],
        }))
    }
}

/// Whether some rollout of `sc` turns on a feature flag (the per-tenant CPU factors are
/// kept only then).
pub(super) fn any_flag(sc: &Scenario) -> bool {
    sc.rollouts.iter().any(|r| match &r.change {
        ChangeKind::Config { items, .. } => {
            items.iter().any(|x| matches!(x, ConfigItem::Flag { .. }))
        }
        ChangeKind::Migration { .. } | ChangeKind::Deploy { .. } => false,
    })
}

/// Whether some rollout of `sc` changes DB caps (the governance must then be built).
pub(super) fn any_db_cap(sc: &Scenario) -> bool {
    sc.rollouts.iter().any(|r| match &r.change {
        ChangeKind::Config { items, .. } => items
            .iter()
            .any(|x| matches!(x, ConfigItem::DbConcurrency(_))),
        ChangeKind::Migration { .. } | ChangeKind::Deploy { .. } => false,
    })
}

impl Platform {
    /// Applies (or, with `undo`, reverts) rollout `i`'s config items to tenant `t`.
    pub(super) fn config_items(
        &mut self,
        now: SimTime,
        rt: &mut RolloutRt,
        (i, t, undo): (usize, u32, bool),
        q: &mut EventQueue<Ev>,
    ) {
        let ChangeKind::Config { items, .. } = rt.runs[i].spec.change.clone() else {
            return;
        };
        let Some(mut cfg) = rt.runs[i].cfg.take() else {
            return;
        };
        let ti = t as usize;
        for item in &items {
            match *item {
                ConfigItem::DbConcurrency(n) => {
                    let to = if undo { cfg.db_saved[ti] } else { n };
                    let was = self.set_db_concurrency(t, to);
                    if !undo {
                        cfg.db_saved[ti] = was;
                    }
                }
                ConfigItem::TenantCap(n) => {
                    let to = if undo { cfg.cap_saved[ti] } else { Some(n) };
                    let was = self.set_tenant_cap(now, t, to, q);
                    if !undo {
                        cfg.cap_saved[ti] = was;
                    }
                }
                ConfigItem::Scheduler(kind) => {
                    if undo {
                        let c = cfg.sched_cell[ti] as usize;
                        cfg.cell_users[c] = cfg.cell_users[c].saturating_sub(1);
                        if cfg.cell_users[c] == 0 {
                            if let Some(old) = cfg.cell_saved[c].take() {
                                self.set_cell_scheduler(now, c as u32, old, q);
                            }
                        }
                    } else {
                        let c = self.tenant_cell[ti];
                        cfg.sched_cell[ti] = c;
                        cfg.cell_users[c as usize] += 1;
                        if cfg.cell_users[c as usize] == 1 {
                            let old = self.set_cell_scheduler(now, c, kind, q);
                            cfg.cell_saved[c as usize] = Some(old);
                        }
                    }
                }
                ConfigItem::Flag { .. } => {
                    cfg.flag_on[ti] = !undo;
                }
            }
        }
        rt.runs[i].cfg = Some(cfg);
        if !rt.cpu_factor.is_empty() {
            rt.cpu_factor[ti] = rt
                .runs
                .iter()
                .filter_map(|r| r.cfg.as_deref())
                .filter(|c| c.flag_on[ti])
                .map(|c| c.cpu_factor)
                .product();
            rt.cpu_on = rt.cpu_on || rt.cpu_factor[ti] != 1.0;
        }
        let what = if undo {
            "rollout_config_reverted"
        } else {
            "rollout_config_applied"
        };
        self.trace_tenant(now, t, what, || {
            vec![(
                "items",
                items
                    .iter()
                    .map(|x| x.key())
                    .collect::<Vec<_>>()
                    .join(",")
                    .into(),
            )]
        });
    }

    /// The CPU service time of attempt `att` of tenant `t` under the feature flags on for
    /// `t` (the attempt keeps it).
    pub(super) fn flag_service(
        &mut self,
        att: crate::component::slab::Id,
        t: u32,
        service_ns: u64,
    ) -> u64 {
        let factor = self
            .rollouts
            .as_deref()
            .map_or(1.0, |r| r.cpu_factor[t as usize]);
        if factor == 1.0 {
            return service_ns;
        }
        let s = (service_ns as f64 * factor) as u64;
        if let Some(a) = self.attempts.get_mut(att) {
            a.service_ns = s;
        }
        s
    }

    /// Sets `t`'s scheduler cap on every cell lane it has (and later ones); the old cap.
    fn set_tenant_cap(
        &mut self,
        now: SimTime,
        t: u32,
        cap: Option<u32>,
        q: &mut EventQueue<Ev>,
    ) -> Option<u32> {
        let was = std::mem::replace(&mut self.tenant_lane[t as usize].1, cap);
        for c in 0..self.cells.len() as u32 {
            if let Some(local) = self.lanes.get(t, c) {
                self.cells[c as usize].queue.set_cap(local, cap);
                self.pull_from_queue(now, c, q);
            }
        }
        was
    }

    /// Switches `cell`'s scheduler; the old one.
    fn set_cell_scheduler(
        &mut self,
        now: SimTime,
        cell: u32,
        kind: SchedulerKind,
        q: &mut EventQueue<Ev>,
    ) -> SchedulerKind {
        let queue = &mut self.cells[cell as usize].queue;
        let old = queue.kind();
        queue.set_kind(kind);
        self.pull_from_queue(now, cell, q);
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.cell_action(
                now,
                cell,
                vec![
                    ("action", "scheduler_changed".into()),
                    ("cell", cell.into()),
                    ("from", old.name().into()),
                    ("to", kind.name().into()),
                ],
            );
        }
        old
    }
}

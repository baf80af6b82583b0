//! The deploy change of a rollout (`change = "deploy"`): a rolling restart, cell by cell.
//!
//! A deploy's unit is a cell: a wave changes the cells its tenants are on (each cell once,
//! in the first wave that reaches it; [`cell_waves`]), `parallelism` cells at a time. A cell
//! restarts its workers in `⌈1 / share⌉` batches one after the other: a batch takes
//! `⌈share × workers⌉` workers out for `restart_time` (the cell's capacity is re-derived
//! with the faults on it), and when they come back the cell serves cold — service time ×
//! `cold_factor` — for `cold_for` (the whole cell, not only the restarted workers: a
//! deliberate simplification, stated in scenarios/README.md). Every tenant on a deployed
//! cell counts as changed (for the gate, exposure and bystanders). A rollback redeploys the
//! old version the same way.
//!
//! **Off when absent.** Without a deploy rollout the per-cell vectors are empty: no state,
//! no event, no draw, and the hot path pays one branch on an empty vector.

use super::rollout::{RolloutRt, Step};
use super::{Ev, Platform};
use crate::component::rollout_plan::PlanTenant;
use crate::component::slab::Id;
use crate::scenario::rollouts::ChangeKind;
use crate::scenario::Scenario;
use sim::{EventQueue, SimTime};

/// A per-cell vector of `v` when `sc` declares a deploy rollout, else empty.
pub(super) fn per_cell<T: Clone>(sc: &Scenario, v: T) -> Vec<T> {
    if sc
        .rollouts
        .iter()
        .any(|r| matches!(r.change, ChangeKind::Deploy { .. }))
    {
        vec![v; sc.platform.cells as usize]
    } else {
        Vec::new()
    }
}

/// The tenant waves turned into cell waves: each wave's cells in ascending order, a cell
/// only in the first wave that has one of its tenants.
pub(super) fn cell_waves(waves: &[Vec<u32>], plan: &[PlanTenant], cells: u32) -> Vec<Vec<u32>> {
    let mut taken = vec![false; cells as usize];
    waves
        .iter()
        .map(|w| {
            let mut on = vec![false; cells as usize];
            for &t in w {
                on[plan[t as usize].cell as usize] = true;
            }
            (0..cells)
                .filter(|&c| on[c as usize] && !std::mem::replace(&mut taken[c as usize], true))
                .collect()
        })
        .collect()
}

impl Platform {
    /// Starts the restart of `cell` for rollout `i` (the first batch).
    pub(super) fn deploy_start(
        &mut self,
        now: SimTime,
        rt: &mut RolloutRt,
        i: usize,
        cell: u32,
        undo: bool,
        q: &mut EventQueue<Ev>,
    ) {
        let ChangeKind::Deploy { share, .. } = rt.runs[i].spec.change else {
            return;
        };
        rt.runs[i].deploy_left[cell as usize] = (1.0 / share).ceil().max(1.0) as u32;
        self.deploy_batch(now, rt, i, cell, undo, q);
    }

    fn batch_workers(&self, cell: u32, share: f64) -> u32 {
        let base = self.cells[cell as usize].base_workers;
        ((share * base as f64).ceil() as u32).clamp(1, base.max(1))
    }

    fn deploy_batch(
        &mut self,
        now: SimTime,
        rt: &mut RolloutRt,
        i: usize,
        cell: u32,
        undo: bool,
        q: &mut EventQueue<Ev>,
    ) {
        let ChangeKind::Deploy {
            share,
            restart_time,
            ..
        } = rt.runs[i].spec.change
        else {
            return;
        };
        let k = self.batch_workers(cell, share);
        self.rollout_workers_lost[cell as usize] += k;
        self.recompute_cell(now, cell, q);
        q.schedule_in(
            restart_time,
            Ev::Rollout {
                rollout: i as u16,
                step: Step::DeployBatchDone { cell, undo },
            },
        );
    }

    /// A restart batch of `cell` came back cold; starts the next one. `true` when it was
    /// the cell's last batch (the cell's change, or undo, is done).
    pub(super) fn deploy_batch_done(
        &mut self,
        now: SimTime,
        rt: &mut RolloutRt,
        i: usize,
        cell: u32,
        undo: bool,
        q: &mut EventQueue<Ev>,
    ) -> bool {
        let ChangeKind::Deploy {
            share,
            cold_for,
            cold_factor,
            ..
        } = rt.runs[i].spec.change
        else {
            return false;
        };
        let k = self.batch_workers(cell, share);
        let lost = &mut self.rollout_workers_lost[cell as usize];
        *lost = lost.saturating_sub(k);
        let cold = &mut self.rollout_cold[cell as usize];
        let until = now.after(cold_for);
        if until > cold.0 || cold_factor > cold.1 {
            *cold = (until.max(cold.0), cold_factor.max(cold.1));
        }
        self.recompute_cell(now, cell, q);
        let left = &mut rt.runs[i].deploy_left[cell as usize];
        *left = left.saturating_sub(1);
        if *left > 0 {
            self.deploy_batch(now, rt, i, cell, undo, q);
            return false;
        }
        true
    }

    /// An attempt reaches `cell`: the cold penalty if a restart left it cold, or
    /// `service_ns` unchanged.
    #[inline(never)]
    pub(super) fn deploy_cold_service(
        &mut self,
        now: SimTime,
        att: Id,
        cell: u32,
        service_ns: u64,
    ) -> u64 {
        let (until, factor) = self.rollout_cold[cell as usize];
        if until <= now {
            return service_ns;
        }
        let Some(a) = self.attempts.get_mut(att) else {
            return service_ns;
        };
        let s = (service_ns as f64 * factor) as u64;
        a.service_ns = s;
        s
    }
}

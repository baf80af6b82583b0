//! A dead cell serves nothing: what a `cell_outage` does to the work already on the cell.
//!
//! A cell that goes down refuses new attempts at the door (`arrive_at_cell`). This module
//! handles the work that was already inside when it went down:
//!
//! ```text
//!   outage starts ──► every queued attempt (cell queue + bulkhead pool queues)
//!                     ends Failed(CellDown) at once
//!                 ──► attempts in service (CPU, KMS wait, DB query, dependency call)
//!                     end Failed(CellDown) when that step completes, never Ok
//!   while down    ──► no worker takes an attempt, no job worker takes a job
//!   outage ends   ──► job workers resume the cell's waiting jobs
//! ```
//!
//! *Approximation:* an attempt in service when its cell died is not cut short. Its client
//! learns of the death at the moment the reply would have come (the end of its current
//! CPU step, query or dependency call), which is when a real client's connection reset or
//! read timeout would tell it. Its worker, DB connection and dependency slot are released
//! at that moment, as for any other end, so every counter and the ledger stay balanced.
//! Jobs already running on the cell's DB finish as they would; queued jobs wait (they are
//! durable) and start when the cell is up again.
//!
//! *Mechanism:* each cell counts the outages begun on it (`epoch`); an attempt is stamped
//! with its cell's count when it starts service. A stamp older than the cell's count means
//! the cell died under it. Guarantees: nothing is stamped, checked or drawn until the first
//! outage of a run begins (`begun`), so a run without a `cell_outage` pays one predictable
//! branch per check and keeps its digest; no RNG draw is added, no event is added.

use super::{Ev, Platform};
use crate::component::outcome::{Cause, Outcome};
use crate::component::slab::Id;
use sim::{EventQueue, SimTime};

/// Run-time state of cell deaths.
pub struct CellDownRt {
    /// An outage has begun in this run (until then nothing here is consulted).
    pub(super) begun: bool,
    /// Per cell: outages begun on it so far.
    epoch: Vec<u32>,
    /// The per-attempt check that a dead cell served nothing (`dead_cell_served`).
    pub(super) watch: super::dead_cell_served::DeadServedWatch,
}

impl CellDownRt {
    /// No outage yet, on `cells` cells.
    pub fn new(cells: usize) -> CellDownRt {
        CellDownRt {
            begun: false,
            epoch: vec![0; cells],
            watch: Default::default(),
        }
    }

    /// Outages begun on `cell` so far.
    #[inline]
    fn epoch_of(&self, cell: u32) -> u32 {
        self.epoch.get(cell as usize).copied().unwrap_or(0)
    }
}

impl Platform {
    /// An attempt that a worker of its cell served ended Ok at `now`: checks that the cell
    /// was not dead (`dead_cell_served`). Called after the first outage only.
    pub(super) fn check_served_alive(
        &mut self,
        now: SimTime,
        tenant: u32,
        cell: u32,
        arrived: SimTime,
    ) {
        let down = self.ctl.down.get(cell as usize).copied().unwrap_or(false);
        self.cell_down
            .watch
            .served_ok(now, tenant, cell, arrived, down);
    }

    /// The first attempt a dead cell served Ok, if any (the invariant's evidence).
    pub fn served_by_dead_cell(&self) -> Option<super::dead_cell_served::ServedDead> {
        self.cell_down.watch.first
    }

    /// Test hook (`TENANTSIM_INJECT=dead_cell_serves`): attempts in service when their cell
    /// dies end as if it had not, the defect the invariant exists to catch.
    pub fn inject_dead_cell_serves(&mut self) {
        self.cell_down.watch.inject_bug = true;
    }

    /// `cell` has just gone down (its `down` flag is set): it dies under the attempts in
    /// service and fails every attempt waiting in its queues.
    pub(super) fn cell_went_down(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        self.cell_down.begun = true;
        let c = cell as usize;
        if c >= self.cell_down.epoch.len() {
            // A cell added after the build (scale-out).
            self.cell_down.epoch.resize(c + 1, 0);
        }
        self.cell_down.epoch[c] = self.cell_down.epoch[c].wrapping_add(1);
        self.cell_down.watch.outage_began(now, cell);
        self.fail_queued_on_down_cell(now, cell, q);
    }

    /// `cell` is up again: its job workers take the jobs that waited.
    pub(super) fn cell_came_up(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        if self.jobs.has_cell(cell) {
            self.pull_jobs(now, cell, q);
        }
    }

    /// Ends every attempt queued on the down `cell` (its own queue, then each bulkhead
    /// pool's, each in push order) with `Failed(CellDown)`. Queued attempts hold no worker
    /// and no lane slot, so nothing is released. Allocates; called at outage starts only.
    pub(super) fn fail_queued_on_down_cell(
        &mut self,
        now: SimTime,
        cell: u32,
        q: &mut EventQueue<Ev>,
    ) {
        let mut queued: Vec<Id> = self.cells[cell as usize]
            .queue
            .drain_all()
            .into_iter()
            .map(|p| p.payload)
            .collect();
        if let Some(pools) = self.bulk.pools.get_mut(cell as usize) {
            for p in pools.iter_mut() {
                queued.extend(p.queue.drain_all().into_iter().map(|p| p.payload));
            }
        }
        for att in queued {
            self.end_attempt(now, att, Outcome::Failed(Cause::CellDown), false, q);
        }
    }

    /// Stamps `att`, starting service on its cell, with the cell's outage count.
    #[inline]
    pub(super) fn stamp_service_start(&mut self, att: Id) {
        if !self.cell_down.begun {
            return;
        }
        if let Some(a) = self.attempts.get_mut(att) {
            a.cell_epoch = self.cell_down.epoch_of(a.cell);
        }
    }

    /// True when `att` started service on a cell that has gone down since: whatever step
    /// of it completes now, its answer is `Failed(CellDown)`.
    #[inline]
    pub(super) fn cell_died_under(&self, att: Id) -> bool {
        self.cell_down.begun
            && !self.cell_down.watch.inject_bug
            && self
                .attempts
                .get(att)
                .is_some_and(|a| a.cell_epoch != self.cell_down.epoch_of(a.cell))
    }
}

//! Snapshots of the platform at chosen instants, for `tenantsim explain`.
//!
//! A [`Snapshot`] copies cumulative per-tenant counters (requests, failures by cause, metered
//! CPU and DB time, queue waits) and the instantaneous state of every cell (queue, workers,
//! DB pool, breakers). The difference of two snapshots is what happened between them: who
//! used a cell's workers and DB in an interval, and how its tenants fared.
//!
//! **Guarantee.** Taking a snapshot reads the platform and changes nothing: a run with
//! snapshots has the same events and digest as one without (`run::RunOptions::probes`;
//! tested in `models/tests/explain.rs`). Memory: one small record per tenant and cell per
//! snapshot.

use super::Platform;
use crate::component::breaker::BreakerState;
use crate::component::outcome::N_CAUSES;
use sim::SimTime;

/// One tenant's cumulative counters (whole run so far) and its requests at its cell now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TenantSnap {
    /// Logical requests sent.
    pub offered: u64,
    /// Answered OK.
    pub ok: u64,
    /// 429s.
    pub rejected: u64,
    /// 503s, other 5xx and timeouts.
    pub failed: u64,
    /// Attempts.
    pub attempts: u64,
    /// Failures by cause (index = `Cause as usize`).
    pub causes: [u64; N_CAUSES],
    /// Metered service CPU (ns).
    pub cpu_ns: u64,
    /// Metered DB work (ns).
    pub db_ns: u64,
    /// Attempts served after waiting in a cell queue.
    pub queue_waits: u64,
    /// Their total wait (ns).
    pub queue_wait_ns: u128,
    /// Its requests waiting in its cell's queue now.
    pub queued: u32,
    /// Its requests in service at its cell now (as the scheduler counts them).
    pub in_service: u32,
    /// Its cell now.
    pub cell: u32,
    /// A breaker on its cell's DB calls is open for it now.
    pub breaker_open: bool,
}

/// One cell's state now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CellSnap {
    /// Requests waiting in its queue.
    pub queue_len: u32,
    /// Most the queue holds.
    pub queue_max: u32,
    /// Busy workers.
    pub busy: u32,
    /// Workers.
    pub workers: u32,
    /// DB connections held.
    pub db_held: u32,
    /// DB queries waiting for a connection.
    pub db_waiting: u32,
    /// DB core-time used so far (ns).
    pub db_busy_core_ns: f64,
    /// DB cores.
    pub db_cores: f64,
    /// Marked dead by the control plane.
    pub dead: bool,
    /// Its queue's scheduler now (`fifo`, `drr`, …; a config rollout may switch it).
    pub scheduler: &'static str,
}

/// The platform at one instant.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// When.
    pub at: SimTime,
    /// Per tenant, in population order.
    pub tenants: Vec<TenantSnap>,
    /// Per cell.
    pub cells: Vec<CellSnap>,
}

impl Platform {
    /// A snapshot of the platform now (reads only).
    pub fn snapshot(&self, at: SimTime) -> Snapshot {
        let tenants = self
            .recorder
            .tenants
            .iter()
            .enumerate()
            .map(|(t, r)| {
                let s = &r.run;
                let cell = self.tenant_cell[t];
                let (queued, in_service, breaker_open) = self
                    .cells
                    .get(cell as usize)
                    .and_then(|c| {
                        let local = self.lanes.get(t as u32, cell)?;
                        Some((
                            c.queue.len_of(local) as u32,
                            c.queue.in_service(local),
                            c.breaker
                                .as_ref()
                                .is_some_and(|b| b.state(local) == BreakerState::Open),
                        ))
                    })
                    .unwrap_or((0, 0, false));
                TenantSnap {
                    offered: s.offered,
                    ok: s.ok,
                    rejected: s.rejected,
                    failed: s.shed + s.errors + s.timeouts,
                    attempts: s.attempts,
                    causes: s.causes,
                    cpu_ns: r.cpu_ns,
                    db_ns: r.db_ns,
                    queue_waits: s.queue_wait.count(),
                    queue_wait_ns: s.queue_wait.sum(),
                    queued,
                    in_service,
                    cell,
                    breaker_open,
                }
            })
            .collect();
        let cells = self
            .cells
            .iter()
            .enumerate()
            .map(|(ci, c)| CellSnap {
                queue_len: c.queue.len() as u32,
                queue_max: c.queue.max_len() as u32,
                busy: c.busy,
                workers: c.workers,
                db_held: c.db.held(),
                db_waiting: c.db.waiting() as u32,
                db_busy_core_ns: c.db.busy_core_ns(),
                db_cores: c.db.cores(),
                dead: self.ctl.dead.get(ci).copied().unwrap_or(false)
                    || self.ctl.down.get(ci).copied().unwrap_or(false),
                scheduler: c.queue.kind().name(),
            })
            .collect();
        Snapshot { at, tenants, cells }
    }
}

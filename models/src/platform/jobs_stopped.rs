//! A destroyed tenant runs no async job: from the operator's `destroy` (the tenant
//! `destroy_pending`, then `destroy_failed` or `destroyed`) its jobs are cancelled — its own
//! job arrivals are not submitted, a queued job is dropped when the scheduler reaches it, a
//! retry is dropped when it is due, and a job whose DB work was running is dropped when that
//! work ends (its output is not stored). A `restore` brings the tenant back to
//! `provision_pending`, and its jobs run again.
//!
//! Cancelled jobs are counted (`JobsRt::cancelled`, and per tenant in the destroy's
//! action reason: `operator; 12 async jobs cancelled`).
//!
//! **Cost.** One branch on an `Option` per job step in runs without lifecycle operations;
//! it draws nothing (a job's draws come from its own sub-stream) and schedules nothing.

use super::Platform;
use crate::component::lifecycle::TenantState;
use crate::component::slab::Id;

impl Platform {
    /// Whether tenant `t`'s async jobs are stopped (its destroy under way or done).
    #[inline]
    pub(super) fn jobs_stopped(&self, t: u32) -> bool {
        self.ctl.ops.is_some()
            && matches!(
                self.ctl.state_fast(t),
                Some(
                    TenantState::DestroyPending
                        | TenantState::DestroyFailed
                        | TenantState::Destroyed
                )
            )
    }

    /// Counts a cancelled job of `t` (and drops it from the job table, if it is there).
    pub(super) fn cancel_job(&mut self, t: u32, id: Option<Id>) {
        if let Some(id) = id {
            self.jobs.jobs.remove(id);
        }
        self.jobs.cancelled += 1;
        if let Some(o) = self.ctl.ops.as_deref_mut() {
            o.jobs_cancelled[t as usize] += 1;
        }
    }
}

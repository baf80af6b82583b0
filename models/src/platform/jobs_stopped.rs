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

use super::control::ControlRt;
use super::Platform;
use crate::component::lifecycle::TenantState;

/// Whether tenant `t`'s async jobs are stopped (its destroy under way or done). The jobs
/// part ([`super::jobs::JobsRt`]) takes this as its `stopped` predicate.
#[inline]
pub(super) fn jobs_stopped(ctl: &ControlRt, t: u32) -> bool {
    ctl.ops.is_some()
        && matches!(
            ctl.state_fast(t),
            Some(TenantState::DestroyPending | TenantState::DestroyFailed | TenantState::Destroyed)
        )
}

impl Platform {
    /// A job of `t` was cancelled (the jobs part dropped and counted it): count it for the
    /// destroy's action reason.
    pub(super) fn job_cancelled(&mut self, t: u32) {
        if let Some(o) = self.ctl.ops.as_deref_mut() {
            o.jobs_cancelled[t as usize] += 1;
        }
    }
}

//! `[control_plane.reconcile] repair`: repairing serving tenants needs the judgement of
//! serving tenants, so `repair = true` with `watch_serving = false` written out is a
//! contradiction, reported at `repair`'s position. `repair` alone turns `watch_serving` on.

use super::super::control_plane::ReconcileConfig;
use super::super::Checker;

/// Whether the reconciler repairs serving tenants (default false).
pub(in crate::scenario) fn reconcile_repair(c: &mut Checker, r: &ReconcileConfig) -> bool {
    let Some(repair) = &r.repair else {
        return false;
    };
    let on = *repair.get_ref();
    if on && r.watch_serving == Some(false) {
        c.err(
            repair.span(),
            "control_plane.reconcile.repair = true needs the RECONCILE sub-states it repairs, \
but watch_serving = false turns them off; drop `watch_serving = false` (repair turns it on)"
                .to_string(),
        );
    }
    on
}

//! A cohort's `cells` and `movable`: whether `cells` restricts its members for good (the
//! default: placement, evacuation and the rebalancer never put them elsewhere) or is only
//! where they start (`movable = true`).

use super::super::schema::CohortConfig;
use super::super::Checker;

/// The cohort's `movable`; `movable` without `cells` is an error (there is nothing to be
/// movable from).
pub(in crate::scenario) fn movable(c: &mut Checker, co: &CohortConfig) -> bool {
    let Some(m) = &co.movable else {
        return false;
    };
    if co.cells.is_none() {
        c.err(
            m.span(),
            format!(
                "cohort `{}` has `movable` but no `cells`; `movable = true` lets members leave the cells they start on: add `cells = [0]` or remove it",
                co.name.get_ref()
            ),
        );
    }
    *m.get_ref()
}

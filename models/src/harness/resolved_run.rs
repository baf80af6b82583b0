//! The scenario and options one run actually uses: a scenario with faults drawn from the
//! seed (`crate::fault_draw`) resolved for that seed, and the faults whose selection came
//! out empty added to those the run disables. Every way of running a seed (a plain run, the
//! determinism check) starts here, so they all see the same faults.
//!
//! **Guarantee.** A scenario without drawn parts is borrowed as it is: no allocation, no
//! draw, so its digest is what it always was.

use super::run::RunOptions;
use crate::scenario::Scenario;

/// The scenario and options a run of `sc` with `seed` uses: `sc` itself when nothing is
/// drawn (no allocation, no draw), else the resolved scenario with its empty selections added
/// to the faults the run disables.
pub fn for_run<'a>(
    sc: &'a Scenario,
    seed: u64,
    opts: &'a RunOptions,
) -> (
    std::borrow::Cow<'a, Scenario>,
    std::borrow::Cow<'a, RunOptions>,
) {
    use std::borrow::Cow;
    match crate::fault_draw::resolve(sc, seed) {
        None => (Cow::Borrowed(sc), Cow::Borrowed(opts)),
        Some(r) => {
            let mut o = opts.clone();
            o.disable_faults.extend(r.empty.iter().copied());
            (Cow::Owned(r.scenario), Cow::Owned(o))
        }
    }
}

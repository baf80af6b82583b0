//! `[[faults]]` and `[[rollouts]]` given the names declared above them. Their entries are
//! checked in `scenario/faults.rs` and `scenario/rollouts.rs`; here the checks learn which
//! tenants, cohorts, tiers and classes exist.

use super::super::rollouts::RolloutConfig;
use super::super::schema::FaultConfig;
use super::super::{faults, rollouts, suggest, Checker};
use super::{Declared, Names};
use crate::fault::Fault;
use sim::{SimDuration, SimTime};

/// Checks `[[faults]]`; a fault that targets an unknown tenant gets a "did you mean".
pub(in crate::scenario) fn faults(
    c: &mut Checker,
    raw_faults: &[FaultConfig],
    (end, duration): (SimTime, SimDuration),
    names: &Names,
    known: &Declared,
) -> Vec<Fault> {
    let errors_before = c.errors.len();
    let mut faults = faults::check(
        c,
        raw_faults,
        (end, duration),
        known.cells,
        &|id: &str| known.tenant(id),
        &|group: &str, n: &str| match group {
            "tier" => names.tier_index(n).is_some(),
            _ => known.cohorts.iter().any(|co| co.name == n),
        },
        &|c: &mut Checker, mix| names.check_mix(c, mix),
    );
    super::super::fault_when::check(c, raw_faults, &mut faults, (end, duration), known.cells);
    super::lifecycle_ops::check(c, raw_faults);
    // "Did you mean" for the tenant a fault names (the fault checks only ask whether an id
    // is known).
    for e in &mut c.errors[errors_before..] {
        if let Some(id) = e
            .message
            .split_once("targets tenant `")
            .and_then(|(_, r)| r.split_once("`, which is not declared"))
            .map(|(id, _)| id.to_string())
        {
            e.message
                .push_str(&suggest::hint(&id, known.ids.iter().map(String::as_str)));
        }
    }
    faults
}

/// Checks `[[rollouts]]`.
pub(in crate::scenario) fn rollouts(
    c: &mut Checker,
    raw_rollouts: &[RolloutConfig],
    (end, duration): (SimTime, SimDuration),
    names: &Names,
    known: &Declared,
) -> Vec<rollouts::Rollout> {
    let cohort_names: Vec<String> = known.cohorts.iter().map(|co| co.name.clone()).collect();
    let tier_list = names.tier_list();
    let tenant_known = |id: &str| known.tenant(id);
    let k = rollouts::Known {
        tenant: &tenant_known,
        cohorts: &cohort_names,
        tiers: &tier_list,
        cells: known.cells,
    };
    rollouts::check(c, raw_rollouts, (end, duration), &k)
}

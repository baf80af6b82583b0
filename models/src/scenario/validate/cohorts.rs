//! `[[cohorts]]`: many tenants drawn alike, and their ids against the declared tenants'.

use super::super::schema::CohortConfig;
use super::super::{
    cohort_member, infra, residency, schedule_from, spike_from, Checker, CohortSpec, JobClass,
    SpikeKeys, TenantSpec,
};
use super::Names;
use crate::component::workload::{LoadShape, Spike};
use sim::{Dist, SimDuration, SimTime};
use std::collections::BTreeSet;
use toml::Spanned;

/// Checks `[[cohorts]]`; returns the cohorts in file order and the set of their names.
pub(in crate::scenario) fn cohorts(
    c: &mut Checker,
    raw_cohorts: &[CohortConfig],
    names: &Names,
    (duration, cells): (SimDuration, u32),
    job_classes: &[JobClass],
) -> (Vec<CohortSpec>, BTreeSet<String>) {
    let mut cohorts = Vec::new();
    let mut cohort_names = BTreeSet::new();
    for co in raw_cohorts {
        let name = co.name.get_ref().clone();
        if name.is_empty() || name.contains(char::is_whitespace) {
            c.err(
                co.name.span(),
                format!("cohort name `{name}` must be non-empty and without spaces"),
            );
        }
        if !cohort_names.insert(name.clone()) {
            c.err(co.name.span(), format!("cohort `{name}` is declared twice"));
        }
        let count: u32 = c.count(&co.count, 0, 1_000_000, &format!("cohort `{name}` count"));
        let tier_mix = tier_mix(c, co, names);
        let rate = co.rate.0.clone();
        if let Dist::Normal { .. } = rate {
            // allowed; negative draws are clamped to zero
        }
        let schedule = co.schedule.as_ref().map(|s| LoadShape {
            points: schedule_from(c, s),
            diurnal: None,
            spike: None,
        });
        let provision_at = co.provision_at.as_ref().map(|p| {
            let at = SimTime(p.get_ref().0.as_nanos());
            if at >= SimTime(duration.as_nanos()) {
                c.err(
                    p.span(),
                    format!(
                        "cohort `{name}` is provisioned at {} but the run lasts {duration}",
                        p.get_ref().0
                    ),
                );
            }
            at
        });
        cohorts.push(CohortSpec {
            name,
            count,
            tier_mix,
            rate,
            mix: names.check_mix(c, &co.mix),
            schedule,
            eu_only: residency(c, &co.residency),
            provision_at,
            cells: co.cells.as_ref().map(|cs| member_cells(c, cs, cells)),
            movable: super::cohort_cells::movable(c, co),
            jobs: infra::tenant_jobs(c, &co.jobs, job_classes),
            spiky_fraction: co.spiky_fraction.as_ref().map_or(0.0, |f| f.get_ref().0),
            spike: cohort_spike(c, co),
        });
    }
    (cohorts, cohort_names)
}

/// A cohort's tier mix: `tier` (all in one) or `tiers` (fractions, turned into cumulative
/// shares ending at 1), each a declared tier; neither: the first tier.
fn tier_mix(c: &mut Checker, co: &CohortConfig, names: &Names) -> Vec<(usize, f64)> {
    let mut tier_mix = Vec::new();
    match (&co.tier, &co.tiers) {
        (Some(_), Some(m)) => c.err(m.span(), "give either `tier` or `tiers`, not both"),
        (Some(s), None) => match names.tier_index(s.get_ref()) {
            Some(i) => tier_mix.push((i, 1.0)),
            None => c.err(s.span(), names.unknown_tier(s.get_ref())),
        },
        (None, Some(m)) => {
            let total: f64 = m.get_ref().values().sum();
            if !(total > 0.0 && total.is_finite()) || m.get_ref().values().any(|v| *v < 0.0) {
                c.err(
                    m.span(),
                    "tier fractions must be ≥ 0 and add up to more than 0",
                );
            } else {
                let mut acc = 0.0;
                for (tn, f) in m.get_ref() {
                    match names.tier_index(tn) {
                        Some(i) => {
                            acc += f / total;
                            tier_mix.push((i, acc));
                        }
                        None => c.err(m.span(), names.unknown_tier(tn)),
                    }
                }
                if let Some(last) = tier_mix.last_mut() {
                    last.1 = 1.0;
                }
            }
        }
        (None, None) => tier_mix.push((0, 1.0)),
    }
    tier_mix
}

/// The cells a cohort's members may be placed on: each below `cells`, at least one.
fn member_cells(c: &mut Checker, cs: &Spanned<Vec<i64>>, cells: u32) -> Vec<u32> {
    let mut v = Vec::new();
    for &x in cs.get_ref() {
        if x < 0 || x >= cells as i64 {
            c.err(
                cs.span(),
                format!("cell {x} does not exist; cells are 0..{}", cells - 1),
            );
        } else {
            v.push(x as u32);
        }
    }
    if v.is_empty() {
        c.err(
            cs.span(),
            "`cells` is empty; list the cells members may be placed on",
        );
    }
    v
}

/// A cohort's spike settings: they need spiky members (`spiky_fraction`).
fn cohort_spike(c: &mut Checker, co: &CohortConfig) -> Spike {
    let keys = SpikeKeys {
        factor: &co.spike_factor,
        every: &co.spike_every,
        for_: &co.spike_for,
    };
    if co.spiky_fraction.is_none() {
        if let Some(span) = keys.first_span() {
            c.err(
                span,
                format!("cohort `{}` has no spiky members, so spike settings do not apply; add `spiky_fraction = \"5%\"` or remove them", co.name.get_ref()),
            );
        }
    }
    spike_from(c, &keys, &format!("cohort `{}`", co.name.get_ref()))
}

/// A declared tenant's id must not be a cohort member's (`COHORT-N`).
pub(in crate::scenario) fn collisions(
    c: &mut Checker,
    tenants: &[TenantSpec],
    cohorts: &[CohortSpec],
) {
    for t in tenants {
        if let Some((co, _)) = cohort_member(&t.id, cohorts) {
            c.err(
                0..0,
                format!(
                    "tenant id `{}` collides with a member of cohort `{co}`",
                    t.id
                ),
            );
        }
    }
}

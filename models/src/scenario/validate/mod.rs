//! The scenario validator, one file per section of the file.
//!
//! [`super::validate`] is a short dispatcher: it calls each section's check in the order the
//! sections depend on one another (platform → tiers → classes → tenants and cohorts →
//! faults, rollouts, SLOs → variants), and each check pushes its located errors
//! (file:line:column) to the shared [`Checker`]. A section that refers to names declared by
//! an earlier one looks them up in [`Names`] (tiers, classes) or [`Declared`] (tenants,
//! cohorts). Sections with their own module elsewhere in `scenario/` (`infra`, `network`,
//! `isolation`, `faults`, `rollouts`, `explore`, `control_plane`) keep their checks there.
//!
//! **Guarantee.** The order in which errors are reported is the order of the sections in
//! the dispatcher, then the order of entries in the file: splitting the validator moved no
//! error and changed no message.

mod classes;
mod cohort_cells;
mod cohorts;
mod faults;
mod lifecycle_ops;
mod platform;
mod reconcile_repair;
mod run;
mod scale_out;
mod slos;
mod tenants;
mod tiers;
mod variants;

pub(super) use classes::classes;
pub(super) use cohorts::{cohorts, collisions};
pub(super) use faults::{faults, rollouts};
pub(super) use platform::{platform, quantum, workload};
pub(super) use reconcile_repair::reconcile_repair;
pub(super) use run::run_length;
pub(super) use scale_out::{grow, scale_out};
pub(super) use slos::slos;
pub(super) use tenants::tenants;
pub(super) use tiers::tiers;
pub(super) use variants::variants;

use super::{cohort_member, suggest, Checker, Class, CohortSpec, Tier};
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// A `mix` table as written: class name → share.
pub(super) type MixConfig = Option<Spanned<BTreeMap<String, f64>>>;

/// The tiers and classes declared, which later sections refer to by name.
pub(super) struct Names<'a> {
    tiers: &'a [Tier],
    classes: Vec<String>,
}

impl<'a> Names<'a> {
    /// The names of `tiers` and `classes`.
    pub(super) fn new(tiers: &'a [Tier], classes: &[Class]) -> Self {
        Names {
            tiers,
            classes: classes.iter().map(|cl| cl.name.clone()).collect(),
        }
    }

    /// The index of the tier named `name`.
    pub(super) fn tier_index(&self, name: &str) -> Option<usize> {
        self.tiers.iter().position(|t| t.name == name)
    }

    /// Every tier's name, comma-separated (for messages).
    pub(super) fn tier_names(&self) -> String {
        self.tiers
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The tier names, as a list.
    pub(super) fn tier_list(&self) -> Vec<String> {
        self.tiers.iter().map(|t| t.name.clone()).collect()
    }

    /// "unknown tier `x`; did you mean …; tiers are: …".
    pub(super) fn unknown_tier(&self, name: &str) -> String {
        format!(
            "unknown tier `{name}`{}; tiers are: {}",
            suggest::hint(name, self.tiers.iter().map(|t| t.name.as_str())),
            self.tier_names()
        )
    }

    /// Checks a `mix` table (class → share) against the declared classes; returns the shares
    /// in class order, or `None` when no mix is written.
    pub(super) fn check_mix(&self, c: &mut Checker, mix: &MixConfig) -> Option<Vec<f64>> {
        let class_names = &self.classes;
        let m = mix.as_ref()?;
        let mut shares = vec![0.0; class_names.len()];
        for (k, v) in m.get_ref() {
            match class_names.iter().position(|n| n == k) {
                Some(i) => {
                    if !(*v >= 0.0 && v.is_finite()) {
                        c.err(
                            m.span(),
                            format!("mix share of `{k}` is {v}; shares are numbers ≥ 0"),
                        );
                    }
                    shares[i] = *v;
                }
                None => c.err(
                    m.span(),
                    format!(
                        "mix names class `{k}`, which is not declared{}; classes are: {}",
                        suggest::hint(k, class_names.iter().map(String::as_str)),
                        class_names.join(", ")
                    ),
                ),
            }
        }
        if shares.iter().sum::<f64>() <= 0.0 {
            c.err(
                m.span(),
                "mix shares add up to zero; give at least one class a positive share",
            );
        }
        Some(shares)
    }
}

/// The tenants and cohorts declared, which faults, rollouts and SLOs refer to.
pub(super) struct Declared<'a> {
    /// Ids of the individually declared tenants.
    pub ids: &'a BTreeSet<String>,
    /// The cohorts.
    pub cohorts: &'a [CohortSpec],
    /// The cohorts' names.
    pub cohort_names: &'a BTreeSet<String>,
    /// The platform's cell count.
    pub cells: u32,
}

impl Declared<'_> {
    /// Whether `id` is a declared tenant or a cohort member.
    pub(super) fn tenant(&self, id: &str) -> bool {
        self.ids.contains(id) || cohort_member(id, self.cohorts).is_some()
    }
}

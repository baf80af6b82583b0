//! # Blast radius and bystanders: one definition, three related counts
//!
//! A **bystander** is a tenant no fault of the scenario names (see
//! [`crate::fault::FaultKind::targets`]). The **blast radius** of a run is the number of
//! bystanders that breached at least one SLO ([`blast_radius`]); `compare` reports it per
//! run and `explain`'s counterfactuals compare it with and without the removed tenant or
//! fault.
//!
//! Two other counts are near it and keep their own names, so no output changes meaning:
//!
//! | count | what it counts | where |
//! |---|---|---|
//! | blast radius | bystanders breaching any SLO, over the run | [`blast_radius`] |
//! | SLO breaches | tenants failing one `each`-scoped SLO (targets included) | `slo.rs`, `SloRow::breached` |
//! | affected tenants | per fault: tenants other than its target with ≥ 5% bad requests from its start to its recovery | `verdicts.rs`, `FaultVerdict::affected_tenants` |

use crate::fault::Fault;
use reports::summary::TenantRow;

/// The tenants the scenario's faults name, in fault order (a tenant may repeat).
pub fn fault_targets(faults: &[Fault]) -> Vec<&str> {
    faults
        .iter()
        .flat_map(|f| f.kind.targets().tenants)
        .collect()
}

/// True when the tenant `id` is a bystander: no fault names it.
pub fn is_bystander(id: &str, targets: &[&str]) -> bool {
    !targets.contains(&id)
}

/// True when the tenant breached at least one SLO.
pub fn breaches_an_slo(t: &TenantRow) -> bool {
    !t.slo_breaches.is_empty()
}

/// The blast radius: bystanders (tenants not in `targets`) that breached at least one SLO.
pub fn blast_radius(tenants: &[TenantRow], targets: &[&str]) -> u32 {
    tenants
        .iter()
        .filter(|t| is_bystander(&t.id, targets) && breaches_an_slo(t))
        .count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, breaches: &[&str]) -> TenantRow {
        TenantRow {
            id: id.into(),
            slo_breaches: breaches.iter().map(|s| s.to_string()).collect(),
            ..TenantRow::default()
        }
    }

    /// Goal: the blast radius counts bystanders breaching an SLO, never a fault's target and
    /// never a tenant that breached nothing. Method: four tenants, one of each kind.
    #[test]
    fn counts_bystanders_that_breach() {
        let rows = [
            row("target", &["a"]),
            row("hit", &["a", "b"]),
            row("fine", &[]),
            row("also-hit", &["b"]),
        ];
        assert_eq!(blast_radius(&rows, &["target"]), 2);
        assert_eq!(blast_radius(&rows, &[]), 3);
        assert!(!is_bystander("target", &["target"]));
    }
}

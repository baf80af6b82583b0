//! # Isolation invariants checked on every explored run
//!
//! Besides its SLOs, every run of `tenantsim explore` (and of `check --explore`) is held to
//! invariants that no fault schedule may break, read from the run's summary after it ends
//! (so they cost the run nothing and cannot change it). A broken one is a bug of the model or
//! of the platform's design, not a failed SLO: `explore` and the gate exit 3 with the seed
//! and the repro line.
//!
//! | invariant | broken when |
//! |---|---|
//! | the ledger | requests or attempts started ≠ finished + in flight (the run also refuses to end with an unbalanced ledger: exit 3) |
//! | misrouted writes | a cell applied a write for a tenant it no longer owned, although no written migration allows it (`reject_misrouted = false`) |
//! | monotonic lifecycle | a tenant made a lifecycle transition its state machine does not have, or a reconcile sub-state change that is not one (`active_reconcile_success->active_reconcile_failed` is; `active_reconcile_success->active` is not) |
//! | failure detector | a cell was declared dead twice without coming back between, or back without being dead, or the declarations go back in time |
//!
//! Not checked here (yet): "no request served by a dead cell" and residency, which need
//! per-request facts the summary does not keep.

use crate::component::lifecycle::{Reconciled, TenantState};
use crate::fault::FaultKind;
use crate::scenario::Scenario;
use reports::summary::RunSummary;

/// The first invariant `s` (a run of `sc`) breaks, described; `None` when all hold.
pub fn check(sc: &Scenario, s: &RunSummary) -> Option<String> {
    if !s.ledger.balanced {
        return Some("the request ledger does not balance".to_string());
    }
    let allowed = sc.faults.iter().any(|f| {
        matches!(
            f.kind,
            FaultKind::TenantMigration {
                reject_misrouted: false,
                ..
            }
        )
    });
    if s.control.misrouted_writes_applied > 0 && !allowed {
        return Some(format!(
            "misrouted writes: {} writes applied at a cell that no longer owned the tenant (no migration allows it)",
            s.control.misrouted_writes_applied
        ));
    }
    for (t, n) in &s.control.transitions {
        let legal = t.split_once("->").and_then(|(a, b)| {
            let state = |n: &str| TenantState::ALL.into_iter().find(|x| x.name() == n);
            let sub = |n: &str| Reconciled::ALL.into_iter().find(|x| x.name() == n);
            match (state(a), state(b)) {
                (Some(from), Some(to)) => Some(from.can_become(to)),
                // A reconcile sub-state change (`active_reconcile_success->…`).
                _ => Some(sub(a)?.can_become(sub(b)?)),
            }
        });
        if legal != Some(true) {
            return Some(format!(
                "lifecycle: {n} transitions {t}, which the tenant state machine does not have"
            ));
        }
    }
    let mut dead: Vec<(u32, bool)> = Vec::new();
    let mut last = f64::NEG_INFINITY;
    for &(t, cell, is_dead) in &s.control.cell_events {
        if t < last {
            return Some(format!(
                "failure detector: cell {cell} declared at {t:.3}s, before the previous declaration ({last:.3}s)"
            ));
        }
        last = t;
        let was = dead
            .iter()
            .find(|(c, _)| *c == cell)
            .map(|x| x.1)
            .unwrap_or(false);
        if was == is_dead {
            return Some(format!(
                "failure detector: cell {cell} declared {} at {t:.3}s while it already was",
                if is_dead { "dead" } else { "alive" }
            ));
        }
        match dead.iter_mut().find(|(c, _)| *c == cell) {
            Some(x) => x.1 = is_dead,
            None => dead.push((cell, is_dead)),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        let text = "version = 1\nduration = \"1m\"\n[[tenants]]\nid = \"a\"\nrate = \"1/s\"\n";
        crate::scenario::load_str("t.toml", text, &[]).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Goal: each invariant holds on a clean summary and breaks on the fact it names.
    /// Method: a default (balanced) summary, then one broken fact at a time.
    #[test]
    fn each_invariant_breaks_on_its_fact() {
        let sc = scenario();
        let ok = RunSummary {
            ledger: reports::summary::LedgerRow {
                balanced: true,
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(check(&sc, &ok), None);
        let mut s = ok.clone();
        s.ledger.balanced = false;
        assert!(check(&sc, &s).is_some_and(|m| m.contains("ledger")));
        let mut s = ok.clone();
        s.control.misrouted_writes_applied = 3;
        assert!(check(&sc, &s).is_some_and(|m| m.contains("misrouted")));
        let mut s = ok.clone();
        s.control
            .transitions
            .insert("active->provision_pending".into(), 1);
        assert!(check(&sc, &s).is_some_and(|m| m.contains("lifecycle")));
        let mut s = ok.clone();
        s.control
            .transitions
            .insert("provision_pending->active".into(), 1);
        assert_eq!(check(&sc, &s), None, "a legal transition");
        let mut s = ok.clone();
        s.control
            .transitions
            .insert("destroy_pending->provision_pending".into(), 1);
        assert_eq!(check(&sc, &s), None, "a restore");
        s.control.transitions.insert(
            "active_reconcile_success->active_reconcile_failed".into(),
            2,
        );
        assert_eq!(check(&sc, &s), None, "a reconcile sub-state change");
        let mut s = ok.clone();
        s.control
            .transitions
            .insert("active_reconcile_failed->active_reconcile_failed".into(), 1);
        assert!(check(&sc, &s).is_some_and(|m| m.contains("lifecycle")));
        let mut s = ok.clone();
        s.control
            .transitions
            .insert("active_reconcile_failed->destroyed".into(), 1);
        assert!(check(&sc, &s).is_some_and(|m| m.contains("lifecycle")));
        let mut s = ok.clone();
        s.control.cell_events = vec![(1.0, 2, true), (2.0, 2, true)];
        assert!(check(&sc, &s).is_some_and(|m| m.contains("already")));
        s.control.cell_events = vec![(1.0, 2, true), (2.0, 2, false), (1.5, 1, true)];
        assert!(check(&sc, &s).is_some_and(|m| m.contains("before")));
        s.control.cell_events = vec![(1.0, 2, true), (2.0, 1, true), (3.0, 2, false)];
        assert_eq!(check(&sc, &s), None);
    }

    /// Goal: misrouted writes are allowed when a written migration allows them. Method: the
    /// same summary with such a migration in the scenario.
    #[test]
    fn a_migration_that_accepts_misrouted_writes_allows_them() {
        let text = "version = 1\nduration = \"1m\"\n[platform]\ncells = 2\n[[tenants]]\nid = \"a\"\nrate = \"1/s\"\n[[faults]]\nkind = \"tenant_migration\"\ntenant = \"a\"\nto_cell = 1\nreject_misrouted = false\nat = \"10s\"\nfor = \"10s\"\n";
        let sc = crate::scenario::load_str("t.toml", text, &[]).unwrap_or_else(|e| panic!("{e}"));
        let mut s = RunSummary::default();
        s.ledger.balanced = true;
        s.control.misrouted_writes_applied = 3;
        assert_eq!(check(&sc, &s), None);
    }
}

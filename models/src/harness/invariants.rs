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
//! | residency | a tenant with `residency = "eu"` ends the run on, or was moved by the control plane to, a cell whose region is not EU |
//! | nothing placed on a dead cell | the control plane started a move (evacuation, fail-back, rebalance, migration) to a cell its failure detector had declared dead and not yet alive again |
//! | a dead cell serves nothing | an attempt a cell's worker served ended Ok while its cell was down, or after an outage of its cell began under it (checked per attempt by the model: [`crate::platform::dead_cell_served`]) |
//! | outsider harm | a cell-scoped fault raised the bad fraction of a tenant outside its cells past a bound, and no declared shared dependency, other fault or control-plane action links them ([`super::outsider_harm`]; needs the run's heatmap, so [`check_run`] checks it) |
//!
//! **The first breaking event.** Each broken invariant is reported as a [`Broken`]: which
//! invariant, the first event that broke it (simulated time, tenant, cell — each when the
//! invariant has it) and what happened. `explore` prints it, writes it in `--json`, and
//! the gate prints it with the repro line. Where the run keeps no time for an invariant,
//! the report says what it has: the ledger is checked at the end of the run; misrouted
//! writes name the first tenant that had one and its migration's window; an illegal
//! lifecycle transition is named with its count (the summary keeps counts per pair; the
//! model refuses illegal transitions as they happen, which ends the run with exit 3).
//!
//! The last two read the tenants' final cells and the control plane's action log (the first
//! 1,000 actions; `control.actions`): where a tenant's traffic is served from is decided by
//! its route, and every route change is such an action or a written migration.

use crate::component::lifecycle::{Reconciled, TenantState};
use crate::fault::FaultKind;
use crate::scenario::Scenario;
use reports::summary::RunSummary;
use serde::{Deserialize, Serialize};

/// A broken invariant and the first event that broke it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Broken {
    /// Which invariant (`ledger`, `misrouted writes`, `lifecycle`, `failure detector`,
    /// `residency`, `placement`, `dead cell served`, `outsider harm`, or `run` for a run
    /// that could not finish).
    pub invariant: String,
    /// When the first breaking event happened (simulated seconds), if known.
    pub at_s: Option<f64>,
    /// The tenant it happened to, if any.
    pub tenant: Option<String>,
    /// The cell it happened on, if any.
    pub cell: Option<u32>,
    /// What happened.
    pub what: String,
}

impl Broken {
    fn new(invariant: &str, what: String) -> Broken {
        Broken {
            invariant: invariant.to_string(),
            what,
            ..Default::default()
        }
    }

    fn at(mut self, t: f64) -> Broken {
        self.at_s = Some(t);
        self
    }

    fn tenant(mut self, t: &str) -> Broken {
        self.tenant = Some(t.to_string());
        self
    }

    fn cell(mut self, c: u32) -> Broken {
        self.cell = Some(c);
        self
    }

    /// The first event in words: `at 12.500s, tenant t-3, cell 2` (empty when unknown).
    pub fn first_event(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = self.at_s {
            parts.push(format!("at {t:.3}s"));
        }
        if let Some(t) = &self.tenant {
            parts.push(format!("tenant {t}"));
        }
        if let Some(c) = self.cell {
            parts.push(format!("cell {c}"));
        }
        parts.join(", ")
    }

    /// A run that could not be trusted (`RunError`): the ledger at the end of the run, or
    /// another broken assertion of the model.
    pub fn of_run_error(message: String, end_s: f64) -> Broken {
        if message.contains("ledger") {
            Broken::new("ledger", message).at(end_s)
        } else {
            Broken::new("run", message)
        }
    }
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let first = self.first_event();
        if first.is_empty() {
            write!(f, "{}: {}", self.invariant, self.what)
        } else {
            write!(f, "{} (first {first}): {}", self.invariant, self.what)
        }
    }
}

/// The first invariant a finished run of `sc` breaks, with the invariants that need the
/// run's time series ([`super::outsider_harm`]); `None` when all hold.
pub fn check_run(sc: &Scenario, out: &crate::harness::run::RunOutput) -> Option<Broken> {
    check(sc, &out.summary)
        .or_else(|| super::outsider_harm::check(sc, &out.summary, &out.series.heatmap))
}

/// The first invariant `s` (a run of `sc`) breaks, with its first event; `None` when all
/// hold. Reads the summary only (see [`check_run`] for the rest).
pub fn check(sc: &Scenario, s: &RunSummary) -> Option<Broken> {
    if !s.ledger.balanced {
        return Some(
            Broken::new("ledger", "the request ledger does not balance".to_string())
                .at(s.sim_seconds),
        );
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
        return Some(misrouted(sc, s));
    }
    if let Some(b) = lifecycle(s) {
        return Some(b);
    }
    detector(s)
        .or_else(|| residency(sc, s))
        .or_else(|| placed_on_dead_cell(s))
        .or_else(|| served_by_dead_cell(s))
}

/// Misrouted writes, with the first tenant that had one and its migration's window.
fn misrouted(sc: &Scenario, s: &RunSummary) -> Broken {
    let mut b = Broken::new(
        "misrouted writes",
        format!(
            "{} writes applied at a cell that no longer owned the tenant (no migration allows it)",
            s.control.misrouted_writes_applied
        ),
    );
    if let Some(t) = s.tenants.iter().find(|t| t.misrouted_writes > 0) {
        b = b.tenant(&t.id);
        let migration = sc.faults.iter().zip(&s.faults).find(|(f, _)| {
            matches!(&f.kind, FaultKind::TenantMigration { tenant, .. } if *tenant == t.id)
        });
        if let Some((_, row)) = migration {
            b = b.at(row.start_s);
            b.what.push_str(&format!(
                "; {} had {} of them, during migration `{}` ({:.1}s..{:.1}s)",
                t.id, t.misrouted_writes, row.name, row.start_s, row.end_s
            ));
        }
    }
    b
}

/// A lifecycle transition the state machine does not have.
fn lifecycle(s: &RunSummary) -> Option<Broken> {
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
            return Some(Broken::new(
                "lifecycle",
                format!("{n} transitions {t}, which the tenant state machine does not have"),
            ));
        }
    }
    None
}

/// The failure detector's declarations: in time order, alternating per cell.
fn detector(s: &RunSummary) -> Option<Broken> {
    let mut dead: Vec<(u32, bool)> = Vec::new();
    let mut last = f64::NEG_INFINITY;
    for &(t, cell, is_dead) in &s.control.cell_events {
        if t < last {
            return Some(
                Broken::new(
                    "failure detector",
                    format!(
                        "cell {cell} declared at {t:.3}s, before the previous declaration ({last:.3}s)"
                    ),
                )
                .at(t)
                .cell(cell),
            );
        }
        last = t;
        let was = dead
            .iter()
            .find(|(c, _)| *c == cell)
            .map(|x| x.1)
            .unwrap_or(false);
        if was == is_dead {
            return Some(
                Broken::new(
                    "failure detector",
                    format!(
                        "cell {cell} declared {} at {t:.3}s while it already was",
                        if is_dead { "dead" } else { "alive" }
                    ),
                )
                .at(t)
                .cell(cell),
            );
        }
        match dead.iter_mut().find(|(c, _)| *c == cell) {
            Some(x) => x.1 = is_dead,
            None => dead.push((cell, is_dead)),
        }
    }
    None
}

/// The first attempt a dead cell served Ok (kept by the model, `platform::dead_cell_served`).
fn served_by_dead_cell(s: &RunSummary) -> Option<Broken> {
    let d = s.control.served_by_dead_cell.as_ref()?;
    Some(
        Broken::new(
            "dead cell served",
            format!(
                "an attempt of {} that reached cell {} at {:.3}s ended Ok at {:.3}s, although an outage of the cell began at {:.3}s",
                d.tenant, d.cell, d.arrived_s, d.t_s, d.outage_began_s
            ),
        )
        .at(d.t_s)
        .tenant(&d.tenant)
        .cell(d.cell),
    )
}

/// Whether tenant `id` (a declared tenant or a cohort member) must stay on EU cells.
fn eu_only(sc: &Scenario, id: &str) -> bool {
    match sc.tenants.iter().find(|t| t.id == id) {
        Some(t) => t.eu_only,
        None => crate::scenario::cohort_member(id, &sc.cohorts)
            .and_then(|(name, _)| sc.cohorts.iter().find(|c| c.name == name))
            .is_some_and(|c| c.eu_only),
    }
}

/// The first tenant with `residency = "eu"` found on (or moved to) a non-EU cell.
fn residency(sc: &Scenario, s: &RunSummary) -> Option<Broken> {
    let eu_cell = |c: u32| {
        sc.platform
            .regions
            .get(c as usize)
            .is_some_and(|r| r.starts_with("eu"))
    };
    if !sc.tenants.iter().any(|t| t.eu_only) && !sc.cohorts.iter().any(|c| c.eu_only) {
        return None;
    }
    for a in &s.control.actions {
        let (Some(t), Some(to)) = (&a.tenant, a.to) else {
            continue;
        };
        if a.outcome == "moved" && !eu_cell(to) && eu_only(sc, t) {
            return Some(
                Broken::new(
                    "residency",
                    format!(
                        "tenant {t} (residency eu) was moved to cell {to} (region {}) at {:.3}s by `{}`",
                        sc.platform.regions.get(to as usize).map_or("?", String::as_str),
                        a.t,
                        a.kind
                    ),
                )
                .at(a.t)
                .tenant(t)
                .cell(to),
            );
        }
    }
    s.tenants
        .iter()
        .find(|t| !eu_cell(t.cell) && eu_only(sc, &t.id))
        .map(|t| {
            Broken::new(
                "residency",
                format!(
                    "tenant {} (residency eu) ended the run on cell {} (region {})",
                    t.id,
                    t.cell,
                    sc.platform
                        .regions
                        .get(t.cell as usize)
                        .map_or("?", String::as_str)
                ),
            )
            .at(s.sim_seconds)
            .tenant(&t.id)
            .cell(t.cell)
        })
}

/// The first move the control plane started towards a cell it held dead.
fn placed_on_dead_cell(s: &RunSummary) -> Option<Broken> {
    let dead_at = |cell: u32, t: f64| -> bool {
        let mut dead = false;
        for &(at, c, is_dead) in &s.control.cell_events {
            // Strictly before: a declaration at the very instant of the move may come after it.
            if at >= t {
                break;
            }
            if c == cell {
                dead = is_dead;
            }
        }
        dead
    };
    s.control.actions.iter().find_map(|a| {
        let to = a.to?;
        dead_at(to, a.t).then(|| {
            let b = Broken::new(
                "placement",
                format!(
                    "`{}` of {} at {:.3}s went to cell {to}, which the failure detector held dead",
                    a.kind,
                    a.tenant.as_deref().unwrap_or("?"),
                    a.t
                ),
            )
            .at(a.t)
            .cell(to);
            match &a.tenant {
                Some(t) => b.tenant(t),
                None => b,
            }
        })
    })
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
        assert!(check(&sc, &s).is_some_and(|m| m.to_string().contains("ledger")));
        let mut s = ok.clone();
        s.control.misrouted_writes_applied = 3;
        assert!(check(&sc, &s).is_some_and(|m| m.to_string().contains("misrouted")));
        let mut s = ok.clone();
        s.control
            .transitions
            .insert("active->provision_pending".into(), 1);
        assert!(check(&sc, &s).is_some_and(|m| m.to_string().contains("lifecycle")));
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
        assert!(check(&sc, &s).is_some_and(|m| m.to_string().contains("lifecycle")));
        let mut s = ok.clone();
        s.control
            .transitions
            .insert("active_reconcile_failed->destroyed".into(), 1);
        assert!(check(&sc, &s).is_some_and(|m| m.to_string().contains("lifecycle")));
        let mut s = ok.clone();
        s.control.cell_events = vec![(1.0, 2, true), (2.0, 2, true)];
        assert!(check(&sc, &s).is_some_and(|m| m.to_string().contains("already")));
        s.control.cell_events = vec![(1.0, 2, true), (2.0, 2, false), (1.5, 1, true)];
        assert!(check(&sc, &s).is_some_and(|m| m.to_string().contains("before")));
        s.control.cell_events = vec![(1.0, 2, true), (2.0, 1, true), (3.0, 2, false)];
        assert_eq!(check(&sc, &s), None);
    }

    /// Goal: residency breaks when an EU-only tenant is moved to, or ends on, a non-EU cell,
    /// and holds otherwise. Method: a two-region scenario; a clean summary, a move to the
    /// non-EU cell, a final cell outside the EU.
    #[test]
    fn residency_breaks_on_a_non_eu_cell() {
        let text = "version = 1\nduration = \"1m\"\n[platform]\ncells = 2\nregions = [\"eu-west\", \"us-east\"]\n[[tenants]]\nid = \"a\"\nrate = \"1/s\"\nresidency = \"eu\"\n[[tenants]]\nid = \"b\"\nrate = \"1/s\"\n";
        let sc = crate::scenario::load_str("t.toml", text, &[]).unwrap_or_else(|e| panic!("{e}"));
        let mut s = RunSummary::default();
        s.ledger.balanced = true;
        let row = |id: &str, cell: u32| reports::summary::TenantRow {
            id: id.into(),
            cell,
            ..Default::default()
        };
        s.tenants = vec![row("a", 0), row("b", 1)];
        assert_eq!(check(&sc, &s), None);
        let mut moved = s.clone();
        moved.control.actions.push(reports::summary::ActionRow {
            t: 5.0,
            kind: "evacuate".into(),
            tenant: Some("a".into()),
            cell: Some(0),
            to: Some(1),
            outcome: "moved".into(),
            ..Default::default()
        });
        assert!(check(&sc, &moved).is_some_and(
            |m| m.to_string().contains("residency") && m.to_string().contains("moved")
        ));
        let mut ended = s.clone();
        ended.tenants[0].cell = 1;
        assert!(
            check(&sc, &ended).is_some_and(|m| m.to_string().contains("ended the run on cell 1"))
        );
        // The other tenant may go anywhere.
        let mut other = s.clone();
        other.tenants[1].cell = 0;
        assert_eq!(check(&sc, &other), None);
    }

    /// Goal: a move towards a cell held dead breaks the invariant; one after it came back
    /// does not. Method: cell 1 dead from 10 s to 20 s; moves to it at 15 s and at 25 s.
    #[test]
    fn a_move_to_a_dead_cell_breaks_placement() {
        let sc = scenario();
        let mut s = RunSummary::default();
        s.ledger.balanced = true;
        s.control.cell_events = vec![(10.0, 1, true), (20.0, 1, false)];
        let mv = |t: f64| reports::summary::ActionRow {
            t,
            kind: "rebalance".into(),
            tenant: Some("a".into()),
            cell: Some(0),
            to: Some(1),
            outcome: "moved".into(),
            ..Default::default()
        };
        s.control.actions = vec![mv(25.0)];
        assert_eq!(check(&sc, &s), None);
        s.control.actions = vec![mv(15.0)];
        assert!(check(&sc, &s).is_some_and(|m| m.to_string().contains("held dead")));
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

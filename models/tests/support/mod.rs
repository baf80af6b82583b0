//! Helpers shared by the model's scenario tests (used as `mod support;`): run a scenario
//! text with `--set`-style overrides and a balanced ledger (and, for the lifecycle tests,
//! the lifecycle invariant), find a tenant's row, its control-plane actions and
//! transitions, and check that impossible settings are errors at their position. Scenario
//! texts that several test files share live in [`settings`].
//!
//! Each test crate compiles this module on its own and uses only some of it.
#![allow(dead_code)]

pub mod settings;

use models::scenario::load_str;
use models::scenario::overrides::Override;
use reports::summary::{ActionRow, RunSummary, TenantRow};

/// Runs `text` (as `test.toml`) at `seed` with the overrides `set` (`key=value`, as on the
/// command line); panics on a bad file or override, and checks the ledger balances.
pub fn run(text: &str, seed: u64, set: &[&str]) -> RunSummary {
    let o: Vec<Override> = set.iter().map(|s| Override::parse(s).unwrap()).collect();
    let sc = load_str("test.toml", text, &o).unwrap_or_else(|e| panic!("{e}"));
    let s = models::harness::run::run(&sc, seed, None)
        .expect("the ledger balances")
        .summary;
    assert!(s.ledger.balanced);
    s
}

/// [`run`] at seed 1, and the lifecycle invariant holds on the result.
pub fn run_lifecycle(text: &str, set: &[&str]) -> RunSummary {
    let o: Vec<Override> = set.iter().map(|s| Override::parse(s).unwrap()).collect();
    let sc = load_str("test.toml", text, &o).unwrap_or_else(|e| panic!("{e}"));
    let s = models::harness::run::run(&sc, 1, None)
        .expect("the ledger balances")
        .summary;
    assert!(s.ledger.balanced);
    assert_eq!(
        models::harness::invariants::check(&sc, &s),
        None,
        "the lifecycle invariant holds"
    );
    s
}

/// The row of tenant `id` (panics if there is none).
pub fn tenant<'a>(s: &'a RunSummary, id: &str) -> &'a TenantRow {
    s.tenants
        .iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("no tenant {id}"))
}

/// For each `(body, at, what)`: `head` + `body`, loaded as `t.toml`, is refused with an
/// error that names the position `at` (`t.toml:LINE:COL`) and contains `what`.
pub fn assert_located_errors(head: &str, cases: &[(&str, &str, &str)]) {
    for (body, at, what) in cases {
        let text = format!("{head}{body}");
        let err = match load_str("t.toml", &text, &[]) {
            Ok(_) => panic!("accepted:\n{body}"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(at), "{body}: expected at {at}:\n{err}");
        assert!(err.contains(what), "{body}: expected `{what}`:\n{err}");
    }
}

/// The control plane's actions of `kind`, in the order they started.
pub fn actions<'a>(s: &'a RunSummary, kind: &str) -> Vec<&'a ActionRow> {
    s.control
        .actions
        .iter()
        .filter(|a| a.kind == kind)
        .collect()
}

/// How often the lifecycle transition `pair` (`from->to`) happened (0 if never).
pub fn transitions(s: &RunSummary, pair: &str) -> u64 {
    s.control.transitions.get(pair).copied().unwrap_or(0)
}

/// For each `(text, at, what)`: `text`, loaded as `file`, is refused with an error that
/// names the position `at` (`FILE:LINE:COL`) and contains `what`.
pub fn assert_refused(file: &str, cases: &[(String, &str, &str)]) {
    for (text, at, what) in cases {
        let err = match load_str(file, text, &[]) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(at), "expected at {at}:\n{err}");
        assert!(err.contains(what), "expected `{what}`:\n{err}");
    }
}

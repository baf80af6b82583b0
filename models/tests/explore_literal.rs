//! A drawn fault schedule written out literally (`models::harness::explore_literal`).
//!
//! Goal: the literal file of an explored run has no draws left and replays the explored run
//! exactly (same digest, same event count), with drawn faults written in the scenario too
//! (selectors, drawn `at`/`for`/`factor`, `every` copies). Method: a small scenario with
//! drawn faults, a fault started by a condition (`when`) and an `[explore]` table; for
//! several seeds, the explored run (`schedule`, then `run_with`) against a plain run of the
//! literal file loaded afresh.

use models::harness::explore::schedule;
use models::harness::explore_literal::literal_doc;
use models::harness::run::{run_with, RunOptions};
use models::scenario::load_str;

const TEXT: &str = r#"
version = 1
name = "literal"
duration = "2m"
scale_time = 1
[platform]
cells = 3
workers = 6
[[tenants]]
id = "g1"
tier = "gold"
rate = "30/s"
[[tenants]]
id = "b1"
tier = "bronze"
rate = "20/s"
[[tenants]]
id = "b2"
tier = "bronze"
rate = "10/s"

# A fault written in full: kept verbatim.
[[faults]]
name = "written"
kind = "db_degraded"
cell = 0
capacity = "50%"
at = "10s"
for = "10s"

# Drawn parts: a selector, drawn times, a drawn factor, a recurrence.
[[faults]]
name = "hot"
kind = "hot_tenant"
tenant = "random(tier=bronze)"
factor = "uniform(2, 6)"
at = "uniform(5s, 30s)"
for = "exp(5s)"
every = "40s"

[[faults]]
name = "slow"
kind = "dependency_latency"
cell = "random"
latency = "exp(20ms)"
after = "written.end + 5s"
for = "8s"

# Started by a condition, armed at a drawn time, on a drawn cell: kept literally.
[[faults]]
name = "cascade"
kind = "workers_lost"
cell = "random"
count = 2
when = "cell_utilisation > 30%"
poll = "250ms"
at = "uniform(20s, 40s)"
for = "10s"

[[slos]]
name = "p99"
objective = "p(99) < 250ms"

[explore]
max_faults = 3
from = "5s"
quiet_after = "80s"
max_for = "20s"
"#;

/// Goal: literal file = explored run, byte for byte, with no draws left. Method: see the
/// module documentation; three seeds.
#[test]
fn the_literal_schedule_replays_the_explored_run() {
    let sc = load_str("literal.toml", TEXT, &[]).unwrap_or_else(|e| panic!("{e}"));
    let doc: toml_edit::DocumentMut = TEXT.parse().unwrap_or_else(|e| panic!("{e}"));
    let mut fired_runs = 0;
    for seed in [1u64, 2, 7] {
        let explored = schedule(&sc, seed);
        let want =
            run_with(&explored, seed, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let lit = literal_doc(&doc, &sc, seed, true).unwrap_or_else(|e| panic!("{e}"));
        let text = lit.doc.to_string();
        for drawn in [
            "uniform(",
            "random",
            "every",
            "after",
            "[explore]",
            "scale_time",
        ] {
            assert!(!text.contains(drawn), "`{drawn}` left in:\n{text}");
        }
        assert!(lit.drawn >= 3, "{}: {text}", lit.drawn);
        let again = load_str("lit.toml", &text, &[]).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert!(again.faults.iter().all(|f| f.drawn.is_none()));
        let resolved = models::fault_draw::resolve(&explored, seed)
            .map(|r| r.scenario.faults.len())
            .unwrap_or(explored.faults.len());
        assert_eq!(again.faults.len(), resolved, "{text}");
        let got = run_with(&again, seed, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            got.summary.digest, want.summary.digest,
            "seed {seed}:\n{text}"
        );
        assert_eq!(got.summary.events, want.summary.events, "seed {seed}");
        // The triggered fault kept its condition and fired at the same instant, after its
        // (drawn) arming time.
        assert!(text.contains("when = \"cell_utilisation > 30%\""), "{text}");
        let fired = |s: &reports::summary::RunSummary| {
            s.faults.iter().find(|f| f.name == "cascade").map(|f| {
                let note = f.resolved.clone().unwrap_or_default();
                (f.start_s, f.end_s, note.contains("fired at"))
            })
        };
        assert_eq!(fired(&got.summary), fired(&want.summary), "seed {seed}");
        if fired(&want.summary).is_some_and(|(_, _, yes)| yes) {
            fired_runs += 1;
        }
    }
    assert!(
        fired_runs > 0,
        "the condition never held: the replay of a firing is untested"
    );
}

/// Goal: without `explore`, only the scenario's own draws are written out, and a scenario
/// with none comes back with the same faults. Method: both, digest compared.
#[test]
fn without_explore_only_the_written_draws_are_resolved() {
    let sc = load_str("literal.toml", TEXT, &[]).unwrap_or_else(|e| panic!("{e}"));
    let doc: toml_edit::DocumentMut = TEXT.parse().unwrap_or_else(|e| panic!("{e}"));
    let lit = literal_doc(&doc, &sc, 3, false).unwrap_or_else(|e| panic!("{e}"));
    let text = lit.doc.to_string();
    let again = load_str("lit.toml", &text, &[]).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let want = run_with(&sc, 3, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let got = run_with(&again, 3, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.summary.digest, want.summary.digest, "{text}");
    assert!(
        !text.contains("x1-"),
        "explore schedule added without explore:\n{text}"
    );
}

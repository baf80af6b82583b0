//! Synchronous cross-cell calls at run time (issue 16, item 4: "cross-cell calls").
//!
//! Goal: a class that calls another cell carries that cell's failures to callers in other
//! cells — a dead remote cell fails them at once (`unreachable`) while their cell-mates that
//! make no call are untouched; a degraded remote DB slows them, and since they wait holding
//! their workers, their cell-mates too — and the fault's blast radius counts them. Method: two cells; in cell 0, 10 callers (every request calls cell 1)
//! and 10 locals; 10 tenants in cell 1. The same seed with and without the call (the mates'
//! arrivals and draws are their own), under a 5 s outage of cell 1, then under a degraded DB
//! in cell 1.

use models::scenario::load_str;
use reports::summary::RunSummary;

const BASE: &str = r#"
version = 1
duration = "20s"
[platform]
cells = 2
workers = 32
[platform.db]
connections = 8
cores = 4
[classes.api]
service = "exp(2ms)"
db_time = "exp(2ms)"
timeout = "2s"
[classes.checkout]
share = 0
service = "exp(2ms)"
db_time = "exp(2ms)"
timeout = "2s"
[[cohorts]]
name = "callers"
count = 10
rate = "const(5/s)"
cells = [0]
mix = { checkout = 1.0 }
[[cohorts]]
name = "locals"
count = 10
rate = "const(5/s)"
cells = [0]
[[cohorts]]
name = "remotes"
count = 10
rate = "const(5/s)"
cells = [1]
"#;

const CALL: &str = "[classes.checkout.cell_call]\ncell = 1\ndb_time = \"exp(2ms)\"\n";

fn run(extra: &str) -> RunSummary {
    let sc =
        load_str("cross.toml", &format!("{BASE}{extra}"), &[]).unwrap_or_else(|e| panic!("{e}"));
    models::harness::run::run(&sc, 1, None)
        .expect("ledger balances")
        .summary
}

fn failed(s: &RunSummary, cohort: &str) -> u64 {
    s.tenants
        .iter()
        .filter(|t| t.id.starts_with(cohort))
        .map(|t| t.outcomes.errors_5xx + t.outcomes.shed_503 + t.outcomes.timeouts)
        .sum()
}

fn worst_p99(s: &RunSummary, cohort: &str) -> f64 {
    s.tenants
        .iter()
        .filter(|t| t.id.starts_with(cohort))
        .map(|t| t.p99_ms)
        .fold(0.0, f64::max)
}

#[test]
fn a_dead_remote_cell_fails_its_callers_in_another_cell() {
    let outage = "[[faults]]\nname = \"down\"\nkind = \"cell_outage\"\ncells = [1]\nat = \"5s\"\nfor = \"5s\"\n";
    let with = run(&format!("{CALL}{outage}"));
    let without = run(outage);
    // ~10 callers × 5/s × 5 s fail while cell 1 is dead; none without the call.
    let f = failed(&with, "callers");
    assert!(f > 150, "{f} callers' requests failed");
    assert_eq!(failed(&without, "callers"), 0);
    // Their cell-mates that make no call are untouched either way.
    assert_eq!(failed(&with, "locals"), 0);
    // The outage's blast radius now reaches into cell 0: the 10 callers.
    let radius = |s: &RunSummary| s.faults[0].affected_tenants;
    assert!(
        radius(&with) >= radius(&without) + 10,
        "blast radius {} with the call, {} without",
        radius(&with),
        radius(&without)
    );
}

#[test]
fn a_degraded_remote_db_slows_its_callers_and_their_cell() {
    let slow = "[[faults]]\nname = \"slow\"\nkind = \"db_degraded\"\ncells = [1]\ncapacity = \"2%\"\nat = \"5s\"\nfor = \"10s\"\n";
    let with = run(&format!("{CALL}{slow}"));
    let without = run(slow);
    let (c_with, c_without) = (worst_p99(&with, "callers"), worst_p99(&without, "callers"));
    assert!(
        c_with > 5.0 * c_without,
        "callers' p99 {c_with} ms with the call, {c_without} ms without"
    );
    // The callers wait for cell 1 holding cell 0's workers, so cell 0's own tenants queue
    // behind them: the damage crosses into a cell whose DB is healthy.
    let (l_with, l_without) = (worst_p99(&with, "locals"), worst_p99(&without, "locals"));
    assert!(
        l_with > 5.0 * l_without,
        "locals' p99 {l_with} ms with the callers' calls, {l_without} ms without"
    );
    let radius = |s: &RunSummary| s.faults[0].affected_tenants;
    assert!(
        radius(&with) >= radius(&without) + 20,
        "blast radius {} with the call, {} without",
        radius(&with),
        radius(&without)
    );
}

//! Issue 17's per-run checks on real runs: the invariant "a dead cell serves nothing"
//! (per attempt), outsider harm on a run that has none, the saturated resource of a
//! failure's signature, the coverage state `retry_budget.exhausted`, and drawn `when`
//! faults.
//!
//! Method: small scenarios run through `run_with` or `explore::judge`; the defect the
//! dead-cell invariant exists to catch is brought back with the test hook
//! `dead_cell_serves`, so the invariant is seen to fire on a real run, and not to fire
//! without it.

use models::harness::explore::{judge, schedule};
use models::harness::invariants::{check, check_run};
use models::harness::run::{run_with, RunOptions};
use models::scenario::load_str;
use models::scenario::overrides::Override;

mod support;
use support::settings::BUSY_CELL;

fn load(text: &str, set: &[&str]) -> models::scenario::Scenario {
    let o: Vec<Override> = set
        .iter()
        .map(|s| Override::parse(s).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    load_str("t.toml", text, &o).unwrap_or_else(|e| panic!("{e}"))
}

/// Goal: on a real run, the invariant holds with the fixed model and breaks, with the first
/// attempt's time, tenant and cell, when the defect is injected. Method: the busy cell's
/// outage, seeds 1 and 2, with and without `TENANTSIM_INJECT=dead_cell_serves`.
#[test]
fn a_dead_cell_serving_breaks_the_invariant_with_its_first_attempt() {
    let sc = load(BUSY_CELL, &[]);
    for seed in [1, 2] {
        let clean = run_with(&sc, seed, &RunOptions::default()).expect("runs");
        assert_eq!(clean.summary.control.served_by_dead_cell, None);
        assert_eq!(check_run(&sc, &clean), None, "seed {seed}");
        let opts = RunOptions {
            inject: Some("dead_cell_serves".into()),
            ..RunOptions::default()
        };
        let bad = run_with(&sc, seed, &opts).expect("runs, and balances its ledger");
        let d = bad
            .summary
            .control
            .served_by_dead_cell
            .clone()
            .expect("the injected defect serves an attempt across the outage");
        assert_eq!(d.cell, 0);
        assert!(d.tenant.starts_with("busy"), "{d:?}");
        assert!(
            d.arrived_s < 10.0 && d.outage_began_s == 10.0 && d.t_s >= 10.0,
            "{d:?}"
        );
        let b = check(&sc, &bad.summary).expect("the invariant breaks");
        assert_eq!(b.invariant, "dead cell served");
        assert_eq!((b.at_s, b.cell), (Some(d.t_s), Some(0)));
        assert_eq!(b.tenant.as_deref(), Some(d.tenant.as_str()));
        assert!(b.to_string().contains("first at"), "{b}");
    }
}

/// Goal: explore's judgement reports the broken invariant with its first event.
/// Method: the busy cell judged with the hook: `broken` is the dead-cell invariant, and
/// the words (`invariant`) carry the first event.
#[test]
fn explore_reports_the_first_breaking_event() {
    let sc = load(
        BUSY_CELL,
        &["explore.kinds=[\"kms_outage\"]", "explore.max_faults=1"],
    );
    let opts = RunOptions {
        inject: Some("dead_cell_serves".into()),
        ..RunOptions::default()
    };
    let o = judge(&sc, 1, &opts);
    let b = o.broken.clone().expect("broken");
    assert_eq!(b.invariant, "dead cell served");
    assert!(b.at_s.is_some() && b.tenant.is_some() && b.cell == Some(0));
    assert_eq!(o.invariant, Some(b.to_string()));
    assert!(o.failed() && o.signature().contains("invariant"));
}

/// Two cells of three tenants each (150 requests/s a cell: 3 of 4 workers and 75% of the
/// DB's 2 cores busy), one class with DB queries.
const TWO_CELLS: &str = r#"
version = 1
duration = "2m"
[platform]
cells = 2
workers = 4
queue_limit = 200
[platform.db]
connections = 4
cores = 2
[classes.api]
service = "exp(10ms)"
db_time = "exp(5ms)"
db_queries = "const(2)"
timeout = "5s"
[[cohorts]]
name = "left"
count = 3
rate = "const(50/s)"
cells = [0]
[[cohorts]]
name = "right"
count = 3
rate = "const(50/s)"
cells = [1]
[[slos]]
name = "latency"
objective = "p(99) < 200ms"
[explore]
max_faults = 1
from = "30s"
quiet_after = "80s"
max_for = "30s"
"#;

/// Goal: a cell-scoped fault that really stays in its cell breaks no invariant (no false
/// outsider harm), and every failure's signature names the saturated resource: the DB pool
/// for a degraded DB, the cell's workers for lost workers. Method: the two cells, explored
/// with one drawn fault of one kind, on seeds 1..=3 (each fails its latency SLO).
#[test]
fn signatures_name_the_saturated_resource_and_outsiders_are_not_harmed() {
    for (kind, want) in [("db_degraded", "db_pool"), ("workers_lost", "cell_workers")] {
        let sc = load(TWO_CELLS, &[&format!("explore.kinds=[\"{kind}\"]")]);
        let mut named = 0;
        for seed in 1..=3 {
            let o = judge(&sc, seed, &RunOptions::default());
            assert_eq!(o.broken, None, "{kind} seed {seed}: {:?}", o.invariant);
            if o.failed() {
                let r = o.resource.clone().expect("a failure has a resource");
                assert!(o.signature().ends_with(&format!("saturated:{r}")));
                assert_eq!(r, want, "{kind} seed {seed}: {:?}", o.saturated);
                named += 1;
            }
        }
        assert!(named > 0, "{kind}: no run failed");
    }
}

/// Goal: `retry_budget.exhausted` is reached when a retry budget refuses retries, and not
/// when the same failures are retried without a budget. Method: the busy cell's outage
/// with clients retrying up to 5 times, with a 10% budget and without one.
#[test]
fn retry_budget_exhausted_is_reached_only_when_a_budget_refuses() {
    let retry = r#"retry = { policy = "backoff", base = "10ms", cap = "100ms", max_attempts = 5, jitter = "full", budget = "10%" }"#;
    let with = BUSY_CELL.replace("timeout = \"10s\"", &format!("timeout = \"10s\"\n{retry}"));
    let without = with.replace(", budget = \"10%\"", "");
    let reached = |text: &str| {
        let out = run_with(&load(text, &[]), 1, &RunOptions::default()).expect("runs");
        (
            out.summary.control.retries_denied_by_budget,
            models::coverage::reached(&out.summary).contains(&"retry_budget.exhausted"),
        )
    };
    let (denied, yes) = reached(&with);
    assert!(denied > 0 && yes, "denied {denied}");
    assert_eq!(reached(&without), (0, false));
}

/// Goal: with `when_share`, drawn faults are armed by drawn conditions; one that never
/// held is reported as never fired and is not counted as unrecovered; without the key the
/// schedule is the one drawn before (no draw added). Method: the two cells with
/// `when_share = 100%` on seeds 1..=12; the same seeds' schedules with 0% and without the key.
#[test]
fn drawn_when_faults_fire_or_say_they_never_did() {
    let plain = load(TWO_CELLS, &[]);
    let zero = load(TWO_CELLS, &["explore.when_share=\"0%\""]);
    let all = load(TWO_CELLS, &["explore.when_share=\"100%\""]);
    let (mut fired, mut never) = (0, 0);
    for seed in 1..=12 {
        let a = schedule(&plain, seed);
        assert_eq!(
            format!("{:?}", a.faults),
            format!("{:?}", schedule(&zero, seed).faults),
            "seed {seed}"
        );
        assert!(a.faults.iter().all(|f| f.when.is_none()));
        let w = schedule(&all, seed);
        assert!(w.faults.iter().all(|f| f.when.is_some()), "seed {seed}");
        for (x, y) in a.faults.iter().zip(&w.faults) {
            assert_eq!((&x.kind, x.start, x.end), (&y.kind, y.start, y.end));
        }
        let o = judge(&all, seed, &RunOptions::default());
        for l in &o.schedule {
            assert!(l.contains(" armed when `"), "{l}");
            if l.contains("never fired") {
                never += 1;
                let name = l.split(':').next().unwrap_or("");
                assert!(!o.unrecovered.iter().any(|u| u == name), "{l}");
            } else {
                assert!(l.contains(": fired at "), "{l}");
                fired += 1;
            }
        }
    }
    assert!(fired > 0 && never > 0, "fired {fired}, never {never}");
}

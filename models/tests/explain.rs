//! Snapshots and counterfactual runs do not disturb what they measure: a run with probes has
//! the same digest as one without, and silencing a tenant leaves every other tenant's
//! arrivals exactly as they were (common random numbers).

use models::harness::run::{run_with, RunOptions};
use models::scenario::load_str;
use sim::SimTime;

const SC: &str = r#"version = 1
duration = "1m"
[platform]
cells = 2
workers = 4
[[tenants]]
id = "hot"
rate = "80/s"
[[cohorts]]
name = "small"
count = 12
rate = "uniform(2/s, 10/s)"
[[faults]]
name = "spike"
kind = "hot_tenant"
tenant = "hot"
at = "20s"
for = "20s"
factor = 5
[[slos]]
name = "p99"
objective = "p(99) < 200ms"
exclude = ["hot"]
"#;

#[test]
fn probes_do_not_change_the_run() {
    let sc = load_str("t.toml", SC, &[]).unwrap();
    let plain = run_with(&sc, 3, &RunOptions::default()).unwrap();
    let probed = run_with(
        &sc,
        3,
        &RunOptions {
            probes: vec![
                SimTime(20_000_000_000),
                SimTime(5_000_000_000),
                SimTime(40_000_000_000),
            ],
            ..RunOptions::default()
        },
    )
    .unwrap();
    assert_eq!(plain.summary.digest, probed.summary.digest);
    assert_eq!(plain.summary.to_json(), probed.summary.to_json());
    let times: Vec<SimTime> = probed.probes.iter().map(|p| p.at).collect();
    assert_eq!(
        times,
        vec![
            SimTime(5_000_000_000),
            SimTime(20_000_000_000),
            SimTime(40_000_000_000)
        ]
    );
    // Cumulative counters grow between snapshots and stay below the end totals.
    let hot = |i: usize| probed.probes[i].tenants[0].offered;
    assert!(hot(0) < hot(1) && hot(1) < hot(2));
    assert!(hot(2) < plain.summary.tenants[0].outcomes.offered);
}

#[test]
fn silencing_a_tenant_keeps_everyone_elses_arrivals() {
    let sc = load_str("t.toml", SC, &[]).unwrap();
    let with = run_with(&sc, 5, &RunOptions::default()).unwrap();
    let without = run_with(
        &sc,
        5,
        &RunOptions {
            silence: vec![0],
            ..RunOptions::default()
        },
    )
    .unwrap();
    assert_eq!(without.summary.tenants[0].outcomes.offered, 0);
    for (a, b) in with
        .summary
        .tenants
        .iter()
        .zip(&without.summary.tenants)
        .skip(1)
    {
        assert_eq!(a.id, b.id);
        assert_eq!(a.cell, b.cell, "placement unchanged");
        assert_eq!(
            a.outcomes.offered, b.outcomes.offered,
            "{}: arrivals changed",
            a.id
        );
    }
    // Disabling the fault changes the hot tenant's load, not the others' arrivals.
    let calm = run_with(
        &sc,
        5,
        &RunOptions {
            disable_faults: vec![0],
            ..RunOptions::default()
        },
    )
    .unwrap();
    assert!(calm.summary.tenants[0].outcomes.offered < with.summary.tenants[0].outcomes.offered);
    for (a, b) in with
        .summary
        .tenants
        .iter()
        .zip(&calm.summary.tenants)
        .skip(1)
    {
        assert_eq!(a.outcomes.offered, b.outcomes.offered);
    }
}

/// A probe at (or after) the end is the state the run ends in: its counters are the summary's.
#[test]
fn a_probe_at_the_end_is_the_final_state() {
    let sc = load_str("t.toml", SC, &[]).unwrap();
    let out = run_with(
        &sc,
        3,
        &RunOptions {
            probes: vec![SimTime(90_000_000_000), SimTime(10_000_000_000)],
            ..RunOptions::default()
        },
    )
    .unwrap();
    let times: Vec<SimTime> = out.probes.iter().map(|p| p.at).collect();
    assert_eq!(
        times,
        vec![SimTime(10_000_000_000), SimTime(60_000_000_000)]
    );
    let end = &out.probes[1];
    for (snap, row) in end.tenants.iter().zip(&out.summary.tenants) {
        assert_eq!(snap.offered, row.outcomes.offered, "{}", row.id);
        assert_eq!(snap.ok, row.outcomes.ok, "{}", row.id);
        assert_eq!(snap.attempts, row.outcomes.attempts, "{}", row.id);
    }
    let plain = run_with(&sc, 3, &RunOptions::default()).unwrap();
    assert_eq!(plain.summary.digest, out.summary.digest);
}

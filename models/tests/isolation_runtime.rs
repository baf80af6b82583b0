//! Bulkheads, the read replica and DB governance at run time (issue 16).
//!
//! Goal: each mechanism acts on the tenants and classes it is set for, and only on them:
//! a tier's DB concurrency limit and statement timeout refuse or cancel that tier's queries
//! alone; a lagging replica fails reads as `stale_read` only for the class that reads from it;
//! `--set bulkheads=[]` and the absence of the sections give the same run (the features are
//! inert when off). Method: small one-cell scenarios run through the library, comparing the
//! per-tier causes and digests.

use reports::summary::RunSummary;

mod support;

const BASE: &str = r#"
version = 1
duration = "20s"
[platform]
cells = 1
workers = 16
[platform.db]
connections = 8
cores = 2
[classes.api]
service = "exp(2ms)"
db_queries = "const(2)"
db_time = "exp(4ms)"
timeout = "5s"
[classes.report]
share = 0.2
service = "exp(2ms)"
db_queries = "const(1)"
db_time = "exp(20ms)"
timeout = "10s"
[[tenants]]
id = "small"
tier = "bronze"
rate = "60/s"
[[tenants]]
id = "big"
tier = "gold"
rate = "60/s"
"#;

/// `BASE` + `extra` at seed 1 with the overrides `sets` (a balanced ledger).
fn run(extra: &str, sets: &[&str]) -> RunSummary {
    support::run(&format!("{BASE}{extra}"), 1, sets)
}

fn cause(s: &RunSummary, tier: &str, name: &str) -> u64 {
    s.tiers
        .iter()
        .find(|t| t.name == tier)
        .and_then(|t| t.causes.get(name).copied())
        .unwrap_or(0)
}

#[test]
fn a_tiers_db_limits_act_on_that_tier_alone() {
    let s = run(
        "[db_governance.tiers.bronze]\nconcurrency = 1\nstatement_timeout = \"10ms\"\n",
        &[],
    );
    assert!(cause(&s, "bronze", "db_throttled") > 0, "{:?}", s.tiers);
    assert!(cause(&s, "bronze", "db_timeout") > 0, "{:?}", s.tiers);
    assert_eq!(cause(&s, "gold", "db_throttled"), 0, "{:?}", s.tiers);
    assert_eq!(cause(&s, "gold", "db_timeout"), 0, "{:?}", s.tiers);
    // A statements/s budget below the offered 120 statements/s throttles too.
    let s = run(
        "[db_governance.tiers.bronze]\nstatements_per_sec = \"40/s\"\n",
        &[],
    );
    assert!(cause(&s, "bronze", "db_throttled") > 0, "{:?}", s.tiers);
    assert_eq!(cause(&s, "gold", "db_throttled"), 0, "{:?}", s.tiers);
}

#[test]
fn a_lagging_replica_fails_only_its_readers_reads() {
    let bulk = "[[bulkheads]]\nname = \"reports\"\nclasses = [\"report\"]\nworkers = 4\ndb_connections = 2\nreads = \"replica\"\n[replica]\nlag = \"exp(2s)\"\nmax_staleness = \"1s\"\n";
    let s = run(bulk, &[]);
    let stale: u64 = ["bronze", "gold"]
        .iter()
        .map(|t| cause(&s, t, "stale_read"))
        .sum();
    // About e^(-1/2) ≈ 61% of the ~480 report reads are staler than 1 s.
    let reports = s.total.outcomes.offered as f64 * 0.2 / 1.2;
    assert!(
        (stale as f64) > 0.4 * reports && (stale as f64) < 0.8 * reports,
        "{stale} stale of ~{reports}"
    );
    let fresh = run(bulk, &["replica.lag=exp(10ms)"]);
    assert!(
        ["bronze", "gold"]
            .iter()
            .all(|t| cause(&fresh, t, "stale_read") == 0),
        "{:?}",
        fresh.tiers
    );
}

#[test]
fn no_bulkheads_is_the_run_without_the_sections() {
    let plain = run("", &[]);
    let removed = run(
        "[[bulkheads]]\nname = \"reports\"\nclasses = [\"report\"]\nworkers = 4\n",
        &["bulkheads=[]"],
    );
    assert_eq!(plain.digest, removed.digest);
    assert_eq!(plain.events, removed.events);
    let with = run(
        "[[bulkheads]]\nname = \"reports\"\nclasses = [\"report\"]\nworkers = 4\n",
        &[],
    );
    assert_ne!(plain.digest, with.digest, "the bulkhead changed nothing");
    assert!(plain.showback.is_none());
    let priced = run("[cost]\n", &[]);
    let sb = priced.showback.expect("showback with [cost]");
    let tiers: f64 = sb.tiers.iter().map(|t| t.cost).sum();
    assert!(sb.total.cost > 0.0 && (tiers - sb.total.cost).abs() < 1e-9);
    assert_eq!(priced.digest, plain.digest, "pricing changes no behaviour");
}

//! A data layout per cell or per tier at run time (issue 16, item 3: "as a model choice per
//! cell or per tier").
//!
//! Goal: an override changes the layout of exactly the tenants it names — a heavy gold
//! tenant given a database of its own (`tiers.gold`) waits in its own pool while its silver
//! neighbours keep the shared pool and their latency, each tenant's connection-hours follow
//! its own layout exactly; and an override that covers every tenant is the same run as the
//! section's layout written for all (same digest, same events). Method: one cell, the seed
//! fixed, layouts compared on the same arrivals and draws.

use reports::summary::RunSummary;

mod support;

const BASE: &str = r#"
version = 1
duration = "20s"
[platform]
cells = 1
workers = 64
scheduler = "drr_cap"
tenant_cap = 16
[platform.db]
connections = 8
cores = 2
[classes.api]
service = "exp(2ms)"
db_queries = "const(2)"
db_time = "exp(2ms)"
timeout = "5s"
[classes.heavy]
share = 0
service = "exp(2ms)"
db_queries = "const(2)"
db_time = "exp(80ms)"
timeout = "30s"
[cost]
connection_hour = 1.0
[[tenants]]
id = "heavy"
tier = "gold"
rate = "20/s"
mix = { heavy = 1.0 }
[[cohorts]]
name = "mates"
count = 20
tier = "silver"
rate = "const(5/s)"
[data_architecture]
layout = "shared_tables"
tenant_pool = 2
connection_overhead = "0%"
connect = "1ms"
"#;

/// `BASE` + `extra` at seed 1 with the overrides `sets` (a balanced ledger).
fn run(extra: &str, sets: &[&str]) -> RunSummary {
    support::run(&format!("{BASE}{extra}"), 1, sets)
}

fn mates_p99(s: &RunSummary) -> f64 {
    s.tenants
        .iter()
        .filter(|t| t.id.starts_with("mates"))
        .map(|t| t.p99_ms)
        .fold(0.0, f64::max)
}

#[test]
fn a_tier_with_its_own_databases_keeps_its_heavy_tenant_off_the_shared_pool() {
    let shared = run("", &[]);
    let mixed = run(
        "[data_architecture.tiers.gold]\nlayout = \"db_per_tenant\"\n",
        &[],
    );
    let d = mixed.data_architecture.as_ref().expect("row");
    assert!(d.tenant_pool_waits > 0, "{d:?}");
    let (a, b) = (mates_p99(&shared), mates_p99(&mixed));
    assert!(
        b * 3.0 < a,
        "the mates should keep the shared pool to themselves: {a} ms shared, {b} ms mixed"
    );
    // Heavy holds its own 2 connections for 20 s; the 20 mates share the pool of 8.
    let sb = mixed.showback.as_ref().expect("showback");
    for (row, t) in sb.tenants.iter().zip(&mixed.tenants) {
        let expect = if t.id == "heavy" {
            2.0 * 20.0 / 3600.0
        } else {
            8.0 * 20.0 / 3600.0 / 20.0
        };
        assert!(
            (row.connection_hours - expect).abs() < 1e-9,
            "{}: {} against {expect}",
            t.id,
            row.connection_hours
        );
    }
    // The server holds the shared pool and heavy's: 8 + 2 at the most.
    assert_eq!(d.connections_max, vec![10]);
}

#[test]
fn an_override_for_every_tenant_is_the_layout_written_for_all() {
    let all = run("", &["data_architecture.layout=db_per_tenant"]);
    let cell = run(
        "[data_architecture.cells.0]\nlayout = \"db_per_tenant\"\n",
        &[],
    );
    assert_eq!((&all.digest, all.events), (&cell.digest, cell.events));
    let all = run("", &["data_architecture.layout=schema_per_tenant"]);
    let tiers = run(
        "[data_architecture.tiers.gold]\nlayout = \"schema_per_tenant\"\n[data_architecture.tiers.silver]\nlayout = \"schema_per_tenant\"\n",
        &[],
    );
    assert_eq!((&all.digest, all.events), (&tiers.digest, tiers.events));
}

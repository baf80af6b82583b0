//! Data architectures at run time, and calls and connections priced in the showback (issue 16).
//!
//! Goal: each layout does what `[data_architecture]` documents, and only that — a database
//! per tenant holds a tenant's heavy queries to its own pool (its neighbours' latency stays
//! where it was without the heavy tenant, and queries wait in that pool); a schema per
//! tenant adds exactly its planning work to the DB-seconds of the tenants who paid it; a
//! restart reopens a shared pool's connections only, but every tenant's own pool; KMS
//! calls and dependency calls priced in `[cost]` add up to the platform's own counts.
//! Method: small one-cell scenarios run through the library (seed 1), comparing layouts on
//! the same seed (same arrivals, same draws) and reading `summary.json`'s numbers.

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
"#;

/// `BASE` + `extra` at seed 1 with the overrides `sets` (a balanced ledger).
fn run(extra: &str, sets: &[&str]) -> RunSummary {
    support::run(&format!("{BASE}{extra}"), 1, sets)
}

/// The worst p99 (ms) among the mates.
fn mates_p99(s: &RunSummary) -> f64 {
    s.tenants
        .iter()
        .filter(|t| t.id.starts_with("mates"))
        .map(|t| t.p99_ms)
        .fold(0.0, f64::max)
}

const LAYOUT: &str = "[data_architecture]\nlayout = \"shared_tables\"\ntenant_pool = 2\nconnection_overhead = \"0%\"\nconnect = \"1ms\"\n";

#[test]
fn a_pool_per_tenant_holds_a_heavy_tenant_to_its_own_connections() {
    // The heavy tenant offers 20/s × 2 × 80 ms = 3.2 core-seconds a second to 2 cores.
    let shared = run(LAYOUT, &[]);
    let own = run(LAYOUT, &["data_architecture.layout=db_per_tenant"]);
    let d = own
        .data_architecture
        .as_ref()
        .expect("data architecture row");
    assert_eq!(d.layout, "db_per_tenant");
    assert!(
        d.tenant_pool_waits > 0,
        "the heavy tenant's queries wait in its pool: {d:?}"
    );
    let (a, b) = (mates_p99(&shared), mates_p99(&own));
    assert!(
        b * 3.0 < a,
        "a pool per tenant should keep the mates far below the shared pool's p99: shared {a} ms, own pools {b} ms"
    );
    assert_eq!(
        shared
            .data_architecture
            .as_ref()
            .map(|d| d.tenant_pool_waits),
        Some(0)
    );
}

#[test]
fn a_schema_per_tenant_adds_its_planning_work_to_the_tenants_db_seconds() {
    // No heavy tenant: the same requests and draws under both layouts.
    let quiet = "[data_architecture]\nlayout = \"shared_tables\"\nplanning_per_schema = \"10us\"\nconnect = \"0s\"\n";
    let sets = ["tenants.heavy.rate=0.001/s"];
    let shared = run(quiet, &sets);
    let schema = run(
        quiet,
        &[sets[0], "data_architecture.layout=schema_per_tenant"],
    );
    let d = schema.data_architecture.as_ref().expect("row");
    assert_eq!(d.schemas, vec![21]);
    let plan = d.planning_db_seconds;
    // 21 schemas × 10 µs per query, ~100 requests/s × 2 queries × 20 s: ~0.84 s.
    assert!(plan > 0.5 && plan < 1.2, "{plan}");
    let db = |s: &RunSummary| s.showback.as_ref().expect("showback").total.db_seconds;
    let added = db(&schema) - db(&shared);
    assert!(
        (added - plan).abs() < plan * 0.01,
        "metered DB-seconds grew by {added}, planning was {plan}"
    );
    assert_eq!(
        shared
            .data_architecture
            .as_ref()
            .map(|d| d.planning_db_seconds),
        Some(0.0)
    );
}

#[test]
fn a_restart_reopens_one_shared_pool_but_every_tenant_pool() {
    let outage = "[[faults]]\nkind = \"cell_outage\"\ncells = [0]\nat = \"10s\"\nfor = \"2s\"\n";
    let extra = format!("{LAYOUT}{outage}");
    let shared = run(&extra, &[]);
    let own = run(&extra, &["data_architecture.layout=db_per_tenant"]);
    let s = shared.data_architecture.as_ref().expect("row");
    let o = own.data_architecture.as_ref().expect("row");
    // The shared pool reopens at most its 8 connections.
    assert!(s.connects > 0 && s.connects <= 8, "{s:?}");
    // Every one of the 21 tenants that sent a query after the restart reopens its own.
    assert!(o.connects >= 21 && o.connects <= 42, "{o:?}");
    assert!(
        (o.connect_db_seconds - o.connects as f64 * 0.001).abs() < 1e-9,
        "{o:?}"
    );
    // Pools start open: 21 × 2 connections on the server from the start.
    assert_eq!(o.connections_max, vec![42]);
    // A migration estimate per layout: one statement for shared tables, per tenant else.
    assert_eq!(s.migration.tenants_exposed_at_once, 21);
    assert!((s.migration.wall_seconds - 42.0).abs() < 1e-9, "{s:?}");
    assert_eq!(o.migration.tenants_exposed_at_once, 4);
    assert!(
        (o.migration.wall_seconds - 6.0 * 2.001).abs() < 1e-9,
        "{o:?}"
    );
}

#[test]
fn without_the_section_nothing_is_modelled() {
    let s = run("", &[]);
    assert!(s.data_architecture.is_none());
    let with = run(LAYOUT, &[]);
    assert!(with.data_architecture.is_some());
}

#[test]
fn kms_and_dependency_calls_are_priced_per_tenant_and_add_up() {
    let extra = r#"
[kms]
data_key_ttl = "1s"
[[dependencies]]
name = "llm"
servers = 2
service = "exp(50ms)"
tenant_rate = "1/s"
[classes.assistant]
share = 0.2
service = "exp(2ms)"
kms = true
calls = ["llm"]
timeout = "5s"
"#;
    let priced = format!("{extra}[data_architecture]\nlayout = \"db_per_tenant\"\n");
    let sets = [
        "cost.kms_call=0.5",
        "cost.dependency_calls={ llm = 2.0 }",
        "cost.connection_hour=3.0",
    ];
    let s = run(&priced, &sets);
    let b = s.showback.as_ref().expect("showback");
    assert_eq!(b.prices.kms_call, 0.5);
    // The tenants' KMS calls are the platform's.
    let kms: f64 = b.tenants.iter().map(|r| r.kms_calls).sum();
    assert!(kms > 0.0);
    assert_eq!(kms, s.control.kms_calls as f64);
    assert_eq!(b.total.kms_calls, kms);
    // Priced dependency calls are the calls the provider admitted.
    let dep = &s.control.dependencies[0];
    let admitted = (dep.calls - dep.quota_refused - dep.busy_refused) as f64;
    assert!(admitted > 0.0);
    assert_eq!(b.total.dependency_calls, admitted);
    assert!((b.total.dependency_cost - 2.0 * admitted).abs() < 1e-9);
    // Each tenant's own pool of 2 for the whole 20 s: 2 × 20 / 3600 connection-hours.
    let per = 2.0 * 20.0 / 3600.0;
    for r in &b.tenants {
        assert!((r.connection_hours - per).abs() < 1e-9, "{r:?}");
    }
    // The cost is the sum of the priced parts.
    let t = &b.total;
    let expect = t.worker_seconds * b.prices.worker_second
        + t.db_seconds * b.prices.db_second
        + t.gb * b.prices.gb
        + 0.5 * t.kms_calls
        + t.dependency_cost
        + 3.0 * t.connection_hours;
    assert!((t.cost - expect).abs() < 1e-9 * expect.max(1.0), "{t:?}");
    // Unpriced, the same run counts none of it.
    let free = run(&priced, &[]);
    let f = &free.showback.as_ref().expect("showback").total;
    assert_eq!(
        (f.kms_calls, f.dependency_calls, f.connection_hours),
        (0.0, 0.0, 0.0)
    );
}

//! Per-tenant DB CPU budgets at run time (issue 16, item 2: "CPU budgets").
//!
//! Goal: a tenant's statements are admitted while their work fits in its budget for the
//! window, and past it refused (`refuse`) or delayed to the next window (`delay`), exactly;
//! a tenant without a budget is untouched. Method: one tenant whose every request is one
//! statement of exactly 10 ms, at 100/s (refuse) or 20/s (delay) against 100 ms of DB CPU
//! per 1 s window for 10 s: exactly 10 statements per window, so exactly 100 requests
//! succeed; the rest are 503s (refuse) or still waiting at the end (delay, a 60 s client
//! timeout). The DB (4 cores, 16 connections) is never the limit, nor are the 256 workers
//! (a delayed query holds its worker: ~100 by the end).

use models::scenario::{load_str, Override};
use reports::summary::RunSummary;

const BASE: &str = r#"
version = 1
duration = "10s"
[platform]
cells = 1
workers = 256
[platform.db]
connections = 16
cores = 4
[classes.api]
service = "const(1ms)"
db_queries = "const(1)"
db_time = "const(10ms)"
timeout = "60s"
[[tenants]]
id = "capped"
tier = "bronze"
rate = "100/s"
[[tenants]]
id = "free"
tier = "gold"
rate = "100/s"
[db_governance.tiers.bronze]
cpu_budget = "100ms"
cpu_window = "1s"
"#;

fn run(sets: &[&str]) -> RunSummary {
    let sets: Vec<Override> = sets
        .iter()
        .map(|s| Override::parse(s).expect("override"))
        .collect();
    let sc = load_str("budget.toml", BASE, &sets).unwrap_or_else(|e| panic!("{e}"));
    models::harness::run::run(&sc, 1, None)
        .expect("ledger balances")
        .summary
}

fn tenant<'a>(s: &'a RunSummary, id: &str) -> &'a reports::summary::TenantRow {
    s.tenants.iter().find(|t| t.id == id).expect("tenant")
}

#[test]
fn past_the_budget_statements_are_refused_exactly() {
    let s = run(&[]);
    let c = &tenant(&s, "capped").outcomes;
    assert_eq!(c.ok, 100, "{c:?}");
    assert_eq!(c.shed_503 + c.in_flight, c.offered - 100, "{c:?}");
    assert!(c.shed_503 > 700, "{c:?}");
    let f = &tenant(&s, "free").outcomes;
    assert_eq!(f.shed_503, 0, "{f:?}");
    assert_eq!(f.ok + f.in_flight, f.offered, "{f:?}");
}

#[test]
fn past_the_budget_statements_wait_for_the_next_window_exactly() {
    let s = run(&[
        "db_governance.tiers.bronze.cpu_policy=delay",
        "tenants.capped.rate=20/s",
    ]);
    let c = &tenant(&s, "capped").outcomes;
    assert_eq!(c.ok, 100, "{c:?}");
    assert_eq!(c.shed_503, 0, "{c:?}");
    assert_eq!(c.in_flight, c.offered - 100, "{c:?}");
    // The backlog grows by ~10 a second: the last window serves requests ~5 s old.
    assert!(tenant(&s, "capped").p99_ms > 3_000.0, "{c:?}");
    assert!(tenant(&s, "free").p99_ms < 50.0);
}

//! A DB degraded to 0% (a stall), against a hand calculation.
//!
//! Goal: `db_degraded` with `capacity = "0%"` is accepted and means a stall: queries make no
//! progress while it lasts (and resume after), and the statement timeout still cancels them.
//! Method: one closed-loop user (constant CPU 10 ms, one 1 ms query, 100 ms think), a 10 s
//! run, the DB stalled from 1 s to 3 s. Request k starts at k × 111 ms; the tenth (0.999 s)
//! queries at 1.009 s, inside the stall.

use models::scenario::{load_str, Override};

fn run(sets: &[&str]) -> reports::summary::RunSummary {
    let text = r#"
version = 1
duration = "10s"
[platform]
cells = 1
workers = 4
[classes.api]
service = "const(10ms)"
db_queries = "const(1)"
db_time = "const(1ms)"
timeout = "10s"
[classes.api.retry]
policy = "none"
[[tenants]]
id = "solo"
arrival = "closed"
users = 1
think = "const(100ms)"
start_spread = "0s"
[[faults]]
name = "stall"
kind = "db_degraded"
cell = 0
capacity = "0%"
at = "1s"
for = "2s"
"#;
    let sets: Vec<Override> = sets
        .iter()
        .map(|s| Override::parse(s).expect("override"))
        .collect();
    let sc = load_str("stall.toml", text, &sets).unwrap_or_else(|e| panic!("{e}"));
    models::harness::run::run(&sc, 1, None)
        .expect("ledger balances")
        .summary
}

/// No statement timeout: the query made at 1.009 s waits for the end of the stall and ends
/// at 3.001 s; nothing fails. Then requests start at 3.101 + n × 0.111 s and end by 10 s for
/// n = 0..62. Offered 10 + 63 = 73, all ok.
#[test]
fn a_stall_holds_queries_until_it_ends() {
    let s = run(&[]);
    assert_eq!(s.total.outcomes.offered, 73);
    assert_eq!(s.total.outcomes.ok, 73);
}

/// Statement timeout 500 ms: a query inside the stall is cancelled 500 ms after it started
/// (those of 1.009, 1.619 and 2.229 s: 3 failures, a cycle of 10 + 500 + 100 ms). The query
/// of 2.839 s is still within its 500 ms when the stall ends at 3 s: it runs its 1 ms and
/// succeeds at 3.001 s. Then 63 more as without a timeout. Offered 9 + 3 + 1 + 63 = 76,
/// ok 73.
#[test]
fn a_stall_still_times_queries_out() {
    let s = run(&["platform.db.statement_timeout=500ms"]);
    assert_eq!(s.total.outcomes.offered, 76);
    assert_eq!(s.total.outcomes.ok, 73);
    assert_eq!(s.total.outcomes.errors_5xx + s.total.outcomes.shed_503, 3);
}

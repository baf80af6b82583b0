//! A tenant that becomes unplaceable at run time is a reported outcome, not cell 0.
//!
//! Goal: when the control plane has no legal cell for a tenant signing up mid-run (here:
//! every cell is dead), the tenant is not placed anywhere: it ends `provision_failed`,
//! counted in `summary.json` (`control.provision_failed`), and none of its requests is
//! served (they fail `not_active`).
//! Method: one cell, down from 1 s to the end; its heartbeats stop, the control plane marks
//! it dead after `heartbeat_missed` beats; 3 tenants sign up at 10 s. Hand count: 3 failed
//! provisionings, 0 requests ok for the cohort.

use models::scenario::load_str;

#[test]
fn no_legal_cell_at_run_time_is_reported() {
    let text = r#"
version = 1
duration = "20s"
[platform]
cells = 1
workers = 4
[classes.api]
service = "const(1ms)"
db_queries = "const(0)"
[[tenants]]
id = "old"
rate = "10/s"
[[cohorts]]
name = "late"
count = 3
rate = "const(5/s)"
provision_at = "10s"
[[faults]]
name = "down"
kind = "cell_outage"
cell = 0
at = "1s"
for = "19s"
"#;
    let sc = load_str("unplaceable.toml", text, &[]).unwrap_or_else(|e| panic!("{e}"));
    let s = models::harness::run::run(&sc, 1, None)
        .expect("ledger balances")
        .summary;
    assert_eq!(s.control.provision_failed, 3);
    let late_ok: u64 = s
        .tenants
        .iter()
        .filter(|t| t.cohort.as_deref() == Some("late"))
        .map(|t| t.outcomes.ok)
        .sum();
    assert_eq!(late_ok, 0);
}

//! Tenant moves with a cost, and the rebalancer that makes them. A scripted move's backfill
//! takes DB time at both ends (its bystanders feel it), is verified, rolls back when the
//! verification fails, and counts retried writes dual-written as duplicates; every move is an
//! action. The rebalancer promotes a tenant that outgrew its cell to an empty eligible cell,
//! honours residency (no legal destination is an outcome), and costs nothing when off.
//! Located errors for impossible settings.

mod support;

use support::{assert_located_errors, run, tenant};

/// `mover` (500 MB) moves from cell 0 to the empty cell 1 at 20 s at 50 MB/s: a 10 s
/// backfill. Cell 0's DB (2 cores) also serves `by`, ~60% busy. With
/// `backfill_db_time = 30s` the backfill takes 1.5 of the 2 cores at each end.
const MOVE: &str = r#"
version = 1
duration = "1m"
[control_plane]
push_delay = "const(1s)"
[control_plane.migration]
backfill_db_time = "30s"
verify = "const(5s)"
[platform]
cells = 2
workers = 32
[platform.db]
connections = 16
cores = 2
[classes.read]
share = 0.7
service = "exp(1ms)"
db_queries = "const(1)"
db_time = "exp(4ms)"
timeout = "2s"
[classes.write]
share = 0.3
writes = true
service = "exp(1ms)"
db_queries = "const(1)"
db_time = "exp(4ms)"
timeout = "2s"
[[tenants]]
id = "mover"
rate = "50/s"
cell = 0
data_size = "500MB"
[[tenants]]
id = "by"
rate = "250/s"
cell = 0
[[faults]]
name = "move"
kind = "tenant_migration"
tenant = "mover"
to_cell = 1
backfill_rate = "50MB"
at = "20s"
until = "50s"
"#;

fn without_cost() -> String {
    let start = MOVE.find("[control_plane.migration]").unwrap();
    let end = MOVE.find("[platform]").unwrap();
    format!("{}{}", &MOVE[..start], &MOVE[end..])
}

/// Goal: a scripted move costs DB time at both ends for the whole backfill, which the
/// bystander on the source cell feels; it is verified before the cutover and logged as an
/// action. Method: MOVE with and without `[control_plane.migration]`: the action's duration
/// (backfill 10 s + verify 5 s, or 10 s when free), `control.moves.backfill_db_core_s`
/// (1.5 cores × 2 ends × 10 s = 30), the tenant's final cell, and the bystander's p99.
#[test]
fn a_scripted_move_costs_db_time_is_verified_and_is_an_action() {
    let with = run(MOVE, 1, &[]);
    let free = run(&without_cost(), 1, &[]);
    for (s, secs, core_s) in [(&with, 15.0, 30.0), (&free, 10.0, 0.0)] {
        let a = &s.control.actions;
        assert_eq!(a.len(), 1, "{a:#?}");
        assert_eq!(
            (a[0].kind.as_str(), a[0].outcome.as_str()),
            ("migrate", "moved")
        );
        assert_eq!((a[0].cell, a[0].to), (Some(0), Some(1)));
        // The fault asks the control plane at 20 s; the move starts when it answers.
        assert!((20.0..21.0).contains(&a[0].t), "{}", a[0].t);
        assert!((a[0].duration_s - secs).abs() < 1e-6, "{}", a[0].duration_s);
        let m = s.control.moves.as_ref().expect("a move was made");
        assert_eq!(m.started, 1);
        assert!((m.backfill_db_core_s - core_s).abs() < 1e-6, "{m:?}");
        assert_eq!(tenant(s, "mover").cell, 1);
    }
    let (p_with, p_free) = (tenant(&with, "by").p99_ms, tenant(&free, "by").p99_ms);
    assert!(
        p_with > 1.5 * p_free,
        "the backfill should hurt the bystander: p99 {p_with} ms with, {p_free} ms free"
    );
}

/// Goal: a failed verification rolls the move back: the tenant stays on its source, the
/// failure is counted, the action's outcome says so, and no write went astray.
/// Method: MOVE with `verify_failure = 100%`.
#[test]
fn a_failed_verification_rolls_back_to_the_source() {
    let s = run(MOVE, 1, &["control_plane.migration.verify_failure=100%"]);
    let a = &s.control.actions;
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].outcome, "rolled_back");
    assert!((a[0].duration_s - 15.0).abs() < 1e-6);
    assert_eq!(tenant(&s, "mover").cell, 0);
    let m = s.control.moves.as_ref().unwrap();
    assert_eq!(m.verify_failures, 1);
    assert_eq!(s.control.misrouted_writes_applied, 0);
    assert_eq!(tenant(&s, "mover").outcomes.errors_5xx, 0);
}

/// Goal: client retries of writes during dual-write are counted as duplicates, and only
/// those. Method: MOVE with a write timeout (30 ms) below the DB's slow tail during the
/// backfill, so writes time out and are retried: duplicates > 0 and at most the retries;
/// with the generous 2 s timeout nothing is retried and nothing is counted.
#[test]
fn retried_writes_during_dual_write_are_counted() {
    let calm = run(MOVE, 1, &[]);
    assert_eq!(calm.control.moves.as_ref().unwrap().duplicate_writes, 0);
    let text = MOVE.replace(
        "writes = true\nservice = \"exp(1ms)\"\ndb_queries = \"const(1)\"\ndb_time = \"exp(4ms)\"\ntimeout = \"2s\"",
        "writes = true\nservice = \"exp(1ms)\"\ndb_queries = \"const(1)\"\ndb_time = \"exp(4ms)\"\ntimeout = \"30ms\"\nretry = { policy = \"backoff\", base = \"10ms\", cap = \"50ms\", max_attempts = 3 }",
    );
    assert_ne!(text, MOVE);
    let s = run(&text, 1, &[]);
    let dup = s.control.moves.as_ref().unwrap().duplicate_writes;
    assert!(dup > 0, "no duplicate counted");
    let retries = s.ledger.attempts_started - s.ledger.requests_started;
    assert!(dup <= retries, "{dup} > {retries} retries");
}

/// 3 cells of 1 DB core (~250 requests/s of 4 ms): cell 0 in the EU, cells 1-2 in the US;
/// `hot` (200/s) and 5 small tenants on cell 0, 5 on cell 1, cell 2 empty.
const FLEET: &str = r#"
version = 1
duration = "2m"
[control_plane]
push_delay = "const(1s)"
[control_plane.rebalance]
interval = "10s"
cell_utilisation = "50%"
target_utilisation = "95%"
[control_plane.migration]
backfill_db_time = "1s"
verify = "const(1s)"
[platform]
cells = 3
workers = 32
regions = ["eu-west", "us", "us"]
[platform.db]
connections = 16
cores = 1
[classes.q]
share = 1.0
service = "exp(1ms)"
db_queries = "const(1)"
db_time = "exp(4ms)"
timeout = "2s"
[[tenants]]
id = "hot"
rate = "150/s"
cell = 0
data_size = "100MB"
[[cohorts]]
name = "small"
count = 10
rate = "const(2/s)"
cells = [0, 1]
"#;

/// Goal: the rebalancer promotes a hot cell's dominant tenant to an empty eligible cell (not
/// merely the least busy one) and the move is an action with its reason; an EU-only tenant
/// whose only legal cell is its own gets `no_destination` and stays. Method: FLEET, then
/// FLEET with `hot` EU-only.
#[test]
fn the_rebalancer_promotes_to_an_empty_cell_and_honours_residency() {
    let s = run(FLEET, 1, &[]);
    let a = &s.control.actions;
    let p: Vec<_> = a.iter().filter(|a| a.kind == "promote").collect();
    assert_eq!(p.len(), 1, "{a:#?}");
    assert_eq!(p[0].tenant.as_deref(), Some("hot"));
    assert_eq!((p[0].cell, p[0].to), (Some(0), Some(2)));
    assert_eq!(p[0].outcome, "moved");
    assert!((p[0].t - 10.0).abs() < 1e-9, "first evaluation: {}", p[0].t);
    assert!(p[0].reason.contains("cell 0 DB"), "{}", p[0].reason);
    assert_eq!(tenant(&s, "hot").cell, 2);

    let eu = FLEET.replace(
        "id = \"hot\"\nrate",
        "id = \"hot\"\nresidency = \"eu\"\nrate",
    );
    assert_ne!(eu, FLEET);
    let s = run(&eu, 1, &[]);
    let a = &s.control.actions;
    assert!(!a.is_empty());
    assert!(
        a.iter()
            .all(|a| a.kind == "promote" && a.outcome == "no_destination" && a.to.is_none()),
        "{a:#?}"
    );
    assert_eq!(tenant(&s, "hot").cell, 0);
}

/// Goal: the rebalancer off schedules nothing and changes nothing: the same digest and
/// events as a file without the table; on, it does act (not vacuous). Method: FLEET with
/// `enabled = false` against FLEET without `[control_plane.rebalance]`.
#[test]
fn the_rebalancer_off_is_the_same_run_as_none() {
    let off = run(FLEET, 2, &["control_plane.rebalance.enabled=false"]);
    assert!(off.control.actions.is_empty());
    let start = FLEET.find("[control_plane.rebalance]").unwrap();
    let end = FLEET.find("[control_plane.migration]").unwrap();
    let none = run(&format!("{}{}", &FLEET[..start], &FLEET[end..]), 2, &[]);
    assert_eq!((&off.digest, off.events), (&none.digest, none.events));
    assert!(!run(FLEET, 2, &[]).control.actions.is_empty());
}

/// Goal: a threshold nobody reaches means no move (the knob is live through `--set`).
/// Method: FLEET with `cell_utilisation = 100%`.
#[test]
fn a_threshold_nobody_reaches_moves_nobody() {
    let s = run(FLEET, 1, &["control_plane.rebalance.cell_utilisation=100%"]);
    assert!(s.control.actions.is_empty(), "{:#?}", s.control.actions);
    assert_eq!(tenant(&s, "hot").cell, 0);
}

/// Goal: impossible move and rebalancer settings are errors at their position with what
/// would be right. Method: one bad key at a time.
#[test]
fn bad_move_and_rebalance_settings_are_located_errors() {
    let head = "version = 1\nduration = \"1m\"\n[platform]\ncells = 2\n[[tenants]]\nid = \"a\"\nrate = \"1/s\"\n";
    let cases: &[(&str, &str, &str)] = &[
        (
            "[control_plane.migration]\nbackfill_rate = \"0MB\"\n",
            "t.toml:9:17",
            "a move must make progress",
        ),
        (
            "[control_plane.migration]\nverify_failure = \"150%\"\n",
            "t.toml:9:18",
            "outside 0%..100%",
        ),
        (
            "[control_plane.migration]\nverify = \"fast\"\n",
            "t.toml:9:10",
            "duration",
        ),
        (
            "[control_plane.rebalance]\ninterval = \"0s\"\n",
            "t.toml:9:12",
            "needs an evaluation interval",
        ),
        (
            "[control_plane.rebalance]\nmax_concurrent = 0\n",
            "t.toml:9:18",
            "between 1 and 100000",
        ),
        (
            "[control_plane.rebalance]\ncell_utilisation = \"0%\"\n",
            "t.toml:9:20",
            "above 0 and at most 100%",
        ),
        (
            "[control_plane.rebalance]\npromote_share = 1.5\n",
            "t.toml:9:17",
            "outside 0%..100%",
        ),
        (
            "[control_plane.rebalance]\ngrowth = 0.5\n",
            "t.toml:9:10",
            "at least 1",
        ),
        (
            "[control_plane.rebalance]\nthreshold = 0.5\n",
            "t.toml:9:1",
            "unknown field `threshold`",
        ),
    ];
    assert_located_errors(head, cases);
}

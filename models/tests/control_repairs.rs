//! The control plane repairs what it observes: RECONCILE_FAILED tenants retried and brought
//! back (`[control_plane.reconcile] repair`), re-placed off a dead cell; a provisioning that
//! cannot create the tenant's data key fails and is rescued once the key is back; a
//! destroyed tenant's async jobs stop; a restore's DB work is charged to the tenant.

use models::scenario::load_str;

mod support;
use support::{actions, run_lifecycle as run, tenant, transitions};

/// Two cells; tenants `a` and `b` on cell 0, `c` on cell 1, 10 requests/s each, 2 minutes.
const BASE: &str = concat!(
    r#"
version = 1
duration = "2m"
[control_plane]
latency = "const(10ms)"
urgent_push_delay = "const(100ms)"
push_delay = "const(100ms)"
provision_time = "const(1s)"
heartbeat_interval = "1s"
heartbeat_missed = 3
"#,
    support::settings::three_tenants_on_two_cells!()
);

const RECONCILE: &str =
    "[control_plane.reconcile]\ninterval = \"5s\"\nbackoff = \"5s\"\nmax_backoff = \"10s\"\n";

/// Goal: with `repair`, a tenant failed by a disabled key is retried with backoff while the
/// key stays disabled (each retry an action `failed`) and brought back by a repair once it
/// is re-enabled (action `repaired`, spanning the time it was failed); the sub-state changes
/// are the same pairs as without repair. Without `repair` the same run has no retry.
/// Method: `a`'s key disabled 20–50 s, reconcile every 5 s, backoff 5 s doubled up to 10 s.
#[test]
fn repair_retries_a_disabled_key_and_brings_the_tenant_back() {
    let text = format!(
        "{BASE}{RECONCILE}repair = true\n[[faults]]\nkind = \"kms_key_disabled\"\ntenant = \"a\"\nat = \"20s\"\nfor = \"30s\"\n"
    );
    let s = run(&text, &[]);
    assert_eq!(
        transitions(&s, "active_reconcile_success->active_reconcile_failed"),
        1
    );
    assert_eq!(
        transitions(&s, "active_reconcile_failed->active_reconcile_success"),
        1
    );
    let r = actions(&s, "reconcile");
    assert_eq!((r[0].outcome.as_str(), r[0].t), ("failed", 20.0), "{r:#?}");
    let retries: Vec<_> = r[1..r.len() - 1].iter().collect();
    assert!(
        (2..=5).contains(&retries.len()),
        "retries while disabled: {r:#?}"
    );
    for x in &retries {
        assert_eq!(x.outcome, "failed");
        assert!(x.reason.starts_with("repair: KMS key disabled"), "{x:?}");
        assert!(x.t >= 20.0 && x.t < 50.0, "{x:?}");
    }
    // Backoff: consecutive retries at least 5 s apart.
    for w in retries.windows(2) {
        assert!(w[1].t - w[0].t >= 5.0 - 1e-9, "{w:?}");
    }
    let last = r[r.len() - 1];
    assert_eq!(last.outcome, "repaired");
    assert_eq!(last.t, 20.0, "its span starts when the reconcile failed");
    let end = last.t + last.duration_s;
    assert!((50.0..=61.0).contains(&end), "repaired at {end}");
    assert!(last.reason.contains("route and config pushed"), "{last:?}");

    let watch = run(
        &text.replace("repair = true\n", "watch_serving = true\n"),
        &[],
    );
    let r = actions(&watch, "reconcile");
    assert_eq!(
        r.iter().map(|a| a.outcome.as_str()).collect::<Vec<_>>(),
        ["failed", "recovered"]
    );
}

/// Goal: with `repair` and no evacuation, the tenants of a dead cell are re-placed: restored
/// from backup on the live cell (an action `re_placed` with its destination), then
/// `active_reconcile_success`, and served there; without `repair` they stay on the dead
/// cell, failed. Method: cell 0 down from 20 s to the end; the tenants' final cells and
/// their successes after the outage against the watch-only run.
#[test]
fn repair_re_places_the_tenants_of_a_dead_cell() {
    let text = format!(
        "{BASE}{RECONCILE}repair = true\n[[faults]]\nkind = \"cell_outage\"\ncell = 0\nat = \"20s\"\nfor = \"100s\"\n"
    );
    let s = run(&text, &[]);
    let moved = actions(&s, "reconcile")
        .into_iter()
        .filter(|a| a.outcome == "re_placed")
        .collect::<Vec<_>>();
    assert_eq!(moved.len(), 2, "{:#?}", s.control.actions);
    for m in &moved {
        assert_eq!((m.cell, m.to), (Some(0), Some(1)), "{m:?}");
        assert!(m.t >= 23.0 && m.t < 40.0, "{m:?}");
    }
    for id in ["a", "b"] {
        assert_eq!(tenant(&s, id).cell, 1, "{id}");
    }
    assert_eq!(
        transitions(&s, "active_reconcile_failed->active_reconcile_success"),
        2
    );
    let watch = run(
        &text.replace("repair = true\n", "watch_serving = true\n"),
        &[],
    );
    assert!(actions(&watch, "reconcile")
        .iter()
        .all(|a| a.outcome != "re_placed"));
    for id in ["a", "b"] {
        assert_eq!(tenant(&watch, id).cell, 0);
        assert!(
            tenant(&s, id).outcomes.ok > tenant(&watch, id).outcomes.ok + 500,
            "{id}: re-placed {} ok vs {} ok",
            tenant(&s, id).outcomes.ok,
            tenant(&watch, id).outcomes.ok
        );
    }
}

/// Goal: `repair` off (the default) is the run without the key: same digest and events.
/// Method: the disabled-key run with `repair = false` against the table without the key.
#[test]
fn repair_off_changes_nothing() {
    let text = format!(
        "{BASE}{RECONCILE}watch_serving = true\n[[faults]]\nkind = \"kms_key_disabled\"\ntenant = \"a\"\nat = \"20s\"\nfor = \"30s\"\n"
    );
    let without = run(&text, &[]);
    let off = run(&text, &["control_plane.reconcile.repair=false"]);
    assert_eq!((&off.digest, off.events), (&without.digest, without.events));
    let on = run(&text, &["control_plane.reconcile.repair=true"]);
    assert_ne!(on.digest, without.digest, "the comparison is not vacuous");
}

/// Goal: `repair = true` with `watch_serving = false` written out is a located error.
#[test]
fn repair_without_watching_is_a_located_error() {
    let text = format!("{BASE}{RECONCILE}watch_serving = false\nrepair = true\n");
    let err = match load_str("t.toml", &text, &[]) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("t.toml:31:10"), "{err}");
    assert!(err.contains("watch_serving = false"), "{err}");
}

/// Goal: a tenant whose KMS key is disabled when its cell creates it fails provisioning
/// (the cell cannot create its data key); the reconciler retries it, naming the cause,
/// and rescues it once the key is re-enabled; without a reconciler it stays
/// `provision_failed`. Method: `n-0001` provisioned at 10 s with its key disabled 5–40 s.
#[test]
fn a_disabled_key_fails_provisioning_until_the_reconciler_rescues_it() {
    let text = format!(
        "{BASE}{RECONCILE}[[cohorts]]\nname = \"n\"\ncount = 1\nrate = \"const(10/s)\"\nprovision_at = \"10s\"\n[[faults]]\nkind = \"kms_key_disabled\"\ntenant = \"n-0001\"\nat = \"5s\"\nfor = \"35s\"\n"
    );
    let s = run(&text, &[]);
    assert_eq!(tenant(&s, "n-0001").state, "active");
    // Created at 11 s, retried at 20 s and 35 s (backoff 5 s, then 10 s): three failures;
    // the retry at 50 s, after the key is back at 40 s, succeeds.
    assert_eq!(transitions(&s, "provision_pending->provision_failed"), 3);
    let r = actions(&s, "reconcile");
    let failed: Vec<_> = r.iter().filter(|a| a.outcome == "failed").collect();
    assert!(!failed.is_empty(), "{r:#?}");
    for f in &failed {
        assert!(f.reason.ends_with("; KMS key disabled"), "{f:?}");
    }
    let rescued: Vec<_> = r.iter().filter(|a| a.outcome == "rescued").collect();
    assert_eq!(rescued.len(), 1, "{r:#?}");
    assert!(rescued[0].t >= 40.0, "{:?}", rescued[0]);

    let start = text.find("[control_plane.reconcile]").unwrap();
    let end = text.find("[[cohorts]]").unwrap();
    let none = run(&format!("{}{}", &text[..start], &text[end..]), &[]);
    assert_eq!(tenant(&none, "n-0001").state, "provision_failed");
}

/// Goal: a destroy stops the tenant's async jobs (none done after it, the cancelled ones
/// counted in the destroy's reason) while a bystander's jobs go on.
/// Method: `a` and `c` submit an export every second; destroy `a` at 20 s, its backup kept
/// 60 s (the destroy's action is recorded when it ends, at 80 s).
#[test]
fn destroy_stops_the_tenants_async_jobs() {
    let text = BASE
        .replace(
            "id = \"a\"\nrate = \"10/s\"\ncell = 0\n",
            "id = \"a\"\nrate = \"10/s\"\ncell = 0\njobs = { class = \"export\", rate = \"60/m\" }\n",
        )
        .replace(
            "id = \"c\"\nrate = \"10/s\"\ncell = 1\n",
            "id = \"c\"\nrate = \"10/s\"\ncell = 1\njobs = { class = \"export\", rate = \"60/m\" }\n",
        );
    let text = format!(
        "{text}[jobs.export]\ndb_time = \"const(100ms)\"\nbytes = \"const(1MB)\"\n[[faults]]\nkind = \"destroy\"\ntenant = \"a\"\nat = \"20s\"\n[control_plane.lifecycle]\nretention = \"60s\"\n"
    );
    let s = run(&text, &[]);
    let a = tenant(&s, "a");
    let c = tenant(&s, "c");
    assert!(
        (10..=25).contains(&a.jobs_done),
        "a's jobs done before its destroy: {}",
        a.jobs_done
    );
    assert!(
        c.jobs_done > 100,
        "the bystander's jobs go on: {}",
        c.jobs_done
    );
    let d = actions(&s, "destroy");
    assert_eq!(d[0].outcome, "destroyed");
    let n: u64 = d[0]
        .reason
        .strip_prefix("operator; ")
        .and_then(|r| r.strip_suffix(" async jobs cancelled"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{:?}", d[0]));
    assert!((45..=75).contains(&n), "cancelled {n}");
}

/// Goal: a restore's DB work (data_size × backfill_db_time, when moves cost) is charged to
/// the tenant like its queries. Method: destroy `a` at 20 s, restore at 30 s (1 GB); with
/// `[control_plane.migration]` at 10 s of DB time per GB, `a`'s DB time grows by 10 s.
#[test]
fn a_restore_charges_its_db_work_to_the_tenant() {
    let text = format!(
        "{BASE}[control_plane.lifecycle]\nretention = \"60s\"\nrestore_rate = \"100MB\"\n[[faults]]\nkind = \"destroy\"\ntenant = \"a\"\nat = \"20s\"\n[[faults]]\nkind = \"restore\"\ntenant = \"a\"\nat = \"30s\"\n"
    );
    let free = run(&text, &[]);
    let costed = run(
        &format!("{text}[control_plane.migration]\nbackfill_db_time = \"10s\"\n"),
        &[],
    );
    let extra = tenant(&costed, "a").db_ms - tenant(&free, "a").db_ms;
    assert!((extra - 10_000.0).abs() < 1.0, "charged {extra} ms");
    assert_eq!(tenant(&costed, "a").state, "active");
}

//! The operator's lifecycle operations (`suspend`, `resume`, `destroy`, `restore` on the
//! fault timeline) and the reconciler's part in them: each operation's states, what the
//! tenant's requests get, its action; failures made by faults (a dead cell, a KMS outage)
//! and retried by the reconciler; the RECONCILE sub-states of serving tenants; located
//! errors for impossible operations and settings.

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
provision_time = "const(1s)"
"#,
    support::settings::three_tenants_on_two_cells!()
);

fn op(kind: &str, tenant: &str, at: &str) -> String {
    format!("[[faults]]\nkind = \"{kind}\"\ntenant = \"{tenant}\"\nat = \"{at}\"\n")
}

/// Goal: `suspend` stops serving the tenant (its requests are refused once the urgent push
/// reaches the edge) and `resume` serves it again; both are actions; a second `resume` of
/// an active tenant is `skipped`, not an error; bystanders are untouched.
/// Method: suspend `a` at 20 s, resume at 60 s and again at 70 s; count `a`'s refused
/// requests (~40 s × 10/s) and read the transitions and actions.
#[test]
fn suspend_refuses_requests_until_resume() {
    let text = format!(
        "{BASE}{}{}{}",
        op("suspend", "a", "20s"),
        op("resume", "a", "60s"),
        op("resume", "a", "70s")
    );
    let s = run(&text, &[]);
    assert_eq!(transitions(&s, "active->suspension_pending"), 1);
    assert_eq!(transitions(&s, "suspension_pending->suspended"), 1);
    assert_eq!(transitions(&s, "suspended->active"), 1);
    let a = tenant(&s, "a");
    let refused = a.outcomes.offered - a.outcomes.ok;
    assert!((320..=480).contains(&refused), "refused {refused}");
    assert_eq!(a.state, "active");
    let b = tenant(&s, "b");
    assert_eq!(b.outcomes.ok, b.outcomes.offered - b.outcomes.in_flight);
    let sus = actions(&s, "suspend");
    assert_eq!(sus.len(), 1);
    assert_eq!(sus[0].outcome, "suspended");
    let res = actions(&s, "resume");
    assert_eq!(res.len(), 2, "{res:#?}");
    assert_eq!(res[0].outcome, "resumed");
    assert_eq!(res[1].outcome, "skipped");
    assert!(res[1].reason.contains("active"), "{}", res[1].reason);
}

/// Goal: a suspension whose cell is down fails (`suspension_failed`, still served) and the
/// reconciler retries it once the cell is back (action `reconcile` `rescued`); without the
/// reconciler the tenant stays `suspension_failed`.
/// Method: cell 0 down 15–45 s, suspend `a` at 20 s; with and without
/// `[control_plane.reconcile]` (interval 5 s, backoff 5 s).
#[test]
fn a_failed_suspension_is_retried_by_the_reconciler() {
    let base = format!(
        "{BASE}[[faults]]\nkind = \"cell_outage\"\ncell = 0\nat = \"15s\"\nfor = \"30s\"\n{}",
        op("suspend", "a", "20s")
    );
    let without = run(&base, &[]);
    assert_eq!(tenant(&without, "a").state, "suspension_failed");
    let failed = actions(&without, "suspend");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].outcome, "failed");
    assert!(failed[0].reason.contains("cell 0 down"), "{failed:#?}");

    let with = run(
        &format!(
            "{base}[control_plane.reconcile]\ninterval = \"5s\"\nbackoff = \"5s\"\nmax_backoff = \"5s\"\n"
        ),
        &[],
    );
    assert_eq!(tenant(&with, "a").state, "suspended");
    assert!(transitions(&with, "suspension_failed->suspension_pending") >= 1);
    let rescued: Vec<_> = actions(&with, "reconcile")
        .into_iter()
        .filter(|a| a.outcome == "rescued")
        .collect();
    assert_eq!(rescued.len(), 1, "{:#?}", with.control.actions);
    assert!(
        rescued[0].t >= 45.0,
        "after the cell returned: {}",
        rescued[0].t
    );
    assert!(rescued[0].reason.contains("desired suspended"));
}

/// Goal: `destroy` refuses the tenant's requests at once and keeps its backup for the
/// retention; a `restore` within it re-provisions the tenant from the backup, which costs
/// provision_time + data_size / restore_rate (here 1 s + 1 GB / 100 MB/s = 11 s), and the
/// destroy is `cancelled`; a restore after the retention is `too_late`.
/// Method: destroy `a` at 20 s, restore at 40 s with retention 60 s; then the same with
/// retention 10 s via `--set` (an override of the new table).
#[test]
fn destroy_then_restore_within_the_retention() {
    let text = format!(
        "{BASE}[control_plane.lifecycle]\nretention = \"60s\"\nrestore_rate = \"100MB\"\n{}{}",
        op("destroy", "a", "20s"),
        op("restore", "a", "40s")
    );
    let s = run(&text, &[]);
    let a = tenant(&s, "a");
    assert_eq!(a.state, "active");
    assert_eq!(transitions(&s, "active->destroy_pending"), 1);
    assert_eq!(transitions(&s, "destroy_pending->provision_pending"), 1);
    assert_eq!(transitions(&s, "provision_pending->active"), 1);
    let d = actions(&s, "destroy");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].outcome, "cancelled");
    let r = actions(&s, "restore");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].outcome, "restored");
    assert!(
        (r[0].duration_s - 11.0).abs() < 0.5,
        "restore took {}",
        r[0].duration_s
    );
    // Refused from 20 s until the restore (≈ 51 s) and the route refetch: ~310 requests.
    let refused = a.outcomes.offered - a.outcomes.ok;
    assert!((240..=380).contains(&refused), "refused {refused}");

    let late = run(&text, &["control_plane.lifecycle.retention=10s"]);
    assert_eq!(tenant(&late, "a").state, "destroyed");
    let d = actions(&late, "destroy");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].outcome, "destroyed");
    let r = actions(&late, "restore");
    assert_eq!(r[0].outcome, "too_late");
    assert_eq!(transitions(&late, "destroy_pending->destroyed"), 1);
}

/// Goal: the purge at the end of a destroy fails while the KMS is down (the tenant's data
/// key cannot be deleted): `destroy_failed`, retried by the reconciler until it succeeds.
/// Method: KMS down 15–60 s, destroy `a` at 20 s (retention 0); the reconciler retries every
/// 5 s with a 5 s backoff; `a` ends `destroyed` after 60 s.
#[test]
fn a_purge_fails_while_the_kms_is_down_and_is_retried() {
    let base = format!(
        "{BASE}[[faults]]\nkind = \"kms_outage\"\nat = \"15s\"\nfor = \"45s\"\n{}",
        op("destroy", "a", "20s")
    );
    let without = run(&base, &[]);
    assert_eq!(tenant(&without, "a").state, "destroy_failed");
    let with = run(
        &format!(
            "{base}[control_plane.reconcile]\ninterval = \"5s\"\nbackoff = \"5s\"\nmax_backoff = \"5s\"\n"
        ),
        &[],
    );
    assert_eq!(tenant(&with, "a").state, "destroyed");
    assert!(transitions(&with, "destroy_pending->destroy_failed") >= 1);
    assert!(transitions(&with, "destroy_failed->destroy_pending") >= 1);
    let done = actions(&with, "destroy");
    let last = done.last().unwrap();
    assert_eq!(last.outcome, "destroyed");
    assert!(last.t >= 60.0, "{done:#?}");
    let rescued = actions(&with, "reconcile")
        .into_iter()
        .filter(|a| a.outcome == "rescued")
        .count();
    assert_eq!(rescued, 1);
}

/// Goal: with `watch_serving` the reconciler judges serving tenants: a disabled KMS key
/// makes its tenant `active_reconcile_failed` until the key is back, recorded as sub-state
/// changes (legal for the invariant) and as `reconcile` actions `failed` then `recovered`;
/// without `watch_serving` nothing of it is recorded.
/// Method: `a`'s key disabled 20–50 s, reconcile every 5 s.
#[test]
fn reconcile_sub_states_follow_a_disabled_key() {
    let text = format!(
        "{BASE}[[faults]]\nkind = \"kms_key_disabled\"\ntenant = \"a\"\nat = \"20s\"\nfor = \"30s\"\n[control_plane.reconcile]\ninterval = \"5s\"\nwatch_serving = true\n"
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
    assert_eq!(r.len(), 2, "{r:#?}");
    assert_eq!((r[0].outcome.as_str(), r[0].t), ("failed", 20.0));
    assert!(r[0].reason.contains("KMS key disabled"));
    // `t` is an action's start: the recovery spans the 30 s the reconcile failed.
    assert_eq!(r[1].outcome, "recovered");
    assert_eq!((r[1].t, r[1].duration_s), (20.0, 30.0));

    let off = run(&text, &["control_plane.reconcile.watch_serving=false"]);
    assert!(actions(&off, "reconcile").is_empty());
    assert!(!off
        .control
        .transitions
        .keys()
        .any(|k| k.contains("reconcile")));
}

/// Goal: impossible operations and settings are located errors (exit 2 in the CLI).
/// Method: one mistake at a time; check the position and the words.
#[test]
fn impossible_operations_are_located_errors() {
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!("{BASE}{}for = \"10s\"\n", op("destroy", "a", "20s")),
            "t.toml:27:7",
            "operation at an instant",
        ),
        (
            format!("{BASE}{}", op("restore", "a", "20s")),
            "t.toml:24:8",
            "no `destroy` of that tenant before it",
        ),
        (
            format!(
                "{BASE}{}{}",
                op("resume", "a", "20s"),
                op("suspend", "a", "30s")
            ),
            "t.toml:24:8",
            "no `suspend` of that tenant before it",
        ),
        (
            format!("{BASE}[control_plane.lifecycle]\nrestore_rate = \"0B\"\n"),
            "t.toml:24:16",
            "restore must make progress",
        ),
        (
            format!("{BASE}[control_plane.lifecycle]\nkeep = \"1h\"\n"),
            "t.toml:24:1",
            "unknown field `keep`",
        ),
        (
            format!("{BASE}{}", op("destroy", "zz", "20s")),
            "t.toml:25",
            "zz",
        ),
    ];
    support::assert_refused("t.toml", &cases);
}

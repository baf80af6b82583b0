//! Faults started by a condition on the model's state (`when`).
//!
//! Goal: a `when` fault is armed at its `at`, fires at the first poll at which its condition
//! holds (a cascade: a cell declared dead, a cell saturated by a hot tenant), lasts its `for`,
//! is reported where it fired (or as never fired, changing no tenant's outcome), replays
//! identically, is reachable by `--set`, and every class of mistake is a located error.
//! Method: small scenarios loaded from text and run end to end; the summary's fault rows.

use models::harness::run::run;
use models::scenario::{load_str, overrides::Override, Scenario};

const BASE: &str = r#"
version = 1
name = "when"
duration = "2m"
[platform]
cells = 2
workers = 4
[control_plane]
heartbeat_interval = "1s"
heartbeat_missed = 3
[[tenants]]
id = "a"
rate = "40/s"
[[tenants]]
id = "b"
rate = "40/s"
[[faults]]
name = "down"
kind = "cell_outage"
cell = 0
at = "30s"
for = "20s"
"#;

fn load(extra: &str) -> Scenario {
    let text = format!("{BASE}{extra}");
    load_str("when.toml", &text, &[]).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn error(extra: &str) -> String {
    let text = format!("{BASE}{extra}");
    match load_str("when.toml", &text, &[]) {
        Ok(_) => panic!("accepted:\n{extra}"),
        Err(e) => e.to_string(),
    }
}

fn row<'a>(s: &'a reports::summary::RunSummary, name: &str) -> &'a reports::summary::FaultRow {
    s.faults
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no fault row {name}"))
}

/// Goal: a cascade — "when the failure detector declares a cell dead, the KMS goes down" —
/// fires after the detector's delay, not at its arming time, and lasts its `for`. Method:
/// cell 0 goes down at 30 s (3 missed 1 s beats); the KMS fault is armed at 5 s.
#[test]
fn a_cascade_fires_when_the_cell_is_declared_dead() {
    let sc = load(
        r#"
[[faults]]
name = "kms"
kind = "kms_outage"
when = "cell_dead"
at = "5s"
for = "10s"
"#,
    );
    let out = run(&sc, 1, None).unwrap_or_else(|e| panic!("{e}"));
    let r = row(&out.summary, "kms");
    assert!(
        r.start_s > 30.0 && r.start_s < 36.0,
        "fired at {} s, not after the detector declared cell 0 dead: {:?}",
        r.start_s,
        r.resolved
    );
    assert!((r.end_s - r.start_s - 10.0).abs() < 1e-9, "{r:?}");
    let note = r.resolved.as_deref().unwrap_or("");
    assert!(
        note.contains("when `cell_dead`") && note.contains("fired at"),
        "{note}"
    );
    // The same run twice: the same digest (polls draw nothing).
    let again = run(&sc, 1, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.summary.digest, out.summary.digest);
}

/// Goal: a metric threshold fires on load, not before. Method: a hot tenant ×20 on a
/// 4-worker cell from 60 s; `cell_utilisation > 90%` on any cell fires a `workers_lost`
/// after 60 s (with 80 req/s across 8 workers the platform is far from 90% before).
#[test]
fn a_utilisation_threshold_fires_under_load() {
    let sc = load(
        r#"
[[faults]]
name = "hot"
kind = "hot_tenant"
tenant = "a"
factor = 20
at = "60s"
for = "30s"

[[faults]]
name = "lose"
kind = "workers_lost"
cell = 1
count = 2
when = "cell_utilisation > 90%"
poll = "500ms"
for = "10s"
"#,
    );
    let out = run(&sc, 1, None).unwrap_or_else(|e| panic!("{e}"));
    let r = row(&out.summary, "lose");
    assert!(
        r.start_s >= 60.0 && r.start_s < 70.0,
        "fired at {} s: {:?}",
        r.start_s,
        r.resolved
    );
}

/// Goal: a condition that never holds leaves the fault unfired: it is reported so, and no
/// tenant's outcome changes (the polls are events, but they act on nothing). Method: the
/// same scenario with and without a fault whose condition (`rollout`) cannot hold.
#[test]
fn a_condition_that_never_holds_changes_nothing() {
    let with = load(
        r#"
[[faults]]
name = "never"
kind = "kms_outage"
when = "rollout"
for = "10s"
"#,
    );
    let without = load("");
    let a = run(&with, 3, None).unwrap_or_else(|e| panic!("{e}"));
    let b = run(&without, 3, None).unwrap_or_else(|e| panic!("{e}"));
    let r = row(&a.summary, "never");
    assert!(
        r.resolved
            .as_deref()
            .is_some_and(|n| n.contains("did not fire")),
        "{r:?}"
    );
    assert_eq!(r.start_s, r.end_s);
    let outcomes = |s: &reports::summary::RunSummary| {
        s.tenants
            .iter()
            .map(|t| format!("{:?}", t.outcomes))
            .collect::<Vec<_>>()
    };
    assert_eq!(outcomes(&a.summary), outcomes(&b.summary));
    assert!(a.summary.events > b.summary.events, "no poll ran");
}

/// Goal: `when` and `poll` are reachable by `--set` (and so by `compare --vary` and a
/// variant's `set`). Method: the fault written with an impossible-to-meet level, overridden
/// to `cell_dead`; it then fires after 30 s.
#[test]
fn reachable_by_set() {
    let text = format!(
        "{BASE}[[faults]]\nname = \"kms\"\nkind = \"kms_outage\"\nwhen = \"queue_length(1) > 100000\"\nfor = \"5s\"\n"
    );
    let o = [
        Override::parse("faults.kms.when=cell_dead").unwrap_or_else(|e| panic!("{e}")),
        Override::parse("faults.kms.poll=250ms").unwrap_or_else(|e| panic!("{e}")),
    ];
    let sc = load_str("when.toml", &text, &o).unwrap_or_else(|e| panic!("{e}"));
    let w = sc.faults[1]
        .when
        .as_deref()
        .unwrap_or_else(|| panic!("no trigger"));
    assert_eq!(w.text, "cell_dead");
    assert_eq!(w.poll.as_nanos(), 250_000_000);
    let out = run(&sc, 1, None).unwrap_or_else(|e| panic!("{e}"));
    assert!(row(&out.summary, "kms").start_s > 30.0);
}

/// Goal: each class of mistake is a located error naming what is wrong. Method: one fault
/// per mistake after the base (line 23 of the file is its `[[faults]]`, its keys from line 26).
#[test]
fn mistakes_are_located() {
    let fault = |keys: &str| format!("[[faults]]\nname = \"x\"\nkind = \"kms_outage\"\n{keys}\n");
    for (keys, want, line) in [
        (
            "when = \"cpu > 90%\"\nfor = \"5s\"",
            "unknown condition `cpu`",
            26,
        ),
        (
            "when = \"cell_utilisation > 120%\"\nfor = \"5s\"",
            "can never hold",
            26,
        ),
        (
            "when = \"cell_dead(5)\"\nfor = \"5s\"",
            "cell 5 does not exist",
            26,
        ),
        (
            "when = \"queue_length\"\nfor = \"5s\"",
            "needs a threshold",
            26,
        ),
        ("when = \"evacuation > 2\"\nfor = \"5s\"", "is a state", 26),
        (
            "when = \"cell_dead\"\nfor = \"5s\"\nevery = \"30s\"",
            "remove `every`",
            28,
        ),
        ("when = \"cell_dead\"\nuntil = \"50s\"", "not `until`", 27),
        (
            "when = \"cell_dead\"\nfor = \"5s\"\npoll = \"0s\"",
            "every 0s",
            28,
        ),
        (
            "when = \"cell_dead\"\nfor = \"5s\"\npoll = \"5m\"",
            "not shorter than the run",
            28,
        ),
        ("at = \"10s\"\nfor = \"5s\"\npoll = \"1s\"", "add `when", 28),
    ] {
        let err = error(&fault(keys));
        assert!(err.contains(want), "{keys}: {err}");
        assert!(
            err.contains(&format!("when.toml:{line}:")),
            "{keys}: not located on line {line}: {err}"
        );
    }
    // Another fault's `after` cannot name a triggered fault, nor an SLO window.
    let trig = fault("when = \"cell_dead\"\nfor = \"5s\"");
    let err = error(&format!(
        "{trig}[[faults]]\nname = \"y\"\nkind = \"control_plane_outage\"\nafter = \"x.end + 5s\"\nfor = \"5s\"\n"
    ));
    assert!(
        err.contains("known only during the run") && err.contains("when.toml:31:"),
        "{err}"
    );
    let err = error(&format!(
        "{trig}[[slos]]\nname = \"s\"\nobjective = \"p(99) < 1s\"\nwindow = \"during:x\"\n"
    ));
    assert!(
        err.contains("known only during the run") && err.contains("when.toml:31:"),
        "{err}"
    );
}

//! Cells of different sizes and the worker autoscaler. Sizes: a sized cell serves with its
//! own workers and DB and placement sees its capacity; located errors for impossible sizes.
//! Autoscaler: it adds workers when a cell is busy (each an action, after the delay), their
//! DB connections grow the pool up to the cap, nothing is scheduled when it is off; located
//! errors for impossible settings; its knobs are reachable by `--set`.

use models::harness::run::{run_with, RunOptions, RunOutput};
use models::scenario::load_str;
use models::scenario::overrides::Override;
use reports::summary::RunSummary;
use sim::SimTime;

fn load(text: &str, set: &[&str]) -> models::scenario::Scenario {
    let o: Vec<Override> = set.iter().map(|s| Override::parse(s).unwrap()).collect();
    load_str("test.toml", text, &o).unwrap_or_else(|e| panic!("{e}"))
}

fn run_full(text: &str, seed: u64, set: &[&str], probes: Vec<SimTime>) -> RunOutput {
    let sc = load(text, set);
    let out = run_with(
        &sc,
        seed,
        &RunOptions {
            probes,
            ..RunOptions::default()
        },
    )
    .expect("the ledger balances");
    assert!(out.summary.ledger.balanced);
    out
}

fn run(text: &str, seed: u64, set: &[&str]) -> RunSummary {
    run_full(text, seed, set, Vec::new()).summary
}

fn errors(text: &str) -> String {
    match load_str("t.toml", text, &[]) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// Two cells; cell 1 is sized 4× in workers and DB. Both get the same overload.
const SIZED: &str = r#"
version = 1
duration = "40s"
[platform]
cells = 2
workers = 4
scheduler = "fifo"
[platform.db]
cores = 2
connections = 4
[[platform.cell_sizes]]
name = "big"
cells = [1]
workers = 16
db_cores = 8
db_connections = 16
[classes.api]
service = "exp(20ms)"
db_time = "exp(10ms)"
timeout = "2s"
[tiers.bronze]
rate_limit = "100000/s"
[[tenants]]
id = "small"
rate = "250/s"
cell = 0
[[tenants]]
id = "big"
rate = "250/s"
cell = 1
"#;

/// Goal: a cell of `[[platform.cell_sizes]]` has its own workers and DB cores, and it shows
/// in service: the same offered load overloads the small cell and not the big one.
/// Method: SIZED; a probe at 20 s reads each cell's workers and DB cores; compare the two
/// tenants' p99 and error rates.
#[test]
fn a_sized_cell_serves_with_its_own_workers_and_db() {
    let out = run_full(SIZED, 1, &[], vec![SimTime(20_000_000_000)]);
    let cells = &out.probes[0].cells;
    assert_eq!((cells[0].workers, cells[0].db_cores), (4, 2.0));
    assert_eq!((cells[1].workers, cells[1].db_cores), (16, 8.0));
    let t = |id: &str| out.summary.tenants.iter().find(|t| t.id == id).unwrap();
    let (small, big) = (t("small"), t("big"));
    assert!(
        small.p99_ms > 5.0 * big.p99_ms,
        "small {} ms, big {} ms",
        small.p99_ms,
        big.p99_ms
    );
    // And resized by --set, through the entry's name.
    let out = run_full(
        SIZED,
        1,
        &["platform.cell_sizes.big.workers=2"],
        vec![SimTime(20_000_000_000)],
    );
    assert_eq!(out.probes[0].cells[1].workers, 2);
}

/// Goal: placement sees each cell's own capacity: a load-aware policy puts more tenants on
/// the bigger cell. Method: 12 equal tenants placed by `least_utilised` on SIZED's cells.
#[test]
fn placement_sees_the_sized_capacity() {
    let text = SIZED
        .replace(
            "[[tenants]]\nid = \"small\"\nrate = \"250/s\"\ncell = 0\n[[tenants]]\nid = \"big\"\nrate = \"250/s\"\ncell = 1\n",
            "[[cohorts]]\nname = \"c\"\ncount = 12\nrate = \"const(10/s)\"\n",
        )
        .replace(
            "[platform]",
            "[control_plane]\nplacement = \"least_utilised\"\n[platform]",
        );
    assert!(text.contains("least_utilised") && text.contains("count = 12"));
    let s = run(&text, 1, &[]);
    let on = |c: u32| s.tenants.iter().filter(|t| t.cell == c).count();
    assert!(on(1) >= 2 * on(0), "cell 0: {}, cell 1: {}", on(0), on(1));
}

/// Goal: impossible cell sizes are errors at their position. Method: one mistake at a time.
#[test]
fn bad_cell_sizes_are_located_errors() {
    let head = "version = 1\nduration = \"1m\"\n[[tenants]]\nid = \"a\"\nrate = \"1/s\"\n[platform]\ncells = 2\n[[platform.cell_sizes]]\n";
    let cases: &[(&str, &str, &str)] = &[
        (
            "cells = [2]\n",
            "t.toml:9:10",
            "the platform has cells 0 to 1",
        ),
        ("cells = []\n", "t.toml:9:9", "cells is empty"),
        (
            "cells = [0]\nworkers = 0\n",
            "t.toml:10:11",
            "workers is 0; it must be between 1",
        ),
        (
            "cells = [1]\n[[platform.cell_sizes]]\ncells = [0, 1]\n",
            "t.toml:11:13",
            "already sizes",
        ),
        (
            "name = \"x\"\ncells = [0]\n[[platform.cell_sizes]]\nname = \"x\"\ncells = [1]\n",
            "t.toml:12:8",
            "two entries are named `x`",
        ),
        (
            "cells = [0]\ncores = 2\n",
            "t.toml:10:1",
            "unknown field `cores`",
        ),
    ];
    for (body, at, what) in cases {
        let err = errors(&format!("{head}{body}"));
        assert!(err.contains(at), "{body}: expected at {at}:\n{err}");
        assert!(err.contains(what), "{body}: expected `{what}`:\n{err}");
    }
}

/// One cell of 8 workers and a pool of 8; a tenant that needs ~12 workers from 10 s.
const BUSY: &str = r#"
version = 1
duration = "2m"
[control_plane.autoscale]
interval = "5s"
target = "50%"
scale_up_delay = "10s"
cooldown = "10s"
max_workers = 32
connections_per_worker = 2
[platform]
cells = 1
workers = 8
scheduler = "fifo"
[platform.db]
cores = 16
connections = 8
[classes.api]
service = "exp(40ms)"
db_time = "exp(5ms)"
timeout = "5s"
[tiers.bronze]
rate_limit = "100000/s"
[[tenants]]
id = "a"
rate = "20/s"
[[faults]]
kind = "hot_tenant"
tenant = "a"
at = "10s"
for = "1m40s"
factor = 14
"#;

/// Goal: a busy cell is scaled up after the delay, each decision an action with its cell and
/// reason, and the workers are there in the surge (the pool each worker opens is unit-tested
/// in `platform::autoscale`). Method: BUSY; read `control.actions` and a probe at 100 s.
#[test]
fn a_busy_cell_is_scaled_up_after_the_delay() {
    let end = SimTime(100_000_000_000);
    let out = run_full(BUSY, 1, &[], vec![end]);
    let ups: Vec<_> = out
        .summary
        .control
        .actions
        .iter()
        .filter(|a| a.kind == "scale_up")
        .collect();
    assert!(!ups.is_empty(), "{:#?}", out.summary.control.actions);
    for a in &ups {
        assert_eq!(a.cell, Some(0));
        assert_eq!(a.outcome, "added");
        assert!((a.duration_s - 10.0).abs() < 1e-6, "{a:?}");
        assert!(a.reason.contains("workers"), "{a:?}");
        assert!(a.t >= 10.0, "{a:?}");
    }
    let w = out.probes[0].cells[0].workers;
    assert!((12..=32).contains(&w), "workers at the end: {w}");
    // The counts match the log.
    assert_eq!(
        out.summary.control.action_counts.get("scale_up").copied(),
        Some(ups.len() as u64)
    );
}

/// Goal: a cell that stops being busy is scaled down, never below `min_workers`.
/// Method: BUSY with the surge over at 40 s and `min_workers = 6`; probe at the end.
#[test]
fn an_idle_cell_is_scaled_down_to_its_minimum() {
    let out = run_full(
        BUSY,
        1,
        &["faults.0.for=30s", "control_plane.autoscale.min_workers=6"],
        vec![SimTime(119_000_000_000)],
    );
    let downs = out
        .summary
        .control
        .actions
        .iter()
        .filter(|a| a.kind == "scale_down")
        .count();
    assert!(downs >= 1, "{:#?}", out.summary.control.actions);
    assert_eq!(out.probes[0].cells[0].workers, 6);
}

/// Goal: the autoscaler off costs nothing: no action, no `actions` key, and the same events
/// and digest as the file without the table. Method: BUSY with `enabled = false` against
/// BUSY with the table removed (and on, it acts: the comparison is not vacuous).
#[test]
fn off_means_the_same_run_as_without_the_table() {
    let off = run(BUSY, 2, &["control_plane.autoscale.enabled=false"]);
    assert!(off.control.actions.is_empty());
    let json = serde_json::to_string(&off).unwrap();
    assert!(!json.contains("\"actions\""));
    let start = BUSY.find("[control_plane.autoscale]").unwrap();
    let end = BUSY.find("[platform]").unwrap();
    let without = format!("{}{}", &BUSY[..start], &BUSY[end..]);
    let none = run(&without, 2, &[]);
    assert_eq!((&off.digest, off.events), (&none.digest, none.events));
    assert!(!run(BUSY, 2, &[]).control.actions.is_empty());
}

/// Goal: impossible autoscaler settings are errors at their position. Method: one bad key
/// at a time.
#[test]
fn bad_autoscale_settings_are_located_errors() {
    let head = "version = 1\nduration = \"1m\"\n[[tenants]]\nid = \"a\"\nrate = \"1/s\"\n[control_plane.autoscale]\n";
    let cases: &[(&str, &str, &str)] = &[
        (
            "min_workers = 10\nmax_workers = 4\n",
            "t.toml:8:15",
            "max_workers (4) is below min_workers (10)",
        ),
        ("interval = \"0s\"\n", "t.toml:7:12", "interval is zero"),
        (
            "target = \"0%\"\n",
            "t.toml:7:10",
            "target is 0; it must be in (0, 100%]",
        ),
        ("target = 1.5\n", "t.toml:7:10", "outside 0%..100%"),
        (
            "connection_overhead = \"60%\"\n",
            "t.toml:7:23",
            "connection_overhead is 0.6",
        ),
        ("max_db_connections = 0\n", "t.toml:7:22", "between 1 and"),
        ("min_workers = 0\n", "t.toml:7:15", "between 1 and"),
        ("targets = 1\n", "t.toml:7:1", "unknown field `targets`"),
    ];
    for (body, at, what) in cases {
        let err = errors(&format!("{head}{body}"));
        assert!(err.contains(at), "{body}: expected at {at}:\n{err}");
        assert!(err.contains(what), "{body}: expected `{what}`:\n{err}");
    }
}

/// Goal: every autoscaler knob is reachable by `--set` (hence by `compare --vary`), also
/// into a file without the table. Method: load with overrides and read the checked settings.
#[test]
fn autoscale_knobs_are_reachable_by_set() {
    let sc = load(
        BUSY,
        &[
            "control_plane.autoscale.target=90%",
            "control_plane.autoscale.max_db_connections=12",
        ],
    );
    let a = sc.control_plane.autoscale.as_ref().unwrap();
    assert!((a.target - 0.9).abs() < 1e-12);
    assert_eq!(a.max_db_connections, Some(12));
    let plain = SIZED;
    let sc = load(plain, &["control_plane.autoscale.target=70%"]);
    assert!((sc.control_plane.autoscale.as_ref().unwrap().target - 0.7).abs() < 1e-12);
    assert!(load(plain, &[]).control_plane.autoscale.is_none());
}

/// Goal: `explain --without scale_up` / `--without scale_down` cover the autoscaler: the
/// counterfactual scenario makes no change of that direction (and still the other), and an
/// unknown kind names them. Method: BUSY (scales up) and its short-surge variant (scales
/// down) through `explain_actions::without`.
#[test]
fn without_scale_up_or_down_turns_that_direction_off() {
    use models::harness::explain_actions::without;
    let count =
        |s: &RunSummary, kind: &str| s.control.actions.iter().filter(|a| a.kind == kind).count();
    let sc = load(BUSY, &[]);
    let with = models::harness::run::run(&sc, 1, None).unwrap().summary;
    assert!(count(&with, "scale_up") > 0);
    let (no_up, faults) = without(&sc, "scale_up").unwrap();
    assert!(faults.is_empty());
    let s = models::harness::run::run(&no_up, 1, None).unwrap().summary;
    assert_eq!(count(&s, "scale_up"), 0, "{:#?}", s.control.actions);

    let short = load(
        BUSY,
        &["faults.0.for=30s", "control_plane.autoscale.min_workers=6"],
    );
    let with = models::harness::run::run(&short, 1, None).unwrap().summary;
    assert!(count(&with, "scale_down") > 0);
    let (no_down, _) = without(&short, "scale_down").unwrap();
    let s = models::harness::run::run(&no_down, 1, None)
        .unwrap()
        .summary;
    assert_eq!(count(&s, "scale_down"), 0, "{:#?}", s.control.actions);
    assert!(count(&s, "scale_up") > 0, "scale-ups still happen");

    let err = without(&sc, "scale_sideways").unwrap_err();
    assert!(
        err.contains("scale_up") && err.contains("scale_down"),
        "{err}"
    );
}

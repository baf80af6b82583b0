//! Staged rollouts (`[[rollouts]]`): impossible plans are located errors; the engine halts
//! on a gate by itself, rolls back, pauses during a control-plane outage, changes config
//! through the control plane; and a scenario without rollouts writes nothing new.

use models::scenario::load_str;
use models::scenario::overrides::Override;
use reports::summary::{RolloutRow, RunSummary};

/// 2 cells × 20 tenants, ~30% DB load; a migration whose 8-wide waves take 80% of a cell's
/// DB for 20 s. `{ROLLOUT}` is replaced by the rollout's extra keys.
const BASE: &str = r#"
version = 1
duration = "4m"
[platform]
cells = 2
workers = 16
scheduler = "drr"
queue_timeout = "2s"
[platform.db]
connections = 16
cores = 2
[classes.read]
service = "exp(3ms)"
db_queries = "const(1)"
db_time = "exp(3ms)"
timeout = "1s"
[[cohorts]]
name = "c0"
count = 20
rate = "lognormal(6/s, 0.5)"
cells = [0]
[[cohorts]]
name = "c1"
count = 20
rate = "lognormal(6/s, 0.5)"
cells = [1]
[[rollouts]]
name = "mig"
change = "migration"
at = "30s"
migrate_rate = "50MB"
db_load = "10%"
parallelism = 8
bake = "20s"
groups = [{ name = "canary", cells = [0], percent = "20%" }, { name = "rest" }]
{ROLLOUT}
"#;

fn text(extra: &str) -> String {
    BASE.replace("{ROLLOUT}", extra)
}

fn run(text: &str, seed: u64, sets: &[&str]) -> RunSummary {
    let o: Vec<Override> = sets
        .iter()
        .map(|s| Override::parse(s).expect("override"))
        .collect();
    let sc = load_str("test.toml", text, &o).unwrap_or_else(|e| panic!("{e}"));
    let s = models::harness::run::run(&sc, seed, None)
        .expect("the ledger balances")
        .summary;
    assert!(s.ledger.balanced);
    s
}

fn rollout(s: &RunSummary) -> &RolloutRow {
    &s.rollouts[0]
}

/// Goal: every class of impossible plan is refused with the position of the offending
/// text. Method: one mutation of the base per class; check the error's line and column
/// point into the mutated text, and that the message names the problem.
#[test]
fn impossible_plans_are_located_errors() {
    let cases: &[(&str, &str, &str)] = &[
        ("groups = []", "[]", "no groups"),
        (
            r#"groups = [{ cohorts = ["nope"] }]"#,
            r#""nope""#,
            "no cohort",
        ),
        (
            r#"groups = [{}, { cells = [1] }]"#,
            "[{}",
            "make it the last",
        ),
        (r#"groups = [{ cells = [7] }]"#, "7", "does not exist"),
        (r#"groups = [{ percent = "0%" }]"#, r#""0%""#, "percent"),
        ("parallelism = 0", "0", "parallelism"),
        (r#"gate = "p99 < 1s""#, r#""p99 < 1s""#, "gate"),
        (r#"gate = "dlq == 0""#, r#""dlq == 0""#, "whole-run"),
        (r#"bake = "-5s""#, r#""-5s""#, ""),
        (r#"on_error = "panic""#, r#""panic""#, "on_error"),
        (r#"gate_scope = "all""#, r#""all""#, "gate_scope"),
        (r#"rate_limit = "5/s""#, r#""5/s""#, "does not apply"),
        (r#"at = "10m""#, r#""10m""#, "inside the run"),
    ];
    for (line, needle, what) in cases {
        // Replace the groups line, or add the key.
        let t = if line.starts_with("groups") {
            let g = BASE
                .lines()
                .find(|l| l.starts_with("groups"))
                .expect("groups line");
            BASE.replace(g, line).replace("{ROLLOUT}", "")
        } else if line.starts_with("parallelism")
            || line.starts_with("bake")
            || line.starts_with("at ")
        {
            let key = line.split(' ').next().unwrap_or_default();
            let old = BASE
                .lines()
                .find(|l| l.starts_with(&format!("{key} ")))
                .expect("key line");
            BASE.replace(old, line).replace("{ROLLOUT}", "")
        } else {
            text(line)
        };
        let err = match load_str("bad.toml", &t, &[]) {
            Ok(_) => panic!("`{line}` was accepted"),
            Err(e) => e.0.into_iter().next().expect("an error"),
        };
        let want_line = t
            .lines()
            .position(|l| l == *line)
            .map(|i| i + 1)
            .expect("mutated line present");
        assert_eq!(err.line, want_line, "`{line}`: {err}");
        let col = line.find(needle).expect("needle in line") + 1;
        assert_eq!(err.column, col, "`{line}`: {err}");
        assert!(err.message.contains(what), "`{line}`: {}", err.message);
    }
}

/// Goal: the gate halts a bad migration by itself, in the canary wave, with the metric that
/// tripped it; without a gate every tenant is changed. Method: the base with a p99 gate over
/// changed tenants and cell-mates, then `--set rollouts.mig.gate=none`.
#[test]
fn the_gate_halts_the_canary_and_no_gate_exposes_everyone() {
    let t = text(r#"gate = "p(99) < 200ms""#);
    let s = run(&t, 1, &[]);
    let r = rollout(&s);
    assert_eq!(r.outcome, "halted", "{r:?}");
    assert_eq!(r.first_bad_wave.as_deref(), Some("canary"));
    assert_eq!(r.tripped_by.as_deref(), Some("p(99) < 200ms"));
    assert_eq!(r.tenants_exposed, 8, "20% of 40 tenants: the canary");
    assert_eq!(r.cells_exposed, 1);
    let ttl = r.time_to_halt_s.expect("time to halt");
    assert!(ttl > 0.0 && ttl <= 20.0, "{ttl}");
    assert_eq!(r.waves.len(), 1);
    assert_eq!(r.waves[0].gate, "fail");

    let s = run(&t, 1, &["rollouts.mig.gate=none"]);
    let r = rollout(&s);
    assert_eq!(r.outcome, "completed");
    assert_eq!(r.tenants_exposed, 40);
    assert_eq!(r.cells_exposed, 2);
    assert!(r.fleet_completion_s.is_some());
    assert!(r.waves.iter().all(|w| w.gate == "not_judged"));
}

/// Goal: `on_error = "rollback"` undoes every change (and takes time to); `continue` goes on
/// through a failing gate. Method: the gated base with each policy.
#[test]
fn rollback_undoes_and_continue_goes_on() {
    let t = text("gate = \"p(99) < 200ms\"\non_error = \"rollback\"");
    let r = run(&t, 2, &[]).rollouts.remove(0);
    assert_eq!(r.outcome, "rolled_back", "{r:?}");
    let (halt, end) = (r.tripped_at_s.expect("tripped"), r.end_s.expect("end"));
    assert!(end > halt, "the undo takes time: {halt} → {end}");
    let t = text("gate = \"p(99) < 200ms\"\non_error = \"continue\"");
    let r = run(&t, 2, &[]).rollouts.remove(0);
    assert_eq!(r.outcome, "completed");
    assert_eq!(r.tenants_changed, 40);
    assert!(r.tripped_by.is_some());
}

/// Goal: a control-plane outage pauses the rollout (no change starts) and the pause is
/// reported; the rollout completes after. Method: an outage from 25 s to 1m10s around the
/// start at 30 s, no gate.
#[test]
fn a_control_plane_outage_pauses_the_rollout() {
    let t = text(
        "gate = \"none\"\n[[faults]]\nkind = \"control_plane_outage\"\nat = \"25s\"\nfor = \"45s\"",
    );
    let r = run(&t, 1, &[]).rollouts.remove(0);
    assert!(r.paused_s >= 39.0 && r.paused_s <= 46.0, "{}", r.paused_s);
    assert_eq!(r.outcome, "completed");
    assert!(r.waves[0].start_s >= 30.0);
}

/// Goal: a config change goes through the control plane to the edge, and a gate on
/// `rejected_rate` halts a bad limit on the canary. Method: a 1/s limit canaried on 20% of
/// cell 0; the gate is `throughput > 90%`.
#[test]
fn a_bad_config_is_halted_by_its_gate() {
    let t = BASE
        .replace(
            "change = \"migration\"",
            "change = \"config\"\nrate_limit = \"1/s\"",
        )
        .replace("migrate_rate = \"50MB\"\n", "")
        .replace("db_load = \"10%\"\n", "")
        .replace(
            "{ROLLOUT}",
            "gate = \"throughput > 90%\"\ngate_scope = \"changed\"",
        );
    let s = run(&t, 1, &[]);
    let r = rollout(&s);
    assert_eq!(r.outcome, "halted", "{r:?}");
    assert_eq!(r.tenants_exposed, 8);
    let rejected: u64 = s.tenants.iter().map(|x| x.outcomes.rejected_429).sum();
    assert!(rejected > 0);
}

/// Goal: rollouts are deterministic, and a scenario without one writes no `rollouts` key.
/// Method: the same seed twice (digest and rows equal); the base without its rollout.
#[test]
fn deterministic_and_absent_when_not_declared() {
    let t = text(r#"gate = "p(99) < 200ms""#);
    let (a, b) = (run(&t, 3, &[]), run(&t, 3, &[]));
    assert_eq!(a.digest, b.digest);
    assert_eq!(a.rollouts, b.rollouts);
    let cut = BASE.find("[[rollouts]]").expect("rollout table");
    let s = run(&BASE[..cut], 3, &[]);
    assert!(s.rollouts.is_empty());
    assert!(!s.to_json().contains("\"rollouts\""));
}

//! Deploy rollouts (`change = "deploy"`): a rolling restart, cell by cell, that removes
//! worker capacity batch by batch and leaves the cell cold; its impossible settings are
//! located errors, its timing follows the plan, and a gate halts a deploy whose cold
//! restart hurts.
//!
//! Method: 2 cells × 10 tenants at ~5/s each on 4 workers per cell, 20 ms service: a cell
//! at ~25% utilisation. The deploy restarts half a cell's workers at a time for 20 s.

use models::scenario::load_str;
use models::scenario::overrides::Override;
use reports::summary::RunSummary;

const BASE: &str = r#"
version = 1
duration = "5m"
[platform]
cells = 2
workers = 4
scheduler = "drr"
[classes.api]
service = "const(20ms)"
timeout = "2s"
[[cohorts]]
name = "c0"
count = 10
rate = "const(5/s)"
cells = [0]
[[cohorts]]
name = "c1"
count = 10
rate = "const(5/s)"
cells = [1]
[[rollouts]]
name = "dep"
change = "deploy"
at = "30s"
restart_time = "20s"
restart_share = "50%"
cold_for = "30s"
cold_factor = 2
parallelism = 1
bake = "10s"
groups = [{ name = "canary", cells = [0] }, { name = "rest" }]
"#;

fn run(sets: &[&str]) -> RunSummary {
    let o: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    let sc = load_str("d.toml", BASE, &o).unwrap_or_else(|e| panic!("{e}"));
    models::harness::run::run(&sc, 1, None).unwrap().summary
}

/// Goal: each class of impossible deploy setting is refused at its position. Method: one
/// edit of the base's text per class; check the message names the problem and the error
/// points at the edited line.
#[test]
fn impossible_deploys_are_located_errors() {
    for (from, to, what) in [
        (
            "restart_time = \"20s\"",
            "restart_time = \"0s\"",
            "restart_time is zero",
        ),
        (
            "restart_share = \"50%\"",
            "restart_share = \"0%\"",
            "restart_share",
        ),
        ("cold_factor = 2", "cold_factor = 0.5", "cold_factor"),
        (
            "bake = \"10s\"",
            "bake = \"10s\"\nrate_limit = \"5/s\"",
            "does not apply",
        ),
        (
            "bake = \"10s\"",
            "bake = \"10s\"\nmigrate_rate = \"5MB\"",
            "does not apply",
        ),
    ] {
        let t = BASE.replace(from, to);
        let line = t
            .lines()
            .position(|l| to.lines().last() == Some(l))
            .unwrap()
            + 1;
        let e = load_str("d.toml", &t, &[]).expect_err(to);
        let e = &e.0[0];
        assert!(e.message.contains(what), "{to}: {}", e.message);
        assert_eq!(e.line, line, "{to}: {}", e.message);
    }
}

/// Goal: the deploy goes cell by cell (a wave's unit is a cell: every tenant on it counts as
/// changed) and takes batches × restart_time per cell, plus the bakes. Method: 2 cells, 2
/// batches of 20 s each, parallelism 1, 10 s bakes: the canary wave is 30 s..70 s, bake to
/// 80 s, the rest 80 s..120 s, bake to 130 s: completion 100 s after the start.
#[test]
fn a_deploy_restarts_cells_batch_by_batch() {
    let s = run(&[]);
    let r = &s.rollouts[0];
    eprintln!("{r:?}");
    assert_eq!(r.change, "deploy");
    assert_eq!(r.outcome, "completed");
    assert_eq!(r.tenants_changed, 20);
    assert_eq!(r.tenants_planned, 20);
    assert_eq!(r.cells_exposed, 2);
    assert_eq!(r.waves.len(), 2);
    assert_eq!(r.waves[0].tenants, 1, "one cell in the canary");
    assert_eq!(r.fleet_completion_s, Some(100.0));
    assert_eq!(r.waves[1].start_s, 80.0);
}

/// Goal: the restart is felt: with the whole cell restarted at once, a cold factor of 10
/// and a p99 gate, the canary's cold restart trips the gate and the rollout halts before
/// the second cell. Without the gate both cells are restarted. Method: `--set` the share,
/// factor and gate; compare the two runs.
#[test]
fn a_gate_halts_a_deploy_whose_restart_hurts() {
    let hurt = [
        "rollouts.dep.restart_share=100%",
        "rollouts.dep.cold_factor=10",
        "rollouts.dep.gate_every=5s",
    ];
    let mut gated = hurt.to_vec();
    gated.push("rollouts.dep.gate=p(99) < 100ms");
    let s = run(&gated);
    let r = &s.rollouts[0];
    eprintln!(
        "gated: {} tripped by {:?} = {:?} at {:?}",
        r.outcome, r.tripped_by, r.tripped_value, r.tripped_at_s
    );
    assert_eq!(r.outcome, "halted");
    assert_eq!(r.cells_exposed, 1);
    assert_eq!(r.tenants_exposed, 10);
    let s = run(&hurt);
    assert_eq!(s.rollouts[0].outcome, "completed");
    assert_eq!(s.rollouts[0].cells_exposed, 2);
}

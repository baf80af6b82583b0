//! Staged rollouts from the command line (issue 15 items 1 and 4): `report.html` draws the
//! rollout timeline (and only when a rollout is declared), `explain` names the wave behind a
//! failing interval, and the burn-rate gate's knob is reachable by `compare --vary`.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tenantsim"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tenantsim-ro-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn report(file: &str, name: &str) -> String {
    let d = tmp_dir(name);
    let o = bin()
        .args([
            "run",
            file,
            "--seed",
            "1",
            "-q",
            "--out",
            d.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read_to_string(d.join("report.html")).expect("report.html written")
}

/// Goal: the rollout timeline is drawn from the run's recorded rollout, with a row per
/// wave that started, the halt marked and the tripping objective named; a run without
/// rollouts gets no section. Method: seed 1 of bad-migration (its canary gate halts the
/// rollout in the canary wave) and of quickstart (no rollout); read report.html.
#[test]
fn report_draws_the_rollout_timeline_only_for_rollouts() {
    let h = report("scenarios/bad-migration.toml", "bm");
    assert!(
        h.contains("<h2 id=\"rollouts\">Rollout timeline</h2>"),
        "{h}"
    );
    assert!(h.contains(">canary (8)<"), "the canary wave's row");
    assert!(h.contains("<b>halted</b>"));
    assert!(h.contains("title=\"halted at "), "the halt mark");
    assert!(h.contains("tripped by <code>p(99) &lt; 250ms</code> = "));
    // The waves after the halt never started: no row for them.
    assert!(!h.contains(">cell-1 ("));
    let q = report("scenarios/quickstart.toml", "qs");
    assert!(!q.contains("id=\"rollouts\""));
}

/// Goal: `explain` names the rollout wave that reached the breaching tenants. Method:
/// bad-migration's `no-gate` variant, seed 1: every wave runs and the bystanders on cells
/// 1-3 breach their SLO; the explanation of `bystanders-p99` names rollout add-index's
/// `cell-1` wave with its tenants and start.
#[test]
fn explain_names_the_wave_behind_a_failing_interval() {
    let o = bin()
        .args([
            "explain",
            "scenarios/bad-migration.toml",
            "--seed",
            "1",
            "--variant",
            "no-gate",
            "--slo",
            "bystanders-p99",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("rollout waves that reached them:"),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("`cell-1` of rollout add-index (migration; 40 tenant(s): later-"),
        "{out}"
    );
    assert!(out.contains(" started at "), "{out}");
    // The canary's wave changed nobody on the bystanders' cells: not named.
    assert!(!out.contains("`canary` of rollout"), "{out}");
}

/// Goal: the burn-rate gate's threshold is a plan knob like the others: reachable by
/// `compare --vary`, changing the run, with common random numbers. Method: a small rollout
/// gated only on the burn rate of a latency SLO (`p(90) < 4ms`, a 10% budget, which about
/// half the requests miss); a rate of 0.1 trips at the first check, 1000 never can.
#[test]
fn burn_rate_is_a_compare_knob() {
    let d = tmp_dir("vary");
    std::fs::create_dir_all(&d).unwrap();
    let f = d.join("burn.toml");
    std::fs::write(
        &f,
        r#"version = 1
name = "burn-knob"
duration = "1m"
[platform]
cells = 2
workers = 8
[classes.read]
service = "exp(3ms)"
db_queries = "const(1)"
db_time = "exp(2ms)"
[[cohorts]]
name = "c"
count = 20
rate = "const(5/s)"
[[slos]]
name = "fast"
objective = "p(90) < 4ms"
scope = "aggregate"
[[rollouts]]
name = "mig"
change = "migration"
at = "10s"
migrate_rate = "200MB"
parallelism = 4
bake = "10s"
gate_every = "5s"
groups = [{ name = "canary", percent = "20%" }, { name = "rest" }]
burn_gate = { slo = "fast", burn_rate = 1, window = "10s" }
"#,
    )
    .unwrap();
    let out = d.join("out");
    let o = bin()
        .args([
            "compare",
            f.to_str().unwrap(),
            "--vary",
            "rollouts.mig.burn_gate.burn_rate=0.1,1000",
            "--seeds",
            "1",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("compare.json")).unwrap()).unwrap();
    let runs = j["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_ne!(
        runs[0]["digest"], runs[1]["digest"],
        "the knob changed nothing"
    );
    assert_eq!(runs[0]["workload_digest"], runs[1]["workload_digest"]);
}

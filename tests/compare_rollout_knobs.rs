//! `compare --vary` on a rollout's plan knobs (issue 15 item 6): parallelism, bake time,
//! canary size and gate threshold are each reachable by `--vary rollouts.NAME.KEY=…`, each
//! changes the run, and the workload stays common across the values (common random
//! numbers: arrivals do not depend on the plan).
//!
//! Method: a small migration rollout (5 s per tenant, a missing index: queries 4x slower),
//! canaried on a share of 20 tenants and gated on p99; for each knob, `compare` two values over seed 1 and read compare.json:
//! the two runs' digests differ and their workload digests are equal.

use std::path::PathBuf;
use std::process::Command;

const SCENARIO: &str = r#"version = 1
name = "knobs"
duration = "2m"
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
[[rollouts]]
name = "lim"
change = "migration"
at = "20s"
migrate_rate = "200MB"
db_load = "20%"
query_factor = 4
parallelism = 2
bake = "20s"
gate = "p(99) < 20ms"
gate_scope = "changed"
gate_every = "5s"
gate_min_requests = 5
[[rollouts.groups]]
name = "canary"
percent = "10%"
[[rollouts.groups]]
name = "rest"
[[slos]]
name = "fleet"
objective = "throughput > 50%"
scope = "aggregate"
"#;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tenantsim-knobs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Goal and method: see the module doc; one `compare` per knob.
#[test]
fn plan_knobs_vary_the_run_with_common_random_numbers() {
    let d = dir("all");
    let f = d.join("knobs.toml");
    std::fs::write(&f, SCENARIO).unwrap();
    for (i, vary) in [
        "rollouts.lim.parallelism=1,8",
        "rollouts.lim.bake=5s,40s",
        "rollouts.lim.groups.canary.percent=5%,50%",
        "rollouts.lim.gate=p(99) < 20ms,p(99) < 10s",
    ]
    .iter()
    .enumerate()
    {
        let out = d.join(format!("out{i}"));
        let o = Command::new(env!("CARGO_BIN_EXE_tenantsim"))
            .args([
                "compare",
                f.to_str().unwrap(),
                "--vary",
                vary,
                "--seeds",
                "1",
            ])
            .args(["--out", out.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            matches!(o.status.code(), Some(0) | Some(1)),
            "{vary}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let j: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("compare.json")).unwrap()).unwrap();
        let runs = j["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 2, "{vary}");
        assert_ne!(
            runs[0]["digest"], runs[1]["digest"],
            "{vary} changed nothing"
        );
        assert_eq!(
            runs[0]["workload_digest"], runs[1]["workload_digest"],
            "{vary}: the workload is not common"
        );
    }
}

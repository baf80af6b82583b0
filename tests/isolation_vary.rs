//! `compare --vary` and `--set` reach the isolation knobs of issue 16.
//!
//! Goal: a bulkhead's key (by the bulkhead's name) and the replica's lag can be varied by
//! `compare`, every variant runs, and the knob takes effect (a sweep whose variants all ran
//! the same model would pass a weaker test). Method: the shipped reports-bulkhead game day,
//! shortened with `--set scale_time=0.3`, one seed, two values of each knob; exit 0, the labels in
//! the table, one run per variant in `compare.json`, and the variants' trace digests differ.

use std::path::PathBuf;
use std::process::Command;

fn sweep(name: &str, vary: &str) -> serde_json::Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!(
        "tenantsim-isolation-vary-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_tenantsim"))
        .current_dir(&root)
        .args([
            "compare",
            "scenarios/reports-bulkhead.toml",
            "--vary",
            vary,
            "--seeds",
            "1",
            "--set",
            "scale_time=0.3",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("run tenantsim compare");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let key = vary.split('=').next().unwrap_or_default();
    assert!(stdout.contains(key), "{stdout}");
    let text = std::fs::read_to_string(out.join("compare.json")).expect("compare.json");
    serde_json::from_str(&text).expect("compare.json parses")
}

fn digests(c: &serde_json::Value) -> Vec<String> {
    c["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r["digest"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn vary_reaches_a_bulkheads_workers_by_name() {
    let c = sweep("workers", "bulkheads.exports.workers=2,6");
    let d = digests(&c);
    assert_eq!(d.len(), 2, "{c}");
    assert_ne!(d[0], d[1], "the bulkhead's size changed nothing");
}

#[test]
fn vary_reaches_the_replica_lag_and_cost_is_on_the_runs() {
    let c = sweep("lag", "replica.lag=exp(100ms),exp(5s)");
    let d = digests(&c);
    assert_eq!(d.len(), 2, "{c}");
    assert_ne!(d[0], d[1], "the replica's lag changed nothing");
    // The game day prices its usage ([cost]): every run carries its showback total.
    for r in c["runs"].as_array().expect("runs") {
        assert!(r["cost"].as_f64().is_some_and(|x| x > 0.0), "{r}");
    }
}

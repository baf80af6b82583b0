//! `compare --vary` reaches the data-architecture keys of issue 16.
//!
//! Goal: `compare --vary data_architecture.layout=…` runs every layout of the shipped
//! data-architectures game day, the layout takes effect (the runs differ, and a database per
//! tenant keeps the worst bystander p99 far below the shared tables'), and every run carries
//! its showback cost, the database per tenant's higher (its connections are priced). Method:
//! one seed, two layouts; exit 0, the key in the table, `compare.json`'s runs.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn vary_reaches_the_layout_and_the_cost_follows_it() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!("tenantsim-data-arch-vary-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_tenantsim"))
        .current_dir(&root)
        .args([
            "compare",
            "scenarios/data-architectures.toml",
            "--vary",
            "data_architecture.layout=shared_tables,db_per_tenant",
            "--seeds",
            "1",
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
    assert!(stdout.contains("data_architecture.layout"), "{stdout}");
    let text = std::fs::read_to_string(out.join("compare.json")).expect("compare.json");
    let c: serde_json::Value = serde_json::from_str(&text).expect("compare.json parses");
    let runs = c["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2, "{c}");
    let f = |r: &serde_json::Value, k: &str| r[k].as_f64().unwrap_or(f64::NAN);
    let (shared, own) = (&runs[0], &runs[1]);
    assert_ne!(
        shared["digest"], own["digest"],
        "the layout changed nothing"
    );
    let (p_shared, p_own) = (
        f(shared, "worst_bystander_p99_ms"),
        f(own, "worst_bystander_p99_ms"),
    );
    assert!(
        p_own * 5.0 < p_shared,
        "shared {p_shared} ms, own pools {p_own} ms"
    );
    let (c_shared, c_own) = (f(shared, "cost"), f(own, "cost"));
    assert!(
        c_shared > 0.0 && c_own > c_shared,
        "cost {c_shared} → {c_own}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// Goal: `compare --vary` reaches the shard keys of session 7 (`data_architecture.shards`
/// under `layout = "shard_groups"`): the shard count takes effect (the runs differ) and each
/// run carries its cost. Method: the shipped game day with the layout set to shard_groups,
/// varied over 2 and 4 shards, one seed; exit 0, the key in the table, `compare.json`'s runs.
#[test]
fn vary_reaches_the_shard_count() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!("tenantsim-shards-vary-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_tenantsim"))
        .current_dir(&root)
        .args([
            "compare",
            "scenarios/data-architectures.toml",
            "--set",
            "data_architecture.layout=shard_groups",
            "--vary",
            "data_architecture.shards=2,4",
            "--seeds",
            "1",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("run tenantsim compare");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        matches!(o.status.code(), Some(0) | Some(1)),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains("data_architecture.shards"), "{stdout}");
    let text = std::fs::read_to_string(out.join("compare.json")).expect("compare.json");
    let c: serde_json::Value = serde_json::from_str(&text).expect("compare.json parses");
    let runs = c["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2, "{c}");
    assert_ne!(
        runs[0]["digest"], runs[1]["digest"],
        "the shard count changed nothing"
    );
    assert!(
        runs.iter()
            .all(|r| r["cost"].as_f64().is_some_and(|x| x > 0.0)),
        "{c}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

//! Every shipped game day holds its claims: `tenantsim check` on each scenario file (the
//! base and every counterfactual variant, a few seeds) meets every expectation.
//!
//! The full library with more seeds is `cargo run --release -- check scenarios/*.toml`.

use std::path::PathBuf;
use std::process::Command;

fn check(file: &str, seeds: &str) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    assert!(root.join(file).is_file(), "{file} is shipped");
    let o = Command::new(env!("CARGO_BIN_EXE_tenantsim"))
        .current_dir(&root)
        .args(["check", file, "--seeds", seeds])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{file}: expectations not met\n{out}\n{err}"
    );
    assert!(out.contains(" 0 not met"), "{out}");
}

macro_rules! game_day {
    ($name:ident, $file:literal, $seeds:literal) => {
        #[test]
        fn $name() {
            check($file, $seeds);
        }
    };
}

game_day!(quickstart, "scenarios/quickstart.toml", "1..=2");
game_day!(hot_tenant, "scenarios/hot-tenant.toml", "1..=2");
game_day!(
    control_plane_outage,
    "scenarios/control-plane-outage.toml",
    "1..=2"
);
game_day!(kms_key_disabled, "scenarios/kms-key-disabled.toml", "1..=2");
game_day!(retry_storm, "scenarios/retry-storm.toml", "1..=2");
game_day!(partition, "scenarios/partition.toml", "1..=2");
game_day!(bad_migration, "scenarios/bad-migration.toml", "1..=2");
game_day!(
    bad_config_rollout,
    "scenarios/bad-config-rollout.toml",
    "1..=2"
);
game_day!(fleet_migration, "scenarios/fleet-migration.toml", "1");
game_day!(tenant_move, "scenarios/tenant-move.toml", "1..=2");
game_day!(noisy_jobs, "scenarios/noisy-jobs.toml", "1..=2");
game_day!(placement_study, "scenarios/placement-study.toml", "1..=2");
game_day!(cell_outage, "scenarios/cell-outage.toml", "1..=2");
game_day!(reconcile, "scenarios/reconcile.toml", "1..=2");
game_day!(
    rebalance_hot_tenant,
    "scenarios/rebalance-hot-tenant.toml",
    "1..=2"
);
game_day!(
    autoscale_db_bottleneck,
    "scenarios/autoscale-db-bottleneck.toml",
    "1..=2"
);
// The capstone: an hour of 12,000 tenants (~30 s per run), one seed here.
game_day!(acmedocs, "scenarios/acmedocs.toml", "1");
game_day!(reports_bulkhead, "scenarios/reports-bulkhead.toml", "1..=2");
game_day!(
    global_dependency,
    "scenarios/global-dependency.toml",
    "1..=2"
);
game_day!(
    data_architectures,
    "scenarios/data-architectures.toml",
    "1..=2"
);
game_day!(db_governance, "scenarios/db-governance.toml", "1..=2");

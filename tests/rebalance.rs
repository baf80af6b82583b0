//! The rebalancer and move costs from the command line: a rebalance threshold and the
//! migration rate swept with `compare --vary` (common random numbers), an impossible rate
//! refused with exit 2 and its position, and `explain --without promote` as the
//! counterfactual of the rebalancer's promotion.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tenantsim"))
}

const GAME_DAY: &str = "scenarios/rebalance-hot-tenant.toml";

/// Goal: `compare --vary control_plane.rebalance.cell_utilisation=60%,90%` runs both
/// thresholds and finds the late one worse (it waits until cell 0 is past saving).
/// Method: 2 seeds of the game day; read the blast-radius verdict row of `90%`.
#[test]
fn compare_varies_the_rebalance_threshold() {
    let o = bin()
        .args([
            "compare",
            GAME_DAY,
            "--vary",
            "control_plane.rebalance.cell_utilisation=60%,90%",
            "--seeds",
            "1..=2",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("90%") && l.contains("blast radius"))
        .unwrap_or_else(|| panic!("no blast radius row for 90%:\n{out}"));
    assert!(line.contains("worse"), "{line}");
}

/// Goal: the migration rate is a live knob of `compare --vary` (a faster, heavier backfill
/// is a different run). Method: 1 seed, two rates; the compare table names both variants.
#[test]
fn compare_varies_the_migration_rate() {
    let o = bin()
        .args([
            "compare",
            GAME_DAY,
            "--vary",
            "control_plane.migration.backfill_rate=50MB,400MB",
            "--seeds",
            "1",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("*50MB"), "{out}");
    assert!(
        out.lines().any(|l| l.trim_start().starts_with("400MB")),
        "{out}"
    );
}

/// Goal: a backfill rate of zero is refused before any run, exit 2, at its position, also
/// when it comes from `--set`. Method: run with the override.
#[test]
fn a_zero_backfill_rate_is_exit_2() {
    let o = bin()
        .args([
            "run",
            GAME_DAY,
            "--set",
            "control_plane.migration.backfill_rate=0MB",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("a move must make progress"), "{err}");
    assert!(err.contains("rebalance-hot-tenant.toml:"), "{err}");
}

/// Goal: `explain --without promote` reruns the seed without the rebalancer's promotions
/// and shows what they were worth: the cell-mates' SLO holds with them and fails without.
/// Method: seed 1 of the game day (which passes), explaining with the counterfactual.
#[test]
fn explain_without_promote_is_the_counterfactual() {
    let o = bin()
        .args(["explain", GAME_DAY, "--seed", "1", "--without", "promote"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("without the control plane's `promote` actions"),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("SLO mates-p99-late: pass → FAIL"), "{out}");
    let o = bin()
        .args(["explain", GAME_DAY, "--seed", "1", "--without", "teleport"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("actions: evacuate"), "{err}");
}

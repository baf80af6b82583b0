//! The rebalancer and move costs from the command line: a rebalance threshold and the
//! migration rate swept with `compare --vary` (common random numbers), an impossible rate
//! refused with exit 2 and its position, and `explain --without promote` as the
//! counterfactual of the rebalancer's promotion.

mod support;

use support::{assert_exit_2, compare_row, output, run_ok};

const GAME_DAY: &str = "scenarios/rebalance-hot-tenant.toml";

/// Goal: `compare --vary control_plane.rebalance.cell_utilisation=60%,90%` runs both
/// thresholds and finds the late one worse (it waits until cell 0 is past saving).
/// Method: 2 seeds of the game day; read the blast-radius verdict row of `90%`.
#[test]
fn compare_varies_the_rebalance_threshold() {
    let out = run_ok([
        "compare",
        GAME_DAY,
        "--vary",
        "control_plane.rebalance.cell_utilisation=60%,90%",
        "--seeds",
        "1..=2",
    ]);
    let line = compare_row(&out, "90%", "blast radius");
    assert!(line.contains("worse"), "{line}");
}

/// Goal: the migration rate is a live knob of `compare --vary` (a faster, heavier backfill
/// is a different run). Method: 1 seed, two rates; the compare table names both variants.
#[test]
fn compare_varies_the_migration_rate() {
    let out = run_ok([
        "compare",
        GAME_DAY,
        "--vary",
        "control_plane.migration.backfill_rate=50MB,400MB",
        "--seeds",
        "1",
    ]);
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
    assert_exit_2(
        [
            "run",
            GAME_DAY,
            "--set",
            "control_plane.migration.backfill_rate=0MB",
        ],
        "rebalance-hot-tenant.toml",
        "a move must make progress",
    );
}

/// Goal: `explain --without promote` reruns the seed without the rebalancer's promotions
/// and shows what they were worth: the cell-mates' SLO holds with them and fails without.
/// Method: seed 1 of the game day (which passes), explaining with the counterfactual.
#[test]
fn explain_without_promote_is_the_counterfactual() {
    let o = output(["explain", GAME_DAY, "--seed", "1", "--without", "promote"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("without the control plane's `promote` actions"),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("SLO mates-p99-late: pass → FAIL"), "{out}");
    let o = output(["explain", GAME_DAY, "--seed", "1", "--without", "teleport"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("actions: evacuate"), "{err}");
}

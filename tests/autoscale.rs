//! The worker autoscaler from the command line: its target swept with `compare --vary`
//! (common random numbers: an aggressive target that opens more DB connections is worse
//! on every seed), an impossible setting from `--set` refused with exit 2 and its position.

mod support;

use support::{assert_exit_2, compare_row, run_ok, tmp_dir};

/// Goal: `compare --vary control_plane.autoscale.target=40%,90%` runs both policies on the
/// uncapped game day and finds the aggressive 40% target worse for the bystanders (the
/// autoscaler adds workers whose connections slow the DB); the 90% target barely scales.
/// Method: 2 seeds of autoscale-db-bottleneck.toml's `uncapped` variant; read the
/// bystander-error row of the `90%` variant against the `40%` baseline.
#[test]
fn compare_varies_the_autoscaler_target() {
    let d = tmp_dir("as-vary");
    let out = run_ok([
        "compare",
        "scenarios/autoscale-db-bottleneck.toml",
        "--variant",
        "uncapped",
        "--vary",
        "control_plane.autoscale.target=40%,90%",
        "--seeds",
        "1..=2",
        "--out",
        d.to_str().unwrap(),
    ]);
    let line = compare_row(&out, "90%", "bystander err");
    assert!(
        line.contains("2 / 0 / 0") && line.contains("better"),
        "{line}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// Goal: min_workers above max_workers is refused before any run, exit 2, at its position
/// in the file, also when one of them comes from `--set`. Method: run with the override.
#[test]
fn min_above_max_is_exit_2_with_its_position() {
    assert_exit_2(
        [
            "run",
            "scenarios/autoscale-db-bottleneck.toml",
            "--set",
            "control_plane.autoscale.min_workers=200",
        ],
        "autoscale-db-bottleneck.toml",
        "max_workers (96) is below min_workers (200)",
    );
}

//! The worker autoscaler from the command line: its target swept with `compare --vary`
//! (common random numbers: an aggressive target that opens more DB connections is worse
//! on every seed), an impossible setting from `--set` refused with exit 2 and its position.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tenantsim"))
}

/// Goal: `compare --vary control_plane.autoscale.target=40%,90%` runs both policies on the
/// uncapped game day and finds the aggressive 40% target worse for the bystanders (the
/// autoscaler adds workers whose connections slow the DB); the 90% target barely scales.
/// Method: 2 seeds of autoscale-db-bottleneck.toml's `uncapped` variant; read the
/// bystander-error row of the `90%` variant against the `40%` baseline.
#[test]
fn compare_varies_the_autoscaler_target() {
    let d = std::env::temp_dir().join(format!("tenantsim-as-{}-vary", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    let o = bin()
        .args([
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
        .find(|l| l.trim_start().starts_with("90%") && l.contains("bystander err"))
        .unwrap_or_else(|| panic!("no bystander err row for 90%:\n{out}"));
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
    let o = bin()
        .args([
            "run",
            "scenarios/autoscale-db-bottleneck.toml",
            "--set",
            "control_plane.autoscale.min_workers=200",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("autoscale-db-bottleneck.toml:"), "{err}");
    assert!(
        err.contains("max_workers (96) is below min_workers (200)"),
        "{err}"
    );
}

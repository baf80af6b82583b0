//! The acting control plane from the command line: an evacuation knob swept with
//! `compare --vary` (common random numbers: the uncapped herd is worse on every seed), an
//! impossible grace refused with exit 2 and its position, and `control.actions` in the
//! summary of a run that acted.

mod support;

use support::{assert_exit_2, bin, compare_row, run_ok, tmp_dir};

/// Goal: `compare --vary control_plane.evacuation.max_in_flight=1,100` runs both policies
/// and finds the herd worse. Method: 2 seeds of cell-outage.toml; read compare.json's
/// verdict rows for the `100` variant.
#[test]
fn compare_varies_an_evacuation_knob() {
    let d = tmp_dir("cp-vary");
    let out = run_ok([
        "compare",
        "scenarios/cell-outage.toml",
        "--vary",
        "control_plane.evacuation.max_in_flight=1,100",
        "--seeds",
        "1..=2",
        "--out",
        d.to_str().unwrap(),
    ]);
    let line = compare_row(&out, "100", "blast radius");
    assert!(line.contains("worse"), "{line}");
    let _ = std::fs::remove_dir_all(&d);
}

/// Goal: a grace shorter than the failure detector is refused before any run, exit 2, at
/// its position, also when it comes from `--set`. Method: run with the override.
#[test]
fn a_grace_shorter_than_the_detector_is_exit_2() {
    assert_exit_2(
        [
            "run",
            "scenarios/cell-outage.toml",
            "--set",
            "control_plane.evacuation.grace=1s",
        ],
        "cell-outage.toml",
        "the failure detector needs 3s",
    );
}

/// Goal: a run that acted carries its actions in summary.json and one line in the
/// terminal; the counterfactual without evacuation carries neither. Method: seed 1 of the
/// game day and its `no-evacuation` variant.
#[test]
fn actions_are_in_the_summary_only_when_the_control_plane_acted() {
    for (variant, acted) in [(None, true), (Some("no-evacuation"), false)] {
        let d = tmp_dir(if acted { "cp-acted" } else { "cp-idle" });
        let mut c = bin();
        c.args(["run", "scenarios/cell-outage.toml", "--seed", "1", "--out"])
            .arg(&d);
        if let Some(v) = variant {
            c.args(["--variant", v]);
        }
        let o = c.output().unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        let summary = std::fs::read_to_string(d.join("summary.json")).unwrap();
        assert_eq!(summary.contains("\"actions\""), acted, "{variant:?}");
        assert_eq!(
            out.contains("control plane acted 5 time(s)"),
            acted,
            "{out}"
        );
        if acted {
            assert!(summary.contains("\"evacuate/moved\": 5"), "{summary}");
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}

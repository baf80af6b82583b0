//! `compare --fail-if-worse METRIC`: the gate that fails a change making isolation worse
//! even when every SLO still passes.
//!
//! Goal: exit 1 when a variant's paired interval on the metric excludes zero on the worse
//! side, exit 0 when the variant is better, exit 2 on an unknown metric. Method: quickstart
//! with an eighth of the workers (clearly worse bystander latency) against the default, over
//! five seeds.

use std::process::Command;

fn compare(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tenantsim"))
        .args(["compare", "scenarios/quickstart.toml", "--seeds", "1..=5"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn worse_fails_better_passes_unknown_is_input_error() {
    let (code, out) = compare(&[
        "--vary",
        "platform.workers=16,2",
        "--fail-if-worse",
        "worst_bystander_p99_ms",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL (--fail-if-worse worst_bystander_p99_ms)"),
        "{out}"
    );
    let (code, out) = compare(&[
        "--vary",
        "platform.workers=2,16",
        "--fail-if-worse",
        "worst_bystander_p99_ms",
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = compare(&[
        "--vary",
        "platform.workers=16,2",
        "--fail-if-worse",
        "p99_everything",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no such metric"), "{out}");
}

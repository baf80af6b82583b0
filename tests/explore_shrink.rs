//! Shrinking an explored failure (`shrink --explore`, `explore --shrink`) and exploration
//! inside the gate (`check --explore N --budget B`).
//!
//! Goal: a failing explored run shrinks to a scenario with no draws left that still fails the
//! same SLO on the same seed with a plain `run`; the gate stops at the lowest failing seed
//! whatever `--jobs` is, exits 1, writes the shrunk reproducer and a JUnit suite; bad gate
//! flags exit 2. Method: the binary on `scenarios/explore-gold-cell.toml`, whose seed 5 draws
//! a degraded DB on the gold cell (found by `tenantsim explore`), with small budgets.

use std::process::Command;

const GOLD: &str = "scenarios/explore-gold-cell.toml";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tenantsim"))
}

fn dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "tenantsim-explore-shrink-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().unwrap_or_else(|e| panic!("{e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Goal: `shrink --explore` writes the drawn schedule literally and keeps the failure.
/// Method: shrink seed 5 on `gold-p99`; the file has no `[explore]`, no selector and no
/// distribution in its faults, and a plain run of it on seed 5 fails `gold-p99` (exit 1).
#[test]
fn an_explored_failure_shrinks_to_a_literal_scenario() {
    let d = dir("shrink");
    let out = d.join("min.toml");
    let out_s = out.display().to_string();
    let (code, stdout, stderr) = run(&[
        "shrink",
        GOLD,
        "--seed",
        "5",
        "--explore",
        "--slo",
        "gold-p99",
        "--budget",
        "40",
        "--out",
        &out_s,
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let text = std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with("[explore]")),
        "{text}"
    );
    assert!(
        text.contains("x1-db_degraded"),
        "the drawn fault is gone:\n{text}"
    );
    let faults = &text[text.find("[[faults]]").unwrap_or(0)..];
    for drawn in ["uniform(", "random", "every", "after ="] {
        assert!(!faults.contains(drawn), "`{drawn}` left in:\n{text}");
    }
    let (code, stdout, stderr) = run(&["run", &out_s, "--seed", "5"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stdout.contains("gold-p99"), "{stdout}");
    // Without --explore the same seed passes gold-p99 on the written game day: the failure
    // needs the drawn schedule, and `shrink` says there is nothing to shrink.
    let (code, _, stderr) = run(&[
        "shrink", GOLD, "--seed", "5", "--slo", "gold-p99", "--budget", "5", "--out", &out_s,
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("does not fail"), "{stderr}");
}

/// Goal: the gate finds the lowest failing seed for any `--jobs`, exits 1, writes the shrunk
/// reproducer and a JUnit suite for it. Method: `check --explore 8 --budget 10runs` with one
/// and with two workers; the failing seed, the exit code and the files are compared.
#[test]
fn the_gate_stops_at_the_first_failure_for_any_jobs() {
    let mut found = Vec::new();
    for jobs in ["1", "2"] {
        let d = dir(&format!("gate-{jobs}"));
        let junit = d.join("junit.xml").display().to_string();
        let repro = d.join("repro").display().to_string();
        let (code, stdout, stderr) = run(&[
            "check",
            GOLD,
            "--seeds",
            "1",
            "--variant",
            "base",
            "--explore",
            "8",
            "--budget",
            "10runs",
            "--shrink-budget",
            "10",
            "--jobs",
            jobs,
            "--junit",
            &junit,
            "--explore-out",
            &repro,
        ]);
        assert_eq!(code, 1, "{stdout}\n{stderr}");
        let line = stdout
            .lines()
            .find(|l| l.contains("FAILED on seed"))
            .unwrap_or_else(|| panic!("{stdout}"))
            .to_string();
        let x = std::fs::read_to_string(&junit).unwrap_or_else(|e| panic!("{e}"));
        assert!(x.contains("(explore)") && x.contains("<failure"), "{x}");
        let files: Vec<_> = std::fs::read_dir(&repro)
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        found.push((line, files));
    }
    assert_eq!(found[0], found[1]);
}

/// Goal: a gate whose budget ends before any failure passes, and says so; bad flags are
/// input errors. Method: `--budget 1runs` (seed 1 passes), then each class of mistake.
#[test]
fn budgets_bound_the_gate_and_bad_flags_exit_2() {
    let (code, stdout, stderr) = run(&[
        "check",
        GOLD,
        "--seeds",
        "1",
        "--variant",
        "base",
        "--explore",
        "50",
        "--budget",
        "1runs",
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("budget spent"), "{stdout}");
    for bad in [
        vec!["--budget", "5m"],
        vec!["--explore", "0"],
        vec!["--explore", "5", "--budget", "soon"],
        vec!["--explore", "5", "--budget", "0runs"],
    ] {
        let mut args = vec!["check", GOLD, "--seeds", "1"];
        args.extend(bad.iter().copied());
        let (code, _, stderr) = run(&args);
        assert_eq!(code, 2, "{bad:?}: {stderr}");
        assert!(
            stderr.contains("--budget") || stderr.contains("--explore"),
            "{stderr}"
        );
    }
}

//! The on-call toolkit end to end: a planted bug (a variant whose scheduler starves a tenant)
//! is caught by `check`, explained by `explain` naming that scheduler's queue, and shrunk by
//! `shrink` to a scenario at least 5× smaller that still fails; `explain --without` puts the
//! bystanders' damage on the hot tenant and none on a quiet one.

use std::path::PathBuf;
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tenantsim"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn out(o: &Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const PLANTED: &str = "tests/fixtures/planted-starvation.toml";

#[test]
fn planted_starvation_is_caught_explained_and_shrunk() {
    // Caught: the variant expects every SLO to pass, and they do not.
    let (code, stdout, _) = out(&bin()
        .args(["check", PLANTED, "--seeds", "1..=2"])
        .output()
        .unwrap());
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("cap-misconfigured") && stdout.contains("NOT MET"));
    assert!(stdout.contains("repro: tenantsim run tests/fixtures/planted-starvation.toml --seed 1 --variant cap-misconfigured"));

    // Explained: the scheduler's queue of cell 0 is the saturated resource, not the workers.
    let (code, stdout, stderr) = out(&bin()
        .args([
            "explain",
            PLANTED,
            "--seed",
            "1",
            "--variant",
            "cap-misconfigured",
        ])
        .output()
        .unwrap());
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains("saturated: the `drr_cap` scheduler queue of cell 0"),
        "{stdout}"
    );
    assert!(stdout.contains("who:   bulk"), "{stdout}");
    assert!(stdout.contains("queue_timeout 100%"), "{stdout}");

    // Shrunk: still fails, at least 5× smaller (tenants × duration).
    let dir = std::env::temp_dir().join(format!("tenantsim-oncall-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let min = dir.join("min.toml");
    let (code, stdout, stderr) = out(&bin()
        .args([
            "shrink",
            PLANTED,
            "--seed",
            "1",
            "--variant",
            "cap-misconfigured",
            "--slo",
            "every-tenant-p99",
            "--out",
        ])
        .arg(&min)
        .output()
        .unwrap());
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("still fails"), "{stderr}");
    let ratio: f64 = stdout
        .split('(')
        .nth(1)
        .and_then(|s| s.split('×').next())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("no ratio in {stdout}"));
    assert!(ratio >= 5.0, "only {ratio}× smaller: {stdout}");
    let text = std::fs::read_to_string(&min).unwrap();
    assert!(text.starts_with("# Shrunk by `tenantsim shrink"));
    assert!(!text.contains("[[variants]]"), "variants are folded in");
    // The minimal file is valid and fails the same SLO on the same seed.
    let (code, stdout, _) = out(&bin()
        .arg("run")
        .arg(&min)
        .args(["--seed", "1", "-q"])
        .output()
        .unwrap());
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("every-tenant-p99"), "{stdout}");
    // A passing SLO has nothing to shrink: exit 2 with the reason.
    let (code, _, stderr) = out(&bin()
        .args([
            "shrink",
            PLANTED,
            "--seed",
            "1",
            "--slo",
            "every-tenant-p99",
            "--out",
        ])
        .arg(dir.join("none.toml"))
        .output()
        .unwrap());
    assert_eq!(code, 2);
    assert!(stderr.contains("does not fail on seed 1"), "{stderr}");
}

/// Reads `bystanders (N): failed requests A → B (X% attributable)` from `explain --without`.
fn attributable(stdout: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.contains("% attributable"))
        .unwrap_or_else(|| panic!("no counterfactual in {stdout}"));
    let before = line.split("% attributable").next().unwrap_or("");
    before
        .rsplit('(')
        .next()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("cannot read {line}"))
}

#[test]
fn without_attributes_damage_to_the_hot_tenant_only() {
    let run = |who: &str| {
        let (code, stdout, stderr) = out(&bin()
            .args([
                "explain",
                "scenarios/hot-tenant.toml",
                "--seed",
                "1",
                "--variant",
                "fifo-no-limits",
                "--without",
                who,
            ])
            .output()
            .unwrap());
        assert_eq!(code, 1, "{stderr}");
        stdout
    };
    let hot = run("hot");
    let a = attributable(&hot);
    assert!(a >= 90.0, "hot explains only {a}%:\n{hot}");
    assert!(hot.contains("SLO bystander-p99: FAIL → pass"), "{hot}");
    let quiet = run("small-0002");
    let q = attributable(&quiet);
    assert!(q.abs() <= 5.0, "a quiet tenant explains {q}%:\n{quiet}");
    // Unknown names are invalid input.
    let (code, _, stderr) = out(&bin()
        .args([
            "explain",
            "scenarios/hot-tenant.toml",
            "--without",
            "nobody",
        ])
        .output()
        .unwrap());
    assert_eq!(code, 2);
    assert!(stderr.contains("neither a tenant nor a fault"), "{stderr}");
    let _ = PathBuf::new();
}

//! `tenantsim diff A B` compares two recorded runs: the same run twice is "the same inputs",
//! an identical digest and exit 0; a changed scheduler is named as the differing input, its
//! SLO flips are marked and exit 1; a file that is not a summary is exit 2.
//!
//! Method: write summaries with `tenantsim run --json` (and a folder with `--out`), then run
//! `tenantsim diff` on pairs of them and read its stdout and exit code.

use std::path::PathBuf;
use std::process::Command;

fn tenantsim(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_tenantsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn tmp() -> PathBuf {
    let d = std::env::temp_dir().join(format!("tenantsim-diff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn diff_names_inputs_flips_and_deltas() {
    let d = tmp();
    let p = |f: &str| d.join(f).to_str().unwrap().to_string();
    let file = "scenarios/hot-tenant.toml";
    assert_eq!(tenantsim(&["run", file, "-q", "--json", &p("a.json")]).0, 0);
    assert_eq!(tenantsim(&["run", file, "-q", "--out", &p("again")]).0, 0);
    let fifo = ["run", file, "-q", "--set", "platform.scheduler=fifo"];
    let (code, _, _) = tenantsim(&[&fifo[..], &["--json", &p("b.json")]].concat());
    assert_eq!(code, 1, "the fifo run fails its SLOs");

    // The same run, from a file and from an --out folder.
    let (code, out, err) = tenantsim(&["diff", &p("a.json"), &p("again")]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("the same inputs") && out.contains("digest: identical"),
        "{out}"
    );
    assert!(
        out.contains("0 SLO verdicts flipped; overall PASS → PASS"),
        "{out}"
    );

    // Another scheduler: the input named, the verdicts flipped, tier deltas shown.
    let (code, out, _) = tenantsim(&["diff", &p("a.json"), &p("b.json")]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("differ: overrides (none → `--set platform.scheduler=fifo`)"),
        "{out}"
    );
    assert!(out.contains("PASS → FAIL   FLIPPED"), "{out}");
    assert!(
        out.contains("+100.000pp"),
        "bystander errors 0% → 100%: {out}"
    );
    for tier in ["bronze", "silver", "gold", "all"] {
        assert!(
            out.lines().any(|l| l.trim_start().starts_with(tier)),
            "{tier}: {out}"
        );
    }

    // Not a summary.
    std::fs::write(d.join("x.json"), "{}").unwrap();
    let (code, _, err) = tenantsim(&["diff", &p("a.json"), &p("x.json")]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a tenantsim summary.json"), "{err}");
    let _ = std::fs::remove_dir_all(&d);
}

//! tenantsim installs like a tool: the README's set-up puts it on PATH, the declared licence
//! is shipped, and completions and man pages come from the same flag definitions as `--help`.
//!
//! Method: read README.md, LICENSE and Cargo.toml; run `tenantsim completions` for every shell
//! and `tenantsim man` (stdout and `--dir`), and check the generated text names the real
//! subcommands and flags (a stale hand-written page would not know `check --fail-fast`).

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tenantsim(args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_tenantsim"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

#[test]
fn readme_installs_before_it_uses_a_bare_tenantsim() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let install = readme
        .find("cargo install --locked --path .")
        .expect("README shows `cargo install --locked --path .` (D2)");
    let first_use = ["run", "check", "compare", "trace", "explain", "validate"]
        .iter()
        .filter_map(|c| readme.find(&format!("\ntenantsim {c} ")))
        .min()
        .expect("a tenantsim command");
    assert!(
        install < first_use,
        "the README uses `tenantsim` before installing it"
    );
}

#[test]
fn the_declared_licence_is_shipped() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"Apache-2.0\""));
    let licence = std::fs::read_to_string(root().join("LICENSE")).expect("a LICENSE file (D24)");
    assert!(licence.contains("Apache License") && licence.contains("Version 2.0, January 2004"));
    assert!(
        licence.contains("END OF TERMS AND CONDITIONS"),
        "the full text"
    );
}

#[test]
fn completions_know_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, text) = tenantsim(&["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        for word in ["check", "compare", "trace", "fail-fast", "completions"] {
            assert!(text.contains(word), "{shell} completions lack `{word}`");
        }
    }
    let (code, _) = tenantsim(&["completions", "tcsh"]);
    assert_eq!(code, 2, "an unknown shell is a usage error");
}

#[test]
fn man_pages_are_generated_per_subcommand() {
    let (code, page) = tenantsim(&["man"]);
    assert_eq!(code, 0);
    assert!(
        page.contains(".TH tenantsim 1") && page.contains("check"),
        "{page}"
    );
    let dir = std::env::temp_dir().join(format!("tenantsim-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (code, out) = tenantsim(&["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let check = std::fs::read_to_string(dir.join("tenantsim-check.1")).unwrap();
    assert!(
        check.contains("tenantsim\\-check") && check.contains("fail\\-fast"),
        "{check}"
    );
    assert!(dir.join("tenantsim.1").exists() && dir.join("tenantsim-run.1").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `validate` speaks English: "1 fault", "1 SLO" (D22 printed "1 faults", "1 SLOs").
#[test]
fn validate_uses_singulars() {
    let o = Command::new(env!("CARGO_BIN_EXE_tenantsim"))
        .current_dir(root())
        .args(["validate", "scenarios/quickstart.toml"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("1 fault,") && !out.contains("1 faults"),
        "{out}"
    );
}

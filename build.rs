//! Build script of the `tenantsim` binary: records which commit it is built from.
//!
//! Sets `TENANTSIM_COMMIT` for the compiler: the first 12 hex digits of `git rev-parse HEAD`,
//! with `-dirty` when tracked files differ from that commit, or `unknown` when there is no
//! git or no repository (a source tarball, a sandbox). A packager may set `TENANTSIM_COMMIT`
//! in the environment to override it. Repro lines and `summary.json` fingerprints carry it,
//! so a run can be replayed with the same code.
//!
//! **Never fails the build**: every git problem degrades to `unknown`.

use std::path::Path;
use std::process::Command;

/// Runs git with `args`; its trimmed stdout, or `None` on any failure.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        // Never write to the repository (no index refresh): a write would touch .git/index,
        // which this script watches, and rebuild forever.
        .arg("--no-optional-locks")
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
}

fn watch(path: &str) {
    // A missing path would make cargo rerun this script on every build.
    if Path::new(path).exists() {
        println!("cargo:rerun-if-changed={path}");
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=TENANTSIM_COMMIT");
    for p in [
        "build.rs",
        "Cargo.toml",
        "Cargo.lock",
        "src",
        "sim/src",
        "models/src",
        "reports/src",
    ] {
        watch(p);
    }
    if let Ok(c) = std::env::var("TENANTSIM_COMMIT") {
        if !c.trim().is_empty() {
            println!("cargo:rustc-env=TENANTSIM_COMMIT={}", c.trim());
            return;
        }
    }
    let commit = git(&["rev-parse", "--short=12", "HEAD"])
        .filter(|c| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_hexdigit()));
    let text = match commit {
        None => "unknown".to_string(),
        Some(c) => {
            // Watch what moves HEAD (a commit, a checkout) and what changes the tree.
            if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
                watch(&format!("{dir}/HEAD"));
                watch(&format!("{dir}/index"));
            }
            if let (Some(common), Some(head_ref)) = (
                git(&["rev-parse", "--git-common-dir"]),
                git(&["symbolic-ref", "-q", "HEAD"]),
            ) {
                watch(&format!("{common}/{head_ref}"));
                watch(&format!("{common}/packed-refs"));
            }
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{c}-dirty")
            } else {
                c
            }
        }
    };
    println!("cargo:rustc-env=TENANTSIM_COMMIT={text}");
}

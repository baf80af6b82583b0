//! Helpers shared by the command-line tests of the control plane (used as `mod support;`):
//! the binary, a fresh temporary folder, a run that must succeed, a row of a `compare`
//! table, and a refusal with exit 2 at a position in the file.
//!
//! Each test crate compiles this module on its own and uses only some of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `tenantsim` binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tenantsim"))
}

/// An empty temporary folder named for this test process and `name` (removed first if a
/// previous run left it).
pub fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tenantsim-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Runs the binary with `args`; panics with both outputs unless it exits 0. Returns stdout.
pub fn run_ok<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let o = output(args);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// Runs the binary with `args` and returns what it did.
pub fn output<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    bin().args(args).output().expect("run tenantsim")
}

/// The row of `compare`'s terminal table for `variant` and `metric` (a line that starts
/// with the variant's label and names the metric); panics with the table if there is none.
pub fn compare_row<'a>(out: &'a str, variant: &str, metric: &str) -> &'a str {
    out.lines()
        .find(|l| l.trim_start().starts_with(variant) && l.contains(metric))
        .unwrap_or_else(|| panic!("no {metric} row for {variant}:\n{out}"))
}

/// Runs the binary with `args` and checks it refused the input: exit 2, stderr naming
/// `file` with a position (`file:`) and containing `what`. Returns stderr.
pub fn assert_exit_2<I, S>(args: I, file: &str, what: &str) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let o = output(args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("{file}:")), "{err}");
    assert!(err.contains(what), "{err}");
    err
}

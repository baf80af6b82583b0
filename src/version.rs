//! Which tenantsim this is: the package version and the git commit it was built from.
//!
//! A run is scenario + overrides + seed + *this*: repro lines end with
//! `# tenantsim 0.1.0 (abc123def456)` and `summary.json` records both in its fingerprint, so
//! a failure can be replayed with the same code. The commit comes from `build.rs`
//! (`-dirty` for a modified tree, `unknown` without git).

/// The package version, e.g. `0.1.0`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit (12 hex digits, maybe `-dirty`), or `unknown`.
pub const COMMIT: &str = env!("TENANTSIM_COMMIT");

/// `0.1.0 (abc123def456)`: what `--version` prints after the name.
pub const VERSION_LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("TENANTSIM_COMMIT"),
    ")"
);

/// `tenantsim 0.1.0 (abc123def456)`.
pub fn long() -> String {
    format!("tenantsim {VERSION_LONG}")
}

/// A repro command with the version it was printed by, as a shell comment:
/// `tenantsim run x.toml --seed 3   # tenantsim 0.1.0 (abc123def456)`.
pub fn with_version(cmd: &str) -> String {
    format!("{cmd}   # {}", long())
}

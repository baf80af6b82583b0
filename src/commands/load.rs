//! Reading scenario files and `--set` flags into a validated [`Scenario`].

use models::scenario::{Override, Scenario};
use std::path::Path;

/// Loads `path` with `sets` applied. On failure returns the message to print (exit 2).
pub fn load(path: &Path, sets: &[String]) -> Result<Scenario, String> {
    load_as(path, sets, None)
}

/// Loads `path` as `variant` (if any) with `sets` applied.
pub fn load_as(path: &Path, sets: &[String], variant: Option<&str>) -> Result<Scenario, String> {
    load_with_text(path, sets, variant).map(|l| l.scenario)
}

impl crate::cli::ScenarioArgs {
    /// Loads the scenario as these flags name it (variant, then `--set`s); the message on
    /// failure is the one to print (exit 2).
    pub fn load(&self) -> Result<Loaded, String> {
        load_with_text(&self.file, &self.set, self.variant.as_deref())
    }

    /// The seed these flags ask for, else the scenario's.
    pub fn seed_or(&self, sc: &Scenario) -> u64 {
        self.seed.unwrap_or(sc.seed)
    }

    /// The `tenantsim run` command that replays this scenario with `seed`.
    pub fn repro(&self, seed: u64) -> String {
        models::harness::repro::command(
            &self.file.display().to_string(),
            seed,
            self.variant.as_deref(),
            &self.set,
        )
    }
}

/// A scenario and the file text it was loaded from.
pub struct Loaded {
    /// The validated scenario.
    pub scenario: Scenario,
    /// The file's text as read (before any override).
    pub file_text: String,
}

/// Loads `path` as `variant` (if any) with `sets` applied, keeping the file's text (for the
/// run's fingerprint, and to parse it afresh).
pub fn load_with_text(
    path: &Path,
    sets: &[String],
    variant: Option<&str>,
) -> Result<Loaded, String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!("{name}: error: cannot read the scenario file: {e}\n  = help: check the path; scenarios shipped with tenantsim live in scenarios/")
    })?;
    let scenario = parse(&name, &text, sets, variant)?;
    Ok(Loaded {
        scenario,
        file_text: text,
    })
}

/// Parses scenario `text` (named `name` in messages) as `variant` with `sets` applied.
pub fn parse(
    name: &str,
    text: &str,
    sets: &[String],
    variant: Option<&str>,
) -> Result<Scenario, String> {
    let overrides = sets
        .iter()
        .map(|s| Override::parse(s).map_err(|e| format!("{name}: error in `--set {s}`: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    models::scenario::load_variant(name, text, &overrides, variant).map_err(|e| e.to_string())
}

//! Reading scenario files and `--set` flags into a validated [`Scenario`].
//!
//! Bounded whatever the path names: only regular files are read (a FIFO would block, a
//! device like `/dev/zero` never ends), at most [`MAX_FILE_BYTES`] of them; a file that is
//! not UTF-8 is refused with the line and column of its first invalid byte. A scenario that
//! loads is then estimated ([`models::estimate`]) and refused when its work is absurd,
//! unless `--allow-large` was given.

use models::scenario::{error, Override, Scenario, ScenarioError};
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Largest scenario file read (the largest shipped one is ~20 KB).
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// `--allow-large`: run scenarios whose estimated work is above the bounds.
static ALLOW_LARGE: AtomicBool = AtomicBool::new(false);

/// Sets `--allow-large` for this process (the binary's global flag).
pub fn set_allow_large(allow: bool) {
    ALLOW_LARGE.store(allow, Ordering::Relaxed);
}

/// Reads the scenario file at `path` (named `name` in messages) within the bounds above.
pub fn read_scenario(path: &Path, name: &str) -> Result<String, String> {
    let cannot = |e: &dyn std::fmt::Display| {
        format!("{name}: error: cannot read the scenario file: {e}\n  = help: check the path; scenarios shipped with tenantsim live in scenarios/")
    };
    let meta = std::fs::metadata(path).map_err(|e| cannot(&e))?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a pipe, FIFO or device)"
        };
        return Err(format!(
            "{name}: error: cannot read the scenario file: it is {what}\n  = help: write the scenario to a file and pass its path"
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big(name, meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| cannot(&e))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow between the check and the read: read one byte past the bound.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(&e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(name, bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let (line, column) = error::position_of(bytes, at);
        ScenarioError::at_position(
            name,
            line,
            column,
            format!(
                "the file is not UTF-8 text: byte 0x{:02x} cannot start or continue a character here; save the scenario as UTF-8",
                bytes.get(at).copied().unwrap_or(0)
            ),
        )
        .to_string()
    })
}

fn too_big(name: &str, len: u64) -> String {
    format!(
        "{name}: error: the scenario file is {len} bytes or more; the most tenantsim reads is {MAX_FILE_BYTES} bytes\n  = help: scenarios describe many tenants with [[cohorts]], not one entry each"
    )
}

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
    let text = read_scenario(path, &name)?;
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
        .map(|s| Override::parse(s).map_err(|e| format!("{name}: error in a --set flag: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let sc = models::scenario::load_variant(name, text, &overrides, variant)
        .map_err(|e| e.to_string())?;
    models::estimate::check(&sc, ALLOW_LARGE.load(Ordering::Relaxed))?;
    Ok(sc)
}

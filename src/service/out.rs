//! Writing a run's outputs into an `--out` directory, safely.
//!
//! - **All or nothing.** Outputs are written into a sibling staging folder
//!   (`.NAME.tenantsim-tmp-PID` beside `NAME`), which [`OutDir::commit`] renames into place
//!   once every file is written; a previous output folder of the same name is moved aside
//!   and removed only then. So `NAME` holds one run's complete outputs (the old run's or the
//!   new run's, never a mix), or does not exist for the instant between the two renames. A
//!   run killed midway leaves `NAME` as it was; its staging folder is removed by the next run
//!   into `NAME`, and nothing is ever left inside `NAME` itself.
//! - **Never someone else's folder.** An existing directory is replaced only if it is
//!   tenantsim's: it carries the marker file `.tenantsim` and holds only the names this module
//!   writes (and leftovers of older versions). A folder without the marker that holds
//!   anything at all (even just a `summary.json` a user saved there) is refused, so a typo in
//!   `--out` cannot scatter files into, or replace, someone's work.
//! - `compare --shard` results (`partial-K-of-N.json`) already in the folder are carried over
//!   into the new one, so shards written one after another into one folder all survive.

use std::path::{Path, PathBuf};

/// Files and folders tenantsim writes into an output directory.
pub const OWN_NAMES: &[&str] = &[
    ".tenantsim",
    "summary.json",
    "timeseries.csv",
    "tenants.csv",
    "report.html",
    "charts",
    "compare.json",
    "compare.csv",
    "runs.csv",
    "simulated-summary.json",
];

/// Prefix of the partial results `compare --shard` writes (`partial-K-of-N.json`).
pub const PARTIAL_PREFIX: &str = "partial-";

/// The marker that says a folder is tenantsim's.
const MARKER: &str = ".tenantsim";

/// Test hook: `TENANTSIM_INJECT_OUT_KILL=N` aborts the process (as `kill -9` would) after
/// the N-th output file is written, to test what a reader sees after a run killed midway.
const KILL_HOOK: &str = "TENANTSIM_INJECT_OUT_KILL";

/// Why an output directory cannot be used (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum OutError {
    /// The directory holds files that are not tenantsim's.
    #[error("{dir}: refusing to write here: it contains `{name}`, which tenantsim did not write; choose an empty or new directory for --out")]
    Foreign {
        /// The directory.
        dir: String,
        /// The first foreign entry.
        name: String,
    },
    /// The directory holds only names tenantsim writes, but not its marker: a user's files.
    #[error("{dir}: refusing to replace it: it holds `{name}` but no `.tenantsim` marker, so tenantsim did not write it; move it away or choose another --out")]
    Unmarked {
        /// The directory.
        dir: String,
        /// The first entry.
        name: String,
    },
    /// An I/O error, with the path.
    #[error("{path}: cannot write: {source}; check that the directory exists and is writable, or choose another --out")]
    Io {
        /// The path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

fn io(path: &Path, source: std::io::Error) -> OutError {
    OutError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// A checked output directory, staged until [`OutDir::commit`].
pub struct OutDir {
    /// Where the outputs end up.
    dir: PathBuf,
    /// Where they are written meanwhile.
    staging: PathBuf,
    written: Vec<(String, u64)>,
    kill_after: Option<usize>,
}

fn is_own(name: &str) -> bool {
    OWN_NAMES.contains(&name)
        || name.starts_with(".tmp-")
        || (name.starts_with(PARTIAL_PREFIX) && name.ends_with(".json"))
}

/// The sibling paths of `dir`: (parent, staging-name prefix).
fn sibling_prefix(dir: &Path) -> Result<(PathBuf, String), OutError> {
    let name = dir.file_name().ok_or_else(|| {
        io(
            dir,
            std::io::Error::other("--out must name a directory (not `.`, `..` or `/`)"),
        )
    })?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    Ok((parent, format!(".{}.tenantsim-", name.to_string_lossy())))
}

impl OutDir {
    /// Checks `dir` (see the module docs) and creates its staging folder. Nothing in `dir`
    /// changes until [`OutDir::commit`].
    pub fn prepare(dir: &Path) -> Result<OutDir, OutError> {
        let (parent, prefix) = sibling_prefix(dir)?;
        if dir.exists() {
            let entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            if let Some(name) = names.iter().find(|n| !is_own(n)) {
                return Err(OutError::Foreign {
                    dir: dir.display().to_string(),
                    name: name.clone(),
                });
            }
            if !names.iter().any(|n| n == MARKER) {
                if let Some(name) = names.first() {
                    return Err(OutError::Unmarked {
                        dir: dir.display().to_string(),
                        name: name.clone(),
                    });
                }
            }
            // Replacing it needs a writable directory: find out now, not after the run.
            let probe = dir.join(format!(".tmp-probe-{}", std::process::id()));
            std::fs::write(&probe, b"").map_err(|e| io(dir, e))?;
            let _ = std::fs::remove_file(&probe);
        } else {
            std::fs::create_dir_all(&parent).map_err(|e| io(&parent, e))?;
        }
        // Staging folders of runs into this same directory that were killed: ours to remove.
        if let Ok(entries) = std::fs::read_dir(&parent) {
            for e in entries.filter_map(|e| e.ok()) {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with(&prefix) && e.path().is_dir() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let staging = parent.join(format!("{prefix}tmp-{}", std::process::id()));
        std::fs::create_dir_all(&staging).map_err(|e| io(&staging, e))?;
        let mut out = OutDir {
            dir: dir.to_path_buf(),
            staging,
            written: Vec::new(),
            kill_after: std::env::var(KILL_HOOK).ok().and_then(|v| v.parse().ok()),
        };
        out.write(
            MARKER,
            b"This directory holds tenantsim outputs; tenantsim may overwrite them.\n",
        )?;
        out.written.clear();
        Ok(out)
    }

    /// Writes `name` (relative, may include one sub-folder) into the staging folder.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), OutError> {
        let path = self.staging.join(name);
        let parent = path.parent().unwrap_or(&self.staging).to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| io(&parent, e))?;
        std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
        self.written.push((name.to_string(), bytes.len() as u64));
        if self.kill_after == Some(self.written.len()) {
            std::process::abort();
        }
        Ok(())
    }

    /// Puts the staged outputs in place of the directory (see the module docs). Shard
    /// results already there are carried over unless this run wrote the same name.
    pub fn commit(self) -> Result<(), OutError> {
        let (parent, prefix) = sibling_prefix(&self.dir)?;
        if self.dir.exists() {
            if let Ok(entries) = std::fs::read_dir(&self.dir) {
                for e in entries.filter_map(|e| e.ok()) {
                    let n = e.file_name().to_string_lossy().into_owned();
                    let target = self.staging.join(&n);
                    if n.starts_with(PARTIAL_PREFIX) && n.ends_with(".json") && !target.exists() {
                        std::fs::copy(e.path(), &target).map_err(|err| io(&target, err))?;
                    }
                }
            }
            let old = parent.join(format!("{prefix}old-{}", std::process::id()));
            std::fs::rename(&self.dir, &old).map_err(|e| io(&self.dir, e))?;
            if let Err(e) = std::fs::rename(&self.staging, &self.dir) {
                let _ = std::fs::rename(&old, &self.dir);
                return Err(io(&self.dir, e));
            }
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&self.staging, &self.dir).map_err(|e| io(&self.dir, e))?;
        }
        Ok(())
    }

    /// The files written so far, with their sizes.
    pub fn written(&self) -> &[(String, u64)] {
        &self.written
    }

    /// The directory the outputs end up in.
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for OutDir {
    /// An output folder dropped without [`OutDir::commit`] (the run failed) leaves the
    /// directory as it was and removes its staging folder (after a commit there is none).
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}

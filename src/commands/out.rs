//! Writing a run's outputs into an `--out` directory, safely.
//!
//! - Every file is written atomically: a temporary file in the same directory, then a
//!   rename. A run that fails half-way leaves the previous file or none, never a truncated one.
//! - An existing directory is reused only if everything in it is tenantsim's own (the names
//!   this module writes, its marker file `.tenantsim`, and leftover temporaries); otherwise
//!   the run refuses to write there, so a typo in `--out` cannot scatter files into (or
//!   overwrite files in) someone's source tree.

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

/// A checked output directory.
pub struct OutDir {
    dir: PathBuf,
    written: Vec<(String, u64)>,
}

impl OutDir {
    /// Prepares `dir` (creating it if needed) after checking it holds only tenantsim's files.
    pub fn prepare(dir: &Path) -> Result<OutDir, OutError> {
        if dir.exists() {
            let entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            if let Some(name) = names.iter().find(|n| {
                !OWN_NAMES.contains(&n.as_str())
                    && !n.starts_with(".tmp-")
                    && (!n.starts_with(PARTIAL_PREFIX) || !n.ends_with(".json"))
            }) {
                return Err(OutError::Foreign {
                    dir: dir.display().to_string(),
                    name: name.clone(),
                });
            }
        } else {
            std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        }
        let mut out = OutDir {
            dir: dir.to_path_buf(),
            written: Vec::new(),
        };
        out.write(
            ".tenantsim",
            b"This directory holds tenantsim outputs; tenantsim may overwrite them.\n",
        )?;
        out.written.clear();
        Ok(out)
    }

    /// Writes `name` (relative, may include one sub-folder) atomically.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), OutError> {
        let path = self.dir.join(name);
        let parent = path.parent().unwrap_or(&self.dir).to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| io(&parent, e))?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = parent.join(format!(".tmp-{}-{file_name}", std::process::id()));
        std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(&path, e)
        })?;
        self.written.push((name.to_string(), bytes.len() as u64));
        Ok(())
    }

    /// The files written so far, with their sizes.
    pub fn written(&self) -> &[(String, u64)] {
        &self.written
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

//! Run fingerprints, and `run --verify-digest D`: did this run reproduce an earlier one — and
//! if not, did the inputs change, or the behaviour?
//!
//! ```text
//!   --verify-digest f632fb4b1916671f        digest only: same or not (cannot say why)
//!   --verify-digest old/summary.json        digest, and the two fingerprints compared:
//!                                             an input differs  → "not the same run: …"
//!                                             none differs      → "same inputs, different
//!                                                                  behaviour: a determinism bug"
//! ```
//!
//! A mismatch exits 1 with a loud message (it is a failed check, like an SLO); exit 3 stays
//! reserved for invariants broken inside a run.

use crate::version;
use models::harness::repro;
use reports::summary::{Fingerprint, RunSummary};
use sim::Digest;
use std::path::{Path, PathBuf};

/// The fingerprint of a run of the scenario file `file_text` with `overrides`, `variant` and
/// `seed`, by this tenantsim.
pub fn fingerprint(
    file_text: &str,
    overrides: &[String],
    variant: Option<&str>,
    seed: u64,
) -> Fingerprint {
    fingerprint_with(
        file_text,
        overrides,
        variant,
        seed,
        version::VERSION,
        version::COMMIT,
    )
}

fn fingerprint_with(
    file_text: &str,
    overrides: &[String],
    variant: Option<&str>,
    seed: u64,
    version: &str,
    commit: &str,
) -> Fingerprint {
    let mut d = Digest::new();
    d.write_bytes(without_schema_directive(file_text).as_bytes());
    let scenario_digest = d.hex();
    // Every part length-prefixed (write_bytes), so no two input sets hash the same words.
    let mut all = Digest::new();
    all.write_bytes(b"tenantsim/fingerprint/v1");
    all.write_bytes(scenario_digest.as_bytes());
    all.write_u64(overrides.len() as u64);
    for o in overrides {
        all.write_bytes(o.as_bytes());
    }
    match variant {
        None => all.write_u64(0),
        Some(v) => {
            all.write_u64(1);
            all.write_bytes(v.as_bytes());
        }
    }
    all.write_u64(seed);
    all.write_bytes(version.as_bytes());
    all.write_bytes(commit.as_bytes());
    Fingerprint {
        scenario_digest,
        version: version.to_string(),
        commit: commit.to_string(),
        inputs_digest: all.hex(),
    }
}

/// `file_text` without a first line holding taplo's `#:schema` directive (editor
/// metadata: it points editors at the JSON Schema and cannot change a run), so adding the
/// directive to a scenario keeps its fingerprint and the summaries pinned for it.
fn without_schema_directive(file_text: &str) -> &str {
    if !file_text.starts_with("#:schema ") {
        return file_text;
    }
    match file_text.find('\n') {
        Some(i) => &file_text[i + 1..],
        None => "",
    }
}

/// What `--verify-digest` compares the run against.
pub enum Expected {
    /// A bare trace digest.
    Digest(String),
    /// A previous run's summary.
    Summary {
        /// Where it was read from.
        path: PathBuf,
        /// The summary.
        summary: Box<RunSummary>,
    },
}

fn is_digest(s: &str) -> bool {
    s.len() == 16 && s.chars().all(|c| c.is_ascii_hexdigit())
}

impl Expected {
    /// Reads the flag's value: a 16-hex-digit digest, a `summary.json`, or a directory
    /// written by `--out` (its `summary.json`). The message of an error names the flag.
    pub fn parse(arg: &str) -> Result<Expected, String> {
        let flag = format!("`--verify-digest {arg}`");
        let p = Path::new(arg);
        if p.exists() {
            let path = if p.is_dir() {
                p.join("summary.json")
            } else {
                p.to_path_buf()
            };
            let text = std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "{flag}: cannot read {}: {e}\n  = help: pass a summary.json written by `tenantsim run --json PATH` or `--out DIR`, or a bare digest",
                    path.display()
                )
            })?;
            let summary: RunSummary = serde_json::from_str(&text).map_err(|e| {
                format!(
                    "{flag}: {} is not a tenantsim summary.json: {e}\n  = help: pass a summary.json written by `tenantsim run --json PATH` or `--out DIR`, or a bare digest",
                    path.display()
                )
            })?;
            if !is_digest(&summary.digest) {
                return Err(format!(
                    "{flag}: {} has no valid `digest` (found `{}`)",
                    path.display(),
                    summary.digest
                ));
            }
            return Ok(Expected::Summary {
                path,
                summary: Box::new(summary),
            });
        }
        if is_digest(arg) {
            return Ok(Expected::Digest(arg.to_ascii_lowercase()));
        }
        Err(format!(
            "{flag}: neither a digest (16 hex digits, like `f632fb4b1916671f`, printed after `digest` by every run) nor an existing summary.json file or --out directory"
        ))
    }
}

/// Compares the finished run `cur` (with its fingerprint) to `expected`: `Ok(line)` when the
/// digest was reproduced, `Err(message)` (several lines) when it was not.
pub fn verify(expected: &Expected, cur: &RunSummary) -> Result<String, String> {
    match expected {
        Expected::Digest(d) => {
            if *d == cur.digest {
                Ok(format!("verify-digest: ok — digest {d} reproduced"))
            } else {
                Err(format!(
                    "verify-digest: MISMATCH — expected digest {d}, this run's is {}\n  \
                     A bare digest cannot tell a changed input from changed behaviour: pass the \
                     earlier run's summary.json instead (`--verify-digest DIR/summary.json`).",
                    cur.digest
                ))
            }
        }
        Expected::Summary { path, summary } => {
            let prev = summary.as_ref();
            let (differ, unknown) = input_differences(prev, cur);
            if prev.digest == cur.digest {
                let mut line = format!(
                    "verify-digest: ok — digest {} of {} reproduced",
                    cur.digest,
                    path.display()
                );
                if !differ.is_empty() {
                    line.push_str(&format!(
                        " (with different inputs: {}; they do not change this run)",
                        differ.join(", ")
                    ));
                }
                return Ok(line);
            }
            let mut msg = format!(
                "verify-digest: MISMATCH — this run did not reproduce {}\n  digest: expected {}, this run's is {}\n",
                path.display(),
                prev.digest,
                cur.digest
            );
            if !differ.is_empty() {
                msg.push_str(&format!(
                    "  inputs that differ: {}\n  → not the same run, so a different digest is expected. To replay the earlier run:\n    {}",
                    differ.join("; "),
                    previous_repro(prev)
                ));
            } else if !unknown.is_empty() {
                msg.push_str(&format!(
                    "  inputs compared and equal: overrides, variant, seed; not comparable: {}\n  \
                     → cannot tell whether an input or the behaviour changed. If tenantsim and the scenario file \
                     are the same as then, this is a determinism bug — please report it with both summary.json files.",
                    unknown.join("; ")
                ));
            } else {
                msg.push_str(&format!(
                    "  inputs: all the same (scenario file content, overrides, variant, seed, tenantsim {} ({}))\n  \
                     → same inputs, different behaviour: a determinism bug — please report it with both summary.json \
                     files and the repro line.",
                    prev.fingerprint.as_ref().map_or("?", |f| f.version.as_str()),
                    prev.fingerprint.as_ref().map_or("?", |f| f.commit.as_str()),
                ));
                if let Some(note) = code_caveat(prev) {
                    msg.push_str(&format!("\n  (note: {note})"));
                }
            }
            Err(msg)
        }
    }
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".to_string()
    } else {
        v.iter()
            .map(|s| {
                let flag = s.strip_prefix("--set ").unwrap_or(s);
                format!("`--set {flag}`")
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The inputs that differ between two runs, and those that cannot be compared.
pub(crate) fn input_differences(prev: &RunSummary, cur: &RunSummary) -> (Vec<String>, Vec<String>) {
    let mut differ = Vec::new();
    let mut unknown = Vec::new();
    let (pf, cf) = (prev.fingerprint.as_ref(), cur.fingerprint.as_ref());
    match (pf, cf) {
        (Some(p), Some(c)) => {
            if p.scenario_digest != c.scenario_digest {
                differ.push(format!(
                    "scenario file content (digest {} → {})",
                    p.scenario_digest, c.scenario_digest
                ));
            }
        }
        _ => unknown.push(
            "scenario file content and tenantsim version (the earlier summary has no fingerprint: \
             written by an older tenantsim)"
                .to_string(),
        ),
    }
    if prev.overrides != cur.overrides {
        differ.push(format!(
            "overrides ({} → {})",
            list(&prev.overrides),
            list(&cur.overrides)
        ));
    }
    if prev.variant != cur.variant {
        differ.push(format!(
            "variant ({} → {})",
            prev.variant.as_deref().unwrap_or("none"),
            cur.variant.as_deref().unwrap_or("none")
        ));
    }
    if prev.seed != cur.seed {
        differ.push(format!("seed ({} → {})", prev.seed, cur.seed));
    }
    if let (Some(p), Some(c)) = (pf, cf) {
        if p.version != c.version || p.commit != c.commit {
            differ.push(format!(
                "tenantsim version ({} ({}) → {} ({}))",
                p.version, p.commit, c.version, c.commit
            ));
        }
    }
    (differ, unknown)
}

/// Why "the same tenantsim" may not mean the same code: a build without git, or from a
/// modified tree.
fn code_caveat(prev: &RunSummary) -> Option<String> {
    let commit = &prev.fingerprint.as_ref()?.commit;
    if commit == "unknown" {
        Some(
            "tenantsim was built without git, so the code of the two runs cannot be compared"
                .into(),
        )
    } else if commit.ends_with("-dirty") {
        Some(format!(
            "both builds are from a modified tree ({commit}); if the uncommitted code differed between the two runs, that explains it"
        ))
    } else {
        None
    }
}

/// The repro line of the earlier run, with the tenantsim it was made by.
fn previous_repro(prev: &RunSummary) -> String {
    let cmd = repro::command(
        &prev.file,
        prev.seed,
        prev.variant.as_deref(),
        &prev.overrides,
    );
    match &prev.fingerprint {
        Some(f) => format!("{cmd}   # tenantsim {} ({})", f.version, f.commit),
        None => cmd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(seed: u64, digest: &str, text: &str, commit: &str) -> RunSummary {
        RunSummary {
            file: "s.toml".into(),
            seed,
            digest: digest.into(),
            fingerprint: Some(fingerprint_with(text, &[], None, seed, "0.1.0", commit)),
            ..Default::default()
        }
    }

    /// Goal: the fingerprint changes with every input and only with them.
    #[test]
    fn fingerprint_covers_every_input() {
        let base = fingerprint_with("a = 1", &[], None, 1, "0.1.0", "abc");
        assert_eq!(
            base,
            fingerprint_with("a = 1", &[], None, 1, "0.1.0", "abc")
        );
        let others = [
            fingerprint_with("a = 2", &[], None, 1, "0.1.0", "abc"),
            fingerprint_with("a = 1", &["x=1".into()], None, 1, "0.1.0", "abc"),
            fingerprint_with("a = 1", &[], Some("v"), 1, "0.1.0", "abc"),
            fingerprint_with("a = 1", &[], None, 2, "0.1.0", "abc"),
            fingerprint_with("a = 1", &[], None, 1, "0.2.0", "abc"),
            fingerprint_with("a = 1", &[], None, 1, "0.1.0", "abd"),
        ];
        for o in &others {
            assert_ne!(base.inputs_digest, o.inputs_digest, "{o:?}");
        }
        assert_eq!(base.scenario_digest.len(), 16);
        // The editor's schema directive on line 1 is not an input; anything else is.
        let directive = "#:schema ./tenantsim.schema.json\n";
        assert_eq!(
            base,
            fingerprint_with(&format!("{directive}a = 1"), &[], None, 1, "0.1.0", "abc")
        );
        assert_ne!(
            base,
            fingerprint_with(&format!("a = 1\n{directive}"), &[], None, 1, "0.1.0", "abc")
        );
    }

    /// Goal: a mismatch names the input that changed, or says it is a determinism bug when
    /// none did.
    #[test]
    fn mismatch_names_the_changed_input_or_the_bug() {
        let cur = summary(3, "1111111111111111", "a = 1", "abc123def456");
        let ok = |prev: RunSummary| {
            verify(
                &Expected::Summary {
                    path: "prev.json".into(),
                    summary: Box::new(prev),
                },
                &cur,
            )
        };
        assert!(ok(summary(3, "1111111111111111", "a = 1", "abc123def456")).is_ok());
        let e = ok(summary(4, "2222222222222222", "a = 1", "abc123def456")).unwrap_err();
        assert!(e.contains("seed (4 → 3)") && e.contains("--seed 4"), "{e}");
        let e = ok(summary(3, "2222222222222222", "a = 2", "abc123def456")).unwrap_err();
        assert!(e.contains("scenario file content"), "{e}");
        let e = ok(summary(3, "2222222222222222", "a = 1", "fff123def456")).unwrap_err();
        assert!(e.contains("tenantsim version"), "{e}");
        let e = ok(summary(3, "2222222222222222", "a = 1", "abc123def456")).unwrap_err();
        assert!(
            e.contains("same inputs, different behaviour: a determinism bug"),
            "{e}"
        );
        let mut old = summary(3, "2222222222222222", "a = 1", "abc123def456");
        old.fingerprint = None;
        let e = ok(old).unwrap_err();
        assert!(e.contains("no fingerprint"), "{e}");
        // A bare digest.
        assert!(verify(&Expected::Digest("1111111111111111".into()), &cur).is_ok());
        let e = verify(&Expected::Digest("2222222222222222".into()), &cur).unwrap_err();
        assert!(e.contains("MISMATCH") && e.contains("summary.json"), "{e}");
    }

    #[test]
    fn parse_rejects_what_is_neither() {
        assert!(matches!(
            Expected::parse("F632FB4B1916671F"),
            Ok(Expected::Digest(d)) if d == "f632fb4b1916671f"
        ));
        let e = Expected::parse("nope").err().unwrap();
        assert!(e.contains("16 hex digits"), "{e}");
    }
}

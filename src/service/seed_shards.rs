//! Exploration across machines: `explore --shard K/N --out DIR` writes the outcomes of a
//! disjoint share of the seeds, and `explore --merge DIR...` puts the shares back together.
//!
//! Shard K of N explores the runs whose index i (seed = first seed + i, i in 0..--runs)
//! has i mod N = K−1: every seed belongs to exactly one shard, whatever N, and each run is
//! judged exactly as an unsharded `explore` judges it (a run depends on its seed only). A
//! shard writes `explore-partial-K-of-N.json`: the sweep's [`ExploreSpec`] (the scenario
//! file's hash, the first seed, `--runs`, `--variant`, `--set`, the tenantsim version) and
//! its runs' outcomes. The merge refuses partials of another sweep (a different file, flags
//! or version than the merging command's), a shard given twice, a shard missing, or a file
//! that is not a partial; it then hands back the outcomes in seed order, from which
//! `explore` prints and writes exactly what one machine would have (byte for byte: the
//! outcome of a run is all that its report reads, and it round-trips through JSON exactly).

use models::harness::explore::Outcome;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Layout of the partial files; a merge refuses another.
pub const LAYOUT: u32 = 1;

/// What a sharded exploration is: the same for every shard and for the merge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExploreSpec {
    /// [`LAYOUT`].
    pub layout: u32,
    /// The tenantsim version (runs replay per version).
    pub tenantsim: String,
    /// The scenario file as given.
    pub file: String,
    /// A digest of the scenario file's text.
    pub scenario_hash: String,
    /// The first seed.
    pub first_seed: u64,
    /// `--runs`.
    pub runs: u64,
    /// `--variant`.
    pub variant: Option<String>,
    /// `--set`, in order.
    pub sets: Vec<String>,
}

/// One run's outcome as written (the fields of [`Outcome`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct RunRecord {
    seed: u64,
    failed_slos: Vec<String>,
    invariant: Option<String>,
    unrecovered: Vec<String>,
    metastable: Vec<String>,
    kinds: Vec<String>,
    targets: Vec<String>,
    schedule: Vec<String>,
    reached: Vec<String>,
    digest: String,
    #[serde(default)]
    broken: Option<models::harness::invariants::Broken>,
    #[serde(default)]
    resource: Option<String>,
    #[serde(default)]
    saturated: Option<String>,
}

/// A shard's file.
#[derive(Debug, Serialize, Deserialize)]
struct Partial {
    spec: ExploreSpec,
    shard: usize,
    shards: usize,
    runs: Vec<RunRecord>,
}

/// Parses `K/N` (1 ≤ K ≤ N ≤ 10000).
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let bad = || format!("`--shard {text}`: write K/N with 1 ≤ K ≤ N ≤ 10000, e.g. `--shard 2/8`");
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let k: usize = k.trim().parse().map_err(|_| bad())?;
    let n: usize = n.trim().parse().map_err(|_| bad())?;
    if k == 0 || k > n || n > 10_000 {
        return Err(bad());
    }
    Ok((k, n))
}

/// The run indices of shard `k` of `n` among `runs` runs.
pub fn indices(runs: u64, k: usize, n: usize) -> Vec<u64> {
    (0..runs)
        .filter(|i| i % n as u64 == (k - 1) as u64)
        .collect()
}

/// The name of shard `k` of `n`'s file.
pub fn file_name(k: usize, n: usize) -> String {
    format!("explore-partial-{k}-of-{n}.json")
}

/// A digest of a scenario's text, for the spec.
pub fn text_hash(text: &str) -> String {
    let mut h = sim::Digest::new();
    h.write_bytes(text.as_bytes());
    h.hex()
}

fn record(o: &Outcome) -> RunRecord {
    RunRecord {
        seed: o.seed,
        failed_slos: o.failed_slos.clone(),
        invariant: o.invariant.clone(),
        unrecovered: o.unrecovered.clone(),
        metastable: o.metastable.clone(),
        kinds: o.kinds.clone(),
        targets: o.targets.clone(),
        schedule: o.schedule.clone(),
        reached: o.reached.iter().map(|s| s.to_string()).collect(),
        digest: o.digest.clone(),
        broken: o.broken.clone(),
        resource: o.resource.clone(),
        saturated: o.saturated.clone(),
    }
}

fn outcome(r: RunRecord) -> Result<Outcome, String> {
    let mut reached = Vec::with_capacity(r.reached.len());
    for s in &r.reached {
        match models::coverage::STATES
            .iter()
            .find(|st| st.0 == s.as_str())
        {
            Some(st) => reached.push(st.0),
            None => {
                return Err(format!(
                    "seed {} reached `{s}`, which is no coverage state",
                    r.seed
                ))
            }
        }
    }
    Ok(Outcome {
        seed: r.seed,
        failed_slos: r.failed_slos,
        invariant: r.invariant,
        unrecovered: r.unrecovered,
        metastable: r.metastable,
        kinds: r.kinds,
        targets: r.targets,
        schedule: r.schedule,
        reached,
        digest: r.digest,
        broken: r.broken,
        resource: r.resource,
        saturated: r.saturated,
    })
}

/// Writes shard `k` of `n` (`outcomes` in seed order) into `dir`; returns the file.
pub fn write(
    dir: &Path,
    spec: &ExploreSpec,
    (k, n): (usize, usize),
    outcomes: &[Outcome],
) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let p = Partial {
        spec: spec.clone(),
        shard: k,
        shards: n,
        runs: outcomes.iter().map(record).collect(),
    };
    let json = serde_json::to_string_pretty(&p).map_err(|e| e.to_string())? + "\n";
    let path = dir.join(file_name(k, n));
    std::fs::write(&path, json).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// The partial files named by `inputs` (files, or directories holding
/// `explore-partial-*.json`), sorted.
fn files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    shard_files(inputs, "explore-partial-", "explore")
}

/// The shard files named by `inputs`: each a file, or a directory whose `{prefix}*.json`
/// files are taken (one without any is an error naming `{command} --shard K/N --out DIR`);
/// sorted by path, each once. Shared by `explore --merge` and `compare`'s merge.
pub(crate) fn shard_files(
    inputs: &[PathBuf],
    prefix: &str,
    command: &str,
) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let entries = std::fs::read_dir(p)
                .map_err(|e| format!("{}: cannot read the directory: {e}", p.display()))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.file_name()
                        .map(|n| n.to_string_lossy())
                        .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".json"))
                })
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "{}: no {prefix}K-of-N.json here; give the directories that `{command} --shard K/N --out DIR` wrote",
                    p.display()
                ));
            }
            out.append(&mut found);
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn read(path: &Path) -> Result<Partial, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: not a partial result of `explore --shard`: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

/// Reads the shards in `inputs`, checks they are every shard of the sweep `want` exactly
/// once, and returns their outcomes in seed order. The error says which file is wrong and
/// how (exit 2).
pub fn merge(inputs: &[PathBuf], want: &ExploreSpec) -> Result<Vec<Outcome>, String> {
    let files = files(inputs)?;
    let mut parts: Vec<(PathBuf, Partial)> = Vec::new();
    for f in files {
        let p = read(&f)?;
        parts.push((f, p));
    }
    let Some(shards) = parts.first().map(|(_, p)| p.shards) else {
        return Err("no partial results given".to_string());
    };
    let mut seen: Vec<Option<PathBuf>> = vec![None; shards + 1];
    let mut runs: Vec<RunRecord> = Vec::new();
    for (path, p) in parts {
        let s = &p.spec;
        let what = if s.layout != want.layout {
            Some(format!(
                "it has layout {}, this tenantsim reads {}",
                s.layout, want.layout
            ))
        } else if s.tenantsim != want.tenantsim {
            Some(format!(
                "it was run by tenantsim {}, this is {}",
                s.tenantsim, want.tenantsim
            ))
        } else if s.scenario_hash != want.scenario_hash {
            Some("the scenario file's contents differ from the file given here".to_string())
        } else if s != want {
            Some(
                "its flags (--seed, --runs, --variant or --set) differ from the ones given here"
                    .to_string(),
            )
        } else if p.shards != shards || p.shard == 0 || p.shard > p.shards {
            Some(format!(
                "shard {}/{} does not fit a sweep of {shards} shards",
                p.shard, p.shards
            ))
        } else {
            None
        };
        if let Some(why) = what {
            return Err(format!(
                "{}: not a shard of this exploration: {why}",
                path.display()
            ));
        }
        let expected = indices(want.runs, p.shard, shards);
        let got: Vec<u64> = p
            .runs
            .iter()
            .map(|r| r.seed.wrapping_sub(want.first_seed))
            .collect();
        if got != expected {
            return Err(format!(
                "{}: shard {}/{} does not hold the seeds of that shard (was it edited? rerun the shard)",
                path.display(),
                p.shard,
                shards
            ));
        }
        if let Some(other) = &seen[p.shard] {
            return Err(format!(
                "shard {}/{shards} is given twice: {} and {}",
                p.shard,
                other.display(),
                path.display()
            ));
        }
        seen[p.shard] = Some(path);
        runs.extend(p.runs);
    }
    let missing: Vec<String> = (1..=shards)
        .filter(|&k| seen[k].is_none())
        .map(|k| format!("{k}/{shards}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "shards {} are missing; run them with `--shard K/N --out DIR` and merge every directory",
            missing.join(", ")
        ));
    }
    runs.sort_by_key(|r| r.seed);
    runs.into_iter().map(outcome).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: the shards of any N cover every run exactly once. Method: N from 1 to 9 over
    /// 20 runs; the union sorted is 0..20.
    #[test]
    fn shards_partition_the_runs() {
        for n in 1..10 {
            let mut all: Vec<u64> = (1..=n).flat_map(|k| indices(20, k, n)).collect();
            all.sort();
            assert_eq!(all, (0..20).collect::<Vec<_>>(), "N = {n}");
        }
        assert!(parse_shard("0/3").is_err() && parse_shard("4/3").is_err());
        assert_eq!(parse_shard("2/3"), Ok((2, 3)));
    }
}

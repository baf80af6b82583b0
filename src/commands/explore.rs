//! `tenantsim explore FILE --runs N`: a fault schedule drawn per seed, judged, failures
//! grouped by signature with their repro lines, and coverage.
//!
//! The library part is `models::harness::explore` (the schedule, the judgement, the
//! signature); this command runs the seeds in parallel and reports in seed order, so its
//! output does not depend on `--jobs`. With `--shard K/N --out DIR` it runs one share of the
//! seeds and writes it; with `--merge DIR...` it runs nothing and reports from the shares
//! (`crate::service::seed_shards`), exactly as one unsharded run.

use crate::cli::ExploreArgs;
use crate::exit;
use crate::service::seed_shards;
use models::harness::explore::{judge, Outcome};
use models::harness::run::RunOptions;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Runs `explore`.
pub fn explore(a: ExploreArgs) -> i32 {
    let loaded = match a.scenario.load() {
        Ok(l) => l,
        Err(msg) => {
            eprintln!("{msg}");
            return exit::INVALID_INPUT;
        }
    };
    if a.runs == 0 {
        eprintln!("tenantsim: error: --runs 0 explores nothing; give --runs 20");
        return exit::INVALID_INPUT;
    }
    let sc = &loaded.scenario;
    let first = a.scenario.seed.unwrap_or(1);
    let shard = match sharding(&a) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tenantsim: error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    let spec = seed_shards::ExploreSpec {
        layout: seed_shards::LAYOUT,
        tenantsim: crate::version::long(),
        file: a.scenario.file.display().to_string(),
        scenario_hash: seed_shards::text_hash(&sc.text),
        first_seed: first,
        runs: a.runs,
        variant: a.scenario.variant.clone(),
        sets: a.scenario.set.clone(),
    };
    let outcomes = if a.merge.is_empty() {
        let indices = match shard {
            Some((k, n)) => seed_shards::indices(a.runs, k, n),
            None => (0..a.runs).collect(),
        };
        let seeds: Vec<u64> = indices.iter().map(|&i| first.saturating_add(i)).collect();
        let opts = RunOptions {
            variant: a.scenario.variant.clone(),
            ..RunOptions::default()
        };
        match crate::service::pool::map(
            seeds.len(),
            crate::service::pool::workers(a.jobs, seeds.len()),
            "explore",
            |i| a.scenario.repro(seeds[i]) + " --explore",
            |i| Ok(judge(sc, seeds[i], &opts)),
        ) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("tenantsim: {e}");
                return exit::INTERNAL;
            }
        }
    } else {
        match seed_shards::merge(&a.merge, &spec) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("tenantsim: error: {e}");
                return exit::INVALID_INPUT;
            }
        }
    };
    if let (Some(k_n), Some(dir)) = (shard, &a.out) {
        return match seed_shards::write(dir, &spec, k_n, &outcomes) {
            Ok(path) => {
                let failed = outcomes.iter().filter(|o| o.failed()).count();
                println!(
                    "explore: shard {}/{}: {} runs ({failed} failed) written to {}; combine every shard with the same command and `--merge DIR...` instead of `--shard`",
                    k_n.0,
                    k_n.1,
                    outcomes.len(),
                    path.display()
                );
                exit::OK
            }
            Err(e) => {
                eprintln!("tenantsim: error: {e}");
                exit::INVALID_INPUT
            }
        };
    }
    let text = render(&a, sc, &outcomes);
    print!("{text}");
    if let Some(dir) = &a.shrink {
        if let Err(code) = shrink_failures(&a, dir, &outcomes) {
            return code;
        }
    }
    if let Some(path) = &a.json {
        let json = to_json(&a, sc, &outcomes);
        if let Err(e) = std::fs::write(path, json) {
            eprintln!("tenantsim: error: cannot write {}: {e}", path.display());
            return exit::INVALID_INPUT;
        }
    }
    let missing = missing_coverage(sc, &outcomes);
    if outcomes.iter().any(|o| o.invariant.is_some()) {
        // A broken invariant is a bug of the model, not a failed game day.
        exit::INTERNAL
    } else if outcomes.iter().any(Outcome::failed) || !missing.is_empty() {
        exit::SLO_FAILED
    } else {
        exit::OK
    }
}

/// `--shard K/N` parsed, once the flags that go with it are checked: `--out` is needed,
/// `--json`, `--shrink` and `--merge` belong to the merge.
fn sharding(a: &ExploreArgs) -> Result<Option<(usize, usize)>, String> {
    let Some(text) = &a.shard else {
        if a.out.is_some() {
            return Err("`--out` is where `--shard K/N` writes; give --shard too (or --json PATH for the report)".to_string());
        }
        return Ok(None);
    };
    let k_n = seed_shards::parse_shard(text)?;
    if !a.merge.is_empty() {
        return Err("`--merge` combines the shards: give it without --shard".to_string());
    }
    if a.out.is_none() {
        return Err("`--shard` writes a partial result: give `--out DIR` too".to_string());
    }
    if a.json.is_some() || a.shrink.is_some() {
        return Err("`--json` and `--shrink` report on every run: give them to the `--merge` command, not to a shard".to_string());
    }
    Ok(Some(k_n))
}

/// Coverage states the scenario asks for that no run reached.
fn missing_coverage<'a>(sc: &'a models::scenario::Scenario, o: &[Outcome]) -> Vec<&'a str> {
    sc.explore
        .coverage
        .iter()
        .filter(|c| !o.iter().any(|x| x.reached.contains(&c.as_str())))
        .map(String::as_str)
        .collect()
}

/// Failures by signature, in order of first seed: (signature, outcomes).
fn groups(o: &[Outcome]) -> Vec<(String, Vec<&Outcome>)> {
    let mut g: Vec<(String, Vec<&Outcome>)> = Vec::new();
    for x in o.iter().filter(|x| x.failed()) {
        let sig = x.signature();
        match g.iter_mut().find(|(s, _)| *s == sig) {
            Some((_, v)) => v.push(x),
            None => g.push((sig, vec![x])),
        }
    }
    g
}

fn render(a: &ExploreArgs, sc: &models::scenario::Scenario, o: &[Outcome]) -> String {
    let mut out = String::new();
    let failed = o.iter().filter(|x| x.failed()).count();
    let e = &sc.explore;
    let _ = writeln!(
        out,
        "explore {}: {} runs (seeds {}..={}), up to {} drawn faults each of {}, from {} until {}, each ≤ {}",
        a.scenario.file.display(),
        o.len(),
        o.first().map(|x| x.seed).unwrap_or(0),
        o.last().map(|x| x.seed).unwrap_or(0),
        e.max_faults,
        e.kinds.join(", "),
        e.from,
        e.quiet_after,
        e.max_for
    );
    let _ = writeln!(out, "{failed} of {} runs failed", o.len());
    let armed = o
        .iter()
        .flat_map(|x| &x.schedule)
        .filter(|l| l.contains(" armed when "))
        .count();
    if armed > 0 {
        let never = o
            .iter()
            .flat_map(|x| &x.schedule)
            .filter(|l| l.contains(": never fired"))
            .count();
        let _ = writeln!(
            out,
            "{armed} drawn faults armed by a condition: {} fired, {never} never fired (did not run)",
            armed - never
        );
    }
    for (sig, runs) in groups(o) {
        // Fault kinds present in every run of the group: the likely ingredients.
        let mut common: Vec<String> = runs[0].kinds.clone();
        common.retain(|k| runs.iter().all(|r| r.kinds.contains(k)));
        let seeds: Vec<String> = runs.iter().take(10).map(|r| r.seed.to_string()).collect();
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "FAILURE {sig}: {} runs (seeds {}{})",
            runs.len(),
            seeds.join(", "),
            if runs.len() > 10 { ", …" } else { "" }
        );
        let _ = writeln!(
            out,
            "  drawn kinds in every such run: {}",
            if common.is_empty() {
                "none in common".to_string()
            } else {
                common.join(", ")
            }
        );
        let mut targets: Vec<String> = runs[0].targets.clone();
        targets.retain(|k| runs.iter().all(|r| r.targets.contains(k)));
        let _ = writeln!(
            out,
            "  drawn targets in every such run: {}",
            if targets.is_empty() {
                "none in common".to_string()
            } else {
                targets.join(", ")
            }
        );
        let r = runs[0];
        let _ = writeln!(out, "  first (seed {}) drew:", r.seed);
        for l in &r.schedule {
            let _ = writeln!(out, "    {l}");
        }
        if let Some(i) = &r.invariant {
            let _ = writeln!(out, "  invariant: {i}");
        }
        if let Some(sat) = &r.saturated {
            let _ = writeln!(out, "  saturated at the first violation: {sat}");
        }
        if !r.unrecovered.is_empty() {
            let _ = writeln!(
                out,
                "  not recovered by the end: {}",
                r.unrecovered.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "  repro: {}",
            crate::version::with_version(&(a.scenario.repro(r.seed) + " --explore"))
        );
        if let Some(slo) = r.failed_slos.first() {
            let _ = writeln!(out, "  shrink: {}", shrink_command(a, r.seed, slo, None));
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "coverage (runs that reached each state):");
    for (name, meaning, _) in models::coverage::STATES.iter() {
        let n = o.iter().filter(|x| x.reached.contains(name)).count();
        let wanted = if sc.explore.coverage.iter().any(|c| c == name) {
            if n == 0 {
                "  REQUIRED, NOT REACHED"
            } else {
                "  required"
            }
        } else {
            ""
        };
        let _ = writeln!(out, "  {name:<22} {n:>5}/{:<5} {meaning}{wanted}", o.len());
    }
    out
}

fn to_json(a: &ExploreArgs, sc: &models::scenario::Scenario, o: &[Outcome]) -> String {
    let runs: Vec<serde_json::Value> = o
        .iter()
        .map(|x| {
            serde_json::json!({
                "seed": x.seed,
                "failed": x.failed(),
                "signature": x.signature(),
                "failed_slos": x.failed_slos,
                "invariant": x.invariant,
                "broken": x.broken,
                "saturated": x.saturated,
                "resource": x.resource,
                "unrecovered": x.unrecovered,
                "metastable": x.metastable,
                "schedule": x.schedule,
                "reached": x.reached,
                "digest": x.digest,
                "repro": a.scenario.repro(x.seed) + " --explore",
            })
        })
        .collect();
    let mut coverage = BTreeMap::new();
    for (name, _, _) in models::coverage::STATES.iter() {
        coverage.insert(*name, o.iter().filter(|x| x.reached.contains(name)).count());
    }
    let groups: Vec<serde_json::Value> = groups(o)
        .into_iter()
        .map(|(sig, runs)| {
            serde_json::json!({
                "signature": sig,
                "runs": runs.len(),
                "seeds": runs.iter().map(|r| r.seed).collect::<Vec<_>>(),
            })
        })
        .collect();
    let v = serde_json::json!({
        "file": a.scenario.file.display().to_string(),
        "runs": runs,
        "groups": groups,
        "coverage": coverage,
        "coverage_required": sc.explore.coverage,
        "coverage_missing": missing_coverage(sc, o),
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// Where `explore --shrink DIR` writes the shrunk run of `seed`.
fn shrink_path(dir: &std::path::Path, seed: u64) -> std::path::PathBuf {
    dir.join(format!("explore-seed-{seed}.toml"))
}

/// The `tenantsim shrink` line that shrinks explored run `seed` on `slo`.
fn shrink_command(a: &ExploreArgs, seed: u64, slo: &str, out: Option<&std::path::Path>) -> String {
    use models::harness::repro::shell_quote;
    let mut c = format!(
        "tenantsim shrink {} --seed {seed} --explore --slo {}",
        shell_quote(&a.scenario.file.display().to_string()),
        shell_quote(slo)
    );
    if let Some(v) = &a.scenario.variant {
        c.push_str(&format!(" --variant {}", shell_quote(v)));
    }
    for s in &a.scenario.set {
        c.push_str(&format!(" --set {}", shell_quote(s)));
    }
    let out = out
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| format!("explore-seed-{seed}.toml"));
    c.push_str(&format!(" --out {}", shell_quote(&out)));
    c
}

/// `--shrink DIR`: shrinks the first run of each failure group that failed an SLO (on its
/// first failed SLO) into `DIR/explore-seed-N.toml`. `Err` is the exit code of a failure to
/// write.
fn shrink_failures(a: &ExploreArgs, dir: &std::path::Path, o: &[Outcome]) -> Result<(), i32> {
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("tenantsim: error: cannot create {}: {e}", dir.display());
        return Err(exit::INVALID_INPUT);
    }
    for (sig, runs) in groups(o) {
        let r = runs[0];
        let Some(slo) = r.failed_slos.first() else {
            println!(
                "shrink: {sig} (seed {}): no SLO failed; nothing to shrink on",
                r.seed
            );
            continue;
        };
        let out = shrink_path(dir, r.seed);
        let set = a.scenario.set.clone();
        println!(
            "shrink: {sig} (seed {}, SLO {slo}) → {}",
            r.seed,
            out.display()
        );
        let code = crate::service::shrink::shrink(crate::cli::ShrinkArgs {
            file: a.scenario.file.clone(),
            seed: Some(r.seed),
            slo: slo.clone(),
            variant: a.scenario.variant.clone(),
            set,
            out: out.clone(),
            budget: a.shrink_budget,
            explore: true,
        });
        if code != exit::OK {
            eprintln!(
                "tenantsim: shrinking seed {} did not give a file (exit {code}); try: {}",
                r.seed,
                shrink_command(a, r.seed, slo, Some(&out))
            );
        }
    }
    Ok(())
}

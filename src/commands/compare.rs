//! `tenantsim compare FILE --vary KEY=V1,V2 ...` and `tenantsim merge DIR...`: paired
//! sweeps of variants × seeds with common random numbers, shardable across machines.
//!
//! Every combination of the `--vary` values is a variant; every variant runs every seed.
//! For a seed, all variants build the same tenants, arrivals and faults (every draw comes from
//! a stream named by what it is for, not by the order of draws), so only the varied decision
//! differs, and [`reports::compare`] compares variants seed by seed.
//!
//! `--shard K/N` runs every N-th run of the grid starting at K−1 and writes
//! `partial-K-of-N.json`; `merge` checks the partials describe the same sweep (the scenario's
//! bytes, the flags and the tenantsim version) and cover the grid exactly once, and writes
//! what a single machine would have written, byte for byte.

use crate::cli::{CompareArgs, MergeArgs};
use crate::exit;
use crate::service::load::load_as;
use crate::service::out::OutDir;
use crate::service::seed_shards::parse_shard;
use models::harness::repro::{self, shell_quote};
use models::harness::sweep_metrics::metrics_of;
use models::scenario::vary::{combinations, parse_vary};
use models::scenario::Scenario;
use reports::compare::{
    CompareSpec, Comparison, Partial, RunMetrics, VariantSpec, Vary, COMPARE_SCHEMA_VERSION,
};
use std::path::{Path, PathBuf};

/// A loading error `msg` with the overrides that came from `--vary` (`vary_sets`, each
/// `KEY=VALUE`) named as `--vary` rather than `--set` (the loader sees every override as a
/// `--set`), keeping the caret under the value aligned.
fn as_vary(msg: &str, vary_sets: &[String]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut shift_next = false;
    for line in msg.lines() {
        let mut l = line.to_string();
        if shift_next {
            if let Some(rest) = l.strip_prefix("  | ") {
                l = format!("  |  {rest}");
            }
            shift_next = false;
        }
        for set in vary_sets {
            let as_set = format!("--set {set}");
            if l == format!("  | {as_set}") {
                l = format!("  | --vary {set}");
                shift_next = true;
            }
            l = l.replace(&format!("`{as_set}`"), &format!("`--vary {set}`"));
        }
        out.push(l);
    }
    out.join("\n")
}

/// Seeds as the shortest flag that gives them back.
fn seeds_flag(seeds: &[u64]) -> String {
    match (seeds.first(), seeds.last()) {
        (Some(&a), Some(&b)) if seeds.len() > 1 && seeds.windows(2).all(|w| w[1] == w[0] + 1) => {
            format!("{a}..={b}")
        }
        _ => seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// The command that regenerates a comparison (from its spec, so shards and merges print
/// the same one).
pub fn spec_command(spec: &CompareSpec) -> String {
    let mut cmd = format!("tenantsim compare {}", shell_quote(&spec.file));
    if let Some(v) = &spec.scenario_variant {
        cmd.push_str(&format!(" --variant {}", shell_quote(v)));
    }
    for v in &spec.vary {
        cmd.push_str(&format!(
            " --vary {}",
            shell_quote(&format!("{}={}", v.key, v.values.join(",")))
        ));
    }
    cmd.push_str(&format!(" --seeds {}", seeds_flag(&spec.seeds)));
    if spec.baseline != 0 {
        cmd.push_str(&format!(
            " --baseline {}",
            shell_quote(&spec.variants[spec.baseline].label)
        ));
    }
    for s in &spec.sets {
        cmd.push_str(&format!(" --set {}", shell_quote(s)));
    }
    cmd
}

/// The command that reproduces one run of the grid.
fn run_command(spec: &CompareSpec, variant: usize, seed: u64) -> String {
    let mut sets = spec.sets.clone();
    sets.extend(spec.variants[variant].sets.iter().cloned());
    repro::command(&spec.file, seed, spec.scenario_variant.as_deref(), &sets)
}

/// A sweep ready to run: what it compares, the scenario of each variant, and which runs of
/// the grid this invocation does.
struct Plan {
    spec: CompareSpec,
    /// The scenario of each variant, in variant order.
    scenarios: Vec<Scenario>,
    /// `--shard K/N`.
    shard: Option<(usize, usize)>,
    /// Grid items to run (all of them, or the shard's).
    items: Vec<usize>,
    out_dir: Option<OutDir>,
}

/// Runs `tenantsim compare`.
pub fn compare(a: CompareArgs) -> i32 {
    let plan = match plan(&a) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let runs = match run_grid(&plan, a.jobs) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tenantsim: {e}");
            return exit::INTERNAL;
        }
    };
    match (plan.shard, plan.out_dir) {
        (Some((k, n)), Some(dir)) => write_shard(plan.spec, (k, n), runs, dir),
        (_, out_dir) => finish(plan.spec, runs, out_dir, &a.fail_if_worse),
    }
}

/// Prints `msg` as an input error; the exit code.
fn invalid(msg: String) -> i32 {
    eprintln!("tenantsim: error: {msg}");
    exit::INVALID_INPUT
}

/// Checks the flags, loads every variant (invalid input fails before any run), and prepares
/// the output directory. `Err` is the exit code, the error printed.
fn plan(a: &CompareArgs) -> Result<Plan, i32> {
    let (seeds, vary) = grid_flags(a).map_err(invalid)?;
    check_fail_if_worse(a).map_err(invalid)?;
    let variants = combinations(&vary);
    let (shard, baseline) = shard_and_baseline(a, &variants, seeds.len()).map_err(invalid)?;
    let file = a.file.display().to_string();
    let text = std::fs::read(&a.file).map_err(|e| {
        invalid(format!(
            "{file}: cannot read the scenario file: {e}; check the path"
        ))
    })?;
    let scenarios = load_variants(a, &variants)?;
    let mut h = sim::Digest::new();
    h.write_bytes(&text);
    let spec = CompareSpec {
        schema_version: COMPARE_SCHEMA_VERSION,
        scenario: scenarios[0].name.clone(),
        file,
        scenario_hash: h.hex(),
        tenantsim: crate::version::long(),
        scenario_variant: a.variant.clone(),
        sets: a.set.clone(),
        vary,
        variants,
        seeds,
        baseline,
    };
    let out_dir = a
        .out
        .as_deref()
        .map(OutDir::prepare)
        .transpose()
        .map_err(|e| invalid(e.to_string()))?;
    let items: Vec<usize> = match shard {
        Some((k, n)) => spec.shard(k, n),
        None => (0..spec.grid_len()).collect(),
    };
    Ok(Plan {
        spec,
        scenarios,
        shard,
        items,
        out_dir,
    })
}

/// `--seeds` and `--vary`, and the grid's size before building it: every combination ×
/// every seed, at most 100,000 runs.
fn grid_flags(a: &CompareArgs) -> Result<(Vec<u64>, Vec<Vary>), String> {
    let seeds = crate::service::seeds::parse_seeds(&a.seeds)?;
    let vary = parse_vary(&a.vary)?;
    let combos = vary
        .iter()
        .try_fold(1usize, |n, v| n.checked_mul(v.values.len()))
        .filter(|&n| n.saturating_mul(seeds.len()) <= 100_000);
    if combos.is_none() {
        let sizes: Vec<String> = vary.iter().map(|v| v.values.len().to_string()).collect();
        return Err(format!(
            "{} combinations of --vary values × {} seeds is more than the 100,000 runs allowed; vary fewer keys or values, or use fewer seeds",
            sizes.join(" × "),
            seeds.len()
        ));
    }
    Ok((seeds, vary))
}

/// `--fail-if-worse`: known metrics only, and a whole comparison to judge.
fn check_fail_if_worse(a: &CompareArgs) -> Result<(), String> {
    let metric_names: Vec<&str> = reports::compare::Metric::ALL
        .iter()
        .map(|m| m.name())
        .collect();
    if let Some(bad) = a
        .fail_if_worse
        .iter()
        .find(|m| !metric_names.contains(&m.as_str()))
    {
        return Err(format!(
            "--fail-if-worse {bad}: no such metric; metrics: {}",
            metric_names.join(", ")
        ));
    }
    if !a.fail_if_worse.is_empty() && a.shard.is_some() {
        return Err(
            "--fail-if-worse judges the whole comparison; run it without --shard (a shard has no intervals)"
                .to_string(),
        );
    }
    Ok(())
}

/// `--shard` (with `--out`), the `--baseline` variant's index, and the grid's size.
fn shard_and_baseline(
    a: &CompareArgs,
    variants: &[VariantSpec],
    seeds: usize,
) -> Result<(Option<(usize, usize)>, usize), String> {
    let shard = a.shard.as_deref().map(parse_shard).transpose()?;
    if shard.is_some() && a.out.is_none() {
        return Err("`--shard` writes a partial result: give `--out DIR` too".to_string());
    }
    let baseline = match &a.baseline {
        None => 0,
        Some(b) => variants.iter().position(|v| &v.label == b).ok_or_else(|| {
            let labels: Vec<&str> = variants.iter().map(|v| v.label.as_str()).collect();
            format!(
                "`--baseline {b}` is not a variant; the variants are: {}",
                labels.join(", ")
            )
        })?,
    };
    let grid = variants.len() * seeds;
    if grid > 100_000 {
        return Err(format!(
            "{} variants × {seeds} seeds = {grid} runs is more than the 100,000 allowed; shard it or use fewer seeds",
            variants.len(),
        ));
    }
    Ok((shard, baseline))
}

/// The scenario of every variant (`--set`s, then the variant's `--vary` values); an error
/// names `--vary` and the variant.
fn load_variants(a: &CompareArgs, variants: &[VariantSpec]) -> Result<Vec<Scenario>, i32> {
    let mut scenarios = Vec::with_capacity(variants.len());
    for v in variants {
        let mut sets = a.set.clone();
        sets.extend(v.sets.iter().cloned());
        match load_as(&a.file, &sets, a.variant.as_deref()) {
            Ok(sc) => scenarios.push(sc),
            Err(msg) => {
                let msg = as_vary(&msg, &v.sets);
                eprintln!("{msg}\n  (while loading variant `{}` of --vary)", v.label);
                return Err(exit::INVALID_INPUT);
            }
        }
    }
    Ok(scenarios)
}

/// Runs the plan's grid items on `jobs` workers; each run reduced to its metrics, in item
/// order.
fn run_grid(p: &Plan, jobs: Option<usize>) -> Result<Vec<RunMetrics>, String> {
    let (spec, items) = (&p.spec, &p.items);
    let workers = crate::service::pool::workers(jobs, items.len());
    eprintln!(
        "compare: {} variants × {} seeds = {} runs{} on {workers} worker{}",
        spec.variants.len(),
        spec.seeds.len(),
        spec.grid_len(),
        match p.shard {
            Some((k, n)) => format!(" (shard {k}/{n}: {} of them)", items.len()),
            None => String::new(),
        },
        if workers == 1 { "" } else { "s" }
    );
    crate::service::pool::map(
        items.len(),
        workers,
        "compare",
        |i| {
            let (v, seed) = spec.grid_item(items[i]);
            run_command(spec, v, seed)
        },
        |i| {
            let (v, seed) = spec.grid_item(items[i]);
            let out = models::harness::run::run(&p.scenarios[v], seed, None)
                .map_err(|e| format!("{e}\n  repro: {}", run_command(spec, v, seed)))?;
            Ok(metrics_of(&p.scenarios[v], v, seed, &out))
        },
    )
}

/// `--shard K/N`: writes the shard's runs as `partial-K-of-N.json` into `dir`.
fn write_shard(
    spec: CompareSpec,
    (k, n): (usize, usize),
    runs: Vec<RunMetrics>,
    mut dir: OutDir,
) -> i32 {
    let partial = Partial {
        spec,
        shard: k,
        shards: n,
        runs,
    };
    let json = match serde_json::to_string_pretty(&partial) {
        Ok(j) => j + "\n",
        Err(e) => {
            eprintln!("tenantsim: internal error: {e}");
            return exit::INTERNAL;
        }
    };
    let name = format!("partial-{k}-of-{n}.json");
    if let Err(e) = dir.write(&name, json.as_bytes()) {
        return invalid(e.to_string());
    }
    let written = dir.path().join(&name);
    if let Err(e) = dir.commit() {
        return invalid(e.to_string());
    }
    println!(
        "compare: shard {k}/{n}: {} runs written to {}; combine every shard with `tenantsim merge DIR... --out DIR`",
        partial.runs.len(),
        written.display()
    );
    exit::OK
}

/// Builds the comparison, prints it, and writes the outputs (shared by compare and merge).
fn finish(
    spec: CompareSpec,
    runs: Vec<RunMetrics>,
    dir: Option<OutDir>,
    fail_if_worse: &[String],
) -> i32 {
    let command = spec_command(&spec);
    let c = match Comparison::build(spec, runs) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tenantsim: error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    print!("{}", c.render_table());
    // A repro line for the worst failing seed of each variant that failed an SLO.
    let ns = c.spec.seeds.len();
    for v in 0..c.variants.len() {
        let rs = &c.runs[v * ns..(v + 1) * ns];
        if let Some(worst) = rs.iter().filter(|r| !r.passed).max_by(|a, b| {
            a.blast_radius
                .cmp(&b.blast_radius)
                .then(b.seed.cmp(&a.seed))
        }) {
            println!(
                "  {}: SLOs failed on {} of {ns} seeds; worst: {}",
                c.variants[v].label,
                rs.iter().filter(|r| !r.passed).count(),
                crate::version::with_version(&run_command(&c.spec, v, worst.seed))
            );
        }
    }
    println!("  regenerate: {command}");
    if let Some(mut dir) = dir {
        if let Err(e) = write_outputs(&mut dir, &c, &command) {
            eprintln!("tenantsim: error: {e}");
            return exit::INVALID_INPUT;
        }
        let (files, path) = (dir.written().len(), dir.path().to_path_buf());
        if let Err(e) = dir.commit() {
            eprintln!("tenantsim: error: {e}");
            return exit::INVALID_INPUT;
        }
        println!("  wrote {files} files to {}", path.display());
    }
    // --fail-if-worse: a variant significantly worse than the baseline fails the gate, even
    // when every SLO still passes.
    let worse: Vec<&reports::compare::Paired> = c
        .paired
        .iter()
        .filter(|p| fail_if_worse.contains(&p.metric) && p.verdict == "worse")
        .collect();
    for p in &worse {
        let (lo, hi) = p.ci95.unwrap_or((f64::NAN, f64::NAN));
        println!(
            "  FAIL (--fail-if-worse {}): `{}` is worse than the baseline: mean difference {:+.4} (95% interval {:+.4} to {:+.4}), worse on {} of {} seeds",
            p.metric, p.variant, p.mean_diff, lo, hi, p.losses, p.n
        );
    }
    if worse.is_empty() {
        exit::OK
    } else {
        exit::SLO_FAILED
    }
}

fn write_outputs(dir: &mut OutDir, c: &Comparison, command: &str) -> Result<(), String> {
    dir.write("compare.json", c.to_json().as_bytes())
        .map_err(|e| e.to_string())?;
    dir.write("compare.csv", c.to_csv().as_bytes())
        .map_err(|e| e.to_string())?;
    dir.write("runs.csv", c.runs_csv().as_bytes())
        .map_err(|e| e.to_string())?;
    let charts = reports::compare_charts::render_all(c).map_err(|e| e.to_string())?;
    for ch in &charts {
        dir.write(&format!("charts/{}.png", ch.name), &ch.png)
            .map_err(|e| e.to_string())?;
        dir.write(&format!("charts/{}.svg", ch.name), ch.svg.as_bytes())
            .map_err(|e| e.to_string())?;
    }
    dir.write(
        "report.html",
        reports::compare_html::compare_html(c, &charts, command).as_bytes(),
    )
    .map_err(|e| e.to_string())
}

/// The partial-result files named by `paths` (files, or directories holding
/// `partial-*.json`), sorted by path.
fn partial_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    crate::service::seed_shards::shard_files(paths, "partial-", "compare")
}

/// The (K, N) a file named `partial-K-of-N.json` claims to hold, if it is named so.
fn shard_in_name(path: &Path) -> Option<(usize, usize)> {
    let name = path.file_name()?.to_str()?;
    let rest = name.strip_prefix("partial-")?.strip_suffix(".json")?;
    let (k, n) = rest.split_once("-of-")?;
    Some((k.parse().ok()?, n.parse().ok()?))
}

fn read_partial(path: &Path) -> Result<Partial, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let p: Partial = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: not a tenantsim partial result: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    // A partial is input: check what the merge relies on before using it.
    let s = &p.spec;
    let problem = if p.shards == 0 || p.shards > 10_000 || p.shard == 0 || p.shard > p.shards {
        Some(format!(
            "shard {}/{} is not K/N with 1 ≤ K ≤ N ≤ 10000",
            p.shard, p.shards
        ))
    } else if s.variants.is_empty() || s.seeds.is_empty() {
        Some("it has no variants or no seeds".to_string())
    } else if s.baseline >= s.variants.len() {
        Some(format!(
            "its baseline #{} is not one of its {} variants",
            s.baseline,
            s.variants.len()
        ))
    } else if s.variants != combinations(&s.vary) {
        Some("its variants are not the combinations of its --vary values".to_string())
    } else if s.grid_len() > 100_000 {
        Some("its grid is larger than 100,000 runs".to_string())
    } else if p.runs.len() > s.grid_len() {
        Some("it has more runs than its grid".to_string())
    } else {
        None
    };
    match problem {
        Some(why) => Err(format!(
            "{}: not a usable partial result: {why} (was it edited? rerun the shard)",
            path.display()
        )),
        None => Ok(p),
    }
}

/// Runs `tenantsim merge`.
pub fn merge(a: MergeArgs) -> i32 {
    let fail = |msg: String| {
        eprintln!("tenantsim: error: {msg}");
        exit::INVALID_INPUT
    };
    let files = match partial_files(&a.inputs) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let mut partials = Vec::new();
    for f in &files {
        match read_partial(f) {
            Ok(p) => partials.push((f, p)),
            Err(e) => return fail(e),
        }
    }
    let Some((first_path, first)) = partials.first() else {
        return fail("no partial results given".to_string());
    };
    if first.spec.schema_version != COMPARE_SCHEMA_VERSION {
        return fail(format!(
            "{}: written with layout version {}, this tenantsim reads {COMPARE_SCHEMA_VERSION}; rerun the shards with this version",
            first_path.display(),
            first.spec.schema_version
        ));
    }
    // Which file holds each shard: a shard given twice names both files and the shards
    // still missing (a copied partial file once made merge blame a shard that was there).
    let mut seen: Vec<Option<&Path>> = vec![None; first.shards + 1];
    for (path, p) in &partials {
        if p.spec != first.spec {
            let what = if p.spec.scenario_hash != first.spec.scenario_hash {
                "the scenario file's contents differ"
            } else if p.spec.tenantsim != first.spec.tenantsim {
                "they were run by different tenantsim versions"
            } else {
                "their flags (--vary, --seeds, --set, --variant or --baseline) differ"
            };
            return fail(format!(
                "{} and {} are shards of different sweeps: {what}",
                first_path.display(),
                path.display()
            ));
        }
        if p.shards != first.shards || p.shard == 0 || p.shard > p.shards {
            return fail(format!(
                "{}: shard {}/{} does not fit a sweep of {} shards",
                path.display(),
                p.shard,
                p.shards,
                first.shards
            ));
        }
        if let Some(name_says) = shard_in_name(path) {
            if name_says != (p.shard, p.shards) {
                return fail(format!(
                    "{}: its name says shard {}/{} but it holds shard {}/{} (copied or renamed?); rerun shard {}/{} into its own directory",
                    path.display(),
                    name_says.0,
                    name_says.1,
                    p.shard,
                    p.shards,
                    name_says.0,
                    name_says.1
                ));
            }
        }
        if let Some(other) = seen[p.shard] {
            let missing: Vec<String> = (1..=first.shards)
                .filter(|&k| seen[k].is_none() && k != p.shard)
                .map(|k| format!("{k}/{}", first.shards))
                .collect();
            return fail(format!(
                "shard {}/{} is given twice: {} and {}{}",
                p.shard,
                p.shards,
                other.display(),
                path.display(),
                if missing.is_empty() {
                    String::new()
                } else {
                    format!(" (still missing: {})", missing.join(", "))
                }
            ));
        }
        seen[p.shard] = Some(path.as_path());
    }
    let missing: Vec<String> = (1..=first.shards)
        .filter(|&k| seen[k].is_none())
        .map(|k| format!("{k}/{}", first.shards))
        .collect();
    if !missing.is_empty() {
        return fail(format!(
            "shards {} are missing; run them with `{} --shard K/N --out DIR` and merge every directory",
            missing.join(", "),
            spec_command(&first.spec)
        ));
    }
    let spec = first.spec.clone();
    let runs: Vec<RunMetrics> = partials.into_iter().flat_map(|(_, p)| p.runs).collect();
    let out_dir = match a.out.as_deref().map(OutDir::prepare).transpose() {
        Ok(d) => d,
        Err(e) => return fail(e.to_string()),
    };
    finish(spec, runs, out_dir, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vary_errors_name_vary() {
        // Goal: an error in a value from `--vary` names `--vary`, and the caret stays under
        // the value; a `--set` error is left alone.
        let msg = "q.toml: error in `--set platform.scheduler=drrr`: unknown value `drrr`\n  |\n  | --set platform.scheduler=drrr\n  |                          ^^^^";
        let shown = as_vary(msg, &["platform.scheduler=drrr".to_string()]);
        let lines: Vec<&str> = shown.lines().collect();
        assert!(
            lines[0].contains("error in `--vary platform.scheduler=drrr`"),
            "{shown}"
        );
        assert_eq!(lines[2].find("drrr"), lines[3].find('^'), "{shown}");
        assert_eq!(as_vary(msg, &["platform.cells=2".to_string()]), msg);
    }

    #[test]
    fn shard_and_seed_flags() {
        assert_eq!(parse_shard("2/8"), Ok((2, 8)));
        assert!(parse_shard("0/8").is_err() && parse_shard("9/8").is_err());
        assert!(parse_shard("x").is_err());
        assert_eq!(seeds_flag(&[1, 2, 3]), "1..=3");
        assert_eq!(seeds_flag(&[1, 3]), "1,3");
        assert_eq!(seeds_flag(&[7]), "7");
    }
}

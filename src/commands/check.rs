//! `tenantsim check FILE...`: every file × variant × seed, every SLO expectation judged.
//!
//! The base scenario expects every SLO to pass; a variant's `expect` table may say an SLO
//! must fail (a counterfactual that shows what the mitigation prevents). An expectation is
//! met when it holds on every seed. Runs go in parallel (`--jobs`, default all cores); the
//! output is a pure function of the inputs, identical for any `--jobs`.

use super::load::load_as;
use super::seeds::parse_seeds;
use crate::cli::CheckArgs;
use crate::exit;
use models::scenario::Scenario;
use reports::summary::RunSummary;
use std::fmt::Write as _;

struct Job {
    file: usize,
    variant: usize,
    seed: u64,
}

struct Plan {
    path: String,
    /// (variant name, scenario as that variant); "base" first.
    variants: Vec<(String, Scenario)>,
}

/// One (file, variant, SLO) line of the verdict table.
pub struct Line {
    /// Scenario name.
    pub scenario: String,
    /// File.
    pub file: String,
    /// Variant.
    pub variant: String,
    /// SLO name.
    pub slo: String,
    /// Objective text.
    pub objective: String,
    /// Expected to pass.
    pub expect_pass: bool,
    /// Seeds on which it passed.
    pub passed: usize,
    /// Seeds run.
    pub runs: usize,
    /// Worst measured value (text) and its seed.
    pub worst: (String, u64),
    /// Expectation met on every seed.
    pub met: bool,
    /// A seed that broke the expectation, for the repro command.
    pub bad_seed: Option<u64>,
    /// `--set` flags the check ran with (part of the repro command).
    pub sets: Vec<String>,
}

impl Line {
    /// The command that reproduces the seed that broke (or the worst seed), with the
    /// tenantsim version as a shell comment.
    pub fn repro(&self) -> String {
        let seed = self.bad_seed.unwrap_or(self.worst.1);
        let variant = (self.variant != "base").then_some(self.variant.as_str());
        crate::version::with_version(&models::harness::repro::command(
            &self.file, seed, variant, &self.sets,
        ))
    }
}

/// Runs the check.
pub fn check(a: CheckArgs) -> i32 {
    let seeds = match parse_seeds(&a.seeds) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tenantsim: error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    // Plan: load every file and every selected variant first (invalid input fails fast).
    let mut plans = Vec::new();
    let mut bad = false;
    for f in &a.files {
        let base = match load_as(f, &a.set, None) {
            Ok(sc) => sc,
            Err(msg) => {
                eprintln!("{msg}");
                bad = true;
                continue;
            }
        };
        let mut names: Vec<String> = vec!["base".to_string()];
        names.extend(base.variants.iter().map(|v| v.name.clone()));
        if !a.variants.is_empty() {
            names.retain(|n| a.variants.contains(n));
        }
        let mut variants = Vec::new();
        for n in names {
            if n == "base" {
                variants.push((n, base.clone()));
                continue;
            }
            match load_as(f, &a.set, Some(&n)) {
                Ok(sc) => variants.push((n, sc)),
                Err(msg) => {
                    eprintln!("{msg}");
                    bad = true;
                }
            }
        }
        plans.push(Plan {
            path: f.display().to_string(),
            variants,
        });
    }
    if bad {
        return exit::INVALID_INPUT;
    }
    for v in &a.variants {
        if !plans.iter().any(|p| p.variants.iter().any(|(n, _)| n == v)) {
            eprintln!(
                "tenantsim: error: no scenario has a variant `{v}` (every scenario has `base`)"
            );
            return exit::INVALID_INPUT;
        }
    }
    let mut jobs = Vec::new();
    for (fi, p) in plans.iter().enumerate() {
        for vi in 0..p.variants.len() {
            for &seed in &seeds {
                jobs.push(Job {
                    file: fi,
                    variant: vi,
                    seed,
                });
            }
        }
    }
    let results = match run_all(&plans, &jobs, a.jobs) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tenantsim: {e}");
            return exit::INTERNAL;
        }
    };
    let mut lines = judge(&plans, &jobs, &results);
    for l in &mut lines {
        l.sets = a.set.clone();
    }
    print!("{}", table(&lines, seeds.len()));
    if let Some(p) = &a.junit {
        if let Err(e) = super::write::write_file(p, &junit(&lines)) {
            eprintln!("tenantsim: error: cannot write {}: {e}", p.display());
            return exit::INVALID_INPUT;
        }
    }
    if let Some(p) = &a.markdown {
        if let Err(e) = super::write::write_file(p, &markdown(&lines, seeds.len())) {
            eprintln!("tenantsim: error: cannot write {}: {e}", p.display());
            return exit::INVALID_INPUT;
        }
    }
    if lines.iter().all(|l| l.met) {
        exit::OK
    } else {
        exit::SLO_FAILED
    }
}

/// Runs every job on `workers` threads; results come back in job order.
fn run_all(
    plans: &[Plan],
    jobs: &[Job],
    workers: Option<usize>,
) -> Result<Vec<RunSummary>, String> {
    let describe = |j: &Job| {
        let (name, _) = &plans[j.file].variants[j.variant];
        format!("{} --seed {} --variant {name}", plans[j.file].path, j.seed)
    };
    super::pool::map(
        jobs.len(),
        super::pool::workers(workers, jobs.len()),
        "check",
        |i| describe(&jobs[i]),
        |i| {
            let j = &jobs[i];
            let (name, sc) = &plans[j.file].variants[j.variant];
            let variant = (name != "base").then_some(name.as_str());
            models::harness::run::run(sc, j.seed, variant)
                .map(|o| o.summary)
                .map_err(|e| e.to_string())
        },
    )
}

fn higher_is_worse(objective: &str) -> bool {
    objective.contains('<')
}

fn judge(plans: &[Plan], jobs: &[Job], results: &[RunSummary]) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    for (fi, p) in plans.iter().enumerate() {
        for (vi, (vname, sc)) in p.variants.iter().enumerate() {
            let runs: Vec<(u64, &RunSummary)> = jobs
                .iter()
                .zip(results)
                .filter(|(j, _)| j.file == fi && j.variant == vi)
                .map(|(j, r)| (j.seed, r))
                .collect();
            let variant = sc.variants.iter().find(|v| v.name == *vname);
            for (si, slo) in sc.slos.iter().enumerate() {
                let expect_pass = variant.is_none_or(|v| v.expects_pass(&slo.name));
                let mut passed = 0;
                let mut worst: Option<(f64, String, u64)> = None;
                let mut bad_seed = None;
                for (seed, r) in &runs {
                    let row = &r.slos[si];
                    if row.passed {
                        passed += 1;
                    }
                    if row.passed != expect_pass && bad_seed.is_none() {
                        bad_seed = Some(*seed);
                    }
                    let v = row.measured;
                    let worse = match &worst {
                        None => true,
                        Some((w, _, _)) => {
                            if higher_is_worse(&row.objective) {
                                v > *w
                            } else {
                                v < *w
                            }
                        }
                    };
                    if worse && row.measured_text != "no data" {
                        worst = Some((v, row.measured_text.clone(), *seed));
                    }
                }
                let met = if expect_pass {
                    passed == runs.len()
                } else {
                    passed == 0
                };
                lines.push(Line {
                    scenario: sc.name.clone(),
                    file: p.path.clone(),
                    variant: vname.clone(),
                    slo: slo.name.clone(),
                    objective: slo.objective.text.clone(),
                    expect_pass,
                    passed,
                    runs: runs.len(),
                    worst: worst
                        .map(|w| (w.1, w.2))
                        .unwrap_or(("no data".to_string(), runs.first().map_or(0, |r| r.0))),
                    met,
                    bad_seed,
                    sets: Vec::new(),
                });
            }
        }
    }
    lines
}

fn table(lines: &[Line], seeds: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<24} {:<20} {:<26} {:<6} {:>9} {:>12} {:>5}  VERDICT",
        "SCENARIO", "VARIANT", "SLO", "EXPECT", "PASSED", "WORST", "SEED"
    );
    for l in lines {
        let _ = write!(
            out,
            "{:<24} {:<20} {:<26} {:<6} {:>9} {:>12} {:>5}  {}",
            l.scenario,
            l.variant,
            l.slo,
            if l.expect_pass { "pass" } else { "fail" },
            format!("{}/{}", l.passed, l.runs),
            l.worst.0,
            l.worst.1,
            if l.met { "ok" } else { "NOT MET" }
        );
        if !l.met {
            let _ = write!(out, "   repro: {}", l.repro());
        }
        let _ = writeln!(out);
    }
    let unmet = lines.iter().filter(|l| !l.met).count();
    let _ = writeln!(
        out,
        "\ncheck: {} expectations over {seeds} seed(s): {} met, {unmet} not met",
        lines.len(),
        lines.len() - unmet
    );
    out
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// JUnit XML: one testsuite per scenario, one testcase per variant/SLO.
pub fn junit(lines: &[Line]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let failures = lines.iter().filter(|l| !l.met).count();
    let _ = writeln!(
        out,
        "<testsuites name=\"tenantsim check\" tests=\"{}\" failures=\"{failures}\">",
        lines.len()
    );
    let mut i = 0;
    while i < lines.len() {
        let file = &lines[i].file;
        let group: Vec<&Line> = lines[i..].iter().take_while(|l| &l.file == file).collect();
        let f = group.iter().filter(|l| !l.met).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" skipped=\"0\">",
            xml(&group[0].scenario),
            group.len()
        );
        for l in &group {
            let _ = write!(
                out,
                "    <testcase classname=\"{}.{}\" name=\"{} (expect {})\" time=\"0\"",
                xml(&l.scenario),
                xml(&l.variant),
                xml(&l.slo),
                if l.expect_pass { "pass" } else { "fail" }
            );
            if l.met {
                let _ = writeln!(out, "/>");
            } else {
                let msg = format!(
                    "expected {} on every seed; passed on {}/{}; worst {} at seed {} (objective {})",
                    if l.expect_pass { "pass" } else { "fail" },
                    l.passed,
                    l.runs,
                    l.worst.0,
                    l.worst.1,
                    l.objective
                );
                let _ = writeln!(out, ">");
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\" type=\"slo\">{}\nrepro: {}</failure>",
                    xml(&msg),
                    xml(&msg),
                    xml(&l.repro())
                );
                let _ = writeln!(out, "    </testcase>");
            }
        }
        let _ = writeln!(out, "  </testsuite>");
        i += group.len();
    }
    out.push_str("</testsuites>\n");
    out
}

/// A Markdown summary fit for `$GITHUB_STEP_SUMMARY`.
pub fn markdown(lines: &[Line], seeds: usize) -> String {
    let unmet = lines.iter().filter(|l| !l.met).count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## tenantsim check: {}\n\n{} expectations over {seeds} seed(s): **{} met, {unmet} not met**\n",
        if unmet == 0 { "✅ passed" } else { "❌ failed" },
        lines.len(),
        lines.len() - unmet
    );
    let _ = writeln!(
        out,
        "| scenario | variant | SLO | objective | expect | passed | worst (seed) | verdict |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    let md = |s: &str| s.replace('|', "\\|");
    for l in lines {
        let _ = writeln!(
            out,
            "| {} | {} | {} | `{}` | {} | {}/{} | {} ({}) | {} |",
            md(&l.scenario),
            md(&l.variant),
            md(&l.slo),
            md(&l.objective),
            if l.expect_pass { "pass" } else { "fail" },
            l.passed,
            l.runs,
            md(&l.worst.0),
            l.worst.1,
            if l.met { "✅" } else { "❌" }
        );
    }
    if unmet > 0 {
        let _ = writeln!(out, "\n### Reproduce\n");
        for l in lines.iter().filter(|l| !l.met) {
            let _ = writeln!(
                out,
                "- {} / {} / {}: `{}`",
                md(&l.scenario),
                md(&l.variant),
                md(&l.slo),
                l.repro()
            );
        }
    }
    out
}

//! `tenantsim check FILE...`: every file × variant × seed, every SLO expectation judged.
//!
//! The base scenario expects every SLO to pass; a variant's `expect` table may say an SLO
//! must fail (a counterfactual that shows what the mitigation prevents). An expectation is
//! met when it holds on every seed. Runs go in parallel (`--jobs`, default all cores); the
//! table, the Markdown summary, `--json` and `--failures` are a pure function of the inputs,
//! identical for any `--jobs` (the JUnit report alone carries wall times and a timestamp).
//!
//! An invalid scenario file does not hide the others: it is reported (stderr, and an errored
//! test case in the JUnit and the Markdown summary), the valid files still run, and the exit
//! code is 2. `--fail-fast` stops after the first (file, variant) with an unmet expectation;
//! what it did not run is reported as skipped.

use crate::cli::CheckArgs;
use crate::exit;
use crate::service::load::load_as;
use crate::service::seeds::parse_seeds;
use models::scenario::Scenario;
use reports::summary::RunSummary;
use std::fmt::Write as _;
use std::time::{Instant, SystemTime};

mod explore_gate;

struct Job {
    file: usize,
    variant: usize,
    seed: u64,
}

struct Plan {
    path: String,
    /// The file's text, to find an SLO's line for CI annotations.
    text: String,
    /// (variant name, scenario as that variant); "base" first.
    variants: Vec<(String, Scenario)>,
}

/// A scenario file (or one of its variants) that could not be loaded.
pub struct Invalid {
    /// File as given.
    pub file: String,
    /// The variant that failed, if the base loaded.
    pub variant: Option<String>,
    /// The error as printed (file:line:column, caret, notes).
    pub message: String,
}

/// A (file, variant) that `--fail-fast` did not run.
pub struct Skipped {
    /// File as given.
    pub file: String,
    /// Scenario name.
    pub scenario: String,
    /// Variant.
    pub variant: String,
    /// Its SLO names.
    pub slos: Vec<String>,
}

/// One (file, variant, SLO) line of the verdict table.
pub struct Line {
    /// Scenario name.
    pub scenario: String,
    /// File.
    pub file: String,
    /// The line of the SLO's name in the file, when it can be found (for CI annotations).
    pub file_line: Option<usize>,
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
    /// A seed whose run was cut short (`max_events`) before the scenario's duration: the
    /// expectation is not met, whatever the SLO measured on the part that ran.
    pub truncated: Option<u64>,
    /// `--set` flags the check ran with (part of the repro command).
    pub sets: Vec<String>,
    /// Wall seconds of the variant's runs, shared evenly by its SLOs (JUnit `time`).
    pub seconds: f64,
    /// (seed, digest) of each run of the variant.
    pub digests: Vec<(u64, String)>,
    /// Coverage states the scenario requires (`[explore] coverage`) that no seed reached:
    /// a passing expectation with any is NOT MET (vacuous).
    pub vacuous: Vec<String>,
}

impl Line {
    /// The command that reproduces the seed that broke (or the worst seed), with the
    /// tenantsim version as a shell comment.
    pub fn repro(&self) -> String {
        crate::version::with_version(&self.repro_command())
    }

    /// The command alone (no version comment): what `--failures` writes.
    pub fn repro_command(&self) -> String {
        let seed = self.bad_seed.unwrap_or(self.worst.1);
        let variant = (self.variant != "base").then_some(self.variant.as_str());
        models::harness::repro::command(&self.file, seed, variant, &self.sets)
    }
}

/// Everything one `check` found, in file order.
pub struct Report {
    /// The files as given, in order.
    pub files: Vec<String>,
    /// `--seeds` as given.
    pub seeds_text: String,
    /// Seeds run per (file, variant).
    pub seeds: usize,
    /// Judged expectations.
    pub lines: Vec<Line>,
    /// Files or variants that could not be loaded.
    pub invalid: Vec<Invalid>,
    /// What `--fail-fast` did not run.
    pub skipped: Vec<Skipped>,
    /// When the check started, `YYYY-MM-DDTHH:MM:SS` (UTC).
    pub timestamp: String,
    /// Wall seconds of the whole check.
    pub seconds: f64,
}

impl Report {
    fn unmet(&self) -> usize {
        self.lines.iter().filter(|l| !l.met).count()
    }

    fn skipped_count(&self) -> usize {
        self.skipped.iter().map(|s| s.slos.len()).sum()
    }

    /// The exit code: 2 if a file was invalid, else 1 if an expectation was not met, else 0.
    pub fn exit_code(&self) -> i32 {
        if !self.invalid.is_empty() {
            exit::INVALID_INPUT
        } else if self.unmet() > 0 {
            exit::SLO_FAILED
        } else {
            exit::OK
        }
    }
}

/// Runs the check.
pub fn check(a: CheckArgs) -> i32 {
    let flags = parse_seeds(&a.seeds).and_then(|s| Ok((s, explore_gate::check_flags(&a)?)));
    let (seeds, explore_budget) = match flags {
        Ok(x) => x,
        Err(e) => {
            eprintln!("tenantsim: error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    #[allow(clippy::disallowed_methods)] // JUnit times and timestamp; never enters a run
    let (started, now) = (Instant::now(), SystemTime::now());
    let (plans, invalid) = load_plans(&a);
    if invalid.is_empty() {
        if let Some(v) = a.variants.iter().find(|v| {
            !plans
                .iter()
                .any(|p| p.variants.iter().any(|(n, _)| n == *v))
        }) {
            eprintln!(
                "tenantsim: error: no scenario has a variant `{v}` (every scenario has `base`)"
            );
            return exit::INVALID_INPUT;
        }
    }
    let (lines, skipped) = match run_and_judge(&a, &plans, &seeds) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let report = Report {
        files: a.files.iter().map(|f| f.display().to_string()).collect(),
        seeds_text: a.seeds.clone(),
        seeds: seeds.len(),
        lines,
        invalid,
        skipped,
        timestamp: timestamp(now),
        seconds: started.elapsed().as_secs_f64(),
    };
    print!("{}", table(&report));
    if let Err(code) = write_reports(&a, &report) {
        return code;
    }
    if let Some(n) = a.explore {
        return explore_gate::run(&a, &plans, &report, n, explore_budget);
    }
    report.exit_code()
}

/// Plan: loads every file and every selected variant first. An invalid one is reported
/// (printed, and returned) and the others still run, so CI reports say which file is broken.
fn load_plans(a: &CheckArgs) -> (Vec<Plan>, Vec<Invalid>) {
    let mut plans = Vec::new();
    let mut invalid = Vec::new();
    for f in &a.files {
        let path = f.display().to_string();
        let base = match load_as(f, &a.set, None) {
            Ok(sc) => sc,
            Err(msg) => {
                eprintln!("{msg}");
                invalid.push(Invalid {
                    file: path,
                    variant: None,
                    message: msg,
                });
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
                    invalid.push(Invalid {
                        file: path.clone(),
                        variant: Some(n),
                        message: msg,
                    });
                }
            }
        }
        plans.push(Plan {
            text: std::fs::read_to_string(f).unwrap_or_default(),
            path,
            variants,
        });
    }
    (plans, invalid)
}

/// Runs every (file, variant) on every seed and judges its expectations: the verdict lines
/// in (file, variant, SLO) order, and what `--fail-fast` did not run. `Err` is the exit code
/// of a run that could not complete (printed).
fn run_and_judge(
    a: &CheckArgs,
    plans: &[Plan],
    seeds: &[u64],
) -> Result<(Vec<Line>, Vec<Skipped>), i32> {
    // Jobs in (file, variant, seed) order; a group is one (file, variant).
    let mut groups: Vec<Vec<Job>> = Vec::new();
    for (fi, p) in plans.iter().enumerate() {
        for vi in 0..p.variants.len() {
            groups.push(
                seeds
                    .iter()
                    .map(|&seed| Job {
                        file: fi,
                        variant: vi,
                        seed,
                    })
                    .collect(),
            );
        }
    }
    let mut lines = Vec::new();
    let mut skipped = Vec::new();
    // Without --fail-fast every run goes into one pool; with it, one (file, variant) at a time.
    let batches: Vec<Vec<usize>> = if a.fail_fast {
        (0..groups.len()).map(|g| vec![g]).collect()
    } else {
        vec![(0..groups.len()).collect()]
    };
    let mut stop = false;
    for batch in batches {
        if stop {
            skipped.extend(batch.iter().map(|&g| skipped_group(plans, &groups[g][0])));
            continue;
        }
        let jobs: Vec<&Job> = batch.iter().flat_map(|&g| groups[g].iter()).collect();
        let results = run_all(plans, &jobs, a.jobs).map_err(|e| {
            eprintln!("tenantsim: {e}");
            exit::INTERNAL
        })?;
        let mut k = 0;
        for &g in &batch {
            let n = groups[g].len();
            let runs: Vec<(u64, &RunSummary, f64)> = groups[g]
                .iter()
                .zip(&results[k..k + n])
                .map(|(j, (r, secs))| (j.seed, r, *secs))
                .collect();
            k += n;
            let j = &groups[g][0];
            let mut judged = judge(&plans[j.file], j.variant, &runs);
            for l in &mut judged {
                l.sets = a.set.clone();
            }
            if a.fail_fast && judged.iter().any(|l| !l.met) {
                stop = true;
            }
            lines.extend(judged);
        }
    }
    Ok((lines, skipped))
}

/// The (file, variant) of job `j`, as not run.
fn skipped_group(plans: &[Plan], j: &Job) -> Skipped {
    let p = &plans[j.file];
    let (vname, sc) = &p.variants[j.variant];
    Skipped {
        file: p.path.clone(),
        scenario: sc.name.clone(),
        variant: vname.clone(),
        slos: sc.slos.iter().map(|s| s.name.clone()).collect(),
    }
}

/// Writes `--junit`, `--markdown`, `--json` and `--failures`; `Err` is the exit code of a
/// file that could not be written (printed).
fn write_reports(a: &CheckArgs, report: &Report) -> Result<(), i32> {
    type Render = fn(&Report) -> String;
    let outputs: [(&Option<std::path::PathBuf>, Render); 4] = [
        (&a.junit, junit),
        (&a.markdown, markdown),
        (&a.json, json),
        (&a.failures, failures),
    ];
    for (path, render) in outputs {
        if let Some(p) = path {
            if let Err(e) = crate::service::write::write_file(p, &render(report)) {
                eprintln!("tenantsim: error: cannot write {}: {e}", p.display());
                return Err(exit::INVALID_INPUT);
            }
        }
    }
    Ok(())
}

/// Runs `jobs` on `workers` threads; (summary, wall seconds) come back in job order.
fn run_all(
    plans: &[Plan],
    jobs: &[&Job],
    workers: Option<usize>,
) -> Result<Vec<(RunSummary, f64)>, String> {
    let describe = |j: &Job| {
        let (name, _) = &plans[j.file].variants[j.variant];
        format!("{} --seed {} --variant {name}", plans[j.file].path, j.seed)
    };
    crate::service::pool::map(
        jobs.len(),
        crate::service::pool::workers(workers, jobs.len()),
        "check",
        |i| describe(jobs[i]),
        |i| {
            let j = jobs[i];
            let (name, sc) = &plans[j.file].variants[j.variant];
            let variant = (name != "base").then_some(name.as_str());
            #[allow(clippy::disallowed_methods)] // times the whole run for JUnit; not inside it
            let t = Instant::now();
            models::harness::run::run(sc, j.seed, variant)
                .map(|o| (o.summary, t.elapsed().as_secs_f64()))
                .map_err(|e| e.to_string())
        },
    )
}

/// The 1-based line of `name = "SLO"` in the file text (looked for from the first `[[slos]]`
/// on, so a fault or cohort of the same name is not taken for it), if there is one.
fn slo_line(text: &str, slo: &str) -> Option<usize> {
    let quoted = format!("\"{slo}\"");
    let from = text
        .lines()
        .position(|l| l.trim_start().starts_with("[[slos]]"))
        .unwrap_or(0);
    text.lines()
        .enumerate()
        .skip(from)
        .find(|(_, l)| {
            let t = l.trim_start();
            t.starts_with("name") && t.contains(&quoted)
        })
        .map(|(i, _)| i + 1)
}

/// Judges every SLO expectation of one (file, variant) over its runs `(seed, summary, secs)`.
fn judge(p: &Plan, vi: usize, runs: &[(u64, &RunSummary, f64)]) -> Vec<Line> {
    let (vname, sc) = &p.variants[vi];
    let variant = sc.variants.iter().find(|v| v.name == *vname);
    let secs = runs.iter().fold(0.0, |t, r| t + r.2);
    let digests: Vec<(u64, String)> = runs.iter().map(|r| (r.0, r.1.digest.clone())).collect();
    let share = secs / sc.slos.len().max(1) as f64;
    let missing: Vec<String> = sc
        .explore
        .coverage
        .iter()
        .filter(|c| {
            !runs
                .iter()
                .any(|r| models::coverage::reached(r.1).contains(&c.as_str()))
        })
        .cloned()
        .collect();
    let mut lines = Vec::new();
    for (si, slo) in sc.slos.iter().enumerate() {
        let expect_pass = variant.is_none_or(|v| v.expects_pass(&slo.name));
        let mut passed = 0;
        let mut worst: Option<(f64, String, u64)> = None;
        let mut bad_seed = None;
        for (seed, r, _) in runs {
            let row = &r.slos[si];
            if row.passed {
                passed += 1;
            }
            if row.passed != expect_pass && bad_seed.is_none() {
                bad_seed = Some(*seed);
            }
            let v = row.measured;
            // The SLO's bound in the unit of `measured` (durations are reported in ms).
            let bound = if slo.objective.metric.is_duration() {
                slo.objective.bound / 1e6
            } else {
                slo.objective.bound
            };
            let worse = match &worst {
                None => true,
                Some((w, _, _)) => models::harness::slo::worse(slo.objective.cmp, bound, v, *w),
            };
            if worse && row.measured_text != "no data" {
                worst = Some((v, row.measured_text.clone(), *seed));
            }
        }
        let truncated = runs.iter().find(|r| r.1.truncated).map(|r| r.0);
        if truncated.is_some() {
            bad_seed = truncated;
        }
        let met = truncated.is_none()
            && if expect_pass {
                passed == runs.len()
            } else {
                passed == 0
            };
        // A pass without the required coverage proves nothing: NOT MET (vacuous).
        let vacuous = if met && expect_pass {
            missing.clone()
        } else {
            Vec::new()
        };
        let met = met && vacuous.is_empty();
        lines.push(Line {
            scenario: sc.name.clone(),
            file: p.path.clone(),
            file_line: slo_line(&p.text, &slo.name),
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
            truncated,
            sets: Vec::new(),
            seconds: share,
            digests: digests.clone(),
            vacuous,
        });
    }
    lines
}

fn table(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<24} {:<20} {:<26} {:<6} {:>9} {:>12} {:>5}  VERDICT",
        "SCENARIO", "VARIANT", "SLO", "EXPECT", "PASSED", "WORST", "SEED"
    );
    for l in &r.lines {
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
            if l.met {
                "ok".to_string()
            } else if l.truncated.is_some() {
                "NOT MET (run truncated: max_events, a stalled clock or overload)".to_string()
            } else if !l.vacuous.is_empty() {
                format!(
                    "NOT MET (vacuous: coverage {} not reached)",
                    l.vacuous.join(", ")
                )
            } else {
                "NOT MET".to_string()
            }
        );
        if !l.met {
            let _ = write!(out, "   repro: {}", l.repro());
        }
        let _ = writeln!(out);
    }
    for s in &r.skipped {
        for slo in &s.slos {
            let _ = writeln!(
                out,
                "{:<24} {:<20} {:<26} {:<6} {:>9} {:>12} {:>5}  skipped (--fail-fast)",
                s.scenario, s.variant, slo, "", "", "", ""
            );
        }
    }
    for i in &r.invalid {
        let _ = writeln!(out, "{}  INVALID (see the error above)", invalid_name(i));
    }
    let unmet = r.unmet();
    let _ = write!(
        out,
        "\ncheck: {} expectations over {} seed(s): {} met, {unmet} not met",
        r.lines.len(),
        r.seeds,
        r.lines.len() - unmet
    );
    if !r.skipped.is_empty() {
        let _ = write!(out, ", {} skipped (--fail-fast)", r.skipped_count());
    }
    if !r.invalid.is_empty() {
        let _ = write!(
            out,
            "; {} invalid",
            plural(r.invalid.len(), "scenario file")
        );
    }
    let _ = writeln!(out);
    out
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn invalid_name(i: &Invalid) -> String {
    match &i.variant {
        None => i.file.clone(),
        Some(v) => format!("{} (variant {v})", i.file),
    }
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC) of a wall-clock instant.
fn timestamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Escapes XML text and drops the characters XML 1.0 cannot carry (control characters other
/// than tab, newline and carriage return; U+FFFE and U+FFFF).
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn failure_message(l: &Line) -> String {
    format!(
        "expected {} on every seed; passed on {}/{}; worst {} at seed {} (objective {})",
        if l.expect_pass { "pass" } else { "fail" },
        l.passed,
        l.runs,
        l.worst.0,
        l.worst.1,
        l.objective
    )
}

/// JUnit XML: one testsuite per scenario file, one testcase per variant/SLO; an invalid file
/// (or variant) is a testcase with an `<error>`; what `--fail-fast` did not run is `<skipped>`.
/// Testcases carry `file` (and `line`, the SLO's, when found) for CI annotations; suites carry
/// the tenantsim version, commit, seeds and the digest of every run as `<properties>`.
pub fn junit(r: &Report) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let tests = r.lines.len() + r.invalid.len() + r.skipped_count();
    let _ = writeln!(
        out,
        "<testsuites name=\"tenantsim check\" tests=\"{tests}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">",
        r.unmet(),
        r.invalid.len(),
        r.seconds
    );
    for (fi, file) in r.files.iter().enumerate() {
        if r.files[..fi].contains(file) {
            continue;
        }
        let lines: Vec<&Line> = r.lines.iter().filter(|l| &l.file == file).collect();
        let invalid: Vec<&Invalid> = r.invalid.iter().filter(|i| &i.file == file).collect();
        let skipped: Vec<&Skipped> = r.skipped.iter().filter(|s| &s.file == file).collect();
        let n_skipped: usize = skipped.iter().map(|s| s.slos.len()).sum();
        let name = lines
            .first()
            .map(|l| l.scenario.clone())
            .or_else(|| skipped.first().map(|s| s.scenario.clone()))
            .unwrap_or_else(|| file.clone());
        // Summed run times (runs go in parallel, so suites can add up to more than the total).
        let time = lines.iter().fold(0.0, |t, l| t + l.seconds);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{n_skipped}\" time=\"{time:.3}\" timestamp=\"{}\" file=\"{}\">",
            xml(&name),
            lines.len() + invalid.len() + n_skipped,
            lines.iter().filter(|l| !l.met).count(),
            invalid.len(),
            r.timestamp,
            xml(file)
        );
        let _ = writeln!(out, "    <properties>");
        let mut props: Vec<(String, String)> = vec![
            (
                "tenantsim.version".to_string(),
                crate::version::VERSION.to_string(),
            ),
            (
                "tenantsim.commit".to_string(),
                crate::version::COMMIT.to_string(),
            ),
            ("seeds".to_string(), r.seeds_text.clone()),
            ("file".to_string(), file.clone()),
        ];
        for l in &lines {
            let key = format!("digests.{}", l.variant);
            if props.iter().any(|(k, _)| *k == key) {
                continue;
            }
            let d: Vec<String> = l.digests.iter().map(|(s, d)| format!("{s}:{d}")).collect();
            props.push((key, d.join(",")));
        }
        for (k, v) in &props {
            let _ = writeln!(
                out,
                "      <property name=\"{}\" value=\"{}\"/>",
                xml(k),
                xml(v)
            );
        }
        let _ = writeln!(out, "    </properties>");
        for l in &lines {
            let _ = write!(
                out,
                "    <testcase classname=\"{}.{}\" name=\"{} (expect {})\" time=\"{:.3}\" file=\"{}\"",
                xml(&l.scenario),
                xml(&l.variant),
                xml(&l.slo),
                if l.expect_pass { "pass" } else { "fail" },
                l.seconds,
                xml(&l.file)
            );
            if let Some(n) = l.file_line {
                let _ = write!(out, " line=\"{n}\"");
            }
            if l.met {
                let _ = writeln!(out, "/>");
            } else {
                let msg = failure_message(l);
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
        for s in &skipped {
            for slo in &s.slos {
                let _ = writeln!(
                    out,
                    "    <testcase classname=\"{}.{}\" name=\"{}\" time=\"0\" file=\"{}\">\n      <skipped message=\"not run: --fail-fast stopped at an earlier unmet expectation\"/>\n    </testcase>",
                    xml(&s.scenario),
                    xml(&s.variant),
                    xml(slo),
                    xml(&s.file)
                );
            }
        }
        for i in &invalid {
            let first = i.message.lines().next().unwrap_or("invalid scenario file");
            let name = match &i.variant {
                None => "scenario file is valid".to_string(),
                Some(v) => format!("variant {v} is valid"),
            };
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"0\" file=\"{}\">\n      <error message=\"{}\" type=\"invalid-scenario\">{}</error>\n    </testcase>",
                xml(file),
                xml(&name),
                xml(file),
                xml(first),
                xml(&i.message)
            );
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

/// A Markdown summary fit for `$GITHUB_STEP_SUMMARY`: the verdict, the tenantsim version and
/// seeds, then what needs attention first (invalid files with their errors, unmet expectations
/// with their repro lines), then the met expectations folded in `<details>`.
pub fn markdown(r: &Report) -> String {
    let unmet = r.unmet();
    let mut out = String::new();
    let verdict = if !r.invalid.is_empty() {
        "❌ invalid input"
    } else if unmet > 0 {
        "❌ failed"
    } else {
        "✅ passed"
    };
    let _ = writeln!(out, "## tenantsim check: {verdict}\n");
    let _ = write!(
        out,
        "{} expectations over {} seed(s) (`--seeds {}`): **{} met, {unmet} not met**",
        r.lines.len(),
        r.seeds,
        r.seeds_text,
        r.lines.len() - unmet
    );
    if !r.skipped.is_empty() {
        let _ = write!(out, ", {} skipped (`--fail-fast`)", r.skipped_count());
    }
    if !r.invalid.is_empty() {
        let _ = write!(
            out,
            ", **{} invalid**",
            plural(r.invalid.len(), "scenario file")
        );
    }
    let _ = writeln!(out, " · {}\n", crate::version::long());
    let md = |s: &str| s.replace('|', "\\|");
    if !r.invalid.is_empty() {
        let _ = writeln!(out, "### Invalid scenario files\n");
        for i in &r.invalid {
            let _ = writeln!(
                out,
                "- `{}`\n\n```text\n{}\n```\n",
                invalid_name(i),
                i.message.trim_end().replace("```", "` ` `")
            );
        }
    }
    let header = "| scenario | variant | SLO | objective | expect | passed | worst (seed) | verdict |\n|---|---|---|---|---|---|---|---|";
    let row = |l: &Line| {
        format!(
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
        )
    };
    if unmet > 0 {
        let _ = writeln!(out, "### Not met\n\n{header}");
        for l in r.lines.iter().filter(|l| !l.met) {
            let _ = writeln!(out, "{}", row(l));
        }
        let _ = writeln!(out, "\n### Reproduce\n");
        for l in r.lines.iter().filter(|l| !l.met) {
            let _ = writeln!(
                out,
                "- {} / {} / {}: `{}`",
                md(&l.scenario),
                md(&l.variant),
                md(&l.slo),
                l.repro()
            );
        }
        let _ = writeln!(out);
    }
    if !r.skipped.is_empty() {
        let _ = writeln!(out, "### Skipped (`--fail-fast`)\n");
        for s in &r.skipped {
            let _ = writeln!(
                out,
                "- {} / {}: {}",
                md(&s.scenario),
                md(&s.variant),
                s.slos.join(", ")
            );
        }
        let _ = writeln!(out);
    }
    let met: Vec<&Line> = r.lines.iter().filter(|l| l.met).collect();
    if !met.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} met</summary>\n\n{header}",
            plural(met.len(), "expectation")
        );
        for l in met {
            let _ = writeln!(out, "{}", row(l));
        }
        let _ = writeln!(out, "\n</details>");
    }
    out
}

/// The result for machines (`--json`): deterministic (no wall times).
pub fn json(r: &Report) -> String {
    let lines: Vec<serde_json::Value> = r
        .lines
        .iter()
        .map(|l| {
            let mut v = serde_json::json!({
                "scenario": l.scenario,
                "file": l.file,
                "line": l.file_line,
                "variant": l.variant,
                "slo": l.slo,
                "objective": l.objective,
                "expect": if l.expect_pass { "pass" } else { "fail" },
                "passed": l.passed,
                "runs": l.runs,
                "worst": l.worst.0,
                "worst_seed": l.worst.1,
                "met": l.met,
                "repro": (!l.met).then(|| l.repro_command()),
            });
            // Only when coverage is required and missing (older reports keep their shape).
            if !l.vacuous.is_empty() {
                v["vacuous"] = serde_json::json!(l.vacuous);
            }
            v
        })
        .collect();
    let invalid: Vec<serde_json::Value> = r
        .invalid
        .iter()
        .map(|i| serde_json::json!({"file": i.file, "variant": i.variant, "error": i.message}))
        .collect();
    let skipped: Vec<serde_json::Value> = r
        .skipped
        .iter()
        .map(|s| {
            serde_json::json!({
                "file": s.file, "scenario": s.scenario, "variant": s.variant, "slos": s.slos,
            })
        })
        .collect();
    let unmet = r.unmet();
    let v = serde_json::json!({
        "tenantsim": {"version": crate::version::VERSION, "commit": crate::version::COMMIT},
        "seeds": r.seeds_text,
        "seed_count": r.seeds,
        "exit_code": r.exit_code(),
        "met": r.lines.len() - unmet,
        "not_met": unmet,
        "expectations": lines,
        "invalid": invalid,
        "skipped": skipped,
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// One repro command per failing run (deduplicated, in table order), for a CI step that
/// replays each with `--out`; empty when every expectation was met.
pub fn failures(r: &Report) -> String {
    let mut seen: Vec<String> = Vec::new();
    for l in r.lines.iter().filter(|l| !l.met) {
        let c = l.repro_command();
        if !seen.contains(&c) {
            seen.push(c);
        }
    }
    seen.iter().map(|c| format!("{c}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_civil_utc() {
        let at = |s: u64| timestamp(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(at(1_796_556_487), "2026-12-06T11:28:07");
    }

    #[test]
    fn xml_escapes_and_drops_what_xml_cannot_carry() {
        assert_eq!(xml("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(xml("x\u{1b}[31my\u{0}\tz\n\u{FFFF}"), "x[31my\tz\n");
    }

    #[test]
    fn slo_lines_are_found_by_name() {
        let text =
            "[[faults]]\nname = \"p99\"\n[[slos]]\nname = \"p99\"\nobjective = \"p(99) < 1s\"\n";
        assert_eq!(slo_line(text, "p99"), Some(4));
        assert_eq!(slo_line(text, "other"), None);
    }
}

//! `check --explore N --budget B`: exploration inside the CI gate.
//!
//! After the written expectations, each valid file's base scenario (with `--set`) is
//! explored on seeds 1..=N (`models::harness::explore`: a fault schedule drawn per seed,
//! judged on its SLOs, the invariants, recovery and metastability), a batch of `--jobs`
//! seeds at a time, until the first failing run, `N` runs, or the budget (`5m` of wall time,
//! or `200runs`; shared by every file, in file order) is spent.
//!
//! **Guarantees.** Batches are consecutive seeds and a batch's lowest failing seed is the one
//! reported, so the failure found is the lowest failing seed whatever `--jobs` is — given
//! the same number of runs: a run budget is deterministic, a time budget is not (it says
//! how far the gate got). A failed SLO is shrunk (`tenantsim shrink --explore`) into
//! `--explore-out DIR/SCENARIO-seed-N.toml`, a minimal scenario with the drawn schedule
//! written out literally that fails with a plain `tenantsim run`. The exit code is 1 for a
//! failure, 3 for a broken invariant (a bug of the model: the seed and its repro line are
//! printed), unless the check itself exits 2.

use super::*;
use models::harness::explore::{judge, Outcome};

/// How much exploration the gate may spend.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Budget {
    /// Wall seconds.
    Wall(f64),
    /// Explored runs.
    Runs(u64),
}

/// Parses `--budget`: a duration (`5m`, `90s`: wall time) or a number of runs (`200runs`).
pub fn parse_budget(text: &str) -> Result<Budget, String> {
    let t = text.trim();
    if let Some(n) = t.strip_suffix("runs").or_else(|| t.strip_suffix("run")) {
        return match n.trim().parse::<u64>() {
            Ok(n) if n >= 1 => Ok(Budget::Runs(n)),
            _ => Err(format!(
                "`--budget {t}`: the number of runs must be a whole number ≥ 1, e.g. `200runs`"
            )),
        };
    }
    match sim::SimDuration::parse(t) {
        Ok(d) if d.as_nanos() > 0 => Ok(Budget::Wall(d.as_secs_f64())),
        _ => Err(format!(
            "`--budget {t}`: give a wall time like `5m` or a number of runs like `200runs`"
        )),
    }
}

/// Checks the `--explore` flags: the budget, if any (`--budget` without `--explore`, or
/// `--explore 0`, is an error).
pub(super) fn check_flags(a: &CheckArgs) -> Result<Option<Budget>, String> {
    match (a.explore, &a.budget) {
        (None, Some(_)) => Err("`--budget` bounds `--explore N`; add `--explore 100`".to_string()),
        (None, None) => Ok(None),
        (Some(0), _) => Err("`--explore 0` explores nothing; give `--explore 100`".to_string()),
        (Some(_), b) => b.as_deref().map(parse_budget).transpose(),
    }
}

/// Explores (after the check's report is out), prints and writes the gate's results, and
/// returns the exit code of the whole check.
pub(super) fn run(
    a: &CheckArgs,
    plans: &[Plan],
    report: &Report,
    n: u64,
    budget: Option<Budget>,
) -> i32 {
    let e = explore(a, plans, n, budget);
    print!("{}", table(&e));
    if let Some(p) = &a.junit {
        if let Err(err) = crate::service::write::write_file(p, &junit_with(report, &e)) {
            eprintln!("tenantsim: error: cannot write {}: {err}", p.display());
            return exit::INVALID_INPUT;
        }
    }
    let code = report.exit_code();
    if code == exit::INVALID_INPUT {
        return code;
    }
    let worst = e.iter().map(Explored::exit_code).max().unwrap_or(exit::OK);
    worst.max(code)
}

/// What exploring one file found.
pub struct Explored {
    /// File as given.
    pub file: String,
    /// Scenario name.
    pub scenario: String,
    /// Runs done (seeds 1..=runs).
    pub runs: u64,
    /// Runs asked for.
    pub asked: u64,
    /// The first failing run, if any.
    pub failure: Option<Outcome>,
    /// The repro line of the failure (`run --seed N --explore`).
    pub repro: String,
    /// The shrunk reproducer written, if any.
    pub shrunk: Option<String>,
    /// The budget ran out before `asked` runs (and no failure was found).
    pub out_of_budget: bool,
    /// Wall seconds spent.
    pub seconds: f64,
}

impl Explored {
    /// Exit code this exploration asks for: 3 for a broken invariant, 1 for another
    /// failure, else 0.
    pub fn exit_code(&self) -> i32 {
        match &self.failure {
            Some(o) if o.invariant.is_some() => exit::INTERNAL,
            Some(_) => exit::SLO_FAILED,
            None => exit::OK,
        }
    }
}

/// Explores every valid file of `plans` (their base scenarios).
fn explore(a: &CheckArgs, plans: &[Plan], n: u64, budget: Option<Budget>) -> Vec<Explored> {
    #[allow(clippy::disallowed_methods)] // the wall budget; never enters a run
    let started = Instant::now();
    let mut spent_runs = 0u64;
    let mut out = Vec::new();
    let opts = models::harness::run::RunOptions::default();
    for p in plans {
        let Some((_, sc)) = p.variants.iter().find(|(name, _)| name == "base") else {
            continue;
        };
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let workers = crate::service::pool::workers(a.jobs, n as usize);
        let mut seed = 1u64;
        let mut failure = None;
        let mut out_of_budget = false;
        while seed <= n && failure.is_none() {
            let left = match budget {
                Some(Budget::Runs(r)) => r.saturating_sub(spent_runs),
                Some(Budget::Wall(s)) if started.elapsed().as_secs_f64() >= s => 0,
                _ => u64::MAX,
            };
            if left == 0 {
                out_of_budget = true;
                break;
            }
            let batch: Vec<u64> = (seed..=n)
                .take((workers as u64).min(left) as usize)
                .collect();
            let results = crate::service::pool::map(
                batch.len(),
                workers,
                "check --explore",
                |i| format!("{} --seed {} --explore", p.path, batch[i]),
                |i| Ok(judge(sc, batch[i], &opts)),
            );
            let results = match results {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("tenantsim: {e}");
                    Vec::new()
                }
            };
            spent_runs += batch.len() as u64;
            seed += batch.len() as u64;
            failure = results.into_iter().find(Outcome::failed);
        }
        let runs = failure.as_ref().map(|o| o.seed).unwrap_or(seed - 1);
        let repro = failure
            .as_ref()
            .map(|o| models::harness::repro::command(&p.path, o.seed, None, &a.set) + " --explore")
            .unwrap_or_default();
        let mut shrunk = None;
        if let (Some(o), Some(slo)) = (
            &failure,
            failure.as_ref().and_then(|o| o.failed_slos.first()),
        ) {
            let dir = a
                .explore_out
                .clone()
                .unwrap_or_else(|| std::path::PathBuf::from("explore-failures"));
            let path = dir.join(format!("{}-seed-{}.toml", sc.name, o.seed));
            if let Err(e) = std::fs::create_dir_all(&dir) {
                eprintln!("tenantsim: error: cannot create {}: {e}", dir.display());
            } else {
                let code = crate::service::shrink::shrink(crate::cli::ShrinkArgs {
                    file: std::path::PathBuf::from(&p.path),
                    seed: Some(o.seed),
                    slo: slo.clone(),
                    variant: None,
                    set: a.set.clone(),
                    out: path.clone(),
                    budget: a.shrink_budget,
                    explore: true,
                });
                if code == exit::OK {
                    shrunk = Some(path.display().to_string());
                }
            }
        }
        out.push(Explored {
            file: p.path.clone(),
            scenario: sc.name.clone(),
            runs,
            asked: n,
            failure,
            repro,
            shrunk,
            out_of_budget,
            seconds: t0.elapsed().as_secs_f64(),
        });
    }
    out
}

/// The gate's section of the terminal report.
pub fn table(e: &[Explored]) -> String {
    let mut out = String::new();
    for x in e {
        let _ = write!(out, "explore {}: {} of {} runs", x.file, x.runs, x.asked);
        match &x.failure {
            None if x.out_of_budget => {
                let _ = writeln!(
                    out,
                    ", budget spent: no failure found (not every seed explored)"
                );
            }
            None => {
                let _ = writeln!(out, ": no failure found");
            }
            Some(o) => {
                let what = if o.invariant.is_some() {
                    "INVARIANT BROKEN"
                } else {
                    "FAILED"
                };
                let _ = writeln!(out, ": {what} on seed {}: {}", o.seed, o.signature());
                for l in &o.schedule {
                    let _ = writeln!(out, "  drew {l}");
                }
                if let Some(i) = &o.invariant {
                    let _ = writeln!(out, "  invariant: {i}");
                }
                if let Some(sat) = &o.saturated {
                    let _ = writeln!(out, "  saturated at the first violation: {sat}");
                }
                let _ = writeln!(out, "  repro: {}", crate::version::with_version(&x.repro));
                if let Some(s) = &x.shrunk {
                    let _ = writeln!(
                        out,
                        "  shrunk: {s} (no draws left: tenantsim run {s} --seed {})",
                        o.seed
                    );
                }
            }
        }
    }
    out
}

/// `junit` with a test suite per explored file added (one test case: the exploration).
pub fn junit_with(r: &Report, e: &[Explored]) -> String {
    let base = junit(r);
    let tests = r.lines.len() + r.invalid.len() + r.skipped_count();
    let old = format!(
        "<testsuites name=\"tenantsim check\" tests=\"{tests}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">",
        r.unmet(),
        r.invalid.len(),
        r.seconds
    );
    let failed = e.iter().filter(|x| x.failure.is_some()).count();
    let new = format!(
        "<testsuites name=\"tenantsim check\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">",
        tests + e.len(),
        r.unmet() + failed,
        r.invalid.len(),
        r.seconds
    );
    let mut suites = String::new();
    for x in e {
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{} (explore)\" tests=\"1\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{:.3}\" timestamp=\"{}\" file=\"{}\">",
            xml(&x.scenario),
            usize::from(x.failure.is_some()),
            x.seconds,
            r.timestamp,
            xml(&x.file)
        );
        let _ = write!(
            suites,
            "    <testcase classname=\"{}.explore\" name=\"explore {} runs\" time=\"{:.3}\" file=\"{}\"",
            xml(&x.scenario),
            x.asked,
            x.seconds,
            xml(&x.file)
        );
        match &x.failure {
            None => {
                let _ = writeln!(suites, "/>");
            }
            Some(o) => {
                let mut body = format!("seed {}: {}\nrepro: {}\n", o.seed, o.signature(), x.repro);
                for l in &o.schedule {
                    body.push_str(&format!("drew {l}\n"));
                }
                if let Some(s) = &x.shrunk {
                    body.push_str(&format!("shrunk: {s}\n"));
                }
                let _ = writeln!(
                    suites,
                    ">\n      <failure message=\"{}\" type=\"explore\">{}</failure>\n    </testcase>",
                    xml(&format!("seed {}: {}", o.seed, o.signature())),
                    xml(&body)
                );
            }
        }
        let _ = writeln!(suites, "  </testsuite>");
    }
    let replaced = base.replacen(&old, &new, 1);
    match replaced.rfind("</testsuites>") {
        Some(i) => format!("{}{suites}{}", &replaced[..i], &replaced[i..]),
        None => replaced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: `--budget` takes a wall time or a run count and refuses the rest. Method:
    /// each form and each class of mistake.
    #[test]
    fn budgets() {
        assert_eq!(parse_budget("5m"), Ok(Budget::Wall(300.0)));
        assert_eq!(parse_budget("200runs"), Ok(Budget::Runs(200)));
        assert_eq!(parse_budget("1 run"), Ok(Budget::Runs(1)));
        for bad in ["0runs", "0s", "fast", "-3runs", ""] {
            assert!(parse_budget(bad).is_err(), "{bad} accepted");
        }
    }
}

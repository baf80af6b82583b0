//! `tenantsim run FILE`: one scenario, one seed, a summary and a verdict.

use crate::cli::RunArgs;
use crate::exit;
use crate::service::verify::{self, fingerprint, Expected};
use models::harness::determinism::Checked;
use models::harness::repro::shell_quote;
use models::harness::run::{Inject, RunOptions};
use std::time::Instant;

/// Runs one scenario.
pub fn run(a: RunArgs) -> i32 {
    let loaded = match a.scenario.load() {
        Ok(l) => l,
        Err(msg) => {
            eprintln!("{msg}");
            return exit::INVALID_INPUT;
        }
    };
    let seed = a.scenario.seed_or(&loaded.scenario);
    if a.explore && a.check_determinism {
        eprintln!("tenantsim: error: --explore and --check-determinism do not combine yet (the determinism check parses the file afresh, without the drawn schedule)");
        return exit::INVALID_INPUT;
    }
    // `--explore`: the schedule `tenantsim explore` drew for this seed, appended.
    let explored = a
        .explore
        .then(|| models::harness::explore::schedule(&loaded.scenario, seed));
    let sc = explored.as_ref().unwrap_or(&loaded.scenario);
    let mut repro_line = a.scenario.repro(seed);
    if a.explore {
        repro_line.push_str(" --explore");
    }
    let repro = crate::version::with_version(&repro_line);
    let expected = match a.verify_digest.as_deref().map(Expected::parse).transpose() {
        Ok(e) => e,
        Err(msg) => {
            eprintln!("tenantsim: error: {msg}");
            return exit::INVALID_INPUT;
        }
    };
    if !a.watch.is_empty() {
        let pop = models::population::Population::build(sc, seed);
        if let Some(bad) = a.watch.iter().find(|w| pop.find(w).is_none()) {
            eprintln!(
                "{}: error in `--watch {bad}`: no tenant has that id (cohort members are named like `small-0001`)",
                a.scenario.file.display()
            );
            return exit::INVALID_INPUT;
        }
    }
    // Test hooks (`TENANTSIM_INJECT`, see `models::harness::run::Inject`) are checked like any input.
    let inject = std::env::var("TENANTSIM_INJECT").ok();
    if let Some(Err(e)) = inject.as_deref().map(models::harness::run::Inject::parse) {
        eprintln!("tenantsim: error: TENANTSIM_INJECT: {e}");
        return exit::INVALID_INPUT;
    }
    // Check the output directory before spending time on the run.
    let mut out_dir = match a
        .out
        .as_deref()
        .map(crate::service::out::OutDir::prepare)
        .transpose()
    {
        Ok(d) => d,
        Err(e) => {
            eprintln!("tenantsim: error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    // Wall time of the whole run, for the simulated/wall ratio; never enters the run.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    // A progress bar on a terminal for a plain run (--check-determinism runs its own way).
    let progress = (!a.check_determinism)
        .then(|| crate::service::progress::for_run("run", sc.duration))
        .flatten();
    let opts = RunOptions {
        variant: a.scenario.variant.clone(),
        watch: a.watch.clone(),
        progress: progress.as_ref().map(|p| p.0.clone()),
        // Test hooks prove that a broken invariant exits 3, and that --check-determinism
        // catches a moved event (see tests/cli.rs).
        inject: inject.clone(),
        ..Default::default()
    };
    // With --check-determinism, `perturb_event` moves an event of the second run only.
    let perturbs = matches!(opts.hook(), Some(Inject::PerturbEvent(_)));
    let opts_first = if a.check_determinism && perturbs {
        RunOptions {
            inject: None,
            ..opts.clone()
        }
    } else {
        opts.clone()
    };
    let first = if a.check_determinism {
        models::harness::determinism::run_checkpointed(sc, seed, &opts_first)
    } else {
        models::harness::run::run_with(sc, seed, &opts_first).map(|output| Checked {
            output,
            checkpoints: Vec::new(),
        })
    };
    let mut first = match first {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tenantsim: {e}\n  repro: {repro}");
            return exit::INTERNAL;
        }
    };
    drop(progress);
    let out = &mut first.output;
    out.summary.fingerprint = Some(fingerprint(
        &loaded.file_text,
        &sc.overrides,
        sc.variant.as_deref(),
        seed,
    ));
    let wall = started.elapsed().as_secs_f64();
    let s = &out.summary;
    print_summary(s, wall, a.quiet);
    if let Some(path) = &a.json {
        if let Err(e) = crate::service::write::write_file(path, &s.to_json()) {
            eprintln!("tenantsim: error: cannot write {}: {e}", path.display());
            return exit::INVALID_INPUT;
        }
    }
    if let Some(dir) = out_dir.take() {
        if let Err(code) = write_out_dir(dir, out, &sc.text, &repro, a.quiet) {
            return code;
        }
    }
    if a.check_determinism {
        let runs = (&first, &opts_first, &opts);
        if let Err(code) = check_determinism(&a, &loaded.file_text, sc, seed, runs) {
            return code;
        }
    }
    let s = &first.output.summary;
    let verified = expected.as_ref().map(|e| verify::verify(e, s));
    let code = verdict(s, sc.duration, &repro);
    match verified {
        None => code,
        Some(Ok(line)) => {
            println!("{line}");
            code
        }
        Some(Err(msg)) => {
            eprintln!("{msg}");
            exit::SLO_FAILED
        }
    }
}

/// `--check-determinism`: runs the seed again and compares it with the first run, event
/// by event at the checkpoints; prints the verdict line, or the report (exit 3).
fn check_determinism(
    a: &RunArgs,
    file_text: &str,
    sc: &models::scenario::Scenario,
    seed: u64,
    (first, opts_first, opts): (&Checked, &RunOptions, &RunOptions),
) -> Result<(), i32> {
    let mut cmd = a.scenario.repro(seed);
    cmd.push_str(" --check-determinism");
    if let Some(i) = &opts.inject {
        cmd = format!("TENANTSIM_INJECT={} {cmd}", shell_quote(i));
    }
    let check_repro = crate::version::with_version(&cmd);
    let cx = crate::service::determinism::Context {
        name: &a.scenario.file.display().to_string(),
        file_text,
        sets: &a.scenario.set,
        variant: a.scenario.variant.as_deref(),
        scenario: sc,
        seed,
        opts: opts_first,
        opts_second: opts,
        repro: &check_repro,
    };
    match crate::service::determinism::check(first, &cx) {
        Ok(line) => println!("{line}"),
        Err(report) => {
            eprintln!("{report}");
            return Err(exit::INTERNAL);
        }
    }
    Ok(())
}

/// Prints the run's summary (or, with `--quiet`, only its metastability warnings); the
/// wall-time figures go to stderr, so that stdout stays byte-identical between runs.
fn print_summary(s: &reports::summary::RunSummary, wall: f64, quiet: bool) {
    if !quiet {
        print!("{}", reports::terminal::render(s));
        let ratio = if wall > 0.0 {
            s.sim_seconds / wall
        } else {
            f64::INFINITY
        };
        let eps = if wall > 0.0 {
            s.events as f64 / wall
        } else {
            0.0
        };
        // On stderr: stdout stays byte-identical between identical runs.
        eprintln!(
            "  wall {wall:.2}s  simulated/wall {ratio:.0}×  {:.2}M events/s",
            eps / 1e6
        );
    }
    if quiet {
        for f in s.metastable_faults() {
            println!(
                "WARNING: {}",
                reports::terminal::metastable_line(&s.metastability, f)
            );
        }
    }
}

/// Writes every report into the `--out` directory, then swaps it into place at once.
fn write_out_dir(
    mut dir: crate::service::out::OutDir,
    out: &models::harness::run::RunOutput,
    scenario_text: &str,
    repro: &str,
    quiet: bool,
) -> Result<(), i32> {
    #[allow(clippy::disallowed_methods)] // timing the writing of reports, outside the run
    let t0 = Instant::now();
    if let Err(e) = write_outputs(&mut dir, out, scenario_text, repro) {
        eprintln!("tenantsim: error: {e}");
        return Err(exit::INVALID_INPUT);
    }
    let bytes: u64 = dir.written().iter().map(|(_, n)| n).sum();
    let files = dir.written().len();
    let path = dir.path().to_path_buf();
    // Only now does the directory change: all the new outputs at once.
    if let Err(e) = dir.commit() {
        eprintln!("tenantsim: error: {e}");
        return Err(exit::INVALID_INPUT);
    }
    if !quiet {
        println!(
            "  wrote {} files ({:.1} MB) to {} in {:.2}s",
            files,
            bytes as f64 / 1e6,
            path.display(),
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// The verdict line and its exit code: a truncated run or a failed SLO fails (exit 1).
fn verdict(s: &reports::summary::RunSummary, duration: sim::SimDuration, repro: &str) -> i32 {
    let failed: Vec<&str> = s
        .slos
        .iter()
        .filter(|r| !r.passed)
        .map(|r| r.name.as_str())
        .collect();
    if s.truncated {
        // Exit 1, as for a failed SLO: the run completed without a fault in the tool, but
        // what it was asked to show (the whole scenario) was not shown; a CI gate must stop.
        println!(
            "verdict: FAIL (truncated: stopped by {} at {:.3}s of {}; SLOs judged on the part that ran{})   repro: {repro}",
            s.stop,
            s.sim_seconds,
            duration,
            if failed.is_empty() {
                String::new()
            } else {
                format!("; failed: {}", failed.join(", "))
            }
        );
        exit::SLO_FAILED
    } else if failed.is_empty() {
        println!("verdict: PASS ({} SLOs)   repro: {repro}", s.slos.len());
        exit::OK
    } else {
        println!(
            "verdict: FAIL ({} of {} SLOs: {})   repro: {repro}",
            failed.len(),
            s.slos.len(),
            failed.join(", ")
        );
        exit::SLO_FAILED
    }
}

/// Writes every report of a run into `dir`.
fn write_outputs(
    dir: &mut crate::service::out::OutDir,
    out: &models::harness::run::RunOutput,
    scenario_text: &str,
    repro: &str,
) -> Result<(), crate::service::out::OutError> {
    let s = &out.summary;
    dir.write("summary.json", s.to_json().as_bytes())?;
    dir.write(
        "timeseries.csv",
        reports::csv::timeseries_csv(s, &out.series).as_bytes(),
    )?;
    dir.write("tenants.csv", reports::csv::tenants_csv(s).as_bytes())?;
    let charts = reports::charts::render_all(s, &out.series).map_err(|e| {
        crate::service::out::OutError::Io {
            path: dir.path().join("charts").display().to_string(),
            source: std::io::Error::other(e.to_string()),
        }
    })?;
    for c in &charts {
        dir.write(&format!("charts/{}.png", c.name), &c.png)?;
        dir.write(&format!("charts/{}.svg", c.name), c.svg.as_bytes())?;
    }
    dir.write(
        "report.html",
        reports::html::report_html(s, &charts, scenario_text, repro).as_bytes(),
    )?;
    Ok(())
}

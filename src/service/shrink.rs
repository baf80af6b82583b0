//! The binary half of shrinking, behind `tenantsim shrink FILE --seed N --slo NAME --out
//! min.toml` (and behind `explore --shrink` and `check --explore`): reads the file, runs each
//! candidate the engine asks about (with a progress bar on a terminal), prints every step,
//! and writes the result as a valid, commented scenario file. A service, so that those
//! subcommands share it without importing each other.
//!
//! The engine — the reductions, the greedy loop, the size measure, folding the flags in and
//! writing drawn faults out literally — is `models::harness::shrink`, which does no I/O.

use crate::cli::ShrinkArgs;
use crate::exit;
use models::harness::repro::shell_quote;
use models::harness::shrink::{self, Drawn, Judge, Outcome, Progress, Shrunk, Target};
use models::scenario::Scenario;

/// The judge the engine asks: runs a candidate on the seed and prints each step.
struct RunJudge<'a> {
    seed: u64,
    slo: &'a str,
    budget: usize,
}

impl Judge for RunJudge<'_> {
    fn still_fails(&mut self, run: usize, sc: &Scenario) -> bool {
        // A progress bar for this run on a terminal (long scenarios take a while per run).
        let progress = super::progress::for_run(&format!("shrink run {run}"), sc.duration);
        let opts = models::harness::run::RunOptions {
            progress: progress.as_ref().map(|p| p.0.clone()),
            ..Default::default()
        };
        let Ok(out) = models::harness::run::run_with(sc, self.seed, &opts) else {
            return false;
        };
        drop(progress);
        out.summary
            .slos
            .iter()
            .any(|r| r.name == self.slo && !r.passed)
    }

    fn progress(&mut self, p: Progress<'_>) {
        let budget = self.budget;
        match p {
            Progress::Started(s) => eprintln!(
                "shrink: start: {} × {} = {:.0} tenant·minutes; SLO `{}` fails on seed {}; budget {budget} runs",
                s.tenants_text(),
                s.duration,
                s.tenant_minutes,
                self.slo,
                self.seed
            ),
            Progress::Step(s) => match &s.outcome {
                Outcome::StillFails(size) => eprintln!(
                    "shrink: [{}/{budget}] {}: still fails — {} × {} = {:.0} tenant·minutes",
                    s.runs,
                    s.what,
                    size.tenants_text(),
                    size.duration,
                    size.tenant_minutes
                ),
                Outcome::Passes | Outcome::Invalid => eprintln!(
                    "shrink: [{}/{budget}] {}: {}, kept the previous",
                    s.runs,
                    s.what,
                    if s.outcome == Outcome::Invalid {
                        "invalid"
                    } else {
                        "passes"
                    }
                ),
            },
            Progress::BudgetSpent => eprintln!("shrink: budget of {budget} runs spent"),
        }
    }
}

/// Runs `tenantsim shrink`.
pub fn shrink(a: ShrinkArgs) -> i32 {
    let file = a.file.display().to_string();
    let fail = |msg: String| {
        eprintln!("{file}: error: {msg}");
        exit::INVALID_INPUT
    };
    let (text, base) = match load(&a, &file) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if !base.slos.iter().any(|s| s.name == a.slo) {
        let names: Vec<&str> = base.slos.iter().map(|s| s.name.as_str()).collect();
        return fail(format!(
            "`--slo {}`: no such SLO; its SLOs are: {}",
            a.slo,
            names.join(", ")
        ));
    }
    let seed = a.seed.unwrap_or(base.seed);
    let prepared =
        match shrink::prepare(&text, &base, a.variant.as_deref(), &a.set, seed, a.explore) {
            Ok(p) => p,
            Err(e) => return fail(e),
        };
    let budget = a.budget.clamp(1, 100_000);
    let target = Target {
        file: &file,
        slo: &a.slo,
        budget,
    };
    let mut judge = RunJudge {
        seed,
        slo: &a.slo,
        budget,
    };
    match shrink::shrink(prepared.doc, &target, &mut judge) {
        Ok(shrunk) => write_result(&a, seed, &shrunk, prepared.literal.as_ref()),
        Err(shrink::NotFailing) => fail(format!(
            "SLO `{}` does not fail on seed {seed}{}: there is nothing to shrink (find a failing seed with `tenantsim check`)",
            a.slo,
            a.variant.as_deref().map(|v| format!(" with variant {v}")).unwrap_or_default()
        )),
    }
}

/// The scenario file's text and the scenario as given (variant and `--set` applied); `Err`
/// is the exit code after the error is printed.
fn load(a: &ShrinkArgs, file: &str) -> Result<(String, Scenario), i32> {
    let print = |msg: String| {
        eprintln!("{msg}");
        exit::INVALID_INPUT
    };
    let text = super::load::read_scenario(&a.file, file).map_err(print)?;
    let base = super::load::load_as(&a.file, &a.set, a.variant.as_deref()).map_err(print)?;
    Ok((text, base))
}

/// The command that shrank (for the result file's header).
fn command(a: &ShrinkArgs, file: &str, seed: u64) -> String {
    let mut c = format!(
        "tenantsim shrink {} --seed {seed} --slo {}",
        shell_quote(file),
        shell_quote(&a.slo)
    );
    if let Some(v) = &a.variant {
        c.push_str(&format!(" --variant {}", shell_quote(v)));
    }
    for s in &a.set {
        c.push_str(&format!(" --set {}", shell_quote(s)));
    }
    if a.explore {
        c.push_str(" --explore");
    }
    c
}

/// The header line saying the drawn schedule was written out literally (empty if not).
fn literal_note(explore: bool, literal: Option<&Drawn>) -> String {
    let Some(l) = literal else {
        return String::new();
    };
    format!(
        "# The fault schedule the seed drew{} is written out literally ({} drawn faults{}).\n",
        if explore { " (with --explore)" } else { "" },
        l.drawn,
        if l.dropped.is_empty() {
            String::new()
        } else {
            format!(
                "; left out, their selection was empty: {}",
                l.dropped.join(", ")
            )
        }
    )
}

/// Writes the shrunk scenario with its header to `--out` and prints the result line.
fn write_result(a: &ShrinkArgs, seed: u64, s: &Shrunk, literal: Option<&Drawn>) -> i32 {
    let file = a.file.display().to_string();
    let (start, end, runs) = (&s.start, &s.end, s.runs);
    let out_name = a.out.display().to_string();
    let header = format!(
        "# Shrunk by `{cmd} --out {out}`\n\
         # from {file} ({} × {} = {:.0} tenant·minutes)\n\
         # to {} × {} = {:.0} tenant·minutes ({:.1}× smaller), {runs} runs.\n\
         # SLO `{slo}` still fails on seed {seed}: tenantsim run {out} --seed {seed}\n\
         # The variant and --set flags are folded in; other SLOs, variants and whatever did not\n\
         # matter for this failure were removed. Comments of the original file may be stale.\n{}\n",
        start.tenants_text(),
        start.duration,
        start.tenant_minutes,
        end.tenants_text(),
        end.duration,
        end.tenant_minutes,
        end.ratio_from(start),
        literal_note(a.explore, literal),
        cmd = command(a, &file, seed),
        slo = a.slo,
        out = shell_quote(&out_name),
    );
    if let Err(e) = super::write::write_file(&a.out, &(header + &s.doc.to_string())) {
        eprintln!("tenantsim: error: cannot write {}: {e}", a.out.display());
        return exit::INVALID_INPUT;
    }
    println!(
        "shrink: {} × {} → {} × {} ({:.1}× smaller by tenants × duration) in {runs} runs ({} reductions tried); wrote {}\n  repro: tenantsim run {} --seed {seed}",
        start.tenants_text(),
        start.duration,
        end.tenants_text(),
        end.duration,
        end.ratio_from(start),
        s.tried,
        out_name,
        shell_quote(&out_name)
    );
    exit::OK
}

//! # Shrinking: the smallest scenario in which an SLO still fails on a seed
//!
//! The engine behind `tenantsim shrink FILE --seed N --slo NAME --out min.toml` (and behind
//! `explore --shrink` and `check --explore`). It does no I/O and runs nothing itself: the
//! caller supplies a [`Judge`] that runs a candidate scenario and says whether the SLO still
//! fails, and is told of every step as it is decided (to print progress).
//!
//! Greedy delta debugging on the scenario's TOML tree. [`prepare`] first folds the variant
//! and `--set` flags into the file (and drops the `[[variants]]`), and writes faults left to
//! the seed (selectors, drawn times; with `--explore`, the schedule `tenantsim explore` drew,
//! `crate::harness::explore_literal`) out as the literal faults the seed drew, so the
//! reductions never re-draw and the result has no draws left. Then [`shrink`] tries
//! reductions ([`candidates`]), cheapest-to-test first — halve the duration (dropping faults
//! that no longer fit), start the faults sooner, drop or halve a cohort, drop a fault, drop a
//! tenant, halve the cells, drop the other SLOs, drop the background jobs — and keeps each
//! one if the file is still valid and the judge says the SLO still fails. Passes repeat until
//! no reduction is kept or the budget of runs is spent.
//!
//! **Guarantees.** Candidates are tried in a fixed order and the first that still fails is
//! kept, so the result, the steps and the number of runs are a function of the document and
//! the judge's answers. A run is counted only for a candidate that loads (an invalid one
//! costs nothing); the budget is checked before each candidate. The result is never larger
//! than the start: every reduction removes or halves something.

mod candidates;
mod prepare;

pub use candidates::candidates;
pub use prepare::{prepare, Drawn, Prepared};

use crate::scenario::{load_str, Scenario};
use sim::SimDuration;
use toml_edit::DocumentMut;

/// How big a scenario is, in the measure shrinking reduces: tenants × simulated minutes.
#[derive(Clone, Debug, PartialEq)]
pub struct Size {
    /// Tenants: individuals plus every cohort's members.
    pub tenants: u64,
    /// Simulated duration.
    pub duration: SimDuration,
    /// Tenants × simulated minutes.
    pub tenant_minutes: f64,
}

impl Size {
    /// The size of `sc`.
    pub fn of(sc: &Scenario) -> Size {
        let cohort_members = sc.cohorts.iter().map(|c| u64::from(c.count));
        let tenant_minutes = (sc.tenants.len() as f64
            + sc.cohorts.iter().map(|c| f64::from(c.count)).sum::<f64>())
            * sc.duration.as_secs_f64()
            / 60.0;
        Size {
            tenants: sc.tenants.len() as u64 + cohort_members.sum::<u64>(),
            duration: sc.duration,
            tenant_minutes,
        }
    }

    /// `N tenants` (or `1 tenant`).
    pub fn tenants_text(&self) -> String {
        if self.tenants == 1 {
            "1 tenant".to_string()
        } else {
            format!("{} tenants", self.tenants)
        }
    }

    /// How many times smaller `self` is than `start` (infinite for an empty result).
    pub fn ratio_from(&self, start: &Size) -> f64 {
        if self.tenant_minutes > 0.0 {
            start.tenant_minutes / self.tenant_minutes
        } else {
            f64::INFINITY
        }
    }
}

/// What became of one tried reduction.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Valid, and the SLO still fails: kept; the new size.
    StillFails(Size),
    /// Valid, but the SLO passed (or the run failed): the previous document is kept.
    Passes,
    /// Not a valid scenario: not run, the previous document is kept.
    Invalid,
}

/// One tried reduction.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// What the reduction does, in words (`drop fault spike`).
    pub what: String,
    /// Runs spent so far, this one included.
    pub runs: usize,
    /// What became of it.
    pub outcome: Outcome,
}

/// What the engine tells its judge as it goes.
#[derive(Debug)]
pub enum Progress<'a> {
    /// The starting document fails: its size.
    Started(&'a Size),
    /// A reduction was tried.
    Step(&'a Step),
    /// The budget of runs is spent; the result is the last kept document.
    BudgetSpent,
}

/// Runs candidates for the engine.
pub trait Judge {
    /// Runs `sc` (the `run`-th run of this shrink, from 1) and says whether the SLO still
    /// fails. A run that cannot complete counts as not failing.
    fn still_fails(&mut self, run: usize, sc: &Scenario) -> bool;

    /// Told of each decision as it is made (to print progress); does nothing by default.
    fn progress(&mut self, _p: Progress<'_>) {}
}

impl<F: FnMut(usize, &Scenario) -> bool> Judge for F {
    fn still_fails(&mut self, run: usize, sc: &Scenario) -> bool {
        self(run, sc)
    }
}

/// What to shrink for.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    /// The file name candidates are loaded under (for error positions; never read).
    pub file: &'a str,
    /// The SLO that must keep failing (other SLOs may be dropped).
    pub slo: &'a str,
    /// Runs the engine may spend, the start's included.
    pub budget: usize,
}

/// The result of a shrink.
#[derive(Debug)]
pub struct Shrunk {
    /// The smallest document found in which the SLO still fails.
    pub doc: DocumentMut,
    /// Size of the start.
    pub start: Size,
    /// Size of the result.
    pub end: Size,
    /// Runs spent, the start's included.
    pub runs: usize,
    /// Reductions tried (valid or not).
    pub tried: usize,
    /// Every tried reduction, in order.
    pub steps: Vec<Step>,
    /// The budget ran out before a pass kept nothing.
    pub budget_spent: bool,
}

/// The starting document does not fail (or is not a valid scenario): nothing to shrink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotFailing;

/// Loads `d` and, if it is valid, asks the judge: the scenario when the SLO still fails.
/// `runs` counts the candidates that loaded.
fn verdict(
    d: &DocumentMut,
    file: &str,
    runs: &mut usize,
    judge: &mut dyn Judge,
) -> Option<Scenario> {
    let sc = load_str(file, &d.to_string(), &[]).ok()?;
    *runs += 1;
    judge.still_fails(*runs, &sc).then_some(sc)
}

/// Shrinks `doc` (a document from [`prepare`]) for `target`, asking `judge` about each
/// candidate. `Err` when the start itself does not fail.
pub fn shrink(
    mut doc: DocumentMut,
    target: &Target<'_>,
    judge: &mut dyn Judge,
) -> Result<Shrunk, NotFailing> {
    let mut runs = 0usize;
    let start = verdict(&doc, target.file, &mut runs, judge).ok_or(NotFailing)?;
    let start = Size::of(&start);
    judge.progress(Progress::Started(&start));
    let (mut end, mut steps, mut budget_spent) = (start.clone(), Vec::new(), false);
    'passes: loop {
        for (what, cand) in candidates(&doc, target.slo) {
            if runs >= target.budget {
                budget_spent = true;
                judge.progress(Progress::BudgetSpent);
                break 'passes;
            }
            let before = runs;
            let outcome = match verdict(&cand, target.file, &mut runs, judge) {
                Some(sc) => Outcome::StillFails(Size::of(&sc)),
                None if runs == before => Outcome::Invalid,
                None => Outcome::Passes,
            };
            let step = Step {
                what,
                runs,
                outcome,
            };
            judge.progress(Progress::Step(&step));
            let kept = match &step.outcome {
                Outcome::StillFails(size) => Some(size.clone()),
                Outcome::Passes | Outcome::Invalid => None,
            };
            steps.push(step);
            if let Some(size) = kept {
                doc = cand;
                end = size;
                continue 'passes;
            }
        }
        break;
    }
    Ok(Shrunk {
        doc,
        start,
        end,
        runs,
        tried: steps.len(),
        steps,
        budget_spent,
    })
}

#[cfg(test)]
mod tests;

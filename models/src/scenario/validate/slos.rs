//! `[[slos]]`: objectives, whom they judge (tiers, tenants, cohorts) and over which window.

use super::super::schema::SloConfig;
use super::super::{parse_window, suggest, Checker, Slo, SloWindow};
use super::{Declared, Names};
use crate::fault::Fault;
use sim::SimTime;
use std::collections::BTreeSet;

/// Checks `[[slos]]` (a window may name a fault); returns the SLOs in file order and the set
/// of their names.
pub(in crate::scenario) fn slos(
    c: &mut Checker,
    raw_slos: &[SloConfig],
    names: &Names,
    known: &Declared,
    (faults, end): (&[Fault], SimTime),
) -> (Vec<Slo>, BTreeSet<String>) {
    let mut slos = Vec::new();
    let mut slo_names = BTreeSet::new();
    for s in raw_slos {
        let name = s.name.get_ref().clone();
        if !slo_names.insert(name.clone()) {
            c.err(
                s.name.span(),
                format!("two SLOs are named `{name}`; names must be unique"),
            );
        }
        let tier_idx = slo_selectors(c, s, &name, names, known);
        let window = slo_window(c, s, (faults, end));
        slos.push(Slo {
            name,
            objective: s.objective.get_ref().clone(),
            tiers: tier_idx,
            tenants: s.tenants.iter().map(|t| t.get_ref().clone()).collect(),
            cohorts: s.cohorts.iter().map(|t| t.get_ref().clone()).collect(),
            exclude: s.exclude.iter().map(|t| t.get_ref().clone()).collect(),
            scope: s.scope,
            window,
            min_requests: s.min_requests.unwrap_or(20),
        });
    }
    (slos, slo_names)
}

/// An SLO's selectors, each declared: its tiers (as indices), and the tenants, excluded
/// tenants and cohorts it names.
fn slo_selectors(
    c: &mut Checker,
    s: &SloConfig,
    name: &str,
    names: &Names,
    known: &Declared,
) -> Vec<usize> {
    let mut tier_idx = Vec::new();
    for t in &s.tiers {
        match names.tier_index(t.get_ref()) {
            Some(i) => tier_idx.push(i),
            None => c.err(t.span(), names.unknown_tier(t.get_ref())),
        }
    }
    for t in s.tenants.iter().chain(&s.exclude) {
        if !known.tenant(t.get_ref()) {
            c.err(
                t.span(),
                format!(
                    "SLO `{name}` names tenant `{}`, which is not declared{}",
                    t.get_ref(),
                    suggest::hint(t.get_ref(), known.ids.iter().map(String::as_str))
                ),
            );
        }
    }
    for co in &s.cohorts {
        if !known.cohort_names.contains(co.get_ref()) {
            c.err(
                co.span(),
                format!(
                    "SLO `{name}` names cohort `{}`, which is not declared{}",
                    co.get_ref(),
                    suggest::hint(co.get_ref(), known.cohort_names.iter().map(String::as_str))
                ),
            );
        }
    }
    tier_idx
}

/// An SLO's window (default: the run): none but the run for a whole-run metric, and a
/// fault it names neither unknown nor started by a condition.
fn slo_window(c: &mut Checker, s: &SloConfig, (faults, end): (&[Fault], SimTime)) -> SloWindow {
    let whole_run_metric = s.objective.get_ref().metric.is_whole_run();
    if let (true, Some(w)) = (whole_run_metric, &s.window) {
        if w.get_ref().trim() != "run" {
            c.err(
                w.span(),
                format!(
                    "`{}` is measured over the whole run; remove `window` (or write `window = \"run\"`)",
                    s.objective.get_ref().text
                ),
            );
        }
    }
    match &s.window {
        None => SloWindow::Run,
        Some(w) => match parse_window(w.get_ref(), faults, end) {
            Ok(win) => {
                super::super::fault_when::slo_window(c, w, &win, faults);
                win
            }
            Err(msg) => {
                c.err(w.span(), msg);
                SloWindow::Run
            }
        },
    }
}

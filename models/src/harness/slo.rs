//! Judging SLOs against what was recorded.
//!
//! An SLO selects tenants (tiers ∩ (ids ∪ cohorts) − excluded; an empty list means "any"),
//! a window, a scope and an objective. Under `each`, every selected tenant with at least
//! `min_requests` requests in the window is judged on its own traffic, and the SLO fails if
//! any one fails: the number that fail is the SLO's *breaches* (not the blast radius, which
//! counts bystanders breaching any SLO: [`crate::harness::blast`]). Under `aggregate`, the
//! selected tenants' traffic is merged and judged once.
//!
//! Latency objectives are judged on successful requests; a tenant with no successful
//! request in the window has no latency to judge (its failures show in `error_rate`).

use crate::population::Population;
use crate::record::{Recorder, Stats};
use crate::scenario::{Metric, Scenario, Slo, SloScope, SloWindow};
use reports::summary::SloRow;

pub use crate::measure::{format_value, worse, NO_SUCCESS};

/// The value of `metric` over `s`, or `None` if there is nothing to measure (see
/// [`Stats::measure`], which the platform's rollout gates use too).
pub fn measure(metric: Metric, s: &Stats) -> Option<f64> {
    s.measure(metric)
}

/// Whether tenant `t` is selected by `slo`.
pub fn selects(slo: &Slo, sc: &Scenario, pop: &Population, t: usize) -> bool {
    let ten = &pop.tenants[t];
    if !slo.tiers.is_empty() && !slo.tiers.contains(&ten.tier) {
        return false;
    }
    if slo.exclude.contains(&ten.id) {
        return false;
    }
    if slo.tenants.is_empty() && slo.cohorts.is_empty() {
        return true;
    }
    slo.tenants.contains(&ten.id)
        || ten
            .cohort
            .is_some_and(|c| slo.cohorts.iter().any(|x| *x == sc.cohorts[c].name))
}

/// Index into [`Recorder::slo_windows`] for a window, `None` for the whole run.
pub fn window_slot(w: &SloWindow, sc: &Scenario, rec: &Recorder) -> Option<usize> {
    if *w == SloWindow::Run {
        return None;
    }
    let iv = w.interval(&sc.faults, sc.duration);
    rec.slo_windows.iter().position(|x| *x == iv)
}

/// The distinct non-run windows of a scenario's SLOs, in first-use order.
pub fn distinct_windows(sc: &Scenario) -> Vec<(sim::SimTime, sim::SimTime)> {
    let mut out = Vec::new();
    for s in &sc.slos {
        if s.window != SloWindow::Run {
            let iv = s.window.interval(&sc.faults, sc.duration);
            if !out.contains(&iv) {
                out.push(iv);
            }
        }
    }
    out
}

fn window_text(w: &SloWindow, sc: &Scenario) -> String {
    let (a, b) = w.interval(&sc.faults, sc.duration);
    let name = match w {
        SloWindow::Run => "run".to_string(),
        SloWindow::During(i) => format!("during:{}", sc.faults[*i].name),
        SloWindow::After(i) => format!("after:{}", sc.faults[*i].name),
        SloWindow::Range(..) => "range".to_string(),
    };
    format!("{name} [{}, {})", a.as_duration(), b.as_duration())
}

/// Judges every SLO. Returns the rows and, per tenant, the names of SLOs it breached.
pub fn evaluate(
    sc: &Scenario,
    pop: &Population,
    rec: &Recorder,
) -> (Vec<SloRow>, Vec<Vec<String>>) {
    debug_assert!(rec.is_settled(), "judged before the recorder was settled");
    let mut breaches = vec![Vec::new(); pop.tenants.len()];
    let mut rows = Vec::with_capacity(sc.slos.len());
    for slo in &sc.slos {
        let slot = window_slot(&slo.window, sc, rec);
        let metric = slo.objective.metric;
        let mut row = SloRow {
            name: slo.name.clone(),
            objective: slo.objective.text.clone(),
            scope: match slo.scope {
                SloScope::Each => "each",
                SloScope::Aggregate => "aggregate",
            }
            .to_string(),
            window: window_text(&slo.window, sc),
            passed: true,
            ..Default::default()
        };
        let selected: Vec<usize> = (0..pop.tenants.len())
            .filter(|&t| selects(slo, sc, pop, t))
            .collect();
        match slo.scope {
            SloScope::Each => judge_each(slo, (rec, slot), pop, &selected, &mut row, &mut breaches),
            SloScope::Aggregate => judge_aggregate(slo, (rec, slot), &selected, &mut row),
        }
        row.measured_text = if row.tenants_judged == 0
            || (row.worst_tenant.is_none() && slo.scope == SloScope::Each)
        {
            "no data".to_string()
        } else {
            format_value(metric, row.measured)
        };
        // Report durations in ms in the JSON.
        if metric.is_duration() {
            row.measured /= 1e6;
        }
        rows.push(row);
    }
    (rows, breaches)
}

/// What tenant `t` recorded in the SLO's window (`slot`; `None`: the whole run).
fn stats_in(rec: &Recorder, slot: Option<usize>, t: usize) -> &Stats {
    match slot {
        None => &rec.tenants[t].run,
        Some(i) => &rec.tenants[t].in_window[i],
    }
}

/// Scope `each`: every selected tenant with enough requests is judged on its own traffic;
/// a breach is added to its `breaches`, and the row keeps the worst tenant's value.
fn judge_each(
    slo: &Slo,
    (rec, slot): (&Recorder, Option<usize>),
    pop: &Population,
    selected: &[usize],
    row: &mut SloRow,
    breaches: &mut [Vec<String>],
) {
    let (metric, cmp, bound) = (slo.objective.metric, slo.objective.cmp, slo.objective.bound);
    let mut worst: Option<(f64, usize)> = None;
    for &t in selected {
        let s = stats_in(rec, slot, t);
        let whole_run = metric.is_whole_run();
        // Job and migration metrics are whole-run tenant counters: judged from
        // the run's record, without the request minimum.
        let s = if whole_run { &rec.tenants[t].run } else { s };
        let value = if !whole_run && s.offered < slo.min_requests {
            None
        } else {
            measure(metric, s)
        };
        let Some(v) = value else {
            row.tenants_without_data += 1;
            continue;
        };
        row.tenants_judged += 1;
        if !cmp.holds(v, bound) {
            row.tenants_breaching += 1;
            breaches[t].push(slo.name.clone());
        }
        let is_worse = match worst {
            None => true,
            Some((w, _)) => worse(cmp, bound, v, w),
        };
        if is_worse {
            worst = Some((v, t));
        }
    }
    row.passed = row.tenants_breaching == 0;
    if let Some((v, t)) = worst {
        row.measured = v;
        row.worst_tenant = Some(pop.tenants[t].id.clone());
    }
}

/// Scope `aggregate`: the selected tenants' traffic merged and judged once.
fn judge_aggregate(
    slo: &Slo,
    (rec, slot): (&Recorder, Option<usize>),
    selected: &[usize],
    row: &mut SloRow,
) {
    let mut all = Stats::default();
    for &t in selected {
        all.merge(stats_in(rec, slot, t));
    }
    row.tenants_judged = selected.len() as u64;
    match measure(slo.objective.metric, &all) {
        Some(v) => {
            row.measured = v;
            row.passed = slo.objective.cmp.holds(v, slo.objective.bound);
            if !row.passed {
                row.tenants_breaching = selected.len() as u64;
            }
        }
        None => row.tenants_without_data = selected.len() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Cmp;

    /// Goal: the worst tenant of a failing SLO is a failing tenant, for every operator.
    /// Method: replay the worst-so-far fold of `evaluate` over tenants measuring 0, 2, 5
    /// against each operator and bound, and check the pick fails whenever any value fails
    /// (and, for `==`, that it is the farthest from the bound: `dlq == 0` once named the
    /// tenant with 0 dead letters).
    #[test]
    fn the_worst_tenant_fails_when_any_fails() {
        let pick = |cmp: Cmp, bound: f64, vals: &[f64]| -> f64 {
            let mut worst: Option<f64> = None;
            for &v in vals {
                if worst.is_none_or(|w| worse(cmp, bound, v, w)) {
                    worst = Some(v);
                }
            }
            worst.unwrap_or(f64::NAN)
        };
        let vals = [0.0, 2.0, 5.0];
        for cmp in [Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge, Cmp::Eq] {
            for bound in [-1.0, 0.0, 1.0, 2.0, 3.0, 5.0, 6.0] {
                let w = pick(cmp, bound, &vals);
                let any_fails = vals.iter().any(|&v| !cmp.holds(v, bound));
                assert_eq!(
                    !cmp.holds(w, bound),
                    any_fails,
                    "{} {bound}: picked {w}",
                    cmp.symbol()
                );
            }
        }
        assert_eq!(pick(Cmp::Eq, 0.0, &vals), 5.0);
        assert_eq!(pick(Cmp::Eq, 2.0, &[2.0, 1.0, 5.0]), 5.0);
        assert_eq!(pick(Cmp::Eq, 2.0, &[2.0, 2.0]), 2.0);
        assert_eq!(pick(Cmp::Le, 3.0, &vals), 5.0);
        assert_eq!(pick(Cmp::Ge, 3.0, &vals), 0.0);
        assert_eq!(pick(Cmp::Gt, -1.0, &vals), 0.0);
    }
}

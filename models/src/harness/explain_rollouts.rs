//! Staged rollouts in `explain`: which waves of which rollouts reached the tenants of a
//! failing interval ("wave 3 `cell-1` of rollout add-index (40 tenants: …) started at 2m30s").
//!
//! **Which waves are named.** A wave that started before the interval's end (from
//! `rollouts` of the run's summary) and changed a breaching tenant or a tenant placed on
//! one of the breaching tenants' cells (its cell-mates: a migration's DB load or a deploy's
//! restart hurts them too). A rollout that rolled back before the interval began is left
//! out (its changes were undone). The wave's tenants are the plan the engine ran
//! ([`crate::platform::rollout::planned_tenants`]: a pure function of the scenario and the
//! population), so nothing is re-run. Waves are listed in rollout and wave order, most
//! [`MAX_NAMED`] of them, then a count of the rest.
//!
//! Guarantees: no run, no random draw; a scenario without rollouts names nothing.

use crate::population::Population;
use crate::scenario::Scenario;
use reports::summary::RolloutRow;
use sim::{SimDuration, SimTime};

/// Most waves named per interval.
pub const MAX_NAMED: usize = 6;

/// Tenant ids shown per wave.
const IDS_SHOWN: usize = 4;

/// The waves behind a failing interval `bad` whose breaching tenants are `breaching`
/// (population indices) on `cells`, in words.
pub fn waves_behind(
    sc: &Scenario,
    pop: &Population,
    rows: &[RolloutRow],
    breaching: &[usize],
    cells: &[(u32, usize)],
    bad: (SimTime, SimTime),
) -> Vec<String> {
    if rows.is_empty() || sc.rollouts.is_empty() {
        return Vec::new();
    }
    let planned = crate::platform::rollout::planned_tenants(sc, pop);
    let n = pop.tenants.len();
    let mut is_breaching = vec![false; n];
    for &t in breaching {
        if t < n {
            is_breaching[t] = true;
        }
    }
    let bad_cell = |c: u32| cells.iter().any(|x| x.0 == c);
    let (from, to) = (bad.0.as_secs_f64(), bad.1.as_secs_f64());
    let mut out = Vec::new();
    let mut more = 0usize;
    for (row, waves) in rows.iter().zip(&planned) {
        let undone_before =
            matches!(row.outcome.as_str(), "rolled_back") && row.end_s.is_some_and(|e| e < from);
        if undone_before {
            continue;
        }
        for (k, w) in row.waves.iter().enumerate() {
            if w.start_s > to {
                continue;
            }
            let Some(tenants) = waves.get(k) else {
                continue;
            };
            let hit = tenants
                .iter()
                .filter(|&&t| is_breaching[t as usize])
                .count();
            let mates = tenants
                .iter()
                .any(|&t| bad_cell(pop.tenants[t as usize].cell));
            if hit == 0 && !mates {
                continue;
            }
            if out.len() >= MAX_NAMED {
                more += 1;
                continue;
            }
            out.push(describe(row, k, tenants, pop, hit));
        }
    }
    if more > 0 {
        out.push(format!("… and {more} more wave(s)"));
    }
    out
}

fn describe(row: &RolloutRow, k: usize, tenants: &[u32], pop: &Population, hit: usize) -> String {
    let w = &row.waves[k];
    let at = |s: f64| SimDuration::from_secs_f64(s).to_string();
    let ids: Vec<&str> = tenants
        .iter()
        .take(IDS_SHOWN)
        .map(|&t| pop.tenants[t as usize].id.as_str())
        .collect();
    let rest = tenants.len().saturating_sub(IDS_SHOWN);
    let end = match w.end_s {
        Some(e) => format!(", ended at {}", at(e)),
        None => ", still running at the end".to_string(),
    };
    let halted = if row.first_bad_wave.as_deref() == Some(w.name.as_str()) {
        match (&row.tripped_by, row.tripped_at_s) {
            (Some(by), Some(t)) => format!("; its gate tripped on `{by}` at {}", at(t)),
            _ => String::new(),
        }
    } else {
        String::new()
    };
    let why = if hit > 0 {
        format!("{hit} of the breaching tenants changed in it")
    } else {
        "it changed cell-mates of the breaching tenants".to_string()
    };
    format!(
        "wave {} `{}` of rollout {} ({}; {} tenant(s): {}{}) started at {}{}{}: {}",
        k + 1,
        w.name,
        row.name,
        row.change,
        tenants.len(),
        ids.join(", "),
        if rest > 0 {
            format!(" and {rest} more")
        } else {
            String::new()
        },
        at(w.start_s),
        end,
        halted,
        why
    )
}

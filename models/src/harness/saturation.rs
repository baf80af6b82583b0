//! # The saturated resource at an explored run's first violation
//!
//! A failure signature (`explore`) names what failed *and* what ran out: two runs that fail
//! the same SLO because the DB pool saturated and because the edge limit throttled are
//! different bugs. This module finds, from what the run recorded, the first violation and
//! the resource saturated then.
//!
//! **The first violation** is the first recording window (`window`, default 1 s), at or
//! after the start of the first drawn fault, in which the traffic the failed SLOs judge (their
//! cohorts, else their tenants, else their tiers; every tier when none failed) either failed
//! at least [`FAILED_SHARE`] of the requests it answered (shed, 5xx, timeouts), or had a
//! group whose p99 passed the heat threshold (the latency above which a request counts as
//! bad). A run without such a window has no violation to explain (no resource).
//!
//! **The saturated resource** in that window. Cells are looked at in this order: those a
//! drawn fault active in the window names, then those another active fault names, then the
//! rest, by number; on each, in the order in which a request waits on them (a worker waiting
//! on a slow DB is busy because of the DB):
//!
//! | resource | saturated when | from |
//! |---|---|---|
//! | `db_pool` | the cell's DB had queries waiting for a connection, or ran at ≥ 95% of the cores in force (a `db_degraded` fault lowers them), or its breaker was open | the cell samples of the window |
//! | `dependency` / `kms` | the cell's workers or queue are saturated (below) while the run had shared-dependency refusals or time-outs / KMS failures | the run's counters |
//! | `cell_workers` | every worker of the cell was busy with requests waiting (or none was left) | the cell samples |
//! | `cell_queue` | the cell's queue held ≥ 90% of `queue_limit` | the cell samples |
//!
//! When no cell is saturated: `dependency` or `kms` if the run had such failures, else
//! `edge_limit` if ≥ 10% of the judged groups' requests in the window were rejected 429,
//! else `none`.
//!
//! *Approximation:* the model records cell workers, queue and DB per window, but KMS and
//! dependency use only as run totals, so those two are named from the run's counters.

use crate::harness::run::RunOutput;
use crate::scenario::Scenario;

/// Share of answered requests failing (shed, 5xx, timeouts) that makes a window a violation.
pub const FAILED_SHARE: f64 = 0.05;

/// The saturated resource at the first violation.
#[derive(Clone, Debug, PartialEq)]
pub struct Saturation {
    /// Start of the first violating window (s).
    pub at_s: f64,
    /// The resource (`db_pool`, `dependency`, `kms`, `cell_workers`, `cell_queue`,
    /// `edge_limit`, `none`).
    pub resource: &'static str,
    /// The saturated cell, for a cell's resource.
    pub cell: Option<u32>,
}

impl Saturation {
    /// In words: `db_pool (cell 2) at 41.0s`.
    pub fn describe(&self) -> String {
        match self.cell {
            Some(c) => format!("{} (cell {c}) at {:.1}s", self.resource, self.at_s),
            None => format!("{} at {:.1}s", self.resource, self.at_s),
        }
    }
}

/// The first violation at or after `from_s` and the resource saturated then; `None`
/// without a violating window.
pub fn at_first_violation(sc: &Scenario, out: &RunOutput, from_s: f64) -> Option<Saturation> {
    let series = &out.series;
    let ws = series.window_s;
    if ws <= 0.0 || series.windows == 0 {
        return None;
    }
    let groups = judged_groups(sc, out);
    let first = ((from_s / ws).floor() as usize).min(series.windows);
    let slow = series.heatmap.threshold_ms;
    let w = (first..series.windows).find(|&w| {
        let (mut failed, mut answered) = (0u64, 0u64);
        let mut too_slow = false;
        for g in &groups {
            let Some(p) = g.points.get(w) else { continue };
            failed += p.shed_503 + p.errors_5xx + p.timeouts;
            answered += p.ok + p.rejected_429 + p.shed_503 + p.errors_5xx + p.timeouts;
            too_slow |= slow > 0.0 && p.p99_ms.is_some_and(|v| v > slow);
        }
        too_slow || (answered > 0 && failed as f64 >= FAILED_SHARE * answered as f64)
    })?;
    let at_s = w as f64 * ws;
    let found = |resource, cell| {
        Some(Saturation {
            at_s,
            resource,
            cell,
        })
    };
    let (w_from, w_to) = (at_s, at_s + ws);
    let active: Vec<(&crate::fault::Fault, bool)> = sc
        .faults
        .iter()
        .zip(&out.summary.faults)
        .filter(|(_, row)| row.start_s < w_to && row.end_s > w_from)
        .map(|(f, row)| (f, row.name.starts_with(crate::harness::explore::PREFIX)))
        .collect();
    // Cells a drawn fault active in the window names come first, then those another active
    // fault names, then the others; by number within each.
    let rank = |cell: u32| {
        let named = |drawn: bool| {
            active
                .iter()
                .any(|(f, d)| *d == drawn && f.kind.targets().cells.contains(&cell))
        };
        if named(true) {
            0
        } else if named(false) {
            1
        } else {
            2
        }
    };
    let mut cells: Vec<&reports::series::CellSeries> = series.cells.iter().collect();
    cells.sort_by_key(|c| (rank(c.cell), c.cell));
    // The DB capacity in force on `cell` in the window (a `db_degraded` fault lowers it).
    let capacity = |cell: u32| {
        active
            .iter()
            .filter_map(|(f, _)| match &f.kind {
                crate::fault::FaultKind::DbDegraded { cells, capacity }
                    if cells.contains(&cell) =>
                {
                    Some(*capacity)
                }
                _ => None,
            })
            .fold(1.0f64, f64::min)
    };
    let s = &out.summary;
    let global = if s
        .control
        .dependencies
        .iter()
        .any(|d| d.busy_refused + d.quota_refused + d.timed_out > 0)
    {
        Some("dependency")
    } else if s.control.kms_failures > 0 {
        Some("kms")
    } else {
        None
    };
    let limit = u64::from(sc.platform.queue_limit);
    for c in &cells {
        let Some(p) = c.points.get(w) else { continue };
        if p.breaker_open || p.db_waiting > 0 || p.db_utilisation >= 0.95 * capacity(c.cell) {
            return found("db_pool", Some(c.cell));
        }
        let workers = p.workers == 0 || (p.workers_busy >= p.workers && p.queue_depth > 0);
        let queue = limit > 0 && u64::from(p.queue_depth) * 10 >= limit * 9;
        if (workers || queue) && global.is_some() {
            // The workers are busy waiting on the shared service.
            return found(global.unwrap_or("none"), None);
        }
        if workers {
            return found("cell_workers", Some(c.cell));
        }
        if queue {
            return found("cell_queue", Some(c.cell));
        }
    }
    if let Some(g) = global {
        return found(g, None);
    }
    let (mut r429, mut offered) = (0u64, 0u64);
    for g in &groups {
        if let Some(p) = g.points.get(w) {
            r429 += p.rejected_429;
            offered += p.offered;
        }
    }
    if offered > 0 && r429 * 10 >= offered {
        return found("edge_limit", None);
    }
    found("none", None)
}

/// The series groups the run's failed SLOs judge (their cohorts, else their tenants, else
/// their tiers, else every tier); every tier when no SLO failed.
fn judged_groups<'a>(sc: &Scenario, out: &'a RunOutput) -> Vec<&'a reports::series::GroupSeries> {
    let groups = &out.series.groups;
    let tiers = || {
        groups
            .iter()
            .filter(|g| g.kind == "tier")
            .collect::<Vec<_>>()
    };
    let mut picked: Vec<&reports::series::GroupSeries> = Vec::new();
    let mut add = |kind: &str, name: &str| {
        if let Some(g) = groups.iter().find(|g| g.kind == kind && g.name == name) {
            if !picked.iter().any(|p| std::ptr::eq(*p, g)) {
                picked.push(g);
            }
        }
    };
    let failed = sc.slos.iter().filter(|slo| {
        out.summary
            .slos
            .iter()
            .any(|r| r.name == slo.name && !r.passed)
    });
    for slo in failed {
        if !slo.cohorts.is_empty() {
            slo.cohorts.iter().for_each(|c| add("cohort", c));
        } else if !slo.tenants.is_empty() {
            slo.tenants.iter().for_each(|t| add("tenant", t));
        } else if !slo.tiers.is_empty() {
            for &t in &slo.tiers {
                if let Some(tier) = sc.tiers.get(t) {
                    add("tier", &tier.name);
                }
            }
        } else {
            for g in tiers() {
                add("tier", &g.name);
            }
        }
    }
    if picked.is_empty() {
        tiers()
    } else {
        picked
    }
}

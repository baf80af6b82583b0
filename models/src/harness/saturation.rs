//! # The saturated resource at an explored run's first violation
//!
//! A failure signature (`explore`) names what failed *and* what ran out: two runs that fail
//! the same SLO because the DB pool saturated and because the edge limit throttled are
//! different bugs. This module finds, from what the run recorded, the first violation and
//! the resource saturated then.
//!
//! **The first violation** is the first recording window (`window`, default 1 s), at or
//! after the start of the first drawn fault, in which the platform (every tier summed) either
//! failed at least [`FAILED_SHARE`] of the requests it answered (shed, 5xx, timeouts), or
//! had a tier whose p99 passed the heat threshold (the latency above which a request counts
//! as bad). A run without such a window has no violation to explain (`none`).
//!
//! **The saturated resource** in that window, the first that holds in this order (the order
//! in which a request waits on them: a worker waiting on a slow DB is busy because of the DB):
//!
//! | resource | saturated when | from |
//! |---|---|---|
//! | `db_pool` | a cell's DB had queries waiting for a connection, or ran at ≥ 95% of the cores in force (a `db_degraded` fault lowers them), or its breaker was open | the cell samples of the window |
//! | `dependency` | a shared dependency refused (busy, quota) or timed out calls | the run's dependency counters |
//! | `kms` | KMS calls failed | the run's KMS counter |
//! | `cell_workers` | every worker of a cell was busy with requests waiting (or none was left) | the cell samples |
//! | `cell_queue` | a cell's queue held ≥ 90% of `queue_limit` | the cell samples |
//! | `edge_limit` | ≥ 10% of the window's requests were rejected 429 | the tier series |
//! | `none` | none of these | |
//!
//! *Approximation:* the model records cell workers, queue and DB per window, but KMS and
//! dependency use only as run totals; they are named when the run had any such failure and
//! no DB saturated first. Cells are looked at in this order: those a fault active in the
//! window names, then the others, each by number; the first saturated one is named.

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
    let tiers: Vec<_> = series.groups.iter().filter(|g| g.kind == "tier").collect();
    let first = ((from_s / ws).floor() as usize).min(series.windows);
    let slow = series.heatmap.threshold_ms;
    let w = (first..series.windows).find(|&w| {
        let (mut failed, mut answered) = (0u64, 0u64);
        let mut too_slow = false;
        for g in &tiers {
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
    // Cells named by a fault active in the window come first, then the others in order.
    let (w_from, w_to) = (at_s, at_s + ws);
    let active = |cell: u32| {
        sc.faults.iter().zip(&out.summary.faults).any(|(f, row)| {
            row.start_s < w_to && row.end_s > w_from && f.kind.targets().cells.contains(&cell)
        })
    };
    let mut cells: Vec<&reports::series::CellSeries> = series.cells.iter().collect();
    cells.sort_by_key(|c| (!active(c.cell), c.cell));
    // The DB capacity in force on `cell` in the window (a `db_degraded` fault lowers it).
    let capacity = |cell: u32| {
        sc.faults
            .iter()
            .zip(&out.summary.faults)
            .filter(|(_, row)| row.start_s < w_to && row.end_s > w_from)
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
    let cell_where = |f: &dyn Fn(u32, &reports::series::CellPoint) -> bool| {
        cells
            .iter()
            .find(|c| c.points.get(w).is_some_and(|p| f(c.cell, p)))
            .map(|c| c.cell)
    };
    if let Some(c) = cell_where(&|cell, p| {
        p.breaker_open || p.db_waiting > 0 || p.db_utilisation >= 0.95 * capacity(cell)
    }) {
        return found("db_pool", Some(c));
    }
    let s = &out.summary;
    if s.control
        .dependencies
        .iter()
        .any(|d| d.busy_refused + d.quota_refused + d.timed_out > 0)
    {
        return found("dependency", None);
    }
    if s.control.kms_failures > 0 {
        return found("kms", None);
    }
    if let Some(c) =
        cell_where(&|_, p| p.workers == 0 || (p.workers_busy >= p.workers && p.queue_depth > 0))
    {
        return found("cell_workers", Some(c));
    }
    let limit = u64::from(sc.platform.queue_limit);
    if limit > 0 {
        if let Some(c) = cell_where(&|_, p| u64::from(p.queue_depth) * 10 >= limit * 9) {
            return found("cell_queue", Some(c));
        }
    }
    let (mut r429, mut offered) = (0u64, 0u64);
    for g in &tiers {
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

//! Time series of a run: per group (tier, cohort, watched tenant) and per cell, one point
//! per recording window; and the tenant × time heatmap.
//!
//! Plain data, written to `timeseries.csv` and drawn by the charts. A request belongs to the
//! window in which it was sent. Latency figures are of successful requests, in ms; a window
//! with no successful request has `None`.

use serde::{Deserialize, Serialize};

/// One window of one group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupPoint {
    /// Requests sent in the window.
    pub offered: u64,
    /// Answered OK.
    pub ok: u64,
    /// 429s.
    pub rejected_429: u64,
    /// 503s (shed).
    pub shed_503: u64,
    /// Other 5xx.
    pub errors_5xx: u64,
    /// Client timeouts.
    pub timeouts: u64,
    /// Attempts made for requests sent in the window.
    pub attempts: u64,
    /// Median latency (ms).
    pub p50_ms: Option<f64>,
    /// 99th percentile (ms).
    pub p99_ms: Option<f64>,
    /// 99.9th percentile (ms).
    pub p999_ms: Option<f64>,
}

/// The series of one group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupSeries {
    /// `tier`, `cohort` or `tenant`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// One point per window.
    pub points: Vec<GroupPoint>,
}

/// One window of one cell (a snapshot at the window's end; utilisation over the window).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CellPoint {
    /// Requests waiting in the cell queue.
    pub queue_depth: u32,
    /// Busy workers.
    pub workers_busy: u32,
    /// Workers available.
    pub workers: u32,
    /// DB utilisation over the window (0..1).
    pub db_utilisation: f64,
    /// Queries waiting for a DB connection.
    pub db_waiting: u32,
    /// Whether a DB breaker of the cell was open.
    pub breaker_open: bool,
}

/// The series of one cell.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CellSeries {
    /// Cell index.
    pub cell: u32,
    /// One point per window.
    pub points: Vec<CellPoint>,
}

/// Tenants × heat windows: the fraction of each tenant's requests that went badly (failed
/// other than by its own 429s, or slower than the threshold). Rows are grouped by cell.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Heatmap {
    /// Length of a heat window (s).
    pub window_s: f64,
    /// Latency above which a successful request counts as bad (ms).
    pub threshold_ms: f64,
    /// Row labels: tenant ids, sorted by cell then declaration order.
    pub tenants: Vec<String>,
    /// Cell of each row.
    pub cells: Vec<u32>,
    /// Row-major: `bad[row * windows + w]` = bad fraction in 0..1, or `None` without requests.
    pub bad: Vec<Option<f32>>,
    /// Heat windows.
    pub windows: usize,
}

/// Everything time-shaped a run recorded.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Recording window (s).
    pub window_s: f64,
    /// Number of windows.
    pub windows: usize,
    /// Group series.
    pub groups: Vec<GroupSeries>,
    /// Cell series.
    pub cells: Vec<CellSeries>,
    /// The heatmap.
    pub heatmap: Heatmap,
}

impl Series {
    /// The group series worth showing: every group except a tier with no tenants (its
    /// all-zero series would put a legend entry and empty rows on a reader's page). A tier
    /// has tenants when `summary.tiers` lists it with at least one (the summary leaves out
    /// tiers without tenants); a summary with no tiers at all (library use) hides nothing.
    pub fn shown_groups<'a>(
        &'a self,
        summary: &'a crate::summary::RunSummary,
    ) -> impl Iterator<Item = &'a GroupSeries> + 'a {
        self.groups.iter().filter(move |g| {
            g.kind != "tier"
                || summary.tiers.is_empty()
                || summary
                    .tiers
                    .iter()
                    .any(|t| t.name == g.name && t.tenants > 0)
        })
    }
}

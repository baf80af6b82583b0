//! Waiting times of a run: how long attempts waited in a cell's request queue for a worker,
//! and how long their queries waited for a connection of the cell's DB pool — per tier, per
//! cell and in total. These are the quantities queueing theory predicts (Erlang C gives the
//! probability of waiting and the mean wait of an M/M/c queue), readable without a trace.
//!
//! Plain recorded data (`summary.json`'s `waits`): the model fills it in, this crate only
//! serialises and documents it (`reports/README.md`, "WaitsRow").
//!
//! **What is counted.** Queue: every attempt that got a worker, one value per attempt (an
//! attempt shed or timed out in the queue never got one and is not counted). DB connection:
//! every query of a request attempt on the cell's primary DB, one value per query; a query
//! that gave up on the acquire timeout counts the whole time it waited. Queries of
//! background jobs and replicated writes, reads sent to a replica, and waits for a
//! bulkhead's connection share are not counted.
//!
//! **Precision.** `count`, `mean_ms` and `p_wait` are exact; `p50_ms` and `p99_ms` come from
//! the log-bucketed histogram, within 1/128 ≈ 0.8% of the exact value.

use crate::terminal::{ms, pct};
use serde::{Deserialize, Serialize};

/// One kind of wait over a group of attempts or queries.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WaitStats {
    /// Values: attempts that got a worker (queue) or queries (DB connection).
    pub count: u64,
    /// Mean wait (ms, exact); 0 without values.
    pub mean_ms: f64,
    /// Median wait (ms); 0 without values.
    pub p50_ms: f64,
    /// 99th percentile of the wait (ms); 0 without values.
    pub p99_ms: f64,
    /// Fraction of values that waited at all (wait > 0), 0..1; 0 without values.
    pub p_wait: f64,
}

/// The waits of one tier (or `all`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupWaits {
    /// Tier name, or `all`.
    pub name: String,
    /// Wait in a cell's request queue for a worker.
    pub queue: WaitStats,
    /// Wait for a connection of the cell's DB pool.
    pub db_connection: WaitStats,
}

/// The waits at one cell.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CellWaits {
    /// Cell index.
    pub cell: u32,
    /// Wait in the cell's request queue for a worker.
    pub queue: WaitStats,
    /// Wait for a connection of the cell's DB pool.
    pub db_connection: WaitStats,
}

/// Every wait of a run: in total, per tier (the tiers that have tenants, in file order) and
/// per cell (every cell, by index).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WaitsRow {
    /// All attempts and queries.
    pub total: GroupWaits,
    /// Per tier.
    pub tiers: Vec<GroupWaits>,
    /// Per cell.
    pub cells: Vec<CellWaits>,
}

impl WaitsRow {
    /// The terminal summary's line of total waits: `waits: queue mean 0.42ms, p99 12.3ms,
    /// P(wait>0) 25.00%; DB connection mean …`; `None` when no attempt got a worker.
    pub fn terminal_line(&self) -> Option<String> {
        let q = &self.total.queue;
        if q.count == 0 {
            return None;
        }
        let part = |name: &str, w: &WaitStats| {
            format!(
                "{name} mean {}, p99 {}, P(wait>0) {}",
                ms(w.mean_ms),
                ms(w.p99_ms),
                pct(w.p_wait)
            )
        };
        let mut s = format!("waits: {}", part("queue", q));
        let d = &self.total.db_connection;
        if d.count > 0 {
            s.push_str("; ");
            s.push_str(&part("DB connection", d));
        }
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: the terminal line shows both waits when there are queries, only the queue's
    /// without, and nothing when nothing was served.
    #[test]
    fn terminal_line_names_what_was_measured() {
        let mut w = WaitsRow::default();
        assert_eq!(w.terminal_line(), None);
        w.total.queue = WaitStats {
            count: 10,
            mean_ms: 1.5,
            p50_ms: 0.0,
            p99_ms: 12.0,
            p_wait: 0.25,
        };
        assert_eq!(
            w.terminal_line().as_deref(),
            Some("waits: queue mean 1.50ms, p99 12.0ms, P(wait>0) 25.00%")
        );
        w.total.db_connection = WaitStats {
            count: 20,
            mean_ms: 0.0,
            p50_ms: 0.0,
            p99_ms: 0.0,
            p_wait: 0.0,
        };
        assert!(w.terminal_line().is_some_and(
            |l| l.ends_with("; DB connection mean 0.00ms, p99 0.00ms, P(wait>0) 0.00%")
        ));
    }
}

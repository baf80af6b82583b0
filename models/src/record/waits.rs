//! Recording of waits per cell and per tier: the request queue's wait for a worker and the
//! wait of request queries for a connection of the cell's DB pool.
//!
//! **What it keeps.** One [`LogHistogram`] per cell for each wait and one per tier for the
//! DB-connection wait, all created with the recorder (a fixed number: cells and tiers are
//! known at build time); each allocates its bucket range once, on its first values, and
//! records without allocating after that. The per-tier queue wait is not recorded twice: it
//! is merged from the tenants' own queue-wait histograms at the end of the run.
//!
//! **What it guarantees.** Recording touches no RNG stream and schedules nothing, so it
//! changes no digest and no event count. Every queue wait recorded per tenant is recorded at
//! exactly one cell, so the cells' counts add up to the tenants'.

use super::Recorder;
use reports::waits::{CellWaits, GroupWaits, WaitStats, WaitsRow};
use sim::{LogHistogram, SimDuration};

/// Per-cell and per-tier wait histograms (ns).
#[derive(Clone, Debug, Default)]
pub struct Waits {
    /// Per cell: the wait in its request queue of every attempt that got a worker.
    pub cell_queue: Vec<LogHistogram>,
    /// Per cell: the wait for a connection of every request query on its primary DB.
    pub cell_db: Vec<LogHistogram>,
    /// Per tier: the same DB-connection waits, by the tier of the query's tenant.
    pub tier_db: Vec<LogHistogram>,
}

impl Waits {
    /// Empty histograms for `cells` cells and `tiers` tiers.
    pub fn new(cells: usize, tiers: usize) -> Waits {
        Waits {
            cell_queue: vec![LogHistogram::new(); cells],
            cell_db: vec![LogHistogram::new(); cells],
            tier_db: vec![LogHistogram::new(); tiers],
        }
    }
}

impl Recorder {
    /// An attempt at `cell` waited `wait` in its queue before a worker took it (see
    /// [`Recorder::queue_wait`] for the per-tenant record of the same wait).
    #[inline]
    pub fn cell_queue_wait(&mut self, cell: u32, wait: SimDuration) {
        if let Some(h) = self.waits.cell_queue.get_mut(cell as usize) {
            h.record(wait.as_nanos());
        }
    }

    /// A query of `tenant`'s attempt at `cell` waited `wait` for a DB connection (for an
    /// acquire timeout: the whole time it waited in vain).
    #[inline]
    pub fn db_wait(&mut self, tenant: u32, cell: u32, wait: SimDuration) {
        let ns = wait.as_nanos();
        if let Some(h) = self.waits.cell_db.get_mut(cell as usize) {
            h.record(ns);
        }
        let tier = self.tenant_tier.get(tenant as usize).copied();
        if let Some(h) = tier.and_then(|t| self.waits.tier_db.get_mut(t as usize)) {
            h.record(ns);
        }
    }

    /// The run's waits for `summary.json`: the tiers named in `tiers` (index, name; the
    /// tiers that have tenants, in file order), every cell, and the total.
    pub fn waits_row(&self, tiers: &[(usize, &str)]) -> WaitsRow {
        let n_tiers = self.waits.tier_db.len();
        let mut tier_queue = vec![LogHistogram::new(); n_tiers];
        for (t, rec) in self.tenants.iter().enumerate() {
            if let Some(h) = tier_queue.get_mut(self.tenant_tier[t] as usize) {
                h.merge(&rec.run.queue_wait);
            }
        }
        let mut total_queue = LogHistogram::new();
        let mut total_db = LogHistogram::new();
        for (q, d) in self.waits.cell_queue.iter().zip(&self.waits.cell_db) {
            total_queue.merge(q);
            total_db.merge(d);
        }
        let empty = LogHistogram::new();
        WaitsRow {
            total: GroupWaits {
                name: "all".to_string(),
                queue: wait_stats(&total_queue),
                db_connection: wait_stats(&total_db),
            },
            tiers: tiers
                .iter()
                .map(|&(i, name)| GroupWaits {
                    name: name.to_string(),
                    queue: wait_stats(tier_queue.get(i).unwrap_or(&empty)),
                    db_connection: wait_stats(self.waits.tier_db.get(i).unwrap_or(&empty)),
                })
                .collect(),
            cells: self
                .waits
                .cell_queue
                .iter()
                .zip(&self.waits.cell_db)
                .enumerate()
                .map(|(c, (q, d))| CellWaits {
                    cell: c as u32,
                    queue: wait_stats(q),
                    db_connection: wait_stats(d),
                })
                .collect(),
        }
    }
}

/// Mean, p50, p99 and P(wait > 0) of a histogram of waits in ns (all 0 when it is empty).
pub fn wait_stats(h: &LogHistogram) -> WaitStats {
    let n = h.count();
    if n == 0 {
        return WaitStats::default();
    }
    // Values below 64 ns have a bucket each, so the zeros are counted exactly.
    let zeros = h.count_at_most(0);
    WaitStats {
        count: n,
        mean_ms: h.mean() / 1e6,
        p50_ms: h.quantile(0.5) as f64 / 1e6,
        p99_ms: h.quantile(0.99) as f64 / 1e6,
        p_wait: (n - zeros) as f64 / n as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: P(wait > 0) counts exactly the values above zero, even 1 ns; the mean is exact.
    /// Method: 6 zeros, one 1 ns and three 3 ms waits: P = 4/10, mean = 9,000,001/10 ns.
    #[test]
    fn wait_stats_counts_zeros_exactly() {
        let mut h = LogHistogram::new();
        h.record_n(0, 6);
        h.record(1);
        h.record_n(3_000_000, 3);
        let w = wait_stats(&h);
        assert_eq!(w.count, 10);
        assert!((w.p_wait - 0.4).abs() < 1e-12, "{}", w.p_wait);
        assert!((w.mean_ms - 0.9000001).abs() < 1e-9, "{}", w.mean_ms);
        assert_eq!(w.p50_ms, 0.0);
        assert!((w.p99_ms - 3.0).abs() <= 3.0 / 128.0, "{}", w.p99_ms);
        assert_eq!(wait_stats(&LogHistogram::new()), WaitStats::default());
    }
}

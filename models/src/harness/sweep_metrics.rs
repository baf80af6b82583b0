//! # A run reduced to the numbers a comparison needs
//!
//! `tenantsim compare` sweeps variants × seeds and compares variants seed by seed; each run
//! of the grid is reduced here to a [`RunMetrics`] (defined, with every metric's meaning, in
//! `reports::comparison`), which is all the comparison, its shards and its merge keep.
//!
//! **Guarantees.** [`metrics_of`] is a pure function of the scenario, the variant index, the
//! seed and the run's output, so a grid run on one machine, on many threads, or in shards
//! merged later gives the same metrics. Bystanders and the blast radius are
//! [`crate::harness::blast`]'s one definition (tenants no fault names); nothing here
//! re-derives a fault's targets.

use crate::harness::blast;
use crate::harness::run::RunOutput;
use crate::scenario::Scenario;
use reports::compare::RunMetrics;
use reports::series::Series;
use reports::summary::{RunSummary, TenantRow};

/// Successful requests a bystander needs for its p99 to count as its worst-case latency.
pub const MIN_OK_FOR_P99: u64 = 50;

/// Reduces a run to the numbers a comparison needs (see [`RunMetrics`] for definitions).
pub fn metrics_of(sc: &Scenario, variant: usize, seed: u64, out: &RunOutput) -> RunMetrics {
    let s = &out.summary;
    let targets = blast::fault_targets(&sc.faults);
    let bystanders: Vec<&TenantRow> = s
        .tenants
        .iter()
        .filter(|t| blast::is_bystander(&t.id, &targets))
        .collect();
    let hosting = hosting_cells(s, sc.platform.cells);
    RunMetrics {
        variant,
        seed,
        passed: s.passed,
        slos_failed: s.slos.iter().filter(|r| !r.passed).count() as u32,
        blast_radius: blast::blast_radius(&s.tenants, &targets),
        worst_bystander_p99_ms: worst_p99_ms(&bystanders),
        bystander_error_pct: error_pct(&bystanders),
        util_spread_pp: util_spread_pp(&out.series, &hosting),
        amplification: amplification(s),
        cells_used: hosting.iter().filter(|&&h| h).count() as u32,
        workload_digest: workload_digest(s),
        digest: s.digest.clone(),
        cost: s.showback.as_ref().map(|b| b.total.cost),
    }
}

/// Highest p99 (ms) among `tenants` with at least [`MIN_OK_FOR_P99`] successes; 0 if none.
fn worst_p99_ms(tenants: &[&TenantRow]) -> f64 {
    tenants
        .iter()
        .filter(|t| t.outcomes.ok >= MIN_OK_FOR_P99)
        .map(|t| t.p99_ms)
        .fold(0.0f64, f64::max)
}

/// `tenants`' failed requests (503, 5xx, timeouts) as a percentage of their finished ones.
fn error_pct(tenants: &[&TenantRow]) -> f64 {
    let (mut failed, mut finished) = (0u64, 0u64);
    for t in tenants {
        let o = &t.outcomes;
        failed += o.shed_503 + o.errors_5xx + o.timeouts;
        finished += o.ok + o.rejected_429 + o.shed_503 + o.errors_5xx + o.timeouts;
    }
    if finished > 0 {
        100.0 * failed as f64 / finished as f64
    } else {
        0.0
    }
}

/// Per cell (of `cells`): does a tenant end the run on it?
fn hosting_cells(s: &RunSummary, cells: u32) -> Vec<bool> {
    let mut hosting = vec![false; cells as usize];
    for t in &s.tenants {
        if let Some(h) = hosting.get_mut(t.cell as usize) {
            *h = true;
        }
    }
    hosting
}

/// Busiest minus idlest hosting cell by mean worker utilisation, in percentage points.
fn util_spread_pp(series: &Series, hosting: &[bool]) -> f64 {
    let utils: Vec<f64> = series
        .cells
        .iter()
        .filter(|c| hosting.get(c.cell as usize).copied().unwrap_or(false))
        .map(|c| {
            let (sum, n) =
                c.points
                    .iter()
                    .filter(|p| p.workers > 0)
                    .fold((0.0, 0usize), |(sum, n), p| {
                        (
                            sum + f64::from(p.workers_busy) / f64::from(p.workers),
                            n + 1,
                        )
                    });
            if n > 0 {
                sum / n as f64
            } else {
                0.0
            }
        })
        .collect();
    if utils.is_empty() {
        0.0
    } else {
        100.0
            * (utils.iter().copied().fold(f64::MIN, f64::max)
                - utils.iter().copied().fold(f64::MAX, f64::min))
    }
}

/// Attempts per logical request, whole platform (1 when nothing was offered).
fn amplification(s: &RunSummary) -> f64 {
    if s.total.outcomes.offered > 0 {
        s.total.outcomes.attempts as f64 / s.total.outcomes.offered as f64
    } else {
        1.0
    }
}

/// Digest of every tenant's offered request count: equal across variants of a seed when the
/// workload is common.
fn workload_digest(s: &RunSummary) -> String {
    let mut w = sim::Digest::new();
    for t in &s.tenants {
        w.write_bytes(t.id.as_bytes());
        w.write_u64(t.outcomes.offered);
    }
    w.hex()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::run::run;
    use crate::scenario::load_str;

    /// A hot tenant floods a small FIFO platform of two cells shared with six bystanders.
    const HOT: &str = r#"version = 1
duration = "20s"
platform = { cells = 2, workers = 2, scheduler = "fifo" }
classes.api = { service = "const(20ms)", timeout = "200ms" }
[[tenants]]
id = "hot"
rate = "10/s"
[[cohorts]]
name = "b"
count = 6
rate = "const(5/s)"
[[faults]]
name = "flood"
kind = "hot_tenant"
tenant = "hot"
at = "5s"
for = "10s"
factor = 30
[[slos]]
name = "each-p99"
objective = "p(99) < 100ms"
scope = "each"
"#;

    /// Goal: the metrics mean what `RunMetrics` says, on a real run. Method: one run of a
    /// hot-tenant scenario; the blast radius counts breaching bystanders only (never the
    /// fault's target), the error share and the worst p99 are recomputed by hand from the
    /// summary's rows, and the workload digest ignores everything but offered counts.
    #[test]
    fn metrics_of_a_hot_tenant_run() {
        let sc = load_str("t.toml", HOT, &[]).unwrap();
        let out = run(&sc, 1, None).unwrap();
        let m = metrics_of(&sc, 3, 1, &out);
        assert_eq!((m.variant, m.seed), (3, 1));
        let rows = &out.summary.tenants;
        let breaching: Vec<&str> = rows
            .iter()
            .filter(|t| blast::breaches_an_slo(t))
            .map(|t| t.id.as_str())
            .collect();
        assert!(!breaching.is_empty(), "the flood hurts someone");
        let bystanders_breaching = breaching.iter().filter(|id| **id != "hot").count();
        assert_eq!(m.blast_radius as usize, bystanders_breaching);
        let by: Vec<&TenantRow> = rows.iter().filter(|t| t.id != "hot").collect();
        assert_eq!(by.len(), 6);
        assert_eq!(m.bystander_error_pct, error_pct(&by));
        assert_eq!(m.worst_bystander_p99_ms, worst_p99_ms(&by));
        assert!(m.amplification >= 1.0);
        assert_eq!(m.slos_failed, u32::from(!out.summary.passed));
        assert!(m.cells_used >= 1 && m.cells_used <= 2);
        let mut other = out.summary.clone();
        other.digest = "different".to_string();
        assert_eq!(workload_digest(&other), m.workload_digest);
        other.tenants[0].outcomes.offered += 1;
        assert_ne!(workload_digest(&other), m.workload_digest);
    }

    /// Goal: the utilisation spread is taken over hosting cells only. Method: on a run
    /// whose two cells are unequally busy, the spread is positive when both host tenants
    /// and 0 when only one (or none) is counted as hosting.
    #[test]
    fn spread_only_over_hosting_cells() {
        let sc = load_str("t.toml", HOT, &[]).unwrap();
        let out = run(&sc, 1, None).unwrap();
        assert!(util_spread_pp(&out.series, &[true, true]) > 0.0);
        assert_eq!(util_spread_pp(&out.series, &[true, false]), 0.0);
        assert_eq!(util_spread_pp(&out.series, &[false, false]), 0.0);
    }
}

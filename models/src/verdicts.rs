//! Derived verdicts per fault: blast radius and time to recover.
//!
//! **Blast radius** of a fault: the tenants other than its own target whose requests went
//! badly (failed other than by their own 429s, or slower than the heat threshold) for at
//! least [`AFFECTED_FRACTION`] of their requests — with at least [`AFFECTED_MIN_REQUESTS`]
//! — in the heat windows from the fault's start to its recovery (or the end of the run).
//!
//! **Time to recover**: from the fault's end to the start of the first run of
//! [`HEALTHY_WINDOWS`] consecutive recording windows in which every tier with traffic (for
//! a fault aimed at one tenant: all the other tenants together) is healthy again: error rate ≤ max(1%, 2 × its pre-fault error rate) and p99 ≤
//! max(1.5 × its pre-fault p99, pre-fault p99 + 50 ms). Pre-fault = every window before the
//! fault started (a fault at t = 0 is judged against the windows after the run's last
//! fault). `None` when the platform had not recovered by the end of the run.

use crate::record::{Recorder, Stats};
use crate::scenario::Scenario;

/// Bad fraction from which a tenant counts as affected.
pub const AFFECTED_FRACTION: f64 = 0.05;
/// Fewest requests for a tenant to be judged affected.
pub const AFFECTED_MIN_REQUESTS: u32 = 10;
/// Consecutive healthy windows that mark recovery.
pub const HEALTHY_WINDOWS: usize = 5;

/// The verdicts on one fault.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultVerdict {
    /// Tenants (other than the target) that were affected.
    pub affected_tenants: u64,
    /// Seconds from the fault's end to recovery; `None`: not recovered within the run.
    pub recovery_s: Option<f64>,
}

fn error_rate(s: &Stats) -> f64 {
    let answered = s.ok + s.shed + s.errors + s.timeouts;
    if answered == 0 {
        0.0
    } else {
        (answered - s.ok) as f64 / answered as f64
    }
}

/// Verdicts for every fault of `sc`, from what `rec` recorded; `target` maps a fault to the
/// tenant index it targets (excluded from its blast radius).
pub fn fault_verdicts(sc: &Scenario, rec: &Recorder, target: &[Option<u32>]) -> Vec<FaultVerdict> {
    let w_ns = rec.window.as_nanos();
    let n_tiers = rec.tier_run.len();
    let last_fault_end = sc
        .faults
        .iter()
        .map(|f| f.end.as_nanos())
        .max()
        .unwrap_or(0);
    sc.faults
        .iter()
        .enumerate()
        .map(|(fi, f)| {
            let start_w = (f.start.as_nanos() / w_ns) as usize;
            let end_w = (f.end.as_nanos().div_ceil(w_ns) as usize).min(rec.n_windows);
            // Baseline per tier.
            let base_range = if start_w > 0 {
                0..start_w
            } else {
                let b = (last_fault_end.div_ceil(w_ns) as usize).min(rec.n_windows);
                b..rec.n_windows
            };
            // A fault aimed at one tenant is judged on everyone else (its own backlog is not
            // the platform's); other faults on every tier.
            let judged: Vec<usize> = match (target.get(fi).copied().flatten(), rec.bystander_group)
            {
                (Some(_), Some(g)) => vec![g],
                _ => (0..n_tiers).collect(),
            };
            let mut baseline = Vec::with_capacity(judged.len());
            for g in judged.iter().map(|&g| &rec.groups[g]) {
                let mut s = Stats::default();
                for w in base_range.clone() {
                    s.merge(&g.windows[w]);
                }
                let p99 = if s.latency.count() > 0 {
                    s.latency.quantile(0.99) as f64
                } else {
                    0.0
                };
                baseline.push((error_rate(&s), p99, s.offered > 0));
            }
            let healthy = |w: usize| -> bool {
                judged.iter().map(|&g| &rec.groups[g]).zip(&baseline).all(
                    |(g, &(err0, p990, has_base))| {
                        let s = &g.windows[w];
                        if s.offered == 0 || !has_base {
                            return true;
                        }
                        let err_ok = error_rate(s) <= (2.0 * err0).max(0.01);
                        let p99 = if s.latency.count() > 0 {
                            s.latency.quantile(0.99) as f64
                        } else {
                            0.0
                        };
                        let lat_ok = p99 <= (1.5 * p990).max(p990 + 50e6);
                        err_ok && lat_ok
                    },
                )
            };
            let mut recovery_w = None;
            let mut w = end_w;
            while w < rec.n_windows {
                let k = HEALTHY_WINDOWS.min(rec.n_windows - w);
                if (w..w + k).all(healthy) {
                    recovery_w = Some(w);
                    break;
                }
                w += 1;
            }
            let recovery_s = recovery_w
                .map(|w| ((w as u64 * w_ns).saturating_sub(f.end.as_nanos())) as f64 / 1e9);
            // Blast radius over [start, recovery or end of run).
            let until_ns = recovery_w.map_or(sc.duration.as_nanos(), |w| w as u64 * w_ns);
            let hw_ns = rec.heat_window.as_nanos();
            let h0 = (f.start.as_nanos() / hw_ns) as usize;
            let h1 =
                (until_ns.max(f.end.as_nanos()).div_ceil(hw_ns) as usize).min(rec.heat_windows);
            let own = target.get(fi).copied().flatten();
            let mut affected = 0;
            for t in 0..rec.tenants.len() {
                if Some(t as u32) == own {
                    continue;
                }
                let (mut n, mut bad) = (0u64, 0u64);
                for h in h0..h1.max(h0 + 1).min(rec.heat_windows) {
                    let (a, b) = rec.heat_at(t, h);
                    n += a as u64;
                    bad += b as u64;
                }
                if n >= AFFECTED_MIN_REQUESTS as u64 && bad as f64 >= AFFECTED_FRACTION * n as f64 {
                    affected += 1;
                }
            }
            FaultVerdict {
                affected_tenants: affected,
                recovery_s,
            }
        })
        .collect()
}

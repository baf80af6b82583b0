//! The value of a metric over recorded [`Stats`]: what an SLO objective, a rollout's health
//! gate and a report measure. It lives with the recorded data (not in the harness) so that
//! the platform's rollout gates can judge their own traffic without importing the harness.
//!
//! **Guarantees.** A pure function of the stats; a latency metric over requests answered
//! with no success measures [`NO_SUCCESS`] (so an objective on it fails rather than passing
//! by default); a ratio over nothing, or a percentile over no sample, is `None`.

use crate::record::Stats;
use crate::scenario::{Cmp, Metric};
use sim::SimDuration;

/// The value reported for a latency objective when requests were answered but none
/// succeeded: the objective cannot hold (shown as "no success").
pub const NO_SUCCESS: f64 = 1e300;

impl Stats {
    /// The value of `metric` over these stats, or `None` if there is nothing to measure.
    ///
    /// A latency objective over requests that were answered but never succeeded measures
    /// [`NO_SUCCESS`] (it fails): otherwise a tenant whose requests all fail would pass it.
    pub fn measure(&self, metric: Metric) -> Option<f64> {
        let s = self;
        let answered = s.ok + s.shed + s.errors + s.timeouts;
        let latency_metric = matches!(
            metric,
            Metric::LatencyPercentile(_) | Metric::LatencyMean | Metric::LatencyMax
        );
        if latency_metric && s.latency.count() == 0 && answered > 0 {
            // Every answered request failed: the latency of successful requests is undefined,
            // and an objective on it must not pass by default.
            return Some(NO_SUCCESS);
        }
        let frac = |a: u64, b: u64| {
            if b == 0 {
                None
            } else {
                Some(a as f64 / b as f64)
            }
        };
        match metric {
            Metric::LatencyPercentile(p) => {
                (s.latency.count() > 0).then(|| s.latency.quantile(p / 100.0) as f64)
            }
            Metric::LatencyMean => (s.latency.count() > 0).then(|| s.latency.mean()),
            Metric::LatencyMax => (s.latency.count() > 0).then(|| s.latency.max() as f64),
            Metric::ErrorRate => frac(answered - s.ok, answered),
            Metric::Availability => frac(s.ok, answered),
            Metric::Throughput => frac(s.ok, s.finished()),
            Metric::RejectedRate => frac(s.rejected, s.finished()),
            Metric::TimeoutRate => frac(s.timeouts, answered),
            Metric::StaleReadRate => frac(
                s.causes[crate::component::outcome::Cause::StaleRead as usize],
                answered,
            ),
            Metric::Amplification => frac(s.attempts, s.offered),
            Metric::QueueWaitMean => (s.queue_wait.count() > 0).then(|| s.queue_wait.mean()),
            Metric::MisroutedWrites => Some(s.misrouted_writes as f64),
            Metric::Dlq => Some(s.jobs_dlq as f64),
            Metric::JobWaitPercentile(p) => {
                (s.job_wait.count() > 0).then(|| s.job_wait.quantile(p / 100.0) as f64)
            }
            Metric::JobWaitMax => (s.job_wait.count() > 0).then(|| s.job_wait.max() as f64),
            Metric::ProvisionTimePercentile(p) => {
                (s.provision_time.count() > 0).then(|| s.provision_time.quantile(p / 100.0) as f64)
            }
            Metric::ProvisionTimeMax => {
                (s.provision_time.count() > 0).then(|| s.provision_time.max() as f64)
            }
            Metric::QueueWaitPercentile(p) => {
                (s.queue_wait.count() > 0).then(|| s.queue_wait.quantile(p / 100.0) as f64)
            }
        }
    }
}

/// Formats a measured value like its objective's unit.
pub fn format_value(metric: Metric, v: f64) -> String {
    if v >= NO_SUCCESS {
        return "no success".to_string();
    }
    if metric.is_duration() {
        SimDuration::from_nanos_f64(v).to_string()
    } else if metric.is_fraction() {
        let pct = v * 100.0;
        let s = format!("{pct:.3}");
        format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// How far `v` lies on the failing side of `OP bound`: larger is worse. `<`/`<=`: the
/// value itself (higher is worse); `>`/`>=`: its negation (lower is worse); `==`: its
/// distance from the bound (either side is worse, the bound itself is best).
fn badness(cmp: Cmp, bound: f64, v: f64) -> f64 {
    match cmp {
        Cmp::Lt | Cmp::Le => v,
        Cmp::Gt | Cmp::Ge => -v,
        Cmp::Eq => (v - bound).abs(),
    }
}

/// Whether a tenant measuring `v` is worse for `OP bound` than one measuring `w`: a failing
/// value is worse than any passing one (so the worst tenant of an SLO that fails is always
/// a failing tenant, for every operator), then the larger badness (how far past, or short
/// of, the bound); ties keep the first.
pub fn worse(cmp: Cmp, bound: f64, v: f64, w: f64) -> bool {
    let (v_fails, w_fails) = (!cmp.holds(v, bound), !cmp.holds(w, bound));
    if v_fails != w_fails {
        return v_fails;
    }
    badness(cmp, bound, v) > badness(cmp, bound, w)
}

//! Recording: what happened to whom, in bounded memory.
//!
//! **What is kept, and why (memory at 12,000 tenants).**
//! - Per tenant, for the whole run: outcome counters, cause counters, a latency histogram
//!   and a queue-wait histogram ([`sim::LogHistogram`], 32 sub-buckets per octave, ≤ 3.1%
//!   error, ~1–2 KB each once used), metering (CPU, DB, bytes). ≈ 4 KB per active tenant.
//! - Per tenant, per distinct SLO window other than the whole run (a fault window, a
//!   recovery window): the same stats for requests *sent* in that window. Allocated only
//!   for tenants that send in the window.
//! - Per tier, for the whole run: an `hdrhistogram` at 3 significant digits (precise
//!   percentiles for the headline table; ~190 KB each, a handful of tiers).
//! - Per tier, per recording window (default 1 s): counters and a latency histogram —
//!   the time series. An hour at 1 s windows × 4 tiers ≈ 14,400 small histograms.
//!
//! Nothing is kept per request: memory does not grow with the number of requests.
//!
//! **Attribution.** A logical request belongs to the tenant that sent it and to the window
//! in which it was *sent*; its latency is from its first attempt to its final answer.

use crate::outcome::{Cause, Outcome, N_CAUSES};
use sim::{LogHistogram, SimDuration, SimTime};

/// Counters and histograms of one group of requests.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Logical requests sent.
    pub offered: u64,
    /// Answered OK.
    pub ok: u64,
    /// 429s.
    pub rejected: u64,
    /// 503s by shedding.
    pub shed: u64,
    /// Other 5xx.
    pub errors: u64,
    /// Client timeouts.
    pub timeouts: u64,
    /// Attempts.
    pub attempts: u64,
    /// Failures by cause.
    pub causes: [u64; N_CAUSES],
    /// Latency of successful requests (ns).
    pub latency: LogHistogram,
    /// Time spent waiting in a cell queue (ns), per attempt that was served.
    pub queue_wait: LogHistogram,
}

impl Stats {
    /// Adds `o`'s counts and histograms.
    pub fn merge(&mut self, o: &Stats) {
        self.offered += o.offered;
        self.ok += o.ok;
        self.rejected += o.rejected;
        self.shed += o.shed;
        self.errors += o.errors;
        self.timeouts += o.timeouts;
        self.attempts += o.attempts;
        for (a, b) in self.causes.iter_mut().zip(o.causes.iter()) {
            *a += b;
        }
        self.latency.merge(&o.latency);
        self.queue_wait.merge(&o.queue_wait);
    }

    /// Requests that ended.
    pub fn finished(&self) -> u64 {
        self.ok + self.rejected + self.shed + self.errors + self.timeouts
    }

    #[inline]
    fn finish(&mut self, outcome: Outcome, latency_ns: u64) {
        if outcome == Outcome::Ok {
            self.latency.record(latency_ns);
        }
        self.finish_counts(outcome);
    }

    /// Counts an outcome without recording its latency.
    #[inline]
    fn finish_counts(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Ok => self.ok += 1,
            Outcome::Rejected => self.rejected += 1,
            Outcome::TimedOut => self.timeouts += 1,
            Outcome::Failed(c) => {
                if c.is_shed() {
                    self.shed += 1;
                } else {
                    self.errors += 1;
                }
                self.causes[c as usize] += 1;
            }
        }
    }
}

/// Per-tenant record.
#[derive(Clone, Debug, Default)]
pub struct TenantRecord {
    /// Whole run.
    pub run: Stats,
    /// Per SLO window (index into [`Recorder::slo_windows`]).
    pub in_window: Vec<Stats>,
    /// Metered service CPU (ns).
    pub cpu_ns: u64,
    /// Metered DB work (ns).
    pub db_ns: u64,
    /// Metered response bytes.
    pub bytes: u64,
}

/// Per-tier record.
pub struct TierRecord {
    /// Whole run.
    pub run: Stats,
    /// Precise latency histogram for the headline table (ns, 3 significant digits).
    pub hdr: hdrhistogram::Histogram<u64>,
    /// Time series: one entry per recording window.
    pub series: Vec<Stats>,
}

/// The recorder of one run.
pub struct Recorder {
    /// Per tenant, indexed by tenant.
    pub tenants: Vec<TenantRecord>,
    /// Per tier, indexed by tier.
    pub tiers: Vec<TierRecord>,
    /// Distinct SLO windows `[from, to)` other than the whole run.
    pub slo_windows: Vec<(SimTime, SimTime)>,
    /// Recording window length.
    pub window: SimDuration,
    tenant_tier: Vec<u16>,
}

impl Recorder {
    /// A recorder for tenants with tiers `tenant_tier`, `n_tiers` tiers, a run of
    /// `duration`, time-series windows of `window`, and the given SLO windows.
    pub fn new(
        tenant_tier: Vec<u16>,
        n_tiers: usize,
        duration: SimDuration,
        window: SimDuration,
        slo_windows: Vec<(SimTime, SimTime)>,
    ) -> Recorder {
        let n_windows = duration.as_nanos().div_ceil(window.as_nanos().max(1)) as usize;
        let tiers = (0..n_tiers)
            .map(|_| TierRecord {
                run: Stats::default(),
                hdr: hdrhistogram::Histogram::new_with_bounds(1, 1 << 45, 3)
                    .expect("static histogram bounds are valid"),
                series: vec![Stats::default(); n_windows.max(1)],
            })
            .collect();
        let nw = slo_windows.len();
        Recorder {
            tenants: tenant_tier
                .iter()
                .map(|_| TenantRecord {
                    in_window: vec![Stats::default(); nw],
                    ..Default::default()
                })
                .collect(),
            tiers,
            slo_windows,
            window,
            tenant_tier,
        }
    }

    #[inline]
    fn window_index(&self, t: SimTime, tier: usize) -> usize {
        let i = (t.as_nanos() / self.window.as_nanos().max(1)) as usize;
        i.min(self.tiers[tier].series.len() - 1)
    }

    /// A logical request was sent by `tenant` at `sent`.
    #[inline]
    pub fn offered(&mut self, tenant: u32, sent: SimTime) {
        let tier = self.tenant_tier[tenant as usize] as usize;
        let w = self.window_index(sent, tier);
        let rec = &mut self.tenants[tenant as usize];
        rec.run.offered += 1;
        for (i, (a, b)) in self.slo_windows.iter().enumerate() {
            if sent >= *a && sent < *b {
                rec.in_window[i].offered += 1;
            }
        }
        let tr = &mut self.tiers[tier];
        tr.run.offered += 1;
        tr.series[w].offered += 1;
    }

    /// An attempt was made for a request sent at `sent`.
    #[inline]
    pub fn attempt(&mut self, tenant: u32, sent: SimTime) {
        let tier = self.tenant_tier[tenant as usize] as usize;
        let w = self.window_index(sent, tier);
        let rec = &mut self.tenants[tenant as usize];
        rec.run.attempts += 1;
        for (i, (a, b)) in self.slo_windows.iter().enumerate() {
            if sent >= *a && sent < *b {
                rec.in_window[i].attempts += 1;
            }
        }
        let tr = &mut self.tiers[tier];
        tr.run.attempts += 1;
        tr.series[w].attempts += 1;
    }

    /// The request sent at `sent` by `tenant` ended with `outcome` at `now`.
    #[inline]
    pub fn finished(&mut self, tenant: u32, sent: SimTime, now: SimTime, outcome: Outcome) {
        let latency = now.since(sent).as_nanos();
        let tier = self.tenant_tier[tenant as usize] as usize;
        let w = self.window_index(sent, tier);
        let rec = &mut self.tenants[tenant as usize];
        rec.run.finish(outcome, latency);
        for (i, (a, b)) in self.slo_windows.iter().enumerate() {
            if sent >= *a && sent < *b {
                rec.in_window[i].finish(outcome, latency);
            }
        }
        let tr = &mut self.tiers[tier];
        // The tier's whole-run latency lives in `hdr` (precise); its LogHistogram stays
        // empty here and is rebuilt from the tenants' at the end (see `tier_stats`).
        tr.run.finish_counts(outcome);
        tr.series[w].finish(outcome, latency);
        if outcome == Outcome::Ok {
            // Values above the histogram's range are clamped (1<<45 ns ≈ 9.8 hours).
            let _ = tr.hdr.record(latency.clamp(1, 1 << 45));
        }
    }

    /// An attempt of a request sent at `sent` waited `wait` in a queue before service.
    #[inline]
    pub fn queue_wait(&mut self, tenant: u32, sent: SimTime, wait: SimDuration) {
        let rec = &mut self.tenants[tenant as usize];
        rec.run.queue_wait.record(wait.as_nanos());
        for (i, (a, b)) in self.slo_windows.iter().enumerate() {
            if sent >= *a && sent < *b {
                rec.in_window[i].queue_wait.record(wait.as_nanos());
            }
        }
    }

    /// A tier's whole-run stats: its counters, with latency and queue-wait histograms
    /// merged from its tenants (kept per tenant only, to record each value fewer times).
    pub fn tier_stats(&self, tier: usize) -> Stats {
        let mut s = self.tiers[tier].run.clone();
        for (t, rec) in self.tenants.iter().enumerate() {
            if self.tenant_tier[t] as usize == tier {
                s.latency.merge(&rec.run.latency);
                s.queue_wait.merge(&rec.run.queue_wait);
            }
        }
        s
    }

    /// Meters work done for `tenant`.
    #[inline]
    pub fn meter(&mut self, tenant: u32, cpu_ns: u64, db_ns: u64, bytes: u64) {
        let rec = &mut self.tenants[tenant as usize];
        rec.cpu_ns += cpu_ns;
        rec.db_ns += db_ns;
        rec.bytes += bytes;
    }

    /// Failure count of `cause` across all tenants.
    pub fn cause_total(&self, cause: Cause) -> u64 {
        self.tenants
            .iter()
            .map(|t| t.run.causes[cause as usize])
            .sum()
    }
}

//! Recording: what happened to whom, in bounded memory.
//!
//! **What is kept, and why (memory at 12,000 tenants).**
//! - Per tenant, for the whole run: outcome counters, cause counters, a latency histogram
//!   and a queue-wait histogram ([`sim::LogHistogram`], 64 sub-buckets per octave, ≤ 0.8%
//!   error, 2–4 KB each once used), metering (CPU, DB, bytes). ≈ 8 KB per active tenant.
//! - Per tenant, per distinct SLO window other than the whole run (a fault window, a
//!   recovery window): the same stats for requests *sent* in that window (histograms are
//!   allocated on first use).
//! - Per tenant, per *heat window* (the run cut into at most [`HEAT_WINDOWS`] pieces):
//!   two `u32` counters, requests and bad requests (failed, or slower than the heat
//!   threshold) — the tenant × time heatmap of a blast radius, 8 bytes per cell.
//! - Per *series group* — each tier, each cohort, and each watched tenant (named in an SLO
//!   or a fault, or with `--watch`) — per recording window (default 1 s): counters and a
//!   latency histogram. An hour at 1 s × a dozen groups ≈ 40,000 small histograms.
//! - Per tier, for the whole run: an `hdrhistogram` at 3 significant digits (precise
//!   percentiles for the headline table; ~190 KB each, a handful of tiers).
//! - Per cell, per recording window: a snapshot (queue depth, busy workers, DB
//!   utilisation, breaker state), taken by a window event.
//! - Per cell and per tier, for the whole run: the queue wait and the DB-connection wait
//!   ([`waits`]).
//!
//! Nothing is kept per request: memory does not grow with the number of requests.
//! Measured: 12,000 tenants for an hour, ~100 MB peak RSS (BENCHMARKS.md).
//!
//! **Attribution.** A logical request belongs to the tenant that sent it and to the window
//! in which it was *sent*; its latency is from its first attempt to its final answer.

use crate::component::outcome::{Outcome, N_CAUSES};
use sim::{LogHistogram, SimDuration, SimTime};

pub mod stage;
pub mod waits;

/// Attempts-per-request buckets: 1, 2, …, 7, and 8 or more.
pub const ATTEMPT_BUCKETS: usize = 8;
/// Upper bound on heat windows per run.
pub const HEAT_WINDOWS: usize = 120;
const NO_GROUP: u32 = u32::MAX;

/// Counters and histograms of one group of requests.
///
/// `repr(C)` keeps the fields in this order: the counters every request touches, then
/// `by_attempts` (its first slot is the common case) share the first cache line of a
/// tenant's record; the rarely touched causes and job fields come after the histograms.
#[derive(Clone, Debug, Default)]
#[repr(C)]
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
    /// Finished requests by how many attempts they took (last bucket: that many or more).
    pub by_attempts: [u64; ATTEMPT_BUCKETS],
    /// Latency of successful requests (ns).
    pub latency: LogHistogram,
    /// Time spent waiting in a cell queue (ns), per attempt that was served.
    pub queue_wait: LogHistogram,
    /// Failures by cause.
    pub causes: [u64; N_CAUSES],
    /// Writes applied at a cell that no longer owned the tenant (whole run only).
    pub misrouted_writes: u64,
    /// Background jobs completed (whole run only).
    pub jobs_done: u64,
    /// Background jobs dead-lettered (whole run only).
    pub jobs_dlq: u64,
    /// Time jobs waited in the job queue before a job worker took them (ns; whole run only).
    pub job_wait: LogHistogram,
    /// Time from asking to be provisioned to `active` (ns; whole run only; retries included).
    pub provision_time: LogHistogram,
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
        for (a, b) in self.by_attempts.iter_mut().zip(o.by_attempts.iter()) {
            *a += b;
        }
        for (a, b) in self.causes.iter_mut().zip(o.causes.iter()) {
            *a += b;
        }
        self.latency.merge(&o.latency);
        self.queue_wait.merge(&o.queue_wait);
        self.misrouted_writes += o.misrouted_writes;
        self.jobs_done += o.jobs_done;
        self.jobs_dlq += o.jobs_dlq;
        self.job_wait.merge(&o.job_wait);
        self.provision_time.merge(&o.provision_time);
    }

    /// Requests that ended.
    pub fn finished(&self) -> u64 {
        self.ok + self.rejected + self.shed + self.errors + self.timeouts
    }

    /// Counts one finished request (its outcome, latency if ok, and attempts).
    #[inline]
    pub fn finish(&mut self, outcome: Outcome, latency_ns: u64, attempts: u16) {
        if outcome == Outcome::Ok {
            self.latency.record(latency_ns);
        }
        self.finish_counts(outcome, attempts);
    }

    /// Counts an outcome without recording its latency.
    #[inline]
    fn finish_counts(&mut self, outcome: Outcome, attempts: u16) {
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
        let b = (attempts.max(1) as usize - 1).min(ATTEMPT_BUCKETS - 1);
        self.by_attempts[b] += 1;
    }
}

/// Per-tenant record.
///
/// `repr(C, align(64))`: every record starts on a cache line, so the counters every request
/// touches (`run.offered` … `run.by_attempts[0]`, the first 64 bytes of [`Stats`]) share one
/// line (issue 20; the record grows to a whole number of lines).
#[derive(Clone, Debug, Default)]
#[repr(C, align(64))]
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

/// A named series of per-window stats (a tier, a cohort or a watched tenant).
pub struct SeriesGroup {
    /// `tier`, `cohort` or `tenant`.
    pub kind: &'static str,
    /// The group's name.
    pub name: String,
    /// One entry per recording window.
    pub windows: Vec<Stats>,
}

/// A cell at the end of one recording window.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CellSample {
    /// Requests waiting in the cell queue.
    pub queue_depth: u32,
    /// Busy workers.
    pub workers_busy: u32,
    /// Workers available (fewer during `workers_lost`).
    pub workers: u32,
    /// DB utilisation over the window: busy core-time / (cores × window), 0..1.
    pub db_utilisation: f64,
    /// Queries waiting for a DB connection.
    pub db_waiting: u32,
    /// Whether any DB breaker of the cell was open.
    pub breaker_open: bool,
}

/// What to record besides the per-tenant and per-tier basics.
pub struct RecorderPlan {
    /// Tier of each tenant.
    pub tenant_tier: Vec<u16>,
    /// Cohort of each tenant, if any.
    pub tenant_cohort: Vec<Option<u16>>,
    /// Tier names.
    pub tiers: Vec<String>,
    /// Cohort names.
    pub cohorts: Vec<String>,
    /// Tenants that get their own time series: (tenant index, id).
    pub watched: Vec<(u32, String)>,
    /// Tenants targeted by faults: everyone else forms the `bystanders` series.
    pub fault_targets: Vec<u32>,
    /// Run length.
    pub duration: SimDuration,
    /// Recording window.
    pub window: SimDuration,
    /// Distinct SLO windows other than the whole run.
    pub slo_windows: Vec<(SimTime, SimTime)>,
    /// Latency above which a successful request counts as bad in the heatmap.
    pub heat_threshold: SimDuration,
    /// Number of cells.
    pub cells: usize,
}

/// The recorder of one run.
pub struct Recorder {
    /// Per tenant, indexed by tenant. Its `run.latency` and `run.queue_wait` are complete
    /// after [`Recorder::settle`] only ([`stage`]).
    pub tenants: Vec<TenantRecord>,
    /// Whole-run counters per tier (latency lives in `tier_hdr` and the tenants).
    pub tier_run: Vec<Stats>,
    /// Precise latency histogram per tier (ns, 3 significant digits).
    pub tier_hdr: Vec<hdrhistogram::Histogram<u64>>,
    /// Time series groups: tiers first (group i = tier i), then cohorts, then watched tenants.
    pub groups: Vec<SeriesGroup>,
    /// Per tenant: (cohort group, watched group, bystander group), `NO_GROUP` when none.
    tenant_groups: Vec<(u32, u32, u32)>,
    /// The group of every tenant but the fault targets (`kind = "bystanders"`), if any fault
    /// targets a tenant: recovery from a tenant's own fault is judged on the others.
    pub bystander_group: Option<usize>,
    /// Distinct SLO windows `[from, to)` other than the whole run.
    pub slo_windows: Vec<(SimTime, SimTime)>,
    /// Recording window length.
    pub window: SimDuration,
    /// Number of recording windows.
    pub n_windows: usize,
    /// Heat window length.
    pub heat_window: SimDuration,
    /// Heat threshold.
    pub heat_threshold: SimDuration,
    /// Per heat window × tenant: (requests, bad requests), window-major (the requests of
    /// one heat window touch one contiguous row: cache-friendly at 12,000 tenants). Read it
    /// with [`Recorder::heat_at`].
    pub heat: Vec<(u32, u32)>,
    /// Heat windows per tenant row.
    pub heat_windows: usize,
    /// Per cell, per recording window.
    pub cells: Vec<Vec<CellSample>>,
    /// Queue and DB-connection waits per cell and per tier ([`waits`]).
    pub waits: waits::Waits,
    tenant_tier: Vec<u16>,
    /// Per tenant: whole-run latencies and queue waits not yet in its histograms
    /// ([`stage`]; complete after [`Recorder::settle`]).
    stage: Vec<stage::Stage>,
}

impl Recorder {
    /// A recorder for `plan`.
    pub fn new(plan: RecorderPlan) -> Recorder {
        let window = SimDuration(plan.window.as_nanos().max(1));
        let n_windows = (plan.duration.as_nanos().div_ceil(window.as_nanos()) as usize).max(1);
        let heat_windows = n_windows.clamp(1, HEAT_WINDOWS);
        let heat_window = SimDuration(
            plan.duration
                .as_nanos()
                .div_ceil(heat_windows as u64)
                .max(1),
        );
        let mut groups: Vec<SeriesGroup> = plan
            .tiers
            .iter()
            .map(|n| SeriesGroup {
                kind: "tier",
                name: n.clone(),
                windows: vec![Stats::default(); n_windows],
            })
            .collect();
        let n_tiers = groups.len();
        let cohort_base = groups.len() as u32;
        groups.extend(plan.cohorts.iter().map(|n| SeriesGroup {
            kind: "cohort",
            name: n.clone(),
            windows: vec![Stats::default(); n_windows],
        }));
        let mut tenant_groups: Vec<(u32, u32, u32)> = plan
            .tenant_cohort
            .iter()
            .map(|c| {
                (
                    c.map_or(NO_GROUP, |c| cohort_base + c as u32),
                    NO_GROUP,
                    NO_GROUP,
                )
            })
            .collect();
        for (t, id) in &plan.watched {
            tenant_groups[*t as usize].1 = groups.len() as u32;
            groups.push(SeriesGroup {
                kind: "tenant",
                name: id.clone(),
                windows: vec![Stats::default(); n_windows],
            });
        }
        let bystander_group = (!plan.fault_targets.is_empty()).then(|| {
            let g = groups.len();
            for (t, tg) in tenant_groups.iter_mut().enumerate() {
                if !plan.fault_targets.contains(&(t as u32)) {
                    tg.2 = g as u32;
                }
            }
            groups.push(SeriesGroup {
                kind: "bystanders",
                name: "all-but-fault-targets".to_string(),
                windows: vec![Stats::default(); n_windows],
            });
            g
        });
        let nw = plan.slo_windows.len();
        let n = plan.tenant_tier.len();
        Recorder {
            tenants: (0..n)
                .map(|_| TenantRecord {
                    in_window: vec![Stats::default(); nw],
                    ..Default::default()
                })
                .collect(),
            tier_run: vec![Stats::default(); n_tiers],
            tier_hdr: (0..n_tiers)
                .map(|_| {
                    hdrhistogram::Histogram::new_with_bounds(1, 1 << 45, 3)
                        .expect("static histogram bounds are valid")
                })
                .collect(),
            groups,
            tenant_groups,
            bystander_group,
            slo_windows: plan.slo_windows,
            window,
            n_windows,
            heat_window,
            heat_threshold: plan.heat_threshold,
            heat: vec![(0, 0); n * heat_windows],
            heat_windows,
            cells: vec![Vec::with_capacity(n_windows); plan.cells],
            waits: waits::Waits::new(plan.cells, n_tiers),
            tenant_tier: plan.tenant_tier,
            stage: vec![stage::Stage::default(); n],
        }
    }

    #[inline]
    fn window_index(&self, t: SimTime) -> usize {
        ((t.as_nanos() / self.window.as_nanos()) as usize).min(self.n_windows - 1)
    }

    /// Applies `f` to the per-window stats of every series group of `tenant`.
    #[inline]
    fn for_groups(&mut self, tenant: u32, w: usize, mut f: impl FnMut(&mut Stats)) {
        let tier = self.tenant_tier[tenant as usize] as usize;
        f(&mut self.groups[tier].windows[w]);
        let (c, wt, b) = self.tenant_groups[tenant as usize];
        if c != NO_GROUP {
            f(&mut self.groups[c as usize].windows[w]);
        }
        if wt != NO_GROUP {
            f(&mut self.groups[wt as usize].windows[w]);
        }
        if b != NO_GROUP {
            f(&mut self.groups[b as usize].windows[w]);
        }
    }

    /// A logical request was sent by `tenant` at `sent`.
    #[inline]
    pub fn offered(&mut self, tenant: u32, sent: SimTime) {
        let w = self.window_index(sent);
        let rec = &mut self.tenants[tenant as usize];
        rec.run.offered += 1;
        for (i, (a, b)) in self.slo_windows.iter().enumerate() {
            if sent >= *a && sent < *b {
                rec.in_window[i].offered += 1;
            }
        }
        self.tier_run[self.tenant_tier[tenant as usize] as usize].offered += 1;
        self.for_groups(tenant, w, |s| s.offered += 1);
    }

    /// An attempt was made for a request sent at `sent`.
    #[inline]
    pub fn attempt(&mut self, tenant: u32, sent: SimTime) {
        let w = self.window_index(sent);
        let rec = &mut self.tenants[tenant as usize];
        rec.run.attempts += 1;
        for (i, (a, b)) in self.slo_windows.iter().enumerate() {
            if sent >= *a && sent < *b {
                rec.in_window[i].attempts += 1;
            }
        }
        self.tier_run[self.tenant_tier[tenant as usize] as usize].attempts += 1;
        self.for_groups(tenant, w, |s| s.attempts += 1);
    }

    /// The request sent at `sent` by `tenant` ended with `outcome` at `now` after `attempts`.
    #[inline]
    pub fn finished(
        &mut self,
        tenant: u32,
        sent: SimTime,
        now: SimTime,
        outcome: Outcome,
        attempts: u16,
    ) {
        let latency = now.since(sent).as_nanos();
        let w = self.window_index(sent);
        if outcome == Outcome::Ok {
            self.stage_latency(tenant, latency);
        }
        let rec = &mut self.tenants[tenant as usize];
        rec.run.finish_counts(outcome, attempts);
        for (i, (a, b)) in self.slo_windows.iter().enumerate() {
            if sent >= *a && sent < *b {
                rec.in_window[i].finish(outcome, latency, attempts);
            }
        }
        let tier = self.tenant_tier[tenant as usize] as usize;
        // The tier's whole-run latency lives in `tier_hdr` (precise) and in its tenants'
        // histograms (merged at the end, see `tier_stats`).
        self.tier_run[tier].finish_counts(outcome, attempts);
        if outcome == Outcome::Ok {
            // Values above the histogram's range are clamped (1<<45 ns ≈ 9.8 hours).
            let _ = self.tier_hdr[tier].record(latency.clamp(1, 1 << 45));
        }
        self.for_groups(tenant, w, |s| s.finish(outcome, latency, attempts));
        let hw =
            ((sent.as_nanos() / self.heat_window.as_nanos()) as usize).min(self.heat_windows - 1);
        let cell = &mut self.heat[hw * self.tenants.len() + tenant as usize];
        cell.0 = cell.0.saturating_add(1);
        let bad = outcome != Outcome::Ok || latency > self.heat_threshold.as_nanos();
        // 429s are the tenant's own limit, not harm done to it.
        if bad && outcome != Outcome::Rejected {
            cell.1 = cell.1.saturating_add(1);
        }
    }

    /// An attempt of a request sent at `sent` waited `wait` in a queue before service.
    #[inline]
    pub fn queue_wait(&mut self, tenant: u32, sent: SimTime, wait: SimDuration) {
        self.stage_wait(tenant, wait.as_nanos());
        let rec = &mut self.tenants[tenant as usize];
        for (i, (a, b)) in self.slo_windows.iter().enumerate() {
            if sent >= *a && sent < *b {
                rec.in_window[i].queue_wait.record(wait.as_nanos());
            }
        }
    }

    /// Meters work done for `tenant`. The totals saturate: a scenario may draw per-request
    /// costs near `u64::MAX` (`bytes = "const(9223372036854775807B)"`, found by the fuzzer),
    /// and a total that overflowed would panic in checked builds and wrap in release ones.
    #[inline]
    pub fn meter(&mut self, tenant: u32, cpu_ns: u64, db_ns: u64, bytes: u64) {
        let rec = &mut self.tenants[tenant as usize];
        rec.cpu_ns = rec.cpu_ns.saturating_add(cpu_ns);
        rec.db_ns = rec.db_ns.saturating_add(db_ns);
        rec.bytes = rec.bytes.saturating_add(bytes);
    }

    /// (requests, bad requests) of tenant `t` in heat window `hw`.
    pub fn heat_at(&self, t: usize, hw: usize) -> (u32, u32) {
        self.heat[hw * self.tenants.len() + t]
    }

    /// Appends a cell's end-of-window sample.
    pub fn cell_sample(&mut self, cell: usize, s: CellSample) {
        if self.cells[cell].len() < self.n_windows {
            self.cells[cell].push(s);
        }
    }

    /// A tier's whole-run stats: its counters, with latency and queue-wait histograms
    /// merged from its tenants (kept per tenant only, to record each value fewer times).
    pub fn tier_stats(&self, tier: usize) -> Stats {
        let mut s = self.tier_run[tier].clone();
        for (t, rec) in self.tenants.iter().enumerate() {
            if self.tenant_tier[t] as usize == tier {
                s.latency.merge(&rec.run.latency);
                s.queue_wait.merge(&rec.run.queue_wait);
            }
        }
        s
    }
}

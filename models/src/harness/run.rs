//! One run: scenario + seed → a [`RunSummary`], with the ledger checked.
//!
//! **Invariant.** At the end of every run the ledger balances: every logical request and
//! every attempt started has finished or is still in flight, and per-tenant counts add up
//! to the totals. If not, the run fails with [`RunError::Invariant`] (exit code 3).

use crate::harness::slo;
use crate::platform::probe::Snapshot;
use crate::platform::{Ev, Platform};
use crate::population::Population;
use crate::record::RecorderPlan;
use crate::record::{Recorder, Stats};
use crate::scenario::{Metric, Scenario};
use reports::series::{CellPoint, CellSeries, GroupPoint, GroupSeries, Heatmap, Series};
use reports::summary::{
    self, FaultRow, GroupRow, Latency, LedgerRow, MetastabilityRow, MetastableFault, Outcomes,
    RunSummary, TenantRow,
};
use sim::{Engine, NoObserver, Observer, RunLimits, SimDuration, SimTime, StopReason};

use std::collections::BTreeMap;

/// Most checkpoints kept per run (2^18 × 2^14 events ≈ 4 × 10^9 events covered; 6 MB). The
/// plain run's bound lives here, with the run; `determinism` reads it.
pub const MAX_CHECKPOINTS: usize = 1 << 18;

/// A run's result.
pub struct RunOutput {
    /// The summary.
    pub summary: RunSummary,
    /// Time series, per cell samples and the heatmap.
    pub series: Series,
    /// Why the engine stopped.
    pub stop: StopReason,
    /// The snapshots asked for in [`RunOptions::probes`], in time order.
    pub probes: Vec<Snapshot>,
    /// The request trace, when [`RunOptions::trace`] asked for one.
    pub trace: Option<reports::trace::Trace>,
}

/// Options of one run beyond the scenario and seed.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Variant name, recorded in the summary.
    pub variant: Option<String>,
    /// Tenants to record a time series for, besides those named in SLOs and faults.
    pub watch: Vec<String>,
    /// Test hook: a deliberate bug to inject ([`Inject`]: `illegal_transition`,
    /// `perturb_event:N`). Never set in normal use.
    pub inject: Option<String>,
    /// Instants at which to take a [`Snapshot`] of the platform (one at or after the end is
    /// the state the run ends in); they do not change the run.
    pub probes: Vec<SimTime>,
    /// Counterfactual: these tenants (by population index) send nothing (no requests, no
    /// jobs). Placement and everyone else's random streams are unchanged.
    pub silence: Vec<u32>,
    /// Counterfactual: these faults (scenario order) do nothing.
    pub disable_faults: Vec<usize>,
    /// Trace these requests (see [`crate::trace`]); the run itself is unchanged.
    pub trace: Option<crate::trace::TraceSpec>,
    /// Called every [`PROGRESS_EVERY`] events of the main stretch of the run (after the
    /// probes) with the simulated time and the events so far, for a progress display. It
    /// only observes: the run, its events and its digest are unchanged.
    pub progress: Option<Progress>,
}

/// A progress callback: `(simulated time now, events so far)`. See [`RunOptions::progress`].
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(SimTime, u64) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// Events between two calls of a [`Progress`] callback (a power of two: one mask per event).
pub const PROGRESS_EVERY: u64 = 1 << 16;

/// Shows every [`PROGRESS_EVERY`]-th event to a [`Progress`] callback.
struct ProgressObserver<'a>(&'a Progress);

impl Observer<Platform> for ProgressObserver<'_> {
    #[inline(always)]
    fn seen(&mut self, index: u64, now: SimTime, _: &Ev, _: &sim::Digest, _: &Platform) {
        if index & (PROGRESS_EVERY - 1) == 0 {
            (self.0 .0)(now, index);
        }
    }
}

/// A run that could not be trusted.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A model invariant broke (a bug): exit code 3.
    #[error("internal invariant broken: {0}")]
    Invariant(String),
    /// The trace selection does not fit the scenario (an input error): exit code 2.
    #[error("{0}")]
    Trace(#[from] crate::trace::SelectionError),
}

/// Runs `sc` with `seed`; `variant` is only recorded.
pub fn run(sc: &Scenario, seed: u64, variant: Option<&str>) -> Result<RunOutput, RunError> {
    run_with(
        sc,
        seed,
        &RunOptions {
            variant: variant.map(str::to_string),
            ..RunOptions::default()
        },
    )
}

/// Tenants that get their own time series: named in an SLO's `tenants`, targeted by a
/// fault, or asked for, in first-mention order without repeats.
pub fn watched_tenants(sc: &Scenario, pop: &Population, extra: &[String]) -> Vec<(u32, String)> {
    let mut names: Vec<&str> = Vec::new();
    for s in &sc.slos {
        names.extend(s.tenants.iter().map(String::as_str));
    }
    names.extend(sc.faults.iter().filter_map(|f| f.kind.watched_tenant()));
    names.extend(extra.iter().map(String::as_str));
    let mut out: Vec<(u32, String)> = Vec::new();
    for n in names {
        if let Some(t) = pop.find(n) {
            if !out.iter().any(|(x, _)| *x == t.0) {
                out.push((t.0, n.to_string()));
            }
        }
    }
    out
}

/// The latency that makes a successful request count as bad in the heatmap: the first
/// latency objective's bound, else 1 s.
fn heat_threshold(sc: &Scenario) -> SimDuration {
    sc.slos
        .iter()
        .find_map(|s| match s.objective.metric {
            Metric::LatencyPercentile(_) | Metric::LatencyMax | Metric::LatencyMean => {
                Some(SimDuration::from_nanos_f64(s.objective.bound))
            }
            _ => None,
        })
        .unwrap_or(SimDuration::from_secs(1))
}

/// What a run records, and for whom: tiers and cohorts, the watched tenants (named in SLOs
/// and faults, plus `watch`), fault targets, windows and the heatmap threshold. Live mode
/// records its measurements with the same plan, so both are judged alike.
pub fn recorder_plan(sc: &Scenario, pop: &Population, watch: &[String]) -> RecorderPlan {
    RecorderPlan {
        tenant_tier: pop.tenants.iter().map(|t| t.tier as u16).collect(),
        tenant_cohort: pop
            .tenants
            .iter()
            .map(|t| t.cohort.map(|c| c as u16))
            .collect(),
        tiers: sc.tiers.iter().map(|t| t.name.clone()).collect(),
        cohorts: sc.cohorts.iter().map(|c| c.name.clone()).collect(),
        watched: watched_tenants(sc, pop, watch),
        fault_targets: sc
            .faults
            .iter()
            .filter_map(|f| f.kind.tenant().and_then(|t| pop.find(t)).map(|t| t.0))
            .collect(),
        duration: sc.duration,
        window: sc.window,
        slo_windows: slo::distinct_windows(sc),
        heat_threshold: heat_threshold(sc),
        cells: sc.platform.cells as usize,
    }
}

/// Runs `sc` with `seed` and `opts`.
pub fn run_with(sc: &Scenario, seed: u64, opts: &RunOptions) -> Result<RunOutput, RunError> {
    let (sc, opts) = super::resolved_run::for_run(sc, seed, opts);
    let (sc, opts) = (&*sc, &*opts);
    if let Some(&f) = opts.disable_faults.iter().find(|&&f| f >= sc.faults.len()) {
        return Err(RunError::Invariant(format!("no fault #{f} to disable")));
    }
    let mut p = prepare(sc, seed, opts);
    if let Some(spec) = &opts.trace {
        let sel = spec.check(sc, &p.pop)?;
        p.plat.tracer = Some(Box::new(crate::trace::Tracer::new(sc, &p.pop, &sel, spec)));
    }
    // Probes: run to each instant, snapshot (reads only), go on. The engine resumes where it
    // stopped, so the events and the digest are those of a run without probes. A probe at the
    // end (or later) is the state the run ends in.
    let end = SimTime(sc.duration.as_nanos());
    let mut probe_times: Vec<SimTime> = opts.probes.iter().map(|&t| t.min(end)).collect();
    probe_times.sort();
    probe_times.dedup();
    let mut probes = Vec::with_capacity(probe_times.len());
    let mut stop = StopReason::TimeReached;
    for &t in probe_times.iter().filter(|&&t| t < end) {
        stop = p.engine.run(
            &mut p.plat,
            RunLimits {
                until: t,
                max_events: sc.max_events,
                max_events_per_instant: MAX_EVENTS_PER_INSTANT,
                max_backlog: MAX_BACKLOG,
            },
        );
        p.plat.recorder.settle();
        probes.push(p.plat.snapshot(t));
        if stop != StopReason::TimeReached && stop != StopReason::QueueEmpty {
            break;
        }
    }
    if stop == StopReason::TimeReached || stop == StopReason::QueueEmpty {
        stop = match &opts.progress {
            Some(pr) => execute(&mut p, sc, Limits::default(), &mut ProgressObserver(pr)),
            None => execute(&mut p, sc, Limits::default(), &mut NoObserver),
        };
    }
    if probe_times.last() == Some(&end) {
        p.plat.recorder.settle();
        probes.push(p.plat.snapshot(end));
    }
    let mut out = summarise(sc, seed, opts, p, stop)?;
    out.probes = probes;
    Ok(out)
}

/// A test hook named by `TENANTSIM_INJECT`: a deliberate bug, never set in normal use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inject {
    /// `illegal_transition`: tenant 0 is forced into an illegal lifecycle transition, a broken
    /// invariant (the run panics: exit 3).
    IllegalTransition,
    /// `perturb_event:N`: the N-th event (from 1) is processed 1 ns late, the way an ordering
    /// bug would move it; the run's digest then differs from that event on. It acts only in
    /// the runs of [`crate::harness::determinism`] (the binary gives it to the second run of
    /// `--check-determinism`); a plain run ignores it.
    PerturbEvent(u64),
    /// `dead_cell_serves`: attempts in service when their cell dies end as if it had not
    /// (the defect `platform::cell_down` fixed), so that the invariant "a dead cell serves
    /// nothing" (`platform::dead_cell_served`) can be seen to break.
    DeadCellServes,
}

impl Inject {
    /// Parses a hook's name; the error says which names exist.
    pub fn parse(text: &str) -> Result<Inject, String> {
        let t = text.trim();
        if t == "illegal_transition" {
            return Ok(Inject::IllegalTransition);
        }
        if t == "dead_cell_serves" {
            return Ok(Inject::DeadCellServes);
        }
        if let Some(n) = t.strip_prefix("perturb_event:") {
            return match n.trim().parse::<u64>() {
                Ok(n) if n >= 1 => Ok(Inject::PerturbEvent(n)),
                _ => Err(format!(
                    "`{t}`: the event number must be a whole number ≥ 1, e.g. `perturb_event:1000`"
                )),
            };
        }
        Err(format!(
            "unknown test hook `{t}`; known: `illegal_transition`, `perturb_event:N`, `dead_cell_serves`"
        ))
    }
}

impl RunOptions {
    /// The test hook asked for, if any (an unknown name is ignored here: the binary rejects
    /// it before running).
    pub fn hook(&self) -> Option<Inject> {
        self.inject.as_deref().and_then(|t| Inject::parse(t).ok())
    }
}

/// A run set up and ready to go: its tenants, the engine with the first events queued, and
/// the platform.
pub(crate) struct Prepared {
    pub(crate) pop: Population,
    pub(crate) engine: Engine<Ev>,
    pub(crate) plat: Platform,
}

/// Builds the population, the recorder and the platform of a run, and queues its first
/// events.
pub(crate) fn prepare(sc: &Scenario, seed: u64, opts: &RunOptions) -> Prepared {
    let mut pop = Population::build(sc, seed);
    // Counterfactual silence: after placement, so nobody moves.
    for &t in &opts.silence {
        if let Some(x) = pop.tenants.get_mut(t as usize) {
            x.rate = 0.0;
            x.arrival = crate::component::workload::Arrival::Poisson;
            x.jobs = None;
        }
    }
    let rec = Recorder::new(recorder_plan(sc, &pop, &opts.watch));
    let mut engine: Engine<Ev> = Engine::new();
    let mut plat = Platform::build(sc, &pop, seed, rec, &mut engine.queue);
    if opts.hook() == Some(Inject::IllegalTransition) {
        plat.inject_illegal_transition();
    }
    if opts.hook() == Some(Inject::DeadCellServes) {
        plat.inject_dead_cell_serves();
    }
    for &f in &opts.disable_faults {
        plat.disable_fault(f);
    }
    Prepared { pop, engine, plat }
}

/// Diagnostics of one execution beyond the scenario's own bounds.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Limits {
    /// Record a checkpoint every this many events (0: none; at most
    /// [`MAX_CHECKPOINTS`] are kept).
    pub(crate) checkpoint_every: u64,
    /// Stop after this many events (`None`: the scenario's `max_events`).
    pub(crate) max_events: Option<u64>,
    /// Backlog bound (`None`: [`MAX_BACKLOG`]).
    pub(crate) max_backlog: Option<u64>,
}

/// Most events a run processes in a row at one simulated instant before it is stopped as
/// stalled (`stop = "stalled"`, truncated: not a pass). A model whose clock stops advancing
/// (e.g. a closed-loop user with zero think time whose every attempt is refused at once,
/// with `backoff = none` and no `[network]` delay) would otherwise loop until `max_events`
/// (2^40 by default: days). The busiest instant of a shipped scenario (its start: every
/// tenant's first events, faults, routes) has a few tens of thousands of events; a stalled
/// run is stopped within about a second of wall time.
pub const MAX_EVENTS_PER_INSTANT: u64 = 1_000_000;

/// Most work a run may hold at once: pending engine events plus requests, attempts and jobs
/// in flight (every in-run queue — cell queues, DB waiters, parked and held calls, timeout
/// lists — holds only these). A run whose load outgrows the platform without bound (a fault
/// factor, a heavy-tailed rate, a queue with no limit) is stopped when it passes this, with
/// `stop = "overloaded"` (truncated: not a pass), instead of growing memory until the machine
/// gives out. At a few hundred bytes per unit of work, the bound is a few GB at most; the
/// largest shipped scenario holds well under a million.
pub const MAX_BACKLOG: u64 = 10_000_000;

/// Runs a prepared run to the end of the scenario (or `limits.max_events`), showing every
/// event to `observer`.
pub(crate) fn execute<O: Observer<Platform>>(
    p: &mut Prepared,
    sc: &Scenario,
    limits: Limits,
    observer: &mut O,
) -> StopReason {
    if limits.checkpoint_every > 0 {
        p.engine
            .set_checkpoints(limits.checkpoint_every, MAX_CHECKPOINTS);
    }
    let run_limits = RunLimits {
        until: SimTime(sc.duration.as_nanos()),
        max_events: limits
            .max_events
            .unwrap_or(sc.max_events)
            .min(sc.max_events),
        max_events_per_instant: MAX_EVENTS_PER_INSTANT,
        max_backlog: limits.max_backlog.unwrap_or(MAX_BACKLOG),
    };
    p.engine.run_observed(&mut p.plat, run_limits, observer)
}

/// Checks the ledger of a finished run and turns what it recorded into its summary.
pub(crate) fn summarise(
    sc: &Scenario,
    seed: u64,
    opts: &RunOptions,
    p: Prepared,
    stop: StopReason,
) -> Result<RunOutput, RunError> {
    let variant = opts.variant.as_deref();
    let Prepared {
        pop,
        engine,
        mut plat,
    } = p;
    plat.recorder.settle();
    // Faults started by a condition are judged on the window they had (`fault_when`).
    let fired = crate::harness::when_fired::fired(sc, &plat.when_fired());
    let sc: &Scenario = &fired;
    plat.record_waiting_jobs(SimTime(sc.duration.as_nanos()));
    let in_flight = in_flight_per_tenant(&plat, pop.tenants.len());
    let ledger = check_ledger(&plat, &in_flight)?;

    let (slo_rows, breaches) = slo::evaluate(sc, &pop, &plat.recorder);
    let rec = &plat.recorder;
    let (tiers, total) = traffic_rows(sc, &pop, rec, &in_flight)?;
    let tenants = tenant_rows(sc, &pop, &plat, &in_flight, &breaches);
    let (faults, metastability) = fault_rows(sc, &pop, rec);

    let (truncated, sim_seconds) = run_length(stop, engine.now(), sc);
    // A run cut short by a limit is not a pass, whatever its SLOs measured.
    let passed = slo_rows.iter().all(|r| r.passed) && !truncated;
    let summary = RunSummary {
        schema_version: summary::SCHEMA_VERSION,
        scenario: sc.name.clone(),
        file: sc.file.clone(),
        variant: variant.map(str::to_string),
        overrides: sc.overrides.clone(),
        seed,
        digest: engine.digest().hex(),
        fingerprint: None,
        events: engine.events_processed(),
        sim_seconds,
        stop: stop_name(stop).to_string(),
        truncated,
        passed,
        total,
        tiers,
        slos: slo_rows,
        faults,
        metastability,
        ledger,
        waits: rec.waits_row(&waits_tiers(sc, &pop)),
        control: control_row(&plat, sc, &pop),
        tenants,
        rollouts: plat
            .rollouts
            .as_ref()
            .map_or_else(Vec::new, |r| r.rows(SimTime(sc.duration.as_nanos()))),
        showback: crate::harness::showback::showback(sc, &pop, &plat),
        data_architecture: plat.data_arch_row(sc, SimTime(sc.duration.as_nanos())),
    };
    let series = series_of(sc, &pop, rec);
    let trace = plat
        .tracer
        .take()
        .map(|tr| finish_trace(*tr, (sc, &pop, &plat), seed, opts, &summary));
    Ok(RunOutput {
        summary,
        series,
        stop,
        probes: Vec::new(),
        trace,
    })
}

/// Each tenant's requests still in flight at the end (they count for their tenants).
fn in_flight_per_tenant(plat: &Platform, tenants: usize) -> Vec<u64> {
    let mut in_flight = vec![0u64; tenants];
    for t in plat.in_flight_tenants() {
        in_flight[t as usize] += 1;
    }
    in_flight
}

/// Whether the run was cut short, and the simulated seconds it covered. A run cut short by
/// a limit (`max_events`, a stall, an overload) before the scenario's duration is
/// truncated: not a pass, whatever its SLOs measured over the part that ran.
fn run_length(stop: StopReason, now: SimTime, sc: &Scenario) -> (bool, f64) {
    let truncated = matches!(
        stop,
        StopReason::MaxEvents | StopReason::Stalled | StopReason::Overloaded
    );
    let sim_seconds = if truncated {
        now.0.min(sc.duration.as_nanos()) as f64 / 1e9
    } else {
        sc.duration.as_secs_f64()
    };
    (truncated, sim_seconds)
}

/// The summary's traffic rows: one per tier that has tenants (file order), and the total
/// over all of them; `in_flight` holds each tenant's requests still in flight.
fn traffic_rows(
    sc: &Scenario,
    pop: &Population,
    rec: &Recorder,
    in_flight: &[u64],
) -> Result<(Vec<GroupRow>, GroupRow), RunError> {
    let mut tiers = Vec::new();
    let mut total_hdr = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 1 << 45, 3)
        .map_err(|e| RunError::Invariant(e.to_string()))?;
    let mut total_stats = Stats::default();
    let mut total_tenants = 0;
    for (ti, tier) in sc.tiers.iter().enumerate() {
        let members: Vec<usize> = (0..pop.tenants.len())
            .filter(|&t| pop.tenants[t].tier == ti)
            .collect();
        if members.is_empty() {
            continue;
        }
        let hdr = &rec.tier_hdr[ti];
        let stats = rec.tier_stats(ti);
        let fl: u64 = members.iter().map(|&t| in_flight[t]).sum();
        total_hdr
            .add(hdr)
            .map_err(|e| RunError::Invariant(e.to_string()))?;
        total_stats.merge(&stats);
        total_tenants += members.len() as u64;
        tiers.push(group_row(&tier.name, members.len() as u64, &stats, fl, hdr));
    }
    let total_in_flight: u64 = in_flight.iter().sum();
    let total = group_row(
        "all",
        total_tenants,
        &total_stats,
        total_in_flight,
        &total_hdr,
    );
    Ok((tiers, total))
}

/// The summary's row of each tenant, in population order: its outcomes (with `in_flight`),
/// latency, SLO `breaches`, resources, jobs and lifecycle state.
fn tenant_rows(
    sc: &Scenario,
    pop: &Population,
    plat: &Platform,
    in_flight: &[u64],
    breaches: &[Vec<String>],
) -> Vec<TenantRow> {
    let rec = &plat.recorder;
    pop.tenants
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let r = &rec.tenants[i];
            TenantRow {
                id: t.id.clone(),
                tier: sc.tiers[t.tier].name.clone(),
                cohort: t.cohort.map(|c| sc.cohorts[c].name.clone()),
                cell: plat.tenant_cell(i),
                outcomes: outcomes(&r.run, in_flight[i]),
                p50_ms: r.run.latency.quantile(0.5) as f64 / 1e6,
                p99_ms: r.run.latency.quantile(0.99) as f64 / 1e6,
                slo_breaches: breaches[i].clone(),
                cpu_ms: r.cpu_ns as f64 / 1e6,
                db_ms: r.db_ns as f64 / 1e6,
                bytes: r.bytes,
                misrouted_writes: r.run.misrouted_writes,
                jobs_done: r.run.jobs_done,
                jobs_dlq: r.run.jobs_dlq,
                job_wait_p99_ms: (r.run.job_wait.count() > 0)
                    .then(|| r.run.job_wait.quantile(0.99) as f64 / 1e6),
                job_wait_max_ms: (r.run.job_wait.count() > 0)
                    .then(|| r.run.job_wait.max() as f64 / 1e6),
                state: plat
                    .ctl
                    .state(i as u32)
                    .map(|s| s.name().to_string())
                    .unwrap_or_else(|| "not_provisioned".to_string()),
            }
        })
        .collect()
}

/// The summary's fault rows (the verdict of each fault, scenario order) and its
/// metastability row (the detector's settings and its verdict per fault).
fn fault_rows(
    sc: &Scenario,
    pop: &Population,
    rec: &Recorder,
) -> (Vec<FaultRow>, MetastabilityRow) {
    let targets: Vec<Option<u32>> = sc
        .faults
        .iter()
        .map(|f| f.kind.tenant().and_then(|t| pop.find(t)).map(|t| t.0))
        .collect();
    let verdicts = crate::harness::verdicts::fault_verdicts(sc, rec, &targets);
    let meta_verdicts = crate::harness::verdicts::metastability(sc, rec, &targets);
    let faults = sc
        .faults
        .iter()
        .zip(&verdicts)
        .zip(&meta_verdicts)
        .map(|((f, v), mv)| FaultRow {
            name: f.name.clone(),
            kind: f.kind.name().to_string(),
            start_s: f.start.as_secs_f64(),
            end_s: f.end.as_secs_f64(),
            target: Some(f.kind.target()),
            affected_tenants: v.affected_tenants,
            // Stuck to the end by the metastability detector: no recovery time, so the
            // two verdicts never contradict each other.
            recovery_s: if mv.until_end { None } else { v.recovery_s },
            resolved: f.resolved.clone(),
        })
        .collect();
    let m = &sc.metastability;
    let metastability = MetastabilityRow {
        goodput_below: m.goodput_below,
        amplification_above: m.amplification_above,
        for_s: m.for_duration.as_secs_f64(),
        min_requests: m.min_requests,
        faults: sc
            .faults
            .iter()
            .zip(meta_verdicts)
            .map(|(f, v)| MetastableFault {
                fault: f.name.clone(),
                flagged: v.flagged,
                judged: v.judged.to_string(),
                stuck_s: v.stuck_s,
                until_end: v.until_end,
                goodput: v.goodput,
                amplification: v.amplification,
                evidence_step_s: v.evidence_step_s,
                evidence: v.evidence,
            })
            .collect(),
    };
    (faults, metastability)
}

/// The request trace of a finished run: the tracer's records closed at the run's end, with
/// the tenants' names, tiers and cells, and the run's identity from its `summary`.
fn finish_trace(
    tr: crate::trace::Tracer,
    (sc, pop, plat): (&Scenario, &Population, &Platform),
    seed: u64,
    opts: &RunOptions,
    summary: &RunSummary,
) -> reports::trace::Trace {
    let names: Vec<(String, String, u32)> = pop
        .tenants
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                t.id.clone(),
                sc.tiers[t.tier].name.clone(),
                plat.tenant_cell(i),
            )
        })
        .collect();
    let meta = reports::trace::TraceMeta {
        scenario: summary.scenario.clone(),
        file: summary.file.clone(),
        seed,
        variant: summary.variant.clone(),
        overrides: summary.overrides.clone(),
        digest: summary.digest.clone(),
        select_tenants: opts
            .trace
            .as_ref()
            .map(|s| s.tenants.clone())
            .unwrap_or_default(),
        select_cells: opts
            .trace
            .as_ref()
            .map(|s| s.cells.clone())
            .unwrap_or_default(),
        ..Default::default()
    };
    tr.finish(
        SimTime(sc.duration.as_nanos()),
        &names,
        sc.classes.iter().map(|c| c.name.clone()).collect(),
        meta,
    )
}

/// The tiers that have tenants, in file order (the tiers of `summary.json`).
fn waits_tiers<'a>(sc: &'a Scenario, pop: &Population) -> Vec<(usize, &'a str)> {
    let mut has = vec![false; sc.tiers.len()];
    for t in &pop.tenants {
        if let Some(h) = has.get_mut(t.tier) {
            *h = true;
        }
    }
    sc.tiers
        .iter()
        .enumerate()
        .filter(|(i, _)| has[*i])
        .map(|(i, t)| (i, t.name.as_str()))
        .collect()
}

fn stop_name(s: StopReason) -> &'static str {
    match s {
        StopReason::TimeReached => "time_reached",
        StopReason::QueueEmpty => "queue_empty",
        StopReason::Predicate => "predicate",
        StopReason::MaxEvents => "max_events",
        StopReason::Stalled => "stalled",
        StopReason::Overloaded => "overloaded",
    }
}

fn outcomes(s: &Stats, in_flight: u64) -> Outcomes {
    Outcomes {
        offered: s.offered,
        ok: s.ok,
        rejected_429: s.rejected,
        shed_503: s.shed,
        errors_5xx: s.errors,
        timeouts: s.timeouts,
        in_flight,
        attempts: s.attempts,
    }
}

fn group_row(
    name: &str,
    tenants: u64,
    s: &Stats,
    in_flight: u64,
    hdr: &hdrhistogram::Histogram<u64>,
) -> GroupRow {
    let ms = |v: u64| v as f64 / 1e6;
    let mut latency = if hdr.is_empty() {
        Latency::default()
    } else {
        Latency {
            count: hdr.len(),
            mean_ms: s.latency.mean() / 1e6,
            p50_ms: ms(hdr.value_at_quantile(0.5)),
            p99_ms: ms(hdr.value_at_quantile(0.99)),
            p999_ms: ms(hdr.value_at_quantile(0.999)),
            max_ms: ms(s.latency.max()),
            ..Default::default()
        }
    };
    latency.queue_wait_mean_ms = s.queue_wait.mean() / 1e6;
    latency.queue_wait_p99_ms = ms(s.queue_wait.quantile(0.99));
    let mut causes = BTreeMap::new();
    for c in crate::component::outcome::CAUSES {
        let n = s.causes[c as usize];
        if n > 0 {
            causes.insert(c.name().to_string(), n);
        }
    }
    GroupRow {
        name: name.to_string(),
        tenants,
        outcomes: outcomes(s, in_flight),
        latency,
        causes,
        by_attempts: s.by_attempts.to_vec(),
    }
}

fn check_ledger(plat: &Platform, in_flight: &[u64]) -> Result<LedgerRow, RunError> {
    let l = plat.ledger;
    let row = LedgerRow {
        requests_started: l.requests_started,
        requests_finished: l.requests_finished,
        requests_in_flight: plat.requests_in_flight() as u64,
        attempts_started: l.attempts_started,
        attempts_finished: l.attempts_finished,
        attempts_in_flight: plat.attempts_in_flight() as u64,
        attempts_wasted: l.attempts_wasted,
        balanced: false,
    };
    let mut problems = Vec::new();
    if row.requests_started != row.requests_finished + row.requests_in_flight {
        problems.push(format!(
            "requests: started {} ≠ finished {} + in flight {}",
            row.requests_started, row.requests_finished, row.requests_in_flight
        ));
    }
    if row.attempts_started != row.attempts_finished + row.attempts_in_flight {
        problems.push(format!(
            "attempts: started {} ≠ finished {} + in flight {}",
            row.attempts_started, row.attempts_finished, row.attempts_in_flight
        ));
    }
    let rec = &plat.recorder;
    let mut offered = 0;
    let mut finished = 0;
    let mut attempts = 0;
    for (t, r) in rec.tenants.iter().enumerate() {
        let s = &r.run;
        if s.offered != s.finished() + in_flight[t] {
            problems.push(format!(
                "tenant #{t}: offered {} ≠ finished {} + in flight {}",
                s.offered,
                s.finished(),
                in_flight[t]
            ));
            break;
        }
        offered += s.offered;
        finished += s.finished();
        attempts += s.attempts;
    }
    if offered != row.requests_started
        || finished != row.requests_finished
        || attempts != row.attempts_started
    {
        problems.push(format!(
            "per-tenant sums (offered {offered}, finished {finished}, attempts {attempts}) differ from the ledger ({}, {}, {})",
            row.requests_started, row.requests_finished, row.attempts_started
        ));
    }
    if !problems.is_empty() {
        return Err(RunError::Invariant(format!(
            "the request ledger does not balance: {}",
            problems.join("; ")
        )));
    }
    Ok(LedgerRow {
        balanced: true,
        ..row
    })
}

/// The time series a recording holds (live mode builds its charts from it too).
pub fn series_of(sc: &Scenario, pop: &Population, rec: &Recorder) -> Series {
    let q = |h: &sim::LogHistogram, p: f64| (h.count() > 0).then(|| h.quantile(p) as f64 / 1e6);
    let groups = rec
        .groups
        .iter()
        .map(|g| GroupSeries {
            kind: g.kind.to_string(),
            name: g.name.clone(),
            points: g
                .windows
                .iter()
                .map(|s| GroupPoint {
                    offered: s.offered,
                    ok: s.ok,
                    rejected_429: s.rejected,
                    shed_503: s.shed,
                    errors_5xx: s.errors,
                    timeouts: s.timeouts,
                    attempts: s.attempts,
                    p50_ms: q(&s.latency, 0.5),
                    p99_ms: q(&s.latency, 0.99),
                    p999_ms: q(&s.latency, 0.999),
                })
                .collect(),
        })
        .collect();
    let cells = rec
        .cells
        .iter()
        .enumerate()
        .map(|(i, samples)| CellSeries {
            cell: i as u32,
            points: samples
                .iter()
                .map(|c| CellPoint {
                    queue_depth: c.queue_depth,
                    workers_busy: c.workers_busy,
                    workers: c.workers,
                    db_utilisation: c.db_utilisation,
                    db_waiting: c.db_waiting,
                    breaker_open: c.breaker_open,
                })
                .collect(),
        })
        .collect();
    // Heatmap rows grouped by cell, declaration order within a cell.
    let mut order: Vec<usize> = (0..pop.tenants.len()).collect();
    order.sort_by_key(|&t| pop.tenants[t].cell);
    let hw = rec.heat_windows;
    let mut bad = Vec::with_capacity(order.len() * hw);
    for &t in &order {
        for w in 0..hw {
            let (n, b) = rec.heat_at(t, w);
            bad.push((n > 0).then(|| b as f32 / n as f32));
        }
    }
    Series {
        window_s: sc.window.as_secs_f64(),
        windows: rec.n_windows,
        groups,
        cells,
        heatmap: Heatmap {
            window_s: rec.heat_window.as_secs_f64(),
            threshold_ms: rec.heat_threshold.as_millis_f64(),
            tenants: order.iter().map(|&t| pop.tenants[t].id.clone()).collect(),
            cells: order.iter().map(|&t| pop.tenants[t].cell).collect(),
            bad,
            windows: hw,
        },
    }
}

/// With `shuffle_shard` placement, the overlap of the first ≤ 2,000 tenants' shards (pairs are
/// quadratic), measured and expected.
fn shard_overlap(sc: &Scenario, pop: &Population) -> Option<reports::summary::ShardOverlap> {
    use crate::component::placement::shuffle_shard;
    if sc.control_plane.placement != shuffle_shard::NAME {
        return None;
    }
    let k = sc.control_plane.placement_params.shuffle_shard_size.max(1);
    let n = sc.platform.cells;
    let ids: Vec<u32> = (0..pop.tenants.len().min(2_000) as u32).collect();
    let counts = shuffle_shard::overlap_counts(&ids, n, k);
    let pairs: u64 = counts.iter().sum();
    Some(reports::summary::ShardOverlap {
        shard_size: k.min(n),
        cells: n,
        tenants: ids.len() as u64,
        measured: counts
            .iter()
            .map(|&c| {
                if pairs > 0 {
                    c as f64 / pairs as f64
                } else {
                    0.0
                }
            })
            .collect(),
        expected: shuffle_shard::overlap_pmf(n, k),
    })
}

fn control_row(plat: &Platform, sc: &Scenario, pop: &Population) -> reports::summary::ControlRow {
    let c = &plat.ctl.counts;
    reports::summary::ControlRow {
        transitions: transitions(plat),
        provisioned: c.provisioned,
        provision_failed: c.provision_failed,
        cell_events: plat
            .ctl
            .cell_events
            .iter()
            .map(|&(t, cell, dead)| (t.as_secs_f64(), cell, dead))
            .collect(),
        route_refreshes: c.route_refreshes,
        route_refresh_failures: c.route_refresh_failures,
        stale_routes_served: c.stale_routes_served,
        config_versions: c.config_versions,
        misrouted_writes_applied: c.misrouted_writes_applied,
        misrouted_writes_rejected: c.misrouted_writes_rejected,
        kms_calls: plat.kms.calls,
        kms_failures: plat.kms.failures,
        jobs_done: plat.jobs.done,
        jobs_dlq: plat.jobs.dlq,
        jobs_in_flight: plat.jobs_in_flight() as u64,
        job_attempts_failed: plat.jobs.failed_attempts,
        shard_overlap: shard_overlap(sc, pop),
        actions: action_rows(plat, pop),
        action_counts: plat
            .ctl
            .actions
            .by_kind
            .iter()
            .map(|(k, n)| (k.to_string(), *n))
            .collect(),
        action_outcomes: plat
            .ctl
            .actions
            .by_outcome
            .iter()
            .map(|((k, o), n)| (format!("{k}/{o}"), *n))
            .collect(),
        dependencies: dependency_rows(plat),
        moves: plat.moves_row(),
        config_ttl: plat
            .ctl
            .config_ttl
            .as_deref()
            .map(|c| c.row(SimTime(sc.duration.as_nanos()))),
        served_by_dead_cell: plat.served_by_dead_cell().map(|d| {
            reports::summary::ServedByDeadCell {
                t_s: d.at.as_secs_f64(),
                tenant: pop.tenants[d.tenant as usize].id.clone(),
                cell: d.cell,
                arrived_s: d.arrived.as_secs_f64(),
                outage_began_s: d.outage_began.as_secs_f64(),
            }
        }),
        retries_denied_by_budget: plat.ledger.retries_denied_by_budget,
        cell_config_ttl: plat
            .ctl
            .cell_config_ttl
            .as_deref()
            .map(|c| c.row(SimTime(sc.duration.as_nanos()))),
    }
}

/// Every lifecycle transition (`from->to`) of the run, with the reconciler's substates,
/// and how often it happened.
fn transitions(plat: &Platform) -> BTreeMap<String, u64> {
    let mut transitions = BTreeMap::new();
    for (from, to, n) in plat.ctl.log.counts() {
        transitions.insert(format!("{}->{}", from.name(), to.name()), n);
    }
    for (from, to, n) in plat.reconcile_substate_changes() {
        transitions.insert(format!("{}->{}", from.name(), to.name()), n);
    }
    transitions
}

/// The control plane's actions, in the order they started.
fn action_rows(plat: &Platform, pop: &Population) -> Vec<reports::summary::ActionRow> {
    plat.ctl
        .actions
        .log
        .iter()
        .map(|a| reports::summary::ActionRow {
            t: a.start.as_secs_f64(),
            kind: a.kind.to_string(),
            tenant: a.tenant.map(|t| pop.tenants[t as usize].id.clone()),
            cell: a.cell,
            to: a.to,
            reason: a.reason.clone(),
            outcome: a.outcome.to_string(),
            duration_s: a.end.since(a.start).as_secs_f64(),
        })
        .collect()
}

/// What each shared dependency answered, in declaration order.
fn dependency_rows(plat: &Platform) -> Vec<reports::summary::DependencyRow> {
    plat.deps
        .names
        .iter()
        .zip(&plat.deps.deps)
        .map(|(name, d)| reports::summary::DependencyRow {
            name: name.clone(),
            calls: d.counts.calls,
            quota_refused: d.counts.quota_refused,
            busy_refused: d.counts.busy_refused,
            timed_out: d.counts.timed_out,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: a scenario whose load outgrows the platform without bound ends in a bounded
    /// run reported as `overloaded` (truncated, not a pass), not in a hang or an OOM.
    /// Method: 100,000 requests a second into one worker of 10 ms with an unbounded queue and
    /// clients that never give up: the backlog grows by ~99,900 a second. With the bound
    /// lowered to 10,000 the run stops within ~0.1 s of simulated time with `overloaded`.
    #[test]
    fn unbounded_growth_is_a_reported_outcome() {
        let text = r#"
version = 1
duration = "1h"
[platform]
cells = 1
workers = 1
queue_limit = 100000000
[classes.api]
service = "const(10ms)"
db_queries = "const(0)"
timeout = "100d"
[[tenants]]
id = "flood"
rate = "100000/s"
"#;
        let sc = crate::scenario::load_str("flood.toml", text, &[]).expect("valid");
        let opts = RunOptions::default();
        let mut p = prepare(&sc, 1, &opts);
        let limits = Limits {
            max_backlog: Some(10_000),
            ..Limits::default()
        };
        let stop = execute(&mut p, &sc, limits, &mut NoObserver);
        assert_eq!(stop, StopReason::Overloaded);
        let s = summarise(&sc, 1, &opts, p, stop).expect("ledger").summary;
        assert_eq!(s.stop, "overloaded");
        assert!(s.truncated && !s.passed);
        assert!(s.sim_seconds < 0.2, "{}", s.sim_seconds);
    }
}

//! One run: scenario + seed → a [`RunSummary`], with the ledger checked.
//!
//! **Invariant.** At the end of every run the ledger balances: every logical request and
//! every attempt started has finished or is still in flight, and per-tenant counts add up
//! to the totals. If not, the run fails with [`RunError::Invariant`] (exit code 3).

use crate::platform::{Ev, Platform};
use crate::population::Population;
use crate::record::{Recorder, Stats};
use crate::scenario::Scenario;
use crate::slo;
use reports::summary::{
    self, FaultRow, GroupRow, Latency, LedgerRow, Outcomes, RunSummary, TenantRow,
};
use sim::{Engine, RunLimits, SimTime, StopReason};
use std::collections::BTreeMap;

/// A run's result.
pub struct RunOutput {
    /// The summary.
    pub summary: RunSummary,
    /// Why the engine stopped.
    pub stop: StopReason,
}

/// A run that could not be trusted.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A model invariant broke (a bug): exit code 3.
    #[error("internal invariant broken: {0}")]
    Invariant(String),
}

/// Runs `sc` with `seed`; `variant` is only recorded.
pub fn run(sc: &Scenario, seed: u64, variant: Option<&str>) -> Result<RunOutput, RunError> {
    let pop = Population::build(sc, seed);
    let rec = Recorder::new(
        pop.tenants.iter().map(|t| t.tier as u16).collect(),
        sc.tiers.len(),
        sc.duration,
        sc.window,
        slo::distinct_windows(sc),
    );
    let mut engine: Engine<Ev> = Engine::new();
    let mut plat = Platform::build(sc, &pop, seed, rec, &mut engine.queue);
    let stop = engine.run(
        &mut plat,
        RunLimits {
            until: SimTime(sc.duration.as_nanos()),
            max_events: sc.max_events,
        },
    );

    // Requests still in flight count for their tenants.
    let mut in_flight = vec![0u64; pop.tenants.len()];
    for t in plat.in_flight_tenants() {
        in_flight[t as usize] += 1;
    }
    let ledger = check_ledger(&plat, &in_flight)?;

    let (slo_rows, breaches) = slo::evaluate(sc, &pop, &plat.recorder);
    let rec = &plat.recorder;
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
        let tr = &rec.tiers[ti];
        let stats = rec.tier_stats(ti);
        let fl: u64 = members.iter().map(|&t| in_flight[t]).sum();
        total_hdr
            .add(&tr.hdr)
            .map_err(|e| RunError::Invariant(e.to_string()))?;
        total_stats.merge(&stats);
        total_tenants += members.len() as u64;
        tiers.push(group_row(
            &tier.name,
            members.len() as u64,
            &stats,
            fl,
            &tr.hdr,
        ));
    }
    let total_in_flight: u64 = in_flight.iter().sum();
    let total = group_row(
        "all",
        total_tenants,
        &total_stats,
        total_in_flight,
        &total_hdr,
    );

    let tenants = pop
        .tenants
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let r = &rec.tenants[i];
            TenantRow {
                id: t.id.clone(),
                tier: sc.tiers[t.tier].name.clone(),
                cohort: t.cohort.map(|c| sc.cohorts[c].name.clone()),
                cell: t.cell,
                outcomes: outcomes(&r.run, in_flight[i]),
                p50_ms: r.run.latency.quantile(0.5) as f64 / 1e6,
                p99_ms: r.run.latency.quantile(0.99) as f64 / 1e6,
                slo_breaches: breaches[i].clone(),
                cpu_ms: r.cpu_ns as f64 / 1e6,
                db_ms: r.db_ns as f64 / 1e6,
                bytes: r.bytes,
            }
        })
        .collect();

    let faults = sc
        .faults
        .iter()
        .map(|f| FaultRow {
            name: f.name.clone(),
            kind: f.kind.name().to_string(),
            start_s: f.start.as_secs_f64(),
            end_s: f.end.as_secs_f64(),
            target: Some(f.kind.target()),
        })
        .collect();

    let passed = slo_rows.iter().all(|r| r.passed);
    let summary = RunSummary {
        schema_version: summary::SCHEMA_VERSION,
        scenario: sc.name.clone(),
        file: sc.file.clone(),
        variant: variant.map(str::to_string),
        overrides: sc.overrides.clone(),
        seed,
        digest: engine.digest().hex(),
        events: engine.events_processed(),
        sim_seconds: sc.duration.as_secs_f64(),
        stop: stop_name(stop).to_string(),
        passed,
        total,
        tiers,
        slos: slo_rows,
        faults,
        ledger,
        tenants,
    };
    Ok(RunOutput { summary, stop })
}

fn stop_name(s: StopReason) -> &'static str {
    match s {
        StopReason::TimeReached => "time_reached",
        StopReason::QueueEmpty => "queue_empty",
        StopReason::Predicate => "predicate",
        StopReason::MaxEvents => "max_events",
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
    for c in crate::outcome::CAUSES {
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

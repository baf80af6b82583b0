//! Why an SLO failed (`tenantsim explain`), and what one tenant or fault cost the others
//! (`explain --without`).
//!
//! **Explaining a violation.** For each failing SLO: the tenants that breached it; when they
//! went bad (the heat windows inside the SLO's window where at least 5% of their requests
//! failed or were slower than the heat threshold); where (their cells); and the chain behind
//! it as far as the model knows it. A second run of the same seed takes
//! [`Snapshot`]s at the start and end of that interval (snapshots do not change the run), and
//! their difference says who used the cell's workers and DB in between, how the breaching
//! tenants' requests failed, and the retry amplification. The saturated resource is named
//! by fixed rules over the failure causes and the cell samples ([`diagnose`]).
//!
//! **Counterfactual.** `--without X` reruns the same seed with tenant `X` silent (it sends
//! nothing; placement and every other tenant's random streams are unchanged, so everyone
//! else's arrivals are identical) or with fault `X` disabled, and reports per bystander the
//! difference in p99 and failed requests: damage attributable to `X`, measured, not guessed
//! from co-location.

use crate::component::outcome::CAUSES;
use crate::harness::blast;
use crate::harness::run::{run_with, RunError, RunOptions, RunOutput};
use crate::platform::probe::Snapshot;
use crate::population::Population;
use crate::scenario::{Metric, Scenario};
use reports::summary::TenantRow;
use sim::{SimDuration, SimTime};
use std::fmt::Write as _;

/// A heat window is "bad" for the breaching tenants when at least this fraction of their
/// requests went badly.
const BAD_FRACTION: f32 = 0.05;
/// A resource at or above this utilisation counts as saturated.
const SATURATED: f64 = 0.9;

/// One tenant's use of a cell in the interval.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    /// Tenant id.
    pub tenant: String,
    /// Share of the cell's metered CPU in the interval.
    pub cpu_share: f64,
    /// Share of the cell's metered DB time.
    pub db_share: f64,
    /// Requests it sent in the interval.
    pub offered: u64,
    /// Of them, failed (503, 5xx, timeouts).
    pub failed: u64,
    /// Its requests waiting in the queue at the end of the interval.
    pub queued: u32,
}

/// The explanation of one failing SLO.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// SLO name.
    pub slo: String,
    /// Objective as written.
    pub objective: String,
    /// Measured (text) and the worst tenant.
    pub measured: String,
    /// The worst tenant, under `each`.
    pub worst_tenant: Option<String>,
    /// Tenants that breached it.
    pub breaching: Vec<String>,
    /// Tenants judged.
    pub judged: u64,
    /// The SLO's window.
    pub window: (SimTime, SimTime),
    /// When the breaching tenants were going badly (within the window).
    pub bad: (SimTime, SimTime),
    /// Cells of the breaching tenants, with how many of them each holds (most first).
    pub cells: Vec<(u32, usize)>,
    /// The saturated resource, in words.
    pub resource: String,
    /// The rule that named it.
    pub evidence: Vec<String>,
    /// Top users of the main cell in the interval.
    pub users: Vec<User>,
    /// Faults active during the interval: (name, kind, target, start, end).
    pub faults: Vec<(String, String, String, SimTime, SimTime)>,
    /// Failures of the breaching tenants in the interval by cause, most first.
    pub causes: Vec<(String, u64)>,
    /// Attempts per request in the interval: all tenants, and the breaching ones.
    pub amplification: (f64, f64),
    /// Control-plane actions whose span overlaps the interval, in words.
    pub actions: Vec<String>,
    /// Rollout waves that reached the breaching tenants or their cells before the
    /// interval ended, in words (`explain_rollouts.rs`).
    pub rollout_waves: Vec<String>,
}

/// Everything `explain` found.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// SLOs asked about that held.
    pub held: Vec<String>,
    /// One per failing SLO, in scenario order.
    pub violations: Vec<Violation>,
    /// The run's summary (a counterfactual can reuse it instead of running the seed again).
    pub summary: reports::RunSummary,
}

fn delta_tenant<'a>(
    a: &'a Snapshot,
    b: &'a Snapshot,
    t: usize,
) -> Option<(
    &'a crate::platform::probe::TenantSnap,
    &'a crate::platform::probe::TenantSnap,
)> {
    Some((a.tenants.get(t)?, b.tenants.get(t)?))
}

/// Runs `sc` with `seed` (and `opts`), then explains every failing SLO (or only those named
/// in `only`).
pub fn explain(
    sc: &Scenario,
    seed: u64,
    opts: &RunOptions,
    only: &[String],
) -> Result<Explanation, RunError> {
    // The first run also keeps its final state: intervals that reach the end need no rerun.
    let run_end = SimTime(sc.duration.as_nanos());
    let first = run_with(
        sc,
        seed,
        &RunOptions {
            probes: vec![run_end],
            ..opts.clone()
        },
    )?;
    let s = &first.summary;
    let mut held = Vec::new();
    let mut failing = Vec::new();
    for (i, row) in s.slos.iter().enumerate() {
        if !only.is_empty() && !only.contains(&row.name) {
            continue;
        }
        if row.passed {
            held.push(row.name.clone());
        } else {
            failing.push(i);
        }
    }
    let pop = Population::build(sc, seed);
    // The bad interval of each failing SLO, from the first run's heatmap.
    let mut plans = Vec::new();
    for &i in &failing {
        let slo = &sc.slos[i];
        let row = &s.slos[i];
        let breaching: Vec<usize> = s
            .tenants
            .iter()
            .enumerate()
            .filter(|(_, t)| t.slo_breaches.contains(&row.name))
            .map(|(i, _)| i)
            .collect();
        // Aggregate SLOs name no tenant: their selected tenants are the ones to look at.
        let breaching = if breaching.is_empty() {
            (0..pop.tenants.len())
                .filter(|&t| crate::harness::slo::selects(slo, sc, &pop, t))
                .collect()
        } else {
            breaching
        };
        let window = slo.window.interval(&sc.faults, sc.duration);
        let bad = bad_interval(&first, &breaching, window);
        plans.push((i, breaching, window, bad));
    }
    let mut times: Vec<SimTime> = plans
        .iter()
        .flat_map(|p| [p.3 .0, p.3 .1])
        .filter(|&t| t > SimTime::ZERO && t < run_end)
        .collect();
    times.sort();
    times.dedup();
    let second = if times.is_empty() {
        None
    } else {
        Some(run_with(
            sc,
            seed,
            &RunOptions {
                probes: times,
                ..opts.clone()
            },
        )?)
    };
    let end_snapshot = first.probes.last().cloned().unwrap_or_default();
    let at = |t: SimTime| -> Snapshot {
        if t >= run_end {
            return end_snapshot.clone();
        }
        second
            .as_ref()
            .and_then(|o| o.probes.iter().find(|p| p.at == t))
            .cloned()
            // Time 0 (or a probe that could not be taken): nothing has happened yet.
            .unwrap_or_else(|| zeroed(&end_snapshot))
    };
    let mut violations = Vec::new();
    for (i, breaching, window, bad) in plans {
        let row = &s.slos[i];
        let (a, b) = (at(bad.0), at(bad.1));
        violations.push(describe(
            sc, &first, &pop, row, &breaching, window, bad, &a, &b,
        ));
    }
    Ok(Explanation {
        scenario: sc.name.clone(),
        seed,
        held,
        violations,
        summary: first.summary,
    })
}

/// `s` with every counter at zero and nothing queued: the state before the run began (tenants
/// keep the cells they end on).
fn zeroed(s: &Snapshot) -> Snapshot {
    Snapshot {
        at: SimTime::ZERO,
        tenants: s
            .tenants
            .iter()
            .map(|t| crate::platform::probe::TenantSnap {
                cell: t.cell,
                ..Default::default()
            })
            .collect(),
        cells: Vec::new(),
    }
}

/// The first and last heat windows inside `window` in which the breaching tenants together
/// had at least [`BAD_FRACTION`] bad requests; the whole window if none did.
fn bad_interval(
    out: &RunOutput,
    breaching: &[usize],
    window: (SimTime, SimTime),
) -> (SimTime, SimTime) {
    let h = &out.series.heatmap;
    let s = &out.summary;
    let w_ns = SimDuration::from_secs_f64(h.window_s).as_nanos().max(1);
    let rows: Vec<usize> = breaching
        .iter()
        .filter_map(|&t| h.tenants.iter().position(|x| *x == s.tenants[t].id))
        .collect();
    let mut first = None;
    let mut last = None;
    for w in 0..h.windows {
        let (a, b) = (w as u64 * w_ns, (w as u64 + 1) * w_ns);
        if b <= window.0 .0 || a >= window.1 .0 {
            continue;
        }
        let vals: Vec<f32> = rows
            .iter()
            .filter_map(|&r| h.bad.get(r * h.windows + w).copied().flatten())
            .collect();
        if vals.is_empty() {
            continue;
        }
        let mean = vals.iter().sum::<f32>() / vals.len() as f32;
        if mean >= BAD_FRACTION {
            first.get_or_insert(w);
            last = Some(w);
        }
    }
    match (first, last) {
        (Some(f), Some(l)) => (
            SimTime((f as u64 * w_ns).max(window.0 .0)),
            SimTime(((l as u64 + 1) * w_ns).min(window.1 .0)),
        ),
        _ => window,
    }
}

#[allow(clippy::too_many_arguments)]
fn describe(
    sc: &Scenario,
    first: &RunOutput,
    pop: &Population,
    row: &reports::summary::SloRow,
    breaching: &[usize],
    window: (SimTime, SimTime),
    bad: (SimTime, SimTime),
    a: &Snapshot,
    b: &Snapshot,
) -> Violation {
    let s = &first.summary;
    let cells = breaching_cells(b, &s.tenants, breaching);
    let main = cells.first().map(|c| c.0).unwrap_or(0);
    let moved = Moved::between(a, b, breaching);
    let d = diagnosis(sc, first, main, bad, &moved);
    let (resource, evidence) = name_resource(sc, s, row, breaching, &d);
    let mut users = users_of_cell(a, b, pop, main);
    top_users(&mut users, resource.starts_with("the DB"));
    let rollout_waves = crate::harness::explain_rollouts::waves_behind(
        sc,
        pop,
        &s.rollouts,
        breaching,
        &cells,
        bad,
    );
    Violation {
        slo: row.name.clone(),
        objective: row.objective.clone(),
        measured: row.measured_text.clone(),
        worst_tenant: row.worst_tenant.clone(),
        breaching: breaching
            .iter()
            .map(|&t| pop.tenants[t].id.clone())
            .collect(),
        judged: row.tenants_judged,
        window,
        bad,
        cells,
        resource,
        evidence,
        users,
        faults: faults_in(sc, bad),
        causes: moved.causes,
        amplification: moved.amplification,
        actions: crate::harness::explain_actions::in_interval(&s.control.actions, bad.0, bad.1),
        rollout_waves,
    }
}

/// What moved between the interval's two snapshots.
struct Moved {
    /// Failures of the breaching tenants by cause, most first.
    causes: Vec<(String, u64)>,
    /// Queue waits of the breaching tenants' served attempts: count and total ns.
    waits: (u64, u128),
    /// The breaching tenants' requests queued at the interval's end.
    queued: u64,
    /// Attempts per request: all tenants, and the breaching ones.
    amplification: (f64, f64),
}

impl Moved {
    fn between(a: &Snapshot, b: &Snapshot, breaching: &[usize]) -> Moved {
        let mut causes = [0u64; crate::component::outcome::N_CAUSES];
        let (mut waits, mut wait_ns, mut queued) = (0u64, 0u128, 0u64);
        let (mut off_b, mut att_b) = (0u64, 0u64);
        for &t in breaching {
            if let Some((x, y)) = delta_tenant(a, b, t) {
                for (c, n) in causes.iter_mut().enumerate() {
                    *n += y.causes[c].saturating_sub(x.causes[c]);
                }
                waits += y.queue_waits.saturating_sub(x.queue_waits);
                wait_ns += y.queue_wait_ns.saturating_sub(x.queue_wait_ns);
                queued += u64::from(y.queued);
                off_b += y.offered.saturating_sub(x.offered);
                att_b += y.attempts.saturating_sub(x.attempts);
            }
        }
        let mut cause_list: Vec<(String, u64)> = CAUSES
            .iter()
            .zip(causes)
            .filter(|(_, n)| *n > 0)
            .map(|(c, n)| (c.name().to_string(), n))
            .collect();
        cause_list.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        // Amplification, all tenants.
        let (mut off, mut att) = (0u64, 0u64);
        for (x, y) in a.tenants.iter().zip(&b.tenants) {
            off += y.offered.saturating_sub(x.offered);
            att += y.attempts.saturating_sub(x.attempts);
        }
        let ratio = |n: u64, d: u64| if d > 0 { n as f64 / d as f64 } else { 1.0 };
        Moved {
            causes: cause_list,
            waits: (waits, wait_ns),
            queued,
            amplification: (ratio(att, off), ratio(att_b, off_b)),
        }
    }
}

/// What [`diagnose`] needs about cell `main` over `bad`: its samples, and what moved.
fn diagnosis<'a>(
    sc: &Scenario,
    first: &RunOutput,
    main: u32,
    bad: (SimTime, SimTime),
    moved: &'a Moved,
) -> Diagnosis<'a> {
    let pts = samples_in(first, main, bad);
    let n = pts.len().max(1) as f64;
    let busy = pts
        .iter()
        .map(|p| {
            if p.workers > 0 {
                f64::from(p.workers_busy) / f64::from(p.workers)
            } else {
                1.0
            }
        })
        .sum::<f64>()
        / n;
    let (waits, wait_ns) = moved.waits;
    Diagnosis {
        cell: main,
        scheduler: sc.platform.scheduler.name(),
        busy,
        db_util: pts.iter().map(|p| p.db_utilisation).sum::<f64>() / n,
        max_queue: pts.iter().map(|p| p.queue_depth).max().unwrap_or(0),
        max_db_wait: pts.iter().map(|p| p.db_waiting).max().unwrap_or(0),
        breaker_windows: pts.iter().filter(|p| p.breaker_open).count(),
        windows: pts.len(),
        causes: &moved.causes,
        mean_wait_ms: if waits > 0 {
            wait_ns as f64 / waits as f64 / 1e6
        } else {
            0.0
        },
        queued: moved.queued,
    }
}

/// The saturated resource and its evidence: the async plane for a job SLO, routing for
/// misrouted writes, else [`diagnose`]'s rules.
fn name_resource(
    sc: &Scenario,
    s: &reports::RunSummary,
    row: &reports::summary::SloRow,
    breaching: &[usize],
    d: &Diagnosis,
) -> (String, Vec<String>) {
    let metric = sc
        .slos
        .iter()
        .find(|x| x.name == row.name)
        .map(|x| x.objective.metric);
    match metric {
        Some(Metric::JobWaitPercentile(_) | Metric::JobWaitMax | Metric::Dlq) => {
            jobs_diagnosis(sc, s, breaching, d.cell)
        }
        Some(Metric::MisroutedWrites) => {
            let c = &s.control;
            (
                "routing after a tenant migration: writes reached a cell that no longer owned the tenant".to_string(),
                vec![
                    format!(
                        "misrouted writes applied by the old cell: {}, rejected (retryable `wrong_cell`): {}",
                        c.misrouted_writes_applied, c.misrouted_writes_rejected
                    ),
                    format!(
                        "route refreshes {} ({} failed), config versions published {}",
                        c.route_refreshes, c.route_refresh_failures, c.config_versions
                    ),
                ],
            )
        }
        _ => diagnose(d),
    }
}

/// Faults overlapping `bad`: (name, kind, target, start, end).
fn faults_in(
    sc: &Scenario,
    bad: (SimTime, SimTime),
) -> Vec<(String, String, String, SimTime, SimTime)> {
    sc.faults
        .iter()
        .filter(|f| f.start < bad.1 && f.end > bad.0)
        .map(|f| {
            (
                f.name.clone(),
                f.kind.name().to_string(),
                f.kind.target(),
                f.start,
                f.end,
            )
        })
        .collect()
}

/// The five users that matter: by DB share when the DB is the resource (`by_db`), else by
/// CPU share; ties by requests sent.
fn top_users(users: &mut Vec<User>, by_db: bool) {
    users.sort_by(|x, y| {
        let (kx, ky) = if by_db {
            (x.db_share, y.db_share)
        } else {
            (x.cpu_share, y.cpu_share)
        };
        ky.total_cmp(&kx).then(y.offered.cmp(&x.offered))
    });
    users.truncate(5);
}

/// The cells of the breaching tenants (at the interval's end), with how many breaching
/// tenants each holds, most first.
fn breaching_cells(b: &Snapshot, tenants: &[TenantRow], breaching: &[usize]) -> Vec<(u32, usize)> {
    let mut cells: Vec<(u32, usize)> = Vec::new();
    for &t in breaching {
        let c = b.tenants.get(t).map(|x| x.cell).unwrap_or(tenants[t].cell);
        match cells.iter_mut().find(|x| x.0 == c) {
            Some(x) => x.1 += 1,
            None => cells.push((c, 1)),
        }
    }
    cells.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    cells
}

/// The tenants on cell `main` between snapshots `a` and `b`: their CPU and DB shares of the
/// cell, what they offered, what failed, what they had queued.
fn users_of_cell(a: &Snapshot, b: &Snapshot, pop: &Population, main: u32) -> Vec<User> {
    let mut users: Vec<User> = Vec::new();
    let (mut cpu_total, mut db_total) = (0u64, 0u64);
    for (t, (x, y)) in a.tenants.iter().zip(&b.tenants).enumerate() {
        if y.cell != main {
            continue;
        }
        let cpu = y.cpu_ns.saturating_sub(x.cpu_ns);
        let db = y.db_ns.saturating_sub(x.db_ns);
        cpu_total += cpu;
        db_total += db;
        users.push(User {
            tenant: pop.tenants[t].id.clone(),
            cpu_share: cpu as f64,
            db_share: db as f64,
            offered: y.offered.saturating_sub(x.offered),
            failed: y.failed.saturating_sub(x.failed),
            queued: y.queued,
        });
    }
    for u in &mut users {
        u.cpu_share = if cpu_total > 0 {
            u.cpu_share / cpu_total as f64
        } else {
            0.0
        };
        u.db_share = if db_total > 0 {
            u.db_share / db_total as f64
        } else {
            0.0
        };
    }
    users
}

/// The samples of cell `main` in the windows that overlap `bad`.
fn samples_in(
    first: &RunOutput,
    main: u32,
    bad: (SimTime, SimTime),
) -> Vec<&reports::series::CellPoint> {
    let win_ns = SimDuration::from_secs_f64(first.series.window_s)
        .as_nanos()
        .max(1);
    first
        .series
        .cells
        .iter()
        .find(|c| c.cell == main)
        .map(|c| {
            c.points
                .iter()
                .enumerate()
                .filter(|(w, _)| {
                    let (s0, s1) = (*w as u64 * win_ns, (*w as u64 + 1) * win_ns);
                    s1 > bad.0 .0 && s0 < bad.1 .0
                })
                .map(|(_, p)| p)
                .collect()
        })
        .unwrap_or_default()
}

/// The async plane's side of a job SLO (job waits and dead letters are recorded for the whole
/// run): the job queue of the cell holding most breaching tenants, and its biggest users.
fn jobs_diagnosis(
    sc: &Scenario,
    s: &reports::RunSummary,
    breaching: &[usize],
    cell: u32,
) -> (String, Vec<String>) {
    let jp = &sc.platform.jobs;
    let on_cell: Vec<&TenantRow> = s.tenants.iter().filter(|t| t.cell == cell).collect();
    let done: u64 = on_cell.iter().map(|t| t.jobs_done).sum();
    let dlq: u64 = on_cell.iter().map(|t| t.jobs_dlq).sum();
    let mut top: Vec<&&TenantRow> = on_cell
        .iter()
        .filter(|t| t.jobs_done + t.jobs_dlq > 0)
        .collect();
    top.sort_by(|a, b| {
        (b.jobs_done + b.jobs_dlq)
            .cmp(&(a.jobs_done + a.jobs_dlq))
            .then(a.id.cmp(&b.id))
    });
    let users: Vec<String> = top
        .iter()
        .take(3)
        .map(|t| {
            format!(
                "{} ({} jobs done, {} dead-lettered, {:.0}% of the cell's)",
                t.id,
                t.jobs_done,
                t.jobs_dlq,
                100.0 * (t.jobs_done + t.jobs_dlq) as f64 / (done + dlq).max(1) as f64
            )
        })
        .collect();
    let worst = breaching
        .iter()
        .filter_map(|&t| s.tenants.get(t))
        .filter_map(|t| t.job_wait_max_ms.map(|w| (w, t.id.as_str())))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let mut ev = vec![format!(
        "cell {cell}'s async plane: {} job workers, `{}` scheduler{}, queue limit {}; {done} jobs done, {dlq} dead-lettered there in the run",
        jp.workers,
        jp.scheduler.name(),
        if jp.scheduler.honours_caps() {
            format!(" (per-tenant cap {})", jp.tenant_cap)
        } else {
            String::new()
        },
        jp.queue_limit
    )];
    if let Some((w, id)) = worst {
        ev.push(format!("longest wait for a job worker: {w:.0} ms ({id})"));
    }
    if !users.is_empty() {
        ev.push(format!(
            "biggest users of its job workers: {}",
            users.join("; ")
        ));
    }
    (
        format!(
            "the async job queue of cell {cell} (`{}` over {} job workers): jobs waited for a worker or failed into the dead-letter queue",
            jp.scheduler.name(),
            jp.workers
        ),
        ev,
    )
}

/// What [`diagnose`] looks at.
pub struct Diagnosis<'a> {
    /// The cell holding most breaching tenants.
    pub cell: u32,
    /// Its scheduler.
    pub scheduler: &'static str,
    /// Mean fraction of workers busy over the interval's windows.
    pub busy: f64,
    /// Mean DB utilisation.
    pub db_util: f64,
    /// Deepest queue sampled.
    pub max_queue: u32,
    /// Most DB queries waiting for a connection.
    pub max_db_wait: u32,
    /// Windows with a breaker open.
    pub breaker_windows: usize,
    /// Windows sampled.
    pub windows: usize,
    /// Failures of the breaching tenants by cause, most first.
    pub causes: &'a [(String, u64)],
    /// Their mean queue wait (ms) for attempts that were served.
    pub mean_wait_ms: f64,
    /// Their requests queued at the end of the interval.
    pub queued: u64,
}

/// Names the saturated resource by fixed rules, in order: a failure cause that points at a
/// dependency (KMS, routing, partition, cell down, breaker), then the DB (DB timeouts or
/// utilisation ≥ 90%), then the workers (≥ 90% busy), then the scheduler (the tenants'
/// requests waited or timed out in the queue while workers were not saturated: the
/// scheduler held them back). Returns the resource in words and the evidence lines.
pub fn diagnose(d: &Diagnosis) -> (String, Vec<String>) {
    let top = d.causes.first().map(|c| c.0.as_str()).unwrap_or("");
    let total: u64 = d.causes.iter().map(|c| c.1).sum();
    let share = |name: &str| -> f64 {
        let n: u64 = d.causes.iter().filter(|c| c.0 == name).map(|c| c.1).sum();
        if total > 0 {
            n as f64 / total as f64
        } else {
            0.0
        }
    };
    let cell = d.cell;
    let mut ev = vec![format!(
        "cell {cell}: workers {:.0}% busy on average, queue up to {} deep, DB {:.0}% utilised, up to {} queries waiting for a connection, breaker open in {} of {} windows",
        d.busy * 100.0,
        d.max_queue,
        d.db_util * 100.0,
        d.max_db_wait,
        d.breaker_windows,
        d.windows
    )];
    if total > 0 {
        ev.push(format!(
            "failures of the breaching tenants: {}",
            d.causes
                .iter()
                .take(4)
                .map(|(c, n)| format!("{c} {:.0}%", 100.0 * *n as f64 / total as f64))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if d.mean_wait_ms > 0.0 || d.queued > 0 {
        ev.push(format!(
            "their served attempts waited {:.1} ms in the queue on average; {} of their requests were still queued at the end of the interval",
            d.mean_wait_ms, d.queued
        ));
    }
    let resource = match top {
        "kms_key_disabled" | "kms_unavailable" => {
            "the KMS (decrypt calls failed or timed out)".to_string()
        }
        "no_route" => "edge routing: no route for the tenants (the control plane could not be reached and routes expired)".to_string(),
        "unreachable" => "the network: a partition cut the calls".to_string(),
        "cell_down" => format!("cell {cell}: the cell was down"),
        "breaker_open" => format!("the breaker on cell {cell}'s DB calls (open, shedding requests)"),
        "dependency_error" => format!("a dependency of cell {cell} returning errors"),
        "tenant_suspended" | "tenant_not_active" => {
            "the control plane: the tenants were not active (suspended or not provisioned)".to_string()
        }
        "wrong_cell" => "routing after a migration: requests reached a cell that no longer owns the tenant".to_string(),
        _ if share("db_timeout") + share("db_pool_timeout") >= 0.5 || d.db_util >= SATURATED => format!(
            "the DB of cell {cell} ({:.0}% of its cores busy, up to {} queries waiting for one of its connections)",
            d.db_util * 100.0,
            d.max_db_wait
        ),
        _ if d.busy >= SATURATED => format!(
            "the workers of cell {cell} ({:.0}% busy; its `{}` queue up to {} deep)",
            d.busy * 100.0,
            d.scheduler,
            d.max_queue
        ),
        _ if share("queue_timeout") + share("queue_full") >= 0.5
            || d.mean_wait_ms >= 1.0
            || d.queued > 0 =>
        {
            format!(
                "the `{}` scheduler queue of cell {cell}: the tenants' requests waited there while the workers were only {:.0}% busy — the scheduler held them back (a per-tenant cap or weight starves them)",
                d.scheduler,
                d.busy * 100.0
            )
        }
        _ if total == 0 => "no saturated resource: the requests succeeded but were slow (see the latency chart)".to_string(),
        _ => "no single saturated resource found".to_string(),
    };
    (resource, ev)
}

fn t(x: SimTime) -> String {
    x.as_duration().to_string()
}

impl Explanation {
    /// Plain words and small tables.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "explain: {} seed {}", self.scenario, self.seed);
        if self.violations.is_empty() {
            let _ = writeln!(
                out,
                "  every SLO asked about held{}",
                if self.held.is_empty() {
                    String::new()
                } else {
                    format!(": {}", self.held.join(", "))
                }
            );
        }
        for v in &self.violations {
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "SLO {} ({}) FAILED: {} of {} tenants breached it (worst: {}{})",
                v.slo,
                v.objective,
                v.breaching.len(),
                v.judged,
                v.measured,
                v.worst_tenant
                    .as_deref()
                    .map(|w| format!(", {w}"))
                    .unwrap_or_default()
            );
            let shown: Vec<&str> = v.breaching.iter().take(8).map(String::as_str).collect();
            let _ = writeln!(
                out,
                "  who:   {}{}",
                shown.join(", "),
                if v.breaching.len() > 8 {
                    format!(" and {} more", v.breaching.len() - 8)
                } else {
                    String::new()
                }
            );
            let _ = writeln!(
                out,
                "  when:  {} to {} (the SLO's window is {} to {})",
                t(v.bad.0),
                t(v.bad.1),
                t(v.window.0),
                t(v.window.1)
            );
            let cells: Vec<String> = v
                .cells
                .iter()
                .map(|(c, n)| format!("cell {c} ({n})"))
                .collect();
            let _ = writeln!(out, "  where: {}", cells.join(", "));
            let _ = writeln!(out, "  saturated: {}", v.resource);
            for e in &v.evidence {
                let _ = writeln!(out, "    - {e}");
            }
            if v.faults.is_empty() {
                let _ = writeln!(out, "  faults active: none");
            } else {
                for (name, kind, target, a, b) in &v.faults {
                    let _ = writeln!(
                        out,
                        "  fault active: {name} ({kind} on {target}, {} to {})",
                        t(*a),
                        t(*b)
                    );
                }
            }
            if !v.actions.is_empty() {
                let _ = writeln!(out, "  control-plane actions in the interval:");
                for a in &v.actions {
                    let _ = writeln!(out, "    - {a}");
                }
            }
            if !v.rollout_waves.is_empty() {
                let _ = writeln!(out, "  rollout waves that reached them:");
                for w in &v.rollout_waves {
                    let _ = writeln!(out, "    - {w}");
                }
            }
            let _ = writeln!(
                out,
                "  retry amplification in the interval: {:.2} attempts per request overall, {:.2} for the breaching tenants",
                v.amplification.0, v.amplification.1
            );
            if let Some(c) = v.cells.first() {
                let _ = writeln!(
                    out,
                    "  who used cell {} from {} to {} (requests sent and failures ended in the interval; a failure may belong to a request sent before it):",
                    c.0,
                    t(v.bad.0),
                    t(v.bad.1)
                );
                let _ = writeln!(
                    out,
                    "    {:<20} {:>9} {:>9} {:>9} {:>9} {:>7}",
                    "tenant", "CPU share", "DB share", "requests", "failed", "queued"
                );
                for u in &v.users {
                    let _ = writeln!(
                        out,
                        "    {:<20} {:>8.1}% {:>8.1}% {:>9} {:>9} {:>7}",
                        u.tenant,
                        u.cpu_share * 100.0,
                        u.db_share * 100.0,
                        u.offered,
                        u.failed,
                        u.queued
                    );
                }
            }
        }
        out
    }
}

/// What removing one tenant or fault changed, per bystander.
#[derive(Clone, Debug, PartialEq)]
pub struct Counterfactual {
    /// What was removed, in words (`tenant hot`, `fault spike`).
    pub removed: String,
    /// Bystanders compared.
    pub bystanders: usize,
    /// Their failed requests (503, 5xx, timeouts) with and without.
    pub failed: (u64, u64),
    /// Bystanders breaching an SLO with and without.
    pub breaching: (usize, usize),
    /// Mean over bystanders of p99 with minus p99 without (ms).
    pub mean_p99_diff_ms: f64,
    /// SLO verdicts with and without: (name, passed with, passed without).
    pub slos: Vec<(String, bool, bool)>,
    /// The most affected bystanders: (tenant, p99 with, p99 without, failed with, failed
    /// without), by damage (failed difference, then p99 difference).
    pub top: Vec<(String, f64, f64, u64, u64)>,
}

impl Counterfactual {
    /// Share of the bystanders' failed requests attributable to the removed thing.
    pub fn attributable_failed(&self) -> f64 {
        if self.failed.0 == 0 {
            0.0
        } else {
            (self.failed.0 as f64 - self.failed.1 as f64) / self.failed.0 as f64
        }
    }

    /// Text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\ncounterfactual: the same seed without {} (everyone else's arrivals identical)",
            self.removed
        );
        let _ = writeln!(
            out,
            "  bystanders ({}): failed requests {} → {} ({:.1}% attributable), breaching an SLO {} → {}, whole-run p99 {:+.1} ms on average because of it",
            self.bystanders,
            self.failed.0,
            self.failed.1,
            100.0 * self.attributable_failed(),
            self.breaching.0,
            self.breaching.1,
            self.mean_p99_diff_ms
        );
        for (name, a, b) in &self.slos {
            let v = |p: bool| if p { "pass" } else { "FAIL" };
            let _ = writeln!(out, "  SLO {name}: {} → {}", v(*a), v(*b));
        }
        if !self.top.is_empty() {
            let _ = writeln!(
                out,
                "  most affected bystanders (damage attributable to {}):",
                self.removed
            );
            let _ = writeln!(
                out,
                "    {:<20} {:>12} {:>12} {:>10} {:>10}",
                "tenant", "p99 with", "p99 without", "failed with", "without"
            );
            for (id, p1, p0, f1, f0) in &self.top {
                let _ = writeln!(
                    out,
                    "    {:<20} {:>10.1}ms {:>10.1}ms {:>10} {:>10}",
                    id, p1, p0, f1, f0
                );
            }
        }
        out
    }
}

/// What `--without` removes.
#[derive(Clone, Debug, PartialEq)]
pub enum Removal {
    /// A tenant, by population index.
    Tenant(u32),
    /// A fault, by scenario index.
    Fault(usize),
    /// A kind of control-plane action (`rebalance`, `evacuate`, ...).
    Action(String),
}

/// Resolves `name` to a tenant id or a fault name of `sc`.
pub fn removal(sc: &Scenario, seed: u64, name: &str) -> Result<Removal, String> {
    let pop = Population::build(sc, seed);
    let tenant = pop.find(name).map(|t| t.0);
    let fault = sc.faults.iter().position(|f| f.name == name);
    match (tenant, fault) {
        (Some(_), Some(_)) => Err(format!(
            "`{name}` is both a tenant and a fault; rename one of them"
        )),
        (Some(t), None) => Ok(Removal::Tenant(t)),
        (None, Some(f)) => Ok(Removal::Fault(f)),
        (None, None) if crate::harness::explain_actions::KINDS.contains(&name) => {
            Ok(Removal::Action(name.to_string()))
        }
        (None, None) => {
            let faults: Vec<&str> = sc.faults.iter().map(|f| f.name.as_str()).collect();
            Err(format!(
                "`{name}` is neither a tenant nor a fault of the scenario nor a kind of control-plane action (faults: {}; tenants are named like `acme` or `small-0001`; actions: {})",
                if faults.is_empty() { "none".to_string() } else { faults.join(", ") },
                crate::harness::explain_actions::KINDS.join(", ")
            ))
        }
    }
}

/// Runs the seed with and without `what` and compares the bystanders. `with` is the summary
/// of the seed run with `opts`, if the caller has it (else the seed is run again).
pub fn counterfactual(
    sc: &Scenario,
    seed: u64,
    opts: &RunOptions,
    what: &Removal,
    with: Option<&reports::RunSummary>,
) -> Result<Counterfactual, RunError> {
    let owned;
    let with = match with {
        Some(w) => w,
        None => {
            owned = run_with(sc, seed, opts)?.summary;
            &owned
        }
    };
    let mut o = opts.clone();
    let mut changed = None;
    let removed = match what {
        Removal::Tenant(t) => {
            o.silence.push(*t);
            format!("tenant {}", with.tenants[*t as usize].id)
        }
        Removal::Fault(f) => {
            o.disable_faults.push(*f);
            format!("fault {}", sc.faults[*f].name)
        }
        Removal::Action(kind) => {
            let (s, faults) =
                crate::harness::explain_actions::without(sc, kind).map_err(RunError::Invariant)?;
            o.disable_faults.extend(faults);
            changed = Some(s);
            format!("the control plane's `{kind}` actions")
        }
    };
    let without = run_with(changed.as_ref().unwrap_or(sc), seed, &o)?;
    let targets = blast::fault_targets(&sc.faults);
    let skip = |i: usize, id: &str| -> bool {
        matches!(what, Removal::Tenant(t) if *t as usize == i) || !blast::is_bystander(id, &targets)
    };
    let failed = |r: &TenantRow| r.outcomes.shed_503 + r.outcomes.errors_5xx + r.outcomes.timeouts;
    let mut n = 0usize;
    let (mut f1, mut f0) = (0u64, 0u64);
    let (mut b1, mut b0) = (0usize, 0usize);
    let mut p99_sum = 0.0;
    let mut top = Vec::new();
    for (i, (x, y)) in with
        .tenants
        .iter()
        .zip(&without.summary.tenants)
        .enumerate()
    {
        if skip(i, &x.id) {
            continue;
        }
        n += 1;
        f1 += failed(x);
        f0 += failed(y);
        b1 += usize::from(blast::breaches_an_slo(x));
        b0 += usize::from(blast::breaches_an_slo(y));
        p99_sum += x.p99_ms - y.p99_ms;
        top.push((x.id.clone(), x.p99_ms, y.p99_ms, failed(x), failed(y)));
    }
    top.sort_by(|a, b| {
        (b.3 as i64 - b.4 as i64)
            .cmp(&(a.3 as i64 - a.4 as i64))
            .then((b.1 - b.2).total_cmp(&(a.1 - a.2)))
            .then(a.0.cmp(&b.0))
    });
    top.truncate(10);
    let slos = with
        .slos
        .iter()
        .zip(&without.summary.slos)
        .map(|(a, b)| (a.name.clone(), a.passed, b.passed))
        .collect();
    Ok(Counterfactual {
        removed,
        bystanders: n,
        failed: (f1, f0),
        breaching: (b1, b0),
        mean_p99_diff_ms: if n > 0 { p99_sum / n as f64 } else { 0.0 },
        slos,
        top,
    })
}

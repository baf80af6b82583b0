//! # Exploration: a fault schedule drawn per seed, judged, grouped by signature
//!
//! `tenantsim explore FILE --runs N` runs seeds 1..=N. For each, [`schedule`] appends to the
//! scenario's written faults a schedule drawn from the seed within the `[explore]` bounds
//! ([`crate::scenario::explore::Explore`]): how many faults, which kinds, their targets,
//! windows and intensities. Every drawn fault ends by `quiet_after`, so the rest of the run
//! checks that the platform recovers once faults stop (TigerBeetle's VOPR liveness mode).
//! [`judge`] runs it and says what went wrong: failed SLOs, a broken invariant (the run's
//! own, or one of [`crate::harness::invariants`]), a fault the
//! platform did not recover from, a metastable aftermath; [`Outcome::signature`] groups
//! failures that are the same bug.
//!
//! **Guarantees.** The schedule depends on the seed and the scenario only (its own stream
//! `("explore/schedule", 0)`, then the usual per-fault streams), so `tenantsim run FILE --seed
//! N --explore` replays run N byte for byte, and the result of `explore` does not depend on
//! `--jobs`. A scenario run without `--explore` never draws a schedule.

use crate::fault::{Fault, FaultKind, PartitionKind};
use crate::harness::explore_when;
use crate::harness::invariants::Broken;
use crate::harness::run::{run_with, RunError, RunOptions};
use crate::population::Population;
use crate::scenario::Scenario;
use sim::{Dist, RngStream, SimTime};

/// Prefix of the names of drawn faults (`x1-db_degraded`, `x2-hot_tenant`, …).
pub const PREFIX: &str = "x";

/// `sc` with the fault schedule of `seed` appended (see the module documentation).
pub fn schedule(sc: &Scenario, seed: u64) -> Scenario {
    let e = &sc.explore;
    let mut rng = RngStream::new(seed, "explore/schedule", 0);
    let mut out = sc.clone();
    if e.kinds.is_empty() {
        return out;
    }
    let pop = Population::build(sc, seed);
    // Conditions come from their own stream, drawn only when asked for (`explore_when`).
    let mut when_rng = (e.when_share > 0.0).then(|| explore_when::stream(seed));
    let n = 1 + rng.below(e.max_faults.max(1) as u64) as usize;
    let (from, quiet) = (e.from.as_nanos(), e.quiet_after.as_nanos());
    let max_for = e.max_for.as_nanos().max(1);
    for i in 0..n {
        let kind_name = &e.kinds[rng.below(e.kinds.len() as u64) as usize];
        let span = quiet.saturating_sub(from).max(1);
        let start = from + rng.below(span);
        let len = max_for / 10 + rng.below(max_for - max_for / 10 + 1);
        let end = (start + len.max(1)).min(quiet.max(start + 1));
        let cells = sc.platform.cells.max(1);
        let cell = rng.below(cells as u64) as u32;
        let u = rng.next_f64();
        let kind = match kind_name.as_str() {
            "db_degraded" => FaultKind::DbDegraded {
                cells: vec![cell],
                capacity: 0.1 + 0.5 * u,
            },
            "dependency_latency" => FaultKind::DependencyLatency {
                cells: vec![cell],
                // Whole nanoseconds, so that the literal schedule (`explore_literal`)
                // writes it exactly.
                latency: Dist::Exp {
                    mean: libm::round((20.0 + 280.0 * u) * 1e6),
                },
            },
            "dependency_errors" => FaultKind::DependencyErrors {
                cells: vec![cell],
                fraction: 0.05 + 0.45 * u,
                tenant: None,
            },
            "workers_lost" => FaultKind::WorkersLost {
                cells: vec![cell],
                count: 1 + (u * (sc.platform.workers / 2).max(1) as f64) as u32,
            },
            "hot_tenant" => {
                let t = rng.below(pop.tenants.len().max(1) as u64) as usize;
                FaultKind::HotTenant {
                    tenant: pop.tenants.get(t).map(|x| x.id.clone()).unwrap_or_default(),
                    factor: 3.0 + 27.0 * u,
                    mix: None,
                }
            }
            "cell_outage" => FaultKind::CellOutage { cells: vec![cell] },
            "partition" => FaultKind::Partition {
                kind: PartitionKind::CellDb,
                cells: vec![cell],
                mode: if u < 0.5 {
                    crate::component::link::CutMode::Drop
                } else {
                    crate::component::link::CutMode::Blackhole
                },
            },
            "kms_outage" => FaultKind::KmsOutage,
            // "control_plane_outage" and anything the checker let through.
            _ => FaultKind::ControlPlaneOutage,
        };
        let name = format!("{PREFIX}{}-{}", i + 1, kind.name());
        let when = when_rng
            .as_mut()
            .and_then(|r| explore_when::draw(r, e.when_share, cell, cells));
        let resolved = Some(format!(
            "explored: {} {:.1}s..{:.1}s",
            kind.target(),
            start as f64 / 1e9,
            end as f64 / 1e9
        ));
        out.faults.push(Fault {
            name,
            kind,
            start: SimTime(start),
            end: SimTime(end),
            drawn: None,
            resolved,
            when,
        });
    }
    out
}

/// What one explored run found.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The seed.
    pub seed: u64,
    /// SLOs that failed.
    pub failed_slos: Vec<String>,
    /// A broken internal invariant, if any (in words: [`Outcome::broken`] written out).
    pub invariant: Option<String>,
    /// The broken invariant and its first breaking event, if any.
    pub broken: Option<crate::harness::invariants::Broken>,
    /// Drawn faults the platform had not recovered from by the end of the run.
    pub unrecovered: Vec<String>,
    /// Faults the metastability detector flagged.
    pub metastable: Vec<String>,
    /// Kinds of the drawn faults (sorted, without repeats).
    pub kinds: Vec<String>,
    /// Targets of the drawn faults (`cells 3`, `kms`, a tenant id; sorted, without repeats).
    pub targets: Vec<String>,
    /// The drawn schedule, one line per fault (`name: target window`).
    pub schedule: Vec<String>,
    /// Coverage states reached ([`crate::coverage::STATES`]).
    pub reached: Vec<&'static str>,
    /// The run's digest.
    pub digest: String,
    /// The resource saturated at the first violation (`db_pool`, `cell_workers`, …;
    /// [`crate::harness::saturation`]); `None` without a violation.
    pub resource: Option<String>,
    /// The same in words, with its cell and time (`db_pool (cell 2) at 41.0s`).
    pub saturated: Option<String>,
}

impl Outcome {
    /// Whether anything went wrong.
    pub fn failed(&self) -> bool {
        !self.failed_slos.is_empty()
            || self.invariant.is_some()
            || !self.unrecovered.is_empty()
            || !self.metastable.is_empty()
    }

    /// What went wrong, as a grouping key: the failed SLOs, then `invariant`,
    /// `no-recovery` and `metastable` when they apply, then the resource saturated at the
    /// first violation (`saturated:db_pool`; empty when nothing failed).
    pub fn signature(&self) -> String {
        if !self.failed() {
            return String::new();
        }
        let mut parts: Vec<String> = self
            .failed_slos
            .iter()
            .map(|s| format!("slo:{s}"))
            .collect();
        if self.invariant.is_some() {
            parts.push("invariant".into());
        }
        if !self.unrecovered.is_empty() {
            parts.push("no-recovery".into());
        }
        if !self.metastable.is_empty() {
            parts.push("metastable".into());
        }
        if let Some(r) = &self.resource {
            parts.push(format!("saturated:{r}"));
        }
        parts.join(" + ")
    }
}

/// Draws seed `seed`'s schedule, runs it and judges it.
pub fn judge(sc: &Scenario, seed: u64, opts: &RunOptions) -> Outcome {
    let explored = schedule(sc, seed);
    let first_drawn = sc.faults.len();
    let mut kinds: Vec<String> = explored.faults[first_drawn..]
        .iter()
        .map(|f| f.kind.name().to_string())
        .collect();
    kinds.sort();
    kinds.dedup();
    let mut targets: Vec<String> = explored.faults[first_drawn..]
        .iter()
        .map(|f| f.kind.target())
        .collect();
    targets.sort();
    targets.dedup();
    let schedule_lines = explored.faults[first_drawn..]
        .iter()
        .map(|f| {
            format!(
                "{}: {} {:.0}s..{:.0}s",
                f.name,
                f.kind.target(),
                f.start.as_secs_f64(),
                f.end.as_secs_f64()
            )
        })
        .collect();
    let mut o = Outcome {
        seed,
        failed_slos: Vec::new(),
        invariant: None,
        broken: None,
        unrecovered: Vec::new(),
        metastable: Vec::new(),
        kinds,
        targets,
        schedule: schedule_lines,
        reached: Vec::new(),
        digest: String::new(),
        resource: None,
        saturated: None,
    };
    match run_with(&explored, seed, opts) {
        Ok(out) => {
            let s = &out.summary;
            o.failed_slos = s
                .slos
                .iter()
                .filter(|r| !r.passed)
                .map(|r| r.name.clone())
                .collect();
            // A drawn `when` fault that never fired had no window: nothing to recover from.
            let never_fired = |i: usize| {
                explored.faults[i].when.is_some() && s.faults[i].end_s <= s.faults[i].start_s
            };
            o.unrecovered = s
                .faults
                .iter()
                .enumerate()
                .filter(|(i, f)| {
                    f.name.starts_with(PREFIX) && f.recovery_s.is_none() && !never_fired(*i)
                })
                .map(|(_, f)| f.name.clone())
                .collect();
            for (line, i) in o.schedule.iter_mut().zip(first_drawn..) {
                let (Some(w), Some(row)) = (&explored.faults[i].when, s.faults.get(i)) else {
                    continue;
                };
                if never_fired(i) {
                    line.push_str(&format!(
                        " armed when `{}`: never fired (did not run)",
                        w.text
                    ));
                } else {
                    line.push_str(&format!(
                        " armed when `{}`: fired at {:.0}s, ran {:.0}s..{:.0}s",
                        w.text, row.start_s, row.start_s, row.end_s
                    ));
                }
            }
            let first_start = explored.faults[first_drawn..]
                .iter()
                .map(|f| f.start.as_secs_f64())
                .fold(f64::INFINITY, f64::min);
            if let Some(sat) = crate::harness::saturation::at_first_violation(
                &explored,
                &out,
                if first_start.is_finite() {
                    first_start
                } else {
                    0.0
                },
            ) {
                o.resource = Some(sat.resource.to_string());
                o.saturated = Some(sat.describe());
            }
            o.metastable = s.metastable_faults().map(|m| m.fault.clone()).collect();
            o.reached = crate::coverage::reached(s);
            o.digest = s.digest.clone();
            o.broken = crate::harness::invariants::check_run(&explored, &out);
        }
        Err(RunError::Invariant(e)) => {
            o.broken = Some(Broken::of_run_error(e, sc.duration.as_secs_f64()));
        }
        Err(e) => {
            o.broken = Some(Broken::of_run_error(
                e.to_string(),
                sc.duration.as_secs_f64(),
            ))
        }
    }
    o.invariant = o.broken.as_ref().map(Broken::to_string);
    o
}

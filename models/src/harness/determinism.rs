//! Determinism checking: checkpoint digests of a run, and the first event at which two runs
//! of the same scenario and seed part ways.
//!
//! A run is a pure function of (scenario, seed, tenantsim): the same inputs must give the
//! same events in the same order, hence the same digest. To check it, the binary
//! (`tenantsim run --check-determinism`) runs the seed more than once with
//! [`run_checkpointed`] and compares the runs' [`Checkpoint`]s. When they differ, the fault
//! is localised in two steps, in bounded memory:
//!
//! ```text
//!   checkpoints  A: c1 c2 c3 c4 …      first differing checkpoint k:
//!                B: c1 c2 c3 c4'…      the divergence lies in events (c3.events, c4.events]
//!   trace        rerun A and B, recording (number, time, kind, component, digest after)
//!                for just those events (≤ CHECKPOINT_EVERY of them) → the first that differs
//! ```
//!
//! **Guarantees.** Checking changes nothing about a run: the observed loop is the plain loop's
//! code (`sim::engine`) with an observer that only reads — unless the `perturb_event` test
//! hook asks it to move one event (`crate::harness::run::Inject`). Memory
//! is bounded: at most [`MAX_CHECKPOINTS`] checkpoints per run and [`MAX_TRACED`] traced
//! events per side.

use crate::harness::run::{self, Inject, Limits, RunError, RunOptions, RunOutput};
use crate::platform::{Ev, Platform};
use crate::population::Population;
use crate::scenario::Scenario;
use sim::engine::Checkpoint;
use sim::{Digest, Observer, SimDuration, SimTime};

/// Events between two checkpoints.
pub const CHECKPOINT_EVERY: u64 = 1 << 14;
pub use crate::harness::run::MAX_CHECKPOINTS;
/// Most events traced per side when localising a divergence.
pub const MAX_TRACED: u64 = 2 * CHECKPOINT_EVERY;

/// A run with its checkpoints.
pub struct Checked {
    /// The run's result, as [`crate::harness::run::run_with`] returns it.
    pub output: RunOutput,
    /// `(events, time, digest)` every [`CHECKPOINT_EVERY`] events.
    pub checkpoints: Vec<Checkpoint>,
}

/// Runs `sc` with `seed` and `opts` like [`crate::harness::run::run_with`], recording checkpoints (and
/// applying the `perturb_event` test hook if `opts` asks for it).
pub fn run_checkpointed(sc: &Scenario, seed: u64, opts: &RunOptions) -> Result<Checked, RunError> {
    let (sc, opts) = super::resolved_run::for_run(sc, seed, opts);
    let (sc, opts) = (&*sc, &*opts);
    let mut p = run::prepare(sc, seed, opts);
    let limits = Limits {
        checkpoint_every: CHECKPOINT_EVERY,
        max_events: None,
        ..Limits::default()
    };
    let mut diag = Diagnostics::new(opts, None);
    let stop = run::execute(&mut p, sc, limits, &mut diag);
    let checkpoints = p.engine.checkpoints().to_vec();
    let output = run::summarise(sc, seed, opts, p, stop)?;
    Ok(Checked {
        output,
        checkpoints,
    })
}

/// The events in which two checked runs first differ: `Some((after, until))` — the runs agree
/// up to event number `after` and differ by event `until` — or `None` when their checkpoints,
/// final digests and event counts all agree.
pub fn first_divergent_interval(a: &Checked, b: &Checked) -> Option<(u64, u64)> {
    let mut after = 0;
    for (x, y) in a.checkpoints.iter().zip(&b.checkpoints) {
        if x != y {
            return Some((after, x.events.max(y.events)));
        }
        after = x.events;
    }
    let (sa, sb) = (&a.output.summary, &b.output.summary);
    if a.checkpoints.len() == b.checkpoints.len()
        && sa.digest == sb.digest
        && sa.events == sb.events
    {
        return None;
    }
    Some((after, sa.events.max(sb.events).max(after + 1)))
}

/// One event of a run, as traced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracedEvent {
    /// Its number in the run (from 1).
    pub index: u64,
    /// When it happened.
    pub time: SimTime,
    /// Its kind (`request_arrived`).
    pub kind: &'static str,
    /// The component it concerns, named (`cell 1 worker (tenant small-0042, attempt 2)`).
    pub component: String,
    /// The run's digest including it.
    pub digest: u64,
}

/// Records the events numbered `after + 1 ..= until` (at most [`MAX_TRACED`]).
struct Tracer<'a> {
    after: u64,
    until: u64,
    sc: &'a Scenario,
    pop: &'a Population,
    events: Vec<TracedEvent>,
}

/// The one observer of checked runs: the `perturb_event` hook and, when tracing, a
/// [`Tracer`]. One type, so that the engine's loop exists in just two versions: the plain one
/// (`NoObserver`) and this.
struct Diagnostics<'a> {
    /// Event number to hold back by 1 ns; 0: none (numbers start at 1).
    perturb_at: u64,
    tracer: Option<Tracer<'a>>,
}

impl<'a> Diagnostics<'a> {
    fn new(opts: &RunOptions, tracer: Option<Tracer<'a>>) -> Self {
        let perturb_at = match opts.hook() {
            Some(Inject::PerturbEvent(n)) => n,
            _ => 0,
        };
        Diagnostics { perturb_at, tracer }
    }
}

impl Observer<Platform> for Diagnostics<'_> {
    fn hold_back(&mut self, index: u64, _now: SimTime, _event: &Ev) -> Option<SimDuration> {
        if index == self.perturb_at {
            self.perturb_at = 0; // once
            return Some(SimDuration(1));
        }
        None
    }

    fn seen(&mut self, index: u64, now: SimTime, event: &Ev, digest: &Digest, model: &Platform) {
        let Some(t) = self.tracer.as_mut() else {
            return;
        };
        if index > t.after && index <= t.until {
            let (kind, component) = model.describe(event, t.sc, t.pop);
            t.events.push(TracedEvent {
                index,
                time: now,
                kind,
                component,
                digest: digest.finish(),
            });
        }
    }
}

/// Reruns `sc` with `seed` and `opts` up to event `until`, recording the events after event
/// `after` (at most [`MAX_TRACED`] of them).
pub fn trace(
    sc: &Scenario,
    seed: u64,
    opts: &RunOptions,
    after: u64,
    until: u64,
) -> Vec<TracedEvent> {
    let until = until.min(after.saturating_add(MAX_TRACED));
    let (sc, opts) = super::resolved_run::for_run(sc, seed, opts);
    let (sc, opts) = (&*sc, &*opts);
    let mut p = run::prepare(sc, seed, opts);
    let pop = Population::build(sc, seed);
    let tracer = Tracer {
        after,
        until,
        sc,
        pop: &pop,
        events: Vec::with_capacity((until - after) as usize),
    };
    let mut diag = Diagnostics::new(opts, Some(tracer));
    let limits = Limits {
        checkpoint_every: 0,
        max_events: Some(until),
        ..Limits::default()
    };
    run::execute(&mut p, sc, limits, &mut diag);
    diag.tracer.map(|t| t.events).unwrap_or_default()
}

/// The first position at which two traces differ (time, kind, component or digest), with the
/// event of each side there (`None`: that side had already ended).
pub fn first_difference<'a>(
    a: &'a [TracedEvent],
    b: &'a [TracedEvent],
) -> Option<(Option<&'a TracedEvent>, Option<&'a TracedEvent>)> {
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i), b.get(i));
        if x != y {
            return Some((x, y));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    const SMALL: &str = r#"version = 1
duration = "90s"
platform = { cells = 2, workers = 4 }
cohorts = [{ name = "t", count = 40, rate = "const(5/s)" }]
"#;

    fn opts(inject: Option<&str>) -> RunOptions {
        RunOptions {
            inject: inject.map(str::to_string),
            ..Default::default()
        }
    }

    /// Goal: checkpoints of identical runs agree; a run with one event moved (the
    /// `perturb_event` hook) is caught, localised to the checkpoint interval holding that
    /// event, and traced to exactly that event.
    #[test]
    fn a_moved_event_is_found_exactly() {
        let sc = load_str("t.toml", SMALL, &[]).unwrap();
        let a = run_checkpointed(&sc, 7, &opts(None)).unwrap();
        let b = run_checkpointed(&sc, 7, &opts(None)).unwrap();
        assert!(a.checkpoints.len() >= 2, "{}", a.checkpoints.len());
        assert_eq!(first_divergent_interval(&a, &b), None);
        assert_eq!(a.output.summary.to_json(), b.output.summary.to_json());

        let n = CHECKPOINT_EVERY + 123;
        let hook = format!("perturb_event:{n}");
        let c = run_checkpointed(&sc, 7, &opts(Some(&hook))).unwrap();
        assert_ne!(a.output.summary.digest, c.output.summary.digest);
        let (after, until) = first_divergent_interval(&a, &c).unwrap();
        assert_eq!((after, until), (CHECKPOINT_EVERY, 2 * CHECKPOINT_EVERY));
        let ta = trace(&sc, 7, &opts(None), after, until);
        let tc = trace(&sc, 7, &opts(Some(&hook)), after, until);
        assert_eq!(ta.len() as u64, until - after);
        let (x, y) = first_difference(&ta, &tc).unwrap();
        let (x, y) = (x.unwrap(), y.unwrap());
        assert_eq!((x.index, y.index), (n, n));
        assert!(y.time > x.time || y.kind != x.kind || y.component != x.component);
        assert!(!x.kind.is_empty() && !x.component.is_empty());
        // The traced digests are the run's: the last traced event of A is its checkpoint.
        let cp = a.checkpoints.iter().find(|c| c.events == until).unwrap();
        assert_eq!(ta.last().unwrap().digest, cp.digest);
    }

    /// Goal: event descriptions name tenants and cells.
    #[test]
    fn traced_events_are_named() {
        let sc = load_str("t.toml", SMALL, &[]).unwrap();
        let t = trace(&sc, 1, &opts(None), 0, 2000);
        assert!(t.iter().any(|e| e.kind == "request_arrived"
            && e.component.starts_with("tenant t-")
            && e.component.ends_with(" arrivals")));
        assert!(t
            .iter()
            .any(|e| e.kind == "service_finished" && e.component.contains(" worker (tenant t-")));
    }
}

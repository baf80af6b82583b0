//! The one place live mode names `models` (and `sim`) items: everything else in `src/live/`
//! imports from here, so a reorganisation of `models` is repointed in this file alone.
//!
//! What live mode takes from the model, unchanged: the scenario loader, the population, the
//! simulation of the same seed (run with a trace of every cell, which is where the seeded
//! arrival times come from: the model's own arrival streams, load shapes and hot-tenant
//! faults, not a copy of them), the token bucket and the cell queue (the reference service's
//! limiter and scheduler), the retry policies and budgets, the recorder and the SLO judge.

pub use models::component::outcome::{Cause, Outcome};
pub use models::component::retry::{combine_with_retry_after, RetryBudget, RetryPolicy};
pub use models::component::scheduler::CellQueue;
pub use models::component::token_bucket::TokenBucket;
pub use models::fault::FaultKind;
pub use models::harness::run::{
    recorder_plan, run_with, series_of, watched_tenants, RunOptions, RunOutput,
};
pub use models::harness::slo;
pub use models::population::Population;
pub use models::record::Recorder;
pub use models::scenario::{Metric, RetrySpec, Scenario};
pub use models::trace::TraceSpec;
pub use sim::{Bits, Dist, SimDuration, SimTime, SplitMix};

/// Whether the model can apply this fault without the platform: faults that change what
/// clients send (a hot tenant's rate and mix) are in the simulated arrivals; everything else
/// happens inside the platform and is "not applied live".
pub fn applied_by_generator(kind: &FaultKind) -> bool {
    kind.acts_on_clients()
}

/// One logical request the simulation's clients sent: who, which class, when (ns from the
/// start of the run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    /// Tenant (population index).
    pub tenant: u32,
    /// Class (scenario index).
    pub class: u16,
    /// Intended send time (ns since the start).
    pub at_ns: u64,
}

/// Runs the simulation of `seed` with every cell traced and returns its output and the
/// logical requests its clients sent, in time order. Errors are input errors (exit 2),
/// except [`SimError::Internal`].
pub fn simulate_with_arrivals(
    sc: &Scenario,
    seed: u64,
    variant: Option<&str>,
) -> Result<(RunOutput, Vec<Arrival>), SimError> {
    let pop = Population::build(sc, seed);
    let spec = TraceSpec {
        cells: (0..sc.platform.cells).collect(),
        // Every request of the run: live mode needs all of them (bounded by `load`'s own
        // request bound, checked before this is called).
        max_events: u64::MAX / 4,
        ..TraceSpec::default()
    };
    let opts = RunOptions {
        variant: variant.map(str::to_string),
        trace: Some(spec),
        ..RunOptions::default()
    };
    let out = run_with(sc, seed, &opts).map_err(|e| match e {
        models::harness::run::RunError::Invariant(m) => SimError::Internal(m),
        models::harness::run::RunError::Trace(e) => SimError::Input(e.to_string()),
    })?;
    let Some(trace) = out.trace.as_ref() else {
        return Err(SimError::Internal(
            "the traced run returned no trace".into(),
        ));
    };
    if trace.meta.cap_hit_at_ns.is_some() {
        return Err(SimError::Input(
            "the scenario sends more requests than live mode can replay; shorten it with --duration"
                .into(),
        ));
    }
    let map: Vec<Option<u32>> = trace
        .tenants
        .iter()
        .map(|t| pop.find(&t.id).map(|x| x.0))
        .collect();
    let mut arrivals = Vec::with_capacity(trace.requests.len());
    for r in &trace.requests {
        if let Some(Some(t)) = map.get(r.tenant as usize) {
            arrivals.push(Arrival {
                tenant: *t,
                class: r.class,
                at_ns: r.start_ns,
            });
        }
    }
    arrivals.sort_by_key(|a| (a.at_ns, a.tenant));
    Ok((out, arrivals))
}

/// Why the simulation behind a live run could not be used.
#[derive(Debug)]
pub enum SimError {
    /// Bad input (exit 2).
    Input(String),
    /// A model invariant broke (exit 3).
    Internal(String),
}

/// The recorder plan of a live run: the same as the simulation's.
pub fn recorder_for(sc: &Scenario, pop: &Population) -> Recorder {
    Recorder::new(recorder_plan(sc, pop, &[]))
}

/// Whether the client retries after `outcome`, as the model's clients decide (the same rule
/// as the platform's: by the class's `retry_on`).
pub fn retryable(spec: &RetrySpec, outcome: Outcome) -> bool {
    spec.policy != RetryPolicy::None && spec.retry_on.covers(outcome)
}

/// Parses a duration as scenario files write it (`5ms`, `1m30s`).
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    SimDuration::parse(text).map_err(|e| format!("`{text}`: {e}"))
}

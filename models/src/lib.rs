//! # models — the multi-tenant platform tenantsim simulates, and the harness that runs it
//!
//! Everything that knows what a tenant, a cell or a request is. Built on the `sim` engine;
//! produces a `reports::RunSummary`. The modules are floors; every import points down
//! (a floor imports only the floors under it, and `sim`/`reports`):
//!
//! ```text
//!   harness      run → judge (slo, verdicts, blast) → summary; determinism; explain; repro
//!   record       Recorder (windows, heat, tiers); measure (metric values); trace (request spans)
//!   platform     the world: sources → edge → cell (queue, workers, DB) → response; faults' effects
//!   population   the tenants of a run and their initial placement
//!   scenario     the language: files → validated Scenario, with located errors
//!   fault        the fault catalogue: kinds, the keys each takes, their targets
//!   component    mechanisms: token bucket, scheduler, DB, breaker, retry, link, lifecycle,
//!                workload, placement, slab, outcome — none knows the scenario or the platform
//! ```
//!
//! | module | what it is |
//! |---|---|
//! | [`component`] | the mechanisms the platform is built from |
//! | [`coverage`] | the catalogue of states a run can reach (`coverage = [...]`), read from its summary |
//! | [`fault`] | the fault catalogue: kinds, the keys each takes, their targets |
//! | [`fault_draw`] | faults drawn from the seed: selectors, drawn times, `after`, `every`, resolved before a run |
//! | [`fault_when`] | faults triggered by a condition on the model's state (`when`), polled during the run |
//! | [`scenario`] | scenario files: schema, `--set` overrides, validation with located errors |
//! | [`population`] | the tenants of a run (individuals and cohort members), their tiers, rates, cells |
//! | [`platform`] | the event-driven model: sources → edge → cell queue → workers → DB → response |
//! | [`record`] | bounded-memory recording per tenant, per tier, per window |
//! | [`measure`] | a metric's value over recorded stats (SLOs, rollout gates, reports) |
//! | [`trace`] | request tracing for `tenantsim trace`: spans, instants, counters of selected tenants |
//! | [`estimate`] | the work a scenario implies (peak offered load, events), checked before a run |
//! | [`harness`] | the chaos harness: a run end to end, SLO judging, verdicts, blast radius, determinism, explain, the repro line |
#![deny(missing_docs)]

pub mod component;
pub mod coverage;
pub mod estimate;
pub mod fault;
pub mod fault_draw;
pub mod fault_when;
pub mod harness;
pub mod measure;
pub mod platform;
pub mod population;
pub mod record;
pub mod scenario;
pub mod trace;

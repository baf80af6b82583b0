//! # models — the multi-tenant platform tenantsim simulates
//!
//! Everything that knows what a tenant, a cell or a request is. Built on the `sim` engine;
//! produces a `reports::RunSummary`.
//!
//! | module | what it models |
//! |---|---|
//! | [`scenario`] | scenario files: schema, `--set` overrides, validation with located errors |
//! | [`population`] | the tenants of a run (individuals and cohort members), their tiers, rates, cells |
//! | [`platform`] | the event-driven model: sources → edge → cell queue → workers → DB → response |
//! | [`lifecycle`] | the tenant lifecycle state machine (provision → active ↔ dormant → suspend → destroy) |
//! | [`placement`] | placing new tenants onto cells by a pluggable policy (nine of them), and a cell's capacity |
//! | [`token_bucket`] | per-tenant edge rate limiter with exact Retry-After |
//! | [`scheduler`] | a cell's request queue: FIFO, DRR, per-tenant caps |
//! | [`db`] | a cell's DB: connection pool in front of processor-shared cores |
//! | [`determinism`] | checkpointed runs, and the first event where two runs of one seed differ |
//! | [`breaker`] | circuit breakers, global or per tenant |
//! | [`retry`] | client retry policies, backoff with jitter, retry budgets |
//! | [`outcome`] | how a request ends (outcomes are data, with causes) |
//! | [`record`] | bounded-memory recording per tenant, per tier, per window |
//! | [`slo`] | judging SLOs against the recording; blast radius |
//! | [`run`] | one run end to end, with the request ledger checked |
//! | [`slab`] | generation-checked storage for live requests and attempts |
//! | [`trace`] | request tracing for `tenantsim trace`: spans, instants, counters of selected tenants |
//! | [`verdicts`] | per fault: blast radius, time to recover, metastability |
//! | [`workload`] | load shapes over time (ramps, steps, diurnal, spiky tenants' bursts) and arrival kinds |
#![deny(missing_docs)]

pub mod breaker;
pub mod db;
pub mod determinism;
pub mod estimate;
pub mod explain;
pub mod lifecycle;
pub mod outcome;
pub mod placement;
pub mod platform;
pub mod population;
pub mod record;
pub mod retry;
pub mod run;
pub mod scenario;
pub mod scheduler;
pub mod slab;
pub mod slo;
pub mod token_bucket;
pub mod trace;
pub mod verdicts;
pub mod workload;

//! # Components: the mechanisms the platform is built from
//!
//! Each is a reusable mechanism with its own settings, state and tests; none knows the
//! scenario language, the platform, or what a tenant's id means (a tenant is an index).
//! They import only `sim` and each other.
//!
//! | module | mechanism |
//! |---|---|
//! | [`token_bucket`] | per-tenant edge rate limiter with exact Retry-After |
//! | [`scheduler`] | a cell's request queue: FIFO, DRR, per-tenant caps ([`scheduler::SchedulerKind`]) |
//! | [`db`] | a cell's DB: connection pool in front of processor-shared cores |
//! | [`dependency`] | a shared global service: servers or a paced rate, a bounded queue, per-tenant quotas |
//! | [`breaker`] | circuit breakers, global or per tenant |
//! | [`retry`] | client retry policies, backoff with jitter, retry budgets |
//! | [`link`] | whether a dependency call gets through: up, or cut (hang or reject) |
//! | [`lifecycle`] | the tenant lifecycle state machine (provision → active ↔ dormant → suspend → destroy) |
//! | [`workload`] | load shapes over time (ramps, steps, diurnal, spikes) and arrival kinds |
//! | [`placement`] | placing tenants onto cells by a pluggable policy, and a cell's capacity |
//! | [`slab`] | generation-checked storage for live requests and attempts |
//! | [`outcome`] | how a request ends (outcomes are data, with causes) |
//! | [`rollout_plan`] | a rollout's waves from its groups (pure), and what a failing gate does |
//! | [`burn_rate`] | error-budget burn rate over a sliding window of judged intervals |

pub mod breaker;
pub mod burn_rate;
pub mod db;
pub mod dependency;
pub mod lifecycle;
pub mod link;
pub mod outcome;
pub mod placement;
pub mod retry;
pub mod rollout_plan;
pub mod scheduler;
pub mod slab;
pub mod token_bucket;
pub mod workload;

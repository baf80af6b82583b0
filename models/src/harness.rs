//! # The chaos harness: runs, judges, explains and replays
//!
//! What the product does with the simulated world. It sits above the platform and the
//! recording and below the binary; it does no I/O (the binary reads, writes and runs threads).
//!
//! | module | what |
//! |---|---|
//! | [`run`] | one run end to end (prepare, execute, probes), the request ledger checked, the summary |
//! | [`slo`] | judging SLOs against the recording |
//! | [`verdicts`] | per fault: affected tenants, time to recover, metastability |
//! | [`blast`] | bystanders and the blast radius (one definition) |
//! | [`determinism`] | checkpointed runs, and the first event where two runs of one seed differ |
//! | [`explain`] | why a tenant was hurt, and counterfactual runs |
//! | [`repro`] | the repro line every failure prints |
//! | [`explore`] | a fault schedule drawn per seed, judged, grouped by signature |
//! | [`explore_literal`] | an explored run's drawn schedule written out as plain faults (for `shrink`) |
//! | [`invariants`] | what no explored run may break (ledger, misrouted writes, lifecycle, failure detector) |
//! | [`sweep_metrics`] | a run reduced to the numbers `compare` needs (`RunMetrics`: blast radius, bystanders' p99 and errors, spread, cost) |
//! | [`shrink`] | the shrinking engine: the smallest scenario in which an SLO still fails (the binary supplies the runs) |

pub mod blast;
pub mod determinism;
pub mod explain;
pub mod explain_actions;
pub mod explain_rollouts;
pub mod explore;
pub mod explore_literal;
pub mod explore_when;
pub mod invariants;
pub mod outsider_harm;
pub mod repro;
pub mod resolved_run;
pub mod run;
pub mod saturation;
pub mod showback;
pub mod shrink;
pub mod slo;
pub mod sweep_metrics;
pub mod verdicts;
pub mod when_fired;

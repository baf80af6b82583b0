//! # The chaos harness: runs, judges, explains and replays
//!
//! What the product does with the simulated world: the blast radius and its bystanders, and
//! the repro line every failure prints.
//! The harness sits above the platform and the recording and below the binary; it does no I/O.

pub mod blast;
pub mod determinism;
pub mod explain;
pub mod repro;
pub mod run;
pub mod slo;
pub mod verdicts;

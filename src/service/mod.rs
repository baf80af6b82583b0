//! Services: what the subcommands share. Each subcommand (`crate::commands`) turns flags
//! into a plan, runs it and prints; whatever two of them need lives here instead, so no
//! subcommand ever names another.
//!
//! ```text
//!   commands      run  check  compare(+merge)  explain  explore  shrink  trace  validate
//!                 diff  completions(+man)  schema  live (load, serve-reference, export)
//!        │            (never name each other: `ci/module_cycles.py`, run by tests/house.rs)
//!        ▼
//!   service       load (scenario files, --set)   out (output directories)   write (one file)
//!                 pool (parallel runs)   progress (a run's progress bar)   seeds (--seeds)
//!                 verify (fingerprints, --verify-digest)   determinism (--check-determinism)
//!                 seed_shards (explore --shard / --merge: partial results of an exploration)
//!                 shrink (runs the candidates `models::harness::shrink` asks about, prints
//!                 the steps, writes the file: for shrink, explore --shrink, check --explore)
//!        │            (may name each other; never a subcommand)
//!        ▼
//!   models::harness, models, reports
//! ```

pub mod determinism;
pub mod load;
pub mod out;
pub mod pool;
pub mod progress;
pub mod seed_shards;
pub mod seeds;
pub mod shrink;
pub mod verify;
pub mod write;

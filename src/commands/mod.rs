//! Subcommands: each turns flags into a plan, runs it, prints, and returns an exit code.
//!
//! Two kinds of module live here, and imports point one way:
//!
//! ```text
//!   subcommands   run  check  compare(+merge)  explain  shrink  trace  validate  diff
//!                 completions(+man)  live (load, serve-reference, export)
//!        │            (never import each other)
//!        ▼
//!   services      load (scenario files, --set)   out (output directories)   write (one file)
//!                 pool (parallel runs)   seeds (--seeds)   verify (fingerprints, --verify-digest)
//!                 determinism (--check-determinism)   progress (a run's progress bar)
//!                 seed_shards (explore --shard / --merge: partial results of an exploration)
//!        │
//!        ▼
//!   models::harness (the repro line, ...), models, reports
//! ```
//!
//! `tests::subcommands_never_import_each_other` keeps it so.

// Subcommands.
mod check;
mod compare;
mod completions;
mod diff;
mod explain;
mod explore;
mod live;
mod run;
mod schema;
mod shrink;
mod trace;
mod validate;

// Services shared by subcommands.
mod determinism;
pub mod load;
mod minimise;
mod out;
mod pool;
mod progress;
mod seed_shards;
mod seeds;
mod verify;
mod write;

use crate::cli::{Cli, Command};

/// Runs the chosen subcommand and returns its exit code.
pub fn dispatch(mut cli: Cli) -> i32 {
    match &mut cli.command {
        Command::Run(a) => a.scenario.fold_scale_time(),
        Command::Trace(a) => a.scenario.fold_scale_time(),
        Command::Explain(a) => a.scenario.fold_scale_time(),
        Command::Explore(a) => a.scenario.fold_scale_time(),
        _ => {}
    }
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Check(a) => check::check(a),
        Command::Trace(a) => trace::trace(a),
        Command::Validate(a) => validate::validate(a),
        Command::Compare(a) => compare::compare(a),
        Command::Merge(a) => compare::merge(a),
        Command::Explain(a) => explain::explain(a),
        Command::Explore(a) => explore::explore(a),
        Command::Shrink(a) => shrink::shrink(a),
        Command::Diff(a) => diff::diff(a),
        Command::Completions(a) => completions::completions(a),
        Command::Man(a) => completions::man(a),
        Command::Load(a) => live::load(a),
        Command::ServeReference(a) => live::serve(a),
        Command::Export(a) => live::export(a),
        Command::Schema(a) => schema::schema(a),
    }
}

#[cfg(test)]
mod tests {
    /// The subcommand files, by module name, with their text.
    const SUBCOMMANDS: [(&str, &str); 8] = [
        ("check", include_str!("check.rs")),
        ("compare", include_str!("compare.rs")),
        ("explain", include_str!("explain.rs")),
        ("explore", include_str!("explore.rs")),
        ("run", include_str!("run.rs")),
        ("shrink", include_str!("shrink.rs")),
        ("trace", include_str!("trace.rs")),
        ("validate", include_str!("validate.rs")),
    ];

    /// The service files: they may import each other, never a subcommand.
    const SERVICES: [&str; 9] = [
        include_str!("determinism.rs"),
        include_str!("load.rs"),
        include_str!("out.rs"),
        include_str!("pool.rs"),
        include_str!("seeds.rs"),
        include_str!("seed_shards.rs"),
        include_str!("minimise.rs"),
        include_str!("verify.rs"),
        include_str!("write.rs"),
    ];

    /// Goal: no import cycle in the binary: a subcommand never names another subcommand,
    /// and a service never names a subcommand. Method: scan each file's text for
    /// `super::NAME` of every subcommand but itself.
    #[test]
    fn subcommands_never_import_each_other() {
        for (name, text) in SUBCOMMANDS {
            for (other, _) in SUBCOMMANDS.iter().filter(|(o, _)| *o != name) {
                let path = format!("super::{other}");
                assert!(!text.contains(&path), "{name}.rs names {path}");
            }
        }
        for text in SERVICES {
            for (other, _) in SUBCOMMANDS {
                let path = format!("super::{other}");
                assert!(!text.contains(&path), "a service names {path}");
            }
        }
    }
}

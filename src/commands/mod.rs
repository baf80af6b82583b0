//! Subcommands: each turns flags into a plan, runs it, prints, and returns an exit code.
//!
//! One file (or folder) per subcommand: run, check (+ check/explore_gate), compare (+ merge),
//! explain, explore, shrink, trace, validate, diff, completions (+ man), schema, live (load,
//! serve-reference, export). A subcommand never names another: what two share is a service
//! in `crate::service` (loading scenario files, output directories, the pool of runs, seeds,
//! fingerprints, the shrinking runner, ...). `ci/module_cycles.py`, run by `tests/house.rs`,
//! keeps it so.

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

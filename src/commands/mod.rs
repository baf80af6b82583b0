//! Subcommands: each turns flags into a plan, runs it, prints, and returns an exit code.

mod check;
mod compare;
mod determinism;
mod explain;
pub mod load;
mod out;
mod pool;
mod run;
mod shrink;
mod trace;
mod validate;
mod verify;

use crate::cli::{Cli, Command};

/// Runs the chosen subcommand and returns its exit code.
pub fn dispatch(cli: Cli) -> i32 {
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Check(a) => check::check(a),
        Command::Trace(a) => trace::trace(a),
        Command::Validate(a) => validate::validate(a),
        Command::Compare(a) => compare::compare(a),
        Command::Merge(a) => compare::merge(a),
        Command::Explain(a) => explain::explain(a),
        Command::Shrink(a) => shrink::shrink(a),
    }
}

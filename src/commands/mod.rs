//! Subcommands: each turns flags into a plan, runs it, prints, and returns an exit code.

mod check;
mod determinism;
mod load;
mod out;
mod run;
mod validate;
mod verify;

use crate::cli::{Cli, Command};

/// Runs the chosen subcommand and returns its exit code.
pub fn dispatch(cli: Cli) -> i32 {
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Check(a) => check::check(a),
        Command::Validate(a) => validate::validate(a),
    }
}

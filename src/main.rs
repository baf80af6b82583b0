//! `tenantsim` — the command-line front end.
//!
//! The binary turns flags into a validated plan, runs it, prints, and maps results to exit
//! codes. It is the only place that does I/O, reads the wall clock or spawns threads.
//!
//! Exit codes: 0 every SLO passed · 1 an SLO failed · 2 invalid input (file or flags) ·
//! 3 internal invariant broken (a bug: please report it with the repro command).

mod cli;
mod commands;
mod exit;
mod live;
mod service;
mod version;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    service::load::set_allow_large(args.allow_large);
    let code = exit::guard(|| commands::dispatch(args));
    std::process::exit(code);
}

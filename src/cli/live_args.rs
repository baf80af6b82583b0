//! Flags of `load`, `serve-reference` and `export k6` (live mode), kept apart so `cli.rs` only
//! names them. They belong to the command line, not to `crate::live`: `live` reads them, and
//! `cli` imports nothing of `live`.

use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `load` flags.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The scenario, seed, variant and overrides.
    #[command(flatten)]
    pub scenario: super::ScenarioArgs,
    /// The service to send to: `http://host:port[/prefix]` (plain HTTP/1.1).
    #[arg(long, value_name = "URL")]
    pub target: String,
    /// Send only the first part of the scenario, e.g. `30s` (default: all of it).
    #[arg(long, value_name = "D")]
    pub duration: Option<String>,
    /// Keep this fraction of the requests (0 < F ≤ 1), chosen by the seed.
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    pub scale: f64,
    /// Write summary.json and report.html here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also print the simulation of the same seed beside the measurements.
    #[arg(long)]
    pub compare: bool,
    /// Write the verdicts as JUnit XML here: one testcase per SLO (expected to pass, or to
    /// fail as the variant's `expect` says) and one for the generator's validity.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
}

/// `serve-reference` flags.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The scenario whose platform to serve as one cell (every tenant; its tiers, classes,
    /// scheduler, workers and DB).
    #[arg(long, value_name = "FILE")]
    pub scenario: PathBuf,
    /// Run a variant declared in the scenario.
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Override a scenario key (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Address to listen on (`127.0.0.1:0`: any free port; the address is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Stop after this long, e.g. `60s` (default: until Ctrl-C).
    #[arg(long = "for", value_name = "D")]
    pub run_for: Option<String>,
}

/// `export` formats.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// A k6 script: arrival-rate scenarios per tenant group, the tenant header, SLO thresholds.
    K6(ExportK6Args),
}

/// `export` flags.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The format.
    #[command(subcommand)]
    pub format: ExportCommand,
}

/// `export k6` flags.
#[derive(Debug, Args)]
pub struct ExportK6Args {
    /// The scenario, seed, variant and overrides.
    #[command(flatten)]
    pub scenario: super::ScenarioArgs,
    /// Base URL the script sends to.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8080")]
    pub target: String,
    /// Write the script here (default: standard output).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
}

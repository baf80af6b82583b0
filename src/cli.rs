//! Command-line flags (clap). Flags are turned into a validated plan in `commands`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Deterministic simulator of multi-tenant platforms: does one tenant's trouble stay its own?
#[derive(Debug, Parser)]
#[command(
    name = "tenantsim",
    version = crate::version::VERSION_LONG,
    about,
    long_about = "tenantsim simulates a multi-tenant platform (edge limiters, cells with queues and \
schedulers, DB pools, client timeouts) from a scenario file, injects faults on a timeline, and \
checks per-tenant isolation SLOs. Same scenario + same seed = the same result, on any machine.",
    after_help = "Exit codes: 0 all SLOs passed, 1 an SLO failed, 2 invalid input, 3 internal error (a bug).\n\
Examples:\n  tenantsim run scenarios/quickstart.toml\n  tenantsim validate scenarios/*.toml"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one scenario with one seed and print the summary.
    #[command(after_help = "Examples:\n  \
tenantsim run scenarios/quickstart.toml\n  \
tenantsim run scenarios/quickstart.toml --seed 7\n  \
tenantsim run scenarios/quickstart.toml --set platform.scheduler=drr --set platform.cells=4\n  \
tenantsim run scenarios/quickstart.toml --json out/summary.json\n  \
tenantsim run scenarios/quickstart.toml --out out/ --watch small-0007\n  \
tenantsim run scenarios/quickstart.toml --seed 3 --verify-digest out/summary.json\n  \
tenantsim run scenarios/quickstart.toml --check-determinism\n\n\
Exit codes: 0 all SLOs passed, 1 an SLO failed (or --verify-digest found another digest),\n\
2 invalid input, 3 internal error (or --check-determinism found runs that differ).")]
    Run(RunArgs),
    /// Run scenario files × variants × seeds and check every SLO expectation (CI gate).
    #[command(after_help = "Examples:\n  \
tenantsim check scenarios/*.toml\n  \
tenantsim check scenarios/hot-tenant.toml --seeds 1..=20 --junit out/junit.xml --markdown out/summary.md\n  \
tenantsim check scenarios/hot-tenant.toml --variant base --jobs 2\n\n\
Every scenario is run as its base (every SLO expected to pass) and as each declared variant\n\
(its `expect` table says which SLOs must fail: counterfactuals). An expectation is met when it\n\
holds on every seed.\n\n\
Exit codes: 0 every expectation met, 1 one was not, 2 invalid input, 3 internal error.")]
    Check(CheckArgs),
    /// Check scenario files without running them.
    #[command(
        after_help = "Examples:\n  tenantsim validate scenarios/quickstart.toml\n  tenantsim validate scenarios/*.toml\n\n\
Exit codes: 0 all files valid, 2 a file is invalid."
    )]
    Validate(ValidateArgs),
}

/// `run` flags.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    pub file: PathBuf,
    /// Seed (default: the scenario's `seed`, else 1).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override a scenario key, e.g. `--set platform.cells=4` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Run a variant declared in the scenario (its overrides apply before `--set`).
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Write the summary as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write summary.json, timeseries.csv, tenants.csv, charts (PNG + SVG) and report.html here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also record a time series for this tenant (repeatable; tenants named in SLOs and
    /// faults are always watched).
    #[arg(long, value_name = "TENANT")]
    pub watch: Vec<String>,
    /// Print only the verdict line and the repro command.
    #[arg(long, short)]
    pub quiet: bool,
    /// After the run, check that it reproduced an earlier one: D is its digest (16 hex
    /// digits) or its summary.json (or --out directory). With a summary, a mismatch says which
    /// input changed, or that the behaviour did. A mismatch exits 1.
    #[arg(long, value_name = "D")]
    pub verify_digest: Option<String>,
    /// Run the seed twice more — the scenario parsed afresh, and on another thread beside a
    /// run of another seed — and compare digests at checkpoints; a difference names the first
    /// diverging event and exits 3 (a bug in tenantsim).
    #[arg(long)]
    pub check_determinism: bool,
}

/// `validate` flags.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// `check` flags.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Seeds: `1..=20`, `1..21`, `7`, or `1,3,9` (default 1..=3).
    #[arg(long, default_value = "1..=3")]
    pub seeds: String,
    /// Only these variants (`base` is the scenario itself); repeatable. Default: all.
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Override a key in every scenario (repeatable), e.g. `--set duration=2m`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Write a Markdown summary here (e.g. `$GITHUB_STEP_SUMMARY`).
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,
    /// Parallel runs (default: all cores). The results are identical for any value.
    #[arg(long)]
    pub jobs: Option<usize>,
}

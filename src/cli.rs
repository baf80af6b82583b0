//! Command-line flags (clap). Flags are turned into a validated plan in `commands`.

pub mod live_args;

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
Examples:\n  tenantsim run scenarios/quickstart.toml\n  tenantsim trace scenarios/hot-tenant.toml --tenant hot --out out/hot.json\n  tenantsim validate scenarios/*.toml"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Load scenarios whose estimated work (offered load × duration × events per request)
    /// is above tenantsim's bounds; without it they are refused before running (exit 2).
    #[arg(long, global = true)]
    pub allow_large: bool,
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
tenantsim check scenarios/hot-tenant.toml --variant base --jobs 2\n  \
tenantsim check scenarios/*.toml --json out/check.json --failures out/failures.txt --fail-fast\n\n\
Every scenario is run as its base (every SLO expected to pass) and as each declared variant\n\
(its `expect` table says which SLOs must fail: counterfactuals). An expectation is met when it\n\
holds on every seed. An invalid scenario file is reported (and is an errored test case in the\n\
JUnit and Markdown reports) while the valid ones still run; the exit code is then 2.\n\n\
Exit codes: 0 every expectation met, 1 one was not, 2 invalid input, 3 internal error.")]
    Check(CheckArgs),
    /// Draw a fault schedule per seed, run it, and group what failed (exploration).
    #[command(after_help = "Examples:\n  \
tenantsim explore scenarios/explore-gold-cell.toml --runs 50\n  \
tenantsim explore scenarios/quickstart.toml --runs 20 --jobs 2 --json out/explore.json\n  \
tenantsim explore scenarios/explore-gold-cell.toml --runs 200 --shard 3/8 --out part3/\n  \
tenantsim explore scenarios/explore-gold-cell.toml --runs 200 --merge part*/\n\n\
Seed N (from --seed, default 1, for --runs seeds) appends to the scenario's faults a schedule\n\
drawn from the seed within its [explore] bounds: how many faults, their kinds, targets, windows\n\
and intensities. Every drawn fault ends by `quiet_after`; the rest of the run checks that the\n\
platform recovers. Failures (failed SLOs, a broken invariant, a drawn fault not recovered from,\n\
a metastable aftermath) are grouped by signature (what failed, and the resource saturated at\n\
the first violation), a broken invariant with its first breaking event, each with the repro line\n\
`tenantsim run FILE --seed N --explore` that replays that run byte for byte. Coverage: how many\n\
runs reached each state of the catalogue (scenarios/README.md). The result does not depend on --jobs.\n\n\
--shard K/N explores every N-th seed from the (K-1)-th and writes explore-partial-K-of-N.json into\n\
--out; the same command with --merge DIR... instead combines every shard and reports exactly what\n\
one unsharded run would have (a shard itself exits 0 once written; the merge gives the verdict).\n\n\
Exit codes: 0 nothing failed (and every `coverage` state was reached), 1 a failure was found (or\n\
coverage was not reached), 2 invalid input, 3 a broken invariant.")]
    Explore(ExploreArgs),
    /// Compare variants of a scenario over many seeds (paired, common random numbers).
    #[command(after_help = "Examples:\n  \
tenantsim compare scenarios/placement-study.toml --vary control_plane.placement=least_loaded,power_of_two,shuffle_shard --seeds 1..=30 --out out/study\n  \
tenantsim compare scenarios/hot-tenant.toml --vary platform.scheduler=fifo,drr --vary platform.cells=4,8 --seeds 1..=10\n  \
tenantsim compare scenarios/hot-tenant.toml --vary platform.scheduler=fifo,drr --seeds 1..=100 --shard 3/8 --out part3/\n\n\
Every combination of the --vary values is a variant, and every variant runs every seed. For a\n\
seed, all variants see the same tenants, arrivals and faults, so differences are paired per seed:\n\
the report gives each variant's mean difference from the baseline (the first combination, or\n\
--baseline) with a 95% paired t interval, and its wins / ties / losses over seeds.\n\
Outputs (--out): compare.json, compare.csv, runs.csv, charts/, report.html.\n\
--shard K/N runs every N-th run starting at K-1 and writes partial-K-of-N.json; `tenantsim merge`\n\
combines the shards into exactly what one machine would have written.\n\
--fail-if-worse METRIC (repeatable) makes it a gate: exit 1 when a variant's paired 95% interval\n\
on METRIC excludes zero on the worse side (every metric is lower-is-better).\n\n\
Exit codes: 0 done (SLO failures in a variant are results, not errors), 1 --fail-if-worse found a\n\
variant significantly worse, 2 invalid input, 3 internal error.")]
    Compare(CompareArgs),
    /// Combine the partial results of `compare --shard K/N` into one comparison.
    #[command(after_help = "Examples:\n  \
tenantsim merge part1/ part2/ part3/ --out out/study\n  \
tenantsim merge shards/*/partial-*.json --out out/study\n\n\
Every shard of the sweep must be given exactly once, all run on the same scenario file contents,\n\
flags and tenantsim version. The output is byte-identical to an unsharded `compare --out`.\n\n\
Exit codes: 0 merged, 2 invalid input (missing, duplicate or mismatched shards).")]
    Merge(MergeArgs),
    /// Export what happened to selected tenants' requests as spans (Perfetto or JSON lines).
    #[command(after_help = "Examples:\n  \
tenantsim trace scenarios/hot-tenant.toml --tenant hot --from 1m55s --to 2m10s --out out/hot.json\n  \
tenantsim trace scenarios/retry-storm.toml --tenant t-0001 --from 1m --to 2m30s --out out/retries.json\n  \
tenantsim trace scenarios/retry-storm.toml --cell 0 --from 2m --to 2m1s --format jsonl --out out/cell0.jsonl\n  \
tenantsim trace scenarios/acmedocs.toml --seed 3 --tenant megacorp --from 15m --to 15m10s --out out/megacorp.json\n\n\
Traces every request of the selected tenants (--tenant, repeatable) or of every tenant on the\n\
selected cells (--cell, repeatable) that starts in [--from, --to) (default: the whole run): the\n\
request, its attempts and the backoffs between them, and inside each attempt its phases (edge,\n\
queue, kms, service, db_wait, db_run, ...), with outcomes and causes. Plus fault, breaker,\n\
heartbeat, route, config and lifecycle instants, and counters of the cells involved (queue depth,\n\
workers, DB connections and utilisation). The run is the same run as `tenantsim run` with the same\n\
seed (same digest): tracing observes, it never changes what happens.\n\
Formats: perfetto (Chrome Trace Event JSON: open it at https://ui.perfetto.dev or chrome://tracing;\n\
the default unless PATH ends in .jsonl) and jsonl (one JSON object per line, for jq). Every field is\n\
documented in reports/README.md (\"Traces\").\n\n\
Exit codes: 0 trace written, 2 invalid input (file, flags, unknown tenant or cell, unwritable PATH),\n\
3 internal error.")]
    Trace(TraceArgs),
    /// Explain why SLOs failed on a seed; `--without X` measures what a tenant or fault cost
    /// the others.
    #[command(after_help = "Examples:\n  \
tenantsim explain scenarios/hot-tenant.toml --seed 1 --variant fifo-no-limits\n  \
tenantsim explain scenarios/hot-tenant.toml --seed 1 --variant fifo-no-limits --slo bystander-p99 --without hot\n  \
tenantsim explain scenarios/retry-storm.toml --seed 2 --variant immediate-retries --without outage\n\n\
For the first violation of each failing SLO: who breached it, when, where, the saturated\n\
resource (queue, workers, DB, KMS, routing, breaker) with the evidence, who used that cell at\n\
the time, the active faults, the control-plane actions and the retry amplification.\n\
`--without` reruns the same seed with a tenant silent, a fault disabled or a kind of\n\
control-plane action turned off (`--without promote`: what if the rebalancer had not\n\
promoted anyone?; everyone else's arrivals identical) and reports, per bystander, the\n\
difference in p99 and failed requests.\n\n\
Exit codes: 0 every SLO held, 1 an SLO failed (explained), 2 invalid input, 3 internal error.")]
    Explain(ExplainArgs),
    /// Shrink a failing scenario to a smaller one that still fails the same SLO on the seed.
    #[command(after_help = "Examples:\n  \
tenantsim shrink scenarios/hot-tenant.toml --seed 1 --variant fifo-no-limits --slo bystander-p99 --out min.toml\n  \
tenantsim shrink scenarios/acmedocs.toml --seed 1 --set platform.scheduler=fifo --slo gold-availability --out min.toml --budget 60\n\n\
Greedy delta debugging: the variant and --set flags are folded into the file, then reductions\n\
(drop other SLOs, drop or halve cohorts, halve the duration, drop faults, tenants, cells, jobs)\n\
are kept while the file stays valid and the SLO still fails on the seed, until none helps or\n\
the budget of runs is spent. Progress goes to stderr; the result is a commented scenario file.\n\n\
Exit codes: 0 written, 2 invalid input (or the SLO does not fail on that seed), 3 internal error.")]
    Shrink(ShrinkArgs),
    /// Check scenario files without running them.
    #[command(
        after_help = "Examples:\n  tenantsim validate scenarios/quickstart.toml\n  tenantsim validate scenarios/*.toml\n\n\
Exit codes: 0 all files valid, 2 a file is invalid."
    )]
    Validate(ValidateArgs),
    /// Live mode: send the scenario's tenants' requests to a real HTTP service, judge the SLOs.
    #[command(after_help = "Examples:\n  \
tenantsim serve-reference --scenario scenarios/live-isolation.toml --listen 127.0.0.1:8080 &\n  \
tenantsim load scenarios/live-isolation.toml --target http://127.0.0.1:8080 --compare --out out/live\n\n\
Sends the requests the simulation of the seed sends, at the same times (open loop; latency from\n\
the intended send time). Exit codes: 0 every SLO passed and the generator kept up, 1 an SLO failed\n\
or the result is invalid (generator behind), 2 invalid input or unreachable target, 3 internal error.")]
    Load(live_args::LoadArgs),
    /// Live mode: a small real multi-tenant HTTP service implementing one cell of a scenario.
    ServeReference(live_args::ServeArgs),
    /// Export a scenario's tenants for another tool (`export k6 FILE`).
    Export(live_args::ExportArgs),
    /// What changed between two runs: inputs, SLO verdicts and values, tiers (from their
    /// summary.json files).
    #[command(after_help = "Examples:\n  \
tenantsim run scenarios/hot-tenant.toml --json out/a.json\n  \
tenantsim run scenarios/hot-tenant.toml --set platform.scheduler=fifo --json out/b.json\n  \
tenantsim diff out/a.json out/b.json\n  \
tenantsim diff out/before/ out/after/          # folders written by `run --out`\n\n\
Says which inputs differ (scenario file, overrides, variant, seed, tenantsim version; from the\n\
fingerprints), whether the digests match, each SLO's verdict and measured value in A and B\n\
(flips marked), and per tier the change in offered requests, availability, error rate, p50\n\
and p99. Runs nothing.\n\n\
Exit codes: 0 no SLO verdict differs, 1 a verdict flipped, 2 invalid input.")]
    Diff(DiffArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "Examples:\n  \
tenantsim completions bash > ~/.local/share/bash-completion/completions/tenantsim\n  \
tenantsim completions zsh > \"${fpath[1]}/_tenantsim\"\n  \
tenantsim completions fish > ~/.config/fish/completions/tenantsim.fish\n\n\
Exit codes: 0 written.")]
    Completions(CompletionsArgs),
    /// Print the man page, or write one page per subcommand into a directory.
    #[command(after_help = "Examples:\n  \
tenantsim man | man -l -\n  \
tenantsim man --dir ~/.local/share/man/man1    # then: man tenantsim-check\n\n\
Exit codes: 0 written, 2 the directory cannot be written.")]
    Man(ManArgs),
    /// Print the JSON Schema of scenario files (what `scenarios/tenantsim.schema.json` holds).
    #[command(after_help = "Examples:\n  \
tenantsim schema > scenarios/tenantsim.schema.json\n  \
tenantsim schema --out my-scenarios/tenantsim.schema.json\n\n\
Editors that read taplo's directive (Even Better TOML in VS Code, taplo's LSP) then complete\n\
and check keys in a scenario file that starts with `#:schema ./tenantsim.schema.json`.\n\
Generated from the scenario types of this binary, so it always matches what `validate` accepts\n\
structurally; values (\"250ms\", \"p(99) < 1s\") and references are checked by `validate`.\n\n\
Exit codes: 0 written, 2 the file cannot be written, 3 internal error.")]
    Schema(SchemaArgs),
}

/// `schema` flags.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Write the schema to this file instead of stdout.
    #[arg(long, value_name = "PATH")]
    pub out: Option<std::path::PathBuf>,
}

/// `diff` flags.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier run: its summary.json, or the folder `run --out` wrote.
    pub a: std::path::PathBuf,
    /// The later run: its summary.json, or the folder `run --out` wrote.
    pub b: std::path::PathBuf,
}

/// `completions` flags.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `man` flags.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write tenantsim.1 and tenantsim-SUBCOMMAND.1 here instead of printing tenantsim.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
}

/// The flags that name one run: scenario file, seed, variant and overrides (`run`, `trace`,
/// `explain`).
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Scenario file (TOML).
    pub file: PathBuf,
    /// Seed (default: the scenario's `seed`, else 1).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run a variant declared in the scenario (its overrides apply before `--set`).
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Override a scenario key, e.g. `--set platform.cells=4` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Scale the timeline (duration, fault times, load shapes, SLO windows) by F, e.g. 0.1
    /// for a smoke run 10× shorter; the same as `--set scale_time=F`. It changes the run:
    /// mechanisms (timeouts, TTLs, service times) are not scaled.
    #[arg(long, value_name = "F")]
    pub scale_time: Option<f64>,
}

impl ScenarioArgs {
    /// Folds `--scale-time F` into the overrides as `scale_time=F` (first, so a `--set
    /// scale_time=...` given too wins), so that fingerprints and repro lines carry it.
    pub fn fold_scale_time(&mut self) {
        if let Some(f) = self.scale_time.take() {
            self.set.insert(0, format!("scale_time={f}"));
        }
    }
}

/// `run` flags.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario, seed, variant and overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
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
    /// Add the fault schedule `tenantsim explore` draws for this seed (replays an explore run).
    #[arg(long)]
    pub explore: bool,
}

/// `explore` flags.
#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// The scenario, first seed (default 1), variant and overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// How many seeds to explore.
    #[arg(long, default_value_t = 20)]
    pub runs: u64,
    /// Parallel runs (default: all cores); the result is the same for any value.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Write every run's outcome, the groups and coverage as JSON here.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Shrink the first run of each failure that failed an SLO to a minimal scenario with
    /// its drawn schedule written out literally: `DIR/explore-seed-N.toml`.
    #[arg(long, value_name = "DIR")]
    pub shrink: Option<PathBuf>,
    /// Most runs each shrink spends.
    #[arg(long, default_value_t = 150)]
    pub shrink_budget: usize,
    /// Explore only shard K of N of the seeds (every N-th run from K−1) and write
    /// explore-partial-K-of-N.json into --out; `--merge` combines the shards.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Where `--shard` writes its partial result.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Run nothing: combine the partial results that `--shard K/N --out DIR` wrote (the
    /// directories or files), and report exactly as one unsharded run with the same flags.
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub merge: Vec<PathBuf>,
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
    /// Seeds: `1..=20`, `1..21`, `7`, or `1,3,9`.
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
    /// Write the result as JSON here (every expectation, invalid files, repro commands).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write one repro command per failing run here (empty if none), for a CI step that
    /// replays each with `--out`.
    #[arg(long, value_name = "PATH")]
    pub failures: Option<PathBuf>,
    /// Stop after the first scenario variant with an unmet expectation (the rest are
    /// reported as skipped).
    #[arg(long)]
    pub fail_fast: bool,
    /// Parallel runs (default: all cores). The results are identical for any value.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Then explore each file's base scenario on seeds 1..=N (a fault schedule drawn per
    /// seed, as `tenantsim explore`), stopping at the first failure: exit 1 (3 for a broken
    /// invariant), its repro line, and a shrunk reproducer in `--explore-out`.
    #[arg(long, value_name = "N")]
    pub explore: Option<u64>,
    /// Bound on `--explore`: wall time (`5m`) or runs (`200runs`), over all files.
    #[arg(long, value_name = "DUR|Nruns")]
    pub budget: Option<String>,
    /// Where `--explore` writes the shrunk reproducer (default `explore-failures`).
    #[arg(long, value_name = "DIR")]
    pub explore_out: Option<PathBuf>,
    /// Most runs the shrink of an explored failure spends.
    #[arg(long, default_value_t = 150)]
    pub shrink_budget: usize,
}

/// `compare` flags.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario file (TOML).
    pub file: PathBuf,
    /// A key and its values, e.g. `--vary control_plane.placement=least_loaded,shuffle_shard`
    /// (repeatable: every combination is a variant).
    #[arg(long, value_name = "KEY=V1,V2,...", required = true)]
    pub vary: Vec<String>,
    /// Seeds: `1..=30`, `1..31`, `7`, or `1,3,9`.
    #[arg(long, default_value = "1..=10")]
    pub seeds: String,
    /// The variant the others are compared with, by its label (default: the first).
    #[arg(long, value_name = "LABEL")]
    pub baseline: Option<String>,
    /// Override a key in every run (repeatable), e.g. `--set duration=5m`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Start every run from this variant declared in the scenario.
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Parallel runs (default: all cores). The results are identical for any value.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Write compare.json, compare.csv, runs.csv, charts and report.html here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Run only shard K of N of the grid and write partial-K-of-N.json into --out.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Exit 1 when a variant is significantly worse than the baseline on this metric (its
    /// paired 95% interval excludes zero on the worse side); repeatable.
    #[arg(long = "fail-if-worse", value_name = "METRIC")]
    pub fail_if_worse: Vec<String>,
}

/// `merge` flags.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Directories written by `compare --shard K/N --out DIR`, or partial-K-of-N.json files.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Write the merged outputs here (as `compare --out` would).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Trace output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceFormat {
    /// Chrome Trace Event Format JSON (ui.perfetto.dev, chrome://tracing).
    Perfetto,
    /// One JSON object per line (jq).
    Jsonl,
}

/// `trace` flags.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The scenario, seed, variant and overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Trace this tenant's requests (repeatable).
    #[arg(long = "tenant", value_name = "ID")]
    pub tenants: Vec<String>,
    /// Trace the requests of every tenant on this cell (repeatable; cells count from 0).
    #[arg(long = "cell", value_name = "N")]
    pub cells: Vec<u32>,
    /// Trace requests that start at or after this time, e.g. `2m` (default: 0).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub from: Option<sim::SimDuration>,
    /// ... and before this time, e.g. `2m30s` (default: the end of the run).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub to: Option<sim::SimDuration>,
    /// Output format (default: jsonl if PATH ends in .jsonl, else perfetto).
    #[arg(long, value_enum)]
    pub format: Option<TraceFormat>,
    /// Write the trace to this file.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Stop tracing new requests after this many records (spans, instants, counter samples).
    #[arg(long, value_name = "N", default_value = "2_000_000", value_parser = parse_count)]
    pub max_events: u64,
    /// At most one counter sample per cell per this much simulated time.
    #[arg(long, value_name = "DURATION", default_value = "10ms", value_parser = parse_time)]
    pub counter_resolution: sim::SimDuration,
}

/// A simulated time or duration such as `90s`, `2m30s` or `1h`.
fn parse_time(s: &str) -> Result<sim::SimDuration, String> {
    sim::SimDuration::parse(s).map_err(|e| e.to_string())
}

/// A count, `_` allowed as a digit separator (`2_000_000`).
fn parse_count(s: &str) -> Result<u64, String> {
    s.replace('_', "")
        .parse::<u64>()
        .map_err(|_| format!("`{s}` is not a whole number (e.g. 2_000_000)"))
}

/// `explain` flags.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The scenario, seed, variant and overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Only this SLO (repeatable; default: every failing SLO).
    #[arg(long, value_name = "NAME")]
    pub slo: Vec<String>,
    /// Counterfactual: rerun without this tenant (it sends nothing) or fault, or without one
    /// kind of control-plane action (`evacuate`, `fail_back`, `reconcile`, `rebalance`,
    /// `promote`, `migrate`) (repeatable).
    #[arg(long, value_name = "TENANT|FAULT|ACTION")]
    pub without: Vec<String>,
}

/// `shrink` flags.
#[derive(Debug, Args)]
pub struct ShrinkArgs {
    /// Scenario file (TOML).
    pub file: PathBuf,
    /// Seed on which the SLO fails (default: the scenario's `seed`, else 1).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The SLO that must keep failing.
    #[arg(long, value_name = "NAME")]
    pub slo: String,
    /// Start from this variant declared in the scenario.
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Override a scenario key (repeatable); folded into the output.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Where to write the smaller scenario.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Most runs to spend.
    #[arg(long, default_value_t = 150)]
    pub budget: usize,
    /// The failing run is an explored one (`run --seed N --explore`): its drawn schedule is
    /// written out as literal faults first (drawn faults are always written out), so the
    /// result has no draws left and fails without `--explore`.
    #[arg(long)]
    pub explore: bool,
}

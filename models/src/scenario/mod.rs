//! Scenario files: parsing, `--set` overrides, and semantic validation.
//!
//! ```text
//!   file text ──toml+serde──▶ ScenarioFile (schema: data as written, with spans)
//!            ──--set──▶ (toml_edit tree, re-parsed)
//!            ──validate──▶ Scenario (typed, checked, ready to build a platform)
//! ```
//!
//! **Guarantee.** [`load_str`] either returns a [`Scenario`] in which every reference
//! resolves, every window lies inside the run and every number is in range, or returns
//! [`ScenarioErrors`], each located at `file:line:column`. It never panics on any input.

pub mod autoscale;
pub mod bulkhead;
pub mod cell_config_ttl;
pub mod cell_sizes;
pub mod config_ttl;
pub mod control_plane;
pub mod cost;
pub mod cross_cell;
pub mod data_arch;
pub mod data_layouts;
pub mod data_servers;
pub mod db_budget;
pub mod db_governance;
pub mod draw_values;
pub mod error;
pub mod explore;
pub mod explore_every;
mod fault_when;
mod faults;
pub(crate) use faults::{int_array, write_kind_keys};
pub mod infra;
pub mod isolation;
pub mod json_schema;
pub mod lifecycle_ops;
pub mod moves;
pub mod network;
pub mod overrides;
mod placement_check;
pub mod rollout_burn;
pub mod rollout_config;
pub mod rollout_deploy;
pub mod rollout_groups;
pub mod rollouts;
pub mod scale_out;
pub mod scale_time;
pub mod schema;
pub mod suggest;
mod validate;
pub mod values;
pub mod vary;

pub use error::{ScenarioError, ScenarioErrors};
pub use infra::{ControlPlane, Edge, JobClass, JobPlane, Kms, ObjectStorage, TenantJobs};
pub use overrides::Override;
pub use schema::SloScope;
pub use values::{Cmp, Metric, Threshold};

use crate::component::breaker::{BreakerConfig, BreakerScope};
use crate::component::placement::capacity::{ClassCost, RequestCost};
use crate::component::retry::{Jitter, RetryPolicy};
use crate::component::scheduler::SchedulerKind;
use crate::component::workload::{Arrival, LoadShape, Spike};
use crate::fault::{Fault, FaultKind, PartitionKind};
use schema::ScenarioFile;
use sim::{Dist, Quantity, SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use toml::Spanned;

/// The built-in tiers: (name, weight). Scenario files may override them and add more.
pub const BUILTIN_TIERS: [(&str, u32); 4] =
    [("bronze", 1), ("silver", 2), ("gold", 4), ("platinum", 8)];

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Short name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// File name as given.
    pub file: String,
    /// The text the scenario was parsed from (after overrides).
    pub text: String,
    /// Overrides applied, as flags.
    pub overrides: Vec<String>,
    /// Run length.
    pub duration: SimDuration,
    /// Default seed.
    pub seed: u64,
    /// Recording window.
    pub window: SimDuration,
    /// Bound on processed events.
    pub max_events: u64,
    /// The platform.
    pub platform: Platform,
    /// Load shape applied to every tenant without its own.
    pub workload: LoadShape,
    /// The control plane.
    pub control_plane: ControlPlane,
    /// The edge's routing cache.
    pub edge: Edge,
    /// The KMS.
    pub kms: Kms,
    /// Object storage.
    pub object_storage: ObjectStorage,
    /// Network delays on the links (`[network]`; none by default).
    pub network: network::Network,
    /// Job classes.
    pub job_classes: Vec<JobClass>,
    /// Tiers, built-ins first.
    pub tiers: Vec<Tier>,
    /// Request classes, in name order.
    pub classes: Vec<Class>,
    /// Shared global dependencies (`[[dependencies]]`; empty: none).
    pub dependencies: Vec<isolation::Dependency>,
    /// Bulkheads per request class and the read replica (`[[bulkheads]]`, `[replica]`;
    /// empty: none).
    pub bulkheads: bulkhead::BulkheadPlan,
    /// Per-tenant DB limits per tier (`[db_governance]`; empty: none).
    pub db_governance: db_governance::DbGovernance,
    /// Prices per resource for showback (`[cost]`; `None`: no showback).
    pub cost: Option<reports::showback::Prices>,
    /// How tenants' data is laid out in each cell's DB (`[data_architecture]`; layout
    /// `None`: not modelled).
    pub data_architecture: data_arch::DataArch,
    /// Individually declared tenants.
    pub tenants: Vec<TenantSpec>,
    /// Cohorts.
    pub cohorts: Vec<CohortSpec>,
    /// Faults in file order.
    pub faults: Vec<Fault>,
    /// SLOs in file order.
    pub slos: Vec<Slo>,
    /// Declared variants (the base scenario is not among them).
    pub variants: Vec<Variant>,
    /// The variant this scenario was loaded as, if any.
    pub variant: Option<String>,
    /// Thresholds of the metastability detector.
    pub metastability: Metastability,
    /// Staged rollouts, in file order.
    pub rollouts: Vec<rollouts::Rollout>,
    /// Bounds of `tenantsim explore` (`[explore]`; defaults when absent).
    pub explore: explore::Explore,
}

/// Thresholds of the metastability detector (`[metastability]`, checked): see
/// [`crate::harness::verdicts::metastability`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Metastability {
    /// A window is bad when its goodput is below this fraction (0 = never).
    pub goodput_below: f64,
    /// A window is bad when its amplification is above this.
    pub amplification_above: f64,
    /// Flagged when the bad state lasts at least this long after the fault's end.
    pub for_duration: SimDuration,
    /// Windows with fewer requests sent are not judged.
    pub min_requests: u64,
}

impl Default for Metastability {
    fn default() -> Self {
        Metastability {
            goodput_below: 0.9,
            amplification_above: 1.5,
            for_duration: SimDuration::from_secs(60),
            min_requests: 20,
        }
    }
}

/// A named variant: overrides of the base scenario and the expected verdict of each SLO.
#[derive(Clone, Debug)]
pub struct Variant {
    /// Name.
    pub name: String,
    /// What it shows.
    pub description: String,
    /// Its overrides (applied before any `--set`).
    pub overrides: Vec<Override>,
    /// SLO name → expected to pass.
    pub expect_pass: BTreeMap<String, bool>,
}

impl Variant {
    /// Whether SLO `name` is expected to pass under this variant.
    pub fn expects_pass(&self, name: &str) -> bool {
        self.expect_pass.get(name).copied().unwrap_or(true)
    }
}

/// Loads the scenario as variant `variant` (its overrides, then `sets`), after checking the
/// base file and every variant declared in it. `None` loads the base.
pub fn load_variant(
    file: &str,
    text: &str,
    sets: &[Override],
    variant: Option<&str>,
) -> Result<Scenario, ScenarioErrors> {
    let base = load_str(file, text, &[])?;
    let Some(name) = variant else {
        return if sets.is_empty() {
            Ok(base)
        } else {
            load_str(file, text, sets)
        };
    };
    let Some(v) = base.variants.iter().find(|v| v.name == name) else {
        let names: Vec<&str> = base.variants.iter().map(|v| v.name.as_str()).collect();
        return Err(ScenarioErrors(vec![ScenarioError::in_flag(
            file,
            &format!("--variant {name}"),
            format!(
                "the scenario has no variant `{name}`; its variants are: {}",
                if names.is_empty() {
                    "(none)".to_string()
                } else {
                    names.join(", ")
                }
            ),
        )]));
    };
    let mut all = v.overrides.clone();
    all.extend_from_slice(sets);
    // The base (just loaded) has checked every variant already.
    let mut sc = load_checked(file, text, &all, Variants::Skip)?;
    sc.variant = Some(name.to_string());
    // The variant's own flags are part of the scenario, not of the user's command line.
    sc.overrides = sets.iter().map(Override::flag).collect();
    sc.variants = base.variants;
    Ok(sc)
}

/// Platform settings.
#[derive(Clone, Debug)]
pub struct Platform {
    /// Cells.
    pub cells: u32,
    /// Workers per cell.
    pub workers: u32,
    /// Queue discipline.
    pub scheduler: SchedulerKind,
    /// DRR quantum per unit weight.
    pub quantum: SimDuration,
    /// Per-tenant in-service cap for capped schedulers.
    pub tenant_cap: u32,
    /// Max queue length per cell.
    pub queue_limit: u32,
    /// Max queue wait.
    pub queue_timeout: Option<SimDuration>,
    /// Global max in flight.
    pub max_in_flight: Option<u32>,
    /// DB settings.
    pub db: Db,
    /// Region of each cell.
    pub regions: Vec<String>,
    /// Most tenants per cell.
    pub max_tenants_per_cell: Option<u32>,
    /// The async plane of each cell.
    pub jobs: JobPlane,
    /// One size per cell when `[[platform.cell_sizes]]` is given; empty: every cell has
    /// `workers` and `db` (see [`Platform::size_of`]).
    pub cell_sizes: Vec<cell_sizes::CellSize>,
}

impl Platform {
    /// The resources of cell `cell`: its `[[platform.cell_sizes]]` entry, or the platform's
    /// `workers` and `db` when it has none.
    pub fn size_of(&self, cell: u32) -> cell_sizes::CellSize {
        match self.cell_sizes.get(cell as usize) {
            Some(s) => *s,
            None => cell_sizes::CellSize {
                workers: self.workers,
                db_connections: self.db.connections,
                db_cores: self.db.cores,
            },
        }
    }
}

/// DB settings.
#[derive(Clone, Debug)]
pub struct Db {
    /// Pool size.
    pub connections: u32,
    /// Cores.
    pub cores: u32,
    /// Statement timeout.
    pub statement_timeout: Option<SimDuration>,
    /// Connection acquire timeout.
    pub acquire_timeout: Option<SimDuration>,
    /// Circuit breaker on DB calls.
    pub breaker: Option<(BreakerConfig, BreakerScope)>,
}

/// A tier.
#[derive(Clone, Debug)]
pub struct Tier {
    /// Name.
    pub name: String,
    /// Scheduling weight.
    pub weight: u32,
    /// Edge rate limit per tenant (per second), if any.
    pub rate_limit: Option<f64>,
    /// Bucket burst.
    pub burst: u32,
    /// Per-tenant edge concurrency cap.
    pub max_concurrency: Option<u32>,
}

impl Scenario {
    /// The mean request of the scenario's class mix, as the capacity formula needs it.
    pub fn request_cost(&self) -> Option<RequestCost> {
        let classes: Vec<ClassCost> = self
            .classes
            .iter()
            .map(|c| ClassCost {
                share: c.share,
                service: &c.service,
                db_queries: &c.db_queries,
                db_time: &c.db_time,
                cache_hit: c.cache_hit,
            })
            .collect();
        RequestCost::of_classes(&classes)
    }

    /// The capacity of healthy cell `cell` with its own size (`[[platform.cell_sizes]]`),
    /// requests per second; `f64::MAX` when unknown. Equals [`Self::cell_capacity`] when
    /// every cell has the same size.
    pub fn cell_capacity_of(&self, cell: u32) -> f64 {
        if self.platform.cell_sizes.is_empty() {
            return self.cell_capacity();
        }
        let s = self.platform.size_of(cell);
        match self.request_cost() {
            Some(cost) => cost.cell_capacity(s.workers, s.db_connections, s.db_cores, 1.0),
            None => f64::MAX,
        }
    }

    /// The capacity of a healthy cell (every cell has the same resources), requests per
    /// second; `f64::MAX` when unknown (see [`crate::component::placement::capacity`]).
    pub fn cell_capacity(&self) -> f64 {
        match self.request_cost() {
            Some(cost) => cost.cell_capacity(
                self.platform.workers,
                self.platform.db.connections,
                self.platform.db.cores,
                1.0,
            ),
            None => f64::MAX,
        }
    }
}

/// A request class.
#[derive(Clone, Debug)]
pub struct Class {
    /// Name.
    pub name: String,
    /// Default share of a tenant's traffic.
    pub share: f64,
    /// Service CPU time (ns).
    pub service: Dist,
    /// DB queries per request.
    pub db_queries: Dist,
    /// DB time per query (ns).
    pub db_time: Dist,
    /// Response bytes.
    pub bytes: Dist,
    /// Client timeout per attempt.
    pub timeout: SimDuration,
    /// Cache hit ratio (a hit skips the DB).
    pub cache_hit: f64,
    /// Client retry behaviour.
    pub retry: RetrySpec,
    /// Needs the tenant's data key.
    pub kms: bool,
    /// Writes (dual-written during migration).
    pub writes: bool,
    /// Job class a successful request submits.
    pub submits_job: Option<usize>,
    /// Dependencies a request calls after its CPU work, in order (indices into
    /// `Scenario::dependencies`; empty: none).
    pub calls: Vec<u16>,
    /// A synchronous call to another cell (`cross_cell`), if any.
    pub cell_call: Option<cross_cell::CellCall>,
}

/// Which failures a client retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryOn {
    /// Client timeouts.
    pub timeout: bool,
    /// 429s.
    pub rejected: bool,
    /// 503s (shedding).
    pub shed: bool,
    /// Other 5xx.
    pub error: bool,
}

impl RetryOn {
    /// Whether a client retries after `outcome` (never after a success). The one rule the
    /// simulated clients and live mode's generator both follow.
    pub fn covers(&self, outcome: crate::component::outcome::Outcome) -> bool {
        use crate::component::outcome::Outcome;
        match outcome {
            Outcome::Ok => false,
            Outcome::Rejected => self.rejected,
            Outcome::TimedOut => self.timeout,
            Outcome::Failed(c) if c.is_shed() => self.shed,
            Outcome::Failed(_) => self.error,
        }
    }
}

/// A class's client retry behaviour.
#[derive(Clone, Debug, PartialEq)]
pub struct RetrySpec {
    /// The policy.
    pub policy: RetryPolicy,
    /// Wait at least Retry-After.
    pub honour_retry_after: bool,
    /// Budget (ratio, window, min retries per second).
    pub budget: Option<(f64, SimDuration, f64)>,
    /// Which failures are retried.
    pub retry_on: RetryOn,
}

impl RetrySpec {
    /// No retries.
    pub fn none() -> RetrySpec {
        RetrySpec {
            policy: RetryPolicy::None,
            honour_retry_after: true,
            budget: None,
            retry_on: RetryOn {
                timeout: true,
                rejected: true,
                shed: true,
                error: true,
            },
        }
    }
}

/// An individually declared tenant.
#[derive(Clone, Debug)]
pub struct TenantSpec {
    /// Id.
    pub id: String,
    /// Tier index.
    pub tier: usize,
    /// Offered rate per second (open loop).
    pub rate: f64,
    /// How requests arrive.
    pub arrival: Arrival,
    /// Load shape override.
    pub schedule: Option<LoadShape>,
    /// Edge concurrency cap override.
    pub max_concurrency: Option<u32>,
    /// Class shares (one per class), if overridden.
    pub mix: Option<Vec<f64>>,
    /// Fixed cell.
    pub cell: Option<u32>,
    /// Rate limit override.
    pub rate_limit: Option<f64>,
    /// Burst override.
    pub burst: Option<u32>,
    /// Required region.
    pub region: Option<String>,
    /// Must stay on EU cells.
    pub eu_only: bool,
    /// Own background jobs.
    pub jobs: Option<TenantJobs>,
    /// Data size (bytes), for migration backfill.
    pub data_size: f64,
    /// Its bursts, if it is spiky (the phase is drawn per tenant).
    pub spike: Option<Spike>,
}

/// A cohort.
#[derive(Clone, Debug)]
pub struct CohortSpec {
    /// Name.
    pub name: String,
    /// Member count.
    pub count: u32,
    /// Tier mix: (tier index, cumulative fraction).
    pub tier_mix: Vec<(usize, f64)>,
    /// Per-member rate distribution (per second).
    pub rate: Dist,
    /// Class shares override.
    pub mix: Option<Vec<f64>>,
    /// Load shape override.
    pub schedule: Option<LoadShape>,
    /// Members must stay on EU cells.
    pub eu_only: bool,
    /// Members are provisioned at this time.
    pub provision_at: Option<SimTime>,
    /// Members are placed only on these cells.
    pub cells: Option<Vec<u32>>,
    /// `cells` is only where members start: the control plane may move them elsewhere.
    pub movable: bool,
    /// Members' background jobs.
    pub jobs: Option<TenantJobs>,
    /// Fraction of members that are spiky.
    pub spiky_fraction: f64,
    /// The bursts of spiky members (the phase is drawn per member).
    pub spike: Spike,
}

/// The time window an SLO is judged over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SloWindow {
    /// The whole run.
    Run,
    /// While fault `i` is active.
    During(usize),
    /// From fault `i`'s end to the end of the run.
    After(usize),
    /// A fixed interval.
    Range(SimTime, SimTime),
}

impl SloWindow {
    /// The window as an interval `[from, to)` within a run of length `duration`.
    pub fn interval(&self, faults: &[Fault], duration: SimDuration) -> (SimTime, SimTime) {
        let end = SimTime(duration.as_nanos());
        match *self {
            SloWindow::Run => (SimTime::ZERO, end),
            SloWindow::During(i) => (faults[i].start, faults[i].end.min(end)),
            SloWindow::After(i) => (faults[i].end.min(end), end),
            SloWindow::Range(a, b) => (a, b.min(end)),
        }
    }
}

/// An SLO.
#[derive(Clone, Debug)]
pub struct Slo {
    /// Name.
    pub name: String,
    /// Objective.
    pub objective: Threshold,
    /// Tier indices (empty = any).
    pub tiers: Vec<usize>,
    /// Tenant ids (empty = any).
    pub tenants: Vec<String>,
    /// Cohort names (empty = any).
    pub cohorts: Vec<String>,
    /// Excluded tenant ids.
    pub exclude: Vec<String>,
    /// Scope.
    pub scope: SloScope,
    /// Window.
    pub window: SloWindow,
    /// Minimum requests per tenant to judge it.
    pub min_requests: u64,
}

/// Loads, overrides and validates scenario text. `file` is the name used in messages.
pub fn load_str(
    file: &str,
    text: &str,
    overrides: &[Override],
) -> Result<Scenario, ScenarioErrors> {
    load_checked(file, text, overrides, Variants::Check)
}

/// Whether validating a scenario also loads each variant it declares. Loading a variant
/// never checks variants again, so the check is one level deep whatever the variants say
/// (an empty `set` once made a variant load its own base, recursively, until the stack
/// overflowed).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variants {
    Check,
    Skip,
}

fn load_checked(
    file: &str,
    text: &str,
    overrides: &[Override],
    variants: Variants,
) -> Result<Scenario, ScenarioErrors> {
    let parse = |t: &str| toml::from_str::<ScenarioFile>(t);
    // The TOML reader refuses very deep keys with no position; say which line.
    if let Some((span, parts)) = error::deep_key(text, overrides::MAX_KEY_PARTS) {
        return Err(ScenarioErrors(vec![ScenarioError::at(
            file,
            text,
            Some(span),
            format!(
                "this key has {parts} dotted parts; the most is {}",
                overrides::MAX_KEY_PARTS
            ),
        )]));
    }
    let raw = match parse(text) {
        Ok(raw) => raw,
        Err(e) => return Err(ScenarioErrors(vec![toml_error(file, text, &e)])),
    };
    if overrides.is_empty() && raw.scale_time.is_none() {
        return validate(file, text, raw, &[], variants);
    }
    let mut doc: toml_edit::DocumentMut = match text.parse() {
        Ok(d) => d,
        Err(e) => {
            return Err(ScenarioErrors(vec![ScenarioError::at(
                file,
                text,
                e.span(),
                e.message(),
            )]))
        }
    };
    drop(raw);
    let mut resolved: Vec<(usize, Vec<String>)> = Vec::with_capacity(overrides.len());
    for (i, o) in overrides.iter().enumerate() {
        match o.apply(&mut doc) {
            Ok(path) => resolved.push((i, path)),
            Err(msg) => {
                return Err(ScenarioErrors(vec![ScenarioError::in_flag(
                    file,
                    &o.flag(),
                    msg,
                )]));
            }
        }
        // Re-parse after each override so that a bad value is blamed on the flag that set it.
        let t = doc.to_string();
        if let Err(e) = parse(&t) {
            let msg = friendly(e.message());
            let mut err = match on_flag(file, &t, overrides, &resolved, e.span(), &msg) {
                Some(located) => located,
                None => ScenarioError::in_flag(file, &o.flag(), msg),
            };
            if i > 0 && err.origin.as_deref() == Some(&o.flag()) && err.line_text.is_empty() {
                err.message.push_str(" (after the earlier --set flags)");
            }
            return Err(ScenarioErrors(vec![err]));
        }
    }
    let mut t = doc.to_string();
    let mut raw = parse(&t).map_err(|e| ScenarioErrors(vec![toml_error(file, &t, &e)]))?;
    if let Some(f) = &raw.scale_time {
        // After the overrides: times they give are in the file's timeline, scaled with it.
        if let Err(msg) = scale_time::apply(&mut doc, *f.get_ref()) {
            let span = f.span();
            let e = on_flag(file, &t, overrides, &resolved, Some(span.clone()), &msg)
                .unwrap_or_else(|| ScenarioError::at(file, &t, Some(span), msg));
            return Err(ScenarioErrors(vec![e]));
        }
        t = doc.to_string();
        raw = parse(&t).map_err(|e| ScenarioErrors(vec![toml_error(file, &t, &e)]))?;
    }
    let flags: Vec<String> = overrides.iter().map(Override::flag).collect();
    validate(file, &t, raw, &flags, variants).map_err(|mut errs| {
        let note = flags.join(" ");
        for e in &mut errs.0 {
            // An error in a value a flag wrote is shown on that flag, not on a line of the
            // re-written text (which the user never saw: it may lie past the file's end).
            let offset = byte_offset(&t, e.line, e.column);
            if let Some(located) = offset
                .and_then(|at| on_flag(file, &t, overrides, &resolved, Some(at..at), &e.message))
            {
                *e = located;
            }
            e.origin.get_or_insert_with(|| note.clone());
        }
        errs
    })
}

/// The error `message` at `span` of the overridden text `t`, shown on the override whose
/// value holds the span (the last such override: it is the one that took effect).
fn on_flag(
    file: &str,
    t: &str,
    overrides: &[Override],
    resolved: &[(usize, Vec<String>)],
    span: Option<Range<usize>>,
    message: &str,
) -> Option<ScenarioError> {
    let span = span?;
    let spans = overrides::value_spans(t, resolved);
    let (i, _) = spans
        .iter()
        .rev()
        .find(|(_, r)| r.start <= span.start && span.start < r.end.max(r.start + 1))?;
    let o = overrides.get(*i)?;
    Some(ScenarioError::in_flag_at(
        file,
        &o.flag(),
        overrides::value_range_in_flag(o),
        message,
    ))
}

/// The byte offset in `t` of 1-based `line` and character `column` (as [`ScenarioError`]
/// gives them), if the position exists.
fn byte_offset(t: &str, line: usize, column: usize) -> Option<usize> {
    if line == 0 || column == 0 {
        return None;
    }
    let mut start = 0;
    for _ in 1..line {
        start += t[start..].find('\n')? + 1;
    }
    let rest = &t[start..];
    let within = rest
        .char_indices()
        .nth(column - 1)
        .map_or(rest.len(), |(b, _)| b);
    Some(start + within)
}

/// Rewords serde's type names into what a scenario author writes, and its unknown key or
/// value into one suggestion ([`suggest::reword_unknown`]).
fn friendly(msg: &str) -> String {
    if let Some(m) = suggest::reword_unknown(msg.trim()) {
        return m;
    }
    msg.trim()
        .replace("expected i64", "expected a whole number")
        .replace("expected u64", "expected a whole number ≥ 0")
        .replace("expected f64", "expected a number")
}

fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> ScenarioError {
    let mut msg = friendly(e.message());
    if msg.starts_with("unknown field") {
        msg.push_str(" (keys are case-sensitive; see scenarios/README.md for every key)");
    }
    if msg.contains("recursion limit") {
        msg.push_str(": arrays, tables or dotted keys are nested too deeply");
    }
    ScenarioError::at(file, text, e.span(), msg)
}

struct Checker<'a> {
    file: &'a str,
    text: &'a str,
    errors: Vec<ScenarioError>,
}

impl Checker<'_> {
    fn err(&mut self, span: Range<usize>, msg: impl Into<String>) {
        if self.errors.len() < error::MAX_ERRORS {
            self.errors
                .push(ScenarioError::at(self.file, self.text, Some(span), msg));
        }
    }
    fn count<T>(&mut self, v: &Spanned<i64>, min: i64, max: i64, what: &str) -> T
    where
        T: TryFrom<i64> + Default,
    {
        let x = *v.get_ref();
        if x < min || x > max {
            self.err(
                v.span(),
                format!("{what} is {x}; it must be between {min} and {max}"),
            );
            return T::default();
        }
        T::try_from(x).unwrap_or_default()
    }
    fn opt_count<T>(
        &mut self,
        v: &Option<Spanned<i64>>,
        default: T,
        min: i64,
        max: i64,
        what: &str,
    ) -> T
    where
        T: TryFrom<i64> + Default,
    {
        match v {
            Some(v) => self.count(v, min, max, what),
            None => default,
        }
    }
}

/// Checks a parsed file section by section (each section in `validate/` or its own module)
/// and builds the [`Scenario`]; every error is located at file:line:column.
fn validate(
    file: &str,
    text: &str,
    raw: ScenarioFile,
    overrides: &[String],
    check_variants: Variants,
) -> Result<Scenario, ScenarioErrors> {
    let mut c = Checker {
        file,
        text,
        errors: Vec::new(),
    };
    let (duration, window) = validate::run_length(&mut c, &raw);
    let Some(platform) = validate::platform(&mut c, &raw, duration, window) else {
        // Every cell index below is checked against `cells`; with no valid count there is
        // nothing to check them against (and `cells - 1` once underflowed: a panic).
        return Err(ScenarioErrors(c.errors));
    };
    let cells = platform.cells;
    let mut platform = platform;
    platform.cell_sizes =
        cell_sizes::sizes(&mut c, &raw.platform.cell_sizes, cells, platform.size_of(0));
    let control_plane = infra::control_plane(&mut c, &raw.control_plane);
    let edge = infra::edge(&raw.edge);
    let kms = infra::kms(&mut c, &raw.kms);
    let object_storage = infra::object_storage(&raw.object_storage);
    let network = network::network(&mut c, &raw.network, &platform.regions);
    let job_classes = infra::job_classes(&mut c, &raw.jobs);
    let workload = validate::workload(&mut c, &raw.workload);
    validate::quantum(&mut c, &platform);
    // Tiers: built-ins, then overrides and additions in name order.
    let tiers = validate::tiers(&mut c, &raw.tiers);
    let mut control_plane = control_plane;
    validate::grow(&mut c, &raw, &mut platform, &mut control_plane);
    let cells = platform.cells;
    control_plane.placement_params = {
        let names: Vec<&str> = tiers.iter().map(|t| t.name.as_str()).collect();
        infra::placement_params(&mut c, &raw.control_plane.placement_params, &names, cells)
    };

    // Shared dependencies (before classes, which call them).
    let dependencies = isolation::dependencies(&mut c, &raw.dependencies);
    let mut classes = validate::classes(&mut c, &raw.classes, &dependencies, &job_classes);
    cross_cell::check(&mut c, &raw.classes, &mut classes, cells);
    let db_governance = db_governance::db_governance(&mut c, &raw.db_governance, &tiers);
    let cost = cost::cost(&mut c, &raw.cost, &dependencies);
    let data_architecture = data_architecture_of(&mut c, &raw, &tiers, &platform);
    let bulkheads = bulkhead::bulkheads(
        &mut c,
        &raw.bulkheads,
        &raw.replica,
        &classes
            .iter()
            .map(|cl| (cl.name.clone(), cl.writes))
            .collect::<Vec<_>>(),
        platform.workers,
        platform.db.connections,
    );
    let names = validate::Names::new(&tiers, &classes);
    let (tenants, ids) = validate::tenants(&mut c, &raw.tenants, &names, cells, &job_classes);
    let (cohorts, cohort_names) = validate::cohorts(
        &mut c,
        &raw.cohorts,
        &names,
        (duration, cells),
        &job_classes,
    );
    validate::collisions(&mut c, &tenants, &cohorts);
    validate::scale_out(&mut c, &raw, &control_plane, cells);
    let known = validate::Declared {
        ids: &ids,
        cohorts: &cohorts,
        cohort_names: &cohort_names,
        cells,
    };

    // Faults, rollouts and SLOs: what they name must be declared above.
    let end = SimTime(duration.as_nanos());
    let faults = validate::faults(&mut c, &raw.faults, (end, duration), &names, &known);
    let rollouts = validate::rollouts(&mut c, &raw.rollouts, (end, duration), &names, &known);
    let (slos, slo_names) = validate::slos(&mut c, &raw.slos, &names, &known, (&faults, end));
    let rollouts = rollout_burn::resolve(&mut c, &raw.rollouts, rollouts, &slos);
    let rollouts = rollout_config::resolve(&mut c, &raw.rollouts, rollouts, &platform);
    let rollouts = rollout_groups::resolve(&mut c, &raw.rollouts, rollouts, &platform);
    let variants = validate::variants(&mut c, &raw.variants, &slo_names, overrides, check_variants);
    if c.errors.is_empty() {
        placement_check::check(&mut c, &raw, &platform, &tenants, &cohorts);
    }
    let metastability = metastability_from(&mut c, &raw.metastability, duration);
    let explore = explore::check(&mut c, &raw.explore, duration);
    if tenants.is_empty() && cohorts.iter().all(|co| co.count == 0) {
        c.err(
            0..0,
            "the scenario declares no tenants; add a [[tenants]] or [[cohorts]] entry",
        );
    }

    if !c.errors.is_empty() {
        return Err(ScenarioErrors(c.errors));
    }
    let name = raw.name.unwrap_or_else(|| {
        std::path::Path::new(file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.to_string())
    });
    Ok(Scenario {
        name,
        description: raw.description.unwrap_or_default(),
        file: file.to_string(),
        text: text.to_string(),
        overrides: overrides.to_vec(),
        duration,
        seed: raw.seed.unwrap_or(1),
        window,
        max_events: raw.max_events.unwrap_or(1 << 40),
        platform,
        workload,
        control_plane,
        edge,
        kms,
        object_storage,
        network,
        job_classes,
        tiers,
        classes,
        dependencies,
        bulkheads,
        db_governance,
        cost,
        data_architecture,
        tenants,
        cohorts,
        faults,
        slos,
        variants,
        variant: None,
        metastability,
        rollouts,
        explore,
    })
}

/// `[data_architecture]`: the section, its servers (shards, a tier's server) and its
/// per-cell and per-tier layouts, each checked against what is declared.
fn data_architecture_of(
    c: &mut Checker,
    raw: &ScenarioFile,
    tiers: &[Tier],
    platform: &Platform,
) -> data_arch::DataArch {
    let mut data_architecture = data_arch::data_architecture(c, &raw.data_architecture);
    data_servers::check(
        c,
        &raw.data_architecture,
        tiers,
        platform,
        &mut data_architecture,
    );
    data_layouts::check(
        c,
        &raw.data_architecture,
        tiers,
        platform.cells,
        &mut data_architecture,
    );
    data_architecture
}

/// Most recording windows a run may have: the recorder keeps every window's statistics for
/// the whole run, allocated up front (55 h at the default 1 s window).
pub const MAX_WINDOWS: u64 = 200_000;
/// Most (cell, window) samples a run may record (~320 MB of per-cell series at the bound).
pub const MAX_CELL_WINDOWS: u64 = 10_000_000;

/// Refuses a duration ÷ window (and × cells) the recorder could not allocate, so that
/// `validate` refuses what `run` cannot do. The recording is dense, not sparse: the bound is
/// the answer, and the message says which window would fit.
fn recording_bound(
    c: &mut Checker,
    raw: &ScenarioFile,
    duration: SimDuration,
    window: SimDuration,
    cells: u32,
) {
    let w = window.as_nanos().max(1);
    let n_windows = duration.as_nanos().div_ceil(w);
    let per_window = u64::from(cells.max(1));
    let too_many = n_windows > MAX_WINDOWS;
    let too_many_cells = n_windows.saturating_mul(per_window) > MAX_CELL_WINDOWS;
    if !(too_many || too_many_cells) || window == SimDuration::ZERO {
        return;
    }
    let fit = (MAX_WINDOWS).min(MAX_CELL_WINDOWS / per_window).max(1);
    let need_ns = duration.as_nanos().div_ceil(fit);
    let unit = if need_ns >= 1_000_000_000 {
        1_000_000_000
    } else {
        1_000_000
    };
    let need = SimDuration(need_ns.div_ceil(unit).saturating_mul(unit));
    let why = if too_many {
        format!("{n_windows} recording windows (the most is {MAX_WINDOWS})")
    } else {
        format!(
            "{n_windows} recording windows × {cells} cells (the most is {MAX_CELL_WINDOWS} cell-windows)"
        )
    };
    let span = raw
        .window
        .as_ref()
        .map(|w| w.span())
        .unwrap_or(raw.duration.span());
    c.err(
        span,
        format!(
            "duration {duration} in windows of {window} needs {why}; set `window` to at least {need} or shorten the run"
        ),
    );
}

fn metastability_from(
    c: &mut Checker,
    m: &schema::MetastabilityConfig,
    duration: SimDuration,
) -> Metastability {
    let d = Metastability::default();
    let amplification_above = match &m.amplification_above {
        None => d.amplification_above,
        Some(a) => {
            let v = *a.get_ref();
            if !(1.0..=1000.0).contains(&v) {
                c.err(
                    a.span(),
                    format!(
                        "metastability.amplification_above is {v}; it must be a number between 1 \
                         and 1000 (attempts per request: 1.5 means 50% more attempts than requests)"
                    ),
                );
            }
            v
        }
    };
    let for_duration = match &m.for_ {
        None => d.for_duration,
        Some(f) => {
            let v = f.get_ref().0;
            if v == SimDuration::ZERO {
                c.err(
                    f.span(),
                    "metastability.for is zero; write how long the bad state must last after a \
                     fault, e.g. `for = \"60s\"`",
                );
            } else if v > duration {
                c.err(
                    f.span(),
                    format!(
                        "metastability.for is {v}, longer than the run ({duration}), so nothing \
                         could ever be flagged; write at most the run length, e.g. `for = \"60s\"`"
                    ),
                );
            }
            v
        }
    };
    Metastability {
        goodput_below: m.goodput_below.map_or(d.goodput_below, |g| g.0),
        amplification_above,
        for_duration,
        min_requests: c.opt_count(
            &m.min_requests,
            d.min_requests,
            1,
            1_000_000_000,
            "metastability.min_requests",
        ),
    }
}

/// The spike keys of a tenant or cohort, as written.
struct SpikeKeys<'a> {
    factor: &'a Option<Spanned<f64>>,
    every: &'a Option<Spanned<values::Dur>>,
    for_: &'a Option<Spanned<values::Dur>>,
}

impl SpikeKeys<'_> {
    /// Where the first spike key given is, if any.
    fn first_span(&self) -> Option<Range<usize>> {
        self.factor
            .as_ref()
            .map(|x| x.span())
            .or_else(|| self.every.as_ref().map(|x| x.span()))
            .or_else(|| self.for_.as_ref().map(|x| x.span()))
    }
}

/// Default spike: ×10 for 20 s every 5 minutes.
const SPIKE_DEFAULT: Spike = Spike {
    factor: 10.0,
    every: 300_000_000_000,
    on: 20_000_000_000,
};

/// Validates spike settings (defaults for the keys not given).
fn spike_from(c: &mut Checker, k: &SpikeKeys, who: &str) -> Spike {
    let mut spike = SPIKE_DEFAULT;
    if let Some(f) = k.factor {
        let x = *f.get_ref();
        if (1.0..=10_000.0).contains(&x) {
            spike.factor = x;
        } else {
            c.err(
                f.span(),
                format!("{who}: spike_factor is {x}; it must be between 1 and 10000 (10 = ten times the base rate during a burst)"),
            );
        }
    }
    if let Some(e) = k.every {
        spike.every = e.get_ref().0.as_nanos();
        if spike.every == 0 {
            c.err(
                e.span(),
                format!("{who}: spike_every is zero; write the burst period, e.g. \"5m\""),
            );
        }
    }
    if let Some(d) = k.for_ {
        spike.on = d.get_ref().0.as_nanos();
        if spike.on == 0 {
            c.err(
                d.span(),
                format!("{who}: spike_for is zero; write the burst length, e.g. \"20s\""),
            );
        }
    }
    if spike.every > 0 && spike.on >= spike.every {
        let span = k
            .for_
            .as_ref()
            .or(k.every.as_ref())
            .map(|x| x.span())
            .unwrap_or(0..0);
        c.err(
            span,
            format!(
                "{who}: spike_for ({}) must be shorter than spike_every ({}): a burst is on for part of each period",
                SimDuration(spike.on),
                SimDuration(spike.every)
            ),
        );
    }
    spike.every = spike.every.max(1);
    spike
}

fn default_burst(rate: Option<f64>) -> u32 {
    match rate {
        Some(r) if r >= 1.0 => r.min(1e9) as u32,
        _ => 1,
    }
}

fn class_from(name: &str, cc: &schema::ClassConfig) -> Class {
    let d = |q: Quantity, s: &str| Dist::parse(s, q).unwrap_or(Dist::Const(0.0));
    Class {
        name: name.to_string(),
        share: cc.share.unwrap_or(1.0),
        service: cc
            .service
            .as_ref()
            .map(|x| x.0.clone())
            .unwrap_or_else(|| d(Quantity::Duration, "exp(5ms)")),
        db_queries: cc
            .db_queries
            .as_ref()
            .map(|x| x.0.clone())
            .unwrap_or(Dist::Const(1.0)),
        db_time: cc
            .db_time
            .as_ref()
            .map(|x| x.0.clone())
            .unwrap_or_else(|| d(Quantity::Duration, "exp(2ms)")),
        bytes: cc
            .bytes
            .as_ref()
            .map(|x| x.0.clone())
            .unwrap_or(Dist::Const(2048.0)),
        timeout: cc.timeout.map(|t| t.0).unwrap_or(SimDuration::from_secs(1)),
        cache_hit: cc.cache_hit.map(|f| f.0).unwrap_or(0.0),
        retry: RetrySpec::none(),
        kms: cc.kms.unwrap_or(false),
        writes: cc.writes.unwrap_or(false),
        submits_job: None,
        calls: Vec::new(),
        cell_call: None,
    }
}

fn residency(c: &mut Checker, r: &Option<Spanned<String>>) -> bool {
    match r {
        None => false,
        Some(x) if x.get_ref() == "eu" => true,
        Some(x) => {
            c.err(
                x.span(),
                format!(
                    "residency `{}` is not known; the only residency constraint is \"eu\"",
                    x.get_ref()
                ),
            );
            false
        }
    }
}

/// Normalises shares to sum to 1.
pub fn normalise(v: Vec<f64>) -> Vec<f64> {
    let total: f64 = v.iter().sum();
    if total > 0.0 {
        v.into_iter().map(|x| x / total).collect()
    } else {
        v
    }
}

fn schedule_from(c: &mut Checker, s: &Spanned<Vec<(values::Dur, f64)>>) -> Vec<(u64, f64)> {
    let pts: Vec<(u64, f64)> = s
        .get_ref()
        .iter()
        .map(|(d, m)| (d.0.as_nanos(), *m))
        .collect();
    if pts.is_empty() {
        c.err(
            s.span(),
            "schedule is empty; write points like [[\"0s\", 1.0], [\"10m\", 3.0]]",
        );
    }
    if pts.windows(2).any(|w| w[1].0 < w[0].0) {
        c.err(s.span(), "schedule times must not decrease");
    }
    if pts.iter().any(|p| !(p.1 >= 0.0 && p.1.is_finite())) {
        c.err(s.span(), "schedule multipliers must be numbers ≥ 0");
    }
    pts
}

fn breaker_from(c: &mut Checker, b: &schema::BreakerToml) -> (BreakerConfig, BreakerScope) {
    let d = BreakerConfig::default();
    let cfg = BreakerConfig {
        window: b.window.map(|w| w.0).unwrap_or(d.window),
        min_requests: c.opt_count(
            &b.min_requests,
            d.min_requests,
            1,
            1_000_000_000,
            "breaker.min_requests",
        ),
        error_threshold: b.error_threshold.map(|f| f.0).unwrap_or(d.error_threshold),
        open_for: b.open_for.map(|w| w.0).unwrap_or(d.open_for),
        probes: c.opt_count(&b.probes, d.probes, 1, 1_000_000, "breaker.probes"),
    };
    if cfg.window == SimDuration::ZERO {
        c.err(0..0, "breaker window is zero; use e.g. \"10s\"");
    }
    let scope = match b.scope {
        schema::BreakerScopeName::Global => BreakerScope::Global,
        schema::BreakerScopeName::PerTenant => BreakerScope::PerTenant,
    };
    (cfg, scope)
}

fn retry_from(c: &mut Checker, class: &str, r: &schema::RetryToml) -> RetrySpec {
    let max_attempts: u32 = c.opt_count(
        &r.max_attempts,
        3,
        1,
        1000,
        &format!("classes.{class}.retry.max_attempts"),
    );
    let base = r.base.map(|d| d.0).unwrap_or(SimDuration::from_millis(100));
    let cap = r.cap.map(|d| d.0).unwrap_or(SimDuration::from_secs(10));
    if cap < base {
        c.err(
            0..0,
            format!("classes.{class}.retry: cap ({cap}) is below base ({base})"),
        );
    }
    let policy = match r.policy {
        schema::RetryPolicyName::None => RetryPolicy::None,
        schema::RetryPolicyName::Immediate => RetryPolicy::Immediate { max_attempts },
        schema::RetryPolicyName::Backoff => RetryPolicy::Backoff {
            max_attempts,
            base,
            cap,
            jitter: match r.jitter.unwrap_or(schema::JitterName::Full) {
                schema::JitterName::None => Jitter::None,
                schema::JitterName::Full => Jitter::Full,
                schema::JitterName::Equal => Jitter::Equal,
                schema::JitterName::Decorrelated => Jitter::Decorrelated,
            },
        },
    };
    let all = RetryOn {
        timeout: true,
        rejected: true,
        shed: true,
        error: true,
    };
    let retry_on = match &r.retry_on {
        None => all,
        Some(list) => {
            let mut on = RetryOn {
                timeout: false,
                rejected: false,
                shed: false,
                error: false,
            };
            for item in list.get_ref() {
                match item.as_str() {
                    "timeout" => on.timeout = true,
                    "429" => on.rejected = true,
                    "503" => on.shed = true,
                    "5xx" => on.error = true,
                    other => c.err(
                        list.span(),
                        format!("`{other}` in retry_on; use any of \"timeout\", \"429\", \"503\", \"5xx\""),
                    ),
                }
            }
            on
        }
    };
    if r.budget_window.is_some_and(|w| w.0 == SimDuration::ZERO) {
        c.err(
            0..0,
            format!("classes.{class}.retry.budget_window is zero; use e.g. \"10s\""),
        );
    }
    let budget = r.budget.map(|f| {
        (
            f.0,
            r.budget_window
                .map(|d| d.0)
                .unwrap_or(SimDuration::from_secs(10)),
            r.budget_min_per_sec.unwrap_or(0.0).max(0.0),
        )
    });
    RetrySpec {
        policy,
        honour_retry_after: r.honour_retry_after.unwrap_or(true),
        budget,
        retry_on,
    }
}

/// If `id` is `COHORT-NNNN` for a declared cohort with at least NNNN members, that cohort
/// and the member's 0-based index.
pub fn cohort_member<'a>(id: &str, cohorts: &'a [CohortSpec]) -> Option<(&'a str, u32)> {
    let (prefix, num) = id.rsplit_once('-')?;
    let n: u32 = num.parse().ok()?;
    cohorts
        .iter()
        .find(|c| c.name == prefix && n >= 1 && n <= c.count && num.len() >= 4)
        .map(|c| (c.name.as_str(), n - 1))
}

/// The id of cohort member `index` (0-based): `NAME-0001`.
pub fn cohort_member_id(cohort: &str, index: u32) -> String {
    format!("{cohort}-{:04}", index + 1)
}

fn parse_window(text: &str, faults: &[Fault], end: SimTime) -> Result<SloWindow, String> {
    let t = text.trim();
    let fault = |n: &str| -> Result<usize, String> {
        faults.iter().position(|f| f.name == n).ok_or_else(|| {
            let names: Vec<&str> = faults.iter().map(|f| f.name.as_str()).collect();
            format!(
                "window names fault `{n}`, which is not declared{}; faults are: {}",
                suggest::hint(n, names.iter().copied()),
                if names.is_empty() {
                    "(none)".to_string()
                } else {
                    names.join(", ")
                }
            )
        })
    };
    if t == "run" {
        Ok(SloWindow::Run)
    } else if let Some(n) = t.strip_prefix("during:") {
        Ok(SloWindow::During(fault(n.trim())?))
    } else if let Some(n) = t.strip_prefix("after:") {
        Ok(SloWindow::After(fault(n.trim())?))
    } else if let Some((a, b)) = t.split_once("..") {
        let a = SimDuration::parse(a).map_err(|e| format!("window start: {e}"))?;
        let b = SimDuration::parse(b).map_err(|e| format!("window end: {e}"))?;
        if b <= a {
            return Err(format!("window `{t}` ends before it starts"));
        }
        if SimTime(b.as_nanos()) > end {
            return Err(format!(
                "window `{t}` ends after the run ({}); keep it inside the run",
                end.as_duration()
            ));
        }
        Ok(SloWindow::Range(
            SimTime(a.as_nanos()),
            SimTime(b.as_nanos()),
        ))
    } else {
        Err(format!(
            "`{t}` is not a window; write `run`, `during:FAULT`, `after:FAULT` or `FROM..TO` like `1m..2m`"
        ))
    }
}

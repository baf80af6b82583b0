//! The scenario file format, version 1, as plain serde data (`FooConfig` = data as written).
//!
//! Every table denies unknown keys, so a misspelt key is an error with its position rather
//! than a silently ignored setting. Every key has a default that makes sense unless it
//! must be stated (`version`, `duration`). `scenarios/README.md` documents each key; keep it
//! in step with this file.
//!
//! Compatibility: files written for version 1 keep parsing. New keys are added with
//! defaults; a change in meaning needs `version = 2`.

use super::values::{BytesDist, CountDist, Dur, DurDist, Rate, RateDist, Threshold};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Format version; must be 1.
    pub version: Spanned<i64>,
    /// Short name, used in reports (default: the file name).
    pub name: Option<String>,
    /// What the scenario is about (free text).
    pub description: Option<String>,
    /// Simulated length of the run.
    pub duration: Spanned<Dur>,
    /// Default seed when `--seed` is not given.
    pub seed: Option<u64>,
    /// Length of a recording window for time series (default 1s).
    pub window: Option<Spanned<Dur>>,
    /// Upper bound on processed events (a safety bound; default 2^40).
    pub max_events: Option<u64>,
    /// The platform: cells, workers, queues, DB.
    #[serde(default)]
    pub platform: PlatformConfig,
    /// Tiers by name; the built-in bronze/silver/gold/platinum are always present and can be
    /// overridden here.
    #[serde(default)]
    pub tiers: BTreeMap<String, TierConfig>,
    /// Request classes by name (default: one class `default`).
    #[serde(default)]
    pub classes: BTreeMap<String, ClassConfig>,
    /// Tenants declared one by one.
    #[serde(default)]
    pub tenants: Vec<TenantConfig>,
    /// Tenants declared as cohorts.
    #[serde(default)]
    pub cohorts: Vec<CohortConfig>,
    /// The fault timeline.
    #[serde(default)]
    pub faults: Vec<FaultConfig>,
    /// Isolation SLOs.
    #[serde(default)]
    pub slos: Vec<SloConfig>,
}

/// Queue discipline of a cell.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SchedulerName {
    /// First come, first served.
    #[default]
    Fifo,
    /// Deficit round robin over tenants, quantum weighted by tier weight.
    Drr,
    /// FIFO plus a per-tenant in-service cap.
    TenantCap,
    /// DRR plus per-tenant in-service caps.
    DrrCap,
}

/// The platform.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// Number of cells.
    #[serde(default = "one")]
    pub cells: Spanned<i64>,
    /// Worker slots per cell (requests served concurrently).
    #[serde(default = "sixteen")]
    pub workers: Spanned<i64>,
    /// Queue discipline of every cell.
    #[serde(default)]
    pub scheduler: SchedulerName,
    /// DRR quantum (service time credited per round per unit of weight; default 5ms).
    pub quantum: Option<Dur>,
    /// Per-tenant in-service cap used by `tenant_cap` and `drr_cap` (default: workers / 4).
    pub tenant_cap: Option<Spanned<i64>>,
    /// Maximum queue length per cell; beyond it requests are shed with 503 (default 10,000).
    pub queue_limit: Option<Spanned<i64>>,
    /// Maximum time a request may wait in a cell queue before being shed (default: none).
    pub queue_timeout: Option<Dur>,
    /// Global admission control at the edge: max requests in flight platform-wide (default: none).
    pub max_in_flight: Option<Spanned<i64>>,
    /// The database of every cell.
    #[serde(default)]
    pub db: DbConfig,
}

fn one() -> Spanned<i64> {
    Spanned::new(0..0, 1)
}
fn sixteen() -> Spanned<i64> {
    Spanned::new(0..0, 16)
}

impl Default for PlatformConfig {
    fn default() -> Self {
        PlatformConfig {
            cells: one(),
            workers: sixteen(),
            scheduler: SchedulerName::Fifo,
            quantum: None,
            tenant_cap: None,
            queue_limit: None,
            queue_timeout: None,
            max_in_flight: None,
            db: DbConfig::default(),
        }
    }
}

/// A cell's database: a connection pool in front of CPU cores.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DbConfig {
    /// Connection pool size per cell (default 16).
    pub connections: Option<Spanned<i64>>,
    /// CPU cores of the DB; more running queries than cores share them (default 8).
    pub cores: Option<Spanned<i64>>,
    /// Queries running longer than this are cancelled with an error (default: none).
    pub statement_timeout: Option<Dur>,
    /// Maximum time a query waits for a connection (default: none).
    pub acquire_timeout: Option<Dur>,
}

/// A tier.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct TierConfig {
    /// Scheduling weight (DRR quantum multiplier).
    pub weight: Option<Spanned<i64>>,
    /// Per-tenant edge rate limit (default: none).
    pub rate_limit: Option<Rate>,
    /// Token bucket burst (default: one second of `rate_limit`, at least 1).
    pub burst: Option<Spanned<i64>>,
}

/// A request class: how requests of this kind arrive, cost and behave at the client.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct ClassConfig {
    /// Share of a tenant's requests that are of this class (relative weight; default 1).
    pub share: Option<f64>,
    /// Service CPU time per request, holding a worker (default `exp(5ms)`).
    pub service: Option<DurDist>,
    /// DB queries per request (rounded; default `const(1)`).
    pub db_queries: Option<CountDist>,
    /// CPU time of each DB query (default `exp(2ms)`).
    pub db_time: Option<DurDist>,
    /// Response size (default `const(2KiB)`).
    pub bytes: Option<BytesDist>,
    /// Client timeout (default 1s).
    pub timeout: Option<Dur>,
}

/// One tenant.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// Unique id.
    pub id: Spanned<String>,
    /// Tier name (default `bronze`).
    pub tier: Option<Spanned<String>>,
    /// Offered request rate (all classes together).
    pub rate: Rate,
    /// Class mix override: class name → relative share.
    pub mix: Option<Spanned<BTreeMap<String, f64>>>,
    /// Cell index (default: assigned round robin in declaration order).
    pub cell: Option<Spanned<i64>>,
    /// Edge rate limit override.
    pub rate_limit: Option<Rate>,
    /// Token bucket burst override.
    pub burst: Option<Spanned<i64>>,
}

/// A cohort: many similar tenants.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortConfig {
    /// Cohort name; members are named `NAME-0001`, `NAME-0002`, ...
    pub name: Spanned<String>,
    /// Number of tenants.
    pub count: Spanned<i64>,
    /// Tier of every member (default `bronze`), or use `tiers` for a mix.
    pub tier: Option<Spanned<String>>,
    /// Tier mix: tier name → fraction of members.
    pub tiers: Option<Spanned<BTreeMap<String, f64>>>,
    /// Per-tenant offered rate, drawn once per member.
    pub rate: RateDist,
    /// Class mix override for members.
    pub mix: Option<Spanned<BTreeMap<String, f64>>>,
}

/// One fault on the timeline. Which keys apply depends on `kind`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultConfig {
    /// Fault kind: `hot_tenant`.
    pub kind: Spanned<String>,
    /// Name for references from SLO windows (default `KIND-N`).
    pub name: Option<Spanned<String>>,
    /// Start time.
    pub at: Spanned<Dur>,
    /// Length (give `for` or `until`).
    #[serde(rename = "for")]
    pub for_: Option<Spanned<Dur>>,
    /// End time (give `for` or `until`).
    pub until: Option<Spanned<Dur>>,
    /// Target tenant (`hot_tenant`).
    pub tenant: Option<Spanned<String>>,
    /// Rate multiplier (`hot_tenant`).
    pub factor: Option<Spanned<f64>>,
}

/// An isolation SLO.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloConfig {
    /// Unique name.
    pub name: Spanned<String>,
    /// The objective, e.g. `p(99) < 250ms`.
    pub objective: Spanned<Threshold>,
    /// Select tenants of these tiers (default: all tiers).
    #[serde(default)]
    pub tiers: Vec<Spanned<String>>,
    /// Select these tenants by id.
    #[serde(default)]
    pub tenants: Vec<Spanned<String>>,
    /// Select members of these cohorts.
    #[serde(default)]
    pub cohorts: Vec<Spanned<String>>,
    /// Leave these tenants out.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// `each` (every selected tenant must meet it) or `aggregate` (their combined traffic).
    #[serde(default)]
    pub scope: SloScope,
    /// `run`, `during:FAULT`, `after:FAULT`, or `FROM..TO` (e.g. `1m..2m`).
    pub window: Option<Spanned<String>>,
    /// Minimum requests for a tenant to be judged under `each` (default 20; fewer is "not enough data").
    pub min_requests: Option<u64>,
}

/// How an SLO aggregates tenants.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SloScope {
    /// Every selected tenant must meet the objective.
    #[default]
    Each,
    /// The selected tenants' combined traffic must meet it.
    Aggregate,
}

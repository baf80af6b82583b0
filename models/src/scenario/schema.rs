//! The scenario file format, version 1, as plain serde data (`FooConfig` = data as written).
//!
//! Every table denies unknown keys, so a misspelt key is an error with its position rather
//! than a silently ignored setting. Every key has a default that makes sense unless it
//! must be stated (`version`, `duration`). `scenarios/README.md` documents each key; keep it
//! in step with this file.
//!
//! Compatibility: files written for version 1 keep parsing. New keys are added with
//! defaults; a change in meaning needs `version = 2`.

use super::draw_values::{CellOrSelector, CellsOrSelector, DurOrDrawn, NumOrDrawn};
use super::values::{BytesDist, CountDist, Dur, DurDist, Fraction, Rate, RateDist, Threshold};
use crate::component::scheduler::SchedulerKind;
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
    /// Scales the timeline (duration, fault times, load shapes, SLO windows) by this factor,
    /// e.g. 0.1 for a smoke run 10× shorter; usually given as `--scale-time 0.1`. Changes
    /// the run: see `scale_time.rs` (default 1: as written).
    pub scale_time: Option<Spanned<f64>>,
    /// The platform: cells, workers, queues, DB.
    #[serde(default)]
    pub platform: PlatformConfig,
    /// Shape of offered load over time, for every tenant (tenants may override).
    #[serde(default)]
    pub workload: WorkloadConfig,
    /// The control plane: registry, placement, heartbeats, config propagation.
    #[serde(default)]
    pub control_plane: ControlPlaneConfig,
    /// The edge's routing cache.
    #[serde(default)]
    pub edge: EdgeConfig,
    /// The key management service (envelope encryption).
    #[serde(default)]
    pub kms: KmsConfig,
    /// Object storage (export jobs write to it).
    #[serde(default)]
    pub object_storage: ObjectStorageConfig,
    /// One-way network delays on the platform's links (default: none).
    #[serde(default)]
    pub network: NetworkConfig,
    /// Background job classes by name (exports, reports).
    #[serde(default)]
    pub jobs: BTreeMap<String, JobClassConfig>,
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
    /// Named variants: overrides of this scenario with their own SLO expectations.
    #[serde(default)]
    pub variants: Vec<VariantConfig>,
    /// Thresholds of the metastability detector (defaults when absent).
    #[serde(default)]
    pub metastability: MetastabilityConfig,
    /// Staged rollouts (`[[rollouts]]`, see `scenario::rollouts`).
    #[serde(default)]
    pub rollouts: Vec<super::rollouts::RolloutConfig>,
    /// Shared global dependencies (see `scenario::isolation`).
    #[serde(default)]
    pub dependencies: Vec<super::isolation::DependencyConfig>,
    /// Bulkheads per request class (see `scenario::bulkhead`).
    #[serde(default)]
    pub bulkheads: Vec<super::bulkhead::BulkheadConfig>,
    /// The cells' read replica (see `scenario::bulkhead`).
    #[serde(default)]
    pub replica: Option<super::bulkhead::ReplicaConfig>,
    /// Per-tenant DB limits, per tier (see `scenario::db_governance`).
    pub db_governance: Option<Spanned<super::db_governance::DbGovernanceConfig>>,
    /// Prices per resource for showback (see `scenario::cost`).
    pub cost: Option<super::cost::CostConfig>,
    /// How tenants' data is laid out in each cell's DB (see `scenario::data_arch`).
    pub data_architecture: Option<super::data_arch::DataArchConfig>,
    /// Live mode's request mapping (`tenantsim load`): read by the binary, ignored here.
    #[serde(default)]
    pub live: Option<toml::Value>,
    /// Bounds of `tenantsim explore` (defaults when absent).
    #[serde(default)]
    pub explore: Option<ExploreConfig>,
}

/// `[explore]`: the bounds within which exploration draws fault schedules.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ExploreConfig {
    /// Most faults drawn per run (default 3).
    pub max_faults: Option<Spanned<i64>>,
    /// Fault kinds drawn from (default: every explorable kind).
    pub kinds: Option<Spanned<Vec<String>>>,
    /// No drawn fault starts before this (default 5% of the run).
    pub from: Option<Spanned<Dur>>,
    /// Every drawn fault ends by this (default 70% of the run).
    pub quiet_after: Option<Spanned<Dur>>,
    /// Longest drawn fault (default 15% of the run).
    pub max_for: Option<Spanned<Dur>>,
    /// States that must be reached at least once across the seeds.
    pub coverage: Option<Spanned<Vec<String>>>,
    /// Share of drawn faults armed by a condition drawn from the `when` catalogue instead
    /// of starting at their drawn time (default 0%).
    pub when_share: Option<Spanned<Fraction>>,
}

/// When a fault's aftermath counts as metastable: after the fault has ended, the platform
/// keeps serving less than `goodput_below` of what is offered, or keeps amplifying load above
/// `amplification_above`, for at least `for`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MetastabilityConfig {
    /// A window is bad when its goodput (ok / finished requests sent in it) is below this
    /// (default 90%; 0 turns the goodput test off).
    pub goodput_below: Option<Fraction>,
    /// A window is bad when its amplification (attempts / requests sent in it) is above this
    /// (default 1.5).
    pub amplification_above: Option<Spanned<f64>>,
    /// Bad windows must last this long after the fault's end to be flagged (default 60s).
    #[serde(rename = "for")]
    pub for_: Option<Spanned<Dur>>,
    /// Windows with fewer requests sent than this are not judged (default 20).
    pub min_requests: Option<Spanned<i64>>,
}

/// A named variant of the scenario (a counterfactual, or an alternative design).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantConfig {
    /// Unique name (lowercase letters, digits, `-`, `_`).
    pub name: Spanned<String>,
    /// What the variant shows.
    pub description: Option<String>,
    /// Overrides, the same keys as `--set`: `{ "platform.scheduler" = "fifo" }`.
    pub set: Option<Spanned<toml::Table>>,
    /// Expected verdict per SLO name: `"pass"` or `"fail"` (unlisted: `"pass"`).
    pub expect: Option<Spanned<BTreeMap<String, String>>>,
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
    pub scheduler: SchedulerKind,
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
    /// Region of each cell (default: all `default`); a region starting with `eu` is an EU cell.
    pub regions: Option<Spanned<Vec<String>>>,
    /// Most tenants a cell may hold (placement respects it; default: no limit).
    pub max_tenants_per_cell: Option<Spanned<i64>>,
    /// Each cell's async plane.
    #[serde(default)]
    pub jobs: JobPlaneConfig,
    /// Cells of other sizes than `workers`/`db` (default: every cell the same; see
    /// `scenario::cell_sizes`).
    #[serde(default)]
    pub cell_sizes: Vec<super::cell_sizes::CellSizeConfig>,
}

/// The control plane.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ControlPlaneConfig {
    /// Time the control plane takes to answer one call (default `exp(20ms)`).
    pub latency: Option<DurDist>,
    /// Placement policy for tenants without a fixed cell (default `round_robin`).
    pub placement: Option<Spanned<String>>,
    /// Knobs of the placement policies (each policy reads its own and ignores the others).
    pub placement_params: Option<PlacementParamsConfig>,
    /// Error of the load placement sees: a tenant's predicted load is its declared rate ×
    /// e^(σ·Z), Z standard normal; this is σ (default 0: exact).
    pub prediction_error: Option<Spanned<f64>>,
    /// Cells beat this often (default 1s).
    pub heartbeat_interval: Option<Dur>,
    /// A cell is marked dead after this many missed beats (default 3).
    pub heartbeat_missed: Option<Spanned<i64>>,
    /// Time a cell takes to create a tenant (default `exp(2s)`).
    pub provision_time: Option<DurDist>,
    /// Delay of a config push to the edges (default `exp(2s)`).
    pub push_delay: Option<DurDist>,
    /// Delay of a push marked urgent (suspensions; default `exp(200ms)`).
    pub urgent_push_delay: Option<DurDist>,
    /// Edges poll for config this often as a fallback (default 30s).
    pub poll_interval: Option<Dur>,
    /// A caller gives up on an unanswered control-plane call after this (default 1s).
    pub call_timeout: Option<Dur>,
    /// A tenant with no request for this long becomes dormant (default: never); its next
    /// request wakes it.
    pub dormant_after: Option<Dur>,
    /// `[control_plane.evacuation]`: re-place a dead cell's tenants (default: off).
    pub evacuation: Option<super::control_plane::EvacuationConfig>,
    /// `[control_plane.reconcile]`: retry failed provisioning (default: off).
    pub reconcile: Option<super::control_plane::ReconcileConfig>,
    /// `[control_plane.migration]`: moves cost DB time, are verified and may roll back (default: free moves).
    pub migration: Option<super::moves::MigrationConfig>,
    /// `[control_plane.rebalance]`: move and promote tenants off hot cells (default: off).
    pub rebalance: Option<super::moves::RebalanceConfig>,
    /// `[control_plane.autoscale]`: the per-cell worker autoscaler (default: off).
    pub autoscale: Option<super::autoscale::AutoscaleConfig>,
    /// `[control_plane.config_ttl]`: edge configs expire without the control plane (default: off).
    pub config_ttl: Option<super::config_ttl::ConfigTtlConfig>,
    /// `[control_plane.cell_config_ttl]`: cell configs (DB limits) expire without the control plane (default: off).
    pub cell_config_ttl: Option<super::cell_config_ttl::CellConfigTtlConfig>,
    /// `[control_plane.lifecycle]`: what `destroy` keeps and what `restore` costs (defaults apply without it).
    pub lifecycle: Option<super::lifecycle_ops::LifecycleConfig>,
    /// `[control_plane.scale_out]`: spare cells provisioned when the fleet is busy (default: off).
    pub scale_out: Option<super::scale_out::ScaleOutConfig>,
}

/// `[control_plane.placement_params]`: knobs of the placement policies, as written. Keys of
/// policies other than the chosen one are accepted and ignored, so that one file can be run
/// under every policy (`compare --vary control_plane.placement=...`).
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PlacementParamsConfig {
    /// `power_of_two`: cells sampled per placement, the `d` of "d choices" (default 2).
    pub choices: Option<Spanned<i64>>,
    /// `bin_pack`: fill ceiling as a fraction of a cell's capacity (default 0.8).
    pub ceiling: Option<Spanned<f64>>,
    /// `shuffle_shard`: cells in each tenant's shard, the `k` of "k of N" (default 2).
    pub shard_size: Option<Spanned<i64>>,
    /// `headroom_score`: weight of the free CPU fraction (default 1).
    pub weight_free_cpu: Option<Spanned<f64>>,
    /// `headroom_score`: weight of the free tenant-slot fraction (default 0.25).
    pub weight_free_slots: Option<Spanned<f64>>,
    /// `headroom_score`: weight of the share of spiky tenants on the cell (default 0.5).
    pub weight_spiky: Option<Spanned<f64>>,
    /// `headroom_score`: weight of the utilisation with the tenant (default 0.5).
    pub weight_utilisation: Option<Spanned<f64>>,
    /// `headroom_score`: cells past this utilisation only if none stays under it (default 0.9).
    pub utilisation_max: Option<Spanned<f64>>,
    /// `tiered`: tenants of this tier or above get cells of their own (default `platinum`).
    pub dedicated_tier: Option<Spanned<String>>,
    /// `tiered`: cells kept for top-tier and promoted tenants (default none).
    pub dedicated_cells: Option<Spanned<Vec<i64>>>,
    /// `tiered`: lower-tier tenants predicted above this rate count as top tier (default none).
    pub promote_load: Option<Spanned<Rate>>,
}

/// The edge's tenant→cell routing cache.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EdgeConfig {
    /// Route entries expire after this (default 60s).
    pub route_ttl: Option<Dur>,
    /// On a failed refresh: `serve_stale` (default) or `fail_closed`.
    pub on_refresh_failure: Option<RefreshPolicyName>,
    /// `serve_stale`: the oldest an entry may be and still be used (default 1h).
    pub max_staleness: Option<Dur>,
}

/// Edge policy when a route cannot be refreshed.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RefreshPolicyName {
    /// Keep using the expired entry (up to `max_staleness`).
    ServeStale,
    /// Refuse the request: 503 `no_route`.
    FailClosed,
}

/// The KMS.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct KmsConfig {
    /// Latency of a decrypt call (default `exp(5ms)`).
    pub latency: Option<DurDist>,
    /// Cells cache a tenant's data key this long (default 5m).
    pub data_key_ttl: Option<Dur>,
    /// A cell gives up on an unanswered KMS call after this (default 1s).
    pub timeout: Option<Dur>,
    /// Circuit breaker on the cells' KMS calls (default: none).
    pub breaker: Option<BreakerToml>,
}

/// One-way network delays on the links between the parts of the platform (each leg of a
/// call draws its own; default: none, i.e. zero). See `scenario::network`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Client ↔ edge, for tenants with no region or no entry in `client_edge_by_region`.
    pub client_edge: Option<DurDist>,
    /// Client ↔ edge for the tenants of a region (`platform.regions` names).
    pub client_edge_by_region: Option<Spanned<BTreeMap<String, DurDist>>>,
    /// Edge ↔ cell.
    pub edge_cell: Option<DurDist>,
    /// Cell ↔ its DB.
    pub cell_db: Option<DurDist>,
    /// Cell ↔ KMS.
    pub cell_kms: Option<DurDist>,
    /// Cell ↔ object storage.
    pub cell_object_storage: Option<DurDist>,
    /// Edge ↔ control plane.
    pub edge_control_plane: Option<DurDist>,
}

/// Object storage.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ObjectStorageConfig {
    /// Latency of a write, per MB written (default `exp(20ms)`), plus `latency_base`.
    pub latency_per_mb: Option<DurDist>,
    /// Fixed part of a write's latency (default `exp(30ms)`).
    pub latency_base: Option<DurDist>,
    /// Fraction of writes that fail (default 0%).
    pub errors: Option<Fraction>,
    /// A cell gives up on an unanswered write after this (default 30s).
    pub timeout: Option<Dur>,
}

/// A class of background job.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct JobClassConfig {
    /// DB work of one job (default `exp(200ms)`), run as one query on the cell's DB.
    pub db_time: Option<DurDist>,
    /// Bytes written to object storage (default `lognormal(5MB, 1.0)`).
    pub bytes: Option<BytesDist>,
    /// Attempts in all before the job goes to the dead-letter queue (default 3).
    pub max_attempts: Option<Spanned<i64>>,
    /// Backoff base between attempts (default 1s; doubling, full jitter, cap 1m).
    pub backoff: Option<Dur>,
}

/// A cell's async plane: job queue and job workers, separate from request workers.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct JobPlaneConfig {
    /// Job workers per cell (default 2).
    pub workers: Option<Spanned<i64>>,
    /// `fifo` (default) or `drr` (by tier weight), optionally with per-tenant caps.
    pub scheduler: Option<SchedulerKind>,
    /// Per-tenant cap on jobs in service, for `tenant_cap`/`drr_cap` (default 1).
    pub tenant_cap: Option<Spanned<i64>>,
    /// Max queued jobs per cell (default 1,000,000).
    pub queue_limit: Option<Spanned<i64>>,
}

/// Load shape over time: a multiplier of every tenant's base rate.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct WorkloadConfig {
    /// Piecewise-linear multiplier: `[["0s", 1.0], ["10m", 3.0], ["20m", 1.0]]` (a ramp up
    /// and down); two points at the same time make a step. Before the first point and after
    /// the last the multiplier is held.
    pub schedule: Option<Spanned<Vec<(Dur, f64)>>>,
    /// A daily curve: multiplier `1 + amplitude·cos(2π(t − peak)/period)`.
    pub diurnal: Option<DiurnalConfig>,
}

/// A diurnal (sinusoidal) load curve.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct DiurnalConfig {
    /// Period (default 24h).
    pub period: Option<Dur>,
    /// Relative amplitude in [0, 1) (0.5 = ±50%).
    pub amplitude: Spanned<f64>,
    /// Time of the peak (default 0s).
    pub peak: Option<Dur>,
}

/// A circuit breaker guarding a cell's calls to a dependency.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct BreakerToml {
    /// `global` (one breaker per dependency per cell) or `per_tenant`.
    pub scope: BreakerScopeName,
    /// Sliding window over which the error rate is measured (default 10s).
    pub window: Option<Dur>,
    /// Minimum calls in the window before it can trip (default 20).
    pub min_requests: Option<Spanned<i64>>,
    /// Error fraction that trips it (default 50%).
    pub error_threshold: Option<Fraction>,
    /// How long it stays open before probing (default 5s).
    pub open_for: Option<Dur>,
    /// Probes allowed while half-open (default 3).
    pub probes: Option<Spanned<i64>>,
}

/// Breaker scope as written.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BreakerScopeName {
    /// One breaker per dependency (per cell).
    Global,
    /// One breaker per (tenant, dependency).
    PerTenant,
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
            scheduler: SchedulerKind::Fifo,
            quantum: None,
            tenant_cap: None,
            queue_limit: None,
            queue_timeout: None,
            max_in_flight: None,
            db: DbConfig::default(),
            regions: None,
            max_tenants_per_cell: None,
            jobs: JobPlaneConfig::default(),
            cell_sizes: Vec::new(),
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
    /// Circuit breaker on the cell's DB calls (default: none).
    pub breaker: Option<BreakerToml>,
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
    /// Per-tenant cap on requests in flight at the edge; beyond it: 429 (default: none).
    pub max_concurrency: Option<Spanned<i64>>,
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
    /// Client timeout per attempt (default 1s).
    pub timeout: Option<Dur>,
    /// Fraction of requests answered from cache without touching the DB (default 0%).
    pub cache_hit: Option<Fraction>,
    /// Requests of this class need the tenant's data key (KMS) (default false).
    pub kms: Option<bool>,
    /// Requests of this class write (dual-written during a migration; default false).
    pub writes: Option<bool>,
    /// A successful request of this class submits a job of this job class.
    pub submits_job: Option<Spanned<String>>,
    /// Client retry policy (default: no retries).
    pub retry: Option<RetryToml>,
    /// Shared dependencies a request of this class calls, in order, after its CPU work.
    pub calls: Option<Spanned<Vec<String>>>,
    /// A synchronous call to another cell after the dependency calls:
    /// `{ cell = 1, db_time = "exp(5ms)" }` (see `scenario::cross_cell`).
    pub cell_call: Option<super::cross_cell::CellCallToml>,
}

/// A client's retry policy for one class.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RetryToml {
    /// `none`, `immediate` or `backoff`.
    pub policy: RetryPolicyName,
    /// Attempts in all, the first included (default 3).
    pub max_attempts: Option<Spanned<i64>>,
    /// Backoff base (default 100ms).
    pub base: Option<Dur>,
    /// Backoff cap (default 10s).
    pub cap: Option<Dur>,
    /// Jitter: `none`, `full`, `equal`, `decorrelated` (default `full`).
    pub jitter: Option<JitterName>,
    /// Wait at least the server's Retry-After on 429 (default true).
    pub honour_retry_after: Option<bool>,
    /// Retry budget: retries at most this fraction of first attempts over the window (default: none).
    pub budget: Option<Fraction>,
    /// Sliding window of the budget (default 10s).
    pub budget_window: Option<Dur>,
    /// Retries per second always allowed by the budget (default 0).
    pub budget_min_per_sec: Option<f64>,
    /// Which failures are retried: any of `timeout`, `429`, `503`, `5xx` (default all four).
    pub retry_on: Option<Spanned<Vec<String>>>,
}

/// Retry policy as written.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RetryPolicyName {
    /// Never retry.
    None,
    /// Retry at once.
    Immediate,
    /// Exponential backoff.
    Backoff,
}

/// Jitter as written.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum JitterName {
    /// No jitter.
    None,
    /// Uniform in [0, backoff).
    Full,
    /// Half fixed, half uniform.
    Equal,
    /// AWS "decorrelated jitter".
    Decorrelated,
}

/// How a tenant's requests arrive.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ArrivalName {
    /// Open loop: Poisson at the tenant's rate (times the load shape).
    #[default]
    Poisson,
    /// Closed loop: `users` users, each sending a request, waiting for its outcome, then
    /// thinking for `think` before the next.
    Closed,
}

/// One tenant.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// Unique id.
    pub id: Spanned<String>,
    /// Tier name (default `bronze`).
    pub tier: Option<Spanned<String>>,
    /// Offered request rate (all classes together); required for `poisson` arrivals.
    pub rate: Option<Rate>,
    /// Class mix override: class name → relative share.
    pub mix: Option<Spanned<BTreeMap<String, f64>>>,
    /// Cell index (default: assigned round robin in declaration order).
    pub cell: Option<Spanned<i64>>,
    /// Edge rate limit override.
    pub rate_limit: Option<Rate>,
    /// Token bucket burst override.
    pub burst: Option<Spanned<i64>>,
    /// Edge concurrency cap override.
    pub max_concurrency: Option<Spanned<i64>>,
    /// `poisson` (default) or `closed`.
    #[serde(default)]
    pub arrival: ArrivalName,
    /// Closed loop: number of users.
    pub users: Option<Spanned<i64>>,
    /// Closed loop: think time between a request's outcome and the user's next request.
    pub think: Option<DurDist>,
    /// Closed loop: users start uniformly over this span (`0s`: all at once; default: each
    /// after one think time).
    pub start_spread: Option<Dur>,
    /// Load shape override (see `[workload]`).
    pub schedule: Option<Spanned<Vec<(Dur, f64)>>>,
    /// Region the tenant must be placed in (default: any).
    pub region: Option<String>,
    /// Data residency: `eu` keeps the tenant on EU cells.
    pub residency: Option<Spanned<String>>,
    /// Background jobs of its own: `{ class = "export", rate = "1/m", backlog = 0 }`.
    pub jobs: Option<TenantJobsConfig>,
    /// Data size, for migration backfill time (default 1GB).
    pub data_size: Option<BytesDist>,
    /// Bursty: its rate is multiplied by `spike_factor` for `spike_for` out of every
    /// `spike_every`, at a phase of its own (default false).
    pub spiky: Option<Spanned<bool>>,
    /// Spiky tenants: rate multiplier during a burst (default 10).
    pub spike_factor: Option<Spanned<f64>>,
    /// Spiky tenants: one burst this often (default 5m).
    pub spike_every: Option<Spanned<Dur>>,
    /// Spiky tenants: each burst lasts this long (default 20s).
    pub spike_for: Option<Spanned<Dur>>,
}

/// A tenant's own background jobs.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct TenantJobsConfig {
    /// Job class.
    pub class: Spanned<String>,
    /// Arrival rate (Poisson; default 0).
    pub rate: Option<Rate>,
    /// Jobs already queued at the start.
    pub backlog: Option<Spanned<i64>>,
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
    /// Load shape override for members (see `[workload]`).
    pub schedule: Option<Spanned<Vec<(Dur, f64)>>>,
    /// Data residency of members (`eu`).
    pub residency: Option<Spanned<String>>,
    /// Members are provisioned at this time (a provisioning burst) instead of existing at 0.
    pub provision_at: Option<Spanned<Dur>>,
    /// Members are placed only on these cells (e.g. dedicated cells for a top tier).
    pub cells: Option<Spanned<Vec<i64>>>,
    /// With `cells`: members start on those cells, but the control plane may move them
    /// anywhere later (evacuation, rebalancing); default false (they never leave `cells`).
    pub movable: Option<Spanned<bool>>,
    /// Background jobs of each member.
    pub jobs: Option<TenantJobsConfig>,
    /// Fraction of members that are spiky (each member drawn on its own; default 0).
    pub spiky_fraction: Option<Spanned<Fraction>>,
    /// Spiky members: rate multiplier during a burst (default 10).
    pub spike_factor: Option<Spanned<f64>>,
    /// Spiky members: one burst this often (default 5m).
    pub spike_every: Option<Spanned<Dur>>,
    /// Spiky members: each burst lasts this long (default 20s).
    pub spike_for: Option<Spanned<Dur>>,
}

/// One fault on the timeline. Which keys apply depends on `kind`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultConfig {
    /// Fault kind: `hot_tenant`.
    pub kind: Spanned<String>,
    /// Name for references from SLO windows (default `KIND-N`).
    pub name: Option<Spanned<String>>,
    /// Start time, fixed or drawn (`"uniform(5m, 20m)"`); give `at` or `after`.
    pub at: Option<Spanned<DurOrDrawn>>,
    /// Start relative to another fault: `"NAME.end + 30s"`, `"NAME.start"`.
    pub after: Option<Spanned<String>>,
    /// Recur with this period until the run ends, fixed or drawn per gap (`"exp(10m)"`).
    pub every: Option<Spanned<DurOrDrawn>>,
    /// Length, fixed or drawn (`"exp(2m)"`; give `for` or `until`).
    #[serde(rename = "for")]
    pub for_: Option<Spanned<DurOrDrawn>>,
    /// End time (give `for` or `until`).
    pub until: Option<Spanned<Dur>>,
    /// Target tenant (`hot_tenant`), or a selector of one (`"random(tier=gold)"`).
    pub tenant: Option<Spanned<String>>,
    /// Several target tenants by selector (`"percent(5, tier=gold)"`, `"largest(3)"`).
    pub tenants: Option<Spanned<String>>,
    /// Rate multiplier (`hot_tenant`), fixed or drawn (`"uniform(5, 50)"`).
    pub factor: Option<Spanned<NumOrDrawn>>,
    /// Class mix during the fault (`hot_tenant`), e.g. `{ report = 1.0 }`.
    pub mix: Option<Spanned<BTreeMap<String, f64>>>,
    /// Target cell (cell faults; default: every cell), or a selector (`"random"`).
    pub cell: Option<Spanned<CellOrSelector>>,
    /// Target cells (cell faults; default: every cell), or a selector (`"count(2)"`).
    pub cells: Option<Spanned<CellsOrSelector>>,
    /// Added latency per DB query (`dependency_latency`), e.g. `exp(200ms)`.
    pub latency: Option<DurDist>,
    /// Fraction of DB queries that fail (`dependency_errors`); with `tenant`, only that
    /// tenant's queries.
    pub fraction: Option<Fraction>,
    /// Remaining DB capacity (`db_degraded`), e.g. `20%`.
    pub capacity: Option<Fraction>,
    /// Workers lost per targeted cell (`workers_lost`).
    pub count: Option<Spanned<i64>>,
    /// Destination cell (`tenant_migration`).
    pub to_cell: Option<Spanned<i64>>,
    /// Backfill throughput (`tenant_migration`, default 50MB/s... written as bytes per second: `"50MB"`).
    pub backfill_rate: Option<BytesDist>,
    /// Reject writes for tenants a cell no longer owns (`tenant_migration`, default true).
    pub reject_misrouted: Option<bool>,
    /// Partition: the two sides, e.g. `["edge", "control_plane"]`, `["cell", "kms"]`.
    pub between: Option<Spanned<Vec<String>>>,
    /// Partition: `timeout` (calls hang until the caller gives up; default) or `reject`.
    pub mode: Option<Spanned<String>>,
    /// New limits (`config_push`).
    pub rate_limit: Option<Rate>,
    /// New burst (`config_push`).
    pub burst: Option<Spanned<i64>>,
    /// Propagate fast (`config_push`, default false).
    pub urgent: Option<bool>,
    /// Start when this condition holds (`"cell_utilisation > 90%"`), polled from `at`.
    pub when: Option<Spanned<String>>,
    /// Time between polls of `when` (default 1s).
    pub poll: Option<Spanned<Dur>>,
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

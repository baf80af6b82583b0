//! The run summary: the stable, versioned record of one run (scenario + seed + variant).
//!
//! Serialised as `summary.json`. Field order is fixed by the struct order; maps are
//! `BTreeMap`s; floats are finite. Bump [`SCHEMA_VERSION`] on any incompatible change.

use serde::{Deserialize, Serialize};

/// Version of the summary schema.
pub const SCHEMA_VERSION: u32 = 1;

/// Outcome counts of a set of logical requests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcomes {
    /// Logical requests sent by clients.
    pub offered: u64,
    /// Answered successfully.
    pub ok: u64,
    /// Rejected at the edge with 429 (the tenant's own rate limit).
    pub rejected_429: u64,
    /// Shed with 503 (queue full, queue timeout, admission control, ...).
    pub shed_503: u64,
    /// Failed with a server error (5xx other than shedding).
    pub errors_5xx: u64,
    /// The client gave up (timeout) before an answer.
    pub timeouts: u64,
    /// Still in flight when the run ended.
    pub in_flight: u64,
    /// Attempts (first tries and retries).
    pub attempts: u64,
}

impl Outcomes {
    /// Requests that ended with an answer or a timeout, 429s excluded (the denominator of
    /// availability and error rate).
    pub fn answered(&self) -> u64 {
        self.ok + self.shed_503 + self.errors_5xx + self.timeouts
    }
    /// Every logical request that has ended.
    pub fn finished(&self) -> u64 {
        self.answered() + self.rejected_429
    }
    /// `ok / answered`, or 1 when nothing was answered.
    pub fn availability(&self) -> f64 {
        ratio_or(self.ok, self.answered(), 1.0)
    }
    /// `1 − availability`.
    pub fn error_rate(&self) -> f64 {
        1.0 - self.availability()
    }
    /// `ok / (offered − in flight)`, or 1 when nothing finished.
    pub fn throughput(&self) -> f64 {
        ratio_or(self.ok, self.finished(), 1.0)
    }
    /// Attempts per logical request.
    pub fn amplification(&self) -> f64 {
        ratio_or(self.attempts, self.offered, 1.0)
    }
    /// Adds another set of counts.
    pub fn add(&mut self, o: &Outcomes) {
        self.offered += o.offered;
        self.ok += o.ok;
        self.rejected_429 += o.rejected_429;
        self.shed_503 += o.shed_503;
        self.errors_5xx += o.errors_5xx;
        self.timeouts += o.timeouts;
        self.in_flight += o.in_flight;
        self.attempts += o.attempts;
    }
}

/// `a / b`, or `default` when `b` is zero.
pub fn ratio_or(a: u64, b: u64, default: f64) -> f64 {
    if b == 0 {
        default
    } else {
        a as f64 / b as f64
    }
}

/// Latency figures in milliseconds (successful requests only).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Samples.
    pub count: u64,
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Maximum.
    pub max_ms: f64,
    /// Mean time attempts waited in a cell queue before service (exact).
    pub queue_wait_mean_ms: f64,
    /// 99th percentile of queue wait.
    pub queue_wait_p99_ms: f64,
}

/// One tier's (or other group's) results.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    /// Group name (tier name, or `all`).
    pub name: String,
    /// Tenants in the group.
    pub tenants: u64,
    /// Outcome counts.
    pub outcomes: Outcomes,
    /// Latency of successful requests.
    pub latency: Latency,
    /// Causes of 503 and 5xx, by cause name.
    pub causes: std::collections::BTreeMap<String, u64>,
    /// Finished requests by the number of attempts they took: `[1, 2, …, 7, 8+]`.
    pub by_attempts: Vec<u64>,
}

/// One tenant's results (compact).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantRow {
    /// Tenant id.
    pub id: String,
    /// Tier name.
    pub tier: String,
    /// Cohort name, if any.
    pub cohort: Option<String>,
    /// Cell index.
    pub cell: u32,
    /// Outcome counts.
    pub outcomes: Outcomes,
    /// p50 latency (ms).
    pub p50_ms: f64,
    /// p99 latency (ms).
    pub p99_ms: f64,
    /// Names of the SLOs this tenant breached.
    pub slo_breaches: Vec<String>,
    /// Metered service CPU (ms).
    pub cpu_ms: f64,
    /// Metered DB time (ms).
    pub db_ms: f64,
    /// Metered response bytes.
    pub bytes: u64,
    /// Writes applied at a cell that no longer owned the tenant (after a migration).
    #[serde(default)]
    pub misrouted_writes: u64,
    /// Background jobs completed.
    #[serde(default)]
    pub jobs_done: u64,
    /// Background jobs dead-lettered.
    #[serde(default)]
    pub jobs_dlq: u64,
    /// 99th percentile of job queue wait (ms), if it had jobs.
    #[serde(default)]
    pub job_wait_p99_ms: Option<f64>,
    /// Longest job queue wait (ms): starvation.
    #[serde(default)]
    pub job_wait_max_ms: Option<f64>,
    /// Lifecycle state at the end of the run.
    #[serde(default)]
    pub state: String,
}

/// The verdict on one SLO.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SloRow {
    /// SLO name.
    pub name: String,
    /// Objective as written.
    pub objective: String,
    /// `each` or `aggregate`.
    pub scope: String,
    /// Window as written, with its interval.
    pub window: String,
    /// Whether it held.
    pub passed: bool,
    /// The measured value (the worst tenant's under `each`), in the objective's unit
    /// (ms for durations, a fraction for rates).
    pub measured: f64,
    /// The measured value formatted like the objective (`312ms`, `0.42%`).
    pub measured_text: String,
    /// Under `each`: the tenant with the worst value.
    pub worst_tenant: Option<String>,
    /// Tenants judged (with at least `min_requests` requests in the window).
    pub tenants_judged: u64,
    /// Tenants that breached it (its *SLO breaches*; the run's blast radius counts
    /// bystanders breaching any SLO instead).
    pub tenants_breaching: u64,
    /// Tenants selected but with too few requests to judge.
    pub tenants_without_data: u64,
}

/// A fault on the timeline and its observed effect.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultRow {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Start (s since run start).
    pub start_s: f64,
    /// End (s).
    pub end_s: f64,
    /// Target, if any.
    pub target: Option<String>,
    /// Blast radius: tenants other than the target that went badly from the fault's start
    /// to its recovery (≥ 5% of their requests failed or slower than the heat threshold).
    pub affected_tenants: u64,
    /// Seconds from the fault's end until every tier was healthy again for 5 windows;
    /// `None`: not recovered by the end of the run.
    pub recovery_s: Option<f64>,
    /// What the seed drew for a fault with selectors or drawn values (its window, targets,
    /// intensity); absent for a fault written in full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<String>,
}

/// The metastability detector: its thresholds and a verdict per fault.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MetastabilityRow {
    /// A window is bad when its goodput (ok / finished) is below this fraction.
    pub goodput_below: f64,
    /// A window is bad when its amplification (attempts / requests) is above this.
    pub amplification_above: f64,
    /// A fault is flagged when the bad state lasts at least this long after its end (s).
    pub for_s: f64,
    /// Windows with fewer requests sent are not judged.
    pub min_requests: u64,
    /// One verdict per fault, in the order of `faults`.
    pub faults: Vec<MetastableFault>,
}

/// Whether the platform came back after one fault, with the evidence.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MetastableFault {
    /// Fault name.
    pub fault: String,
    /// The bad state lasted at least `for_s` after the fault's end: "did not recover
    /// (metastable)".
    pub flagged: bool,
    /// What was judged: `tiers` (all tiers together) or `bystanders` (all but the fault's
    /// target tenant).
    pub judged: String,
    /// Seconds from the fault's end to the first good window, or to the end of the run.
    pub stuck_s: f64,
    /// The bad state lasted until the end of the run.
    pub until_end: bool,
    /// Goodput over the bad windows (ok / finished), if any.
    pub goodput: Option<f64>,
    /// Amplification over the bad windows (attempts / requests), if any.
    pub amplification: Option<f64>,
    /// Length of one evidence point (s).
    pub evidence_step_s: f64,
    /// Windows after the fault's end (at most 120 points; merged when there are more).
    pub evidence: Vec<EvidencePoint>,
}

/// Requests sent in a stretch of windows after a fault.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EvidencePoint {
    /// Start of the stretch (s).
    pub t_s: f64,
    /// Requests sent.
    pub offered: u64,
    /// ok / finished; `None` when none finished.
    pub goodput: Option<f64>,
    /// attempts / requests; `None` without requests.
    pub amplification: Option<f64>,
}

/// The request ledger: every logical request and every attempt accounted for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerRow {
    /// Logical requests started.
    pub requests_started: u64,
    /// Logical requests finished with an outcome.
    pub requests_finished: u64,
    /// Logical requests still in flight at the end.
    pub requests_in_flight: u64,
    /// Attempts started.
    pub attempts_started: u64,
    /// Attempts finished (answered, rejected, shed, failed or abandoned work completed).
    pub attempts_finished: u64,
    /// Attempts still in flight at the end.
    pub attempts_in_flight: u64,
    /// Attempts whose work completed after the client had given up (wasted work).
    pub attempts_wasted: u64,
    /// Whether `started = finished + in flight` for both, and per-tenant sums match.
    pub balanced: bool,
}

/// What the control plane, the KMS and the async plane did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ControlRow {
    /// Lifecycle transitions by `from->to`.
    pub transitions: std::collections::BTreeMap<String, u64>,
    /// Tenants provisioned during the run.
    pub provisioned: u64,
    /// Provisioning attempts that found no eligible cell.
    pub provision_failed: u64,
    /// Cells marked dead / alive by the failure detector, with times (s): `[t, cell, dead]`.
    pub cell_events: Vec<(f64, u32, bool)>,
    /// Route refreshes by the edge, and how many failed.
    pub route_refreshes: u64,
    /// Route refreshes that failed.
    pub route_refresh_failures: u64,
    /// Requests routed with an expired route entry (`serve_stale`).
    pub stale_routes_served: u64,
    /// Config versions published.
    pub config_versions: u64,
    /// Writes applied at a cell that no longer owned the tenant.
    pub misrouted_writes_applied: u64,
    /// Misrouted writes rejected with `wrong_cell`.
    pub misrouted_writes_rejected: u64,
    /// KMS calls and failures.
    pub kms_calls: u64,
    /// KMS calls that failed.
    pub kms_failures: u64,
    /// Jobs completed, dead-lettered, and still queued or running at the end.
    pub jobs_done: u64,
    /// Jobs dead-lettered.
    pub jobs_dlq: u64,
    /// Jobs queued or running at the end.
    pub jobs_in_flight: u64,
    /// Job attempts that failed.
    pub job_attempts_failed: u64,
    /// With `shuffle_shard` placement: how much tenants' shards overlap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_overlap: Option<ShardOverlap>,
    /// What the acting control plane did (evacuations, fail-backs), first 1,000 in the
    /// order they finished; absent when nothing acted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionRow>,
    /// Every action counted by kind (`evacuate`), absent when nothing acted.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub action_counts: std::collections::BTreeMap<String, u64>,
    /// Every action counted by `kind/outcome` (`evacuate/no_capacity`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub action_outcomes: std::collections::BTreeMap<String, u64>,
    /// Shared global dependencies (`[[dependencies]]`), in file order (absent without any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<DependencyRow>,
    /// Tenant moves (scripted or by the rebalancer): absent when none was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moves: Option<MovesRow>,
    /// Config TTLs at the edge (`[control_plane.config_ttl]`; absent without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_ttl: Option<ConfigTtlRow>,
    /// The first attempt a dead cell served Ok: a broken invariant ("a dead cell serves
    /// nothing"). Absent when none was, which is always unless the model has a bug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_by_dead_cell: Option<ServedByDeadCell>,
    /// Retries a client's retry budget refused (the coverage state
    /// `retry_budget.exhausted`). Kept in memory only: not written to summary.json, so that
    /// the bytes of every summary written before it stay the same.
    #[serde(skip)]
    pub retries_denied_by_budget: u64,
    /// Config TTLs at the cells (`[control_plane.cell_config_ttl]`; absent without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_config_ttl: Option<CellConfigTtlRow>,
}

/// The first attempt a dead cell served Ok (see `ControlRow::served_by_dead_cell`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServedByDeadCell {
    /// When it ended Ok (s).
    pub t_s: f64,
    /// Its tenant.
    pub tenant: String,
    /// The cell that served it.
    pub cell: u32,
    /// When it reached the cell (s).
    pub arrived_s: f64,
    /// When the cell's latest outage began (s).
    pub outage_began_s: f64,
}

/// What tenant moves cost.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MovesRow {
    /// Moves started.
    pub started: u64,
    /// Client retries of writes dual-written during a move (applied twice to the target
    /// unless an idempotency key absorbs them).
    pub duplicate_writes: u64,
    /// Verifications that failed (each move rolled back to its source).
    pub verify_failures: u64,
    /// DB core-seconds the backfills took, source and target together (0 when moves are free).
    pub backfill_db_core_s: f64,
}

/// What config TTLs did at the edge: how many tenant configs expired while the control
/// plane was unreachable, for how long, and under which policy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigTtlRow {
    /// The TTL (s).
    pub ttl_s: f64,
    /// `keep_last_known` or `defaults`.
    pub on_expiry: String,
    /// `defaults`: the rate limit expired tenants fell back to (per second).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_rate_limit: Option<f64>,
    /// `defaults`: the burst they fell back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_burst: Option<u32>,
    /// Tenant configs that expired (a tenant expiring twice counts twice).
    pub expiries: u64,
    /// Tenants whose config expired at least once.
    pub tenants_expired: u32,
    /// Most tenant configs expired at the same time.
    pub max_expired_at_once: u32,
    /// Tenant configs still expired at the end of the run.
    pub expired_at_end: u32,
    /// Tenant-seconds spent with an expired config.
    pub expired_tenant_s: f64,
    /// First expiry (s into the run).
    pub first_expiry_s: Option<f64>,
    /// Last restore by a push or poll (s into the run).
    pub last_restore_s: Option<f64>,
}

/// What config TTLs did at the cells: how many cell configs (their tenants' DB limits)
/// expired while the control plane was unreachable, for how long, under which policy, and
/// how many tenants were put on the default DB limits.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CellConfigTtlRow {
    /// The TTL (s).
    pub ttl_s: f64,
    /// `keep_last_known` or `defaults`.
    pub on_expiry: String,
    /// `defaults`: the DB concurrency tenants of an expired cell fell back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_db_concurrency: Option<u32>,
    /// `defaults`: the statements per second they fell back to (absent: no budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_statements_per_sec: Option<f64>,
    /// Cell configs that expired (a cell expiring twice counts twice).
    pub expiries: u64,
    /// Cells whose config expired at least once.
    pub cells_expired: u32,
    /// Most cell configs expired at the same time.
    pub max_expired_at_once: u32,
    /// Cell configs still expired at the end of the run.
    pub expired_at_end: u32,
    /// Cell-seconds spent with an expired config.
    pub expired_cell_s: f64,
    /// Times a tenant was put on the default DB limits (`defaults` only).
    pub tenants_defaulted: u64,
    /// New cell config versions the control plane made (changes of its tenants' DB limits).
    pub config_versions: u64,
    /// First expiry (s into the run).
    pub first_expiry_s: Option<f64>,
    /// Last restore by a heartbeat (s into the run).
    pub last_restore_s: Option<f64>,
}

/// One action of the control plane.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionRow {
    /// When it started (s).
    pub t: f64,
    /// Kind: `evacuate`, `fail_back`.
    pub kind: String,
    /// The tenant it acted on, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The cell it concerned (a move's source).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<u32>,
    /// A move's destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<u32>,
    /// Why.
    pub reason: String,
    /// `moved`, `no_capacity`, `cancelled`.
    pub outcome: String,
    /// From start to outcome (s).
    pub duration_s: f64,
}

/// One shared dependency's activity over the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DependencyRow {
    /// Name.
    pub name: String,
    /// Calls made (refused ones included).
    pub calls: u64,
    /// Calls refused by the caller's per-tenant quota (`quota_exceeded`).
    pub quota_refused: u64,
    /// Calls refused because the waiting line was full (`dependency_busy`).
    pub busy_refused: u64,
    /// Calls that hit the timeout, waiting or in service (`dependency_timeout`).
    pub timed_out: u64,
}

/// The overlap distribution of `shuffle_shard` shards: for pairs of tenants, how many cells
/// their shards share, measured and as the hypergeometric law predicts for random shards.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardOverlap {
    /// Cells in each tenant's shard (`k`).
    pub shard_size: u32,
    /// Cells shards are drawn from (`N`).
    pub cells: u32,
    /// Tenants whose pairs were counted (the first ones, at most 2,000).
    pub tenants: u64,
    /// `measured[j]`: fraction of pairs sharing exactly `j` cells, `j = 0..=k`.
    pub measured: Vec<f64>,
    /// `expected[j]`: `C(k, j)·C(N−k, k−j)/C(N, k)`.
    pub expected: Vec<f64>,
}

/// What a run was made from, beyond the top-level `overrides`, `variant` and `seed`: enough to
/// tell, for two summaries whose digests differ, whether their inputs differed or their
/// behaviour did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Digest of the scenario file's bytes as read (tenantsim's in-tree hash, 16 hex digits).
    pub scenario_digest: String,
    /// tenantsim version (`0.1.0`).
    pub version: String,
    /// Git commit tenantsim was built from: 12 hex digits, `-dirty` when the tree had
    /// uncommitted changes, `unknown` without git.
    pub commit: String,
    /// One digest over the scenario digest, overrides, variant, seed, version and commit:
    /// equal ⇔ the same inputs.
    pub inputs_digest: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Everything a run recorded that is worth keeping.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Schema version.
    pub schema_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Scenario file as given.
    pub file: String,
    /// Variant name, if any.
    pub variant: Option<String>,
    /// Overrides applied (`--set` flags).
    pub overrides: Vec<String>,
    /// Seed.
    pub seed: u64,
    /// Trace digest (16 hex digits).
    pub digest: String,
    /// The run's inputs, recorded by the binary (`None` from library use and in summaries
    /// written before fingerprints existed).
    #[serde(default)]
    pub fingerprint: Option<Fingerprint>,
    /// Events processed.
    pub events: u64,
    /// Simulated seconds the run covered: the scenario's duration, or, for a truncated run,
    /// the simulated time at which it stopped.
    pub sim_seconds: f64,
    /// Why the run stopped: `time_reached` normally, `max_events` if the event bound hit.
    pub stop: String,
    /// Cut short by a limit (`max_events`) before the scenario's duration: its numbers cover
    /// only `sim_seconds`, and it is not a pass. Written only when true.
    #[serde(default, skip_serializing_if = "is_false")]
    pub truncated: bool,
    /// Whether every SLO passed and the run was not truncated.
    pub passed: bool,
    /// Whole-platform totals.
    pub total: GroupRow,
    /// Per tier.
    pub tiers: Vec<GroupRow>,
    /// Per SLO.
    pub slos: Vec<SloRow>,
    /// Faults.
    pub faults: Vec<FaultRow>,
    /// The metastability detector's verdict on each fault.
    #[serde(default)]
    pub metastability: MetastabilityRow,
    /// The ledger.
    pub ledger: LedgerRow,
    /// Queue and DB-connection waits per tier, per cell and in total.
    #[serde(default)]
    pub waits: crate::waits::WaitsRow,
    /// Control plane, KMS and async plane activity.
    #[serde(default)]
    pub control: ControlRow,
    /// Per tenant, in declaration order.
    pub tenants: Vec<TenantRow>,
    /// Staged rollouts, in file order. Written only when the scenario declares some.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rollouts: Vec<RolloutRow>,
    /// Usage priced per resource, per tenant and tier. Written only when the scenario has
    /// a `[cost]` section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub showback: Option<crate::showback::Showback>,
    /// The data architecture's connections, added work and migration estimate. Written
    /// only when the scenario has a `[data_architecture]` section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_architecture: Option<crate::data_arch::DataArchRow>,
}

/// One staged rollout: what it changed, where its gate stopped it, what it cost.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RolloutRow {
    /// Name.
    pub name: String,
    /// Change kind (`migration`, `config`).
    pub change: String,
    /// The gate's objective, if any.
    pub gate: Option<String>,
    /// Whose traffic the gate judged (`changed`, `changed_and_cellmates`).
    pub gate_scope: String,
    /// `halt`, `rollback` or `continue`.
    pub on_error: String,
    /// Where it ended: `completed`, `halted`, `rolled_back`, `rolling_back`, `running`, `pending`.
    pub outcome: String,
    /// Start (s).
    pub start_s: Option<f64>,
    /// End (s): completion, halt, or end of the rollback; `None` if still going at the end.
    pub end_s: Option<f64>,
    /// The objective (or `migration failed`) that first failed.
    pub tripped_by: Option<String>,
    /// What it measured then.
    pub tripped_value: Option<String>,
    /// When (s).
    pub tripped_at_s: Option<f64>,
    /// The first wave whose gate failed.
    pub first_bad_wave: Option<String>,
    /// From the start of the first bad wave to the halt (s).
    pub time_to_halt_s: Option<f64>,
    /// Tenants changed when it halted (all changed if it did not): the blast radius.
    pub tenants_exposed: u32,
    /// Tenants whose change started, in all.
    pub tenants_changed: u32,
    /// Cells holding a changed tenant.
    pub cells_exposed: u32,
    /// Tenants the plan's waves hold.
    pub tenants_planned: u32,
    /// Start to end of a completed rollout (s).
    pub fleet_completion_s: Option<f64>,
    /// Time paused because the control plane was down (s).
    pub paused_s: f64,
    /// Changes that failed (migrations).
    pub failed_changes: u32,
    /// Requests of not-yet-changed tenants finished while the rollout ran.
    pub bystander_requests: u64,
    /// Their error rate (0..1).
    pub bystander_error_rate: f64,
    /// Their p99 latency (ms), if any succeeded.
    pub bystander_p99_ms: Option<f64>,
    /// Per wave.
    pub waves: Vec<RolloutWaveRow>,
    /// The burn-rate gate, in words (`burn_rate(SLO) >= R over W`); only when declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burn_gate: Option<String>,
}

/// One wave of a rollout.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RolloutWaveRow {
    /// Group name.
    pub name: String,
    /// Tenants in it.
    pub tenants: u32,
    /// Start (s).
    pub start_s: f64,
    /// End (s): bake done, or halt.
    pub end_s: Option<f64>,
    /// `pass`, `fail` or `not_judged` (no gate, or too few requests).
    pub gate: String,
    /// The worst value the gate measured in the wave.
    pub worst: Option<String>,
    /// The highest burn rate the burn-rate gate measured in the wave (`16.2x`); only with
    /// a burn-rate gate that judged the wave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worst_burn: Option<String>,
}

impl RunSummary {
    /// Faults flagged "did not recover (metastable)".
    pub fn metastable_faults(&self) -> impl Iterator<Item = &MetastableFault> {
        self.metastability.faults.iter().filter(|f| f.flagged)
    }

    /// The summary as pretty JSON (deterministic).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_follow_their_definitions() {
        let o = Outcomes {
            offered: 100,
            ok: 80,
            rejected_429: 10,
            shed_503: 5,
            errors_5xx: 3,
            timeouts: 2,
            in_flight: 0,
            attempts: 120,
        };
        assert_eq!(o.answered(), 90);
        assert!((o.availability() - 80.0 / 90.0).abs() < 1e-12);
        assert!((o.throughput() - 0.8).abs() < 1e-12);
        assert!((o.amplification() - 1.2).abs() < 1e-12);
        assert_eq!(Outcomes::default().availability(), 1.0);
    }

    #[test]
    fn json_round_trips() {
        let s = RunSummary {
            scenario: "x".into(),
            seed: 3,
            ..Default::default()
        };
        let back: RunSummary = serde_json::from_str(&s.to_json()).unwrap();
        assert_eq!(back, s);
    }
}

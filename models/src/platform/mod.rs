//! The platform model: clients → edge → cell queue → workers → DB → response.
//!
//! ```text
//!  source (tenant, class)            edge                          cell c
//!  open loop: Poisson × shape  ┐     concurrency cap ─429─▶        queue (fifo/drr/caps) ─503─▶
//!  closed loop: users + think  ┴─▶ request ─▶ token bucket ─429─▶   worker: service CPU
//!         ▲                           admission ─503─▶             DB: breaker ─503─▶ pool P ─▶
//!         │ retry (backoff, jitter,   route tenant→cell ──────▶       cores C (processor sharing)
//!         │ budget, Retry-After)                                      statement/acquire timeouts ─5xx─▶
//!         └──── client: per-attempt timeout, outcome ◀──────────────── response
//! ```
//!
//! Each arrival is a *logical request*; the client makes *attempts* for it. A failed or
//! timed-out attempt may be retried by the class's policy; the request ends exactly once
//! (ok, 429, 503/5xx with a cause, or timed out) or is in flight at the end. An attempt
//! whose client gave up keeps its worker and connections until its work is done (wasted
//! work, counted).
//!
//! **Common random numbers.** Arrivals of each (tenant, class) come from the stream
//! `arrivals/TENANT/CLASS`; each request draws one 64-bit seed from `costs/TENANT/CLASS` at
//! arrival and derives everything about itself from SplitMix64 sub-streams of it: costs
//! (service time, cache hit, query count, query times, bytes, fault effects) and client
//! randomness (backoff jitter, think time). A tenant's requests are therefore the same
//! whatever else the scenario or the scheduling does.
//!
//! **Hot path.** Requests and attempts live in slabs, queues are preallocated, the DB keeps
//! one pending event: handling an event allocates nothing once the run has warmed up.

pub mod actions;
pub mod allowed_cells;
pub mod autoscale;
mod build;
pub mod bulkhead;
pub mod cell;
pub mod cell_config_ttl;
mod cell_down;
pub mod config_revert;
pub mod config_ttl;
pub mod control;
pub mod cross_cell;
pub mod data_arch;
pub mod db_budget;
pub mod db_governance;
pub mod db_servers;
pub mod dead_cell_served;
pub mod deps;
pub mod edge;
pub mod evacuate;
mod fault_when;
mod faults;
pub mod jobs;
pub mod jobs_stopped;
pub mod kms;
pub mod lifecycle_ops;
pub mod move_cost;
mod network;
mod partition;
pub mod probe;
pub mod provision_keys;
pub mod rebalance;
pub mod reconcile;
pub mod reconcile_repair;
pub mod reconcile_states;
pub mod rollout;
mod rollout_burn;
pub mod rollout_config;
mod rollout_deploy;
pub mod scale_out;
pub mod tenant_cell_map;

use crate::component::breaker::Admit;
use crate::component::db::QueryEnd;
use crate::component::link::Call;
use crate::component::outcome::{Cause, Outcome};
use crate::component::retry::{RetryBudget, RetryPolicy};
use crate::component::slab::{Id, Slab};
use crate::component::workload::{Arrival, LoadShape};
use crate::fault::{FaultKind, PartitionKind};
use crate::population::Population;
use crate::record::Recorder;
use crate::scenario::{RetrySpec, Scenario};
use sim::{Bits, Digest, Dist, EventQueue, RngStream, SimDuration, SimTime, SplitMix, TimerKey};

/// Events of the platform model (facts, in the past tense).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ev {
    /// A tenant's next candidate arrival came (kept or thinned by the load shape).
    RequestArrived {
        /// Tenant index.
        tenant: u32,
    },
    /// A closed-loop user finished thinking and sends its next request.
    UserReady {
        /// Tenant index.
        tenant: u32,
        /// User index within the tenant.
        user: u32,
    },
    /// A request's backoff elapsed: its client makes the next attempt.
    RetryDue {
        /// Request.
        req: Id,
    },
    /// The earliest client timeout of a class came due (timeouts of one class expire in
    /// the order they were set, so each class keeps a FIFO and one pending event).
    TimeoutsDue {
        /// Class.
        class: u16,
    },
    /// A worker finished an attempt's CPU work.
    ServiceFinished {
        /// Attempt.
        att: Id,
    },
    /// A cell's DB reached its next completion or deadline.
    DbWoke {
        /// Cell.
        cell: u32,
    },
    /// The added dependency latency of an attempt's query elapsed.
    DbLatencyElapsed {
        /// Attempt.
        att: Id,
    },
    /// A fault became active.
    FaultStarted {
        /// Fault index.
        fault: u32,
    },
    /// A fault ended.
    FaultEnded {
        /// Fault index.
        fault: u32,
    },
    /// A recording window closed: cells are sampled.
    WindowClosed {
        /// Window index.
        window: u32,
    },
    /// Cells beat; the control plane's failure detector runs.
    HeartbeatsDue,
    /// The edge's route refresh for a tenant completed (or failed).
    RouteRefreshed {
        /// Tenant.
        tenant: u32,
        /// Whether the control plane answered.
        ok: bool,
    },
    /// A control-plane operation's call completed.
    ControlOpDone {
        /// The operation.
        op: control::CpOp,
    },
    /// A cohort asked to be provisioned.
    ProvisionRequested {
        /// First member's tenant index.
        first: u32,
        /// Members.
        count: u32,
    },
    /// A cell finished creating a tenant.
    TenantCreated {
        /// Tenant.
        tenant: u32,
    },
    /// A config push reached the edge.
    ConfigPushed {
        /// Tenant.
        tenant: u32,
        /// Version.
        version: u32,
    },
    /// The edge polls for config.
    ConfigPollDue,
    /// A migration's backfill finished.
    MigrationBackfilled {
        /// Tenant.
        tenant: u32,
    },
    /// A migrated tenant's new route reached the edge.
    RoutePushed {
        /// Tenant.
        tenant: u32,
    },
    /// The old cell dropped a migrated tenant's copy.
    MigrationFinalised {
        /// Tenant.
        tenant: u32,
    },
    /// The KMS answered a cell.
    KmsAnswered {
        /// Attempt.
        att: Id,
        /// Answer.
        answer: kms::KmsAnswer,
    },
    /// A DB call across a partition gave up.
    DbCallFailed {
        /// Attempt.
        att: Id,
    },
    /// An attempt sent across an edge↔cell partition is given up by the edge.
    AttemptLost {
        /// Attempt.
        att: Id,
    },
    /// A job's output was stored (or the attempt failed).
    JobStored {
        /// Job.
        job: Id,
        /// Success.
        ok: bool,
    },
    /// A failed job's backoff elapsed.
    JobRetryDue {
        /// Job.
        job: Id,
    },
    /// A tenant's own job arrived.
    JobArrived {
        /// Tenant.
        tenant: u32,
    },
    /// A dead cell's grace ran out: the control plane evacuates it.
    EvacuationDue {
        /// Cell.
        cell: u32,
    },
    /// An evacuation (or fail-back) move of a tenant finished.
    EvacuationMoved {
        /// Tenant.
        tenant: u32,
    },
    /// A step of a staged rollout (only scheduled when the scenario declares rollouts).
    Rollout {
        /// Rollout index.
        rollout: u16,
        /// What happens.
        step: rollout::Step,
    },
    /// An attempt crossed the network from its client to the edge (`[network]` only).
    AttemptReachedEdge {
        /// Request.
        req: Id,
    },
    /// An attempt crossed the network from the edge to its cell (`[network]` only).
    AttemptReachedCell {
        /// Attempt.
        att: Id,
    },
    /// The answer to an attempt crossed the network back to its client (`[network]` only).
    AnswerReachedClient {
        /// Request.
        req: Id,
        /// The attempt's number.
        attempt: u16,
    },
    /// The reconciler's periodic tick.
    ReconcileDue,
    /// A move's verification ended (`ok`: the copies match; otherwise it rolls back).
    MoveVerified {
        /// Tenant.
        tenant: u32,
        /// Verified.
        ok: bool,
    },
    /// The rebalancer's periodic evaluation.
    RebalanceDue,
    /// The worker autoscaler's periodic tick (`[control_plane.autoscale]` only).
    AutoscaleDue,
    /// A cell's scale-up batch is ready to serve.
    AutoscaleWorkersReady {
        /// Cell.
        cell: u32,
    },
    /// A shared dependency answered an attempt's call (`ok`), or the call's timeout passed.
    DependencyAnswered {
        /// Dependency index.
        dep: u16,
        /// Attempt.
        att: Id,
        /// Answered in time.
        ok: bool,
    },
    /// A cell's read replica has a read to end (`[replica]` only).
    ReplicaWoke {
        /// Cell.
        cell: u32,
    },
    /// A fault started by a condition (`when`) looks at its condition (`when` only).
    ConditionPolled {
        /// Fault index.
        fault: u32,
    },
    /// A destroyed tenant's backup retention ended (lifecycle operations only).
    TenantPurgeDue {
        /// Tenant.
        tenant: u32,
    },
    /// A restored tenant's backup is copied into its new cell (lifecycle operations only).
    TenantRestored {
        /// Tenant.
        tenant: u32,
    },
    /// Fleet scale-out measures the fleet (`[control_plane.scale_out]` only).
    ScaleOutDue,
    /// A tenant the reconciler re-placed off a dead cell is restored on its new one
    /// (`repair = true` only).
    ReconcileReplaced {
        /// Tenant.
        tenant: u32,
    },
    /// A spare cell is provisioned.
    CellProvisioned {
        /// Cell.
        cell: u32,
    },
    /// A cell's shard or tier-dedicated DB server has a query to end (`db_servers.rs`).
    ServerDbWoke {
        /// Cell.
        cell: u32,
        /// Server (1..; 0 is the primary, which wakes as `DbWoke`).
        server: u16,
    },
    /// A tenant's next DB CPU budget window opened; its delayed queries go on
    /// (`db_budget.rs`).
    DbBudgetRenewed {
        /// Tenant.
        tenant: u32,
    },
}

impl sim::Event for Ev {
    fn kind(&self) -> &'static str {
        match self {
            Ev::RequestArrived { .. } => "request_arrived",
            Ev::UserReady { .. } => "user_ready",
            Ev::RetryDue { .. } => "retry_due",
            Ev::TimeoutsDue { .. } => "timeouts_due",
            Ev::ServiceFinished { .. } => "service_finished",
            Ev::DbWoke { .. } => "db_woke",
            Ev::DbLatencyElapsed { .. } => "db_latency_elapsed",
            Ev::FaultStarted { .. } => "fault_started",
            Ev::FaultEnded { .. } => "fault_ended",
            Ev::WindowClosed { .. } => "window_closed",
            Ev::HeartbeatsDue => "heartbeats_due",
            Ev::RouteRefreshed { .. } => "route_refreshed",
            Ev::ControlOpDone { .. } => "control_op_done",
            Ev::ProvisionRequested { .. } => "provision_requested",
            Ev::TenantCreated { .. } => "tenant_created",
            Ev::ConfigPushed { .. } => "config_pushed",
            Ev::ConfigPollDue => "config_poll_due",
            Ev::MigrationBackfilled { .. } => "migration_backfilled",
            Ev::RoutePushed { .. } => "route_pushed",
            Ev::MigrationFinalised { .. } => "migration_finalised",
            Ev::KmsAnswered { .. } => "kms_answered",
            Ev::DbCallFailed { .. } => "db_call_failed",
            Ev::AttemptLost { .. } => "attempt_lost",
            Ev::JobStored { .. } => "job_stored",
            Ev::JobRetryDue { .. } => "job_retry_due",
            Ev::JobArrived { .. } => "job_arrived",
            Ev::EvacuationDue { .. } => "evacuation_due",
            Ev::EvacuationMoved { .. } => "evacuation_moved",
            Ev::Rollout { .. } => "rollout",
            Ev::AttemptReachedEdge { .. } => "attempt_reached_edge",
            Ev::AttemptReachedCell { .. } => "attempt_reached_cell",
            Ev::AnswerReachedClient { .. } => "answer_reached_client",
            Ev::ReconcileDue => "reconcile_due",
            Ev::MoveVerified { .. } => "move_verified",
            Ev::RebalanceDue => "rebalance_due",
            Ev::AutoscaleDue => "autoscale_due",
            Ev::AutoscaleWorkersReady { .. } => "autoscale_workers_ready",
            Ev::DependencyAnswered { .. } => "dependency_answered",
            Ev::ReplicaWoke { .. } => "replica_woke",
            Ev::ConditionPolled { .. } => "condition_polled",
            Ev::TenantPurgeDue { .. } => "tenant_purge_due",
            Ev::TenantRestored { .. } => "tenant_restored",
            Ev::ScaleOutDue => "scale_out_due",
            Ev::CellProvisioned { .. } => "cell_provisioned",
            Ev::ServerDbWoke { .. } => "server_db_woke",
            Ev::DbBudgetRenewed { .. } => "db_budget_renewed",
            Ev::ReconcileReplaced { .. } => "reconcile_replaced",
        }
    }
    #[inline]
    fn digest_into(&self, d: &mut Digest) {
        let (code, key) = match *self {
            Ev::RequestArrived { tenant } => (1, tenant as u64),
            Ev::UserReady { tenant, user } => (2, ((tenant as u64) << 32) | user as u64),
            Ev::RetryDue { req } => (3, req.word()),
            Ev::TimeoutsDue { class } => (4, class as u64),
            Ev::ServiceFinished { att } => (5, att.word()),
            Ev::DbWoke { cell } => (6, cell as u64),
            Ev::DbLatencyElapsed { att } => (7, att.word()),
            Ev::FaultStarted { fault } => (8, fault as u64),
            Ev::FaultEnded { fault } => (9, fault as u64),
            Ev::WindowClosed { window } => (10, window as u64),
            Ev::HeartbeatsDue => (11, 0),
            Ev::RouteRefreshed { tenant, ok } => (12, ((ok as u64) << 32) | tenant as u64),
            Ev::ControlOpDone { op } => {
                let w = op.code();
                (13, w & ((1 << 58) - 1) ^ (w >> 58))
            }
            Ev::ProvisionRequested { first, count } => (14, ((count as u64) << 32) | first as u64),
            Ev::TenantCreated { tenant } => (15, tenant as u64),
            Ev::ConfigPushed { tenant, version } => (16, ((version as u64) << 32) | tenant as u64),
            Ev::ConfigPollDue => (17, 0),
            Ev::MigrationBackfilled { tenant } => (18, tenant as u64),
            Ev::RoutePushed { tenant } => (19, tenant as u64),
            Ev::MigrationFinalised { tenant } => (20, tenant as u64),
            Ev::KmsAnswered { att, answer } => (21, att.word() ^ ((answer.code() as u64) << 56)),
            Ev::DbCallFailed { att } => (22, att.word()),
            Ev::AttemptLost { att } => (23, att.word()),
            Ev::JobStored { job, ok } => (24, job.word() ^ ((ok as u64) << 56)),
            Ev::JobRetryDue { job } => (25, job.word()),
            Ev::JobArrived { tenant } => (26, tenant as u64),
            Ev::EvacuationDue { cell } => (48, cell as u64),
            Ev::EvacuationMoved { tenant } => (49, tenant as u64),
            Ev::Rollout { rollout, step } => (30, ((rollout as u64) << 40) ^ step.code()),
            Ev::AttemptReachedEdge { req } => (27, req.word()),
            Ev::AttemptReachedCell { att } => (28, att.word()),
            Ev::AnswerReachedClient { req, attempt } => (29, req.word() ^ ((attempt as u64) << 48)),
            Ev::ReconcileDue => (50, 0),
            Ev::MoveVerified { tenant, ok } => (56, ((ok as u64) << 32) | tenant as u64),
            Ev::RebalanceDue => (57, 0),
            Ev::AutoscaleDue => (58, 0),
            Ev::AutoscaleWorkersReady { cell } => (59, cell as u64),
            Ev::DependencyAnswered { dep, att, ok } => {
                (40, att.word() ^ ((dep as u64) << 40) ^ ((ok as u64) << 57))
            }
            Ev::ReplicaWoke { cell } => (60, cell as u64),
            Ev::ConditionPolled { fault } => (70, fault as u64),
            Ev::TenantPurgeDue { tenant } => (65, tenant as u64),
            Ev::TenantRestored { tenant } => (66, tenant as u64),
            Ev::ScaleOutDue => (67, 0),
            Ev::CellProvisioned { cell } => (68, cell as u64),
            Ev::ServerDbWoke { cell, server } => (75, ((server as u64) << 32) | cell as u64),
            Ev::DbBudgetRenewed { tenant } => (76, tenant as u64),
            Ev::ReconcileReplaced { tenant } => (72, tenant as u64),
        };
        d.write_u64((code << 58) ^ key);
    }
}

impl Ev {
    /// What happened, and to which component, from the event alone (raw indices; see
    /// [`Platform::describe`] for names): `("db_woke", "cell 3 DB")`,
    /// `("request_arrived", "tenant #42")`. For diagnostics; never on the hot path.
    pub fn describe(&self) -> (&'static str, String) {
        use sim::Event as _;
        let what = match *self {
            Ev::RequestArrived { tenant } => format!("tenant #{tenant} arrivals"),
            Ev::UserReady { tenant, user } => format!("tenant #{tenant} user {user}"),
            Ev::RetryDue { req } => format!("request {}:{} client", req.slot, req.gen),
            Ev::TimeoutsDue { class } => format!("class #{class} client timeouts"),
            Ev::ServiceFinished { att } => format!("attempt {}:{} worker", att.slot, att.gen),
            Ev::DbWoke { cell } => format!("cell {cell} DB"),
            Ev::DbLatencyElapsed { att } => {
                format!("attempt {}:{} DB added latency", att.slot, att.gen)
            }
            Ev::FaultStarted { fault }
            | Ev::FaultEnded { fault }
            | Ev::ConditionPolled { fault } => format!("fault #{fault}"),
            Ev::WindowClosed { window } => format!("recording window {window}"),
            Ev::HeartbeatsDue => "control plane heartbeats".to_string(),
            Ev::RouteRefreshed { tenant, ok } => {
                format!(
                    "edge route of tenant #{tenant} ({})",
                    if ok { "ok" } else { "failed" }
                )
            }
            Ev::ControlOpDone { op } => format!("control plane operation {:#x}", op.code()),
            Ev::ProvisionRequested { first, count } => {
                format!("control plane provisioning of tenants #{first}..+{count}")
            }
            Ev::TenantCreated { tenant } => format!("tenant #{tenant} provisioning"),
            Ev::ConfigPushed { tenant, version } => {
                format!("edge config of tenant #{tenant} (version {version})")
            }
            Ev::ConfigPollDue => "edge config poll".to_string(),
            Ev::MigrationBackfilled { tenant }
            | Ev::RoutePushed { tenant }
            | Ev::MigrationFinalised { tenant } => format!("migration of tenant #{tenant}"),
            Ev::KmsAnswered { att, answer } => {
                format!(
                    "attempt {}:{} KMS answer {}",
                    att.slot,
                    att.gen,
                    answer.code()
                )
            }
            Ev::DbCallFailed { att } => format!("attempt {}:{} DB call", att.slot, att.gen),
            Ev::AttemptLost { att } => format!("attempt {}:{} at the edge", att.slot, att.gen),
            Ev::JobStored { job, ok } => format!(
                "job {}:{} object storage ({})",
                job.slot,
                job.gen,
                if ok { "ok" } else { "failed" }
            ),
            Ev::JobRetryDue { job } => format!("job {}:{} retry", job.slot, job.gen),
            Ev::JobArrived { tenant } => format!("tenant #{tenant} jobs"),
            Ev::EvacuationDue { cell } => format!("evacuation of cell {cell}"),
            Ev::ReconcileDue => "control plane reconciler".to_string(),
            Ev::AutoscaleDue => "control plane autoscaler".to_string(),
            Ev::AutoscaleWorkersReady { cell } => format!("cell {cell} new workers"),
            Ev::EvacuationMoved { tenant } => format!("evacuation move of tenant #{tenant}"),
            Ev::MoveVerified { tenant, .. } => format!("migration of tenant #{tenant}"),
            Ev::RebalanceDue => "control plane rebalancer".to_string(),
            Ev::Rollout { rollout, step } => format!("rollout #{rollout} step {:#x}", step.code()),
            Ev::AttemptReachedEdge { req } | Ev::AnswerReachedClient { req, .. } => {
                format!("request {}:{} network", req.slot, req.gen)
            }
            Ev::AttemptReachedCell { att } => {
                format!("attempt {}:{} network", att.slot, att.gen)
            }
            Ev::DependencyAnswered { dep, att, ok } => format!(
                "attempt {}:{} dependency #{dep} ({})",
                att.slot,
                att.gen,
                if ok { "answered" } else { "timed out" }
            ),
            Ev::ReplicaWoke { cell } => format!("cell {cell} read replica"),
            Ev::ServerDbWoke { cell, server } => format!("cell {cell} DB server {server}"),
            Ev::DbBudgetRenewed { tenant } => format!("tenant #{tenant} DB CPU budget"),
            Ev::TenantPurgeDue { tenant } => format!("backup purge of tenant #{tenant}"),
            Ev::TenantRestored { tenant } => format!("restore of tenant #{tenant}"),
            Ev::ScaleOutDue => "control plane fleet scale-out".to_string(),
            Ev::CellProvisioned { cell } => format!("cell {cell} provisioning"),
            Ev::ReconcileReplaced { tenant } => format!("re-placement of tenant #{tenant}"),
        };
        (self.kind(), what)
    }
}

const NO_USER: u32 = u32::MAX;

/// Whose query a cell's DB is running. The DB carries it as an opaque word; only
/// [`DbToken::word`] and [`DbToken::from_word`] know the tag bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DbToken {
    /// A request attempt's query.
    Attempt(Id),
    /// A migration's write replicated to the destination cell (nobody waits for it).
    Replica(Id),
    /// A background job's DB work.
    Job(Id),
    /// A cross-cell call's remote work, for an attempt served in another cell
    /// (`cross_cell.rs`).
    Remote(Id),
}

impl DbToken {
    /// Tags a job's token (attempt and replica tokens never set it).
    const JOB_BIT: u64 = 1 << 63;
    /// Tags a replicated write's token (attempt tokens never set it).
    const REPLICA_BIT: u64 = 1 << 62;

    #[inline]
    fn word(self) -> u64 {
        match self {
            DbToken::Attempt(id) => id.word(),
            DbToken::Replica(id) => Self::REPLICA_BIT | id.word(),
            DbToken::Job(id) => Self::JOB_BIT | id.word(),
            DbToken::Remote(id) => Self::JOB_BIT | Self::REPLICA_BIT | id.word(),
        }
    }

    #[inline]
    fn from_word(w: u64) -> DbToken {
        if w & Self::JOB_BIT != 0 {
            // Both tag bits: a cross-cell call's remote work.
            if w & Self::REPLICA_BIT != 0 {
                return DbToken::Remote(Id::from_word(w & !(Self::JOB_BIT | Self::REPLICA_BIT)));
            }
            DbToken::Job(Id::from_word(w & !Self::JOB_BIT))
        } else if w & Self::REPLICA_BIT != 0 {
            DbToken::Replica(Id::from_word(w & !Self::REPLICA_BIT))
        } else {
            DbToken::Attempt(Id::from_word(w))
        }
    }
}
/// Salt that separates a request's client sub-stream from its cost sub-stream.
const CLIENT_SALT: u64 = 0xC11E_4700_5EED_0001;

/// A tenant's stream of requests (all classes): one random stream, one pending arrival.
struct Source {
    /// Base offered rate (all classes).
    rate: f64,
    /// Index into `Platform::mixes` of the cumulative class shares in force.
    mix: u32,
    /// The tenant's own mix, restored when a fault that changed it ends.
    base_mix: u32,
    fault_factor: f64,
    shape: u32,
    /// `arrivals/TENANT`: interarrival gaps, thinning, class picks, request seeds.
    rng: RngStream,
    timer: Option<TimerKey>,
    /// Retry budgets per class (empty when no class has one).
    budgets: Vec<Option<RetryBudget>>,
    /// Closed loop: think time.
    think: Option<Dist>,
}

impl Source {
    #[inline]
    fn envelope_rate(&self, shapes: &[LoadShape]) -> f64 {
        self.rate * self.fault_factor * shapes[self.shape as usize].max()
    }
}

/// Per-class FIFO of client timeouts (all requests of a class share one timeout, so
/// deadlines are set in order); one engine event is pending for the earliest.
#[derive(Default)]
struct TimeoutQueue {
    fifo: std::collections::VecDeque<(SimTime, Id, u16)>,
    pending: Option<SimTime>,
}

/// A logical request, as the client sees it.
struct Request {
    tenant: u32,
    class: u16,
    user: u32,
    sent: SimTime,
    attempts: u16,
    seed: u64,
    client: SplitMix,
    prev_delay: SimDuration,
    attempt: Option<Id>,
    /// The current attempt's answer, on the wire back to the client (`[network]` only).
    in_transit: Option<(Outcome, Option<SimDuration>)>,
}

/// One attempt, as the platform sees it.
struct Attempt {
    req: Id,
    tenant: u32,
    class: u16,
    cell: u32,
    local: u32,
    sent: SimTime,
    enqueued: SimTime,
    service_ns: u64,
    queries_left: u32,
    costs: SplitMix,
    /// Per-attempt draws for fault effects (independent across attempts of one request).
    chance: SplitMix,
    db_ns: u64,
    bytes: u64,
    abandoned: bool,
    probe: bool,
    pending_error: bool,
    /// It crossed the edge → cell link (its answer crosses back).
    at_cell: bool,
    /// Dependency calls of its class made so far (see `deps`).
    calls_done: u8,
    /// The bulkhead pool serving it (1-based; 0: the cell's own pool; see `bulkhead`).
    pool: u8,
    /// It holds a slot of its bulkhead's DB connection share.
    gated: bool,
    /// Its query counts against its tenant's DB concurrency (`db_governance`).
    governed: bool,
    /// It holds a slot of its tenant's own DB pool (`data_arch`, db_per_tenant).
    pooled: bool,
    /// Its cell's outage count when it started service (`cell_down`).
    cell_epoch: u32,
}

/// Counters of the request ledger.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LedgerCounts {
    /// Logical requests created.
    pub requests_started: u64,
    /// Logical requests that reached an outcome.
    pub requests_finished: u64,
    /// Attempts made.
    pub attempts_started: u64,
    /// Attempts that ended (answered, refused, shed, failed, or finished after abandonment).
    pub attempts_finished: u64,
    /// Attempts whose work finished after the client had given up.
    pub attempts_wasted: u64,
    /// Retries scheduled.
    pub retries: u64,
    /// Retries a retry budget refused.
    pub retries_denied_by_budget: u64,
}

struct ClassRt {
    service: Dist,
    db_queries: Dist,
    db_time: Dist,
    bytes: Dist,
    timeout: SimDuration,
    cache_hit: f64,
    retry: RetrySpec,
    kms: bool,
    writes: bool,
    submits_job: Option<u16>,
    /// Dependencies called after the CPU work (empty: none).
    calls: Vec<u16>,
}

struct FaultRt {
    kind: FaultKind,
    tenant: Option<u32>,
    mix: Option<u32>,
    active: bool,
    /// Removed for a counterfactual (`explain --without FAULT`): its events still fire (so
    /// the event sequence keeps its shape) but do nothing.
    disabled: bool,
    /// Its trigger, when a condition starts it (`when`; `None`: at its time).
    when: Option<Box<fault_when::WhenRt>>,
}

/// The platform: all runtime state of one run.
pub struct Platform {
    end: SimTime,
    classes: Vec<ClassRt>,
    shapes: Vec<LoadShape>,
    mixes: Vec<Vec<f64>>,
    sources: Vec<Source>,
    timeouts: Vec<TimeoutQueue>,
    edge: edge::Edge,
    tenant_cell: Vec<u32>,
    cells: Vec<cell::Cell>,
    requests: Slab<Request>,
    attempts: Slab<Attempt>,
    window: SimDuration,
    faults: Vec<FaultRt>,
    poll_buf: Vec<crate::component::db::Ended>,
    db_partition_timeout: SimDuration,
    data_size: Vec<f64>,
    /// Per tenant: its queue lane's (weight, in-service cap).
    tenant_lane: Vec<(u32, Option<u32>)>,
    /// Per (tenant, cell) the tenant has been delivered to: its lane in that cell's queue.
    pub(super) lanes: tenant_cell_map::TenantCellMap<u32>,
    /// The control plane and the edge's caches.
    pub ctl: control::ControlRt,
    /// The KMS and key caches.
    pub kms: kms::KmsRt,
    /// The async plane.
    pub jobs: jobs::JobsRt,
    /// The shared global dependencies (empty when the scenario declares none).
    pub deps: deps::DepsRt,
    /// Bulkheads and read replicas (inert when the scenario declares none).
    pub bulk: bulkhead::BulkRt,
    /// Per-tenant DB limits (inert when the scenario declares none).
    pub gov: db_governance::GovRt,
    /// The data architecture (inert when the scenario declares none).
    pub data: data_arch::DataRt,
    /// Shard and tier-dedicated DB servers (inert when the scenario declares none).
    pub servers: db_servers::ServersRt,
    /// Synchronous cross-cell calls (inert when no class makes one).
    pub cell_calls: cross_cell::CellCallsRt,
    /// What was recorded.
    pub recorder: Recorder,
    /// The ledger counters.
    pub ledger: LedgerCounts,
    /// The request tracer, when tracing (`tenantsim trace`). `None` costs one branch per hook;
    /// the tracer never feeds back into the model (see `crate::trace`).
    pub tracer: Option<Box<crate::trace::Tracer>>,
    /// Staged rollouts (`None` when the scenario declares none: one branch per hook).
    pub rollouts: Option<Box<rollout::RolloutRt>>,
    /// Per cell: the factor rollouts' migrations put on its DB capacity (empty without).
    rollout_db_capacity: Vec<f64>,
    /// Per cell: workers out for a deploy's restart (empty without a deploy rollout).
    rollout_workers_lost: Vec<u32>,
    /// Per cell: cold until, and the service-time factor while cold, after a deploy's
    /// restart (empty without a deploy rollout: the hot path pays one branch).
    rollout_cold: Vec<(SimTime, f64)>,
    /// Network delays on the links (`[network]`).
    net: crate::component::link::Network,
    /// Calls held by `delay` partitions, in the order they were made.
    held: Vec<partition::HeldCall>,
    /// The worker autoscaler (`None` when the scenario has none: nothing scheduled).
    pub autoscale: Option<Box<autoscale::Autoscaler>>,
    /// Cell deaths: what an outage does to the work already on the cell (`cell_down`).
    cell_down: cell_down::CellDownRt,
}

impl Platform {
    /// Builds the platform for `sc` and `pop`, and schedules the first events on `q`.
    pub fn build(
        sc: &Scenario,
        pop: &Population,
        seed: u64,
        recorder: Recorder,
        q: &mut EventQueue<Ev>,
    ) -> Platform {
        let p = &sc.platform;
        let kind = p.scheduler;
        let capped = kind.honours_caps();
        let cell_settings = cell::CellSettings {
            // A bulkhead's own workers are taken from the cell's pool (none: as written).
            workers: p.workers - bulkhead::BulkRt::carved_workers(sc),
            scheduler: kind,
            quantum_ns: p.quantum.as_nanos(),
            queue_limit: p.queue_limit,
            queue_timeout: p.queue_timeout,
            db: p.db.clone(),
        };
        let mut cells: Vec<cell::Cell> = (0..p.cells)
            .map(|c| {
                if p.cell_sizes.is_empty() {
                    cell::Cell::new(&cell_settings)
                } else {
                    cell::Cell::new(&cell_settings.sized(p.size_of(c)))
                }
            })
            .collect();
        let edge = edge::Edge::new(
            pop.tenants.iter().map(|t| edge::EdgeSettings {
                rate_limit: t.rate_limit,
                burst: t.burst,
                max_concurrency: t.max_concurrency,
            }),
            p.max_in_flight,
        );
        let build::Arrivals {
            shapes,
            mixes,
            sources,
            start_spread,
            fault_mix,
        } = build::arrivals(sc, pop, seed);
        let classes = build::classes(sc);
        let faults = build::faults(sc, pop, &fault_mix);
        let n_cells = cells.len();
        cells.shrink_to_fit();
        let data_rt = data_arch::DataRt::build(sc, pop, &mut cells);
        let servers_rt = db_servers::ServersRt::build(sc, pop, &mut cells);
        let n = pop.tenants.len();
        let ctl = build::control(sc, pop, seed, n_cells);
        let kms_rt = build::kms(sc, seed, n_cells, n);
        let jobs_rt = build::jobs(sc, pop, seed, n_cells, n);
        let mut plat = Platform {
            end: SimTime(sc.duration.as_nanos()),
            classes,
            shapes,
            mixes,
            sources,
            timeouts: (0..sc.classes.len())
                .map(|_| TimeoutQueue::default())
                .collect(),
            edge,
            tenant_cell: pop.tenants.iter().map(|t| t.cell).collect(),
            cells,
            requests: Slab::with_capacity(4096),
            attempts: Slab::with_capacity(4096),
            window: SimDuration(sc.window.as_nanos().max(1)),
            faults,
            poll_buf: Vec::with_capacity(64),
            db_partition_timeout: p.db.statement_timeout.unwrap_or(SimDuration::from_secs(5)),
            data_size: pop.tenants.iter().map(|t| t.data_size).collect(),
            tenant_lane: pop
                .tenants
                .iter()
                .map(|t| (sc.tiers[t.tier].weight, capped.then_some(p.tenant_cap)))
                .collect(),
            lanes: tenant_cell_map::TenantCellMap::new(pop.tenants.len()),
            ctl,
            kms: kms_rt,
            jobs: jobs_rt,
            deps: deps::DepsRt::build(sc, n),
            bulk: bulkhead::BulkRt::build(sc, p.cells as usize, n),
            gov: db_governance::GovRt::build(sc, pop),
            data: data_rt,
            servers: servers_rt,
            cell_calls: cross_cell::CellCallsRt::build(sc),
            recorder,
            ledger: LedgerCounts::default(),
            tracer: None,
            rollouts: rollout::RolloutRt::build(sc, pop, seed, q),
            rollout_db_capacity: if sc.rollouts.is_empty() {
                Vec::new()
            } else {
                vec![1.0; n_cells]
            },
            rollout_workers_lost: rollout_deploy::per_cell(sc, 0),
            rollout_cold: rollout_deploy::per_cell(sc, (SimTime::ZERO, 1.0)),
            net: network::build(sc, pop, seed),
            held: Vec::new(),
            cell_down: cell_down::CellDownRt::new(n_cells),
            autoscale: autoscale::Autoscaler::build(
                sc.control_plane.autoscale.as_ref(),
                (0..n_cells as u32)
                    .map(|c| {
                        let s = p.size_of(c);
                        (s.workers, s.db_connections)
                    })
                    .collect(),
            ),
        };
        debug_assert_eq!(n_cells, plat.cells.len());
        plat.control_initial_routes(SimTime::ZERO);
        plat.first_events(sc, pop, &start_spread, q);
        plat
    }

    /// Schedules the next candidate arrival of open-loop tenant `t` (Poisson at the
    /// envelope rate; thinned on arrival), if it falls inside the run.
    fn schedule_arrival(&mut self, t: u32, q: &mut EventQueue<Ev>) {
        let rate = self.sources[t as usize].envelope_rate(&self.shapes);
        let src = &mut self.sources[t as usize];
        if let Some(k) = src.timer.take() {
            q.cancel(k);
        }
        if rate <= 0.0 || src.think.is_some() {
            return;
        }
        let gap_s = -libm::log(src.rng.next_f64_open0()) / rate;
        let gap = SimDuration::from_secs_f64(gap_s);
        if q.now().after(gap) < self.end {
            src.timer = Some(q.schedule_cancellable(gap, Ev::RequestArrived { tenant: t }));
        }
    }

    /// What `ev` is and which component it concerns, named: tenant ids, class and fault
    /// names, and the tenant and cell of an attempt, request or job (looked up in the state
    /// *before* `ev` is handled; `(gone)` if it no longer exists). E.g.
    /// `("service_finished", "cell 1 worker (tenant small-0042, attempt 2)")`. For
    /// diagnostics; never on the hot path.
    pub fn describe(&self, ev: &Ev, sc: &Scenario, pop: &Population) -> (&'static str, String) {
        let (kind, raw) = ev.describe();
        let tenant = |t: u32| {
            pop.tenants
                .get(t as usize)
                .map_or_else(|| format!("#{t}"), |x| x.id.clone())
        };
        let attempt = |att: Id, what: &str| match self.attempts.get(att) {
            Some(a) => {
                let n = self.requests.get(a.req).map_or(0, |r| r.attempts);
                format!(
                    "cell {} {what} (tenant {}, attempt {n})",
                    a.cell,
                    tenant(a.tenant)
                )
            }
            None => format!("{raw} (gone)"),
        };
        let job = |id: Id, what: &str| match self.jobs.job_place(id) {
            Some((t, cell)) => format!("cell {cell} {what} (tenant {})", tenant(t)),
            None => format!("{raw} (gone)"),
        };
        let named = match *ev {
            Ev::RequestArrived { tenant: t } => format!("tenant {} arrivals", tenant(t)),
            Ev::UserReady { tenant: t, user } => format!("tenant {} user {user}", tenant(t)),
            Ev::RetryDue { req } => match self.requests.get(req) {
                Some(r) => format!(
                    "tenant {} client (retry after attempt {})",
                    tenant(r.tenant),
                    r.attempts
                ),
                None => format!("{raw} (gone)"),
            },
            Ev::TimeoutsDue { class } => match sc.classes.get(class as usize) {
                Some(c) => format!("clients of class {} (timeouts)", c.name),
                None => raw,
            },
            Ev::ServiceFinished { att } => attempt(att, "worker"),
            Ev::DbLatencyElapsed { att } => attempt(att, "DB added latency"),
            Ev::KmsAnswered { att, .. } => attempt(att, "KMS client"),
            Ev::DbCallFailed { att } => attempt(att, "DB call"),
            Ev::AttemptLost { att } => attempt(att, "edge call"),
            Ev::FaultStarted { fault }
            | Ev::FaultEnded { fault }
            | Ev::ConditionPolled { fault } => match sc.faults.get(fault as usize) {
                Some(f) => format!("fault {}", f.name),
                None => raw,
            },
            Ev::RouteRefreshed { tenant: t, ok } => format!(
                "edge route of tenant {} ({})",
                tenant(t),
                if ok { "ok" } else { "failed" }
            ),
            Ev::ProvisionRequested { first, count } => format!(
                "control plane provisioning of {} tenants from {}",
                count,
                tenant(first)
            ),
            Ev::TenantCreated { tenant: t } => format!("tenant {} provisioning", tenant(t)),
            Ev::ConfigPushed { tenant: t, version } => {
                format!("edge config of tenant {} (version {version})", tenant(t))
            }
            Ev::MigrationBackfilled { tenant: t }
            | Ev::RoutePushed { tenant: t }
            | Ev::MigrationFinalised { tenant: t } => format!("migration of tenant {}", tenant(t)),
            Ev::JobStored { job: id, .. } => job(id, "job output"),
            Ev::JobRetryDue { job: id } => job(id, "job retry"),
            Ev::JobArrived { tenant: t } => format!("tenant {} jobs", tenant(t)),
            Ev::EvacuationMoved { tenant: t } => {
                format!("evacuation move of tenant {}", tenant(t))
            }
            Ev::EvacuationDue { cell } => format!("evacuation of cell {cell}"),
            Ev::Rollout { rollout, .. } => match sc.rollouts.get(rollout as usize) {
                Some(r) => format!("rollout {}", r.name),
                None => raw,
            },
            Ev::AttemptReachedCell { att } => attempt(att, "network from the edge"),
            Ev::AttemptReachedEdge { .. } | Ev::AnswerReachedClient { .. } => raw,
            Ev::ReconcileDue => "control plane reconciler".to_string(),
            Ev::MoveVerified { tenant: t, .. } => format!("migration of tenant {}", tenant(t)),
            Ev::TenantPurgeDue { tenant: t } => format!("backup purge of tenant {}", tenant(t)),
            Ev::DbBudgetRenewed { tenant: t } => format!("DB CPU budget of tenant {}", tenant(t)),
            Ev::TenantRestored { tenant: t } => format!("restore of tenant {}", tenant(t)),
            Ev::ScaleOutDue => "control plane fleet scale-out".to_string(),
            Ev::CellProvisioned { cell } => format!("cell {cell} provisioning"),
            Ev::ReconcileReplaced { tenant: t } => format!("re-placement of tenant {}", tenant(t)),
            Ev::RebalanceDue => "control plane rebalancer".to_string(),
            Ev::AutoscaleDue => "control plane autoscaler".to_string(),
            Ev::AutoscaleWorkersReady { cell } => format!("cell {cell} new workers"),
            Ev::DependencyAnswered { att, dep, .. } => attempt(
                att,
                &format!(
                    "dependency {}",
                    sc.dependencies
                        .get(dep as usize)
                        .map_or("?", |d| d.name.as_str())
                ),
            ),
            Ev::DbWoke { .. }
            | Ev::ReplicaWoke { .. }
            | Ev::ServerDbWoke { .. }
            | Ev::WindowClosed { .. }
            | Ev::HeartbeatsDue
            | Ev::ControlOpDone { .. }
            | Ev::ConfigPollDue => raw,
        };
        (kind, named)
    }

    /// Logical requests in flight now.
    pub fn requests_in_flight(&self) -> usize {
        self.requests.len()
    }

    /// Attempts in flight now.
    pub fn attempts_in_flight(&self) -> usize {
        self.attempts.len()
    }

    /// The cell tenant `t` is on now.
    /// Makes fault `i` (scenario order) do nothing, for a counterfactual run. Call before
    /// the run starts. Returns false if there is no such fault.
    pub fn disable_fault(&mut self, i: usize) -> bool {
        match self.faults.get_mut(i) {
            Some(f) => {
                f.disabled = true;
                true
            }
            None => false,
        }
    }

    /// The cell of tenant `t` now.
    pub fn tenant_cell(&self, t: usize) -> u32 {
        self.tenant_cell[t]
    }

    /// Tenants of the requests in flight now (one entry per request), in slab order.
    pub fn in_flight_tenants(&self) -> impl Iterator<Item = u32> + '_ {
        self.requests.iter().map(|(_, r)| r.tenant)
    }

    /// A tenant's next candidate arrival came: the next one is scheduled, and this one is
    /// kept (a new request) or thinned away by the load shape.
    fn on_request_arrived(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        self.sources[t as usize].timer = None;
        self.schedule_arrival(t, q);
        let src = &mut self.sources[t as usize];
        let shape = &self.shapes[src.shape as usize];
        if !shape.is_flat() {
            // Thinning: keep the candidate with probability shape(t) / max.
            let keep = shape.at(now) / shape.max();
            if src.rng.next_f64() >= keep {
                return;
            }
        }
        self.new_request(now, t, NO_USER, q);
    }

    fn new_request(&mut self, now: SimTime, tenant: u32, user: u32, q: &mut EventQueue<Ev>) {
        let src = &mut self.sources[tenant as usize];
        let mix = &self.mixes[src.mix as usize];
        let class = if mix.len() == 1 {
            0
        } else {
            let u = src.rng.next_f64() * mix[mix.len() - 1];
            mix.partition_point(|&c| c <= u).min(mix.len() - 1) as u16
        };
        let seed = src.rng.next_u64();
        if let Some(Some(b)) = src.budgets.get_mut(class as usize) {
            b.record_first_attempt(now);
        }
        let req = self.requests.insert(Request {
            tenant,
            class,
            user,
            sent: now,
            attempts: 0,
            seed,
            client: SplitMix(seed ^ CLIENT_SALT),
            prev_delay: SimDuration::ZERO,
            attempt: None,
            in_transit: None,
        });
        self.ledger.requests_started += 1;
        self.recorder.offered(tenant, now);
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.request_started(now, req, tenant, self.tenant_cell[tenant as usize], class);
        }
        self.send_attempt(now, req, q);
    }

    fn start_attempt(&mut self, now: SimTime, req_id: Id, q: &mut EventQueue<Ev>) {
        let Some(req) = self.requests.get_mut(req_id) else {
            return;
        };
        req.attempts = req.attempts.saturating_add(1);
        let (tenant, class, sent, seed, number) =
            (req.tenant, req.class, req.sent, req.seed, req.attempts);
        self.ledger.attempts_started += 1;
        self.recorder.attempt(tenant, sent);
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.attempt_started(now, req_id, number);
        }
        if let Some(last) = self.ctl.last_request.get_mut(tenant as usize) {
            *last = now;
        }
        // The edge refuses tenants that are not serving (being provisioned, failed,
        // destroyed) and those its config says are suspended.
        let serving = match self.ctl.state_fast(tenant) {
            Some(crate::component::lifecycle::TenantState::Dormant) => {
                self.transition(
                    now,
                    tenant,
                    crate::component::lifecycle::TenantState::Active,
                    crate::component::lifecycle::Cause::Traffic,
                );
                true
            }
            Some(st) => {
                st.serves_traffic()
                    || st == crate::component::lifecycle::TenantState::SuspensionPending
                    || st == crate::component::lifecycle::TenantState::SuspensionFailed
            }
            None => false,
        };
        if !serving || self.edge.suspended(tenant) {
            let cause = if self.edge.suspended(tenant)
                || self.ctl.state(tenant)
                    == Some(crate::component::lifecycle::TenantState::Suspended)
            {
                Cause::TenantSuspended
            } else {
                Cause::NotActive
            };
            self.ledger.attempts_finished += 1;
            self.client_result(now, req_id, Outcome::Failed(cause), None, q);
            return;
        }
        if let edge::Admission::Reject { cause, retry_after } = self.edge.admit(now, tenant) {
            self.ledger.attempts_finished += 1;
            self.client_result(now, req_id, cause.outcome(), retry_after, q);
            return;
        }
        let cell = u32::MAX; // decided by the edge's route below
        let c = &self.classes[class as usize];
        let mut costs = SplitMix(seed);
        let service_ns = c.service.sample(&mut costs).max(0.0) as u64;
        let cache_hit = c.cache_hit > 0.0 && costs.next_f64() < c.cache_hit;
        let queries = libm::round(c.db_queries.sample(&mut costs).max(0.0)) as u32;
        let bytes = c.bytes.sample(&mut costs).max(0.0) as u64;
        let timeout = c.timeout;
        let att = self.attempts.insert(Attempt {
            req: req_id,
            tenant,
            class,
            cell,
            local: u32::MAX, // set when the edge delivers it to a cell
            sent,
            enqueued: now,
            service_ns,
            queries_left: if cache_hit { 0 } else { queries },
            costs,
            chance: SplitMix(sim::digest::mix64(
                seed ^ (number as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            )),
            db_ns: 0,
            bytes,
            abandoned: false,
            probe: false,
            pending_error: false,
            at_cell: false,
            calls_done: 0,
            pool: 0,
            gated: false,
            governed: false,
            pooled: false,
            cell_epoch: 0,
        });
        if let Some(r) = self.requests.get_mut(req_id) {
            r.attempt = Some(att);
        }
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.attempt_admitted(req_id, att);
        }
        let tq = &mut self.timeouts[class as usize];
        let deadline = now.after(timeout);
        debug_assert!(
            tq.fifo.back().is_none_or(|b| b.0 <= deadline),
            "timeouts of a class expire in order"
        );
        tq.fifo.push_back((deadline, req_id, number));
        if tq.pending.is_none() {
            tq.pending = Some(deadline);
            q.schedule_at(deadline, Ev::TimeoutsDue { class });
        }
        match self.route_for(now, tenant, q) {
            control::RouteDecision::Cell(c) => self.deliver_to_cell(now, att, c, q),
            control::RouteDecision::Park => {
                if let Some(tr) = self.tracer.as_deref_mut() {
                    tr.route_parked(att);
                }
                self.ctl.parked[tenant as usize].push(att)
            }
        }
    }

    /// The edge sends an attempt to `cell`.
    pub(super) fn deliver_to_cell(
        &mut self,
        now: SimTime,
        att: Id,
        cell: u32,
        q: &mut EventQueue<Ev>,
    ) {
        let Some(a) = self.attempts.get_mut(att) else {
            return;
        };
        a.cell = cell;
        a.enqueued = now;
        let (t, service_ns, class) = (a.tenant, a.service_ns, a.class);
        // A cell knows the tenants it serves by a cell-local lane, added when a tenant is
        // first delivered there (placed at the start, provisioned, or migrated in).
        let local = match self.lanes.get(t, cell) {
            Some(l) => l,
            None => {
                let l = self.cells[cell as usize].add_lane(self.tenant_lane[t as usize]);
                self.lanes.set(t, cell, l);
                l
            }
        };
        if let Some(a) = self.attempts.get_mut(att) {
            a.local = local;
        }
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.delivered(att, cell);
        }
        match self.cells[cell as usize].edge_cut.call() {
            Call::Reject => {
                self.end_attempt(now, att, Outcome::Failed(Cause::Unreachable), false, q);
                return;
            }
            Call::Hang => {
                // The call hangs: the edge gives up at the client's timeout.
                if let Some(tr) = self.tracer.as_deref_mut() {
                    tr.phase(now, att, "edge_to_cell");
                }
                let timeout = self.classes[class as usize].timeout;
                q.schedule_in(timeout, Ev::AttemptLost { att });
                return;
            }
            Call::Hold => {
                if let Some(tr) = self.tracer.as_deref_mut() {
                    tr.phase(now, att, "edge_to_cell");
                }
                self.hold_call(PartitionKind::EdgeCell, cell, att.word(), 0);
                return;
            }
            Call::Reach => {}
        }
        if self.net.edge_cell.is_on() {
            let leg = self.net.edge_cell.one_way();
            q.schedule_in(leg, Ev::AttemptReachedCell { att });
            return;
        }
        self.arrive_at_cell(now, att, (cell, t, service_ns, class, local), q)
    }

    /// An attempt reaches its cell (across the edge → cell link): a cell that is down
    /// fails it, one that does not own the tenant refuses it, else it joins the queue.
    /// `(cell, tenant, service_ns, class, local lane)` are the attempt's.
    #[inline]
    fn arrive_at_cell(
        &mut self,
        now: SimTime,
        att: Id,
        (cell, t, service_ns, class, local): (u32, u32, u64, u16, u32),
        q: &mut EventQueue<Ev>,
    ) {
        if self.ctl.down[cell as usize] {
            self.end_attempt(now, att, Outcome::Failed(Cause::CellDown), false, q);
            return;
        }
        let writes = self.classes[class as usize].writes;
        if !self.cell_owns(cell, t, writes) {
            self.invalidate_route(now, t);
            self.end_attempt(now, att, Outcome::Failed(Cause::WrongCell), false, q);
            return;
        }
        // A tenant evacuated onto this cell is served cold for a while (evacuate.rs).
        let service_ns = if self.ctl.evac.is_some() {
            self.cold_service(now, att, service_ns)
        } else {
            service_ns
        };
        // Cells restarted by a deploy rollout serve cold for a while (rollout_deploy.rs).
        let service_ns = if self.rollout_cold.is_empty() {
            service_ns
        } else {
            self.deploy_cold_service(now, att, cell, service_ns)
        };
        // A feature flag a config rollout turned on costs CPU (rollout_config.rs).
        let service_ns = match self.rollouts.as_deref() {
            Some(r) if r.cpu_on => self.flag_service(att, t, service_ns),
            _ => service_ns,
        };
        if self.bulk.on {
            let pool = self.bulk.pool_of(class);
            if pool != 0 {
                self.enqueue_in_pool(now, att, (cell, t, service_ns, pool), q);
                return;
            }
        }
        // Always through the queue, even when a worker is free: the scheduler decides and
        // keeps the per-tenant in-service counts its caps need.
        match self.cells[cell as usize].enqueue(now, local, service_ns, att) {
            cell::Enqueue::Queued => {
                if let Some(tr) = self.tracer.as_deref_mut() {
                    tr.phase(now, att, "queue");
                }
                self.pull_from_queue(now, cell, q)
            }
            cell::Enqueue::Shed(att) => {
                self.end_attempt(now, att, Outcome::Failed(Cause::QueueFull), false, q)
            }
        }
    }

    /// Starts queued attempts on free workers of `cell`, shedding those that waited too long.
    fn pull_from_queue(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        self.pull_from_queue_inner(now, cell, q);
        if self.tracer.is_some() {
            self.trace_cell(now, cell);
        }
    }

    fn pull_from_queue_inner(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        if self.ctl.down[cell as usize] {
            // A dead cell starts nothing (`cell_down`).
            return self.fail_queued_on_down_cell(now, cell, q);
        }
        loop {
            match self.cells[cell as usize].next_for_worker(now) {
                cell::Next::Idle => return,
                cell::Next::Expired(att) => {
                    self.end_attempt(now, att, Outcome::Failed(Cause::QueueTimeout), false, q)
                }
                cell::Next::Start(att) => self.start_service(now, att, q),
            }
        }
    }

    fn start_service(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        let Some(a) = self.attempts.get(att) else {
            return;
        };
        let (tenant, sent, wait, service_ns) =
            (a.tenant, a.sent, now.since(a.enqueued), a.service_ns);
        let cell_of_att = a.cell;
        let needs_key = self.classes[a.class as usize].kms;
        if a.pool == 0 {
            self.cells[a.cell as usize].start_worker();
        } else {
            let (cell, pool) = (a.cell, a.pool);
            self.pool_start_worker(cell, pool);
        }
        self.recorder.queue_wait(tenant, sent, wait);
        self.recorder.cell_queue_wait(cell_of_att, wait);
        self.recorder.meter(tenant, service_ns, 0, 0);
        self.stamp_service_start(att);
        if needs_key && !self.kms_key_ready(now, att, q) {
            return; // resumes on KmsAnswered
        }
        self.begin_cpu(now, att, q);
    }

    /// The worker starts the attempt's CPU work.
    pub(super) fn begin_cpu(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.phase(now, att, "service");
        }
        if let Some(a) = self.attempts.get(att) {
            q.schedule_in(SimDuration(a.service_ns), Ev::ServiceFinished { att });
        }
    }

    /// The attempt's next step after CPU work or a query: another query, or the answer.
    fn next_query(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        let Some(a) = self.attempts.get_mut(att) else {
            return;
        };
        if a.queries_left == 0 {
            self.end_attempt(now, att, Outcome::Ok, true, q);
            return;
        }
        let cell = a.cell as usize;
        if let Some(b) = self.cells[cell].breaker.as_mut() {
            match b.admit(now, a.tenant) {
                Admit::Rejected => {
                    self.end_attempt(now, att, Outcome::Failed(Cause::BreakerOpen), true, q);
                    return;
                }
                Admit::Probe => a.probe = true,
                Admit::Allowed => a.probe = false,
            }
        }
        a.queries_left -= 1;
        let mut work = self.classes[a.class as usize]
            .db_time
            .sample(&mut a.costs)
            .max(0.0) as u64;
        if let Some(r) = self.rollouts.as_deref() {
            if r.factors_on {
                work = (work as f64 * r.query_factor[a.tenant as usize]) as u64;
            }
        }
        a.db_ns += work;
        let (t, writes) = (a.tenant, self.classes[a.class as usize].writes);
        if self.bulk.on {
            let class = a.class;
            self.bulk_query(now, att, (cell, work, t, writes, class), q);
            return;
        }
        self.call_db(now, att, (cell, work, t, writes), q)
    }

    /// An attempt's query of `work` ns crosses the cell → DB link (`(cell, work, tenant,
    /// writes)`): submitted, failed, hung or held by a partition.
    #[inline]
    fn call_db(
        &mut self,
        now: SimTime,
        att: Id,
        (cell, work, t, writes): (usize, u64, u32, bool),
        q: &mut EventQueue<Ev>,
    ) {
        match self.cells[cell].db_cut.call() {
            Call::Reject => {
                self.query_done(now, att, Err(Cause::Unreachable), q);
                return;
            }
            Call::Hang => {
                if let Some(tr) = self.tracer.as_deref_mut() {
                    tr.phase(now, att, "db_call");
                }
                q.schedule_in(self.db_partition_timeout, Ev::DbCallFailed { att });
                return;
            }
            Call::Hold => {
                if let Some(tr) = self.tracer.as_deref_mut() {
                    tr.phase(now, att, "db_call");
                }
                self.hold_call(PartitionKind::CellDb, cell as u32, att.word(), work);
                return;
            }
            Call::Reach => {}
        }
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.phase(now, att, "db_wait");
        }
        let timeout = self.gov.timeout_of(t);
        self.cells[cell]
            .db
            .submit_timed(now, DbToken::Attempt(att).word(), work, timeout);
        self.reschedule_db(now, cell as u32, q);
        // During a migration's backfill, writes are also applied at the new cell's DB.
        if writes {
            if let Some(control::MigrationPhase::Migrating { from, to }) =
                self.ctl.migration[t as usize]
            {
                if from as usize == cell {
                    self.cells[to as usize]
                        .db
                        .submit(now, DbToken::Replica(att).word(), work);
                    self.reschedule_db(now, to, q);
                    self.count_dual_write(att);
                }
            }
        }
    }

    /// Keeps exactly one pending wake-up event per DB, at its next completion or deadline.
    fn reschedule_db(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        let c = &mut self.cells[cell as usize];
        let wake = c.db.next_wake(now);
        match (c.db_timer, wake) {
            // A pending wake-up at or before the next one is kept: when it fires, the DB is
            // polled and the timer set again. This saves a cancel + schedule (and a
            // tombstone) for every query that does not move the earliest completion.
            (Some((_, at)), Some(w)) if at <= w => {}
            (old, w) => {
                if let Some((k, _)) = old {
                    q.cancel(k);
                }
                c.db_timer =
                    w.map(|w| (q.schedule_cancellable(w.since(now), Ev::DbWoke { cell }), w));
            }
        }
        if self.tracer.is_some() {
            self.trace_cell(now, cell);
        }
    }

    /// A job's or a replicated write's query ended: free its connection (it held one unless
    /// it timed out waiting for one) and hand a job its result. Attempts end in `on_db_woke`.
    fn background_query_done(
        &mut self,
        now: SimTime,
        cell: u32,
        token: DbToken,
        end: QueryEnd,
        q: &mut EventQueue<Ev>,
    ) {
        if end != QueryEnd::AcquireTimeout {
            self.cells[cell as usize].db.release(now);
        }
        match token {
            DbToken::Job(job) => self.job_db_done(now, job, end == QueryEnd::Done, q),
            DbToken::Remote(att) => self.cell_call_done(now, cell, att, end, q),
            DbToken::Replica(_) | DbToken::Attempt(_) => {}
        }
    }

    fn on_db_woke(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        self.cells[cell as usize].db_timer = None;
        let mut ended = std::mem::take(&mut self.poll_buf);
        ended.clear();
        self.cells[cell as usize].db.poll(now, &mut ended);
        for &(tok, end, started, waited) in &ended {
            let att = match DbToken::from_word(tok) {
                DbToken::Attempt(att) => att,
                background => {
                    self.background_query_done(now, cell, background, end, q);
                    continue;
                }
            };
            if let Some(a) = self.attempts.get(att) {
                self.recorder.db_wait(a.tenant, cell, waited);
            }
            if end != QueryEnd::AcquireTimeout {
                if let Some(tr) = self.tracer.as_deref_mut() {
                    tr.db_started(att, started);
                }
            }
            match end {
                QueryEnd::Done => {
                    let c = &self.cells[cell as usize];
                    let latency = c.latency.clone();
                    let Some(a) = self.attempts.get_mut(att) else {
                        continue;
                    };
                    let frac = c
                        .errors
                        .iter()
                        .filter(|(t, _)| t.is_none_or(|t| t == a.tenant))
                        .map(|(_, f)| *f)
                        .fold(0.0, f64::max);
                    let failed = frac > 0.0 && a.chance.next_f64() < frac;
                    // The answer's round trip on the cell ↔ DB link, spent holding the
                    // connection (none, and no draw, without `[network] cell_db`).
                    let wire = self
                        .net
                        .cell_db
                        .is_on()
                        .then(|| self.net.cell_db.round_trip());
                    match (latency, wire) {
                        (None, Some(wire)) => {
                            a.pending_error = failed;
                            q.schedule_in(wire, Ev::DbLatencyElapsed { att });
                            if let Some(tr) = self.tracer.as_deref_mut() {
                                tr.phase(now, att, "db_network");
                            }
                        }
                        (Some(d), wire) => {
                            a.pending_error = failed;
                            let extra = SimDuration::from_nanos_f64(d.sample(&mut a.chance))
                                .saturating_add(wire.unwrap_or(SimDuration::ZERO));
                            q.schedule_in(extra, Ev::DbLatencyElapsed { att });
                            if let Some(tr) = self.tracer.as_deref_mut() {
                                tr.phase(now, att, "db_latency");
                            }
                        }
                        (None, None) => {
                            self.cells[cell as usize].db.release(now);
                            let r = if failed {
                                Err(Cause::DependencyError)
                            } else {
                                Ok(())
                            };
                            self.query_done(now, att, r, q);
                        }
                    }
                }
                QueryEnd::StatementTimeout => {
                    self.cells[cell as usize].db.release(now);
                    self.query_done(now, att, Err(Cause::DbTimeout), q);
                }
                QueryEnd::AcquireTimeout => self.query_done(now, att, Err(Cause::DbPoolTimeout), q),
            }
        }
        self.poll_buf = ended;
        self.reschedule_db(now, cell, q);
    }

    fn on_db_latency_elapsed(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        let Some(a) = self.attempts.get(att) else {
            return;
        };
        let (cell, failed) = (a.cell, a.pending_error);
        self.cells[cell as usize].db.release(now);
        self.reschedule_db(now, cell, q);
        let r = if failed {
            Err(Cause::DependencyError)
        } else {
            Ok(())
        };
        self.query_done(now, att, r, q);
    }

    fn query_done(
        &mut self,
        now: SimTime,
        att: Id,
        result: Result<(), Cause>,
        q: &mut EventQueue<Ev>,
    ) {
        if self.bulk.on {
            self.bulk_query_ended(now, att, q);
        }
        if self.cell_died_under(att) {
            return self.end_attempt(now, att, Outcome::Failed(Cause::CellDown), true, q);
        }
        let Some(a) = self.attempts.get(att) else {
            return;
        };
        let (cell, local, probe) = (a.cell as usize, a.tenant, a.probe);
        if let Some(b) = self.cells[cell].breaker.as_mut() {
            b.record(now, local, result.is_ok(), probe);
        }
        match result {
            Ok(()) => self.next_query(now, att, q),
            Err(cause) => self.end_attempt(now, att, Outcome::Failed(cause), true, q),
        }
    }

    /// An attempt ends at the platform. `served`: it held a worker (which is now freed).
    fn end_attempt(
        &mut self,
        now: SimTime,
        att: Id,
        outcome: Outcome,
        served: bool,
        q: &mut EventQueue<Ev>,
    ) {
        let Some(a) = self.attempts.remove(att) else {
            return;
        };
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.attempt_ended(now, att, outcome);
        }
        self.edge.release(a.tenant);
        self.ledger.attempts_finished += 1;
        let bytes = if outcome == Outcome::Ok { a.bytes } else { 0 };
        self.recorder.meter(a.tenant, 0, a.db_ns, bytes);
        if a.gated || a.governed {
            self.bulk_attempt_ended(now, (a.cell, a.class, a.tenant, a.gated, a.governed), q);
        }
        if a.pooled {
            self.tenant_pool_freed(now, a.tenant, q);
        }
        if served && self.cell_down.begun && outcome == Outcome::Ok {
            self.check_served_alive(now, a.tenant, a.cell, a.enqueued);
        }
        if served {
            if a.pool == 0 {
                self.cells[a.cell as usize].finish(a.local);
            } else {
                self.pool_finish(a.cell, a.pool, a.local);
            }
        }
        if outcome == Outcome::Ok && !a.abandoned {
            if let Some(j) = self.classes[a.class as usize].submits_job {
                self.submit_job(now, a.tenant, j, q);
            }
        }
        if a.abandoned {
            if served {
                self.ledger.attempts_wasted += 1;
            }
        } else {
            debug_assert!(self
                .requests
                .get(a.req)
                .is_some_and(|r| r.attempt == Some(att)));
            if a.at_cell && self.net.edge_cell.is_on() {
                let leg = self.net.edge_cell.one_way();
                self.answer_in_transit(now, a.req, outcome, None, leg, q);
            } else {
                self.client_result(now, a.req, outcome, None, q);
            }
        }
        if served {
            if a.pool == 0 {
                self.pull_from_queue(now, a.cell, q);
            } else {
                self.pull_from_pool(now, a.cell, a.pool, q);
            }
        }
    }

    /// Expires every due timeout of `class` whose attempt is still outstanding, then keeps
    /// one event pending for the next live deadline (stale entries are dropped on the way).
    fn on_timeouts_due(&mut self, now: SimTime, class: u16, q: &mut EventQueue<Ev>) {
        self.timeouts[class as usize].pending = None;
        loop {
            let Some(&(deadline, req, number)) = self.timeouts[class as usize].fifo.front() else {
                return;
            };
            let live = self
                .requests
                .get(req)
                .is_some_and(|r| r.attempts == number && r.attempt.is_some());
            if !live {
                self.timeouts[class as usize].fifo.pop_front();
                continue;
            }
            if deadline > now {
                self.timeouts[class as usize].pending = Some(deadline);
                q.schedule_at(deadline, Ev::TimeoutsDue { class });
                return;
            }
            self.timeouts[class as usize].fifo.pop_front();
            if let Some(r) = self.requests.get_mut(req) {
                if let Some(att) = r.attempt.take() {
                    if let Some(a) = self.attempts.get_mut(att) {
                        a.abandoned = true;
                    }
                }
            }
            // The client's own clock: nothing crosses the network.
            self.client_learns(now, req, Outcome::TimedOut, None, q);
        }
    }

    /// The edge answers the client: at once, or across the edge → client link.
    #[inline]
    fn client_result(
        &mut self,
        now: SimTime,
        req_id: Id,
        outcome: Outcome,
        retry_after: Option<SimDuration>,
        q: &mut EventQueue<Ev>,
    ) {
        if self.net.client_edge_on() {
            return self.answer_in_transit(now, req_id, outcome, retry_after, SimDuration::ZERO, q);
        }
        self.client_learns(now, req_id, outcome, retry_after, q)
    }

    /// The client learns how its attempt ended: finish the request, or retry it.
    fn client_learns(
        &mut self,
        now: SimTime,
        req_id: Id,
        outcome: Outcome,
        retry_after: Option<SimDuration>,
        q: &mut EventQueue<Ev>,
    ) {
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.attempt_result(now, req_id, outcome, retry_after);
        }
        let Some(r) = self.requests.get_mut(req_id) else {
            return;
        };
        r.attempt = None;
        r.in_transit = None;
        if outcome != Outcome::Ok {
            let spec = &self.classes[r.class as usize].retry;
            if spec.retry_on.covers(outcome) && spec.policy != RetryPolicy::None {
                let next = r.attempts as u32 + 1;
                if let Some(delay) =
                    spec.policy
                        .delay_before_attempt(next, r.prev_delay, &mut r.client)
                {
                    let allowed = match self.sources[r.tenant as usize]
                        .budgets
                        .get_mut(r.class as usize)
                    {
                        Some(Some(b)) => b.try_spend_retry(now),
                        _ => true,
                    };
                    if allowed {
                        let wait = if spec.honour_retry_after {
                            crate::component::retry::combine_with_retry_after(delay, retry_after)
                        } else {
                            delay
                        };
                        r.prev_delay = delay;
                        self.ledger.retries += 1;
                        q.schedule_in(wait, Ev::RetryDue { req: req_id });
                        if let Some(tr) = self.tracer.as_deref_mut() {
                            tr.retry_scheduled(now, req_id);
                        }
                        return;
                    }
                    self.ledger.retries_denied_by_budget += 1;
                }
            }
        }
        self.finish_request(now, req_id, outcome, q);
    }

    fn finish_request(&mut self, now: SimTime, req: Id, outcome: Outcome, q: &mut EventQueue<Ev>) {
        let Some(mut r) = self.requests.remove(req) else {
            return;
        };
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.request_finished(now, req);
        }
        self.ledger.requests_finished += 1;
        self.recorder
            .finished(r.tenant, r.sent, now, outcome, r.attempts);
        if let Some(ro) = self.rollouts.as_deref_mut() {
            let cell = self.tenant_cell[r.tenant as usize];
            ro.observe(
                r.tenant,
                cell,
                now.since(r.sent).as_nanos(),
                outcome,
                r.attempts,
            );
        }
        if r.user != NO_USER {
            let think = self.sources[r.tenant as usize]
                .think
                .as_ref()
                .map(|d| d.sample(&mut r.client))
                .unwrap_or(0.0);
            let at = now.after(SimDuration::from_nanos_f64(think));
            if at < self.end {
                q.schedule_at(
                    at,
                    Ev::UserReady {
                        tenant: r.tenant,
                        user: r.user,
                    },
                );
            }
        }
    }
}

impl Platform {
    /// Samples every cell at the end of a recording window and schedules the next.
    fn on_window_closed(&mut self, now: SimTime, window: u32, q: &mut EventQueue<Ev>) {
        for (ci, c) in self.cells.iter_mut().enumerate() {
            c.db.set_capacity(now, c.db.capacity()); // brings the DB's accounting up to now
            let busy = c.db.busy_core_ns();
            let used = busy - c.db_busy_at_window_start;
            c.db_busy_at_window_start = busy;
            let breaker_open = c.breaker.as_ref().is_some_and(|b| {
                (0..c.queue.tenant_count())
                    .any(|t| b.state(t) == crate::component::breaker::BreakerState::Open)
            });
            let db_utilisation =
                (used / (c.db.cores() * self.window.as_nanos() as f64)).clamp(0.0, 1.0);
            self.recorder.cell_sample(
                ci,
                crate::record::CellSample {
                    queue_depth: c.queue.len() as u32,
                    workers_busy: c.busy,
                    workers: c.workers,
                    db_utilisation,
                    db_waiting: c.db.waiting() as u32,
                    breaker_open,
                },
            );
            if let Some(tr) = self.tracer.as_deref_mut() {
                if tr.counts_cell(now, ci as u32) {
                    let mut s = counter_sample(ci as u32, c);
                    s.db_utilisation = Some(db_utilisation);
                    tr.window_sample(now, s);
                }
            }
        }
        let next = now.after(self.window);
        if next <= self.end {
            q.schedule_at(next, Ev::WindowClosed { window: window + 1 });
        }
    }
}

/// A cell's state for the tracer's counters.
fn counter_sample(cell: u32, c: &cell::Cell) -> reports::trace::CounterSample {
    reports::trace::CounterSample {
        at_ns: 0,
        cell,
        queue_depth: c.queue.len() as u32,
        workers_busy: c.busy,
        workers: c.workers,
        db_connections_held: c.db.held(),
        db_waiting: c.db.waiting() as u32,
        db_utilisation: None,
    }
}

impl Platform {
    /// Gives the tracer `cell`'s state after a change (if it counts that cell).
    #[cold]
    #[inline(never)]
    fn trace_cell(&mut self, now: SimTime, cell: u32) {
        if let Some(tr) = self.tracer.as_deref_mut() {
            if tr.counts_cell(now, cell) {
                tr.cell_state(now, counter_sample(cell, &self.cells[cell as usize]));
            }
        }
    }

    /// Hands the breakers' state changes to the tracer (each carries its own instant). Only
    /// called when tracing: the logs are observability only, no decision reads them.
    #[cold]
    #[inline(never)]
    fn trace_breakers(&mut self, now: SimTime) {
        let Some(tr) = self.tracer.as_deref_mut() else {
            return;
        };
        for (ci, c) in self.cells.iter_mut().enumerate() {
            if let Some(b) = c.breaker.as_mut() {
                while let Some(t) = b.take_transition() {
                    tr.breaker(now, "db", ci as u32, t, &self.tenant_cell);
                }
            }
        }
        for (ci, b) in self.kms.breakers.iter_mut().enumerate() {
            if let Some(b) = b.as_mut() {
                while let Some(t) = b.take_transition() {
                    tr.breaker(now, "kms", ci as u32, t, &self.tenant_cell);
                }
            }
        }
    }

    /// Moves tenant `t` to lifecycle state `to` (see `ControlRt::transition`) and traces it.
    pub(super) fn transition(
        &mut self,
        now: SimTime,
        t: u32,
        to: crate::component::lifecycle::TenantState,
        cause: crate::component::lifecycle::Cause,
    ) {
        let from = self.ctl.state(t);
        self.ctl.transition(now, t, to, cause);
        if from != Some(to) {
            self.trace_tenant(now, t, "lifecycle", || {
                vec![
                    (
                        "from",
                        from.map_or(serde_json::Value::Null, |f| f.name().into()),
                    ),
                    ("to", to.name().into()),
                    ("cause", cause.name().into()),
                ]
            });
        }
    }

    /// Records a control-plane event of tenant `t` if the tracer wants it (`args` is only
    /// built then).
    pub(super) fn trace_tenant(
        &mut self,
        now: SimTime,
        t: u32,
        kind: &'static str,
        args: impl FnOnce() -> Vec<(&'static str, serde_json::Value)>,
    ) {
        if let Some(tr) = self.tracer.as_deref_mut() {
            if tr.wants_tenant(now, t, self.tenant_cell[t as usize]) {
                tr.tenant_event(now, t, kind, args());
            }
        }
    }
}

impl sim::Model for Platform {
    type Event = Ev;
    // Always inlined into the engine's loop (a dispatch on the event kind), also when the loop
    // is instantiated for more than one observer (the determinism check's).
    #[inline(always)]
    fn handle(&mut self, now: SimTime, ev: Ev, q: &mut EventQueue<Ev>) {
        self.dispatch(now, ev, q);
        if self.tracer.is_some() {
            self.trace_breakers(now);
        }
    }
    /// Requests, attempts and jobs in flight: every in-run queue holds only these.
    #[inline(always)]
    fn backlog(&self) -> u64 {
        (self.requests.len() + self.attempts.len() + self.jobs.in_flight()) as u64
    }
}

/// Handlers named after their events, for the events whose work is a step shared with
/// other paths (a new request, an attempt, the next query, the end of an attempt).
impl Platform {
    #[inline]
    fn on_user_ready(&mut self, now: SimTime, tenant: u32, user: u32, q: &mut EventQueue<Ev>) {
        self.new_request(now, tenant, user, q)
    }

    #[inline]
    fn on_retry_due(&mut self, now: SimTime, req: Id, q: &mut EventQueue<Ev>) {
        self.send_attempt(now, req, q)
    }

    #[inline]
    fn on_service_finished(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        if self.cell_died_under(att) {
            return self.end_attempt(now, att, Outcome::Failed(Cause::CellDown), true, q);
        }
        if self.deps.any() || self.cell_calls.on {
            self.next_call(now, att, q)
        } else {
            self.next_query(now, att, q)
        }
    }

    #[inline]
    fn on_fault_started(&mut self, now: SimTime, fault: u32, q: &mut EventQueue<Ev>) {
        self.on_fault(now, fault, true, q)
    }

    #[inline]
    fn on_fault_ended(&mut self, now: SimTime, fault: u32, q: &mut EventQueue<Ev>) {
        self.on_fault(now, fault, false, q)
    }

    /// A DB call across a cut link gave up: the query failed as unreachable.
    #[inline]
    fn on_db_call_failed(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        self.query_done(now, att, Err(Cause::Unreachable), q)
    }

    /// The edge gave up on an attempt (its timeout passed first).
    #[inline]
    fn on_attempt_lost(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        self.end_attempt(now, att, Outcome::TimedOut, false, q)
    }
}

impl Platform {
    #[inline]
    fn dispatch(&mut self, now: SimTime, ev: Ev, q: &mut EventQueue<Ev>) {
        match ev {
            Ev::RequestArrived { tenant } => self.on_request_arrived(now, tenant, q),
            Ev::UserReady { tenant, user } => self.on_user_ready(now, tenant, user, q),
            Ev::RetryDue { req } => self.on_retry_due(now, req, q),
            Ev::TimeoutsDue { class } => self.on_timeouts_due(now, class, q),
            Ev::ServiceFinished { att } => self.on_service_finished(now, att, q),
            Ev::DbWoke { cell } => self.on_db_woke(now, cell, q),
            Ev::DbLatencyElapsed { att } => self.on_db_latency_elapsed(now, att, q),
            Ev::FaultStarted { fault } => self.on_fault_started(now, fault, q),
            Ev::FaultEnded { fault } => self.on_fault_ended(now, fault, q),
            Ev::WindowClosed { window } => self.on_window_closed(now, window, q),
            Ev::HeartbeatsDue => self.on_heartbeats_due(now, q),
            Ev::RouteRefreshed { tenant, ok } => self.on_route_refreshed(now, tenant, ok, q),
            Ev::ControlOpDone { op } => self.on_control_op_done(now, op, q),
            Ev::ProvisionRequested { first, count } => {
                self.on_provision_requested(now, first, count, q)
            }
            Ev::TenantCreated { tenant } => self.on_tenant_created(now, tenant, q),
            Ev::ConfigPushed { tenant, version } => self.on_config_pushed(now, tenant, version),
            Ev::ConfigPollDue => self.on_config_poll_due(now, q),
            Ev::MigrationBackfilled { tenant } => self.on_migration_backfilled(now, tenant, q),
            Ev::RoutePushed { tenant } => self.on_route_pushed(now, tenant),
            Ev::MigrationFinalised { tenant } => self.on_migration_finalised(now, tenant),
            Ev::KmsAnswered { att, answer } => self.on_kms_answered(now, att, answer, q),
            Ev::DbCallFailed { att } => self.on_db_call_failed(now, att, q),
            Ev::AttemptLost { att } => self.on_attempt_lost(now, att, q),
            Ev::JobStored { job, ok } => self.on_job_stored(now, job, ok, q),
            Ev::JobRetryDue { job } => self.on_job_retry_due(now, job, q),
            Ev::JobArrived { tenant } => self.on_job_arrived(now, tenant, q),
            Ev::EvacuationDue { cell } => self.on_evacuation_due(now, cell, q),
            Ev::EvacuationMoved { tenant } => self.on_evacuation_moved(now, tenant, q),
            Ev::Rollout { rollout, step } => self.on_rollout(now, rollout, step, q),
            Ev::AttemptReachedEdge { req } => self.on_attempt_reached_edge(now, req, q),
            Ev::AttemptReachedCell { att } => self.on_attempt_reached_cell(now, att, q),
            Ev::AnswerReachedClient { req, attempt } => {
                self.on_answer_reached_client(now, req, attempt, q)
            }
            Ev::ReconcileDue => self.on_reconcile_due(now, q),
            Ev::MoveVerified { tenant, ok } => self.on_move_verified(now, tenant, ok, q),
            Ev::RebalanceDue => self.on_rebalance_due(now, q),
            Ev::AutoscaleDue => self.on_autoscale_due(now, q),
            Ev::AutoscaleWorkersReady { cell } => self.on_autoscale_workers_ready(now, cell, q),
            Ev::DependencyAnswered { dep, att, ok } => {
                self.on_dependency_answered(now, dep, att, ok, q)
            }
            Ev::ReplicaWoke { cell } => self.on_replica_woke(now, cell, q),
            Ev::ConditionPolled { fault } => self.on_condition_polled(now, fault, q),
            Ev::TenantPurgeDue { tenant } => self.on_tenant_purge_due(now, tenant, q),
            Ev::TenantRestored { tenant } => self.on_tenant_restored(now, tenant, q),
            Ev::ScaleOutDue => self.on_scale_out_due(now, q),
            Ev::CellProvisioned { cell } => self.on_cell_provisioned(now, cell),
            Ev::ServerDbWoke { cell, server } => self.on_server_db_woke(now, cell, server, q),
            Ev::DbBudgetRenewed { tenant } => self.on_db_budget_renewed(now, tenant, q),
            Ev::ReconcileReplaced { tenant } => self.on_reconcile_replaced(now, tenant, q),
        }
    }
}

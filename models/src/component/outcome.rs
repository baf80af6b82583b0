//! How a request ends: outcomes are data, never `Err`.
//!
//! Every logical request ends in exactly one [`Outcome`] (or is still in flight when the run
//! ends). Failures carry a [`Cause`] so that a report can say *why* a tenant failed, e.g.
//! `queue_full` rather than a generic 503.

/// Why a request was shed (503) or failed (5xx).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Cause {
    /// The cell's queue was at its length limit.
    QueueFull,
    /// The request waited in the cell queue longer than the queue timeout.
    QueueTimeout,
    /// Global admission control at the edge (max in flight).
    Admission,
    /// A circuit breaker was open.
    BreakerOpen,
    /// The edge had no route for the tenant.
    NoRoute,
    /// A DB query hit the statement timeout.
    DbTimeout,
    /// Waiting for a DB connection took longer than the acquire timeout.
    DbPoolTimeout,
    /// A dependency returned an error.
    DependencyError,
    /// The tenant is not active (being provisioned, failed, destroyed).
    NotActive,
    /// The tenant is suspended.
    TenantSuspended,
    /// The cell no longer owns the tenant (a misrouted request after a migration).
    WrongCell,
    /// The cell is down.
    CellDown,
    /// The tenant's KMS key is disabled.
    KmsKeyDisabled,
    /// The KMS could not be reached or did not answer.
    KmsUnavailable,
    /// A partition cut the call.
    Unreachable,
    /// The tenant's own quota at a shared dependency (per second or per period) is spent.
    QuotaExceeded,
    /// A shared dependency's waiting line was full.
    DependencyBusy,
    /// A shared dependency did not answer within its timeout.
    DependencyTimeout,
    /// A read served by a replica lagging more than its staleness bound.
    StaleRead,
    /// The tenant's DB concurrency limit or statements/s budget refused the query.
    DbThrottled,
}

/// Number of causes (length of per-cause counter arrays).
pub const N_CAUSES: usize = 20;

/// All causes, in code order.
pub const CAUSES: [Cause; N_CAUSES] = [
    Cause::QueueFull,
    Cause::QueueTimeout,
    Cause::Admission,
    Cause::BreakerOpen,
    Cause::NoRoute,
    Cause::DbTimeout,
    Cause::DbPoolTimeout,
    Cause::DependencyError,
    Cause::NotActive,
    Cause::TenantSuspended,
    Cause::WrongCell,
    Cause::CellDown,
    Cause::KmsKeyDisabled,
    Cause::KmsUnavailable,
    Cause::Unreachable,
    Cause::QuotaExceeded,
    Cause::DependencyBusy,
    Cause::DependencyTimeout,
    Cause::StaleRead,
    Cause::DbThrottled,
];

impl Cause {
    /// Stable name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Cause::QueueFull => "queue_full",
            Cause::QueueTimeout => "queue_timeout",
            Cause::Admission => "admission",
            Cause::BreakerOpen => "breaker_open",
            Cause::NoRoute => "no_route",
            Cause::DbTimeout => "db_timeout",
            Cause::DbPoolTimeout => "db_pool_timeout",
            Cause::DependencyError => "dependency_error",
            Cause::NotActive => "tenant_not_active",
            Cause::TenantSuspended => "tenant_suspended",
            Cause::WrongCell => "wrong_cell",
            Cause::CellDown => "cell_down",
            Cause::KmsKeyDisabled => "kms_key_disabled",
            Cause::KmsUnavailable => "kms_unavailable",
            Cause::Unreachable => "unreachable",
            Cause::QuotaExceeded => "quota_exceeded",
            Cause::DependencyBusy => "dependency_busy",
            Cause::DependencyTimeout => "dependency_timeout",
            Cause::StaleRead => "stale_read",
            Cause::DbThrottled => "db_throttled",
        }
    }
    /// Whether the client sees this as a 503 (shed) rather than another 5xx.
    pub fn is_shed(self) -> bool {
        matches!(
            self,
            Cause::QueueFull
                | Cause::QueueTimeout
                | Cause::Admission
                | Cause::BreakerOpen
                | Cause::NoRoute
                | Cause::CellDown
                | Cause::NotActive
                | Cause::DependencyBusy
                | Cause::DbThrottled
        )
    }
}

/// How one logical request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Answered successfully.
    Ok,
    /// 429 from the tenant's own rate limit at the edge.
    Rejected,
    /// 503 or another 5xx, with its cause.
    Failed(Cause),
    /// The client gave up.
    TimedOut,
}

impl Outcome {
    /// A small code for the digest.
    pub fn code(self) -> u64 {
        match self {
            Outcome::Ok => 0,
            Outcome::Rejected => 1,
            Outcome::TimedOut => 2,
            Outcome::Failed(c) => 16 + c as u64,
        }
    }
}

//! Validated settings of the platform's shared infrastructure: control plane, edge routing
//! cache, KMS, object storage and background jobs (`FooConfig` as written → `Foo` checked).

use super::schema;
use super::{Checker, SchedulerName};
use crate::breaker::{BreakerConfig, BreakerScope};
use sim::{Dist, Quantity, SimDuration};

fn dist(text: &str, q: Quantity) -> Dist {
    Dist::parse(text, q).unwrap_or(Dist::Const(0.0))
}

/// The control plane.
#[derive(Clone, Debug)]
pub struct ControlPlane {
    /// Latency of one call (ns).
    pub latency: Dist,
    /// Placement policy name.
    pub placement: String,
    /// Heartbeat interval.
    pub heartbeat_interval: SimDuration,
    /// Missed beats before a cell is dead.
    pub heartbeat_missed: u32,
    /// Time a cell takes to create a tenant (ns).
    pub provision_time: Dist,
    /// Config push delay (ns).
    pub push_delay: Dist,
    /// Urgent push delay (ns).
    pub urgent_push_delay: Dist,
    /// Edge poll interval.
    pub poll_interval: SimDuration,
    /// Caller timeout for control-plane calls.
    pub call_timeout: SimDuration,
    /// Idle time after which a tenant becomes dormant.
    pub dormant_after: Option<SimDuration>,
}

/// The edge's routing cache.
#[derive(Clone, Debug)]
pub struct Edge {
    /// Entry lifetime.
    pub route_ttl: SimDuration,
    /// Keep using expired entries when refresh fails.
    pub serve_stale: bool,
    /// Oldest usable entry under `serve_stale`.
    pub max_staleness: SimDuration,
}

/// The KMS.
#[derive(Clone, Debug)]
pub struct Kms {
    /// Decrypt latency (ns).
    pub latency: Dist,
    /// Data key cache lifetime.
    pub data_key_ttl: SimDuration,
    /// Caller timeout.
    pub timeout: SimDuration,
    /// Breaker on KMS calls.
    pub breaker: Option<(BreakerConfig, BreakerScope)>,
}

/// Object storage.
#[derive(Clone, Debug)]
pub struct ObjectStorage {
    /// Latency per MB written (ns).
    pub latency_per_mb: Dist,
    /// Fixed latency per write (ns).
    pub latency_base: Dist,
    /// Failing fraction.
    pub errors: f64,
    /// Caller timeout.
    pub timeout: SimDuration,
}

/// A job class.
#[derive(Clone, Debug)]
pub struct JobClass {
    /// Name.
    pub name: String,
    /// DB work (ns).
    pub db_time: Dist,
    /// Bytes written.
    pub bytes: Dist,
    /// Attempts before the dead-letter queue.
    pub max_attempts: u32,
    /// Backoff base.
    pub backoff: SimDuration,
}

/// A cell's async plane.
#[derive(Clone, Debug)]
pub struct JobPlane {
    /// Job workers per cell.
    pub workers: u32,
    /// Scheduler.
    pub scheduler: SchedulerName,
    /// Per-tenant in-service cap (capped schedulers).
    pub tenant_cap: u32,
    /// Max queued jobs per cell.
    pub queue_limit: u32,
}

/// A tenant's own background jobs.
#[derive(Clone, Debug, PartialEq)]
pub struct TenantJobs {
    /// Job class index.
    pub class: usize,
    /// Arrival rate (per second).
    pub rate: f64,
    /// Jobs queued at the start.
    pub backlog: u32,
}

pub(super) fn control_plane(c: &mut Checker, r: &schema::ControlPlaneConfig) -> ControlPlane {
    let placement = match &r.placement {
        Some(p) => {
            if crate::placement::by_name(p.get_ref(), &crate::placement::PolicyParams::default())
                .is_none()
            {
                c.err(
                    p.span(),
                    format!(
                        "unknown placement policy `{}`; known: {}",
                        p.get_ref(),
                        crate::placement::POLICY_NAMES.join(", ")
                    ),
                );
            }
            p.get_ref().clone()
        }
        None => "round_robin".to_string(),
    };
    let heartbeat_interval = r
        .heartbeat_interval
        .map(|d| d.0)
        .unwrap_or(SimDuration::from_secs(1));
    if heartbeat_interval == SimDuration::ZERO {
        c.err(
            0..0,
            "control_plane.heartbeat_interval is zero; use e.g. \"1s\"",
        );
    }
    let poll_interval = r
        .poll_interval
        .map(|d| d.0)
        .unwrap_or(SimDuration::from_secs(30));
    if poll_interval == SimDuration::ZERO {
        c.err(
            0..0,
            "control_plane.poll_interval is zero; use e.g. \"30s\"",
        );
    }
    ControlPlane {
        latency: r
            .latency
            .as_ref()
            .map(|d| d.0.clone())
            .unwrap_or_else(|| dist("exp(20ms)", Quantity::Duration)),
        placement,
        heartbeat_interval,
        heartbeat_missed: c.opt_count(
            &r.heartbeat_missed,
            3,
            1,
            1000,
            "control_plane.heartbeat_missed",
        ),
        provision_time: r
            .provision_time
            .as_ref()
            .map(|d| d.0.clone())
            .unwrap_or_else(|| dist("exp(2s)", Quantity::Duration)),
        push_delay: r
            .push_delay
            .as_ref()
            .map(|d| d.0.clone())
            .unwrap_or_else(|| dist("exp(2s)", Quantity::Duration)),
        urgent_push_delay: r
            .urgent_push_delay
            .as_ref()
            .map(|d| d.0.clone())
            .unwrap_or_else(|| dist("exp(200ms)", Quantity::Duration)),
        poll_interval,
        call_timeout: r
            .call_timeout
            .map(|d| d.0)
            .unwrap_or(SimDuration::from_secs(1)),
        dormant_after: r.dormant_after.map(|d| d.0),
    }
}

pub(super) fn edge(r: &schema::EdgeConfig) -> Edge {
    Edge {
        route_ttl: r
            .route_ttl
            .map(|d| d.0)
            .unwrap_or(SimDuration::from_secs(60)),
        serve_stale: r.on_refresh_failure != Some(schema::RefreshPolicyName::FailClosed),
        max_staleness: r
            .max_staleness
            .map(|d| d.0)
            .unwrap_or(SimDuration::from_secs(3600)),
    }
}

pub(super) fn kms(c: &mut Checker, r: &schema::KmsConfig) -> Kms {
    Kms {
        latency: r
            .latency
            .as_ref()
            .map(|d| d.0.clone())
            .unwrap_or_else(|| dist("exp(5ms)", Quantity::Duration)),
        data_key_ttl: r
            .data_key_ttl
            .map(|d| d.0)
            .unwrap_or(SimDuration::from_secs(300)),
        timeout: r.timeout.map(|d| d.0).unwrap_or(SimDuration::from_secs(1)),
        breaker: r.breaker.as_ref().map(|b| super::breaker_from(c, b)),
    }
}

pub(super) fn object_storage(r: &schema::ObjectStorageConfig) -> ObjectStorage {
    ObjectStorage {
        latency_per_mb: r
            .latency_per_mb
            .as_ref()
            .map(|d| d.0.clone())
            .unwrap_or_else(|| dist("exp(20ms)", Quantity::Duration)),
        latency_base: r
            .latency_base
            .as_ref()
            .map(|d| d.0.clone())
            .unwrap_or_else(|| dist("exp(30ms)", Quantity::Duration)),
        errors: r.errors.map(|f| f.0).unwrap_or(0.0),
        timeout: r.timeout.map(|d| d.0).unwrap_or(SimDuration::from_secs(30)),
    }
}

pub(super) fn job_classes(
    c: &mut Checker,
    r: &std::collections::BTreeMap<String, schema::JobClassConfig>,
) -> Vec<JobClass> {
    r.iter()
        .map(|(name, j)| JobClass {
            name: name.clone(),
            db_time: j
                .db_time
                .as_ref()
                .map(|d| d.0.clone())
                .unwrap_or_else(|| dist("exp(200ms)", Quantity::Duration)),
            bytes: j
                .bytes
                .as_ref()
                .map(|d| d.0.clone())
                .unwrap_or_else(|| dist("lognormal(5MB, 1.0)", Quantity::Bytes)),
            max_attempts: c.opt_count(
                &j.max_attempts,
                3,
                1,
                1000,
                &format!("jobs.{name}.max_attempts"),
            ),
            backoff: j.backoff.map(|d| d.0).unwrap_or(SimDuration::from_secs(1)),
        })
        .collect()
}

pub(super) fn job_plane(c: &mut Checker, r: &schema::JobPlaneConfig) -> JobPlane {
    JobPlane {
        workers: c.opt_count(&r.workers, 2, 0, 1_000_000, "platform.jobs.workers"),
        scheduler: r.scheduler.unwrap_or(SchedulerName::Fifo),
        tenant_cap: c.opt_count(&r.tenant_cap, 1, 1, 1_000_000, "platform.jobs.tenant_cap"),
        queue_limit: c.opt_count(
            &r.queue_limit,
            1_000_000,
            0,
            100_000_000,
            "platform.jobs.queue_limit",
        ),
    }
}

pub(super) fn tenant_jobs(
    c: &mut Checker,
    r: &Option<schema::TenantJobsConfig>,
    classes: &[JobClass],
) -> Option<TenantJobs> {
    let j = r.as_ref()?;
    let class = match classes.iter().position(|k| k.name == *j.class.get_ref()) {
        Some(i) => i,
        None => {
            let names: Vec<&str> = classes.iter().map(|k| k.name.as_str()).collect();
            c.err(
                j.class.span(),
                format!(
                    "job class `{}` is not declared; declare it as [jobs.{}] (declared: {})",
                    j.class.get_ref(),
                    j.class.get_ref(),
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            );
            0
        }
    };
    Some(TenantJobs {
        class,
        rate: j.rate.map(|r| r.0).unwrap_or(0.0),
        backlog: c.opt_count(&j.backlog, 0, 0, 100_000_000, "jobs.backlog"),
    })
}

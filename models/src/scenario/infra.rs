//! Validated settings of the platform's shared infrastructure: control plane, edge routing
//! cache, KMS, object storage and background jobs (`FooConfig` as written → `Foo` checked).

use super::schema;
use super::Checker;
use crate::component::breaker::{BreakerConfig, BreakerScope};
use crate::component::placement::PolicyParams;
use crate::component::scheduler::SchedulerKind;
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
    /// Knobs of the placement policies, resolved (tier names to indices) and range-checked.
    pub placement_params: PolicyParams,
    /// σ of the multiplicative lognormal error of predicted loads (0: exact).
    pub prediction_error: f64,
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
    /// Evacuation of dead cells (`None`: off).
    pub evacuation: Option<super::control_plane::Evacuation>,
    /// The reconciler (`None`: off).
    pub reconcile: Option<super::control_plane::Reconcile>,
    /// Costs of tenant moves (`None`: moves are free).
    pub migration: Option<super::moves::MoveCost>,
    /// The rebalancer (`None`: off).
    pub rebalance: Option<super::moves::Rebalance>,
    /// The worker autoscaler (`None`: off).
    pub autoscale: Option<super::autoscale::Autoscale>,
    /// Config TTLs at the edge (`None`: configs never expire).
    pub config_ttl: Option<super::config_ttl::ConfigTtl>,
    /// Config TTLs at the cells (`None`: cell configs never expire).
    pub cell_config_ttl: Option<super::cell_config_ttl::CellConfigTtl>,
    /// Backup retention and restore rate of the lifecycle operations.
    pub lifecycle: super::lifecycle_ops::LifecycleSettings,
    /// Fleet scale-out (`None`: every cell provisioned, no loop).
    pub scale_out: Option<super::scale_out::ScaleOut>,
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
    pub scheduler: SchedulerKind,
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
    let placement = placement_name(c, &r.placement);
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
    let prediction_error = prediction_error(c, &r.prediction_error);
    let heartbeat_missed = c.opt_count(
        &r.heartbeat_missed,
        3,
        1,
        1000,
        "control_plane.heartbeat_missed",
    );
    ControlPlane {
        latency: dist_or(&r.latency, "exp(20ms)"),
        placement,
        // Resolved by `placement_params` once tiers and cells are known.
        placement_params: PolicyParams::default(),
        prediction_error,
        heartbeat_interval,
        heartbeat_missed,
        provision_time: dist_or(&r.provision_time, "exp(2s)"),
        push_delay: dist_or(&r.push_delay, "exp(2s)"),
        urgent_push_delay: dist_or(&r.urgent_push_delay, "exp(200ms)"),
        poll_interval,
        call_timeout: r
            .call_timeout
            .map(|d| d.0)
            .unwrap_or(SimDuration::from_secs(1)),
        dormant_after: r.dormant_after.map(|d| d.0),
        evacuation: super::control_plane::evacuation(
            c,
            &r.evacuation,
            heartbeat_interval,
            heartbeat_missed,
        ),
        reconcile: super::control_plane::reconcile(c, &r.reconcile),
        migration: super::moves::move_cost(c, &r.migration),
        rebalance: super::moves::rebalance(c, &r.rebalance),
        autoscale: super::autoscale::autoscale(c, &r.autoscale),
        config_ttl: super::config_ttl::check(c, &r.config_ttl),
        cell_config_ttl: super::cell_config_ttl::check(c, &r.cell_config_ttl),
        lifecycle: super::lifecycle_ops::check(c, &r.lifecycle),
        scale_out: super::scale_out::check(c, &r.scale_out),
    }
}

/// A duration distribution as written, or `default` when not given.
fn dist_or(v: &Option<super::values::DurDist>, default: &str) -> Dist {
    v.as_ref()
        .map(|d| d.0.clone())
        .unwrap_or_else(|| dist(default, Quantity::Duration))
}

/// `control_plane.placement`: a known policy name (default `round_robin`).
fn placement_name(c: &mut Checker, placement: &Option<toml::Spanned<String>>) -> String {
    match placement {
        Some(p) => {
            if crate::component::placement::by_name(
                p.get_ref(),
                &crate::component::placement::PolicyParams::default(),
            )
            .is_none()
            {
                c.err(
                    p.span(),
                    format!(
                        "unknown placement policy `{}`{}; known: {}",
                        p.get_ref(),
                        super::suggest::hint(
                            p.get_ref(),
                            crate::component::placement::POLICY_NAMES.iter().copied()
                        ),
                        crate::component::placement::POLICY_NAMES.join(", ")
                    ),
                );
            }
            p.get_ref().clone()
        }
        None => "round_robin".to_string(),
    }
}

/// `control_plane.prediction_error`: the σ of ln(predicted / declared), in [0, 5] (default
/// 0: exact).
fn prediction_error(c: &mut Checker, v: &Option<toml::Spanned<f64>>) -> f64 {
    match v {
        None => 0.0,
        Some(s) => {
            let x = *s.get_ref();
            if !(0.0..=5.0).contains(&x) {
                c.err(
                    s.span(),
                    format!("control_plane.prediction_error is {x}; it is the σ of ln(predicted / declared), between 0 (exact) and 5 (0.5 = typical)"),
                );
                0.0
            } else {
                x
            }
        }
    }
}

/// Where `[control_plane.placement_params]` is, for messages.
const PARAMS_AT: &str = "control_plane.placement_params";

/// `[control_plane.placement_params]` → [`PolicyParams`]: every key range-checked at its
/// position, `dedicated_tier` resolved from a name in `tiers` (index order), and
/// `dedicated_cells` checked against `cells`. Keys not given keep their defaults.
pub(super) fn placement_params(
    c: &mut Checker,
    r: &Option<schema::PlacementParamsConfig>,
    tiers: &[&str],
    cells: u32,
) -> PolicyParams {
    let mut p = PolicyParams::default();
    let Some(r) = r else {
        return p;
    };
    const AT: &str = PARAMS_AT;
    p.power_of_two_choices = c.opt_count(
        &r.choices,
        p.power_of_two_choices,
        1,
        1_000,
        &format!("{AT}.choices (cells power_of_two samples)"),
    );
    p.shuffle_shard_size = c.opt_count(
        &r.shard_size,
        p.shuffle_shard_size,
        1,
        100_000,
        &format!("{AT}.shard_size (cells in a shuffle shard)"),
    );
    placement_weights(c, r, &mut p);
    dedicated(c, r, (tiers, cells), &mut p);
    if let Some(l) = &r.promote_load {
        let x = l.get_ref().0;
        if x > 0.0 && x.is_finite() {
            p.promote_load = Some(x);
        } else {
            c.err(
                l.span(),
                format!("{AT}.promote_load is {x}/s; give a rate above 0 such as \"100/s\""),
            );
        }
    }
    p
}

/// A real-valued key of `[control_plane.placement_params]`: `default` when not given, the
/// value when it is above (`lo_open`) or at least `lo` and at most `hi`, else an error at
/// its position (with `hint`) and `default`.
fn param_real(
    c: &mut Checker,
    v: &Option<toml::Spanned<f64>>,
    default: f64,
    (lo, lo_open, hi): (f64, bool, f64),
    what: &str,
    hint: &str,
) -> f64 {
    let Some(v) = v else {
        return default;
    };
    let x = *v.get_ref();
    let above = if lo_open { x > lo } else { x >= lo };
    if above && x <= hi {
        x
    } else {
        let open = if lo_open { "above" } else { "at least" };
        c.err(
            v.span(),
            format!("{PARAMS_AT}.{what} is {x}; it must be {open} {lo} and at most {hi} ({hint})"),
        );
        default
    }
}

/// The bin-packing ceiling and the headroom score's weights and utilisation bound.
fn placement_weights(c: &mut Checker, r: &schema::PlacementParamsConfig, p: &mut PolicyParams) {
    const WEIGHT: &str = "a weight of the headroom score";
    let weight = (0.0, false, 1e6);
    p.bin_pack_ceiling = param_real(
        c,
        &r.ceiling,
        p.bin_pack_ceiling,
        (0.0, true, 10.0),
        "ceiling",
        "a fraction of capacity: 0.8 fills cells to 80%",
    );
    p.headroom_weight_free_cpu = param_real(
        c,
        &r.weight_free_cpu,
        p.headroom_weight_free_cpu,
        weight,
        "weight_free_cpu",
        WEIGHT,
    );
    p.headroom_weight_free_slots = param_real(
        c,
        &r.weight_free_slots,
        p.headroom_weight_free_slots,
        weight,
        "weight_free_slots",
        WEIGHT,
    );
    p.headroom_weight_spiky = param_real(
        c,
        &r.weight_spiky,
        p.headroom_weight_spiky,
        weight,
        "weight_spiky",
        WEIGHT,
    );
    p.headroom_weight_utilisation = param_real(
        c,
        &r.weight_utilisation,
        p.headroom_weight_utilisation,
        weight,
        "weight_utilisation",
        WEIGHT,
    );
    p.headroom_utilisation_max = param_real(
        c,
        &r.utilisation_max,
        p.headroom_utilisation_max,
        (0.0, true, 10.0),
        "utilisation_max",
        "a fraction of capacity: 0.9 keeps 10% headroom",
    );
}

/// The dedicated tier (a name in `tiers`) and dedicated cells (each below `cells`, once).
fn dedicated(
    c: &mut Checker,
    r: &schema::PlacementParamsConfig,
    (tiers, cells): (&[&str], u32),
    p: &mut PolicyParams,
) {
    if let Some(t) = &r.dedicated_tier {
        match tiers.iter().position(|n| *n == t.get_ref().as_str()) {
            Some(i) => p.dedicated_tier = i as u16,
            None => c.err(
                t.span(),
                format!(
                    "{PARAMS_AT}.dedicated_tier names tier `{}`, which does not exist; tiers are: {}",
                    t.get_ref(),
                    tiers.join(", ")
                ),
            ),
        }
    }
    if let Some(list) = &r.dedicated_cells {
        for &x in list.get_ref() {
            if x < 0 || x >= i64::from(cells) {
                c.err(
                    list.span(),
                    format!(
                        "{PARAMS_AT}.dedicated_cells lists cell {x}, which does not exist; cells are 0..{}",
                        cells.saturating_sub(1)
                    ),
                );
            } else if p.dedicated_cells.contains(&(x as u32)) {
                c.err(
                    list.span(),
                    format!("{PARAMS_AT}.dedicated_cells lists cell {x} twice"),
                );
            } else {
                p.dedicated_cells.push(x as u32);
            }
        }
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
        scheduler: r.scheduler.unwrap_or(SchedulerKind::Fifo),
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

//! The acting control plane's settings: `[control_plane.evacuation]` and
//! `[control_plane.reconcile]` as written (`…Config`) and checked ([`Evacuation`],
//! [`Reconcile`]).
//!
//! Guarantees: every key has a default; an impossible setting is an error at its position
//! (a grace shorter than the failure detector can notice a dead cell, fewer than one move or
//! operation in flight, a cold factor below 1, an unknown `after_recovery`, a zero interval
//! or backoff, a backoff cap below the first backoff). A scenario without a table gets
//! `None` for it: the platform then schedules none of that loop's events.

use super::values::{Dur, DurDist};
use super::Checker;
use serde::Deserialize;
use sim::{Dist, Quantity, SimDuration};
use toml::Spanned;

/// `[control_plane.evacuation]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EvacuationConfig {
    /// Evacuate dead cells (default true when the table is present; `false` keeps the
    /// settings but turns the loop off, for `compare --vary`).
    pub enabled: Option<bool>,
    /// Time from a cell's last heartbeat to the start of its evacuation (default: the failure
    /// detector's time, `heartbeat_interval × heartbeat_missed`; never shorter).
    pub grace: Option<Spanned<Dur>>,
    /// Moves in flight at once, across the fleet (default 4).
    pub max_in_flight: Option<Spanned<i64>>,
    /// When the dead cell returns: `stay` (default) or `fail_back` (its tenants move home).
    pub after_recovery: Option<Spanned<String>>,
    /// Time one move takes: restore from backup, create on the destination (default `exp(5s)`).
    pub move_time: Option<DurDist>,
    /// How long a moved tenant stays cold on its destination (default 60s).
    pub warmup: Option<Dur>,
    /// While cold: service time × this, and every request misses the cache (goes to the DB);
    /// default 2.
    pub cold_factor: Option<Spanned<f64>>,
}

/// What happens to evacuated tenants when their cell returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterRecovery {
    /// They stay where they were moved.
    Stay,
    /// They move back to their home cell (a second cold arrival).
    FailBack,
}

/// Checked evacuation settings.
#[derive(Clone, Debug)]
pub struct Evacuation {
    /// Time from a cell's last beat to its evacuation.
    pub grace: SimDuration,
    /// Moves in flight at once (≥ 1).
    pub max_in_flight: u32,
    /// Fail back or stay.
    pub after_recovery: AfterRecovery,
    /// Duration of one move (ns).
    pub move_time: Dist,
    /// Cold period after arrival.
    pub warmup: SimDuration,
    /// Service-time factor while cold (≥ 1).
    pub cold_factor: f64,
}

/// Checks `[control_plane.evacuation]`; `None` when absent or `enabled = false`.
pub(super) fn evacuation(
    c: &mut Checker,
    r: &Option<EvacuationConfig>,
    heartbeat_interval: SimDuration,
    heartbeat_missed: u32,
) -> Option<Evacuation> {
    let r = r.as_ref()?;
    const AT: &str = "control_plane.evacuation";
    let detector = heartbeat_interval.saturating_mul(heartbeat_missed as u64);
    let grace = match &r.grace {
        None => detector,
        Some(g) => {
            let v = g.get_ref().0;
            if v < detector {
                c.err(
                    g.span(),
                    format!(
                        "{AT}.grace is {v}; the failure detector needs {detector} \
(heartbeat_interval × heartbeat_missed) to notice a dead cell, so the grace cannot be shorter"
                    ),
                );
            }
            v
        }
    };
    let max_in_flight = c.opt_count(
        &r.max_in_flight,
        4u32,
        1,
        100_000,
        &format!("{AT}.max_in_flight"),
    );
    let after_recovery = after_recovery(c, &r.after_recovery);
    let cold_factor = cold_factor(c, &r.cold_factor);
    if r.enabled == Some(false) {
        return None;
    }
    Some(Evacuation {
        grace,
        max_in_flight,
        after_recovery,
        move_time: r
            .move_time
            .as_ref()
            .map(|d| d.0.clone())
            .unwrap_or_else(|| {
                Dist::parse("exp(5s)", Quantity::Duration).unwrap_or(Dist::Const(0.0))
            }),
        warmup: r.warmup.map(|d| d.0).unwrap_or(SimDuration::from_secs(60)),
        cold_factor,
    })
}

/// `after_recovery`: `stay` (the default) or `fail_back`.
fn after_recovery(c: &mut Checker, after_recovery: &Option<Spanned<String>>) -> AfterRecovery {
    const AT: &str = "control_plane.evacuation";
    match after_recovery {
        None => AfterRecovery::Stay,
        Some(s) => match s.get_ref().as_str() {
            "stay" => AfterRecovery::Stay,
            "fail_back" => AfterRecovery::FailBack,
            other => {
                c.err(
                    s.span(),
                    format!("{AT}.after_recovery is `{other}`; use `stay` or `fail_back`"),
                );
                AfterRecovery::Stay
            }
        },
    }
}

/// `cold_factor`: between 1 (no penalty) and 100 (default 2).
fn cold_factor(c: &mut Checker, cold_factor: &Option<Spanned<f64>>) -> f64 {
    const AT: &str = "control_plane.evacuation";
    match cold_factor {
        None => 2.0,
        Some(s) => {
            let x = *s.get_ref();
            if !(1.0..=100.0).contains(&x) {
                c.err(
                s.span(),
                format!("{AT}.cold_factor is {x}; it multiplies service time while a moved tenant is cold: between 1 (no penalty) and 100"),
            );
                1.0
            } else {
                x
            }
        }
    }
}

/// `[control_plane.reconcile]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReconcileConfig {
    /// Run the reconciler (default true when the table is present).
    pub enabled: Option<bool>,
    /// It wakes this often (default 10s).
    pub interval: Option<Spanned<Dur>>,
    /// Most operations it has under way at once (default 4).
    pub concurrency: Option<Spanned<i64>>,
    /// Wait after a tenant's first failure before retrying it (default 5s); doubled after
    /// each further failure of the same tenant.
    pub backoff: Option<Spanned<Dur>>,
    /// Longest wait between retries (default 2m).
    pub max_backoff: Option<Spanned<Dur>>,
    /// Also reconcile serving tenants each tick (default false): an `active` or `dormant`
    /// tenant whose cell is dead, whose KMS key is disabled or whose edge the control plane
    /// cannot reach is `…_reconcile_failed` until a later tick succeeds.
    pub watch_serving: Option<bool>,
    /// Repair serving tenants whose reconcile failed (default false; implies
    /// `watch_serving`): retry each with the backoff, re-push its route and config to the
    /// edge once the cause is gone, re-place it when its cell is dead
    /// (`platform/reconcile_repair.rs`).
    pub repair: Option<Spanned<bool>>,
}

/// Checked reconciler settings.
#[derive(Clone, Debug)]
pub struct Reconcile {
    /// Tick interval (> 0).
    pub interval: SimDuration,
    /// Operations under way at once (≥ 1).
    pub concurrency: u32,
    /// First retry backoff (> 0).
    pub backoff: SimDuration,
    /// Backoff cap (≥ `backoff`).
    pub max_backoff: SimDuration,
    /// Judge serving tenants each tick (the RECONCILE sub-states).
    pub watch_serving: bool,
    /// Repair the serving tenants whose reconcile failed (implies `watch_serving`).
    pub repair: bool,
}

/// Checks `[control_plane.reconcile]`; `None` when absent or `enabled = false`.
pub(super) fn reconcile(c: &mut Checker, r: &Option<ReconcileConfig>) -> Option<Reconcile> {
    let r = r.as_ref()?;
    const AT: &str = "control_plane.reconcile";
    let mut positive = |v: &Option<Spanned<Dur>>, default: SimDuration, key: &str| match v {
        None => default,
        Some(d) => {
            if d.get_ref().0 == SimDuration::ZERO {
                c.err(
                    d.span(),
                    format!("{AT}.{key} is zero; use e.g. \"{default}\""),
                );
                default
            } else {
                d.get_ref().0
            }
        }
    };
    let interval = positive(&r.interval, SimDuration::from_secs(10), "interval");
    let backoff = positive(&r.backoff, SimDuration::from_secs(5), "backoff");
    let max_backoff = positive(&r.max_backoff, SimDuration::from_secs(120), "max_backoff");
    if max_backoff < backoff {
        let span = r
            .max_backoff
            .as_ref()
            .or(r.backoff.as_ref())
            .map(|d| d.span())
            .unwrap_or(0..0);
        c.err(
            span,
            format!("{AT}.max_backoff ({max_backoff}) is shorter than backoff ({backoff}); the cap must be at least the first wait"),
        );
    }
    let concurrency = c.opt_count(
        &r.concurrency,
        4u32,
        1,
        100_000,
        &format!("{AT}.concurrency"),
    );
    let repair = super::validate::reconcile_repair(c, r);
    if r.enabled == Some(false) {
        return None;
    }
    Some(Reconcile {
        interval,
        concurrency,
        backoff,
        max_backoff,
        watch_serving: repair || r.watch_serving.unwrap_or(false),
        repair,
    })
}

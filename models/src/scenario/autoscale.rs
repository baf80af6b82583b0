//! The worker autoscaler's settings: `[control_plane.autoscale]` as written
//! ([`AutoscaleConfig`]) and checked ([`Autoscale`]).
//!
//! ```toml
//! [control_plane.autoscale]
//! interval = "15s"              # how often each cell is evaluated (5 samples averaged)
//! target = "60%"                # target worker utilisation, (busy + queued) / workers
//! scale_up_delay = "30s"        # a new worker serves this long after the decision
//! cooldown = "60s"              # no further decision on a cell this long after one
//! min_workers = 4               # per cell (default: the cell's own workers)
//! max_workers = 64              # per cell (default: 4 × the cell's own workers)
//! connections_per_worker = 1    # DB connections each added worker opens (default 1)
//! max_db_connections = 32       # a cell's DB pool never grows past this (default: no cap)
//! connection_overhead = "1%"    # DB capacity each connection beyond the cell's own pool costs
//! queue_per_worker = 50         # queue slots each added worker brings (default: the cell's own ratio)
//! ```
//!
//! Guarantees: every key has a default; an impossible setting is an error at its position
//! (`min_workers > max_workers`, a zero interval, a target outside (0, 100%], an overhead
//! outside [0, 50%], a cap of zero connections). A scenario without the table, or with
//! `enabled = false`, gets `None`: the platform then schedules none of the autoscaler's
//! events and draws nothing for it.

use super::values::{Dur, Fraction};
use super::Checker;
use serde::Deserialize;
use sim::SimDuration;
use toml::Spanned;

/// `[control_plane.autoscale]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AutoscaleConfig {
    /// Run the autoscaler (default true when the table is present; `false` keeps the
    /// settings but turns it off, for `compare --vary`).
    pub enabled: Option<bool>,
    /// How often every cell is evaluated, on the mean of 5 utilisation samples taken across
    /// the interval (default 15s).
    pub interval: Option<Spanned<Dur>>,
    /// Target worker utilisation, (busy + queued) / workers, e.g. `"60%"` (default 60%).
    pub target: Option<Spanned<Fraction>>,
    /// Time from a scale-up decision to the new workers serving (default 30s).
    pub scale_up_delay: Option<Spanned<Dur>>,
    /// After a decision on a cell, no further decision on it for this long (default 60s).
    pub cooldown: Option<Spanned<Dur>>,
    /// Fewest workers per cell (default: the cell's own workers, so it never shrinks below
    /// its configured size).
    pub min_workers: Option<Spanned<i64>>,
    /// Most workers per cell (default: 4 × the cell's own workers).
    pub max_workers: Option<Spanned<i64>>,
    /// DB connections each added worker opens on its cell's DB (default 1; 0: workers share
    /// the pool they find).
    pub connections_per_worker: Option<Spanned<i64>>,
    /// A cell's DB pool never grows past this many connections (default: no cap).
    pub max_db_connections: Option<Spanned<i64>>,
    /// Share of the DB's capacity each connection beyond the cell's own pool costs (context
    /// switches, memory, lock contention), e.g. `"1%"` (default 0).
    pub connection_overhead: Option<Spanned<Fraction>>,
    /// Queue slots each worker added (or removed) brings (default: the cell's own
    /// `queue_limit / workers`, so the queue keeps its depth per worker); 0 keeps the queue
    /// at its configured size.
    pub queue_per_worker: Option<Spanned<i64>>,
}

/// Checked autoscaler settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Autoscale {
    /// Evaluation interval (> 0).
    pub interval: SimDuration,
    /// Target utilisation in (0, 1].
    pub target: f64,
    /// Decision to serving.
    pub scale_up_delay: SimDuration,
    /// Quiet time after a decision.
    pub cooldown: SimDuration,
    /// Fewest workers per cell (`None`: the cell's own); ≥ 1.
    pub min_workers: Option<u32>,
    /// Most workers per cell (`None`: 4 × the cell's own); ≥ `min_workers`.
    pub max_workers: Option<u32>,
    /// Connections each added worker opens.
    pub connections_per_worker: u32,
    /// Cap on a cell's pool (`None`: none).
    pub max_db_connections: Option<u32>,
    /// DB capacity lost per connection beyond the cell's own pool, in [0, 0.5].
    pub connection_overhead: f64,
    /// Queue slots per added worker (`None`: the cell's own queue_limit / workers).
    pub queue_per_worker: Option<u32>,
    /// Scale-ups are made (always true from a file; `explain --without scale_up` clears it:
    /// the autoscaler decides as before but adds no worker).
    pub allow_scale_up: bool,
    /// Scale-downs are made (`explain --without scale_down` clears it).
    pub allow_scale_down: bool,
}

/// Checks `[control_plane.autoscale]`; `None` when absent or `enabled = false`.
pub(super) fn autoscale(c: &mut Checker, r: &Option<AutoscaleConfig>) -> Option<Autoscale> {
    let r = r.as_ref()?;
    const AT: &str = "control_plane.autoscale";
    let interval = match &r.interval {
        None => SimDuration::from_secs(15),
        Some(d) => {
            if d.get_ref().0 == SimDuration::ZERO {
                c.err(d.span(), format!("{AT}.interval is zero; use e.g. \"15s\""));
            }
            d.get_ref().0.max(SimDuration(1))
        }
    };
    let target = fraction(
        c,
        &r.target,
        0.6,
        |x| x > 0.0 && x <= 1.0,
        "target",
        "(0, 100%] (the share of each worker's time the autoscaler aims at)",
    );
    let connection_overhead = fraction(
        c,
        &r.connection_overhead,
        0.0,
        |x| (0.0..=0.5).contains(&x),
        "connection_overhead",
        "[0, 50%] (the DB capacity one extra connection costs)",
    );
    let (min_workers, max_workers) = worker_bounds(c, r);
    let connections_per_worker = c.opt_count(
        &r.connections_per_worker,
        1u32,
        0,
        1000,
        &format!("{AT}.connections_per_worker"),
    );
    let max_db_connections = r
        .max_db_connections
        .as_ref()
        .map(|m| c.count(m, 1, 1_000_000, &format!("{AT}.max_db_connections")));
    let queue_per_worker = r
        .queue_per_worker
        .as_ref()
        .map(|m| c.count(m, 0, 1_000_000, &format!("{AT}.queue_per_worker")));
    if r.enabled == Some(false) {
        return None;
    }
    Some(Autoscale {
        interval,
        target,
        scale_up_delay: r
            .scale_up_delay
            .as_ref()
            .map(|d| d.get_ref().0)
            .unwrap_or(SimDuration::from_secs(30)),
        cooldown: r
            .cooldown
            .as_ref()
            .map(|d| d.get_ref().0)
            .unwrap_or(SimDuration::from_secs(60)),
        min_workers,
        max_workers,
        connections_per_worker,
        max_db_connections,
        connection_overhead,
        queue_per_worker,
        allow_scale_up: true,
        allow_scale_down: true,
    })
}

/// A share key of `[control_plane.autoscale]`: `default` when not given, else the value
/// when `ok` holds, else an error at its position (naming the `range`) and `default`.
fn fraction(
    c: &mut Checker,
    v: &Option<Spanned<Fraction>>,
    default: f64,
    ok: fn(f64) -> bool,
    key: &str,
    range: &str,
) -> f64 {
    const AT: &str = "control_plane.autoscale";
    match v {
        None => default,
        Some(f) => {
            let x = f.get_ref().0;
            if !ok(x) {
                c.err(
                    f.span(),
                    format!("{AT}.{key} is {x}; it must be in {range}"),
                );
                default
            } else {
                x
            }
        }
    }
}

/// `min_workers` and `max_workers`, each in range, the max not below the min.
fn worker_bounds(c: &mut Checker, r: &AutoscaleConfig) -> (Option<u32>, Option<u32>) {
    const AT: &str = "control_plane.autoscale";
    let min_workers: Option<u32> = r
        .min_workers
        .as_ref()
        .map(|m| c.count(m, 1, 1_000_000, &format!("{AT}.min_workers")));
    let max_workers: Option<u32> = r
        .max_workers
        .as_ref()
        .map(|m| c.count(m, 1, 1_000_000, &format!("{AT}.max_workers")));
    if let (Some(min), Some(max), Some(m)) = (min_workers, max_workers, &r.max_workers) {
        if max != 0 && min > max {
            c.err(
                m.span(),
                format!(
                    "{AT}.max_workers ({max}) is below min_workers ({min}); the autoscaler could keep neither"
                ),
            );
        }
    }
    (min_workers, max_workers)
}

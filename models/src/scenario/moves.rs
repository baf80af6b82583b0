//! Settings of tenant moves that cost something and of the rebalancer that makes them:
//! `[control_plane.migration]` and `[control_plane.rebalance]` as written (`…Config`) and
//! checked ([`MoveCost`], [`Rebalance`]).
//!
//! Guarantees: every key has a default; an impossible setting is an error at its position
//! (a backfill rate of zero, a failure probability or threshold outside its range, a zero
//! evaluation interval, fewer than one concurrent move, a growth factor below 1). A scenario
//! without a table gets `None` for it: without `[control_plane.migration]` a move costs no
//! DB time and is never verified (the model of earlier releases, so pinned digests hold);
//! without `[control_plane.rebalance]` no rebalancer event is ever scheduled.

use super::values::{BytesDist, Dur, DurDist, Fraction};
use super::Checker;
use serde::Deserialize;
use sim::{Dist, SimDuration};
use toml::Spanned;

/// `[control_plane.migration]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MigrationConfig {
    /// Charge moves their cost (default true when the table is present; `false` keeps the
    /// settings but moves become free again, for `compare --vary`).
    pub enabled: Option<bool>,
    /// Backfill throughput of automatic moves (rebalancer), in bytes per second (default
    /// `"50MB"`); a scripted `tenant_migration` uses its own `backfill_rate`.
    pub backfill_rate: Option<Spanned<BytesDist>>,
    /// DB core time spent per GB copied, at each end: the source DB reads it, the target DB
    /// writes it (default `"10s"`). At rate R the backfill takes R/1GB × this of each DB's cores.
    pub backfill_db_time: Option<Spanned<Dur>>,
    /// How long the verify phase after the backfill takes (checksums on both copies;
    /// dual writes go on); default `"5s"`.
    pub verify: Option<DurDist>,
    /// Probability that verification fails and the move rolls back to the source
    /// (default 0; drawn from the stream `control/migration`).
    pub verify_failure: Option<Spanned<Fraction>>,
}

/// Checked move costs.
#[derive(Clone, Debug)]
pub struct MoveCost {
    /// Backfill rate of automatic moves, bytes per second (> 0).
    pub backfill_rate: f64,
    /// DB core-seconds per byte copied, at each end (≥ 0).
    pub db_secs_per_byte: f64,
    /// Verify phase duration (ns).
    pub verify: Dist,
    /// Probability the verification fails (0..=1).
    pub verify_failure: f64,
}

/// Checks `[control_plane.migration]`; `None` when absent or `enabled = false`.
pub(super) fn move_cost(c: &mut Checker, r: &Option<MigrationConfig>) -> Option<MoveCost> {
    let r = r.as_ref()?;
    const AT: &str = "control_plane.migration";
    let backfill_rate = match &r.backfill_rate {
        None => 50e6,
        Some(s) => {
            let v = s.get_ref().0.mean().unwrap_or(0.0);
            if !(v > 0.0 && v.is_finite()) {
                c.err(
                    s.span(),
                    format!("{AT}.backfill_rate is {v} bytes per second; a move must make progress: use e.g. \"50MB\""),
                );
                50e6
            } else {
                v
            }
        }
    };
    let db_time = r
        .backfill_db_time
        .as_ref()
        .map(|d| d.get_ref().0)
        .unwrap_or(SimDuration::from_secs(10));
    let verify_failure = match &r.verify_failure {
        None => 0.0,
        Some(s) => {
            let v = s.get_ref().0;
            if !(0.0..=1.0).contains(&v) {
                c.err(
                    s.span(),
                    format!("{AT}.verify_failure is {v}; it is a probability between 0 and 100%"),
                );
                0.0
            } else {
                v
            }
        }
    };
    if r.enabled == Some(false) {
        return None;
    }
    Some(MoveCost {
        backfill_rate,
        db_secs_per_byte: db_time.as_secs_f64() / 1e9,
        verify: r
            .verify
            .as_ref()
            .map(|d| d.0.clone())
            .unwrap_or(Dist::Const(5e9)),
        verify_failure,
    })
}

/// `[control_plane.rebalance]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RebalanceConfig {
    /// Run the rebalancer (default true when the table is present).
    pub enabled: Option<bool>,
    /// It evaluates the fleet this often (default 30s), over the interval just ended.
    pub interval: Option<Spanned<Dur>>,
    /// A tenant it moved, and the cell it moved it off, are left alone this long (default 5m).
    pub cooldown: Option<Dur>,
    /// Most of its moves under way at once (default 1).
    pub max_concurrent: Option<Spanned<i64>>,
    /// A cell whose DB was busy at least this fraction of the interval is hot (default 75%).
    pub cell_utilisation: Option<Spanned<Fraction>>,
    /// A hot cell's top tenant with at least this share of the cell's requests has outgrown
    /// it and is promoted (default 50%).
    pub promote_share: Option<Spanned<Fraction>>,
    /// A hot cell's top tenant whose request rate grew at least this many times since the
    /// rebalancer first saw it is promoted too (default 5).
    pub growth: Option<Spanned<f64>>,
    /// A destination must stay below this DB utilisation with the tenant's estimated load
    /// added (default: `cell_utilisation`).
    pub target_utilisation: Option<Spanned<Fraction>>,
}

/// Checked rebalancer settings.
#[derive(Clone, Debug)]
pub struct Rebalance {
    /// Evaluation interval (> 0).
    pub interval: SimDuration,
    /// Per tenant and per source cell, after a move.
    pub cooldown: SimDuration,
    /// Moves under way at once (≥ 1).
    pub max_concurrent: u32,
    /// Hot-cell threshold (0..=1].
    pub cell_utilisation: f64,
    /// Share that makes the top tenant a promotion (0..=1].
    pub promote_share: f64,
    /// Growth factor that makes the top tenant a promotion (≥ 1).
    pub growth: f64,
    /// Highest estimated utilisation of a destination (0..=1].
    pub target_utilisation: f64,
    /// Makes `rebalance` moves (not a key: `explain --without rebalance` turns it off).
    pub allow_rebalance: bool,
    /// Makes `promote` moves (not a key: `explain --without promote` turns it off).
    pub allow_promote: bool,
}

/// Checks `[control_plane.rebalance]`; `None` when absent or `enabled = false`.
pub(super) fn rebalance(c: &mut Checker, r: &Option<RebalanceConfig>) -> Option<Rebalance> {
    let r = r.as_ref()?;
    const AT: &str = "control_plane.rebalance";
    let interval = match &r.interval {
        None => SimDuration::from_secs(30),
        Some(d) if d.get_ref().0 == SimDuration::ZERO => {
            c.err(
                d.span(),
                format!("{AT}.interval is zero; the rebalancer needs an evaluation interval, e.g. \"30s\""),
            );
            SimDuration::from_secs(30)
        }
        Some(d) => d.get_ref().0,
    };
    let cell_utilisation = fraction(c, &r.cell_utilisation, 0.75, "cell_utilisation");
    let promote_share = fraction(c, &r.promote_share, 0.5, "promote_share");
    let target_utilisation = fraction(
        c,
        &r.target_utilisation,
        cell_utilisation,
        "target_utilisation",
    );
    let growth = growth(c, &r.growth);
    let max_concurrent = c.opt_count(
        &r.max_concurrent,
        1u32,
        1,
        100_000,
        &format!("{AT}.max_concurrent"),
    );
    if r.enabled == Some(false) {
        return None;
    }
    Some(Rebalance {
        interval,
        cooldown: r
            .cooldown
            .map(|d| d.0)
            .unwrap_or(SimDuration::from_secs(300)),
        max_concurrent,
        cell_utilisation,
        promote_share,
        growth,
        target_utilisation,
        allow_rebalance: true,
        allow_promote: true,
    })
}

/// A share key of `[control_plane.rebalance]`: above 0 and at most 100% (else an error at
/// its position and `default`); `default` when not given.
fn fraction(c: &mut Checker, v: &Option<Spanned<Fraction>>, default: f64, key: &str) -> f64 {
    const AT: &str = "control_plane.rebalance";
    match v {
        None => default,
        Some(s) => {
            let x = s.get_ref().0;
            if !(x > 0.0 && x <= 1.0) {
                c.err(
                    s.span(),
                    format!("{AT}.{key} is {x}; it is a fraction above 0 and at most 100%"),
                );
                default
            } else {
                x
            }
        }
    }
}

/// `growth`: a growth factor (now / first seen) of at least 1 (default 5).
fn growth(c: &mut Checker, growth: &Option<Spanned<f64>>) -> f64 {
    const AT: &str = "control_plane.rebalance";
    match growth {
        None => 5.0,
        Some(s) => {
            let g = *s.get_ref();
            if !(g >= 1.0 && g.is_finite()) {
                c.err(
                s.span(),
                format!("{AT}.growth is {g}; it is a growth factor (now / first seen) of at least 1"),
            );
                5.0
            } else {
                g
            }
        }
    }
}

//! `change = "deploy"` of a `[[rollouts]]` entry: the keys of a rolling restart, checked.
//!
//! **Guarantees.** An impossible restart is a located error: a zero `restart_time` (a
//! restart that takes no time changes nothing), a `restart_share` outside (0%, 100%], a
//! `cold_factor` outside [1, 100]. `cold_for = "0s"` is allowed (workers come back warm).

use super::rollouts::{ChangeKind, RolloutConfig};
use super::Checker;
use sim::SimDuration;

/// Checks the deploy keys of `r` into a [`ChangeKind::Deploy`].
pub(super) fn check(c: &mut Checker, r: &RolloutConfig) -> ChangeKind {
    let restart_time = match &r.restart_time {
        None => SimDuration::from_secs(30),
        Some(d) if d.get_ref().0 == SimDuration::ZERO => {
            c.err(
                d.span(),
                "restart_time is zero; a restart takes time, e.g. `restart_time = \"30s\"`",
            );
            SimDuration::from_secs(30)
        }
        Some(d) => d.get_ref().0,
    };
    let share = match &r.restart_share {
        None => 0.25,
        Some(f) => {
            let x = f.get_ref().0;
            if !(x > 0.0 && x <= 1.0) {
                c.err(
                    f.span(),
                    "restart_share must be in (0%, 100%]: the share of a cell's workers restarted at once",
                );
                0.25
            } else {
                x
            }
        }
    };
    let cold_factor = match &r.cold_factor {
        None => 2.0,
        Some(f) => {
            let x = *f.get_ref();
            if !(1.0..=100.0).contains(&x) {
                c.err(
                    f.span(),
                    format!("cold_factor is {x}; it multiplies service time while cold: between 1 (no penalty) and 100"),
                );
                2.0
            } else {
                x
            }
        }
    };
    ChangeKind::Deploy {
        restart_time,
        share,
        cold_for: r
            .cold_for
            .as_ref()
            .map_or(SimDuration::from_secs(60), |d| d.get_ref().0),
        cold_factor,
    }
}

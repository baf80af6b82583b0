//! Fleet scale-out: `[control_plane.scale_out]` as written ([`ScaleOutConfig`]) and checked
//! ([`ScaleOut`]).
//!
//! ```toml
//! [control_plane.scale_out]
//! spare_cells = 2        # the last 2 of platform.cells are not provisioned at the start
//! threshold = "70%"      # fleet DB utilisation that provisions the next one
//! interval = "30s"       # how often the fleet is measured
//! delay = "2m"           # from the decision to the new cell taking tenants
//! ```
//!
//! Guarantees: every key has a default but `spare_cells`' range depends on the platform:
//! at least one cell must be provisioned at the start (`validate/scale_out.rs` checks it with
//! the tenants and cohorts that name cells). `enabled = false` keeps the spare cells dark and
//! turns the loop off: the counterfactual of a fleet that does not grow. A scenario without
//! the table gets `None`: every cell is provisioned and nothing is scheduled.

use super::values::{Dur, Fraction};
use super::Checker;
use serde::Deserialize;
use sim::SimDuration;
use toml::Spanned;

/// `[control_plane.scale_out]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ScaleOutConfig {
    /// Run the loop (default true; `false` keeps the spare cells dark, for `compare --vary`).
    pub enabled: Option<bool>,
    /// How many of the platform's cells (the last ones) are spare: not provisioned at the
    /// start, no tenant placed there until the loop provisions them (default 1).
    pub spare_cells: Option<Spanned<i64>>,
    /// Fleet DB utilisation (busy core time / cores of the provisioned cells, over one
    /// interval) at or above which the next spare cell is provisioned (default 70%).
    pub threshold: Option<Spanned<Fraction>>,
    /// How often the fleet is measured (default 30s).
    pub interval: Option<Spanned<Dur>>,
    /// From the decision to the new cell taking tenants (default 2m).
    pub delay: Option<Spanned<Dur>>,
}

/// Checked scale-out settings.
#[derive(Clone, Debug, PartialEq)]
pub struct ScaleOut {
    /// The loop runs (the spare cells stay dark either way until it provisions them).
    pub enabled: bool,
    /// Spare cells: the last `spare_cells` of the platform (range-checked with the platform).
    pub spare_cells: u32,
    /// Utilisation threshold in (0, 1].
    pub threshold: f64,
    /// Measuring interval (> 0).
    pub interval: SimDuration,
    /// Provisioning delay.
    pub delay: SimDuration,
}

impl ScaleOut {
    /// The first spare cell of a platform of `cells` cells.
    pub fn first_spare(&self, cells: u32) -> u32 {
        cells.saturating_sub(self.spare_cells)
    }
}

/// Checks `[control_plane.scale_out]`; `None` when absent.
pub(super) fn check(c: &mut Checker, r: &Option<ScaleOutConfig>) -> Option<ScaleOut> {
    let r = r.as_ref()?;
    const AT: &str = "control_plane.scale_out";
    let spare_cells = c.opt_count(
        &r.spare_cells,
        1u32,
        1,
        100_000,
        &format!("{AT}.spare_cells"),
    );
    let threshold = match &r.threshold {
        None => 0.7,
        Some(f) => {
            let x = f.get_ref().0;
            if !(x > 0.0 && x <= 1.0) {
                c.err(
                    f.span(),
                    format!("{AT}.threshold is {x}; it must be in (0, 100%] (the fleet's DB utilisation that adds a cell)"),
                );
            }
            x
        }
    };
    let interval = match &r.interval {
        None => SimDuration::from_secs(30),
        Some(d) => {
            if d.get_ref().0 == SimDuration::ZERO {
                c.err(d.span(), format!("{AT}.interval is zero; use e.g. \"30s\""));
            }
            d.get_ref().0.max(SimDuration(1))
        }
    };
    Some(ScaleOut {
        enabled: r.enabled != Some(false),
        spare_cells,
        threshold,
        interval,
        delay: r
            .delay
            .as_ref()
            .map(|d| d.get_ref().0)
            .unwrap_or(SimDuration::from_secs(120)),
    })
}

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
//! **Growing past the declared cells.** `max_cells = N` lets the fleet grow to N cells: the
//! cells beyond `platform.cells` are *new* cells built from `[control_plane.scale_out.template]`
//! (workers, DB cores, DB pool, region; each defaulting to the platform's size and the last
//! declared cell's region), provisioned in order after the spare cells, one per decision,
//! up to N. With `max_cells`, `spare_cells` defaults to 0.
//!
//! ```toml
//! [control_plane.scale_out]
//! max_cells = 5                       # 3 declared + up to 2 new ones
//! template = { workers = 32, db_cores = 4, db_connections = 16 }
//! ```
//!
//! `validate/scale_out.rs` adds the new cells to the platform (`grow`): the run's per-cell
//! tables have a fixed size, so a new cell exists in the model from the start, dark like a
//! spare cell (no tenant may be placed there) until the loop provisions it.
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
    /// The most cells the fleet may grow to (default: `platform.cells`, no new cell); the
    /// cells beyond `platform.cells` are new ones built from `template`.
    pub max_cells: Option<Spanned<i64>>,
    /// The size and region of the new cells `max_cells` allows.
    pub template: Option<CellTemplateConfig>,
}

/// `[control_plane.scale_out.template]` as written: what a new cell is.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CellTemplateConfig {
    /// Worker slots of a new cell (default `platform.workers`).
    pub workers: Option<Spanned<i64>>,
    /// DB cores of a new cell (default `platform.db.cores`).
    pub db_cores: Option<Spanned<i64>>,
    /// DB connection pool of a new cell (default `platform.db.connections`).
    pub db_connections: Option<Spanned<i64>>,
    /// Region of a new cell, one of `platform.regions` (default: the last cell's).
    pub region: Option<Spanned<String>>,
}

/// A checked template (`None` fields: the platform's).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CellTemplate {
    /// Worker slots.
    pub workers: Option<u32>,
    /// DB cores.
    pub db_cores: Option<u32>,
    /// DB pool.
    pub db_connections: Option<u32>,
    /// Region.
    pub region: Option<String>,
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
    /// The most cells the fleet may grow to (`None`: the declared ones); checked against the
    /// platform and turned into spare cells by `validate/scale_out.rs`.
    pub max_cells: Option<u32>,
    /// What a new cell is.
    pub template: CellTemplate,
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
    let max_cells = r
        .max_cells
        .as_ref()
        .map(|m| c.count::<u32>(m, 1, 100_000, &format!("{AT}.max_cells")));
    let spare_cells = c.opt_count(
        &r.spare_cells,
        if max_cells.is_some() { 0 } else { 1u32 },
        0,
        100_000,
        &format!("{AT}.spare_cells"),
    );
    if let (0, None, Some(s)) = (spare_cells, max_cells, &r.spare_cells) {
        c.err(
            s.span(),
            format!("{AT}.spare_cells is 0 and there is no max_cells: the fleet has no cell to grow into; keep a spare cell or set max_cells"),
        );
    }
    let template = template(c, r.template.as_ref());
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
        max_cells,
        template,
    })
}

/// Checks `[control_plane.scale_out.template]` (its region is checked against the platform
/// by `validate/scale_out.rs`).
fn template(c: &mut Checker, t: Option<&CellTemplateConfig>) -> CellTemplate {
    const AT: &str = "control_plane.scale_out.template";
    let Some(t) = t else {
        return CellTemplate::default();
    };
    let mut size = |v: &Option<Spanned<i64>>, key: &str| {
        v.as_ref()
            .map(|x| c.count::<u32>(x, 1, 1_000_000, &format!("{AT}.{key}")))
    };
    CellTemplate {
        workers: size(&t.workers, "workers"),
        db_cores: size(&t.db_cores, "db_cores"),
        db_connections: size(&t.db_connections, "db_connections"),
        region: t.region.as_ref().map(|r| r.get_ref().clone()),
    }
}

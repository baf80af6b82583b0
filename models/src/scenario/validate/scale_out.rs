//! `[control_plane.scale_out]` against the platform, tenants and cohorts: at least one cell
//! is provisioned at the start, and nothing is pinned to a spare cell before it exists (a
//! tenant's `cell`, a cohort's `cells`).
//!
//! [`grow`] first adds the new cells `max_cells` allows to the platform (sized and placed by
//! the template) and counts them as spare cells: from then on a new cell is a spare cell
//! that did not need declaring. `max_cells` below `platform.cells` and a template region
//! that is not one of `platform.regions` are errors at their positions.

use super::super::cell_sizes::CellSize;
use super::super::infra::ControlPlane;
use super::super::schema::ScenarioFile;
use super::super::{Checker, Platform};

/// Adds the new cells of `max_cells` to `platform` (template size and region) and to the
/// spare cells of `cp`'s scale-out. Nothing changes without `max_cells`.
pub(in crate::scenario) fn grow(
    c: &mut Checker,
    raw: &ScenarioFile,
    platform: &mut Platform,
    cp: &mut ControlPlane,
) {
    let Some(so) = cp.scale_out.as_mut() else {
        return;
    };
    let Some(max) = so.max_cells else {
        return;
    };
    let raw_so = raw.control_plane.scale_out.as_ref();
    let declared = platform.cells;
    if max < declared {
        let span = raw_so.and_then(|r| r.max_cells.as_ref()).map(|m| m.span());
        c.err(
            span.unwrap_or(0..0),
            format!(
                "control_plane.scale_out.max_cells is {max} but the platform starts with {declared} cells (platform.cells); the most cells the fleet may grow to cannot be fewer"
            ),
        );
        return;
    }
    let region = match &so.template.region {
        None => platform.regions.last().cloned().unwrap_or_default(),
        Some(r) => {
            if !platform.regions.contains(r) {
                let span = raw_so
                    .and_then(|x| x.template.as_ref())
                    .and_then(|t| t.region.as_ref())
                    .map(|x| x.span());
                let mut known: Vec<&str> = platform.regions.iter().map(String::as_str).collect();
                known.dedup();
                c.err(
                    span.unwrap_or(0..0),
                    format!(
                        "control_plane.scale_out.template.region is `{r}`, which no cell is in; platform.regions has: {}",
                        known.join(", ")
                    ),
                );
            }
            r.clone()
        }
    };
    let default = CellSize {
        workers: platform.workers,
        db_connections: platform.db.connections,
        db_cores: platform.db.cores,
    };
    let size = CellSize {
        workers: so.template.workers.unwrap_or(default.workers),
        db_connections: so.template.db_connections.unwrap_or(default.db_connections),
        db_cores: so.template.db_cores.unwrap_or(default.db_cores),
    };
    let new = max - declared;
    if !platform.cell_sizes.is_empty() || size != default {
        let mut sizes: Vec<CellSize> = (0..declared).map(|x| platform.size_of(x)).collect();
        sizes.extend(std::iter::repeat_n(size, new as usize));
        platform.cell_sizes = sizes;
    }
    platform
        .regions
        .extend(std::iter::repeat_n(region, new as usize));
    platform.cells = max;
    so.spare_cells += new;
}

/// Checks the spare cells of `cp` on a platform of `cells` cells.
pub(in crate::scenario) fn scale_out(
    c: &mut Checker,
    raw: &ScenarioFile,
    cp: &ControlPlane,
    cells: u32,
) {
    let Some(so) = &cp.scale_out else {
        return;
    };
    let spare_span = raw
        .control_plane
        .scale_out
        .as_ref()
        .and_then(|r| r.spare_cells.as_ref())
        .map(|s| s.span());
    if so.spare_cells >= cells {
        c.err(
            spare_span.unwrap_or(0..0),
            format!(
                "control_plane.scale_out.spare_cells is {} but the platform has {cells} cells; at least one must be provisioned at the start",
                so.spare_cells
            ),
        );
        return;
    }
    let first = so.first_spare(cells);
    for t in &raw.tenants {
        if let Some(cell) = t.cell.as_ref().filter(|x| *x.get_ref() >= i64::from(first)) {
            c.err(
                cell.span(),
                format!(
                    "tenant `{}` is on cell {}, a spare cell of control_plane.scale_out (cells {first}..{}) that does not exist at the start; use a cell below {first}",
                    t.id.get_ref(),
                    cell.get_ref(),
                    cells - 1
                ),
            );
        }
    }
    for co in &raw.cohorts {
        if let Some(cs) = &co.cells {
            if cs.get_ref().iter().any(|&x| x >= i64::from(first)) {
                c.err(
                    cs.span(),
                    format!(
                        "cohort `{}` lists a spare cell of control_plane.scale_out (cells {first}..{}); its members could not start there: list cells below {first}",
                        co.name.get_ref(),
                        cells - 1
                    ),
                );
            }
        }
    }
}

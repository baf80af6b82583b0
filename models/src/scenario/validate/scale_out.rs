//! `[control_plane.scale_out]` against the platform, tenants and cohorts: at least one cell
//! is provisioned at the start, and nothing is pinned to a spare cell before it exists (a
//! tenant's `cell`, a cohort's `cells`).

use super::super::infra::ControlPlane;
use super::super::schema::ScenarioFile;
use super::super::Checker;

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

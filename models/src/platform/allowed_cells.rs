//! The cells a tenant may live on: a cohort written with `cells = [..]` restricts its
//! members to those cells for good, not only at their initial placement. Every later
//! placement by the control plane honours it — provisioning, a restore, evacuation's
//! re-placement and fail-back, the rebalancer's destinations — so a restricted tenant is
//! never moved outside its cells (with none of them eligible, the move is `no_capacity` /
//! `no_destination`, and the tenant stays).
//!
//! The spare cells of `[control_plane.scale_out]` are here too: no tenant may be placed on
//! one until fleet scale-out provisions it (`AllowedCells::open`).
//!
//! Guarantees: without a restricted cohort or spare cells nothing is allocated and every
//! check is one branch on an empty vector; with one, two bytes per tenant and one list per
//! cohort. Ids of the scenario's explicit `cell = N` tenants are a first placement, not a
//! restriction.

use crate::component::placement::CellView;

/// Marks a tenant that may live on any cell.
const ANY: u16 = u16::MAX;

/// Which cells each tenant may live on.
#[derive(Clone, Debug, Default)]
pub struct AllowedCells {
    /// Per restricted cohort: its cells.
    sets: Vec<Vec<u32>>,
    /// Per tenant: its set, or [`ANY`] (empty: no tenant is restricted).
    set_of: Vec<u16>,
    /// Per cell: not provisioned yet (empty: every cell is).
    dark: Vec<bool>,
}

impl AllowedCells {
    /// From each tenant's cohort index and the cohorts' `cells`.
    pub(super) fn build(cohort_of: &[Option<usize>], cohort_cells: &[Option<Vec<u32>>]) -> Self {
        if cohort_cells.iter().all(Option::is_none) {
            return AllowedCells::default();
        }
        let mut sets = Vec::new();
        let mut index = vec![ANY; cohort_cells.len()];
        for (ci, cells) in cohort_cells.iter().enumerate() {
            if let Some(c) = cells {
                index[ci] = sets.len() as u16;
                sets.push(c.clone());
            }
        }
        let set_of = cohort_of
            .iter()
            .map(|co| co.map_or(ANY, |ci| index[ci]))
            .collect();
        AllowedCells {
            sets,
            set_of,
            dark: Vec::new(),
        }
    }

    /// Marks cells `first..cells` as spare: not provisioned yet.
    pub(super) fn with_spare(mut self, first: u32, cells: u32) -> Self {
        self.dark = (0..cells).map(|c| c >= first).collect();
        self
    }

    /// Spare `cell` is provisioned: tenants may be placed on it from now on.
    pub(super) fn open(&mut self, cell: u32) {
        if let Some(d) = self.dark.get_mut(cell as usize) {
            *d = false;
        }
    }

    /// Whether `cell` is provisioned.
    #[inline]
    pub fn provisioned(&self, cell: u32) -> bool {
        !self.dark.get(cell as usize).copied().unwrap_or(false)
    }

    /// Whether tenant `t` may live on `cell`.
    #[inline]
    pub fn permits(&self, t: u32, cell: u32) -> bool {
        if !self.provisioned(cell) {
            return false;
        }
        match self.set_of.get(t as usize) {
            Some(&s) if s != ANY => self.sets[s as usize].contains(&cell),
            _ => true,
        }
    }

    /// Shows the cells `t` may not live on as not live to a placement policy (callers set
    /// `live` from the failure detector before each placement).
    pub(super) fn mask(&self, t: u32, views: &mut [CellView]) {
        if self.set_of.is_empty() && self.dark.is_empty() {
            return;
        }
        for v in views.iter_mut() {
            if !self.permits(t, v.id) {
                v.live = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Goal: a cohort's cells restrict its members and nobody else. Method: three tenants,
    //! two cohorts (one restricted to cells 1 and 2), checked against every cell.
    use super::*;

    #[test]
    fn a_restricted_cohort_permits_only_its_cells() {
        let a = AllowedCells::build(&[Some(0), Some(1), None], &[Some(vec![1, 2]), None]);
        for cell in 0..4 {
            assert_eq!(a.permits(0, cell), cell == 1 || cell == 2, "cell {cell}");
            assert!(a.permits(1, cell));
            assert!(a.permits(2, cell));
        }
        let none = AllowedCells::build(&[Some(0), None], &[None]);
        assert!(none.set_of.is_empty());
        assert!(none.permits(0, 7));
        // Spare cells 2 and 3 take nobody until opened.
        let mut spare = AllowedCells::build(&[None], &[None]).with_spare(2, 4);
        assert!(spare.permits(0, 1) && !spare.permits(0, 2) && !spare.permits(0, 3));
        spare.open(2);
        assert!(spare.permits(0, 2) && !spare.permits(0, 3));
        let mut views: Vec<CellView> = (0..4)
            .map(|id| CellView {
                id,
                ..CellView::default()
            })
            .collect();
        spare.mask(0, &mut views);
        assert_eq!(
            views.iter().map(|v| v.live).collect::<Vec<_>>(),
            [true, true, true, false]
        );
    }
}

//! `bin_pack`: first fit by predicted load under a fill ceiling.
//!
//! Stateless, draws nothing. With ceiling `f` ([`PolicyParams::bin_pack_ceiling`], default
//! 0.8): the answer is the eligible cell with the **lowest id** such that
//! `predicted_load + tenant.predicted_load ≤ f · capacity`; if no eligible cell has that much
//! room, the least utilised eligible cell ([`by_utilisation`](super::by_utilisation)), so a
//! tenant is still placed whenever any cell is eligible.
//!
//! Guarantees: this policy never takes a cell past `f · capacity` while another eligible cell
//! has room for the tenant, and it uses cells in id order, leaving the highest ids empty for
//! as long as the lower ones have room (the point of packing: fewer cells in use, whole cells
//! free for dedicated tenants or to scale in). It is *first* fit, not next fit: a small tenant
//! goes back to fill a gap in an earlier cell. The ceiling is the headroom kept for load above
//! the prediction; a value above 1 overcommits.
//!
//! Online, so first fit in **arrival order**: first-fit *decreasing* (sort by size, largest
//! first, which packs better) needs the whole batch up front and a placement policy sees one
//! tenant at a time. The initial population is placed in declaration order, so a scenario
//! that wants FFD declares its tenants largest first. On cells of equal capacity, first fit in
//! any order uses at most ⌊1.7 · OPT⌋ cells, OPT being the fewest cells that could hold the
//! tenants under the ceiling (Dósa and Sgall 2013).
//!
//! Beware callers that do not know capacity (`f64::MAX`): every tenant then fits in the
//! lowest-id eligible cell, which takes them all up to its `max_tenants`.

use super::{eligible, least_utilised_where, CellView, PlacementPolicy, PolicyParams, TenantInfo};

/// The name in scenario files and reports.
pub const NAME: &str = "bin_pack";

/// First fit under a ceiling, by id.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BinPack {
    /// Fill ceiling as a fraction of capacity.
    ceiling: f64,
}

impl BinPack {
    /// First fit under `ceiling · capacity` (a NaN ceiling fits nothing, so every tenant goes
    /// to the least utilised cell).
    pub fn new(ceiling: f64) -> Self {
        BinPack { ceiling }
    }

    /// Whether `tenant` fits under the ceiling of `cell`.
    fn fits(&self, tenant: &TenantInfo, cell: &CellView) -> bool {
        cell.predicted_load + tenant.predicted_load <= self.ceiling * cell.capacity
    }
}

/// The registry constructor: the ceiling from [`PolicyParams::bin_pack_ceiling`].
pub fn from_params(params: &PolicyParams) -> Box<dyn PlacementPolicy> {
    Box::new(BinPack::new(params.bin_pack_ceiling))
}

impl PlacementPolicy for BinPack {
    fn name(&self) -> &'static str {
        NAME
    }

    fn place(
        &mut self,
        tenant: &TenantInfo,
        cells: &[CellView],
        _rng: &mut dyn sim::Bits,
    ) -> Option<u32> {
        cells
            .iter()
            .filter(|c| eligible(tenant, c) && self.fits(tenant, c))
            .map(|c| c.id)
            .min()
            .or_else(|| least_utilised_where(tenant, cells, |_| true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::placement::tests::{cell, place_all, rng, tenant};

    fn sized(id: u32, load: f64) -> TenantInfo {
        TenantInfo {
            predicted_load: load,
            ..tenant(id)
        }
    }

    fn cap100(id: u32) -> CellView {
        CellView {
            capacity: 100.0,
            ..cell(id)
        }
    }

    #[test]
    fn fills_cells_in_id_order_up_to_the_ceiling() {
        // Goal: capacity 100, ceiling 0.8, tenants of load 10: eight per cell, cells in id
        // order (slice given in reverse), the last cells left empty.
        let mut cells: Vec<_> = (0..5).rev().map(cap100).collect();
        let tenants: Vec<_> = (0..20).map(|i| sized(i, 10.0)).collect();
        let placed = place_all(&mut BinPack::new(0.8), &tenants, &mut cells);
        let want: Vec<_> = (0..20).map(|i| Some(i / 8)).collect();
        assert_eq!(placed, want);
        let by_id = |id: u32| cells.iter().find(|c| c.id == id).unwrap().predicted_load;
        assert_eq!(
            [by_id(0), by_id(1), by_id(2), by_id(3)],
            [80.0, 80.0, 40.0, 0.0]
        );
    }

    #[test]
    fn first_fit_goes_back_to_fill_a_gap() {
        // Goal: first fit, not next fit. 50 + 25 fill cell 0 to 75; 40 does not fit there
        // (115 > 80) and opens cell 1; then 5 fits in cell 0 again (80 ≤ 80, the ceiling is
        // inclusive), and 1 more does not (81 > 80) and goes to cell 1.
        let mut cells: Vec<_> = (0..3).map(cap100).collect();
        let tenants = [
            sized(0, 50.0),
            sized(1, 25.0),
            sized(2, 40.0),
            sized(3, 5.0),
            sized(4, 1.0),
        ];
        let placed = place_all(&mut BinPack::new(0.8), &tenants, &mut cells);
        assert_eq!(placed, [0, 0, 1, 0, 1].map(Some));
    }

    #[test]
    fn nothing_fits_goes_to_the_least_utilised() {
        // Goal: when no eligible cell has room under the ceiling, the least utilised eligible
        // cell (not the lowest id, not an ineligible one) takes the tenant.
        let cells = [
            CellView {
                predicted_load: 70.0,
                ..cap100(0)
            },
            CellView {
                predicted_load: 10.0,
                live: false,
                ..cap100(1)
            },
            CellView {
                predicted_load: 60.0,
                ..cap100(2)
            },
            CellView {
                predicted_load: 65.0,
                ..cap100(3)
            },
        ];
        let mut p = BinPack::new(0.8);
        assert_eq!(p.place(&sized(0, 30.0), &cells, &mut rng()), Some(2));
        // 15 fits in cell 2 (75 ≤ 80) and cell 3 (80 ≤ 80): first fit says the lower id.
        assert_eq!(p.place(&sized(0, 15.0), &cells, &mut rng()), Some(2));
        // 11: cell 0 would reach 81 > 80; cells 2 (71) and 3 (76) have room: first fit, 2.
        assert_eq!(p.place(&sized(0, 11.0), &cells, &mut rng()), Some(2));
        // The ceiling is a knob: at 1.0 the lowest id fits 30 (100 ≤ 100).
        assert_eq!(
            BinPack::new(1.0).place(&sized(0, 30.0), &cells, &mut rng()),
            Some(0)
        );
    }

    #[test]
    fn uses_fewer_cells_than_spreading() {
        // Goal: the point of packing. 60 tenants of loads 1..=12 (cyclic, 390 in all) over
        // 10 cells of capacity 100: at most ⌈390 / 80⌉ + 1 = 6 cells in use (first fit on
        // small items wastes little), and cells 6..9 stay empty; least_utilised uses all 10.
        let tenants: Vec<_> = (0..60).map(|i| sized(i, f64::from(1 + i % 12))).collect();
        let mut cells: Vec<_> = (0..10).map(cap100).collect();
        place_all(&mut BinPack::new(0.8), &tenants, &mut cells);
        let used = cells.iter().filter(|c| c.tenants > 0).count();
        assert!(used <= 6, "{used} cells used");
        assert!(cells[6..].iter().all(|c| c.tenants == 0));
        assert!(cells.iter().all(|c| c.predicted_load <= 80.0));
        let mut spread: Vec<_> = (0..10).map(cap100).collect();
        let mut lu = crate::component::placement::least_utilised::LeastUtilised;
        place_all(&mut lu, &tenants, &mut spread);
        assert_eq!(spread.iter().filter(|c| c.tenants > 0).count(), 10);
    }

    #[test]
    fn draws_no_randomness() {
        // Goal: the rng is untouched.
        let mut r = rng();
        BinPack::new(0.8).place(&tenant(0), &[cell(0), cell(1)], &mut r);
        assert_eq!(r.next_u64(), rng().next_u64());
    }
}

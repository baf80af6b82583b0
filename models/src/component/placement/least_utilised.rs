//! `least_utilised`: the eligible cell with the lowest predicted load relative to capacity
//! (`predicted_load / capacity`); ties go to the cell with fewer tenants, then the lowest id.
//!
//! Stateless, draws nothing. The order is [`by_utilisation`](super::by_utilisation): cells of equal capacity compare
//! by predicted load exactly, cells of different capacity by the quotient, and a cell with no
//! usable capacity comes last. Unlike `least_loaded` it weighs tenants by their predicted
//! load: one heavy tenant fills a cell as much as many light ones, and a cell twice the size
//! takes twice the load before it stops being preferred.
//!
//! Guarantee (greedy levelling): each tenant goes to a cell of minimum utilisation, so after a
//! burst of tenants of predicted load at most `L` (over a fixed set of eligible cells), a cell
//! `j` that received one is at most `L / capacity_j` more utilised than any other cell: its
//! last tenant arrived when it was the least utilised, and the others only grew since. With
//! equal loads and equal capacities it levels tenant counts within one, like `least_loaded`.

use super::{least_utilised_where, CellView, PlacementPolicy, PolicyParams, TenantInfo};

/// The name in scenario files and reports.
pub const NAME: &str = "least_utilised";

/// Lowest predicted utilisation first (no state).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeastUtilised;

/// The registry constructor (no parameters used).
pub fn from_params(_params: &PolicyParams) -> Box<dyn PlacementPolicy> {
    Box::new(LeastUtilised)
}

impl PlacementPolicy for LeastUtilised {
    fn name(&self) -> &'static str {
        NAME
    }

    fn place(
        &mut self,
        tenant: &TenantInfo,
        cells: &[CellView],
        _rng: &mut dyn sim::Bits,
    ) -> Option<u32> {
        least_utilised_where(tenant, cells, |_| true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::placement::tests::{cell, place_all, rng, tenant};

    fn loaded(id: u32, load: f64, capacity: f64, tenants: u32) -> CellView {
        CellView {
            predicted_load: load,
            capacity,
            tenants,
            ..cell(id)
        }
    }

    #[test]
    fn relative_load_not_tenant_count() {
        // Goal: the choice follows load / capacity, not tenants or absolute load. Cell 1 has
        // the most tenants and the most load but the most capacity: 300/1000 = 0.3 beats
        // cell 2's 50/100 = 0.5 and cell 0's 90/200 = 0.45.
        let cells = [
            loaded(0, 90.0, 200.0, 1),
            loaded(1, 300.0, 1_000.0, 40),
            loaded(2, 50.0, 100.0, 2),
        ];
        assert_eq!(LeastUtilised.place(&tenant(0), &cells, &mut rng()), Some(1));
        // least_loaded (tenant count) would pick cell 0 here.
        let mut ll = crate::component::placement::least_loaded::LeastLoaded;
        assert_eq!(ll.place(&tenant(0), &cells, &mut rng()), Some(0));
    }

    #[test]
    fn ties_fewest_tenants_then_lowest_id() {
        // Goal: equal utilisation (0.5 three ways, two capacities) → fewest tenants → lowest
        // id, whatever the slice order; ineligible minima are skipped.
        let mut cells = vec![
            loaded(9, 50.0, 100.0, 3),
            loaded(7, 500.0, 1_000.0, 2),
            loaded(4, 50.0, 100.0, 2),
            loaded(1, 80.0, 100.0, 0),
        ];
        assert_eq!(LeastUtilised.place(&tenant(0), &cells, &mut rng()), Some(4));
        cells.reverse();
        assert_eq!(LeastUtilised.place(&tenant(0), &cells, &mut rng()), Some(4));
        cells.iter_mut().find(|c| c.id == 4).unwrap().live = false;
        assert_eq!(LeastUtilised.place(&tenant(0), &cells, &mut rng()), Some(7));
        assert_eq!(LeastUtilised.place(&tenant(0), &[], &mut rng()), None);
    }

    #[test]
    fn huge_capacity_still_orders_by_load() {
        // Goal: callers that do not know capacity pass f64::MAX; loads 1.0 and 1.5 divided by
        // it are subnormal, yet the order is exact because equal capacities compare loads.
        let cells = [loaded(0, 1.5, f64::MAX, 0), loaded(1, 1.0, f64::MAX, 5)];
        assert_eq!(LeastUtilised.place(&tenant(0), &cells, &mut rng()), Some(1));
        // A cell with no capacity comes after every cell that has some.
        let cells = [loaded(0, 0.0, 0.0, 0), loaded(1, 900.0, 1_000.0, 9)];
        assert_eq!(LeastUtilised.place(&tenant(0), &cells, &mut rng()), Some(1));
    }

    #[test]
    fn burst_levels_utilisation_on_uneven_cells() {
        // Goal: the levelling guarantee. Cells of capacity 100, 200, 400, 800 start empty;
        // 1,500 tenants of load 1..=4 (cyclic) are placed. Every cell ends within
        // L / capacity = 4/100 of the others' utilisation, and load is proportional to
        // capacity (the largest cell holds ≈ 8/15 of it), which tenant counting cannot do.
        let mut cells: Vec<_> = [100.0, 200.0, 400.0, 800.0]
            .iter()
            .enumerate()
            .map(|(i, &cap)| loaded(i as u32, 0.0, cap, 0))
            .collect();
        let tenants: Vec<_> = (0..1_500)
            .map(|i| TenantInfo {
                predicted_load: f64::from(1 + i % 4),
                ..tenant(i)
            })
            .collect();
        place_all(&mut LeastUtilised, &tenants, &mut cells);
        let us: Vec<f64> = cells
            .iter()
            .map(crate::component::placement::utilisation)
            .collect();
        let (lo, hi) = us
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), &u| (lo.min(u), hi.max(u)));
        assert!(hi - lo <= 4.0 / 100.0 + 1e-9, "{us:?}");
        let total: f64 = cells.iter().map(|c| c.predicted_load).sum();
        let big = cells[3].predicted_load / total;
        assert!((big - 8.0 / 15.0).abs() < 0.01, "{big}");
    }

    #[test]
    fn draws_no_randomness() {
        // Goal: the rng is untouched.
        let mut r = rng();
        LeastUtilised.place(&tenant(0), &[cell(0), cell(1)], &mut r);
        assert_eq!(r.next_u64(), rng().next_u64());
    }
}

//! `least_loaded`: the eligible cell with the fewest tenants; ties go to the lowest cell id.
//!
//! Stateless. Over a burst into cells with no limits, tenant counts never differ by more than
//! one once they have levelled (each tenant goes to a minimum, which raises it by one).
//! It counts tenants, not predicted load: a heavy tenant counts as one.

use super::{eligible, CellView, PlacementPolicy, PolicyParams, TenantInfo};

/// The name in scenario files and reports.
pub const NAME: &str = "least_loaded";

/// Fewest tenants first (no state).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeastLoaded;

/// The registry constructor (no parameters used).
pub fn from_params(_params: &PolicyParams) -> Box<dyn PlacementPolicy> {
    Box::new(LeastLoaded)
}

impl PlacementPolicy for LeastLoaded {
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
            .filter(|c| eligible(tenant, c))
            .min_by_key(|c| (c.tenants, c.id))
            .map(|c| c.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::placement::tests::{cell, rng, tenant};

    #[test]
    fn fewest_tenants_then_lowest_id() {
        // Goal: the minimum by (tenants, id), whatever the slice order; ineligible minima are
        // skipped.
        let mut p = LeastLoaded;
        let mut cells = vec![
            CellView {
                tenants: 4,
                ..cell(9)
            },
            CellView {
                tenants: 2,
                ..cell(7)
            },
            CellView {
                tenants: 2,
                ..cell(3)
            },
            CellView {
                tenants: 5,
                ..cell(1)
            },
        ];
        assert_eq!(p.place(&tenant(0), &cells, &mut rng()), Some(3));
        cells.reverse();
        assert_eq!(p.place(&tenant(0), &cells, &mut rng()), Some(3));
        cells.iter_mut().find(|c| c.id == 3).unwrap().live = false;
        assert_eq!(p.place(&tenant(0), &cells, &mut rng()), Some(7));
        assert_eq!(p.place(&tenant(0), &[], &mut rng()), None);
    }

    #[test]
    fn draws_no_randomness() {
        // Goal: the rng is untouched, so adding this policy's calls shifts no other stream.
        let mut r = rng();
        LeastLoaded.place(&tenant(0), &[cell(0), cell(1)], &mut r);
        assert_eq!(r.next_u64(), rng().next_u64());
    }
}

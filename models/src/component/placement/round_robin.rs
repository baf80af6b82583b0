//! `round_robin`: cells in turn, in id order, skipping the ineligible ones.
//!
//! State: `next`, the smallest cell id to consider on the next call. A placement picks the
//! eligible cell with the smallest id `≥ next`, or, if there is none, wraps round to the
//! eligible cell with the smallest id; `next` becomes the chosen id + 1. Keeping an id rather
//! than a slice index means the cycle is unaffected by the order of the slice and by cells
//! joining or leaving it between calls. A call that places nothing leaves the state alone.
//!
//! It ignores load and tenant counts: over uniform cells it spreads a burst within one tenant,
//! but it does not even out cells that start uneven (that is `least_loaded`).

use super::{eligible, CellView, PlacementPolicy, PolicyParams, TenantInfo};

/// The name in scenario files and reports.
pub const NAME: &str = "round_robin";

/// Cells in turn, by id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoundRobin {
    /// The smallest cell id considered first on the next call.
    next: u32,
}

impl RoundRobin {
    /// A cycle starting at the lowest cell id.
    pub fn new() -> Self {
        RoundRobin::default()
    }
}

/// The registry constructor (no parameters used).
pub fn from_params(_params: &PolicyParams) -> Box<dyn PlacementPolicy> {
    Box::new(RoundRobin::new())
}

impl PlacementPolicy for RoundRobin {
    fn name(&self) -> &'static str {
        NAME
    }

    fn place(
        &mut self,
        tenant: &TenantInfo,
        cells: &[CellView],
        _rng: &mut dyn sim::Bits,
    ) -> Option<u32> {
        // One pass: the lowest eligible id at or after `next`, and the lowest overall (the
        // wrap-round answer).
        let mut ahead: Option<u32> = None;
        let mut lowest: Option<u32> = None;
        for c in cells.iter().filter(|c| eligible(tenant, c)) {
            lowest = Some(lowest.map_or(c.id, |l| l.min(c.id)));
            if c.id >= self.next {
                ahead = Some(ahead.map_or(c.id, |a| a.min(c.id)));
            }
        }
        let chosen = ahead.or(lowest)?;
        // u32::MAX wraps to 0: the next call starts the cycle again, as it should.
        self.next = chosen.wrapping_add(1);
        Some(chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::placement::tests::{cell, rng, tenant};

    fn run(p: &mut RoundRobin, cells: &[CellView], n: u32) -> Vec<Option<u32>> {
        let mut r = rng();
        (0..n).map(|i| p.place(&tenant(i), cells, &mut r)).collect()
    }

    #[test]
    fn cycles_in_id_order_whatever_the_slice_order() {
        // Goal: ids 2, 5, 9 in turn, from a shuffled slice, wrapping round.
        let cells = [cell(9), cell(2), cell(5)];
        let got = run(&mut RoundRobin::new(), &cells, 7);
        let want = [2, 5, 9, 2, 5, 9, 2].map(Some);
        assert_eq!(got, want);
    }

    #[test]
    fn skips_ineligible_cells() {
        // Goal: a dead cell and a full cell are skipped; the cycle goes on over the rest; when
        // a cell comes back it rejoins at its place in id order.
        let mut cells: Vec<_> = (0..5).map(cell).collect();
        cells[1].live = false;
        cells[3].max_tenants = Some(0);
        let mut p = RoundRobin::new();
        assert_eq!(run(&mut p, &cells, 5), [0, 2, 4, 0, 2].map(Some));
        cells[1].live = true;
        assert_eq!(run(&mut p, &cells, 4), [4, 0, 1, 2].map(Some));
    }

    #[test]
    fn none_leaves_the_cycle_where_it_was() {
        // Goal: a tenant that fits nowhere does not advance the cycle.
        let cells = [cell(0), cell(1), cell(2)];
        let mut p = RoundRobin::new();
        assert_eq!(run(&mut p, &cells, 1), [Some(0)]);
        let eu = TenantInfo {
            eu_only: true,
            ..tenant(9)
        };
        assert_eq!(p.place(&eu, &cells, &mut rng()), None);
        assert_eq!(run(&mut p, &cells, 1), [Some(1)]);
    }

    #[test]
    fn wraps_at_the_largest_id() {
        // Goal: a cell with id u32::MAX does not break the cycle.
        let cells = [cell(u32::MAX), cell(0)];
        assert_eq!(
            run(&mut RoundRobin::new(), &cells, 4),
            [0, u32::MAX, 0, u32::MAX].map(Some)
        );
    }
}

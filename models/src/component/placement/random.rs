//! `random`: a cell drawn uniformly among the eligible ones.
//!
//! Stateless. A call counts the `m` eligible cells, draws `r = rng.below(m)` and answers the
//! `r`-th eligible cell in slice order, so each eligible cell has probability exactly `1/m`
//! whatever the slice order (which cell a given draw lands on does depend on the order; the
//! callers pass cells in id order). Exactly one `below` per call that places; a call with no
//! eligible cell draws nothing and answers `None`.
//!
//! It ignores load and tenant counts: `n` equal tenants into `n` cells leave a busiest cell
//! of about `ln n / ln ln n` tenants (balls into bins), which is what `power_of_two` improves
//! on. It is the baseline for the load-aware policies, not a policy to run a platform with.

use super::{eligible, CellView, PlacementPolicy, PolicyParams, TenantInfo};

/// The name in scenario files and reports.
pub const NAME: &str = "random";

/// Uniform among eligible cells (no state).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Random;

/// The registry constructor (no parameters used).
pub fn from_params(_params: &PolicyParams) -> Box<dyn PlacementPolicy> {
    Box::new(Random)
}

/// The `r`-th cell of `cells` (slice order) that is eligible for `tenant`.
pub(crate) fn nth_eligible<'a>(
    tenant: &TenantInfo,
    cells: &'a [CellView],
    r: u64,
) -> Option<&'a CellView> {
    cells
        .iter()
        .filter(|c| eligible(tenant, c))
        .nth(usize::try_from(r).ok()?)
}

impl PlacementPolicy for Random {
    fn name(&self) -> &'static str {
        NAME
    }

    fn place(
        &mut self,
        tenant: &TenantInfo,
        cells: &[CellView],
        rng: &mut dyn sim::Bits,
    ) -> Option<u32> {
        let m = cells.iter().filter(|c| eligible(tenant, c)).count() as u64;
        if m == 0 {
            return None;
        }
        nth_eligible(tenant, cells, rng.below(m)).map(|c| c.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::placement::tests::{cell, rng, tenant};

    #[test]
    fn uniform_over_eligible_cells() {
        // Goal: each eligible cell is chosen with probability 1/m; ineligible ones never.
        // Method: 6 cells, one dead and one full, so m = 4; 40,000 placements without
        // recording them (the choice does not depend on load anyway). Each count is
        // Binomial(40,000, 1/4): mean 10,000, sd ≈ 87. Assert every count within 5 sd and
        // Pearson's chi-square (3 degrees of freedom) below 25 (p ≈ 1.5e-5).
        let mut cells: Vec<_> = (0..6).map(cell).collect();
        cells[1].live = false;
        cells[4].max_tenants = Some(0);
        let mut counts = [0u32; 6];
        let mut r = rng();
        let n = 40_000;
        for i in 0..n {
            let c = Random.place(&tenant(i), &cells, &mut r).unwrap();
            counts[c as usize] += 1;
        }
        assert_eq!((counts[1], counts[4]), (0, 0), "{counts:?}");
        let expected = f64::from(n) / 4.0;
        let sd = (expected * 0.75).sqrt();
        let mut chi2 = 0.0;
        for c in [0, 2, 3, 5] {
            let d = f64::from(counts[c]) - expected;
            assert!(d.abs() < 5.0 * sd, "cell {c}: {counts:?}");
            chi2 += d * d / expected;
        }
        assert!(chi2 < 25.0, "chi2 {chi2}: {counts:?}");
    }

    #[test]
    fn one_draw_per_placement_and_none_draws_nothing() {
        // Goal: the stream advances by exactly one `below(m)` per placement, and not at all
        // when nothing is eligible (so a failed provisioning shifts no later draw).
        let cells = [cell(3), cell(8), cell(5)];
        let mut r = rng();
        let got = Random.place(&tenant(0), &cells, &mut r);
        let mut oracle = rng();
        let idx = oracle.below(3) as usize;
        assert_eq!(got, Some(cells[idx].id));
        assert_eq!(r.next_u64(), oracle.next_u64());
        let eu = TenantInfo {
            eu_only: true,
            ..tenant(1)
        };
        let mut r = rng();
        assert_eq!(Random.place(&eu, &cells, &mut r), None);
        assert_eq!(r.next_u64(), rng().next_u64());
    }

    #[test]
    fn spreads_unevenly_as_balls_into_bins() {
        // Goal: what the doc says it does not do. 1,000 equal tenants into 1,000 cells: the
        // expected number of empty cells is 1000·(1 − 1/1000)^1000 ≈ 368 (this stream: 364),
        // and the busiest cell holds 5–6 (ln n / ln ln n ≈ 3.6 is the leading term; this
        // stream: 5). Assert 300..=440 empty and a maximum of at least 4: a load-aware policy
        // would leave none empty and a maximum of 1.
        let mut cells: Vec<_> = (0..1_000).map(cell).collect();
        let tenants: Vec<_> = (0..1_000).map(tenant).collect();
        crate::component::placement::tests::place_all(&mut Random, &tenants, &mut cells);
        let empty = cells.iter().filter(|c| c.tenants == 0).count();
        let max = cells.iter().map(|c| c.tenants).max().unwrap();
        assert!((300..=440).contains(&empty), "{empty} empty");
        assert!(max >= 4, "max {max}");
    }
}

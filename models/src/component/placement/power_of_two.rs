//! `power_of_two`: sample `d` eligible cells uniformly, place on the least loaded of them
//! ("the power of d choices"; `d = 2` by default, [`PolicyParams::power_of_two_choices`]).
//!
//! Stateless. A call counts the `m` eligible cells and makes `d` independent draws
//! `rng.below(m)`, each naming the `r`-th eligible cell in slice order, *with* replacement (as
//! in the classic analysis; with `d ≥ m` it is therefore not quite `least_utilised`). Of the
//! sampled cells it answers the least loaded by [`by_utilisation`]:
//! least predicted load on cells of equal capacity, lowest load / capacity otherwise, ties →
//! fewer tenants → lower id. Exactly `d` draws per call that places, none when no cell is
//! eligible. `d = 0` counts as 1 (that is `random`).
//!
//! Why: it needs no global view of the cells (a real control plane asks two cells for their
//! load, not a thousand), yet the busiest cell is exponentially better than random. With `n`
//! cells and `m` equal tenants, uniform random placement leaves a maximum of about
//! `ln n / ln ln n` when `m = n` and `m/n + Θ(√(m ln n / n))` when `m ≫ n`; two choices leave
//! `m/n + ln ln n / ln 2 + O(1)` for every `m` (Azar, Broder, Karlin, Upfal 1999; Berenbrink,
//! Czumaj, Steger, Vöcking 2006). The gap to the mean does not grow with the number of
//! tenants. Costs `d` scans of the slice per placement.

use super::{by_utilisation, eligible, CellView, PlacementPolicy, PolicyParams, TenantInfo};
use crate::component::placement::random::nth_eligible;

/// The name in scenario files and reports.
pub const NAME: &str = "power_of_two";

/// The least loaded of `choices` uniformly sampled eligible cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PowerOfTwo {
    /// Cells sampled per placement (≥ 1).
    choices: u32,
}

impl PowerOfTwo {
    /// Samples `choices` cells per placement (0 counts as 1).
    pub fn new(choices: u32) -> Self {
        PowerOfTwo {
            choices: choices.max(1),
        }
    }
}

/// The registry constructor: `d` from [`PolicyParams::power_of_two_choices`].
pub fn from_params(params: &PolicyParams) -> Box<dyn PlacementPolicy> {
    Box::new(PowerOfTwo::new(params.power_of_two_choices))
}

impl PlacementPolicy for PowerOfTwo {
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
        let mut best: Option<&CellView> = None;
        for _ in 0..self.choices {
            let c = nth_eligible(tenant, cells, rng.below(m))?;
            if best.is_none_or(|b| by_utilisation(c, b).is_lt()) {
                best = Some(c);
            }
        }
        best.map(|c| c.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::placement::random::Random;
    use crate::component::placement::tests::{cell, place_all, rng, tenant};

    fn max_tenants_after(policy: &mut dyn PlacementPolicy, n_cells: u32, n_tenants: u32) -> u32 {
        let mut cells: Vec<_> = (0..n_cells).map(cell).collect();
        let tenants: Vec<_> = (0..n_tenants).map(tenant).collect();
        place_all(policy, &tenants, &mut cells);
        assert_eq!(cells.iter().map(|c| c.tenants).sum::<u32>(), n_tenants);
        cells.iter().map(|c| c.tenants).max().unwrap()
    }

    #[test]
    fn two_choices_beat_random_by_far_when_heavily_loaded() {
        // Goal: the doc's claim. Method: 10,000 equal tenants into 1,000 equal cells (mean
        // 10 per cell), the same rng stream for both policies.
        //   random:  max ≈ m/n + √(2 (m/n) ln n) ≈ 10 + √(2·10·6.91) ≈ 10 + 11.8, so about
        //            21–23 (this stream gives 21);
        //   two choices: max ≈ m/n + ln ln n / ln 2 + O(1) ≈ 10 + 2.8 + O(1), so 12–13 (this
        //            stream gives 12).
        // Asserted with margin: two choices ≤ 14, random ≥ 18, and a gap of at least 6.
        let random = max_tenants_after(&mut Random, 1_000, 10_000);
        let two = max_tenants_after(&mut PowerOfTwo::new(2), 1_000, 10_000);
        assert!(two <= 14, "two choices: max {two}");
        assert!(random >= 18, "random: max {random}");
        assert!(random >= two + 6, "random {random} vs two choices {two}");
    }

    #[test]
    fn two_choices_beat_random_at_one_tenant_per_cell() {
        // Goal: the light-load regime. 1,000 tenants into 1,000 cells: random's max is
        // ln n / ln ln n · (1 + o(1)) ≈ 3.6 · (1 + o(1)), 5–6 in practice (this stream gives
        // 5, with 364 cells left empty); two choices give ln ln n / ln 2 + O(1) ≈ 2.8 + O(1)
        // (this stream gives 3, with 233 empty). Asserted: two ≤ 4 < random.
        let random = max_tenants_after(&mut Random, 1_000, 1_000);
        let two = max_tenants_after(&mut PowerOfTwo::new(2), 1_000, 1_000);
        assert!(two <= 4, "two choices: max {two}");
        assert!(random > two, "random {random} vs two choices {two}");
    }

    #[test]
    fn picks_the_less_loaded_of_its_samples() {
        // Goal: with d = m = 2, the less loaded cell (1) is chosen whenever it was sampled,
        // and cell 0 only when both draws named it. Method: replay the draws with an oracle
        // stream; the streams stay in step (exactly d draws per call).
        let cells = [
            CellView {
                predicted_load: 30.0,
                ..cell(0)
            },
            CellView {
                predicted_load: 10.0,
                ..cell(1)
            },
        ];
        let mut r = rng();
        let mut oracle = rng();
        for i in 0..200 {
            let got = PowerOfTwo::new(2).place(&tenant(i), &cells, &mut r);
            let (a, b) = (oracle.below(2), oracle.below(2));
            let want = if a == 1 || b == 1 { 1 } else { 0 };
            assert_eq!(got, Some(want));
        }
        assert_eq!(r.next_u64(), oracle.next_u64(), "exactly d draws per call");
    }

    #[test]
    fn more_choices_balance_better_and_d_zero_is_random() {
        // Goal: d is the knob. 5,000 tenants into 500 cells: d = 8 is at least as level as
        // d = 2 (the gap above the mean shrinks like ln ln n / ln d; this stream gives 11 vs
        // 12). d = 0 counts as 1 and reproduces `random` placement for placement.
        let two = max_tenants_after(&mut PowerOfTwo::new(2), 500, 5_000);
        let eight = max_tenants_after(&mut PowerOfTwo::new(8), 500, 5_000);
        assert!(eight <= two && eight <= 12, "d=8 {eight}, d=2 {two}");
        let mut cells_a: Vec<_> = (0..50).map(cell).collect();
        let mut cells_b = cells_a.clone();
        let tenants: Vec<_> = (0..300).map(tenant).collect();
        let a = place_all(&mut PowerOfTwo::new(0), &tenants, &mut cells_a);
        let b = place_all(&mut Random, &tenants, &mut cells_b);
        assert_eq!(a, b);
    }

    #[test]
    fn none_draws_nothing() {
        // Goal: a tenant with no eligible cell leaves the stream alone.
        let cells = [CellView {
            live: false,
            ..cell(0)
        }];
        let mut r = rng();
        assert_eq!(PowerOfTwo::new(2).place(&tenant(0), &cells, &mut r), None);
        assert_eq!(r.next_u64(), rng().next_u64());
    }
}

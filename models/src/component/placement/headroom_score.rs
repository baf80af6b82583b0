//! `headroom_score`: the eligible cell with the highest weighted headroom score.
//!
//! ```text
//!   score = a · (1 − load / capacity)                  free CPU fraction, before the tenant
//!         + b · (max_tenants − tenants) / max_tenants  free tenant slots (1 if unlimited)
//!         − c · spiky_tenants / tenants                share of bursty neighbours (0 if empty)
//!         − d · (load + tenant's load) / capacity      utilisation with the tenant
//! ```
//!
//! Weights `a, b, c, d` are [`PolicyParams`]'s `headroom_weight_free_cpu` (1),
//! `headroom_weight_free_slots` (0.25), `headroom_weight_spiky` (0.5) and
//! `headroom_weight_utilisation` (0.5). The `d` term differs from the `a` term in that it
//! counts the tenant being placed: it penalises putting a heavy tenant on a small cell. A cell
//! without usable capacity has infinite utilisation (score −∞); a NaN score counts as −∞.
//!
//! **Headroom filter**: a cell whose utilisation with the tenant would exceed
//! `headroom_utilisation_max` (0.9) is considered only when no eligible cell stays at or below
//! it; then all eligible cells compete on score. So a tenant is placed whenever any cell is
//! eligible, and it never takes a cell past the ceiling while another has room under it.
//!
//! Stateless, draws nothing. Ties on score go to the cell with fewer tenants, then the lowest
//! id. On cells of equal capacity without tenant limits and without spiky tenants, with
//! `a, d ≥ 0` and `a + d > 0`, the score falls as load rises, so it chooses as
//! `least_utilised` does (a burst of equal tenants stays level within one). With limits, the
//! `b` term may prefer an emptier cell to a less loaded one: that is what `b` is for.
//!
//! **Spiky tenants**: `place` takes the count from [`CellView::spiky_tenants`], which the
//! callers keep (population and control plane count the tenants placed with
//! [`TenantInfo::spiky`]); [`HeadroomScore::score`] takes the count as an argument so that its
//! tests can vary it alone.

use super::{eligible, utilisation, CellView, PlacementPolicy, PolicyParams, TenantInfo};

/// The name in scenario files and reports.
pub const NAME: &str = "headroom_score";

/// The weights and the filter of [`HeadroomScore::score`] (from [`PolicyParams`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeadroomScore {
    /// `a`: weight of the free CPU fraction.
    pub weight_free_cpu: f64,
    /// `b`: weight of the free tenant-slot fraction.
    pub weight_free_slots: f64,
    /// `c`: weight of the share of spiky tenants.
    pub weight_spiky: f64,
    /// `d`: weight of the utilisation with the tenant.
    pub weight_utilisation: f64,
    /// Cells past this utilisation (with the tenant) only if no cell stays under it.
    pub utilisation_max: f64,
}

impl HeadroomScore {
    /// The policy with the weights and filter of `params`.
    pub fn new(params: &PolicyParams) -> Self {
        HeadroomScore {
            weight_free_cpu: params.headroom_weight_free_cpu,
            weight_free_slots: params.headroom_weight_free_slots,
            weight_spiky: params.headroom_weight_spiky,
            weight_utilisation: params.headroom_weight_utilisation,
            utilisation_max: params.headroom_utilisation_max,
        }
    }

    /// The score of placing `tenant` on `cell` when `spiky_tenants` of its tenants are spiky
    /// (higher is better; see the module docs). Never NaN.
    pub fn score(&self, tenant: &TenantInfo, cell: &CellView, spiky_tenants: u32) -> f64 {
        let free_cpu = 1.0 - utilisation(cell);
        let free_slots = match cell.max_tenants {
            Some(max) if max > 0 => f64::from(max.saturating_sub(cell.tenants)) / f64::from(max),
            Some(_) => 0.0,
            None => 1.0,
        };
        let spiky_share = if cell.tenants == 0 {
            0.0
        } else {
            f64::from(spiky_tenants.min(cell.tenants)) / f64::from(cell.tenants)
        };
        let s = self.weight_free_cpu * free_cpu + self.weight_free_slots * free_slots
            - self.weight_spiky * spiky_share
            - self.weight_utilisation * utilisation_with(tenant, cell);
        if s.is_nan() {
            f64::NEG_INFINITY
        } else {
            s
        }
    }

    /// Whether `cell` keeps the headroom the filter asks for once `tenant` is on it.
    fn has_headroom(&self, tenant: &TenantInfo, cell: &CellView) -> bool {
        utilisation_with(tenant, cell) <= self.utilisation_max
    }
}

/// The utilisation of `cell` once `tenant` is placed on it.
fn utilisation_with(tenant: &TenantInfo, cell: &CellView) -> f64 {
    utilisation(&CellView {
        predicted_load: cell.predicted_load + tenant.predicted_load,
        ..*cell
    })
}

/// The registry constructor: weights and filter from `params`.
pub fn from_params(params: &PolicyParams) -> Box<dyn PlacementPolicy> {
    Box::new(HeadroomScore::new(params))
}

impl PlacementPolicy for HeadroomScore {
    fn name(&self) -> &'static str {
        NAME
    }

    fn place(
        &mut self,
        tenant: &TenantInfo,
        cells: &[CellView],
        _rng: &mut dyn sim::Bits,
    ) -> Option<u32> {
        let any_headroom = cells
            .iter()
            .any(|c| eligible(tenant, c) && self.has_headroom(tenant, c));
        cells
            .iter()
            .filter(|c| eligible(tenant, c) && (!any_headroom || self.has_headroom(tenant, c)))
            .map(|c| (self.score(tenant, c, c.spiky_tenants), c))
            // Best first: higher score, then fewer tenants, then lower id.
            .min_by(|(sa, a), (sb, b)| {
                sb.total_cmp(sa)
                    .then(a.tenants.cmp(&b.tenants))
                    .then(a.id.cmp(&b.id))
            })
            .map(|(_, c)| c.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::placement::tests::{cell, place_all, rng, tenant};

    fn policy() -> HeadroomScore {
        HeadroomScore::new(&PolicyParams::default())
    }

    fn only(a: f64, b: f64, c: f64, d: f64) -> HeadroomScore {
        HeadroomScore {
            weight_free_cpu: a,
            weight_free_slots: b,
            weight_spiky: c,
            weight_utilisation: d,
            utilisation_max: 0.9,
        }
    }

    fn view(id: u32, load: f64, capacity: f64, tenants: u32, max: Option<u32>) -> CellView {
        CellView {
            predicted_load: load,
            capacity,
            tenants,
            max_tenants: max,
            ..cell(id)
        }
    }

    #[test]
    fn score_is_the_documented_formula() {
        // Goal: each term by hand. Cell: load 300 of 1,000, 6 of 10 slots used, 3 of its 6
        // tenants spiky; tenant load 100. Terms: free CPU 0.7, free slots 0.4, spiky share
        // 0.5, utilisation with the tenant 0.4.
        let c = view(0, 300.0, 1_000.0, 6, Some(10));
        let t = TenantInfo {
            predicted_load: 100.0,
            ..tenant(0)
        };
        let close = |x: f64, y: f64| (x - y).abs() < 1e-12;
        assert!(close(only(1.0, 0.0, 0.0, 0.0).score(&t, &c, 3), 0.7));
        assert!(close(only(0.0, 1.0, 0.0, 0.0).score(&t, &c, 3), 0.4));
        assert!(close(only(0.0, 0.0, 1.0, 0.0).score(&t, &c, 3), -0.5));
        assert!(close(only(0.0, 0.0, 0.0, 1.0).score(&t, &c, 3), -0.4));
        let want = 0.7 + 0.25 * 0.4 - 0.5 * 0.5 - 0.5 * 0.4;
        assert!(close(policy().score(&t, &c, 3), want));
        // Unlimited slots count as all free; an empty cell has no spiky share.
        let free = view(0, 0.0, 1_000.0, 0, None);
        assert!(close(only(0.0, 1.0, 1.0, 0.0).score(&t, &free, 0), 1.0));
        // No capacity: −∞, never NaN, even with a zero weight on the infinite term.
        let none = view(0, 0.0, 0.0, 0, None);
        assert_eq!(policy().score(&t, &none, 0), f64::NEG_INFINITY);
        assert_eq!(
            only(0.0, 1.0, 0.0, 1.0).score(&t, &none, 0),
            f64::NEG_INFINITY
        );
        assert!(!only(0.0, 0.0, 0.0, 0.0).score(&t, &none, 0).is_nan());
    }

    #[test]
    fn spiky_neighbours_cost_score() {
        // Goal: the c term ranks cells: equal cells but for their spiky share, the calmer one
        // scores higher, by c × the difference in share.
        let c = view(0, 200.0, 1_000.0, 4, None);
        let t = tenant(0);
        let p = policy();
        let calm = p.score(&t, &c, 0);
        let spiky = p.score(&t, &c, 3);
        assert!(
            (calm - spiky - 0.5 * 0.75).abs() < 1e-12,
            "{calm} vs {spiky}"
        );
    }

    #[test]
    fn prefers_free_cpu_and_free_slots() {
        // Goal: the a and b terms steer the choice. Cell 0: 50% used, slots all free; cell 1:
        // 20% used but 9 of 10 slots taken. Free CPU alone picks 1; slots alone pick 0; the
        // defaults (a = 1, b = 0.25, d = 0.5) weigh CPU more: 1.
        let cells = [
            view(0, 500.0, 1_000.0, 2, Some(100)),
            view(1, 200.0, 1_000.0, 9, Some(10)),
        ];
        let t = tenant(0);
        assert_eq!(
            only(1.0, 0.0, 0.0, 0.0).place(&t, &cells, &mut rng()),
            Some(1)
        );
        assert_eq!(
            only(0.0, 1.0, 0.0, 0.0).place(&t, &cells, &mut rng()),
            Some(0)
        );
        assert_eq!(policy().place(&t, &cells, &mut rng()), Some(1));
    }

    #[test]
    fn utilisation_term_counts_the_tenant() {
        // Goal: d penalises a heavy tenant on a small cell even when both cells are idle.
        // Tenant load 90: on cell 0 (capacity 100) utilisation would be 0.9, on cell 1
        // (capacity 1,000) 0.09. With a only, the two tie (both idle) and the lower id wins;
        // with d, the big cell wins.
        let cells = [view(0, 0.0, 100.0, 0, None), view(1, 0.0, 1_000.0, 0, None)];
        let t = TenantInfo {
            predicted_load: 90.0,
            ..tenant(0)
        };
        assert_eq!(
            only(1.0, 0.0, 0.0, 0.0).place(&t, &cells, &mut rng()),
            Some(0)
        );
        assert_eq!(
            only(1.0, 0.0, 0.0, 1.0).place(&t, &cells, &mut rng()),
            Some(1)
        );
    }

    #[test]
    fn headroom_filter_excludes_hot_cells_unless_none_qualify() {
        // Goal: the filter beats the score. With b large, the full-but-slot-rich cell 0 would
        // win on score, but with the tenant it would reach 0.95 > 0.9, so cell 1 (0.95 of
        // slots taken, 0.5 of CPU) is chosen. When every cell would pass 0.9, the best score
        // among all eligible cells wins instead of None.
        let cells = [
            view(0, 900.0, 1_000.0, 0, Some(100)),
            view(1, 450.0, 1_000.0, 19, Some(20)),
        ];
        let t = TenantInfo {
            predicted_load: 50.0,
            ..tenant(0)
        };
        let mut slots_lover = only(0.0, 10.0, 0.0, 0.0);
        assert_eq!(slots_lover.place(&t, &cells, &mut rng()), Some(1));
        let heavy = TenantInfo {
            predicted_load: 600.0,
            ..tenant(0)
        };
        assert_eq!(slots_lover.place(&heavy, &cells, &mut rng()), Some(0));
        assert_eq!(policy().place(&heavy, &cells, &mut rng()), Some(1));
    }

    #[test]
    fn ties_fewest_tenants_then_lowest_id() {
        // Goal: with callers' capacity f64::MAX every cell scores alike; the tie-break then
        // levels tenant counts, lowest id first, whatever the slice order.
        let mut cells = vec![
            view(5, 3.0, f64::MAX, 2, None),
            view(2, 1.0, f64::MAX, 1, None),
            view(8, 9.0, f64::MAX, 1, None),
        ];
        assert_eq!(policy().place(&tenant(0), &cells, &mut rng()), Some(2));
        cells.reverse();
        assert_eq!(policy().place(&tenant(0), &cells, &mut rng()), Some(2));
        let tenants: Vec<_> = (0..30).map(tenant).collect();
        place_all(&mut policy(), &tenants, &mut cells);
        let counts: Vec<_> = cells.iter().map(|c| c.tenants).collect();
        assert_eq!(counts.iter().sum::<u32>(), 34);
        assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1);
    }

    #[test]
    fn draws_no_randomness() {
        // Goal: the rng is untouched.
        let mut r = rng();
        policy().place(&tenant(0), &[cell(0), cell(1)], &mut r);
        assert_eq!(r.next_u64(), rng().next_u64());
    }
}

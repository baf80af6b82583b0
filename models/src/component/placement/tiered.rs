//! `tiered`: a shared pool of cells for the lower tiers, cells of their own for the top tier
//! and for tenants heavy enough to be promoted.
//!
//! ```text
//!   tenant has an eligible cell dedicated to it ──────────────────────────▶ that cell
//!   "top": tier ≥ dedicated_tier, or predicted_load > promote_load
//!      ├─ an eligible *empty* cell among dedicated_cells ─────────────────▶ lowest id
//!      │    (dedicated_cells empty: any eligible empty cell)
//!      └─ otherwise ──────────────────────────────────────────────────────▶ least utilised eligible
//!   lower tiers
//!      ├─ least utilised eligible *pooled* cell ──────────────────────────▶ it
//!      │    (pooled: not in dedicated_cells and not dedicated to anyone)
//!      └─ otherwise (pool full or dead) ──────────────────────────────────▶ least utilised eligible
//! ```
//!
//! Knobs ([`PolicyParams`]): `dedicated_tier` (default 3, platinum among the built-in tiers:
//! tier indices grow with the tier), `dedicated_cells` (ids kept for top tenants; default
//! none), `promote_load` (requests per second; default `None`, no promotion). "Least
//! utilised" is [`by_utilisation`](super::by_utilisation). Stateless, draws nothing.
//!
//! **Design**: which cells may be dedicated is scenario configuration (a list of ids in the
//! params), not a field of [`CellView`], so callers build views as before; a cell that *is*
//! dedicated carries `dedicated_to`, which [`eligible`](super::eligible) already enforces. The
//! policy keeps no record of what it handed out: when it gives an empty cell to a top tenant,
//! the caller that wants the cell to stay exclusive sets `dedicated_to` on it. Cells in
//! `dedicated_cells` are shielded anyway, since lower tiers reach them only when no pooled
//! cell is eligible.
//!
//! **Guarantees**: a tenant is placed whenever any cell is eligible (each branch falls back to
//! the least utilised eligible cell); a lower-tier tenant never lands on a dedicated-capable
//! cell while a pooled one is eligible; a top tenant never shares a cell while an eligible
//! empty dedicated-capable cell exists. With no top tenants, an empty `dedicated_cells` and
//! no cell dedicated to anyone, it chooses as `least_utilised` does.

use super::{least_utilised_where, CellView, PlacementPolicy, PolicyParams, TenantInfo};

/// The name in scenario files and reports.
pub const NAME: &str = "tiered";

/// Pooled cells for lower tiers, own cells for the top tier.
#[derive(Clone, Debug, PartialEq)]
pub struct Tiered {
    /// Tenants of this tier index or above are top tenants.
    pub dedicated_tier: u16,
    /// Cells kept for top tenants (empty: any empty cell will do for them).
    pub dedicated_cells: Vec<u32>,
    /// Lower-tier tenants above this predicted load are treated as top tenants.
    pub promote_load: Option<f64>,
}

impl Tiered {
    /// The policy with the knobs of `params`.
    pub fn new(params: &PolicyParams) -> Self {
        Tiered {
            dedicated_tier: params.dedicated_tier,
            dedicated_cells: params.dedicated_cells.clone(),
            promote_load: params.promote_load,
        }
    }

    /// Top tier, or promoted by its predicted load.
    pub fn is_top(&self, tenant: &TenantInfo) -> bool {
        tenant.tier >= self.dedicated_tier
            || self
                .promote_load
                .is_some_and(|limit| tenant.predicted_load > limit)
    }

    /// Whether `cell` may be handed whole to a top tenant.
    fn dedicated_capable(&self, cell: &CellView) -> bool {
        self.dedicated_cells.is_empty() || self.dedicated_cells.contains(&cell.id)
    }

    /// Whether `cell` is in the shared pool (lower tiers go there first).
    fn pooled(&self, cell: &CellView) -> bool {
        cell.dedicated_to.is_none() && !self.dedicated_cells.contains(&cell.id)
    }
}

/// The registry constructor: the knobs from `params`.
pub fn from_params(params: &PolicyParams) -> Box<dyn PlacementPolicy> {
    Box::new(Tiered::new(params))
}

impl PlacementPolicy for Tiered {
    fn name(&self) -> &'static str {
        NAME
    }

    fn place(
        &mut self,
        tenant: &TenantInfo,
        cells: &[CellView],
        _rng: &mut dyn sim::Bits,
    ) -> Option<u32> {
        let own = least_utilised_where(tenant, cells, |c| c.dedicated_to == Some(tenant.id));
        let preferred = if self.is_top(tenant) {
            cells
                .iter()
                .filter(|c| {
                    super::eligible(tenant, c) && c.tenants == 0 && self.dedicated_capable(c)
                })
                .map(|c| c.id)
                .min()
        } else {
            least_utilised_where(tenant, cells, |c| self.pooled(c))
        };
        own.or(preferred)
            .or_else(|| least_utilised_where(tenant, cells, |_| true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::placement::tests::{cell, place_all, rng, tenant};

    fn with(dedicated_cells: &[u32], promote_load: Option<f64>) -> Tiered {
        Tiered::new(&PolicyParams {
            dedicated_cells: dedicated_cells.to_vec(),
            promote_load,
            ..PolicyParams::default()
        })
    }

    fn tiered_tenant(id: u32, tier: u16, load: f64) -> TenantInfo {
        TenantInfo {
            tier,
            predicted_load: load,
            ..tenant(id)
        }
    }

    #[test]
    fn lower_tiers_stay_in_the_pool_until_it_is_gone() {
        // Goal: cells 6 and 7 are dedicated-capable; 300 bronze..gold tenants spread over the
        // pool 0..6 only (levelled, as least_utilised); with the pool dead, they spill onto
        // 6 and 7 rather than fail.
        let mut p = with(&[6, 7], None);
        let mut cells: Vec<_> = (0..8).map(cell).collect();
        let tenants: Vec<_> = (0..300)
            .map(|i| tiered_tenant(i, (i % 3) as u16, 1.0))
            .collect();
        place_all(&mut p, &tenants, &mut cells);
        assert_eq!((cells[6].tenants, cells[7].tenants), (0, 0));
        assert!(cells[..6].iter().all(|c| c.tenants == 50));
        for c in &mut cells[..6] {
            c.live = false;
        }
        let spill: Vec<_> = (300..304).map(|i| tiered_tenant(i, 0, 1.0)).collect();
        assert_eq!(
            place_all(&mut p, &spill, &mut cells),
            [6, 7, 6, 7].map(Some)
        );
    }

    #[test]
    fn top_tier_gets_empty_dedicated_cells_then_shares() {
        // Goal: platinum tenants (tier 3) take the empty dedicated-capable cells in id order;
        // once none is empty, the least utilised eligible cell of any kind.
        let mut p = with(&[5, 2], None);
        let mut cells: Vec<_> = (0..6)
            .map(|i| CellView {
                predicted_load: if i == 4 { 0.0 } else { 100.0 },
                tenants: u32::from(i != 4 && i != 2 && i != 5),
                ..cell(i)
            })
            .collect();
        let top: Vec<_> = (0..3).map(|i| tiered_tenant(i, 3, 50.0)).collect();
        // Cell 4 is empty too but pooled: not handed to a top tenant while 2 and 5 are free.
        assert_eq!(place_all(&mut p, &top, &mut cells), [2, 5, 4].map(Some));
    }

    #[test]
    fn without_a_dedicated_list_any_empty_cell_serves() {
        // Goal: with dedicated_cells empty, a top tenant takes the lowest-id empty cell, and
        // shares only when every eligible cell is occupied.
        let mut p = with(&[], None);
        let cells = [
            CellView {
                tenants: 3,
                predicted_load: 3.0,
                ..cell(0)
            },
            cell(1),
            cell(2),
        ];
        assert_eq!(
            p.place(&tiered_tenant(9, 3, 1.0), &cells, &mut rng()),
            Some(1)
        );
        // A lower tier spreads like least_utilised: also an empty cell, by utilisation.
        assert_eq!(
            p.place(&tiered_tenant(9, 0, 1.0), &cells, &mut rng()),
            Some(1)
        );
        let busy = [
            cells[0],
            CellView {
                tenants: 1,
                predicted_load: 5.0,
                ..cells[1]
            },
        ];
        assert_eq!(
            p.place(&tiered_tenant(9, 3, 1.0), &busy, &mut rng()),
            Some(0)
        );
    }

    #[test]
    fn heavy_tenants_are_promoted() {
        // Goal: promotion. With promote_load 100, a bronze tenant of load 150 is placed like a
        // platinum one (on the empty dedicated cell 3); at exactly 100, or with promotion off,
        // it stays in the pool.
        let cells: Vec<_> = (0..4).map(cell).collect();
        let heavy = tiered_tenant(1, 0, 150.0);
        let edge = tiered_tenant(2, 0, 100.0);
        let mut p = with(&[3], Some(100.0));
        assert!(p.is_top(&heavy) && !p.is_top(&edge));
        assert_eq!(p.place(&heavy, &cells, &mut rng()), Some(3));
        assert_eq!(p.place(&edge, &cells, &mut rng()), Some(0));
        let mut off = with(&[3], None);
        assert_eq!(off.place(&heavy, &cells, &mut rng()), Some(0));
    }

    #[test]
    fn own_dedicated_cell_first_and_constraints_hold() {
        // Goal: a tenant with a cell dedicated to it goes there whatever its tier; a top
        // tenant that must stay in the EU skips a non-EU empty dedicated cell and shares an
        // EU one rather than break residency.
        let mut p = with(&[1], None);
        let cells = [
            CellView {
                eu: true,
                tenants: 4,
                predicted_load: 4.0,
                ..cell(0)
            },
            cell(1),
            CellView {
                dedicated_to: Some(7),
                tenants: 1,
                predicted_load: 500.0,
                ..cell(2)
            },
        ];
        assert_eq!(
            p.place(&tiered_tenant(7, 0, 1.0), &cells, &mut rng()),
            Some(2)
        );
        assert_eq!(
            p.place(&tiered_tenant(7, 3, 1.0), &cells, &mut rng()),
            Some(2)
        );
        let eu_top = TenantInfo {
            eu_only: true,
            ..tiered_tenant(8, 3, 1.0)
        };
        assert_eq!(p.place(&eu_top, &cells, &mut rng()), Some(0));
        assert_eq!(
            p.place(&tiered_tenant(8, 3, 1.0), &cells, &mut rng()),
            Some(1)
        );
    }

    #[test]
    fn draws_no_randomness() {
        // Goal: the rng is untouched.
        let mut r = rng();
        with(&[], Some(0.0)).place(&tenant(0), &[cell(0), cell(1)], &mut r);
        assert_eq!(r.next_u64(), rng().next_u64());
    }
}

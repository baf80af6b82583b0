//! A rollout's plan as pure data: which tenants each wave changes, and what a failing gate
//! does. No platform, no scenario: tenants are indices with a tier, a cohort and a cell.
//!
//! **Guarantees.** [`waves`] puts every tenant in at most one wave (the first group that
//! selects it), keeps tenants in index order within a wave — or in the group's `order_by`
//! order ([`Order`]), ties by index — and is a pure function of its inputs and the salt: a
//! `percent` group's pick is the first tenants of its order, or without one an order by a
//! hash of (salt, tenant), not a random draw, so declaring a rollout shifts no random
//! stream.

/// What a failing gate (or a failed change) does to the rollout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnError {
    /// Stop launching changes; what is changed stays changed.
    Halt,
    /// Stop, then undo every change made so far (each undo takes as long as the change).
    Rollback,
    /// Record the failure and go on.
    Continue,
}

impl OnError {
    /// The name as written.
    pub fn name(self) -> &'static str {
        match self {
            OnError::Halt => "halt",
            OnError::Rollback => "rollback",
            OnError::Continue => "continue",
        }
    }
}

/// A group's selectors: a tenant matches if it matches every non-empty list; `percent` then
/// keeps that share of the whole fleet from the matches.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroupSel {
    /// Tenant indices.
    pub tenants: Vec<u32>,
    /// Cohort indices.
    pub cohorts: Vec<usize>,
    /// Tier indices.
    pub tiers: Vec<usize>,
    /// Cells.
    pub cells: Vec<u32>,
    /// Share of the fleet (0, 1].
    pub percent: Option<f64>,
    /// The cells of the regions named (`None`: no region selector).
    pub region_cells: Option<Vec<u32>>,
    /// The order tenants are changed in (and a `percent` takes its first of).
    pub order: Option<Order>,
}

/// What a group orders its tenants by (Atlas's `order by`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderBy {
    /// Data size.
    Size,
    /// Offered request rate.
    Rate,
    /// Tier (declaration order).
    Tier,
    /// Cell index.
    Cell,
    /// Tenant id.
    Name,
}

impl OrderBy {
    /// Every key, in the order the docs list them.
    pub const ALL: [OrderBy; 5] = [
        OrderBy::Size,
        OrderBy::Rate,
        OrderBy::Tier,
        OrderBy::Cell,
        OrderBy::Name,
    ];

    /// The key as written.
    pub fn name(self) -> &'static str {
        match self {
            OrderBy::Size => "size",
            OrderBy::Rate => "rate",
            OrderBy::Tier => "tier",
            OrderBy::Cell => "cell",
            OrderBy::Name => "name",
        }
    }
}

/// A group's order: a key, ascending or descending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Order {
    /// The key.
    pub by: OrderBy,
    /// Largest (last) first.
    pub descending: bool,
}

/// What the plan knows of a tenant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlanTenant {
    /// Tier index.
    pub tier: usize,
    /// Cohort index.
    pub cohort: Option<usize>,
    /// Cell it is on.
    pub cell: u32,
    /// Data size (bytes).
    pub size: f64,
    /// Offered rate (requests per second).
    pub rate: f64,
    /// Rank of its id among the fleet's ids sorted.
    pub name_rank: u32,
}

impl PlanTenant {
    /// `self` against `other` by `by`, ascending.
    fn cmp_by(&self, other: &PlanTenant, by: OrderBy) -> std::cmp::Ordering {
        match by {
            OrderBy::Size => self.size.total_cmp(&other.size),
            OrderBy::Rate => self.rate.total_cmp(&other.rate),
            OrderBy::Tier => self.tier.cmp(&other.tier),
            OrderBy::Cell => self.cell.cmp(&other.cell),
            OrderBy::Name => self.name_rank.cmp(&other.name_rank),
        }
    }
}

impl GroupSel {
    fn matches(&self, i: u32, t: &PlanTenant) -> bool {
        (self.tenants.is_empty() || self.tenants.contains(&i))
            && (self.cohorts.is_empty() || t.cohort.is_some_and(|c| self.cohorts.contains(&c)))
            && (self.tiers.is_empty() || self.tiers.contains(&t.tier))
            && (self.cells.is_empty() || self.cells.contains(&t.cell))
            && self
                .region_cells
                .as_ref()
                .is_none_or(|cells| cells.contains(&t.cell))
    }
}

/// The waves: for each group in order, the tenants it selects among those no earlier group
/// took. A wave may be empty (the engine skips it and reports it).
pub fn waves(groups: &[GroupSel], tenants: &[PlanTenant], salt: u64) -> Vec<Vec<u32>> {
    let mut taken = vec![false; tenants.len()];
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let mut wave: Vec<u32> = (0..tenants.len() as u32)
            .filter(|&i| !taken[i as usize] && g.matches(i, &tenants[i as usize]))
            .collect();
        if let Some(o) = g.order {
            wave.sort_by(|&a, &b| {
                let ord = tenants[a as usize].cmp_by(&tenants[b as usize], o.by);
                let ord = if o.descending { ord.reverse() } else { ord };
                ord.then(a.cmp(&b))
            });
        }
        if let Some(p) = g.percent {
            let want = ((p * tenants.len() as f64).ceil() as usize).max(1);
            if want < wave.len() && g.order.is_some() {
                wave.truncate(want);
            } else if want < wave.len() {
                wave.sort_by_key(|&i| (sim::digest::mix64(salt ^ i as u64), i));
                wave.truncate(want);
                wave.sort_unstable();
            }
        }
        for &i in &wave {
            taken[i as usize] = true;
        }
        out.push(wave);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet(n: u32, cells: u32) -> Vec<PlanTenant> {
        // Sizes are distinct (41 i mod 101), names rank in reverse of the index.
        (0..n)
            .map(|i| PlanTenant {
                tier: (i % 2) as usize,
                cohort: Some((i / 10) as usize),
                cell: i % cells,
                size: ((i * 7919) % 101) as f64,
                rate: 1.0,
                name_rank: n - 1 - i,
            })
            .collect()
    }

    /// Goal: groups partition the fleet in order: a tenant is in the first group selecting
    /// it, a selector-less last group takes the rest. Method: a 40-tenant fleet, a cell
    /// group, a tier group and a catch-all; check membership and that nobody repeats.
    #[test]
    fn groups_take_tenants_once_in_order() {
        let f = fleet(40, 4);
        let g = [
            GroupSel {
                cells: vec![0],
                ..Default::default()
            },
            GroupSel {
                tiers: vec![1],
                ..Default::default()
            },
            GroupSel::default(),
        ];
        let w = waves(&g, &f, 7);
        assert!(w[0].iter().all(|&i| i % 4 == 0) && w[0].len() == 10);
        assert!(w[1].iter().all(|&i| i % 2 == 1 && i % 4 != 0) && w[1].len() == 20);
        assert_eq!(w[0].len() + w[1].len() + w[2].len(), 40);
        let mut all: Vec<u32> = w.concat();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 40);
    }

    /// Goal: `percent` is a share of the whole fleet, deterministic for a salt and
    /// different across salts. Method: 5% of 200 tenants, twice with one salt, once with
    /// another.
    #[test]
    fn percent_picks_a_fixed_share_by_hash() {
        let f = fleet(200, 4);
        let g = [
            GroupSel {
                percent: Some(0.05),
                ..Default::default()
            },
            GroupSel::default(),
        ];
        let a = waves(&g, &f, 1);
        assert_eq!(a[0].len(), 10);
        assert_eq!(a[1].len(), 190);
        assert_eq!(a, waves(&g, &f, 1));
        assert_ne!(a[0], waves(&g, &f, 2)[0]);
        assert!(a[0].windows(2).all(|p| p[0] < p[1]));
    }

    /// Goal: a group whose selectors match nobody left yields an empty wave (not a panic),
    /// and a tiny percent still takes one tenant. Method: cell 0 twice; 0.1% of 40.
    #[test]
    fn empty_waves_and_tiny_percents() {
        let f = fleet(40, 4);
        let cell0 = GroupSel {
            cells: vec![0],
            ..Default::default()
        };
        let w = waves(&[cell0.clone(), cell0], &f, 0);
        assert_eq!(w[1], Vec::<u32>::new());
        let tiny = GroupSel {
            percent: Some(0.001),
            ..Default::default()
        };
        assert_eq!(waves(&[tiny], &f, 0)[0].len(), 1);
    }

    /// Goal: `order_by` sets the order of a wave (ties by index) and makes `percent` take the
    /// first tenants of that order; a region selector keeps only the tenants on its cells.
    /// Method: 40 tenants with sizes (i × 7919) mod 101 and names ranked in reverse; order by
    /// size descending, by name, a 10% "smallest first" canary, and cells {1, 3} as a region.
    #[test]
    fn order_by_and_regions() {
        let f = fleet(40, 4);
        let by = |by, descending| GroupSel {
            order: Some(Order { by, descending }),
            ..Default::default()
        };
        let w = waves(&[by(OrderBy::Size, true)], &f, 0);
        assert_eq!(w[0].len(), 40);
        assert!(w[0]
            .windows(2)
            .all(|p| f[p[0] as usize].size >= f[p[1] as usize].size));
        let w = waves(&[by(OrderBy::Name, false)], &f, 0);
        assert_eq!(w[0], (0..40).rev().collect::<Vec<u32>>());
        let canary = GroupSel {
            percent: Some(0.1),
            ..by(OrderBy::Size, false)
        };
        let w = waves(&[canary, GroupSel::default()], &f, 0);
        let mut sizes: Vec<f64> = f.iter().map(|t| t.size).collect();
        sizes.sort_by(f64::total_cmp);
        assert_eq!(w[0].len(), 4);
        assert!(w[0].iter().all(|&i| f[i as usize].size <= sizes[3]));
        let region = GroupSel {
            region_cells: Some(vec![1, 3]),
            ..Default::default()
        };
        let w = waves(&[region], &f, 0);
        assert_eq!(w[0].len(), 20);
        assert!(w[0].iter().all(|&i| i % 2 == 1));
    }
}

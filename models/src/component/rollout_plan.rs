//! A rollout's plan as pure data: which tenants each wave changes, and what a failing gate
//! does. No platform, no scenario: tenants are indices with a tier, a cohort and a cell.
//!
//! **Guarantees.** [`waves`] puts every tenant in at most one wave (the first group that
//! selects it), keeps tenants in index order within a wave, and is a pure function of its
//! inputs and the salt: a `percent` group's pick is an order by a hash of (salt, tenant),
//! not a random draw, so declaring a rollout shifts no random stream.

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
}

/// What the plan knows of a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanTenant {
    /// Tier index.
    pub tier: usize,
    /// Cohort index.
    pub cohort: Option<usize>,
    /// Cell it is on.
    pub cell: u32,
}

impl GroupSel {
    fn matches(&self, i: u32, t: &PlanTenant) -> bool {
        (self.tenants.is_empty() || self.tenants.contains(&i))
            && (self.cohorts.is_empty() || t.cohort.is_some_and(|c| self.cohorts.contains(&c)))
            && (self.tiers.is_empty() || self.tiers.contains(&t.tier))
            && (self.cells.is_empty() || self.cells.contains(&t.cell))
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
        if let Some(p) = g.percent {
            let want = ((p * tenants.len() as f64).ceil() as usize).max(1);
            if want < wave.len() {
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
        (0..n)
            .map(|i| PlanTenant {
                tier: (i % 2) as usize,
                cohort: Some((i / 10) as usize),
                cell: i % cells,
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
}

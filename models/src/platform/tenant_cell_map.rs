//! A value per (tenant, cell) pair, for the pairs that exist: memory grows with tenants plus
//! pairs, not with tenants × cells.
//!
//! What it models: a cell's view of the tenants it has served (its queue lane for each, its
//! cached data key for each). Most tenants live in one cell at a time, so the first pair of
//! each tenant sits in a dense per-tenant slot (one array index on the hot path); a tenant
//! that is seen in more cells (a move, an evacuation, shuffle sharding) keeps the further
//! pairs in an ordered map. Before this map, each cell held a dense array over every tenant:
//! 100,000 tenants × 1,000 cells × 4 B = 400 MB for the lanes alone.
//!
//! Guarantees: `get` returns exactly what the last `set` of the pair stored, or `None`;
//! nothing is ever iterated, and the overflow map is a `BTreeMap`, so no order depends on
//! hashing. Memory: 8 B + `size_of::<V>()` per tenant, plus one map entry per further pair.

use std::collections::BTreeMap;

const NO_CELL: u32 = u32::MAX;

/// The map. `V` is small and `Copy` (a lane index, an expiry time).
#[derive(Clone, Debug)]
pub struct TenantCellMap<V: Copy> {
    /// Per tenant: its first pair (cell, value), cell `NO_CELL` when it has none.
    first: Vec<(u32, V)>,
    /// Further pairs, by (tenant, cell).
    more: BTreeMap<(u32, u32), V>,
}

impl<V: Copy + Default> TenantCellMap<V> {
    /// An empty map for `tenants` tenants.
    pub fn new(tenants: usize) -> Self {
        TenantCellMap {
            first: vec![(NO_CELL, V::default()); tenants],
            more: BTreeMap::new(),
        }
    }

    /// The value of (tenant `t`, `cell`), if one was set.
    #[inline]
    pub fn get(&self, t: u32, cell: u32) -> Option<V> {
        let (c, v) = *self.first.get(t as usize)?;
        if c == cell {
            Some(v)
        } else if c == NO_CELL {
            None
        } else {
            self.more.get(&(t, cell)).copied()
        }
    }

    /// Sets the value of (tenant `t`, `cell`). A tenant index past the end is a bug (the map
    /// is sized for every tenant at build).
    #[inline]
    pub fn set(&mut self, t: u32, cell: u32, v: V) {
        assert!(cell != NO_CELL, "cell index u32::MAX is reserved");
        let slot = &mut self.first[t as usize];
        if slot.0 == cell || slot.0 == NO_CELL {
            *slot = (cell, v);
        } else {
            self.more.insert((t, cell), v);
        }
    }

    /// Pairs stored beyond each tenant's first (for the memory figures and tests).
    pub fn further_pairs(&self) -> usize {
        self.more.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: the map answers exactly like the dense tenants × cells array it replaces.
    /// Method: random sets and gets (a fixed SplitMix sequence) over 50 tenants × 7 cells,
    /// applied to both; every get of every pair compared after each step.
    #[test]
    fn answers_like_a_dense_array() {
        let (tenants, cells) = (50u32, 7u32);
        let mut dense = vec![vec![None; tenants as usize]; cells as usize];
        let mut map: TenantCellMap<u64> = TenantCellMap::new(tenants as usize);
        let mut s = 7u64;
        for step in 0..2_000u64 {
            let r = sim::rng::splitmix64(&mut s);
            // Skewed: most sets go to a tenant's "home" cell t % cells.
            let t = (r % tenants as u64) as u32;
            let cell = if (r >> 20).is_multiple_of(4) {
                ((r >> 32) % cells as u64) as u32
            } else {
                t % cells
            };
            map.set(t, cell, step);
            dense[cell as usize][t as usize] = Some(step);
            if step % 97 == 0 {
                for c in 0..cells {
                    for tt in 0..tenants {
                        assert_eq!(map.get(tt, c), dense[c as usize][tt as usize]);
                    }
                }
            }
        }
        assert!(map.further_pairs() > 0, "the overflow path was exercised");
        assert!(map.further_pairs() < (tenants * cells) as usize);
        assert_eq!(
            map.get(tenants, 0),
            None,
            "a tenant past the end has no pairs"
        );
    }
}

//! `shuffle_shard`: each tenant has a fixed shard of `k` cells out of `N`; it is placed on the
//! least utilised eligible cell of its shard (`k` = [`PolicyParams::shuffle_shard_size`],
//! default 2; 0 counts as 1).
//!
//! ```text
//!   scope(tenant) = cells it could ever use, by id:  region ∧ residency ∧ not another's dedicated
//!                   (live or dead, full or not)       ─▶ ids s_0 < s_1 < … < s_{N−1}
//!   shard         = shard_of(tenant.id, N, k)         ─▶ ranks {r_1 … r_k} ⊂ 0..N
//!   answer        = least utilised eligible s_r over the shard, else least utilised eligible cell
//! ```
//!
//! **Where the shard comes from**: a fixed hash of the tenant id alone (SplitMix64 seeded from
//! the id, then Floyd's sampling of `k` distinct ranks), *not* the `rng` and not the seed. So a
//! tenant's shard is a property of the tenant, the same in every run, every seed and whatever
//! the order of provisioning; anything outside the policy (a report, a test, an operator) can
//! recompute it with [`shard_of`]; and the policy draws nothing from `rng`. Seeds still vary
//! everything else about a run. The shard is uniform among the `C(N, k)` subsets, and
//! different tenants' shards are as good as independent.
//!
//! **Guarantees**: a tenant lands on one of its shard's cells whenever one of them is eligible.
//! Because dead and full cells stay in the scope, a cell dying or filling up changes no
//! tenant's shard (the shard's other cells take the load); a cell *joining* the scope (N
//! changes) reshuffles the shards of the tenants whose scope it joins, as resizing a
//! shuffle-sharded fleet does. When none of the shard's cells is eligible, the tenant goes to
//! the least utilised eligible cell outside it rather than failing to provision, and the
//! isolation promise is void for it.
//!
//! **Why**: blast radius. Two tenants share all their cells with probability `1 / C(N, k)`
//! (1/28 for `N = 8, k = 2`; 1/75,287,520 for `N = 100, k = 5`), so a tenant that takes down
//! its cells takes down few others completely. The overlap `|A ∩ B|` of two shards is
//! hypergeometric: [`overlap_pmf`] gives it, [`overlap_counts`] measures it.
//!
//! Keeps two scratch buffers (the scope and the shard), grown once and reused.

use super::{
    by_utilisation, eligible, least_utilised_where, CellView, PlacementPolicy, PolicyParams,
    TenantInfo, ANY_REGION,
};
use sim::{Bits, SplitMix};

/// The name in scenario files and reports.
pub const NAME: &str = "shuffle_shard";

/// Domain separation for the shard hash (ASCII "shuffle1"): changing it changes every shard.
const SHARD_SALT: u64 = 0x7368_7566_666c_6531;

/// Least utilised cell of the tenant's `k`-cell shard.
#[derive(Clone, Debug)]
pub struct ShuffleShard {
    /// Cells per shard (≥ 1).
    size: u32,
    /// Scratch: (cell id, index in the slice) of the tenant's scope, sorted by id.
    scope: Vec<(u32, usize)>,
    /// Scratch: the shard, as ranks into `scope`.
    shard: Vec<u32>,
}

impl ShuffleShard {
    /// Shards of `size` cells (0 counts as 1).
    pub fn new(size: u32) -> Self {
        ShuffleShard {
            size: size.max(1),
            scope: Vec::new(),
            shard: Vec::new(),
        }
    }
}

/// The registry constructor: `k` from [`PolicyParams::shuffle_shard_size`].
pub fn from_params(params: &PolicyParams) -> Box<dyn PlacementPolicy> {
    Box::new(ShuffleShard::new(params.shuffle_shard_size))
}

/// Whether `cell` is in `tenant`'s scope: the static part of [`eligible`] (region, residency,
/// not dedicated to someone else), ignoring liveness and limits.
fn in_scope(tenant: &TenantInfo, cell: &CellView) -> bool {
    (!tenant.eu_only || cell.eu)
        && (tenant.region == ANY_REGION || tenant.region == cell.region)
        && cell.dedicated_to.is_none_or(|owner| owner == tenant.id)
}

/// Writes `tenant`'s shard into `out`: `min(k, n)` distinct ranks in `0..n`, ascending.
fn shard_into(tenant: u32, n_cells: u32, k: u32, out: &mut Vec<u32>) {
    out.clear();
    let k = k.min(n_cells);
    let mut g = SplitMix(sim::digest::mix64(SHARD_SALT ^ u64::from(tenant)));
    // Floyd's algorithm: a uniform k-subset of 0..n in k draws, no O(n) work.
    for j in (n_cells - k)..n_cells {
        let t = g.below(u64::from(j) + 1) as u32;
        out.push(if out.contains(&t) { j } else { t });
    }
    out.sort_unstable();
}

/// The shard of `tenant` among `n_cells` cells: `min(k, n_cells)` distinct indices in
/// `0..n_cells`, ascending. Indices are ranks in the tenant's scope sorted by id (equal to
/// cell ids when the scope is cells `0..n_cells`). A pure function of its arguments.
pub fn shard_of(tenant: u32, n_cells: u32, k: u32) -> Vec<u32> {
    let mut out = Vec::with_capacity(k.min(n_cells) as usize);
    shard_into(tenant, n_cells, k, &mut out);
    out
}

/// `|a ∩ b|` for two ascending lists (shards).
pub fn overlap(a: &[u32], b: &[u32]) -> u32 {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// The measured overlap distribution: `counts[j]` is the number of unordered pairs of
/// `tenants` whose shards (`shard_of(_, n_cells, k)`) share exactly `j` cells, for
/// `j = 0..=min(k, n_cells)`. Quadratic in the number of tenants.
pub fn overlap_counts(tenants: &[u32], n_cells: u32, k: u32) -> Vec<u64> {
    let shards: Vec<Vec<u32>> = tenants.iter().map(|&t| shard_of(t, n_cells, k)).collect();
    let mut counts = vec![0u64; k.min(n_cells) as usize + 1];
    for (i, a) in shards.iter().enumerate() {
        for b in &shards[i + 1..] {
            counts[overlap(a, b) as usize] += 1;
        }
    }
    counts
}

/// `ln C(a, b)` (−∞ when `b > a`).
fn ln_choose(a: u32, b: u32) -> f64 {
    if b > a {
        return f64::NEG_INFINITY;
    }
    let b = b.min(a - b);
    (1..=b)
        .map(|i| libm::log(f64::from(a - b + i) / f64::from(i)))
        .sum()
}

/// The theoretical overlap distribution of two independent uniform `k`-subsets of `n_cells`
/// (hypergeometric): `pmf[j] = C(k, j) · C(n − k, k − j) / C(n, k)` for `j = 0..=min(k, n)`.
pub fn overlap_pmf(n_cells: u32, k: u32) -> Vec<f64> {
    let k = k.min(n_cells);
    let total = ln_choose(n_cells, k);
    (0..=k)
        .map(|j| {
            let ln = ln_choose(k, j) + ln_choose(n_cells - k, k - j) - total;
            if ln == f64::NEG_INFINITY {
                0.0
            } else {
                libm::exp(ln)
            }
        })
        .collect()
}

impl PlacementPolicy for ShuffleShard {
    fn name(&self) -> &'static str {
        NAME
    }

    fn place(
        &mut self,
        tenant: &TenantInfo,
        cells: &[CellView],
        _rng: &mut dyn sim::Bits,
    ) -> Option<u32> {
        self.scope.clear();
        self.scope.extend(
            cells
                .iter()
                .enumerate()
                .filter(|(_, c)| in_scope(tenant, c))
                .map(|(i, c)| (c.id, i)),
        );
        self.scope.sort_unstable();
        let n = u32::try_from(self.scope.len()).unwrap_or(u32::MAX);
        shard_into(tenant.id, n, self.size, &mut self.shard);
        self.shard
            .iter()
            .map(|&r| &cells[self.scope[r as usize].1])
            .filter(|c| eligible(tenant, c))
            .min_by(|a, b| by_utilisation(a, b))
            .map(|c| c.id)
            .or_else(|| least_utilised_where(tenant, cells, |_| true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::placement::tests::{cell, place_all, rng, tenant};

    #[test]
    fn shard_of_is_a_sorted_k_subset_and_a_pure_function() {
        // Goal: shape and determinism of shards, edge cases included.
        for t in 0..500 {
            let s = shard_of(t, 20, 4);
            assert_eq!(s.len(), 4);
            assert!(s.windows(2).all(|w| w[0] < w[1]), "{s:?}");
            assert!(s.iter().all(|&c| c < 20));
            assert_eq!(s, shard_of(t, 20, 4));
        }
        assert_eq!(shard_of(7, 3, 5), [0, 1, 2], "k > n: every cell");
        assert!(shard_of(7, 0, 2).is_empty());
        assert!(shard_of(7, 10, 0).is_empty());
        assert_ne!(shard_of(1, 1_000, 3), shard_of(2, 1_000, 3));
    }

    #[test]
    fn each_cell_is_in_a_shard_with_probability_k_over_n() {
        // Goal: uniform marginals. 10,000 tenants, N = 10, k = 3: each cell is in ≈ 3,000
        // shards (binomial sd ≈ 46); assert within 5 sd.
        let mut counts = [0u32; 10];
        for t in 0..10_000 {
            for c in shard_of(t, 10, 3) {
                counts[c as usize] += 1;
            }
        }
        let sd = (10_000.0f64 * 0.3 * 0.7).sqrt();
        for c in counts {
            assert!((f64::from(c) - 3_000.0).abs() < 5.0 * sd, "{counts:?}");
        }
    }

    #[test]
    fn n8_k2_share_both_cells_one_time_in_28() {
        // Goal: the blast-radius figure. 2,000 tenants (1,999,000 pairs), N = 8, k = 2: the
        // fraction of pairs with the same shard should be 1/C(8,2) = 1/28 ≈ 0.0357 (this hash
        // gives 0.03576, and 0.4286 for one shared cell against 12/28). The number of tenants per shard is multinomial, so the fraction has a
        // relative sd of about 4%; assert within 15% of 1/28. The full pmf is (15, 12, 1)/28.
        let tenants: Vec<u32> = (0..2_000).collect();
        let counts = overlap_counts(&tenants, 8, 2);
        let pairs: u64 = counts.iter().sum();
        assert_eq!(pairs, 2_000 * 1_999 / 2);
        let both = counts[2] as f64 / pairs as f64;
        assert!((both * 28.0 - 1.0).abs() < 0.15, "{both}");
        let pmf = overlap_pmf(8, 2);
        let want = [15.0 / 28.0, 12.0 / 28.0, 1.0 / 28.0];
        for (p, w) in pmf.iter().zip(want) {
            assert!((p - w).abs() < 1e-12, "{pmf:?}");
        }
        let one = counts[1] as f64 / pairs as f64;
        assert!((one - 12.0 / 28.0).abs() < 0.02, "{one}");
    }

    #[test]
    fn n100_k5_overlap_is_hypergeometric() {
        // Goal: shards behave like independent uniform 5-subsets of 100 cells. Method: all
        // 1,124,250 pairs of 1,500 tenants, overlap histogram vs the hypergeometric pmf
        // (0.7696, 0.2114, 0.01838, 5.93e-4, 6.3e-6, 1.3e-8). For uniform independent shards
        // the pair indicators are pairwise uncorrelated (given A, |A ∩ B| has the same law
        // for every A), so each count has binomial variance M·p·(1 − p). Assert: buckets 0..=3
        // within 5 sd + 1; bucket 4 at most 25 (expected 7.1); bucket 5 at most 2 (expected
        // 0.015); and Pearson's chi-square over buckets {0, 1, 2, ≥3} below 25 (3 degrees of
        // freedom, p ≈ 1.5e-5). This hash gives (865,542, 237,256, 20,795, 646, 11, 0)
        // against expected (865,212, 237,695, 20,669, 667, 7.1, 0.015).
        let tenants: Vec<u32> = (0..1_500).collect();
        let counts = overlap_counts(&tenants, 100, 5);
        let pmf = overlap_pmf(100, 5);
        assert!((pmf.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((pmf[0] - 0.769_6).abs() < 1e-4 && (pmf[1] - 0.211_4).abs() < 1e-4);
        let m = counts.iter().sum::<u64>() as f64;
        assert_eq!(m, 1_124_250.0);
        for j in 0..=3 {
            let e = m * pmf[j];
            let sd = (e * (1.0 - pmf[j])).sqrt();
            let d = counts[j] as f64 - e;
            assert!(d.abs() < 5.0 * sd + 1.0, "bucket {j}: {counts:?} vs {e}");
        }
        assert!(counts[4] <= 25 && counts[5] <= 2, "{counts:?}");
        let merged = |c: &[f64]| [c[0], c[1], c[2], c[3] + c[4] + c[5]];
        let obs = merged(&counts.iter().map(|&c| c as f64).collect::<Vec<_>>());
        let exp = merged(&pmf.iter().map(|p| p * m).collect::<Vec<_>>());
        let chi2: f64 = obs
            .iter()
            .zip(exp)
            .map(|(o, e)| (o - e) * (o - e) / e)
            .sum();
        assert!(chi2 < 25.0, "chi2 {chi2}: {counts:?}");
    }

    #[test]
    fn places_on_the_least_loaded_cell_of_its_shard() {
        // Goal: every tenant lands in its own shard (cells 0..8, so ranks are ids), on the
        // less utilised of its two cells at the time; the rng is never drawn from.
        let mut p = ShuffleShard::new(2);
        let mut cells: Vec<_> = (0..8).map(cell).collect();
        let mut r = rng();
        for i in 0..400 {
            let t = TenantInfo {
                predicted_load: f64::from(1 + i % 5),
                ..tenant(i)
            };
            let shard = shard_of(i, 8, 2);
            let [a, b] = [shard[0] as usize, shard[1] as usize];
            let want = if by_utilisation(&cells[a], &cells[b]).is_le() {
                a
            } else {
                b
            };
            let got = p.place(&t, &cells, &mut r).unwrap();
            assert_eq!(got as usize, want, "tenant {i}, shard {shard:?}");
            cells[want].tenants += 1;
            cells[want].predicted_load += t.predicted_load;
        }
        assert_eq!(r.next_u64(), rng().next_u64(), "no draws");
    }

    #[test]
    fn dead_cells_keep_shards_and_fallback_when_the_shard_is_gone() {
        // Goal: a dead cell outside the shard changes nothing; a dead cell inside it sends the
        // tenant to the other shard cell; with the whole shard dead, the least utilised live
        // cell outside it (the fallback, so provisioning still succeeds).
        let t = tenant(11);
        let shard = shard_of(11, 6, 2);
        let outside: Vec<u32> = (0..6).filter(|c| !shard.contains(c)).collect();
        let mut cells: Vec<_> = (0..6)
            .map(|i| CellView {
                predicted_load: f64::from(10 * (6 - i)),
                ..cell(i)
            })
            .collect();
        let mut p = ShuffleShard::new(2);
        // The higher id of the shard has the lower load.
        assert_eq!(p.place(&t, &cells, &mut rng()), Some(shard[1]));
        cells[outside[0] as usize].live = false;
        assert_eq!(p.place(&t, &cells, &mut rng()), Some(shard[1]));
        cells[shard[1] as usize].live = false;
        assert_eq!(p.place(&t, &cells, &mut rng()), Some(shard[0]));
        cells[shard[0] as usize].live = false;
        let want = *outside[1..].iter().max().unwrap();
        assert_eq!(p.place(&t, &cells, &mut rng()), Some(want));
    }

    #[test]
    fn shards_are_drawn_within_the_tenants_scope() {
        // Goal: a region-bound tenant's shard is among its region's cells, ranked by id. Cells
        // 0..12 alternate regions 0 and 1, in a shuffled slice; a tenant of region 1 has
        // scope [1, 3, 5, 7, 9, 11] and is placed in {scope[r] : r ∈ shard_of(id, 6, 2)}.
        let mut cells: Vec<_> = (0..12)
            .map(|i| CellView {
                region: (i % 2) as u16,
                ..cell(i)
            })
            .collect();
        cells.reverse();
        cells.swap(2, 9);
        let tenants: Vec<_> = (0..100)
            .map(|i| TenantInfo {
                region: 1,
                ..tenant(i)
            })
            .collect();
        let placed = place_all(&mut ShuffleShard::new(2), &tenants, &mut cells);
        for (t, c) in tenants.iter().zip(placed) {
            let allowed: Vec<u32> = shard_of(t.id, 6, 2).iter().map(|r| 2 * r + 1).collect();
            assert!(allowed.contains(&c.unwrap()), "{} on {c:?}", t.id);
        }
    }

    #[test]
    fn noisy_neighbour_takes_down_few_tenants_completely() {
        // Goal: the point of it, end to end. 3,000 tenants over 8 cells with k = 2; tenant 0's
        // two cells go dead. Only tenants whose shard is tenant 0's (≈ 1/28 of them, ≈ 107)
        // lose both their cells and fall back (this hash: 109); everyone else stays in their
        // shard.
        let mut p = ShuffleShard::new(2);
        let mut cells: Vec<_> = (0..8).map(cell).collect();
        let noisy = shard_of(0, 8, 2);
        for &c in &noisy {
            cells[c as usize].live = false;
        }
        let tenants: Vec<_> = (1..3_001).map(tenant).collect();
        let placed = place_all(&mut p, &tenants, &mut cells);
        let fell_back = tenants
            .iter()
            .zip(&placed)
            .filter(|(t, c)| !shard_of(t.id, 8, 2).contains(&c.unwrap()))
            .count();
        let same_shard = (1..3_001).filter(|&t| shard_of(t, 8, 2) == noisy).count();
        assert_eq!(fell_back, same_shard);
        assert!((70..=150).contains(&same_shard), "{same_shard}");
    }
}

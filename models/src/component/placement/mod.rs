//! Placement of new tenants onto cells, by a pluggable policy.
//!
//! ```text
//!   tenant, cells ─▶ keep cells with eligible(tenant, cell) ─▶ the policy's preference ─▶ Some(id)
//!                    (live, below max_tenants, residency,       (see the table below)
//!                     region, dedicated)
//!                           │ none left
//!                           ▼
//!                         None
//! ```
//!
//! | policy | preference among eligible cells | state | draws from `rng` |
//! |---|---|---|---|
//! | `least_loaded` | fewest tenants, ties → lowest id | none | no |
//! | `round_robin` | next id after the last placed, cyclically | next id | no |
//! | `random` | uniform | none | one `below` per placement |
//! | `least_utilised` | lowest `predicted_load / capacity`, ties → fewest tenants → lowest id | none | no |
//! | `headroom_score` | highest weighted headroom score, cells past a utilisation ceiling last | none | no |
//! | `power_of_two` | least utilised of `d` cells sampled uniformly | none | `d` × `below` |
//! | `bin_pack` | lowest id that stays under a fill ceiling, else least utilised | none | no |
//! | `shuffle_shard` | least utilised of the tenant's `k`-cell shard (a hash of its id) | scratch | no |
//! | `tiered` | top tier / heavy tenants: own or empty cell; others: the shared pool | none | no |
//!
//! "Least utilised" is the same order everywhere: [`by_utilisation`].
//!
//! **What load-aware policies compare.** A cell's `predicted_load` is the sum of its tenants'
//! predicted loads; a tenant's is its declared rate × e^(σZ) (the scenario's
//! `control_plane.prediction_error` σ, Z from the tenant's own stream; spikes not included:
//! [`crate::population::predicted_load`]). A cell's `capacity` is computed from the platform
//! config by [`capacity`]:
//!
//! ```text
//!   S = Σ share·E[service]          D = Σ share·(1 − cache_hit)·E[db_queries]·E[db_time]
//!   capacity = min( workers / (S + D),  min(db connections, db cores) · k / D )   requests/s
//! ```
//!
//! with `k` the DB's capacity factor (1, lower under a `db_degraded` fault) and `workers` the
//! cell's current workers: the initial placement and the control plane's later placements use
//! the same formula, the latter with the cell's state at the time. A view's `spiky_tenants`
//! counts its tenants placed with [`TenantInfo::spiky`] (`headroom_score` penalises them).
//!
//! The caller (the control plane in the platform model) builds a [`CellView`] per cell from its own
//! state, asks the policy, and then records the tenant on the chosen cell itself (a policy
//! never sees the placement happen except through the next call's views). `None` means no cell
//! is eligible: an outcome (the provisioning fails), not an error.
//!
//! **Constraints honoured by every policy**: region and residency, capacity limits, dead cells
//! excluded. Precisely, [`eligible`] requires that the cell is live; that it is below its
//! `max_tenants` (the capacity limit); that an `eu_only` tenant gets an `eu` cell (residency);
//! that the cell is in the tenant's region unless the tenant accepts [`ANY_REGION`]; and that a
//! cell dedicated to a tenant takes only that tenant. Every policy filters with [`eligible`]
//! before it applies its own preference, and a property test checks, for every registered
//! policy, that an answer is always eligible and that `None` comes only when nothing is.
//! A cell's `capacity` and `predicted_load` are information for load-aware policies, not a
//! constraint. A tenant with a dedicated cell is not forced onto it by this module: the
//! caller pins such tenants directly if it wants to.
//!
//! **Determinism.** Policies iterate the slice in order and break ties by cell id; none reads a
//! clock or uses a randomly seeded hasher (`shuffle_shard` hashes the tenant id with a fixed
//! in-tree mixer). Randomness comes only from the `rng` the caller passes (a named stream,
//! e.g. `control/placement`). The same calls with the same inputs give the same answers.
//! Placing allocates nothing, except that `shuffle_shard` grows a scratch buffer once to the
//! number of cells and reuses it.
//!
//! **Adding a policy**: one new file here with a `NAME` and a `from_params` constructor (and
//! its row in `scenarios/README.md`). `models/build.rs` finds the file: it writes each
//! policy's `pub mod` line and `REGISTRY` row, in file-name order; [`POLICY_NAMES`] and
//! [`by_name`] follow from the registry, and the tests below run every registered policy
//! through the shared laws. (`cargo fmt` does not reach modules declared by the build script;
//! `tests/house.rs` checks these files with `rustfmt --check`.)

pub mod capacity;

use std::cmp::Ordering;

/// `TenantInfo::region` meaning "any region will do".
pub const ANY_REGION: u16 = u16::MAX;

/// What a policy knows about the tenant being placed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TenantInfo {
    /// Population index.
    pub id: u32,
    /// Required region, or [`ANY_REGION`].
    pub region: u16,
    /// Residency: the tenant's data must stay on EU cells.
    pub eu_only: bool,
    /// Expected offered load (requests per second): the declared rate times the scenario's
    /// prediction error, not counting a spiky tenant's bursts.
    pub predicted_load: f64,
    /// Tier index.
    pub tier: u16,
    /// Its load is bursty (a hint for load-aware policies).
    pub spiky: bool,
}

/// What a policy knows about one cell, as the control plane sees it now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CellView {
    /// Cell id (what [`PlacementPolicy::place`] returns).
    pub id: u32,
    /// The cell's region.
    pub region: u16,
    /// The cell is in the EU (may hold `eu_only` tenants).
    pub eu: bool,
    /// Not marked dead (heartbeats arriving).
    pub live: bool,
    /// Tenants placed on it.
    pub tenants: u32,
    /// Most tenants it may hold, if limited.
    pub max_tenants: Option<u32>,
    /// Sum of its tenants' predicted load (requests per second).
    pub predicted_load: f64,
    /// Requests per second the cell can serve (see [`capacity`]).
    pub capacity: f64,
    /// Reserved for this one tenant, if any.
    pub dedicated_to: Option<u32>,
    /// Tenants on it whose load is bursty ([`TenantInfo::spiky`]).
    pub spiky_tenants: u32,
}

impl Default for CellView {
    /// Cell 0 in region 0, not EU, live, empty, unlimited, shared, with capacity `f64::MAX`
    /// ("unknown": every load-aware policy then sees it as idle). For `..Default::default()`
    /// in code that builds views and sets only what it knows.
    fn default() -> Self {
        CellView {
            id: 0,
            region: 0,
            eu: false,
            live: true,
            tenants: 0,
            max_tenants: None,
            predicted_load: 0.0,
            capacity: f64::MAX,
            dedicated_to: None,
            spiky_tenants: 0,
        }
    }
}

/// True if `tenant` may be placed on `cell`: the constraints every policy honours (see the
/// module docs).
pub fn eligible(tenant: &TenantInfo, cell: &CellView) -> bool {
    cell.live
        && cell.max_tenants.is_none_or(|max| cell.tenants < max)
        && (!tenant.eu_only || cell.eu)
        && (tenant.region == ANY_REGION || tenant.region == cell.region)
        && cell.dedicated_to.is_none_or(|owner| owner == tenant.id)
}

/// `cell.predicted_load / cell.capacity`: the fraction of the cell its tenants are expected to
/// use (may exceed 1). A cell without a usable capacity (zero, negative or NaN) counts as
/// infinitely utilised, and so does a NaN load.
pub fn utilisation(cell: &CellView) -> f64 {
    let u = cell.predicted_load / cell.capacity;
    if cell.capacity > 0.0 && !u.is_nan() {
        u
    } else {
        f64::INFINITY
    }
}

/// The "least utilised first" order shared by the load-aware policies: by [`utilisation`],
/// ties → fewer tenants → lower id. Two cells of equal capacity compare by `predicted_load`
/// directly, so the order stays exact when capacity is huge (`f64::MAX`, "unknown") and the
/// quotient would lose precision; on cells of equal capacity it is "least predicted load".
pub fn by_utilisation(a: &CellView, b: &CellView) -> Ordering {
    let load = if a.capacity == b.capacity && a.capacity > 0.0 {
        a.predicted_load.total_cmp(&b.predicted_load)
    } else {
        utilisation(a).total_cmp(&utilisation(b))
    };
    load.then(a.tenants.cmp(&b.tenants)).then(a.id.cmp(&b.id))
}

/// The least utilised cell of `cells` that is [`eligible`] for `tenant` and passes `keep`
/// ([`by_utilisation`]), or `None`.
pub(crate) fn least_utilised_where(
    tenant: &TenantInfo,
    cells: &[CellView],
    keep: impl Fn(&CellView) -> bool,
) -> Option<u32> {
    cells
        .iter()
        .filter(|c| eligible(tenant, c) && keep(c))
        .min_by(|a, b| by_utilisation(a, b))
        .map(|c| c.id)
}

/// Knobs of placement policies (plain data from the scenario). Each field belongs to one
/// policy, named in its prefix or its doc; the others ignore it. Out-of-range values are not
/// errors: each policy documents how it reads them (a count of 0 counts as 1, for instance).
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyParams {
    /// `power_of_two`: cells sampled per placement, the `d` of "d choices". Default 2.
    pub power_of_two_choices: u32,
    /// `bin_pack`: fill ceiling as a fraction of capacity. Default 0.8.
    pub bin_pack_ceiling: f64,
    /// `shuffle_shard`: cells in each tenant's shard, the `k` of "k of N". Default 2.
    pub shuffle_shard_size: u32,
    /// `headroom_score`: weight `a` of the free CPU fraction `1 − load/capacity`. Default 1.
    pub headroom_weight_free_cpu: f64,
    /// `headroom_score`: weight `b` of the free tenant-slot fraction. Default 0.25.
    pub headroom_weight_free_slots: f64,
    /// `headroom_score`: weight `c` of the share of spiky tenants on the cell. Default 0.5.
    pub headroom_weight_spiky: f64,
    /// `headroom_score`: weight `d` of the utilisation the cell would have with the tenant.
    /// Default 0.5.
    pub headroom_weight_utilisation: f64,
    /// `headroom_score`: cells whose utilisation with the tenant would exceed this are
    /// considered only if no cell stays at or below it. Default 0.9.
    pub headroom_utilisation_max: f64,
    /// `tiered`: tenants of this tier index or above get cells of their own. Default 3
    /// (platinum among the built-in tiers).
    pub dedicated_tier: u16,
    /// `tiered`: ids of cells kept for top-tier and promoted tenants (empty: none kept; top-tier
    /// tenants then take any empty cell). Default empty.
    pub dedicated_cells: Vec<u32>,
    /// `tiered`: a tenant of a lower tier whose predicted load (requests per second) exceeds
    /// this is treated as top tier. Default `None`: no promotion.
    pub promote_load: Option<f64>,
}

impl Default for PolicyParams {
    fn default() -> Self {
        PolicyParams {
            power_of_two_choices: 2,
            bin_pack_ceiling: 0.8,
            shuffle_shard_size: 2,
            headroom_weight_free_cpu: 1.0,
            headroom_weight_free_slots: 0.25,
            headroom_weight_spiky: 0.5,
            headroom_weight_utilisation: 0.5,
            headroom_utilisation_max: 0.9,
            dedicated_tier: 3,
            dedicated_cells: Vec::new(),
            promote_load: None,
        }
    }
}

/// A placement policy: chooses a cell for a new tenant.
pub trait PlacementPolicy: std::fmt::Debug {
    /// The name used in scenario files and reports (one of [`POLICY_NAMES`]).
    fn name(&self) -> &'static str;

    /// The id of the cell for `tenant`, chosen among the cells [`eligible`] for it, or `None`
    /// when there is none. `cells` may be in any order; ids must be distinct. Draws from `rng`
    /// only if the policy is randomised.
    fn place(
        &mut self,
        tenant: &TenantInfo,
        cells: &[CellView],
        rng: &mut dyn sim::Bits,
    ) -> Option<u32>;
}

/// Builds a policy from its parameters.
type Constructor = fn(&PolicyParams) -> Box<dyn PlacementPolicy>;

// The policies: one `pub mod` per file of this folder (but `capacity.rs` and this one),
// and `REGISTRY`, their (name, constructor) rows in file-name order (see `models/build.rs`).
include!(concat!(env!("OUT_DIR"), "/placement_registry.rs"));

/// The names [`by_name`] accepts, in registry (file-name) order, for error messages.
pub const POLICY_NAMES: &[&str] = &{
    let mut names = [""; REGISTRY.len()];
    let mut i = 0;
    while i < REGISTRY.len() {
        names[i] = REGISTRY[i].0;
        i += 1;
    }
    names
};

/// The policy called `name`, or `None` if there is no such policy (the caller reports
/// [`POLICY_NAMES`]).
pub fn by_name(name: &str, params: &PolicyParams) -> Option<Box<dyn PlacementPolicy>> {
    REGISTRY
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, build)| build(params))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use sim::RngStream;

    /// A live, unlimited, shared cell in region 0, not EU.
    pub(crate) fn cell(id: u32) -> CellView {
        CellView {
            id,
            region: 0,
            eu: false,
            live: true,
            tenants: 0,
            max_tenants: None,
            predicted_load: 0.0,
            capacity: 1_000.0,
            dedicated_to: None,
            spiky_tenants: 0,
        }
    }

    /// A tenant that accepts any region and has no residency constraint.
    pub(crate) fn tenant(id: u32) -> TenantInfo {
        TenantInfo {
            id,
            region: ANY_REGION,
            eu_only: false,
            predicted_load: 1.0,
            tier: 0,
            spiky: false,
        }
    }

    pub(crate) fn rng() -> RngStream {
        RngStream::new(1, "test/placement", 0)
    }

    /// Places `tenants` one by one, recording each on its cell as the control plane would.
    pub(crate) fn place_all(
        policy: &mut dyn PlacementPolicy,
        tenants: &[TenantInfo],
        cells: &mut [CellView],
    ) -> Vec<Option<u32>> {
        let mut rng = rng();
        tenants
            .iter()
            .map(|t| {
                let chosen = policy.place(t, cells, &mut rng)?;
                let c = cells.iter_mut().find(|c| c.id == chosen).unwrap();
                assert!(
                    eligible(t, c),
                    "{} placed tenant {} on ineligible {c:?}",
                    policy.name(),
                    t.id
                );
                c.tenants += 1;
                c.predicted_load += t.predicted_load;
                Some(chosen)
            })
            .collect()
    }

    fn all_policies() -> Vec<Box<dyn PlacementPolicy>> {
        all_policies_with(&PolicyParams::default())
    }

    fn all_policies_with(params: &PolicyParams) -> Vec<Box<dyn PlacementPolicy>> {
        POLICY_NAMES
            .iter()
            .map(|n| by_name(n, params).unwrap())
            .collect()
    }

    /// Every knob away from its default (and some at their edges), for the laws.
    fn odd_params() -> PolicyParams {
        PolicyParams {
            power_of_two_choices: 0,
            bin_pack_ceiling: 0.3,
            shuffle_shard_size: 3,
            headroom_weight_free_cpu: 0.0,
            headroom_weight_free_slots: 2.0,
            headroom_weight_spiky: 1.0,
            headroom_weight_utilisation: 3.0,
            headroom_utilisation_max: 0.5,
            dedicated_tier: 1,
            dedicated_cells: vec![1, 4, 7],
            promote_load: Some(40.0),
        }
    }

    #[test]
    fn eligibility_rules() {
        // Goal: each constraint of `eligible`, one at a time, against a baseline that passes.
        let t = tenant(5);
        let c = cell(0);
        assert!(eligible(&t, &c));
        assert!(!eligible(&t, &CellView { live: false, ..c }), "dead cell");
        let full = CellView {
            tenants: 3,
            max_tenants: Some(3),
            ..c
        };
        assert!(!eligible(&t, &full), "at max_tenants");
        assert!(
            eligible(&t, &CellView { tenants: 2, ..full }),
            "below max_tenants"
        );
        assert!(
            !eligible(
                &t,
                &CellView {
                    max_tenants: Some(0),
                    ..c
                }
            ),
            "max 0"
        );
        let eu_t = TenantInfo { eu_only: true, ..t };
        assert!(!eligible(&eu_t, &c), "eu_only on a non-EU cell");
        assert!(eligible(&eu_t, &CellView { eu: true, ..c }));
        assert!(
            eligible(&t, &CellView { eu: true, ..c }),
            "anyone may use an EU cell"
        );
        let r3 = TenantInfo { region: 3, ..t };
        assert!(!eligible(&r3, &c), "wrong region");
        assert!(eligible(&r3, &CellView { region: 3, ..c }));
        assert!(eligible(&t, &CellView { region: 3, ..c }), "ANY_REGION");
        assert!(
            eligible(
                &t,
                &CellView {
                    dedicated_to: Some(5),
                    ..c
                }
            ),
            "own dedicated cell"
        );
        assert!(
            !eligible(
                &t,
                &CellView {
                    dedicated_to: Some(6),
                    ..c
                }
            ),
            "another's"
        );
    }

    #[test]
    fn registry() {
        // Goal: by_name finds every registered policy under its own name and rejects others;
        // the registry holds (at least) the shipped policies, in file-name order.
        for shipped in [
            "bin_pack",
            "headroom_score",
            "least_loaded",
            "least_utilised",
            "power_of_two",
            "random",
            "round_robin",
            "shuffle_shard",
            "tiered",
        ] {
            assert!(POLICY_NAMES.contains(&shipped), "{shipped} registered");
        }
        assert!(
            POLICY_NAMES.windows(2).all(|w| w[0] < w[1]),
            "{POLICY_NAMES:?}"
        );
        for (i, n) in POLICY_NAMES.iter().enumerate() {
            let p = by_name(n, &PolicyParams::default()).expect(n);
            assert_eq!(p.name(), *n);
            assert!(!POLICY_NAMES[..i].contains(n), "duplicate name {n}");
        }
        for bad in [
            "",
            "Least_Loaded",
            "least_loaded ",
            "round-robin",
            "least_utilized",
            "power_of_2",
        ] {
            assert!(by_name(bad, &PolicyParams::default()).is_none(), "{bad:?}");
        }
    }

    /// The policies that level a burst of equal tenants over equal cells within one tenant.
    /// The others do not promise it: `random` and `power_of_two` sample (balls into bins),
    /// `bin_pack` fills cells in turn, `shuffle_shard` keeps each tenant to its shard.
    const LEVELLING: [&str; 5] = [
        "least_loaded",
        "round_robin",
        "least_utilised",
        "headroom_score",
        "tiered",
    ];

    #[test]
    fn burst_spreads_within_one_tenant() {
        // Goal: a provisioning burst of 1,000 tenants over 7 cells leaves tenant counts within
        // 1 of each other, with every levelling policy (round_robin too, on uniform cells).
        for name in LEVELLING {
            assert!(POLICY_NAMES.contains(&name), "{name}");
            let mut p = by_name(name, &PolicyParams::default()).unwrap();
            let mut cells: Vec<_> = (0..7).map(cell).collect();
            let tenants: Vec<_> = (0..1_000).map(tenant).collect();
            let placed = place_all(p.as_mut(), &tenants, &mut cells);
            assert!(placed.iter().all(Option::is_some));
            let min = cells.iter().map(|c| c.tenants).min().unwrap();
            let max = cells.iter().map(|c| c.tenants).max().unwrap();
            assert!(max - min <= 1, "{}: {min}..{max}", p.name());
            assert_eq!(cells.iter().map(|c| c.tenants).sum::<u32>(), 1_000);
        }
    }

    #[test]
    fn burst_onto_uneven_cells_evens_them_out() {
        // Goal: least_loaded fills the emptiest cells first; once every cell is level, the
        // burst stays within 1. Method: cells start with 0..60 tenants; place 400.
        let mut p = by_name("least_loaded", &PolicyParams::default()).unwrap();
        let mut cells: Vec<_> = (0..7)
            .map(|i| CellView {
                tenants: i * 10,
                ..cell(i)
            })
            .collect();
        let tenants: Vec<_> = (0..400).map(tenant).collect();
        let placed = place_all(p.as_mut(), &tenants, &mut cells);
        // The first 10 all go to cell 0 (it stays the emptiest until it reaches cell 1's 10).
        assert!(placed[..10].iter().all(|&c| c == Some(0)));
        let counts: Vec<_> = cells.iter().map(|c| c.tenants).collect();
        let (min, max) = (*counts.iter().min().unwrap(), *counts.iter().max().unwrap());
        assert!(max - min <= 1, "{counts:?}");
    }

    #[test]
    fn dead_cells_never_get_a_tenant() {
        // Goal: a dead cell is skipped by every policy; with all cells dead, None.
        for mut p in all_policies() {
            let mut cells: Vec<_> = (0..5).map(cell).collect();
            cells[2].live = false;
            let tenants: Vec<_> = (0..100).map(tenant).collect();
            let placed = place_all(p.as_mut(), &tenants, &mut cells);
            assert!(
                placed.iter().all(|&c| c.is_some() && c != Some(2)),
                "{}",
                p.name()
            );
            assert_eq!(cells[2].tenants, 0);
            for c in &mut cells {
                c.live = false;
            }
            assert_eq!(
                p.place(&tenant(100), &cells, &mut rng()),
                None,
                "{}",
                p.name()
            );
        }
    }

    #[test]
    fn eu_only_tenants_land_on_eu_cells() {
        // Goal: residency. EU-only tenants go only to EU cells; others may go anywhere; with no
        // live EU cell an EU-only tenant gets None while others are still placed. Tenants of
        // load 10 (3,000 in all over cells of capacity 1,000), so that bin_pack too must use
        // more than the first (EU) cell.
        for mut p in all_policies() {
            let mut cells: Vec<_> = (0..6)
                .map(|i| CellView {
                    eu: i % 3 == 0,
                    ..cell(i)
                })
                .collect();
            let tenants: Vec<_> = (0..300)
                .map(|i| TenantInfo {
                    eu_only: i % 2 == 0,
                    predicted_load: 10.0,
                    ..tenant(i)
                })
                .collect();
            let placed = place_all(p.as_mut(), &tenants, &mut cells);
            for (t, c) in tenants.iter().zip(&placed) {
                let c = c.unwrap();
                assert!(
                    !t.eu_only || c % 3 == 0,
                    "{}: tenant {} on {c}",
                    p.name(),
                    t.id
                );
            }
            assert!(cells.iter().filter(|c| !c.eu).any(|c| c.tenants > 0));
            for c in cells.iter_mut().filter(|c| c.eu) {
                c.live = false;
            }
            let eu = TenantInfo {
                eu_only: true,
                ..tenant(300)
            };
            assert_eq!(p.place(&eu, &cells, &mut rng()), None, "{}", p.name());
            let other = tenant(301);
            let c = p.place(&other, &cells, &mut rng()).unwrap();
            assert!(c % 3 != 0);
        }
    }

    #[test]
    fn max_tenants_is_respected() {
        // Goal: a capacity limit is never exceeded; when every cell is full, None.
        for mut p in all_policies() {
            let mut cells: Vec<_> = (0..4)
                .map(|i| CellView {
                    max_tenants: Some(5 + i),
                    ..cell(i)
                })
                .collect();
            let tenants: Vec<_> = (0..30).map(tenant).collect();
            let placed = place_all(p.as_mut(), &tenants, &mut cells);
            let capacity = 5 + 6 + 7 + 8;
            assert!(
                placed[..capacity].iter().all(Option::is_some),
                "{}",
                p.name()
            );
            assert!(
                placed[capacity..].iter().all(Option::is_none),
                "{}",
                p.name()
            );
            for c in &cells {
                assert_eq!(Some(c.tenants), c.max_tenants, "{}", p.name());
            }
        }
    }

    #[test]
    fn regions_and_dedicated_cells() {
        // Goal: a tenant with a region lands in it; a dedicated cell takes only its tenant.
        for mut p in all_policies() {
            let mut cells: Vec<_> = (0..6)
                .map(|i| CellView {
                    region: (i % 2) as u16,
                    ..cell(i)
                })
                .collect();
            cells[4].dedicated_to = Some(42);
            let tenants: Vec<_> = (0..100)
                .map(|i| TenantInfo {
                    region: if i % 4 == 0 { 1 } else { ANY_REGION },
                    ..tenant(i)
                })
                .collect();
            let placed = place_all(p.as_mut(), &tenants, &mut cells);
            for (t, c) in tenants.iter().zip(&placed) {
                let c = c.unwrap();
                if t.id != 42 {
                    assert_ne!(c, 4, "{}: dedicated cell given to {}", p.name(), t.id);
                }
                if t.region == 1 {
                    assert_eq!(c % 2, 1, "{}: tenant {} out of region", p.name(), t.id);
                }
            }
            let only_dedicated = [cells[4]];
            assert_eq!(p.place(&tenant(42), &only_dedicated, &mut rng()), Some(4));
            assert_eq!(p.place(&tenant(43), &only_dedicated, &mut rng()), None);
        }
    }

    #[test]
    fn same_inputs_same_placements() {
        // Goal: determinism. Method: a mixed population over cells with random liveness, limits
        // and residency (all drawn from a fixed stream), placed twice by fresh policies, with
        // default and with odd parameters.
        fn scenario() -> (Vec<TenantInfo>, Vec<CellView>) {
            let mut r = RngStream::new(7, "test/placement/scenario", 0);
            let cells = (0..9)
                .map(|i| CellView {
                    eu: r.below(2) == 0,
                    live: r.below(5) != 0,
                    region: r.below(3) as u16,
                    max_tenants: (r.below(3) == 0).then_some(20 + r.below(40) as u32),
                    ..cell(i * 3 + 1)
                })
                .collect();
            let tenants = (0..500)
                .map(|i| TenantInfo {
                    eu_only: r.below(4) == 0,
                    region: if r.below(3) == 0 {
                        r.below(3) as u16
                    } else {
                        ANY_REGION
                    },
                    predicted_load: r.next_f64() * 50.0,
                    tier: r.below(4) as u16,
                    ..tenant(i)
                })
                .collect();
            (tenants, cells)
        }
        let param_sets = [PolicyParams::default(), odd_params()];
        for (name, params) in POLICY_NAMES
            .iter()
            .flat_map(|n| param_sets.iter().map(move |p| (n, p)))
        {
            let run = || {
                let (tenants, mut cells) = scenario();
                let mut p = by_name(name, params).unwrap();
                let placed = place_all(p.as_mut(), &tenants, &mut cells);
                (placed, cells)
            };
            let (a, cells_a) = run();
            let (b, cells_b) = run();
            assert_eq!(a, b, "{name}");
            assert_eq!(cells_a, cells_b, "{name}");
            assert!(
                a.iter().any(Option::is_some) && a.iter().any(Option::is_none),
                "{name}"
            );
        }
    }

    fn arb_cell() -> impl Strategy<Value = CellView> {
        (
            0u32..12,
            0u16..3,
            any::<bool>(),
            prop::bool::weighted(0.8),
            0u32..6,
            prop::option::of(0u32..6),
            prop::option::of(0u32..4),
            0.0f64..1_500.0,
            prop_oneof![Just(1_000.0), Just(f64::MAX), Just(0.0), 1.0f64..2_000.0],
        )
            .prop_map(
                |(id, region, eu, live, tenants, max_tenants, dedicated_to, load, capacity)| {
                    CellView {
                        id,
                        region,
                        eu,
                        live,
                        tenants,
                        max_tenants,
                        dedicated_to,
                        predicted_load: load,
                        capacity,
                        spiky_tenants: 0,
                    }
                },
            )
    }

    fn arb_tenant() -> impl Strategy<Value = TenantInfo> {
        (
            0u32..4,
            prop_oneof![Just(ANY_REGION), 0u16..3],
            any::<bool>(),
            0.0f64..100.0,
            0u16..4,
        )
            .prop_map(|(id, region, eu_only, predicted_load, tier)| TenantInfo {
                id,
                region,
                eu_only,
                predicted_load,
                tier,
                ..tenant(id)
            })
    }

    proptest! {
        /// Law for every registered policy: the answer is an eligible cell of the slice, and
        /// `None` comes only when no cell is eligible. Method: random cells (distinct ids, any
        /// order, loads and capacities including 0 and `f64::MAX`) and a random sequence of
        /// tenants, placements recorded as they happen; with default and with odd parameters.
        #[test]
        fn answers_are_eligible_and_none_only_when_nothing_is(
            cells in prop::collection::vec(arb_cell(), 0..10),
            tenants in prop::collection::vec(arb_tenant(), 1..40),
        ) {
            let mut cells = cells;
            let mut seen = Vec::new();
            cells.retain(|c| if seen.contains(&c.id) { false } else { seen.push(c.id); true });
            let policies = all_policies().into_iter().chain(all_policies_with(&odd_params()));
            for mut p in policies {
                let mut cells = cells.clone();
                let mut r = rng();
                for t in &tenants {
                    let any = cells.iter().any(|c| eligible(t, c));
                    match p.place(t, &cells, &mut r) {
                        Some(id) => {
                            let c = cells.iter_mut().find(|c| c.id == id);
                            prop_assert!(c.is_some(), "{} returned unknown cell {id}", p.name());
                            let c = c.unwrap();
                            prop_assert!(eligible(t, c), "{}: {t:?} on {c:?}", p.name());
                            c.tenants += 1;
                            c.predicted_load += t.predicted_load;
                        }
                        None => prop_assert!(!any, "{}: None with an eligible cell", p.name()),
                    }
                }
            }
        }
    }
}

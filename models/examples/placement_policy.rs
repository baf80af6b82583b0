//! A custom placement policy, compared with a shipped one on the same arrivals.
//!
//! Run it with `cargo run --release -p models --example placement_policy`. It implements
//! [`models::component::placement::PlacementPolicy`] — "fewest spiky neighbours, then least loaded" — and
//! places 400 tenants (a fifth of them bursty, loads drawn from a named random stream) on 16
//! cells, once with it and once with the shipped `least_loaded`, then prints how evenly each
//! spread load and bursty tenants. Both see the same tenants in the same order (common random
//! numbers), so the difference is the policy's alone.
//!
//! To use such a policy in scenario runs, add it to the placement registry
//! (`models/src/placement/mod.rs`: a `NAME`, a `from_params` constructor and one row in
//! `REGISTRY`); it is then valid as `control_plane.placement = "NAME"` and in `compare --vary`.

use models::component::placement::{
    by_name, eligible, CellView, PlacementPolicy, PolicyParams, TenantInfo,
};
use sim::{Dist, Quantity, RngStream};

/// Fewest bursty tenants first, then the lowest predicted utilisation; ties by cell id.
#[derive(Debug, Default)]
struct CalmNeighbours;

impl PlacementPolicy for CalmNeighbours {
    fn name(&self) -> &'static str {
        "calm_neighbours"
    }

    fn place(
        &mut self,
        tenant: &TenantInfo,
        cells: &[CellView],
        _rng: &mut dyn sim::Bits,
    ) -> Option<u32> {
        cells
            .iter()
            .filter(|c| eligible(tenant, c))
            .min_by(|a, b| {
                let spiky = |c: &CellView| if tenant.spiky { c.spiky_tenants } else { 0 };
                let util = |c: &CellView| c.predicted_load / c.capacity;
                spiky(a)
                    .cmp(&spiky(b))
                    .then(util(a).total_cmp(&util(b)))
                    .then(a.id.cmp(&b.id))
            })
            .map(|c| c.id)
    }
}

/// Places every tenant with `policy` and returns the cells as they end up.
fn place_all(policy: &mut dyn PlacementPolicy, tenants: &[TenantInfo]) -> Vec<CellView> {
    let mut cells: Vec<CellView> = (0..16)
        .map(|id| CellView {
            id,
            capacity: 2_000.0,
            ..CellView::default()
        })
        .collect();
    let mut rng = RngStream::new(1, "control/placement", 0);
    for t in tenants {
        let Some(id) = policy.place(t, &cells, &mut rng) else {
            eprintln!("tenant {} could not be placed", t.id);
            continue;
        };
        let c = &mut cells[id as usize];
        c.tenants += 1;
        c.predicted_load += t.predicted_load;
        c.spiky_tenants += u32::from(t.spiky);
    }
    cells
}

fn report(name: &str, cells: &[CellView]) {
    let util: Vec<f64> = cells
        .iter()
        .map(|c| c.predicted_load / c.capacity)
        .collect();
    let max = util.iter().copied().fold(0.0, f64::max);
    let min = util.iter().copied().fold(f64::INFINITY, f64::min);
    let spiky_max = cells.iter().map(|c| c.spiky_tenants).max().unwrap_or(0);
    println!(
        "{name:<16} utilisation {:.1}%..{:.1}%   most bursty tenants on one cell: {spiky_max}",
        min * 100.0,
        max * 100.0
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 400 tenants: loads from a heavy-tailed distribution (the scenario file syntax), a fifth
    // of them bursty; one named stream per source of randomness.
    let load = Dist::parse("lognormal(40/s, 1.0)", Quantity::Rate)?;
    let mut loads = RngStream::new(1, "example/loads", 0);
    let mut bursty = RngStream::new(1, "example/bursty", 0);
    let tenants: Vec<TenantInfo> = (0..400)
        .map(|id| TenantInfo {
            id,
            region: models::component::placement::ANY_REGION,
            eu_only: false,
            predicted_load: load.sample(&mut loads),
            tier: 0,
            spiky: bursty.chance(0.2),
        })
        .collect();
    let mut shipped =
        by_name("least_loaded", &PolicyParams::default()).ok_or("no least_loaded policy")?;
    report("least_loaded", &place_all(shipped.as_mut(), &tenants));
    report("calm_neighbours", &place_all(&mut CalmNeighbours, &tenants));
    Ok(())
}

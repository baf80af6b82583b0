//! How the control plane builds itself from its settings and the initial population: the
//! placement policy and what it knows of each cell and tenant, the tenant registry, the
//! authoritative routes and configs and the edge's caches of them, heartbeats, and the
//! control loops (evacuation, reconcile, moves, rebalance, scale-out) that are on.
//!
//! **Guarantee.** Building draws no random number: the control plane's stream
//! `control_plane` and each loop's own stream are created here and first drawn from during
//! the run, so the digest does not depend on when the control plane is built.

use super::config_store::ConfigStore;
use super::op_queue::OpQueue;
use super::registry::Registry;
use super::route_cache::RouteCache;
use super::{ControlCounts, ControlRt};
use crate::component::lifecycle::TransitionLog;
use crate::component::link::Link;
use crate::component::placement::{self, CellView, PlacementPolicy, TenantInfo};
use crate::platform::allowed_cells::AllowedCells;
use crate::platform::{
    actions, cell_config_ttl, config_ttl, evacuate, move_cost, rebalance, reconcile, scale_out,
};
use crate::population::Population;
use crate::scenario::{ControlPlane, Scenario};
use sim::{RngStream, SimTime};

/// What the control plane knows of the cells at the start: per cell, the tenants placed on
/// it, their predicted load and how many are spiky.
type Placed = Vec<(u32, f64, u32)>;

impl ControlRt {
    /// The control plane of a run: `n_cells` cells (declared and template ones) and the
    /// population `pop`, already placed; its streams derive from `seed`.
    pub(in crate::platform) fn build(
        sc: &Scenario,
        pop: &Population,
        seed: u64,
        n_cells: usize,
    ) -> ControlRt {
        let n = pop.tenants.len();
        let cp = &sc.control_plane;
        let mut ctl = ControlRt {
            up: true,
            edge_cut: Link::Up,
            latency: cp.latency.clone(),
            provision_time: cp.provision_time.clone(),
            push_delay: cp.push_delay.clone(),
            urgent_push_delay: cp.urgent_push_delay.clone(),
            rng: RngStream::new(seed, "control_plane", 0),
            call_timeout: cp.call_timeout,
            poll_interval: cp.poll_interval,
            registry: Registry::new(pop.tenants.iter().map(|t| t.provision_at.is_none())),
            log: TransitionLog::new(4096),
            migrations_active: 0,
            route: pop.tenants.iter().map(|t| t.cell).collect(),
            route_version: vec![1; n],
            routes: edge_route_cache(sc, n),
            parked: vec![Vec::new(); n],
            configs: initial_configs(pop),
            op_queue: OpQueue::default(),
            beat_interval: cp.heartbeat_interval,
            beat_missed: cp.heartbeat_missed,
            last_beat: vec![SimTime::ZERO; n_cells],
            dead: vec![false; n_cells],
            down: vec![false; n_cells],
            placement: placement_policy(cp),
            cell_views: cell_views(sc, &placed_per_cell(pop, n_cells), n_cells),
            tenant_info: tenant_infos(sc, pop),
            request_cost: sc.request_cost(),
            migration: vec![None; n],
            reject_misrouted: vec![true; n],
            counts: ControlCounts::default(),
            cell_events: Vec::new(),
            dormant_after: cp.dormant_after,
            last_request: vec![SimTime::ZERO; if cp.dormant_after.is_some() { n } else { 0 }],
            actions: actions::ActionLog::default(),
            evac: evacuate::Evacuator::build(cp.evacuation.as_ref(), seed, n),
            recon: reconcile::Reconciler::build(cp.reconcile.as_ref(), seed, n),
            moves: move_cost::Moves::build(cp.migration.as_ref(), seed, sc.platform.cells as usize),
            rebal: rebalance::Rebalancer::build(
                cp.rebalance.as_ref(),
                n,
                sc.platform.cells as usize,
            ),
            config_ttl: None,
            cell_config_ttl: cell_config_ttl::CellTtlRt::build(
                cp.cell_config_ttl.as_ref(),
                n_cells,
                n,
            ),
            config_saved: Vec::new(),
            config_reverted_early: Vec::new(),
            ops: None,
            lifecycle_cfg: cp.lifecycle,
            scale_out: scale_out::FleetScaler::build(cp.scale_out.as_ref(), n_cells as u32),
            allowed: allowed_cells(sc, pop, n_cells),
            provision_requested: provision_requested(pop),
        };
        ctl.config_ttl = config_ttl::ConfigTtlRt::build(cp.config_ttl.as_ref(), ctl.configs.all());
        ctl
    }
}

/// The edge's route cache, empty until the initial routes are warmed (`[edge]` route TTL
/// and staleness).
fn edge_route_cache(sc: &Scenario, n: usize) -> RouteCache {
    let e = &sc.edge;
    RouteCache::new(n, e.route_ttl, e.serve_stale, e.max_staleness)
}

/// Each tenant's config at the start: its own rate limit and burst, not suspended.
fn initial_configs(pop: &Population) -> ConfigStore {
    ConfigStore::new(
        pop.tenants
            .iter()
            .map(|t| (t.rate_limit, t.burst, false))
            .collect(),
    )
}

/// The control plane's placement policy (round robin if its name is unknown, which the
/// scenario's validation does not let through).
fn placement_policy(cp: &ControlPlane) -> Box<dyn PlacementPolicy> {
    placement::by_name(&cp.placement, &cp.placement_params)
        .unwrap_or_else(|| Box::new(placement::round_robin::RoundRobin::new()))
}

/// Tenants placed at the start, per cell: (count, predicted load, spiky).
fn placed_per_cell(pop: &Population, n_cells: usize) -> Placed {
    let mut placed = vec![(0u32, 0.0f64, 0u32); n_cells];
    for t in pop.tenants.iter().filter(|t| t.provision_at.is_none()) {
        let c = &mut placed[t.cell as usize];
        c.0 += 1;
        c.1 += t.predicted_load;
        c.2 += u32::from(t.spiky());
    }
    placed
}

/// The index of region `r`: regions are compared by the index of their first cell.
fn region_index(regions: &[String], r: &str) -> Option<u16> {
    regions.iter().position(|x| x == r).map(|i| i as u16)
}

/// What placement knows of each cell at the start: region, residency, limit, capacity and
/// the tenants already placed on it.
fn cell_views(sc: &Scenario, placed: &Placed, n_cells: usize) -> Vec<CellView> {
    let regions = &sc.platform.regions;
    let cell_capacity = sc.cell_capacity();
    (0..n_cells)
        .map(|c| CellView {
            id: c as u32,
            region: region_index(regions, &regions[c]).unwrap_or(0),
            eu: regions[c].starts_with("eu"),
            live: true,
            tenants: placed[c].0,
            max_tenants: sc.platform.max_tenants_per_cell,
            predicted_load: placed[c].1,
            capacity: if sc.platform.cell_sizes.is_empty() {
                cell_capacity
            } else {
                sc.cell_capacity_of(c as u32)
            },
            dedicated_to: None,
            spiky_tenants: placed[c].2,
        })
        .collect()
}

/// What placement knows of each tenant: region, residency, predicted load, tier, spikiness.
fn tenant_infos(sc: &Scenario, pop: &Population) -> Vec<TenantInfo> {
    let regions = &sc.platform.regions;
    pop.tenants
        .iter()
        .enumerate()
        .map(|(i, t)| {
            super::tenant_info(
                i as u32,
                t.region
                    .as_deref()
                    .map(|r| region_index(regions, r).unwrap_or(u16::MAX - 1)),
                t.eu_only,
                t.predicted_load,
                t.tier as u16,
                t.spiky(),
            )
        })
        .collect()
}

/// The cells each tenant may live on: its cohort's `cells` unless the cohort is movable,
/// and, with fleet scale-out, not the spare cells until they are provisioned.
fn allowed_cells(sc: &Scenario, pop: &Population, n_cells: usize) -> AllowedCells {
    let cohort_of: Vec<Option<usize>> = pop.tenants.iter().map(|t| t.cohort).collect();
    let cohort_cells: Vec<Option<Vec<u32>>> = sc
        .cohorts
        .iter()
        .map(|c| c.cells.clone().filter(|_| !c.movable))
        .collect();
    let scale_out = sc.control_plane.scale_out.as_ref();
    AllowedCells::build(&cohort_of, &cohort_cells).with_spare(
        scale_out.map_or(n_cells as u32, |s| s.first_spare(n_cells as u32)),
        if scale_out.is_some() {
            n_cells as u32
        } else {
            0
        },
    )
}

/// When each tenant asked to be provisioned (all zero; empty without provisioning bursts).
fn provision_requested(pop: &Population) -> Vec<SimTime> {
    let any = pop.tenants.iter().any(|t| t.provision_at.is_some());
    vec![SimTime::ZERO; if any { pop.tenants.len() } else { 0 }]
}

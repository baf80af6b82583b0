//! The tenant population of a run: individual tenants and cohort members, each with its
//! tier, offered rate, class mix, burstiness, predicted load and cell.
//!
//! **Determinism.** Every per-tenant draw comes from a stream named by the tenant's id, so
//! adding a cohort or a tenant, or changing the placement policy or its parameters, never
//! changes another tenant's draws (common random numbers across placement variants):
//!
//! | stream | draw |
//! |---|---|
//! | `tenant/ID/size` | a cohort member's rate |
//! | `tenant/ID/tier` | a cohort member's tier (when the cohort mixes tiers) |
//! | `tenant/ID/spiky` | whether a cohort member is spiky (`u < spiky_fraction`) |
//! | `tenant/ID/spike` | a spiky tenant's burst phase, uniform over its period |
//! | `tenant/ID/predict` | the error of its predicted load (one standard normal) |
//! | `placement` | randomised placement policies' draws, in declaration order |
//!
//! **Placement** at the start: the scenario's policy (with its parameters) places the
//! tenants in declaration order (individual tenants first, then cohorts in file order),
//! unless a tenant names its cell or its cohort is provisioned later (the control plane
//! places those). The policy sees each tenant's *predicted* load ([`predicted_load`]) and
//! each cell's capacity from [`crate::component::placement::capacity`].

use crate::component::placement::{CellView, TenantInfo, ANY_REGION};
use crate::component::workload::{Arrival, LoadShape, Spike};
use crate::scenario::{cohort_member_id, Scenario};
use sim::RngStream;

/// Index of a tenant in the population.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TenantId(pub u32);

/// One tenant.
#[derive(Clone, Debug)]
pub struct Tenant {
    /// Id as declared (`acme`, `small-0042`).
    pub id: String,
    /// Tier index into `Scenario::tiers`.
    pub tier: usize,
    /// Cohort index into `Scenario::cohorts`, if a cohort member.
    pub cohort: Option<usize>,
    /// Offered rate (requests per second, all classes).
    pub rate: f64,
    /// Normalised class shares, one per class.
    pub shares: Vec<f64>,
    /// Cell.
    pub cell: u32,
    /// Edge rate limit (per second), if any.
    pub rate_limit: Option<f64>,
    /// Token bucket burst.
    pub burst: u32,
    /// Edge concurrency cap, if any.
    pub max_concurrency: Option<u32>,
    /// How its requests arrive.
    pub arrival: Arrival,
    /// Its own load shape, if it has one (cohort shapes are the cohort's).
    pub schedule: Option<LoadShape>,
    /// Required region, if any.
    pub region: Option<String>,
    /// Must stay on EU cells.
    pub eu_only: bool,
    /// Asks to be provisioned at this time (a provisioning burst); `None`: exists from 0.
    pub provision_at: Option<sim::SimTime>,
    /// Its own background jobs.
    pub jobs: Option<crate::scenario::TenantJobs>,
    /// Data size (bytes).
    pub data_size: f64,
    /// Its bursts and their phase (ns), if it is spiky.
    pub spike: Option<(Spike, u64)>,
    /// The load placement expects of it (requests per second; see [`predicted_load`]).
    pub predicted_load: f64,
}

impl Tenant {
    /// Its load is bursty.
    pub fn spiky(&self) -> bool {
        self.spike.is_some()
    }
}

/// The load placement is told to expect of tenant `id` with declared `rate`: `rate · e^(σ·Z)`
/// with `Z` one standard normal draw from the stream `tenant/ID/predict` and σ the scenario's
/// `control_plane.prediction_error` (so the median prediction is right and ln(predicted /
/// declared) has standard deviation σ). σ = 0 gives `rate` exactly, without a draw. A spiky
/// tenant's prediction is of its base rate: its bursts are not predicted.
pub fn predicted_load(seed: u64, id: &str, rate: f64, sigma: f64) -> f64 {
    if sigma == 0.0 {
        return rate;
    }
    let mut r = RngStream::new(seed, &format!("tenant/{id}/predict"), 0);
    rate * libm::exp(sigma * sim::dist::std_normal(&mut r))
}

/// `spike` with the phase of tenant `id` (uniform over the period, stream `tenant/ID/spike`).
fn with_phase(seed: u64, id: &str, spike: Spike) -> (Spike, u64) {
    let mut r = RngStream::new(seed, &format!("tenant/{id}/spike"), 0);
    let phase = (r.next_f64() * spike.every as f64) as u64;
    (spike, phase.min(spike.every.saturating_sub(1)))
}

/// All tenants of a run.
#[derive(Clone, Debug)]
pub struct Population {
    /// Tenants in declaration order.
    pub tenants: Vec<Tenant>,
    /// Tenants no cell was eligible for at the start (placed on cell 0 regardless).
    pub unplaced: u32,
}

/// Initial placement: the scenario's policy over all cells (all live at t = 0), honouring
/// region, residency and per-cell limits, drawing from the stream `placement`. Tenants that
/// fit nowhere go to cell 0 and are counted in `unplaced`.
struct Placer<'a> {
    sc: &'a Scenario,
    policy: Box<dyn crate::component::placement::PlacementPolicy>,
    views: Vec<CellView>,
    rng: RngStream,
    unplaced: u32,
}

impl<'a> Placer<'a> {
    fn new(sc: &'a Scenario, seed: u64) -> Self {
        let cp = &sc.control_plane;
        let policy = crate::component::placement::by_name(&cp.placement, &cp.placement_params)
            .unwrap_or_else(|| {
                Box::new(crate::component::placement::round_robin::RoundRobin::new())
            });
        let cell_capacity = sc.cell_capacity();
        let views: Vec<CellView> = (0..sc.platform.cells)
            .map(|c| CellView {
                id: c,
                region: region_index(sc, &sc.platform.regions[c as usize]).unwrap_or(0),
                eu: sc.platform.regions[c as usize].starts_with("eu"),
                // A spare cell of `[control_plane.scale_out]` does not exist yet.
                live: cp
                    .scale_out
                    .as_ref()
                    .is_none_or(|s| c < s.first_spare(sc.platform.cells)),
                tenants: 0,
                max_tenants: sc.platform.max_tenants_per_cell,
                predicted_load: 0.0,
                capacity: if sc.platform.cell_sizes.is_empty() {
                    cell_capacity
                } else {
                    sc.cell_capacity_of(c)
                },
                dedicated_to: None,
                spiky_tenants: 0,
            })
            .collect();
        Placer {
            sc,
            policy,
            views,
            rng: RngStream::new(seed, "placement", 0),
            unplaced: 0,
        }
    }

    /// The cell of tenant `id` (`fixed` when the scenario gives one), recorded on its view.
    #[allow(clippy::too_many_arguments)]
    fn place(
        &mut self,
        id: u32,
        fixed: Option<u32>,
        allowed: Option<&[u32]>,
        region: Option<&str>,
        eu_only: bool,
        load: f64,
        tier: usize,
        spiky: bool,
    ) -> u32 {
        let record = |v: &mut CellView| {
            v.tenants += 1;
            v.predicted_load += load;
            v.spiky_tenants += u32::from(spiky);
        };
        if let Some(c) = fixed {
            record(&mut self.views[c as usize]);
            return c;
        }
        let info = TenantInfo {
            id,
            region: region
                .map(|r| region_index(self.sc, r).unwrap_or(u16::MAX - 1))
                .unwrap_or(ANY_REGION),
            eu_only,
            predicted_load: load,
            tier: tier as u16,
            spiky,
        };
        // A cohort restricted to some cells sees the others as unavailable.
        let saved: Vec<bool> = self.views.iter().map(|v| v.live).collect();
        if let Some(allowed) = allowed {
            for v in self.views.iter_mut() {
                v.live = allowed.contains(&v.id);
            }
        }
        let choice = self.policy.place(&info, &self.views, &mut self.rng);
        for (v, live) in self.views.iter_mut().zip(saved) {
            v.live = live;
        }
        match choice {
            Some(c) => {
                record(&mut self.views[c as usize]);
                c
            }
            None => {
                self.unplaced += 1;
                0
            }
        }
    }
}

/// Regions are compared by the index of their first cell.
fn region_index(sc: &Scenario, r: &str) -> Option<u16> {
    sc.platform
        .regions
        .iter()
        .position(|x| x == r)
        .map(|i| i as u16)
}

impl Population {
    /// Builds the population of `sc` for `seed`.
    pub fn build(sc: &Scenario, seed: u64) -> Population {
        let default_shares: Vec<f64> = normalise(sc.classes.iter().map(|c| c.share).collect());
        let mut tenants = Vec::with_capacity(
            sc.tenants.len() + sc.cohorts.iter().map(|c| c.count as usize).sum::<usize>(),
        );
        // Initial placement: the scenario's policy over all cells (all live at t = 0),
        // honouring region, residency and per-cell limits. Tenants that fit nowhere go to
        // cell 0 and are counted in `Population::unplaced`.
        let cp = &sc.control_plane;
        let mut placer = Placer::new(sc, seed);
        for t in &sc.tenants {
            let tier = &sc.tiers[t.tier];
            let rate_limit = t.rate_limit.or(tier.rate_limit);
            let idx = tenants.len() as u32;
            let predicted = predicted_load(seed, &t.id, t.rate, cp.prediction_error);
            let spike = t.spike.map(|s| with_phase(seed, &t.id, s));
            let cell = placer.place(
                idx,
                t.cell,
                None,
                t.region.as_deref(),
                t.eu_only,
                predicted,
                t.tier,
                spike.is_some(),
            );
            tenants.push(Tenant {
                id: t.id.clone(),
                tier: t.tier,
                cohort: None,
                rate: t.rate,
                shares: t
                    .mix
                    .clone()
                    .map(normalise)
                    .unwrap_or_else(|| default_shares.clone()),
                cell,
                rate_limit,
                burst: t.burst.unwrap_or(if t.rate_limit.is_some() {
                    burst_for(rate_limit)
                } else {
                    tier.burst
                }),
                max_concurrency: t.max_concurrency.or(tier.max_concurrency),
                arrival: t.arrival.clone(),
                schedule: t.schedule.clone(),
                region: t.region.clone(),
                eu_only: t.eu_only,
                provision_at: None,
                jobs: t.jobs.clone(),
                data_size: t.data_size,
                spike,
                predicted_load: predicted,
            });
        }
        for (ci, co) in sc.cohorts.iter().enumerate() {
            let shares = co
                .mix
                .clone()
                .map(normalise)
                .unwrap_or_else(|| default_shares.clone());
            for i in 0..co.count {
                let id = cohort_member_id(&co.name, i);
                let mut size = RngStream::new(seed, &format!("tenant/{id}/size"), 0);
                let rate = co.rate.sample(&mut size).max(0.0);
                let tier = if co.tier_mix.len() == 1 {
                    co.tier_mix[0].0
                } else {
                    let mut pick = RngStream::new(seed, &format!("tenant/{id}/tier"), 0);
                    let u = pick.next_f64();
                    co.tier_mix
                        .iter()
                        .find(|(_, cum)| u < *cum)
                        .or(co.tier_mix.last())
                        .map(|(t, _)| *t)
                        .unwrap_or(0)
                };
                let spiky = co.spiky_fraction > 0.0 && {
                    let mut r = RngStream::new(seed, &format!("tenant/{id}/spiky"), 0);
                    r.next_f64() < co.spiky_fraction
                };
                let spike = spiky.then(|| with_phase(seed, &id, co.spike));
                let predicted = predicted_load(seed, &id, rate, cp.prediction_error);
                let t = &sc.tiers[tier];
                let idx = tenants.len() as u32;
                let cell = if co.provision_at.is_some() {
                    0 // placed by the control plane when it is provisioned
                } else {
                    placer.place(
                        idx,
                        None,
                        co.cells.as_deref(),
                        None,
                        co.eu_only,
                        predicted,
                        tier,
                        spiky,
                    )
                };
                tenants.push(Tenant {
                    id,
                    tier,
                    cohort: Some(ci),
                    rate,
                    shares: shares.clone(),
                    cell,
                    rate_limit: t.rate_limit,
                    burst: t.burst,
                    max_concurrency: t.max_concurrency,
                    arrival: Arrival::Poisson,
                    schedule: None,
                    region: None,
                    eu_only: co.eu_only,
                    provision_at: co.provision_at,
                    jobs: co.jobs.clone(),
                    data_size: 1e9,
                    spike,
                    predicted_load: predicted,
                });
            }
        }
        Population {
            tenants,
            unplaced: placer.unplaced,
        }
    }

    /// The tenant with id `id`.
    pub fn find(&self, id: &str) -> Option<TenantId> {
        self.tenants
            .iter()
            .position(|t| t.id == id)
            .map(|i| TenantId(i as u32))
    }
}

fn burst_for(rate: Option<f64>) -> u32 {
    match rate {
        Some(r) if r >= 1.0 => r.min(1e9) as u32,
        _ => 1,
    }
}

fn normalise(v: Vec<f64>) -> Vec<f64> {
    let total: f64 = v.iter().sum();
    if total > 0.0 {
        v.into_iter().map(|x| x / total).collect()
    } else {
        v
    }
}

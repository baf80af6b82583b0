//! How a [`Platform`] is put together from a scenario and a population: each part's
//! runtime state (arrival sources, classes, faults, control plane, KMS, jobs) built from its
//! settings, and the first events of a run. [`Platform::build`] (in `mod.rs`) composes them.
//!
//! **Guarantee.** Building a part draws from no shared stream: every part's RNG is a stream
//! named for it, so the order in which parts are built does not matter. The first events are
//! scheduled in one fixed order ([`Platform::first_events`]): their sequence numbers are part
//! of the digest.

use super::*;

/// The arrival side of the platform: load shapes, class mixes, one source per tenant.
pub(super) struct Arrivals {
    /// Load shapes: the workload's, then cohorts', tenants' and spiky tenants' own.
    pub shapes: Vec<LoadShape>,
    /// Cumulative class mixes, deduplicated.
    pub mixes: Vec<Vec<f64>>,
    /// One arrival source per tenant.
    pub sources: Vec<Source>,
    /// Per tenant: (closed-loop users, their start spread).
    pub start_spread: Vec<(u32, Option<SimDuration>)>,
    /// Per fault: the class mix it switches its tenant to, if any.
    pub fault_mix: Vec<Option<u32>>,
}

/// Builds every tenant's arrival source (its shape, mix and stream `arrivals/ID`).
pub(super) fn arrivals(sc: &Scenario, pop: &Population, seed: u64) -> Arrivals {
    let mut shapes = vec![sc.workload.clone()];
    let mut cohort_shape: Vec<Option<u32>> = vec![None; sc.cohorts.len()];
    for (i, co) in sc.cohorts.iter().enumerate() {
        if let Some(s) = &co.schedule {
            shapes.push(s.clone());
            cohort_shape[i] = Some(shapes.len() as u32 - 1);
        }
    }
    let mut sources = Vec::with_capacity(pop.tenants.len());
    let mut mixes: Vec<Vec<f64>> = Vec::new();
    let mut mix_index = |shares: &[f64]| -> u32 {
        let mut acc = 0.0;
        let cum: Vec<f64> = shares
            .iter()
            .map(|x| {
                acc += x;
                acc
            })
            .collect();
        match mixes.iter().position(|m| *m == cum) {
            Some(i) => i as u32,
            None => {
                mixes.push(cum);
                mixes.len() as u32 - 1
            }
        }
    };
    let any_budget = sc.classes.iter().any(|c| c.retry.budget.is_some());
    let mut start_spread = Vec::with_capacity(pop.tenants.len());
    for t in pop.tenants.iter() {
        let mut shape = match (&t.schedule, t.cohort.and_then(|c| cohort_shape[c])) {
            (Some(s), _) => {
                shapes.push(s.clone());
                shapes.len() as u32 - 1
            }
            (None, Some(cs)) => cs,
            (None, None) => 0,
        };
        if let Some(spike) = t.spike {
            // A spiky tenant's bursts ride on the shape it would have had (thinning draws
            // them from its own arrival stream).
            let mut own = shapes[shape as usize].clone();
            own.spike = Some(spike);
            shapes.push(own);
            shape = shapes.len() as u32 - 1;
        }
        let mix = mix_index(&t.shares);
        let (think, spread) = match &t.arrival {
            Arrival::Closed {
                think,
                start_spread,
                users,
            } => (Some((think.clone(), *users)), *start_spread),
            Arrival::Poisson => (None, None),
        };
        start_spread.push((think.as_ref().map(|x| x.1).unwrap_or(0), spread));
        sources.push(Source {
            rate: t.rate,
            mix,
            base_mix: mix,
            fault_factor: 1.0,
            shape,
            rng: RngStream::new(seed, &format!("arrivals/{}", t.id), 0),
            timer: None,
            budgets: if any_budget {
                sc.classes
                    .iter()
                    .map(|c| {
                        c.retry
                            .budget
                            .map(|(ratio, window, min)| RetryBudget::new(ratio, window, min))
                    })
                    .collect()
            } else {
                Vec::new()
            },
            think: think.map(|x| x.0),
        });
    }
    // Class mixes that faults switch to.
    let fault_mix: Vec<Option<u32>> = sc
        .faults
        .iter()
        .map(|f| f.kind.hot_mix().map(&mut mix_index))
        .collect();
    Arrivals {
        shapes,
        mixes,
        sources,
        start_spread,
        fault_mix,
    }
}

/// The request classes' runtime settings.
pub(super) fn classes(sc: &Scenario) -> Vec<ClassRt> {
    sc.classes
        .iter()
        .map(|c| ClassRt {
            service: c.service.clone(),
            db_queries: c.db_queries.clone(),
            db_time: c.db_time.clone(),
            bytes: c.bytes.clone(),
            timeout: c.timeout,
            cache_hit: c.cache_hit,
            retry: c.retry.clone(),
            kms: c.kms,
            writes: c.writes,
            submits_job: c.submits_job.map(|j| j as u16),
            calls: c.calls.clone(),
        })
        .collect()
}

/// The faults' runtime state (inactive until their start).
pub(super) fn faults(sc: &Scenario, pop: &Population, fault_mix: &[Option<u32>]) -> Vec<FaultRt> {
    sc.faults
        .iter()
        .zip(fault_mix)
        .map(|(f, mix)| FaultRt {
            kind: f.kind.clone(),
            mix: *mix,
            tenant: f.kind.tenant().and_then(|t| pop.find(t)).map(|t| t.0),
            active: false,
            disabled: false,
            when: super::fault_when::runtime(f),
        })
        .collect::<Vec<_>>()
}

/// The control plane: placement, routes, lifecycles, configuration, evacuation, reconcile.
pub(super) fn control(
    sc: &Scenario,
    pop: &Population,
    seed: u64,
    n_cells: usize,
) -> control::ControlRt {
    let n = pop.tenants.len();
    let cp = &sc.control_plane;
    let placement = crate::component::placement::by_name(&cp.placement, &cp.placement_params)
        .unwrap_or_else(|| Box::new(crate::component::placement::round_robin::RoundRobin::new()));
    let request_cost = sc.request_cost();
    let cell_capacity = sc.cell_capacity();
    // Tenants placed at the start, per cell: (count, predicted load, spiky).
    let mut placed = vec![(0u32, 0.0f64, 0u32); n_cells];
    for t in pop.tenants.iter().filter(|t| t.provision_at.is_none()) {
        let c = &mut placed[t.cell as usize];
        c.0 += 1;
        c.1 += t.predicted_load;
        c.2 += u32::from(t.spiky());
    }
    let region_index = |r: &str| {
        sc.platform
            .regions
            .iter()
            .position(|x| x == r)
            .map(|i| i as u16)
    };
    let mut ctl = control::ControlRt {
        up: true,
        edge_cut: Link::Up,
        latency: cp.latency.clone(),
        provision_time: cp.provision_time.clone(),
        push_delay: cp.push_delay.clone(),
        urgent_push_delay: cp.urgent_push_delay.clone(),
        rng: RngStream::new(seed, "control_plane", 0),
        call_timeout: cp.call_timeout,
        route_ttl: sc.edge.route_ttl,
        serve_stale: sc.edge.serve_stale,
        max_staleness: sc.edge.max_staleness,
        poll_interval: cp.poll_interval,
        lifecycle: pop
            .tenants
            .iter()
            .map(|t| {
                t.provision_at.is_none().then(|| {
                    crate::component::lifecycle::Lifecycle::new(
                        crate::component::lifecycle::TenantState::Active,
                        SimTime::ZERO,
                    )
                })
            })
            .collect(),
        log: crate::component::lifecycle::TransitionLog::new(4096),
        state_byte: pop
            .tenants
            .iter()
            .map(|t| {
                if t.provision_at.is_none() {
                    crate::component::lifecycle::TenantState::Active.index() as u8
                } else {
                    u8::MAX
                }
            })
            .collect(),
        migrations_active: 0,
        route: pop.tenants.iter().map(|t| t.cell).collect(),
        route_version: vec![1; n],
        edge_routes: vec![
            control::RouteEntry {
                cell: 0,
                version: 0,
                fetched: SimTime::ZERO,
                refreshing: false,
                valid: false,
            };
            n
        ],
        parked: vec![Vec::new(); n],
        config_version: vec![0; n],
        edge_config_version: vec![0; n],
        config: pop
            .tenants
            .iter()
            .map(|t| (t.rate_limit, t.burst, false))
            .collect(),
        backlog: Vec::new(),
        beat_interval: cp.heartbeat_interval,
        beat_missed: cp.heartbeat_missed,
        last_beat: vec![SimTime::ZERO; n_cells],
        dead: vec![false; n_cells],
        down: vec![false; n_cells],
        placement,
        cell_views: (0..n_cells)
            .map(|c| crate::component::placement::CellView {
                id: c as u32,
                region: c as u16,
                eu: sc.platform.regions[c].starts_with("eu"),
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
            .map(|mut v| {
                // Regions are compared by the index of their first cell.
                v.region = region_index(&sc.platform.regions[v.id as usize]).unwrap_or(0);
                v
            })
            .collect(),
        tenant_info: pop
            .tenants
            .iter()
            .enumerate()
            .map(|(i, t)| {
                control::tenant_info(
                    i as u32,
                    t.region
                        .as_deref()
                        .map(|r| region_index(r).unwrap_or(u16::MAX - 1)),
                    t.eu_only,
                    t.predicted_load,
                    t.tier as u16,
                    t.spiky(),
                )
            })
            .collect(),
        request_cost,
        migration: vec![None; n],
        reject_misrouted: vec![true; n],
        counts: control::ControlCounts::default(),
        cell_events: Vec::new(),
        dormant_after: cp.dormant_after,
        last_request: vec![SimTime::ZERO; if cp.dormant_after.is_some() { n } else { 0 }],
        actions: actions::ActionLog::default(),
        evac: evacuate::Evacuator::build(cp.evacuation.as_ref(), seed, n),
        recon: reconcile::Reconciler::build(cp.reconcile.as_ref(), seed, n),
        moves: move_cost::Moves::build(cp.migration.as_ref(), seed, sc.platform.cells as usize),
        rebal: rebalance::Rebalancer::build(cp.rebalance.as_ref(), n, sc.platform.cells as usize),
        config_ttl: None,
        cell_config_ttl: cell_config_ttl::CellTtlRt::build(cp.cell_config_ttl.as_ref(), n_cells, n),
        config_saved: Vec::new(),
        config_reverted_early: Vec::new(),
        ops: None,
        lifecycle_cfg: cp.lifecycle,
        scale_out: super::scale_out::FleetScaler::build(cp.scale_out.as_ref(), n_cells as u32),
        allowed: super::allowed_cells::AllowedCells::build(
            &pop.tenants.iter().map(|t| t.cohort).collect::<Vec<_>>(),
            &sc.cohorts
                .iter()
                .map(|c| c.cells.clone().filter(|_| !c.movable))
                .collect::<Vec<_>>(),
        )
        .with_spare(
            cp.scale_out
                .as_ref()
                .map_or(n_cells as u32, |s| s.first_spare(n_cells as u32)),
            if cp.scale_out.is_some() {
                n_cells as u32
            } else {
                0
            },
        ),
        provision_requested: vec![
            SimTime::ZERO;
            if pop.tenants.iter().any(|t| t.provision_at.is_some()) {
                n
            } else {
                0
            }
        ],
    };
    ctl.config_ttl = config_ttl::ConfigTtlRt::build(cp.config_ttl.as_ref(), &ctl.config);
    ctl
}

/// The KMS: per-cell data-key caches (staggered expiries), links and breakers
/// ([`kms::KmsRt::new`]).
pub(super) fn kms(sc: &Scenario, seed: u64, n_cells: usize, n: usize) -> kms::KmsRt {
    let sizes = kms::KmsSizes {
        cells: n_cells,
        tenants: n,
        caches_keys: sc.classes.iter().any(|c| c.kms),
        // Per-tenant calls are counted only when `[cost]` prices them.
        counts_tenant_calls: sc.cost.as_ref().is_some_and(|p| p.kms_call > 0.0),
    };
    kms::KmsRt::new(&sc.kms, seed, sizes)
}

/// The async plane: job classes, per-cell job queues and workers, per-tenant job sources,
/// object storage ([`jobs::JobsRt::new`]).
pub(super) fn jobs(
    sc: &Scenario,
    pop: &Population,
    seed: u64,
    n_cells: usize,
    n: usize,
) -> jobs::JobsRt {
    let settings = jobs::JobsSettings {
        classes: &sc.job_classes,
        plane: &sc.platform.jobs,
        storage: &sc.object_storage,
        cells: n_cells,
        seed,
    };
    let mut tenants = Vec::with_capacity(n);
    tenants.extend(pop.tenants.iter().map(|t| jobs::JobTenant {
        id: &t.id,
        weight: sc.tiers[t.tier].weight,
        jobs: t.jobs.as_ref(),
    }));
    jobs::JobsRt::new(&settings, &tenants)
}

impl Platform {
    /// Schedules a run's first events, in this order: arrivals and closed-loop users, the
    /// first window's end, fault starts and ends, heartbeats, config polls, reconcile,
    /// provisioning bursts, then background jobs.
    pub(super) fn first_events(
        &mut self,
        sc: &Scenario,
        pop: &Population,
        start_spread: &[(u32, Option<SimDuration>)],
        q: &mut EventQueue<Ev>,
    ) {
        let cp = &sc.control_plane;
        for (t, &(users, spread)) in start_spread.iter().enumerate() {
            let t = t as u32;
            if pop.tenants[t as usize].provision_at.is_some() {
                continue; // starts sending when it asks to be provisioned
            }
            if self.sources[t as usize].think.is_none() {
                self.schedule_arrival(t, q);
                continue;
            }
            // Closed loop: users start spread uniformly over `start_spread` (default: one
            // think time each), not all at t = 0 — unless the scenario asks for that.
            for u in 0..users {
                let src = &mut self.sources[t as usize];
                let start = match spread {
                    Some(d) => {
                        SimDuration::from_nanos_f64(d.as_nanos() as f64 * src.rng.next_f64())
                    }
                    None => match &src.think {
                        Some(think) => SimDuration::from_nanos_f64(think.sample(&mut src.rng)),
                        None => SimDuration::ZERO,
                    },
                };
                q.schedule_in(start, Ev::UserReady { tenant: t, user: u });
            }
        }
        q.schedule_at(
            SimTime(self.window.as_nanos()),
            Ev::WindowClosed { window: 0 },
        );
        for (i, f) in sc.faults.iter().enumerate() {
            if f.when.is_some() {
                // Started by its condition: polled from its start (platform/fault_when.rs).
                q.schedule_at(f.start, Ev::ConditionPolled { fault: i as u32 });
                continue;
            }
            q.schedule_at(f.start, Ev::FaultStarted { fault: i as u32 });
            q.schedule_at(f.end, Ev::FaultEnded { fault: i as u32 });
        }
        q.schedule_at(SimTime(cp.heartbeat_interval.as_nanos()), Ev::HeartbeatsDue);
        q.schedule_at(SimTime(cp.poll_interval.as_nanos()), Ev::ConfigPollDue);
        if let Some(t) = self.ctl.scale_out.as_deref().and_then(|f| f.first_tick()) {
            q.schedule_at(t, Ev::ScaleOutDue);
        }
        if let Some(r) = self.ctl.recon.as_deref() {
            q.schedule_at(r.first_tick(), Ev::ReconcileDue);
        }
        if let Some(r) = self.ctl.rebal.as_deref() {
            q.schedule_at(r.first_tick(), Ev::RebalanceDue);
        }
        if let Some(a) = self.autoscale.as_deref() {
            q.schedule_at(a.first_tick(), Ev::AutoscaleDue);
        }
        // Provisioning bursts: one event per cohort, at its `provision_at`.
        let mut first = 0u32;
        for t in &sc.tenants {
            let _ = t;
            first += 1;
        }
        for co in &sc.cohorts {
            if let Some(at) = co.provision_at {
                q.schedule_at(
                    at,
                    Ev::ProvisionRequested {
                        first,
                        count: co.count,
                    },
                );
            }
            first += co.count;
        }
        // Background jobs: backlogs queued now, own arrivals from their streams.
        for (ti, t) in pop.tenants.iter().enumerate() {
            if let Some(j) = &t.jobs {
                for _ in 0..j.backlog {
                    self.submit_job(SimTime::ZERO, ti as u32, j.class as u16, q);
                }
                if j.rate > 0.0 && t.provision_at.is_none() {
                    if let Some((gap, _)) = self.jobs.next_arrival(ti as u32) {
                        q.schedule_in(gap, Ev::JobArrived { tenant: ti as u32 });
                    }
                }
            }
        }
    }
}

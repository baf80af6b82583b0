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
                retry_budgets(sc)
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

/// The control plane: placement, routes, lifecycles, configuration, evacuation, reconcile
/// (it builds itself: `control/build.rs`).
pub(super) fn control(
    sc: &Scenario,
    pop: &Population,
    seed: u64,
    n_cells: usize,
) -> control::ControlRt {
    control::ControlRt::build(sc, pop, seed, n_cells)
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

/// A tenant's retry budgets, one per class up to the last class that has one (a class past
/// the end has none: the vector stays as short as it can, one per tenant adds up).
fn retry_budgets(sc: &Scenario) -> Vec<Option<RetryBudget>> {
    let n = sc
        .classes
        .iter()
        .rposition(|c| c.retry.budget.is_some())
        .map_or(0, |i| i + 1);
    sc.classes[..n]
        .iter()
        .map(|c| {
            c.retry
                .budget
                .map(|(ratio, window, min)| RetryBudget::new(ratio, window, min))
        })
        .collect()
}

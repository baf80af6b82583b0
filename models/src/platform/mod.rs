//! The platform model: clients → edge → cell queue → workers → DB → response.
//!
//! ```text
//!  source (tenant, class)            edge                          cell c
//!  open loop: Poisson × shape  ┐     concurrency cap ─429─▶        queue (fifo/drr/caps) ─503─▶
//!  closed loop: users + think  ┴─▶ request ─▶ token bucket ─429─▶   worker: service CPU
//!         ▲                           admission ─503─▶             DB: breaker ─503─▶ pool P ─▶
//!         │ retry (backoff, jitter,   route tenant→cell ──────▶       cores C (processor sharing)
//!         │ budget, Retry-After)                                      statement/acquire timeouts ─5xx─▶
//!         └──── client: per-attempt timeout, outcome ◀──────────────── response
//! ```
//!
//! Each arrival is a *logical request*; the client makes *attempts* for it. A failed or
//! timed-out attempt may be retried by the class's policy; the request ends exactly once
//! (ok, 429, 503/5xx with a cause, or timed out) or is in flight at the end. An attempt
//! whose client gave up keeps its worker and connections until its work is done (wasted
//! work, counted).
//!
//! **Common random numbers.** Arrivals of each (tenant, class) come from the stream
//! `arrivals/TENANT/CLASS`; each request draws one 64-bit seed from `costs/TENANT/CLASS` at
//! arrival and derives everything about itself from SplitMix64 sub-streams of it: costs
//! (service time, cache hit, query count, query times, bytes, fault effects) and client
//! randomness (backoff jitter, think time). A tenant's requests are therefore the same
//! whatever else the scenario or the scheduling does.
//!
//! **Hot path.** Requests and attempts live in slabs, queues are preallocated, the DB keeps
//! one pending event: handling an event allocates nothing once the run has warmed up.

use crate::breaker::{Admit, BreakerSet};
use crate::db::{Db, QueryEnd};
use crate::outcome::{Cause, Outcome};
use crate::population::Population;
use crate::record::Recorder;
use crate::retry::{RetryBudget, RetryPolicy};
use crate::scenario::{FaultKind, RetryOn, RetrySpec, Scenario, SchedulerName};
use crate::scheduler::{CellQueue, SchedulerKind};
use crate::slab::{Id, Slab};
use crate::token_bucket::TokenBucket;
use crate::workload::{Arrival, LoadShape};
use sim::{Bits, Digest, Dist, EventQueue, RngStream, SimDuration, SimTime, SplitMix, TimerKey};

/// Events of the platform model (facts, in the past tense).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ev {
    /// A tenant's next candidate arrival came (kept or thinned by the load shape).
    RequestArrived {
        /// Tenant index.
        tenant: u32,
    },
    /// A closed-loop user finished thinking and sends its next request.
    UserReady {
        /// Tenant index.
        tenant: u32,
        /// User index within the tenant.
        user: u32,
    },
    /// A request's backoff elapsed: its client makes the next attempt.
    RetryDue {
        /// Request.
        req: Id,
    },
    /// The earliest client timeout of a class came due (timeouts of one class expire in
    /// the order they were set, so each class keeps a FIFO and one pending event).
    TimeoutsDue {
        /// Class.
        class: u16,
    },
    /// A worker finished an attempt's CPU work.
    ServiceFinished {
        /// Attempt.
        att: Id,
    },
    /// A cell's DB reached its next completion or deadline.
    DbWoke {
        /// Cell.
        cell: u32,
    },
    /// The added dependency latency of an attempt's query elapsed.
    DbLatencyElapsed {
        /// Attempt.
        att: Id,
    },
    /// A fault became active.
    FaultStarted {
        /// Fault index.
        fault: u32,
    },
    /// A fault ended.
    FaultEnded {
        /// Fault index.
        fault: u32,
    },
    /// A recording window closed: cells are sampled.
    WindowClosed {
        /// Window index.
        window: u32,
    },
}

impl sim::Event for Ev {
    fn kind(&self) -> &'static str {
        match self {
            Ev::RequestArrived { .. } => "request_arrived",
            Ev::UserReady { .. } => "user_ready",
            Ev::RetryDue { .. } => "retry_due",
            Ev::TimeoutsDue { .. } => "timeouts_due",
            Ev::ServiceFinished { .. } => "service_finished",
            Ev::DbWoke { .. } => "db_woke",
            Ev::DbLatencyElapsed { .. } => "db_latency_elapsed",
            Ev::FaultStarted { .. } => "fault_started",
            Ev::FaultEnded { .. } => "fault_ended",
            Ev::WindowClosed { .. } => "window_closed",
        }
    }
    #[inline]
    fn digest_into(&self, d: &mut Digest) {
        let (code, key) = match *self {
            Ev::RequestArrived { tenant } => (1, tenant as u64),
            Ev::UserReady { tenant, user } => (2, ((tenant as u64) << 32) | user as u64),
            Ev::RetryDue { req } => (3, req.word()),
            Ev::TimeoutsDue { class } => (4, class as u64),
            Ev::ServiceFinished { att } => (5, att.word()),
            Ev::DbWoke { cell } => (6, cell as u64),
            Ev::DbLatencyElapsed { att } => (7, att.word()),
            Ev::FaultStarted { fault } => (8, fault as u64),
            Ev::FaultEnded { fault } => (9, fault as u64),
            Ev::WindowClosed { window } => (10, window as u64),
        };
        d.write_u64((code << 58) ^ key);
    }
}

const NO_USER: u32 = u32::MAX;
/// Salt that separates a request's client sub-stream from its cost sub-stream.
const CLIENT_SALT: u64 = 0xC11E_4700_5EED_0001;

/// A tenant's stream of requests (all classes): one random stream, one pending arrival.
struct Source {
    /// Base offered rate (all classes).
    rate: f64,
    /// Index into `Platform::mixes` of the cumulative class shares in force.
    mix: u32,
    /// The tenant's own mix, restored when a fault that changed it ends.
    base_mix: u32,
    fault_factor: f64,
    shape: u32,
    /// `arrivals/TENANT`: interarrival gaps, thinning, class picks, request seeds.
    rng: RngStream,
    timer: Option<TimerKey>,
    /// Retry budgets per class (empty when no class has one).
    budgets: Vec<Option<RetryBudget>>,
    /// Closed loop: think time.
    think: Option<Dist>,
}

impl Source {
    #[inline]
    fn envelope_rate(&self, shapes: &[LoadShape]) -> f64 {
        self.rate * self.fault_factor * shapes[self.shape as usize].max()
    }
}

/// Per-class FIFO of client timeouts (all requests of a class share one timeout, so
/// deadlines are set in order); one engine event is pending for the earliest.
#[derive(Default)]
struct TimeoutQueue {
    fifo: std::collections::VecDeque<(SimTime, Id, u16)>,
    pending: Option<SimTime>,
}

/// A logical request, as the client sees it.
struct Request {
    tenant: u32,
    class: u16,
    user: u32,
    sent: SimTime,
    attempts: u16,
    seed: u64,
    client: SplitMix,
    prev_delay: SimDuration,
    attempt: Option<Id>,
}

/// One attempt, as the platform sees it.
struct Attempt {
    req: Id,
    tenant: u32,
    class: u16,
    cell: u32,
    local: u32,
    sent: SimTime,
    enqueued: SimTime,
    service_ns: u64,
    queries_left: u32,
    costs: SplitMix,
    /// Per-attempt draws for fault effects (independent across attempts of one request).
    chance: SplitMix,
    db_ns: u64,
    bytes: u64,
    abandoned: bool,
    probe: bool,
    pending_error: bool,
}

struct Cell {
    base_workers: u32,
    workers: u32,
    busy: u32,
    queue: CellQueue<Id>,
    db: Db,
    db_timer: Option<(TimerKey, SimTime)>,
    db_busy_at_window_start: f64,
    breaker: Option<BreakerSet>,
    latency: Option<Dist>,
    /// Active injected DB error rates: (only this tenant, or all; fraction).
    errors: Vec<(Option<u32>, f64)>,
}

/// Counters of the request ledger.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LedgerCounts {
    /// Logical requests created.
    pub requests_started: u64,
    /// Logical requests that reached an outcome.
    pub requests_finished: u64,
    /// Attempts made.
    pub attempts_started: u64,
    /// Attempts that ended (answered, refused, shed, failed, or finished after abandonment).
    pub attempts_finished: u64,
    /// Attempts whose work finished after the client had given up.
    pub attempts_wasted: u64,
    /// Retries scheduled.
    pub retries: u64,
    /// Retries a retry budget refused.
    pub retries_denied_by_budget: u64,
}

/// Per-tenant runtime state at the edge.
struct EdgeTenant {
    bucket: TokenBucket,
    local: u32,
    in_flight: u32,
    max_concurrency: u32,
}

struct ClassRt {
    service: Dist,
    db_queries: Dist,
    db_time: Dist,
    bytes: Dist,
    timeout: SimDuration,
    cache_hit: f64,
    retry: RetrySpec,
}

struct FaultRt {
    kind: FaultKind,
    tenant: Option<u32>,
    mix: Option<u32>,
    active: bool,
}

/// The platform: all runtime state of one run.
pub struct Platform {
    end: SimTime,
    classes: Vec<ClassRt>,
    shapes: Vec<LoadShape>,
    mixes: Vec<Vec<f64>>,
    sources: Vec<Source>,
    timeouts: Vec<TimeoutQueue>,
    edge: Vec<EdgeTenant>,
    tenant_cell: Vec<u32>,
    cells: Vec<Cell>,
    requests: Slab<Request>,
    attempts: Slab<Attempt>,
    max_in_flight: Option<u32>,
    in_flight_attempts: u32,
    queue_timeout: Option<SimDuration>,
    queue_limit: usize,
    window: SimDuration,
    faults: Vec<FaultRt>,
    poll_buf: Vec<(u64, QueryEnd)>,
    /// What was recorded.
    pub recorder: Recorder,
    /// The ledger counters.
    pub ledger: LedgerCounts,
}

impl Platform {
    /// Builds the platform for `sc` and `pop`, and schedules the first events on `q`.
    pub fn build(
        sc: &Scenario,
        pop: &Population,
        seed: u64,
        recorder: Recorder,
        q: &mut EventQueue<Ev>,
    ) -> Platform {
        let p = &sc.platform;
        let kind = match p.scheduler {
            SchedulerName::Fifo => SchedulerKind::Fifo,
            SchedulerName::Drr => SchedulerKind::Drr,
            SchedulerName::TenantCap => SchedulerKind::TenantCap,
            SchedulerName::DrrCap => SchedulerKind::DrrCap,
        };
        let capped = matches!(
            p.scheduler,
            SchedulerName::TenantCap | SchedulerName::DrrCap
        );
        let tenants_per_cell = |c: u32| pop.tenants.iter().filter(|t| t.cell == c).count() as u32;
        let mut cells: Vec<Cell> = (0..p.cells)
            .map(|c| Cell {
                base_workers: p.workers,
                workers: p.workers,
                busy: 0,
                // `queue_limit` bounds what waits while every worker is busy; an arrival that
                // finds a free worker passes through the queue (the scheduler decides), so the
                // queue holds up to `workers` more transiently.
                queue: CellQueue::new(
                    kind,
                    p.quantum.as_nanos(),
                    p.queue_limit as usize + p.workers as usize,
                ),
                db: Db::new(
                    p.db.connections,
                    p.db.cores,
                    p.db.statement_timeout,
                    p.db.acquire_timeout,
                ),
                db_timer: None,
                db_busy_at_window_start: 0.0,
                breaker: p.db.breaker.as_ref().map(|(cfg, scope)| {
                    BreakerSet::with_tenants(cfg.clone(), *scope, tenants_per_cell(c))
                }),
                latency: None,
                errors: Vec::new(),
            })
            .collect();
        let mut shapes = vec![sc.workload.clone()];
        let mut cohort_shape: Vec<Option<u32>> = vec![None; sc.cohorts.len()];
        for (i, co) in sc.cohorts.iter().enumerate() {
            if let Some(s) = &co.schedule {
                shapes.push(s.clone());
                cohort_shape[i] = Some(shapes.len() as u32 - 1);
            }
        }
        let mut edge = Vec::with_capacity(pop.tenants.len());
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
            let weight = sc.tiers[t.tier].weight;
            let local = cells[t.cell as usize]
                .queue
                .add_tenant(weight, capped.then_some(p.tenant_cap));
            edge.push(EdgeTenant {
                bucket: match t.rate_limit {
                    Some(r) => TokenBucket::new(r, t.burst),
                    None => TokenBucket::unlimited(),
                },
                local,
                in_flight: 0,
                max_concurrency: t.max_concurrency.unwrap_or(u32::MAX),
            });
            let shape = match (&t.schedule, t.cohort.and_then(|c| cohort_shape[c])) {
                (Some(s), _) => {
                    shapes.push(s.clone());
                    shapes.len() as u32 - 1
                }
                (None, Some(cs)) => cs,
                (None, None) => 0,
            };
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
            .map(|f| match &f.kind {
                FaultKind::HotTenant { mix: Some(m), .. } => Some(mix_index(m)),
                _ => None,
            })
            .collect();
        let classes = sc
            .classes
            .iter()
            .map(|c| ClassRt {
                service: c.service.clone(),
                db_queries: c.db_queries.clone(),
                db_time: c.db_time.clone(),
                bytes: c.bytes.clone(),
                timeout: c.timeout,
                cache_hit: c.cache_hit,
                retry: c.retry.clone(),
            })
            .collect();
        let faults = sc
            .faults
            .iter()
            .zip(&fault_mix)
            .map(|(f, mix)| FaultRt {
                kind: f.kind.clone(),
                mix: *mix,
                tenant: match &f.kind {
                    FaultKind::HotTenant { tenant, .. } => pop.find(tenant).map(|t| t.0),
                    FaultKind::DependencyErrors {
                        tenant: Some(t), ..
                    } => pop.find(t).map(|t| t.0),
                    _ => None,
                },
                active: false,
            })
            .collect::<Vec<_>>();
        let n_cells = cells.len();
        cells.shrink_to_fit();
        let mut plat = Platform {
            end: SimTime(sc.duration.as_nanos()),
            classes,
            shapes,
            mixes,
            sources,
            timeouts: (0..sc.classes.len())
                .map(|_| TimeoutQueue::default())
                .collect(),
            edge,
            tenant_cell: pop.tenants.iter().map(|t| t.cell).collect(),
            cells,
            requests: Slab::with_capacity(4096),
            attempts: Slab::with_capacity(4096),
            max_in_flight: p.max_in_flight,
            in_flight_attempts: 0,
            queue_timeout: p.queue_timeout,
            queue_limit: p.queue_limit as usize,
            window: SimDuration(sc.window.as_nanos().max(1)),
            faults,
            poll_buf: Vec::with_capacity(64),
            recorder,
            ledger: LedgerCounts::default(),
        };
        debug_assert_eq!(n_cells, plat.cells.len());
        for (t, &(users, spread)) in start_spread.iter().enumerate() {
            let t = t as u32;
            if plat.sources[t as usize].think.is_none() {
                plat.schedule_arrival(t, q);
                continue;
            }
            // Closed loop: users start spread uniformly over `start_spread` (default: one
            // think time each), not all at t = 0 — unless the scenario asks for that.
            for u in 0..users {
                let src = &mut plat.sources[t as usize];
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
            SimTime(plat.window.as_nanos()),
            Ev::WindowClosed { window: 0 },
        );
        for (i, f) in sc.faults.iter().enumerate() {
            q.schedule_at(f.start, Ev::FaultStarted { fault: i as u32 });
            q.schedule_at(f.end, Ev::FaultEnded { fault: i as u32 });
        }
        plat
    }

    /// Schedules the next candidate arrival of open-loop tenant `t` (Poisson at the
    /// envelope rate; thinned on arrival), if it falls inside the run.
    fn schedule_arrival(&mut self, t: u32, q: &mut EventQueue<Ev>) {
        let rate = self.sources[t as usize].envelope_rate(&self.shapes);
        let src = &mut self.sources[t as usize];
        if let Some(k) = src.timer.take() {
            q.cancel(k);
        }
        if rate <= 0.0 || src.think.is_some() {
            return;
        }
        let gap_s = -libm::log(src.rng.next_f64_open0()) / rate;
        let gap = SimDuration::from_secs_f64(gap_s);
        if q.now().after(gap) < self.end {
            src.timer = Some(q.schedule_cancellable(gap, Ev::RequestArrived { tenant: t }));
        }
    }

    /// Logical requests in flight now.
    pub fn requests_in_flight(&self) -> usize {
        self.requests.len()
    }

    /// Attempts in flight now.
    pub fn attempts_in_flight(&self) -> usize {
        self.attempts.len()
    }

    /// Tenants of the requests in flight now (one entry per request), in slab order.
    pub fn in_flight_tenants(&self) -> impl Iterator<Item = u32> + '_ {
        self.requests.iter().map(|(_, r)| r.tenant)
    }

    fn on_arrival(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        self.sources[t as usize].timer = None;
        self.schedule_arrival(t, q);
        let src = &mut self.sources[t as usize];
        let shape = &self.shapes[src.shape as usize];
        if !shape.is_flat() {
            // Thinning: keep the candidate with probability shape(t) / max.
            let keep = shape.at(now) / shape.max();
            if src.rng.next_f64() >= keep {
                return;
            }
        }
        self.new_request(now, t, NO_USER, q);
    }

    fn new_request(&mut self, now: SimTime, tenant: u32, user: u32, q: &mut EventQueue<Ev>) {
        let src = &mut self.sources[tenant as usize];
        let mix = &self.mixes[src.mix as usize];
        let class = if mix.len() == 1 {
            0
        } else {
            let u = src.rng.next_f64() * mix[mix.len() - 1];
            mix.partition_point(|&c| c <= u).min(mix.len() - 1) as u16
        };
        let seed = src.rng.next_u64();
        if let Some(Some(b)) = src.budgets.get_mut(class as usize) {
            b.record_first_attempt(now);
        }
        let req = self.requests.insert(Request {
            tenant,
            class,
            user,
            sent: now,
            attempts: 0,
            seed,
            client: SplitMix(seed ^ CLIENT_SALT),
            prev_delay: SimDuration::ZERO,
            attempt: None,
        });
        self.ledger.requests_started += 1;
        self.recorder.offered(tenant, now);
        self.start_attempt(now, req, q);
    }

    fn start_attempt(&mut self, now: SimTime, req_id: Id, q: &mut EventQueue<Ev>) {
        let Some(req) = self.requests.get_mut(req_id) else {
            return;
        };
        req.attempts = req.attempts.saturating_add(1);
        let (tenant, class, sent, seed, number) =
            (req.tenant, req.class, req.sent, req.seed, req.attempts);
        self.ledger.attempts_started += 1;
        self.recorder.attempt(tenant, sent);
        let edge = &mut self.edge[tenant as usize];
        if edge.in_flight >= edge.max_concurrency {
            self.ledger.attempts_finished += 1;
            self.client_result(now, req_id, Outcome::Rejected, None, q);
            return;
        }
        if let Err(retry_after) = edge.bucket.try_take(now) {
            self.ledger.attempts_finished += 1;
            self.client_result(now, req_id, Outcome::Rejected, Some(retry_after), q);
            return;
        }
        if self
            .max_in_flight
            .is_some_and(|max| self.in_flight_attempts >= max)
        {
            self.ledger.attempts_finished += 1;
            self.client_result(now, req_id, Outcome::Failed(Cause::Admission), None, q);
            return;
        }
        let local = edge.local;
        edge.in_flight += 1;
        self.in_flight_attempts += 1;
        let cell = self.tenant_cell[tenant as usize];
        let c = &self.classes[class as usize];
        let mut costs = SplitMix(seed);
        let service_ns = c.service.sample(&mut costs).max(0.0) as u64;
        let cache_hit = c.cache_hit > 0.0 && costs.next_f64() < c.cache_hit;
        let queries = libm::round(c.db_queries.sample(&mut costs).max(0.0)) as u32;
        let bytes = c.bytes.sample(&mut costs).max(0.0) as u64;
        let timeout = c.timeout;
        let att = self.attempts.insert(Attempt {
            req: req_id,
            tenant,
            class,
            cell,
            local,
            sent,
            enqueued: now,
            service_ns,
            queries_left: if cache_hit { 0 } else { queries },
            costs,
            chance: SplitMix(sim::digest::mix64(
                seed ^ (number as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            )),
            db_ns: 0,
            bytes,
            abandoned: false,
            probe: false,
            pending_error: false,
        });
        if let Some(r) = self.requests.get_mut(req_id) {
            r.attempt = Some(att);
        }
        let tq = &mut self.timeouts[class as usize];
        let deadline = now.after(timeout);
        debug_assert!(
            tq.fifo.back().is_none_or(|b| b.0 <= deadline),
            "timeouts of a class expire in order"
        );
        tq.fifo.push_back((deadline, req_id, number));
        if tq.pending.is_none() {
            tq.pending = Some(deadline);
            q.schedule_at(deadline, Ev::TimeoutsDue { class });
        }
        // Always through the queue, even when a worker is free: the scheduler decides and
        // keeps the per-tenant in-service counts its caps need.
        let c = &mut self.cells[cell as usize];
        if c.busy >= c.workers && c.queue.len() >= self.queue_limit {
            self.end_attempt(now, att, Outcome::Failed(Cause::QueueFull), false, q);
            return;
        }
        match c.queue.push(local, service_ns, now, att) {
            Ok(()) => self.pull_from_queue(now, cell, q),
            Err(att) => self.end_attempt(now, att, Outcome::Failed(Cause::QueueFull), false, q),
        }
    }

    /// Starts queued attempts on free workers of `cell`, shedding those that waited too long.
    fn pull_from_queue(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        loop {
            let c = &mut self.cells[cell as usize];
            if c.busy >= c.workers {
                return;
            }
            let Some(p) = c.queue.pop() else {
                return;
            };
            if self
                .queue_timeout
                .is_some_and(|max| now.since(p.enqueued_at) > max)
            {
                c.queue.release(p.tenant);
                self.end_attempt(
                    now,
                    p.payload,
                    Outcome::Failed(Cause::QueueTimeout),
                    false,
                    q,
                );
                continue;
            }
            self.start_service(now, p.payload, q);
        }
    }

    fn start_service(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        let Some(a) = self.attempts.get(att) else {
            return;
        };
        let (tenant, sent, wait, service_ns) =
            (a.tenant, a.sent, now.since(a.enqueued), a.service_ns);
        let cell = &mut self.cells[a.cell as usize];
        cell.busy += 1;
        self.recorder.queue_wait(tenant, sent, wait);
        self.recorder.meter(tenant, service_ns, 0, 0);
        q.schedule_in(SimDuration(service_ns), Ev::ServiceFinished { att });
    }

    /// The attempt's next step after CPU work or a query: another query, or the answer.
    fn next_query(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        let Some(a) = self.attempts.get_mut(att) else {
            return;
        };
        if a.queries_left == 0 {
            self.end_attempt(now, att, Outcome::Ok, true, q);
            return;
        }
        let cell = a.cell as usize;
        if let Some(b) = self.cells[cell].breaker.as_mut() {
            match b.admit(now, a.local) {
                Admit::Rejected => {
                    self.end_attempt(now, att, Outcome::Failed(Cause::BreakerOpen), true, q);
                    return;
                }
                Admit::Probe => a.probe = true,
                Admit::Allowed => a.probe = false,
            }
        }
        a.queries_left -= 1;
        let work = self.classes[a.class as usize]
            .db_time
            .sample(&mut a.costs)
            .max(0.0) as u64;
        a.db_ns += work;
        self.cells[cell].db.submit(now, att.word(), work);
        self.reschedule_db(now, cell as u32, q);
    }

    /// Keeps exactly one pending wake-up event per DB, at its next completion or deadline.
    fn reschedule_db(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        let c = &mut self.cells[cell as usize];
        let wake = c.db.next_wake(now);
        match (c.db_timer, wake) {
            // A pending wake-up at or before the next one is kept: when it fires, the DB is
            // polled and the timer set again. This saves a cancel + schedule (and a
            // tombstone) for every query that does not move the earliest completion.
            (Some((_, at)), Some(w)) if at <= w => {}
            (old, w) => {
                if let Some((k, _)) = old {
                    q.cancel(k);
                }
                c.db_timer =
                    w.map(|w| (q.schedule_cancellable(w.since(now), Ev::DbWoke { cell }), w));
            }
        }
    }

    fn on_db_woke(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        self.cells[cell as usize].db_timer = None;
        let mut ended = std::mem::take(&mut self.poll_buf);
        ended.clear();
        self.cells[cell as usize].db.poll(now, &mut ended);
        for &(tok, end) in &ended {
            let att = Id::from_word(tok);
            match end {
                QueryEnd::Done => {
                    let c = &self.cells[cell as usize];
                    let latency = c.latency.clone();
                    let Some(a) = self.attempts.get_mut(att) else {
                        continue;
                    };
                    let frac = c
                        .errors
                        .iter()
                        .filter(|(t, _)| t.is_none_or(|t| t == a.tenant))
                        .map(|(_, f)| *f)
                        .fold(0.0, f64::max);
                    let failed = frac > 0.0 && a.chance.next_f64() < frac;
                    match latency {
                        Some(d) => {
                            a.pending_error = failed;
                            let extra = SimDuration::from_nanos_f64(d.sample(&mut a.chance));
                            q.schedule_in(extra, Ev::DbLatencyElapsed { att });
                        }
                        None => {
                            self.cells[cell as usize].db.release(now);
                            let r = if failed {
                                Err(Cause::DependencyError)
                            } else {
                                Ok(())
                            };
                            self.query_done(now, att, r, q);
                        }
                    }
                }
                QueryEnd::StatementTimeout => {
                    self.cells[cell as usize].db.release(now);
                    self.query_done(now, att, Err(Cause::DbTimeout), q);
                }
                QueryEnd::AcquireTimeout => self.query_done(now, att, Err(Cause::DbPoolTimeout), q),
            }
        }
        self.poll_buf = ended;
        self.reschedule_db(now, cell, q);
    }

    fn on_db_latency_elapsed(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        let Some(a) = self.attempts.get(att) else {
            return;
        };
        let (cell, failed) = (a.cell, a.pending_error);
        self.cells[cell as usize].db.release(now);
        self.reschedule_db(now, cell, q);
        let r = if failed {
            Err(Cause::DependencyError)
        } else {
            Ok(())
        };
        self.query_done(now, att, r, q);
    }

    fn query_done(
        &mut self,
        now: SimTime,
        att: Id,
        result: Result<(), Cause>,
        q: &mut EventQueue<Ev>,
    ) {
        let Some(a) = self.attempts.get(att) else {
            return;
        };
        let (cell, local, probe) = (a.cell as usize, a.local, a.probe);
        if let Some(b) = self.cells[cell].breaker.as_mut() {
            b.record(now, local, result.is_ok(), probe);
        }
        match result {
            Ok(()) => self.next_query(now, att, q),
            Err(cause) => self.end_attempt(now, att, Outcome::Failed(cause), true, q),
        }
    }

    /// An attempt ends at the platform. `served`: it held a worker (which is now freed).
    fn end_attempt(
        &mut self,
        now: SimTime,
        att: Id,
        outcome: Outcome,
        served: bool,
        q: &mut EventQueue<Ev>,
    ) {
        let Some(a) = self.attempts.remove(att) else {
            return;
        };
        self.in_flight_attempts -= 1;
        self.edge[a.tenant as usize].in_flight -= 1;
        self.ledger.attempts_finished += 1;
        let bytes = if outcome == Outcome::Ok { a.bytes } else { 0 };
        self.recorder.meter(a.tenant, 0, a.db_ns, bytes);
        if served {
            let cell = &mut self.cells[a.cell as usize];
            cell.busy -= 1;
            cell.queue.release(a.local);
        }
        if a.abandoned {
            if served {
                self.ledger.attempts_wasted += 1;
            }
        } else {
            debug_assert!(self
                .requests
                .get(a.req)
                .is_some_and(|r| r.attempt == Some(att)));
            self.client_result(now, a.req, outcome, None, q);
        }
        if served {
            self.pull_from_queue(now, a.cell, q);
        }
    }

    /// Expires every due timeout of `class` whose attempt is still outstanding, then keeps
    /// one event pending for the next live deadline (stale entries are dropped on the way).
    fn on_timeouts_due(&mut self, now: SimTime, class: u16, q: &mut EventQueue<Ev>) {
        self.timeouts[class as usize].pending = None;
        loop {
            let Some(&(deadline, req, number)) = self.timeouts[class as usize].fifo.front() else {
                return;
            };
            let live = self
                .requests
                .get(req)
                .is_some_and(|r| r.attempts == number && r.attempt.is_some());
            if !live {
                self.timeouts[class as usize].fifo.pop_front();
                continue;
            }
            if deadline > now {
                self.timeouts[class as usize].pending = Some(deadline);
                q.schedule_at(deadline, Ev::TimeoutsDue { class });
                return;
            }
            self.timeouts[class as usize].fifo.pop_front();
            if let Some(r) = self.requests.get_mut(req) {
                if let Some(att) = r.attempt.take() {
                    if let Some(a) = self.attempts.get_mut(att) {
                        a.abandoned = true;
                    }
                }
            }
            self.client_result(now, req, Outcome::TimedOut, None, q);
        }
    }

    /// The client learns how its attempt ended: finish the request, or retry it.
    fn client_result(
        &mut self,
        now: SimTime,
        req_id: Id,
        outcome: Outcome,
        retry_after: Option<SimDuration>,
        q: &mut EventQueue<Ev>,
    ) {
        let Some(r) = self.requests.get_mut(req_id) else {
            return;
        };
        r.attempt = None;
        if outcome != Outcome::Ok {
            let spec = &self.classes[r.class as usize].retry;
            if retryable(&spec.retry_on, outcome) && spec.policy != RetryPolicy::None {
                let next = r.attempts as u32 + 1;
                if let Some(delay) =
                    spec.policy
                        .delay_before_attempt(next, r.prev_delay, &mut r.client)
                {
                    let allowed = match self.sources[r.tenant as usize]
                        .budgets
                        .get_mut(r.class as usize)
                    {
                        Some(Some(b)) => b.try_spend_retry(now),
                        _ => true,
                    };
                    if allowed {
                        let wait = if spec.honour_retry_after {
                            crate::retry::combine_with_retry_after(delay, retry_after)
                        } else {
                            delay
                        };
                        r.prev_delay = delay;
                        self.ledger.retries += 1;
                        q.schedule_in(wait, Ev::RetryDue { req: req_id });
                        return;
                    }
                    self.ledger.retries_denied_by_budget += 1;
                }
            }
        }
        self.finish_request(now, req_id, outcome, q);
    }

    fn finish_request(&mut self, now: SimTime, req: Id, outcome: Outcome, q: &mut EventQueue<Ev>) {
        let Some(mut r) = self.requests.remove(req) else {
            return;
        };
        self.ledger.requests_finished += 1;
        self.recorder
            .finished(r.tenant, r.sent, now, outcome, r.attempts);
        if r.user != NO_USER {
            let think = self.sources[r.tenant as usize]
                .think
                .as_ref()
                .map(|d| d.sample(&mut r.client))
                .unwrap_or(0.0);
            let at = now.after(SimDuration::from_nanos_f64(think));
            if at < self.end {
                q.schedule_at(
                    at,
                    Ev::UserReady {
                        tenant: r.tenant,
                        user: r.user,
                    },
                );
            }
        }
    }

    fn on_fault(&mut self, now: SimTime, fault: u32, active: bool, q: &mut EventQueue<Ev>) {
        self.faults[fault as usize].active = active;
        match &self.faults[fault as usize].kind {
            FaultKind::HotTenant { .. } => {
                let Some(t) = self.faults[fault as usize].tenant else {
                    return;
                };
                self.recompute_tenant(t, q);
            }
            FaultKind::DependencyLatency { cells, .. }
            | FaultKind::DependencyErrors { cells, .. }
            | FaultKind::DbDegraded { cells, .. }
            | FaultKind::WorkersLost { cells, .. } => {
                for c in cells.clone() {
                    self.recompute_cell(now, c, q);
                }
            }
        }
    }

    /// Re-derives a tenant's rate factor and class mix from the active faults on it.
    fn recompute_tenant(&mut self, t: u32, q: &mut EventQueue<Ev>) {
        let mut factor = 1.0;
        let mut mix = None;
        for f in self
            .faults
            .iter()
            .filter(|f| f.active && f.tenant == Some(t))
        {
            if let FaultKind::HotTenant { factor: k, .. } = &f.kind {
                factor *= k;
                if f.mix.is_some() {
                    mix = f.mix;
                }
            }
        }
        let src = &mut self.sources[t as usize];
        src.fault_factor = factor;
        src.mix = mix.unwrap_or(src.base_mix);
        self.schedule_arrival(t, q);
    }

    /// Re-derives a cell's degraded state from the active faults on it.
    fn recompute_cell(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        let mut capacity = 1.0;
        let mut lost = 0u32;
        let mut errors = std::mem::take(&mut self.cells[cell as usize].errors);
        errors.clear();
        let mut latency = None;
        for f in self.faults.iter().filter(|f| f.active) {
            match &f.kind {
                FaultKind::DbDegraded { cells, capacity: k } if cells.contains(&cell) => {
                    capacity *= k
                }
                FaultKind::WorkersLost { cells, count } if cells.contains(&cell) => lost += count,
                FaultKind::DependencyErrors {
                    cells, fraction, ..
                } if cells.contains(&cell) => errors.push((f.tenant, *fraction)),
                FaultKind::DependencyLatency { cells, latency: d } if cells.contains(&cell) => {
                    latency = Some(d.clone())
                }
                _ => {}
            }
        }
        let c = &mut self.cells[cell as usize];
        c.workers = c.base_workers.saturating_sub(lost);
        c.errors = errors;
        c.latency = latency;
        c.db.set_capacity(now, capacity);
        self.reschedule_db(now, cell, q);
        self.pull_from_queue(now, cell, q);
    }
}

impl Platform {
    /// Samples every cell at the end of a recording window and schedules the next.
    fn on_window_closed(&mut self, now: SimTime, window: u32, q: &mut EventQueue<Ev>) {
        for (ci, c) in self.cells.iter_mut().enumerate() {
            c.db.set_capacity(now, c.db.capacity()); // brings the DB's accounting up to now
            let busy = c.db.busy_core_ns();
            let used = busy - c.db_busy_at_window_start;
            c.db_busy_at_window_start = busy;
            let breaker_open = c.breaker.as_ref().is_some_and(|b| {
                (0..c.queue.tenant_count())
                    .any(|t| b.state(t) == crate::breaker::BreakerState::Open)
            });
            self.recorder.cell_sample(
                ci,
                crate::record::CellSample {
                    queue_depth: c.queue.len() as u32,
                    workers_busy: c.busy,
                    workers: c.workers,
                    db_utilisation: (used / (c.db.cores() * self.window.as_nanos() as f64))
                        .clamp(0.0, 1.0),
                    db_waiting: c.db.waiting() as u32,
                    breaker_open,
                },
            );
        }
        let next = now.after(self.window);
        if next <= self.end {
            q.schedule_at(next, Ev::WindowClosed { window: window + 1 });
        }
    }
}

fn retryable(on: &RetryOn, outcome: Outcome) -> bool {
    match outcome {
        Outcome::Ok => false,
        Outcome::Rejected => on.rejected,
        Outcome::TimedOut => on.timeout,
        Outcome::Failed(c) if c.is_shed() => on.shed,
        Outcome::Failed(_) => on.error,
    }
}

impl sim::Model for Platform {
    type Event = Ev;
    #[inline]
    fn handle(&mut self, now: SimTime, ev: Ev, q: &mut EventQueue<Ev>) {
        match ev {
            Ev::RequestArrived { tenant } => self.on_arrival(now, tenant, q),
            Ev::UserReady { tenant, user } => self.new_request(now, tenant, user, q),
            Ev::RetryDue { req } => self.start_attempt(now, req, q),
            Ev::TimeoutsDue { class } => self.on_timeouts_due(now, class, q),
            Ev::ServiceFinished { att } => self.next_query(now, att, q),
            Ev::DbWoke { cell } => self.on_db_woke(now, cell, q),
            Ev::DbLatencyElapsed { att } => self.on_db_latency_elapsed(now, att, q),
            Ev::FaultStarted { fault } => self.on_fault(now, fault, true, q),
            Ev::FaultEnded { fault } => self.on_fault(now, fault, false, q),
            Ev::WindowClosed { window } => self.on_window_closed(now, window, q),
        }
    }
}

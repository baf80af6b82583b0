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
    /// An open-loop source's next candidate arrival came (kept or thinned by the load shape).
    RequestArrived {
        /// Source index.
        source: u32,
    },
    /// A closed-loop user finished thinking and sends its next request.
    UserReady {
        /// Source index.
        source: u32,
        /// User index within the source.
        user: u32,
    },
    /// A request's backoff elapsed: its client makes the next attempt.
    RetryDue {
        /// Request.
        req: Id,
    },
    /// A client's per-attempt timeout fired.
    AttemptTimedOut {
        /// Request.
        req: Id,
        /// Attempt number the timer was set for.
        attempt: u16,
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
}

impl sim::Event for Ev {
    fn kind(&self) -> &'static str {
        match self {
            Ev::RequestArrived { .. } => "request_arrived",
            Ev::UserReady { .. } => "user_ready",
            Ev::RetryDue { .. } => "retry_due",
            Ev::AttemptTimedOut { .. } => "attempt_timed_out",
            Ev::ServiceFinished { .. } => "service_finished",
            Ev::DbWoke { .. } => "db_woke",
            Ev::DbLatencyElapsed { .. } => "db_latency_elapsed",
            Ev::FaultStarted { .. } => "fault_started",
            Ev::FaultEnded { .. } => "fault_ended",
        }
    }
    #[inline]
    fn digest_into(&self, d: &mut Digest) {
        let (code, key) = match *self {
            Ev::RequestArrived { source } => (1, source as u64),
            Ev::UserReady { source, user } => (2, ((source as u64) << 32) | user as u64),
            Ev::RetryDue { req } => (3, req.word()),
            Ev::AttemptTimedOut { req, attempt } => (4, req.word() ^ ((attempt as u64) << 48)),
            Ev::ServiceFinished { att } => (5, att.word()),
            Ev::DbWoke { cell } => (6, cell as u64),
            Ev::DbLatencyElapsed { att } => (7, att.word()),
            Ev::FaultStarted { fault } => (8, fault as u64),
            Ev::FaultEnded { fault } => (9, fault as u64),
        };
        d.write_u64((code << 58) ^ key);
    }
}

const NO_USER: u32 = u32::MAX;
/// Salt that separates a request's client sub-stream from its cost sub-stream.
const CLIENT_SALT: u64 = 0xC11E_4700_5EED_0001;

/// A stream of requests of one class from one tenant.
struct Source {
    tenant: u32,
    class: u16,
    /// The tenant's rate, to rescale when a fault changes the class mix.
    tenant_rate: f64,
    /// Class share override from an active fault, if any.
    share_override: Option<f64>,
    base_share: f64,
    fault_factor: f64,
    shape: u32,
    arrivals: RngStream,
    costs: RngStream,
    timer: Option<TimerKey>,
    budget: Option<RetryBudget>,
    closed: Option<(u32, Dist)>,
}

impl Source {
    #[inline]
    fn envelope_rate(&self, shapes: &[LoadShape]) -> f64 {
        let share = self.share_override.unwrap_or(self.base_share);
        self.tenant_rate * share * self.fault_factor * shapes[self.shape as usize].max()
    }
}

/// A logical request, as the client sees it.
struct Request {
    source: u32,
    tenant: u32,
    class: u16,
    user: u32,
    sent: SimTime,
    attempts: u16,
    seed: u64,
    client: SplitMix,
    prev_delay: SimDuration,
    timer: Option<TimerKey>,
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
    active: bool,
}

/// The platform: all runtime state of one run.
pub struct Platform {
    end: SimTime,
    classes: Vec<ClassRt>,
    shapes: Vec<LoadShape>,
    sources: Vec<Source>,
    tenant_sources: Vec<(u32, u32)>,
    edge: Vec<EdgeTenant>,
    tenant_cell: Vec<u32>,
    cells: Vec<Cell>,
    requests: Slab<Request>,
    attempts: Slab<Attempt>,
    max_in_flight: Option<u32>,
    in_flight_attempts: u32,
    queue_timeout: Option<SimDuration>,
    queue_limit: usize,
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
        let mut sources = Vec::new();
        let mut tenant_sources = Vec::with_capacity(pop.tenants.len());
        for (ti, t) in pop.tenants.iter().enumerate() {
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
            // Closed loop: each user belongs to one class, drawn by share from the tenant's
            // own stream (independent of every other tenant).
            let mut users_per_class = vec![0u32; sc.classes.len()];
            if let Arrival::Closed { users, .. } = &t.arrival {
                let mut pick = RngStream::new(seed, &format!("users/{}", t.id), 0);
                for _ in 0..*users {
                    let u = pick.next_f64();
                    let mut acc = 0.0;
                    let mut chosen = t.shares.len() - 1;
                    for (ci, sh) in t.shares.iter().enumerate() {
                        acc += sh;
                        if u < acc {
                            chosen = ci;
                            break;
                        }
                    }
                    users_per_class[chosen] += 1;
                }
            }
            let first = sources.len() as u32;
            for (ci, class) in sc.classes.iter().enumerate() {
                let name = format!("{}/{}", t.id, class.name);
                sources.push(Source {
                    tenant: ti as u32,
                    class: ci as u16,
                    tenant_rate: t.rate,
                    share_override: None,
                    base_share: t.shares[ci],
                    fault_factor: 1.0,
                    shape,
                    arrivals: RngStream::new(seed, &format!("arrivals/{name}"), 0),
                    costs: RngStream::new(seed, &format!("costs/{name}"), 0),
                    timer: None,
                    budget: class
                        .retry
                        .budget
                        .map(|(ratio, window, min)| RetryBudget::new(ratio, window, min)),
                    closed: match &t.arrival {
                        Arrival::Closed { think, .. } => Some((users_per_class[ci], think.clone())),
                        Arrival::Poisson => None,
                    },
                });
            }
            tenant_sources.push((first, sources.len() as u32));
        }
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
            .map(|f| FaultRt {
                kind: f.kind.clone(),
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
        let start_spread: Vec<Option<SimDuration>> = pop
            .tenants
            .iter()
            .map(|t| match &t.arrival {
                Arrival::Closed { start_spread, .. } => *start_spread,
                Arrival::Poisson => None,
            })
            .collect();
        let n_cells = cells.len();
        cells.shrink_to_fit();
        let mut plat = Platform {
            end: SimTime(sc.duration.as_nanos()),
            classes,
            shapes,
            sources,
            tenant_sources,
            edge,
            tenant_cell: pop.tenants.iter().map(|t| t.cell).collect(),
            cells,
            requests: Slab::with_capacity(4096),
            attempts: Slab::with_capacity(4096),
            max_in_flight: p.max_in_flight,
            in_flight_attempts: 0,
            queue_timeout: p.queue_timeout,
            queue_limit: p.queue_limit as usize,
            faults,
            poll_buf: Vec::with_capacity(64),
            recorder,
            ledger: LedgerCounts::default(),
        };
        debug_assert_eq!(n_cells, plat.cells.len());
        for s in 0..plat.sources.len() as u32 {
            match plat.sources[s as usize].closed {
                None => plat.schedule_arrival(s, q),
                Some((users, _)) => {
                    // Users start spread uniformly over `start_spread` (default: one think
                    // time each), not all at t = 0 — unless the scenario asks for that.
                    let spread = start_spread[plat.sources[s as usize].tenant as usize];
                    for u in 0..users {
                        let src = &mut plat.sources[s as usize];
                        let start = match spread {
                            Some(d) => SimDuration::from_nanos_f64(
                                d.as_nanos() as f64 * src.arrivals.next_f64(),
                            ),
                            None => {
                                let think = src
                                    .closed
                                    .as_ref()
                                    .map(|c| c.1.clone())
                                    .unwrap_or(Dist::Const(0.0));
                                SimDuration::from_nanos_f64(think.sample(&mut src.arrivals))
                            }
                        };
                        q.schedule_in(start, Ev::UserReady { source: s, user: u });
                    }
                }
            }
        }
        for (i, f) in sc.faults.iter().enumerate() {
            q.schedule_at(f.start, Ev::FaultStarted { fault: i as u32 });
            q.schedule_at(f.end, Ev::FaultEnded { fault: i as u32 });
        }
        plat
    }

    /// Schedules the next candidate arrival of open-loop source `s` (Poisson at the
    /// envelope rate; thinned on arrival), if it falls inside the run.
    fn schedule_arrival(&mut self, s: u32, q: &mut EventQueue<Ev>) {
        let rate = self.sources[s as usize].envelope_rate(&self.shapes);
        let src = &mut self.sources[s as usize];
        if let Some(k) = src.timer.take() {
            q.cancel(k);
        }
        if rate <= 0.0 || src.closed.is_some() {
            return;
        }
        let gap_s = -libm::log(src.arrivals.next_f64_open0()) / rate;
        let gap = SimDuration::from_secs_f64(gap_s);
        if q.now().after(gap) < self.end {
            src.timer = Some(q.schedule_cancellable(gap, Ev::RequestArrived { source: s }));
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

    fn on_arrival(&mut self, now: SimTime, s: u32, q: &mut EventQueue<Ev>) {
        self.sources[s as usize].timer = None;
        self.schedule_arrival(s, q);
        let src = &mut self.sources[s as usize];
        let shape = &self.shapes[src.shape as usize];
        if !shape.is_flat() {
            // Thinning: keep the candidate with probability shape(t) / max.
            let keep = shape.at(now) / shape.max();
            if src.arrivals.next_f64() >= keep {
                return;
            }
        }
        self.new_request(now, s, NO_USER, q);
    }

    fn new_request(&mut self, now: SimTime, s: u32, user: u32, q: &mut EventQueue<Ev>) {
        let src = &mut self.sources[s as usize];
        let seed = src.costs.next_u64();
        if let Some(b) = src.budget.as_mut() {
            b.record_first_attempt(now);
        }
        let (tenant, class) = (src.tenant, src.class);
        let req = self.requests.insert(Request {
            source: s,
            tenant,
            class,
            user,
            sent: now,
            attempts: 0,
            seed,
            client: SplitMix(seed ^ CLIENT_SALT),
            prev_delay: SimDuration::ZERO,
            timer: None,
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
            r.timer = Some(q.schedule_cancellable(
                timeout,
                Ev::AttemptTimedOut {
                    req: req_id,
                    attempt: number,
                },
            ));
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
            (Some((_, at)), Some(w)) if at == w => {}
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

    fn on_attempt_timed_out(&mut self, now: SimTime, req: Id, number: u16, q: &mut EventQueue<Ev>) {
        let Some(r) = self.requests.get_mut(req) else {
            return;
        };
        if r.attempts != number {
            return;
        }
        r.timer = None;
        if let Some(att) = r.attempt.take() {
            if let Some(a) = self.attempts.get_mut(att) {
                a.abandoned = true;
            }
        }
        self.client_result(now, req, Outcome::TimedOut, None, q);
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
        if let Some(k) = r.timer.take() {
            q.cancel(k);
        }
        r.attempt = None;
        if outcome != Outcome::Ok {
            let spec = &self.classes[r.class as usize].retry;
            if retryable(&spec.retry_on, outcome) && spec.policy != RetryPolicy::None {
                let next = r.attempts as u32 + 1;
                if let Some(delay) =
                    spec.policy
                        .delay_before_attempt(next, r.prev_delay, &mut r.client)
                {
                    let allowed = match self.sources[r.source as usize].budget.as_mut() {
                        Some(b) => b.try_spend_retry(now),
                        None => true,
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
        if let Some(k) = r.timer.take() {
            q.cancel(k);
        }
        self.ledger.requests_finished += 1;
        self.recorder.finished(r.tenant, r.sent, now, outcome);
        if r.user != NO_USER {
            let think = self.sources[r.source as usize]
                .closed
                .as_ref()
                .map(|c| c.1.sample(&mut r.client))
                .unwrap_or(0.0);
            let at = now.after(SimDuration::from_nanos_f64(think));
            if at < self.end {
                q.schedule_at(
                    at,
                    Ev::UserReady {
                        source: r.source,
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
        let mut mix: Option<Vec<f64>> = None;
        for f in self
            .faults
            .iter()
            .filter(|f| f.active && f.tenant == Some(t))
        {
            if let FaultKind::HotTenant {
                factor: k, mix: m, ..
            } = &f.kind
            {
                factor *= k;
                if m.is_some() {
                    mix = m.clone();
                }
            }
        }
        let (a, b) = self.tenant_sources[t as usize];
        for s in a..b {
            let src = &mut self.sources[s as usize];
            src.fault_factor = factor;
            src.share_override = mix.as_ref().map(|m| m[src.class as usize]);
            self.schedule_arrival(s, q);
        }
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
            Ev::RequestArrived { source } => self.on_arrival(now, source, q),
            Ev::UserReady { source, user } => self.new_request(now, source, user, q),
            Ev::RetryDue { req } => self.start_attempt(now, req, q),
            Ev::AttemptTimedOut { req, attempt } => self.on_attempt_timed_out(now, req, attempt, q),
            Ev::ServiceFinished { att } => self.next_query(now, att, q),
            Ev::DbWoke { cell } => self.on_db_woke(now, cell, q),
            Ev::DbLatencyElapsed { att } => self.on_db_latency_elapsed(now, att, q),
            Ev::FaultStarted { fault } => self.on_fault(now, fault, true, q),
            Ev::FaultEnded { fault } => self.on_fault(now, fault, false, q),
        }
    }
}

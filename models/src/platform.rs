//! The platform model: clients → edge → cell queue → workers → DB → response.
//!
//! ```text
//!  source (tenant, class)          edge                      cell c
//!  Poisson arrivals ──▶ request ─▶ token bucket ─429─▶ ✗     ┌─────────────────────────────┐
//!                         │        admission ─503─▶ ✗        │ queue (fifo/drr/caps) ─503─▶✗│
//!                         │        route t→c ───────────────▶│ worker: service CPU          │
//!                         │                                  │ DB: pool P, cores C (PS)     │
//!                         └─ client timeout ─▶ timed out     └──────────── response ──▶ ok  │
//! ```
//!
//! Each arrival is a *logical request*; the client makes *attempts* for it. A request ends
//! exactly once (ok, 429, 503/5xx with a cause, or timed out) or is in flight at the end.
//! An attempt whose client gave up keeps its worker until its work is done (wasted work).
//!
//! **Common random numbers.** Arrivals of each (tenant, class) come from the stream
//! `arrivals/TENANT/CLASS`; each request draws one 64-bit seed from `costs/TENANT/CLASS` at
//! arrival and derives all its costs (service time, query count, query times, bytes) from
//! it. A tenant's arrivals and costs are therefore the same whatever else the scenario or
//! the scheduling does.
//!
//! **Hot path.** Requests and attempts live in slabs, queues are preallocated, the DB is a
//! heap: handling an event allocates nothing once the run has warmed up.

use crate::db::Db;
use crate::outcome::{Cause, Outcome};
use crate::population::Population;
use crate::record::Recorder;
use crate::scenario::{FaultKind, Scenario, SchedulerName};
use crate::scheduler::{CellQueue, SchedulerKind};
use crate::slab::{Id, Slab};
use crate::token_bucket::TokenBucket;
use sim::{Digest, Dist, EventQueue, RngStream, SimDuration, SimTime, SplitMix, TimerKey};

/// Events of the platform model (facts, in the past tense).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ev {
    /// The next request of a source arrived.
    RequestArrived {
        /// Source index.
        source: u32,
    },
    /// A client's timeout for a request fired.
    ClientTimedOut {
        /// Request.
        req: Id,
    },
    /// A worker finished an attempt's CPU work.
    ServiceFinished {
        /// Attempt.
        att: Id,
    },
    /// The earliest running query of a cell's DB finished.
    DbQueryFinished {
        /// Cell.
        cell: u32,
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
            Ev::ClientTimedOut { .. } => "client_timed_out",
            Ev::ServiceFinished { .. } => "service_finished",
            Ev::DbQueryFinished { .. } => "db_query_finished",
            Ev::FaultStarted { .. } => "fault_started",
            Ev::FaultEnded { .. } => "fault_ended",
        }
    }
    #[inline]
    fn digest_into(&self, d: &mut Digest) {
        let (code, key) = match *self {
            Ev::RequestArrived { source } => (1, source as u64),
            Ev::ClientTimedOut { req } => (2, req.word()),
            Ev::ServiceFinished { att } => (3, att.word()),
            Ev::DbQueryFinished { cell } => (4, cell as u64),
            Ev::FaultStarted { fault } => (5, fault as u64),
            Ev::FaultEnded { fault } => (6, fault as u64),
        };
        d.write_u64((code << 56) ^ key);
    }
}

/// A stream of requests of one class from one tenant.
struct Source {
    tenant: u32,
    class: u16,
    base_rate: f64,
    mult: f64,
    arrivals: RngStream,
    costs: RngStream,
    timer: Option<TimerKey>,
}

/// A logical request, as the client sees it.
struct Request {
    tenant: u32,
    class: u16,
    sent: SimTime,
    attempts: u16,
    seed: u64,
    timeout: Option<TimerKey>,
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
    db_ns: u64,
    bytes: u64,
    abandoned: bool,
}

struct Cell {
    workers: u32,
    busy: u32,
    queue: CellQueue<Id>,
    db: Db,
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
    /// Attempts that ended (answered, refused, shed, or finished after abandonment).
    pub attempts_finished: u64,
    /// Attempts whose work finished after the client gave up.
    pub attempts_wasted: u64,
}

/// Per-tenant runtime state at the edge.
struct EdgeTenant {
    bucket: TokenBucket,
    local: u32,
    hot_mult: f64,
}

/// The platform: all runtime state of one run.
pub struct Platform {
    end: SimTime,
    classes: Vec<ClassRt>,
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
    faults: Vec<FaultRt>,
    done_buf: Vec<u64>,
    /// What was recorded.
    pub recorder: Recorder,
    /// The ledger counters.
    pub ledger: LedgerCounts,
}

struct ClassRt {
    service: Dist,
    db_queries: Dist,
    db_time: Dist,
    bytes: Dist,
    timeout: SimDuration,
}

struct FaultRt {
    kind: FaultKind,
    tenant: Option<u32>,
    active: bool,
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
        let mut cells: Vec<Cell> = (0..p.cells)
            .map(|_| Cell {
                workers: p.workers,
                busy: 0,
                queue: CellQueue::new(kind, p.quantum.as_nanos(), p.queue_limit as usize),
                db: Db::new(p.db.connections, p.db.cores),
            })
            .collect();
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
                hot_mult: 1.0,
            });
            let first = sources.len() as u32;
            for (ci, class) in sc.classes.iter().enumerate() {
                let rate = t.rate * t.shares[ci];
                if rate <= 0.0 {
                    continue;
                }
                let name = format!("{}/{}", t.id, class.name);
                sources.push(Source {
                    tenant: ti as u32,
                    class: ci as u16,
                    base_rate: rate,
                    mult: 1.0,
                    arrivals: RngStream::new(seed, &format!("arrivals/{name}"), 0),
                    costs: RngStream::new(seed, &format!("costs/{name}"), 0),
                    timer: None,
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
            })
            .collect();
        let faults = sc
            .faults
            .iter()
            .map(|f| FaultRt {
                kind: f.kind.clone(),
                tenant: match &f.kind {
                    FaultKind::HotTenant { tenant, .. } => pop.find(tenant).map(|t| t.0),
                },
                active: false,
            })
            .collect::<Vec<_>>();
        let mut plat = Platform {
            end: SimTime(sc.duration.as_nanos()),
            classes,
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
            faults,
            done_buf: Vec::with_capacity(64),
            recorder,
            ledger: LedgerCounts::default(),
        };
        for s in 0..plat.sources.len() as u32 {
            plat.schedule_arrival(s, q);
        }
        for (i, f) in sc.faults.iter().enumerate() {
            q.schedule_at(f.start, Ev::FaultStarted { fault: i as u32 });
            q.schedule_at(f.end, Ev::FaultEnded { fault: i as u32 });
        }
        plat
    }

    /// Schedules the next arrival of source `s` (Poisson at its current rate), if it falls
    /// inside the run.
    fn schedule_arrival(&mut self, s: u32, q: &mut EventQueue<Ev>) {
        let src = &mut self.sources[s as usize];
        if let Some(k) = src.timer.take() {
            q.cancel(k);
        }
        let rate = src.base_rate * src.mult;
        if rate <= 0.0 {
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
        let seed = src.costs.next_u64();
        let (tenant, class) = (src.tenant, src.class);
        let req = self.requests.insert(Request {
            tenant,
            class,
            sent: now,
            attempts: 0,
            seed,
            timeout: None,
            attempt: None,
        });
        self.ledger.requests_started += 1;
        self.recorder.offered(tenant, now);
        let timeout = self.classes[class as usize].timeout;
        if let Some(r) = self.requests.get_mut(req) {
            r.timeout = Some(q.schedule_cancellable(timeout, Ev::ClientTimedOut { req }));
        }
        self.start_attempt(now, req, q);
    }

    fn start_attempt(&mut self, now: SimTime, req_id: Id, q: &mut EventQueue<Ev>) {
        let Some(req) = self.requests.get_mut(req_id) else {
            return;
        };
        req.attempts += 1;
        let (tenant, class, sent, seed) = (req.tenant, req.class, req.sent, req.seed);
        self.ledger.attempts_started += 1;
        self.recorder.attempt(tenant, sent);
        let edge = &mut self.edge[tenant as usize];
        if edge.bucket.try_take(now).is_err() {
            self.ledger.attempts_finished += 1;
            self.finish_request(now, req_id, Outcome::Rejected, q);
            return;
        }
        if let Some(max) = self.max_in_flight {
            if self.in_flight_attempts >= max {
                self.ledger.attempts_finished += 1;
                self.finish_request(now, req_id, Outcome::Failed(Cause::Admission), q);
                return;
            }
        }
        let local = edge.local;
        let cell = self.tenant_cell[tenant as usize];
        let c = &self.classes[class as usize];
        let mut costs = SplitMix(seed);
        let service_ns = c.service.sample(&mut costs).max(0.0) as u64;
        let queries = libm::round(c.db_queries.sample(&mut costs).max(0.0)) as u32;
        let bytes = c.bytes.sample(&mut costs).max(0.0) as u64;
        let att = self.attempts.insert(Attempt {
            req: req_id,
            tenant,
            class,
            cell,
            local,
            sent,
            enqueued: now,
            service_ns,
            queries_left: queries,
            costs,
            db_ns: 0,
            bytes,
            abandoned: false,
        });
        self.in_flight_attempts += 1;
        if let Some(r) = self.requests.get_mut(req_id) {
            r.attempt = Some(att);
        }
        // Always through the queue, even when a worker is free: the scheduler decides and
        // keeps per-tenant in-service counts for its caps.
        match self.cells[cell as usize]
            .queue
            .push(local, service_ns, now, att)
        {
            Ok(()) => self.pull_from_queue(now, cell, q),
            Err(att) => self.end_attempt_unserved(now, att, Cause::QueueFull, q),
        }
    }

    /// An attempt that never reached a worker ends (shed).
    fn end_attempt_unserved(
        &mut self,
        now: SimTime,
        att: Id,
        cause: Cause,
        q: &mut EventQueue<Ev>,
    ) {
        let Some(a) = self.attempts.remove(att) else {
            return;
        };
        self.in_flight_attempts -= 1;
        self.ledger.attempts_finished += 1;
        if !a.abandoned {
            self.finish_request(now, a.req, Outcome::Failed(cause), q);
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
        assert!(cell.busy <= cell.workers, "more busy workers than workers");
        self.recorder.queue_wait(tenant, sent, wait);
        self.recorder.meter(tenant, service_ns, 0, 0);
        q.schedule_in(SimDuration(service_ns), Ev::ServiceFinished { att });
    }

    fn on_service_finished(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        self.next_query_or_respond(now, att, q);
    }

    fn next_query_or_respond(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        let Some(a) = self.attempts.get_mut(att) else {
            return;
        };
        if a.queries_left == 0 {
            self.respond(now, att, q);
            return;
        }
        a.queries_left -= 1;
        let work = self.classes[a.class as usize]
            .db_time
            .sample(&mut a.costs)
            .max(0.0) as u64;
        a.db_ns += work;
        let cell = a.cell;
        let r = self.cells[cell as usize].db.submit(now, att.word(), work);
        self.reschedule_db(cell, r.next_completion_in, q);
    }

    fn reschedule_db(&mut self, cell: u32, next: Option<SimDuration>, q: &mut EventQueue<Ev>) {
        let db = &mut self.cells[cell as usize].db;
        if let Some(k) = db.timer.take() {
            q.cancel(k);
        }
        if let Some(d) = next {
            db.timer = Some(q.schedule_cancellable(d, Ev::DbQueryFinished { cell }));
        }
    }

    fn on_db_finished(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        self.cells[cell as usize].db.timer = None;
        let mut done = std::mem::take(&mut self.done_buf);
        done.clear();
        let r = self.cells[cell as usize].db.complete(now, &mut done);
        self.reschedule_db(cell, r.next_completion_in, q);
        for &tok in &done {
            let att = Id {
                slot: tok as u32,
                gen: (tok >> 32) as u32,
            };
            self.next_query_or_respond(now, att, q);
        }
        self.done_buf = done;
    }

    /// The attempt's work is done: free the worker, answer the client if it still waits.
    fn respond(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        let Some(a) = self.attempts.remove(att) else {
            return;
        };
        self.in_flight_attempts -= 1;
        self.ledger.attempts_finished += 1;
        self.recorder.meter(a.tenant, 0, a.db_ns, a.bytes);
        let cell = &mut self.cells[a.cell as usize];
        cell.busy -= 1;
        cell.queue.release(a.local);
        if a.abandoned {
            self.ledger.attempts_wasted += 1;
        } else {
            self.finish_request(now, a.req, Outcome::Ok, q);
        }
        self.pull_from_queue(now, a.cell, q);
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
            if let Some(max) = self.queue_timeout {
                if now.since(p.enqueued_at) > max {
                    c.queue.release(p.tenant);
                    self.end_attempt_unserved(now, p.payload, Cause::QueueTimeout, q);
                    continue;
                }
            }
            self.start_service(now, p.payload, q);
        }
    }

    fn on_client_timeout(&mut self, now: SimTime, req: Id, q: &mut EventQueue<Ev>) {
        if let Some(r) = self.requests.get_mut(req) {
            r.timeout = None;
            if let Some(att) = r.attempt {
                if let Some(a) = self.attempts.get_mut(att) {
                    a.abandoned = true;
                }
            }
            self.finish_request(now, req, Outcome::TimedOut, q);
        }
    }

    fn finish_request(&mut self, now: SimTime, req: Id, outcome: Outcome, q: &mut EventQueue<Ev>) {
        let Some(r) = self.requests.remove(req) else {
            return;
        };
        if let Some(k) = r.timeout {
            q.cancel(k);
        }
        self.ledger.requests_finished += 1;
        self.recorder.finished(r.tenant, r.sent, now, outcome);
    }

    fn on_fault(&mut self, fault: u32, active: bool, q: &mut EventQueue<Ev>) {
        self.faults[fault as usize].active = active;
        let f = &self.faults[fault as usize];
        match f.kind {
            FaultKind::HotTenant { .. } => {
                let Some(t) = f.tenant else { return };
                let mult: f64 = self
                    .faults
                    .iter()
                    .filter(|g| g.active && g.tenant == Some(t))
                    .map(|g| match g.kind {
                        FaultKind::HotTenant { factor, .. } => factor,
                    })
                    .product();
                self.edge[t as usize].hot_mult = mult;
                let (a, b) = self.tenant_sources[t as usize];
                for s in a..b {
                    self.sources[s as usize].mult = mult;
                    self.schedule_arrival(s, q);
                }
            }
        }
    }
}

impl sim::Model for Platform {
    type Event = Ev;
    #[inline]
    fn handle(&mut self, now: SimTime, ev: Ev, q: &mut EventQueue<Ev>) {
        match ev {
            Ev::RequestArrived { source } => self.on_arrival(now, source, q),
            Ev::ClientTimedOut { req } => self.on_client_timeout(now, req, q),
            Ev::ServiceFinished { att } => self.on_service_finished(now, att, q),
            Ev::DbQueryFinished { cell } => self.on_db_finished(now, cell, q),
            Ev::FaultStarted { fault } => self.on_fault(fault, true, q),
            Ev::FaultEnded { fault } => self.on_fault(fault, false, q),
        }
    }
}

//! Bulkheads in the cell and the read replica, wired into the request path.
//!
//! ```text
//!  edge ─▶ cell ─┬─ class without a bulkhead ─▶ cell queue ─▶ cell workers ─┐
//!                └─ bulkhead class ─▶ its queue ─▶ its own workers ─────────┤
//!                                                                           ▼
//!        DB query ─▶ [bulkhead's connection share: wait in its own line] ─▶ primary DB
//!                                                        or (reads = replica) ─▶ replica DB
//!        replica read done ─▶ lag drawn ─▶ lag > max_staleness ─▶ 5xx `stale_read`
//! ```
//!
//! A bulkhead with `workers` gets, in every cell, a pool of its own (a [`Cell`] of those
//! workers and its own queue, scheduled like the cell's); the cell's own pool keeps the
//! rest. A bulkhead with `db_connections` lets its queries hold at most that many of a
//! DB's connections at once in a cell; the others wait in the bulkhead's FIFO line, holding
//! their worker, and are submitted as slots free up. A bulkhead with `reads = "replica"`
//! sends its queries to the cell's read replica (a [`Db`] of its own cores and connections,
//! with its own wake-up event); when a read ends, the replication lag it saw is drawn from
//! a SplitMix sub-stream of the attempt's own seed salted for replicas (a new stream: no
//! existing draw moves), and a read staler than `max_staleness` fails as `stale_read`.
//!
//! Guarantees: a pool's workers and queue are those of a [`Cell`] (see `cell.rs`); a gate
//! never lets more than its share of queries hold a connection, and every slot taken is
//! given back exactly once (when the query ends, or when its attempt ends); the replica is
//! outside the cell's DB faults, partitions and breaker (it is a separate server).
//! Lost-worker faults act on the cell's own pool only.
//!
//! Governance (`db_governance.rs`) and the data architecture's tenant pools (`data_arch.rs`)
//! act on the same path, before the bulkhead's gate.
//!
//! A scenario without `[[bulkheads]]` and `[replica]` builds an inert [`BulkRt`]: its only
//! cost on the request path is one predictable branch at each hook (arrival at the cell,
//! worker start and end, DB query, query end).

use super::cell::{Cell, CellSettings, Enqueue, Next};
use super::{Ev, Platform};
use crate::component::db::{Db, QueryEnd};
use crate::component::outcome::{Cause, Outcome};
use crate::component::slab::Id;
use crate::scenario::Scenario;
use sim::{Dist, EventQueue, SimDuration, SimTime, SplitMix, TimerKey};
use std::collections::VecDeque;

/// Salt of the replica-lag sub-stream of an attempt (distinct from every other salt).
const LAG_SALT: u64 = 0x1A6_5EED_0BAD_CAFE;

/// One bulkhead's DB connection share in one cell.
pub struct Gate {
    cap: u32,
    held: u32,
    /// Queries waiting for a slot: (attempt, work ns).
    waiting: VecDeque<(Id, u64)>,
    /// The longest the line has been.
    pub max_waiting: usize,
}

/// One cell's read replica.
pub struct ReplicaDb {
    db: Db,
    timer: Option<(TimerKey, SimTime)>,
}

/// The bulkheads and replicas of a run.
pub struct BulkRt {
    /// Whether the scenario has any bulkhead or replica (the hooks' one branch).
    pub on: bool,
    /// Per class: 1 + its pool's index (0: the cell's own pool).
    class_pool: Vec<u8>,
    /// Per class: 1 + its gate's index (0: no connection share).
    class_gate: Vec<u8>,
    /// Per class: its queries go to the replica.
    class_replica: Vec<bool>,
    /// Per cell, per pool.
    pub(super) pools: Vec<Vec<Cell>>,
    /// Per (tenant, cell × pools + pool − 1) a tenant was delivered to: its lane there.
    lanes: super::tenant_cell_map::TenantCellMap<u32>,
    /// Pools per cell.
    n_pools: u32,
    /// Per cell, per gate.
    gates: Vec<Vec<Gate>>,
    /// Per cell (empty: no replica).
    replicas: Vec<ReplicaDb>,
    lag: Dist,
    max_staleness: SimDuration,
    /// Reads answered `stale_read`.
    pub stale_reads: u64,
    poll: Vec<crate::component::db::Ended>,
}

impl BulkRt {
    /// The bulkheads of `sc` for `cells` cells and `tenants` tenants (none: inert).
    pub fn build(sc: &Scenario, cells: usize, tenants: usize) -> BulkRt {
        let plan = &sc.bulkheads;
        let n_classes = sc.classes.len();
        let mut class_pool = vec![0u8; n_classes];
        let mut class_gate = vec![0u8; n_classes];
        let mut class_replica = vec![false; n_classes];
        let mut pool_settings = Vec::new();
        let mut gate_caps = Vec::new();
        for b in &plan.bulkheads {
            let pool = b.workers.map(|w| {
                pool_settings.push(CellSettings {
                    workers: w,
                    scheduler: sc.platform.scheduler,
                    quantum_ns: sc.platform.quantum.as_nanos(),
                    queue_limit: b.queue_limit,
                    queue_timeout: sc.platform.queue_timeout,
                    db: sc.platform.db.clone(),
                });
                pool_settings.len() as u8
            });
            let gate = b.db_connections.map(|n| {
                gate_caps.push(n);
                gate_caps.len() as u8
            });
            for &cl in &b.classes {
                class_pool[cl as usize] = pool.unwrap_or(0);
                class_gate[cl as usize] = gate.unwrap_or(0);
                class_replica[cl as usize] = b.replica;
            }
        }
        let replica = plan.replica.as_ref();
        BulkRt {
            on: plan.any()
                || sc.db_governance.any()
                || sc.data_architecture.layout.is_some()
                || super::cell_config_ttl::needs_governance(sc),
            class_pool,
            class_gate,
            class_replica,
            pools: (0..cells)
                .map(|_| pool_settings.iter().map(Cell::new).collect())
                .collect(),
            lanes: super::tenant_cell_map::TenantCellMap::new(if pool_settings.is_empty() {
                0
            } else {
                tenants
            }),
            n_pools: pool_settings.len() as u32,
            gates: (0..cells)
                .map(|_| {
                    gate_caps
                        .iter()
                        .map(|&cap| Gate {
                            cap,
                            held: 0,
                            waiting: VecDeque::new(),
                            max_waiting: 0,
                        })
                        .collect()
                })
                .collect(),
            replicas: match replica {
                Some(r) => (0..cells)
                    .map(|_| ReplicaDb {
                        db: Db::new(r.connections, r.cores, None, None),
                        timer: None,
                    })
                    .collect(),
                None => Vec::new(),
            },
            lag: replica.map_or(Dist::Const(0.0), |r| r.lag.clone()),
            max_staleness: replica.map_or(SimDuration::ZERO, |r| r.max_staleness),
            stale_reads: 0,
            poll: Vec::new(),
        }
    }

    /// The pool (1-based) class `class` is served by (0: the cell's own).
    #[inline]
    pub fn pool_of(&self, class: u16) -> u8 {
        self.class_pool[class as usize]
    }

    /// Workers of the bulkheads' own pools in a cell (taken from the cell's workers).
    pub fn carved_workers(sc: &Scenario) -> u32 {
        sc.bulkheads
            .bulkheads
            .iter()
            .filter_map(|b| b.workers)
            .sum()
    }
}

impl Platform {
    /// An attempt of a bulkhead class with its own pool reaches `cell`: it joins the pool's
    /// queue (or is shed at its limit) and free pool workers take what they may.
    pub(super) fn enqueue_in_pool(
        &mut self,
        now: SimTime,
        att: Id,
        (cell, t, service_ns, pool): (u32, u32, u64, u8),
        q: &mut EventQueue<Ev>,
    ) {
        let lane = self.tenant_lane[t as usize];
        let key = cell * self.bulk.n_pools + pool as u32 - 1;
        let p = &mut self.bulk.pools[cell as usize][pool as usize - 1];
        let local = match self.bulk.lanes.get(t, key) {
            Some(l) => l,
            None => {
                let l = p.add_lane(lane);
                self.bulk.lanes.set(t, key, l);
                l
            }
        };
        if let Some(a) = self.attempts.get_mut(att) {
            a.pool = pool;
            a.local = local;
        }
        match p.enqueue(now, local, service_ns, att) {
            Enqueue::Queued => {
                if let Some(tr) = self.tracer.as_deref_mut() {
                    tr.phase(now, att, "bulkhead_queue");
                }
                self.pull_from_pool(now, cell, pool, q)
            }
            Enqueue::Shed(att) => {
                self.end_attempt(now, att, Outcome::Failed(Cause::QueueFull), false, q)
            }
        }
    }

    /// Starts queued attempts on free workers of a bulkhead pool, shedding those that
    /// waited too long.
    pub(super) fn pull_from_pool(
        &mut self,
        now: SimTime,
        cell: u32,
        pool: u8,
        q: &mut EventQueue<Ev>,
    ) {
        if self.ctl.down[cell as usize] {
            // A dead cell starts nothing (`cell_down`).
            return self.fail_queued_on_down_cell(now, cell, q);
        }
        loop {
            match self.bulk.pools[cell as usize][pool as usize - 1].next_for_worker(now) {
                Next::Idle => return,
                Next::Expired(att) => {
                    self.end_attempt(now, att, Outcome::Failed(Cause::QueueTimeout), false, q)
                }
                Next::Start(att) => self.start_service(now, att, q),
            }
        }
    }

    /// A worker of pool `pool` (1-based; 0: the cell's own) starts an attempt.
    #[inline]
    pub(super) fn pool_start_worker(&mut self, cell: u32, pool: u8) {
        self.bulk.pools[cell as usize][pool as usize - 1].start_worker();
    }

    /// A worker of pool `pool` finished the attempt of lane `local`; the pool's queue moves.
    pub(super) fn pool_finish(&mut self, cell: u32, pool: u8, local: u32) {
        self.bulk.pools[cell as usize][pool as usize - 1].finish(local);
    }

    /// An attempt's query of `work` ns, when bulkheads are on: through its bulkhead's
    /// connection share (it may wait), then to the replica or to the primary.
    pub(super) fn bulk_query(
        &mut self,
        now: SimTime,
        att: Id,
        (cell, work, t, writes, class): (usize, u64, u32, bool, u16),
        q: &mut EventQueue<Ev>,
    ) {
        if self.gov.on && !self.govern_query(now, att, t, q) {
            return;
        }
        if self.gov.budget.on && !self.budget_query(now, att, (t, work), q) {
            return; // refused or delayed by its tenant's DB CPU budget (db_budget.rs)
        }
        self.query_admitted(now, att, (cell, work, t, writes, class), q);
    }

    /// A query admitted by governance: its data architecture (it may wait for its
    /// tenant's pool), then its bulkhead's connection share.
    pub(super) fn query_admitted(
        &mut self,
        now: SimTime,
        att: Id,
        (cell, work, t, writes, class): (usize, u64, u32, bool, u16),
        q: &mut EventQueue<Ev>,
    ) {
        let mut work = work;
        if self.data.on && !self.data_query(now, att, cell, t, &mut work) {
            return; // waits for its tenant's pool (data_arch.rs)
        }
        self.gate_query(now, att, (cell, work, t, writes, class), q);
    }

    /// A query that may go to the DB: through its bulkhead's connection share (it may
    /// wait), then submitted.
    pub(super) fn gate_query(
        &mut self,
        now: SimTime,
        att: Id,
        (cell, work, t, writes, class): (usize, u64, u32, bool, u16),
        q: &mut EventQueue<Ev>,
    ) {
        let gate = self.bulk.class_gate[class as usize];
        if gate != 0 {
            let g = &mut self.bulk.gates[cell][gate as usize - 1];
            if g.held >= g.cap {
                g.waiting.push_back((att, work));
                g.max_waiting = g.max_waiting.max(g.waiting.len());
                if let Some(tr) = self.tracer.as_deref_mut() {
                    tr.phase(now, att, "bulkhead_db_wait");
                }
                return;
            }
            g.held += 1;
            if let Some(a) = self.attempts.get_mut(att) {
                a.gated = true;
            }
        }
        self.bulk_submit(now, att, (cell, work, t, writes, class), q);
    }

    /// Submits a query that holds its slot (or needs none): to the replica or the primary.
    fn bulk_submit(
        &mut self,
        now: SimTime,
        att: Id,
        (cell, work, t, writes, class): (usize, u64, u32, bool, u16),
        q: &mut EventQueue<Ev>,
    ) {
        if self.bulk.class_replica[class as usize] {
            if let Some(tr) = self.tracer.as_deref_mut() {
                tr.phase(now, att, "replica");
            }
            let timeout = self.gov.timeout_of(t);
            self.bulk.replicas[cell]
                .db
                .submit_timed(now, att.word(), work, timeout);
            self.reschedule_replica(now, cell as u32, q);
        } else if self.servers.on && self.servers.server_of(t) != 0 {
            // A shard or the tier's own server (db_servers.rs).
            let k = self.servers.server_of(t);
            self.server_submit(now, att, (cell, work, t, k), q);
        } else {
            self.call_db(now, att, (cell, work, t, writes), q);
        }
    }

    /// A query of `att` ended (any way): its connection-share slot, if it held one, goes to
    /// the next waiting query of the same bulkhead in its cell.
    pub(super) fn bulk_query_ended(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        if self.gov.on {
            self.governed_query_ended(att);
        }
        if self.data.on {
            self.data_query_ended(now, att, q);
        }
        let Some(a) = self.attempts.get_mut(att) else {
            return;
        };
        if !a.gated {
            return;
        }
        a.gated = false;
        let (cell, class) = (a.cell as usize, a.class);
        self.gate_freed(now, cell, class, q);
    }

    /// An attempt ended while it still held a gate slot or a governed query count
    /// (`(cell, class, tenant, gated, governed)`).
    pub(super) fn bulk_attempt_ended(
        &mut self,
        now: SimTime,
        (cell, class, tenant, gated, governed): (u32, u16, u32, bool, bool),
        q: &mut EventQueue<Ev>,
    ) {
        if governed {
            self.governed_attempt_ended(tenant);
        }
        if gated {
            self.gate_freed(now, cell as usize, class, q);
        }
    }

    /// A slot of `class`'s gate in `cell` is free: the next waiting query (whose attempt
    /// still exists) takes it.
    pub(super) fn gate_freed(
        &mut self,
        now: SimTime,
        cell: usize,
        class: u16,
        q: &mut EventQueue<Ev>,
    ) {
        let gate = self.bulk.class_gate[class as usize] as usize - 1;
        self.bulk.gates[cell][gate].held -= 1;
        while let Some((next, work)) = self.bulk.gates[cell][gate].waiting.pop_front() {
            let Some(a) = self.attempts.get_mut(next) else {
                continue;
            };
            a.gated = true;
            let (t, class) = (a.tenant, a.class);
            let writes = self.classes[class as usize].writes;
            self.bulk.gates[cell][gate].held += 1;
            self.bulk_submit(now, next, (cell, work, t, writes, class), q);
            return;
        }
    }

    /// Keeps exactly one pending wake-up event per replica.
    fn reschedule_replica(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        let r = &mut self.bulk.replicas[cell as usize];
        let wake = r.db.next_wake(now);
        match (r.timer, wake) {
            (Some((_, at)), Some(w)) if at <= w => {}
            (old, w) => {
                if let Some((k, _)) = old {
                    q.cancel(k);
                }
                r.timer = w.map(|w| {
                    (
                        q.schedule_cancellable(w.since(now), Ev::ReplicaWoke { cell }),
                        w,
                    )
                });
            }
        }
    }

    /// A replica's wake-up: reads that ended give back their connection; each sees a lag
    /// drawn from its attempt's own stream and is stale past the bound.
    pub(super) fn on_replica_woke(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        self.bulk.replicas[cell as usize].timer = None;
        let mut ended = std::mem::take(&mut self.bulk.poll);
        ended.clear();
        self.bulk.replicas[cell as usize].db.poll(now, &mut ended);
        for &(tok, end, _, _) in &ended {
            let att = Id::from_word(tok);
            let result = match end {
                QueryEnd::Done => {
                    self.bulk.replicas[cell as usize].db.release(now);
                    match self.attempts.get(att) {
                        Some(a) => {
                            let mut rng = SplitMix(sim::digest::mix64(
                                a.chance.0 ^ LAG_SALT ^ ((a.queries_left as u64) << 40),
                            ));
                            let lag = self.bulk.lag.sample(&mut rng).max(0.0);
                            if lag > self.bulk.max_staleness.as_nanos() as f64 {
                                self.bulk.stale_reads += 1;
                                Err(Cause::StaleRead)
                            } else {
                                Ok(())
                            }
                        }
                        None => Ok(()),
                    }
                }
                QueryEnd::StatementTimeout => {
                    self.bulk.replicas[cell as usize].db.release(now);
                    Err(Cause::DbTimeout)
                }
                QueryEnd::AcquireTimeout => Err(Cause::DbPoolTimeout),
            };
            self.query_done(now, att, result, q);
        }
        self.bulk.poll = ended;
        self.reschedule_replica(now, cell, q);
    }

    /// Per cell, per gate: the longest line of queries waiting for the bulkhead's share.
    pub fn bulkhead_db_waits(&self) -> Vec<Vec<usize>> {
        self.bulk
            .gates
            .iter()
            .map(|g| g.iter().map(|g| g.max_waiting).collect())
            .collect()
    }
}

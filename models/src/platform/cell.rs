//! The cell part: one cell's workers, request queue (the scheduler) and DB.
//!
//! A [`Cell`] is built from plain [`CellSettings`] (no scenario file) and answers with
//! decisions instead of calling back into the platform: [`Cell::enqueue`] says whether an
//! attempt was queued or shed, [`Cell::next_for_worker`] says which queued attempt a free
//! worker takes next (or which one waited too long). The platform acts on the decision.
//!
//! Guarantees: `queue_limit` bounds what waits while every worker is busy (an arrival that
//! finds a free worker passes through the queue, which holds up to `workers` more
//! transiently); the queue's discipline alone decides the order; `busy` counts the workers
//! started by [`Cell::start_worker`] and not yet freed by [`Cell::finish`]. Fault state
//! (links, injected latency and errors, lost workers) is plain data the platform's fault
//! code sets.

use crate::component::breaker::BreakerSet;
use crate::component::db::Db;
use crate::component::link::Link;
use crate::component::scheduler::{CellQueue, SchedulerKind};
use crate::component::slab::Id;
use sim::{Dist, SimDuration, SimTime, TimerKey};

/// How a cell is sized and scheduled.
#[derive(Clone, Debug)]
pub struct CellSettings {
    /// Workers.
    pub workers: u32,
    /// The queue's discipline.
    pub scheduler: SchedulerKind,
    /// DRR quantum in ns.
    pub quantum_ns: u64,
    /// Most attempts waiting while every worker is busy.
    pub queue_limit: u32,
    /// Longest a queued attempt may wait before it is shed when a worker takes it.
    pub queue_timeout: Option<SimDuration>,
    /// The cell's DB.
    pub db: crate::scenario::Db,
}

impl CellSettings {
    /// These settings with another size (`[[platform.cell_sizes]]`): workers, DB pool and
    /// DB cores replaced, everything else kept.
    pub fn sized(&self, size: crate::scenario::cell_sizes::CellSize) -> CellSettings {
        let mut s = self.clone();
        s.workers = size.workers;
        s.db.connections = size.db_connections;
        s.db.cores = size.db_cores;
        s
    }
}

/// What [`Cell::enqueue`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enqueue {
    /// Queued; a free worker may take it at once.
    Queued,
    /// Refused: the queue is at its limit (503 QueueFull).
    Shed(Id),
}

/// What a free worker of the cell does next ([`Cell::next_for_worker`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Nothing: no free worker, or nothing the scheduler may serve.
    Idle,
    /// Serve this attempt (call [`Cell::start_worker`] when it starts).
    Start(Id),
    /// This attempt waited longer than the queue timeout: shed it (503 QueueTimeout).
    Expired(Id),
}

/// One cell's runtime state.
pub struct Cell {
    pub(super) base_workers: u32,
    pub(super) workers: u32,
    pub(super) busy: u32,
    pub(super) queue: CellQueue<Id>,
    queue_limit: usize,
    queue_timeout: Option<SimDuration>,
    pub(super) db: Db,
    pub(super) db_timer: Option<(TimerKey, SimTime)>,
    pub(super) db_busy_at_window_start: f64,
    /// The link cell → DB (cut by a `cell|db` partition).
    pub(super) db_cut: Link,
    /// The link edge → cell (cut by an `edge|cell` partition).
    pub(super) edge_cut: Link,
    pub(super) breaker: Option<BreakerSet>,
    pub(super) latency: Option<Dist>,
    /// Active injected DB error rates: (only this tenant, or all; fraction).
    pub(super) errors: Vec<(Option<u32>, f64)>,
}

impl Cell {
    /// A cell with all workers free, an empty queue and an idle DB.
    pub fn new(s: &CellSettings) -> Cell {
        Cell {
            base_workers: s.workers,
            workers: s.workers,
            busy: 0,
            queue: CellQueue::new(
                s.scheduler,
                s.quantum_ns,
                s.queue_limit as usize + s.workers as usize,
            ),
            queue_limit: s.queue_limit as usize,
            queue_timeout: s.queue_timeout,
            db: Db::new(
                s.db.connections,
                s.db.cores,
                s.db.statement_timeout,
                s.db.acquire_timeout,
            ),
            db_timer: None,
            db_busy_at_window_start: 0.0,
            db_cut: Link::Up,
            edge_cut: Link::Up,
            breaker: s
                .db
                .breaker
                .as_ref()
                .map(|(cfg, scope)| BreakerSet::with_tenants(cfg.clone(), *scope, 0)),
            latency: None,
            errors: Vec::new(),
        }
    }

    /// Adds a lane to this cell's queue with `lane` = (weight, in-service cap) and returns
    /// its cell-local index. Lanes stay compact, so the scheduler touches only the tenants
    /// this cell has served; which tenant has which lane is the platform's
    /// [`super::tenant_cell_map::TenantCellMap`].
    #[inline]
    pub fn add_lane(&mut self, lane: (u32, Option<u32>)) -> u32 {
        self.queue.add_tenant(lane.0, lane.1)
    }

    /// Queues attempt `att` of lane `local` costing `service_ns`, or sheds it at the limit.
    #[inline]
    pub fn enqueue(&mut self, now: SimTime, local: u32, service_ns: u64, att: Id) -> Enqueue {
        if self.busy >= self.workers && self.queue.len() >= self.queue_limit {
            return Enqueue::Shed(att);
        }
        match self.queue.push(local, service_ns, now, att) {
            Ok(()) => Enqueue::Queued,
            Err(att) => Enqueue::Shed(att),
        }
    }

    /// What a free worker takes next at `now`, by the scheduler's order. An expired attempt
    /// is already released from its lane; call again until [`Next::Idle`].
    #[inline]
    pub fn next_for_worker(&mut self, now: SimTime) -> Next {
        if self.busy >= self.workers {
            return Next::Idle;
        }
        let Some(p) = self.queue.pop() else {
            return Next::Idle;
        };
        if self
            .queue_timeout
            .is_some_and(|max| now.since(p.enqueued_at) > max)
        {
            self.queue.release(p.tenant);
            return Next::Expired(p.payload);
        }
        Next::Start(p.payload)
    }

    /// A worker starts an attempt [`Cell::next_for_worker`] handed out.
    #[inline]
    pub fn start_worker(&mut self) {
        self.busy += 1;
    }

    /// A worker finished the attempt of lane `local`: the worker and the lane's in-service
    /// slot are free again.
    #[inline]
    pub fn finish(&mut self, local: u32) {
        self.busy -= 1;
        self.queue.release(local);
    }

    /// The queue limit (what waits while every worker is busy).
    pub fn queue_limit(&self) -> usize {
        self.queue_limit
    }

    /// Sets the queue limit to `limit` for a cell of `workers` workers (the autoscaler's
    /// resize). Attempts already queued beyond a lower limit stay queued.
    pub fn set_queue_limit(&mut self, limit: usize, workers: u32) {
        self.queue_limit = limit;
        self.queue.set_max_len(limit + workers as usize);
    }

    /// Workers busy now.
    #[inline]
    pub fn busy(&self) -> u32 {
        self.busy
    }

    /// Attempts waiting in the queue.
    #[inline]
    pub fn queued(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    //! Goal: the cell part decides alone, from plain settings (no scenario, no TOML).
    //! Method: build a `Cell` directly, enqueue attempts with known ids and costs, and drive
    //! free workers with `next_for_worker`/`start_worker`/`finish`, checking each decision.
    use super::*;
    use crate::component::slab::Slab;

    const MS: u64 = 1_000_000;

    fn settings(kind: SchedulerKind, workers: u32, limit: u32) -> CellSettings {
        CellSettings {
            workers,
            scheduler: kind,
            quantum_ns: MS,
            queue_limit: limit,
            queue_timeout: Some(SimDuration(10 * MS)),
            db: crate::scenario::Db {
                connections: 4,
                cores: 2,
                statement_timeout: None,
                acquire_timeout: None,
                breaker: None,
            },
        }
    }

    fn ids(n: usize) -> Vec<Id> {
        let mut s = Slab::with_capacity(n);
        (0..n).map(|i| s.insert(i)).collect()
    }

    #[test]
    fn queues_then_sheds_at_the_limit_once_workers_are_busy() {
        // 1 worker, queue limit 2: the first passes to the worker, two wait, the fourth is
        // shed; a finished worker takes the next in order.
        let mut c = Cell::new(&settings(SchedulerKind::Fifo, 1, 2));
        let a = ids(4);
        let l = c.add_lane((1, None));
        assert_eq!(c.enqueue(SimTime::ZERO, l, MS, a[0]), Enqueue::Queued);
        assert_eq!(c.next_for_worker(SimTime::ZERO), Next::Start(a[0]));
        c.start_worker();
        assert_eq!(c.next_for_worker(SimTime::ZERO), Next::Idle);
        assert_eq!(c.enqueue(SimTime::ZERO, l, MS, a[1]), Enqueue::Queued);
        assert_eq!(c.enqueue(SimTime::ZERO, l, MS, a[2]), Enqueue::Queued);
        assert_eq!(c.enqueue(SimTime::ZERO, l, MS, a[3]), Enqueue::Shed(a[3]));
        assert_eq!((c.busy(), c.queued()), (1, 2));
        c.finish(l);
        assert_eq!(c.busy(), 0);
        assert_eq!(c.next_for_worker(SimTime(MS)), Next::Start(a[1]));
    }

    #[test]
    fn worker_accounting_and_queue_timeout() {
        // 2 workers: two start, the third waits; after the queue timeout a freed worker
        // finds it expired (shed) and goes idle.
        let mut c = Cell::new(&settings(SchedulerKind::Fifo, 2, 5));
        let a = ids(3);
        let l = c.add_lane((1, None));
        for &x in &a {
            assert_eq!(c.enqueue(SimTime::ZERO, l, MS, x), Enqueue::Queued);
        }
        for &x in &a[..2] {
            assert_eq!(c.next_for_worker(SimTime::ZERO), Next::Start(x));
            c.start_worker();
        }
        assert_eq!(c.next_for_worker(SimTime::ZERO), Next::Idle);
        assert_eq!(c.busy(), 2);
        c.finish(l);
        assert_eq!(c.next_for_worker(SimTime(11 * MS)), Next::Expired(a[2]));
        assert_eq!(c.next_for_worker(SimTime(11 * MS)), Next::Idle);
        assert_eq!((c.busy(), c.queued()), (1, 0));
    }

    #[test]
    fn scheduler_order_fifo_versus_drr() {
        // Tenant 0 queues three attempts, then tenant 2 one. FIFO serves in arrival order;
        // DRR alternates, so tenant 2's attempt goes second. Lanes are compact per cell:
        // tenant 2 gets local index 1.
        let a = ids(4);
        let order = |kind| {
            let mut c = Cell::new(&settings(kind, 1, 10));
            let l0 = c.add_lane((1, None));
            let l2 = c.add_lane((1, None));
            assert_eq!((l0, l2), (0, 1));
            for &x in &a[..3] {
                c.enqueue(SimTime::ZERO, l0, MS, x);
            }
            c.enqueue(SimTime::ZERO, l2, MS, a[3]);
            let mut out = Vec::new();
            while let Next::Start(x) = c.next_for_worker(SimTime::ZERO) {
                out.push(x);
                c.start_worker();
                c.finish(if x == a[3] { l2 } else { l0 });
            }
            out
        };
        assert_eq!(order(SchedulerKind::Fifo), vec![a[0], a[1], a[2], a[3]]);
        assert_eq!(order(SchedulerKind::Drr), vec![a[0], a[3], a[1], a[2]]);
    }
}

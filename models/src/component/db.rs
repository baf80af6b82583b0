//! A cell's database: a connection pool of `P` in front of `C` CPU cores.
//!
//! ```text
//!   query ─▶ [wait for one of P connections] ─▶ [run: processor sharing over C cores]
//!         ─▶ (caller may hold the connection longer: network latency) ─▶ release
//! ```
//!
//! A query first waits (FIFO) for a free connection, then runs. Running queries share the
//! cores: with `n` running, each progresses at rate `min(1, C·capacity / n)` (ns of work per
//! ns). So more connections than cores is not free parallelism: past `C` running queries,
//! each one slows down. `capacity` (1.0 normally) is what a degraded-DB fault lowers. At
//! `capacity = 0` the DB is *stalled*: running queries keep their connections and make no
//! progress (no completion is scheduled), new queries still get free connections, statement
//! and acquire timeouts still fire; when capacity returns, work resumes where it stopped.
//!
//! A query that runs longer than the statement timeout is cancelled; one that waits longer
//! than the acquire timeout for a connection gives up. Both are reported as [`QueryEnd`]s.
//! The caller holds a finished (or cancelled) query's connection until it calls
//! [`Db::release`], which lets a fault add latency that occupies connections but not cores.
//!
//! **Implementation.** Processor sharing with a virtual clock `V`: every running query has
//! received the same service `V − V_join` since it joined, so it finishes when `V` reaches
//! `V_join + work`. The running set is at most `P` entries, kept in a `Vec` (scanned: P is
//! small, and scans beat a heap with removals here). [`Db::next_wake`] gives the time of the
//! next completion or deadline; the platform keeps exactly one engine event per DB for it.
//! Nothing is allocated per query once the vectors have grown.
//!
//! **Guarantees.** Throughput never exceeds `C·capacity / mean query work`; a query never
//! finishes before its work at full speed; FIFO order among queries waiting for a connection;
//! a connection is held by at most one query.
//!
//! **Connection wait.** Every ended query is reported with how long it waited for its
//! connection: from submission to the connection (0 when one was free), or, after an
//! acquire timeout, the whole time it waited in vain (a lower bound on the wait it would
//! have had).

use sim::{SimDuration, SimTime};
use std::collections::VecDeque;

/// A query handle chosen by the caller (e.g. a packed attempt id).
pub type Token = u64;

/// An ended query, as [`Db::poll`] reports it: its token, how it ended, the instant it got
/// its connection (for an acquire timeout: when it was submitted), and how long it waited
/// for a connection (see the module docs).
pub type Ended = (Token, QueryEnd, SimTime, SimDuration);

/// How a query ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum QueryEnd {
    /// It ran to completion (the connection is still held: call [`Db::release`]).
    Done,
    /// It ran longer than the statement timeout and was cancelled (connection still held).
    StatementTimeout,
    /// It waited longer than the acquire timeout for a connection (it never had one).
    AcquireTimeout,
}

#[derive(Clone, Copy, Debug)]
struct Running {
    token: Token,
    finish_v: f64,
    started: SimTime,
    /// When it was submitted (it waited `started − submitted` for its connection).
    submitted: SimTime,
    /// When the statement timeout cancels it (`None`: never).
    deadline: Option<SimTime>,
}

/// Runtime state of one DB.
#[derive(Debug)]
pub struct Db {
    connections: u32,
    cores: f64,
    capacity: f64,
    held: u32,
    /// Waiting for a connection: (token, work, since, its own statement timeout).
    waiting: VecDeque<(Token, u64, SimTime, Option<SimDuration>)>,
    running: Vec<Running>,
    v: f64,
    last: SimTime,
    statement_timeout: Option<SimDuration>,
    acquire_timeout: Option<SimDuration>,
    busy_core_ns: f64,
    max_waiting: usize,
}

impl Db {
    /// A DB with `connections` and `cores` and optional timeouts.
    pub fn new(
        connections: u32,
        cores: u32,
        statement_timeout: Option<SimDuration>,
        acquire_timeout: Option<SimDuration>,
    ) -> Db {
        assert!(
            connections > 0 && cores > 0,
            "DB needs connections and cores"
        );
        Db {
            connections,
            cores: cores as f64,
            capacity: 1.0,
            held: 0,
            waiting: VecDeque::with_capacity(64),
            running: Vec::with_capacity(connections as usize),
            v: 0.0,
            last: SimTime::ZERO,
            statement_timeout,
            acquire_timeout,
            busy_core_ns: 0.0,
            max_waiting: 0,
        }
    }

    #[inline]
    fn rate(&self) -> f64 {
        let n = self.running.len();
        if n == 0 {
            0.0
        } else {
            (self.cores * self.capacity / n as f64).min(1.0)
        }
    }

    /// Brings the virtual clock up to `now`.
    #[inline]
    fn advance(&mut self, now: SimTime) {
        let dt = now.since(self.last).as_nanos() as f64;
        if dt > 0.0 {
            let r = self.rate();
            self.v += r * dt;
            self.busy_core_ns += r * self.running.len() as f64 * dt;
        }
        self.last = self.last.max(now);
    }

    /// Submits a query with `work_ns` of CPU work. It runs at once if a connection is free.
    pub fn submit(&mut self, now: SimTime, token: Token, work_ns: u64) {
        self.submit_timed(now, token, work_ns, None);
    }

    /// [`Db::submit`] with a statement timeout of its own (`None`: the DB's), e.g. a tier's.
    pub fn submit_timed(
        &mut self,
        now: SimTime,
        token: Token,
        work_ns: u64,
        timeout: Option<SimDuration>,
    ) {
        self.advance(now);
        if self.held < self.connections {
            self.start(now, now, token, work_ns, timeout);
        } else {
            self.waiting.push_back((token, work_ns, now, timeout));
            self.max_waiting = self.max_waiting.max(self.waiting.len());
        }
    }

    fn start(
        &mut self,
        now: SimTime,
        submitted: SimTime,
        token: Token,
        work_ns: u64,
        timeout: Option<SimDuration>,
    ) {
        self.held += 1;
        assert!(
            self.held <= self.connections,
            "more connections held than the pool has"
        );
        self.running.push(Running {
            token,
            finish_v: self.v + work_ns as f64,
            started: now,
            submitted,
            deadline: timeout.or(self.statement_timeout).map(|st| now.after(st)),
        });
    }

    /// Collects every query that finished, hit its statement timeout or gave up waiting for
    /// a connection by `now`, in a deterministic order (running set order, then FIFO), as
    /// [`Ended`] tuples.
    pub fn poll(&mut self, now: SimTime, out: &mut Vec<Ended>) {
        self.advance(now);
        // Half a nanosecond of work absorbs rounding of wake-up times to whole ns.
        let cut = self.v + 0.5 * self.rate().max(1e-9);
        let mut i = 0;
        while i < self.running.len() {
            let r = self.running[i];
            let end = if r.finish_v <= cut {
                Some(QueryEnd::Done)
            } else if r.deadline.is_some_and(|d| d <= now) {
                Some(QueryEnd::StatementTimeout)
            } else {
                None
            };
            match end {
                Some(e) => {
                    // Order-preserving removal keeps the scan order deterministic.
                    self.running.remove(i);
                    out.push((r.token, e, r.started, r.started.since(r.submitted)));
                }
                None => i += 1,
            }
        }
        if let Some(at) = self.acquire_timeout {
            while let Some(&(token, _, since, _)) = self.waiting.front() {
                if since.after(at) <= now {
                    self.waiting.pop_front();
                    out.push((token, QueryEnd::AcquireTimeout, since, now.since(since)));
                } else {
                    break;
                }
            }
        }
    }

    /// Gives back a connection held by a finished or cancelled query; starts waiting queries.
    pub fn release(&mut self, now: SimTime) {
        self.advance(now);
        assert!(self.held > 0, "release without a held connection");
        self.held -= 1;
        while self.held < self.connections {
            match self.waiting.pop_front() {
                Some((t, w, since, timeout)) => self.start(now, since, t, w, timeout),
                None => break,
            }
        }
    }

    /// When something next happens (a completion or a deadline), if anything is pending.
    pub fn next_wake(&self, now: SimTime) -> Option<SimTime> {
        let r = self.rate();
        let mut best: Option<SimTime> = None;
        let mut consider = |t: SimTime| {
            best = Some(best.map_or(t, |b: SimTime| b.min(t)));
        };
        for q in &self.running {
            // A stalled DB (rate 0) completes nothing: only deadlines wake it.
            if r > 0.0 {
                let remaining = (q.finish_v - self.v).max(0.0);
                let dt = (libm::ceil(remaining / r) as u64).max(1);
                consider(self.last.after(SimDuration(dt)).max(now));
            }
            if let Some(d) = q.deadline {
                consider(d.max(now));
            }
        }
        if let (Some(at), Some(&(_, _, since, _))) = (self.acquire_timeout, self.waiting.front()) {
            consider(since.after(at).max(now));
        }
        best
    }

    /// Changes the capacity factor (a degraded DB runs at `factor` of its cores; 0: stalled).
    pub fn set_capacity(&mut self, now: SimTime, factor: f64) {
        self.advance(now);
        self.capacity = factor.max(0.0);
    }

    /// The capacity factor in force.
    pub fn capacity(&self) -> f64 {
        self.capacity
    }

    /// Queries running now.
    pub fn running(&self) -> usize {
        self.running.len()
    }

    /// Queries waiting for a connection.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Connections held (running or finished but not released).
    pub fn held(&self) -> u32 {
        self.held
    }

    /// Core-nanoseconds of work done so far (for utilisation).
    pub fn busy_core_ns(&self) -> f64 {
        self.busy_core_ns
    }

    /// Cores.
    pub fn cores(&self) -> f64 {
        self.cores
    }

    /// Connection pool size.
    pub fn connections(&self) -> u32 {
        self.connections
    }

    /// The longest the connection wait queue has been.
    pub fn max_waiting(&self) -> usize {
        self.max_waiting
    }

    /// Resizes the connection pool (an autoscaler's new workers open connections). Growing
    /// starts waiting queries at once; shrinking takes no running query's connection: the
    /// pool is over-held until enough are released.
    pub fn set_connections(&mut self, now: SimTime, connections: u32) {
        self.advance(now);
        self.connections = connections.max(1);
        while self.held < self.connections {
            match self.waiting.pop_front() {
                Some((t, w, since, timeout)) => self.start(now, since, t, w, timeout),
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives a DB alone (queries released as soon as they end); returns each token's end.
    fn drive(db: &mut Db, jobs: &[(u64, u64)]) -> Vec<(u64, u64, QueryEnd)> {
        let mut out = Vec::new();
        let mut i = 0;
        let mut ended = Vec::new();
        loop {
            let arrival = jobs.get(i).map(|j| j.0);
            let wake = db.next_wake(SimTime(0)).map(|t| t.0);
            let t = match (arrival, wake) {
                (None, None) => break,
                (Some(a), Some(w)) if w <= a => w,
                (Some(a), _) => a,
                (None, Some(w)) => w,
            };
            if Some(t) == wake {
                ended.clear();
                db.poll(SimTime(t), &mut ended);
                for &(tok, e, _, _) in &ended {
                    out.push((tok, t, e));
                    if e != QueryEnd::AcquireTimeout {
                        db.release(SimTime(t));
                    }
                }
            }
            while jobs.get(i).is_some_and(|j| j.0 == t) {
                db.submit(SimTime(t), i as u64, jobs[i].1);
                i += 1;
            }
        }
        out.sort();
        out
    }

    fn plain(conns: u32, cores: u32) -> Db {
        Db::new(conns, cores, None, None)
    }

    #[test]
    fn under_cores_queries_run_at_full_speed() {
        let out = drive(&mut plain(4, 4), &[(0, 100), (0, 200), (10, 50)]);
        let ends: Vec<(u64, u64)> = out.iter().map(|x| (x.0, x.1)).collect();
        assert_eq!(ends, vec![(0, 100), (1, 200), (2, 60)]);
    }

    #[test]
    fn more_running_than_cores_share_them() {
        // 2 queries of 100 on 1 core: both finish at 200 (processor sharing).
        let out = drive(&mut plain(2, 1), &[(0, 100), (0, 100)]);
        assert_eq!(out.iter().map(|x| x.1).collect::<Vec<_>>(), vec![200, 200]);
        // 1 connection: the second waits for the first.
        let out = drive(&mut plain(1, 4), &[(0, 100), (0, 100)]);
        assert_eq!(out.iter().map(|x| x.1).collect::<Vec<_>>(), vec![100, 200]);
    }

    #[test]
    fn sharing_rate_changes_midway() {
        // 1 core: A (work 100) alone 0..50 (50 done); B joins at 50 → both at 1/2.
        // A needs 50 more at 1/2 → done at 150; B got 50, needs 50 alone → done at 200.
        let out = drive(&mut plain(2, 1), &[(0, 100), (50, 100)]);
        assert_eq!(out.iter().map(|x| x.1).collect::<Vec<_>>(), vec![150, 200]);
    }

    #[test]
    fn statement_and_acquire_timeouts() {
        let mut db = Db::new(1, 1, Some(SimDuration(150)), Some(SimDuration(120)));
        // Job 0 needs 1000 of work: cancelled at 150. Job 1 waits for the connection from
        // t=0: gives up at 120. Job 2 arrives at 100, gets the connection at 150, runs 10.
        let out = drive(&mut db, &[(0, 1000), (0, 5), (100, 10)]);
        assert_eq!(
            out,
            vec![
                (0, 150, QueryEnd::StatementTimeout),
                (1, 120, QueryEnd::AcquireTimeout),
                (2, 160, QueryEnd::Done)
            ]
        );
    }

    /// Goal: capacity 0 is a stall, not an error or a near-zero crawl: no completion is
    /// scheduled, deadlines still are, and work resumes where it stopped.
    /// Method: 100 ns of work submitted at 0 on a DB stalled from 0 to 1,000: nothing to wake
    /// for; back to full capacity at 1,000, it ends at 1,100. With a statement timeout of 50,
    /// the stalled query is cancelled at 50.
    #[test]
    fn zero_capacity_is_a_stall() {
        let mut db = plain(1, 1);
        db.set_capacity(SimTime(0), 0.0);
        db.submit(SimTime(0), 7, 100);
        assert_eq!(db.next_wake(SimTime(0)), None);
        db.set_capacity(SimTime(1_000), 1.0);
        assert_eq!(db.next_wake(SimTime(1_000)), Some(SimTime(1_100)));
        let mut db = Db::new(1, 1, Some(SimDuration(50)), None);
        db.set_capacity(SimTime(0), 0.0);
        let out = drive(&mut db, &[(0, 100)]);
        assert_eq!(out, vec![(0, 50, QueryEnd::StatementTimeout)]);
    }

    /// Goal: a query's own statement timeout (a tier's) replaces the DB's, for that query
    /// only, also when it first waits for a connection.
    /// Method: 1 connection, DB timeout 1,000. Job 0 (timeout 100 of its own) is cancelled
    /// at 100; job 1 (its own 50, waiting from 0) gets the connection at 100, cancelled at
    /// 150; job 2 (the DB's timeout) runs its 300 to the end at 450.
    #[test]
    fn a_query_may_carry_its_own_statement_timeout() {
        let mut db = Db::new(1, 1, Some(SimDuration(1_000)), None);
        let mut out = Vec::new();
        db.submit_timed(SimTime(0), 0, 500, Some(SimDuration(100)));
        db.submit_timed(SimTime(0), 1, 500, Some(SimDuration(50)));
        db.submit(SimTime(0), 2, 300);
        let mut t = SimTime(0);
        while let Some(w) = db.next_wake(t) {
            t = w;
            let mut ended = Vec::new();
            db.poll(t, &mut ended);
            for &(tok, e, _, _) in &ended {
                out.push((tok, t.0, e));
                db.release(t);
            }
        }
        assert_eq!(
            out,
            vec![
                (0, 100, QueryEnd::StatementTimeout),
                (1, 150, QueryEnd::StatementTimeout),
                (2, 450, QueryEnd::Done)
            ]
        );
    }

    /// Goal: each ended query reports its wait for a connection exactly: 0 with one free,
    /// the time to the release that freed one otherwise, and the whole vain wait after an
    /// acquire timeout.
    /// Method: 1 connection, acquire timeout 200. Jobs at 0 (work 100), 0 (100), 50 (100)
    /// and 60 (10): job 0 waits 0; job 1 gets the connection at 100 (waited 100); job 2 at
    /// 200 (waited 150); job 3 gives up at 260 (waited 200) while job 2 runs.
    #[test]
    fn each_query_reports_its_connection_wait() {
        let mut db = Db::new(1, 1, None, Some(SimDuration(200)));
        let jobs = [(0u64, 100u64), (0, 100), (50, 100), (60, 10)];
        let mut waits = Vec::new();
        let mut i = 0;
        let mut ended = Vec::new();
        loop {
            let arrival = jobs.get(i).map(|j| j.0);
            let wake = db.next_wake(SimTime(0)).map(|t| t.0);
            let t = match (arrival, wake) {
                (None, None) => break,
                (Some(a), Some(w)) if w <= a => w,
                (Some(a), _) => a,
                (None, Some(w)) => w,
            };
            if Some(t) == wake {
                ended.clear();
                db.poll(SimTime(t), &mut ended);
                for &(tok, e, _, waited) in &ended {
                    waits.push((tok, waited.as_nanos(), e));
                    if e != QueryEnd::AcquireTimeout {
                        db.release(SimTime(t));
                    }
                }
            }
            while jobs.get(i).is_some_and(|j| j.0 == t) {
                db.submit(SimTime(t), i as u64, jobs[i].1);
                i += 1;
            }
        }
        waits.sort();
        assert_eq!(
            waits,
            vec![
                (0, 0, QueryEnd::Done),
                (1, 100, QueryEnd::Done),
                (2, 150, QueryEnd::Done),
                (3, 200, QueryEnd::AcquireTimeout)
            ]
        );
    }

    #[test]
    fn degraded_capacity_slows_work() {
        let mut db = plain(1, 1);
        db.set_capacity(SimTime(0), 0.2);
        let out = drive(&mut db, &[(0, 100)]);
        assert_eq!(out[0].1, 500);
    }
}

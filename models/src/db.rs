//! A cell's database: a connection pool of `P` in front of `C` CPU cores.
//!
//! ```text
//!   query ─▶ [wait for one of P connections] ─▶ [run: processor sharing over C cores] ─▶ done
//! ```
//!
//! A query first waits (FIFO) for a free connection, then runs. Running queries share the
//! cores: with `n` running, each progresses at rate `min(1, C·capacity / n)` (ns of work per
//! ns). So more connections than cores is not free parallelism: past `C` running queries,
//! each one slows down. `capacity` (1.0 normally) is what a degraded DB fault lowers.
//!
//! **Implementation.** Processor sharing with a virtual clock `V`: every running query has
//! received the same service `V − V_join` since it joined, so it finishes when `V` reaches
//! `V_join + work`. Running queries sit in a min-heap on that finish mark; only the earliest
//! has an event in the engine queue, and it is rescheduled (O(log n)) whenever the set of
//! running queries changes. Nothing is allocated per query once the heap has grown.
//!
//! **Guarantees.** Throughput never exceeds `C·capacity / mean query work`; a query never
//! finishes before its work at full speed; FIFO order among queries waiting for a connection.

use sim::{SimDuration, SimTime, TimerKey};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// A query handle chosen by the caller (e.g. a packed attempt id).
pub type Token = u64;

/// Runtime state of one DB.
#[derive(Debug)]
pub struct Db {
    connections: u32,
    cores: f64,
    capacity: f64,
    in_use: u32,
    waiting: VecDeque<(Token, u64, SimTime)>,
    running: BinaryHeap<Reverse<(u64, u64, Token)>>,
    seq: u64,
    v: f64,
    last: SimTime,
    /// The pending completion event, if any.
    pub timer: Option<TimerKey>,
    busy_core_ns: f64,
    max_waiting: usize,
}

/// What the caller must do after a state change.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Reschedule {
    /// Delay until the earliest running query completes, if any is running.
    pub next_completion_in: Option<SimDuration>,
}

impl Db {
    /// A DB with `connections` and `cores`.
    pub fn new(connections: u32, cores: u32) -> Db {
        assert!(
            connections > 0 && cores > 0,
            "DB needs connections and cores"
        );
        Db {
            connections,
            cores: cores as f64,
            capacity: 1.0,
            in_use: 0,
            waiting: VecDeque::with_capacity(64),
            running: BinaryHeap::with_capacity(connections as usize),
            seq: 0,
            v: 0.0,
            last: SimTime::ZERO,
            timer: None,
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
            self.last = now;
        }
    }

    /// Submits a query with `work_ns` of CPU work. It runs at once if a connection is free.
    pub fn submit(&mut self, now: SimTime, token: Token, work_ns: u64) -> Reschedule {
        self.advance(now);
        if self.in_use < self.connections {
            self.start(token, work_ns);
        } else {
            self.waiting.push_back((token, work_ns, now));
            self.max_waiting = self.max_waiting.max(self.waiting.len());
        }
        self.next()
    }

    fn start(&mut self, token: Token, work_ns: u64) {
        self.in_use += 1;
        let finish = self.v + work_ns as f64;
        self.running
            .push(Reverse((finish.to_bits(), self.seq, token)));
        self.seq += 1;
    }

    /// Handles the completion event: appends the tokens of every query finished by `now` to
    /// `done`, starts waiting queries on the freed connections, and says when to wake next.
    pub fn complete(&mut self, now: SimTime, done: &mut Vec<Token>) -> Reschedule {
        self.advance(now);
        // Half a nanosecond of slack absorbs rounding of completion times to whole ns.
        let cut = self.v + 0.5 * self.rate().max(1e-9);
        while let Some(Reverse((finish_bits, _, token))) = self.running.peek().copied() {
            if f64::from_bits(finish_bits) <= cut {
                self.running.pop();
                self.in_use -= 1;
                done.push(token);
            } else {
                break;
            }
        }
        while self.in_use < self.connections {
            match self.waiting.pop_front() {
                Some((t, w, _)) => self.start(t, w),
                None => break,
            }
        }
        self.next()
    }

    fn next(&self) -> Reschedule {
        let next_completion_in = self.running.peek().map(|Reverse((finish_bits, _, _))| {
            let remaining = (f64::from_bits(*finish_bits) - self.v).max(0.0);
            let r = self.rate();
            SimDuration::from_nanos((libm::ceil(remaining / r) as u64).max(1))
        });
        Reschedule { next_completion_in }
    }

    /// Changes the capacity factor (a degraded DB runs at `factor` of its cores).
    pub fn set_capacity(&mut self, now: SimTime, factor: f64) -> Reschedule {
        self.advance(now);
        self.capacity = factor.max(1e-6);
        self.next()
    }

    /// Queries running now.
    pub fn running(&self) -> usize {
        self.running.len()
    }

    /// Queries waiting for a connection.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Core-nanoseconds of work done so far (for utilisation).
    pub fn busy_core_ns(&self) -> f64 {
        self.busy_core_ns
    }

    /// Cores.
    pub fn cores(&self) -> f64 {
        self.cores
    }

    /// The longest the connection wait queue has been.
    pub fn max_waiting(&self) -> usize {
        self.max_waiting
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives a DB alone: submits at given times, returns each token's completion time.
    fn drive(conns: u32, cores: u32, jobs: &[(u64, u64)]) -> Vec<(u64, u64)> {
        let mut db = Db::new(conns, cores);
        let mut out = Vec::new();
        let mut next_wake: Option<u64> = None;
        let mut i = 0;
        let mut done = Vec::new();
        loop {
            let arrival = jobs.get(i).map(|j| j.0);
            let (t, r) = match (arrival, next_wake) {
                (None, None) => break,
                (Some(a), Some(w)) if w > a => (a, None),
                (Some(a), None) => (a, None),
                (_, Some(w)) => {
                    done.clear();
                    let r = db.complete(SimTime(w), &mut done);
                    out.extend(done.iter().map(|&tok| (tok, w)));
                    (w, Some(r))
                }
            };
            let r = match r {
                Some(r) => r,
                None => {
                    let r = db.submit(SimTime(t), i as u64, jobs[i].1);
                    i += 1;
                    r
                }
            };
            next_wake = r.next_completion_in.map(|d| t + d.as_nanos());
        }
        out.sort();
        out
    }

    #[test]
    fn under_cores_queries_run_at_full_speed() {
        let out = drive(4, 4, &[(0, 100), (0, 200), (10, 50)]);
        assert_eq!(out, vec![(0, 100), (1, 200), (2, 60)]);
    }

    #[test]
    fn more_running_than_cores_share_them() {
        // 2 queries of 100 on 1 core: both finish at 200 (processor sharing).
        let out = drive(2, 1, &[(0, 100), (0, 100)]);
        assert_eq!(out, vec![(0, 200), (1, 200)]);
        // 1 connection: the second waits for the first.
        let out = drive(1, 4, &[(0, 100), (0, 100)]);
        assert_eq!(out, vec![(0, 100), (1, 200)]);
    }

    #[test]
    fn sharing_rate_changes_midway() {
        // core 1: A (work 100) alone 0..50 (50 done); B joins at 50 → both at 1/2.
        // A needs 50 more → at rate 1/2 takes 100 → A done at 150; B got 50, needs 50 at
        // full speed → B done at 200.
        let out = drive(2, 1, &[(0, 100), (50, 100)]);
        assert_eq!(out, vec![(0, 150), (1, 200)]);
    }
}

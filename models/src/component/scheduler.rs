//! The per-cell request queue and its scheduling discipline.
//!
//! A [`CellQueue`] holds the requests waiting for a worker of one cell. Tenants are *local*
//! indices (`u32`, assigned by [`CellQueue::add_tenant`]); each has its own FIFO lane. The
//! [`SchedulerKind`] decides which lane's head is served next:
//!
//! ```text
//!   push(tenant, cost) ─▶ lane 0: [a0 a1 a2]   ─┐
//!                         lane 1: [b0]          ├─▶ pop() ─▶ worker ─▶ release(tenant)
//!                         lane 2: [c0 c1]      ─┘   picks a head by discipline,
//!                                                   counts it "in service" until release
//! ```
//!
//! | kind        | picks                                             | caps     | pop cost   |
//! |-------------|---------------------------------------------------|----------|------------|
//! | `Fifo`      | the globally oldest item                          | ignored  | O(1)       |
//! | `TenantCap` | the oldest head among tenants below their cap     | honoured | O(log n)   |
//! | `Drr`       | deficit round robin, quantum `quantum_ns × weight`| ignored  | O(1) amort.|
//! | `DrrCap`    | DRR over tenants below their cap                  | honoured | O(1) amort.|
//!
//! **Ordering contract.** Every push gets a global `u64` sequence number; within a lane items
//! leave in push order, and every tie between lanes is broken by sequence number (insertion
//! order). Nothing depends on hashing or memory addresses.
//!
//! **DRR** (Shreedhar & Varghese, 1996). Backlogged tenants form a ring. When a tenant's turn
//! starts it is credited `quantum_ns × weight`; it then serves head items while the head's
//! cost fits in its deficit; when the head does not fit, the leftover deficit is kept and the
//! turn passes on. A tenant whose lane empties leaves the ring with its deficit reset to 0
//! (no banking of credit while idle); it rejoins at the tail when it is next pushed to. Fairness
//! bound, for any two tenants backlogged over a prefix of the service sequence:
//! `|served_i/w_i − served_j/w_j| < quantum_ns + max_cost_ns` (cost units; the tests check it).
//! Popping is O(1) when `quantum_ns ≥` the largest cost; when items cost more than a quantum, a
//! full pass with nothing servable skips ahead the exact number of rounds in one O(ring) step,
//! so a pop never loops more than two passes.
//!
//! **DrrCap deficits.** A tenant that reaches its cap leaves the ring exactly as an emptied
//! one does: its deficit is reset to 0, so it cannot bank credit while it waits. When a
//! [`CellQueue::release`] brings it below its cap while it still has items, it rejoins the
//! ring at the tail and gets a fresh quantum on its next turn. Its throughput is then bounded
//! by the cap, not by the share its weight would give it.
//!
//! **Caps.** In `TenantCap` and `DrrCap`, a tenant never has more than `cap` items popped and
//! not yet released (asserted by the tests). `Fifo` and `Drr` ignore caps but still count
//! in-service items.
//!
//! **Bounded and allocation-free.** At most `max_len` items are queued (`push` hands the payload
//! back when full: the caller sheds it with a 503). Lanes, the ring, the heap and the arrival
//! list are `VecDeque`s/`BinaryHeap`s that keep their capacity, so push/pop/release do not
//! allocate once they have reached their working size.

use serde::{Deserialize, Serialize};
use sim::SimTime;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// The scheduling discipline of a [`CellQueue`] (see the module docs for the table).
///
/// This is the only scheduler enum: scenario files name it (`platform.scheduler`,
/// `jobs.scheduler`) through serde, and [`SchedulerKind::name`] is that name. A new discipline
/// is a variant here and a README row; every match on it is exhaustive.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum SchedulerKind {
    /// Global arrival order; caps ignored.
    #[default]
    Fifo,
    /// Deficit round robin by tenant weight; caps ignored.
    Drr,
    /// Global arrival order among tenants below their concurrency cap.
    TenantCap,
    /// Deficit round robin among tenants below their concurrency cap.
    DrrCap,
}

impl SchedulerKind {
    /// The name as written in scenario files (`fifo`, `drr`, `tenant_cap`, `drr_cap`).
    pub fn name(self) -> &'static str {
        match self {
            SchedulerKind::Fifo => "fifo",
            SchedulerKind::Drr => "drr",
            SchedulerKind::TenantCap => "tenant_cap",
            SchedulerKind::DrrCap => "drr_cap",
        }
    }

    /// True for the disciplines that honour per-tenant caps.
    pub fn honours_caps(self) -> bool {
        matches!(self, SchedulerKind::TenantCap | SchedulerKind::DrrCap)
    }

    /// True for the deficit-round-robin disciplines.
    pub fn is_drr(self) -> bool {
        matches!(self, SchedulerKind::Drr | SchedulerKind::DrrCap)
    }
}

/// An item handed to a worker by [`CellQueue::pop`] (or returned by
/// [`CellQueue::drain_all`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Popped<T> {
    /// What the caller pushed.
    pub payload: T,
    /// Local tenant index.
    pub tenant: u32,
    /// When it was pushed (for queue-wait metrics and queue timeouts).
    pub enqueued_at: SimTime,
    /// Its service cost in ns, as pushed (DRR charges this).
    pub cost_ns: u64,
}

/// One queued item.
#[derive(Debug)]
struct Item<T> {
    seq: u64,
    cost_ns: u64,
    enqueued_at: SimTime,
    payload: T,
}

/// One tenant's lane and scheduling state.
#[derive(Debug)]
struct Lane<T> {
    items: VecDeque<Item<T>>,
    weight: u32,
    cap: Option<u32>,
    in_service: u32,
    /// DRR deficit in cost units (ns).
    deficit_ns: u64,
    /// In the DRR ring or the TenantCap heap (never both: one kind per queue).
    listed: bool,
}

/// The request queue of one cell: per-tenant FIFO lanes and a discipline choosing among them.
#[derive(Debug)]
pub struct CellQueue<T> {
    kind: SchedulerKind,
    quantum_ns: u64,
    max_len: usize,
    len: usize,
    next_seq: u64,
    lanes: Vec<Lane<T>>,
    /// `Fifo`: the tenant of every queued item, in push order.
    arrival_order: VecDeque<u32>,
    /// DRR kinds: tenants with a turn; the front is the tenant whose turn it is.
    ring: VecDeque<u32>,
    /// DRR kinds: the front of `ring` has been credited its quantum for the current turn.
    head_credited: bool,
    /// `TenantCap`: (head sequence, tenant) of every backlogged tenant below its cap.
    eligible: BinaryHeap<Reverse<(u64, u32)>>,
}

impl<T> CellQueue<T> {
    /// An empty queue. `quantum_ns` is the DRR quantum per unit of weight (must be > 0 for the
    /// DRR kinds, ignored otherwise); `max_len` bounds the number of queued items.
    pub fn new(kind: SchedulerKind, quantum_ns: u64, max_len: usize) -> Self {
        assert!(
            !kind.is_drr() || quantum_ns > 0,
            "DRR quantum must be positive; the scenario loader must reject 0"
        );
        // Preallocate modestly; the deques then grow to the working size and keep it.
        let initial = max_len.min(1024);
        CellQueue {
            kind,
            quantum_ns,
            max_len,
            len: 0,
            next_seq: 0,
            lanes: Vec::new(),
            arrival_order: if kind == SchedulerKind::Fifo {
                VecDeque::with_capacity(initial)
            } else {
                VecDeque::new()
            },
            ring: VecDeque::new(),
            head_credited: false,
            eligible: BinaryHeap::new(),
        }
    }

    /// Registers a tenant with a DRR `weight` (≥ 1) and an optional cap on its in-service
    /// items (≥ 1; `None` = uncapped). Returns its local index: 0, 1, 2, … in call order.
    pub fn add_tenant(&mut self, weight: u32, cap: Option<u32>) -> u32 {
        assert!(weight >= 1, "tenant weight must be ≥ 1");
        assert!(
            cap != Some(0),
            "a tenant cap of 0 would never serve; reject it upstream"
        );
        let index = u32::try_from(self.lanes.len()).expect("more than u32::MAX tenants in a cell");
        self.lanes.push(Lane {
            items: VecDeque::new(),
            weight,
            cap,
            in_service: 0,
            deficit_ns: 0,
            listed: false,
        });
        // One slot per tenant: the ring and the heap never hold a tenant twice.
        if self.kind.is_drr() {
            self.ring.reserve(1);
        } else if self.kind == SchedulerKind::TenantCap {
            self.eligible.reserve(1);
        }
        index
    }

    /// Queues an item for `tenant`. `Err(payload)` when the queue already holds `max_len`
    /// items: the caller sheds it (503).
    #[inline]
    pub fn push(
        &mut self,
        tenant: u32,
        cost_ns: u64,
        enqueued_at: SimTime,
        payload: T,
    ) -> Result<(), T> {
        self.assert_tenant(tenant);
        if self.len >= self.max_len {
            return Err(payload);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.len += 1;
        self.lanes[tenant as usize].items.push_back(Item {
            seq,
            cost_ns,
            enqueued_at,
            payload,
        });
        match self.kind {
            SchedulerKind::Fifo => self.arrival_order.push_back(tenant),
            SchedulerKind::Drr | SchedulerKind::TenantCap | SchedulerKind::DrrCap => {
                self.list_if_eligible(tenant)
            }
        }
        Ok(())
    }

    /// The next item to serve according to the discipline, or `None` when nothing is queued
    /// or every backlogged tenant is at its cap. Counts the item as in service for its tenant
    /// until [`CellQueue::release`].
    #[inline]
    pub fn pop(&mut self) -> Option<Popped<T>> {
        let (tenant, item) = match self.kind {
            SchedulerKind::Fifo => {
                let tenant = self.arrival_order.pop_front()?;
                let lane = &mut self.lanes[tenant as usize];
                let item = lane
                    .items
                    .pop_front()
                    .expect("arrival order names a tenant with no item");
                lane.in_service += 1;
                (tenant, item)
            }
            SchedulerKind::TenantCap => self.pop_oldest_eligible()?,
            SchedulerKind::Drr | SchedulerKind::DrrCap => self.pop_drr()?,
        };
        self.len -= 1;
        Some(Popped {
            payload: item.payload,
            tenant,
            enqueued_at: item.enqueued_at,
            cost_ns: item.cost_ns,
        })
    }

    /// A served item of `tenant` has finished: its in-service count drops, which may make a
    /// capped tenant eligible again. Releasing more than was popped is a bug.
    #[inline]
    pub fn release(&mut self, tenant: u32) {
        self.assert_tenant(tenant);
        let lane = &mut self.lanes[tenant as usize];
        assert!(
            lane.in_service > 0,
            "release of tenant {tenant} with nothing in service"
        );
        lane.in_service -= 1;
        if self.kind.honours_caps() {
            self.list_if_eligible(tenant);
        }
    }

    /// Number of queued items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of queued items of `tenant`.
    pub fn len_of(&self, tenant: u32) -> usize {
        self.assert_tenant(tenant);
        self.lanes[tenant as usize].items.len()
    }

    /// Number of items of `tenant` popped and not yet released.
    pub fn in_service(&self, tenant: u32) -> u32 {
        self.assert_tenant(tenant);
        self.lanes[tenant as usize].in_service
    }

    /// Number of registered tenants.
    pub fn tenant_count(&self) -> u32 {
        self.lanes.len() as u32
    }

    /// The discipline.
    pub fn kind(&self) -> SchedulerKind {
        self.kind
    }

    /// The bound on queued items.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Changes the bound (an autoscaled cell's queue grows and shrinks with its workers).
    /// Items already queued beyond a lower bound stay; new ones are refused until below it.
    pub fn set_max_len(&mut self, max_len: usize) {
        self.max_len = max_len;
    }

    /// Changes `tenant`'s DRR weight (≥ 1); it applies from the tenant's next turn.
    pub fn set_weight(&mut self, tenant: u32, weight: u32) {
        self.assert_tenant(tenant);
        assert!(weight >= 1, "tenant weight must be ≥ 1");
        self.lanes[tenant as usize].weight = weight;
    }

    /// `tenant`'s current DRR deficit in ns (diagnostics and tests).
    pub fn deficit_ns(&self, tenant: u32) -> u64 {
        self.assert_tenant(tenant);
        self.lanes[tenant as usize].deficit_ns
    }

    /// Removes every queued item, in push order, for end-of-run accounting. In-service counts
    /// are untouched (those items are with workers); deficits are reset. Allocates the
    /// returned `Vec`; not for the hot path.
    pub fn drain_all(&mut self) -> Vec<Popped<T>> {
        let mut all: Vec<(u64, Popped<T>)> = Vec::with_capacity(self.len);
        for (tenant, lane) in self.lanes.iter_mut().enumerate() {
            for item in lane.items.drain(..) {
                all.push((
                    item.seq,
                    Popped {
                        payload: item.payload,
                        tenant: tenant as u32,
                        enqueued_at: item.enqueued_at,
                        cost_ns: item.cost_ns,
                    },
                ));
            }
            lane.deficit_ns = 0;
            lane.listed = false;
        }
        all.sort_unstable_by_key(|(seq, _)| *seq);
        self.len = 0;
        self.arrival_order.clear();
        self.ring.clear();
        self.head_credited = false;
        self.eligible.clear();
        all.into_iter().map(|(_, p)| p).collect()
    }

    /// Switches the discipline (a config rollout's scheduler change). Queued items keep
    /// their lanes and their relative order of arrival, in-service counts stay, DRR deficits
    /// start again from 0. A DRR kind on a queue built without a quantum gets 1 ms.
    pub fn set_kind(&mut self, kind: SchedulerKind) {
        if kind == self.kind {
            return;
        }
        self.kind = kind;
        if kind.is_drr() && self.quantum_ns == 0 {
            self.quantum_ns = 1_000_000;
        }
        self.relist();
    }

    /// Changes `tenant`'s in-service cap (≥ 1; `None`: uncapped); a config rollout's
    /// `tenant_cap`. It binds from the next pick.
    pub fn set_cap(&mut self, tenant: u32, cap: Option<u32>) {
        self.assert_tenant(tenant);
        assert!(cap != Some(0), "a tenant cap of 0 would never serve");
        self.lanes[tenant as usize].cap = cap;
        self.relist();
    }

    /// Rebuilds the discipline's lists from the queued items (after a change of kind or cap).
    fn relist(&mut self) {
        let items = self.drain_all();
        let bound = std::mem::replace(&mut self.max_len, usize::MAX);
        for p in items {
            // Cannot fail: the bound is lifted while the items go back.
            let _ = self.push(p.tenant, p.cost_ns, p.enqueued_at, p.payload);
        }
        self.max_len = bound;
    }

    fn assert_tenant(&self, tenant: u32) {
        assert!(
            (tenant as usize) < self.lanes.len(),
            "tenant index {tenant} not registered in this cell queue ({} tenants)",
            self.lanes.len()
        );
    }

    fn at_cap(&self, tenant: u32) -> bool {
        let lane = &self.lanes[tenant as usize];
        self.kind.honours_caps() && lane.cap.is_some_and(|cap| lane.in_service >= cap)
    }

    /// Puts a backlogged, below-cap, unlisted tenant into the ring (tail) or the heap.
    fn list_if_eligible(&mut self, tenant: u32) {
        let lane = &self.lanes[tenant as usize];
        if lane.listed || lane.items.is_empty() || self.at_cap(tenant) {
            return;
        }
        let head_seq = lane.items.front().map_or(0, |item| item.seq);
        match self.kind {
            SchedulerKind::Fifo => unreachable!("FIFO keeps no eligibility list"),
            SchedulerKind::TenantCap => self.eligible.push(Reverse((head_seq, tenant))),
            SchedulerKind::Drr | SchedulerKind::DrrCap => {
                // Deficit is 0 here: it is reset whenever a tenant leaves the ring.
                debug_assert_eq!(self.lanes[tenant as usize].deficit_ns, 0);
                self.ring.push_back(tenant);
            }
        }
        self.lanes[tenant as usize].listed = true;
    }

    /// `TenantCap`: the heap holds exactly one entry per eligible backlogged tenant, keyed by
    /// its current head: a tenant's head changes only when it is popped here, and it becomes
    /// ineligible only by being served here, so there are no stale entries.
    fn pop_oldest_eligible(&mut self) -> Option<(u32, Item<T>)> {
        let Reverse((head_seq, tenant)) = self.eligible.pop()?;
        let lane = &mut self.lanes[tenant as usize];
        lane.listed = false;
        let item = lane.items.pop_front().expect("eligible tenant has an item");
        assert_eq!(item.seq, head_seq, "eligibility heap out of date");
        lane.in_service += 1;
        self.list_if_eligible(tenant);
        Some((tenant, item))
    }

    /// DRR step: see the module docs.
    fn pop_drr(&mut self) -> Option<(u32, Item<T>)> {
        let mut misses = 0usize;
        loop {
            let tenant = *self.ring.front()?;
            let quantum = self
                .quantum_ns
                .saturating_mul(self.lanes[tenant as usize].weight as u64);
            let lane = &mut self.lanes[tenant as usize];
            if !self.head_credited {
                lane.deficit_ns = lane.deficit_ns.saturating_add(quantum);
                self.head_credited = true;
            }
            let head_cost = lane.items.front().expect("ring tenant has an item").cost_ns;
            if head_cost <= lane.deficit_ns {
                lane.deficit_ns -= head_cost;
                let item = lane.items.pop_front().expect("ring tenant has an item");
                lane.in_service += 1;
                let capped = self.kind == SchedulerKind::DrrCap
                    && lane.cap.is_some_and(|cap| lane.in_service >= cap);
                if lane.items.is_empty() || capped {
                    // Leaves the ring; no banking of credit while idle or capped.
                    lane.deficit_ns = 0;
                    lane.listed = false;
                    self.ring.pop_front();
                    self.head_credited = false;
                }
                return Some((tenant, item));
            }
            // The head does not fit: the turn ends, the leftover deficit is kept.
            self.ring.rotate_left(1);
            self.head_credited = false;
            misses += 1;
            if misses == self.ring.len() {
                self.skip_idle_rounds();
                misses = 0;
            }
        }
    }

    /// Every ring tenant was credited once and none could serve: credit the `k − 1` further
    /// rounds in which, by construction, still nobody could serve, in one step. `k` is the
    /// fewest rounds after which some tenant's head fits. Exact DRR, O(ring).
    fn skip_idle_rounds(&mut self) {
        let quantum_ns = self.quantum_ns;
        let lanes = &self.lanes;
        let rounds_needed = |tenant: &u32| {
            let lane = &lanes[*tenant as usize];
            let quantum = quantum_ns.saturating_mul(lane.weight as u64);
            let head_cost = lane.items.front().map_or(0, |item| item.cost_ns);
            head_cost.saturating_sub(lane.deficit_ns).div_ceil(quantum)
        };
        let Some(k) = self.ring.iter().map(rounds_needed).min() else {
            return;
        };
        let idle_rounds = k.saturating_sub(1);
        for &tenant in &self.ring {
            let lane = &mut self.lanes[tenant as usize];
            let quantum = quantum_ns.saturating_mul(lane.weight as u64);
            lane.deficit_ns = lane
                .deficit_ns
                .saturating_add(quantum.saturating_mul(idle_rounds));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MS: u64 = 1_000_000;

    /// Goal: `name()` is the name serde reads, for every discipline (the scenario file names
    /// a scheduler through this enum). Method: round-trip each variant's name through TOML.
    #[test]
    fn scheduler_names_match_the_file_format() {
        #[derive(serde::Deserialize)]
        struct W {
            s: SchedulerKind,
        }
        for s in [
            SchedulerKind::Fifo,
            SchedulerKind::Drr,
            SchedulerKind::TenantCap,
            SchedulerKind::DrrCap,
        ] {
            let w: W = toml::from_str(&format!("s = \"{}\"", s.name())).unwrap();
            assert_eq!(w.s, s);
        }
    }

    fn queue(
        kind: SchedulerKind,
        quantum_ns: u64,
        max_len: usize,
        tenants: &[(u32, Option<u32>)],
    ) -> CellQueue<u64> {
        let mut q = CellQueue::new(kind, quantum_ns, max_len);
        for (i, &(weight, cap)) in tenants.iter().enumerate() {
            assert_eq!(q.add_tenant(weight, cap), i as u32);
        }
        q
    }

    /// Pops everything (releasing immediately) and returns the payloads.
    fn pop_all(q: &mut CellQueue<u64>) -> Vec<u64> {
        std::iter::from_fn(|| {
            let p = q.pop()?;
            q.release(p.tenant);
            Some(p.payload)
        })
        .collect()
    }

    /// One operation of a random workload.
    #[derive(Clone, Debug)]
    enum Op {
        Push { tenant: u32, cost_ns: u64 },
        Pop,
        Release { pick: usize },
    }

    fn ops(tenants: u32, len: usize) -> impl Strategy<Value = Vec<Op>> {
        proptest::collection::vec(
            prop_oneof![
                4 => (0..tenants, 1u64..5 * MS)
                    .prop_map(|(tenant, cost_ns)| Op::Push { tenant, cost_ns }),
                3 => Just(Op::Pop),
                2 => any::<usize>().prop_map(|pick| Op::Release { pick }),
            ],
            0..len,
        )
    }

    #[test]
    fn fifo_ignores_caps_and_serves_in_arrival_order() {
        let mut q = queue(SchedulerKind::Fifo, 0, 100, &[(1, Some(1)), (5, Some(1))]);
        for i in 0..6u64 {
            q.push((i % 2) as u32, MS, SimTime(i), i).unwrap();
        }
        // No releases: caps would block TenantCap after two pops; FIFO ignores them.
        let got: Vec<u64> = std::iter::from_fn(|| q.pop().map(|p| p.payload)).collect();
        assert_eq!(got, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(q.in_service(0), 3);
    }

    #[test]
    fn max_len_is_respected_for_every_kind() {
        // Goal: the bound holds and a rejected payload comes back. Method: fill, overflow,
        // pop one, push again.
        for kind in [
            SchedulerKind::Fifo,
            SchedulerKind::Drr,
            SchedulerKind::TenantCap,
            SchedulerKind::DrrCap,
        ] {
            let mut q = queue(kind, MS, 3, &[(1, None), (2, Some(1))]);
            for i in 0..3 {
                q.push(i % 2, MS, SimTime(0), i as u64).unwrap();
            }
            assert_eq!(q.push(0, MS, SimTime(0), 99), Err(99), "{kind:?}");
            assert_eq!(q.len(), 3);
            assert!(q.pop().is_some());
            assert!(q.push(1, MS, SimTime(0), 7).is_ok());
            assert_eq!(q.push(1, MS, SimTime(0), 8), Err(8));
            let mut zero = queue(kind, MS, 0, &[(1, None)]);
            assert_eq!(zero.push(0, MS, SimTime(0), 1), Err(1));
            assert!(zero.pop().is_none());
        }
    }

    #[test]
    fn drr_splits_one_to_three_by_weight() {
        // Goal: weights 1 and 3 with equal costs give a 1:3 split. Method: quantum = cost, so
        // each round serves 1 item of tenant 0 and 3 of tenant 1.
        let mut q = queue(SchedulerKind::Drr, MS, 1000, &[(1, None), (3, None)]);
        for i in 0..100 {
            q.push(0, MS, SimTime(0), i).unwrap();
            q.push(1, MS, SimTime(0), 1000 + i).unwrap();
        }
        let tenants: Vec<u32> = (0..40)
            .map(|_| {
                let p = q.pop().unwrap();
                q.release(p.tenant);
                p.tenant
            })
            .collect();
        for round in tenants.chunks(4) {
            assert_eq!(round, &[0, 1, 1, 1]);
        }
    }

    #[test]
    fn light_tenant_behind_heavy_backlog() {
        // Goal: isolation. Method: tenant 0 queues 100 items, then tenant 1 queues one. Under
        // DRR tenant 1 is served within one round (after at most tenant 0's quantum of
        // items); under FIFO only after the whole backlog.
        for (kind, expect_position) in [(SchedulerKind::Drr, 4usize), (SchedulerKind::Fifo, 100)] {
            let mut q = queue(kind, 4 * MS, 1000, &[(1, None), (1, None)]);
            for i in 0..100 {
                q.push(0, MS, SimTime(i), i).unwrap();
            }
            q.push(1, MS, SimTime(100), 999).unwrap();
            let order = pop_all(&mut q);
            let position = order.iter().position(|&p| p == 999).unwrap();
            assert_eq!(position, expect_position, "{kind:?}");
        }
    }

    #[test]
    fn tenant_cap_serves_the_oldest_eligible() {
        // Goal: TenantCap skips a capped tenant and takes the oldest other head. Method:
        // tenant 0 (cap 2) has the three oldest items.
        let mut q = queue(SchedulerKind::TenantCap, 0, 100, &[(1, Some(2)), (1, None)]);
        q.push(0, MS, SimTime(0), 0).unwrap();
        q.push(0, MS, SimTime(1), 1).unwrap();
        q.push(0, MS, SimTime(2), 2).unwrap();
        q.push(1, MS, SimTime(3), 3).unwrap();
        q.push(1, MS, SimTime(4), 4).unwrap();
        let mut next = || q.pop().map(|p| p.payload);
        assert_eq!(next(), Some(0));
        assert_eq!(next(), Some(1));
        assert_eq!(next(), Some(3), "tenant 0 is at its cap");
        assert_eq!(next(), Some(4));
        assert_eq!(next(), None, "only capped work left");
        q.release(0);
        assert_eq!(q.pop().map(|p| p.payload), Some(2));
    }

    #[test]
    fn drr_cap_resets_deficit_and_rejoins_at_the_tail() {
        // Goal: the documented DrrCap deficit behaviour. Method: tenant 0 (cap 1, quantum for
        // 4 items) is served once, hits its cap, leaves the ring with deficit 0; tenant 1
        // runs its turn; tenant 0 rejoins after release at the tail.
        let mut q = queue(
            SchedulerKind::DrrCap,
            4 * MS,
            100,
            &[(1, Some(1)), (1, None), (1, None)],
        );
        for i in 0..3 {
            q.push(0, MS, SimTime(0), i).unwrap();
        }
        q.push(1, MS, SimTime(0), 10).unwrap();
        q.push(1, MS, SimTime(0), 11).unwrap();
        assert_eq!(q.pop().unwrap().payload, 0);
        assert_eq!(
            q.deficit_ns(0),
            0,
            "left the ring at its cap: deficit reset"
        );
        q.release(0); // rejoins behind tenant 1
        q.push(2, MS, SimTime(0), 20).unwrap(); // joins behind tenant 0
        let order: Vec<u64> = pop_all(&mut q);
        assert_eq!(order, vec![10, 11, 1, 20, 2]);
    }

    #[test]
    fn drr_items_costlier_than_the_quantum_skip_ahead_exactly() {
        // Goal: with costs ≫ quantum DRR still follows its rules and does not spin. Method:
        // quantum 1ns, costs 1s and 3s: tenant 0 can serve every 1e9 rounds, tenant 1
        // after 3e9. The skip makes this instant, and the order is plain DRR's: item 0 in
        // round 1e9, item 1 in round 2e9, and in round 3e9 tenant 0 (first in the ring)
        // serves item 2 before tenant 1 serves item 10.
        let mut q = queue(SchedulerKind::Drr, 1, 100, &[(1, None), (1, None)]);
        q.push(0, 1_000_000_000, SimTime(0), 0).unwrap();
        q.push(0, 1_000_000_000, SimTime(0), 1).unwrap();
        q.push(0, 1_000_000_000, SimTime(0), 2).unwrap();
        q.push(1, 3_000_000_000, SimTime(0), 10).unwrap();
        assert_eq!(pop_all(&mut q), vec![0, 1, 2, 10]);
        assert_eq!(q.deficit_ns(1), 0);
    }

    #[test]
    fn drain_all_returns_everything_in_push_order() {
        let mut q = queue(SchedulerKind::DrrCap, MS, 100, &[(1, Some(1)), (2, None)]);
        for i in 0..6u64 {
            q.push((i % 2) as u32, MS, SimTime(i), i).unwrap();
        }
        let first = q.pop().unwrap();
        let drained: Vec<u64> = q.drain_all().into_iter().map(|p| p.payload).collect();
        let mut expect: Vec<u64> = (0..6).filter(|&i| i != first.payload).collect();
        expect.sort();
        assert_eq!(drained, expect);
        assert!(q.is_empty());
        assert_eq!(
            q.in_service(first.tenant),
            1,
            "served item still with its worker"
        );
        // Usable again afterwards.
        q.release(first.tenant);
        q.push(0, MS, SimTime(9), 42).unwrap();
        assert_eq!(q.pop().unwrap().payload, 42);
    }

    #[test]
    fn capacities_stop_growing_once_warm() {
        // Goal: no allocation per call once warmed up. Method: run the same load pattern
        // twice; no deque or heap grows during the second run.
        for kind in [
            SchedulerKind::Fifo,
            SchedulerKind::Drr,
            SchedulerKind::TenantCap,
            SchedulerKind::DrrCap,
        ] {
            let mut q = queue(kind, MS, 500, &[(1, Some(2)), (3, Some(1)), (2, None)]);
            let cycle = |q: &mut CellQueue<u64>| {
                for i in 0..300u64 {
                    let _ = q.push((i % 3) as u32, (i % 7 + 1) * MS / 2, SimTime(i), i);
                    if i % 3 == 0 {
                        if let Some(p) = q.pop() {
                            q.release(p.tenant);
                        }
                    }
                }
                while let Some(p) = q.pop() {
                    q.release(p.tenant);
                }
            };
            cycle(&mut q);
            let capacities = |q: &CellQueue<u64>| {
                let lanes: Vec<usize> = q.lanes.iter().map(|l| l.items.capacity()).collect();
                (
                    lanes,
                    q.arrival_order.capacity(),
                    q.ring.capacity(),
                    q.eligible.capacity(),
                )
            };
            let warm = capacities(&q);
            cycle(&mut q);
            assert_eq!(capacities(&q), warm, "{kind:?}");
        }
    }

    #[test]
    #[should_panic(expected = "nothing in service")]
    fn releasing_more_than_popped_is_a_bug() {
        let mut q = queue(SchedulerKind::TenantCap, 0, 10, &[(1, Some(1))]);
        q.release(0);
    }

    /// Textbook DRR, written for clarity: credits one quantum per visit and loops, with no
    /// skip-ahead and no bookkeeping flags. `capped` makes it DrrCap.
    struct NaiveDrr {
        quantum_ns: u64,
        capped: bool,
        lanes: Vec<VecDeque<(u64, u64)>>,
        weights: Vec<u64>,
        caps: Vec<Option<u32>>,
        in_service: Vec<u32>,
        deficits: Vec<u64>,
        ring: VecDeque<usize>,
        credited: bool,
    }

    impl NaiveDrr {
        fn eligible(&self, t: usize) -> bool {
            let at_cap = self.capped && self.caps[t].is_some_and(|c| self.in_service[t] >= c);
            !self.lanes[t].is_empty() && !at_cap
        }
        fn activate(&mut self, t: usize) {
            if self.eligible(t) && !self.ring.contains(&t) {
                self.ring.push_back(t);
            }
        }
        fn push(&mut self, t: usize, cost_ns: u64, id: u64) {
            self.lanes[t].push_back((cost_ns, id));
            self.activate(t);
        }
        fn release(&mut self, t: usize) {
            self.in_service[t] -= 1;
            self.activate(t);
        }
        fn pop(&mut self) -> Option<(usize, u64)> {
            loop {
                let t = *self.ring.front()?;
                if !self.credited {
                    self.deficits[t] += self.quantum_ns * self.weights[t];
                    self.credited = true;
                }
                let (cost_ns, id) = *self.lanes[t].front().unwrap();
                if cost_ns <= self.deficits[t] {
                    self.deficits[t] -= cost_ns;
                    self.lanes[t].pop_front();
                    self.in_service[t] += 1;
                    if !self.eligible(t) {
                        self.deficits[t] = 0;
                        self.ring.pop_front();
                        self.credited = false;
                    }
                    return Some((t, id));
                }
                self.ring.rotate_left(1);
                self.credited = false;
            }
        }
    }

    proptest! {
        /// Goal: FIFO is a stable order. Method: random pushes/pops/releases against a
        /// reference `VecDeque` of payloads in push order.
        #[test]
        fn fifo_matches_a_reference_queue(ops in ops(4, 300), max_len in 0usize..50) {
            let tenants = [(1, Some(1)), (2, None), (1, Some(3)), (4, None)];
            let mut q = queue(SchedulerKind::Fifo, 0, max_len, &tenants);
            let mut reference = VecDeque::new();
            let mut in_service = Vec::new();
            for (n, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Push { tenant, cost_ns } => {
                        let accepted = q.push(tenant, cost_ns, SimTime(n as u64), n as u64).is_ok();
                        prop_assert_eq!(accepted, reference.len() < max_len);
                        if accepted { reference.push_back((tenant, n as u64)); }
                    }
                    Op::Pop => {
                        let got = q.pop().map(|p| (p.tenant, p.payload));
                        prop_assert_eq!(got, reference.pop_front());
                        if let Some((tenant, _)) = got { in_service.push(tenant); }
                    }
                    Op::Release { pick } => {
                        if !in_service.is_empty() {
                            q.release(in_service.swap_remove(pick % in_service.len()));
                        }
                    }
                }
                prop_assert_eq!(q.len(), reference.len());
            }
        }

        /// Goal: caps are never exceeded and TenantCap serves the oldest eligible head; the
        /// cap disciplines are work-conserving (pop is `None` only when every backlogged
        /// tenant is at its cap). Method: random workloads; a reference picks the minimum
        /// push index among heads of tenants below their cap.
        #[test]
        fn caps_hold_and_tenant_cap_serves_oldest_eligible(
            ops in ops(4, 400),
            drr in any::<bool>(),
        ) {
            let kind = if drr { SchedulerKind::DrrCap } else { SchedulerKind::TenantCap };
            let tenants = [(1, Some(2)), (3, Some(1)), (2, None), (1, Some(2))];
            let mut q = queue(kind, 2 * MS, 1_000, &tenants);
            let mut lanes: Vec<VecDeque<u64>> = vec![VecDeque::new(); 4];
            let mut in_service = Vec::new();
            for (n, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Push { tenant, cost_ns } => {
                        q.push(tenant, cost_ns, SimTime(n as u64), n as u64).unwrap();
                        lanes[tenant as usize].push_back(n as u64);
                    }
                    Op::Pop => {
                        let below_cap =
                            |t: usize| tenants[t].1.is_none_or(|c| q.in_service(t as u32) < c);
                        let oldest = (0..4)
                            .filter(|&t| below_cap(t))
                            .filter_map(|t| lanes[t].front().map(|&p| (p, t)))
                            .min();
                        let got = q.pop();
                        prop_assert_eq!(got.is_some(), oldest.is_some(), "work conservation");
                        if let Some(p) = got {
                            let t = p.tenant as usize;
                            let expected = lanes[t].pop_front();
                            prop_assert_eq!(expected, Some(p.payload), "per-tenant order");
                            if !drr {
                                prop_assert_eq!(Some((p.payload, t)), oldest, "oldest eligible");
                            }
                            in_service.push(p.tenant);
                        }
                    }
                    Op::Release { pick } => {
                        if !in_service.is_empty() {
                            q.release(in_service.swap_remove(pick % in_service.len()));
                        }
                    }
                }
                for (t, &(_, cap)) in tenants.iter().enumerate() {
                    if let Some(cap) = cap {
                        prop_assert!(q.in_service(t as u32) <= cap, "tenant {} over its cap", t);
                    }
                    prop_assert_eq!(q.len_of(t as u32), lanes[t].len());
                }
            }
        }

        /// Goal: Drr and DrrCap are exactly textbook DRR (the skip-ahead and the ring
        /// bookkeeping change nothing). Method: random pushes/pops/releases with costs up to
        /// 40× the quantum through both; every pop must agree, as must deficits.
        #[test]
        fn drr_matches_a_textbook_reference(
            ops in proptest::collection::vec(
                prop_oneof![
                    4 => (0u32..4, 1u64..=40)
                        .prop_map(|(tenant, cost_ns)| Op::Push { tenant, cost_ns }),
                    3 => Just(Op::Pop),
                    2 => any::<usize>().prop_map(|pick| Op::Release { pick }),
                ],
                0..400,
            ),
            capped in any::<bool>(),
            quantum_ns in 1u64..=8,
        ) {
            let tenants = [(1u32, Some(1u32)), (3, Some(2)), (2, None), (1, Some(3))];
            let kind = if capped { SchedulerKind::DrrCap } else { SchedulerKind::Drr };
            let mut q = queue(kind, quantum_ns, 10_000, &tenants);
            let mut naive = NaiveDrr {
                quantum_ns,
                capped,
                lanes: vec![VecDeque::new(); 4],
                weights: tenants.iter().map(|&(w, _)| w as u64).collect(),
                caps: tenants.iter().map(|&(_, c)| c).collect(),
                in_service: vec![0; 4],
                deficits: vec![0; 4],
                ring: VecDeque::new(),
                credited: false,
            };
            let mut in_service = Vec::new();
            for (n, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Push { tenant, cost_ns } => {
                        q.push(tenant, cost_ns, SimTime(n as u64), n as u64).unwrap();
                        naive.push(tenant as usize, cost_ns, n as u64);
                    }
                    Op::Pop => {
                        let got = q.pop().map(|p| (p.tenant as usize, p.payload));
                        prop_assert_eq!(got, naive.pop());
                        if let Some((t, _)) = got { in_service.push(t); }
                    }
                    Op::Release { pick } => {
                        if !in_service.is_empty() {
                            let t = in_service.swap_remove(pick % in_service.len());
                            q.release(t as u32);
                            naive.release(t);
                        }
                    }
                }
                for t in 0..4 {
                    prop_assert_eq!(q.deficit_ns(t as u32), naive.deficits[t]);
                }
            }
        }

        /// Goal: the DRR fairness bound of Shreedhar & Varghese. Method: 2–5 tenants with
        /// random weights and random costs up to `max_cost`, all backlogged from the start
        /// (enough items that none empties before the check stops); after every pop, for
        /// every pair, |served_i/w_i − served_j/w_j| < quantum + max_cost, checked in integers
        /// as |s_i·w_j − s_j·w_i| < (quantum + max_cost)·w_i·w_j.
        #[test]
        fn drr_respects_the_fairness_bound(
            weights in proptest::collection::vec(1u32..=4, 2..=5),
            quantum_ns in 1u64..3_000,
            max_cost in 1u64..3_000,
            cost_seed in proptest::collection::vec(any::<u64>(), 400),
        ) {
            let mut q: CellQueue<u64> = CellQueue::new(SchedulerKind::Drr, quantum_ns, usize::MAX);
            let n = weights.len();
            for &w in &weights {
                q.add_tenant(w, None);
            }
            for (i, seed) in cost_seed.iter().enumerate() {
                for t in 0..n {
                    let cost = 1 + (seed.rotate_left(7 * t as u32) % max_cost);
                    q.push(t as u32, cost, SimTime(0), i as u64).unwrap();
                }
            }
            let mut served = vec![0u128; n];
            while (0..n).all(|t| q.len_of(t as u32) > 0) {
                let p = q.pop().unwrap();
                q.release(p.tenant);
                served[p.tenant as usize] += p.cost_ns as u128;
                for i in 0..n {
                    for j in 0..n {
                        let (wi, wj) = (weights[i] as u128, weights[j] as u128);
                        let lhs = (served[i] * wj).abs_diff(served[j] * wi);
                        let bound = (quantum_ns + max_cost) as u128 * wi * wj;
                        prop_assert!(lhs < bound,
                            "tenants {} and {}: served {:?} weights {:?}", i, j, served, weights);
                    }
                }
            }
        }

        /// Goal: the 1:3 split of the brief, with random costs. Method: weights 1 and 3,
        /// quantum 1ms, costs up to 2ms; the bound is quantum + max_cost (normalised).
        #[test]
        fn drr_one_to_three_split_with_random_costs(
            costs in proptest::collection::vec((1u64..=2 * MS, 1u64..=2 * MS), 300),
        ) {
            let mut q: CellQueue<u64> = CellQueue::new(SchedulerKind::Drr, MS, 10_000);
            q.add_tenant(1, None);
            q.add_tenant(3, None);
            for (i, &(a, b)) in costs.iter().enumerate() {
                q.push(0, a, SimTime(0), i as u64).unwrap();
                q.push(1, b, SimTime(0), i as u64).unwrap();
            }
            let (mut s0, mut s1) = (0u128, 0u128);
            while q.len_of(0) > 0 && q.len_of(1) > 0 {
                let p = q.pop().unwrap();
                q.release(p.tenant);
                if p.tenant == 0 { s0 += p.cost_ns as u128 } else { s1 += p.cost_ns as u128 }
                // |s0/1 − s1/3| < quantum + max_cost  ⇔  |3·s0 − s1| < 3·(quantum + max_cost)
                prop_assert!((3 * s0).abs_diff(s1) < 3 * (3 * MS) as u128, "s0={} s1={}", s0, s1);
            }
        }
    }
}

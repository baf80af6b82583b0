//! The event queue: a 4-ary min-heap ordered by (time, insertion sequence).
//!
//! ```text
//!   schedule(t=5, A)   schedule(t=3, B)   schedule(t=5, C)
//!   pop order:  B@3 (seq 1)  →  A@5 (seq 0)  →  C@5 (seq 2)
//! ```
//!
//! **Ordering contract.** Events pop in increasing time; events at the same time pop in the
//! order they were scheduled (first scheduled, first popped). The sequence number is a `u64`
//! counter that never repeats within a queue, so the order is total and does not depend on
//! the heap's internals: any correct priority queue on the key `(time, seq)` pops the same
//! events in the same order (tested against `std`'s `BinaryHeap` below).
//!
//! **Layout.** The heap holds small `Copy` nodes of 24 bytes (time, seq, event slot, timer
//! slot); the events themselves sit in a slab, `events[slot]`, and never move while pending.
//! Sifting moves only nodes, and the four children of a node are adjacent, so a pop reads
//! about log₄ n short runs of memory and picks the smallest of four children without
//! branches (the comparisons of random times are unpredictable). A pop takes the hole left by the root
//! down to a leaf along the smallest children, then sifts the last node up into it (Floyd's
//! variant, as `std`'s `BinaryHeap` does). Event slots are recycled through a free list.
//!
//! ```text
//!   heap:   [ (t,seq,slot,timer) ]  node i has children 4i+1 ..= 4i+4
//!   events: [ Option<E> ]           indexed by a node's slot; None when free
//!   timers: [ seq or DEAD ]         indexed by a node's timer (cancellable events only)
//! ```
//!
//! **Cancellation.** [`EventQueue::schedule_cancellable`] returns a [`TimerKey`]. Cancelling
//! is O(1): the key's slot in a small table is marked dead and the heap node becomes a
//! tombstone that is skipped when popped. Slots are recycled through a free list, so neither
//! scheduling nor cancelling allocates once the queue has reached its working size.
//!
//! **Time never goes back.** Scheduling before the current time is a model bug and panics
//! (assertions stay on in release).

use crate::time::{SimDuration, SimTime};
use std::hint::select_unpredictable;

const NOT_A_TIMER: u32 = u32::MAX;
const DEAD: u64 = u64::MAX;
/// Children per heap node.
const ARITY: usize = 4;

/// A heap node: the ordering key and where the event and its timer live.
#[derive(Clone, Copy)]
struct Node {
    time: u64,
    seq: u64,
    /// Index into `EventQueue::events`.
    slot: u32,
    /// Index into `EventQueue::timers`, or `NOT_A_TIMER`.
    timer: u32,
}

impl Node {
    /// The ordering key `(time, seq)` as one integer: time in the high half.
    #[inline(always)]
    fn key(&self) -> u128 {
        ((self.time as u128) << 64) | self.seq as u128
    }
}

/// The smaller of two (index, key) pairs, chosen without a branch. Keys are unique.
#[inline(always)]
fn smaller(a: (usize, u128), b: (usize, u128)) -> (usize, u128) {
    select_unpredictable(b.1 < a.1, b, a)
}

/// Handle to a cancellable event. Cheap to copy; cancelling a key twice, or after its event
/// ran, does nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerKey {
    slot: u32,
    seq: u64,
}

/// The queue of future events of one run. Generic over the model's event type `E`.
pub struct EventQueue<E> {
    /// 4-ary min-heap on `Node::key`.
    heap: Vec<Node>,
    /// slot → pending event (`None` when the slot is free).
    events: Vec<Option<E>>,
    free_events: Vec<u32>,
    now: SimTime,
    next_seq: u64,
    /// slot → sequence number of the live timer in it, or `DEAD`.
    timers: Vec<u64>,
    free_timers: Vec<u32>,
    live_timers: usize,
    tombstones: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        Self::with_capacity(1024)
    }

    /// An empty queue with room for `n` pending events before it grows.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: Vec::with_capacity(n),
            events: Vec::with_capacity(n),
            free_events: Vec::with_capacity(n),
            now: SimTime::ZERO,
            next_seq: 0,
            timers: Vec::new(),
            free_timers: Vec::new(),
            live_timers: 0,
            tombstones: 0,
        }
    }

    /// The current simulated time: the time of the event being processed.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Pending entries, including tombstones of cancelled timers not yet popped.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Number of cancelled events skipped so far.
    pub fn tombstones_skipped(&self) -> u64 {
        self.tombstones
    }

    /// Schedules `event` at absolute time `at` (which must not be in the past).
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, event: E) {
        self.push(at, NOT_A_TIMER, event);
    }

    /// Schedules `event` after `delay` from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        let at = self.now.after(delay);
        self.push(at, NOT_A_TIMER, event);
    }

    /// Schedules a cancellable `event` after `delay` and returns its key.
    #[inline]
    pub fn schedule_cancellable(&mut self, delay: SimDuration, event: E) -> TimerKey {
        let at = self.now.after(delay);
        let slot = match self.free_timers.pop() {
            Some(s) => s,
            None => {
                let s = u32::try_from(self.timers.len()).expect("more than 4 billion live timers");
                self.timers.push(DEAD);
                s
            }
        };
        let seq = self.next_seq;
        self.timers[slot as usize] = seq;
        self.live_timers += 1;
        self.push(at, slot, event);
        TimerKey { slot, seq }
    }

    /// Cancels the event behind `key`. Returns true if it was still pending.
    #[inline]
    pub fn cancel(&mut self, key: TimerKey) -> bool {
        let s = key.slot as usize;
        if s < self.timers.len() && self.timers[s] == key.seq {
            self.timers[s] = DEAD;
            self.free_timers.push(key.slot);
            self.live_timers -= 1;
            true
        } else {
            false
        }
    }

    /// True if the event behind `key` is still pending.
    pub fn is_pending(&self, key: TimerKey) -> bool {
        self.timers.get(key.slot as usize) == Some(&key.seq)
    }

    /// True if `n` is the node of a cancelled timer.
    #[inline(always)]
    fn is_tombstone(&self, n: &Node) -> bool {
        n.timer != NOT_A_TIMER && self.timers[n.timer as usize] != n.seq
    }

    /// Time of the next live event without removing it (tombstones at the front are dropped).
    // Always inlined, like `pop`: the engine's loop is instantiated once per observer type, and
    // with more than one call site LLVM would stop inlining these into the hot (plain) loop.
    #[inline(always)]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        loop {
            let top = *self.heap.first()?;
            if self.is_tombstone(&top) {
                self.remove_top();
                self.drop_event(top.slot);
                self.tombstones += 1;
                continue;
            }
            return Some(SimTime(top.time));
        }
    }

    /// Removes and returns the next live event, advancing the clock to its time.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        loop {
            let top = self.remove_top()?;
            if top.timer != NOT_A_TIMER {
                let timer = top.timer as usize;
                if self.timers[timer] != top.seq {
                    self.drop_event(top.slot);
                    self.tombstones += 1;
                    continue;
                }
                self.timers[timer] = DEAD;
                self.free_timers.push(top.timer);
                self.live_timers -= 1;
            }
            assert!(top.time >= self.now.0, "event queue went back in time");
            let event = self.take_event(top.slot);
            self.now = SimTime(top.time);
            return Some((self.now, event));
        }
    }

    #[inline]
    fn push(&mut self, at: SimTime, timer: u32, event: E) {
        assert!(
            at >= self.now,
            "event scheduled in the past: at {} while now is {}",
            at.0,
            self.now.0
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free_events.pop() {
            Some(s) => {
                debug_assert!(self.events[s as usize].is_none());
                self.events[s as usize] = Some(event);
                s
            }
            None => {
                let s =
                    u32::try_from(self.events.len()).expect("more than 4 billion pending events");
                self.events.push(Some(event));
                s
            }
        };
        self.sift_up(Node {
            time: at.0,
            seq,
            slot,
            timer,
        });
    }

    /// Moves the event out of `slot` and frees the slot.
    #[inline(always)]
    fn take_event(&mut self, slot: u32) -> E {
        let event = self.events[slot as usize]
            .take()
            .expect("heap node points at an empty event slot");
        self.free_events.push(slot);
        event
    }

    /// Drops the (cancelled) event in `slot` and frees the slot.
    #[inline(always)]
    fn drop_event(&mut self, slot: u32) {
        drop(self.take_event(slot));
    }

    /// Appends `node` and restores the heap order above it.
    #[inline(always)]
    fn sift_up(&mut self, node: Node) {
        let mut hole = self.heap.len();
        self.heap.push(node);
        let h = &mut self.heap[..];
        let key = node.key();
        while hole > 0 {
            let parent = (hole - 1) / ARITY;
            if key < h[parent].key() {
                h[hole] = h[parent];
                hole = parent;
            } else {
                break;
            }
        }
        h[hole] = node;
    }

    /// Removes the root node (the smallest key) and returns it.
    #[inline(always)]
    fn remove_top(&mut self) -> Option<Node> {
        let last = self.heap.pop()?;
        let h = &mut self.heap[..];
        let n = h.len();
        if n == 0 {
            return Some(last);
        }
        let top = h[0];
        // Move the hole at the root down to a leaf, always along the smallest child.
        let mut hole = 0;
        loop {
            let first = ARITY * hole + 1;
            if first + ARITY <= n {
                let c = &h[first..first + ARITY];
                let a = smaller((first, c[0].key()), (first + 1, c[1].key()));
                let b = smaller((first + 2, c[2].key()), (first + 3, c[3].key()));
                let child = smaller(a, b).0;
                h[hole] = h[child];
                hole = child;
            } else {
                if first < n {
                    let mut m = (first, h[first].key());
                    for (i, c) in h.iter().enumerate().skip(first + 1) {
                        m = smaller(m, (i, c.key()));
                    }
                    h[hole] = h[m.0];
                    hole = m.0;
                }
                break;
            }
        }
        // Put the last node in the hole and sift it up (it usually belongs near the bottom).
        let key = last.key();
        while hole > 0 {
            let parent = (hole - 1) / ARITY;
            if key < h[parent].key() {
                h[hole] = h[parent];
                hole = parent;
            } else {
                break;
            }
        }
        h[hole] = last;
        Some(top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Bits;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    #[test]
    fn same_time_events_pop_in_scheduling_order() {
        let mut q = EventQueue::new();
        q.schedule_at(SimTime(5), 'a');
        q.schedule_at(SimTime(3), 'b');
        q.schedule_at(SimTime(5), 'c');
        q.schedule_at(SimTime(5), 'd');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['b', 'a', 'c', 'd']);
    }

    #[test]
    fn cancelled_timers_are_skipped_and_slots_reused() {
        let mut q = EventQueue::new();
        let k1 = q.schedule_cancellable(SimDuration(10), 1);
        let k2 = q.schedule_cancellable(SimDuration(20), 2);
        assert!(q.cancel(k1));
        assert!(!q.cancel(k1), "second cancel is a no-op");
        let k3 = q.schedule_cancellable(SimDuration(15), 3); // reuses k1's slot
        assert_eq!(k3.slot, k1.slot);
        assert!(!q.is_pending(k1));
        assert!(q.is_pending(k3));
        let got: Vec<i32> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(got, vec![3, 2]);
        assert_eq!(q.tombstones_skipped(), 1);
        assert!(!q.cancel(k2), "cancel after firing is a no-op");
        assert_eq!(q.live_timers, 0);
    }

    #[test]
    #[should_panic(expected = "in the past")]
    fn scheduling_in_the_past_is_a_bug() {
        let mut q = EventQueue::new();
        q.schedule_at(SimTime(10), ());
        q.pop();
        q.schedule_at(SimTime(5), ());
    }

    /// One step of a random workload, for the reference comparison.
    #[derive(Clone, Copy, Debug)]
    enum Op {
        /// `schedule_at(now + dt)`.
        At(u64),
        /// `schedule_in(dt)`.
        In(u64),
        /// `schedule_cancellable(dt)`.
        Cancellable(u64),
        /// Cancel the n-th key handed out so far (modulo their number).
        Cancel(usize),
        /// `is_pending` of the n-th key (modulo).
        IsPending(usize),
        Pop,
        Peek,
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum State {
        Live,
        Cancelled,
        Done,
    }

    /// The reference: `std`'s `BinaryHeap` on `Reverse((time, seq))`, the event being its
    /// seq, with the same tombstone rules, written the obvious way.
    struct Reference {
        heap: BinaryHeap<Reverse<(u64, u64)>>,
        now: u64,
        state: Vec<State>,
        tombstones: u64,
    }

    impl Reference {
        fn push(&mut self, at: u64) -> u64 {
            let seq = self.state.len() as u64;
            self.state.push(State::Live);
            self.heap.push(Reverse((at, seq)));
            seq
        }
        fn drop_cancelled_front(&mut self) {
            while let Some(&Reverse((_, seq))) = self.heap.peek() {
                if self.state[seq as usize] != State::Cancelled {
                    break;
                }
                self.heap.pop();
                self.tombstones += 1;
            }
        }
        fn peek(&mut self) -> Option<u64> {
            self.drop_cancelled_front();
            self.heap.peek().map(|Reverse((t, _))| *t)
        }
        fn pop(&mut self) -> Option<(u64, u64)> {
            self.drop_cancelled_front();
            let Reverse((t, seq)) = self.heap.pop()?;
            self.state[seq as usize] = State::Done;
            self.now = t;
            Some((t, seq))
        }
    }

    /// Runs `ops` on an `EventQueue` and on the reference; every answer must agree.
    fn agrees_with_reference(ops: &[Op]) -> Result<(), TestCaseError> {
        let mut q: EventQueue<u64> = EventQueue::with_capacity(4);
        let mut r = Reference {
            heap: BinaryHeap::new(),
            now: 0,
            state: Vec::new(),
            tombstones: 0,
        };
        let mut keys: Vec<(TimerKey, u64)> = Vec::new();
        for op in ops {
            match *op {
                Op::At(dt) => {
                    let seq = r.push(r.now + dt);
                    q.schedule_at(SimTime(r.now + dt), seq);
                }
                Op::In(dt) => {
                    let seq = r.push(r.now + dt);
                    q.schedule_in(SimDuration(dt), seq);
                }
                Op::Cancellable(dt) => {
                    let seq = r.push(r.now + dt);
                    keys.push((q.schedule_cancellable(SimDuration(dt), seq), seq));
                }
                Op::Cancel(n) if !keys.is_empty() => {
                    let (k, seq) = keys[n % keys.len()];
                    let live = r.state[seq as usize] == State::Live;
                    if live {
                        r.state[seq as usize] = State::Cancelled;
                    }
                    prop_assert_eq!(q.cancel(k), live);
                }
                Op::IsPending(n) if !keys.is_empty() => {
                    let (k, seq) = keys[n % keys.len()];
                    prop_assert_eq!(q.is_pending(k), r.state[seq as usize] == State::Live);
                }
                Op::Cancel(_) | Op::IsPending(_) => {}
                Op::Pop => {
                    let got = q.pop().map(|(t, e)| (t.0, e));
                    prop_assert_eq!(got, r.pop());
                }
                Op::Peek => prop_assert_eq!(q.peek_time().map(|t| t.0), r.peek()),
            }
            prop_assert_eq!(q.len(), r.heap.len());
            prop_assert_eq!(q.is_empty(), r.heap.is_empty());
            prop_assert_eq!(q.tombstones_skipped(), r.tombstones);
            prop_assert_eq!(q.now().0, r.now);
        }
        // Drain: the rest must come out in the same order too.
        loop {
            let got = q.pop().map(|(t, e)| (t.0, e));
            prop_assert_eq!(got, r.pop());
            if got.is_none() {
                break;
            }
        }
        prop_assert_eq!(q.tombstones_skipped(), r.tombstones);
        prop_assert_eq!(q.live_timers, 0);
        prop_assert!(
            q.events.iter().all(Option::is_none),
            "every event slot freed"
        );
        prop_assert_eq!(q.free_events.len(), q.events.len());
        Ok(())
    }

    /// Delays: mostly tiny (many events at the same time), sometimes large.
    fn delay() -> impl Strategy<Value = u64> {
        prop_oneof![4 => 0u64..3, 1 => 0u64..1_000, 1 => Just(0u64)]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => delay().prop_map(Op::At),
            2 => delay().prop_map(Op::In),
            3 => delay().prop_map(Op::Cancellable),
            2 => any::<usize>().prop_map(Op::Cancel),
            1 => any::<usize>().prop_map(Op::IsPending),
            4 => Just(Op::Pop),
            1 => Just(Op::Peek),
        ]
    }

    #[test]
    fn large_random_workload_agrees_with_reference() {
        // Deep heaps (thousands of pending events) that a proptest case rarely builds:
        // the queue grows for the first half, then drains while still scheduling.
        let mut rng = crate::rng::SplitMix(7);
        let mut ops = Vec::with_capacity(200_000);
        for i in 0..200_000u64 {
            let x = rng.next_u64();
            let dt = match x % 4 {
                0 => 0,
                1 => (x >> 8) % 4,
                _ => (x >> 8) % 100_000,
            };
            let growing = i < 100_000;
            ops.push(match (x >> 40) % 10 {
                0 | 1 => Op::At(dt),
                2 => Op::In(dt),
                3 | 4 => Op::Cancellable(dt),
                5 => Op::Cancel((x >> 20) as usize),
                6 => Op::Peek,
                7 if growing => Op::IsPending((x >> 20) as usize),
                _ => Op::Pop,
            });
        }
        agrees_with_reference(&ops).unwrap();
    }

    proptest! {
        /// Oracle: a stable sort of (time, index) gives the pop order; cancelled ones vanish.
        #[test]
        fn pops_like_a_stable_sort(items in proptest::collection::vec((0u64..50, any::<bool>()), 0..200)) {
            let mut q = EventQueue::new();
            let mut keys = Vec::new();
            for (i, (t, cancellable)) in items.iter().enumerate() {
                if *cancellable {
                    keys.push((i, q.schedule_cancellable(SimDuration(*t), i)));
                } else {
                    q.schedule_at(SimTime(*t), i);
                }
            }
            // cancel every second cancellable one
            let mut cancelled = std::collections::BTreeSet::new();
            for (n, (i, k)) in keys.iter().enumerate() {
                if n % 2 == 0 { q.cancel(*k); cancelled.insert(*i); }
            }
            let mut expect: Vec<(u64, usize)> = items.iter().enumerate()
                .filter(|(i, _)| !cancelled.contains(i)).map(|(i, (t, _))| (*t, i)).collect();
            expect.sort_by_key(|&(t, _)| t); // stable
            let mut last = 0;
            let got: Vec<(u64, usize)> = std::iter::from_fn(|| q.pop().map(|(t, e)| (t.0, e))).collect();
            for (t, _) in &got { prop_assert!(*t >= last); last = *t; }
            prop_assert_eq!(got, expect);
        }

        /// Oracle: `std`'s `BinaryHeap` on (time, seq), on random interleavings of schedule,
        /// cancel, peek and pop with many equal times: same pops, same answers, same counts.
        #[test]
        fn agrees_with_a_binary_heap(ops in proptest::collection::vec(op(), 0..600)) {
            agrees_with_reference(&ops)?;
        }
    }
}

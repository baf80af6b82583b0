//! The event queue: a min-heap ordered by (time, insertion sequence).
//!
//! ```text
//!   schedule(t=5, A)   schedule(t=3, B)   schedule(t=5, C)
//!   pop order:  B@3 (seq 1)  →  A@5 (seq 0)  →  C@5 (seq 2)
//! ```
//!
//! **Ordering contract.** Events pop in increasing time; events at the same time pop in the
//! order they were scheduled (first scheduled, first popped). The sequence number is a `u64`
//! counter that never repeats within a queue, so the order is total and does not depend on
//! the heap's internals.
//!
//! **Cancellation.** [`EventQueue::schedule_cancellable`] returns a [`TimerKey`]. Cancelling
//! is O(1): the key's slot in a small table is marked dead and the heap entry becomes a
//! tombstone that is skipped when popped. Slots are recycled through a free list, so neither
//! scheduling nor cancelling allocates once the queue has reached its working size.
//!
//! **Time never goes back.** Scheduling before the current time is a model bug and panics
//! (assertions stay on in release).

use crate::time::{SimDuration, SimTime};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

const NOT_A_TIMER: u32 = u32::MAX;
const DEAD: u64 = u64::MAX;

struct Entry<E> {
    time: u64,
    seq: u64,
    timer: u32,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed so that `BinaryHeap` (a max-heap) pops the smallest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .time
            .cmp(&self.time)
            .then_with(|| other.seq.cmp(&self.seq))
    }
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
    heap: BinaryHeap<Entry<E>>,
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
            heap: BinaryHeap::with_capacity(n),
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

    /// Time of the next live event without removing it (tombstones at the front are dropped).
    pub fn peek_time(&mut self) -> Option<SimTime> {
        loop {
            let (timer, seq, time) = match self.heap.peek() {
                None => return None,
                Some(e) => (e.timer, e.seq, e.time),
            };
            if timer != NOT_A_TIMER && self.timers[timer as usize] != seq {
                self.heap.pop();
                self.tombstones += 1;
                continue;
            }
            return Some(SimTime(time));
        }
    }

    /// Removes and returns the next live event, advancing the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        while let Some(e) = self.heap.pop() {
            if e.timer != NOT_A_TIMER {
                let slot = e.timer as usize;
                if self.timers[slot] != e.seq {
                    self.tombstones += 1;
                    continue;
                }
                self.timers[slot] = DEAD;
                self.free_timers.push(e.timer);
                self.live_timers -= 1;
            }
            assert!(e.time >= self.now.0, "event queue went back in time");
            self.now = SimTime(e.time);
            return Some((self.now, e.event));
        }
        None
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
        self.heap.push(Entry {
            time: at.0,
            seq,
            timer,
            event,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
    }
}

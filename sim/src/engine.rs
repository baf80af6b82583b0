//! The run loop.
//!
//! ```text
//!   loop {
//!       (t, event) = queue.pop()          // smallest (time, seq); tombstones skipped
//!       digest ← (t, event.kind code, event's key fields)
//!       model.handle(t, event, &mut queue) // may schedule or cancel events at ≥ t
//!   } until: time limit | queue empty | predicate | event bound
//! ```
//!
//! The engine is generic over the model's event type; events are plain values owned by the
//! model (an enum, usually), kept in the queue's slab while a small (time, seq) key moves
//! through its heap, so processing an event allocates nothing once the queue has reached
//! its working size.
//!
//! **Bounded.** Every run has a time limit and an event bound ([`RunLimits`]); reaching one
//! is a [`StopReason`], never a hang.
//!
//! **Checkpoints.** Optionally the engine records `(events processed, time, digest)` every N
//! events, so two runs that diverge can be compared checkpoint by checkpoint to find the
//! first window where they differ.
//!
//! **Observers.** [`Engine::run_observed`] shows every event to an [`Observer`] — its number,
//! time, the digest including it and the model before it is handled — so that a diagnostic
//! (the determinism check) can record the events of one window, and nothing else. The plain
//! [`Engine::run`] uses [`NoObserver`], whose empty methods compile away: the hot loop is the
//! same code.

use crate::digest::Digest;
use crate::queue::EventQueue;
use crate::time::{SimDuration, SimTime};

/// What the engine needs from a model's event type.
pub trait Event {
    /// A short stable name of the event's kind (`"request_arrived"`), for diagnostics.
    fn kind(&self) -> &'static str;
    /// Writes the event's kind code and key fields (ids, attempt numbers) into the digest.
    /// Must depend only on the event's own value.
    fn digest_into(&self, d: &mut Digest);
}

/// A simulation model: state plus a handler for its events.
///
/// A model owns its state and reacts to one event at a time; the engine owns the clock and the
/// queue, digests every event, and stops at the limits. A tick that reschedules itself every
/// second, run for a minute:
///
/// ```
/// use sim::{Digest, Engine, EventQueue, Model, RunLimits, SimDuration, SimTime, StopReason};
///
/// #[derive(Debug)]
/// struct Tick;
///
/// impl sim::Event for Tick {
///     fn kind(&self) -> &'static str {
///         "tick"
///     }
///     fn digest_into(&self, d: &mut Digest) {
///         d.write_u64(1);
///     }
/// }
///
/// /// Counts ticks.
/// struct Clock {
///     ticks: u64,
/// }
///
/// impl Model for Clock {
///     type Event = Tick;
///     fn handle(&mut self, _now: SimTime, _ev: Tick, queue: &mut EventQueue<Tick>) {
///         self.ticks += 1;
///         queue.schedule_in(SimDuration::from_secs(1), Tick);
///     }
/// }
///
/// let mut engine: Engine<Tick> = Engine::new();
/// engine.queue.schedule_at(SimTime::ZERO, Tick);
/// let mut clock = Clock { ticks: 0 };
/// let limits = RunLimits {
///     until: SimTime(SimDuration::from_secs(60).as_nanos()),
///     max_events: 1_000,
///     ..RunLimits::default()
/// };
/// assert_eq!(engine.run(&mut clock, limits), StopReason::TimeReached);
/// // Ticks at 0 s, 1 s, ..., 60 s: events at the limit itself are processed.
/// assert_eq!(clock.ticks, 61);
/// assert_eq!(engine.events_processed(), 61);
/// ```
///
/// A fuller example with random streams and distributions: `sim/examples/mm1.rs`.
pub trait Model {
    /// The model's event type.
    type Event: Event;
    /// Handles one event at time `now`; may schedule and cancel events on `queue`.
    fn handle(&mut self, now: SimTime, event: Self::Event, queue: &mut EventQueue<Self::Event>);
    /// Work the model holds outside the event queue (requests in flight, queued jobs...), for
    /// the backlog bound ([`RunLimits::max_backlog`]). Default: none.
    #[inline]
    fn backlog(&self) -> u64 {
        0
    }
}

/// Bounds on a run: it stops at the first one reached.
#[derive(Clone, Copy, Debug)]
pub struct RunLimits {
    /// Process events with time ≤ `until`, then stop.
    pub until: SimTime,
    /// Stop after this many events (a safety bound against runaway models).
    pub max_events: u64,
    /// Stop after this many consecutive events at one simulated instant: a model whose
    /// clock no longer advances (a loop of zero-delay events) is stopped with
    /// [`StopReason::Stalled`] instead of running forever.
    pub max_events_per_instant: u64,
    /// Stop when the pending events plus the model's [`Model::backlog`] exceed this: a model
    /// whose work grows without bound is stopped with [`StopReason::Overloaded`] before it
    /// exhausts memory.
    pub max_backlog: u64,
}

impl Default for RunLimits {
    fn default() -> Self {
        RunLimits {
            until: SimTime::MAX,
            max_events: u64::MAX,
            max_events_per_instant: u64::MAX,
            max_backlog: u64::MAX,
        }
    }
}

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The next event lies beyond the time limit.
    TimeReached,
    /// Nothing left to process.
    QueueEmpty,
    /// The caller's predicate asked to stop.
    Predicate,
    /// The event bound was reached.
    MaxEvents,
    /// The clock stalled: `max_events_per_instant` events in a row at one instant.
    Stalled,
    /// The work in progress (pending events + the model's backlog) passed `max_backlog`.
    Overloaded,
}

/// One checkpoint of a run: the digest after `events` events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Events processed so far.
    pub events: u64,
    /// Simulated time of the last processed event.
    pub time: SimTime,
    /// Digest value after that event.
    pub digest: u64,
}

/// Watches a run event by event: a diagnostic hook. Every method has an empty default.
pub trait Observer<M: Model> {
    /// Event number `index` (1-based: the events processed before it, plus one) was popped at
    /// `now`, before it is digested. Returning `Some(delay)` holds it back: it is scheduled
    /// again `delay` later (as a plain, non-cancellable event) and neither digested nor
    /// handled now, so the next event popped gets the same `index`. A test hook that imitates
    /// an ordering bug; never used in a normal run.
    #[inline(always)]
    fn hold_back(&mut self, _index: u64, _now: SimTime, _event: &M::Event) -> Option<SimDuration> {
        None
    }
    /// Event number `index` at `now` has been digested (`digest` includes it) and is about to
    /// be handled by `model` (whose state is still from before it).
    #[inline(always)]
    fn seen(
        &mut self,
        _index: u64,
        _now: SimTime,
        _event: &M::Event,
        _digest: &Digest,
        _model: &M,
    ) {
    }
}

/// The observer of a plain run: sees nothing, costs nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl<M: Model> Observer<M> for NoObserver {}

/// The engine: an event queue, a digest and counters.
pub struct Engine<E> {
    /// The queue; models receive it in `handle`, setup code uses it to seed initial events.
    pub queue: EventQueue<E>,
    digest: Digest,
    events: u64,
    checkpoint_every: u64,
    checkpoint_countdown: u64,
    checkpoints: Vec<Checkpoint>,
    max_checkpoints: usize,
}

impl<E: Event> Default for Engine<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Event> Engine<E> {
    /// A fresh engine at time zero.
    pub fn new() -> Self {
        Engine {
            queue: EventQueue::new(),
            digest: Digest::new(),
            events: 0,
            checkpoint_every: 0,
            checkpoint_countdown: 0,
            checkpoints: Vec::new(),
            max_checkpoints: 0,
        }
    }

    /// Records a checkpoint every `every` events, keeping at most `max` of them (the rest are
    /// dropped, so memory stays bounded). `every = 0` turns checkpoints off.
    pub fn set_checkpoints(&mut self, every: u64, max: usize) {
        self.checkpoint_every = every;
        self.checkpoint_countdown = every;
        self.max_checkpoints = max;
    }

    /// Checkpoints recorded so far.
    pub fn checkpoints(&self) -> &[Checkpoint] {
        &self.checkpoints
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// Events processed so far (cancelled timers not counted).
    pub fn events_processed(&self) -> u64 {
        self.events
    }

    /// The trace digest so far.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// Runs until a limit is reached or the queue is empty.
    pub fn run<M: Model<Event = E>>(&mut self, model: &mut M, limits: RunLimits) -> StopReason {
        self.run_while(model, limits, |_| true)
    }

    /// Runs while `keep_going(model)` holds (checked after each event), within `limits`.
    pub fn run_while<M: Model<Event = E>>(
        &mut self,
        model: &mut M,
        limits: RunLimits,
        keep_going: impl FnMut(&M) -> bool,
    ) -> StopReason {
        self.run_inner(model, limits, keep_going, &mut NoObserver)
    }

    /// Runs like [`Engine::run`], showing every event to `observer`.
    pub fn run_observed<M: Model<Event = E>, O: Observer<M>>(
        &mut self,
        model: &mut M,
        limits: RunLimits,
        observer: &mut O,
    ) -> StopReason {
        self.run_inner(model, limits, |_| true, observer)
    }

    // Never inlined: each (model, observer) pair gets the loop as a function of its own, like
    // the single `run_while` loop before observers existed. The queue's `pop` and `peek_time`
    // are `inline(always)` so that they stay inlined into the plain loop however many observed
    // versions a caller also instantiates (measured: same instruction count as before).
    #[inline(never)]
    fn run_inner<M: Model<Event = E>, O: Observer<M>>(
        &mut self,
        model: &mut M,
        limits: RunLimits,
        mut keep_going: impl FnMut(&M) -> bool,
        observer: &mut O,
    ) -> StopReason {
        let mut budget = limits.max_events.saturating_sub(self.events);
        // Events in a row at `instant` (the stall bound).
        let (mut instant, mut same) = (SimTime::MAX, 0u64);
        loop {
            if budget == 0 {
                return StopReason::MaxEvents;
            }
            match self.queue.peek_time() {
                None => return StopReason::QueueEmpty,
                Some(t) if t > limits.until => return StopReason::TimeReached,
                Some(t) if t == instant => {
                    same += 1;
                    if same >= limits.max_events_per_instant {
                        return StopReason::Stalled;
                    }
                }
                Some(t) => (instant, same) = (t, 0),
            }
            let Some((now, event)) = self.queue.pop() else {
                return StopReason::QueueEmpty;
            };
            if let Some(delay) = observer.hold_back(self.events + 1, now, &event) {
                self.queue.schedule_at(now.after(delay), event);
                continue;
            }
            self.digest.write_u64(now.0);
            event.digest_into(&mut self.digest);
            self.events += 1;
            observer.seen(self.events, now, &event, &self.digest, model);
            budget -= 1;
            if self.checkpoint_every != 0 {
                self.checkpoint_countdown -= 1;
                if self.checkpoint_countdown == 0 {
                    self.checkpoint_countdown = self.checkpoint_every;
                    if self.checkpoints.len() < self.max_checkpoints {
                        self.checkpoints.push(Checkpoint {
                            events: self.events,
                            time: now,
                            digest: self.digest.finish(),
                        });
                    }
                }
            }
            model.handle(now, event, &mut self.queue);
            if self.queue.len() as u64 + model.backlog() > limits.max_backlog {
                return StopReason::Overloaded;
            }
            if !keep_going(model) {
                return StopReason::Predicate;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimDuration;

    #[derive(Debug, Clone, Copy)]
    struct Tick(u32);
    impl Event for Tick {
        fn kind(&self) -> &'static str {
            "tick"
        }
        fn digest_into(&self, d: &mut Digest) {
            d.write_u64(self.0 as u64);
        }
    }
    struct Counter {
        seen: Vec<(u64, u32)>,
    }
    impl Model for Counter {
        type Event = Tick;
        fn handle(&mut self, now: SimTime, e: Tick, q: &mut EventQueue<Tick>) {
            self.seen.push((now.0, e.0));
            if e.0 < 10 {
                q.schedule_in(SimDuration(100), Tick(e.0 + 1));
            }
        }
    }

    fn fresh() -> (Engine<Tick>, Counter) {
        let mut eng = Engine::new();
        eng.queue.schedule_at(SimTime(0), Tick(0));
        (eng, Counter { seen: vec![] })
    }

    /// Goal: a model whose clock never advances (each event schedules the next at the same
    /// instant) is stopped by the stall bound, not run forever; events spread over time are
    /// not counted as a stall.
    /// Method: a zero-delay self-loop with a bound of 1,000 stops with `Stalled` after
    /// exactly 1,000 events, at t = 0; the ticking model (one event per 100 ns) with a bound
    /// of 2 runs to its end.
    #[test]
    fn stall_bound_stops_a_zero_delay_loop() {
        struct Loop(u64);
        impl Model for Loop {
            type Event = Tick;
            fn handle(&mut self, _: SimTime, e: Tick, q: &mut EventQueue<Tick>) {
                self.0 += 1;
                q.schedule_in(SimDuration::ZERO, e);
            }
        }
        let mut eng = Engine::new();
        eng.queue.schedule_at(SimTime(0), Tick(0));
        let mut m = Loop(0);
        let limits = RunLimits {
            max_events_per_instant: 1_000,
            ..RunLimits::default()
        };
        assert_eq!(eng.run(&mut m, limits), StopReason::Stalled);
        assert_eq!(m.0, 1_000);
        assert_eq!(eng.now(), SimTime(0));
        let (mut eng, mut m) = fresh();
        let limits = RunLimits {
            max_events_per_instant: 2,
            ..RunLimits::default()
        };
        assert_eq!(eng.run(&mut m, limits), StopReason::QueueEmpty);
        assert_eq!(m.seen.len(), 11);
    }

    /// Goal: a model whose pending work grows without bound is stopped by the backlog bound.
    /// Method: every event schedules two more (the queue doubles each generation); with a
    /// bound of 1,000 the run stops `Overloaded` with the queue just over 1,000, long before
    /// `max_events`. A model's own backlog counts too: a model reporting 2,000 is stopped
    /// after its first event.
    #[test]
    fn backlog_bound_stops_runaway_growth() {
        struct Doubling;
        impl Model for Doubling {
            type Event = Tick;
            fn handle(&mut self, _: SimTime, e: Tick, q: &mut EventQueue<Tick>) {
                q.schedule_in(SimDuration(1), e);
                q.schedule_in(SimDuration(2), e);
            }
        }
        let mut eng = Engine::new();
        eng.queue.schedule_at(SimTime(0), Tick(0));
        let limits = RunLimits {
            max_backlog: 1_000,
            max_events: 1_000_000,
            ..RunLimits::default()
        };
        assert_eq!(eng.run(&mut Doubling, limits), StopReason::Overloaded);
        assert_eq!(eng.queue.len(), 1_001);
        assert_eq!(eng.events_processed(), 1_000);
        struct Hoarder;
        impl Model for Hoarder {
            type Event = Tick;
            fn handle(&mut self, _: SimTime, e: Tick, q: &mut EventQueue<Tick>) {
                q.schedule_in(SimDuration(1), e);
            }
            fn backlog(&self) -> u64 {
                2_000
            }
        }
        let mut eng = Engine::new();
        eng.queue.schedule_at(SimTime(0), Tick(0));
        assert_eq!(eng.run(&mut Hoarder, limits), StopReason::Overloaded);
        assert_eq!(eng.events_processed(), 1);
    }

    #[test]
    fn stops_on_each_limit() {
        let (mut eng, mut m) = fresh();
        let r = eng.run(
            &mut m,
            RunLimits {
                until: SimTime(350),
                ..RunLimits::default()
            },
        );
        assert_eq!(r, StopReason::TimeReached);
        assert_eq!(m.seen.len(), 4); // t = 0,100,200,300
        let r = eng.run(
            &mut m,
            RunLimits {
                until: SimTime::MAX,
                max_events: 6,
                ..RunLimits::default()
            },
        );
        assert_eq!(r, StopReason::MaxEvents);
        assert_eq!(eng.events_processed(), 6);
        let r = eng.run_while(&mut m, RunLimits::default(), |m| m.seen.len() < 8);
        assert_eq!(r, StopReason::Predicate);
        let r = eng.run(&mut m, RunLimits::default());
        assert_eq!(r, StopReason::QueueEmpty);
        assert_eq!(m.seen.len(), 11);
        assert_eq!(eng.now(), SimTime(1000));
    }

    #[test]
    fn digest_is_reproducible_and_sensitive() {
        let (mut a, mut ma) = fresh();
        let (mut b, mut mb) = fresh();
        a.run(&mut ma, RunLimits::default());
        b.run(&mut mb, RunLimits::default());
        assert_eq!(a.digest(), b.digest());
        let (mut c, mut mc) = fresh();
        c.queue.schedule_at(SimTime(5), Tick(99));
        c.run(&mut mc, RunLimits::default());
        assert_ne!(a.digest(), c.digest());
    }

    /// Records what it sees; holds event `hold` back by 1 ns, once.
    struct Spy {
        seen: Vec<(u64, u64, u32, u64)>,
        hold: Option<u64>,
    }
    impl Observer<Counter> for Spy {
        fn hold_back(&mut self, index: u64, _now: SimTime, _e: &Tick) -> Option<SimDuration> {
            (self.hold.take_if(|h| *h == index)).map(|_| SimDuration(1))
        }
        fn seen(&mut self, index: u64, now: SimTime, e: &Tick, d: &Digest, m: &Counter) {
            assert_eq!(
                m.seen.len() as u64,
                index - 1,
                "before the model handles it"
            );
            self.seen.push((index, now.0, e.0, d.finish()));
        }
    }

    /// Goal: an observer sees every event once, numbered, with the digest including it; the
    /// observed run is the plain run.
    #[test]
    fn observer_sees_every_event_with_its_digest() {
        let (mut plain, mut mp) = fresh();
        plain.set_checkpoints(1, 100);
        plain.run(&mut mp, RunLimits::default());
        let (mut eng, mut m) = fresh();
        let mut spy = Spy {
            seen: vec![],
            hold: None,
        };
        eng.run_observed(&mut m, RunLimits::default(), &mut spy);
        assert_eq!(eng.digest(), plain.digest());
        assert_eq!(spy.seen.len(), 11);
        for (s, c) in spy.seen.iter().zip(plain.checkpoints()) {
            assert_eq!((s.0, s.1, s.3), (c.events, c.time.0, c.digest));
        }
    }

    /// Goal: a held-back event is delivered later, the next event takes its number, and the
    /// digest from there on differs (the test hook of the determinism check).
    #[test]
    fn held_back_event_moves_and_changes_the_digest() {
        let (mut plain, mut mp) = fresh();
        plain.run(&mut mp, RunLimits::default());
        let (mut eng, mut m) = fresh();
        let mut spy = Spy {
            seen: vec![],
            hold: Some(4),
        };
        eng.run_observed(&mut m, RunLimits::default(), &mut spy);
        assert_eq!(
            spy.seen[3],
            (4, 301, 3, spy.seen[3].3),
            "tick 3 at 300 → 301"
        );
        assert_eq!(spy.seen.len(), 11);
        assert_ne!(eng.digest(), plain.digest());
    }

    #[test]
    fn checkpoints_are_bounded() {
        let (mut eng, mut m) = fresh();
        eng.set_checkpoints(2, 3);
        eng.run(&mut m, RunLimits::default());
        let cps = eng.checkpoints();
        assert_eq!(cps.len(), 3);
        assert_eq!(cps[0].events, 2);
        assert_eq!(cps[2].events, 6);
        assert_eq!(cps[2].time, SimTime(500));
    }
}

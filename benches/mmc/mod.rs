//! The M/M/c queue used by the engine benchmark, in two implementations that do the same
//! work with the same random numbers:
//!
//! - [`run_engine`]: a [`sim::Model`] run by [`sim::Engine`] (digest, cancellable-timer
//!   bookkeeping, run limits: everything a real run pays for);
//! - [`run_baseline`]: a minimal hand-written loop over
//!   `BinaryHeap<(Reverse(time_ns), Reverse(seq), event)>`.
//!
//! Both feed events to the same [`MmcState::handle`], which draws from the streams
//! `"mmc/arrivals"` and `"mmc/service"`. Events pop in the same (time, sequence) order in
//! both, so the draws happen in the same order and the results are bit-identical.
//!
//! Deliberately deterministic: integer nanosecond time, no hash maps, no wall clock.
//! This file depends only on `sim`, so a test can include it with
//! `#[path = "../benches/mmc/mod.rs"] mod mmc;`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use sim::{
    Digest, Dist, Engine, EventQueue, Model, RngStream, RunLimits, SimDuration, SimTime, StopReason,
};

/// Parameters of one M/M/c run.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Number of servers c.
    pub servers: u32,
    /// Utilisation ρ = λ / (c·μ).
    pub rho: f64,
    /// Mean service time 1/μ in nanoseconds.
    pub mean_service_ns: f64,
    /// Customers to generate; each causes one arrival and one departure event.
    pub customers: u64,
    /// Master seed of the random streams.
    pub seed: u64,
}

impl Params {
    /// The benchmark's model: c = 8, ρ = 0.9, mean service 1 ms.
    pub fn bench(customers: u64) -> Self {
        Params {
            servers: 8,
            rho: 0.9,
            mean_service_ns: 1_000_000.0,
            customers,
            seed: 42,
        }
    }

    /// Arrival rate λ per nanosecond.
    pub fn lambda(&self) -> f64 {
        self.rho * self.servers as f64 / self.mean_service_ns
    }

    /// Mean interarrival time 1/λ in nanoseconds.
    pub fn mean_interarrival_ns(&self) -> f64 {
        1.0 / self.lambda()
    }

    /// Erlang C mean waiting time in queue, W_q, in nanoseconds.
    pub fn erlang_c_wait_ns(&self) -> f64 {
        let c = self.servers as f64;
        let a = self.rho * c; // offered load λ/μ in Erlangs
        let mut term = 1.0; // a^k / k!
        let mut sum = 0.0;
        for k in 0..self.servers {
            sum += term;
            term *= a / (k as f64 + 1.0);
        }
        // term is now a^c / c!
        let tail = term * c / (c - a);
        let prob_wait = tail / (sum + tail);
        let mu = 1.0 / self.mean_service_ns;
        prob_wait / (c * mu - self.lambda())
    }
}

/// The model's events. `Ord` only because the baseline's heap tuple needs it; the
/// (time, seq) prefix is always unique, so the event is never compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ev {
    /// A customer arrives.
    Arrival,
    /// A server finishes a customer.
    Departure,
}

impl sim::Event for Ev {
    fn kind(&self) -> &'static str {
        match self {
            Ev::Arrival => "arrival",
            Ev::Departure => "departure",
        }
    }
    #[inline]
    fn digest_into(&self, d: &mut Digest) {
        d.write_u64(match self {
            Ev::Arrival => 1,
            Ev::Departure => 2,
        });
    }
}

/// The queue's state and its event handler, shared by both implementations.
pub struct MmcState {
    free_servers: u32,
    /// Arrival times (ns) of waiting customers, first come first served.
    waiting: VecDeque<u64>,
    arrivals_left: u64,
    arrival_rng: RngStream,
    service_rng: RngStream,
    interarrival: Dist,
    service: Dist,
    wait_sum_ns: u64,
    served: u64,
}

impl MmcState {
    /// A fresh, idle queue.
    pub fn new(p: &Params) -> Self {
        MmcState {
            free_servers: p.servers,
            waiting: VecDeque::with_capacity(4096),
            arrivals_left: p.customers,
            arrival_rng: RngStream::new(p.seed, "mmc/arrivals", 0),
            service_rng: RngStream::new(p.seed, "mmc/service", 0),
            interarrival: Dist::Exp {
                mean: p.mean_interarrival_ns(),
            },
            service: Dist::Exp {
                mean: p.mean_service_ns,
            },
            wait_sum_ns: 0,
            served: 0,
        }
    }

    #[inline]
    fn draw_interarrival(&mut self) -> u64 {
        SimDuration::from_nanos_f64(self.interarrival.sample(&mut self.arrival_rng)).0
    }

    #[inline]
    fn draw_service(&mut self) -> u64 {
        SimDuration::from_nanos_f64(self.service.sample(&mut self.service_rng)).0
    }

    /// Time of the first arrival (ns), or `None` for zero customers. Call once, first.
    pub fn first_arrival(&mut self) -> Option<u64> {
        if self.arrivals_left == 0 {
            return None;
        }
        self.arrivals_left -= 1;
        Some(self.draw_interarrival())
    }

    /// Handles `ev` at `now` (ns); `schedule(at, ev)` adds a future event.
    #[inline(always)]
    pub fn handle(&mut self, now: u64, ev: Ev, mut schedule: impl FnMut(u64, Ev)) {
        match ev {
            Ev::Arrival => {
                if self.arrivals_left > 0 {
                    self.arrivals_left -= 1;
                    let gap = self.draw_interarrival();
                    schedule(now + gap, Ev::Arrival);
                }
                if self.free_servers > 0 {
                    self.free_servers -= 1;
                    let s = self.draw_service();
                    schedule(now + s, Ev::Departure);
                } else {
                    self.waiting.push_back(now);
                }
            }
            Ev::Departure => {
                self.served += 1;
                if let Some(arrived) = self.waiting.pop_front() {
                    self.wait_sum_ns += now - arrived;
                    let s = self.draw_service();
                    schedule(now + s, Ev::Departure);
                } else {
                    self.free_servers += 1;
                }
            }
        }
    }

    /// Customers served so far.
    pub fn served(&self) -> u64 {
        self.served
    }

    /// Mean time in queue (ns) over the customers served so far.
    pub fn mean_wait_ns(&self) -> f64 {
        if self.served == 0 {
            0.0
        } else {
            self.wait_sum_ns as f64 / self.served as f64
        }
    }
}

/// What a run produced; equal across implementations by construction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// Events processed (arrivals + departures).
    pub events: u64,
    /// Customers served.
    pub served: u64,
    /// Mean wait in queue, ns.
    pub mean_wait_ns: f64,
}

/// [`MmcState`] as a [`sim::Model`].
pub struct MmcModel(pub MmcState);

impl Model for MmcModel {
    type Event = Ev;
    #[inline]
    fn handle(&mut self, now: SimTime, ev: Ev, queue: &mut EventQueue<Ev>) {
        self.0
            .handle(now.0, ev, |at, e| queue.schedule_at(SimTime(at), e));
    }
}

/// Runs the M/M/c model on [`sim::Engine`] until every customer has left.
pub fn run_engine(p: &Params) -> Outcome {
    let mut state = MmcState::new(p);
    let mut engine: Engine<Ev> = Engine::new();
    if let Some(t) = state.first_arrival() {
        engine.queue.schedule_at(SimTime(t), Ev::Arrival);
    }
    let mut model = MmcModel(state);
    let stop = engine.run(&mut model, RunLimits::default());
    assert_eq!(stop, StopReason::QueueEmpty);
    Outcome {
        events: engine.events_processed(),
        served: model.0.served(),
        mean_wait_ns: model.0.mean_wait_ns(),
    }
}

/// Runs the same model on a minimal hand-written binary-heap loop (no digest, no
/// cancellation, no limits).
pub fn run_baseline(p: &Params) -> Outcome {
    let mut state = MmcState::new(p);
    let mut heap: BinaryHeap<(Reverse<u64>, Reverse<u64>, Ev)> = BinaryHeap::with_capacity(1024);
    let mut seq = 0u64;
    if let Some(t) = state.first_arrival() {
        heap.push((Reverse(t), Reverse(seq), Ev::Arrival));
        seq += 1;
    }
    let mut events = 0u64;
    while let Some((Reverse(now), _, ev)) = heap.pop() {
        events += 1;
        state.handle(now, ev, |at, e| {
            heap.push((Reverse(at), Reverse(seq), e));
            seq += 1;
        });
    }
    Outcome {
        events,
        served: state.served(),
        mean_wait_ns: state.mean_wait_ns(),
    }
}

//! A user's own model on the engine: an M/M/1 queue (Poisson arrivals, one server with
//! exponential service), checked against queueing theory.
//!
//! Run it with `cargo run --release -p sim --example mm1`. It shows the three things a model
//! needs: an event type that can be digested ([`sim::Event`]), a [`sim::Model`] whose handler
//! schedules further events, and named random streams ([`sim::RngStream`]) with samplers from
//! [`sim::Dist`] so that the same seed gives the same run (and the same digest) on any machine.
//!
//! With arrival rate λ = 80/s and service rate μ = 100/s (ρ = 0.8), the mean time in the
//! system is 1/(μ − λ) = 50 ms; the run prints the measured value next to it.

use sim::{Digest, Dist, Engine, EventQueue, Model, Quantity, RngStream, RunLimits, SimTime};
use std::collections::VecDeque;

/// The model's events.
#[derive(Clone, Copy, Debug)]
enum Ev {
    /// A customer arrives.
    Arrival,
    /// The customer in service leaves.
    Departure,
}

impl sim::Event for Ev {
    fn kind(&self) -> &'static str {
        match self {
            Ev::Arrival => "arrival",
            Ev::Departure => "departure",
        }
    }
    fn digest_into(&self, d: &mut Digest) {
        d.write_u64(match self {
            Ev::Arrival => 1,
            Ev::Departure => 2,
        });
    }
}

/// One server, a FIFO queue of arrival times, and what we measure.
struct Mm1 {
    interarrival: Dist,
    service: Dist,
    arrivals: RngStream,
    services: RngStream,
    /// Arrival times of the customers in the system; the first is in service.
    waiting: VecDeque<SimTime>,
    served: u64,
    total_time_ns: u128,
}

impl Model for Mm1 {
    type Event = Ev;

    fn handle(&mut self, now: SimTime, ev: Ev, queue: &mut EventQueue<Ev>) {
        match ev {
            Ev::Arrival => {
                self.waiting.push_back(now);
                if self.waiting.len() == 1 {
                    self.start_service(queue);
                }
                let gap = self.interarrival.sample(&mut self.arrivals);
                queue.schedule_in(sim::SimDuration::from_nanos_f64(gap), Ev::Arrival);
            }
            Ev::Departure => {
                if let Some(arrived) = self.waiting.pop_front() {
                    self.served += 1;
                    self.total_time_ns += u128::from(now.0 - arrived.0);
                }
                if !self.waiting.is_empty() {
                    self.start_service(queue);
                }
            }
        }
    }
}

impl Mm1 {
    fn start_service(&mut self, queue: &mut EventQueue<Ev>) {
        let s = self.service.sample(&mut self.services);
        queue.schedule_in(sim::SimDuration::from_nanos_f64(s), Ev::Departure);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = 1;
    let mut model = Mm1 {
        // Distributions use the same text syntax as scenario files.
        interarrival: Dist::parse("exp(12.5ms)", Quantity::Duration)?, // λ = 80/s
        service: Dist::parse("exp(10ms)", Quantity::Duration)?,        // μ = 100/s
        // One named stream per source of randomness: adding a stream never shifts another.
        arrivals: RngStream::new(seed, "arrivals", 0),
        services: RngStream::new(seed, "services", 0),
        waiting: VecDeque::new(),
        served: 0,
        total_time_ns: 0,
    };
    let mut engine: Engine<Ev> = Engine::new();
    engine.queue.schedule_at(SimTime::ZERO, Ev::Arrival);
    let limits = RunLimits {
        until: SimTime(sim::SimDuration::from_secs(3_600).as_nanos()),
        max_events: 10_000_000,
        ..RunLimits::default()
    };
    let stop = engine.run(&mut model, limits);
    let mean_ms = model.total_time_ns as f64 / model.served.max(1) as f64 / 1e6;
    println!(
        "M/M/1, λ = 80/s, μ = 100/s, one simulated hour, seed {seed}: stopped ({stop:?}) after {} events",
        engine.events_processed()
    );
    println!(
        "served {} customers; mean time in system {mean_ms:.1} ms (theory: 50.0 ms)",
        model.served
    );
    println!(
        "digest {} (the same on every machine for seed {seed})",
        engine.digest().hex()
    );
    Ok(())
}

//! # sim — tenantsim's deterministic discrete-event engine
//!
//! This crate is the part of tenantsim that knows nothing of tenants, cells or requests.
//! It provides:
//!
//! - [`time`]: simulated time as integer nanoseconds ([`SimTime`], [`SimDuration`]) with
//!   parsing and formatting of human units (`250ms`, `10m`, `1h30m`);
//! - [`queue`]: the event queue, ordered by (time, insertion sequence), with cheap
//!   cancellation of timers;
//! - [`engine`]: the run loop that pops events, feeds them to a [`Model`], hashes them into the
//!   trace [`Digest`] and stops on a time, an empty queue, a predicate or a bound;
//! - [`rng`]: named random streams derived from (seed, stream name, index), each a ChaCha8
//!   stream, so that adding a component never shifts another's random numbers;
//! - [`dist`]: samplers written on raw `u64`s with `libm` (uniform, exponential, normal,
//!   lognormal, Pareto, constant, empirical) and their text syntax (`exp(5ms)`);
//! - [`digest`]: the trace digest, a fixed in-tree hash over every processed event;
//! - [`hist`]: a compact log-bucketed latency histogram with bounded memory;
//! - [`units`]: parsing of rates (`200/s`), percentages (`2%`) and byte sizes (`4KiB`).
//!
//! **Guarantee.** Given the same model, the same seed and the same inputs, a run processes the
//! same events in the same order and produces the same digest, on every machine, in debug or
//! release. Nothing here reads a wall clock, spawns a thread or iterates a hash map.
#![deny(missing_docs)]

pub mod digest;
pub mod dist;
pub mod engine;
pub mod hist;
pub mod queue;
pub mod rng;
pub mod time;
pub mod units;

pub use digest::Digest;
pub use dist::{Dist, Quantity};
pub use engine::{Engine, Event, Model, NoObserver, Observer, RunLimits, StopReason};
pub use hist::LogHistogram;
pub use queue::{EventQueue, TimerKey};
pub use rng::{Bits, RngStream, SplitMix, StreamName};
pub use time::{SimDuration, SimTime};

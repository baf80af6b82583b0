//! Live mode: a scenario's tenants replayed against a real HTTP service, judged by the same
//! SLOs, side by side with the simulation of the same seed; and a reference service to try it
//! on.
//!
//! ```text
//!  scenario ──▶ simulation of the seed (traced) ──▶ arrivals (tenant, class, time)
//!                    │                                     │
//!                    │ simulated summary                   ▼ generator (tokio, hyper)
//!                    ▼                            real service (or `serve-reference`)
//!              --compare table  ◀── live summary ◀── recorder + SLO judge (the model's)
//! ```
//!
//! *Boundary*: tokio, hyper and rusqlite live here and nowhere else; `sim` and `models` stay
//! single-threaded and deterministic. Every `models` item used here is imported in
//! [`model`], the one adapter. A live run is not deterministic (it measures a real system);
//! what is deterministic is what it sends and when (the simulation's arrivals of the seed).

pub mod compare;
pub mod generator;
pub mod judge;
pub mod k6;
pub mod model;
pub mod overlay;
pub mod server;
pub mod spec;

//! # A run, rendered: what `tenantsim run` writes about one run (scenario + seed + variant)
//!
//! ```text
//!  RunSummary + Series ──▶ terminal   the tables printed after a run
//!                     ──▶ csv        timeseries.csv, tenants.csv
//!                     ──▶ charts     one file per chart (latency, outcomes, cells, heatmap,
//!                                    load) on the shared kit in `crate::chart`
//!                     ──▶ html       report.html (its sections: action_timeline, …)
//! ```
//!
//! Every renderer here is a pure function of the recorded data ([`crate::summary`],
//! [`crate::series`]): the same run gives the same bytes.

pub(crate) mod action_timeline;
pub mod charts;
pub mod csv;
pub mod html;
pub(crate) mod rollout_timeline;
pub mod terminal;

//! # reports — what a run produced, and how it is shown
//!
//! This crate owns the *results schema* ([`summary::RunSummary`] and its rows,
//! [`series::Series`]): plain, serialisable data recorded by a run. It renders that data and
//! knows nothing of the model that produced it: it does not depend on `models` or `sim`.
//!
//! | output | module |
//! |---|---|
//! | terminal tables | [`terminal`] |
//! | `summary.json` | [`summary`] |
//! | `timeseries.csv`, `tenants.csv` | [`csv`] |
//! | charts (PNG + SVG) | [`charts`] |
//! | `report.html` | [`html`] |
//! | request traces (Perfetto JSON, JSON lines) | [`trace`] |
//! | `compare.json`, `compare.csv`, `runs.csv`, comparison charts and page | [`compare`], [`compare_charts`], [`compare_html`] |
//!
//! `reports/README.md` documents every file, field and column.
//!
//! **Guarantee.** Rendering is a pure function of its input: the same run gives
//! byte-identical output. Nothing here reads a clock, the environment or the file system
//! (the chart font is embedded); the binary writes the files.
#![deny(missing_docs)]

mod action_timeline;
pub mod charts;
pub mod compare;
pub mod compare_charts;
pub mod compare_html;
pub mod csv;
pub mod data_arch;
pub mod html;
pub mod series;
pub mod showback;
pub mod summary;
pub mod terminal;
#[cfg(test)]
mod testdata;
pub mod trace;

pub use summary::RunSummary;

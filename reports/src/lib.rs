//! # reports — what a run produced, and how it is shown
//!
//! This crate owns the *results schema* ([`summary::RunSummary`] and its rows,
//! [`series::Series`]): plain, serialisable data recorded by a run. It renders that data and
//! knows nothing of the model that produced it: it does not depend on `models` or `sim`.
//!
//! It is grouped by what it renders (`crate::run`, `crate::comparison`, `crate::trace`), on
//! the results schema and a shared chart kit:
//!
//! | product | output | module |
//! |---|---|---|
//! | schema | `summary.json` (its waits: [`waits`]), the series, showback | [`summary`], [`waits`], [`series`], [`showback`] |
//! | a run | terminal tables | [`run::terminal`] |
//! | a run | `timeseries.csv`, `tenants.csv` | [`run::csv`] |
//! | a run | charts (PNG + SVG), one file per chart | [`run::charts`] |
//! | a run | `report.html` | [`run::html`] |
//! | a comparison | `compare.json`, `compare.csv`, `runs.csv`, table | [`comparison`] |
//! | a comparison | its charts and page | [`comparison::charts`], [`comparison::html`] |
//! | a trace | the Trace data, Perfetto JSON, JSON lines | [`trace`] |
//! | (kit) | font, palette, chart frame, PNG encoder | [`chart`] |
//!
//! The paths from before the grouping (`reports::charts`, `reports::compare`,
//! `reports::html`, …) are re-exports of these.
//!
//! `reports/README.md` documents every file, field and column.
//!
//! **Guarantee.** Rendering is a pure function of its input: the same run gives
//! byte-identical output. Nothing here reads a clock, the environment or the file system
//! (the chart font is embedded); the binary writes the files.
#![deny(missing_docs)]

pub mod chart;
pub mod comparison;
pub mod data_arch;
mod format;
pub mod run;
pub mod series;
pub mod showback;
pub mod summary;
#[cfg(test)]
mod testdata;
pub mod trace;
pub mod waits;

// The paths callers used before `reports` was grouped by product (session 6), kept so that
// callers change little: `reports::charts` is `reports::run::charts`, and so on.
pub use comparison as compare;
pub use comparison::charts as compare_charts;
pub use comparison::html as compare_html;
pub use run::{charts, csv, html, terminal};
pub use summary::RunSummary;

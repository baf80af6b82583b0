//! # reports — what a run produced, and how it is shown
//!
//! This crate owns the *results schema* ([`summary::RunSummary`] and its rows): plain,
//! serialisable data recorded by a run. It renders that data (terminal tables, JSON) and
//! knows nothing of the model that produced it: it does not depend on `models` or `sim`.
//!
//! **Guarantee.** Rendering is a pure function of the summary: the same summary gives
//! byte-identical output. Nothing here reads a clock or the environment.
#![deny(missing_docs)]

pub mod series;
pub mod summary;
pub mod terminal;

pub use summary::RunSummary;

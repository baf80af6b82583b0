//! # models — the multi-tenant platform tenantsim simulates
#![deny(missing_docs)]

pub mod breaker;
pub mod retry;
pub mod scheduler;
pub mod token_bucket;
pub mod scenario;
pub mod db;
pub mod outcome;
pub mod platform;
pub mod population;
pub mod record;
pub mod run;
pub mod slab;
pub mod slo;

//! `tenantsim shrink FILE --seed N --slo NAME --out min.toml`: the smallest scenario in which
//! the named SLO still fails on that seed. The engine is `models::harness::shrink`; its
//! runner is the `shrink` service, which `explore --shrink` and `check --explore` use too.

use crate::cli::ShrinkArgs;

/// Runs `tenantsim shrink`; returns the exit code.
pub fn shrink(a: ShrinkArgs) -> i32 {
    crate::service::shrink::shrink(a)
}

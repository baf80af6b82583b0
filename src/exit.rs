//! Exit codes and the guard that turns a panic (a broken assertion: a bug) into exit 3.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Every SLO passed.
pub const OK: i32 = 0;
/// An SLO failed (or, for `check`, an expectation was not met).
pub const SLO_FAILED: i32 = 1;
/// Invalid input: a scenario file or a flag.
pub const INVALID_INPUT: i32 = 2;
/// An internal invariant broke.
pub const INTERNAL: i32 = 3;

/// Runs `f`; a panic becomes exit code 3 with a note asking for a bug report.
pub fn guard(f: impl FnOnce() -> i32) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(code) => code,
        Err(_) => {
            eprintln!(
                "tenantsim: internal error: an invariant of the model broke (this is a bug in tenantsim, not in your scenario).\n\
                 Please report it with the repro command and the message above."
            );
            INTERNAL
        }
    }
}

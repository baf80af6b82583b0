//! A drawn recurrence period: `every = "exp(10m)"` on a `[[faults]]` entry.
//!
//! A fixed `every = "10m"` repeats a fault with that period; a drawn one draws each gap
//! afresh from the fault's own stream (`fault/NAME`, after the lengths drawn before it), so
//! recurrences arrive like a renewal process (`exp`: a Poisson process of faults). Each gap
//! is at least [`MIN_DRAWN_PERIOD`] and a fault with a drawn period recurs at most
//! [`MAX_RECURRENCES`] times, so a distribution that can draw tiny gaps cannot flood the run
//! with copies. A fixed period draws nothing and is unchanged.
//!
//! **Checked** (file:line:column): a drawn period whose smallest possible value is at or
//! past the run's end never recurs (an error, as for a fixed period longer than the run); a
//! distribution whose mean is 0 or not finite is refused.

use super::Checker;
use sim::{Dist, SimDuration};
use std::ops::Range;

/// The smallest gap a drawn period gives.
pub const MIN_DRAWN_PERIOD: SimDuration = SimDuration(1_000_000_000);

/// Most recurrences of one fault with a drawn period.
pub const MAX_RECURRENCES: usize = 10_000;

/// The smallest gap `dist` can give (its lower bound, at least [`MIN_DRAWN_PERIOD`]): the
/// `every` recorded for reports and the checks.
pub fn period_floor(dist: &Dist) -> SimDuration {
    let low = match dist {
        Dist::Const(v) => *v,
        Dist::Uniform { lo, .. } => *lo,
        Dist::Pareto { scale, .. } => *scale,
        Dist::Empirical { values, .. } => values.iter().copied().fold(f64::INFINITY, f64::min),
        Dist::Exp { .. } | Dist::LogNormal { .. } | Dist::Normal { .. } => 0.0,
    };
    let low = if low.is_finite() { low.max(0.0) } else { 0.0 };
    SimDuration((low as u64).max(MIN_DRAWN_PERIOD.0))
}

/// Checks a drawn `every` of fault `name` in a run of `duration`.
pub(super) fn check_drawn(
    c: &mut Checker,
    span: Range<usize>,
    name: &str,
    dist: &Dist,
    duration: SimDuration,
) {
    match dist.mean() {
        Some(m) if m.is_finite() && m > 0.0 => {}
        _ => c.err(
            span.clone(),
            format!(
                "fault `{name}`: a drawn `every` needs a finite mean above 0s, e.g. \"exp(10m)\""
            ),
        ),
    }
    let floor = period_floor(dist);
    if floor >= duration {
        c.err(
            span,
            format!(
                "fault `{name}` recurs every {} at the least, not within the run ({duration})",
                floor
            ),
        );
    }
}

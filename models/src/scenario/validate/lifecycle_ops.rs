//! The operator's lifecycle operations on the fault timeline (`suspend`, `resume`,
//! `destroy`, `restore`): the checks that need the whole timeline.
//!
//! - An operation happens at an instant: `for` or `until` on one is an error (its effect
//!   lasts until another operation undoes it).
//! - A `restore` needs a `destroy` of the same tenant before it, and a `resume` a `suspend`
//!   (or `suspend_tenant`) before it; otherwise it could only ever be skipped. Faults whose
//!   tenant or start is drawn from the seed are not checked here (the run records a skipped
//!   operation as an action).

use super::super::draw_values::DurOrDrawn;
use super::super::schema::FaultConfig;
use super::super::Checker;
use crate::fault::LifecycleOp;

/// A fault's fixed start, if it has one.
fn fixed_at(f: &FaultConfig) -> Option<u64> {
    match f.at.as_ref()?.get_ref() {
        DurOrDrawn::Fixed(d) => Some(d.as_nanos()),
        DurOrDrawn::Drawn(_) => None,
    }
}

/// Checks the lifecycle operations among `raw` (errors located at their keys).
pub(in crate::scenario) fn check(c: &mut Checker, raw: &[FaultConfig]) {
    for (i, f) in raw.iter().enumerate() {
        let Some(op) = LifecycleOp::from_name(f.kind.get_ref()) else {
            continue;
        };
        let name = f
            .name
            .as_ref()
            .map(|n| n.get_ref().clone())
            .unwrap_or_else(|| format!("{}-{}", op.name(), i + 1));
        let window = f
            .for_
            .as_ref()
            .map(|x| ("for", x.span()))
            .or(f.until.as_ref().map(|x| ("until", x.span())));
        if let Some((key, span)) = window {
            c.err(
                span,
                format!(
                    "fault `{name}` ({}) is an operation at an instant; remove `{key}`: its effect lasts until another operation undoes it",
                    op.name()
                ),
            );
        }
        let needs: &[&str] = match op {
            LifecycleOp::Restore => &["destroy"],
            LifecycleOp::Resume => &["suspend", "suspend_tenant"],
            LifecycleOp::Suspend | LifecycleOp::Destroy => continue,
        };
        let (Some(tenant), Some(at)) = (f.tenant.as_ref(), fixed_at(f)) else {
            continue;
        };
        let before = raw.iter().enumerate().any(|(j, g)| {
            needs.contains(&g.kind.get_ref().as_str())
                && g.tenant.as_ref().map(|x| x.get_ref()) == Some(tenant.get_ref())
                && match fixed_at(g) {
                    Some(t) => t < at || (t == at && j < i),
                    None => true, // drawn: it may come first
                }
        });
        if !before {
            c.err(
                f.kind.span(),
                format!(
                    "fault `{name}` ({}) of tenant `{}` has no `{}` of that tenant before it; add one, or remove the {}",
                    op.name(),
                    tenant.get_ref(),
                    needs[0],
                    op.name()
                ),
            );
        }
    }
}

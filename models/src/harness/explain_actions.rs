//! The control plane in `explain`: which of its actions fall in a failing interval, and the
//! counterfactual without one kind of action (`explain --without rebalance`: "what if the
//! rebalancer had not moved anyone?").
//!
//! **Actions in an interval.** An action (from `control.actions` of the run's summary) is
//! named when its span — start to outcome — overlaps the interval; at most [`MAX_NAMED`]
//! are listed, in the order they finished, then a count of the rest.
//!
//! **Without a kind.** The scenario is rerun on the same seed with the loop or the part of
//! it that takes that kind of action turned off: `evacuate` (no evacuation), `fail_back`
//! (evacuated tenants stay), `reconcile` (no reconciler), `rebalance` or `promote` (the
//! rebalancer decides as before but does not make that kind of move), `migrate` (the scripted
//! `tenant_migration` faults are disabled), `scale_out` (the spare cells stay dark),
//! `scale_up` or `scale_down` (the worker autoscaler decides as before but makes no change
//! of that direction), and the lifecycle operations `suspend`, `resume`, `destroy`,
//! `restore` (their faults are disabled). Everything else — placement, every tenant's
//! random streams — is unchanged, so the difference is what those actions did.
//!
//! Guarantees: a kind this release does not know is an error listing the known ones, never a
//! silent no-op; the original scenario is never modified (the rerun uses a copy).

use crate::fault::FaultKind;
use crate::scenario::control_plane::AfterRecovery;
use crate::scenario::Scenario;
use reports::summary::ActionRow;
use sim::SimTime;

/// Most actions named per interval.
pub const MAX_NAMED: usize = 10;

/// Action kinds `--without` can disable.
pub const KINDS: &[&str] = &[
    "evacuate",
    "fail_back",
    "reconcile",
    "rebalance",
    "promote",
    "migrate",
    "scale_out",
    "scale_up",
    "scale_down",
    "suspend",
    "resume",
    "destroy",
    "restore",
];

/// The actions of `actions` whose span overlaps `[from, to]`, as lines of text (at most
/// [`MAX_NAMED`], then "… and N more").
pub fn in_interval(actions: &[ActionRow], from: SimTime, to: SimTime) -> Vec<String> {
    let (a, b) = (from.as_secs_f64(), to.as_secs_f64());
    let hits: Vec<&ActionRow> = actions
        .iter()
        .filter(|x| x.t <= b && x.t + x.duration_s >= a)
        .collect();
    let mut out: Vec<String> = hits
        .iter()
        .take(MAX_NAMED)
        .map(|x| {
            format!(
                "{} at {:.1}s: {}{}{} ({}, {:.1} s) — {}",
                x.kind,
                x.t,
                x.tenant
                    .as_deref()
                    .map(|t| format!("tenant {t} "))
                    .unwrap_or_default(),
                x.cell.map(|c| format!("cell {c}")).unwrap_or_default(),
                x.to.map(|c| format!(" → cell {c}")).unwrap_or_default(),
                x.outcome,
                x.duration_s,
                x.reason
            )
        })
        .collect();
    if hits.len() > MAX_NAMED {
        out.push(format!("… and {} more", hits.len() - MAX_NAMED));
    }
    out
}

/// `sc` with the actions of `kind` turned off, and the fault indices to disable (scripted
/// migrations); an unknown kind is an error naming the known ones.
pub fn without(sc: &Scenario, kind: &str) -> Result<(Scenario, Vec<usize>), String> {
    let mut s = sc.clone();
    let mut faults = Vec::new();
    let cp = &mut s.control_plane;
    match kind {
        "evacuate" => cp.evacuation = None,
        "fail_back" => {
            if let Some(e) = cp.evacuation.as_mut() {
                e.after_recovery = AfterRecovery::Stay;
            }
        }
        "reconcile" => cp.reconcile = None,
        "rebalance" => {
            if let Some(r) = cp.rebalance.as_mut() {
                r.allow_rebalance = false;
            }
        }
        "promote" => {
            if let Some(r) = cp.rebalance.as_mut() {
                r.allow_promote = false;
            }
        }
        "migrate" => {
            faults = sc
                .faults
                .iter()
                .enumerate()
                .filter(|(_, f)| matches!(f.kind, FaultKind::TenantMigration { .. }))
                .map(|(i, _)| i)
                .collect()
        }
        "scale_out" => {
            // The spare cells stay dark: the fleet that does not grow.
            if let Some(so) = cp.scale_out.as_mut() {
                so.enabled = false;
            }
        }
        "scale_up" => {
            // The worker autoscaler decides as before but adds no worker.
            if let Some(a) = cp.autoscale.as_mut() {
                a.allow_scale_up = false;
            }
        }
        "scale_down" => {
            if let Some(a) = cp.autoscale.as_mut() {
                a.allow_scale_down = false;
            }
        }
        op @ ("suspend" | "resume" | "destroy" | "restore") => {
            faults = sc
                .faults
                .iter()
                .enumerate()
                .filter(
                    |(_, f)| matches!(&f.kind, FaultKind::TenantOp { op: o, .. } if o.name() == op),
                )
                .map(|(i, _)| i)
                .collect()
        }
        other => {
            return Err(format!(
                "`{other}` is not an action kind (known: {})",
                KINDS.join(", ")
            ))
        }
    }
    Ok((s, faults))
}

#[cfg(test)]
mod tests {
    //! Goal: actions are named by overlap, bounded; unknown kinds are errors. Method: a few
    //! hand-made rows.
    use super::*;

    fn row(t: f64, d: f64) -> ActionRow {
        ActionRow {
            t,
            kind: "promote".into(),
            tenant: Some("rocket".into()),
            cell: Some(0),
            to: Some(2),
            reason: "cell 0 hot".into(),
            outcome: "moved".into(),
            duration_s: d,
        }
    }

    #[test]
    fn actions_overlapping_the_interval_are_named_and_bounded() {
        let rows = vec![row(10.0, 5.0), row(30.0, 70.0), row(200.0, 0.0)];
        let got = in_interval(&rows, SimTime(60_000_000_000), SimTime(120_000_000_000));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("promote at 30.0s: tenant rocket cell 0 → cell 2 (moved, 70.0 s)"),
            "{}",
            got[0]
        );
        let many: Vec<ActionRow> = (0..15).map(|i| row(i as f64, 1.0)).collect();
        let got = in_interval(&many, SimTime::ZERO, SimTime(100_000_000_000));
        assert_eq!(got.len(), MAX_NAMED + 1);
        assert_eq!(got[MAX_NAMED], "… and 5 more");
    }
}

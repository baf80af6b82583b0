//! What the acting control plane did, as data: a bounded log of its actions (time, kind,
//! tenant or cell, reason, outcome, duration) and a complete count per kind.
//!
//! Only *automatic* actions are recorded (evacuations, fail-backs; later reconciles,
//! rebalances, scaling): the operations a scenario scripts (provisioning bursts, suspensions,
//! migrations) have their own records. A run in which nothing acts has an empty log and the
//! summary shows no `control.actions` key at all, so such runs are unchanged.
//!
//! Guarantees: the log keeps the first [`MAX_ACTIONS`] actions in the order they finished
//! (then only counts); recording allocates nothing until the first action, draws no random
//! number and schedules no event.

use super::Platform;
use sim::SimTime;
use std::collections::BTreeMap;

/// Most actions kept in the log (the counts go on).
pub const MAX_ACTIONS: usize = 1000;

/// One control-plane action.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    /// When it started.
    pub start: SimTime,
    /// When it finished (its outcome was known).
    pub end: SimTime,
    /// What kind: `evacuate`, `fail_back`.
    pub kind: &'static str,
    /// The tenant it acted on, if any.
    pub tenant: Option<u32>,
    /// The cell it concerned (for a move: the source cell).
    pub cell: Option<u32>,
    /// The destination cell of a move.
    pub to: Option<u32>,
    /// Why (`cell 3 dead`).
    pub reason: String,
    /// `moved`, `no_capacity`, `skipped`, ...
    pub outcome: &'static str,
}

/// The bounded log and the counts per `kind/outcome`.
#[derive(Clone, Debug, Default)]
pub struct ActionLog {
    /// The first [`MAX_ACTIONS`] actions.
    pub log: Vec<Action>,
    /// Actions per kind (all of them).
    pub by_kind: BTreeMap<&'static str, u64>,
    /// Actions per (kind, outcome) (all of them).
    pub by_outcome: BTreeMap<(&'static str, &'static str), u64>,
    /// Actions past the bound (counted, not kept).
    pub dropped: u64,
}

impl ActionLog {
    /// Records one finished action.
    pub fn record(&mut self, a: Action) {
        *self.by_kind.entry(a.kind).or_insert(0) += 1;
        *self.by_outcome.entry((a.kind, a.outcome)).or_insert(0) += 1;
        if self.log.len() < MAX_ACTIONS {
            self.log.push(a);
        } else {
            self.dropped += 1;
        }
    }

    /// Actions recorded (kept or not).
    pub fn total(&self) -> u64 {
        self.by_kind.values().sum()
    }
}

impl Platform {
    /// Records a finished control-plane action and shows it in the trace (as an instant of
    /// its tenant, or of its cell).
    pub(super) fn record_action(&mut self, a: Action) {
        if let Some(tr) = self.tracer.as_deref_mut() {
            let args = || {
                vec![
                    ("kind", a.kind.into()),
                    ("reason", a.reason.clone().into()),
                    ("outcome", a.outcome.into()),
                    (
                        "from",
                        a.cell
                            .map_or(serde_json::Value::Null, serde_json::Value::from),
                    ),
                    (
                        "to",
                        a.to.map_or(serde_json::Value::Null, serde_json::Value::from),
                    ),
                    ("duration_s", a.end.since(a.start).as_secs_f64().into()),
                ]
            };
            match a.tenant {
                Some(t) => {
                    if tr.wants_tenant(a.end, t, self.tenant_cell[t as usize]) {
                        tr.tenant_event(a.end, t, "control_action", args());
                    }
                }
                None => {
                    if let Some(c) = a.cell {
                        tr.cell_action(a.end, c, args());
                    }
                }
            }
        }
        self.ctl.actions.record(a);
    }
}

#[cfg(test)]
mod tests {
    //! Goal: the log is bounded and its counts are complete. Method: record more than the
    //! bound and compare kept, dropped and counted.
    use super::*;

    fn act(i: u64) -> Action {
        Action {
            start: SimTime(i),
            end: SimTime(i + 1),
            kind: if i.is_multiple_of(2) {
                "evacuate"
            } else {
                "fail_back"
            },
            tenant: Some(i as u32),
            cell: Some(0),
            to: Some(1),
            reason: "cell 0 dead".into(),
            outcome: "moved",
        }
    }

    #[test]
    fn the_log_is_bounded_and_the_counts_complete() {
        let mut l = ActionLog::default();
        for i in 0..(MAX_ACTIONS as u64 + 10) {
            l.record(act(i));
        }
        assert_eq!(l.log.len(), MAX_ACTIONS);
        assert_eq!(l.dropped, 10);
        assert_eq!(l.total(), MAX_ACTIONS as u64 + 10);
        assert_eq!(l.by_kind["evacuate"], (MAX_ACTIONS as u64 + 10) / 2);
        assert_eq!(
            l.by_outcome[&("fail_back", "moved")],
            (MAX_ACTIONS as u64 + 10) / 2
        );
        assert_eq!(l.log[3], act(3));
    }
}

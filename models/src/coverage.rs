//! # Coverage: the catalogue of states a run can reach
//!
//! A game day that passes proves little if the mechanism it tests never acted: a limiter that
//! never throttled, a breaker that never opened. A scenario declares the states that must be
//! reached at least once across its seeds (`[explore] coverage = ["edge.throttled", …]`);
//! `check` reports which were, and a passing expectation whose coverage was not reached is
//! NOT MET (vacuous); `explore` prints how often each state was reached.
//!
//! Every state is read from a run's [`RunSummary`] (counters the run keeps anyway), so
//! coverage costs the run nothing. [`STATES`] is the one list; `scenarios/README.md`
//! documents it.

use reports::summary::RunSummary;

/// A reachable state: its name, what it means, and whether a run reached it.
pub type State = (&'static str, &'static str, fn(&RunSummary) -> bool);

fn cause(s: &RunSummary, names: &[&str]) -> bool {
    names
        .iter()
        .any(|n| s.total.causes.get(*n).is_some_and(|&v| v > 0))
}

/// The catalogue, in the order reports list it.
pub const STATES: [State; 18] = [
    (
        "edge.throttled",
        "a request was rejected 429 by a tenant's rate limit",
        |s| s.total.outcomes.rejected_429 > 0,
    ),
    (
        "queue.shed",
        "a cell shed a request (queue full or queue timeout)",
        |s| cause(s, &["queue_full", "queue_timeout"]),
    ),
    (
        "admission.rejected",
        "global admission control refused a request",
        |s| cause(s, &["admission"]),
    ),
    (
        "breaker.opened",
        "a DB circuit breaker failed a request fast",
        |s| cause(s, &["breaker_open"]),
    ),
    (
        "retry_budget.exhausted",
        "a client's retry budget refused a retry",
        |s| s.control.retries_denied_by_budget > 0,
    ),
    (
        "retry.amplified",
        "clients retried (attempts exceeded requests)",
        |s| s.total.outcomes.attempts > s.total.outcomes.offered,
    ),
    ("db.timeout", "a DB query or pool wait timed out", |s| {
        cause(s, &["db_timeout", "db_pool_timeout"])
    }),
    (
        "dependency.failed",
        "a dependency error reached a client",
        |s| cause(s, &["dependency_error"]),
    ),
    (
        "cell.declared_dead",
        "the failure detector marked a cell dead",
        |s| s.control.cell_events.iter().any(|e| e.2),
    ),
    (
        "cell.down",
        "a request failed because its cell was down",
        |s| cause(s, &["cell_down"]),
    ),
    (
        "routes.stale_served",
        "the edge served from an expired route",
        |s| s.control.stale_routes_served > 0,
    ),
    ("kms.failed", "a KMS call failed", |s| {
        s.control.kms_failures > 0
    }),
    (
        "jobs.dead_lettered",
        "a job ended in the dead-letter queue",
        |s| s.control.jobs_dlq > 0,
    ),
    (
        "misrouted.rejected",
        "a cell rejected a misrouted write",
        |s| s.control.misrouted_writes_rejected > 0,
    ),
    (
        "metastable",
        "the metastability detector flagged a fault",
        |s| s.metastable_faults().next().is_some(),
    ),
    ("slo.breached", "an SLO failed", |s| !s.passed),
    (
        "evacuation",
        "the acting control plane evacuated a cell",
        |s| {
            s.control
                .action_counts
                .get("evacuate")
                .is_some_and(|&n| n > 0)
        },
    ),
    (
        "rollout.halted",
        "a rollout's gate halted it (or rolled it back)",
        |s| {
            s.rollouts.iter().any(|r| {
                matches!(
                    r.outcome.as_str(),
                    "halted" | "rolled_back" | "rolling_back"
                )
            })
        },
    ),
];

/// Whether `name` is in the catalogue.
pub fn known(name: &str) -> bool {
    STATES.iter().any(|(n, _, _)| *n == name)
}

/// Every state's name, in catalogue order.
pub fn names() -> Vec<&'static str> {
    STATES.iter().map(|(n, _, _)| *n).collect()
}

/// The states a run reached, in catalogue order.
pub fn reached(s: &RunSummary) -> Vec<&'static str> {
    STATES
        .iter()
        .filter(|(_, _, f)| f(s))
        .map(|(n, _, _)| *n)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: each state is read from the summary field it names. Method: an empty summary
    /// reaches nothing but `slo.breached` (it did not pass); setting a counter reaches its
    /// state.
    #[test]
    fn states_follow_their_counters() {
        let mut s = RunSummary {
            passed: true,
            ..Default::default()
        };
        assert!(reached(&s).is_empty());
        s.total.outcomes.rejected_429 = 1;
        s.control.cell_events.push((1.0, 0, true));
        s.total.causes.insert("breaker_open".into(), 3);
        assert_eq!(
            reached(&s),
            vec!["edge.throttled", "breaker.opened", "cell.declared_dead"]
        );
        assert!(known("metastable") && !known("nope"));
        s.control.action_counts.insert("evacuate".into(), 1);
        s.rollouts.push(reports::summary::RolloutRow {
            outcome: "halted".into(),
            ..Default::default()
        });
        let r = reached(&s);
        assert!(
            r.contains(&"evacuation") && r.contains(&"rollout.halted"),
            "{r:?}"
        );
        assert!(!r.contains(&"retry_budget.exhausted"));
        s.control.retries_denied_by_budget = 1;
        assert!(reached(&s).contains(&"retry_budget.exhausted"));
    }
}

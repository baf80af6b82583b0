//! # Faults triggered by a condition on the model's state (`when`)
//!
//! A `[[faults]]` entry with `when = "CONDITION"` does not start at a time: it is *armed* at
//! its start (`at`, `after`, or the run's start) and starts at the first *poll* (every `poll`,
//! default 1s, from the arming time) at which the condition holds; it then lasts its `for`.
//! It fires at most once; a condition that never holds leaves it unfired, which the summary
//! says (`faults[].resolved`). This is how a cascade is written: "when the failure detector
//! has declared a cell dead, the KMS goes down", "when cell 2 is 90% busy, it loses half its
//! workers", "while a rollout is running waves, the control plane goes down".
//!
//! ```text
//!  armed (at) ──poll──poll──poll (holds) ═══ fault active for `for` ═══▶ ended
//!              ConditionPolled events (digest code 70), none after it fired
//! ```
//!
//! A condition is one or more clauses joined by `and` (all must hold). A clause is a
//! *state* (`evacuation`, `rollout`, `cell_dead`, `cell_dead(2)`, `control_plane_down`) or
//! a *metric* compared with a threshold (`cell_utilisation > 90%`, `queue_length(1) >= 50`).
//! A cell metric or state without a cell holds when it holds on any cell.
//!
//! | clause | holds when |
//! |---|---|
//! | `cell_utilisation OP P%` | busy workers ÷ the cell's current workers, at most 100% (a cell with none left counts as 100% busy) |
//! | `queue_length OP N` | requests waiting in the cell's queue |
//! | `cell_dead` | the failure detector has declared the cell dead |
//! | `evacuation` | the control plane has tenants queued or moving off a dead cell (or back) |
//! | `rollout` | a staged rollout is running its waves (started, not halted, rolled back or done) |
//! | `control_plane_down` | the control plane is down (a `control_plane_outage` is active) |
//!
//! **Guarantees.**
//! - Deterministic: a condition reads the model's state at the poll and draws nothing. The
//!   polls are events of their own (digest code 70) scheduled only for faults with `when`:
//!   a scenario without `when` schedules none and keeps its digest.
//! - `when` survives the resolution of drawn parts ([`crate::fault_draw`]) and is written
//!   literally by [`crate::harness::explore_literal`], so a literal schedule replays the same
//!   polls and the same digest.
//! - The window the fault actually had is what its summary row, verdicts and recovery time
//!   are computed on ([`crate::harness::when_fired::fired`]). An SLO window cannot name a `when` fault (its window is not
//!   known before the run; the checker says so, exit 2), nor can another fault's `after`.

use sim::{SimDuration, SimTime};

/// Default time between two polls of a condition.
pub const DEFAULT_POLL: SimDuration = SimDuration(1_000_000_000);

/// Comparison of a metric with its threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }

    /// Whether `v OP threshold`.
    pub fn holds(self, v: f64, threshold: f64) -> bool {
        match self {
            Op::Gt => v > threshold,
            Op::Ge => v >= threshold,
            Op::Lt => v < threshold,
            Op::Le => v <= threshold,
        }
    }
}

/// A metric a clause compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Busy workers ÷ workers of a cell (a fraction, 0..=1).
    CellUtilisation,
    /// Requests waiting in a cell's queue.
    QueueLength,
}

/// One clause of a condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Clause {
    /// `METRIC(CELL) OP VALUE`; `cell` `None`: on any cell.
    Compare {
        /// The metric.
        metric: Metric,
        /// Its cell, or any.
        cell: Option<u32>,
        /// The comparison.
        op: Op,
        /// The threshold (utilisation as a fraction).
        value: f64,
    },
    /// A cell declared dead by the failure detector (`cell` `None`: any).
    CellDead {
        /// Its cell, or any.
        cell: Option<u32>,
    },
    /// An evacuation under way.
    Evacuation,
    /// A rollout running its waves.
    Rollout,
    /// The control plane down.
    ControlPlaneDown,
}

/// A fault's trigger: its condition and how often it is polled.
#[derive(Clone, Debug, PartialEq)]
pub struct When {
    /// Clauses that must all hold.
    pub clauses: Vec<Clause>,
    /// Time between polls.
    pub poll: SimDuration,
    /// The condition as written (for reports and the literal schedule).
    pub text: String,
}

/// The names a clause may start with, for messages.
pub const CLAUSES: &str = "cell_utilisation OP P%, queue_length OP N, cell_dead, evacuation, rollout, control_plane_down (a cell metric or state may name its cell: cell_utilisation(2) > 90%); join clauses with `and`";

/// Parses a condition (`"cell_utilisation(2) > 90% and evacuation"`); `cells` is the
/// platform's cell count. The error says what is wrong and what is accepted.
pub fn parse(text: &str, cells: u32) -> Result<Vec<Clause>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("`when` is empty; conditions are: {CLAUSES}"));
    }
    t.split(" and ").map(|c| clause(c.trim(), cells)).collect()
}

/// One clause.
fn clause(text: &str, cells: u32) -> Result<Clause, String> {
    let ops = [(">=", Op::Ge), ("<=", Op::Le), (">", Op::Gt), ("<", Op::Lt)];
    let split = ops
        .iter()
        .filter_map(|&(s, op)| text.find(s).map(|at| (at, s, op)))
        .min_by_key(|&(at, s, _)| (at, std::cmp::Reverse(s.len())));
    let (lhs, cmp) = match split {
        Some((at, s, op)) => (text[..at].trim(), Some((op, text[at + s.len()..].trim()))),
        None => (text.trim(), None),
    };
    let bare = text
        .replace(">=", "")
        .replace("<=", "")
        .replace("cell=", "");
    if bare.contains('=') {
        return Err(format!(
            "`{text}`: compare with >, >=, < or <= (a level is never exactly reached)"
        ));
    }
    let (name, cell) = name_and_cell(lhs, cells)?;
    let needs_cmp = |what: &str| -> Result<(Op, &str), String> {
        cmp.ok_or_else(|| {
            format!(
                "`{text}`: {what} needs a threshold, e.g. `{name} > {}`",
                if name == "queue_length" { "50" } else { "90%" }
            )
        })
    };
    let no_cmp = |c: Clause| -> Result<Clause, String> {
        match cmp {
            Some(_) => Err(format!(
                "`{text}`: `{name}` is a state, not a metric; write it alone (`{name}`)"
            )),
            None => Ok(c),
        }
    };
    let no_cell = |c: Clause| -> Result<Clause, String> {
        match cell {
            Some(_) => Err(format!("`{text}`: `{name}` takes no cell")),
            None => no_cmp(c),
        }
    };
    match name {
        "cell_utilisation" | "cell_utilization" => {
            let (op, v) = needs_cmp("a utilisation")?;
            let pct = v.strip_suffix('%').map(str::trim);
            let value = match pct {
                Some(p) => p.parse::<f64>().ok().map(|x| x / 100.0),
                None => v.parse::<f64>().ok(),
            }
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("`{text}`: `{v}` is not a utilisation like `90%` or `0.9`"))?;
            let never = match op {
                Op::Gt => value >= 1.0,
                Op::Lt => value <= 0.0,
                Op::Ge | Op::Le => false,
            };
            if never || !(0.0..=1.0).contains(&value) {
                return Err(format!(
                    "`{text}` can never hold: a utilisation lies in 0%..100%"
                ));
            }
            Ok(Clause::Compare {
                metric: Metric::CellUtilisation,
                cell,
                op,
                value,
            })
        }
        "queue_length" => {
            let (op, v) = needs_cmp("a queue length")?;
            let value = v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0 && x.fract() == 0.0)
                .ok_or_else(|| format!("`{text}`: `{v}` is not a whole number of requests ≥ 0"))?;
            if matches!(op, Op::Lt) && value == 0.0 {
                return Err(format!(
                    "`{text}` can never hold: a queue is never shorter than 0"
                ));
            }
            Ok(Clause::Compare {
                metric: Metric::QueueLength,
                cell,
                op,
                value,
            })
        }
        "cell_dead" => no_cmp(Clause::CellDead { cell }),
        "evacuation" => no_cell(Clause::Evacuation),
        "rollout" => no_cell(Clause::Rollout),
        "control_plane_down" => no_cell(Clause::ControlPlaneDown),
        other => Err(format!(
            "unknown condition `{other}`; conditions are: {CLAUSES}"
        )),
    }
}

/// `name` or `name(CELL)`, the cell checked against `cells`.
fn name_and_cell(lhs: &str, cells: u32) -> Result<(&str, Option<u32>), String> {
    let Some(open) = lhs.find('(') else {
        return Ok((lhs, None));
    };
    let Some(inner) = lhs[open + 1..].strip_suffix(')') else {
        return Err(format!("`{lhs}` is missing its closing `)`"));
    };
    let inner = inner.trim();
    let inner = inner.strip_prefix("cell=").unwrap_or(inner).trim();
    let cell: u32 = inner
        .parse()
        .map_err(|_| format!("`{lhs}`: `{inner}` is not a cell number"))?;
    if cell >= cells {
        return Err(format!(
            "`{lhs}`: cell {cell} does not exist; cells are 0..{}",
            cells.saturating_sub(1)
        ));
    }
    Ok((lhs[..open].trim(), Some(cell)))
}

impl Clause {
    /// The clause as it can be written back.
    pub fn to_text(&self) -> String {
        let cell = |c: &Option<u32>| c.map(|c| format!("({c})")).unwrap_or_default();
        match self {
            Clause::Compare {
                metric: Metric::CellUtilisation,
                cell: c,
                op,
                value,
            } => format!(
                "cell_utilisation{} {} {}%",
                cell(c),
                op.text(),
                value * 100.0
            ),
            Clause::Compare {
                metric: Metric::QueueLength,
                cell: c,
                op,
                value,
            } => format!("queue_length{} {} {value}", cell(c), op.text()),
            Clause::CellDead { cell: c } => format!("cell_dead{}", cell(c)),
            Clause::Evacuation => "evacuation".into(),
            Clause::Rollout => "rollout".into(),
            Clause::ControlPlaneDown => "control_plane_down".into(),
        }
    }
}

/// What the run did with each `when` fault: `(fault index, the time it fired)`, `None` when
/// its condition never held while it was armed.
pub type Fired = Vec<(usize, Option<SimTime>)>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: the documented conditions parse, write back, and each class of mistake is
    /// refused with a reason. Method: parse each form and each mistake.
    #[test]
    fn conditions_parse_and_mistakes_are_refused() {
        let c = parse("cell_utilisation > 90%", 4).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c,
            vec![Clause::Compare {
                metric: Metric::CellUtilisation,
                cell: None,
                op: Op::Gt,
                value: 0.9
            }]
        );
        let c = parse("queue_length(2) >= 50 and evacuation", 4).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].to_text(), "queue_length(2) >= 50");
        assert_eq!(c[1], Clause::Evacuation);
        for ok in [
            "cell_dead",
            "cell_dead(3)",
            "rollout",
            "control_plane_down",
            "cell_utilisation(cell=1) <= 0.5",
        ] {
            let c = parse(ok, 4).unwrap_or_else(|e| panic!("{ok}: {e}"));
            let again = c
                .iter()
                .map(Clause::to_text)
                .collect::<Vec<_>>()
                .join(" and ");
            assert_eq!(parse(&again, 4), Ok(c), "{ok} → {again}");
        }
        for bad in [
            "",
            "cpu > 90%",
            "cell_utilisation > 120%",
            "cell_utilisation > 100%",
            "cell_utilisation < 0%",
            "cell_utilisation",
            "cell_utilisation(7) > 50%",
            "cell_utilisation(x) > 50%",
            "cell_utilisation > lots",
            "queue_length > 2.5",
            "queue_length < 0",
            "queue_length == 3",
            "evacuation > 1",
            "rollout(2)",
            "cell_dead(1",
        ] {
            assert!(parse(bad, 4).is_err(), "`{bad}` accepted");
        }
    }

    /// Goal: a comparison means what it says at its boundary. Method: each operator at,
    /// below and above its threshold.
    #[test]
    fn operators_at_the_boundary() {
        assert!(Op::Ge.holds(0.9, 0.9) && !Op::Gt.holds(0.9, 0.9));
        assert!(Op::Le.holds(0.9, 0.9) && !Op::Lt.holds(0.9, 0.9));
        assert!(Op::Gt.holds(1.0, 0.9) && Op::Lt.holds(0.1, 0.9));
    }
}

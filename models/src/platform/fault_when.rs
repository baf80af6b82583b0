//! # Faults started by a condition: polling the model's state (`when`)
//!
//! A fault with `when` ([`crate::fault_when`]) is not started by a `FaultStarted` event at a
//! time: [`Ev::ConditionPolled`] is scheduled at its arming time and again every `poll` until
//! the condition holds; then the fault starts at once (the same effect as `FaultStarted`) and
//! its `FaultEnded` is scheduled `for` later. No poll is scheduled after it fired, or past the
//! run's end.
//!
//! **Determinism and cost.** A poll reads cells, the failure detector's view, the evacuator,
//! the rollouts and the control plane; it draws nothing and changes nothing until the fault
//! fires. A scenario without `when` has no trigger, schedules no poll and pays nothing.
//! A fault removed for a counterfactual (`explain --without`) keeps polling and "fires" (its
//! events keep their shape) but does nothing, like any disabled fault.

use super::{Ev, Platform};
use crate::fault::Fault;
use crate::fault_when::{Clause, Fired, Metric, When};
use sim::{EventQueue, SimDuration, SimTime};

/// Runtime state of a fault started by a condition.
pub(super) struct WhenRt {
    when: When,
    /// How long it lasts once fired (its `for`).
    len: SimDuration,
    /// When it fired, once it has.
    fired: Option<SimTime>,
}

/// The trigger of `f` at run time (`None` for a timed fault).
pub(super) fn runtime(f: &Fault) -> Option<Box<WhenRt>> {
    f.when.as_deref().map(|w| {
        Box::new(WhenRt {
            when: w.clone(),
            len: SimDuration(f.end.0.saturating_sub(f.start.0)),
            fired: None,
        })
    })
}

impl Platform {
    /// A triggered fault's condition is due: fire it if the condition holds, else poll again.
    pub(super) fn on_condition_polled(&mut self, now: SimTime, fault: u32, q: &mut EventQueue<Ev>) {
        let Some(mut w) = self.faults[fault as usize].when.take() else {
            return;
        };
        let fire = w.fired.is_none() && self.condition_holds(&w.when.clauses);
        if fire {
            w.fired = Some(now);
            q.schedule_at(now.after(w.len), Ev::FaultEnded { fault });
        } else if w.fired.is_none() {
            let next = now.after(w.when.poll);
            if next < self.end {
                q.schedule_at(next, Ev::ConditionPolled { fault });
            }
        }
        self.faults[fault as usize].when = Some(w);
        if fire {
            self.on_fault(now, fault, true, q);
        }
    }

    /// Whether every clause holds now.
    fn condition_holds(&self, clauses: &[Clause]) -> bool {
        clauses.iter().all(|c| self.clause_holds(c))
    }

    fn clause_holds(&self, c: &Clause) -> bool {
        let cells = |cell: &Option<u32>| -> std::ops::Range<usize> {
            match cell {
                Some(c) => *c as usize..(*c as usize + 1).min(self.cells.len()),
                None => 0..self.cells.len(),
            }
        };
        match c {
            Clause::Compare {
                metric,
                cell,
                op,
                value,
            } => cells(cell).any(|i| {
                let x = &self.cells[i];
                let v = match metric {
                    Metric::CellUtilisation if x.workers == 0 => 1.0,
                    Metric::CellUtilisation => (x.busy as f64 / x.workers as f64).min(1.0),
                    Metric::QueueLength => x.queued() as f64,
                };
                op.holds(v, *value)
            }),
            Clause::CellDead { cell } => cells(cell).any(|i| self.ctl.dead[i]),
            Clause::Evacuation => self.ctl.evac.as_deref().is_some_and(|e| e.under_way()),
            Clause::Rollout => self.rollouts.as_deref().is_some_and(|r| r.running()),
            Clause::ControlPlaneDown => !self.ctl.up,
        }
    }

    /// What the run did with each fault started by a condition (empty, allocating nothing,
    /// when there is none): see [`crate::harness::when_fired::fired`].
    pub fn when_fired(&self) -> Fired {
        self.faults
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.when.as_deref().map(|w| (i, w.fired)))
            .collect()
    }
}

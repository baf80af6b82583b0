//! Per-tenant DB CPU budgets on the request path (`[db_governance] cpu_budget`, see
//! `scenario::db_budget`).
//!
//! ```text
//!  query (admitted by the concurrency and statement limits) ─▶ its tenant's window
//!     ├─ nothing spent yet, or its work fits in what is left ─▶ charged ─▶ on to the DB
//!     └─ past the budget ─┬─ refuse: 503 `db_throttled` (that tenant alone)
//!                         └─ delay: waits (holding its worker) in its tenant's FIFO line
//!                            until the next window opens (`DbBudgetRenewed`), then admitted
//!                            in order while the new window's budget lasts
//! ```
//!
//! Windows are fixed, `[k·W, (k+1)·W)` from t = 0, per tenant. A statement is charged its
//! own work (the `db_time` drawn for it) when admitted, whether or not it then runs to the
//! end; the work a data architecture adds (planning, connects) is not charged. A delayed
//! query never overtakes an earlier delayed one of its tenant. Nothing here draws a random
//! number; a tenant with a delay line has at most one pending `DbBudgetRenewed` event.
//! Without a budget the runtime is inert (nothing allocated): its only cost is one branch
//! behind the bulkheads' branch.

use super::{Ev, Platform};
use crate::component::outcome::{Cause, Outcome};
use crate::component::slab::Id;
use crate::population::Population;
use crate::scenario::Scenario;
use sim::{EventQueue, SimTime};
use std::collections::VecDeque;

/// One tenant's budget, in ns.
#[derive(Clone, Copy, Debug)]
struct Limit {
    budget: u64,
    window: u64,
    delay: bool,
}

/// The DB CPU budgets of a run.
pub struct BudgetRt {
    /// Whether any tenant has a budget.
    pub on: bool,
    limit: Vec<Option<Limit>>,
    /// Per tenant: the window its `used` counts, and the work charged in it (ns).
    window: Vec<u64>,
    used: Vec<u64>,
    /// Per tenant: delayed queries (attempt, work ns), FIFO.
    delayed: Vec<VecDeque<(Id, u64)>>,
    /// Per tenant: a `DbBudgetRenewed` event is pending.
    armed: Vec<bool>,
    /// Statements refused past a budget.
    pub refused: u64,
    /// Statements delayed to a later window.
    pub delayed_count: u64,
}

/// What the budget says of a statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Go,
    Refuse,
    Delay,
}

impl BudgetRt {
    /// The budgets of `sc` for `pop` (none: inert).
    pub fn build(sc: &Scenario, pop: &Population) -> BudgetRt {
        let g = &sc.db_governance;
        let limit: Vec<Option<Limit>> = if g.per_tier.iter().any(|l| l.cpu_budget.is_some()) {
            pop.tenants
                .iter()
                .map(|t| {
                    g.per_tier[t.tier].cpu_budget.map(|b| Limit {
                        budget: b.budget.as_nanos(),
                        window: b.window.as_nanos().max(1),
                        delay: b.delay,
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        let n = limit.len();
        BudgetRt {
            on: n > 0,
            limit,
            window: vec![0; n],
            used: vec![0; n],
            delayed: (0..n).map(|_| VecDeque::new()).collect(),
            armed: vec![false; n],
            refused: 0,
            delayed_count: 0,
        }
    }

    /// Charges `work` to tenant `t` at `now` if it fits (its window moved on first).
    fn fits(&mut self, now: SimTime, t: usize, l: Limit, work: u64) -> bool {
        let w = now.0 / l.window;
        if w != self.window[t] {
            self.window[t] = w;
            self.used[t] = 0;
        }
        if self.used[t] == 0 || self.used[t].saturating_add(work) <= l.budget {
            self.used[t] = self.used[t].saturating_add(work);
            true
        } else {
            false
        }
    }

    fn judge(&mut self, now: SimTime, t: u32, work: u64) -> Verdict {
        let i = t as usize;
        let Some(l) = self.limit[i] else {
            return Verdict::Go;
        };
        if l.delay && !self.delayed[i].is_empty() {
            return Verdict::Delay;
        }
        if self.fits(now, i, l, work) {
            Verdict::Go
        } else if l.delay {
            Verdict::Delay
        } else {
            Verdict::Refuse
        }
    }

    /// When tenant `t`'s next window opens after `now`.
    fn next_window(&self, now: SimTime, t: usize) -> SimTime {
        let w = self.limit[t].map_or(1, |l| l.window);
        SimTime((now.0 / w + 1).saturating_mul(w))
    }
}

impl Platform {
    /// The budget of `att`'s query of `work` ns (tenant `t`): returns whether it goes on
    /// now; if not, it was refused (`db_throttled`, its attempt ended) or delayed.
    pub(super) fn budget_query(
        &mut self,
        now: SimTime,
        att: Id,
        (t, work): (u32, u64),
        q: &mut EventQueue<Ev>,
    ) -> bool {
        match self.gov.budget.judge(now, t, work) {
            Verdict::Go => true,
            Verdict::Refuse => {
                self.gov.budget.refused += 1;
                self.gov.throttled += 1;
                self.end_attempt(now, att, Outcome::Failed(Cause::DbThrottled), true, q);
                false
            }
            Verdict::Delay => {
                let b = &mut self.gov.budget;
                let i = t as usize;
                b.delayed[i].push_back((att, work));
                b.delayed_count += 1;
                if !b.armed[i] {
                    b.armed[i] = true;
                    let at = b.next_window(now, i);
                    q.schedule_in(at.since(now), Ev::DbBudgetRenewed { tenant: t });
                }
                if let Some(tr) = self.tracer.as_deref_mut() {
                    tr.phase(now, att, "db_budget_wait");
                }
                false
            }
        }
    }

    /// Tenant `t`'s next window opened: its delayed queries (whose attempts still exist)
    /// go on in order while the window's budget lasts; the rest wait for the next one.
    pub(super) fn on_db_budget_renewed(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        let i = t as usize;
        self.gov.budget.armed[i] = false;
        let Some(l) = self.gov.budget.limit[i] else {
            return;
        };
        while let Some(&(att, work)) = self.gov.budget.delayed[i].front() {
            let Some(a) = self.attempts.get(att) else {
                self.gov.budget.delayed[i].pop_front();
                continue;
            };
            let (cell, class) = (a.cell as usize, a.class);
            if !self.gov.budget.fits(now, i, l, work) {
                break;
            }
            self.gov.budget.delayed[i].pop_front();
            let writes = self.classes[class as usize].writes;
            self.query_admitted(now, att, (cell, work, t, writes, class), q);
        }
        let b = &mut self.gov.budget;
        if !b.delayed[i].is_empty() {
            b.armed[i] = true;
            let at = b.next_window(now, i);
            q.schedule_in(at.since(now), Ev::DbBudgetRenewed { tenant: t });
        }
    }
}

#[cfg(test)]
mod tests {
    //! Goal: the admission rule is the documented one. Method: a runtime built by hand,
    //! statements of known work against a budget of 100 per window of 1,000.
    use super::*;

    fn rt(delay: bool) -> BudgetRt {
        BudgetRt {
            on: true,
            limit: vec![Some(Limit {
                budget: 100,
                window: 1_000,
                delay,
            })],
            window: vec![0],
            used: vec![0],
            delayed: vec![VecDeque::new()],
            armed: vec![false],
            refused: 0,
            delayed_count: 0,
        }
    }

    #[test]
    fn statements_are_admitted_while_their_work_fits_then_refused_until_the_next_window() {
        let mut b = rt(false);
        let v: Vec<Verdict> = [40, 60, 1, 500]
            .iter()
            .map(|&w| b.judge(SimTime(10), 0, w))
            .collect();
        assert_eq!(
            v,
            vec![Verdict::Go, Verdict::Go, Verdict::Refuse, Verdict::Refuse]
        );
        // A new window: a statement larger than the whole budget still runs when first.
        assert_eq!(b.judge(SimTime(1_000), 0, 500), Verdict::Go);
        assert_eq!(b.judge(SimTime(1_999), 0, 1), Verdict::Refuse);
        assert_eq!(b.next_window(SimTime(1_999), 0), SimTime(2_000));
        assert_eq!(b.next_window(SimTime(2_000), 0), SimTime(3_000));
    }

    #[test]
    fn a_delayed_line_is_never_overtaken() {
        let mut b = rt(true);
        assert_eq!(b.judge(SimTime(0), 0, 100), Verdict::Go);
        assert_eq!(b.judge(SimTime(1), 0, 50), Verdict::Delay);
        b.delayed[0].push_back((Id::from_word(1), 50));
        // It would fit in a new window, but the line is not empty: it queues behind.
        assert_eq!(b.judge(SimTime(1_500), 0, 10), Verdict::Delay);
    }
}

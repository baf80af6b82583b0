//! The invariant "a dead cell serves nothing", checked on every attempt that ends Ok.
//!
//! `platform::cell_down` makes a dead cell fail the work it holds. This module checks the
//! result independently of that mechanism: it keeps, per cell, the instant its latest
//! outage began, and when an attempt that a cell's worker served ends Ok it asks two
//! questions that use nothing of `cell_down`'s stamps:
//!
//! ```text
//!   is the cell down right now?                         ──► served by a dead cell
//!   did an outage of the cell begin after the attempt
//!   reached the cell (strictly after its arrival)?      ──► served across an outage
//! ```
//!
//! The first attempt that breaks it is kept ([`ServedDead`]: when, whose, which cell, since
//! when it was on the cell); the run's summary carries it and
//! [`crate::harness::invariants`] reports it.
//!
//! **Guarantees.** Nothing is read or written until the run's first outage begins (the
//! check sits behind `cell_down.begun`, one predictable branch per Ok end); no event, no
//! draw, no allocation on the request path (the per-cell vector is sized at the first
//! outage). An outage that begins at the very instant an attempt arrives is not held
//! against it (the order of same-instant events decides, and either order is legal).
//!
//! **Test hook.** `TENANTSIM_INJECT=dead_cell_serves` ([`crate::harness::run::Inject`])
//! brings back the defect `cell_down` fixed (attempts in service when their cell dies end
//! as if nothing happened), so that the invariant can be seen to fire.

use sim::SimTime;

/// The first attempt served Ok by a dead cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServedDead {
    /// When it ended Ok.
    pub at: SimTime,
    /// Its tenant (population index).
    pub tenant: u32,
    /// The cell that served it.
    pub cell: u32,
    /// When it reached the cell.
    pub arrived: SimTime,
    /// When the cell's latest outage began.
    pub outage_began: SimTime,
}

/// Per-run state of the check.
#[derive(Debug, Default)]
pub struct DeadServedWatch {
    /// Per cell: when its latest outage began (`None`: never down).
    began: Vec<Option<SimTime>>,
    /// The first violation.
    pub first: Option<ServedDead>,
    /// Test hook: attempts in service are not failed when their cell dies.
    pub inject_bug: bool,
}

impl DeadServedWatch {
    /// An outage of `cell` begins at `now`.
    pub fn outage_began(&mut self, now: SimTime, cell: u32) {
        let c = cell as usize;
        if c >= self.began.len() {
            self.began.resize(c + 1, None);
        }
        self.began[c] = Some(now);
    }

    /// An attempt of `tenant` that reached `cell` at `arrived` ended Ok at `now`; `down`
    /// says whether the cell is down now. Keeps the first violation.
    pub fn served_ok(
        &mut self,
        now: SimTime,
        tenant: u32,
        cell: u32,
        arrived: SimTime,
        down: bool,
    ) {
        if self.first.is_some() {
            return;
        }
        let began = self.began.get(cell as usize).copied().flatten();
        let across = began.is_some_and(|b| b > arrived);
        if down || across {
            self.first = Some(ServedDead {
                at: now,
                tenant,
                cell,
                arrived,
                outage_began: began.unwrap_or(now),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: the watch flags an Ok end on a down cell and one across an outage, and nothing
    /// else. Method: cell 1 goes down at 10 s; Ok ends before, across, during, and of an
    /// attempt that arrived after the outage began (cell up again).
    #[test]
    fn flags_ok_on_a_dead_cell_and_across_an_outage_only() {
        let s = |n: u64| SimTime(n * 1_000_000_000);
        let mut w = DeadServedWatch::default();
        w.served_ok(s(5), 0, 1, s(4), false);
        assert_eq!(w.first, None, "no outage yet");
        w.outage_began(s(10), 1);
        w.served_ok(s(12), 0, 0, s(9), false);
        assert_eq!(w.first, None, "another cell");
        w.served_ok(s(21), 0, 1, s(10), false);
        assert_eq!(w.first, None, "arrived at the instant the outage began");
        w.served_ok(s(21), 0, 1, s(20), false);
        assert_eq!(
            w.first, None,
            "arrived after the outage began, cell up again"
        );
        w.served_ok(s(11), 3, 1, s(9), false);
        assert_eq!(
            w.first,
            Some(ServedDead {
                at: s(11),
                tenant: 3,
                cell: 1,
                arrived: s(9),
                outage_began: s(10)
            })
        );
        let mut w = DeadServedWatch::default();
        w.served_ok(s(11), 2, 0, s(11), true);
        assert!(w.first.is_some_and(|f| f.tenant == 2), "down right now");
    }
}

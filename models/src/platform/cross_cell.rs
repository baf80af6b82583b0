//! Synchronous cross-cell calls on the request path (`cell_call` of a class, see
//! `scenario::cross_cell`).
//!
//! ```text
//!  worker: CPU ─▶ dependency calls ─▶ call cell R (holding the worker) ─▶ own DB queries
//!                                      │ R dead (now, or when the answer comes) ─▶ 5xx `unreachable`
//!                                      │ R's DB: waits for a connection, shares the cores
//!                                      │   statement timeout ─▶ 5xx `db_timeout`
//!                                      └   acquire timeout   ─▶ 5xx `db_pool_timeout`
//! ```
//!
//! A call is a query of the class's `db_time` on the remote cell's primary DB (the work the
//! remote service does for it), so the caller's latency and failures follow the remote
//! cell's: a hot tenant or a degraded DB in cell R slows every caller in every cell, and a
//! dead R fails them — damage that crosses cells, which the fault's blast radius counts.
//! The call's work is drawn from a SplitMix sub-stream of the attempt's own seed salted for
//! cell calls (a new stream: no existing draw moves) and metered as the caller's DB work.
//! A call whose caller gave up meanwhile still runs to its end at R (its connection is held
//! and released like any query's). Nothing is built without a `cell_call`: the only cost
//! for other scenarios is the branch that reaches `next_call`.

use super::{DbToken, Ev, Platform};
use crate::component::db::QueryEnd;
use crate::component::outcome::{Cause, Outcome};
use crate::component::slab::Id;
use crate::scenario::Scenario;
use sim::{Dist, EventQueue, SimTime, SplitMix};

/// Salt of the cell-call sub-stream of an attempt (distinct from every other salt).
const CALL_SALT: u64 = 0xCE11_CA11_5EED_0075;

/// The cross-cell calls of a run.
pub struct CellCallsRt {
    /// Whether any class calls another cell.
    pub on: bool,
    /// Per class: the cell it calls and the remote work.
    per_class: Vec<Option<(u32, Dist)>>,
    /// Calls made.
    pub calls: u64,
    /// Calls failed because the remote cell was dead.
    pub unreachable: u64,
}

impl CellCallsRt {
    /// The calls of `sc`'s classes (none: inert, nothing allocated).
    pub fn build(sc: &Scenario) -> CellCallsRt {
        let on = sc.classes.iter().any(|c| c.cell_call.is_some());
        CellCallsRt {
            on,
            per_class: if on {
                sc.classes
                    .iter()
                    .map(|c| c.cell_call.as_ref().map(|k| (k.cell, k.db_time.clone())))
                    .collect()
            } else {
                Vec::new()
            },
            calls: 0,
            unreachable: 0,
        }
    }
}

impl Platform {
    /// Whether `att`, having made `calls_done` dependency calls of `n`, owes its class's
    /// cell call now.
    pub(super) fn cell_call_due(&self, class: u16, calls_done: u8, n: usize) -> bool {
        self.cell_calls.on
            && calls_done as usize == n
            && self
                .cell_calls
                .per_class
                .get(class as usize)
                .is_some_and(Option::is_some)
    }

    /// `att` calls its class's remote cell: fails at once if that cell is dead, else its
    /// query goes to the remote DB.
    pub(super) fn cell_call(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        let Some(a) = self.attempts.get_mut(att) else {
            return;
        };
        let Some((remote, dist)) = self.cell_calls.per_class[a.class as usize].as_ref() else {
            return;
        };
        let remote = *remote;
        let mut rng = SplitMix(sim::digest::mix64(a.chance.0 ^ CALL_SALT));
        let work = dist.sample(&mut rng).max(0.0) as u64;
        a.db_ns += work;
        self.cell_calls.calls += 1;
        if self.ctl.down[remote as usize] {
            self.cell_calls.unreachable += 1;
            return self.end_attempt(now, att, Outcome::Failed(Cause::Unreachable), true, q);
        }
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.phase(now, att, "cell_call");
        }
        self.cells[remote as usize]
            .db
            .submit(now, DbToken::Remote(att).word(), work);
        self.reschedule_db(now, remote, q);
    }

    /// The remote query of `att`'s call ended at `cell` (its connection already released):
    /// the attempt goes on to its own DB queries, or fails.
    pub(super) fn cell_call_done(
        &mut self,
        now: SimTime,
        cell: u32,
        att: Id,
        end: QueryEnd,
        q: &mut EventQueue<Ev>,
    ) {
        if self.attempts.get(att).is_none() {
            return; // its client gave up, or its attempt ended otherwise
        }
        if self.cell_died_under(att) {
            return self.end_attempt(now, att, Outcome::Failed(Cause::CellDown), true, q);
        }
        let cause = if self.ctl.down[cell as usize] {
            self.cell_calls.unreachable += 1;
            Some(Cause::Unreachable)
        } else {
            match end {
                QueryEnd::Done => None,
                QueryEnd::StatementTimeout => Some(Cause::DbTimeout),
                QueryEnd::AcquireTimeout => Some(Cause::DbPoolTimeout),
            }
        };
        match cause {
            Some(c) => self.end_attempt(now, att, Outcome::Failed(c), true, q),
            None => {
                if let Some(a) = self.attempts.get_mut(att) {
                    a.calls_done = a.calls_done.saturating_add(1);
                }
                self.next_call(now, att, q);
            }
        }
    }
}

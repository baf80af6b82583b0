//! One state machine for every tenant move the control plane makes — a scripted
//! `tenant_migration` or a rebalancer's move or promotion — and what a move costs.
//!
//! ```text
//!  start_move ─▶ migrating: reads at the source, writes dual-written to the target,
//!               backfill of data_size / backfill_rate
//!               [with costs: the backfill takes rate × backfill_db_time of the source DB's
//!                cores (reads) and as much of the target DB's (writes): the bystanders'
//!                DB capacity shrinks for the whole backfill]
//!    ─▶ [with costs] verify (dual writes go on) ─▶ failed (p = verify_failure):
//!                                                   rolled back, the source keeps the tenant
//!    ─▶ cutover (route → target, pushed to the edge) ─▶ final (see `control.rs`)
//! ```
//!
//! **Duplicate writes.** While a tenant is dual-written, a client's *retry* of a write is
//! applied to both copies again although its first attempt may already have been (it timed
//! out at the client, or its answer was lost): every retried write that is dual-written is
//! counted as a duplicate (`control.moves.duplicate_writes` in summary.json) — the writes an
//! idempotency key would have to absorb.
//!
//! **Every move is data.** Each move ends in one action in the action log (kind `migrate`
//! for a scripted one, `rebalance` or `promote` for the rebalancer's, `evacuate` or
//! `fail_back` for evacuation's when moves cost something), outcome `moved` or
//! `rolled_back`, with its start and its end (cutover or rollback).
//!
//! **Off when absent.** Without `[control_plane.migration]` a move costs nothing and is not
//! verified (the model of earlier releases: a scenario that does not set the table keeps its
//! digest); no stream is created and no event added. The per-tenant move records are
//! allocated at the first move. Draws come only from the stream `control/migration`.

use super::actions::Action;
use super::control::MigrationPhase;
use super::{Ev, Platform};
use crate::scenario::moves::MoveCost;
use sim::{EventQueue, RngStream, SimDuration, SimTime};

/// Who asked for a move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveOrigin {
    /// A scripted `tenant_migration`.
    Scripted,
    /// The rebalancer, off a hot cell.
    Rebalance,
    /// The rebalancer, promoting a tenant that outgrew its cell.
    Promote,
    /// Evacuation, off a dead cell (with costs only: `evacuate.rs`).
    Evacuate,
    /// Evacuation's way home to a returned cell (with costs only).
    FailBack,
}

impl MoveOrigin {
    /// The action kind it is logged as.
    pub fn kind(self) -> &'static str {
        match self {
            MoveOrigin::Scripted => "migrate",
            MoveOrigin::Rebalance => "rebalance",
            MoveOrigin::Promote => "promote",
            MoveOrigin::Evacuate => "evacuate",
            MoveOrigin::FailBack => "fail_back",
        }
    }
}

/// A move under way.
#[derive(Clone, Debug)]
pub(super) struct MoveRecord {
    pub(super) origin: MoveOrigin,
    pub(super) start: SimTime,
    pub(super) reason: String,
    /// DB cores its backfill takes at each end (0 without costs or once backfilled).
    load: f64,
}

/// Costs in force (present only with `[control_plane.migration]`).
pub struct MoveCostRt {
    pub(super) cfg: MoveCost,
    /// `control/migration`: verify durations and outcomes.
    rng: RngStream,
    /// DB cores taken by backfills, per cell.
    cell_load: Vec<f64>,
}

/// What the platform knows of moves.
#[derive(Default)]
pub struct Moves {
    /// Costs (`None`: moves are free).
    pub cost: Option<Box<MoveCostRt>>,
    /// Per tenant, the move under way (empty until the first move).
    pub(super) record: Vec<Option<MoveRecord>>,
    /// Retried writes dual-written during a move.
    pub duplicate_writes: u64,
    /// Verifications that failed (each rolled its move back).
    pub verify_failures: u64,
    /// Core-seconds of DB time the backfills took (both ends together).
    pub backfill_core_s: f64,
    /// Moves started.
    pub started: u64,
}

impl Moves {
    /// The moves of a run with `cells` cells: costs only with `cfg`.
    pub(super) fn build(cfg: Option<&MoveCost>, seed: u64, cells: usize) -> Moves {
        Moves {
            cost: cfg.map(|c| {
                Box::new(MoveCostRt {
                    cfg: c.clone(),
                    rng: RngStream::new(seed, "control/migration", 0),
                    cell_load: vec![0.0; cells],
                })
            }),
            ..Moves::default()
        }
    }

    /// The factor on `cell`'s DB capacity from the backfills on it (1 without any; at least
    /// 5%, as for rollouts).
    #[inline]
    pub(super) fn db_factor(&self, cell: u32, cores: f64) -> f64 {
        match self.cost.as_deref() {
            Some(c) if cores > 0.0 => (1.0 - c.cell_load[cell as usize] / cores).max(0.05),
            _ => 1.0,
        }
    }

    /// A restore from backup starts writing into `cell` at `rate` bytes/s: the DB cores it
    /// takes there (`rate × backfill_db_time`, as a move's backfill at its target), or 0
    /// without move costs. The caller recomputes the cell.
    pub(super) fn restore_load_start(&mut self, cell: u32, rate: f64) -> f64 {
        let Some(c) = self.cost.as_deref_mut() else {
            return 0.0;
        };
        let load = rate * c.cfg.db_secs_per_byte;
        c.cell_load[cell as usize] += load;
        load
    }

    /// The restore that took `load` cores of `cell` ended.
    pub(super) fn restore_load_end(&mut self, cell: u32, load: f64) {
        if let Some(c) = self.cost.as_deref_mut() {
            let l = &mut c.cell_load[cell as usize];
            *l = (*l - load).max(0.0);
        }
    }

    /// Whether `t` is moving (backfill, verify or cutover not yet final) under this machine.
    pub fn is_moving(&self, t: u32) -> bool {
        self.record.get(t as usize).is_some_and(|r| r.is_some())
    }

    /// Moves under way that `origin` started.
    pub fn in_flight(&self, origin: impl Fn(MoveOrigin) -> bool) -> u32 {
        self.record
            .iter()
            .flatten()
            .filter(|r| origin(r.origin))
            .count() as u32
    }
}

impl Platform {
    /// Starts moving `t` to `to` with backfill at `rate` bytes/s. Returns false (and does
    /// nothing) when `t` is already there.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn start_move(
        &mut self,
        now: SimTime,
        t: u32,
        to: u32,
        rate: f64,
        reject_misrouted: bool,
        (origin, reason): (MoveOrigin, String),
        q: &mut EventQueue<Ev>,
    ) -> bool {
        let from = self.ctl.route[t as usize];
        if from == to {
            return false;
        }
        self.ctl.migration[t as usize] = Some(MigrationPhase::Migrating { from, to });
        self.ctl.migrations_active += 1;
        self.ctl.reject_misrouted[t as usize] = reject_misrouted;
        let secs = self.data_size[t as usize] / rate;
        let mut load = 0.0;
        if let Some(c) = self.ctl.moves.cost.as_deref_mut() {
            load = rate * c.cfg.db_secs_per_byte;
            c.cell_load[from as usize] += load;
            c.cell_load[to as usize] += load;
        }
        let m = &mut self.ctl.moves;
        if m.record.is_empty() {
            m.record = vec![None; self.ctl.route.len()];
        }
        m.record[t as usize] = Some(MoveRecord {
            origin,
            start: now,
            reason,
            load,
        });
        m.started += 1;
        m.backfill_core_s += 2.0 * load * secs;
        if load > 0.0 {
            self.recompute_cell(now, from, q);
            self.recompute_cell(now, to, q);
        }
        self.trace_tenant(now, t, "migration", || {
            vec![
                ("phase", "migrating".into()),
                ("from", from.into()),
                ("to", to.into()),
                ("by", origin.kind().into()),
            ]
        });
        q.schedule_in(
            SimDuration::from_secs_f64(secs),
            Ev::MigrationBackfilled { tenant: t },
        );
        true
    }

    /// The backfill of `t` (from → to) is done: its DB load ends; with costs, the verify
    /// phase starts (returns true: the cutover waits for [`Ev::MoveVerified`]).
    pub(super) fn move_backfilled(
        &mut self,
        now: SimTime,
        t: u32,
        (from, to): (u32, u32),
        q: &mut EventQueue<Ev>,
    ) -> bool {
        let Some(c) = self.ctl.moves.cost.as_deref_mut() else {
            return false;
        };
        let Some(r) = self
            .ctl
            .moves
            .record
            .get_mut(t as usize)
            .and_then(|r| r.as_mut())
        else {
            return false;
        };
        let load = std::mem::take(&mut r.load);
        for cell in [from, to] {
            let l = &mut c.cell_load[cell as usize];
            *l = (*l - load).max(0.0);
        }
        let d = SimDuration::from_nanos_f64(c.cfg.verify.sample(&mut c.rng).max(0.0));
        let ok = c.rng.next_f64() >= c.cfg.verify_failure;
        if load > 0.0 {
            self.recompute_cell(now, from, q);
            self.recompute_cell(now, to, q);
        }
        self.trace_tenant(now, t, "migration", || {
            vec![
                ("phase", "verifying".into()),
                ("from", from.into()),
                ("to", to.into()),
            ]
        });
        q.schedule_in(d, Ev::MoveVerified { tenant: t, ok });
        true
    }

    /// The verification of `t`'s move ended: cut over, or roll back to the source.
    pub(super) fn on_move_verified(
        &mut self,
        now: SimTime,
        t: u32,
        ok: bool,
        q: &mut EventQueue<Ev>,
    ) {
        if !self.ctl.up {
            q.schedule_in(self.ctl.call_timeout, Ev::MoveVerified { tenant: t, ok });
            return;
        }
        let Some(MigrationPhase::Migrating { from, to }) = self.ctl.migration[t as usize] else {
            return;
        };
        if ok {
            self.migration_cutover(now, t, from, to, q);
            return;
        }
        // Rolled back: the source keeps the tenant, the target drops its copy.
        self.ctl.migration[t as usize] = None;
        self.ctl.moves.verify_failures += 1;
        self.trace_tenant(now, t, "migration", || {
            vec![
                ("phase", "rolled_back".into()),
                ("from", from.into()),
                ("to", to.into()),
            ]
        });
        self.move_done(now, t, from, to, "rolled_back", q);
    }

    /// Logs the end of `t`'s move (cutover or rollback) and forgets it.
    pub(super) fn move_done(
        &mut self,
        now: SimTime,
        t: u32,
        from: u32,
        to: u32,
        outcome: &'static str,
        q: &mut EventQueue<Ev>,
    ) {
        let Some(r) = self
            .ctl
            .moves
            .record
            .get_mut(t as usize)
            .and_then(Option::take)
        else {
            return;
        };
        self.record_action(Action {
            start: r.start,
            end: now,
            kind: r.origin.kind(),
            tenant: Some(t),
            cell: Some(from),
            to: Some(to),
            reason: r.reason,
            outcome,
        });
        match r.origin {
            MoveOrigin::Scripted => {}
            MoveOrigin::Rebalance | MoveOrigin::Promote => {
                self.rebalance_move_ended(now, t, from, outcome == "moved")
            }
            MoveOrigin::Evacuate | MoveOrigin::FailBack => {
                self.evac_move_ended(now, t, outcome == "moved", q)
            }
        }
    }

    /// A write attempt of a dual-written tenant: counts it as a duplicate when it is a retry.
    #[inline(never)]
    pub(super) fn count_dual_write(&mut self, att: crate::component::slab::Id) {
        let Some(a) = self.attempts.get(att) else {
            return;
        };
        if self.requests.get(a.req).is_some_and(|r| r.attempts > 1) {
            self.ctl.moves.duplicate_writes += 1;
        }
    }

    /// `control.moves` for summary.json: `None` when no move was made.
    pub fn moves_row(&self) -> Option<reports::summary::MovesRow> {
        let m = &self.ctl.moves;
        (m.started > 0).then_some(reports::summary::MovesRow {
            started: m.started,
            duplicate_writes: m.duplicate_writes,
            verify_failures: m.verify_failures,
            backfill_db_core_s: m.backfill_core_s,
        })
    }
}

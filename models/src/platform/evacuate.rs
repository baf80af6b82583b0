//! Evacuation: the control plane re-places the tenants of a cell its failure detector
//! declared dead, and (by policy) moves them home when the cell returns.
//!
//! ```text
//!  cell marked dead ──grace (from its last beat)──▶ EvacuationDue(cell)
//!     every tenant routed to it joins the queue ──▶ at most max_in_flight moves at once:
//!     place(policy, live cells, residency, capacity) ─▶ None: action `no_capacity` (stays down)
//!                                                     ─▶ Some(B): move_time ─▶ EvacuationMoved
//!     route → B (version + 1, pushed to the edge), tenant cold on B for `warmup`
//!  cell marked alive ──fail_back──▶ its evacuated tenants queue to move home (cold again)
//! ```
//!
//! **Where a tenant may go.** Re-placement honours residency, capacity and the tenant's
//! cohort `cells` (`allowed_cells.rs`): a tenant restricted to cells that are all dead or
//! full is a `no_capacity` action and stays.
//!
//! **What placement sees.** A move counts on its destination when it *completes*: the
//! policy is shown the tenants that have arrived, not the moves in flight. Moves placed at
//! the same moment therefore see the same view and (under a load-aware policy) pick the same
//! cell: with a large `max_in_flight` the evacuation is a herd onto one cell; a small cap
//! lets each placement see the previous arrivals. That is the trade-off the cap expresses.
//!
//! **Cold arrival.** For `warmup` after a move, the tenant's requests on its new cell take
//! `cold_factor` × their service time and miss the cache (a request whose query would have
//! been a cache hit goes to the DB once). Data keys are cached per cell, so a moved tenant of
//! a class that decrypts also fetches its key from the KMS on its first requests there.
//!
//! **Through the move machine when moves cost.** With `[control_plane.migration]`, an
//! evacuation (or fail-back) move is a move of `move_cost.rs` instead of a `move_time`
//! timer: a backfill of data_size / backfill_rate that loads the destination DB's cores (and
//! the source's: for a dead cell, a DB that serves nobody), a verify phase, and a cutover
//! (route pushed to the edge) or a rollback — after which a tenant whose cell is still dead
//! queues again. The move is logged once, by the move machine (kind `evacuate` or
//! `fail_back`, outcome `moved` or `rolled_back`); the cap, the queue, cold arrival and fail
//! back are the same. Without the table nothing changes (pinned digests hold).
//!
//! **Determinism and cost.** Placement and move times draw from the stream
//! `control/evacuation` only (never from the control plane's own stream). With evacuation
//! off ([`Evacuator`] absent) no event is scheduled and the request path pays one branch on
//! an `Option`. A tenant in a scripted migration is not evacuated. While the control plane is
//! down, due evacuations and finished moves wait and retry every `call_timeout`.

use super::actions::Action;
use super::move_cost::MoveOrigin;
use super::{Ev, Platform};
use crate::component::slab::Id;
use crate::scenario::control_plane::{AfterRecovery, Evacuation};
use sim::{EventQueue, RngStream, SimDuration, SimTime};
use std::collections::VecDeque;

/// Marks a tenant that has not been evacuated (`home`).
const NOT_MOVED: u32 = u32::MAX;

/// Why a move was queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MoveKind {
    /// Off a dead cell.
    Evacuate,
    /// Back to its home cell, which returned.
    FailBack,
}

impl MoveKind {
    fn name(self) -> &'static str {
        match self {
            MoveKind::Evacuate => "evacuate",
            MoveKind::FailBack => "fail_back",
        }
    }
}

/// A move waiting for a slot.
#[derive(Clone, Copy, Debug)]
struct Queued {
    tenant: u32,
    kind: MoveKind,
    /// The cell whose death (or return) caused it.
    cell: u32,
}

/// A move under way.
#[derive(Clone, Copy, Debug)]
struct Moving {
    start: SimTime,
    from: u32,
    to: u32,
    kind: MoveKind,
    cell: u32,
}

/// Runtime state of evacuation (present only when the scenario turns it on).
pub struct Evacuator {
    cfg: Evacuation,
    /// `control/evacuation`: placement draws and move times.
    rng: RngStream,
    /// The cell each evacuated tenant came from ([`NOT_MOVED`]: not evacuated).
    home: Vec<u32>,
    /// Until when each tenant is cold on its current cell.
    pub(super) cold_until: Vec<SimTime>,
    queue: VecDeque<Queued>,
    moving: Vec<Option<Moving>>,
    in_flight: u32,
    /// Requests served cold.
    pub cold_requests: u64,
}

impl Evacuator {
    /// Whether moves are queued or under way (a `when = "evacuation"` condition).
    pub(super) fn under_way(&self) -> bool {
        self.in_flight > 0 || !self.queue.is_empty()
    }

    /// The evacuator of a run with `tenants` tenants, or `None` when evacuation is off.
    pub(super) fn build(cfg: Option<&Evacuation>, seed: u64, tenants: usize) -> Option<Box<Self>> {
        let cfg = cfg?.clone();
        Some(Box::new(Evacuator {
            cfg,
            rng: RngStream::new(seed, "control/evacuation", 0),
            home: vec![NOT_MOVED; tenants],
            cold_until: vec![SimTime::ZERO; tenants],
            queue: VecDeque::new(),
            moving: vec![None; tenants],
            in_flight: 0,
            cold_requests: 0,
        }))
    }
}

impl Evacuator {
    /// How long an arriving tenant stays cold.
    pub(super) fn cfg_warmup(&self) -> SimDuration {
        self.cfg.warmup
    }
}

impl Platform {
    /// The failure detector marked `cell` dead (`dead`) or alive: schedule its evacuation
    /// after the grace, or queue its tenants' way home.
    pub(super) fn evac_cell_health(
        &mut self,
        now: SimTime,
        cell: u32,
        dead: bool,
        q: &mut EventQueue<Ev>,
    ) {
        let Some(ev) = self.ctl.evac.as_deref_mut() else {
            return;
        };
        if dead {
            let due = self.ctl.last_beat[cell as usize].after(ev.cfg.grace);
            q.schedule_at(due.max(now), Ev::EvacuationDue { cell });
            return;
        }
        if ev.cfg.after_recovery != AfterRecovery::FailBack {
            return;
        }
        for t in 0..ev.home.len() as u32 {
            if ev.home[t as usize] == cell && ev.moving[t as usize].is_none() {
                ev.queue.push_back(Queued {
                    tenant: t,
                    kind: MoveKind::FailBack,
                    cell,
                });
            }
        }
        self.evac_pump(now, q);
    }

    /// The grace of a dead cell ran out: queue its tenants.
    pub(super) fn on_evacuation_due(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        if self.ctl.evac.is_none() {
            return;
        }
        if !self.ctl.dead[cell as usize] {
            self.record_action(Action {
                start: now,
                end: now,
                kind: "evacuate",
                tenant: None,
                cell: Some(cell),
                to: None,
                reason: format!("cell {cell} alive again before the grace ran out"),
                outcome: "cancelled",
            });
            return;
        }
        if !self.ctl.up {
            q.schedule_in(self.ctl.call_timeout, Ev::EvacuationDue { cell });
            return;
        }
        let n = self.ctl.route.len() as u32;
        for t in 0..n {
            if self.ctl.route[t as usize] != cell || !self.ctl.known(t) {
                continue;
            }
            if matches!(
                self.ctl.migration[t as usize],
                Some(super::control::MigrationPhase::Migrating { .. })
                    | Some(super::control::MigrationPhase::CutOver { .. })
            ) {
                continue;
            }
            let Some(ev) = self.ctl.evac.as_deref_mut() else {
                return;
            };
            if ev.moving[t as usize].is_some() {
                continue;
            }
            ev.queue.push_back(Queued {
                tenant: t,
                kind: MoveKind::Evacuate,
                cell,
            });
        }
        self.evac_pump(now, q);
    }

    /// The reconciler's repair found `t` on dead `cell` (`reconcile_repair.rs`): queue its
    /// evacuation if the grace is over and it is neither queued nor moving (a tenant an
    /// earlier evacuation could not place, or one created there after it). Whether queued.
    pub(super) fn evac_requeue(
        &mut self,
        now: SimTime,
        t: u32,
        cell: u32,
        q: &mut EventQueue<Ev>,
    ) -> bool {
        let due = self.ctl.last_beat[cell as usize];
        let Some(ev) = self.ctl.evac.as_deref_mut() else {
            return false;
        };
        if now < due.after(ev.cfg.grace)
            || ev.moving[t as usize].is_some()
            || ev.queue.iter().any(|m| m.tenant == t)
        {
            return false;
        }
        ev.queue.push_back(Queued {
            tenant: t,
            kind: MoveKind::Evacuate,
            cell,
        });
        self.evac_pump(now, q);
        true
    }

    /// Starts queued moves while slots are free.
    fn evac_pump(&mut self, now: SimTime, q: &mut EventQueue<Ev>) {
        loop {
            let Some(ev) = self.ctl.evac.as_deref_mut() else {
                return;
            };
            if ev.in_flight >= ev.cfg.max_in_flight {
                return;
            }
            let Some(m) = ev.queue.pop_front() else {
                return;
            };
            let t = m.tenant;
            if ev.moving[t as usize].is_some() {
                // Queued twice (the cell was declared dead twice): one move is enough.
                continue;
            }
            let from = self.ctl.route[t as usize];
            if !self.evac_still_needed(&m, from) {
                let why = if m.kind == MoveKind::Evacuate {
                    "alive again"
                } else {
                    "dead again"
                };
                let reason = format!("cell {} {why}", m.cell);
                self.evac_not_moved(now, &m, from, reason, "cancelled");
                continue;
            }
            let to = match m.kind {
                MoveKind::FailBack => Some(m.cell),
                MoveKind::Evacuate => self.evac_destination(t),
            };
            let reason = match m.kind {
                MoveKind::Evacuate => format!("cell {} dead", m.cell),
                MoveKind::FailBack => format!("cell {} alive again", m.cell),
            };
            match to {
                Some(to) => self.evac_begin(now, &m, (from, to), reason, q),
                None => self.evac_not_moved(now, &m, from, reason, "no_capacity"),
            }
        }
    }

    /// A queued move is still needed when it starts: its tenant is still on the dead cell
    /// (evacuation), or its home cell is still alive and the tenant away from it (fail-back).
    fn evac_still_needed(&self, m: &Queued, from: u32) -> bool {
        let dead = self.ctl.dead[m.cell as usize];
        match m.kind {
            MoveKind::Evacuate => from == m.cell && dead,
            MoveKind::FailBack => {
                let home = self
                    .ctl
                    .evac
                    .as_deref()
                    .is_some_and(|ev| ev.home[m.tenant as usize] == m.cell);
                !dead && from != m.cell && home
            }
        }
    }

    /// Where an evacuated tenant goes: the placement policy over the live cells it may live
    /// on, drawing from `control/evacuation` (`None`: no capacity).
    fn evac_destination(&mut self, t: u32) -> Option<u32> {
        let ctl = &mut self.ctl;
        for (c, v) in ctl.cell_views.iter_mut().enumerate() {
            v.live = !ctl.dead[c];
        }
        ctl.allowed.mask(t, &mut ctl.cell_views);
        let info = ctl.tenant_info[t as usize];
        let ev = ctl.evac.as_deref_mut()?;
        ctl.placement.place(&info, &ctl.cell_views, &mut ev.rng)
    }

    /// Records a queued move that did not start (`outcome`: `cancelled` or `no_capacity`).
    fn evac_not_moved(
        &mut self,
        now: SimTime,
        m: &Queued,
        from: u32,
        reason: String,
        outcome: &'static str,
    ) {
        self.record_action(Action {
            start: now,
            end: now,
            kind: m.kind.name(),
            tenant: Some(m.tenant),
            cell: Some(from),
            to: None,
            reason,
            outcome,
        });
    }

    /// Starts the move of `m`'s tenant `from` → `to`: through the move machine when moves
    /// cost something, otherwise one `EvacuationMoved` after a drawn move time.
    fn evac_begin(
        &mut self,
        now: SimTime,
        m: &Queued,
        (from, to): (u32, u32),
        reason: String,
        q: &mut EventQueue<Ev>,
    ) {
        let t = m.tenant;
        let costed = self.ctl.moves.cost.as_deref().map(|c| c.cfg.backfill_rate);
        let Some(ev) = self.ctl.evac.as_deref_mut() else {
            return;
        };
        ev.in_flight += 1;
        ev.moving[t as usize] = Some(Moving {
            start: now,
            from,
            to,
            kind: m.kind,
            cell: m.cell,
        });
        if let Some(rate) = costed {
            // Moves cost something: the move machine carries it (`move_cost.rs`).
            let origin = match m.kind {
                MoveKind::Evacuate => MoveOrigin::Evacuate,
                MoveKind::FailBack => MoveOrigin::FailBack,
            };
            self.start_move(now, t, to, rate, true, (origin, reason), q);
            return;
        }
        let d = SimDuration::from_nanos_f64(ev.cfg.move_time.sample(&mut ev.rng));
        q.schedule_in(d, Ev::EvacuationMoved { tenant: t });
    }

    /// An evacuation move through the move machine ended (`moved`: cut over; otherwise rolled
    /// back, and an evacuation whose cell is still dead queues again): the slot is free.
    pub(super) fn evac_move_ended(
        &mut self,
        now: SimTime,
        t: u32,
        moved: bool,
        q: &mut EventQueue<Ev>,
    ) {
        let Some(ev) = self.ctl.evac.as_deref_mut() else {
            return;
        };
        let Some(m) = ev.moving[t as usize].take() else {
            return;
        };
        ev.in_flight -= 1;
        if moved {
            ev.cold_until[t as usize] = now.after(ev.cfg.warmup);
            ev.home[t as usize] = match m.kind {
                MoveKind::Evacuate if ev.home[t as usize] == NOT_MOVED => m.from,
                MoveKind::Evacuate => ev.home[t as usize],
                MoveKind::FailBack => NOT_MOVED,
            };
        } else if m.kind == MoveKind::Evacuate && self.ctl.dead[m.cell as usize] {
            ev.queue.push_back(Queued {
                tenant: t,
                kind: m.kind,
                cell: m.cell,
            });
        }
        self.evac_pump(now, q);
    }

    /// A move finished: the route points at the destination, which serves the tenant cold.
    pub(super) fn on_evacuation_moved(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        if !self.ctl.up {
            q.schedule_in(self.ctl.call_timeout, Ev::EvacuationMoved { tenant: t });
            return;
        }
        let Some(ev) = self.ctl.evac.as_deref_mut() else {
            return;
        };
        let Some(m) = ev.moving[t as usize].take() else {
            return;
        };
        ev.in_flight -= 1;
        ev.cold_until[t as usize] = now.after(ev.cfg.warmup);
        match m.kind {
            MoveKind::Evacuate => {
                if ev.home[t as usize] == NOT_MOVED {
                    ev.home[t as usize] = m.from;
                }
            }
            MoveKind::FailBack => ev.home[t as usize] = NOT_MOVED,
        }
        let push = SimDuration::from_nanos_f64(self.ctl.push_delay.sample(&mut ev.rng));
        let (from, to) = (m.from, m.to);
        self.ctl.route[t as usize] = to;
        self.ctl.route_version[t as usize] += 1;
        self.tenant_cell[t as usize] = to;
        let info = self.ctl.tenant_info[t as usize];
        for (cell, sign) in [(from, -1.0), (to, 1.0)] {
            let v = &mut self.ctl.cell_views[cell as usize];
            if sign > 0.0 {
                v.tenants += 1;
                v.spiky_tenants += u32::from(info.spiky);
            } else {
                v.tenants = v.tenants.saturating_sub(1);
                v.spiky_tenants = v.spiky_tenants.saturating_sub(u32::from(info.spiky));
            }
            v.predicted_load = (v.predicted_load + sign * info.predicted_load).max(0.0);
        }
        q.schedule_in(push, Ev::RoutePushed { tenant: t });
        let reason = match m.kind {
            MoveKind::Evacuate => format!("cell {} dead", m.cell),
            MoveKind::FailBack => format!("cell {} alive again", m.cell),
        };
        self.record_action(Action {
            start: m.start,
            end: now,
            kind: m.kind.name(),
            tenant: Some(t),
            cell: Some(from),
            to: Some(to),
            reason,
            outcome: "moved",
        });
        self.evac_pump(now, q);
    }

    /// A cold tenant's attempt reaches its new cell: the penalty, or `service_ns` unchanged.
    #[inline(never)]
    pub(super) fn cold_service(&mut self, now: SimTime, att: Id, service_ns: u64) -> u64 {
        let Some(a) = self.attempts.get_mut(att) else {
            return service_ns;
        };
        let Some(ev) = self.ctl.evac.as_deref_mut() else {
            return service_ns;
        };
        if ev.cold_until[a.tenant as usize] <= now {
            return service_ns;
        }
        ev.cold_requests += 1;
        let s = (service_ns as f64 * ev.cfg.cold_factor) as u64;
        a.service_ns = s;
        a.queries_left = a.queries_left.max(1);
        s
    }
}

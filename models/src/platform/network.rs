//! # Network delays between the client, the edge and the cells
//!
//! With `[network]` set, a request's attempt travels: client —leg→ edge (admission, route)
//! —leg→ cell (queue, worker, DB, KMS) and its answer travels back cell —leg→ edge —leg→
//! client. Each leg is a draw of its link's one-way delay ([`LinkDelay`]); the edge's own
//! refusals (429, 503 at admission, unreachable cell) travel only edge → client. Calls from
//! the cell to its DB, the KMS and object storage, and the edge's route lookups at the
//! control plane, add a round trip (two legs) to the call (see `on_db_woke`, `kms.rs`,
//! `jobs.rs`, `control.rs`); a DB round trip is spent holding the connection, like an
//! application does.
//!
//! What the client's timeout covers: it starts when the attempt reaches the edge (the
//! client → edge leg is not counted against it) and it runs until the answer reaches the
//! client, so an answer still on the wire when the timeout fires is dropped (the client has
//! moved on: retried or given up).
//!
//! Guarantee: with no delay configured, none of this runs (one branch per hop), no event is
//! added and no number drawn, so scenarios without `[network]` keep their digests.
//!
//! Why it matters beyond fidelity: an instant refusal retried with `backoff = none`, or a
//! closed-loop user with zero think time refused at once, loops at one simulated instant
//! when nothing takes time. A client ↔ edge delay makes every such loop advance the clock.
//! Without one the loop is still bounded: the engine stops a run whose clock stalls
//! ([`crate::harness::run::MAX_EVENTS_PER_INSTANT`]) and the run reports `stop = "stalled"`.

use super::{Ev, Platform};
use crate::component::link::{LinkDelay, Network};
use crate::component::outcome::Outcome;
use crate::component::slab::Id;
use crate::population::Population;
use crate::scenario::Scenario;
use sim::{EventQueue, SimDuration, SimTime};

/// The run's links, built from `[network]`.
pub(super) fn build(sc: &Scenario, pop: &Population, seed: u64) -> Network {
    let n = &sc.network;
    let mut net = Network {
        client_edge: Vec::new(),
        client_edge_of: Vec::new(),
        edge_cell: LinkDelay::new(seed, "net/edge_cell", n.edge_cell.as_ref()),
        cell_db: LinkDelay::new(seed, "net/cell_db", n.cell_db.as_ref()),
        cell_kms: LinkDelay::new(seed, "net/cell_kms", n.cell_kms.as_ref()),
        cell_object_storage: LinkDelay::new(
            seed,
            "net/cell_object_storage",
            n.cell_object_storage.as_ref(),
        ),
        edge_control_plane: LinkDelay::new(
            seed,
            "net/edge_control_plane",
            n.edge_control_plane.as_ref(),
        ),
    };
    if n.client_edge_set() {
        net.client_edge.push(LinkDelay::new(
            seed,
            "net/client_edge",
            n.client_edge.as_ref(),
        ));
        let regions: Vec<&String> = n.client_edge_by_region.keys().collect();
        for (r, d) in &n.client_edge_by_region {
            net.client_edge.push(LinkDelay::new(
                seed,
                &format!("net/client_edge/{r}"),
                Some(d),
            ));
        }
        net.client_edge_of = pop
            .tenants
            .iter()
            .map(|t| {
                t.region
                    .as_ref()
                    .and_then(|r| regions.iter().position(|x| *x == r))
                    .map_or(0, |i| i as u16 + 1)
            })
            .collect();
    }
    net
}

impl Platform {
    /// The client sends attempt number `r.attempts + 1` of `req`: it reaches the edge now,
    /// or after the client → edge leg.
    #[inline]
    pub(super) fn send_attempt(&mut self, now: SimTime, req: Id, q: &mut EventQueue<Ev>) {
        if !self.net.client_edge_on() {
            return self.start_attempt(now, req, q);
        }
        let Some(r) = self.requests.get(req) else {
            return;
        };
        let leg = self.net.client_edge_leg(r.tenant);
        q.schedule_in(leg, Ev::AttemptReachedEdge { req });
    }

    /// An attempt crossed client → edge.
    pub(super) fn on_attempt_reached_edge(
        &mut self,
        now: SimTime,
        req: Id,
        q: &mut EventQueue<Ev>,
    ) {
        self.start_attempt(now, req, q)
    }

    /// An attempt crossed edge → cell: the cell takes it.
    pub(super) fn on_attempt_reached_cell(
        &mut self,
        now: SimTime,
        att: Id,
        q: &mut EventQueue<Ev>,
    ) {
        let Some(a) = self.attempts.get_mut(att) else {
            return;
        };
        a.at_cell = true;
        a.enqueued = now;
        let args = (a.cell, a.tenant, a.service_ns, a.class, a.local);
        self.arrive_at_cell(now, att, args, q)
    }

    /// The answer to the current attempt of `req` leaves the edge (after `extra`, the
    /// cell → edge leg if it came from a cell) and reaches the client after its edge →
    /// client leg.
    pub(super) fn answer_in_transit(
        &mut self,
        now: SimTime,
        req: Id,
        outcome: Outcome,
        retry_after: Option<SimDuration>,
        extra: SimDuration,
        q: &mut EventQueue<Ev>,
    ) {
        let _ = now;
        let Some(tenant) = self.requests.get(req).map(|r| r.tenant) else {
            return;
        };
        let leg = self.net.client_edge_leg(tenant);
        let Some(r) = self.requests.get_mut(req) else {
            return;
        };
        r.in_transit = Some((outcome, retry_after));
        let attempt = r.attempts;
        q.schedule_in(
            extra.saturating_add(leg),
            Ev::AnswerReachedClient { req, attempt },
        );
    }

    /// An answer reached the client: it acts on it, unless it gave up on that attempt.
    pub(super) fn on_answer_reached_client(
        &mut self,
        now: SimTime,
        req: Id,
        attempt: u16,
        q: &mut EventQueue<Ev>,
    ) {
        let Some(r) = self.requests.get_mut(req) else {
            return;
        };
        if r.attempts != attempt {
            return; // a late answer to an attempt the client already gave up on
        }
        let Some((outcome, retry_after)) = r.in_transit.take() else {
            return;
        };
        self.client_learns(now, req, outcome, retry_after, q)
    }
}

//! The control plane and the edge's view of it: tenant registry and lifecycle, placement,
//! heartbeats and the failure detector, the edge's routing cache, versioned tenant config
//! pushed to (and polled by) the edge, suspension, and tenant migration between cells.
//!
//! **Off the hot path.** A request never waits for the control plane while its route is
//! fresh: the edge refreshes a route in the background once it is older than ¾ of its TTL
//! (stale-while-revalidate). Only a request whose route has expired waits for a refresh —
//! and under `serve_stale` not even then, up to `max_staleness`. A control-plane outage
//! therefore stops provisioning, config changes and migrations (they wait and complete after
//! recovery) but not serving, unless the routing policy is `fail_closed`.
//!
//! **Heartbeats.** Each live cell beats every interval; the control plane marks a cell dead
//! when its last beat is older than k intervals (checked every interval, so within k + 1)
//! and alive when beats resume. During a control-plane outage nothing is judged, and after
//! it every cell gets a fresh grace period (the outage was the control plane's, not theirs).
//!
//! **Migration** of tenant X from cell A to B: `migrating` (reads at A, writes at A and
//! dual-written to B's DB, backfill for data_size / backfill_rate) → `cutover` (the route
//! points at B; edges learn it by push or refresh; until then they still send to A) →
//! `final` (A drops its copy, one route TTL after cutover). After cutover A owns nothing of
//! X: with `reject_misrouted`, A rejects X's writes with a retryable `wrong_cell` error that
//! makes the edge refresh the route; without it, A applies them — a *misrouted write*.

use super::{Ev, Platform};
use crate::component::lifecycle::{Cause as LCause, TenantState, TransitionLog};
use crate::component::link::{Call, Link};
use crate::component::placement::{CellView, PlacementPolicy, TenantInfo, ANY_REGION};
use crate::component::slab::Id;
use sim::{Dist, EventQueue, RngStream, SimDuration, SimTime};

mod build;
pub mod config_store;
pub mod op_queue;
pub mod registry;
pub mod route_cache;

/// Where a migration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrationPhase {
    /// Backfilling: reads at the old cell, writes to both.
    Migrating {
        /// Old cell.
        from: u32,
        /// New cell.
        to: u32,
    },
    /// The route points at the new cell; the old one still holds a copy.
    CutOver {
        /// Old cell.
        from: u32,
        /// New cell.
        to: u32,
    },
    /// Done: the old copy is dropped.
    Final {
        /// Old cell.
        from: u32,
    },
}

/// The edge's cached route of one tenant.
#[derive(Clone, Copy, Debug)]
pub struct RouteEntry {
    /// Cell.
    pub cell: u32,
    /// Route version the entry holds.
    pub version: u32,
    /// When it was fetched.
    pub fetched: SimTime,
    /// A refresh is in flight.
    pub refreshing: bool,
    /// The edge has ever had a route for the tenant.
    pub valid: bool,
}

impl RouteEntry {
    /// No route yet (a tenant the edge has never routed).
    pub const NONE: RouteEntry = RouteEntry {
        cell: 0,
        version: 0,
        fetched: SimTime::ZERO,
        refreshing: false,
        valid: false,
    };
}

/// Counters of control-plane activity, for the summary.
#[derive(Clone, Copy, Debug, Default)]
pub struct ControlCounts {
    /// Route refreshes started.
    pub route_refreshes: u64,
    /// Route refreshes that failed (control plane unreachable).
    pub route_refresh_failures: u64,
    /// Requests routed with an expired entry (`serve_stale`).
    pub stale_routes_served: u64,
    /// Times the failure detector marked a cell dead.
    pub cells_marked_dead: u64,
    /// Times it marked a cell alive again.
    pub cells_marked_alive: u64,
    /// Tenants provisioned.
    pub provisioned: u64,
    /// Provisioning attempts that failed (no eligible cell).
    pub provision_failed: u64,
    /// Config versions published.
    pub config_versions: u64,
    /// Writes applied at a cell that no longer owned the tenant.
    pub misrouted_writes_applied: u64,
    /// Misrouted writes rejected (`wrong_cell`).
    pub misrouted_writes_rejected: u64,
}

/// Runtime state of the control plane and the edge's routing and config caches.
pub struct ControlRt {
    /// Answering (no outage).
    pub up: bool,
    /// The link edge → control plane (cut by an `edge|control_plane` partition).
    pub edge_cut: Link,
    pub(super) latency: Dist,
    pub(super) provision_time: Dist,
    pub(super) push_delay: Dist,
    pub(super) urgent_push_delay: Dist,
    pub(super) rng: RngStream,
    pub(super) call_timeout: SimDuration,
    pub(super) poll_interval: SimDuration,
    /// The tenant registry: each tenant's lifecycle (`control/registry.rs`).
    registry: registry::Registry,
    /// Every transition.
    pub log: TransitionLog,
    /// Migrations started so far (cells skip ownership checks until the first).
    pub(super) migrations_active: u32,
    /// Authoritative tenant → cell.
    pub route: Vec<u32>,
    /// Authoritative route version per tenant.
    pub route_version: Vec<u32>,
    /// The edge's cache of the routes (`control/route_cache.rs`).
    routes: route_cache::RouteCache,
    /// Attempts parked at the edge waiting for a route refresh.
    pub(super) parked: Vec<Vec<Id>>,
    /// Authoritative limits per tenant, their versions and the versions the edge holds
    /// (`control/config_store.rs`).
    pub(super) configs: config_store::ConfigStore,
    /// Control-plane work waiting for the control plane to come back
    /// (`control/op_queue.rs`).
    op_queue: op_queue::OpQueue,
    /// Heartbeats.
    pub(super) beat_interval: SimDuration,
    pub(super) beat_missed: u32,
    pub(super) last_beat: Vec<SimTime>,
    /// The control plane's view: cell dead.
    pub dead: Vec<bool>,
    /// Cells actually down (cell outage).
    pub down: Vec<bool>,
    pub(super) placement: Box<dyn PlacementPolicy>,
    /// What the control plane knows of each cell when it places a tenant: tenants placed on
    /// it (and their predicted load and spikiness, moved along by migrations), liveness from
    /// heartbeats, and capacity from its current workers and DB health.
    pub(super) cell_views: Vec<CellView>,
    pub(super) tenant_info: Vec<TenantInfo>,
    /// The mean request, for cell capacities (`None`: unknown, capacity `f64::MAX`).
    pub(super) request_cost: Option<crate::component::placement::capacity::RequestCost>,
    /// Migration phase per tenant.
    pub migration: Vec<Option<MigrationPhase>>,
    pub(super) reject_misrouted: Vec<bool>,
    /// Counters.
    pub counts: ControlCounts,
    /// The failure detector's verdicts: (time, cell, dead), first 1,000.
    pub cell_events: Vec<(SimTime, u32, bool)>,
    /// Idle time after which an active tenant becomes dormant.
    pub(super) dormant_after: Option<SimDuration>,
    /// Time of each tenant's last request (for dormancy).
    pub(super) last_request: Vec<SimTime>,
    /// What the acting control plane did (empty unless a control loop is on).
    pub actions: super::actions::ActionLog,
    /// Evacuation of dead cells (`None`: off, and nothing is scheduled).
    pub evac: Option<Box<super::evacuate::Evacuator>>,
    /// The reconciler (`None`: off, and nothing is scheduled).
    pub recon: Option<Box<super::reconcile::Reconciler>>,
    /// Tenant moves: their costs and the moves under way (`move_cost.rs`).
    pub moves: super::move_cost::Moves,
    /// The rebalancer (`None`: off, and nothing is scheduled).
    pub rebal: Option<Box<super::rebalance::Rebalancer>>,
    /// When each tenant asked to be provisioned (empty without provisioning bursts): the
    /// start of its `provision_time`.
    pub(super) provision_requested: Vec<SimTime>,
    /// Config TTLs at the edge (`None`: off, configs never expire).
    pub config_ttl: Option<Box<super::config_ttl::ConfigTtlRt>>,
    /// Config TTLs at the cells (`None`: off, cell configs never expire).
    pub cell_config_ttl: Option<Box<super::cell_config_ttl::CellTtlRt>>,
    /// `config_push` faults applied and not yet reverted: (fault, rate limit, burst before).
    pub(super) config_saved: Vec<(u32, Option<f64>, u32)>,
    /// `config_push` faults whose revert ran before their push did (the push is skipped).
    pub(super) config_reverted_early: Vec<u32>,
    /// Lifecycle operations on the timeline (`None` until the first; `lifecycle_ops.rs`).
    pub ops: Option<Box<super::lifecycle_ops::LifecycleOpsRt>>,
    /// What a destroy keeps and what a restore costs.
    pub(super) lifecycle_cfg: crate::scenario::lifecycle_ops::LifecycleSettings,
    /// The cells each tenant may live on (its cohort's `cells`; spare cells not yet provisioned).
    pub allowed: super::allowed_cells::AllowedCells,
    /// Fleet scale-out (`None`: off, every cell provisioned; `scale_out.rs`).
    pub scale_out: Option<Box<super::scale_out::FleetScaler>>,
}

/// A control-plane operation (run when the control plane can answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpOp {
    /// Place and create a tenant.
    Provision(u32),
    /// Publish a config change (fault index).
    ConfigChange(u32),
    /// Suspend (true) or reinstate (false) a tenant.
    Suspend(u32, bool),
    /// Start a migration (fault index).
    Migrate(u32),
    /// Undo a config change at the end of its window (fault index).
    ConfigRevert(u32),
    /// An operator's lifecycle operation on a tenant (`lifecycle_ops.rs`).
    Lifecycle(u32, crate::fault::LifecycleOp),
    /// The reconciler's repair of a RECONCILE_FAILED tenant (`reconcile_repair.rs`).
    Repair(u32),
}

impl ControlRt {
    /// Draws one control-plane call latency.
    pub(super) fn call_latency(&mut self) -> SimDuration {
        SimDuration::from_nanos_f64(self.latency.sample(&mut self.rng))
    }

    /// What a call from the edge to the control plane does now (a control plane that is
    /// down answers nothing: the call hangs).
    pub(super) fn edge_call(&self) -> Call {
        self.edge_cut.unless_down(self.up).call()
    }

    /// Moves `t` to `to` in the registry and logs the transition; an illegal one is a bug
    /// (exit 3).
    pub(super) fn transition(&mut self, now: SimTime, t: u32, to: TenantState, cause: LCause) {
        match self.registry.transition(now, t, to, cause) {
            Ok(Some(from)) => self.log.record(now, t, from, to, cause),
            Ok(None) => {}
            Err(e) => panic!("tenant #{t}: {e}"),
        }
    }

    /// The tenant's state, from the registry's dense copy (the hot path).
    #[inline]
    pub fn state_fast(&self, t: u32) -> Option<TenantState> {
        self.registry.state_fast(t)
    }

    /// The tenant's state (tenants not yet asked to be provisioned have none).
    pub fn state(&self, t: u32) -> Option<TenantState> {
        self.registry.state(t)
    }

    /// Tenant `t` exists or was asked to be provisioned.
    pub fn known(&self, t: u32) -> bool {
        self.registry.known(t)
    }

    /// Publishes a new version of `t`'s config (`urgent`: the short push delay): the
    /// version and when its push reaches the edge.
    pub(super) fn publish(&mut self, t: u32, urgent: bool) -> (u32, SimDuration) {
        let version = self.configs.publish(t);
        self.counts.config_versions += 1;
        let delay = if urgent {
            &self.urgent_push_delay
        } else {
            &self.push_delay
        };
        (
            version,
            SimDuration::from_nanos_f64(delay.sample(&mut self.rng)),
        )
    }

    /// The edge's route lookup for `t` at `now` (a stale route served is counted).
    #[inline]
    pub(super) fn lookup_route(&mut self, now: SimTime, t: u32) -> route_cache::Lookup {
        let l = self.routes.lookup(now, t);
        if l.stale {
            self.counts.stale_routes_served += 1;
        }
        l
    }

    /// How long the edge's routes stay fresh.
    pub(super) fn route_ttl(&self) -> SimDuration {
        self.routes.ttl()
    }
}

/// What the edge does with a request of a tenant, given its route cache.
pub(super) enum RouteDecision {
    /// Send it to this cell.
    Cell(u32),
    /// Hold it until the route refresh in flight completes.
    Park,
}

impl Platform {
    /// Builds the control plane's runtime for the initial population (already placed).
    pub(super) fn control_initial_routes(&mut self, now: SimTime) {
        let ctl = &mut self.ctl;
        for t in 0..ctl.route.len() as u32 {
            if ctl.registry.known(t) {
                // Routes of existing tenants were fetched at staggered times in the past, so
                // that they do not all expire together.
                let (cell, version) = (ctl.route[t as usize], ctl.route_version[t as usize]);
                ctl.routes.warm(now, t, cell, version);
            }
        }
    }

    /// The edge's routing decision for tenant `t` at `now` (and a background refresh if due).
    pub(super) fn route_for(
        &mut self,
        now: SimTime,
        t: u32,
        q: &mut EventQueue<Ev>,
    ) -> RouteDecision {
        let l = self.ctl.lookup_route(now, t);
        if l.refresh {
            self.start_route_refresh(now, t, q);
        }
        match l.cell {
            Some(cell) => RouteDecision::Cell(cell),
            None => RouteDecision::Park,
        }
    }

    /// Asks the control plane for `t`'s route; the answer (or the timeout) comes as an event.
    pub(super) fn start_route_refresh(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        let _ = now;
        self.ctl.routes.begin_refresh(t);
        self.ctl.counts.route_refreshes += 1;
        self.call_route(t, q)
    }

    /// The edge's route lookup for `t` crosses the edge → control plane link: answered after
    /// its latency, failed at once or at the timeout, or held by a `delay` partition.
    pub(super) fn call_route(&mut self, t: u32, q: &mut EventQueue<Ev>) {
        match self.ctl.edge_call() {
            Call::Hold => self.hold_call(
                crate::fault::PartitionKind::EdgeControlPlane,
                0,
                t as u64,
                0,
            ),
            Call::Reach => {
                let d = self
                    .ctl
                    .call_latency()
                    .saturating_add(self.net.edge_control_plane.round_trip());
                q.schedule_in(
                    d,
                    Ev::RouteRefreshed {
                        tenant: t,
                        ok: true,
                    },
                );
            }
            call @ (Call::Reject | Call::Hang) => {
                let d = if call == Call::Reject {
                    SimDuration::ZERO
                } else {
                    self.ctl.call_timeout
                };
                q.schedule_in(
                    d,
                    Ev::RouteRefreshed {
                        tenant: t,
                        ok: false,
                    },
                );
            }
        }
    }

    /// A route refresh finished (or failed); parked attempts go on or fail with `no_route`.
    pub(super) fn on_route_refreshed(
        &mut self,
        now: SimTime,
        t: u32,
        ok: bool,
        q: &mut EventQueue<Ev>,
    ) {
        // The control plane may have gone away while the answer was in flight.
        let ok = ok && self.ctl.edge_call() == Call::Reach && self.ctl.registry.known(t);
        let answer = ok.then(|| {
            (
                self.ctl.route[t as usize],
                self.ctl.route_version[t as usize],
            )
        });
        let RouteEntry { cell, version, .. } = self.ctl.routes.refreshed(now, t, answer);
        if !ok {
            self.ctl.counts.route_refresh_failures += 1;
        }
        self.trace_tenant(
            now,
            t,
            if ok {
                "route_refreshed"
            } else {
                "route_refresh_failed"
            },
            || vec![("cell", cell.into()), ("version", version.into())],
        );
        let parked = std::mem::take(&mut self.ctl.parked[t as usize]);
        for att in parked {
            if ok {
                self.deliver_to_cell(now, att, cell, q);
            } else {
                self.end_attempt(
                    now,
                    att,
                    crate::component::outcome::Outcome::Failed(
                        crate::component::outcome::Cause::NoRoute,
                    ),
                    false,
                    q,
                );
            }
        }
    }

    /// Every cell beats; the control plane records beats it can receive.
    pub(super) fn on_heartbeats_due(&mut self, now: SimTime, q: &mut EventQueue<Ev>) {
        if self.ctl.up {
            for c in 0..self.ctl.last_beat.len() {
                if !self.ctl.down[c] {
                    self.ctl.last_beat[c] = now;
                }
            }
            // The failure detector runs with the beats.
            let limit = self
                .ctl
                .beat_interval
                .saturating_mul(self.ctl.beat_missed as u64);
            for c in 0..self.ctl.last_beat.len() {
                let late = now.since(self.ctl.last_beat[c]) > limit;
                if late != self.ctl.dead[c] {
                    self.ctl.dead[c] = late;
                    if let Some(tr) = self.tracer.as_deref_mut() {
                        tr.cell_health(now, c as u32, late);
                    }
                    if late {
                        self.ctl.counts.cells_marked_dead += 1;
                    } else {
                        self.ctl.counts.cells_marked_alive += 1;
                    }
                    if self.ctl.cell_events.len() < 1000 {
                        self.ctl.cell_events.push((now, c as u32, late));
                    }
                    if self.ctl.evac.is_some() {
                        self.evac_cell_health(now, c as u32, late, q);
                    }
                }
            }
        }
        // Dormancy: the registry marks tenants idle for `dormant_after` dormant (a sweep with
        // the heartbeats; the next request wakes the tenant at the edge).
        if let (true, Some(idle)) = (self.ctl.up, self.ctl.dormant_after) {
            for t in 0..self.ctl.last_request.len() as u32 {
                if self.ctl.state(t) == Some(TenantState::Active)
                    && now.since(self.ctl.last_request[t as usize]) >= idle
                {
                    self.transition(now, t, TenantState::Dormant, LCause::Idle);
                }
            }
        }
        if self.ctl.cell_config_ttl.is_some() {
            self.cell_config_ttl_beat(now);
        }
        let next = now.after(self.ctl.beat_interval);
        if next <= self.end {
            q.schedule_at(next, Ev::HeartbeatsDue);
        }
    }

    /// The control plane comes back: grace for heartbeats, then the work that waited.
    pub(super) fn on_control_plane_recovered(&mut self, now: SimTime, q: &mut EventQueue<Ev>) {
        for c in 0..self.ctl.last_beat.len() {
            if !self.ctl.down[c] {
                self.ctl.last_beat[c] = now;
            }
        }
        for op in self.ctl.op_queue.recovered() {
            self.run_cp_op(now, op, q);
        }
    }

    /// Runs a control-plane operation now, or queues it until the control plane is back.
    pub(super) fn run_cp_op(&mut self, now: SimTime, op: CpOp, q: &mut EventQueue<Ev>) {
        if self.ctl.op_queue.offer(self.ctl.up, op) == op_queue::Offer::Wait {
            return;
        }
        let _ = now;
        let d = self.ctl.call_latency();
        q.schedule_in(d, Ev::ControlOpDone { op });
    }

    /// A control-plane operation's call completed.
    pub(super) fn on_control_op_done(&mut self, now: SimTime, op: CpOp, q: &mut EventQueue<Ev>) {
        if self.ctl.op_queue.offer(self.ctl.up, op) == op_queue::Offer::Wait {
            return;
        }
        match op {
            CpOp::Provision(t) => self.place_and_create(now, t, q),
            CpOp::ConfigChange(f) => self.publish_config_fault(now, f, q),
            CpOp::Suspend(t, on) => {
                if on {
                    self.transition(now, t, TenantState::Suspended, LCause::Completed);
                } else {
                    self.transition(now, t, TenantState::Active, LCause::Operator);
                }
                self.ctl.configs.limits_mut(t).2 = on;
                self.publish_config(now, t, true, q);
            }
            CpOp::Migrate(f) => self.migration_start(now, f, q),
            CpOp::ConfigRevert(f) => self.revert_config_fault(now, f, q),
            CpOp::Lifecycle(t, op) => self.lifecycle_op_done(now, t, op, q),
            CpOp::Repair(t) => self.repair_done(now, t, q),
        }
    }

    /// A cohort's provisioning burst: every member asks to be provisioned.
    pub(super) fn on_provision_requested(
        &mut self,
        now: SimTime,
        first: u32,
        count: u32,
        q: &mut EventQueue<Ev>,
    ) {
        for t in first..first + count {
            self.ctl.registry.requested(now, t);
            if let Some(r) = self.ctl.provision_requested.get_mut(t as usize) {
                *r = now;
            }
            self.trace_tenant(now, t, "lifecycle", || {
                vec![
                    ("from", serde_json::Value::Null),
                    ("to", TenantState::ProvisionPending.name().into()),
                    ("cause", "provision_requested".into()),
                ]
            });
            self.run_cp_op(now, CpOp::Provision(t), q);
            self.schedule_arrival(t, q);
        }
    }

    fn place_and_create(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        for (c, v) in self.ctl.cell_views.iter_mut().enumerate() {
            v.live = !self.ctl.dead[c];
        }
        self.ctl.allowed.mask(t, &mut self.ctl.cell_views);
        let info = self.ctl.tenant_info[t as usize];
        let choice = self
            .ctl
            .placement
            .place(&info, &self.ctl.cell_views, &mut self.ctl.rng);
        match choice {
            Some(cell) => {
                let v = &mut self.ctl.cell_views[cell as usize];
                v.tenants += 1;
                v.predicted_load += info.predicted_load;
                v.spiky_tenants += u32::from(info.spiky);
                self.ctl.route[t as usize] = cell;
                self.tenant_cell[t as usize] = cell;
                let d =
                    SimDuration::from_nanos_f64(self.ctl.provision_time.sample(&mut self.ctl.rng));
                q.schedule_in(d, Ev::TenantCreated { tenant: t });
            }
            None => {
                self.ctl.counts.provision_failed += 1;
                self.transition(now, t, TenantState::ProvisionFailed, LCause::Failed);
                self.reconcile_settled(now, t, false);
            }
        }
    }

    /// The cell finished creating the tenant; the control plane records the route and
    /// activates it (waiting for the control plane if it is down).
    pub(super) fn on_tenant_created(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        if !self.ctl.up {
            // The cell keeps reporting until the control plane hears it.
            q.schedule_in(self.ctl.call_timeout, Ev::TenantCreated { tenant: t });
            return;
        }
        let cell = self.ctl.route[t as usize];
        if self.ctl.down[cell as usize] {
            // The cell died before it created the tenant: the provisioning failed (a
            // reconciler, if on, retries it; the placement no longer counts it there).
            let info = self.ctl.tenant_info[t as usize];
            let v = &mut self.ctl.cell_views[cell as usize];
            v.tenants = v.tenants.saturating_sub(1);
            v.spiky_tenants = v.spiky_tenants.saturating_sub(u32::from(info.spiky));
            v.predicted_load = (v.predicted_load - info.predicted_load).max(0.0);
            self.ctl.counts.provision_failed += 1;
            self.transition(now, t, TenantState::ProvisionFailed, LCause::CellFailed);
            self.reconcile_settled(now, t, false);
            return;
        }
        if let Some(why) = self.provision_key_problem(t, cell) {
            // The cell could not create the tenant's data key (`provision_keys.rs`).
            self.release_cell_view(t, cell);
            self.ctl.counts.provision_failed += 1;
            self.transition(now, t, TenantState::ProvisionFailed, LCause::Failed);
            self.reconcile_settled_because(now, t, false, why);
            return;
        }
        self.ctl.route_version[t as usize] += 1;
        self.ctl.counts.provisioned += 1;
        self.transition(now, t, TenantState::Active, LCause::Completed);
        if let Some(&asked) = self.ctl.provision_requested.get(t as usize) {
            self.recorder.tenants[t as usize]
                .run
                .provision_time
                .record(now.since(asked).as_nanos());
        }
        self.reconcile_settled(now, t, true);
    }

    /// Publishes a new config version for `t` and pushes it to the edge.
    pub(super) fn publish_config(
        &mut self,
        now: SimTime,
        t: u32,
        urgent: bool,
        q: &mut EventQueue<Ev>,
    ) {
        let (version, d) = self.ctl.publish(t, urgent);
        self.trace_tenant(now, t, "config_published", || {
            vec![("version", version.into()), ("urgent", urgent.into())]
        });
        q.schedule_in(d, Ev::ConfigPushed { tenant: t, version });
    }

    fn publish_config_fault(&mut self, now: SimTime, f: u32, q: &mut EventQueue<Ev>) {
        if let crate::fault::FaultKind::ConfigPush {
            rate_limit,
            burst,
            urgent,
            ..
        } = self.faults[f as usize].kind.clone()
        {
            let Some(t) = self.faults[f as usize].tenant else {
                return;
            };
            if !self.config_push_saved(f, t) {
                return;
            }
            let c = self.ctl.configs.limits_mut(t);
            if rate_limit.is_some() {
                c.0 = rate_limit;
            }
            if let Some(b) = burst {
                c.1 = b;
            }
            self.publish_config(now, t, urgent, q);
        }
    }

    /// A pushed config reaches the edge (unless the edge cannot hear the control plane).
    pub(super) fn on_config_pushed(&mut self, now: SimTime, t: u32, version: u32) {
        if self.ctl.edge_call() != Call::Reach {
            return; // lost; the poll will catch up
        }
        self.apply_config(now, t, version);
        if self.ctl.config_ttl.is_some() {
            self.config_ttl_pushed(now, t);
        }
    }

    /// The edge polls for config versions it is missing.
    pub(super) fn on_config_poll_due(&mut self, now: SimTime, q: &mut EventQueue<Ev>) {
        let reached = self.ctl.edge_call() == Call::Reach;
        if reached {
            for t in 0..self.ctl.configs.tenants() {
                if let Some(v) = self.ctl.configs.missing(t) {
                    self.apply_config(now, t, v);
                }
            }
        }
        if self.ctl.config_ttl.is_some() {
            self.config_ttl_polled(now, reached);
        }
        let next = now.after(self.ctl.poll_interval);
        if next <= self.end {
            q.schedule_at(next, Ev::ConfigPollDue);
        }
    }

    fn apply_config(&mut self, now: SimTime, t: u32, version: u32) {
        let Some((rate, burst, suspended)) = self.ctl.configs.deliver(t, version) else {
            return;
        };
        self.trace_tenant(now, t, "config_applied", || {
            vec![
                ("version", version.into()),
                (
                    "rate_limit_per_s",
                    rate.map_or(serde_json::Value::Null, serde_json::Value::from),
                ),
                ("burst", burst.into()),
                ("suspended", suspended.into()),
            ]
        });
        self.edge.apply_config(now, t, rate, burst, suspended);
        if let Some(c) = self.ctl.config_ttl.as_deref_mut() {
            c.received(t, (rate, burst, suspended));
        }
    }

    fn migration_start(&mut self, now: SimTime, f: u32, q: &mut EventQueue<Ev>) {
        let crate::fault::FaultKind::TenantMigration {
            to_cell,
            backfill_rate,
            reject_misrouted,
            ..
        } = self.faults[f as usize].kind.clone()
        else {
            return;
        };
        let Some(t) = self.faults[f as usize].tenant else {
            return;
        };
        let reason = format!("scripted (fault #{f})");
        self.start_move(
            now,
            t,
            to_cell,
            backfill_rate,
            reject_misrouted,
            (super::move_cost::MoveOrigin::Scripted, reason),
            q,
        );
    }

    /// Backfill done: cut over (the control plane must be up; otherwise it waits).
    pub(super) fn on_migration_backfilled(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        if !self.ctl.up {
            q.schedule_in(self.ctl.call_timeout, Ev::MigrationBackfilled { tenant: t });
            return;
        }
        let Some(MigrationPhase::Migrating { from, to }) = self.ctl.migration[t as usize] else {
            return;
        };
        if self.move_backfilled(now, t, (from, to), q) {
            return; // verified first (`move_cost.rs`)
        }
        self.migration_cutover(now, t, from, to, q);
    }

    /// The route of `t` moves from `from` to `to` (after its backfill, and its verification
    /// when moves cost something).
    pub(super) fn migration_cutover(
        &mut self,
        now: SimTime,
        t: u32,
        from: u32,
        to: u32,
        q: &mut EventQueue<Ev>,
    ) {
        self.ctl.migration[t as usize] = Some(MigrationPhase::CutOver { from, to });
        self.ctl.route[t as usize] = to;
        // The tenant now counts on its new cell for placement.
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
        self.ctl.route_version[t as usize] += 1;
        self.tenant_cell[t as usize] = to;
        // The new route is pushed to the edge like config.
        let d = SimDuration::from_nanos_f64(self.ctl.push_delay.sample(&mut self.ctl.rng));
        q.schedule_in(d, Ev::RoutePushed { tenant: t });
        q.schedule_in(self.ctl.route_ttl(), Ev::MigrationFinalised { tenant: t });
        self.trace_tenant(now, t, "migration", || {
            vec![
                ("phase", "cutover".into()),
                ("from", from.into()),
                ("to", to.into()),
            ]
        });
        self.move_done(now, t, from, to, "moved", q);
    }

    /// The new route reaches the edge (unless it cannot hear the control plane).
    pub(super) fn on_route_pushed(&mut self, now: SimTime, t: u32) {
        if self.ctl.edge_call() != Call::Reach {
            return;
        }
        let (cell, version) = (
            self.ctl.route[t as usize],
            self.ctl.route_version[t as usize],
        );
        self.ctl.routes.pushed(now, t, cell, version);
        self.trace_tenant(now, t, "route_pushed", || {
            vec![("cell", cell.into()), ("version", version.into())]
        });
    }

    /// The old cell drops its copy.
    pub(super) fn on_migration_finalised(&mut self, now: SimTime, t: u32) {
        if let Some(MigrationPhase::CutOver { from, to }) = self.ctl.migration[t as usize] {
            self.ctl.migration[t as usize] = Some(MigrationPhase::Final { from });
            self.trace_tenant(now, t, "migration", || {
                vec![
                    ("phase", "final".into()),
                    ("from", from.into()),
                    ("to", to.into()),
                ]
            });
        }
    }

    /// Cell `cell` received an attempt of tenant `t`: whether it owns the tenant. A write at
    /// a cell that lost the tenant is misrouted: rejected (`Some(false)`) or applied and
    /// counted. Returns `false` when the attempt must be rejected with `wrong_cell`.
    pub(super) fn cell_owns(&mut self, cell: u32, t: u32, writes: bool) -> bool {
        if self.ctl.migrations_active == 0 || self.ctl.route[t as usize] == cell {
            return true;
        }
        match self.ctl.migration[t as usize] {
            Some(MigrationPhase::CutOver { from, .. }) if from == cell => {
                if !writes {
                    return true; // the old copy still serves reads
                }
                if self.ctl.reject_misrouted[t as usize] {
                    self.ctl.counts.misrouted_writes_rejected += 1;
                    false
                } else {
                    self.ctl.counts.misrouted_writes_applied += 1;
                    self.recorder.tenants[t as usize].run.misrouted_writes += 1;
                    true
                }
            }
            Some(MigrationPhase::Final { from }) if from == cell => {
                self.ctl.counts.misrouted_writes_rejected += writes as u64;
                false
            }
            _ => true,
        }
    }

    /// The edge learnt its route is wrong (`wrong_cell`): drop the entry so the next
    /// attempt fetches the current one.
    pub(super) fn invalidate_route(&mut self, now: SimTime, t: u32) {
        // Force a refresh before the next use.
        self.ctl.routes.invalidate(t);
        self.trace_tenant(now, t, "route_invalidated", Vec::new);
    }
}

impl Platform {
    /// Test hook (`TENANTSIM_INJECT=illegal_transition`): forces tenant 0 into an illegal
    /// lifecycle transition, which must end the run as a broken invariant (exit 3).
    pub fn inject_illegal_transition(&mut self) {
        self.ctl
            .transition(SimTime::ZERO, 0, TenantState::Destroyed, LCause::Other);
    }
}

/// Packs a control-plane operation into an event word.
impl CpOp {
    /// The operation as one word: what the event digest hashes (frozen: golden digests rest
    /// on it) and what `describe` prints.
    pub fn code(self) -> u64 {
        match self {
            CpOp::Provision(t) => t as u64,
            CpOp::ConfigChange(f) => (1 << 60) | f as u64,
            CpOp::Suspend(t, on) => (2 << 60) | ((on as u64) << 32) | t as u64,
            CpOp::Migrate(f) => (3 << 60) | f as u64,
            CpOp::ConfigRevert(f) => (4 << 60) | f as u64,
            CpOp::Lifecycle(t, op) => (5 << 60) | (op.code() << 32) | t as u64,
            CpOp::Repair(t) => (6 << 60) | t as u64,
        }
    }
}

/// Placement info of a tenant.
pub(super) fn tenant_info(
    id: u32,
    region: Option<u16>,
    eu_only: bool,
    load: f64,
    tier: u16,
    spiky: bool,
) -> TenantInfo {
    TenantInfo {
        id,
        region: region.unwrap_or(ANY_REGION),
        eu_only,
        predicted_load: load,
        tier,
        spiky,
    }
}

//! Request tracing: records what happened to selected tenants' requests, span by span, while
//! a run goes on, into a [`reports::trace::Trace`] (rendered for Perfetto or as JSON lines by
//! `reports`).
//!
//! ```text
//!  TraceSpec (ids, cells, window) ──check──▶ Selection ──▶ Tracer (in Platform, Option<Box<_>>)
//!     platform hooks: request_started → attempt_started → admitted → phase … → attempt_ended
//!                     → attempt_result → retry_scheduled | request_finished
//!     + instants (faults, breakers, heartbeats, routes, config, lifecycle) + cell counters
//! ```
//!
//! **What is traced.** Every request that *starts* in `[from, to)` of a tenant selected by id,
//! or of any tenant whose cell (when the request starts) is a selected cell; then all of that
//! request, however long it lasts. Instants and counter samples are recorded from `from` until
//! `to`, and after `to` for as long as a traced request is still in flight.
//!
//! **It cannot change the run.** The tracer only receives values the model computed anyway; it
//! draws no random number, schedules no event, and the model never reads it back. The only
//! state it touches outside itself is the breaker sets' transition logs, which it drains; no
//! model decision reads them. So a traced run has the same events, in the same order, and the
//! same digest as the untraced one (`tests/trace.rs` checks it). When tracing is off the
//! platform holds `None` and each hook is one predictable branch.
//!
//! **Bounded.** Recording stops taking new requests once `max_events` records (requests,
//! attempts, phases, backoffs, instants, counter samples) are kept; requests already being
//! traced are completed (so each written request is whole), and later instants and counter
//! samples are dropped and counted. Counter samples are taken when a cell's state changes, at
//! most one per `counter_resolution` per cell (the state at the end of each resolution step in
//! which it changed), plus one at every recording-window boundary with the DB utilisation.
//!
//! **Phases** of an attempt tile it from its start to when the platform finished it:
//! `edge` (limits, admission, route; note `route_refresh` if it waited for one),
//! `edge_to_cell` (an edge↔cell partition that hangs), `queue`, `kms` (a data-key fetch),
//! `service` (worker CPU), then per DB query `db_wait` (for a connection) and `db_run`,
//! `db_latency` (an injected dependency latency, holding the connection) or `db_call` (a
//! cell↔DB partition that hangs). An attempt refused at the edge has one zero-length `edge`
//! phase.

use crate::component::breaker::{BreakerState, BreakerTransition};
use crate::component::outcome::Outcome;
use crate::component::slab::Id;
use crate::population::Population;
use crate::scenario::Scenario;
use reports::trace::{
    AttemptTrace, BackoffTrace, CounterSample, FaultTrace, InstantTrace, PhaseTrace, RequestTrace,
    Scope, Trace, TraceMeta, TracedTenant,
};
use serde_json::Value;
use sim::{SimDuration, SimTime};
use std::collections::BTreeMap;

/// Default bound on recorded records.
pub const DEFAULT_MAX_EVENTS: u64 = 2_000_000;
/// Default counter resolution.
pub const DEFAULT_COUNTER_RESOLUTION: SimDuration = SimDuration(10_000_000);

/// What to trace, as the user wrote it (validated against a scenario by [`TraceSpec::check`]).
#[derive(Clone, Debug, PartialEq)]
pub struct TraceSpec {
    /// Tenant ids whose requests are traced.
    pub tenants: Vec<String>,
    /// Cells whose tenants' requests are traced.
    pub cells: Vec<u32>,
    /// Trace requests starting at or after this time since the start (default 0).
    pub from: Option<SimDuration>,
    /// ... and before this time (default: the end of the run).
    pub to: Option<SimDuration>,
    /// Bound on recorded records.
    pub max_events: u64,
    /// Counter sampling resolution.
    pub counter_resolution: SimDuration,
}

impl Default for TraceSpec {
    fn default() -> Self {
        TraceSpec {
            tenants: Vec::new(),
            cells: Vec::new(),
            from: None,
            to: None,
            max_events: DEFAULT_MAX_EVENTS,
            counter_resolution: DEFAULT_COUNTER_RESOLUTION,
        }
    }
}

/// Why a [`TraceSpec`] does not fit a scenario (an input error: exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// Neither tenants nor cells were named.
    #[error(
        "nothing to trace\n  = help: name at least one tenant (`--tenant ID`) or cell (`--cell N`)"
    )]
    Nothing,
    /// A tenant id is not in the scenario.
    #[error("no tenant has the id `{id}`\n  = help: {hint}")]
    UnknownTenant {
        /// The id given.
        id: String,
        /// What ids look like here.
        hint: String,
    },
    /// A cell index is out of range.
    #[error("there is no cell {cell}: the scenario has {cells} cells\n  = help: cells are numbered 0..={last}", last = cells.saturating_sub(1))]
    UnknownCell {
        /// The cell given.
        cell: u32,
        /// Cells in the scenario.
        cells: u32,
    },
    /// The window is empty or outside the run.
    #[error("the window {from}..{to} is empty or outside the run (0..{duration})\n  = help: give --from before --to, both within the run's duration")]
    BadWindow {
        /// From.
        from: SimDuration,
        /// To.
        to: SimDuration,
        /// The run's duration.
        duration: SimDuration,
    },
    /// The event bound is zero.
    #[error("--max-events must be at least 1")]
    ZeroCap,
}

/// A checked selection: population indices and an interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// Tenants by population index, in the order given.
    pub tenants: Vec<u32>,
    /// Cells, in the order given.
    pub cells: Vec<u32>,
    /// Start of the window.
    pub from: SimTime,
    /// End of the window (exclusive).
    pub to: SimTime,
}

impl TraceSpec {
    /// Checks the spec against a scenario and its population.
    pub fn check(&self, sc: &Scenario, pop: &Population) -> Result<Selection, SelectionError> {
        if self.tenants.is_empty() && self.cells.is_empty() {
            return Err(SelectionError::Nothing);
        }
        if self.max_events == 0 {
            return Err(SelectionError::ZeroCap);
        }
        let mut tenants = Vec::new();
        for id in &self.tenants {
            match pop.find(id) {
                Some(t) => {
                    if !tenants.contains(&t.0) {
                        tenants.push(t.0);
                    }
                }
                None => {
                    return Err(SelectionError::UnknownTenant {
                        id: id.clone(),
                        hint: tenant_hint(sc, pop, id),
                    })
                }
            }
        }
        let n_cells = sc.platform.cells;
        let mut cells = Vec::new();
        for &c in &self.cells {
            if c >= n_cells {
                return Err(SelectionError::UnknownCell {
                    cell: c,
                    cells: n_cells,
                });
            }
            if !cells.contains(&c) {
                cells.push(c);
            }
        }
        let duration = SimDuration(sc.duration.as_nanos());
        let from = self.from.unwrap_or(SimDuration::ZERO);
        let to = self.to.unwrap_or(duration);
        if from >= to || from >= duration {
            return Err(SelectionError::BadWindow { from, to, duration });
        }
        Ok(Selection {
            tenants,
            cells,
            from: SimTime(from.as_nanos()),
            to: SimTime(to.as_nanos().min(duration.as_nanos())),
        })
    }
}

/// A hint for an unknown tenant id: near matches, else examples.
fn tenant_hint(sc: &Scenario, pop: &Population, id: &str) -> String {
    // `small-7` for `small-0007`.
    if let Some((cohort, n)) = id.rsplit_once('-') {
        if let (Some(co), Ok(n)) = (
            sc.cohorts.iter().find(|c| c.name == cohort),
            n.parse::<u32>(),
        ) {
            if n >= 1 && n <= co.count {
                let want = crate::scenario::cohort_member_id(cohort, n - 1);
                return format!(
                    "did you mean `{want}`? (cohort members are numbered with 4 digits)"
                );
            }
            return format!(
                "cohort `{cohort}` has members {} to {}",
                crate::scenario::cohort_member_id(cohort, 0),
                crate::scenario::cohort_member_id(cohort, co.count.saturating_sub(1))
            );
        }
    }
    let lower = id.to_ascii_lowercase();
    let near: Vec<&str> = pop
        .tenants
        .iter()
        .map(|t| t.id.as_str())
        .filter(|t| {
            let t = t.to_ascii_lowercase();
            !lower.is_empty() && (t.contains(&lower) || lower.contains(&t))
        })
        .take(5)
        .collect();
    if !near.is_empty() {
        return format!("did you mean {}?", quote_list(&near));
    }
    let mut examples: Vec<String> = sc.tenants.iter().take(5).map(|t| t.id.clone()).collect();
    for c in sc.cohorts.iter().take(3) {
        examples.push(format!("{}-0001", c.name));
    }
    let examples: Vec<&str> = examples.iter().map(String::as_str).collect();
    format!(
        "tenants here include {} (cohort members are named COHORT-NNNN)",
        quote_list(&examples)
    )
}

fn quote_list(v: &[&str]) -> String {
    v.iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A platform attempt being traced.
struct LiveAttempt {
    req: u32,
    attempt: u16,
    kind: &'static str,
    start: u64,
    query: Option<u16>,
    note: Option<&'static str>,
    queries: u16,
}

/// A logical request being traced.
struct LiveRequest {
    idx: u32,
    /// The platform attempt the client waits for.
    att: Option<u64>,
}

/// Per cell: counter sampling state.
#[derive(Clone, Copy, Default)]
struct CellCounter {
    counted: bool,
    /// The state after the latest change, not yet emitted, and its resolution step.
    pending: Option<(u64, CounterSample)>,
    /// The last sample emitted.
    last: Option<CounterSample>,
}

/// Fault facts the tracer needs.
struct FaultInfo {
    name: String,
    kind: &'static str,
    target: String,
    tenant: Option<u32>,
    cells: Vec<u32>,
    start: u64,
    end: u64,
}

/// The recorder of one traced run (see the module docs).
pub struct Tracer {
    sel_tenant: Vec<bool>,
    sel_cell: Vec<bool>,
    from: SimTime,
    to: SimTime,
    max: u64,
    records: u64,
    cap_hit_at: Option<SimTime>,
    dropped: u64,
    resolution: u64,
    /// Population index → index in `tenants` (u32::MAX: not in the trace yet).
    trace_tenant: Vec<u32>,
    tenants: Vec<u32>,
    reqs: BTreeMap<u64, LiveRequest>,
    atts: BTreeMap<u64, LiveAttempt>,
    requests: Vec<RequestTrace>,
    instants: Vec<InstantTrace>,
    counters: Vec<CounterSample>,
    cells: Vec<CellCounter>,
    faults: Vec<FaultInfo>,
    last_at: u64,
}

/// The client-facing name of an outcome and its cause.
fn outcome_name(
    o: Outcome,
    retry_after: Option<SimDuration>,
) -> (&'static str, Option<&'static str>) {
    match o {
        Outcome::Ok => ("ok", None),
        Outcome::Rejected => (
            "429",
            Some(if retry_after.is_some() {
                "rate_limited"
            } else {
                "concurrency_limit"
            }),
        ),
        Outcome::Failed(c) => (if c.is_shed() { "503" } else { "5xx" }, Some(c.name())),
        Outcome::TimedOut => ("timeout", None),
    }
}

fn breaker_state_name(s: BreakerState) -> &'static str {
    match s {
        BreakerState::Closed => "closed",
        BreakerState::Open => "open",
        BreakerState::HalfOpen => "half_open",
    }
}

impl Tracer {
    /// A tracer for `sel` in a run of `sc` with population `pop`.
    pub fn new(sc: &Scenario, pop: &Population, sel: &Selection, spec: &TraceSpec) -> Tracer {
        let n = pop.tenants.len();
        let n_cells = sc.platform.cells as usize;
        let mut sel_tenant = vec![false; n];
        for &t in &sel.tenants {
            sel_tenant[t as usize] = true;
        }
        let mut sel_cell = vec![false; n_cells];
        let mut cells = vec![CellCounter::default(); n_cells];
        for &c in &sel.cells {
            sel_cell[c as usize] = true;
            cells[c as usize].counted = true;
        }
        for &t in &sel.tenants {
            if let Some(c) = cells.get_mut(pop.tenants[t as usize].cell as usize) {
                c.counted = true;
            }
        }
        let faults = sc
            .faults
            .iter()
            .map(|f| FaultInfo {
                name: f.name.clone(),
                kind: f.kind.name(),
                target: f.kind.target(),
                tenant: f.kind.tenant().and_then(|t| pop.find(t)).map(|t| t.0),
                cells: f.kind.targets().cells,
                start: f.start.as_nanos(),
                end: f.end.as_nanos(),
            })
            .collect();
        let mut tr = Tracer {
            sel_tenant,
            sel_cell,
            from: sel.from,
            to: sel.to,
            max: spec.max_events,
            records: 0,
            cap_hit_at: None,
            dropped: 0,
            resolution: spec.counter_resolution.as_nanos().max(1),
            trace_tenant: vec![u32::MAX; n],
            tenants: Vec::new(),
            reqs: BTreeMap::new(),
            atts: BTreeMap::new(),
            requests: Vec::new(),
            instants: Vec::new(),
            counters: Vec::new(),
            cells,
            faults,
            last_at: sel.from.as_nanos(),
        };
        for &t in &sel.tenants {
            tr.tenant_index(t);
        }
        tr
    }

    fn tenant_index(&mut self, t: u32) -> u32 {
        let slot = &mut self.trace_tenant[t as usize];
        if *slot == u32::MAX {
            *slot = self.tenants.len() as u32;
            self.tenants.push(t);
        }
        *slot
    }

    /// Whether instants and counters are recorded at `now`.
    #[inline]
    fn recording(&self, now: SimTime) -> bool {
        now >= self.from && (now < self.to || !self.reqs.is_empty() || !self.atts.is_empty())
    }

    /// Whether tenant `t` (now on `cell`) is selected.
    #[inline]
    fn selected(&self, t: u32, cell: u32) -> bool {
        self.sel_tenant[t as usize] || self.sel_cell.get(cell as usize).copied().unwrap_or(false)
    }

    /// Keeps one record unless the bound is reached.
    fn take_record(&mut self) -> bool {
        if self.records >= self.max {
            self.dropped += 1;
            return false;
        }
        self.records += 1;
        true
    }

    fn instant(
        &mut self,
        now: SimTime,
        kind: &'static str,
        scope: Scope,
        args: Vec<(&'static str, Value)>,
    ) {
        if !self.take_record() {
            return;
        }
        self.last_at = self.last_at.max(now.as_nanos());
        self.instants.push(InstantTrace {
            at_ns: now.as_nanos(),
            kind,
            scope,
            args,
        });
    }

    // ---- requests --------------------------------------------------------------------------

    /// A client sent a request (`cell`: the tenant's cell now).
    #[cold]
    #[inline(never)]
    pub fn request_started(&mut self, now: SimTime, req: Id, tenant: u32, cell: u32, class: u16) {
        if now < self.from || now >= self.to || !self.selected(tenant, cell) {
            return;
        }
        if self.records >= self.max {
            self.cap_hit_at.get_or_insert(now);
            return;
        }
        self.records += 1;
        let ti = self.tenant_index(tenant);
        let idx = self.requests.len() as u32;
        self.requests.push(RequestTrace {
            id: idx as u64 + 1,
            tenant: ti,
            class,
            cell,
            start_ns: now.as_nanos(),
            end_ns: None,
            outcome: "in_flight",
            cause: None,
            attempts: Vec::new(),
            backoffs: Vec::new(),
        });
        self.reqs.insert(req.word(), LiveRequest { idx, att: None });
    }

    /// The client makes attempt `number` of `req`.
    #[cold]
    #[inline(never)]
    pub fn attempt_started(&mut self, now: SimTime, req: Id, number: u16) {
        let Some(r) = self.reqs.get(&req.word()) else {
            return;
        };
        let idx = r.idx as usize;
        self.records += 1;
        let rt = &mut self.requests[idx];
        if let Some(b) = rt.backoffs.last_mut() {
            if b.end_ns.is_none() {
                b.end_ns = Some(now.as_nanos());
            }
        }
        rt.attempts.push(AttemptTrace {
            number,
            cell: None,
            start_ns: now.as_nanos(),
            end_ns: None,
            platform_end_ns: None,
            outcome: "in_flight",
            cause: None,
            platform_outcome: "in_flight",
            platform_cause: None,
            retry_after_ns: None,
            phases: Vec::new(),
        });
    }

    /// The edge let the attempt in: it is now the platform attempt `att`.
    #[cold]
    #[inline(never)]
    pub fn attempt_admitted(&mut self, req: Id, att: Id) {
        let Some(r) = self.reqs.get_mut(&req.word()) else {
            return;
        };
        r.att = Some(att.word());
        let idx = r.idx;
        let rt = &self.requests[idx as usize];
        let Some(a) = rt.attempts.last() else {
            return;
        };
        let live = LiveAttempt {
            req: idx,
            attempt: (rt.attempts.len() - 1) as u16,
            kind: "edge",
            start: a.start_ns,
            query: None,
            note: None,
            queries: 0,
        };
        self.atts.insert(att.word(), live);
    }

    /// The edge holds the attempt until a route refresh answers.
    #[cold]
    #[inline(never)]
    pub fn route_parked(&mut self, att: Id) {
        if let Some(a) = self.atts.get_mut(&att.word()) {
            a.note = Some("route_refresh");
        }
    }

    /// The edge sent the attempt to `cell`.
    #[cold]
    #[inline(never)]
    pub fn delivered(&mut self, att: Id, cell: u32) {
        let Some(a) = self.atts.get(&att.word()) else {
            return;
        };
        let (r, i) = (a.req as usize, a.attempt as usize);
        self.requests[r].attempts[i].cell = Some(cell);
        if let Some(c) = self.cells.get_mut(cell as usize) {
            c.counted = true;
        }
    }

    fn close_phase(&mut self, att: u64, at: u64) {
        let Some(a) = self.atts.get(&att) else {
            return;
        };
        let p = PhaseTrace {
            kind: a.kind,
            start_ns: a.start,
            end_ns: at.max(a.start),
            query: a.query,
            note: a.note,
        };
        let (r, i) = (a.req as usize, a.attempt as usize);
        self.records += 1;
        self.requests[r].attempts[i].phases.push(p);
    }

    /// The attempt enters phase `kind` at `now` (the previous phase ends there).
    #[cold]
    #[inline(never)]
    pub fn phase(&mut self, now: SimTime, att: Id, kind: &'static str) {
        let w = att.word();
        if !self.atts.contains_key(&w) {
            return;
        }
        self.close_phase(w, now.as_nanos());
        if let Some(a) = self.atts.get_mut(&w) {
            if kind == "db_wait" || kind == "db_call" {
                a.queries = a.queries.saturating_add(1);
            }
            a.query = kind.starts_with("db").then_some(a.queries);
            a.kind = kind;
            a.start = now.as_nanos();
            a.note = None;
        }
    }

    /// The attempt's current query got a DB connection at `started` (its wait ends there).
    #[cold]
    #[inline(never)]
    pub fn db_started(&mut self, att: Id, started: SimTime) {
        let w = att.word();
        if self.atts.get(&w).is_none_or(|a| a.kind != "db_wait") {
            return;
        }
        self.close_phase(w, started.as_nanos());
        if let Some(a) = self.atts.get_mut(&w) {
            a.kind = "db_run";
            a.start = started.as_nanos().max(a.start);
        }
    }

    /// The platform finished the attempt (answered, refused, failed, or done after the client
    /// gave up).
    #[cold]
    #[inline(never)]
    pub fn attempt_ended(&mut self, now: SimTime, att: Id, outcome: Outcome) {
        let w = att.word();
        if !self.atts.contains_key(&w) {
            return;
        }
        self.close_phase(w, now.as_nanos());
        let Some(a) = self.atts.remove(&w) else {
            return;
        };
        let at = &mut self.requests[a.req as usize].attempts[a.attempt as usize];
        at.platform_end_ns = Some(now.as_nanos());
        let (o, c) = outcome_name(outcome, None);
        at.platform_outcome = o;
        at.platform_cause = if outcome == Outcome::TimedOut {
            Some("edge_gave_up")
        } else {
            c
        };
    }

    /// The client learnt how its current attempt ended (or gave up on it).
    #[cold]
    #[inline(never)]
    pub fn attempt_result(
        &mut self,
        now: SimTime,
        req: Id,
        outcome: Outcome,
        retry_after: Option<SimDuration>,
    ) {
        let Some(r) = self.reqs.get_mut(&req.word()) else {
            return;
        };
        let (idx, att) = (r.idx as usize, r.att.take());
        let (name, mut cause) = outcome_name(outcome, retry_after);
        match att {
            // The platform is still working on it: the client gave up.
            Some(w) if self.atts.contains_key(&w) => {
                if let Some(a) = self.atts.get(&w) {
                    cause = Some(a.kind);
                }
            }
            // The platform had finished it (it answered first).
            Some(_) => {
                if outcome == Outcome::TimedOut {
                    cause = Some("edge_to_cell");
                }
            }
            // Refused at the edge before it became a platform attempt.
            None => {
                self.records += 1;
                if let Some(a) = self.requests[idx].attempts.last_mut() {
                    a.phases.push(PhaseTrace {
                        kind: "edge",
                        start_ns: a.start_ns,
                        end_ns: now.as_nanos(),
                        query: None,
                        note: None,
                    });
                    a.platform_end_ns = Some(now.as_nanos());
                    a.platform_outcome = name;
                    a.platform_cause = cause;
                }
            }
        }
        if let Some(a) = self.requests[idx].attempts.last_mut() {
            a.end_ns = Some(now.as_nanos());
            a.outcome = name;
            a.cause = cause;
            a.retry_after_ns = retry_after.map(|d| d.as_nanos());
        }
    }

    /// The client will retry the request after a backoff that starts now.
    #[cold]
    #[inline(never)]
    pub fn retry_scheduled(&mut self, now: SimTime, req: Id) {
        let Some(r) = self.reqs.get(&req.word()) else {
            return;
        };
        let rt = &mut self.requests[r.idx as usize];
        self.records += 1;
        rt.backoffs.push(BackoffTrace {
            after_attempt: rt.attempts.last().map_or(0, |a| a.number),
            start_ns: now.as_nanos(),
            end_ns: None,
        });
    }

    /// The request reached its outcome (that of its last attempt).
    #[cold]
    #[inline(never)]
    pub fn request_finished(&mut self, now: SimTime, req: Id) {
        let Some(r) = self.reqs.remove(&req.word()) else {
            return;
        };
        self.last_at = self.last_at.max(now.as_nanos());
        let rt = &mut self.requests[r.idx as usize];
        rt.end_ns = Some(now.as_nanos());
        if let Some(a) = rt.attempts.last() {
            rt.outcome = a.outcome;
            rt.cause = a.cause;
        }
    }

    // ---- instants --------------------------------------------------------------------------

    /// Fault `f` started or ended; `tenant_cell`: each tenant's cell now.
    #[cold]
    #[inline(never)]
    pub fn fault(&mut self, now: SimTime, f: u32, started: bool, tenant_cell: &[u32]) {
        if !self.recording(now) {
            return;
        }
        let Some(info) = self.faults.get(f as usize) else {
            return;
        };
        let kind = if started {
            "fault_started"
        } else {
            "fault_ended"
        };
        let args = vec![
            ("fault", Value::from(info.name.clone())),
            ("fault_kind", Value::from(info.kind)),
            ("target", Value::from(info.target.clone())),
        ];
        let (tenant, cells) = (info.tenant, info.cells.clone());
        if tenant.is_none() && cells.is_empty() {
            self.instant(now, kind, Scope::Global, args);
            return;
        }
        if let Some(t) = tenant {
            let cell = tenant_cell.get(t as usize).copied().unwrap_or(u32::MAX);
            if self.selected(t, cell) {
                let ti = self.tenant_index(t);
                self.instant(now, kind, Scope::Tenant(ti), args.clone());
            }
        }
        for c in cells {
            if self.cells.get(c as usize).is_some_and(|x| x.counted) {
                self.instant(now, kind, Scope::Cell(c), args.clone());
            }
        }
    }

    /// A breaker guarding `dependency` (`db` or `kms`) in `cell` changed state.
    #[cold]
    #[inline(never)]
    pub fn breaker(
        &mut self,
        now: SimTime,
        dependency: &'static str,
        cell: u32,
        tr: BreakerTransition,
        tenant_cell: &[u32],
    ) {
        if !self.recording(now) {
            return;
        }
        let args = vec![
            ("dependency", Value::from(dependency)),
            ("state", Value::from(breaker_state_name(tr.state))),
            ("cell", Value::from(cell)),
        ];
        let at = SimTime(tr.at.as_nanos().max(self.from.as_nanos()));
        match tr.tenant {
            None => {
                if self.cells.get(cell as usize).is_some_and(|c| c.counted) {
                    self.instant(at, "breaker", Scope::Cell(cell), args);
                }
            }
            Some(t) => {
                let tc = tenant_cell.get(t as usize).copied().unwrap_or(u32::MAX);
                if (t as usize) < self.sel_tenant.len() && self.selected(t, tc) {
                    let ti = self.tenant_index(t);
                    self.instant(at, "breaker", Scope::Tenant(ti), args);
                }
            }
        }
    }

    /// The failure detector marked `cell` dead or alive.
    #[cold]
    #[inline(never)]
    pub fn cell_health(&mut self, now: SimTime, cell: u32, dead: bool) {
        if !self.recording(now) || !self.cells.get(cell as usize).is_some_and(|c| c.counted) {
            return;
        }
        let kind = if dead {
            "cell_marked_dead"
        } else {
            "cell_marked_alive"
        };
        self.instant(
            now,
            kind,
            Scope::Cell(cell),
            vec![("cell", Value::from(cell))],
        );
    }

    /// An action of the control plane on `cell` (not on one tenant): an instant on the cell.
    #[cold]
    #[inline(never)]
    pub fn cell_action(&mut self, now: SimTime, cell: u32, args: Vec<(&'static str, Value)>) {
        if !self.recording(now) || !self.cells.get(cell as usize).is_some_and(|c| c.counted) {
            return;
        }
        self.instant(now, "control_action", Scope::Cell(cell), args);
    }

    /// Whether tenant events of `t` (on `cell`) are recorded at `now`: the caller builds the
    /// arguments only then.
    #[inline]
    pub fn wants_tenant(&self, now: SimTime, t: u32, cell: u32) -> bool {
        self.recording(now) && self.selected(t, cell)
    }

    /// A control-plane event of tenant `t` (route, config, lifecycle, migration); call only
    /// when [`Tracer::wants_tenant`].
    #[cold]
    #[inline(never)]
    pub fn tenant_event(
        &mut self,
        now: SimTime,
        t: u32,
        kind: &'static str,
        args: Vec<(&'static str, Value)>,
    ) {
        let ti = self.tenant_index(t);
        self.instant(now, kind, Scope::Tenant(ti), args);
    }

    // ---- counters --------------------------------------------------------------------------

    /// Whether `cell` has counters (the caller reads its state only then).
    #[inline]
    pub fn counts_cell(&self, now: SimTime, cell: u32) -> bool {
        self.cells.get(cell as usize).is_some_and(|c| c.counted) && self.recording(now)
    }

    fn emit_counter(&mut self, s: CounterSample) {
        let Some(c) = self.cells.get(s.cell as usize) else {
            return;
        };
        let same = c.last.is_some_and(|l| {
            l.queue_depth == s.queue_depth
                && l.workers_busy == s.workers_busy
                && l.workers == s.workers
                && l.db_connections_held == s.db_connections_held
                && l.db_waiting == s.db_waiting
        });
        if same && s.db_utilisation.is_none() {
            return;
        }
        if !self.take_record() {
            return;
        }
        self.last_at = self.last_at.max(s.at_ns);
        self.cells[s.cell as usize].last = Some(s);
        self.counters.push(s);
    }

    /// Emits a cell's pending state at the end of its resolution step, if that is ≤ `now`.
    fn flush_pending(&mut self, cell: u32, now: u64) {
        let Some(c) = self.cells.get_mut(cell as usize) else {
            return;
        };
        if let Some((step, mut s)) = c.pending {
            let at = (step + 1).saturating_mul(self.resolution);
            if at <= now {
                c.pending = None;
                s.at_ns = at;
                self.emit_counter(s);
            }
        }
    }

    /// `cell`'s state after a change at `now` (call only when [`Tracer::counts_cell`]).
    #[cold]
    #[inline(never)]
    pub fn cell_state(&mut self, now: SimTime, mut s: CounterSample) {
        let cell = s.cell;
        self.flush_pending(cell, now.as_nanos());
        s.at_ns = now.as_nanos();
        let step = now.as_nanos() / self.resolution;
        if let Some(c) = self.cells.get_mut(cell as usize) {
            c.pending = Some((step, s));
        }
    }

    /// `cell`'s state at a recording-window boundary, with the window's DB utilisation.
    #[cold]
    #[inline(never)]
    pub fn window_sample(&mut self, now: SimTime, s: CounterSample) {
        self.flush_pending(s.cell, now.as_nanos());
        if let Some(c) = self.cells.get_mut(s.cell as usize) {
            c.pending = None;
        }
        self.emit_counter(CounterSample {
            at_ns: now.as_nanos(),
            ..s
        });
    }

    // ---- the end ---------------------------------------------------------------------------

    /// Closes what is still open at the run's end `end` and returns the trace; `names`: each
    /// tenant's (id, tier, cell at the end); `classes`: class names.
    pub fn finish(
        mut self,
        end: SimTime,
        names: &[(String, String, u32)],
        classes: Vec<String>,
        mut meta: TraceMeta,
    ) -> Trace {
        let e = end.as_nanos();
        let open: Vec<u64> = self.atts.keys().copied().collect();
        for w in open {
            self.close_phase(w, e);
        }
        for c in 0..self.cells.len() {
            self.flush_pending(c as u32, e);
        }
        self.instants.sort_by_key(|i| i.at_ns);
        self.counters.sort_by_key(|c| (c.at_ns, c.cell));
        let last = self.last_at.max(
            self.requests
                .iter()
                .map(|r| r.end_ns.unwrap_or(e))
                .max()
                .unwrap_or(0),
        );
        let from = self.from.as_nanos();
        let faults = self
            .faults
            .iter()
            .filter(|f| {
                let shown = (f.tenant.is_none() && f.cells.is_empty())
                    || f.tenant
                        .is_some_and(|t| self.trace_tenant[t as usize] != u32::MAX)
                    || f.cells
                        .iter()
                        .any(|&c| self.cells.get(c as usize).is_some_and(|x| x.counted));
                shown && f.end > from && f.start <= last
            })
            .map(|f| FaultTrace {
                name: f.name.clone(),
                kind: f.kind,
                target: f.target.clone(),
                start_ns: f.start,
                end_ns: f.end,
            })
            .collect();
        meta.from_ns = from;
        meta.to_ns = self.to.as_nanos();
        meta.run_end_ns = e;
        meta.counter_cells = (0..self.cells.len() as u32)
            .filter(|&c| self.cells[c as usize].counted)
            .collect();
        meta.counter_resolution_ns = self.resolution;
        meta.max_events = self.max;
        meta.records = self.records;
        meta.cap_hit_at_ns = self.cap_hit_at.map(|t| t.as_nanos());
        meta.dropped = self.dropped;
        Trace {
            meta,
            tenants: self
                .tenants
                .iter()
                .map(|&t| {
                    let (id, tier, cell) = names.get(t as usize).cloned().unwrap_or_default();
                    TracedTenant { id, tier, cell }
                })
                .collect(),
            classes,
            requests: self.requests,
            faults,
            instants: self.instants,
            counters: self.counters,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SC: &str = r#"version = 1
duration = "1m"
[platform]
cells = 2
[[tenants]]
id = "a"
rate = "1/s"
"#;

    fn tracer(resolution_ns: u64) -> Tracer {
        let sc = crate::scenario::load_str("t.toml", SC, &[]).unwrap();
        let pop = Population::build(&sc, 1);
        let spec = TraceSpec {
            cells: vec![0],
            counter_resolution: SimDuration(resolution_ns),
            ..TraceSpec::default()
        };
        let sel = spec.check(&sc, &pop).unwrap();
        Tracer::new(&sc, &pop, &sel, &spec)
    }

    fn state(cell: u32, queue_depth: u32) -> CounterSample {
        CounterSample {
            at_ns: 0,
            cell,
            queue_depth,
            workers_busy: 0,
            workers: 4,
            db_connections_held: 0,
            db_waiting: 0,
            db_utilisation: None,
        }
    }

    /// Oracle: the emitted samples are, for each resolution step in which the state changed,
    /// the state at the step's end; repeats of the last emitted state are skipped; a window
    /// sample is always kept (it carries the utilisation); uncounted cells record nothing.
    #[test]
    fn counters_keep_the_state_at_the_end_of_each_changed_step() {
        let mut tr = tracer(10);
        let changes = [(1, 1), (5, 2), (12, 3), (19, 3), (35, 0), (36, 5), (38, 0)];
        for (t, q) in changes {
            if tr.counts_cell(SimTime(t), 0) {
                tr.cell_state(SimTime(t), state(0, q));
            }
            assert!(!tr.counts_cell(SimTime(t), 1), "cell 1 is not selected");
        }
        tr.window_sample(
            SimTime(50),
            CounterSample {
                db_utilisation: Some(0.5),
                ..state(0, 0)
            },
        );
        let trace = tr.finish(SimTime(60), &[], Vec::new(), TraceMeta::default());
        let got: Vec<(u64, u32, Option<f64>)> = trace
            .counters
            .iter()
            .map(|c| (c.at_ns, c.queue_depth, c.db_utilisation))
            .collect();
        // Step [0,10): last 2 → at 10. Step [10,20): last 3 → at 20. Step [30,40): last 0 →
        // at 40. The window sample at 50 (same state, but with the utilisation).
        assert_eq!(
            got,
            vec![
                (10, 2, None),
                (20, 3, None),
                (40, 0, None),
                (50, 0, Some(0.5))
            ]
        );
    }

    #[test]
    fn the_bound_stops_new_requests_and_counts_drops() {
        let mut tr = tracer(10);
        tr.max = 1;
        let id = |slot| Id { slot, gen: 0 };
        tr.request_started(SimTime(1), id(0), 0, 0, 0);
        tr.request_started(SimTime(2), id(1), 0, 0, 0);
        tr.cell_health(SimTime(3), 0, true);
        let trace = tr.finish(SimTime(60), &[], Vec::new(), TraceMeta::default());
        assert_eq!(trace.requests.len(), 1);
        assert_eq!(trace.meta.cap_hit_at_ns, Some(2));
        assert_eq!(trace.meta.dropped, 1);
    }
}

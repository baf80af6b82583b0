//! Request traces: what happened to selected tenants' requests, span by span, as plain data
//! ([`Trace`]), and its two renderings — Chrome Trace Event Format JSON for Perfetto /
//! `chrome://tracing` ([`write_perfetto`]) and JSON lines for `jq` ([`write_jsonl`]).
//!
//! ```text
//!  request ├──────────────────────────────────────────────────────────────────┤
//!  attempt ├─ 1 ──────────────────┤ backoff ├─ 2 ──────────────────────────────┤
//!  phases  ├edge┤queue├─service─┤·          ├edge┤queue ├service┤db_wait┤db_run┤
//!                                ╰── flow "retry" ──╯
//! ```
//!
//! A *request* span runs from the client sending it to the client learning its outcome.
//! Its *attempts* and the *backoff* waits between them tile it exactly: attempt 1 starts with
//! the request, each backoff starts when the previous attempt ended for the client and ends
//! when the next attempt starts, and the last attempt ends with the request. An attempt's
//! *phases* (`edge`, `edge_to_cell`, `queue`, `kms`, `service`, `db_wait`, `db_run`,
//! `db_latency`, `db_call`) tile the time from the attempt's start to when the *platform*
//! finished it; that is the client's end too, unless the client gave up first (a timeout),
//! and then the platform's work goes on after it (wasted work): the Perfetto rendering clips
//! the attempt's phases at the client's end and draws the rest on an "abandoned work" track.
//! All times are integer nanoseconds since the start of the run.
//!
//! **Guarantees.** Rendering is a pure function of the [`Trace`] (same trace, same bytes).
//! In the Perfetto output every `X` event on one (pid, tid) nests properly (requests get
//! lanes so that they never overlap), every flow `s` has its `f`, and every counter argument
//! is a number. `reports/README.md` ("Traces") documents every field of both formats.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::io::{self, Write};

/// A recorded trace: selected requests as spans, plus instants and counters.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// What was run and selected.
    pub meta: TraceMeta,
    /// Tenants that appear in the trace (requests or instants), indexed by `tenant` fields.
    pub tenants: Vec<TracedTenant>,
    /// Request classes by index (`RequestTrace::class`).
    pub classes: Vec<String>,
    /// Traced requests, in the order they started.
    pub requests: Vec<RequestTrace>,
    /// Faults of the scenario shown in the trace (global ones, and those on selected tenants
    /// or counted cells), in timeline order.
    pub faults: Vec<FaultTrace>,
    /// Instant events, in time order.
    pub instants: Vec<InstantTrace>,
    /// Counter samples of the counted cells, in time order.
    pub counters: Vec<CounterSample>,
}

/// What was run, what was selected, and what the recording cost.
#[derive(Clone, Debug, Default)]
pub struct TraceMeta {
    /// Scenario name.
    pub scenario: String,
    /// Scenario file as given.
    pub file: String,
    /// Seed.
    pub seed: u64,
    /// Variant, if any.
    pub variant: Option<String>,
    /// `--set` overrides, in order.
    pub overrides: Vec<String>,
    /// The run's digest (equal to the untraced run's).
    pub digest: String,
    /// tenantsim version that wrote it.
    pub version: String,
    /// Tenants selected by id.
    pub select_tenants: Vec<String>,
    /// Cells selected (every tenant on them).
    pub select_cells: Vec<u32>,
    /// Requests starting at or after this instant are traced (ns).
    pub from_ns: u64,
    /// ... and before this one (ns).
    pub to_ns: u64,
    /// The run's end (ns): open spans are drawn up to here.
    pub run_end_ns: u64,
    /// Cells with counter tracks.
    pub counter_cells: Vec<u32>,
    /// Counter sampling resolution (ns).
    pub counter_resolution_ns: u64,
    /// The bound on recorded records.
    pub max_events: u64,
    /// Records kept (requests, attempts, phases, backoffs, instants, counter samples).
    pub records: u64,
    /// When the bound was reached (no request starting later was traced), if it was.
    pub cap_hit_at_ns: Option<u64>,
    /// Instants and counter samples dropped because the bound was reached.
    pub dropped: u64,
}

/// A tenant in the trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TracedTenant {
    /// Tenant id.
    pub id: String,
    /// Tier name.
    pub tier: String,
    /// The cell it was on when the run ended.
    pub cell: u32,
}

/// One logical request.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestTrace {
    /// Request number within the trace (1, 2, … in start order).
    pub id: u64,
    /// Index into [`Trace::tenants`].
    pub tenant: u32,
    /// Index into [`Trace::classes`].
    pub class: u16,
    /// The tenant's cell when the request started.
    pub cell: u32,
    /// Sent by the client (ns).
    pub start_ns: u64,
    /// The client learnt its outcome (ns); `None`: still in flight when the run ended.
    pub end_ns: Option<u64>,
    /// `ok`, `429`, `503`, `5xx`, `timeout` or `in_flight`.
    pub outcome: &'static str,
    /// Cause of a 503/5xx (`queue_full`, …), the limit behind a 429 (`rate_limited`,
    /// `concurrency_limit`), or the phase a timed-out attempt was in.
    pub cause: Option<&'static str>,
    /// Attempts, in order.
    pub attempts: Vec<AttemptTrace>,
    /// Waits between attempts, in order.
    pub backoffs: Vec<BackoffTrace>,
}

/// One attempt of a request.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptTrace {
    /// 1 for the first try.
    pub number: u16,
    /// The cell it was sent to (`None`: refused at the edge, or never routed).
    pub cell: Option<u32>,
    /// Started (ns).
    pub start_ns: u64,
    /// Ended for the client (answer, refusal, or the client gave up) (ns); `None`: still in
    /// flight when the run ended.
    pub end_ns: Option<u64>,
    /// The platform finished its work on it (ns); later than `end_ns` when the client gave
    /// up first; `None`: still being worked on when the run ended.
    pub platform_end_ns: Option<u64>,
    /// As the client saw it (as [`RequestTrace::outcome`]).
    pub outcome: &'static str,
    /// As [`RequestTrace::cause`].
    pub cause: Option<&'static str>,
    /// How the platform's work ended (differs from `outcome` when the client gave up).
    pub platform_outcome: &'static str,
    /// Cause of `platform_outcome`.
    pub platform_cause: Option<&'static str>,
    /// Retry-After the edge sent with a 429 (ns).
    pub retry_after_ns: Option<u64>,
    /// Phases, contiguous from `start_ns` to `platform_end_ns` (or the run's end).
    pub phases: Vec<PhaseTrace>,
}

/// One phase of an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhaseTrace {
    /// `edge`, `edge_to_cell`, `queue`, `kms`, `service`, `db_wait`, `db_run`, `db_latency`,
    /// `db_call`.
    pub kind: &'static str,
    /// Start (ns).
    pub start_ns: u64,
    /// End (ns).
    pub end_ns: u64,
    /// For DB phases: which query of the attempt (1-based).
    pub query: Option<u16>,
    /// A detail, e.g. `route_refresh` when the edge waited for a route.
    pub note: Option<&'static str>,
}

/// A client's wait before retrying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackoffTrace {
    /// The attempt it follows.
    pub after_attempt: u16,
    /// Start (ns): the previous attempt's end for the client.
    pub start_ns: u64,
    /// End (ns): the next attempt's start; `None` if the run ended first.
    pub end_ns: Option<u64>,
}

/// Where an instant or a fault belongs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// The whole platform.
    Global,
    /// One cell.
    Cell(u32),
    /// One tenant (index into [`Trace::tenants`]).
    Tenant(u32),
}

/// A fault shown in the trace.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultTrace {
    /// Fault name.
    pub name: String,
    /// Fault kind as written in files.
    pub kind: &'static str,
    /// The target as text.
    pub target: String,
    /// Start (ns).
    pub start_ns: u64,
    /// End (ns, exclusive).
    pub end_ns: u64,
}

/// A point event.
#[derive(Clone, Debug, PartialEq)]
pub struct InstantTrace {
    /// When (ns).
    pub at_ns: u64,
    /// `fault_started`, `fault_ended`, `breaker`, `cell_marked_dead`, `cell_marked_alive`,
    /// `route_refreshed`, `route_refresh_failed`, `route_pushed`, `route_invalidated`,
    /// `config_published`, `config_applied`, `lifecycle`, `migration`.
    pub kind: &'static str,
    /// Where it belongs.
    pub scope: Scope,
    /// Details (name → value), in a fixed order.
    pub args: Vec<(&'static str, Value)>,
}

/// The state of one cell at one instant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CounterSample {
    /// When (ns).
    pub at_ns: u64,
    /// Cell.
    pub cell: u32,
    /// Attempts waiting in the cell's queue.
    pub queue_depth: u32,
    /// Workers busy.
    pub workers_busy: u32,
    /// Workers in service (fewer while workers are lost).
    pub workers: u32,
    /// DB connections held.
    pub db_connections_held: u32,
    /// Queries waiting for a DB connection.
    pub db_waiting: u32,
    /// DB core utilisation over the recording window that ended here (0..1); only on
    /// samples taken at a window boundary.
    pub db_utilisation: Option<f64>,
}

/// What was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Requests.
    pub requests: u64,
    /// Spans (requests, attempts, backoffs, phases, abandoned work, faults).
    pub spans: u64,
    /// Instant events.
    pub instants: u64,
    /// Counter events (Perfetto) or counter samples (JSON lines).
    pub counters: u64,
    /// Flow events (Perfetto: `s` + `f`).
    pub flows: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Writes `ns` as microseconds with exactly three decimals (exact: no float rounding).
fn us(ns: u64) -> String {
    format!("{}.{:03}", ns / 1000, ns % 1000)
}

/// A JSON string literal.
fn js(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

fn opt_u64(v: Option<u64>) -> String {
    v.map_or_else(|| "null".to_string(), |x| x.to_string())
}

fn opt_str(v: Option<&str>) -> String {
    v.map_or_else(|| "null".to_string(), js)
}

/// A writer that counts bytes.
struct Counting<W: Write> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Assigns each interval `[start, end]` (given in start order) the lowest-numbered lane
/// free at its start; touching intervals may share a lane. Returns (lane per interval,
/// number of lanes).
fn lanes(intervals: &[(u64, u64)]) -> (Vec<u32>, u32) {
    let mut busy: BinaryHeap<std::cmp::Reverse<(u64, u32)>> = BinaryHeap::new();
    let mut free: BTreeSet<u32> = BTreeSet::new();
    let mut n = 0u32;
    let mut out = Vec::with_capacity(intervals.len());
    for &(s, e) in intervals {
        while let Some(&std::cmp::Reverse((end, lane))) = busy.peek() {
            if end > s {
                break;
            }
            busy.pop();
            free.insert(lane);
        }
        let lane = match free.pop_first() {
            Some(l) => l,
            None => {
                n += 1;
                n - 1
            }
        };
        busy.push(std::cmp::Reverse((e, lane)));
        out.push(lane);
    }
    (out, n)
}

/// Process ids of the Perfetto layout: one process per traced tenant (first), then one per
/// counted cell, then the platform.
struct Pids {
    tenant0: u64,
    cell: BTreeMap<u32, u64>,
    platform: u64,
}

impl Pids {
    fn new(t: &Trace) -> Pids {
        let tenant0 = 10;
        let mut next = tenant0 + t.tenants.len() as u64;
        let mut cell = BTreeMap::new();
        let mut cells: BTreeSet<u32> = t.meta.counter_cells.iter().copied().collect();
        cells.extend(t.instants.iter().filter_map(|i| match i.scope {
            Scope::Cell(c) => Some(c),
            _ => None,
        }));
        for c in cells {
            cell.insert(c, next);
            next += 1;
        }
        Pids {
            tenant0,
            cell,
            platform: next,
        }
    }
    fn tenant(&self, t: u32) -> u64 {
        self.tenant0 + t as u64
    }
    fn scope(&self, s: Scope) -> u64 {
        match s {
            Scope::Global => self.platform,
            Scope::Cell(c) => self.cell.get(&c).copied().unwrap_or(self.platform),
            Scope::Tenant(t) => self.tenant(t),
        }
    }
}

/// An `X` event.
#[allow(clippy::too_many_arguments)]
fn x_event(
    w: &mut impl Write,
    name: &str,
    cat: &str,
    start: u64,
    end: u64,
    pid: u64,
    tid: u64,
    args: &str,
) -> io::Result<()> {
    writeln!(
        w,
        ",{{\"name\":{},\"cat\":\"{cat}\",\"ph\":\"X\",\"ts\":{},\"dur\":{},\"pid\":{pid},\"tid\":{tid},\"args\":{{\"ns\":{start},\"dur_ns\":{}{args}}}}}",
        js(name),
        us(start),
        us(end.saturating_sub(start)),
        end.saturating_sub(start)
    )
}

fn meta_event(w: &mut impl Write, name: &str, pid: u64, tid: u64, args: &str) -> io::Result<()> {
    writeln!(
        w,
        ",{{\"name\":\"{name}\",\"ph\":\"M\",\"ts\":0,\"pid\":{pid},\"tid\":{tid},\"args\":{{{args}}}}}"
    )
}

/// A point strictly inside the first (or last) phase of `phases` that has room for it,
/// clipped to `[lo, hi]`; else `lo` (or `hi`). Flow events bind to the slice enclosing
/// their timestamp, so a point strictly inside a phase binds to that phase unambiguously.
fn flow_point(phases: &[PhaseTrace], lo: u64, hi: u64, last: bool) -> u64 {
    let inside = |p: &PhaseTrace| {
        let (s, e) = (p.start_ns.max(lo), p.end_ns.min(hi));
        (e >= s + 2).then(|| if last { e - 1 } else { s + 1 })
    };
    let found = if last {
        phases.iter().rev().find_map(inside)
    } else {
        phases.iter().find_map(inside)
    };
    found.unwrap_or(if last { hi } else { lo })
}

/// Writes `trace` as Chrome Trace Event Format JSON (object form), for ui.perfetto.dev and
/// `chrome://tracing`.
///
/// Layout: one process per traced tenant (threads: one lane per concurrently open request,
/// then "abandoned work" lanes), one per counted cell (counters: `queue_depth`,
/// `workers_busy`, `db_connections`, `db_utilisation`; cell instants), and a `platform`
/// process (fault spans on lanes, global instants). `ts`/`dur` are microseconds with three
/// decimals (exact integer ns), and the exact ns are in `args.ns` / `args.dur_ns`.
pub fn write_perfetto(trace: &Trace, out: impl Write) -> io::Result<Written> {
    let mut w = Counting {
        inner: out,
        bytes: 0,
    };
    let mut n = Written::default();
    let pids = Pids::new(trace);
    write_processes(&mut w, trace, &pids)?;
    // Requests per tenant, on lanes.
    let mut by_tenant: Vec<Vec<&RequestTrace>> = vec![Vec::new(); trace.tenants.len()];
    for r in &trace.requests {
        if let Some(v) = by_tenant.get_mut(r.tenant as usize) {
            v.push(r);
        }
    }
    let mut flow_id = 0u64;
    for (ti, reqs) in by_tenant.iter().enumerate() {
        write_tenant(&mut w, trace, &pids, (ti, reqs), &mut n, &mut flow_id)?;
    }
    write_faults(&mut w, trace, &pids, &mut n)?;
    write_instants(&mut w, trace, &pids, &mut n)?;
    write_counters(&mut w, trace, &pids, &mut n)?;
    writeln!(w, "]}}")?;
    w.flush()?;
    n.bytes = w.bytes;
    Ok(n)
}

/// The header, the platform's and the cells' processes.
fn write_processes(w: &mut impl Write, trace: &Trace, pids: &Pids) -> io::Result<()> {
    writeln!(w, "{{\"displayTimeUnit\":\"ms\",")?;
    writeln!(w, "\"metadata\":{},", meta_json(trace))?;
    // The first element is a harmless metadata event so that every later one can start with
    // a comma.
    writeln!(
        w,
        "\"traceEvents\":[{{\"name\":\"process_name\",\"ph\":\"M\",\"ts\":0,\"pid\":{},\"tid\":0,\"args\":{{\"name\":\"platform\"}}}}",
        pids.platform
    )?;
    meta_event(
        w,
        "process_sort_index",
        pids.platform,
        0,
        &format!("\"sort_index\":{}", pids.platform),
    )?;
    for (&c, &pid) in &pids.cell {
        meta_event(
            w,
            "process_name",
            pid,
            0,
            &format!("\"name\":{}", js(&format!("cell {c}"))),
        )?;
        meta_event(
            w,
            "process_sort_index",
            pid,
            0,
            &format!("\"sort_index\":{pid}"),
        )?;
    }
    Ok(())
}

/// One tenant's process: its request lanes and abandoned-work lanes, then its requests.
fn write_tenant(
    w: &mut impl Write,
    trace: &Trace,
    pids: &Pids,
    (ti, reqs): (usize, &[&RequestTrace]),
    n: &mut Written,
    flow_id: &mut u64,
) -> io::Result<()> {
    let run_end = trace.meta.run_end_ns;
    let tenant = &trace.tenants[ti];
    let pid = pids.tenant(ti as u32);
    meta_event(
        w,
        "process_name",
        pid,
        0,
        &format!(
            "\"name\":{}",
            js(&format!("tenant {} ({})", tenant.id, tenant.tier))
        ),
    )?;
    meta_event(
        w,
        "process_sort_index",
        pid,
        0,
        &format!("\"sort_index\":{pid}"),
    )?;
    let spans: Vec<(u64, u64)> = reqs
        .iter()
        .map(|r| (r.start_ns, r.end_ns.unwrap_or(run_end).max(r.start_ns)))
        .collect();
    let (req_lane, n_req_lanes) = lanes(&spans);
    // Abandoned work: the platform's work on attempts after their client gave up.
    let mut wasted: Vec<(u64, u64, usize, usize)> = Vec::new();
    for (ri, r) in reqs.iter().enumerate() {
        for (ai, a) in r.attempts.iter().enumerate() {
            if let Some(end) = a.end_ns {
                let pend = a.platform_end_ns.unwrap_or(run_end);
                if pend > end {
                    wasted.push((end, pend, ri, ai));
                }
            }
        }
    }
    wasted.sort_by_key(|x| (x.0, x.2, x.3));
    let (waste_lane, n_waste_lanes) = lanes(&wasted.iter().map(|x| (x.0, x.1)).collect::<Vec<_>>());
    let req_tid = |lane: u32| 1 + lane as u64;
    let waste_tid = |lane: u32| 1 + n_req_lanes as u64 + lane as u64;
    for l in 0..n_req_lanes {
        meta_event(
            w,
            "thread_name",
            pid,
            req_tid(l),
            &format!("\"name\":\"requests {}\"", l + 1),
        )?;
        meta_event(
            w,
            "thread_sort_index",
            pid,
            req_tid(l),
            &format!("\"sort_index\":{}", req_tid(l)),
        )?;
    }
    for l in 0..n_waste_lanes {
        meta_event(
            w,
            "thread_name",
            pid,
            waste_tid(l),
            &format!("\"name\":\"abandoned work {}\"", l + 1),
        )?;
        meta_event(
            w,
            "thread_sort_index",
            pid,
            waste_tid(l),
            &format!("\"sort_index\":{}", waste_tid(l)),
        )?;
    }
    // Where each attempt's abandoned work went, for its flow.
    let mut waste_of: BTreeMap<(usize, usize), u32> = BTreeMap::new();
    for (k, x) in wasted.iter().enumerate() {
        waste_of.insert((x.2, x.3), waste_lane[k]);
    }
    let lanes = TenantLanes {
        tenant_id: &tenant.id,
        pid,
        n_req_lanes,
        waste_of,
        run_end,
    };
    for (ri, r) in reqs.iter().enumerate() {
        let tid = req_tid(req_lane[ri]);
        write_request(w, trace, &lanes, (ri, r, tid), n, flow_id)?;
    }
    Ok(())
}

/// Where one tenant's spans go: its process and its lanes.
struct TenantLanes<'a> {
    tenant_id: &'a str,
    pid: u64,
    n_req_lanes: u32,
    /// (request, attempt) → the lane of the attempt's abandoned work.
    waste_of: BTreeMap<(usize, usize), u32>,
    run_end: u64,
}

impl TenantLanes<'_> {
    /// The thread of abandoned-work lane `lane` (after the request lanes).
    fn waste_tid(&self, lane: u32) -> u64 {
        1 + self.n_req_lanes as u64 + lane as u64
    }
}

/// One request on thread `tid`: its span, its attempts (with phases, abandoned work and
/// retry flows) and its backoffs.
fn write_request(
    w: &mut impl Write,
    trace: &Trace,
    l: &TenantLanes,
    (ri, r, tid): (usize, &RequestTrace, u64),
    n: &mut Written,
    flow_id: &mut u64,
) -> io::Result<()> {
    let (pid, run_end) = (l.pid, l.run_end);
    let waste_of = &l.waste_of;
    let waste_tid = |lane: u32| l.waste_tid(lane);
    let class = trace
        .classes
        .get(r.class as usize)
        .map(String::as_str)
        .unwrap_or("?");
    let rend = r.end_ns.unwrap_or(run_end).max(r.start_ns);
    n.requests += 1;
    n.spans += 1;
    x_event(
        w,
        &format!("{class} {}", r.outcome),
        "request",
        r.start_ns,
        rend,
        pid,
        tid,
        &format!(
            ",\"request\":{},\"tenant\":{},\"class\":{},\"cell\":{},\"outcome\":{},\"cause\":{},\"attempts\":{}",
            r.id,
            js(l.tenant_id),
            js(class),
            r.cell,
            js(r.outcome),
            opt_str(r.cause),
            r.attempts.len()
        ),
    )?;
    for (ai, a) in r.attempts.iter().enumerate() {
        let aend = a.end_ns.unwrap_or(run_end).max(a.start_ns);
        n.spans += 1;
        x_event(
            w,
            &format!("attempt {} {}", a.number, a.outcome),
            "attempt",
            a.start_ns,
            aend,
            pid,
            tid,
            &format!(
                ",\"request\":{},\"attempt\":{},\"cell\":{},\"outcome\":{},\"cause\":{},\"platform_end_ns\":{},\"platform_outcome\":{},\"platform_cause\":{},\"retry_after_ns\":{}",
                r.id,
                a.number,
                opt_u64(a.cell.map(u64::from)),
                js(a.outcome),
                opt_str(a.cause),
                opt_u64(a.platform_end_ns),
                js(a.platform_outcome),
                opt_str(a.platform_cause),
                opt_u64(a.retry_after_ns)
            ),
        )?;
        for p in &a.phases {
            // The part of the phase while the client still waited.
            let (s, e) = (p.start_ns.max(a.start_ns), p.end_ns.min(aend));
            if s > aend || (s == aend && p.end_ns > aend) {
                continue;
            }
            n.spans += 1;
            x_event(w, p.kind, "phase", s, e, pid, tid, &phase_args(r, a, p))?;
        }
        if let Some(&lane) = waste_of.get(&(ri, ai)) {
            let wt = waste_tid(lane);
            let pend = a.platform_end_ns.unwrap_or(run_end);
            n.spans += 1;
            x_event(
                w,
                &format!("abandoned attempt {} ({})", a.number, a.platform_outcome),
                "abandoned",
                aend,
                pend,
                pid,
                wt,
                &format!(
                    ",\"request\":{},\"attempt\":{},\"platform_outcome\":{},\"platform_cause\":{}",
                    r.id,
                    a.number,
                    js(a.platform_outcome),
                    opt_str(a.platform_cause)
                ),
            )?;
            for p in &a.phases {
                let (s, e) = (p.start_ns.max(aend), p.end_ns.min(pend));
                if p.end_ns <= aend || s > e {
                    continue;
                }
                n.spans += 1;
                x_event(w, p.kind, "phase", s, e, pid, wt, &phase_args(r, a, p))?;
            }
            *flow_id += 1;
            let from = flow_point(&a.phases, a.start_ns, aend, true);
            let to = flow_point(&a.phases, aend, pend, false);
            flow(w, "abandoned", *flow_id, from, pid, tid, to, pid, wt)?;
            n.flows += 2;
        }
        if ai + 1 < r.attempts.len() {
            let next = &r.attempts[ai + 1];
            let nend = next.end_ns.unwrap_or(run_end).max(next.start_ns);
            *flow_id += 1;
            let from = flow_point(&a.phases, a.start_ns, aend, true);
            let to = flow_point(&next.phases, next.start_ns, nend, false);
            flow(w, "retry", *flow_id, from, pid, tid, to, pid, tid)?;
            n.flows += 2;
        }
    }
    for b in &r.backoffs {
        n.spans += 1;
        x_event(
            w,
            "backoff",
            "backoff",
            b.start_ns,
            b.end_ns.unwrap_or(rend).max(b.start_ns),
            pid,
            tid,
            &format!(
                ",\"request\":{},\"after_attempt\":{}",
                r.id, b.after_attempt
            ),
        )?;
    }
    Ok(())
}

/// Faults on the platform process, on lanes so that overlapping faults nest.
fn write_faults(w: &mut impl Write, trace: &Trace, pids: &Pids, n: &mut Written) -> io::Result<()> {
    let fspans: Vec<(u64, u64)> = trace
        .faults
        .iter()
        .map(|f| (f.start_ns, f.end_ns.max(f.start_ns)))
        .collect();
    let mut order: Vec<usize> = (0..fspans.len()).collect();
    order.sort_by_key(|&i| (fspans[i].0, i));
    let sorted: Vec<(u64, u64)> = order.iter().map(|&i| fspans[i]).collect();
    let (flane, n_flanes) = lanes(&sorted);
    for l in 0..n_flanes {
        meta_event(
            w,
            "thread_name",
            pids.platform,
            1 + l as u64,
            &format!("\"name\":\"faults {}\"", l + 1),
        )?;
    }
    for (k, &i) in order.iter().enumerate() {
        let f = &trace.faults[i];
        n.spans += 1;
        x_event(
            w,
            &format!("{} ({})", f.name, f.kind),
            "fault",
            sorted[k].0,
            sorted[k].1,
            pids.platform,
            1 + flane[k] as u64,
            &format!(",\"kind\":{},\"target\":{}", js(f.kind), js(&f.target)),
        )?;
    }
    Ok(())
}

/// Instant events, on the platform or a cell.
fn write_instants(
    w: &mut impl Write,
    trace: &Trace,
    pids: &Pids,
    n: &mut Written,
) -> io::Result<()> {
    for i in &trace.instants {
        let (pid, s) = match i.scope {
            Scope::Global => (pids.platform, "g"),
            other => (pids.scope(other), "p"),
        };
        let mut args = format!("\"ns\":{}", i.at_ns);
        for (k, v) in &i.args {
            args.push_str(&format!(",{}:{}", js(k), v));
        }
        n.instants += 1;
        writeln!(
            w,
            ",{{\"name\":{},\"cat\":\"event\",\"ph\":\"i\",\"s\":\"{s}\",\"ts\":{},\"pid\":{pid},\"tid\":0,\"args\":{{{args}}}}}",
            js(&instant_name(trace, i)),
            us(i.at_ns)
        )?;
    }
    Ok(())
}

/// Counters: one event per metric whose value changed since the cell's previous sample.
fn write_counters(
    w: &mut impl Write,
    trace: &Trace,
    pids: &Pids,
    n: &mut Written,
) -> io::Result<()> {
    let mut last: BTreeMap<u32, CounterSample> = BTreeMap::new();
    for c in &trace.counters {
        let pid = pids.scope(Scope::Cell(c.cell));
        let prev = last.get(&c.cell).copied();
        let changed = |f: fn(&CounterSample) -> u32| prev.is_none_or(|p| f(&p) != f(c));
        let mut emit = |name: &str, args: String| -> io::Result<()> {
            n.counters += 1;
            writeln!(
                w,
                ",{{\"name\":\"{name}\",\"ph\":\"C\",\"ts\":{},\"pid\":{pid},\"tid\":0,\"args\":{{{args}}}}}",
                us(c.at_ns)
            )
        };
        if changed(|s| s.queue_depth) {
            emit("queue_depth", format!("\"attempts\":{}", c.queue_depth))?;
        }
        if changed(|s| s.workers_busy) || changed(|s| s.workers) {
            emit(
                "workers",
                format!("\"busy\":{},\"in_service\":{}", c.workers_busy, c.workers),
            )?;
        }
        if changed(|s| s.db_connections_held) || changed(|s| s.db_waiting) {
            emit(
                "db_connections",
                format!(
                    "\"held\":{},\"waiting\":{}",
                    c.db_connections_held, c.db_waiting
                ),
            )?;
        }
        if let Some(u) = c.db_utilisation {
            let pct = if u.is_finite() { u * 100.0 } else { 0.0 };
            emit("db_utilisation", format!("\"percent\":{}", fmt_f64(pct)))?;
        }
        last.insert(c.cell, *c);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn flow(
    w: &mut impl Write,
    name: &str,
    id: u64,
    from: u64,
    from_pid: u64,
    from_tid: u64,
    to: u64,
    to_pid: u64,
    to_tid: u64,
) -> io::Result<()> {
    writeln!(
        w,
        ",{{\"name\":\"{name}\",\"cat\":\"flow\",\"ph\":\"s\",\"id\":{id},\"ts\":{},\"pid\":{from_pid},\"tid\":{from_tid}}}",
        us(from)
    )?;
    writeln!(
        w,
        ",{{\"name\":\"{name}\",\"cat\":\"flow\",\"ph\":\"f\",\"bp\":\"e\",\"id\":{id},\"ts\":{},\"pid\":{to_pid},\"tid\":{to_tid}}}",
        us(to)
    )
}

fn phase_args(r: &RequestTrace, a: &AttemptTrace, p: &PhaseTrace) -> String {
    let mut s = format!(",\"request\":{},\"attempt\":{}", r.id, a.number);
    if let Some(q) = p.query {
        s.push_str(&format!(",\"query\":{q}"));
    }
    if let Some(note) = p.note {
        s.push_str(&format!(",\"note\":{}", js(note)));
    }
    s.push_str(&format!(
        ",\"phase_ns\":{},\"phase_dur_ns\":{}",
        p.start_ns,
        p.end_ns.saturating_sub(p.start_ns)
    ));
    s
}

/// A float for JSON: finite, shortest round-trip form.
fn fmt_f64(x: f64) -> String {
    if x.is_finite() {
        Value::from(x).to_string()
    } else {
        "null".to_string()
    }
}

fn instant_name(trace: &Trace, i: &InstantTrace) -> String {
    let arg = |k: &str| {
        i.args.iter().find(|(n, _)| *n == k).map(|(_, v)| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    let who = match i.scope {
        Scope::Tenant(t) => trace
            .tenants
            .get(t as usize)
            .map(|x| format!(" {}", x.id))
            .unwrap_or_default(),
        Scope::Cell(c) => format!(" cell {c}"),
        Scope::Global => String::new(),
    };
    match i.kind {
        "fault_started" | "fault_ended" => format!(
            "{} {}",
            if i.kind == "fault_started" {
                "fault started:"
            } else {
                "fault ended:"
            },
            arg("fault").unwrap_or_default()
        ),
        "breaker" => format!(
            "{} breaker{who} {}",
            arg("dependency").unwrap_or_default(),
            arg("state").unwrap_or_default()
        ),
        "lifecycle" => format!("{}{who}", arg("to").unwrap_or_default()),
        other => format!("{other}{who}"),
    }
}

fn meta_json(trace: &Trace) -> String {
    let m = &trace.meta;
    let mut o = serde_json::Map::new();
    o.insert("scenario".into(), m.scenario.clone().into());
    o.insert("file".into(), m.file.clone().into());
    o.insert("seed".into(), m.seed.into());
    o.insert(
        "variant".into(),
        m.variant.clone().map_or(Value::Null, Value::from),
    );
    o.insert("overrides".into(), m.overrides.clone().into());
    o.insert("digest".into(), m.digest.clone().into());
    o.insert("version".into(), m.version.clone().into());
    o.insert("select_tenants".into(), m.select_tenants.clone().into());
    o.insert("select_cells".into(), m.select_cells.clone().into());
    o.insert("from_ns".into(), m.from_ns.into());
    o.insert("to_ns".into(), m.to_ns.into());
    o.insert("run_end_ns".into(), m.run_end_ns.into());
    o.insert("counter_cells".into(), m.counter_cells.clone().into());
    o.insert(
        "counter_resolution_ns".into(),
        m.counter_resolution_ns.into(),
    );
    o.insert("max_events".into(), m.max_events.into());
    o.insert("records".into(), m.records.into());
    o.insert(
        "cap_hit_at_ns".into(),
        m.cap_hit_at_ns.map_or(Value::Null, Value::from),
    );
    o.insert("dropped".into(), m.dropped.into());
    o.insert("requests".into(), (trace.requests.len() as u64).into());
    o.insert(
        "tenants".into(),
        Value::Array(
            trace
                .tenants
                .iter()
                .map(|t| {
                    let mut x = serde_json::Map::new();
                    x.insert("id".into(), t.id.clone().into());
                    x.insert("tier".into(), t.tier.clone().into());
                    x.insert("cell".into(), t.cell.into());
                    Value::Object(x)
                })
                .collect(),
        ),
    );
    o.insert("classes".into(), trace.classes.clone().into());
    Value::Object(o).to_string()
}

/// Writes `trace` as JSON lines: a `meta` line, then per request its `request` line followed
/// by its attempts, each attempt's phases and the backoff after it; then `fault`, `instant`
/// and `counter` lines. Every span line has the same fields: `type`, `kind`, `request`,
/// `attempt`, `tenant`, `cell`, `class`, `start_ns`, `end_ns`, `outcome`, `cause` (null where
/// they do not apply), plus a few per kind.
pub fn write_jsonl(trace: &Trace, out: impl Write) -> io::Result<Written> {
    let mut w = Counting {
        inner: out,
        bytes: 0,
    };
    let mut n = Written::default();
    let mut meta = meta_json(trace);
    // `{"type":"meta",` + the rest of the object.
    meta.replace_range(0..1, "{\"type\":\"meta\",");
    writeln!(w, "{meta}")?;
    for r in &trace.requests {
        let tenant = trace
            .tenants
            .get(r.tenant as usize)
            .map(|t| js(&t.id))
            .unwrap_or_else(|| "null".into());
        let class = trace
            .classes
            .get(r.class as usize)
            .map(|c| js(c))
            .unwrap_or_else(|| "null".into());
        let span = |kind: &str,
                    attempt: Option<u16>,
                    cell: Option<u32>,
                    start: u64,
                    end: Option<u64>,
                    outcome: Option<&str>,
                    cause: Option<&str>| {
            format!(
                "{{\"type\":\"span\",\"kind\":{},\"request\":{},\"attempt\":{},\"tenant\":{tenant},\"cell\":{},\"class\":{class},\"start_ns\":{start},\"end_ns\":{},\"outcome\":{},\"cause\":{}",
                js(kind),
                r.id,
                opt_u64(attempt.map(u64::from)),
                opt_u64(cell.map(u64::from)),
                opt_u64(end),
                opt_str(outcome),
                opt_str(cause)
            )
        };
        n.requests += 1;
        n.spans += 1;
        writeln!(
            w,
            "{},\"attempts\":{}}}",
            span(
                "request",
                None,
                Some(r.cell),
                r.start_ns,
                r.end_ns,
                Some(r.outcome),
                r.cause
            ),
            r.attempts.len()
        )?;
        for a in &r.attempts {
            n.spans += 1;
            writeln!(
                w,
                "{},\"platform_end_ns\":{},\"platform_outcome\":{},\"platform_cause\":{},\"retry_after_ns\":{}}}",
                span(
                    "attempt",
                    Some(a.number),
                    a.cell,
                    a.start_ns,
                    a.end_ns,
                    Some(a.outcome),
                    a.cause
                ),
                opt_u64(a.platform_end_ns),
                js(a.platform_outcome),
                opt_str(a.platform_cause),
                opt_u64(a.retry_after_ns)
            )?;
            for p in &a.phases {
                n.spans += 1;
                let gave_up = a.end_ns.is_some_and(|e| p.start_ns >= e && p.end_ns > e);
                writeln!(
                    w,
                    "{},\"query\":{},\"note\":{},\"after_client_gave_up\":{gave_up}}}",
                    span(
                        p.kind,
                        Some(a.number),
                        a.cell,
                        p.start_ns,
                        Some(p.end_ns),
                        None,
                        None
                    ),
                    opt_u64(p.query.map(u64::from)),
                    opt_str(p.note)
                )?;
            }
            for b in r.backoffs.iter().filter(|b| b.after_attempt == a.number) {
                n.spans += 1;
                writeln!(
                    w,
                    "{}}}",
                    span(
                        "backoff",
                        Some(b.after_attempt),
                        None,
                        b.start_ns,
                        b.end_ns,
                        None,
                        None
                    )
                )?;
            }
        }
    }
    for f in &trace.faults {
        n.spans += 1;
        writeln!(
            w,
            "{{\"type\":\"fault\",\"kind\":{},\"name\":{},\"target\":{},\"start_ns\":{},\"end_ns\":{}}}",
            js(f.kind),
            js(&f.name),
            js(&f.target),
            f.start_ns,
            f.end_ns
        )?;
    }
    for i in &trace.instants {
        let (scope, tenant, cell) = match i.scope {
            Scope::Global => ("global", "null".to_string(), "null".to_string()),
            Scope::Cell(c) => ("cell", "null".to_string(), c.to_string()),
            Scope::Tenant(t) => (
                "tenant",
                trace
                    .tenants
                    .get(t as usize)
                    .map(|x| js(&x.id))
                    .unwrap_or_else(|| "null".into()),
                "null".to_string(),
            ),
        };
        let args: Vec<String> = i
            .args
            .iter()
            .map(|(k, v)| format!("{}:{v}", js(k)))
            .collect();
        n.instants += 1;
        writeln!(
            w,
            "{{\"type\":\"instant\",\"kind\":{},\"at_ns\":{},\"scope\":\"{scope}\",\"tenant\":{tenant},\"cell\":{cell},\"args\":{{{}}}}}",
            js(i.kind),
            i.at_ns,
            args.join(",")
        )?;
    }
    for c in &trace.counters {
        n.counters += 1;
        writeln!(
            w,
            "{{\"type\":\"counter\",\"cell\":{},\"at_ns\":{},\"queue_depth\":{},\"workers_busy\":{},\"workers\":{},\"db_connections_held\":{},\"db_waiting\":{},\"db_utilisation\":{}}}",
            c.cell,
            c.at_ns,
            c.queue_depth,
            c.workers_busy,
            c.workers,
            c.db_connections_held,
            c.db_waiting,
            c.db_utilisation.map_or_else(|| "null".to_string(), fmt_f64)
        )?;
    }
    w.flush()?;
    n.bytes = w.bytes;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(kind: &'static str, s: u64, e: u64) -> PhaseTrace {
        PhaseTrace {
            kind,
            start_ns: s,
            end_ns: e,
            query: None,
            note: None,
        }
    }

    fn attempt(n: u16, s: u64, e: u64, pend: u64, phases: Vec<PhaseTrace>) -> AttemptTrace {
        AttemptTrace {
            number: n,
            cell: Some(0),
            start_ns: s,
            end_ns: Some(e),
            platform_end_ns: Some(pend),
            outcome: if e == pend { "ok" } else { "timeout" },
            cause: None,
            platform_outcome: "ok",
            platform_cause: None,
            retry_after_ns: None,
            phases,
        }
    }

    /// A request that timed out once (its first attempt's work went on after the client gave
    /// up) and succeeded on the retry, plus a second concurrent request.
    fn sample() -> Trace {
        let r1 = RequestTrace {
            id: 1,
            tenant: 0,
            class: 0,
            cell: 0,
            start_ns: 1_000,
            end_ns: Some(9_000),
            outcome: "ok",
            cause: None,
            attempts: vec![
                attempt(
                    1,
                    1_000,
                    4_000,
                    6_000,
                    vec![
                        phase("edge", 1_000, 1_000),
                        phase("queue", 1_000, 5_000),
                        phase("service", 5_000, 6_000),
                    ],
                ),
                attempt(
                    2,
                    5_500,
                    9_000,
                    9_000,
                    vec![phase("edge", 5_500, 5_500), phase("service", 5_500, 9_000)],
                ),
            ],
            backoffs: vec![BackoffTrace {
                after_attempt: 1,
                start_ns: 4_000,
                end_ns: Some(5_500),
            }],
        };
        let mut r2 = r1.clone();
        r2.id = 2;
        r2.start_ns = 2_000;
        r2.attempts = vec![attempt(
            1,
            2_000,
            2_500,
            2_500,
            vec![phase("edge", 2_000, 2_500)],
        )];
        r2.backoffs.clear();
        r2.end_ns = Some(2_500);
        Trace {
            meta: TraceMeta {
                run_end_ns: 10_000,
                counter_cells: vec![0],
                ..Default::default()
            },
            tenants: vec![TracedTenant {
                id: "a\"b".into(),
                tier: "gold".into(),
                cell: 0,
            }],
            classes: vec!["api".into()],
            requests: vec![r1, r2],
            faults: vec![FaultTrace {
                name: "f".into(),
                kind: "hot_tenant",
                target: "a".into(),
                start_ns: 0,
                end_ns: 5_000,
            }],
            instants: vec![InstantTrace {
                at_ns: 0,
                kind: "fault_started",
                scope: Scope::Global,
                args: vec![("fault", Value::from("f"))],
            }],
            counters: vec![CounterSample {
                at_ns: 1_000,
                cell: 0,
                queue_depth: 1,
                workers_busy: 0,
                workers: 8,
                db_connections_held: 0,
                db_waiting: 0,
                db_utilisation: Some(0.25),
            }],
        }
    }

    #[test]
    fn lanes_reuse_the_lowest_free_lane() {
        let (l, n) = lanes(&[(0, 10), (5, 6), (6, 20), (10, 11), (12, 13)]);
        assert_eq!(l, vec![0, 1, 1, 0, 0]);
        assert_eq!(n, 2);
    }

    #[test]
    fn microseconds_are_exact() {
        assert_eq!(us(0), "0.000");
        assert_eq!(us(1), "0.001");
        assert_eq!(us(123_456_789), "123456.789");
    }

    #[test]
    fn perfetto_is_one_json_object_with_the_expected_events() {
        let mut buf = Vec::new();
        let n = write_perfetto(&sample(), &mut buf).unwrap();
        assert_eq!(n.bytes as usize, buf.len());
        let v: Value = serde_json::from_slice(&buf).unwrap();
        let events = v["traceEvents"].as_array().unwrap();
        assert_eq!(v["displayTimeUnit"], "ms");
        let count = |ph: &str| events.iter().filter(|e| e["ph"] == ph).count();
        assert_eq!(count("s"), 2, "one retry flow and one abandoned-work flow");
        assert_eq!(count("f"), 2);
        assert!(events
            .iter()
            .any(|e| e["ph"] == "X" && e["cat"] == "abandoned"));
        // The two requests overlap, so they are on different lanes.
        let tids: BTreeSet<u64> = events
            .iter()
            .filter(|e| e["cat"] == "request")
            .map(|e| e["tid"].as_u64().unwrap())
            .collect();
        assert_eq!(tids.len(), 2);
        assert_eq!(n.requests, 2);
    }

    #[test]
    fn jsonl_lines_parse_and_repeat_the_span_fields() {
        let mut buf = Vec::new();
        write_jsonl(&sample(), &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["type"], "meta");
        for l in lines.iter().filter(|l| l["type"] == "span") {
            for f in [
                "kind", "request", "attempt", "tenant", "cell", "class", "start_ns", "end_ns",
                "outcome", "cause",
            ] {
                assert!(l.get(f).is_some(), "{f} missing in {l}");
            }
        }
        assert_eq!(lines[1]["tenant"], "a\"b");
    }
}

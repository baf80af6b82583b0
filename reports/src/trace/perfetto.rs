//! The Perfetto rendering of a [`Trace`]: Chrome Trace Event Format JSON for
//! ui.perfetto.dev and `chrome://tracing` — a process per tier and per cell, a track per
//! tenant's concurrent requests (lanes), flows between retries, instants and counters.
//! Same guarantees as the module: a pure function of the trace, byte-identical output.

use super::*;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

/// Assigns each interval `[start, end]` (given in start order) the lowest-numbered lane
/// free at its start; touching intervals may share a lane. Returns (lane per interval,
/// number of lanes).
pub(super) fn lanes(intervals: &[(u64, u64)]) -> (Vec<u32>, u32) {
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

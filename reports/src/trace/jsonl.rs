//! The JSON-lines rendering of a [`Trace`] (for `jq`): a `meta` line, then per request its
//! `request` line followed by its attempts, phases and backoffs; then faults, instants and
//! counter samples. Same guarantees as the module: a pure function of the trace.

use super::*;

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
        write_request(&mut w, trace, r, &mut n)?;
    }
    write_faults_and_instants(&mut w, trace, &mut n)?;
    write_counters(&mut w, trace, &mut n)?;
    w.flush()?;
    n.bytes = w.bytes;
    Ok(n)
}

/// One request's lines: the request, then per attempt the attempt, its phases and the
/// backoff after it.
fn write_request(
    w: &mut impl Write,
    trace: &Trace,
    r: &RequestTrace,
    n: &mut Written,
) -> io::Result<()> {
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
    Ok(())
}

/// The `fault` and `instant` lines.
fn write_faults_and_instants(w: &mut impl Write, trace: &Trace, n: &mut Written) -> io::Result<()> {
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
    Ok(())
}

/// The `counter` lines.
fn write_counters(w: &mut impl Write, trace: &Trace, n: &mut Written) -> io::Result<()> {
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
    Ok(())
}

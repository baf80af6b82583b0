//! Judging a live run: the measurements go through the model's recorder and SLO judge, and
//! come out as the same [`RunSummary`] a simulated run produces, plus a `live` section (the
//! target, the generator's health, outcomes by HTTP status, faults not applied live).

use super::generator::Measured;
use super::model::{
    applied_by_generator, recorder_for, series_of, slo, Outcome, Population, Scenario, SimTime,
};
use reports::summary::{FaultRow, GroupRow, Latency, LedgerRow, Outcomes, RunSummary, TenantRow};
use serde_json::{json, Value};

/// Per-tenant latency of successful requests (ns), 1 µs .. 1 h at 3 significant digits.
fn histogram() -> hdrhistogram::Histogram<u64> {
    hdrhistogram::Histogram::new_with_bounds(1_000, 3_600_000_000_000, 3)
        .expect("constant bounds are valid")
}

/// The generator's health.
#[derive(Clone, Debug)]
pub struct Health {
    /// Requests the scenario asked for.
    pub intended: u64,
    /// Requests sent.
    pub sent: u64,
    /// Intended rate (requests/s over the intended span).
    pub intended_rate: f64,
    /// Achieved rate (requests sent / wall time of the sends).
    pub achieved_rate: f64,
    /// Sends later than the bound.
    pub late: u64,
    /// The bound (ms).
    pub late_bound_ms: f64,
    /// Worst lateness (ms).
    pub late_max_ms: f64,
    /// p99 lateness (ms).
    pub late_p99_ms: f64,
    /// Valid: at most 1% of sends late by more than the bound, and not partial.
    pub valid: bool,
}

/// Computes the generator's health.
pub fn health(m: &Measured, late_bound_ns: u64) -> Health {
    let sent = m.sent.len() as u64;
    let late = m.sent.iter().filter(|s| s.late_ns > late_bound_ns).count() as u64;
    let mut l: Vec<u64> = m.sent.iter().map(|s| s.late_ns).collect();
    l.sort_unstable();
    let p99 = if l.is_empty() {
        0
    } else {
        l[((l.len() - 1) as f64 * 0.99) as usize]
    };
    let span = m.intended_span_s.max(1e-9);
    let last_send = m
        .sent
        .last()
        .map_or(0.0, |s| (s.arrival.at_ns + s.late_ns) as f64 / 1e9)
        .max(1e-9);
    Health {
        intended: sent + m.not_sent,
        sent,
        intended_rate: (sent + m.not_sent) as f64 / span,
        achieved_rate: sent as f64 / last_send,
        late,
        late_bound_ms: late_bound_ns as f64 / 1e6,
        late_max_ms: l.last().copied().unwrap_or(0) as f64 / 1e6,
        late_p99_ms: p99 as f64 / 1e6,
        valid: late * 100 <= sent && !m.partial,
    }
}

fn group_row(name: &str, tenants: u64, o: Outcomes, h: &hdrhistogram::Histogram<u64>) -> GroupRow {
    let ms = |v: u64| v as f64 / 1e6;
    GroupRow {
        name: name.to_string(),
        tenants,
        latency: Latency {
            count: h.len(),
            mean_ms: h.mean() / 1e6,
            p50_ms: ms(h.value_at_quantile(0.5)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
            queue_wait_mean_ms: 0.0,
            queue_wait_p99_ms: 0.0,
        },
        outcomes: o,
        causes: Default::default(),
        by_attempts: Vec::new(),
    }
}

fn add(o: &mut Outcomes, outcome: Option<Outcome>, attempts: u16) {
    o.offered += 1;
    o.attempts += attempts as u64;
    match outcome {
        None => o.in_flight += 1,
        Some(Outcome::Ok) => o.ok += 1,
        Some(Outcome::Rejected) => o.rejected_429 += 1,
        Some(Outcome::TimedOut) => o.timeouts += 1,
        Some(Outcome::Failed(c)) if c.is_shed() => o.shed_503 += 1,
        Some(Outcome::Failed(_)) => o.errors_5xx += 1,
    }
}

/// The summary of a live run, its `live` section (for `summary.json`) and its time series
/// (for the charts).
pub fn summarise(
    sc: &Scenario,
    pop: &Population,
    seed: u64,
    target: &str,
    m: &Measured,
    h: &Health,
) -> (RunSummary, Value, reports::series::Series) {
    let mut rec = recorder_for(sc, pop);
    let n = pop.tenants.len();
    let mut per_tenant: Vec<Outcomes> = vec![Outcomes::default(); n];
    let mut hdr: Vec<Option<hdrhistogram::Histogram<u64>>> = vec![None; n];
    for s in &m.sent {
        let t = s.arrival.tenant;
        let sent = SimTime(s.arrival.at_ns);
        rec.offered(t, sent);
        let attempts = s.done.map_or(1, |d| d.attempts);
        for _ in 0..attempts {
            rec.attempt(t, sent);
        }
        add(
            &mut per_tenant[t as usize],
            s.done.map(|d| d.outcome),
            attempts,
        );
        if let Some(d) = s.done {
            rec.finished(
                t,
                sent,
                SimTime(s.arrival.at_ns + d.latency_ns),
                d.outcome,
                d.attempts,
            );
            if d.outcome == Outcome::Ok {
                let hh = hdr[t as usize].get_or_insert_with(histogram);
                let _ = hh.record(d.latency_ns.clamp(1_000, 3_600_000_000_000));
            }
        }
    }
    rec.settle();
    let (slos, breaches) = slo::evaluate(sc, pop, &rec);
    let mut total_h = histogram();
    let mut total_o = Outcomes::default();
    let mut tiers = Vec::new();
    for (ti, tier) in sc.tiers.iter().enumerate() {
        let members: Vec<usize> = (0..n).filter(|&t| pop.tenants[t].tier == ti).collect();
        if members.is_empty() {
            continue;
        }
        let mut th = histogram();
        let mut to = Outcomes::default();
        for &t in &members {
            if let Some(x) = &hdr[t] {
                let _ = th.add(x);
            }
            to.add(&per_tenant[t]);
        }
        let _ = total_h.add(&th);
        total_o.add(&to);
        tiers.push(group_row(&tier.name, members.len() as u64, to, &th));
    }
    let tenants = pop
        .tenants
        .iter()
        .enumerate()
        .map(|(i, t)| TenantRow {
            id: t.id.clone(),
            tier: sc.tiers[t.tier].name.clone(),
            cohort: t.cohort.map(|c| sc.cohorts[c].name.clone()),
            cell: 0,
            outcomes: per_tenant[i].clone(),
            p50_ms: hdr[i]
                .as_ref()
                .map_or(0.0, |x| x.value_at_quantile(0.5) as f64 / 1e6),
            p99_ms: hdr[i]
                .as_ref()
                .map_or(0.0, |x| x.value_at_quantile(0.99) as f64 / 1e6),
            slo_breaches: breaches[i].clone(),
            state: "active".into(),
            ..TenantRow::default()
        })
        .collect();
    let (faults, applied, not_applied) = fault_rows(sc);
    let passed = slos.iter().all(|s| s.passed) && h.valid;
    let summary = RunSummary {
        schema_version: reports::summary::SCHEMA_VERSION,
        scenario: sc.name.clone(),
        file: sc.file.clone(),
        variant: sc.variant.clone(),
        overrides: sc.overrides.clone(),
        seed,
        digest: "live".into(),
        events: 0,
        sim_seconds: m.elapsed_s,
        // A complete live run sent everything the scenario's time asked for.
        stop: if m.partial { "partial" } else { "time_reached" }.into(),
        // A live run is cut short by the operator (`stop = "partial"`), not by an event
        // bound; its pass rule is live mode's own.
        truncated: false,
        passed,
        total: group_row("all", n as u64, total_o.clone(), &total_h),
        tiers,
        slos,
        faults,
        tenants,
        rollouts: Vec::new(),
        ledger: LedgerRow {
            requests_started: total_o.offered,
            requests_finished: total_o.finished(),
            requests_in_flight: total_o.in_flight,
            attempts_started: total_o.attempts,
            attempts_finished: total_o.attempts - total_o.in_flight,
            attempts_in_flight: total_o.in_flight,
            attempts_wasted: 0,
            balanced: total_o.offered == total_o.finished() + total_o.in_flight,
        },
        ..RunSummary::default()
    };
    let live = live_json(target, m, h, applied, not_applied);
    (summary, live, series_of(sc, pop, &rec))
}

/// The summary's fault rows, and which faults the generator applied live and which it
/// could not (`NAME (kind)`).
fn fault_rows(sc: &Scenario) -> (Vec<FaultRow>, Vec<String>, Vec<String>) {
    let faults = sc
        .faults
        .iter()
        .map(|f| FaultRow {
            name: f.name.clone(),
            kind: f.kind.name().to_string(),
            start_s: f.start.as_secs_f64(),
            end_s: f.end.as_secs_f64(),
            target: Some(f.kind.target()),
            affected_tenants: 0,
            recovery_s: None,
            resolved: None,
        })
        .collect();
    let not_applied: Vec<String> = sc
        .faults
        .iter()
        .filter(|f| !applied_by_generator(&f.kind))
        .map(|f| format!("{} ({})", f.name, f.kind.name()))
        .collect();
    let applied: Vec<String> = sc
        .faults
        .iter()
        .filter(|f| applied_by_generator(&f.kind))
        .map(|f| format!("{} ({})", f.name, f.kind.name()))
        .collect();
    (faults, applied, not_applied)
}

/// The `live` section: the target, the generator's health, attempts by HTTP status, and
/// the faults applied or not.
fn live_json(
    target: &str,
    m: &Measured,
    h: &Health,
    applied: Vec<String>,
    not_applied: Vec<String>,
) -> Value {
    let statuses: serde_json::Map<String, Value> = m
        .statuses
        .iter()
        .map(|(k, v)| {
            let name = match k {
                0 => "no_answer".to_string(),
                1 => "timeout".to_string(),
                s => s.to_string(),
            };
            (name, json!(v))
        })
        .collect();
    json!({
        "target": target,
        "partial": m.partial,
        "valid": h.valid,
        "generator": {
            "intended_requests": h.intended,
            "sent_requests": h.sent,
            "intended_rate_per_s": h.intended_rate,
            "achieved_rate_per_s": h.achieved_rate,
            "late_bound_ms": h.late_bound_ms,
            "late_sends": h.late,
            "late_p99_ms": h.late_p99_ms,
            "late_max_ms": h.late_max_ms,
            "elapsed_s": m.elapsed_s,
        },
        "attempts_by_status": statuses,
        "faults_applied": applied,
        "faults_not_applied_live": not_applied,
    })
}

/// `summary.json` of a live run: the summary with its `live` section.
pub fn summary_json(s: &RunSummary, live: &Value) -> String {
    let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
    if let Value::Object(o) = &mut v {
        o.insert("live".into(), live.clone());
    }
    let mut out = serde_json::to_string_pretty(&v).unwrap_or_default();
    out.push('\n');
    out
}

/// The terminal lines about the generator (printed after the usual summary).
pub fn health_text(target: &str, m: &Measured, h: &Health, live: &Value) -> String {
    let mut t = String::new();
    t.push_str(&format!(
        "\nlive run against {target}{}\n",
        if m.partial {
            " (PARTIAL: stopped by Ctrl-C)"
        } else {
            ""
        }
    ));
    t.push_str(&format!(
        "  generator: {} of {} requests sent, intended {:.1}/s, achieved {:.1}/s; late > {} ms: {} ({:.2}%), p99 late {:.2} ms, max {:.2} ms\n",
        h.sent,
        h.intended,
        h.intended_rate,
        h.achieved_rate,
        h.late_bound_ms,
        h.late,
        100.0 * h.late as f64 / (h.sent.max(1)) as f64,
        h.late_p99_ms,
        h.late_max_ms
    ));
    if !h.valid {
        t.push_str("  INVALID: more than 1% of sends were late (the generator fell behind), or the run was stopped; latencies are still measured from the intended send times\n");
    }
    if let Some(Value::Object(s)) = live.get("attempts_by_status") {
        let parts: Vec<String> = s.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        t.push_str(&format!("  attempts by status: {}\n", parts.join(", ")));
    }
    if let Some(Value::Array(a)) = live.get("faults_not_applied_live") {
        if !a.is_empty() {
            let names: Vec<String> = a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect();
            t.push_str(&format!(
                "  not applied live (platform-side faults): {}\n",
                names.join(", ")
            ));
        }
    }
    t
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// JUnit XML of a live run: one testcase per SLO, met when its verdict is the one expected
/// (pass, or what the variant's `expect` says), and one for the generator's validity.
pub fn junit(sc: &Scenario, s: &RunSummary, h: &Health, target: &str, repro: &str) -> String {
    let variant = sc
        .variant
        .as_deref()
        .and_then(|v| sc.variants.iter().find(|x| x.name == v));
    let mut cases = Vec::new();
    for r in &s.slos {
        let expect = variant.is_none_or(|v| v.expects_pass(&r.name));
        let met = r.passed == expect;
        let msg = format!(
            "expected {}, measured {} (objective {}, worst tenant {})",
            if expect { "pass" } else { "fail" },
            r.measured_text,
            r.objective,
            r.worst_tenant.as_deref().unwrap_or("-")
        );
        cases.push((
            format!(
                "{} (expect {})",
                r.name,
                if expect { "pass" } else { "fail" }
            ),
            met,
            msg,
        ));
    }
    cases.push((
        "generator kept up".to_string(),
        h.valid,
        format!(
            "{} of {} sends late by more than {} ms (at most 1% allowed); achieved {:.1}/s of {:.1}/s",
            h.late, h.sent, h.late_bound_ms, h.achieved_rate, h.intended_rate
        ),
    ));
    let failures = cases.iter().filter(|c| !c.1).count();
    let class = format!("{}.{}", s.scenario, sc.variant.as_deref().unwrap_or("base"));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"tenantsim load\" tests=\"{}\" failures=\"{failures}\">\n",
        cases.len()
    ));
    out.push_str(&format!(
        "  <testsuite name=\"{} (live: {})\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n",
        xml(&s.scenario),
        xml(target),
        cases.len()
    ));
    for (name, met, msg) in &cases {
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
            xml(&class),
            xml(name)
        ));
        if *met {
            out.push_str("/>\n");
        } else {
            out.push_str(&format!(
                ">\n      <failure message=\"{}\" type=\"slo\">{}\nrepro: {}</failure>\n    </testcase>\n",
                xml(msg),
                xml(msg),
                xml(repro)
            ));
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

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
//!
//! The data and the helpers both renderings share are here; each rendering has its own file
//! (`perfetto.rs`, `jsonl.rs`).

mod jsonl;
mod perfetto;

pub use jsonl::write_jsonl;
pub use perfetto::write_perfetto;

use serde_json::Value;
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

/// A float for JSON: finite, shortest round-trip form.
fn fmt_f64(x: f64) -> String {
    if x.is_finite() {
        Value::from(x).to_string()
    } else {
        "null".to_string()
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

#[cfg(test)]
mod tests {
    use super::perfetto::lanes;
    use super::*;
    use std::collections::BTreeSet;

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

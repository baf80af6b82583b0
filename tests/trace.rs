//! `tenantsim trace` end to end: the Perfetto output is valid Chrome Trace Event JSON, span
//! durations add up exactly, tracing leaves the run unchanged (same digest), selection and
//! window are honoured, bad selections are input errors, and the bound on records holds.
//!
//! Method: run the binary on shipped scenarios and on `SINK`, a small scenario that exercises
//! every phase and most instants (retries with backoff and Retry-After, KMS, DB latency, both
//! hanging partitions, breakers, control-plane outage, config push, cell outage), then check
//! the files with the validators below.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tenantsim"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tenantsim-trace-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A scenario in which every phase kind and most instants happen.
const SINK: &str = r#"version = 1
name = "trace-sink"
duration = "2m"
[platform]
cells = 3
workers = 4
queue_limit = 40
queue_timeout = "400ms"
[platform.db]
connections = 2
cores = 2
statement_timeout = "300ms"
acquire_timeout = "250ms"
[platform.db.breaker]
scope = "per_tenant"
min_requests = 5
open_for = "2s"
probes = 1
[kms]
data_key_ttl = "5s"
[kms.breaker]
scope = "global"
min_requests = 5
open_for = "2s"
probes = 1
[classes.api]
service = "exp(5ms)"
db_queries = "uniform(0, 3)"
db_time = "exp(3ms)"
timeout = "500ms"
kms = true
retry = { policy = "backoff", max_attempts = 3, base = "50ms", cap = "1s" }
[[tenants]]
id = "a"
cell = 0
rate = "40/s"
rate_limit = "25/s"
[[tenants]]
id = "b"
cell = 1
rate = "20/s"
[[tenants]]
id = "c"
cell = 2
rate = "20/s"
[[cohorts]]
name = "bg"
count = 6
rate = "const(30/s)"
[[faults]]
name = "slow-db"
kind = "dependency_latency"
cell = 0
at = "20s"
for = "20s"
latency = "exp(100ms)"
[[faults]]
name = "edge-cell-cut"
kind = "partition"
between = ["edge", "cell"]
cell = 1
at = "30s"
for = "10s"
[[faults]]
name = "cell-db-cut"
kind = "partition"
between = ["cell", "db"]
cell = 2
at = "30s"
for = "10s"
[[faults]]
name = "kms-cut"
kind = "partition"
between = ["cell", "kms"]
mode = "reject"
cell = 0
at = "50s"
for = "10s"
[[faults]]
name = "kms-down"
kind = "kms_outage"
at = "70s"
for = "5s"
[[faults]]
name = "bad-index"
kind = "db_degraded"
cell = 2
at = "80s"
for = "10s"
capacity = "10%"
[[faults]]
name = "cp-down"
kind = "control_plane_outage"
at = "90s"
for = "10s"
[[faults]]
name = "limits"
kind = "config_push"
tenant = "a"
at = "100s"
for = "1s"
rate_limit = "30/s"
[[faults]]
name = "cell1-down"
kind = "cell_outage"
cell = 1
at = "105s"
for = "5s"
"#;

fn sink_file(dir: &Path) -> PathBuf {
    let f = dir.join("sink.toml");
    std::fs::write(&f, SINK).unwrap();
    f
}

/// Runs `tenantsim trace ARGS`, asserts exit 0, and returns stdout.
fn trace_ok(args: &[&str]) -> String {
    let o = bin().arg("trace").args(args).output().unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "trace {args:?}\n{out}\n{err}");
    out
}

/// Runs `tenantsim trace ARGS` and returns (exit code, stderr).
fn trace_err(args: &[&str]) -> (i32, String) {
    let o = bin().arg("trace").args(args).output().unwrap();
    let (_, err) = text(&o);
    assert!(!err.contains("panicked"), "must never panic:\n{err}");
    (o.status.code().unwrap_or(-1), err)
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap())
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", p.display()))
}

fn read_jsonl(p: &Path) -> Vec<Value> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{} line {}: {e}\n{l}", p.display(), i + 1))
        })
        .collect()
}

fn int(v: &Value, what: &str) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("{what}: expected a non-negative integer, got {v}"))
}

/// An `X` event on one thread: start ns, end ns, name.
type Slice = (u64, u64, String);

/// Checks a Chrome Trace Event Format file (object form) against the spec's requirements:
/// required fields per phase; `dur ≥ 0` for `X`; `X` events on one (pid, tid) properly nested;
/// flow `s`/`f` paired by id (one each, same name and category, `f` not before `s`, `bp: "e"`)
/// and each bound inside a slice of its thread; counters with numeric args; metadata
/// well-formed. Also that `ts`/`dur` agree with the exact ns in `args`. Returns the events.
fn check_chrome_trace(v: &Value) -> Vec<Value> {
    let obj = v.as_object().expect("object form");
    assert_eq!(
        obj.get("displayTimeUnit").and_then(Value::as_str),
        Some("ms")
    );
    assert!(obj.get("metadata").is_some_and(Value::is_object));
    let events = obj["traceEvents"]
        .as_array()
        .expect("traceEvents array")
        .clone();
    assert!(!events.is_empty());
    let mut slices: BTreeMap<(u64, u64), Vec<Slice>> = BTreeMap::new();
    let mut flows: BTreeMap<u64, Vec<&Value>> = BTreeMap::new();
    for e in &events {
        let ph = e["ph"]
            .as_str()
            .unwrap_or_else(|| panic!("ph missing: {e}"));
        assert!(e["name"].is_string(), "name missing: {e}");
        let ts = e["ts"]
            .as_f64()
            .unwrap_or_else(|| panic!("ts missing: {e}"));
        assert!(ts >= 0.0 && ts.is_finite(), "{e}");
        let pid = int(&e["pid"], "pid");
        let tid = int(&e["tid"], "tid");
        match ph {
            "X" => {
                let dur = e["dur"]
                    .as_f64()
                    .unwrap_or_else(|| panic!("dur missing: {e}"));
                assert!(dur >= 0.0, "negative dur: {e}");
                let ns = int(&e["args"]["ns"], "args.ns");
                let dur_ns = int(&e["args"]["dur_ns"], "args.dur_ns");
                assert!((ts * 1000.0 - ns as f64).abs() < 1.0, "ts vs ns: {e}");
                assert!((dur * 1000.0 - dur_ns as f64).abs() < 1.0, "dur vs ns: {e}");
                slices.entry((pid, tid)).or_default().push((
                    ns,
                    ns + dur_ns,
                    e["name"].as_str().unwrap_or("").to_string(),
                ));
            }
            "i" => {
                let s = e["s"]
                    .as_str()
                    .unwrap_or_else(|| panic!("scope missing: {e}"));
                assert!(["g", "p", "t"].contains(&s), "{e}");
            }
            "C" => {
                let args = e["args"].as_object().unwrap_or_else(|| panic!("args: {e}"));
                assert!(!args.is_empty(), "{e}");
                assert!(
                    args.values().all(Value::is_number),
                    "counter args must be numbers: {e}"
                );
            }
            "M" => {
                let name = e["name"].as_str().unwrap_or("");
                match name {
                    "process_name" | "thread_name" => {
                        assert!(e["args"]["name"].is_string(), "{e}")
                    }
                    "process_sort_index" | "thread_sort_index" => {
                        assert!(e["args"]["sort_index"].is_i64(), "{e}")
                    }
                    other => panic!("unexpected metadata event {other}: {e}"),
                }
            }
            "s" | "f" => {
                let id = int(&e["id"], "flow id");
                if ph == "f" {
                    assert_eq!(e["bp"], "e", "{e}");
                }
                flows.entry(id).or_default().push(e);
            }
            other => panic!("unexpected phase {other}: {e}"),
        }
    }
    // Nesting: sorted by (start, longest first), each slice must lie inside the innermost
    // open one or start after it ends.
    for ((pid, tid), mut v) in slices.clone() {
        v.sort_by_key(|&(s, e, _)| (s, std::cmp::Reverse(e)));
        let mut stack: Vec<Slice> = Vec::new();
        for (s, e, name) in v {
            while stack
                .last()
                .is_some_and(|t| t.1 <= s && !(t.1 == s && e == s))
            {
                stack.pop();
            }
            if let Some(top) = stack.last() {
                assert!(
                    e <= top.1,
                    "pid {pid} tid {tid}: `{name}` [{s}, {e}] partially overlaps `{}` [{}, {}]",
                    top.2,
                    top.0,
                    top.1
                );
            }
            stack.push((s, e, name));
        }
    }
    for (id, pair) in &flows {
        assert_eq!(
            pair.len(),
            2,
            "flow {id} must have one s and one f: {pair:?}"
        );
        let (s, f) = (pair[0], pair[1]);
        assert_eq!(
            (s["ph"].as_str(), f["ph"].as_str()),
            (Some("s"), Some("f")),
            "{pair:?}"
        );
        assert_eq!(s["name"], f["name"]);
        assert_eq!(s["cat"], f["cat"]);
        assert!(
            f["ts"].as_f64() >= s["ts"].as_f64(),
            "flow {id} goes back in time"
        );
        for e in [s, f] {
            let key = (int(&e["pid"], "pid"), int(&e["tid"], "tid"));
            let at = (e["ts"].as_f64().unwrap() * 1000.0).round() as u64;
            assert!(
                slices
                    .get(&key)
                    .is_some_and(|v| v.iter().any(|&(a, b, _)| a <= at && at <= b)),
                "flow {id} at {at} binds to no slice on {key:?}"
            );
        }
    }
    events
}

/// One request of a JSON-lines trace with its attempts, phases and backoffs.
#[derive(Default)]
struct Req {
    line: Value,
    attempts: Vec<Value>,
    phases: BTreeMap<u64, Vec<Value>>,
    backoffs: Vec<Value>,
}

fn requests_of(lines: &[Value]) -> BTreeMap<u64, Req> {
    let mut out: BTreeMap<u64, Req> = BTreeMap::new();
    for l in lines.iter().filter(|l| l["type"] == "span") {
        let r = out.entry(int(&l["request"], "request")).or_default();
        match l["kind"].as_str().unwrap() {
            "request" => r.line = l.clone(),
            "attempt" => r.attempts.push(l.clone()),
            "backoff" => r.backoffs.push(l.clone()),
            _ => r
                .phases
                .entry(int(&l["attempt"], "attempt"))
                .or_default()
                .push(l.clone()),
        }
    }
    out
}

/// Checks the span arithmetic of a JSON-lines trace (exact integer ns):
/// - a request's attempts and backoffs tile it: attempt 1 starts with the request, each
///   backoff starts when the previous attempt ended for the client and ends when the next
///   attempt starts, the last attempt ends with the request; so attempts + backoffs = latency;
/// - an attempt's phases are contiguous from its start to when the platform finished it
///   (`platform_end_ns`), and sum to that; that is the client's end unless the client gave up
///   first (then `outcome` is `timeout` and the platform finished later);
/// - a DB query is `db_wait` then `db_run` (same query number), possibly `db_latency`.
///
/// Returns the phase kinds seen and the number of requests.
fn check_spans_add_up(lines: &[Value]) -> (BTreeSet<String>, usize) {
    let run_end = int(&lines[0]["run_end_ns"], "run_end_ns");
    let reqs = requests_of(lines);
    let mut kinds = BTreeSet::new();
    for (id, r) in &reqs {
        let req = &r.line;
        assert_eq!(req["kind"], "request", "request {id} has no request line");
        let start = int(&req["start_ns"], "start");
        let end = req["end_ns"].as_u64();
        assert_eq!(int(&req["attempts"], "attempts") as usize, r.attempts.len());
        assert!(!r.attempts.is_empty(), "request {id} without attempts");
        let mut t = start;
        let mut covered = 0u64;
        for (k, a) in r.attempts.iter().enumerate() {
            let n = int(&a["attempt"], "attempt");
            assert_eq!(n as usize, k + 1, "request {id}: attempts in order");
            let a_start = int(&a["start_ns"], "start");
            assert_eq!(
                a_start, t,
                "request {id} attempt {n} starts where the last wait ended"
            );
            let a_end = a["end_ns"].as_u64();
            let p_end = a["platform_end_ns"].as_u64();
            // Phases tile [start, platform end (or the run's end)].
            let phases = r.phases.get(&n).cloned().unwrap_or_default();
            assert!(!phases.is_empty(), "request {id} attempt {n} has no phases");
            let mut pt = a_start;
            let mut sum = 0;
            let mut query = None;
            for p in &phases {
                let (s, e) = (int(&p["start_ns"], "start"), int(&p["end_ns"], "end"));
                assert_eq!(
                    s, pt,
                    "request {id} attempt {n}: phases contiguous at {:?}",
                    p["kind"]
                );
                assert!(e >= s);
                sum += e - s;
                pt = e;
                let kind = p["kind"].as_str().unwrap().to_string();
                if kind == "db_run" {
                    assert_eq!(
                        query,
                        Some((p["query"].clone(), "db_wait")),
                        "db_run follows its db_wait"
                    );
                }
                query = Some((
                    p["query"].clone(),
                    if kind == "db_wait" { "db_wait" } else { "" },
                ));
                kinds.insert(kind);
            }
            let until = p_end.unwrap_or(run_end);
            assert_eq!(
                pt, until,
                "request {id} attempt {n}: phases end when the platform finished"
            );
            assert_eq!(sum, until - a_start);
            match (a_end, p_end) {
                (Some(ae), Some(pe)) if pe > ae => {
                    assert_eq!(
                        a["outcome"], "timeout",
                        "only a client that gave up leaves work behind"
                    )
                }
                (Some(ae), Some(pe)) => assert_eq!(ae, pe),
                (Some(_), None) => assert_eq!(a["outcome"], "timeout"),
                (None, _) => assert!(end.is_none(), "an unfinished attempt, a finished request"),
            }
            let Some(ae) = a_end else {
                t = run_end;
                break;
            };
            covered += ae - a_start;
            t = ae;
            if k + 1 < r.attempts.len() {
                let b: Vec<&Value> = r
                    .backoffs
                    .iter()
                    .filter(|b| b["attempt"].as_u64() == Some(n))
                    .collect();
                assert_eq!(b.len(), 1, "request {id}: one backoff after attempt {n}");
                assert_eq!(int(&b[0]["start_ns"], "start"), ae);
                let be = int(&b[0]["end_ns"], "backoff end");
                covered += be - ae;
                t = be;
            }
        }
        match end {
            Some(e) => {
                assert_eq!(t, e, "request {id}: the last attempt ends with the request");
                assert_eq!(
                    covered,
                    e - start,
                    "request {id}: attempts + backoffs = latency"
                );
                assert_eq!(req["outcome"], r.attempts.last().unwrap()["outcome"]);
                assert!(r.backoffs.len() + 1 == r.attempts.len());
            }
            None => assert_eq!(req["outcome"], "in_flight"),
        }
    }
    (kinds, reqs.len())
}

#[test]
fn perfetto_output_is_a_valid_chrome_trace() {
    let d = tmp_dir("perfetto");
    let f = sink_file(&d);
    let out = d.join("sink.json");
    let stdout = trace_ok(&[
        f.to_str().unwrap(),
        "--tenant",
        "a",
        "--tenant",
        "b",
        "--cell",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stdout.contains("ui.perfetto.dev"), "{stdout}");
    let events = check_chrome_trace(&read_json(&out));
    let count = |ph: &str, cat: &str| {
        events
            .iter()
            .filter(|e| e["ph"] == ph && (cat.is_empty() || e["cat"] == cat))
            .count()
    };
    assert!(count("X", "request") > 100);
    assert!(count("X", "backoff") > 0, "retries wait");
    assert!(
        count("X", "abandoned") > 0,
        "timed-out attempts leave work behind"
    );
    assert!(count("s", "") > 0 && count("s", "") == count("f", ""));
    assert!(count("C", "") > 0 && count("i", "") > 0);
    // A shipped scenario too: the whole of one cell, an hour's first minutes.
    let out2 = d.join("hot.json");
    trace_ok(&[
        root().join("scenarios/hot-tenant.toml").to_str().unwrap(),
        "--cell",
        "0",
        "--from",
        "1m58s",
        "--to",
        "2m5s",
        "--out",
        out2.to_str().unwrap(),
    ]);
    check_chrome_trace(&read_json(&out2));
}

#[test]
fn span_durations_add_up() {
    let d = tmp_dir("add-up");
    let f = sink_file(&d);
    let out = d.join("sink.jsonl");
    trace_ok(&[
        f.to_str().unwrap(),
        "--cell",
        "0",
        "--cell",
        "1",
        "--cell",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    let lines = read_jsonl(&out);
    let (kinds, n) = check_spans_add_up(&lines);
    assert!(n > 1000, "{n} requests");
    for k in [
        "edge",
        "edge_to_cell",
        "queue",
        "kms",
        "service",
        "db_wait",
        "db_run",
        "db_latency",
        "db_call",
    ] {
        assert!(
            kinds.contains(k),
            "the sink scenario exercises phase `{k}`: {kinds:?}"
        );
    }
    let outcomes: BTreeSet<(String, String)> = lines
        .iter()
        .filter(|l| l["kind"] == "attempt")
        .map(|l| {
            (
                l["outcome"].as_str().unwrap().to_string(),
                l["cause"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    for o in [
        ("ok", ""),
        ("429", "rate_limited"),
        ("timeout", "edge_to_cell"),
        ("timeout", "db_call"),
        ("5xx", "kms_unavailable"),
    ] {
        assert!(
            outcomes.contains(&(o.0.to_string(), o.1.to_string())),
            "{o:?} not in {outcomes:?}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "attempt" && l["retry_after_ns"].is_u64()),
        "429s carry Retry-After"
    );
    // Shipped scenarios, each with its own mix of outcomes.
    for (file, cell) in [
        ("retry-storm", "0"),
        ("kms-key-disabled", "0"),
        ("bad-migration", "0"),
    ] {
        let out = d.join(format!("{file}.jsonl"));
        trace_ok(&[
            root()
                .join(format!("scenarios/{file}.toml"))
                .to_str()
                .unwrap(),
            "--cell",
            cell,
            "--from",
            "55s",
            "--to",
            "2m",
            "--out",
            out.to_str().unwrap(),
        ]);
        let (_, n) = check_spans_add_up(&read_jsonl(&out));
        assert!(n > 100, "{file}: {n} requests");
    }
}

/// `models::harness::run` with and without a trace: same digest, byte-identical summaries.
#[test]
fn tracing_does_not_change_the_run() {
    let d = tmp_dir("digest");
    let f = sink_file(&d);
    for (file, args) in [
        (f.clone(), vec!["--cell", "0", "--cell", "1", "--cell", "2"]),
        (
            root().join("scenarios/retry-storm.toml"),
            vec!["--tenant", "t-0001", "--cell", "1"],
        ),
        (
            root().join("scenarios/quickstart.toml"),
            vec!["--tenant", "hot", "--max-events", "50"],
        ),
    ] {
        let json = d.join("summary.json");
        let o = bin()
            .args([
                "run",
                f_str(&file),
                "--seed",
                "3",
                "--quiet",
                "--json",
                f_str(&json),
            ])
            .output()
            .unwrap();
        assert!(o.status.code().is_some_and(|c| c <= 1), "{}", text(&o).1);
        let digest = read_json(&json)["digest"].as_str().unwrap().to_string();
        let out = d.join("t.json");
        let mut a = vec![f_str(&file), "--seed", "3", "--out", f_str(&out)];
        a.extend(args);
        let stdout = trace_ok(&a);
        assert!(
            stdout.contains(&format!("digest {digest}")),
            "{file:?}: {stdout}"
        );
        assert_eq!(read_json(&out)["metadata"]["digest"], digest.as_str());
    }
}

fn f_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn selection_and_window_are_honoured() {
    let d = tmp_dir("select");
    let f = sink_file(&d);
    let out = d.join("a.jsonl");
    trace_ok(&[
        f_str(&f),
        "--tenant",
        "a",
        "--from",
        "30s",
        "--to",
        "45s",
        "--out",
        f_str(&out),
    ]);
    let lines = read_jsonl(&out);
    let spans: Vec<&Value> = lines.iter().filter(|l| l["type"] == "span").collect();
    assert!(spans.len() > 100);
    assert!(
        spans.iter().all(|l| l["tenant"] == "a"),
        "only a's requests"
    );
    for r in spans.iter().filter(|l| l["kind"] == "request") {
        let s = int(&r["start_ns"], "start");
        assert!(
            (30_000_000_000..45_000_000_000).contains(&s),
            "start {s} outside the window"
        );
    }
    // Tenant instants only for `a`; cell instants only for counted cells.
    for i in lines.iter().filter(|l| l["type"] == "instant") {
        assert!(i["tenant"].is_null() || i["tenant"] == "a", "{i}");
    }
    // A cell selects its tenants' requests.
    let out = d.join("c1.jsonl");
    trace_ok(&[
        f_str(&f),
        "--cell",
        "1",
        "--to",
        "20s",
        "--out",
        f_str(&out),
    ]);
    let lines = read_jsonl(&out);
    let reqs: Vec<&Value> = lines.iter().filter(|l| l["kind"] == "request").collect();
    assert!(!reqs.is_empty());
    assert!(
        reqs.iter().all(|l| l["cell"] == 1),
        "requests of tenants on cell 1 only"
    );
    assert!(reqs.iter().any(|l| l["tenant"] == "b"));
}

#[test]
fn bad_selections_are_input_errors() {
    let d = tmp_dir("bad");
    let f = sink_file(&d);
    let out = d.join("x.json");
    let cases: [(&[&str], &str); 6] = [
        (&["--tenant", "zz"], "no tenant has the id `zz`"),
        (&["--tenant", "bg-1"], "did you mean"),
        (
            &["--cell", "7"],
            "there is no cell 7: the scenario has 3 cells",
        ),
        (&[], "nothing to trace"),
        (
            &["--tenant", "a", "--from", "50s", "--to", "40s"],
            "empty or outside the run",
        ),
        (
            &["--tenant", "a", "--from", "10 parsecs"],
            "unknown time unit",
        ),
    ];
    for (args, want) in cases {
        let mut a = vec![f_str(&f), "--out", f_str(&out)];
        a.extend_from_slice(args);
        let (code, err) = trace_err(&a);
        assert_eq!(code, 2, "{args:?}: exit code\n{err}");
        assert!(err.contains(want), "{args:?}: expected `{want}` in:\n{err}");
    }
    assert!(!out.exists(), "nothing written on an input error");
    let (code, err) = trace_err(&[f_str(&f), "--tenant", "a", "--out", f_str(&d)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a directory"), "{err}");
}

/// The on-call story: the hot tenant's spike shows as a fault instant, and in the retry
/// storm a retried request's attempts are linked by flows.
#[test]
fn hot_tenant_spike_and_retry_storm_flows() {
    let d = tmp_dir("story");
    let out = d.join("hot.json");
    trace_ok(&[
        root().join("scenarios/hot-tenant.toml").to_str().unwrap(),
        "--tenant",
        "hot",
        "--from",
        "1m59s",
        "--to",
        "2m2s",
        "--out",
        f_str(&out),
    ]);
    let events = check_chrome_trace(&read_json(&out));
    assert!(
        events
            .iter()
            .any(|e| e["ph"] == "i" && e["name"] == "fault started: spike"),
        "the spike's start is an instant"
    );
    assert!(events
        .iter()
        .any(|e| e["ph"] == "X" && e["cat"] == "fault" && e["name"] == "spike (hot_tenant)"));
    let out = d.join("storm.json");
    trace_ok(&[
        root().join("scenarios/retry-storm.toml").to_str().unwrap(),
        "--tenant",
        "t-0001",
        "--from",
        "1m",
        "--to",
        "2m",
        "--out",
        f_str(&out),
    ]);
    let events = check_chrome_trace(&read_json(&out));
    let retries: Vec<&Value> = events
        .iter()
        .filter(|e| e["ph"] == "s" && e["name"] == "retry")
        .collect();
    assert!(!retries.is_empty(), "retries are linked by flows");
    let multi = events
        .iter()
        .filter(|e| e["cat"] == "request" && e["args"]["attempts"].as_u64() > Some(1))
        .count();
    assert_eq!(
        retries.len(),
        events
            .iter()
            .filter(|e| e["cat"] == "request")
            .map(|e| e["args"]["attempts"].as_u64().unwrap().saturating_sub(1) as usize)
            .sum::<usize>(),
        "one flow per retry"
    );
    assert!(multi > 0);
    assert!(events
        .iter()
        .any(|e| e["ph"] == "i" && e["name"] == "fault started: db-slow"));
}

#[test]
fn the_record_bound_is_reported_and_requests_stay_whole() {
    let d = tmp_dir("cap");
    let f = sink_file(&d);
    let out = d.join("cap.jsonl");
    let stdout = trace_ok(&[
        f_str(&f),
        "--cell",
        "0",
        "--max-events",
        "2_000",
        "--out",
        f_str(&out),
    ]);
    assert!(
        stdout.contains("--max-events bound (2000) was reached at"),
        "{stdout}"
    );
    let lines = read_jsonl(&out);
    assert!(lines[0]["cap_hit_at_ns"].is_u64());
    let (_, n) = check_spans_add_up(&lines);
    assert!(n > 10);
    let records = int(&lines[0]["records"], "records");
    assert!(
        records < 2_000 + 200,
        "only requests already being traced go past it: {records}"
    );
}

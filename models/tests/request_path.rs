//! The request path's numbers against what each mechanism promises: DRR shares, isolation
//! of a light tenant, retry amplification (geometric), retry budgets, jitter after a shared
//! failure, DB saturation at C / mean query time, timeouts capping latency, breakers.
//!
//! Each test states its goal and method; tolerances are derived from the counts involved.

use models::scenario::load_str;
use reports::summary::{RunSummary, TenantRow};

fn run(text: &str, seed: u64) -> RunSummary {
    let sc = load_str("test.toml", text, &[]).unwrap_or_else(|e| panic!("{e}"));
    let s = models::harness::run::run(&sc, seed, None)
        .expect("the ledger balances")
        .summary;
    assert!(s.ledger.balanced);
    s
}

fn tenant<'a>(s: &'a RunSummary, id: &str) -> &'a TenantRow {
    s.tenants.iter().find(|t| t.id == id).unwrap()
}

/// Goal: DRR splits a saturated worker 1:3 between backlogged tenants of weights 1 and 3.
/// Method: one worker, const 1 ms service, both tenants offer 2× capacity for 60 s; compare
/// the CPU each received. DRR bound (Shreedhar & Varghese): |cpu₁/w₁ − cpu₃/w₃| ≤ quantum +
/// max cost (1 ms each here) plus the one item in service at the end. FIFO, for contrast,
/// splits by arrivals (1:1).
#[test]
fn drr_splits_service_by_weight() {
    let text = |sched: &str| {
        format!(
            r#"
version = 1
duration = "60s"
[platform]
workers = 1
scheduler = "{sched}"
quantum = "1ms"
queue_limit = 1000000
[tiers.w1]
weight = 1
[tiers.w3]
weight = 3
[classes.c]
service = "const(1ms)"
db_queries = "const(0)"
timeout = "1h"
[[tenants]]
id = "light"
tier = "w1"
rate = "1000/s"
[[tenants]]
id = "heavy"
tier = "w3"
rate = "1000/s"
"#
        )
    };
    let s = run(&text("drr"), 1);
    let (c1, c3) = (tenant(&s, "light").cpu_ms, tenant(&s, "heavy").cpu_ms);
    eprintln!(
        "DRR 1:3 → cpu {c1:.0} ms : {c3:.0} ms (ratio {:.4})",
        c3 / c1
    );
    assert!(
        (c1 / 1.0 - c3 / 3.0).abs() <= 3.0,
        "outside the DRR bound: {c1} vs {c3}"
    );
    assert!(
        c1 + c3 >= 59_990.0,
        "the worker was saturated the whole run"
    );
    let f = run(&text("fifo"), 1);
    let (f1, f3) = (tenant(&f, "light").cpu_ms, tenant(&f, "heavy").cpu_ms);
    eprintln!("FIFO → cpu {f1:.0} ms : {f3:.0} ms");
    assert!(
        (f3 / f1 - 1.0).abs() < 0.05,
        "FIFO serves by arrival order: {f1} vs {f3}"
    );
}

/// Goal: a light tenant behind a heavy backlog waits about its own service time under DRR,
/// and about the heavy backlog under FIFO. Method: 4 workers, 10 ms service; a heavy tenant
/// offers 2× capacity from the start; a light tenant sends 2/s. Compare the light tenant's
/// median latency.
#[test]
fn light_tenant_behind_heavy_backlog() {
    let text = |sched: &str| {
        format!(
            r#"
version = 1
duration = "60s"
[platform]
workers = 4
scheduler = "{sched}"
quantum = "10ms"
queue_limit = 1000000
[classes.c]
service = "const(10ms)"
db_queries = "const(0)"
timeout = "1h"
[[tenants]]
id = "heavy"
rate = "800/s"
[[tenants]]
id = "light"
rate = "2/s"
"#
        )
    };
    let drr = run(&text("drr"), 2);
    let fifo = run(&text("fifo"), 2);
    let (d, f) = (tenant(&drr, "light").p50_ms, tenant(&fifo, "light").p50_ms);
    eprintln!("light tenant p50: drr {d:.1} ms, fifo {f:.1} ms");
    // Own service 10 ms + at most one heavy item finishing on a worker (≤ 10 ms).
    assert!(
        d <= 21.0,
        "under DRR the light tenant waits ~its own service time: {d} ms"
    );
    // FIFO: the backlog grows by 400/s; the median light request waits ~30 s behind it.
    assert!(
        f >= 5_000.0,
        "under FIFO it waits behind the heavy backlog: {f} ms"
    );
}

/// Goal: with a dependency failing 50% of attempts and `immediate` retries of n attempts,
/// amplification is the geometric expectation (1 − pⁿ)/(1 − p). Method: n = 3, p = 0.5 →
/// 1.75; ~60,000 requests; attempts per request has variance < 1, so the mean's standard
/// error is < 0.005: assert within 0.02.
#[test]
fn retries_amplify_geometrically_and_budgets_cap_them() {
    let text = |budget: &str| {
        format!(
            r#"
version = 1
duration = "120s"
[platform]
workers = 64
[classes.c]
service = "const(1ms)"
db_queries = "const(1)"
db_time = "const(1ms)"
retry = {{ policy = "immediate", max_attempts = 3, retry_on = ["5xx"] {budget} }}
[[tenants]]
id = "t"
rate = "500/s"
[[faults]]
kind = "dependency_errors"
fraction = "50%"
at = "0s"
until = "120s"
"#
        )
    };
    let s = run(&text(""), 3);
    let amp = s.total.outcomes.amplification();
    eprintln!("immediate ×3 at 50% errors: amplification {amp:.4} (theory 1.75)");
    assert!((amp - 1.75).abs() < 0.02, "{amp}");
    // Requests fail only if all 3 attempts failed: 12.5%.
    let fail = s.total.outcomes.errors_5xx as f64 / s.total.outcomes.offered as f64;
    assert!((fail - 0.125).abs() < 0.01, "{fail}");
    let b = run(&text(", budget = \"10%\", budget_window = \"10s\""), 3);
    let amp_b = b.total.outcomes.amplification();
    eprintln!("same with a 10% retry budget: amplification {amp_b:.4}");
    assert!(amp_b <= 1.1 + 0.005, "{amp_b}");
    assert!(
        amp_b >= 1.09,
        "the budget is used, not just refused: {amp_b}"
    );
}

/// Goal: reproduce the qualitative result of "Exponential Backoff And Jitter": after a
/// shared failure, clients with jitter need far fewer attempts than clients without.
/// Method: 200 clients fire one request each at t = 0 at a resource that serves 10 at a time
/// (no queue: the rest get 503 at once) for 50 ms each; they retry 503s with exponential
/// backoff (base 50 ms, cap 5 s, up to 50 attempts). Count attempts for all 200 to finish.
///
/// Measured (seed 1), attempts for 200 requests:
///   none 2,100 · full 1,016 · equal 994 · decorrelated 779
/// (Without jitter the 190 losers of each round retry together and collide again; with
/// jitter they spread over the backoff window and the resource serves them as they come.)
#[test]
fn jitter_needs_far_fewer_attempts_after_a_shared_failure() {
    let text = |jitter: &str| {
        format!(
            r#"
version = 1
duration = "600s"
[platform]
workers = 10
queue_limit = 0
[classes.c]
service = "const(50ms)"
db_queries = "const(0)"
timeout = "1h"
retry = {{ policy = "backoff", base = "50ms", cap = "5s", max_attempts = 50, jitter = "{jitter}" }}
[[tenants]]
id = "clients"
arrival = "closed"
users = 200
think = "const(2h)"
start_spread = "0s"
"#
        )
    };
    let mut attempts = Vec::new();
    for j in ["none", "full", "equal", "decorrelated"] {
        let s = run(&text(j), 1);
        assert_eq!(s.total.outcomes.ok, 200, "{j}: every client finished");
        attempts.push((j, s.total.outcomes.attempts));
    }
    eprintln!("attempts for 200 requests: {attempts:?}");
    let none = attempts[0].1 as f64;
    for &(j, a) in &attempts[1..] {
        assert!(
            (a as f64) < 0.6 * none,
            "{j} jitter: {a} attempts vs {none} without jitter"
        );
    }
}

/// Goal: with P connections and C cores, DB throughput saturates at C / mean query time;
/// under overload latency grows with queueing, and statement + acquire timeouts cap it.
/// Method: C = 4 cores, P = 16 connections, const 10 ms queries → capacity 400/s; offer
/// 800/s for 60 s with many workers (the DB is the bottleneck). Poisson counts over 60 s
/// have s.d. ≈ √48,000 ≈ 220, so 400/s ± 3% is a fair tolerance on the served rate.
#[test]
fn db_saturates_at_cores_over_query_time_and_timeouts_cap_latency() {
    let text = |timeouts: &str| {
        format!(
            r#"
version = 1
duration = "60s"
[platform]
workers = 1000
queue_limit = 1000000
[platform.db]
connections = 16
cores = 4
{timeouts}
[classes.c]
service = "const(0ms)"
db_queries = "const(1)"
db_time = "const(10ms)"
timeout = "1h"
[[tenants]]
id = "t"
rate = "800/s"
"#
        )
    };
    let s = run(&text(""), 4);
    let served = s.total.outcomes.ok as f64 / 60.0;
    eprintln!(
        "DB 4 cores / 10 ms: served {served:.1}/s (capacity 400/s), p99 {:.0} ms",
        s.total.latency.p99_ms
    );
    assert!((served - 400.0).abs() < 12.0, "{served}");
    assert!(
        s.total.latency.p99_ms > 5_000.0,
        "overload queues up: p99 {}",
        s.total.latency.p99_ms
    );
    // Same overload with timeouts: an ok request waited ≤ 200 ms for a connection and ran
    // ≤ 100 ms (processor sharing stretches a 10 ms query up to 16×10/4 = 40 ms).
    let t = run(
        &text("statement_timeout = \"100ms\"\nacquire_timeout = \"200ms\""),
        4,
    );
    eprintln!(
        "with statement 100ms + acquire 200ms timeouts: max ok latency {:.0} ms, errors {}",
        t.total.latency.max_ms, t.total.outcomes.errors_5xx
    );
    assert!(
        t.total.latency.max_ms <= 300.0 + 1.0,
        "timeouts cap latency: {}",
        t.total.latency.max_ms
    );
    assert!(
        t.total.outcomes.errors_5xx > 10_000,
        "the excess fails fast instead of queueing"
    );
    assert!(t.total.causes.contains_key("db_pool_timeout"));
}

fn breaker_scenario(scope: &str) -> String {
    format!(
        r#"
version = 1
duration = "60s"
[platform]
workers = 64
[platform.db.breaker]
scope = "{scope}"
window = "5s"
min_requests = 20
error_threshold = "50%"
open_for = "2s"
[classes.c]
service = "const(1ms)"
db_queries = "const(1)"
db_time = "const(1ms)"
[[tenants]]
id = "broken"
rate = "100/s"
[[cohorts]]
name = "bystander"
count = 5
rate = "const(20/s)"
[[faults]]
name = "bad-key"
kind = "dependency_errors"
tenant = "broken"
fraction = "100%"
at = "10s"
for = "30s"
"#
    )
}

/// Goal: with one tenant's calls failing, a `global` breaker opens and fails everyone; a
/// `per_tenant` breaker fails only that tenant (the KMS lesson in miniature). Method: one
/// tenant's DB calls fail 100% for 30 s among 5 bystanders; compare bystanders' error rates.
#[test]
fn global_breaker_spreads_one_tenants_failure_per_tenant_contains_it() {
    let g = run(&breaker_scenario("global"), 5);
    let p = run(&breaker_scenario("per_tenant"), 5);
    let bystander_errors = |s: &RunSummary| -> f64 {
        let (mut bad, mut all) = (0, 0);
        for t in s.tenants.iter().filter(|t| t.id != "broken") {
            bad += t.outcomes.answered() - t.outcomes.ok;
            all += t.outcomes.answered();
        }
        bad as f64 / all as f64
    };
    let (ge, pe) = (bystander_errors(&g), bystander_errors(&p));
    eprintln!(
        "bystander error rate: global breaker {:.2}%, per-tenant breaker {:.3}%",
        ge * 100.0,
        pe * 100.0
    );
    assert!(
        ge > 0.20,
        "a global breaker fails bystanders while the broken tenant trips it: {ge}"
    );
    assert_eq!(pe, 0.0, "a per-tenant breaker contains the failure");
    assert!(g.total.causes.get("breaker_open").copied().unwrap_or(0) > 1_000);
    let broken = tenant(&p, "broken");
    assert!(
        broken.outcomes.errors_5xx + broken.outcomes.shed_503 > 2_500,
        "the broken tenant still fails"
    );
}

fn two_cells(fault: &str) -> String {
    format!(
        r#"
version = 1
duration = "120s"
[platform]
cells = 2
workers = 8
[platform.db]
connections = 8
cores = 2
[classes.c]
service = "const(2ms)"
db_queries = "const(1)"
db_time = "const(5ms)"
timeout = "2s"
[[cohorts]]
name = "t"
count = 40
rate = "const(10/s)"
[[slos]]
name = "p99"
objective = "p(99) < 100ms"
{fault}
"#
    )
}

fn cell_p50(s: &RunSummary, cell: u32) -> f64 {
    let v: Vec<f64> = s
        .tenants
        .iter()
        .filter(|t| t.cell == cell)
        .map(|t| t.p50_ms)
        .collect();
    v.iter().sum::<f64>() / v.len() as f64
}

/// Goal: cell faults stay in their cell, and the verdicts say so. Method: 40 tenants on 2
/// cells (20 each, 200 req/s per cell against a DB of 2 cores × 5 ms = 400 queries/s).
/// (a) `db_degraded` to 20% in cell 0 for 30 s: cell 0's DB can do 80/s < 200/s, so its
/// tenants time out — blast radius = cell 0's 20 tenants, cell 1 untouched — and the cell
/// recovers once the backlog has drained (~18 s after the fault ends).
/// (b) `dependency_latency` of 100 ms in cell 1 (with a roomy pool): its tenants' median
/// rises by ~100 ms, cell 0's not at all.
/// (c) `workers_lost` 7 of 8 in cell 0: one worker does ~140 req/s < 200/s: cell 0 suffers.
#[test]
fn cell_faults_stay_in_their_cell() {
    let s = run(
        &two_cells(
            r#"[[faults]]
name = "migration"
kind = "db_degraded"
cell = 0
capacity = "20%"
at = "30s"
for = "30s""#,
        ),
        6,
    );
    let f = &s.faults[0];
    eprintln!(
        "db_degraded: affected {}, recovery {:?}",
        f.affected_tenants, f.recovery_s
    );
    assert_eq!(f.affected_tenants, 20, "exactly cell 0's tenants");
    // The backlog built at 200 − 80 = 120/s for 30 s (3,600 requests; clients time out but
    // the work stays queued) drains at 400 − 200 = 200/s: ~18 s after the fault ends.
    assert!(
        f.recovery_s.is_some_and(|r| (12.0..=25.0).contains(&r)),
        "{:?}",
        f.recovery_s
    );
    assert!(s
        .tenants
        .iter()
        .filter(|t| t.cell == 1)
        .all(|t| t.slo_breaches.is_empty()));
    assert!(s
        .tenants
        .iter()
        .filter(|t| t.cell == 0)
        .all(|t| t.outcomes.timeouts > 0));

    // Added latency holds a worker and a connection: give both room (64 / 107 ms ≈ 600/s)
    // so that only the latency itself shows (with 8 of each, cell 1 saturates: p50 ~1 s).
    let roomy = |f: &str| {
        two_cells(f)
            .replace("connections = 8", "connections = 64")
            .replace("workers = 8", "workers = 64")
    };
    let base = run(&roomy(""), 6);
    let lat = run(
        &roomy(
            r#"[[faults]]
kind = "dependency_latency"
cell = 1
latency = "const(100ms)"
at = "0s"
until = "120s""#,
        ),
        6,
    );
    let (d0, d1) = (
        cell_p50(&lat, 0) - cell_p50(&base, 0),
        cell_p50(&lat, 1) - cell_p50(&base, 1),
    );
    eprintln!(
        "dependency_latency 100ms on cell 1: p50 change cell 0 {d0:.2} ms, cell 1 {d1:.2} ms"
    );
    assert!(d0.abs() < 1.0 && (d1 - 100.0).abs() < 5.0);

    let w = run(
        &two_cells(
            r#"[[faults]]
kind = "workers_lost"
cell = 0
count = 7
at = "30s"
for = "30s""#,
        ),
        6,
    );
    let bad = |c: u32| -> u64 {
        w.tenants
            .iter()
            .filter(|t| t.cell == c)
            .map(|t| t.outcomes.timeouts + t.outcomes.shed_503)
            .sum()
    };
    eprintln!(
        "workers_lost 7/8 on cell 0: failures cell 0 {}, cell 1 {}",
        bad(0),
        bad(1)
    );
    assert!(bad(0) > 500 && bad(1) == 0);
    assert_eq!(w.faults[0].affected_tenants, 20);
}

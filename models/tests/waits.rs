//! The waits of `summary.json` (`waits`: queue and DB connection, per tier, per cell and in
//! total) against queueing theory and against each other.
//!
//! Goal: the recorded waits are the quantities theory predicts. A cell's request queue with
//! Poisson arrivals, exponential service and `c` workers is an M/M/c queue; so is a DB pool
//! of `c` connections on at least `c` cores (each running query then runs at full speed)
//! when queries arrive as a Poisson stream. Erlang C gives both the probability of waiting
//! P(wait > 0) and the mean wait; the measured values must match within a tolerance that
//! the run length makes fair (independent replications: the tolerance must be at least 3.5
//! standard errors of the estimate, or the test refuses to judge). A pool with ample
//! connections must show no wait at all, and the per-cell and per-tier figures must add
//! up to the totals.
//!
//! Method: small single-cell scenarios run by `models::harness::run`, several seeds each.

use models::scenario::load_str;
use reports::summary::RunSummary;
use reports::waits::WaitStats;

fn run(text: &str, seed: u64) -> RunSummary {
    let sc = load_str("test.toml", text, &[]).unwrap_or_else(|e| panic!("{e}"));
    let out = models::harness::run::run(&sc, seed, None).expect("ledger balances");
    assert!(out.summary.ledger.balanced);
    out.summary
}

/// Erlang C for an M/M/c queue with arrival rate λ and service rate μ: (P(wait > 0), mean
/// wait in s). Iterated a^k/k!, no transcendental functions.
fn erlang_c(c: u32, lambda: f64, mu: f64) -> (f64, f64) {
    let a = lambda / mu;
    let rho = a / c as f64;
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / k as f64;
        }
        sum += term;
    }
    let top = term * a / c as f64 / (1.0 - rho);
    let p_wait = top / (sum + top);
    (p_wait, p_wait / (c as f64 * mu - lambda))
}

/// The `q` quantile of an M/M/c queue's wait (s): P(W > t) = P(wait > 0)·e^(−(cμ − λ)t),
/// so for q above 1 − P(wait > 0), t = ln(P(wait > 0) / (1 − q)) / (cμ − λ).
fn wait_quantile(q: f64, c: u32, lambda: f64, mu: f64) -> f64 {
    let (p_wait, _) = erlang_c(c, lambda, mu);
    assert!(1.0 - q < p_wait, "the {q} quantile is 0");
    libm::log(p_wait / (1.0 - q)) / (c as f64 * mu - lambda)
}

/// Mean and standard error of per-replication values.
fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

/// Compares replications of a measured quantity with theory, within `tol` (relative).
fn check(what: &str, xs: &[f64], theory: f64, tol: f64) {
    let (m, se) = mean_se(xs);
    let err = (m - theory).abs() / theory;
    eprintln!(
        "{what}: theory {theory:.6}, measured {m:.6} ({} seeds), error {:.2}%, s.e. {:.2}%",
        xs.len(),
        err * 100.0,
        se / theory * 100.0
    );
    assert!(
        3.5 * se / theory <= tol,
        "{what}: run too short for a {:.0}% test (s.e. {:.2}%)",
        tol * 100.0,
        se / theory * 100.0
    );
    assert!(
        err <= tol,
        "{what}: measured {m} vs theory {theory}: {:.2}% off",
        err * 100.0
    );
}

const C: u32 = 8;
const SERVICE_MS: f64 = 10.0;
const RHO: f64 = 0.8;
const SEEDS: u64 = 8;

/// λ for load ρ on `C` servers of mean service `SERVICE_MS`, and the run length for
/// about 150,000 customers per seed.
fn lambda_and_secs() -> (f64, u64) {
    let lambda = RHO * C as f64 * 1000.0 / SERVICE_MS;
    (lambda, (150_000.0 / lambda).ceil() as u64)
}

/// The request queue of one cell as M/M/8 at ρ = 0.8 (no DB queries): the cell's, the
/// tier's and the total's queue waits (they are the same attempts) match Erlang C's
/// P(wait > 0) (0.458) and mean wait (2.86 ms) within 5%, and its p99 (23.9 ms) within 10%
/// (the histogram's 0.8% included).
#[test]
fn request_queue_wait_matches_erlang_c() {
    let (lambda, secs) = lambda_and_secs();
    let text = format!(
        r#"
version = 1
duration = "{secs}s"
[platform]
cells = 1
workers = {C}
queue_limit = 100000000
[classes.job]
service = "exp({SERVICE_MS}ms)"
db_queries = "const(0)"
timeout = "100d"
[[tenants]]
id = "only"
tier = "gold"
rate = "{lambda}/s"
"#
    );
    let (p_theory, w_theory) = erlang_c(C, lambda, 1000.0 / SERVICE_MS);
    let p99_theory = wait_quantile(0.99, C, lambda, 1000.0 / SERVICE_MS);
    let (mut p, mut w, mut p99) = (Vec::new(), Vec::new(), Vec::new());
    for seed in 1..=SEEDS {
        let s = run(&text, seed);
        let cell = &s.waits.cells[0].queue;
        assert_eq!(
            &s.waits.total.queue, cell,
            "one cell: the cell is the total"
        );
        assert_eq!(
            &s.waits.tiers[0].queue, cell,
            "one tier: the tier is the total"
        );
        assert_eq!(s.waits.tiers[0].name, "gold");
        let o = &s.total.outcomes;
        assert!(
            o.ok <= cell.count && cell.count <= o.attempts,
            "{cell:?} {o:?}"
        );
        assert!((cell.mean_ms - s.total.latency.queue_wait_mean_ms).abs() < 1e-9);
        assert_eq!(
            s.waits.total.db_connection,
            WaitStats::default(),
            "no queries"
        );
        // Fewer than half wait, so the median wait is 0.
        assert_eq!(cell.p50_ms, 0.0, "{cell:?}");
        p.push(cell.p_wait);
        w.push(cell.mean_ms / 1e3);
        p99.push(cell.p99_ms / 1e3);
    }
    check("M/M/8 queue P(wait>0)", &p, p_theory, 0.05);
    check("M/M/8 queue mean wait", &w, w_theory, 0.05);
    check("M/M/8 queue p99 wait", &p99, p99_theory, 0.10);
}

/// A scenario whose DB pool is an M/M/c queue: queries arrive as the requests do (ample
/// workers, no CPU work), `connections` connections on as many cores, exponential query
/// work.
fn db_scenario(connections: u32, cores: u32, lambda: f64, secs: u64) -> String {
    format!(
        r#"
version = 1
duration = "{secs}s"
[platform]
cells = 1
workers = 1000
queue_limit = 100000000
[platform.db]
connections = {connections}
cores = {cores}
[classes.q]
service = "const(0ms)"
db_queries = "const(1)"
db_time = "exp({SERVICE_MS}ms)"
timeout = "100d"
[[tenants]]
id = "only"
rate = "{lambda}/s"
"#
    )
}

/// The DB pool as M/M/8 at ρ = 0.8 (8 connections, 8 cores): the DB-connection wait of the
/// cell, its tier and the total match Erlang C within 5% (p99 within 10%), and requests do
/// not queue for workers.
#[test]
fn db_connection_wait_matches_erlang_c() {
    let (lambda, secs) = lambda_and_secs();
    let text = db_scenario(C, C, lambda, secs);
    let (p_theory, w_theory) = erlang_c(C, lambda, 1000.0 / SERVICE_MS);
    let p99_theory = wait_quantile(0.99, C, lambda, 1000.0 / SERVICE_MS);
    let (mut p, mut w, mut p99) = (Vec::new(), Vec::new(), Vec::new());
    for seed in 1..=SEEDS {
        let s = run(&text, seed);
        let cell = &s.waits.cells[0].db_connection;
        assert_eq!(&s.waits.total.db_connection, cell);
        assert_eq!(&s.waits.tiers[0].db_connection, cell);
        assert_eq!(
            s.waits.total.queue.p_wait, 0.0,
            "ample workers: no queue wait"
        );
        assert!(cell.count > 100_000, "{cell:?}");
        assert_eq!(cell.p50_ms, 0.0, "fewer than half wait: {cell:?}");
        p.push(cell.p_wait);
        w.push(cell.mean_ms / 1e3);
        p99.push(cell.p99_ms / 1e3);
    }
    check("M/M/8 DB pool P(wait>0)", &p, p_theory, 0.05);
    check("M/M/8 DB pool mean wait", &w, w_theory, 0.05);
    check("M/M/8 DB pool p99 wait", &p99, p99_theory, 0.10);
}

/// A pool with ample connections (200 for a load that keeps about 6 queries running on 8
/// cores) never makes a query wait: P(wait > 0) = 0 and every wait figure is 0. The same
/// load on a pool of 7 connections (M/M/7 at ρ ≈ 0.86) waits often, so the measure can
/// tell the two apart.
#[test]
fn ample_db_connections_never_wait() {
    let lambda = 600.0;
    for seed in 1..=2 {
        let ample = run(&db_scenario(200, 8, lambda, 60), seed);
        let d = &ample.waits.cells[0].db_connection;
        assert!(d.count > 30_000, "{d:?}");
        assert_eq!(d.p_wait, 0.0, "{d:?}");
        assert_eq!((d.mean_ms, d.p50_ms, d.p99_ms), (0.0, 0.0, 0.0), "{d:?}");
        let tight = run(&db_scenario(7, 8, lambda, 60), seed);
        let d = &tight.waits.cells[0].db_connection;
        assert!(d.p_wait > 0.3 && d.mean_ms > 1.0, "{d:?}");
    }
}

/// Several cells and tiers: every attempt and query is counted once per cell and once per
/// tier, so the cells add up to the total and so do the tiers; a cell without tenants has
/// no values; tiers are listed in file order, only those with tenants.
#[test]
fn cells_and_tiers_add_up_to_the_total() {
    let text = r#"
version = 1
duration = "20s"
[platform]
cells = 3
workers = 8
[platform.db]
connections = 3
cores = 2
[[tenants]]
id = "a"
tier = "gold"
rate = "300/s"
cell = 0
[[tenants]]
id = "b"
tier = "bronze"
rate = "400/s"
cell = 0
[[tenants]]
id = "c"
tier = "bronze"
rate = "200/s"
cell = 1
"#;
    let s = run(text, 3);
    let w = &s.waits;
    assert_eq!(w.cells.len(), 3);
    assert_eq!(
        w.tiers.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["bronze", "gold"]
    );
    let sum = |xs: &mut dyn Iterator<Item = &WaitStats>| xs.map(|x| x.count).sum::<u64>();
    for (what, total, by_cell, by_tier) in [
        (
            "queue",
            w.total.queue.count,
            sum(&mut w.cells.iter().map(|c| &c.queue)),
            sum(&mut w.tiers.iter().map(|t| &t.queue)),
        ),
        (
            "db",
            w.total.db_connection.count,
            sum(&mut w.cells.iter().map(|c| &c.db_connection)),
            sum(&mut w.tiers.iter().map(|t| &t.db_connection)),
        ),
    ] {
        assert!(total > 10_000, "{what}: {total}");
        assert_eq!(by_cell, total, "{what}: cells");
        assert_eq!(by_tier, total, "{what}: tiers");
    }
    assert_eq!(
        w.cells[2].queue,
        WaitStats::default(),
        "cell 2 has no tenant"
    );
    assert_eq!(w.cells[2].db_connection, WaitStats::default());
    // Cell 0 carries 700/s on 8 workers, cell 1 200/s: cell 0 waits more.
    assert!(w.cells[0].queue.p_wait > w.cells[1].queue.p_wait, "{w:?}");
    assert!(w.cells[0].db_connection.p_wait > 0.0, "{w:?}");
    let total_mean = (w.cells[0].queue.mean_ms * w.cells[0].queue.count as f64
        + w.cells[1].queue.mean_ms * w.cells[1].queue.count as f64)
        / w.total.queue.count as f64;
    assert!((total_mean - w.total.queue.mean_ms).abs() < 1e-9);
    assert!((w.total.queue.mean_ms - s.total.latency.queue_wait_mean_ms).abs() < 1e-9);
}

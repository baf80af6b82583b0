//! The model's numbers against queueing theory and token-bucket conformance.
//!
//! Goal: show that the simulator is right where theory gives the answer, with tolerances
//! derived from the run length (independent replications), never from a lucky seed.

use models::scenario::load_str;

fn scenario(text: &str) -> models::scenario::Scenario {
    load_str("test.toml", text, &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// Erlang C: mean wait in queue of an M/M/c queue with arrival rate λ and service rate μ.
/// Computed without transcendental functions (iterated a^k/k!).
fn erlang_c_wait(c: u32, lambda: f64, mu: f64) -> f64 {
    let a = lambda / mu;
    let rho = a / c as f64;
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / k as f64;
        }
        sum += term;
    }
    let top = term * a / c as f64 / (1.0 - rho); // a^c / c! / (1-ρ)
    let p_wait = top / (sum + top);
    p_wait / (c as f64 * mu - lambda)
}

/// The skeleton as an M/M/c queue: Poisson arrivals, exponential service, c workers, no DB,
/// no limiter, no timeouts that fire, unbounded queue.
fn mmc_scenario(
    c: u32,
    rho: f64,
    service_ms: f64,
    customers: u64,
) -> (models::scenario::Scenario, f64, f64) {
    let mu = 1000.0 / service_ms;
    let lambda = rho * c as f64 * mu;
    let secs = (customers as f64 / lambda).ceil() as u64;
    let text = format!(
        r#"
version = 1
duration = "{secs}s"
[platform]
cells = 1
workers = {c}
queue_limit = 100000000
[classes.job]
service = "exp({service_ms}ms)"
db_queries = "const(0)"
timeout = "100d"
[[tenants]]
id = "only"
rate = "{lambda}/s"
"#
    );
    (scenario(&text), lambda, mu)
}

/// Mean queue wait over `seeds` independent replications: (mean of means, standard error).
fn replicate(sc: &models::scenario::Scenario, seeds: u64) -> (f64, f64, u64) {
    let mut means = Vec::new();
    let mut customers = 0;
    for seed in 1..=seeds {
        let out = models::harness::run::run(sc, seed, None).expect("ledger balances");
        assert!(out.summary.ledger.balanced);
        means.push(out.summary.total.latency.queue_wait_mean_ms / 1e3);
        customers += out.summary.total.outcomes.ok;
    }
    let n = means.len() as f64;
    let m = means.iter().sum::<f64>() / n;
    let var = means.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt(), customers)
}

fn check_erlang(rho: f64, customers_per_seed: u64, seeds: u64) {
    let c = 8;
    let (sc, lambda, mu) = mmc_scenario(c, rho, 10.0, customers_per_seed);
    let theory = erlang_c_wait(c, lambda, mu);
    let (measured, se, customers) = replicate(&sc, seeds);
    let rel_err = (measured - theory).abs() / theory;
    let rel_se = se / theory;
    eprintln!(
        "M/M/{c} ρ={rho}: Erlang C Wq = {:.4} ms, measured {:.4} ms over {customers} customers ({seeds} seeds), \
         error {:.2}%, standard error {:.2}%",
        theory * 1e3,
        measured * 1e3,
        rel_err * 100.0,
        rel_se * 100.0
    );
    // The test is fair only if 3% is at least 3.5 standard errors of the estimate.
    assert!(
        rel_se * 3.5 <= 0.03,
        "run too short for a 3% test: s.e. {:.2}%",
        rel_se * 100.0
    );
    assert!(
        rel_err <= 0.03,
        "mean wait {measured} vs Erlang C {theory}: {:.2}% off",
        rel_err * 100.0
    );
}

/// ρ = 0.9, c = 8: 20 replications of 2×10^6 customers (4×10^7 in all; RSD ≈ 0.4%).
#[test]
fn mmc_mean_wait_matches_erlang_c_at_high_load() {
    check_erlang(0.9, 2_000_000, 20);
}

/// ρ = 0.5, c = 8: waiting is rare (P(wait) ≈ 3%), so more customers per wait are needed.
#[test]
fn mmc_mean_wait_matches_erlang_c_at_half_load() {
    check_erlang(0.5, 2_000_000, 10);
}

/// A saturated token bucket admits exactly burst + rate·T requests over T (up to the one
/// token that may be refilling when the run ends); never more.
#[test]
fn edge_token_bucket_admits_burst_plus_rate_times_t() {
    let rate = 50.0;
    let burst = 20u64;
    let secs = 200u64;
    let text = format!(
        r#"
version = 1
duration = "{secs}s"
[platform]
workers = 64
[classes.c]
service = "const(1ms)"
db_queries = "const(0)"
[[tenants]]
id = "flood"
rate = "500/s"
rate_limit = "{rate}/s"
burst = {burst}
"#
    );
    let sc = scenario(&text);
    for seed in 1..=3 {
        let s = models::harness::run::run(&sc, seed, None).unwrap().summary;
        let o = &s.total.outcomes;
        let admitted = o.attempts - o.rejected_429;
        // The last arrival is just before T; the bound uses the full T.
        let bound = burst + (rate * secs as f64) as u64;
        assert!(
            admitted <= bound,
            "admitted {admitted} > burst + rate·T = {bound}"
        );
        assert!(
            admitted + 2 >= bound,
            "admitted {admitted}, expected ≈ {bound} under saturation"
        );
        assert!(o.rejected_429 > 80_000, "the flood was saturating");
    }
}

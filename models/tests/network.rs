//! Network delays on the platform's links (`[network]`), checked against hand calculations,
//! and the zero-delay loop that once hung a run.
//!
//! Goal: each configured link adds exactly its legs to a request's latency; a scenario
//! without `[network]` is unchanged; a closed loop of instant refusals ends (stalled without
//! a network delay, advancing with one).
//! Method: constant delays and service times, one closed-loop user (no queueing), so the
//! latency of every request is a sum that can be written down; the loop's request count is
//! the run length over the round trip.

use models::scenario::load_str;

fn run(text: &str, sets: &[&str]) -> reports::summary::RunSummary {
    let sets: Vec<models::scenario::Override> = sets
        .iter()
        .map(|s| models::scenario::Override::parse(s).expect("override"))
        .collect();
    let sc = load_str("net.toml", text, &sets).unwrap_or_else(|e| panic!("{e}"));
    models::harness::run::run(&sc, 1, None)
        .expect("ledger balances")
        .summary
}

const SEQUENTIAL: &str = r#"
version = 1
duration = "100s"
[platform]
cells = 1
workers = 4
[classes.api]
service = "const(10ms)"
db_queries = "const(2)"
db_time = "const(1ms)"
timeout = "10s"
[[tenants]]
id = "solo"
arrival = "closed"
users = 1
think = "const(1s)"
start_spread = "0s"
"#;

/// Goal: every leg of every link is counted once, and nothing else changes.
/// Method: one user, one request at a time. Without a network a request takes 10 ms of CPU
/// plus 2 queries × 1 ms = 12 ms. With client↔edge 20 ms, edge↔cell 5 ms and cell↔DB 0.5 ms
/// (one way each): 20 + 5 + 10 + 2 × (1 + 2 × 0.5) + 5 + 20 = 64 ms, every request.
#[test]
fn each_leg_adds_its_delay() {
    let base = run(SEQUENTIAL, &[]);
    assert!(base.total.outcomes.ok > 90);
    assert!(
        (base.total.latency.mean_ms - 12.0).abs() < 1e-6,
        "{}",
        base.total.latency.mean_ms
    );
    let net = run(
        SEQUENTIAL,
        &[
            "network.client_edge=const(20ms)",
            "network.edge_cell=const(5ms)",
            "network.cell_db=const(500us)",
        ],
    );
    assert!(
        (net.total.latency.mean_ms - 64.0).abs() < 1e-6,
        "{}",
        net.total.latency.mean_ms
    );
    // 100 s of 1 s think + 64 ms: requests start at k × 1.064 s.
    assert_eq!(net.total.outcomes.offered, 94);
    assert_eq!(net.total.outcomes.ok, 94);
    assert!(!net.truncated);
}

/// Goal: a region's client↔edge delay applies to its tenants, the default to the others.
/// Method: two cells in two regions, a tenant pinned to each; `eu` clients are 40 ms away,
/// others 10 ms: latencies 12 + 80 = 92 and 12 + 20 = 32 ms, so in 100 s of 1 s think
/// times the first sends 92 requests (k × 1.092 s < 100 s) and the second 97.
#[test]
fn client_edge_by_region() {
    let text = format!(
        "{}\nregion = \"eu-west\"\n[[tenants]]\nid = \"other\"\narrival = \"closed\"\nusers = 1\nthink = \"const(1s)\"\nstart_spread = \"0s\"\nregion = \"us-east\"\n",
        SEQUENTIAL.replace("cells = 1", "cells = 2\nregions = [\"eu-west\", \"us-east\"]")
    );
    let s = run(
        &text,
        &[
            "network.client_edge=const(10ms)",
            "network.client_edge_by_region.eu-west=const(40ms)",
        ],
    );
    let ok = |id: &str| {
        s.tenants
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.outcomes.ok)
            .expect("tenant row")
    };
    assert_eq!((ok("solo"), ok("other")), (92, 97));
    let mean = (92.0 * 92.0 + 97.0 * 32.0) / 189.0;
    assert!(
        (s.total.latency.mean_ms - mean).abs() < 1e-6,
        "{}",
        s.total.latency.mean_ms
    );
}

/// Goal: an unknown region in `client_edge_by_region` is an error at its position.
/// Method: name a region no cell is in.
#[test]
fn unknown_region_is_an_error() {
    let text =
        format!("{SEQUENTIAL}\n[network]\nclient_edge_by_region = {{ mars = \"const(1ms)\" }}\n");
    let e = load_str("net.toml", &text, &[]).expect_err("unknown region");
    let msg = e.to_string();
    assert!(msg.contains("mars") && msg.contains("net.toml:"), "{msg}");
}

const LOOP: &str = r#"
version = 1
duration = "1s"
[platform]
cells = 1
workers = 4
[classes.api]
service = "const(1ms)"
db_queries = "const(0)"
[classes.api.retry]
policy = "none"
[[tenants]]
id = "hammer"
arrival = "closed"
users = 1
think = "const(0ms)"
start_spread = "0s"
rate_limit = "1/s"
burst = 1
"#;

/// Goal: the zero-delay loop (closed loop, zero think time, instant 429s, no backoff) ends.
/// Without a network delay the clock cannot advance: the run is stopped by the stall bound
/// and reported as truncated (`stop = "stalled"`), not left to spin until `max_events`
/// (2^40). With a client↔edge delay the loop advances.
/// Method: without delay, the run stops at t = 1 ms (the first request's end) with
/// `stalled`. With 10 ms each way: the first request takes the only token and 10 + 1 + 10
/// = 21 ms; each later one is refused at the edge and takes 20 ms, so requests start at 21,
/// 41, ..., 981 ms (49 more, 50 in all): 48 get their 429 by 1 s, the last one's answer is
/// still on the wire at the end (in flight). The bucket refills only at 1.01 s.
#[test]
fn zero_delay_loop_ends() {
    let stalled = run(LOOP, &[]);
    assert_eq!(stalled.stop, "stalled");
    assert!(stalled.truncated && !stalled.passed);
    // The first request takes the token and 1 ms of CPU; the loop starts when it ends.
    assert_eq!(stalled.sim_seconds, 0.001);
    assert!(stalled.events >= models::harness::run::MAX_EVENTS_PER_INSTANT);
    let net = run(LOOP, &["network.client_edge=const(10ms)"]);
    assert_eq!(net.stop, "time_reached");
    assert!(!net.truncated);
    assert_eq!(net.total.outcomes.offered, 50);
    assert_eq!(net.total.outcomes.ok, 1);
    assert_eq!(net.total.outcomes.rejected_429, 48);
    assert_eq!(net.total.outcomes.in_flight, 1);
}

/// Goal: each other class of mistake in `[network]` is an error at its position: a value
/// that is not a duration distribution, and a key that is not a link.
/// Method: one file for each.
#[test]
fn bad_values_and_keys_are_errors() {
    for (extra, needle) in [
        ("cell_db = \"fast\"", "not a duration"),
        ("cell_dbb = \"const(1ms)\"", "cell_dbb"),
    ] {
        let text = format!("{SEQUENTIAL}\n[network]\n{extra}\n");
        let e = load_str("net.toml", &text, &[]).expect_err(extra);
        let msg = e.to_string();
        assert!(msg.contains("net.toml:") && msg.contains(needle), "{msg}");
    }
}

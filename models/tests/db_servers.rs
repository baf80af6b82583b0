//! Shard groups and a tier's dedicated DB server at run time (issue 16, item 3).
//!
//! Goal: under `layout = "shard_groups"` a hot tenant's heavy queries hurt the tenants
//! routed to its shard and nobody else (the other shards' tenants keep the latency they
//! have without the hot tenant), while shared tables spread it to everyone; the routing in
//! the summary is the documented hash and the shards are sized as documented (and the trade
//! shows: a 1-core shard hurts its mates more than one 4-core server would); each tenant's
//! connection-hours are its shard's pool divided among the shard's tenants; a tier with a
//! dedicated server keeps its latency while a tenant of another tier saturates the cell's
//! primary. Method: small one-cell scenarios run through the library (seed 1), the same
//! seed with and without the hot tenant's load (the mates' arrivals and draws are their
//! own streams, so they do not move), reading `summary.json`'s numbers. The cell has
//! workers to spare (256, at most 12 per tenant): a shard-mate's request waiting for its
//! shard holds a worker, and with 64 workers those waits exhaust the cell's workers and
//! every tenant queues for one — shards isolate the DB, not the cell's shared workers.

use models::scenario::data_servers::shard_of;
use reports::summary::RunSummary;

mod support;

const BASE: &str = r#"
version = 1
duration = "20s"
[platform]
cells = 1
workers = 256
scheduler = "drr_cap"
tenant_cap = 12
[platform.db]
connections = 16
cores = 4
[classes.api]
service = "exp(2ms)"
db_queries = "const(2)"
db_time = "exp(2ms)"
timeout = "5s"
[classes.heavy]
share = 0
service = "exp(2ms)"
db_queries = "const(2)"
db_time = "exp(80ms)"
timeout = "30s"
[cost]
[[tenants]]
id = "noisy"
tier = "silver"
rate = "10/s"
mix = { heavy = 1.0 }
[[cohorts]]
name = "mates"
count = 40
tier = "silver"
rate = "const(5/s)"
"#;

const SHARDS: &str =
    "[data_architecture]\nlayout = \"shard_groups\"\nshards = 4\nconnect = \"0s\"\n";

/// `BASE` + `extra` at seed 1 with the overrides `sets` (a balanced ledger).
fn run(extra: &str, sets: &[&str]) -> RunSummary {
    support::run(&format!("{BASE}{extra}"), 1, sets)
}

/// The worst p99 (ms) among the mates on noisy's shard (`true`) or on the others.
fn worst_p99(s: &RunSummary, on_noisy_shard: bool) -> f64 {
    let noisy = shard_of("noisy", 4);
    s.tenants
        .iter()
        .filter(|t| t.id.starts_with("mates"))
        .filter(|t| (shard_of(&t.id, 4) == noisy) == on_noisy_shard)
        .map(|t| t.p99_ms)
        .fold(0.0, f64::max)
}

#[test]
fn a_hot_tenant_hurts_its_shard_mates_and_no_other_shard() {
    // Noisy offers 10/s × 2 × 80 ms = 1.6 core-seconds a second to its shard's 1 core.
    let hot = run(SHARDS, &[]);
    let quiet = run(SHARDS, &["tenants.noisy.rate=0.001/s"]);
    let mates = hot
        .tenants
        .iter()
        .filter(|t| t.id.starts_with("mates") && shard_of(&t.id, 4) == shard_of("noisy", 4))
        .count();
    assert!(mates > 0 && mates < 40, "{mates} mates on noisy's shard");
    let (mate_hot, other_hot) = (worst_p99(&hot, true), worst_p99(&hot, false));
    let other_quiet = worst_p99(&quiet, false);
    assert!(
        mate_hot > 10.0 * other_hot,
        "noisy's shard-mates should suffer: {mate_hot} ms against {other_hot} ms elsewhere"
    );
    assert!(
        other_hot <= other_quiet * 1.2 + 2.0,
        "the other shards should not notice noisy: {other_hot} ms hot, {other_quiet} ms quiet"
    );
    // The trade: one server of 4 cores pools them, so under shared tables the same load
    // hurts noisy's would-be shard-mates far less than a 1-core shard does.
    let shared = run(SHARDS, &["data_architecture.layout=shared_tables"]);
    assert!(
        worst_p99(&shared, true) * 5.0 < mate_hot,
        "shared tables: {} ms for noisy's would-be shard-mates, {mate_hot} ms on its shard",
        worst_p99(&shared, true)
    );
}

#[test]
fn the_shards_are_sized_and_filled_as_documented() {
    let s = run(SHARDS, &["cost.connection_hour=1.0"]);
    let d = s.data_architecture.as_ref().expect("data architecture row");
    assert_eq!(d.layout, "shard_groups");
    assert_eq!(d.servers.len(), 4, "{:?}", d.servers);
    // 4 cores and 16 connections divided by 4 shards.
    for (k, r) in d.servers.iter().enumerate() {
        assert_eq!(r.server, format!("shard {k}"));
        assert_eq!((r.cell, r.cores, r.connections), (0, 1, 4), "{r:?}");
    }
    // Tenants per shard: the hash of each id, and balanced within a bound (41 over 4).
    let mut want = [0u32; 4];
    for t in &s.tenants {
        want[shard_of(&t.id, 4) as usize] += 1;
    }
    let got: Vec<u32> = d.servers.iter().map(|r| r.tenants).collect();
    assert_eq!(got, want.to_vec());
    assert!(got.iter().all(|&n| (4..=18).contains(&n)), "{got:?}");
    // The heavy work ran on noisy's shard.
    let busiest = d
        .servers
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.busy_core_seconds.total_cmp(&b.1.busy_core_seconds))
        .map(|(k, _)| k as u32);
    assert_eq!(busiest, Some(shard_of("noisy", 4)));
    // Each tenant pays its shard's 4 open connections for 20 s, shared with its shard.
    let b = s.showback.as_ref().expect("showback");
    for (row, t) in b.tenants.iter().zip(&s.tenants) {
        let n = f64::from(want[shard_of(&t.id, 4) as usize]);
        let expect = 4.0 * 20.0 / 3600.0 / n;
        assert!(
            (row.connection_hours - expect).abs() < 1e-9,
            "{}: {} against {expect}",
            t.id,
            row.connection_hours
        );
    }
    assert_eq!(d.connections_max, vec![4, 4, 4, 4]);
}

#[test]
fn a_tier_with_its_own_server_keeps_its_latency() {
    let vip = "[[cohorts]]\nname = \"vip\"\ncount = 5\ntier = \"gold\"\nrate = \"const(5/s)\"\n";
    // Noisy at 20/s offers 20 × 2 × 80 ms = 3.2 core-seconds a second to the primary's
    // 2 cores (it holds at most 12 workers, so at most 12 queries); 10 silver mates add
    // 0.2; gold's own server has 2 cores.
    let sets = [
        "tenants.noisy.rate=20/s",
        "platform.db.cores=2",
        "cohorts.mates.count=10",
    ];
    let shared =
        format!("{vip}[data_architecture]\nlayout = \"shared_tables\"\nconnect = \"0s\"\n");
    let own = format!("{shared}dedicated_db_tiers = [\"gold\"]\ndedicated_db_cores = 2\ndedicated_db_connections = 8\n");
    let vip_p99 = |s: &RunSummary| {
        s.tenants
            .iter()
            .filter(|t| t.id.starts_with("vip"))
            .map(|t| t.p99_ms)
            .fold(0.0, f64::max)
    };
    let a = run(&shared, &sets);
    let b = run(&own, &sets);
    assert!(
        vip_p99(&b) * 3.0 < vip_p99(&a),
        "a dedicated server should keep gold fast: {} ms shared, {} ms own",
        vip_p99(&a),
        vip_p99(&b)
    );
    let d = b.data_architecture.as_ref().expect("row");
    let names: Vec<&str> = d.servers.iter().map(|r| r.server.as_str()).collect();
    assert_eq!(names, vec!["primary", "tier gold"]);
    assert_eq!(
        (
            d.servers[1].cores,
            d.servers[1].connections,
            d.servers[1].tenants
        ),
        (2, 8, 5)
    );
    assert_eq!((d.servers[0].cores, d.servers[0].connections), (2, 16));
    assert!(d.servers[1].busy_core_seconds > 0.0);
    // Without the key nothing beyond the primary is reported.
    assert!(a
        .data_architecture
        .as_ref()
        .expect("row")
        .servers
        .is_empty());
}

//! The full request path at scale (criterion).
//!
//! - `platform_12k/60s`: `scenarios/platform-12k.toml` (12,000 tenants, 95/4/1 cohort,
//!   ~5,000 requests/s, 8 DRR cells, retries with budgets) for 60 simulated seconds, with the
//!   spike moved inside the slice. Throughput is reported in events/s; the full hour is
//!   timed with `/usr/bin/time -v target/release/tenantsim run scenarios/platform-12k.toml`
//!   (BENCHMARKS.md).
//! - `tenant_sweep/{120,1200,12000}`: the same offered load (~5,000 requests/s) spread over
//!   120, 1,200 and 12,000 tenants, 30 simulated seconds each: cost per event should stay
//!   flat as the platform grows (BRIEF target: events/s at 12,000 ≥ 0.5× at 120).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use models::scenario::{load_str, Override, Scenario};
use std::hint::black_box;

const SCENARIO: &str = include_str!("../scenarios/platform-12k.toml");

fn scenario(sets: &[String]) -> Scenario {
    let o: Vec<Override> = sets
        .iter()
        .map(|s| Override::parse(s).expect("valid --set"))
        .collect();
    load_str("scenarios/platform-12k.toml", SCENARIO, &o).unwrap_or_else(|e| panic!("{e}"))
}

fn slice(duration: &str, extra: &[String]) -> Vec<String> {
    let mut v = vec![
        format!("duration={duration}"),
        "faults.spike.at=10s".to_string(),
        "faults.spike.for=10s".to_string(),
    ];
    v.extend_from_slice(extra);
    v
}

/// Overrides that spread ~5,000 requests/s over `scale` × 120 tenants (scale 1, 10, 100).
fn sweep_sets(scale: u32) -> Vec<String> {
    let k = 100.0 / scale as f64; // per-tenant rate multiplier keeping the total constant
    slice(
        "30s",
        &[
            format!("cohorts.small.count={}", 114 * scale),
            format!("cohorts.mid.count={}", (48 * scale).div_ceil(10)),
            format!("cohorts.large.count={}", (12 * scale).div_ceil(10)),
            format!("cohorts.small.rate=lognormal({}/s, 0.8)", 0.18 * k),
            format!("cohorts.mid.rate=lognormal({}/s, 0.8)", 1.8 * k),
            format!("cohorts.large.rate=lognormal({}/s, 0.8)", 5.8 * k),
            // Keep the rate limits out of the way of the rescaled tenants.
            "tiers.bronze.rate_limit=100000/s".to_string(),
            "tiers.silver.rate_limit=100000/s".to_string(),
            "tiers.gold.rate_limit=100000/s".to_string(),
        ],
    )
}

fn bench(c: &mut Criterion) {
    let sc = scenario(&slice("60s", &[]));
    let events = models::harness::run::run(&sc, 1, None)
        .expect("runs")
        .summary
        .events;
    let mut g = c.benchmark_group("platform_12k");
    g.sample_size(10);
    g.throughput(Throughput::Elements(events));
    g.bench_function("60s", |b| {
        b.iter(|| {
            black_box(
                models::harness::run::run(&sc, 1, None)
                    .expect("runs")
                    .summary
                    .events,
            )
        })
    });
    g.finish();

    let mut g = c.benchmark_group("tenant_sweep");
    g.sample_size(10);
    for scale in [1u32, 10, 100] {
        let sc = scenario(&sweep_sets(scale));
        let events = models::harness::run::run(&sc, 1, None)
            .expect("runs")
            .summary
            .events;
        g.throughput(Throughput::Elements(events));
        g.bench_function(format!("{}", 120 * scale), |b| {
            b.iter(|| {
                black_box(
                    models::harness::run::run(&sc, 1, None)
                        .expect("runs")
                        .summary
                        .events,
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

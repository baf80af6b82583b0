//! The full request path at scale (criterion).
//!
//! - `platform_12k/60s`: `scenarios/platform-12k.toml` (12,000 tenants, 95/4/1 cohort,
//!   ~5,000 requests/s, 8 DRR cells, retries with budgets) for 60 simulated seconds, with the
//!   spike moved inside the slice. Throughput is reported in events/s; the full hour is
//!   timed with `/usr/bin/time -v target/release/tenantsim run scenarios/platform-12k.toml`
//!   (BENCHMARKS.md).
//! - `tenant_sweep/{120,1200,12000,120000}`: the same offered load (~5,000 requests/s)
//!   spread over 120, 1,200, 12,000 and 120,000 tenants, 30 simulated seconds each: cost per
//!   event should stay flat as the platform grows (targets: events/s at 12,000 and at
//!   120,000 ≥ 0.5× at 120).
//!
//! Two one-line modes skip criterion:
//!
//! ```text
//! TENANTSIM_RATIO=1 cargo bench --bench platform   # platform event ÷ M/M/c engine event
//! TENANTSIM_FLEET=1 cargo bench --bench platform   # 100,000 tenants on 1,000 cells, 60 s
//! ```
//!
//! - Ratio mode runs the `platform_12k/60s` slice and the engine bench's M/M/c model
//!   (`benches/mmc`, 1,000,000 customers) alternately in one process, five times each after
//!   one warm-up of each, and prints the median ns per event of both and their ratio
//!   (target ≤ 3×).
//! - Fleet mode runs `platform-12k.toml` rescaled to 100,000 tenants (95,000 / 4,000 /
//!   1,000) on 1,000 cells at ~20,000 requests/s for 60 simulated seconds, three times, and
//!   prints the median events/s, the set-up share and the ns per event. Peak memory of the
//!   same run: `/usr/bin/time -v target/release/tenantsim run scenarios/platform-12k.toml`
//!   with the overrides printed by this mode (BENCHMARKS.md).

use criterion::{criterion_group, Criterion, Throughput};
use models::scenario::{load_str, Override, Scenario};
use std::hint::black_box;
use std::time::Instant;

#[allow(dead_code)] // the engine bench uses all of it; this one only runs the model
mod mmc;

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

/// Overrides that spread ~5,000 requests/s over `scale` × 120 tenants (scale 1, 10, 100, 1000).
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
    for scale in [1u32, 10, 100, 1000] {
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

/// Overrides for the fleet: 100,000 tenants on 1,000 cells, ~20,000 requests/s.
fn fleet_sets() -> Vec<String> {
    slice(
        "60s",
        &[
            "cohorts.small.count=95000".to_string(),
            "cohorts.mid.count=4000".to_string(),
            "cohorts.large.count=1000".to_string(),
            "platform.cells=1000".to_string(),
            "cohorts.small.rate=lognormal(0.086/s, 0.8)".to_string(),
            "cohorts.mid.rate=lognormal(0.86/s, 0.8)".to_string(),
            "cohorts.large.rate=lognormal(2.8/s, 0.8)".to_string(),
        ],
    )
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Ratio mode (see the module docs).
// The wall clock times whole runs from outside; nothing inside a model reads it.
#[allow(clippy::disallowed_methods)]
fn ratio_mode() {
    let sc = scenario(&slice("60s", &[]));
    let p = mmc::Params::bench(1_000_000);
    let platform = || {
        let t0 = Instant::now();
        let ev = models::harness::run::run(&sc, 1, None)
            .expect("runs")
            .summary
            .events;
        (ev, t0.elapsed().as_secs_f64())
    };
    let engine = || {
        let t0 = Instant::now();
        let out = black_box(mmc::run_engine(black_box(&p)));
        (out.events, t0.elapsed().as_secs_f64())
    };
    let (pe, _) = platform();
    let (me, _) = engine();
    let (mut pt, mut mt) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let (e, s) = platform();
        assert_eq!(e, pe, "the platform slice is deterministic");
        pt.push(s * 1e9 / e as f64);
        let (e, s) = engine();
        assert_eq!(e, me);
        mt.push(s * 1e9 / e as f64);
    }
    let (p_ns, m_ns) = (median(pt), median(mt));
    println!(
        "ratio platform_ns_per_event={p_ns:.1} ({pe} events) mmc_ns_per_event={m_ns:.1} ({me} events) ratio={:.2}",
        p_ns / m_ns
    );
}

/// Fleet mode (see the module docs).
// The wall clock times whole runs from outside; nothing inside a model reads it.
#[allow(clippy::disallowed_methods)]
fn fleet_mode() {
    let sets = fleet_sets();
    let t0 = Instant::now();
    let sc = scenario(&sets);
    let parse = t0.elapsed().as_secs_f64();
    let mut runs = Vec::new();
    let mut events = 0;
    for _ in 0..3 {
        let t0 = Instant::now();
        events = models::harness::run::run(&sc, 1, None)
            .expect("runs")
            .summary
            .events;
        runs.push(t0.elapsed().as_secs_f64());
    }
    let s = median(runs);
    println!(
        "fleet tenants=100000 cells=1000 events={events} seconds={s:.3} events_per_sec={:.0} ns_per_event={:.1} parse_seconds={parse:.3}",
        events as f64 / s,
        s * 1e9 / events as f64
    );
    println!(
        "overrides: {}",
        sets.iter()
            .map(|s| format!("--set '{s}'"))
            .collect::<Vec<_>>()
            .join(" ")
    );
}

criterion_group!(benches, bench);

fn main() {
    let on = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty() && v != "0");
    if on("TENANTSIM_RATIO") {
        ratio_mode();
        return;
    }
    if on("TENANTSIM_FLEET") {
        fleet_mode();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

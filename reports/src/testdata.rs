//! A synthetic but internally consistent run (summary + series) for the renderers' tests.
//!
//! The story: three tiers on four cells for 600 s; the DB of cell 2 degrades from 200 s to
//! 320 s, clients retry, cell 1 loses workers from 290 s to 360 s. Every count is derived so
//! that the tier rows of the series sum to `summary.tiers`, the tiers sum to `summary.total`
//! and the tenants sum to it too. Pseudo-noise comes from a fixed hash, so the fixture is the
//! same on every machine.

use crate::series::{CellPoint, CellSeries, GroupPoint, GroupSeries, Heatmap, Series};
use crate::summary::{
    EvidencePoint, FaultRow, Fingerprint, GroupRow, Latency, LedgerRow, MetastabilityRow,
    MetastableFault, Outcomes, RunSummary, SloRow, TenantRow, SCHEMA_VERSION,
};

/// SplitMix64 finaliser → uniform in [0, 1).
pub fn noise(a: u64, b: u64) -> f64 {
    let mut z = a
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(b.wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(0x94D0_49BB_1331_11EB);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Shape of a fixture.
pub struct Shape {
    /// Tenants per tier: (name, count, requests/s per tenant).
    pub tiers: Vec<(&'static str, usize, f64)>,
    /// Cells.
    pub cells: u32,
    /// Recording windows of 5 s.
    pub windows: usize,
    /// Heat windows of 10 s.
    pub heat_windows: usize,
}

impl Shape {
    /// The default: 2,000 tenants, 4 cells, 600 s.
    pub fn small() -> Shape {
        Shape {
            tiers: vec![
                ("enterprise", 20, 20.0),
                ("pro", 180, 4.0),
                ("free", 1800, 0.5),
            ],
            cells: 4,
            windows: 120,
            heat_windows: 60,
        }
    }
}

/// How bad window `t` (seconds) is for a request in `cell`: (failure fraction, latency factor).
fn stress(t: f64, cell: u32) -> (f64, f64) {
    let mut fail: f64 = 0.0005;
    let mut slow: f64 = 1.0;
    if (200.0..320.0).contains(&t) {
        // DB degraded in cell 2; retries spread the pain to the other cells a little.
        let ramp = ((t - 200.0) / 40.0).min(1.0);
        if cell == 2 {
            fail += 0.25 * ramp;
            slow *= 1.0 + 30.0 * ramp;
        } else {
            fail += 0.01 * ramp;
            slow *= 1.0 + 2.0 * ramp;
        }
    }
    if (290.0..360.0).contains(&t) && cell == 1 {
        fail += 0.05;
        slow *= 4.0;
    }
    (fail.min(0.9), slow)
}

/// The fixture run.
pub fn run(shape: &Shape) -> (RunSummary, Series) {
    let window_s = 5.0;
    let sim_seconds = window_s * shape.windows as f64;
    // Tenants in declaration order: tier by tier; cells round-robin.
    let mut tenants: Vec<TenantRow> = Vec::new();
    for (tier, count, _) in &shape.tiers {
        for _ in 0..*count {
            let i = tenants.len();
            tenants.push(TenantRow {
                id: format!("t-{i:05}"),
                tier: (*tier).to_string(),
                cohort: if i % 97 == 13 {
                    Some("noisy".to_string())
                } else {
                    None
                },
                cell: (i as u32 * 7) % shape.cells,
                ..Default::default()
            });
        }
    }
    let watched = ["t-00002", "t-00301"];

    let mut groups: Vec<GroupSeries> = Vec::new();
    for (tier, _, _) in &shape.tiers {
        groups.push(GroupSeries {
            kind: "tier".into(),
            name: (*tier).to_string(),
            points: Vec::new(),
        });
    }
    groups.push(GroupSeries {
        kind: "cohort".into(),
        name: "noisy".into(),
        points: Vec::new(),
    });
    for w in watched {
        groups.push(GroupSeries {
            kind: "tenant".into(),
            name: w.to_string(),
            points: Vec::new(),
        });
    }

    // Per tenant per window: counts. Groups and tenant totals are sums of these.
    let n_tiers = shape.tiers.len();
    for w in 0..shape.windows {
        let t = (w as f64 + 0.5) * window_s;
        let mut pts: Vec<GroupPoint> = vec![GroupPoint::default(); groups.len()];
        let mut slow_max = vec![1.0f64; groups.len()];
        for (i, row) in tenants.iter_mut().enumerate() {
            let rate = shape
                .tiers
                .iter()
                .find(|(n, _, _)| *n == row.tier)
                .map(|x| x.2)
                .unwrap_or(1.0);
            let (fail, slow) = stress(t, row.cell);
            let expected = rate * window_s * (0.8 + 0.4 * noise(i as u64, w as u64));
            let offered = expected.round() as u64;
            let bad = (offered as f64 * fail * (0.5 + noise(w as u64, i as u64))).round() as u64;
            let bad = bad.min(offered);
            let r429 = if row.cohort.is_some() && t > 100.0 && t < 160.0 {
                offered / 3
            } else {
                0
            };
            let rest = offered - r429;
            let bad = bad.min(rest);
            let shed = bad / 2;
            let e5 = bad / 4;
            let to = bad - shed - e5;
            let in_flight = if w + 1 == shape.windows {
                (rest - bad).min(1)
            } else {
                0
            };
            let ok = rest - bad - in_flight;
            let attempts = offered + bad * 2;
            let o = Outcomes {
                offered,
                ok,
                rejected_429: r429,
                shed_503: shed,
                errors_5xx: e5,
                timeouts: to,
                in_flight,
                attempts,
            };
            row.outcomes.add(&o);
            let mut add_to = |g: usize| {
                let p = &mut pts[g];
                p.offered += o.offered;
                p.ok += o.ok;
                p.rejected_429 += o.rejected_429;
                p.shed_503 += o.shed_503;
                p.errors_5xx += o.errors_5xx;
                p.timeouts += o.timeouts;
                p.attempts += o.attempts;
                slow_max[g] = slow_max[g].max(slow);
            };
            let tier_idx = shape
                .tiers
                .iter()
                .position(|(n, _, _)| *n == row.tier)
                .unwrap_or(0);
            add_to(tier_idx);
            if row.cohort.is_some() {
                add_to(n_tiers);
            }
            if let Some(k) = watched.iter().position(|x| *x == row.id) {
                add_to(n_tiers + 1 + k);
            }
        }
        for (g, p) in pts.iter_mut().enumerate() {
            if p.ok > 0 {
                let base = 4.0 + 2.0 * g as f64 + noise(g as u64, w as u64);
                let s = slow_max[g];
                p.p50_ms = Some(base * (1.0 + (s - 1.0) * 0.3));
                p.p99_ms = Some(base * 6.0 * s);
                p.p999_ms = Some(base * 14.0 * s);
            }
        }
        // A watched tenant that is idle for a while: a gap in its line.
        if (40..52).contains(&w) {
            let k = n_tiers + 2;
            pts[k] = GroupPoint::default();
        }
        for (g, p) in pts.into_iter().enumerate() {
            groups[g].points.push(p);
        }
    }
    // Idle windows of the watched tenant were removed from its series only; keep the tenant
    // rows as recorded (the tenant row is the truth for totals).

    let mut cells = Vec::new();
    for c in 0..shape.cells {
        let mut points = Vec::new();
        for w in 0..shape.windows {
            let t = (w as f64 + 0.5) * window_s;
            let (fail, slow) = stress(t, c);
            let util =
                (0.35 + 0.1 * noise(c as u64 + 100, w as u64) + 0.6 * (slow - 1.0) / 30.0).min(1.0);
            let depth = ((slow - 1.0) * 20.0 + 3.0 * noise(c as u64, w as u64 + 7)) as u32;
            points.push(CellPoint {
                queue_depth: depth,
                workers_busy: ((util * 16.0) as u32).min(16),
                workers: if c == 1 && (290.0..360.0).contains(&t) {
                    8
                } else {
                    16
                },
                db_utilisation: util,
                db_waiting: if util > 0.95 { depth / 2 } else { 0 },
                breaker_open: fail > 0.2,
            });
        }
        cells.push(CellSeries { cell: c, points });
    }

    // Heatmap: rows sorted by cell, then declaration order.
    let mut order: Vec<usize> = (0..tenants.len()).collect();
    order.sort_by_key(|&i| tenants[i].cell);
    let heat_w = sim_seconds / shape.heat_windows as f64;
    let mut bad = Vec::with_capacity(order.len() * shape.heat_windows);
    for &i in &order {
        let row = &tenants[i];
        for w in 0..shape.heat_windows {
            let t = (w as f64 + 0.5) * heat_w;
            let (fail, slow) = stress(t, row.cell);
            let idle = row.tier == "free" && noise(i as u64 * 3, w as u64) < 0.08;
            let v = if idle {
                None
            } else {
                let slow_bad = if slow > 5.0 { 0.3 } else { 0.0 };
                let x = (fail + slow_bad) * (0.3 + 1.4 * noise(i as u64, w as u64 + 1000));
                let x = if x < 0.002 { 0.0 } else { x };
                Some(x.min(1.0) as f32)
            };
            bad.push(v);
        }
    }
    let heatmap = Heatmap {
        window_s: heat_w,
        threshold_ms: 250.0,
        tenants: order.iter().map(|&i| tenants[i].id.clone()).collect(),
        cells: order.iter().map(|&i| tenants[i].cell).collect(),
        bad,
        windows: shape.heat_windows,
    };

    // Tenant figures and breaches.
    for (i, row) in tenants.iter_mut().enumerate() {
        let (_, slow) = stress(260.0, row.cell);
        row.p50_ms = 5.0 + noise(i as u64, 1);
        row.p99_ms = 30.0 * slow * (0.5 + noise(i as u64, 2));
        if row.p99_ms > 250.0 {
            row.slo_breaches.push("p99-each".into());
        }
        if row.outcomes.availability() < 0.99 {
            row.slo_breaches.push("availability-each".into());
        }
        row.cpu_ms = row.outcomes.ok as f64 * 2.5;
        row.db_ms = row.outcomes.ok as f64 * 4.0;
        row.bytes = row.outcomes.ok * 2048;
    }

    let mut tiers = Vec::new();
    let mut total = GroupRow {
        name: "all".into(),
        ..Default::default()
    };
    for (tier, count, _) in &shape.tiers {
        let mut g = GroupRow {
            name: (*tier).to_string(),
            tenants: *count as u64,
            ..Default::default()
        };
        for row in tenants.iter().filter(|r| r.tier == *tier) {
            g.outcomes.add(&row.outcomes);
        }
        g.latency = Latency {
            count: g.outcomes.ok,
            mean_ms: 8.0,
            p50_ms: 6.0,
            p99_ms: 180.0,
            p999_ms: 900.0,
            max_ms: 4000.0,
            queue_wait_mean_ms: 1.0,
            queue_wait_p99_ms: 40.0,
        };
        g.causes.insert("queue_full".into(), g.outcomes.shed_503);
        g.causes.insert("db_timeout".into(), g.outcomes.errors_5xx);
        g.by_attempts = vec![g.outcomes.ok, 10, 5, 2, 1, 0, 0, 0];
        total.tenants += g.tenants;
        total.outcomes.add(&g.outcomes);
        tiers.push(g);
    }
    total.latency = tiers[0].latency.clone();
    total
        .causes
        .insert("queue_full".into(), total.outcomes.shed_503);

    let breaching_p99 = tenants
        .iter()
        .filter(|r| r.slo_breaches.iter().any(|b| b == "p99-each"))
        .count() as u64;
    let breaching_av = tenants
        .iter()
        .filter(|r| r.slo_breaches.iter().any(|b| b == "availability-each"))
        .count() as u64;
    let slos = vec![
        SloRow {
            name: "p99-each".into(),
            objective: "p(99) < 250ms".into(),
            scope: "each".into(),
            window: "whole run".into(),
            passed: breaching_p99 == 0,
            measured: 912.0,
            measured_text: "912ms".into(),
            worst_tenant: Some("t-00007".into()),
            tenants_judged: tenants.len() as u64,
            tenants_breaching: breaching_p99,
            tenants_without_data: 0,
        },
        SloRow {
            name: "availability-each".into(),
            objective: "availability >= 99%".into(),
            scope: "each".into(),
            window: "rolling 60s every 10s".into(),
            passed: breaching_av == 0,
            measured: 0.93,
            measured_text: "93.00%".into(),
            worst_tenant: Some("t-00011".into()),
            tenants_judged: tenants.len() as u64 - 3,
            tenants_breaching: breaching_av,
            tenants_without_data: 3,
        },
        SloRow {
            name: "platform <errors> & \"quotes\"".into(),
            objective: "error_rate < 1%".into(),
            scope: "aggregate".into(),
            window: "whole run".into(),
            passed: true,
            measured: 0.004,
            measured_text: "0.40%".into(),
            worst_tenant: None,
            tenants_judged: 0,
            tenants_breaching: 0,
            tenants_without_data: 0,
        },
    ];
    let passed = slos.iter().all(|s| s.passed);

    let summary = RunSummary {
        schema_version: SCHEMA_VERSION,
        scenario: "retry-storm".into(),
        file: "scenarios/retry-storm.toml".into(),
        variant: Some("drr".into()),
        overrides: vec!["retry.budget=0.1".into()],
        seed: 42,
        digest: "0123456789abcdef".into(),
        fingerprint: Some(Fingerprint {
            scenario_digest: "89abcdef01234567".into(),
            version: "0.1.0".into(),
            commit: "abc123def456".into(),
            inputs_digest: "fedcba9876543210".into(),
        }),
        events: 12_345_678,
        sim_seconds,
        stop: "time_reached".into(),
        truncated: false,
        passed,
        control: Default::default(),
        rollouts: Vec::new(),
        showback: None,
        waits: Default::default(),
        data_architecture: None,
        ledger: LedgerRow {
            requests_started: total.outcomes.offered,
            requests_finished: total.outcomes.finished(),
            requests_in_flight: total.outcomes.in_flight,
            attempts_started: total.outcomes.attempts,
            attempts_finished: total.outcomes.attempts,
            attempts_in_flight: 0,
            attempts_wasted: 17,
            balanced: true,
        },
        total,
        tiers,
        slos,
        faults: vec![
            FaultRow {
                name: "db_degraded".into(),
                kind: "db_degraded".into(),
                start_s: 200.0,
                end_s: 320.0,
                target: Some("cell 2".into()),
                affected_tenants: 37,
                recovery_s: Some(25.0),
                resolved: None,
            },
            FaultRow {
                name: "workers_lost".into(),
                kind: "workers_lost".into(),
                start_s: 290.0,
                end_s: 360.0,
                target: Some("cell 1".into()),
                affected_tenants: 0,
                recovery_s: None,
                resolved: None,
            },
        ],
        metastability: MetastabilityRow {
            goodput_below: 0.9,
            amplification_above: 1.5,
            for_s: 60.0,
            min_requests: 20,
            faults: vec![
                MetastableFault {
                    fault: "db_degraded".into(),
                    flagged: false,
                    judged: "tiers".into(),
                    stuck_s: 12.0,
                    until_end: false,
                    goodput: Some(0.62),
                    amplification: Some(1.1),
                    evidence_step_s: window_s,
                    evidence: (0..10)
                        .map(|i| EvidencePoint {
                            t_s: 320.0 + i as f64 * window_s,
                            offered: 2000,
                            goodput: Some(if i < 3 { 0.6 } else { 0.99 }),
                            amplification: Some(1.05),
                        })
                        .collect(),
                },
                MetastableFault {
                    fault: "workers_lost".into(),
                    flagged: true,
                    judged: "tiers".into(),
                    stuck_s: sim_seconds - 360.0,
                    until_end: true,
                    goodput: Some(0.12),
                    amplification: Some(2.6),
                    evidence_step_s: window_s,
                    evidence: (0..20)
                        .map(|i| EvidencePoint {
                            t_s: 360.0 + i as f64 * window_s,
                            offered: if i == 4 { 0 } else { 2000 },
                            goodput: (i != 4).then_some(0.12),
                            amplification: (i != 4).then_some(2.6),
                        })
                        .collect(),
                },
            ],
        },
        tenants,
    };
    let series = Series {
        window_s,
        windows: shape.windows,
        groups,
        cells,
        heatmap,
    };
    (summary, series)
}

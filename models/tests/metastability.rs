//! The metastability detector on shipped game days, and its `[metastability]` settings.
//!
//! Goal: a platform that stays broken after its trigger is gone is flagged, one that drains
//! and recovers is not. Method: `scenarios/retry-storm.toml` — its base (backoff + a retry
//! budget) recovers ~13 s after the DB spike; its counterfactuals (no budget) stay stuck for
//! the remaining 3 minutes. Each is run on two seeds and the per-fault verdict checked.

use models::scenario::{load_str, load_variant, Override};

const RETRY_STORM: &str = include_str!("../../scenarios/retry-storm.toml");

fn run(variant: Option<&str>, sets: &[&str], seed: u64) -> reports::RunSummary {
    let sets: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    let sc = load_variant("scenarios/retry-storm.toml", RETRY_STORM, &sets, variant)
        .unwrap_or_else(|e| panic!("{e}"));
    models::harness::run::run(&sc, seed, variant)
        .unwrap()
        .summary
}

#[test]
fn retry_storm_without_budget_is_flagged_metastable() {
    for variant in ["immediate-no-budget", "backoff-no-budget"] {
        for seed in 1..=2 {
            let s = run(Some(variant), &[], seed);
            let m = &s.metastability.faults[0];
            assert_eq!(m.fault, "db-slow");
            assert!(m.flagged, "{variant} seed {seed}: {m:?}");
            assert_eq!(m.judged, "tiers");
            // Stuck from the spike's end (2m) to the end of the run (5m).
            assert_eq!((m.stuck_s, m.until_end), (180.0, true), "{variant}");
            assert!(m.goodput.unwrap() < 0.6, "{m:?}");
            assert!(m.amplification.unwrap() > 1.5, "{m:?}");
            assert_eq!(s.metastable_faults().count(), 1);
            // Evidence: the 180 one-second windows after the end, merged in pairs to stay
            // within 120 points.
            assert_eq!((m.evidence.len(), m.evidence_step_s), (90, 2.0));
            assert!((m.evidence[0].t_s - 120.0).abs() < 1e-9);
        }
    }
}

#[test]
fn retry_storm_with_budget_recovers() {
    for seed in 1..=2 {
        let s = run(None, &[], seed);
        let m = &s.metastability.faults[0];
        assert!(!m.flagged, "seed {seed}: {m:?}");
        // It was bad while the dead backlog drained, well under a minute.
        assert!(m.stuck_s > 0.0 && m.stuck_s < 30.0, "{m:?}");
        assert!(!m.until_end);
        assert_eq!(s.metastable_faults().count(), 0);
    }
}

/// The thresholds come from the scenario: a `for` longer than the stuck stretch, or an
/// amplification/goodput pair the counterfactual meets, clears the flag.
#[test]
fn thresholds_come_from_the_scenario() {
    let s = run(Some("immediate-no-budget"), &["metastability.for=200s"], 1);
    assert!(!s.metastability.faults[0].flagged);
    assert_eq!(s.metastability.for_s, 200.0);
    let s = run(
        Some("immediate-no-budget"),
        &[
            "metastability.goodput_below=40%",
            "metastability.amplification_above=5",
        ],
        1,
    );
    assert!(!s.metastability.faults[0].flagged, "{:?}", s.metastability);
    let s = run(None, &["metastability.for=5s"], 1);
    assert!(s.metastability.faults[0].flagged, "the 13 s drain is ≥ 5 s");
    assert_eq!(s.metastability.min_requests, 20);
}

const SMALL: &str = r#"version = 1
duration = "1m"
[[tenants]]
id = "a"
rate = "20/s"
[metastability]
goodput_below = 0.8
amplification_above = 1.2
for = "30s"
min_requests = 5
"#;

#[test]
fn settings_parse_and_bad_values_are_located() {
    let sc = load_str("t.toml", SMALL, &[]).unwrap_or_else(|e| panic!("{e}"));
    let m = sc.metastability;
    assert_eq!(
        (m.goodput_below, m.amplification_above, m.min_requests),
        (0.8, 1.2, 5)
    );
    assert_eq!(m.for_duration, sim::SimDuration::from_secs(30));
    let cases = [
        (
            "goodput_below = 0.8",
            "goodput_below = 1.5",
            "t.toml:7:17",
            "outside 0%..100%",
        ),
        (
            "amplification_above = 1.2",
            "amplification_above = 0.5",
            "t.toml:8:23",
            "between 1 and 1000",
        ),
        ("for = \"30s\"", "for = \"0s\"", "t.toml:9:7", "is zero"),
        (
            "for = \"30s\"",
            "for = \"2m\"",
            "t.toml:9:7",
            "longer than the run",
        ),
        (
            "min_requests = 5",
            "min_requests = 0",
            "t.toml:10:16",
            "between 1 and",
        ),
        (
            "min_requests = 5",
            "min_request = 5",
            "t.toml:10:1",
            "unknown field `min_request`",
        ),
    ];
    for (from, to, at, what) in cases {
        let text = SMALL.replace(from, to);
        let e = load_str("t.toml", &text, &[]).unwrap_err().to_string();
        assert!(
            e.contains(at) && e.contains(what),
            "{to}: expected {at} and `{what}` in:\n{e}"
        );
    }
}

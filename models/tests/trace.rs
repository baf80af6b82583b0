//! Tracing observes and never changes a run: with any selection, the traced run's summary
//! (digest, events, every count) is byte-identical to the untraced run's, and quickstart's
//! golden digest holds under tracing.
//!
//! Method: run shipped scenarios through `models::harness::run::run_with` with and without a
//! `TraceSpec` (tenants, cells, windows, a tiny record bound) and compare the JSON summaries.

use models::harness::run::{run_with, RunOptions};
use models::scenario::{load_str, Scenario};
use models::trace::TraceSpec;
use sim::SimDuration;

fn load(file: &str) -> Scenario {
    let path = format!("{}/../scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    load_str(&path, &text, &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn traced(spec: TraceSpec) -> RunOptions {
    RunOptions {
        trace: Some(spec),
        ..RunOptions::default()
    }
}

#[test]
fn traced_runs_equal_untraced_runs() {
    let cases: Vec<(&str, u64, TraceSpec)> = vec![
        (
            "quickstart.toml",
            1,
            TraceSpec {
                tenants: vec!["hot".into(), "acme".into()],
                ..TraceSpec::default()
            },
        ),
        (
            "retry-storm.toml",
            2,
            TraceSpec {
                cells: vec![0],
                from: Some(SimDuration::from_secs(55)),
                to: Some(SimDuration::from_secs(130)),
                ..TraceSpec::default()
            },
        ),
        (
            "kms-key-disabled.toml",
            1,
            TraceSpec {
                cells: vec![0, 1],
                max_events: 100,
                ..TraceSpec::default()
            },
        ),
        (
            "tenant-move.toml",
            1,
            TraceSpec {
                cells: vec![3],
                tenants: vec!["growing".into()],
                ..TraceSpec::default()
            },
        ),
    ];
    for (file, seed, spec) in cases {
        let sc = load(file);
        let plain = run_with(&sc, seed, &RunOptions::default()).unwrap();
        let with = run_with(&sc, seed, &traced(spec)).unwrap();
        assert!(plain.trace.is_none());
        let trace = with.trace.as_ref().expect("a trace");
        assert!(!trace.requests.is_empty(), "{file}: something was traced");
        assert_eq!(trace.meta.digest, plain.summary.digest);
        assert_eq!(
            plain.summary.to_json(),
            with.summary.to_json(),
            "{file}: tracing changed the run"
        );
    }
}

#[test]
fn quickstart_golden_digest_under_tracing() {
    let sc = load("quickstart.toml");
    let out = run_with(
        &sc,
        1,
        &traced(TraceSpec {
            cells: vec![0, 1],
            ..TraceSpec::default()
        }),
    )
    .unwrap();
    assert_eq!(out.summary.digest, "f632fb4b1916671f");
}

#[test]
fn selection_errors_name_the_problem() {
    let sc = load("quickstart.toml");
    let err = |spec: TraceSpec| match run_with(&sc, 1, &traced(spec)) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("expected a selection error"),
    };
    assert!(err(TraceSpec::default()).contains("nothing to trace"));
    let e = err(TraceSpec {
        tenants: vec!["small-3".into()],
        ..TraceSpec::default()
    });
    assert!(e.contains("did you mean `small-0003`?"), "{e}");
    let e = err(TraceSpec {
        tenants: vec!["small-99".into()],
        ..TraceSpec::default()
    });
    assert!(e.contains("small-0001 to small-0045"), "{e}");
    let e = err(TraceSpec {
        tenants: vec!["hott".into()],
        ..TraceSpec::default()
    });
    assert!(e.contains("did you mean `hot`?"), "{e}");
    let e = err(TraceSpec {
        cells: vec![2],
        ..TraceSpec::default()
    });
    assert!(
        e.contains("there is no cell 2") && e.contains("0..=1"),
        "{e}"
    );
    let e = err(TraceSpec {
        cells: vec![0],
        from: Some(SimDuration::from_secs(600)),
        ..TraceSpec::default()
    });
    assert!(e.contains("outside the run"), "{e}");
}

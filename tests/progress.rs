//! The progress hook of a single run only observes: a run with a progress callback has the
//! digest and event count of the same run without one, and the callback sees simulated time
//! advance every `PROGRESS_EVERY` events (so the bar of `run`/`trace`/`explain` moves).
//!
//! Method: run the shipped hot-tenant scenario at seed 1 twice through the library, once with a
//! callback that records its calls; compare digests and events; check the calls.

use models::harness::run::{run_with, Progress, RunOptions, PROGRESS_EVERY};
use std::sync::{Arc, Mutex};

#[test]
fn progress_observes_without_changing_the_run() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/hot-tenant.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let sc = models::scenario::load_str("hot-tenant.toml", &text, &[]).unwrap();
    let plain = run_with(&sc, 1, &RunOptions::default()).unwrap();
    let calls: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
    let c = calls.clone();
    let opts = RunOptions {
        progress: Some(Progress(Arc::new(move |now, events| {
            c.lock().unwrap().push((now.0, events));
        }))),
        ..RunOptions::default()
    };
    let watched = run_with(&sc, 1, &opts).unwrap();
    assert_eq!(plain.summary.digest, watched.summary.digest);
    assert_eq!(plain.summary.events, watched.summary.events);
    let calls = calls.lock().unwrap();
    assert_eq!(
        calls.len() as u64,
        plain.summary.events / PROGRESS_EVERY,
        "one call per PROGRESS_EVERY events"
    );
    assert!(calls
        .windows(2)
        .all(|w| w[0].0 <= w[1].0 && w[0].1 < w[1].1));
    assert!(calls.iter().all(|&(_, e)| e % PROGRESS_EVERY == 0));
}

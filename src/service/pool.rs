//! Running independent simulations on several threads, with progress and an ETA.
//!
//! Parallelism is across runs only: each run is single-threaded and deterministic, and the
//! results come back in item order, so the output never depends on the number of workers or
//! on which worker finished first. The wall clock is read here only for the progress line,
//! never inside a run.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The number of workers: `asked`, else all cores, at most one per item and at most 256.
pub fn workers(asked: Option<usize>, items: usize) -> usize {
    asked
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|x| x.get())
                .unwrap_or(1)
        })
        .clamp(1, 256)
        .min(items.max(1))
}

/// Calls `f(i)` for every `i < items` on `workers` threads and returns the results in item
/// order. A panic in `f` becomes `Err` with `what(i)` in the message. Progress goes to
/// stderr: a bar with an ETA on a terminal, otherwise a plain line every ~10%.
pub fn map<T: Send>(
    items: usize,
    workers: usize,
    label: &str,
    what: impl Fn(usize) -> String + Sync,
    f: impl Fn(usize) -> Result<T, String> + Sync,
) -> Result<Vec<T>, String> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<Result<T, String>>>> = Mutex::new((0..items).map(|_| None).collect());
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(items as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(&format!(
                "{{spinner}} {label} [{{elapsed_precise}}] {{bar:40}} {{pos}}/{{len}} runs  ETA {{eta}}"
            ))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    #[allow(clippy::disallowed_methods)] // progress only; never enters a run
    let started = Instant::now();
    let step = (items / 10).max(1);
    std::thread::scope(|s| {
        for _ in 0..workers.max(1) {
            #[allow(clippy::disallowed_methods)] // runs in parallel; each run single-threaded
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items {
                    return;
                }
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(i)))
                    .unwrap_or_else(|_| Err(format!("internal error (panic) in {}", what(i))));
                if let Ok(mut o) = out.lock() {
                    o[i] = Some(r);
                }
                let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                match &bar {
                    Some(b) => b.inc(1),
                    None => {
                        if k.is_multiple_of(step) || k == items {
                            let el = started.elapsed().as_secs_f64();
                            let eta = el / k as f64 * (items - k) as f64;
                            eprintln!(
                                "{label}: {k}/{items} runs done, {el:.0}s elapsed, ETA {eta:.0}s"
                            );
                        }
                    }
                }
            });
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let out = out
        .into_inner()
        .map_err(|_| "a worker thread failed".to_string())?;
    out.into_iter()
        .map(|r| r.unwrap_or_else(|| Err("a run did not report".to_string())))
        .collect()
}

//! Progress of a single long run on a terminal: simulated time of total, events/s and an ETA.
//!
//! Shown only when stderr is a terminal (nothing at all otherwise, so CI logs and pipes stay
//! clean), cleared when the run ends. It is fed by the run's progress hook
//! ([`models::harness::run::RunOptions::progress`]), which is called every
//! [`models::harness::run::PROGRESS_EVERY`] events and only observes: the run and its digest are those
//! of a run without it.

use models::harness::run::Progress;
use sim::{SimDuration, SimTime};
use std::io::IsTerminal;
use std::sync::Arc;

/// A progress bar for one run of `total` simulated time, and the hook that feeds it; `None`
/// when stderr is not a terminal.
pub fn for_run(label: &str, total: SimDuration) -> Option<(Progress, Bar)> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let total_ms = (total.as_nanos() / 1_000_000).max(1);
    let bar = indicatif::ProgressBar::new(total_ms);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {label} [{{elapsed_precise}}] {{bar:30}} {{msg}}  ETA {{eta}}"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let b = bar.clone();
    let hook = Progress(Arc::new(move |now: SimTime, events: u64| {
        let secs = b.elapsed().as_secs_f64();
        let rate = if secs > 0.0 {
            events as f64 / secs / 1e6
        } else {
            0.0
        };
        b.set_position((now.0 / 1_000_000).min(total_ms));
        b.set_message(format!(
            "sim {} of {total} · {rate:.2}M events/s",
            SimDuration(now.0)
        ));
    }));
    Some((hook, Bar(bar)))
}

/// The bar of a run in progress; clears itself when dropped.
pub struct Bar(indicatif::ProgressBar);

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

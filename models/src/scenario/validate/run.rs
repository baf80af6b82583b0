//! The run's own keys: `version`, `duration`, `window`.

use super::super::schema::ScenarioFile;
use super::super::Checker;
use sim::SimDuration;

/// Checks the file's version and the run's length and recording window; returns
/// (duration, window), the window defaulting to one second.
pub(in crate::scenario) fn run_length(
    c: &mut Checker,
    raw: &ScenarioFile,
) -> (SimDuration, SimDuration) {
    if *raw.version.get_ref() != 1 {
        c.err(
            raw.version.span(),
            format!(
                "version {} is not supported; this tenantsim reads `version = 1`",
                raw.version.get_ref()
            ),
        );
    }
    let duration = raw.duration.get_ref().0;
    if duration == SimDuration::ZERO {
        c.err(
            raw.duration.span(),
            "duration is zero; write the run length, e.g. `duration = \"5m\"`",
        );
    }
    let window = raw
        .window
        .as_ref()
        .map(|w| w.get_ref().0)
        .unwrap_or(SimDuration::from_secs(1));
    if let Some(w) = &raw.window {
        if w.get_ref().0 == SimDuration::ZERO {
            c.err(w.span(), "window is zero; use e.g. `window = \"1s\"`");
        }
    }

    (duration, window)
}

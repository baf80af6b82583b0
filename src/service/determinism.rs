//! `run --check-determinism`: the seed is run three times and must give the same events.
//!
//! ```text
//!   run 1   the run the user asked for (its summary is the one printed and written)
//!   run 2   same seed, the scenario parsed afresh from the same text, in this thread
//!   run 3   same seed, on another thread, while a run of seed + 1 goes on beside it
//!           (the "inside a batch" case: `check` runs seeds in parallel)
//! ```
//!
//! Runs 2 and 3 are compared with run 1 checkpoint by checkpoint (a digest every
//! `models::harness::determinism::CHECKPOINT_EVERY` events), then by final digest, event count and
//! summary JSON. On a divergence both sides are rerun, tracing only the events between the
//! last agreeing checkpoint and the first differing one, and the first event that differs
//! is named: its number, simulated time, kind and component. A divergence is a broken
//! invariant of tenantsim (exit 3), never a property of the scenario.
//!
//! Threads are allowed here (outside a run): each run is single-threaded and owns its state.

use models::harness::determinism::{
    first_difference, first_divergent_interval, run_checkpointed, trace, Checked, TracedEvent,
    CHECKPOINT_EVERY, MAX_TRACED,
};
use models::harness::run::RunOptions;
use models::scenario::Scenario;

/// What the check needs besides run 1.
pub struct Context<'a> {
    /// Scenario file name as given (for parsing afresh and for messages).
    pub name: &'a str,
    /// The file's text as read.
    pub file_text: &'a str,
    /// `--set` flags.
    pub sets: &'a [String],
    /// `--variant`.
    pub variant: Option<&'a str>,
    /// The scenario of run 1.
    pub scenario: &'a Scenario,
    /// The seed.
    pub seed: u64,
    /// Options of runs 1 and 3.
    pub opts: &'a RunOptions,
    /// Options of run 2 (the test hook `perturb_event:N` applies to it only).
    pub opts_second: &'a RunOptions,
    /// The command that reproduces the check.
    pub repro: &'a str,
}

/// Runs the check against run 1: `Ok(line)` when every run agrees, `Err(report)` (several
/// lines, ending with the repro command) when one does not.
pub fn check(first: &Checked, cx: &Context) -> Result<String, String> {
    let fail = |msg: String| {
        format!(
            "tenantsim: determinism check FAILED: {msg}\n  \
             A run must be a pure function of its scenario, seed and tenantsim version: this is a bug \
             in tenantsim, not in your scenario. Please report it with:\n  repro: {}",
            cx.repro
        )
    };
    // Run 2: the scenario parsed afresh from the same text.
    let sc2 = super::load::parse(cx.name, cx.file_text, cx.sets, cx.variant).map_err(|e| {
        fail(format!(
            "the scenario parsed once but not a second time:\n{e}"
        ))
    })?;
    let second = run_checkpointed(&sc2, cx.seed, cx.opts_second)
        .map_err(|e| fail(format!("run 2 failed: {e}")))?;
    compare(
        first,
        &second,
        "run 2",
        "run 2 (same seed, the scenario parsed afresh)",
        (cx.scenario, cx.opts),
        (&sc2, cx.opts_second),
        cx.seed,
    )
    .map_err(&fail)?;
    drop(second);

    // Run 3 on another thread, beside a run of another seed.
    let other_seed = cx.seed.wrapping_add(1);
    let (third, other) = std::thread::scope(|s| {
        // Parallelism across runs only; each run is single-threaded and deterministic.
        #[allow(clippy::disallowed_methods)]
        let t3 = s.spawn(|| run_checkpointed(cx.scenario, cx.seed, cx.opts));
        #[allow(clippy::disallowed_methods)]
        let t4 = s.spawn(|| models::harness::run::run_with(cx.scenario, other_seed, cx.opts));
        (t3.join(), t4.join())
    });
    let third = match third {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return Err(fail(format!("run 3 failed: {e}"))),
        Err(_) => return Err(fail("run 3 panicked on its thread".to_string())),
    };
    match other {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            return Err(fail(format!(
                "the run of seed {other_seed} beside run 3 failed: {e}"
            )))
        }
        Err(_) => {
            return Err(fail(format!(
                "the run of seed {other_seed} beside run 3 panicked"
            )))
        }
    }
    compare(
        first,
        &third,
        "run 3",
        &format!("run 3 (same seed, on another thread beside a run of seed {other_seed})"),
        (cx.scenario, cx.opts),
        (cx.scenario, cx.opts),
        cx.seed,
    )
    .map_err(&fail)?;
    Ok(format!(
        "determinism: ok (3 runs, {} checkpoints identical)",
        first.checkpoints.len()
    ))
}

/// Exact simulated time: `12.345678901s`.
fn time(t: sim::SimTime) -> String {
    let ns = t.as_nanos();
    format!("{}.{:09}s", ns / 1_000_000_000, ns % 1_000_000_000)
}

fn event_line(label: &str, e: Option<&TracedEvent>) -> String {
    match e {
        Some(e) => format!(
            "    {label}: at {}  {}  {}   (digest after it {:016x})",
            time(e.time),
            e.kind,
            e.component,
            e.digest
        ),
        None => format!("    {label}: (no event: the run had ended)"),
    }
}

/// Compares run `b` (`label`, described as `what`) with run 1 (`a`); on a divergence traces both (each with
/// its own scenario and options) and describes the first differing event.
fn compare(
    a: &Checked,
    b: &Checked,
    label: &str,
    what: &str,
    side_a: (&Scenario, &RunOptions),
    side_b: (&Scenario, &RunOptions),
    seed: u64,
) -> Result<(), String> {
    let (sa, sb) = (&a.output.summary, &b.output.summary);
    let Some((after, until)) = first_divergent_interval(a, b) else {
        // Same events: the summaries must be byte-identical too (the fingerprint is added
        // to run 1's by the binary, so it is left out).
        let (mut x, mut y) = (sa.clone(), sb.clone());
        x.fingerprint = None;
        y.fingerprint = None;
        let (jx, jy) = (x.to_json(), y.to_json());
        if jx == jy {
            return Ok(());
        }
        let (n, (lx, ly)) = jx
            .lines()
            .zip(jy.lines())
            .enumerate()
            .find(|(_, (p, q))| p != q)
            .map(|(i, pair)| (i + 1, pair))
            .unwrap_or((0, ("(shorter)", "(shorter)")));
        return Err(format!(
            "{what} processed the same events as run 1 (digest {}), but its summary differs: \
             recording or reporting is not deterministic\n  first differing line of summary.json, line {n}:\n    \
             run 1: {}\n    {label}: {}",
            sa.digest,
            lx.trim(),
            ly.trim()
        ));
    };
    let mut msg = format!(
        "{what} differs from run 1\n  digests: run 1 {} ({} events), {label} {} ({} events)\n  \
         checkpoints (every {CHECKPOINT_EVERY} events): {}\n",
        sa.digest,
        sa.events,
        sb.digest,
        sb.events,
        if after == 0 {
            format!("already different at the first one (event {until})")
        } else {
            format!("identical up to event {after}, different by event {until}")
        }
    );
    let ta = trace(side_a.0, seed, side_a.1, after, until);
    let tb = trace(side_b.0, seed, side_b.1, after, until);
    match first_difference(&ta, &tb) {
        Some((x, y)) => {
            let index = x.or(y).map_or(after + 1, |e| e.index);
            msg.push_str(&format!(
                "  first diverging event: #{index}\n{}\n{}",
                event_line("run 1", x),
                event_line(label, y)
            ));
            if let (Some(x), Some(y)) = (x, y) {
                if (x.time, x.kind, &x.component) == (y.time, y.kind, &y.component) {
                    msg.push_str(
                        "\n  (the same event by time, kind and component, digested differently: its ids differ)",
                    );
                }
            }
        }
        None => msg.push_str(&format!(
            "  the {} events traced after #{after} are identical: the first difference lies beyond event #{}",
            ta.len(),
            after + MAX_TRACED
        )),
    }
    Err(msg)
}

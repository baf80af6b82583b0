//! Several burn-rate gates on one rollout (`burn_gates`, multi-window and multi-SLO): every
//! gate records every judged interval, the first gate in declaration order that trips halts
//! the rollout and is the one named, and a wave's worst burn is the highest any gate saw.
//!
//! Method: the exact setting of `rollout_burn.rs` — cell 0 is down, so the canary wave's gate
//! traffic fails 100% — judged against two SLOs: `error_rate < 2%` (a 2% budget: exactly
//! 50×) and `availability > 90%` (a 10% budget: exactly 10×). Thresholds are chosen so that
//! one, the other or both trip at the first check (40 s).

use models::scenario::load_str;

mod support;

const SC: &str = concat!(
    support::settings::burn_outage!(),
    r#"[[slos]]
name = "avail"
objective = "availability > 90%"
"#,
    support::settings::burn_rollout!(),
    r#"[[rollouts.burn_gates]]
slo = "errors"
burn_rate = 60
window = "30s"
[[rollouts.burn_gates]]
slo = "avail"
burn_rate = 10
window = "30s"
short_window = "10s"
"#
);

/// Goal: the second gate trips when the first does not, and is the one named; the wave's
/// worst burn is the first gate's 50×. Method: gates at 60× (errors) and 10× (avail).
#[test]
fn the_gate_that_trips_is_named() {
    let s = support::run(SC, 1, &[]);
    let r = &s.rollouts[0];
    assert_eq!(r.outcome, "halted", "{r:?}");
    assert_eq!(
        r.tripped_by.as_deref(),
        Some("burn_rate(avail) >= 10 over 30s and 10s")
    );
    assert_eq!(r.tripped_value.as_deref(), Some("10x"));
    assert_eq!(r.tripped_at_s, Some(40.0));
    assert_eq!(r.waves[0].worst_burn.as_deref(), Some("50x"));
    assert_eq!(
        r.burn_gate.as_deref(),
        Some("burn_rate(errors) >= 60 over 30s; burn_rate(avail) >= 10 over 30s and 10s")
    );
}

/// Goal: when several gates trip at once the first declared is named; when none trips the
/// rollout completes; `--set` reaches a gate of the array by index. Method: lower the first
/// gate to 50× (both trip); raise the second to 10.5× (neither trips).
#[test]
fn the_first_declared_wins_and_none_tripping_completes() {
    let s = support::run(SC, 1, &["rollouts.cfg.burn_gates.0.burn_rate=50"]);
    let r = &s.rollouts[0];
    assert_eq!(r.outcome, "halted");
    assert_eq!(
        r.tripped_by.as_deref(),
        Some("burn_rate(errors) >= 50 over 30s")
    );
    assert_eq!(r.tripped_value.as_deref(), Some("50x"));
    let s = support::run(SC, 1, &["rollouts.cfg.burn_gates.1.burn_rate=10.5"]);
    let r = &s.rollouts[0];
    assert_eq!(r.outcome, "completed", "{r:?}");
    assert!(r.tripped_by.is_none());
}

/// Goal: `burn_gate` and `burn_gates` combine (the single gate first), and a mistake in the
/// array is located at its element and names it. Method: add a `burn_gate` at 50× (it
/// trips first); then a gate over an unknown SLO as the array's second element.
#[test]
fn burn_gate_comes_first_and_array_errors_are_located() {
    let text = SC.replace(
        "[[rollouts.burn_gates]]\nslo = \"errors\"",
        "burn_gate = { slo = \"errors\", burn_rate = 50, window = \"30s\" }\n[[rollouts.burn_gates]]\nslo = \"errors\"",
    );
    let s = support::run(&text, 1, &[]);
    let r = &s.rollouts[0];
    assert_eq!(
        r.tripped_by.as_deref(),
        Some("burn_rate(errors) >= 50 over 30s")
    );
    let bad = SC.replace("slo = \"avail\"", "slo = \"avial\"");
    let e = load_str("burn-gates.toml", &bad, &[]).expect_err("refused");
    let e = &e.0[0];
    assert_eq!(e.line, 46, "{}", e.message);
    assert!(
        e.message.contains("burn_gates[1]") && e.message.contains("did you mean `avail`"),
        "{}",
        e.message
    );
}

//! Burn-rate gates of staged rollouts (`burn_gate`, issue 15 item 1) in the engine: where the
//! theory is exact, the gate measures exactly the burn rate theory gives and trips exactly
//! at it; `--set` reaches the key; a rollout without one writes nothing new.
//!
//! Method: 2 cells × 10 tenants; cell 0 is down (`cell_outage`) from 5 s, so every request
//! of its tenants fails: over the canary wave (cell 0) the gate's traffic has an error rate
//! of exactly 100%, and against `error_rate < 2%` (a 2% budget) the burn rate is exactly
//! 1 / 0.02 = 50. A gate at 50 trips at its first check (at or above); a gate at 50.5 never
//! does (once cell 1 joins the gate's traffic the rate only falls).

mod support;

const SC: &str = concat!(
    support::settings::burn_outage!(),
    support::settings::burn_rollout!(),
    r#"burn_gate = { slo = "errors", burn_rate = 50, window = "30s" }
"#
);

/// Goal and method: see the module doc. A gate at exactly the theoretical burn rate halts
/// the rollout at its first check and reports 50x; `--set` to 50.5 lets it complete.
#[test]
fn a_known_error_rate_trips_at_its_exact_burn_rate() {
    let s = support::run(SC, 1, &[]);
    let r = &s.rollouts[0];
    assert_eq!(r.outcome, "halted", "{r:?}");
    assert_eq!(
        r.tripped_by.as_deref(),
        Some("burn_rate(errors) >= 50 over 30s")
    );
    assert_eq!(r.tripped_value.as_deref(), Some("50x"));
    assert_eq!(r.tripped_at_s, Some(40.0));
    assert_eq!(r.first_bad_wave.as_deref(), Some("canary"));
    assert_eq!(r.tenants_exposed, 10);
    assert_eq!(
        r.burn_gate.as_deref(),
        Some("burn_rate(errors) >= 50 over 30s")
    );
    assert_eq!(r.waves[0].gate, "fail");
    assert_eq!(r.waves[0].worst_burn.as_deref(), Some("50x"));
    assert!(s.to_json().contains("\"worst_burn\": \"50x\""));

    let s = support::run(SC, 1, &["rollouts.cfg.burn_gate.burn_rate=50.5"]);
    let r = &s.rollouts[0];
    assert_eq!(r.outcome, "completed", "{r:?}");
    assert!(r.tripped_by.is_none());
    assert_eq!(r.waves[0].gate, "pass");
    assert_eq!(r.waves[0].worst_burn.as_deref(), Some("50x"));
    assert_eq!(
        r.burn_gate.as_deref(),
        Some("burn_rate(errors) >= 50.5 over 30s")
    );
}

/// Goal: a rollout without a burn gate writes no burn field (existing summaries keep their
/// bytes). Method: the same run without the key; no `burn` in summary.json.
#[test]
fn without_a_burn_gate_nothing_new_is_written() {
    let text = SC.replace(
        "burn_gate = { slo = \"errors\", burn_rate = 50, window = \"30s\" }\n",
        "",
    );
    let s = support::run(&text, 1, &[]);
    assert_eq!(s.rollouts[0].outcome, "completed");
    let json = s.to_json();
    assert!(
        !json.contains("burn_gate") && !json.contains("worst_burn"),
        "{json}"
    );
}

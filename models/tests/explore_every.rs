//! A drawn recurrence period (`every = "exp(20s)"`).
//!
//! Goal: each gap between recurrences is drawn from the fault's own stream, deterministic
//! per seed, at least 1s; impossible periods are located errors; the key is reachable by
//! `--set`. Method: a small scenario resolved with `models::fault_draw::resolve` at several
//! seeds, and each class of mistake loaded from text.

use models::fault_draw::resolve;
use models::scenario::{load_str, overrides::Override};

const BASE: &str = r#"
version = 1
name = "every"
duration = "5m"
[[tenants]]
id = "a"
rate = "10/s"
[[faults]]
name = "blip"
kind = "kms_outage"
at = "10s"
for = "2s"
"#;

fn starts(text: &str, seed: u64) -> Vec<u64> {
    let sc = load_str("every.toml", text, &[]).unwrap_or_else(|e| panic!("{e}"));
    let r = resolve(&sc, seed).unwrap_or_else(|| panic!("nothing drawn"));
    r.scenario.faults.iter().map(|f| f.start.0).collect()
}

/// Goal: drawn gaps vary, are ≥ 1s, stay in the run and repeat per seed. Method: resolve
/// twice per seed; look at the gaps.
#[test]
fn gaps_are_drawn_per_seed() {
    let text = format!("{BASE}every = \"exp(20s)\"\n");
    let mut all = Vec::new();
    for seed in 1..=5 {
        let s = starts(&text, seed);
        assert_eq!(s, starts(&text, seed), "seed {seed} resolves differently");
        assert!(s.len() > 3, "{s:?}");
        let gaps: Vec<u64> = s.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|&g| g >= 1_000_000_000), "{gaps:?}");
        assert!(
            gaps.windows(2).any(|w| w[0] != w[1]),
            "constant gaps {gaps:?}"
        );
        assert!(s.iter().all(|&t| t < 300_000_000_000));
        all.push(s);
    }
    assert!(
        all.windows(2).any(|w| w[0] != w[1]),
        "every seed drew the same"
    );
}

/// Goal: a drawn `every` is reachable by `--set`. Method: the fixed file with an override.
#[test]
fn reachable_by_set() {
    let text = format!("{BASE}every = \"1m\"\n");
    let o = Override::parse("faults.blip.every=\"uniform(30s, 40s)\"")
        .unwrap_or_else(|e| panic!("{e}"));
    let sc = load_str("every.toml", &text, &[o]).unwrap_or_else(|e| panic!("{e}"));
    let r = resolve(&sc, 1).unwrap_or_else(|| panic!("nothing drawn"));
    let s: Vec<u64> = r.scenario.faults.iter().map(|f| f.start.0).collect();
    let gaps: Vec<u64> = s.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.iter()
            .all(|&g| (30_000_000_000..40_000_000_000).contains(&g)),
        "{gaps:?}"
    );
}

/// Goal: impossible drawn periods are located errors. Method: each class of mistake; the
/// message names the fault and the line of `every`.
#[test]
fn impossible_periods_are_located() {
    for (bad, want) in [
        ("every = \"uniform(6m, 9m)\"", "not within the run"),
        ("every = \"exp(0s)\"", "finite mean"),
        ("every = \"pareto(0.9, 10s)\"", "finite mean"),
    ] {
        let text = format!("{BASE}{bad}\n");
        let err = match load_str("every.toml", &text, &[]) {
            Ok(_) => panic!("accepted: {bad}"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(want), "{bad}: {err}");
        assert!(
            err.contains("every.toml:13:"),
            "{bad}: not located on its line: {err}"
        );
    }
}

//! Faults drawn from the seed: selectors, drawn times and intensities, `after`, `every`.
//!
//! Goal: a fault's target, window and intensity may be left to the seed; the draw is
//! deterministic per (seed, fault name), identical across variants, located when it is
//! statically impossible, and reported (not a crash) when it comes out empty at run time.
//! Method: small scenarios loaded from text, resolved with [`models::fault_draw::resolve`]
//! and run end to end.

use models::fault::FaultKind;
use models::fault_draw::resolve;
use models::harness::run::run;
use models::scenario::{load_str, overrides::Override, Scenario};

const BASE: &str = r#"
version = 1
name = "draws"
duration = "10m"
[platform]
cells = 4
workers = 8
[[tenants]]
id = "g1"
tier = "gold"
rate = "20/s"
[[tenants]]
id = "g2"
tier = "gold"
rate = "40/s"
[[tenants]]
id = "b1"
tier = "bronze"
rate = "10/s"
[[tenants]]
id = "b2"
tier = "bronze"
rate = "5/s"
"#;

fn load(faults: &str) -> Scenario {
    let text = format!("{BASE}{faults}");
    load_str("draws.toml", &text, &[]).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn error(faults: &str) -> String {
    let text = format!("{BASE}{faults}");
    match load_str("draws.toml", &text, &[]) {
        Ok(_) => panic!("accepted:\n{faults}"),
        Err(e) => e.to_string(),
    }
}

/// Goal: without drawn parts nothing is resolved (the run and its digest are untouched).
#[test]
fn a_written_fault_is_not_resolved() {
    let sc = load(
        r#"
[[faults]]
kind = "db_degraded"
cell = 1
capacity = "20%"
at = "1m"
for = "1m"
"#,
    );
    assert!(sc.faults[0].drawn.is_none());
    assert!(resolve(&sc, 1).is_none());
}

/// Goal: a selected cell, a drawn start, length and factor are drawn from the seed: the same
/// at the same seed, and different seeds draw different values. Method: resolve at 20 seeds.
#[test]
fn draws_depend_on_the_seed_only() {
    let sc = load(
        r#"
[[faults]]
name = "slow"
kind = "db_degraded"
cell = "random"
capacity = "20%"
at = "uniform(1m, 5m)"
for = "exp(1m)"
[[faults]]
name = "hot"
kind = "hot_tenant"
tenant = "random(tier=gold)"
factor = "uniform(5, 50)"
at = "2m"
for = "1m"
"#,
    );
    let mut cells = std::collections::BTreeSet::new();
    let mut hot = std::collections::BTreeSet::new();
    for seed in 0..20 {
        let a = resolve(&sc, seed).expect("drawn");
        let b = resolve(&sc, seed).expect("drawn");
        let (fa, fb) = (&a.scenario.faults, &b.scenario.faults);
        assert_eq!(fa[0].start, fb[0].start);
        assert_eq!(fa[0].kind, fb[0].kind);
        assert_eq!(fa[1].kind, fb[1].kind);
        let s = fa[0].start.as_duration().as_secs_f64();
        assert!((60.0..=300.0).contains(&s), "start {s}");
        assert!(fa[0].end > fa[0].start);
        cells.insert(fa[0].kind.targets().cells);
        let FaultKind::HotTenant { tenant, factor, .. } = &fa[1].kind else {
            panic!("kind")
        };
        assert!(tenant == "g1" || tenant == "g2", "{tenant}");
        assert!((5.0..=50.0).contains(factor));
        hot.insert(tenant.clone());
        assert!(fa[0]
            .resolved
            .as_deref()
            .is_some_and(|r| r.contains("cells")));
    }
    assert!(cells.len() > 1, "one cell at every seed: {cells:?}");
    assert!(hot.len() == 2, "{hot:?}");
}

/// Goal: several tenants by selector become copies of the fault appended after the written
/// ones (indices of SLO windows stay valid); `largest(k)` picks by offered rate.
#[test]
fn several_tenants_and_largest() {
    let sc = load(
        r#"
[[faults]]
name = "first"
kind = "control_plane_outage"
at = "1m"
for = "1m"
[[faults]]
name = "big"
kind = "hot_tenant"
tenants = "largest(2)"
factor = 3
at = "2m"
for = "1m"
"#,
    );
    let r = resolve(&sc, 7).expect("drawn");
    let f = &r.scenario.faults;
    assert_eq!(f.len(), 3);
    assert_eq!(f[0].name, "first");
    assert_eq!(f[1].kind.tenant(), Some("g1"));
    assert_eq!(f[2].name, "big#2");
    assert_eq!(f[2].kind.tenant(), Some("g2"));
}

/// Goal: `after` starts a fault relative to another's end, `every` repeats it until the run
/// ends. Method: a chain with a fixed offset, then a recurrence; check the times.
#[test]
fn after_and_every() {
    let sc = load(
        r#"
[[faults]]
name = "second"
kind = "kms_outage"
after = "first.end + 30s"
for = "1m"
[[faults]]
name = "first"
kind = "control_plane_outage"
at = "uniform(1m, 2m)"
for = "1m"
[[faults]]
name = "tick"
kind = "workers_lost"
cell = 0
count = 2
at = "1m"
for = "30s"
every = "3m"
"#,
    );
    for seed in 0..5 {
        let r = resolve(&sc, seed).expect("drawn");
        let f = &r.scenario.faults;
        assert_eq!(f[0].start.0, f[1].end.0 + 30_000_000_000);
        assert_eq!(f[0].end.0 - f[0].start.0, 60_000_000_000);
        // tick at 1m, then 4m and 7m (10m run): two copies.
        let ticks: Vec<u64> = f
            .iter()
            .filter(|x| x.name.starts_with("tick"))
            .map(|x| x.start.as_duration().as_secs_f64() as u64)
            .collect();
        assert_eq!(ticks, vec![60, 240, 420]);
    }
}

/// Goal: a selection empty at run time is an outcome: the run completes, the fault is
/// reported as drawn empty and disabled. Method: tenants of a tier nobody has on a cell.
#[test]
fn an_empty_selection_is_reported_not_fatal() {
    let sc = load(
        r#"
[[faults]]
name = "nobody"
kind = "hot_tenant"
tenant = "random(tier=platinum)"
factor = 10
at = "1m"
for = "1m"
"#,
    );
    let r = resolve(&sc, 1).expect("drawn");
    assert_eq!(r.empty, vec![0]);
    let out = run(&sc, 1, None).unwrap_or_else(|e| panic!("{e}"));
    let row = &out.summary.faults[0];
    assert!(
        row.resolved.as_deref().is_some_and(|r| r.contains("empty")),
        "{row:?}"
    );
    assert!(out.summary.to_json().contains("\"resolved\""));
}

/// Goal: every variant sees the same draw (the stream is named after the fault, not the
/// variant). Method: resolve the base and a variant that changes the scheduler.
#[test]
fn variants_see_the_same_draw() {
    let faults = r#"
[[faults]]
name = "slow"
kind = "db_degraded"
cells = "count(2)"
capacity = "20%"
at = "uniform(1m, 5m)"
for = "1m"
"#;
    let base = load(faults);
    let text = format!("{BASE}{faults}");
    let set = [Override::parse("platform.scheduler=\"fifo\"").unwrap_or_else(|e| panic!("{e}"))];
    let other = load_str("draws.toml", &text, &set).unwrap_or_else(|e| panic!("{e}"));
    for seed in 0..5 {
        let a = resolve(&base, seed).expect("drawn").scenario.faults;
        let b = resolve(&other, seed).expect("drawn").scenario.faults;
        assert_eq!(a[0].kind, b[0].kind);
        assert_eq!(a[0].start, b[0].start);
        assert_eq!(a[0].kind.targets().cells.len(), 2);
    }
}

/// Goal: a selector is reachable by `--set` like any fault key. Method: override a written
/// cell with a selector and see it drawn.
#[test]
fn a_selector_by_set() {
    let text = format!(
        "{BASE}{}",
        r#"
[[faults]]
name = "slow"
kind = "db_degraded"
cell = 1
capacity = "20%"
at = "1m"
for = "1m"
"#
    );
    let set = [Override::parse("faults.slow.cell=\"random\"").unwrap_or_else(|e| panic!("{e}"))];
    let sc = load_str("draws.toml", &text, &set).unwrap_or_else(|e| panic!("{e}"));
    assert!(sc.faults[0].drawn.is_some());
}

/// Goal: statically impossible selections and broken sequencing are located errors (exit 2
/// in the binary), one test per class of mistake.
#[test]
fn impossible_draws_are_located_errors() {
    let cases = [
        (
            r#"cells = "count(0)""#,
            "db_degraded",
            "capacity = \"20%\"",
            "whole number",
        ),
        (
            r#"tenants = "percent(150)""#,
            "hot_tenant",
            "factor = 2",
            "outside (0, 100]",
        ),
        (
            r#"tenant = "random(tier=diamond)""#,
            "hot_tenant",
            "factor = 2",
            "no tier",
        ),
        (
            r#"cell = "count(2)""#,
            "db_degraded",
            "capacity = \"20%\"",
            "plural key",
        ),
        (
            r#"cells = "random(cell=9)""#,
            "db_degraded",
            "capacity = \"20%\"",
            "filters choose tenants",
        ),
        (
            r#"tenant = "random(cell=9)""#,
            "hot_tenant",
            "factor = 2",
            "cell 9 does not exist",
        ),
        (
            r#"tenant = "g1""#,
            "hot_tenant",
            "factor = \"normal(5, 10)\"",
            "negative",
        ),
    ];
    for (sel, kind, extra, want) in cases {
        let e = error(&format!(
            "[[faults]]\nkind = \"{kind}\"\n{sel}\n{extra}\nat = \"1m\"\nfor = \"1m\"\n"
        ));
        assert!(e.contains(want), "{sel}: {e}");
        assert!(e.contains("draws.toml:"), "not located: {e}");
        assert!(e.contains(": error:"), "no line:column: {e}");
    }
    let unknown = error(
        "[[faults]]\nname = \"a\"\nkind = \"kms_outage\"\nafter = \"nope.end + 30s\"\nfor = \"1m\"\n",
    );
    assert!(unknown.contains("names no fault `nope`"), "{unknown}");
    let cycle = error(
        "[[faults]]\nname = \"a\"\nkind = \"kms_outage\"\nafter = \"b.end\"\nfor = \"1m\"\n\
         [[faults]]\nname = \"b\"\nkind = \"control_plane_outage\"\nafter = \"a.end + 10s\"\nfor = \"1m\"\n",
    );
    assert!(cycle.contains("cycle"), "{cycle}");
    let both = error(
        "[[faults]]\nname = \"a\"\nkind = \"kms_outage\"\nat = \"uniform(1m, 2m)\"\nuntil = \"5m\"\n",
    );
    assert!(both.contains("`for`, not `until`"), "{both}");
    let late = error(
        "[[faults]]\nname = \"a\"\nkind = \"kms_outage\"\nat = \"uniform(11m, 12m)\"\nfor = \"1m\"\n",
    );
    assert!(late.contains("after the run ends"), "{late}");
    let zero = error(
        "[[faults]]\nname = \"a\"\nkind = \"kms_outage\"\nat = \"1m\"\nfor = \"1m\"\nevery = \"0s\"\n",
    );
    assert!(zero.contains("every 0s"), "{zero}");
}

//! The shrink engine alone, with fake judges that run nothing.

use super::*;

/// Six tenants, a cohort of eight, three faults, four cells, two SLOs, 80 s.
const START: &str = r#"version = 1
duration = "80s"
platform = { cells = 4, workers = 4 }

[[tenants]]
id = "t1"
rate = "5/s"
[[tenants]]
id = "t2"
rate = "5/s"
[[tenants]]
id = "t3"
rate = "5/s"
[[tenants]]
id = "t4"
rate = "5/s"
[[tenants]]
id = "t5"
rate = "5/s"
[[tenants]]
id = "t6"
rate = "5/s"

[[cohorts]]
name = "crowd"
count = 8
rate = "const(1/s)"

[[faults]]
name = "y"
kind = "hot_tenant"
tenant = "t2"
at = "30s"
for = "10s"
factor = 2
[[faults]]
name = "x"
kind = "hot_tenant"
tenant = "t1"
at = "50s"
for = "20s"
factor = 3
[[faults]]
name = "z"
kind = "hot_tenant"
tenant = "t3"
at = "5s"
for = "5s"
factor = 2

[[slos]]
name = "target"
objective = "p(99) < 1s"
[[slos]]
name = "other"
objective = "error_rate < 1%"
"#;

const TARGET: Target<'static> = Target {
    file: "t.toml",
    slo: "target",
    budget: 1000,
};

/// The fake failure: fault `x` is present and there are at least three tenants.
fn fails(_run: usize, sc: &Scenario) -> bool {
    Size::of(sc).tenants >= 3 && sc.faults.iter().any(|f| f.name == "x")
}

fn start() -> DocumentMut {
    START.parse().unwrap()
}

/// Goal: the engine reaches the known minimum of a failure that needs fault `x` and three
/// tenants — `x` alone (moved early enough to survive the halvings), three tenants, one
/// cell, the one SLO, the shortest duration it makes (10 s) — and the result is 1-minimal:
/// every reduction of it is invalid or passes. Method: a fake judge that reads the scenario
/// and runs nothing.
#[test]
fn reaches_the_known_minimum() {
    let out = shrink(start(), &TARGET, &mut fails).unwrap();
    let sc = load_str("t.toml", &out.doc.to_string(), &[]).unwrap();
    let names: Vec<&str> = sc.faults.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["x"]);
    assert_eq!(out.end.tenants, 3);
    assert!(sc.cohorts.is_empty(), "the cohort goes first");
    assert_eq!(out.end.duration, SimDuration::from_secs(10));
    assert_eq!(sc.platform.cells, 1);
    let slos: Vec<&str> = sc.slos.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(slos, ["target"]);
    assert!(sc.faults[0].start.0 < sc.duration.as_nanos());
    assert_eq!(out.start.tenants, 14);
    assert!(out.end.ratio_from(&out.start) > 30.0, "{:?}", out.end);
    assert!(!out.budget_spent);
    assert_eq!(out.tried, out.steps.len());
    for (what, cand) in candidates(&out.doc, "target") {
        let verdict = load_str("t.toml", &cand.to_string(), &[]).map(|c| fails(0, &c));
        assert!(!matches!(verdict, Ok(true)), "{what} still fails");
    }
}

/// Goal: the step record is honest: runs count only the candidates that loaded, each kept
/// step's size is the size of the document kept, and the judge hears of every step in order.
/// Method: replay the recorded steps against the progress the judge was told.
#[test]
fn steps_are_recorded_and_reported() {
    struct Recording(Vec<String>);
    impl Judge for Recording {
        fn still_fails(&mut self, run: usize, sc: &Scenario) -> bool {
            fails(run, sc)
        }
        fn progress(&mut self, p: Progress<'_>) {
            self.0.push(match p {
                Progress::Started(s) => format!("start {}", s.tenants),
                Progress::Step(s) => format!("{} {}", s.runs, s.what),
                Progress::BudgetSpent => "spent".to_string(),
            });
        }
    }
    let mut judge = Recording(Vec::new());
    let out = shrink(start(), &TARGET, &mut judge).unwrap();
    assert_eq!(judge.0[0], "start 14");
    let told: Vec<String> = out
        .steps
        .iter()
        .map(|s| format!("{} {}", s.runs, s.what))
        .collect();
    assert_eq!(judge.0[1..], told[..]);
    let mut runs = 1;
    for s in &out.steps {
        if s.outcome != Outcome::Invalid {
            runs += 1;
        }
        assert_eq!(s.runs, runs, "{}", s.what);
    }
    assert_eq!(out.runs, runs);
    let last_kept = out.steps.iter().rev().find_map(|s| match &s.outcome {
        Outcome::StillFails(size) => Some(size.clone()),
        _ => None,
    });
    assert_eq!(last_kept, Some(out.end.clone()));
}

/// Goal: the budget bounds the runs, and a start that does not fail is refused. Method: a
/// budget of three runs; a judge that never fails.
#[test]
fn budget_and_nothing_to_shrink() {
    let t = Target {
        budget: 3,
        ..TARGET
    };
    let out = shrink(start(), &t, &mut fails).unwrap();
    assert!(out.budget_spent);
    assert_eq!(out.runs, 3);
    // Halving the duration first drops `x` (it starts at 50 s): passes; moving the faults
    // sooner keeps it; then the budget is spent.
    let outcomes: Vec<&Outcome> = out.steps.iter().map(|s| &s.outcome).collect();
    assert_eq!(outcomes.len(), 2);
    assert_eq!(outcomes[0], &Outcome::Passes);
    assert!(matches!(outcomes[1], Outcome::StillFails(_)));
    assert_eq!(out.steps[1].what, "start every fault twice as soon");
    let mut never = |_: usize, _: &Scenario| false;
    assert_eq!(
        shrink(start(), &TARGET, &mut never).unwrap_err(),
        NotFailing
    );
}

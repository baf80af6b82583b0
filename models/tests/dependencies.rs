//! Shared global dependencies (`[[dependencies]]`) against what they promise: capacity is
//! servers ÷ service time, a full waiting line refuses at once, per-tenant quotas keep one
//! tenant's excess its own problem across cells, and every refused or timed-out call is an
//! outcome of its request so the ledger balances.
//!
//! Each test states its goal and method; tolerances are derived from the counts involved.

use models::scenario::load_str;
use reports::summary::{RunSummary, TenantRow};

fn run(text: &str, sets: &[&str]) -> RunSummary {
    let o: Vec<_> = sets
        .iter()
        .map(|s| models::scenario::overrides::Override::parse(s).unwrap())
        .collect();
    let sc = load_str("test.toml", text, &o).unwrap_or_else(|e| panic!("{e}"));
    let s = models::harness::run::run(&sc, 1, None)
        .expect("the ledger balances")
        .summary;
    assert!(s.ledger.balanced);
    s
}

fn tenant<'a>(s: &'a RunSummary, id: &str) -> &'a TenantRow {
    s.tenants.iter().find(|t| t.id == id).unwrap()
}

fn cause(s: &RunSummary, name: &str) -> u64 {
    s.total.causes.get(name).copied().unwrap_or(0)
}

/// The dependency's own counters agree with the requests' outcomes (no retries here, so one
/// call per refused request): each refusal and timeout is counted once, on both sides.
fn counters_match_outcomes(s: &RunSummary) {
    let d = &s.control.dependencies[0];
    assert_eq!(d.name, "llm");
    assert_eq!(d.quota_refused, cause(s, "quota_exceeded"));
    assert_eq!(d.busy_refused, cause(s, "dependency_busy"));
    assert_eq!(d.timed_out, cause(s, "dependency_timeout"));
    assert!(d.calls >= d.quota_refused + d.busy_refused + d.timed_out);
}

/// Two tenants in two cells call one provider of 2 servers × const(100 ms) = 20 calls/s.
const TWO_CELLS: &str = r#"
version = 1
duration = "60s"
[platform]
cells = 2
workers = 200
[[dependencies]]
name = "llm"
servers = 2
service = "const(100ms)"
queue_limit = 4
timeout = "1s"
[classes.c]
service = "const(1ms)"
db_queries = "const(0)"
calls = ["llm"]
timeout = "5s"
[[tenants]]
id = "hog"
rate = "100/s"
cell = 0
[[tenants]]
id = "victim"
rate = "2/s"
cell = 1
"#;

/// Goal: a saturated dependency serves at its capacity (servers ÷ service time) and refuses
/// the excess at once, and the damage crosses cells. Method: the hog offers 100/s to a
/// 20/s provider for 60 s; its ok count must be within 2% of 20/s × 60 s (plus the victim's
/// share, which it takes from the same servers), and the victim, alone in cell 1, loses
/// calls to `dependency_busy` too.
#[test]
fn saturated_dependency_serves_its_capacity_and_spreads_across_cells() {
    let s = run(TWO_CELLS, &[]);
    let (hog, victim) = (tenant(&s, "hog"), tenant(&s, "victim"));
    let served = (hog.outcomes.ok + victim.outcomes.ok) as f64;
    eprintln!(
        "served {served} (capacity 1200); victim ok {} of {}",
        victim.outcomes.ok, victim.outcomes.offered
    );
    assert!((served - 1200.0).abs() <= 24.0, "served {served}");
    assert!(cause(&s, "dependency_busy") > 3000);
    counters_match_outcomes(&s);
    assert!(
        victim.outcomes.shed_503 > victim.outcomes.offered / 2,
        "the victim in the other cell is refused by the shared provider: {:?}",
        victim.outcomes
    );
}

/// Goal: a per-tenant quota keeps the hog's excess its own problem. Method: the same run
/// with `tenant_rate = 10/s` (set with `--set`, which also tests the override path) and a
/// waiting line long enough for Poisson bursts of 12 calls/s at a 20/s provider: the
/// hog gets ≈ 10/s (a token bucket: 60 s × 10/s + a burst of 10, ±0), the rest as
/// `quota_exceeded` 5xx; the victim loses nothing.
#[test]
fn per_tenant_quota_keeps_the_excess_with_its_tenant() {
    let s = run(
        TWO_CELLS,
        &[
            "dependencies.llm.tenant_rate=10/s",
            "dependencies.llm.queue_limit=1000",
        ],
    );
    let (hog, victim) = (tenant(&s, "hog"), tenant(&s, "victim"));
    assert_eq!(
        victim.outcomes.ok,
        victim.outcomes.offered - victim.outcomes.in_flight
    );
    assert!(
        hog.outcomes.ok <= 610 && hog.outcomes.ok >= 590,
        "{:?}",
        hog.outcomes
    );
    assert_eq!(
        cause(&s, "quota_exceeded"),
        hog.outcomes.errors_5xx,
        "quota refusals are the hog's 5xx, counted once"
    );
    assert_eq!(cause(&s, "dependency_busy"), 0);
    counters_match_outcomes(&s);
}

/// Goal: a period quota refuses everything past the budget until the next period. Method:
/// 100 calls per 20 s period for the hog (at 100/s offered): in 60 s it is served exactly
/// 3 × 100 calls; the per-second quota is off.
#[test]
fn period_quota_is_a_budget_per_period() {
    let s = run(
        TWO_CELLS,
        &[
            "dependencies.llm.servers=1000",
            "dependencies.llm.tenant_quota=100",
            "dependencies.llm.quota_period=20s",
        ],
    );
    let hog = tenant(&s, "hog");
    assert_eq!(hog.outcomes.ok, 300, "{:?}", hog.outcomes);
    assert_eq!(tenant(&s, "victim").outcomes.errors_5xx, 0);
}

/// Goal: the caller's timeout bounds a call: a provider slower than the timeout answers
/// nothing in time, every request fails `dependency_timeout` and the run's latency never
/// exceeds the timeout plus the CPU work. Method: service const(2 s), timeout 500 ms, rate
/// mode (`rate = 1000/s`, paced) so every call starts at once.
#[test]
fn timeout_bounds_a_call() {
    let paced = TWO_CELLS.replace("servers = 2", "rate = \"1000/s\"");
    let s = run(
        &paced,
        &[
            "dependencies.llm.service=const(2s)",
            "dependencies.llm.timeout=500ms",
            "dependencies.llm.queue_limit=1000",
            "tenants.hog.rate=10/s",
        ],
    );
    let hog = tenant(&s, "hog");
    assert_eq!(hog.outcomes.ok, 0);
    assert_eq!(
        cause(&s, "dependency_timeout"),
        s.tenants.iter().map(|t| t.outcomes.errors_5xx).sum::<u64>()
    );
    assert!(cause(&s, "dependency_timeout") > 600);
    counters_match_outcomes(&s);
}

//! Config rollouts beyond the edge's limits (issue 15 item 1): a DB concurrency cap, a
//! scheduler cap, a cell's scheduler and a feature flag each take effect on exactly the
//! tenants (and, for the scheduler, the cell) of their wave, when the wave reaches them, and
//! a rollback undoes them.
//!
//! Method: 2 cells, tenants `a`, `b` on cell 0 and `c`, `d` on cell 1, each 100/s of a
//! request costing 5 ms of CPU and one 4 ms query; `tenant_cap` scheduler with caps of 8
//! (never binding). A config rollout with one item at a time changes `a` at 20 s (wave
//! `first`) and `c` at 40 s (wave `second`, after a 20 s bake). Probes at 10, 19, 21, 39,
//! 41, 59 and 79 s give each tenant's cumulative CPU, queue waits and failures by cause, and each
//! cell's scheduler; we compare the intervals. The rollback run adds a gate over the changed
//! tenants that no traffic passes (`p(50) < 1ms`): it trips at its first check (30 s), so
//! `a` is changed from 20 s to 30 s and `c` never.

use models::component::outcome::Cause;
use models::harness::run::{run_with, RunOptions};
use models::platform::probe::Snapshot;
use models::scenario::load_str;
use models::scenario::overrides::Override;
use sim::SimTime;

const SC: &str = r#"version = 1
duration = "80s"
[platform]
cells = 2
workers = 8
scheduler = "tenant_cap"
tenant_cap = 8
[classes.api]
service = "const(5ms)"
db_queries = "const(1)"
db_time = "const(4ms)"
timeout = "2s"
[[tenants]]
id = "a"
rate = "100/s"
cell = 0
[[tenants]]
id = "b"
rate = "100/s"
cell = 0
[[tenants]]
id = "c"
rate = "100/s"
cell = 1
[[tenants]]
id = "d"
rate = "100/s"
cell = 1
[[rollouts]]
name = "cfg"
change = "config"
at = "20s"
bake = "20s"
groups = [{ name = "first", tenants = ["a"] }, { name = "second", tenants = ["c"] }]
"#;

/// Probe times (s): intervals 0 = 10–19 s (nothing changed), 2 = 21–39 s (`a` changed),
/// 4 = 41–59 s (`a` and `c` changed; in the rollback runs, nobody since 30 s).
const AT: [u64; 7] = [10, 19, 21, 39, 41, 59, 79];

/// The probes of a run of `SC` plus `extra` lines.
fn probes(extra: &str, sets: &[&str]) -> Vec<Snapshot> {
    let o: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    let sc = load_str("cfg.toml", &format!("{SC}{extra}\n"), &o).unwrap_or_else(|e| panic!("{e}"));
    let opts = RunOptions {
        probes: AT.iter().map(|&s| SimTime(s * 1_000_000_000)).collect(),
        ..RunOptions::default()
    };
    run_with(&sc, 1, &opts).expect("runs").probes
}

/// Per tenant, `f` over probe interval `k` (between probes k and k + 1).
fn per_tenant(p: &[Snapshot], k: usize, f: impl Fn(&Delta) -> f64) -> [f64; 4] {
    let mut out = [0.0; 4];
    for (t, o) in out.iter_mut().enumerate() {
        let (a, b) = (&p[k].tenants[t], &p[k + 1].tenants[t]);
        *o = f(&Delta {
            attempts: (b.attempts - a.attempts) as f64,
            cpu_ns: (b.cpu_ns - a.cpu_ns) as f64,
            waits: (b.queue_waits - a.queue_waits) as f64,
            wait_ns: (b.queue_wait_ns - a.queue_wait_ns) as f64,
            throttled: (b.causes[Cause::DbThrottled as usize]
                - a.causes[Cause::DbThrottled as usize]) as f64,
        });
    }
    out
}

struct Delta {
    attempts: f64,
    cpu_ns: f64,
    waits: f64,
    wait_ns: f64,
    throttled: f64,
}

const ROLLBACK: &str = "on_error = \"rollback\"\ngate_scope = \"changed\"\n";

/// Goal: the flag doubles the CPU of exactly the changed tenants from their wave on, and a
/// rollback turns it off. Method: CPU per attempt per interval (5 ms unflagged, 10 ms
/// flagged).
#[test]
fn a_flag_costs_cpu_on_exactly_the_changed_tenants() {
    let flag = "flag = { name = \"slow-path\", cpu_factor = 2 }";
    let p = probes(flag, &[]);
    let cpu = |k| per_tenant(&p, k, |d| d.cpu_ns / d.attempts / 1e6);
    let near = |x: f64, want: f64| (x - want).abs() < 0.3;
    let [a, b, c, d] = cpu(0);
    assert!(near(a, 5.0) && near(b, 5.0) && near(c, 5.0) && near(d, 5.0));
    let [a, b, c, d] = cpu(2);
    assert!(
        near(a, 10.0) && near(b, 5.0) && near(c, 5.0) && near(d, 5.0),
        "{a} {b} {c} {d}"
    );
    let [a, b, c, d] = cpu(4);
    assert!(
        near(a, 10.0) && near(b, 5.0) && near(c, 10.0) && near(d, 5.0),
        "{a} {b} {c} {d}"
    );
    let p = probes(&format!("{flag}\n{ROLLBACK}gate = \"p(50) < 1ms\""), &[]);
    let cpu = |k| per_tenant(&p, k, |d| d.cpu_ns / d.attempts / 1e6);
    let [a, _, c, _] = cpu(4);
    assert!(near(a, 5.0) && near(c, 5.0), "rolled back: {a} {c}");
}

/// Goal: a DB cap throttles exactly the changed tenants from their wave on, and a rollback
/// lifts it; the governance is built for it although the file has no `[db_governance]`.
/// Method: `db_throttled` failures per interval.
#[test]
fn a_db_cap_throttles_exactly_the_changed_tenants() {
    let p = probes("db_concurrency = 1", &[]);
    let thr = |k| per_tenant(&p, k, |d| d.throttled);
    assert_eq!(thr(0), [0.0; 4]);
    let [a, b, c, d] = thr(2);
    assert!(
        a > 10.0 && b == 0.0 && c == 0.0 && d == 0.0,
        "{a} {b} {c} {d}"
    );
    let [a, b, c, d] = thr(4);
    assert!(
        a > 10.0 && b == 0.0 && c > 10.0 && d == 0.0,
        "{a} {b} {c} {d}"
    );
    let p = probes(
        &format!("db_concurrency = 1\n{ROLLBACK}gate = \"p(50) < 1ms\""),
        &[],
    );
    let [a, _, c, _] = per_tenant(&p, 4, |d| d.throttled);
    assert!(a == 0.0 && c == 0.0, "rolled back: {a} {c}");
}

/// Goal: a scheduler cap of 1 queues exactly the changed tenants (9 ms in service at 100/s:
/// ~90% busy on its one slot), and a rollback lifts it. Method: mean queue wait per
/// interval (under 1 ms uncapped with 8 workers at 1.8 Erlang).
#[test]
fn a_scheduler_cap_queues_exactly_the_changed_tenants() {
    let p = probes("tenant_cap = 1", &[]);
    let wait = |k| per_tenant(&p, k, |d| d.wait_ns / d.waits.max(1.0) / 1e6);
    let [a, b, c, d] = wait(0);
    assert!(a < 1.0 && b < 1.0 && c < 1.0 && d < 1.0, "{a} {b} {c} {d}");
    let [a, b, c, d] = wait(2);
    assert!(a > 5.0 && b < 1.0 && c < 1.0 && d < 1.0, "{a} {b} {c} {d}");
    let [a, b, c, d] = wait(4);
    assert!(a > 5.0 && b < 1.0 && c > 5.0 && d < 1.0, "{a} {b} {c} {d}");
    let p = probes(
        &format!("tenant_cap = 1\n{ROLLBACK}gate = \"p(50) < 1ms\""),
        &[],
    );
    let [a, _, c, _] = per_tenant(&p, 4, |d| d.wait_ns / d.waits.max(1.0) / 1e6);
    assert!(a < 1.0 && c < 1.0, "rolled back: {a} {c}");
}

/// Goal: a scheduler change switches exactly the cells of the changed tenants when their
/// wave reaches them, and a rollback switches them back; a cap under a scheduler that
/// ignores caps is refused. Method: each cell's scheduler at each probe; then a rollback
/// forced by a gate no traffic can pass.
#[test]
fn a_scheduler_change_switches_exactly_the_changed_cells() {
    let p = probes("scheduler = \"drr\"", &[]);
    let kinds: Vec<[&str; 2]> = p
        .iter()
        .map(|s| [s.cells[0].scheduler, s.cells[1].scheduler])
        .collect();
    assert_eq!(
        kinds,
        vec![
            ["tenant_cap", "tenant_cap"],
            ["tenant_cap", "tenant_cap"],
            ["drr", "tenant_cap"],
            ["drr", "tenant_cap"],
            ["drr", "drr"],
            ["drr", "drr"],
            ["drr", "drr"],
        ]
    );
    let p = probes(
        &format!("scheduler = \"drr\"\n{ROLLBACK}gate = \"p(50) < 1ms\""),
        &[],
    );
    let kinds: Vec<[&str; 2]> = p
        .iter()
        .map(|s| [s.cells[0].scheduler, s.cells[1].scheduler])
        .collect();
    assert_eq!(kinds[2], ["drr", "tenant_cap"]);
    assert_eq!(kinds[3], ["tenant_cap", "tenant_cap"]);
    assert_eq!(kinds[6], ["tenant_cap", "tenant_cap"]);
    let e = load_str(
        "cfg.toml",
        &format!(
            "{}tenant_cap = 1\n",
            SC.replace("scheduler = \"tenant_cap\"", "scheduler = \"fifo\"")
        ),
        &[],
    )
    .expect_err("refused");
    assert!(
        e.0[0].message.contains("ignores caps"),
        "{}",
        e.0[0].message
    );
}

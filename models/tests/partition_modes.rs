//! The three partition modes (`drop`, `blackhole`, `delay`), each against a hand calculation.
//!
//! Goal: a cut cell ↔ DB link fails calls at once (`drop`), at the caller's timeout
//! (`blackhole`), or holds them and delivers the backlog when it heals (`delay`), and the
//! request counts are exactly those a hand calculation gives.
//! Method: one closed-loop user (no queueing, no randomness: constant CPU 10 ms, one 1 ms
//! query, 100 ms think), a 10 s run, the DB link cut from 1 s to 3 s. Request k starts at
//! k × 111 ms while the link is up; the tenth (k = 9, at 0.999 s) makes its query at 1.009 s,
//! inside the cut.

use models::scenario::{load_str, Override};

fn run(mode: &str, sets: &[&str]) -> reports::summary::RunSummary {
    let text = format!(
        r#"
version = 1
duration = "10s"
[platform]
cells = 1
workers = 4
[platform.db]
statement_timeout = "500ms"
[classes.api]
service = "const(10ms)"
db_queries = "const(1)"
db_time = "const(1ms)"
timeout = "10s"
[classes.api.retry]
policy = "none"
[[tenants]]
id = "solo"
arrival = "closed"
users = 1
think = "const(100ms)"
start_spread = "0s"
[[faults]]
name = "cut"
kind = "partition"
between = ["cell", "db"]
cell = 0
at = "1s"
for = "2s"
{mode}
"#
    );
    let sets: Vec<Override> = sets
        .iter()
        .map(|s| Override::parse(s).expect("override"))
        .collect();
    let sc = load_str("modes.toml", &text, &sets).unwrap_or_else(|e| panic!("{e}"));
    models::harness::run::run(&sc, 1, None)
        .expect("ledger balances")
        .summary
}

fn failed(s: &reports::summary::RunSummary) -> u64 {
    s.total.outcomes.shed_503 + s.total.outcomes.errors_5xx
}

/// `drop`: each query inside the cut fails at once, so a request takes 10 ms and a cycle
/// 110 ms: queries at 1.009 + m × 0.110 s < 3 s fail (m = 0..18, 19 requests). The next
/// request starts at 3.089 s; from there a cycle is 111 ms and requests ending by 10 s are
/// n = 0..62 (63). Before the cut: 9. Offered 9 + 19 + 63 = 91, ok 72, failed 19.
#[test]
fn drop_fails_at_once() {
    let s = run("mode = \"drop\"", &[]);
    assert_eq!(s.total.outcomes.offered, 91);
    assert_eq!(s.total.outcomes.ok, 72);
    assert_eq!(failed(&s), 19);
    // `reject` is the old spelling of `drop`.
    assert_eq!(run("mode = \"reject\"", &[]).digest, s.digest);
}

/// `blackhole` (the default): each query inside the cut fails at the 500 ms statement
/// timeout: a cycle is 10 + 500 + 100 ms. Queries at 1.009, 1.619, 2.229, 2.839 s fail (4);
/// the next request starts at 3.439 s and 60 more end by 10 s (3.439 + 59 × 0.111 + 0.011
/// ≤ 10). Offered 9 + 4 + 60 = 73, ok 69, failed 4.
#[test]
fn blackhole_fails_at_the_callers_timeout() {
    let s = run("mode = \"blackhole\"", &[]);
    assert_eq!(s.total.outcomes.offered, 73);
    assert_eq!(s.total.outcomes.ok, 69);
    assert_eq!(failed(&s), 4);
    assert_eq!(run("", &[]).digest, s.digest, "blackhole is the default");
    assert_eq!(run("mode = \"timeout\"", &[]).digest, s.digest);
}

/// `delay`: the query made at 1.009 s is held until the link heals at 3 s and then takes
/// its 1 ms: that request takes 2.002 s and nothing fails. The next starts at 3.101 s and 63
/// more end by 10 s (3.101 + 62 × 0.111 + 0.011 ≤ 10). Offered 10 + 63 = 73, all ok.
#[test]
fn delay_holds_calls_until_the_link_heals() {
    let s = run("mode = \"delay\"", &[]);
    assert_eq!(s.total.outcomes.offered, 73);
    assert_eq!(s.total.outcomes.ok, 73);
    assert_eq!(failed(&s), 0);
    assert!(
        s.total.latency.p99_ms > 1900.0,
        "{}",
        s.total.latency.p99_ms
    );
}

/// `delay` with clients that give up: the backlog delivered at the heal is dead work.
/// Method: client timeout 500 ms. The attempt that reached the edge at 0.999 s times out at
/// 1.499 s; the user thinks 100 ms and tries again at 1.599 (query held at 1.609, times out
/// at 2.099), 2.199 (held 2.209, out 2.699), 2.799 (held 2.809). At 3 s the four held
/// queries reach the DB together: three belong to attempts whose client gave up (wasted),
/// the fourth answers its client (ok). Timeouts 3, wasted attempts 3.
#[test]
fn delay_delivers_dead_work() {
    let s = run("mode = \"delay\"", &["classes.api.timeout=500ms"]);
    assert_eq!(s.total.outcomes.timeouts, 3);
    assert_eq!(s.ledger.attempts_wasted, 3);
    assert_eq!(failed(&s), 0);
}

/// A mode that does not exist is an error at its position, naming the three.
#[test]
fn unknown_mode_is_an_error() {
    let text = "version = 1\nduration = \"1s\"\n[[faults]]\nname = \"x\"\nkind = \"partition\"\nbetween = [\"cell\", \"db\"]\nat = \"0s\"\nfor = \"1s\"\nmode = \"slow\"\n";
    let e = load_str("m.toml", text, &[]).expect_err("bad mode");
    let msg = e.to_string();
    assert!(msg.contains("m.toml:9:") && msg.contains("delay"), "{msg}");
}

//! Scenario texts that several model tests share, whole ([`BUSY_CELL`]) or as a part of
//! their own text. A part is a macro that expands to a string literal, so that a test
//! builds its `const` text with `concat!` and keeps it byte for byte (and with it the
//! positions its located-error assertions name).
//!
//! Used as `support::settings::NAME` (the macros as `support::settings::name!()`).

/// One busy cell (queue always full, workers busy, DB queries) that dies from 10 s to 15 s,
/// and a quiet second cell (`cell_down`, `explore_invariants`).
pub const BUSY_CELL: &str = r#"
version = 1
duration = "25s"
[platform]
cells = 2
workers = 2
queue_limit = 50
[classes.api]
service = "exp(40ms)"
db_time = "exp(5ms)"
db_queries = "const(2)"
timeout = "10s"
[[cohorts]]
name = "busy"
count = 4
rate = "const(30/s)"
cells = [0]
[[cohorts]]
name = "other"
count = 1
rate = "const(5/s)"
cells = [1]
[[faults]]
name = "outage"
kind = "cell_outage"
cell = 0
at = "10s"
for = "5s"
"#;

/// Two cells; tenants `a` and `b` on cell 0, `c` on cell 1, 10 requests/s each: the
/// `[platform]` and `[[tenants]]` that end the lifecycle tests' text (`control_repairs`,
/// `lifecycle_ops`), after their own `[control_plane]`.
#[allow(unused_macros)]
macro_rules! three_tenants_on_two_cells {
    () => {
        r#"[platform]
cells = 2
workers = 8
[[tenants]]
id = "a"
rate = "10/s"
cell = 0
[[tenants]]
id = "b"
rate = "10/s"
cell = 0
[[tenants]]
id = "c"
rate = "10/s"
cell = 1
"#
    };
}
#[allow(unused_imports)]
pub(crate) use three_tenants_on_two_cells;

/// The burn-gate setting (`rollout_burn`, `rollout_burn_gates`): 2 cells × 10 tenants,
/// cell 0 down from 5 s to 105 s, and the SLO `errors` (`error_rate < 2%`). Followed by
/// any other SLOs, then [`burn_rollout`].
#[allow(unused_macros)]
macro_rules! burn_outage {
    () => {
        r#"version = 1
duration = "2m"
[platform]
cells = 2
workers = 8
[classes.read]
service = "exp(3ms)"
db_queries = "const(1)"
db_time = "exp(2ms)"
timeout = "1s"
[[cohorts]]
name = "c0"
count = 10
rate = "5/s"
cells = [0]
[[cohorts]]
name = "c1"
count = 10
rate = "5/s"
cells = [1]
[[faults]]
name = "down"
kind = "cell_outage"
cell = 0
at = "5s"
for = "100s"
[[slos]]
name = "errors"
objective = "error_rate < 2%"
"#
    };
}
#[allow(unused_imports)]
pub(crate) use burn_outage;

/// The rollout `cfg` of the burn-gate setting: a config change from 30 s, a canary wave of
/// cell 0 then the rest, judged every 10 s; its gates follow.
#[allow(unused_macros)]
macro_rules! burn_rollout {
    () => {
        r#"[[rollouts]]
name = "cfg"
change = "config"
at = "30s"
rate_limit = "100/s"
bake = "20s"
gate_every = "10s"
groups = [{ name = "canary", cells = [0] }, { name = "rest" }]
"#
    };
}
#[allow(unused_imports)]
pub(crate) use burn_rollout;

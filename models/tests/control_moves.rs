//! Where the acting control plane may move tenants and what its moves cost: evacuation
//! through the move machine when moves cost something, cohort `cells` honoured by
//! evacuation and the rebalancer, and an autoscaled cell's queue that follows its workers.

use reports::summary::RunSummary;

mod support;

/// 4 cells; three movable tenants start on cell 0 (cohort `s`), three others on cells 1–3;
/// cell 0 dies at 10 s for 40 s; evacuation one move at a time.
const FLEET: &str = r#"
version = 1
duration = "90s"
[control_plane]
placement = "least_utilised"
[control_plane.evacuation]
max_in_flight = 1
move_time = "const(2s)"
warmup = "10s"
[platform]
cells = 4
workers = 8
[[cohorts]]
name = "s"
count = 3
rate = "const(5/s)"
cells = [0]
movable = true
[[cohorts]]
name = "n"
count = 3
rate = "const(5/s)"
cells = [1, 2, 3]
[[faults]]
name = "down"
kind = "cell_outage"
cell = 0
at = "10s"
for = "40s"
"#;

const COSTS: &str =
    "[control_plane.migration]\nbackfill_rate = \"100MB\"\nverify = \"const(1s)\"\n";

fn cell_of(s: &RunSummary, id: &str) -> u32 {
    s.tenants.iter().find(|t| t.id == id).unwrap().cell
}

/// Goal: with `[control_plane.migration]` an evacuation move is a costed move: it lasts the
/// backfill (1 GB at 100 MB/s = 10 s) plus the verify (1 s) instead of `move_time` (2 s),
/// loads the DBs (backfill core-seconds counted in `control.moves`) and is logged once as
/// `evacuate`; without the table the move takes `move_time` and nothing is counted.
/// Method: FLEET with and without COSTS; read the actions and `control.moves`.
#[test]
fn evacuation_goes_through_the_move_machine_when_moves_cost() {
    let costed = support::run(&format!("{FLEET}{COSTS}"), 1, &[]);
    let moved: Vec<_> = costed
        .control
        .actions
        .iter()
        .filter(|a| a.kind == "evacuate" && a.outcome == "moved")
        .collect();
    assert_eq!(moved.len(), 3, "{:#?}", costed.control.actions);
    for m in &moved {
        assert!((m.duration_s - 11.0).abs() < 1e-6, "{m:?}");
    }
    let mv = costed.control.moves.as_ref().expect("moves were made");
    assert_eq!(mv.started, 3);
    assert!(mv.backfill_db_core_s > 0.0);
    for id in ["s-0001", "s-0002", "s-0003"] {
        assert_ne!(cell_of(&costed, id), 0, "{id} evacuated");
    }

    let free = support::run(FLEET, 1, &[]);
    assert!(free.control.moves.is_none());
    for a in free.control.actions.iter().filter(|a| a.outcome == "moved") {
        assert!((a.duration_s - 2.0).abs() < 1e-6, "{a:?}");
    }
}

/// Goal: a failed verification rolls an evacuation back (the tenant stays on its dead cell)
/// and queues it again while the cell is dead (more rollbacks than tenants); nothing is
/// moved, and what is still queued when the cell returns is `cancelled`.
/// Method: FLEET with COSTS and `verify_failure = 100%`.
#[test]
fn a_rolled_back_evacuation_leaves_the_tenant_home() {
    let s = support::run(
        &format!("{FLEET}{COSTS}verify_failure = \"100%\"\n"),
        1,
        &[],
    );
    let evac: Vec<_> = s
        .control
        .actions
        .iter()
        .filter(|a| a.kind == "evacuate")
        .collect();
    // Moves still queued when the cell returns are `cancelled`.
    assert!(
        evac.iter()
            .all(|a| a.outcome == "rolled_back" || a.outcome == "cancelled"),
        "{evac:#?}"
    );
    let rolled = evac.iter().filter(|a| a.outcome == "rolled_back").count();
    assert!(rolled > 3, "queued again after a rollback: {rolled}");
    for id in ["s-0001", "s-0002", "s-0003"] {
        assert_eq!(cell_of(&s, id), 0);
    }
}

/// Goal: a cohort restricted to cells is never evacuated outside them: with `cells = [0, 1]`
/// the stranded tenants go to cell 1 only (the other cells were as good for the policy);
/// with `cells = [0]` they have nowhere to go (`no_capacity`) and stay.
/// Method: FLEET without `movable`, with cells [0, 1] and then [0].
#[test]
fn evacuation_honours_cohort_cells() {
    let two = FLEET.replace("cells = [0]\nmovable = true\n", "cells = [0, 1]\n");
    assert_ne!(two, FLEET);
    let s = support::run(&two, 1, &[]);
    for id in ["s-0001", "s-0002", "s-0003"] {
        let c = cell_of(&s, id);
        assert!(c == 1 || c == 0, "{id} on cell {c}");
    }
    let moved = s
        .control
        .actions
        .iter()
        .filter(|a| a.kind == "evacuate" && a.outcome == "moved")
        .count();
    assert!(moved >= 1, "{:#?}", s.control.actions);
    assert!(s
        .control
        .actions
        .iter()
        .filter(|a| a.outcome == "moved")
        .all(|a| a.to == Some(1)));

    let one = FLEET.replace("cells = [0]\nmovable = true\n", "cells = [0]\n");
    let s = support::run(&one, 1, &[]);
    assert!(s.control.actions.iter().all(|a| a.outcome == "no_capacity"));
    assert_eq!(s.control.actions.len(), 3);
    for id in ["s-0001", "s-0002", "s-0003"] {
        assert_eq!(cell_of(&s, id), 0);
    }
}

/// Two cells plus a spare (cell 2, empty); four cell-mates restricted to cells 0 and 1 (two
/// on each); `mates-0001` grows 10× at 20 s; the rebalancer evaluates every 10 s and would
/// promote a tenant that outgrew its cell to an empty cell.
const HOT: &str = r#"
version = 1
duration = "2m"
[control_plane.rebalance]
interval = "10s"
cooldown = "30s"
cell_utilisation = "30%"
promote_share = "50%"
target_utilisation = "90%"
[control_plane.migration]
backfill_rate = "200MB"
verify = "const(1s)"
[platform]
cells = 3
workers = 16
db = { connections = 8, cores = 2 }
[classes.api]
service = "const(2ms)"
db_time = "const(4ms)"
timeout = "5s"
[[cohorts]]
name = "mates"
count = 4
rate = "const(20/s)"
cells = [0, 1]
[[faults]]
name = "grow"
kind = "hot_tenant"
tenant = "mates-0001"
factor = 10
at = "20s"
for = "90s"
"#;

/// Goal: the rebalancer never moves a cohort member outside its cells: the grown member is
/// promoted, but to cell 1 (inside its cells) rather than the empty spare cell 2 it takes
/// when the cohort is `movable` (a later promotion may bring it back: still inside).
/// Method: HOT as is and with `movable = true`; read the promotions' destinations and the
/// members' final cells.
#[test]
fn the_rebalancer_honours_cohort_cells() {
    let promotions = |s: &RunSummary| -> Vec<Option<u32>> {
        s.control
            .actions
            .iter()
            .filter(|a| a.kind == "promote" && a.outcome == "moved")
            .map(|a| a.to)
            .collect()
    };
    let free = support::run(
        &HOT.replace("cells = [0, 1]\n", "cells = [0, 1]\nmovable = true\n"),
        1,
        &[],
    );
    assert_eq!(
        promotions(&free).first(),
        Some(&Some(2)),
        "{:#?}",
        free.control.actions
    );
    let kept = support::run(HOT, 1, &[]);
    let p = promotions(&kept);
    assert!(!p.is_empty(), "{:#?}", kept.control.actions);
    assert_eq!(p[0], Some(1), "{p:?}");
    assert!(p.iter().all(|to| matches!(to, Some(0 | 1))), "{p:?}");
    for t in &kept.tenants {
        assert!(t.cell <= 1, "{} on cell {}", t.id, t.cell);
    }
}

/// One cell of 4 workers and a queue of 40 (10 per worker), saturated by 200 requests/s of
/// 100 ms each; the autoscaler takes it to 8 workers.
const QUEUE: &str = r#"
version = 1
duration = "2m"
[control_plane.autoscale]
interval = "5s"
target = "50%"
scale_up_delay = "1s"
cooldown = "5s"
max_workers = 8
connections_per_worker = 0
[platform]
cells = 1
workers = 4
queue_limit = 40
[classes.api]
service = "const(100ms)"
db_queries = "const(0)"
timeout = "30s"
[[tenants]]
id = "a"
rate = "200/s"
"#;

/// Goal: an autoscaled cell's queue grows with its workers (by default at the cell's own
/// depth per worker, 10), so a saturated 8-worker cell queues 80 (a wait of ~1 s at 80/s)
/// instead of the 40 it was built with (~0.5 s); `queue_per_worker = 0` keeps the old size.
/// Method: QUEUE with the default and with 0; compare the tier's mean queue wait.
#[test]
fn the_queue_grows_with_autoscaled_workers() {
    let grown = support::run(QUEUE, 1, &[]);
    let kept = support::run(QUEUE, 1, &["control_plane.autoscale.queue_per_worker=0"]);
    // The mean: the first seconds at 4 workers (a 1 s wait) are a few % of the requests.
    let wait = |s: &RunSummary| s.tiers[0].latency.queue_wait_mean_ms;
    assert!(
        actions_of(&grown, "scale_up") >= 1,
        "{:#?}",
        grown.control.actions
    );
    assert!(
        (800.0..1200.0).contains(&wait(&grown)),
        "grown queue: {} ms",
        wait(&grown)
    );
    assert!(
        (400.0..650.0).contains(&wait(&kept)),
        "kept queue: {} ms",
        wait(&kept)
    );
}

fn actions_of(s: &RunSummary, kind: &str) -> usize {
    s.control.actions.iter().filter(|a| a.kind == kind).count()
}

/// Goal: `movable` without `cells` and a negative `queue_per_worker` are located errors.
/// Method: one mistake at a time.
#[test]
fn bad_cohort_and_queue_settings_are_located_errors() {
    let cases: Vec<(String, &str, &str)> = vec![
        (
            FLEET.replace("cells = [1, 2, 3]\n", "movable = true\n"),
            "test.toml:23:11",
            "`movable` but no `cells`",
        ),
        (
            QUEUE.replace("connections_per_worker = 0\n", "queue_per_worker = -1\n"),
            "test.toml:10:20",
            "queue_per_worker",
        ),
    ];
    support::assert_refused("test.toml", &cases);
}

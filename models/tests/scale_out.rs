//! Fleet scale-out (`[control_plane.scale_out]`): spare cells take no tenant until the
//! control plane provisions one because the fleet is busy; new tenants are then placed on
//! it; with the loop off the spare cells stay dark; impossible settings are located errors.

use models::scenario::load_str;
use models::scenario::overrides::Override;

mod support;

/// Three cells, the last spare; 6 tenants on cells 0–1 keep their DBs ~75% busy; 4 more
/// sign up at 90 s. The fleet is measured every 10 s; a cell takes 30 s to provision.
const FLEET: &str = r#"
version = 1
duration = "3m"
[control_plane]
placement = "least_utilised"
provision_time = "const(1s)"
[control_plane.scale_out]
spare_cells = 1
threshold = "60%"
interval = "10s"
delay = "30s"
[platform]
cells = 3
workers = 16
db = { connections = 8, cores = 2 }
[classes.api]
service = "const(1ms)"
db_time = "const(10ms)"
timeout = "5s"
[[cohorts]]
name = "old"
count = 6
rate = "const(50/s)"
[[cohorts]]
name = "new"
count = 4
rate = "const(5/s)"
provision_at = "90s"
"#;

/// Goal: nobody starts on the spare cell; the busy fleet provisions it (an action `scale_out`
/// `added` lasting the delay), and the tenants that sign up afterwards are placed there by
/// the load-aware policy; with `enabled = false` the spare cell stays empty.
/// Method: FLEET with and without the loop; read the actions and the tenants' cells.
#[test]
fn a_busy_fleet_gets_a_new_cell_and_new_tenants_land_on_it() {
    let s = support::run(FLEET, 1, &[]);
    for t in s.tenants.iter().filter(|t| t.id.starts_with("old")) {
        assert!(t.cell < 2, "{} started on the spare cell", t.id);
    }
    let added: Vec<_> = s
        .control
        .actions
        .iter()
        .filter(|a| a.kind == "scale_out")
        .collect();
    assert_eq!(added.len(), 1, "{:#?}", s.control.actions);
    assert_eq!(added[0].outcome, "added");
    assert_eq!(added[0].cell, Some(2));
    assert!((added[0].duration_s - 30.0).abs() < 1e-9);
    assert!(added[0].t + 30.0 < 90.0, "provisioned before the sign-ups");
    assert!(added[0].reason.contains("fleet DB"), "{}", added[0].reason);
    let on_new = s
        .tenants
        .iter()
        .filter(|t| t.id.starts_with("new") && t.cell == 2)
        .count();
    assert_eq!(on_new, 4);

    let off = support::run(FLEET, 1, &["control_plane.scale_out.enabled=false"]);
    assert!(off.control.actions.iter().all(|a| a.kind != "scale_out"));
    assert!(off.tenants.iter().all(|t| t.cell < 2));
}

/// Goal: with every spare cell provisioned, a still-busy fleet records `no_spare` once.
/// Method: FLEET with a threshold the fleet always passes and a short delay.
#[test]
fn no_spare_cell_left_is_recorded_once() {
    let s = support::run(
        FLEET,
        1,
        &[
            "control_plane.scale_out.threshold=1%",
            "control_plane.scale_out.delay=1s",
        ],
    );
    let outcomes: Vec<_> = s
        .control
        .actions
        .iter()
        .filter(|a| a.kind == "scale_out")
        .map(|a| a.outcome.as_str())
        .collect();
    assert_eq!(outcomes, ["added", "no_spare"]);
}

/// Goal: impossible scale-out settings are located errors. Method: one mistake at a time.
#[test]
fn bad_scale_out_settings_are_located_errors() {
    let cases: Vec<(String, &str, &str)> = vec![
        (
            FLEET.replace("spare_cells = 1", "spare_cells = 3"),
            "test.toml:8:15",
            "at least one must be provisioned",
        ),
        (
            FLEET.replace("threshold = \"60%\"", "threshold = \"0%\""),
            "test.toml:9:13",
            "threshold",
        ),
        (
            FLEET.replace("interval = \"10s\"", "interval = \"0s\""),
            "test.toml:10:12",
            "interval is zero",
        ),
        (
            FLEET.replace("count = 6\n", "count = 6\ncells = [1, 2]\n"),
            "test.toml:23:9",
            "spare cell",
        ),
    ];
    support::assert_refused("test.toml", &cases);
}

/// FLEET grown instead of spared: two declared cells, `max_cells = 3`, the new cell built
/// from a template with twice the DB.
fn grown() -> String {
    FLEET.replace("cells = 3\n", "cells = 2\n").replace(
        "spare_cells = 1\n",
        "max_cells = 3\ntemplate = { db_cores = 4, db_connections = 16 }\n",
    )
}

/// Goal: `max_cells` grows the fleet past `platform.cells`: the busy fleet provisions a new
/// cell built from the template (an action `scale_out` `added` for cell 2, its size the
/// template's), the sign-ups land on it, and at the max a still-busy fleet records
/// `no_spare`; with the loop off the new cell never takes a tenant.
/// Method: `grown()` with and without the loop; a probe reads the new cell's DB cores.
#[test]
fn max_cells_grows_the_fleet_with_new_cells_from_the_template() {
    let sc = load_str("test.toml", &grown(), &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sc.platform.cells, 3);
    assert_eq!(sc.platform.size_of(2).db_cores, 4);
    assert_eq!(sc.platform.size_of(1).db_cores, 2);
    let s = support::run(&grown(), 1, &[]);
    for t in s.tenants.iter().filter(|t| t.id.starts_with("old")) {
        assert!(t.cell < 2, "{} started on the new cell", t.id);
    }
    let so: Vec<_> = s
        .control
        .actions
        .iter()
        .filter(|a| a.kind == "scale_out")
        .collect();
    assert_eq!(so[0].outcome, "added", "{so:#?}");
    assert_eq!(so[0].cell, Some(2));
    let on_new = s
        .tenants
        .iter()
        .filter(|t| t.id.starts_with("new") && t.cell == 2)
        .count();
    assert_eq!(on_new, 4);
    let maxed = support::run(
        &grown(),
        1,
        &[
            "control_plane.scale_out.threshold=1%",
            "control_plane.scale_out.delay=1s",
        ],
    );
    let outcomes: Vec<_> = maxed
        .control
        .actions
        .iter()
        .filter(|a| a.kind == "scale_out")
        .map(|a| a.outcome.as_str())
        .collect();
    assert_eq!(outcomes, ["added", "no_spare"]);
    let off = support::run(&grown(), 1, &["control_plane.scale_out.enabled=false"]);
    assert!(off.tenants.iter().all(|t| t.cell < 2));
    // Reachable by --set: a larger max adds a second new cell.
    let sc = load_str(
        "test.toml",
        &grown(),
        &[Override::parse("control_plane.scale_out.max_cells=4").unwrap()],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sc.platform.cells, 4);
}

/// Goal: impossible growth settings are located errors. Method: one mistake at a time.
#[test]
fn bad_growth_settings_are_located_errors() {
    let cases: Vec<(String, &str, &str)> = vec![
        (
            grown().replace("max_cells = 3", "max_cells = 1"),
            "test.toml:8:13",
            "cannot be fewer",
        ),
        (
            grown().replace("db_cores = 4", "db_cores = 0"),
            "test.toml:9:25",
            "db_cores is 0",
        ),
        (
            grown().replace("db_cores = 4", "region = \"mars\""),
            "test.toml:9:23",
            "`mars`, which no cell is in",
        ),
        (
            FLEET.replace("spare_cells = 1", "spare_cells = 0"),
            "test.toml:8:15",
            "no cell to grow into",
        ),
        (
            grown().replace("delay = \"30s\"", "delay = \"-1s\""),
            "test.toml:12:9",
            "delay",
        ),
    ];
    support::assert_refused("test.toml", &cases);
}

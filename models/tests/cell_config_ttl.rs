//! Config TTLs at the cells (`[control_plane.cell_config_ttl]`): during a long control-plane
//! outage a cell's config (its tenants' `[db_governance]` limits) expires one TTL after the
//! last heartbeat that reached the control plane; under `keep_last_known` nothing changes for
//! the tenants, under `defaults` every tenant on the cell is held to the default DB
//! concurrency until the first heartbeat after the control plane returns.
//!
//! Method: one cell; a gold tenant offering 100/s (one query of exp(2ms) each) under a DB
//! concurrency of 16 — ~0.2 queries at the DB on average, so 16 never binds and 1 refuses
//! ~17% of its queries (503 `db_throttled`) — and a free tenant at 1/s. The control plane is
//! down from 65.5 s to 365.5 s; heartbeats every 1 s; TTL 2 m. The last good beat is at 65 s,
//! so the cell's config expires at the 185 s beat and is restored by the 366 s beat. We read
//! the gold tenant's per-second 503 windows and the summary's `control.cell_config_ttl` row.

use models::scenario::load_str;

const BASE: &str = r#"
version = 1
duration = "8m"
window = "1s"
[control_plane.cell_config_ttl]
ttl = "2m"
[platform]
cells = 1
workers = 64
[tiers.gold]
[tiers.free]
[db_governance.tiers.gold]
concurrency = 16
[[tenants]]
id = "gold"
tier = "gold"
rate = "100/s"
[[tenants]]
id = "free"
tier = "free"
rate = "1/s"
[[slos]]
name = "watched"
objective = "availability > 0%"
tenants = ["gold", "free"]
[[faults]]
kind = "control_plane_outage"
at = "65500ms"
until = "365500ms"
"#;

fn run_text(text: &str, sets: &[&str]) -> models::harness::run::RunOutput {
    let o: Vec<_> = sets
        .iter()
        .map(|s| models::scenario::overrides::Override::parse(s).unwrap())
        .collect();
    let sc = load_str("cell-ttl.toml", text, &o).unwrap_or_else(|e| panic!("{e}"));
    models::harness::run::run(&sc, 3, None).unwrap()
}

fn windows_503(out: &models::harness::run::RunOutput, id: &str) -> Vec<usize> {
    let g = out
        .series
        .groups
        .iter()
        .find(|g| g.kind == "tenant" && g.name == id)
        .unwrap();
    (0..g.points.len())
        .filter(|&w| g.points[w].shed_503 + g.points[w].errors_5xx > 0)
        .collect()
}

/// Goal: `keep_last_known` keeps the gold tenant's DB limit through the outage (no 503 at
/// all) but reports the cell's config as expired for exactly 185 s → 366 s. Method: the
/// base file; read the 503 windows and the TTL row.
#[test]
fn keep_last_known_keeps_db_limits_and_reports_the_stale_cell() {
    let out = run_text(BASE, &[]);
    assert!(windows_503(&out, "gold").is_empty());
    let row = out.summary.control.cell_config_ttl.clone().expect("row");
    assert_eq!(row.on_expiry, "keep_last_known");
    assert_eq!((row.expiries, row.cells_expired), (1, 1));
    assert_eq!(row.first_expiry_s, Some(185.0));
    assert_eq!(row.last_restore_s, Some(366.0));
    assert_eq!(row.expired_at_end, 0);
    assert_eq!(row.tenants_defaulted, 0);
    assert!((row.expired_cell_s - 181.0).abs() < 1e-9, "{row:?}");
}

/// Goal: `defaults` holds the gold tenant to the default DB concurrency exactly while its
/// cell's config is expired (185 s to 366 s), and gives it back its own limit after.
/// Method: `--set` the policy and a default concurrency of 1 (so `--set` reaches the keys);
/// compare the gold tenant's 503 windows with the expiry spell (windows 185..=365; a
/// request sent in the last milliseconds of window 184 may be refused at 185 s).
#[test]
fn defaults_hold_tenants_to_the_default_db_limits_while_expired() {
    let out = run_text(
        BASE,
        &[
            "control_plane.cell_config_ttl.on_expiry=defaults",
            "control_plane.cell_config_ttl.default_db_concurrency=1",
        ],
    );
    let w = windows_503(&out, "gold");
    // A request sent just before 185 s may reach the DB after it (its CPU work comes first).
    assert!(matches!(w.first(), Some(184 | 185)), "{:?}", w.first());
    assert_eq!(w.last(), Some(&365));
    assert_eq!(w.len(), 366 - w[0]);
    let row = out.summary.control.cell_config_ttl.clone().expect("row");
    assert_eq!(row.on_expiry, "defaults");
    assert_eq!(row.default_db_concurrency, Some(1));
    assert_eq!(row.tenants_defaulted, 2);
    let throttled = out.summary.tiers.iter().find(|g| g.name == "gold").unwrap();
    let n = throttled.causes.get("db_throttled").copied().unwrap_or(0);
    // ~100/s × 181 s × 1/6 (Erlang loss at 0.2 Erlang): about 3,000.
    assert!((2_000..4_500).contains(&n), "{n}");
}

/// Goal: the defaults apply even to a scenario without `[db_governance]` (the governance is
/// then built for the fallback alone), and the ttl outlasting the outage means no expiry.
/// Method: drop the governance table (defaults still throttle); then a 10 m TTL.
#[test]
fn defaults_without_governance_and_a_ttl_that_outlasts_the_outage() {
    let text = BASE.replace("[db_governance.tiers.gold]\nconcurrency = 16\n", "");
    let sets = [
        "control_plane.cell_config_ttl.on_expiry=defaults",
        "control_plane.cell_config_ttl.default_db_concurrency=1",
    ];
    let out = run_text(&text, &sets);
    assert!(matches!(windows_503(&out, "gold").first(), Some(184 | 185)));
    let mut long = sets.to_vec();
    long.push("control_plane.cell_config_ttl.ttl=10m");
    let out = run_text(&text, &long);
    assert!(windows_503(&out, "gold").is_empty());
    let row = out.summary.control.cell_config_ttl.clone().expect("row");
    assert_eq!(row.expiries, 0);
    assert_eq!(row.first_expiry_s, None);
}

/// Goal: without the table the feature is off: no row, and the run is event for event the
/// one of a file that never heard of cell TTLs. Method: digests and event counts of the
/// file without the table and with a `keep_last_known` table (which changes no limit).
#[test]
fn absent_table_means_no_row_and_keep_last_known_changes_nothing() {
    let text = BASE.replace("[control_plane.cell_config_ttl]\nttl = \"2m\"\n", "");
    let off = run_text(&text, &[]);
    assert!(off.summary.control.cell_config_ttl.is_none());
    let on = run_text(BASE, &[]);
    assert_eq!(off.summary.digest, on.summary.digest);
    assert_eq!(off.summary.events, on.summary.events);
}

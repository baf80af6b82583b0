//! Config TTLs at the edge (`[control_plane.config_ttl]`): during a long control-plane
//! outage the edge's tenant configs expire one TTL after the last successful poll; under
//! `keep_last_known` nothing changes for the tenants, under `defaults` every tenant is held
//! to the default limits until the first poll after the control plane returns.
//!
//! Method: one cell, a gold tenant offering 100/s under a 200/s limit and a free tenant
//! offering 5/s under a 10/s limit; the control plane is down from 65 s to 365 s; polls
//! every 30 s; TTL 2 m. The last good poll is at 60 s, so configs expire at the first failed
//! poll at or after 180 s (180 s) and are restored by the poll at 390 s. We read the gold
//! tenant's per-second 429s and the summary's `control.config_ttl` row.

use models::scenario::load_str;

const BASE: &str = r#"
version = 1
duration = "8m"
window = "1s"
[control_plane]
poll_interval = "30s"
[control_plane.config_ttl]
ttl = "2m"
[platform]
cells = 1
workers = 64
[[tenants]]
id = "gold"
rate = "100/s"
rate_limit = "200/s"
[[tenants]]
id = "free"
rate = "5/s"
rate_limit = "10/s"
[[slos]]
name = "watched"
objective = "availability > 0%"
tenants = ["gold", "free"]
[[faults]]
kind = "control_plane_outage"
at = "65s"
until = "365s"
"#;

fn run(sets: &[&str]) -> models::harness::run::RunOutput {
    let o: Vec<_> = sets
        .iter()
        .map(|s| models::scenario::overrides::Override::parse(s).unwrap())
        .collect();
    let sc = load_str("ttl.toml", BASE, &o).unwrap_or_else(|e| panic!("{e}"));
    models::harness::run::run(&sc, 3, None).unwrap()
}

fn windows_429(out: &models::harness::run::RunOutput, id: &str) -> Vec<usize> {
    let g = out
        .series
        .groups
        .iter()
        .find(|g| g.kind == "tenant" && g.name == id)
        .unwrap();
    (0..g.points.len())
        .filter(|&w| g.points[w].rejected_429 > 0)
        .collect()
}

/// Goal: `keep_last_known` keeps the gold limit through the outage (no 429 at all) but
/// reports the expiry. Method: the base file; read 429 windows and the TTL row.
#[test]
fn keep_last_known_keeps_limits_and_reports_stale_configs() {
    let out = run(&[]);
    assert!(windows_429(&out, "gold").is_empty());
    let row = out.summary.control.config_ttl.clone().expect("row");
    eprintln!("{row:?}");
    assert_eq!(row.on_expiry, "keep_last_known");
    assert_eq!(row.tenants_expired, 2);
    assert_eq!(row.expiries, 2);
    assert_eq!(row.first_expiry_s, Some(180.0));
    assert_eq!(row.last_restore_s, Some(390.0));
    assert_eq!(row.expired_at_end, 0);
    assert!((row.expired_tenant_s - 2.0 * 210.0).abs() < 1e-9);
}

/// Goal: `defaults` holds the gold tenant to the default limit exactly while its config is
/// expired (180 s to 390 s), and the free tenant (under the default) feels nothing.
/// Method: `--set` the policy and a 20/s default (so `--set` reaches the table's keys);
/// compare the gold tenant's 429 windows with the expiry spell.
#[test]
fn defaults_hold_gold_to_default_limits_while_expired() {
    let out = run(&[
        "control_plane.config_ttl.on_expiry=defaults",
        "control_plane.config_ttl.default_rate_limit=20/s",
    ]);
    let w = windows_429(&out, "gold");
    eprintln!("gold 429 windows {:?}..{:?}", w.first(), w.last());
    assert_eq!(w.first(), Some(&180));
    assert_eq!(w.last(), Some(&389));
    assert_eq!(w.len(), 210);
    assert!(windows_429(&out, "free").is_empty());
    let row = out.summary.control.config_ttl.clone().expect("row");
    assert_eq!(row.on_expiry, "defaults");
    assert_eq!(row.default_rate_limit, Some(20.0));
    assert_eq!(row.default_burst, Some(20));
}

/// Goal: without the table nothing expires and the summary has no row (the feature is
/// off). Method: remove the table by running a file without it.
#[test]
fn absent_table_means_no_expiry() {
    let text = BASE.replace("[control_plane.config_ttl]\nttl = \"2m\"\n", "");
    let sc = load_str("ttl.toml", &text, &[]).unwrap();
    let out = models::harness::run::run(&sc, 3, None).unwrap();
    assert!(out.summary.control.config_ttl.is_none());
    assert!(windows_429(&out, "gold").is_empty());
}

//! `[platform]` (cells, workers, scheduler, queue, DB, regions, the async plane) and
//! `[workload]` (the load shape every tenant without its own follows).

use super::super::schema::{DbConfig, ScenarioFile, WorkloadConfig};
use super::super::{breaker_from, infra, recording_bound, schedule_from, Checker, Db, Platform};
use crate::component::workload::LoadShape;
use sim::SimDuration;
use toml::Spanned;

/// Checks `[platform]`. `None` when the cell count is invalid: every cell index in the rest
/// of the file is checked against it, so there is nothing more to check.
pub(in crate::scenario) fn platform(
    c: &mut Checker,
    raw: &ScenarioFile,
    duration: SimDuration,
    window: SimDuration,
) -> Option<Platform> {
    let p = &raw.platform;
    let cells: u32 = c.count(&p.cells, 1, 100_000, "platform.cells");
    if cells == 0 {
        // Every cell index below is checked against `cells`; with no valid count there is
        // nothing to check them against (and `cells - 1` once underflowed: a panic).
        return None;
    }
    recording_bound(c, raw, duration, window, cells);
    let workers: u32 = c.count(&p.workers, 1, 1_000_000, "platform.workers");
    Some(Platform {
        cells,
        workers,
        scheduler: p.scheduler,
        quantum: p
            .quantum
            .map(|d| d.0)
            .unwrap_or(SimDuration::from_millis(5)),
        tenant_cap: c.opt_count(
            &p.tenant_cap,
            (workers / 4).max(1),
            1,
            1_000_000,
            "platform.tenant_cap",
        ),
        queue_limit: c.opt_count(
            &p.queue_limit,
            10_000,
            0,
            100_000_000,
            "platform.queue_limit",
        ),
        queue_timeout: p.queue_timeout.map(|d| d.0),
        max_in_flight: p
            .max_in_flight
            .as_ref()
            .map(|v| c.count(v, 1, 1_000_000_000, "platform.max_in_flight")),
        db: db(c, &p.db),
        regions: regions(c, &p.regions, cells),
        max_tenants_per_cell: p
            .max_tenants_per_cell
            .as_ref()
            .map(|m| c.count(m, 1, 100_000_000, "platform.max_tenants_per_cell")),
        jobs: infra::job_plane(c, &p.jobs),
        cell_sizes: Vec::new(),
    })
}

/// `[platform.db]`: the pool, the cores, the timeouts and the breaker of each cell's DB.
fn db(c: &mut Checker, db: &DbConfig) -> Db {
    Db {
        connections: c.opt_count(&db.connections, 16, 1, 1_000_000, "platform.db.connections"),
        cores: c.opt_count(&db.cores, 8, 1, 1_000_000, "platform.db.cores"),
        statement_timeout: db.statement_timeout.map(|d| d.0),
        acquire_timeout: db.acquire_timeout.map(|d| d.0),
        breaker: db.breaker.as_ref().map(|b| breaker_from(c, b)),
    }
}

/// `platform.regions`: one per cell (default: every cell in `default`).
fn regions(c: &mut Checker, regions: &Option<Spanned<Vec<String>>>, cells: u32) -> Vec<String> {
    match regions {
        None => vec!["default".to_string(); cells as usize],
        Some(r) => {
            if r.get_ref().len() != cells as usize {
                c.err(
                    r.span(),
                    format!(
                        "platform.regions lists {} regions for {cells} cells; give one per cell",
                        r.get_ref().len()
                    ),
                );
            }
            let mut v = r.get_ref().clone();
            v.resize(cells as usize, "default".to_string());
            v
        }
    }
}

/// Checks `[workload]`: the schedule and the diurnal cycle.
pub(in crate::scenario) fn workload(c: &mut Checker, w: &WorkloadConfig) -> LoadShape {
    LoadShape {
        points: match &w.schedule {
            Some(s) => schedule_from(c, s),
            None => Vec::new(),
        },
        diurnal: w.diurnal.as_ref().map(|d| {
            let amp = *d.amplitude.get_ref();
            if !(0.0..1.0).contains(&amp) {
                c.err(
                    d.amplitude.span(),
                    format!("diurnal amplitude is {amp}; it must be in [0, 1)"),
                );
            }
            let period = d
                .period
                .map(|p| p.0)
                .unwrap_or(SimDuration::from_secs(86_400));
            if period == SimDuration::ZERO {
                c.err(d.amplitude.span(), "diurnal period is zero");
            }
            (
                period.as_nanos().max(1),
                amp,
                d.peak.map(|p| p.0.as_nanos()).unwrap_or(0),
            )
        }),
        spike: None,
    }
}

/// The DRR quantum must be positive (checked after `[workload]`, where it always was, so
/// errors keep their order).
pub(in crate::scenario) fn quantum(c: &mut Checker, platform: &Platform) {
    if platform.quantum == SimDuration::ZERO {
        c.err(
            0..0,
            "platform.quantum is zero; DRR needs a positive quantum such as \"5ms\"",
        );
    }
}

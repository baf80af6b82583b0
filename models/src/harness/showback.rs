//! Showback of a run: each tenant's metered usage (worker CPU, DB work, bytes answered; see
//! `Recorder::meter`; KMS calls, calls of priced dependencies and connection-hours when
//! `[cost]` prices them) priced with the scenario's `[cost]` prices, summed per tier and in
//! all. `None` without a `[cost]` section, so summaries of other scenarios are unchanged.

use crate::platform::Platform;
use crate::population::Population;
use crate::scenario::Scenario;
use reports::showback::{Showback, ShowbackRow, Usage};
use sim::SimTime;

/// The showback of a run of `sc` over `pop`, from what `plat` metered and counted.
pub fn showback(sc: &Scenario, pop: &Population, plat: &Platform) -> Option<Showback> {
    let prices = sc.cost.clone()?;
    let rec = &plat.recorder;
    let conn = if prices.connection_hour > 0.0 {
        plat.data.connection_hours(SimTime(sc.duration.as_nanos()))
    } else {
        Vec::new()
    };
    // Per priced dependency (in the prices' order), its per-tenant calls.
    let dep_calls: Vec<&[u64]> = prices
        .dependency_calls
        .iter()
        .map(|p| {
            plat.deps
                .names
                .iter()
                .position(|n| *n == p.name)
                .map_or(&[][..], |i| plat.deps.tenant_calls[i].as_slice())
        })
        .collect();
    let tenants: Vec<ShowbackRow> = pop
        .tenants
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let r = &rec.tenants[i];
            let usage = Usage {
                worker_ns: r.cpu_ns as f64,
                db_ns: r.db_ns as f64,
                bytes: r.bytes as f64,
                kms_calls: plat.kms.tenant_calls.get(i).copied().unwrap_or(0) as f64,
                dependency_calls: dep_calls
                    .iter()
                    .map(|v| v.get(i).copied().unwrap_or(0) as f64)
                    .collect(),
                connection_hours: conn.get(i).copied().unwrap_or(0.0),
            };
            ShowbackRow::of_usage(&t.id, &usage, &prices)
        })
        .collect();
    let mut tiers: Vec<ShowbackRow> = sc
        .tiers
        .iter()
        .map(|t| ShowbackRow::priced(&t.name, 0.0, 0.0, 0.0, &prices))
        .collect();
    let mut used = vec![false; tiers.len()];
    let mut total = ShowbackRow::priced("all", 0.0, 0.0, 0.0, &prices);
    for (t, row) in pop.tenants.iter().zip(&tenants) {
        tiers[t.tier].add(row);
        used[t.tier] = true;
        total.add(row);
    }
    let tiers = tiers
        .into_iter()
        .zip(used)
        .filter_map(|(r, u)| u.then_some(r))
        .collect();
    Some(Showback {
        prices,
        total,
        tiers,
        tenants,
    })
}

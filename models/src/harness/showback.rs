//! Showback of a run: each tenant's metered usage (worker CPU, DB work, bytes answered; see
//! `Recorder::meter`) priced with the scenario's `[cost]` prices, summed per tier and in all.
//! `None` without a `[cost]` section, so summaries of other scenarios are unchanged.

use crate::population::Population;
use crate::record::Recorder;
use crate::scenario::Scenario;
use reports::showback::{Showback, ShowbackRow};

/// The showback of a run of `sc` over `pop`, from what `rec` metered.
pub fn showback(sc: &Scenario, pop: &Population, rec: &Recorder) -> Option<Showback> {
    let prices = sc.cost?;
    let tenants: Vec<ShowbackRow> = pop
        .tenants
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let r = &rec.tenants[i];
            ShowbackRow::priced(
                &t.id,
                r.cpu_ns as f64,
                r.db_ns as f64,
                r.bytes as f64,
                &prices,
            )
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

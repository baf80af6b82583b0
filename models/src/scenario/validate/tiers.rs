//! `[tiers.NAME]`: the built-in tiers, overridden, then the file's own in name order.

use super::super::schema::TierConfig;
use super::super::{default_burst, Checker, Tier, BUILTIN_TIERS};
use std::collections::BTreeMap;

/// Checks `[tiers]`; returns every tier, built-ins first.
pub(in crate::scenario) fn tiers(
    c: &mut Checker,
    raw_tiers: &BTreeMap<String, TierConfig>,
) -> Vec<Tier> {
    // Tiers: built-ins, then overrides and additions in name order.
    let mut tiers: Vec<Tier> = BUILTIN_TIERS
        .iter()
        .map(|(n, w)| Tier {
            name: n.to_string(),
            weight: *w,
            rate_limit: None,
            burst: 1,
            max_concurrency: None,
        })
        .collect();
    for (name, t) in raw_tiers {
        let idx = match tiers.iter().position(|x| &x.name == name) {
            Some(i) => i,
            None => {
                tiers.push(Tier {
                    name: name.clone(),
                    weight: 1,
                    rate_limit: None,
                    burst: 1,
                    max_concurrency: None,
                });
                tiers.len() - 1
            }
        };
        if let Some(w) = &t.weight {
            tiers[idx].weight = c.count(w, 1, 1_000_000, &format!("tiers.{name}.weight"));
        }
        tiers[idx].rate_limit = t.rate_limit.map(|r| r.0);
        tiers[idx].burst = default_burst(tiers[idx].rate_limit);
        if let Some(b) = &t.burst {
            tiers[idx].burst = c.count(b, 1, 1_000_000_000, &format!("tiers.{name}.burst"));
        }
        if let Some(m) = &t.max_concurrency {
            tiers[idx].max_concurrency = Some(c.count(
                m,
                1,
                1_000_000_000,
                &format!("tiers.{name}.max_concurrency"),
            ));
        }
    }
    tiers
}

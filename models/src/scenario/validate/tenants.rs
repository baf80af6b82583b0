//! `[[tenants]]`: individually declared tenants.

use super::super::schema::{self, TenantConfig};
use super::super::{
    infra, residency, schedule_from, spike_from, Checker, JobClass, SpikeKeys, TenantSpec,
};
use super::Names;
use crate::component::workload::{Arrival, LoadShape, Spike};
use sim::Dist;
use std::collections::BTreeSet;

/// Checks `[[tenants]]`; returns the tenants in file order and the set of their ids.
pub(in crate::scenario) fn tenants(
    c: &mut Checker,
    raw_tenants: &[TenantConfig],
    names: &Names,
    cells: u32,
    job_classes: &[JobClass],
) -> (Vec<TenantSpec>, BTreeSet<String>) {
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut tenants = Vec::new();
    for t in raw_tenants {
        let id = t.id.get_ref().clone();
        if id.is_empty() || id.contains(char::is_whitespace) {
            c.err(
                t.id.span(),
                format!("tenant id `{id}` must be non-empty and without spaces"),
            );
        }
        if !ids.insert(id.clone()) {
            c.err(
                t.id.span(),
                format!("tenant id `{id}` is declared twice; ids must be unique"),
            );
        }
        let tier = match &t.tier {
            None => 0,
            Some(s) => names.tier_index(s.get_ref()).unwrap_or_else(|| {
                c.err(s.span(), names.unknown_tier(s.get_ref()));
                0
            }),
        };
        let cell = t
            .cell
            .as_ref()
            .map(|v| c.count::<u32>(v, 0, cells as i64 - 1, &format!("tenant `{id}` cell")));
        let arrival = arrival(c, t, &id);
        let schedule = t.schedule.as_ref().map(|s| LoadShape {
            points: schedule_from(c, s),
            diurnal: None,
            spike: None,
        });
        let max_concurrency = t
            .max_concurrency
            .as_ref()
            .map(|m| c.count(m, 1, 1_000_000_000, "max_concurrency"));
        let spike = tenant_spike(c, t, &id, &arrival);
        tenants.push(TenantSpec {
            id,
            tier,
            rate: t.rate.map(|r| r.0).unwrap_or(0.0),
            arrival,
            schedule,
            max_concurrency,
            mix: names.check_mix(c, &t.mix),
            cell,
            rate_limit: t.rate_limit.map(|r| r.0),
            burst: t
                .burst
                .as_ref()
                .map(|b| c.count(b, 1, 1_000_000_000, "burst")),
            region: t.region.clone(),
            eu_only: residency(c, &t.residency),
            jobs: infra::tenant_jobs(c, &t.jobs, job_classes),
            data_size: t.data_size.as_ref().and_then(|d| d.0.mean()).unwrap_or(1e9),
            spike,
        });
    }
    (tenants, ids)
}

/// A tenant's arrivals: open-loop (`poisson`, needs `rate`) or closed-loop (`closed`, needs
/// `users`; think time and start spread optional).
fn arrival(c: &mut Checker, t: &TenantConfig, id: &str) -> Arrival {
    match t.arrival {
        schema::ArrivalName::Poisson => {
            if t.rate.is_none() {
                c.err(t.id.span(), format!("tenant `{id}` needs `rate = \"20/s\"` (or `arrival = \"closed\"` with `users`)"));
            }
            if let Some(u) = &t.users {
                c.err(u.span(), "`users` applies to `arrival = \"closed\"` only");
            }
            Arrival::Poisson
        }
        schema::ArrivalName::Closed => {
            let users = match &t.users {
                Some(u) => c.count(u, 1, 10_000_000, &format!("tenant `{id}` users")),
                None => {
                    c.err(
                        t.id.span(),
                        format!("tenant `{id}` has closed-loop arrivals: add `users = 10`"),
                    );
                    1
                }
            };
            Arrival::Closed {
                users,
                think: t
                    .think
                    .as_ref()
                    .map(|d| d.0.clone())
                    .unwrap_or(Dist::Exp { mean: 1e9 }),
                start_spread: t.start_spread.map(|d| d.0),
            }
        }
    }
}

/// A tenant's spike settings: they need `spiky = true` and an open-loop tenant.
fn tenant_spike(c: &mut Checker, t: &TenantConfig, id: &str, arrival: &Arrival) -> Option<Spike> {
    let keys = SpikeKeys {
        factor: &t.spike_factor,
        every: &t.spike_every,
        for_: &t.spike_for,
    };
    let spiky = t.spiky.as_ref().is_some_and(|b| *b.get_ref());
    if !spiky {
        if let Some(span) = keys.first_span() {
            c.err(
                span,
                format!("tenant `{id}` is not spiky, so spike settings do not apply; add `spiky = true` or remove them"),
            );
        }
    }
    if let (true, Arrival::Closed { .. }, Some(b)) = (spiky, arrival, &t.spiky) {
        c.err(
            b.span(),
            format!("tenant `{id}` has closed-loop arrivals; bursts apply to open-loop (`poisson`) tenants only"),
        );
    }
    let spike = spike_from(c, &keys, &format!("tenant `{id}`"));
    spiky.then_some(spike)
}

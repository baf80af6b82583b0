//! Config TTLs at the cells: each cell holds a versioned config — the DB limits
//! (`[db_governance]` concurrency and statement budget) it enforces for the tenants placed on
//! it — renewed at each heartbeat that reaches the control plane. Past `ttl` without a
//! renewal the cell applies `on_expiry` ([`CellOnExpiry`]): keep enforcing the last known
//! version (reported stale), or put every tenant on it on the safe defaults. The first
//! heartbeat that gets through again restores the tenants' own limits (the last known
//! version, or a newer one a config rollout made meanwhile).
//!
//! **When expiry is noticed.** At the heartbeat: a cell's config expires at the first beat
//! at or after `last renewal + ttl` that does not reach the control plane (the control plane
//! is down, or the cell is), so within one `heartbeat_interval` of the TTL. The heartbeat
//! already runs: the feature adds no event.
//!
//! **Guarantees.** Without `[control_plane.cell_config_ttl]` the control plane holds `None`:
//! no state, no event, no draw, one branch per heartbeat. With it no random draw is added
//! either, so the feature changes the run only through the limits it applies. A tenant is put
//! on defaults at most once at a time and gets back exactly the limits it had (or the ones a
//! change made while it was on defaults).

use super::Platform;
use crate::component::token_bucket::TokenBucket;
use crate::scenario::cell_config_ttl::{CellConfigTtl, CellOnExpiry};
use crate::scenario::Scenario;
use reports::summary::CellConfigTtlRow;
use sim::SimTime;

/// A tenant's DB limits as the governance holds them: (concurrency, statement budget).
pub(super) type DbLimits = (u32, Option<TokenBucket>);

/// Whether `sc`'s tenants' DB limits may change during the run — cells may put them on
/// default limits, or a config rollout may change their DB caps — so the governance must be
/// built even without `[db_governance]`.
pub(super) fn needs_governance(sc: &Scenario) -> bool {
    matches!(
        sc.control_plane.cell_config_ttl,
        Some(CellConfigTtl {
            on_expiry: CellOnExpiry::Defaults { .. },
            ..
        })
    ) || super::rollout_config::any_db_cap(sc)
}

/// The TTL state of every cell's config.
pub struct CellTtlRt {
    spec: CellConfigTtl,
    /// Per cell: the last renewal.
    confirmed: Vec<SimTime>,
    /// Per cell: expired since (and not yet restored).
    expired_since: Vec<Option<SimTime>>,
    /// Per cell: the authoritative config version (bumped by a change of its tenants' limits).
    version: Vec<u32>,
    /// Per cell: the version the cell holds.
    held: Vec<u32>,
    /// Per tenant: the cell whose expiry put it on defaults, and the limits it had then.
    defaulted: Vec<Option<(u32, DbLimits)>>,
    expiries: u64,
    ever: Vec<bool>,
    tenants_defaulted: u64,
    expired_ns: u128,
    first_expiry: Option<SimTime>,
    last_restore: Option<SimTime>,
    expired_now: u32,
    max_expired: u32,
}

impl CellTtlRt {
    /// The runtime for `spec` (`None`: off) over `cells` cells and `tenants` tenants.
    pub(super) fn build(
        spec: Option<&CellConfigTtl>,
        cells: usize,
        tenants: usize,
    ) -> Option<Box<CellTtlRt>> {
        let spec = *spec?;
        let defaults = matches!(spec.on_expiry, CellOnExpiry::Defaults { .. });
        Some(Box::new(CellTtlRt {
            spec,
            confirmed: vec![SimTime::ZERO; cells],
            expired_since: vec![None; cells],
            version: vec![1; cells],
            held: vec![1; cells],
            defaulted: if defaults {
                vec![None; tenants]
            } else {
                Vec::new()
            },
            expiries: 0,
            ever: vec![false; cells],
            tenants_defaulted: 0,
            expired_ns: 0,
            first_expiry: None,
            last_restore: None,
            expired_now: 0,
            max_expired: 0,
        }))
    }

    /// Whether cell `c`'s config is expired now.
    pub fn expired(&self, c: u32) -> bool {
        self.expired_since[c as usize].is_some()
    }

    /// The row for `summary.json` at the end of the run (`now`).
    pub fn row(&self, now: SimTime) -> CellConfigTtlRow {
        let open = super::config_ttl::still_expired_ns(&self.expired_since, now);
        let secs = |t: SimTime| t.as_nanos() as f64 / 1e9;
        let (conc, sps) = match self.spec.on_expiry {
            CellOnExpiry::KeepLastKnown => (None, None),
            CellOnExpiry::Defaults {
                concurrency,
                statements_per_sec,
            } => (Some(concurrency), statements_per_sec),
        };
        CellConfigTtlRow {
            ttl_s: self.spec.ttl.as_nanos() as f64 / 1e9,
            on_expiry: self.spec.on_expiry.name().to_string(),
            default_db_concurrency: conc,
            default_statements_per_sec: sps,
            expiries: self.expiries,
            cells_expired: self.ever.iter().filter(|&&x| x).count() as u32,
            max_expired_at_once: self.max_expired,
            expired_at_end: self.expired_now,
            expired_cell_s: (self.expired_ns + open) as f64 / 1e9,
            tenants_defaulted: self.tenants_defaulted,
            config_versions: self.version.iter().map(|&v| (v - 1) as u64).sum(),
            first_expiry_s: self.first_expiry.map(secs),
            last_restore_s: self.last_restore.map(secs),
        }
    }
}

impl Platform {
    /// The heartbeats ran: each cell whose beat reached the control plane renews its config
    /// (restoring it if it had expired); the others expire once past the TTL.
    pub(super) fn cell_config_ttl_beat(&mut self, now: SimTime) {
        let Some(mut rt) = self.ctl.cell_config_ttl.take() else {
            return;
        };
        let ttl = rt.spec.ttl;
        for c in 0..rt.confirmed.len() {
            let reached = self.ctl.up && !self.ctl.down[c];
            if reached {
                rt.confirmed[c] = now;
                rt.held[c] = rt.version[c];
                self.cell_config_restore(now, &mut rt, c as u32);
            } else if rt.expired_since[c].is_none() && now.since(rt.confirmed[c]) >= ttl {
                self.cell_config_expire(now, &mut rt, c as u32);
            }
        }
        self.ctl.cell_config_ttl = Some(rt);
    }

    /// Sets tenant `t`'s DB concurrency as the control plane's authoritative config (a config
    /// rollout's `db_concurrency`): applied now, or — if the tenant is on an expired cell's
    /// defaults — kept for the restore. Returns the concurrency it replaced, and bumps the
    /// config version of `t`'s cell.
    pub(super) fn set_db_concurrency(&mut self, t: u32, n: u32) -> u32 {
        let cell = self.tenant_cell[t as usize] as usize;
        if let Some(rt) = self.ctl.cell_config_ttl.as_deref_mut() {
            rt.version[cell] += 1;
            if let Some((_, saved)) = rt.defaulted.get_mut(t as usize).and_then(|x| x.as_mut()) {
                return std::mem::replace(&mut saved.0, n);
            }
            if rt.expired_since[cell].is_none() {
                rt.held[cell] = rt.version[cell];
            }
        }
        self.gov.set_concurrency(t, n)
    }

    fn cell_config_expire(&mut self, now: SimTime, rt: &mut CellTtlRt, c: u32) {
        let i = c as usize;
        rt.expired_since[i] = Some(now);
        rt.expiries += 1;
        rt.ever[i] = true;
        rt.expired_now += 1;
        rt.max_expired = rt.max_expired.max(rt.expired_now);
        rt.first_expiry.get_or_insert(now);
        let policy = rt.spec.on_expiry;
        let mut moved = 0u32;
        match policy {
            CellOnExpiry::KeepLastKnown => {}
            CellOnExpiry::Defaults {
                concurrency,
                statements_per_sec,
            } => {
                for t in 0..self.tenant_cell.len() as u32 {
                    if self.tenant_cell[t as usize] != c || rt.defaulted[t as usize].is_some() {
                        continue;
                    }
                    let bucket = statements_per_sec
                        .map(|r| TokenBucket::new(r, (libm::ceil(r) as u32).max(1)));
                    let old = self.gov.swap_limits(t, concurrency, bucket);
                    rt.defaulted[t as usize] = Some((c, old));
                    rt.tenants_defaulted += 1;
                    moved += 1;
                    self.trace_tenant(now, t, "cell_config_defaulted", || vec![("cell", c.into())]);
                }
            }
        }
        let (ttl, version) = (rt.spec.ttl, rt.held[i]);
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.cell_action(
                now,
                c,
                vec![
                    ("action", "cell_config_expired".into()),
                    ("cell", c.into()),
                    ("policy", policy.name().into()),
                    ("version", version.into()),
                    ("ttl_s", (ttl.as_nanos() as f64 / 1e9).into()),
                    ("tenants_on_defaults", moved.into()),
                ],
            );
        }
    }

    fn cell_config_restore(&mut self, now: SimTime, rt: &mut CellTtlRt, c: u32) {
        let i = c as usize;
        let Some(since) = rt.expired_since[i].take() else {
            return;
        };
        rt.expired_ns += now.since(since).as_nanos() as u128;
        rt.expired_now -= 1;
        rt.last_restore = Some(now);
        for t in 0..rt.defaulted.len() {
            if rt.defaulted[t].as_ref().is_some_and(|d| d.0 == c) {
                if let Some((_, (conc, bucket))) = rt.defaulted[t].take() {
                    self.gov.swap_limits(t as u32, conc, bucket);
                }
            }
        }
        let version = rt.held[i];
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.cell_action(
                now,
                c,
                vec![
                    ("action", "cell_config_restored".into()),
                    ("cell", c.into()),
                    ("version", version.into()),
                    (
                        "expired_for_s",
                        (now.since(since).as_nanos() as f64 / 1e9).into(),
                    ),
                ],
            );
        }
    }
}

//! Config TTLs at the edge: each tenant config copy the edge holds is valid for `ttl` after
//! the last time the edge heard the control plane about it (a push that reached it, or a
//! successful poll); past that, while the control plane stays unreachable, the edge applies
//! `on_expiry` ([`OnExpiry`]): keep enforcing the last known version (reported stale) or fall
//! back to the safe defaults for every expired tenant. The first contact after that restores
//! the last known version (and whatever newer one the contact brings).
//!
//! **When expiry is noticed.** The edge's config client notices at its poll: expiry happens
//! at the first failed poll at or after `last contact + ttl`, so within `poll_interval` of
//! the TTL. This keeps the model free of extra events: the poll already runs.
//!
//! **Guarantees.** Without `[control_plane.config_ttl]` the control plane holds `None`: no
//! state, no event, no draw, one branch per push and poll. With it, no random draw is added
//! either, so the feature changes the run only through the limits it applies.

use super::Platform;
use crate::scenario::config_ttl::{ConfigTtl, OnExpiry};
use reports::summary::ConfigTtlRow;
use sim::{SimDuration, SimTime};

/// The TTL state of every tenant config the edge holds.
pub struct ConfigTtlRt {
    spec: ConfigTtl,
    /// Per tenant: when the edge last heard the control plane about its config.
    confirmed: Vec<SimTime>,
    /// Per tenant: expired since (and not yet restored).
    expired_since: Vec<Option<SimTime>>,
    /// Per tenant: the last config the edge received (rate limit, burst, suspended).
    known: Vec<(Option<f64>, u32, bool)>,
    /// Expiries (a tenant expiring twice counts twice).
    expiries: u64,
    /// Tenants that expired at least once.
    ever: Vec<bool>,
    /// Tenant-time spent expired, finished spells (ns).
    expired_ns: u128,
    first_expiry: Option<SimTime>,
    last_restore: Option<SimTime>,
    expired_now: u32,
    max_expired: u32,
}

impl ConfigTtlRt {
    /// The runtime for `spec` (`None`: off) over the initial authoritative configs.
    pub(super) fn build(
        spec: Option<&ConfigTtl>,
        config: &[(Option<f64>, u32, bool)],
    ) -> Option<Box<ConfigTtlRt>> {
        let spec = *spec?;
        let n = config.len();
        Some(Box::new(ConfigTtlRt {
            spec,
            confirmed: vec![SimTime::ZERO; n],
            expired_since: vec![None; n],
            known: config.to_vec(),
            expiries: 0,
            ever: vec![false; n],
            expired_ns: 0,
            first_expiry: None,
            last_restore: None,
            expired_now: 0,
            max_expired: 0,
        }))
    }

    /// The edge received config `c` for `t` (a push or a poll brought it).
    pub(super) fn received(&mut self, t: u32, c: (Option<f64>, u32, bool)) {
        self.known[t as usize] = c;
    }

    /// The row for `summary.json` at the end of the run (`now`).
    pub fn row(&self, now: SimTime) -> ConfigTtlRow {
        let open = still_expired_ns(&self.expired_since, now);
        let secs = |t: SimTime| t.as_nanos() as f64 / 1e9;
        let (rate, burst) = match self.spec.on_expiry {
            OnExpiry::KeepLastKnown => (None, None),
            OnExpiry::Defaults { rate_limit, burst } => (Some(rate_limit), Some(burst)),
        };
        ConfigTtlRow {
            ttl_s: self.spec.ttl.as_nanos() as f64 / 1e9,
            on_expiry: self.spec.on_expiry.name().to_string(),
            default_rate_limit: rate,
            default_burst: burst,
            expiries: self.expiries,
            tenants_expired: self.ever.iter().filter(|&&x| x).count() as u32,
            max_expired_at_once: self.max_expired,
            expired_at_end: self.expired_now,
            expired_tenant_s: (self.expired_ns + open) as f64 / 1e9,
            first_expiry_s: self.first_expiry.map(secs),
            last_restore_s: self.last_restore.map(secs),
        }
    }
}

impl Platform {
    /// A push of `t`'s config reached the edge: its copy is fresh again.
    pub(super) fn config_ttl_pushed(&mut self, now: SimTime, t: u32) {
        let Some(mut rt) = self.ctl.config_ttl.take() else {
            return;
        };
        self.config_ttl_confirm(now, &mut rt, t);
        self.ctl.config_ttl = Some(rt);
    }

    /// The edge polled: on success every copy is fresh again; on failure the copies past
    /// their TTL expire.
    pub(super) fn config_ttl_polled(&mut self, now: SimTime, reached: bool) {
        let Some(mut rt) = self.ctl.config_ttl.take() else {
            return;
        };
        let n = rt.confirmed.len() as u32;
        if reached {
            for t in 0..n {
                self.config_ttl_confirm(now, &mut rt, t);
            }
        } else {
            let ttl = rt.spec.ttl;
            for t in 0..n {
                let i = t as usize;
                if rt.expired_since[i].is_none() && now.since(rt.confirmed[i]) >= ttl {
                    self.config_ttl_expire(now, &mut rt, t, ttl);
                }
            }
        }
        self.ctl.config_ttl = Some(rt);
    }

    fn config_ttl_confirm(&mut self, now: SimTime, rt: &mut ConfigTtlRt, t: u32) {
        let i = t as usize;
        rt.confirmed[i] = now;
        let Some(since) = rt.expired_since[i].take() else {
            return;
        };
        rt.expired_ns += now.since(since).as_nanos() as u128;
        rt.expired_now -= 1;
        rt.last_restore = Some(now);
        let (rate, burst, suspended) = rt.known[i];
        match rt.spec.on_expiry {
            OnExpiry::KeepLastKnown => {}
            OnExpiry::Defaults { .. } => self.edge.apply_config(now, t, rate, burst, suspended),
        }
        self.trace_tenant(now, t, "config_restored", || {
            vec![(
                "expired_for_s",
                (now.since(since).as_nanos() as f64 / 1e9).into(),
            )]
        });
    }

    fn config_ttl_expire(&mut self, now: SimTime, rt: &mut ConfigTtlRt, t: u32, ttl: SimDuration) {
        let i = t as usize;
        rt.expired_since[i] = Some(now);
        rt.expiries += 1;
        rt.ever[i] = true;
        rt.expired_now += 1;
        rt.max_expired = rt.max_expired.max(rt.expired_now);
        rt.first_expiry.get_or_insert(now);
        let policy = rt.spec.on_expiry;
        match policy {
            OnExpiry::KeepLastKnown => {}
            OnExpiry::Defaults { rate_limit, burst } => {
                // Suspension is not a limit: the edge keeps the last known flag.
                let suspended = rt.known[i].2;
                self.edge
                    .apply_config(now, t, Some(rate_limit), burst, suspended);
            }
        }
        self.trace_tenant(now, t, "config_expired", || {
            vec![
                ("policy", policy.name().into()),
                ("ttl_s", (ttl.as_nanos() as f64 / 1e9).into()),
            ]
        });
    }
}

/// Nanoseconds the configs still expired at `now` have been expired (each entry: when its
/// config expired, or `None`): the open spells a summary adds to the closed ones.
pub(super) fn still_expired_ns(expired_since: &[Option<SimTime>], now: SimTime) -> u128 {
    expired_since
        .iter()
        .flatten()
        .map(|&s| now.since(s).as_nanos() as u128)
        .sum()
}

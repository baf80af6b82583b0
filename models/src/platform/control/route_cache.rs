//! The edge's route cache: per tenant, the cell the edge last learnt from the control plane,
//! its version and age, and whether a refresh is in flight.
//!
//! A [`RouteCache`] decides and never calls the control plane: [`RouteCache::lookup`] says
//! where a request goes (or that it must park), whether a background refresh is due and
//! whether the route served is stale; the platform starts the refresh and counts. Answers
//! reach it through [`RouteCache::refreshed`] (a lookup the edge asked for) and
//! [`RouteCache::pushed`] (a route the control plane pushed after a migration's cutover).
//!
//! Guarantees: a fresh entry (younger than the TTL) is served; from ¾ of the TTL one
//! background refresh is asked while none is in flight; an expired entry parks the request
//! unless `serve_stale` allows it up to `max_staleness`; the cache learns a new route only
//! when an answer or a push reaches it. Built from plain settings, no scenario needed.

use super::RouteEntry;
use sim::{SimDuration, SimTime};

/// What the edge does with one request of a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// The cell to send it to (`None`: park it until the refresh in flight completes).
    pub cell: Option<u32>,
    /// Start a refresh now.
    pub refresh: bool,
    /// The route served has expired (`serve_stale`).
    pub stale: bool,
}

/// The edge's cached routes.
pub struct RouteCache {
    entries: Vec<RouteEntry>,
    ttl: SimDuration,
    serve_stale: bool,
    max_staleness: SimDuration,
}

impl RouteCache {
    /// An empty cache for tenants `0..n`: entries live `ttl`; with `serve_stale`, an
    /// expired entry is still served while no older than `max_staleness`.
    pub fn new(
        n: usize,
        ttl: SimDuration,
        serve_stale: bool,
        max_staleness: SimDuration,
    ) -> RouteCache {
        RouteCache {
            entries: vec![RouteEntry::NONE; n],
            ttl,
            serve_stale,
            max_staleness,
        }
    }

    /// How long an entry is fresh.
    pub fn ttl(&self) -> SimDuration {
        self.ttl
    }

    /// Tenant `t`'s entry.
    pub fn entry(&self, t: u32) -> RouteEntry {
        self.entries[t as usize]
    }

    /// The route of an existing tenant at the start of a run, fetched at a time staggered
    /// over the TTL before `now` (a fixed hash of `t`) so that entries do not all expire
    /// together.
    pub fn warm(&mut self, now: SimTime, t: u32, cell: u32, version: u32) {
        let ttl = self.ttl.as_nanos();
        let offset = if ttl == 0 {
            0
        } else {
            sim::digest::mix64(t as u64) % ttl
        };
        self.entries[t as usize] = RouteEntry {
            cell,
            version,
            fetched: SimTime(now.as_nanos().saturating_sub(offset)),
            refreshing: false,
            valid: true,
        };
    }

    /// Where a request of `t` goes at `now`.
    #[inline]
    pub fn lookup(&self, now: SimTime, t: u32) -> Lookup {
        let ttl = self.ttl.as_nanos();
        let e = self.entries[t as usize];
        let age = now.since(e.fetched);
        if e.valid && age.as_nanos() < ttl {
            return Lookup {
                cell: Some(e.cell),
                refresh: age.as_nanos() >= ttl / 4 * 3 && !e.refreshing,
                stale: false,
            };
        }
        let refresh = !e.refreshing;
        if e.valid && self.serve_stale && age <= self.max_staleness {
            return Lookup {
                cell: Some(e.cell),
                refresh,
                stale: true,
            };
        }
        Lookup {
            cell: None,
            refresh,
            stale: false,
        }
    }

    /// A refresh of `t` is in flight.
    pub fn begin_refresh(&mut self, t: u32) {
        self.entries[t as usize].refreshing = true;
    }

    /// The refresh of `t` ended at `now`: with the control plane's `(cell, version)`, or
    /// failed (`None`, the entry is kept). Returns the entry now held.
    pub fn refreshed(&mut self, now: SimTime, t: u32, answer: Option<(u32, u32)>) -> RouteEntry {
        let e = &mut self.entries[t as usize];
        e.refreshing = false;
        if let Some((cell, version)) = answer {
            *e = RouteEntry {
                cell,
                version,
                fetched: now,
                refreshing: false,
                valid: true,
            };
        }
        *e
    }

    /// The control plane's push of `t`'s route `(cell, version)` reached the edge at `now`
    /// (a refresh in flight stays in flight).
    pub fn pushed(&mut self, now: SimTime, t: u32, cell: u32, version: u32) {
        let e = &mut self.entries[t as usize];
        e.cell = cell;
        e.version = version;
        e.fetched = now;
        e.valid = true;
    }

    /// The edge learnt that `t`'s route is wrong: the next request fetches it again.
    pub fn invalidate(&mut self, t: u32) {
        let e = &mut self.entries[t as usize];
        e.fetched = SimTime::ZERO;
        e.valid = false;
    }
}

#[cfg(test)]
mod tests {
    //! Goal: the edge's route cache on its own: what a request gets as its entry ages, when
    //! a refresh is asked, what `serve_stale` allows, and that a moved tenant's new route is
    //! used only once the push (or a refresh) reaches the edge. Method: a cache with a 40 s
    //! TTL built from plain settings, driven by hand at chosen times.

    use super::*;

    const S: u64 = 1_000_000_000;

    fn cache(serve_stale: bool) -> RouteCache {
        let mut c = RouteCache::new(2, SimDuration(40 * S), serve_stale, SimDuration(100 * S));
        c.refreshed(SimTime(0), 0, Some((3, 1)));
        c
    }

    #[test]
    fn a_fresh_entry_is_served_and_refreshed_once_from_three_quarters_of_its_ttl() {
        let mut c = cache(false);
        let early = c.lookup(SimTime(29 * S), 0);
        assert_eq!((early.cell, early.refresh), (Some(3), false));
        let late = c.lookup(SimTime(30 * S), 0);
        assert_eq!(
            (late.cell, late.refresh, late.stale),
            (Some(3), true, false)
        );
        c.begin_refresh(0);
        assert!(
            !c.lookup(SimTime(31 * S), 0).refresh,
            "one refresh in flight"
        );
    }

    #[test]
    fn an_expired_entry_parks_unless_serve_stale_allows_it() {
        let strict = cache(false).lookup(SimTime(40 * S), 0);
        assert_eq!((strict.cell, strict.refresh), (None, true));
        let lenient = cache(true);
        let l = lenient.lookup(SimTime(100 * S), 0);
        assert_eq!((l.cell, l.stale), (Some(3), true));
        let too_old = lenient.lookup(SimTime(100 * S + 1), 0);
        assert_eq!(too_old.cell, None, "older than max_staleness");
        let never = lenient.lookup(SimTime(0), 1);
        assert_eq!(never.cell, None, "a tenant never routed parks");
    }

    #[test]
    fn a_moved_route_is_used_only_once_its_push_reaches_the_edge() {
        let mut c = cache(false);
        // The control plane moved tenant 0 to cell 5 at 10 s; the push takes 2 s.
        assert_eq!(c.lookup(SimTime(11 * S), 0).cell, Some(3));
        c.pushed(SimTime(12 * S), 0, 5, 2);
        assert_eq!(c.lookup(SimTime(12 * S), 0).cell, Some(5));
        assert_eq!(c.entry(0).version, 2);
        // The pushed route is fresh from its arrival.
        assert!(!c.lookup(SimTime(41 * S), 0).refresh);
    }

    #[test]
    fn a_failed_refresh_keeps_the_entry_and_an_invalidated_one_parks() {
        let mut c = cache(false);
        c.begin_refresh(0);
        let kept = c.refreshed(SimTime(31 * S), 0, None);
        assert_eq!(
            (kept.cell, kept.refreshing, kept.fetched),
            (3, false, SimTime(0))
        );
        c.invalidate(0);
        assert_eq!(c.lookup(SimTime(32 * S), 0).cell, None);
    }

    #[test]
    fn warm_entries_are_staggered_within_the_ttl() {
        let mut c = RouteCache::new(64, SimDuration(40 * S), false, SimDuration::ZERO);
        let now = SimTime(1000 * S);
        let mut fetched: Vec<u64> = (0..64)
            .map(|t| {
                c.warm(now, t, 0, 1);
                c.entry(t).fetched.as_nanos()
            })
            .collect();
        assert!(fetched.iter().all(|&f| f + 40 * S > now.as_nanos()));
        fetched.sort();
        fetched.dedup();
        assert!(fetched.len() > 60, "not all at once: {}", fetched.len());
    }
}

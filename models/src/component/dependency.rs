//! A shared dependency with finite capacity: a service every cell calls (a global search or
//! auth service, a shared cache, a third-party LLM provider behind a proxy).
//!
//! A [`Dependency`] is either a pool of `servers` (a multi-server FIFO queue with a bounded
//! waiting line) or a provider that starts at most `rate` calls per second (calls are paced:
//! each takes the next free start slot, and the slots booked ahead are its waiting line).
//! In front of it, optional per-tenant quotas: a token bucket of calls per second and a
//! budget of calls per fixed period (tokens per day). A call is decided at once
//! ([`Dependency::call`]): refused by the caller's own quota ([`Decision::Quota`]), refused
//! because the waiting line is full ([`Decision::Busy`]), started, or queued.
//!
//! Guarantees: `busy ≤ servers` and `waiting ≤ queue_limit` at all times; calls start in
//! the order they were queued; a quota refusal costs the dependency nothing (it is decided
//! before the call takes a place) and charges only the caller's tenant; the caller's
//! `timeout` bounds a call from its start at the dependency: a queued call whose wait
//! already exceeds it is handed back as [`Next::Expired`] when its turn comes, and a started
//! call is answered (or abandoned by the caller) at most `timeout` after it was made (see
//! [`Dependency::answer_at`]). The component never draws random numbers: the caller samples
//! service times from its own streams, so a tenant's draws do not depend on anyone else.
//! Like every component it knows tenants only by index.

use sim::{SimDuration, SimTime};
use std::collections::VecDeque;

/// How much work the dependency can do.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Capacity {
    /// At most this many calls in service at once.
    Servers(u32),
    /// At most this many calls started per second (paced, one every `1/rate`).
    Rate(f64),
}

/// A per-tenant budget of calls per fixed period (e.g. 5,000 per day).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeriodQuota {
    /// Calls a tenant may make per period.
    pub calls: u64,
    /// The period (fixed windows from t = 0).
    pub period: SimDuration,
}

/// How a dependency is built (plain settings, no scenario).
#[derive(Clone, Debug, PartialEq)]
pub struct DependencySettings {
    /// Servers or rate.
    pub capacity: Capacity,
    /// Most calls waiting (servers: queued; rate: start slots booked ahead).
    pub queue_limit: u32,
    /// The caller's timeout per call, from the moment it is made.
    pub timeout: SimDuration,
    /// Per-tenant calls per second (a token bucket with a burst of one second's worth).
    pub tenant_rate: Option<f64>,
    /// Per-tenant calls per period.
    pub tenant_quota: Option<PeriodQuota>,
    /// Tenants of the run (quota state is per tenant index).
    pub tenants: usize,
}

/// Why a call was refused at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Started now (servers) or at `at` (rate: its paced start slot); the caller samples its
    /// service time and asks [`Dependency::answer_at`] when it ends.
    Start {
        /// When the call starts being served.
        at: SimTime,
    },
    /// Waiting for a server; handed out later by [`Dependency::finish`].
    Queued,
    /// The tenant's own quota (per second or per period) is spent.
    Quota,
    /// The waiting line is full.
    Busy,
}

/// What a freed server does next ([`Dependency::finish`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Nothing is waiting.
    Idle,
    /// Serve this queued call now (the server stays busy).
    Start {
        /// The caller's token.
        token: u64,
        /// When the call was made (its timeout runs from then).
        made: SimTime,
    },
    /// This queued call waited past its timeout: answer it as timed out, and ask again.
    Expired(u64),
}

/// Counters of one dependency, for the summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DependencyCounts {
    /// Calls made (including refused ones).
    pub calls: u64,
    /// Calls refused by a tenant's quota.
    pub quota_refused: u64,
    /// Calls refused because the waiting line was full.
    pub busy_refused: u64,
    /// Calls that hit the timeout (waiting or in service).
    pub timed_out: u64,
}

/// One shared dependency's runtime state.
pub struct Dependency {
    capacity: Capacity,
    queue_limit: usize,
    timeout: SimDuration,
    busy: u32,
    /// Queued calls (servers mode): (caller's token, when queued).
    waiting: VecDeque<(u64, SimTime)>,
    /// Rate mode: the next free start slot, and the gap between slots in ns.
    next_slot: SimTime,
    gap_ns: u64,
    tenant_rate: Option<f64>,
    /// Per tenant: bucket tokens and when they were last topped up (empty without a rate).
    tokens: Vec<(f64, SimTime)>,
    tenant_quota: Option<PeriodQuota>,
    /// Per tenant: (period index, calls used in it) (empty without a period quota).
    used: Vec<(u64, u64)>,
    /// Counters.
    pub counts: DependencyCounts,
}

impl Dependency {
    /// An idle dependency with every quota full.
    pub fn new(s: &DependencySettings) -> Dependency {
        let gap_ns = match s.capacity {
            Capacity::Rate(r) if r > 0.0 => (1e9 / r).max(1.0) as u64,
            Capacity::Rate(_) | Capacity::Servers(_) => 0,
        };
        let burst = s.tenant_rate.map(|r| r.max(1.0)).unwrap_or(0.0);
        Dependency {
            capacity: s.capacity,
            queue_limit: s.queue_limit as usize,
            timeout: s.timeout,
            busy: 0,
            waiting: VecDeque::new(),
            next_slot: SimTime::ZERO,
            gap_ns,
            tenant_rate: s.tenant_rate,
            tokens: if s.tenant_rate.is_some() {
                vec![(burst, SimTime::ZERO); s.tenants]
            } else {
                Vec::new()
            },
            tenant_quota: s.tenant_quota,
            used: if s.tenant_quota.is_some() {
                vec![(0, 0); s.tenants]
            } else {
                Vec::new()
            },
            counts: DependencyCounts::default(),
        }
    }

    /// Tenant `t` makes a call at `now`; `token` names it to the caller (returned by
    /// [`Dependency::finish`] if it has to wait).
    pub fn call(&mut self, now: SimTime, t: u32, token: u64) -> Decision {
        self.counts.calls += 1;
        if !self.quota_allows(now, t) {
            self.counts.quota_refused += 1;
            return Decision::Quota;
        }
        match self.capacity {
            Capacity::Servers(n) => {
                if self.busy < n {
                    self.busy += 1;
                    return Decision::Start { at: now };
                }
                if self.waiting.len() >= self.queue_limit {
                    self.counts.busy_refused += 1;
                    return Decision::Busy;
                }
                self.waiting.push_back((token, now));
                Decision::Queued
            }
            Capacity::Rate(_) => {
                let at = self.next_slot.max(now);
                let ahead = (at.since(now).as_nanos()) / self.gap_ns.max(1);
                if ahead as usize > self.queue_limit {
                    self.counts.busy_refused += 1;
                    return Decision::Busy;
                }
                self.next_slot = at.after(SimDuration(self.gap_ns));
                Decision::Start { at }
            }
        }
    }

    /// Spends one call of tenant `t`'s quotas, if both allow it (a refused call spends none).
    fn quota_allows(&mut self, now: SimTime, t: u32) -> bool {
        let mut period_slot = None;
        if let Some(q) = self.tenant_quota {
            let p = now.as_nanos() / q.period.as_nanos().max(1);
            let u = &mut self.used[t as usize];
            if u.0 != p {
                *u = (p, 0);
            }
            if u.1 >= q.calls {
                return false;
            }
            period_slot = Some(t as usize);
        }
        if let Some(rate) = self.tenant_rate {
            let burst = rate.max(1.0);
            let (tokens, last) = &mut self.tokens[t as usize];
            *tokens = (*tokens + now.since(*last).as_nanos() as f64 * rate / 1e9).min(burst);
            *last = now;
            if *tokens < 1.0 {
                return false;
            }
            *tokens -= 1.0;
        }
        if let Some(i) = period_slot {
            self.used[i].1 += 1;
        }
        true
    }

    /// When a call started at `start`, made at `made`, with `service` of work, is answered,
    /// and whether in time: the caller gives up (and the dependency drops the call) at
    /// `made + timeout`, also when its paced start slot lies beyond that (rate mode; the slot
    /// stays spent). Never before `made`.
    pub fn answer_at(
        &self,
        made: SimTime,
        start: SimTime,
        service: SimDuration,
    ) -> (SimTime, bool) {
        let done = start.after(service);
        let deadline = made.after(self.timeout);
        if done <= deadline {
            (done, true)
        } else {
            (deadline, false)
        }
    }

    /// A call in service ended at `now` (servers mode: its server is free). Returns what the
    /// server does next; call again after [`Next::Expired`].
    pub fn finish(&mut self, now: SimTime) -> Next {
        if let Capacity::Rate(_) = self.capacity {
            return Next::Idle;
        }
        self.busy -= 1;
        self.take_next(now)
    }

    /// The next queued call for a free server, if any.
    fn take_next(&mut self, now: SimTime) -> Next {
        let Some((token, queued)) = self.waiting.pop_front() else {
            return Next::Idle;
        };
        if now.since(queued) >= self.timeout {
            self.counts.timed_out += 1;
            return Next::Expired(token);
        }
        self.busy += 1;
        Next::Start {
            token,
            made: queued,
        }
    }

    /// The caller of a started call gave up at its deadline (the `false` of
    /// [`Dependency::answer_at`], counted when it happens, so a call still running at the end
    /// of a run is not counted).
    pub fn caller_gave_up(&mut self) {
        self.counts.timed_out += 1;
    }

    /// After [`Next::Expired`]: the next queued call for the same free server.
    pub fn next_after_expired(&mut self, now: SimTime) -> Next {
        self.take_next(now)
    }

    /// Calls in service now (servers mode; 0 in rate mode).
    pub fn busy(&self) -> u32 {
        self.busy
    }

    /// Calls waiting now (servers mode; 0 in rate mode).
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

#[cfg(test)]
mod tests {
    //! Goal: a dependency's decisions follow its capacity, waiting line, timeout and quotas
    //! exactly. Method: build one from plain settings and drive calls at chosen instants,
    //! checking each decision and counter.
    use super::*;

    const MS: u64 = 1_000_000;

    fn settings(capacity: Capacity, queue_limit: u32) -> DependencySettings {
        DependencySettings {
            capacity,
            queue_limit,
            timeout: SimDuration(100 * MS),
            tenant_rate: None,
            tenant_quota: None,
            tenants: 2,
        }
    }

    #[test]
    fn servers_queue_then_refuse_and_hand_over_in_order() {
        // 1 server, 2 waiting places: start, queue, queue, refuse; a finished call hands the
        // server to the first queued one; a call that waited past the timeout expires.
        let mut d = Dependency::new(&settings(Capacity::Servers(1), 2));
        let t0 = SimTime::ZERO;
        assert_eq!(d.call(t0, 0, 10), Decision::Start { at: t0 });
        assert_eq!(d.call(t0, 1, 11), Decision::Queued);
        assert_eq!(d.call(t0, 1, 12), Decision::Queued);
        assert_eq!(d.call(t0, 0, 13), Decision::Busy);
        assert_eq!((d.busy(), d.waiting()), (1, 2));
        assert_eq!(
            d.finish(SimTime(50 * MS)),
            Next::Start {
                token: 11,
                made: t0
            }
        );
        assert_eq!(d.finish(SimTime(150 * MS)), Next::Expired(12));
        assert_eq!(d.next_after_expired(SimTime(150 * MS)), Next::Idle);
        assert_eq!(d.busy(), 0);
        assert_eq!(
            d.counts,
            DependencyCounts {
                calls: 4,
                quota_refused: 0,
                busy_refused: 1,
                timed_out: 1
            }
        );
    }

    #[test]
    fn rate_paces_starts_and_bounds_the_slots_booked_ahead() {
        // 10 calls/s: starts 100 ms apart; with 2 slots allowed ahead the 4th call at t = 0
        // is refused; the answer comes at min(start + service, made + timeout).
        let mut d = Dependency::new(&settings(Capacity::Rate(10.0), 2));
        let t0 = SimTime::ZERO;
        let starts: Vec<Decision> = (0..4).map(|i| d.call(t0, 0, i)).collect();
        assert_eq!(
            starts,
            vec![
                Decision::Start { at: t0 },
                Decision::Start {
                    at: SimTime(100 * MS)
                },
                Decision::Start {
                    at: SimTime(200 * MS)
                },
                Decision::Busy
            ]
        );
        assert_eq!(
            d.answer_at(t0, SimTime(100 * MS), SimDuration(MS)),
            (SimTime(100 * MS), false)
        );
        assert_eq!(
            d.answer_at(t0, SimTime(50 * MS), SimDuration(10 * MS)),
            (SimTime(60 * MS), true)
        );
        assert_eq!(
            d.answer_at(t0, SimTime(300 * MS), SimDuration(MS)),
            (SimTime(100 * MS), false),
            "a slot beyond the deadline: the caller gives up at the deadline"
        );
        assert_eq!(d.finish(SimTime(1)), Next::Idle);
    }

    #[test]
    fn quotas_charge_only_their_tenant_and_refill() {
        // Tenant 0 has 3 calls per 1 s period and 2 calls/s: the third call at t = 0 is
        // refused by the rate, the fourth call (t = 1 s, after refill) by the period budget
        // only once 3 are spent; tenant 1 is never refused; a new period restores the budget.
        let mut s = settings(Capacity::Servers(100), 10);
        s.tenant_rate = Some(2.0);
        s.tenant_quota = Some(PeriodQuota {
            calls: 3,
            period: SimDuration::from_secs(1),
        });
        let mut d = Dependency::new(&s);
        let t0 = SimTime::ZERO;
        assert!(matches!(d.call(t0, 0, 0), Decision::Start { .. }));
        assert!(matches!(d.call(t0, 0, 1), Decision::Start { .. }));
        assert_eq!(d.call(t0, 0, 2), Decision::Quota);
        assert!(matches!(d.call(t0, 1, 3), Decision::Start { .. }));
        let t = SimTime(900 * MS);
        assert!(matches!(d.call(t, 0, 4), Decision::Start { .. }));
        assert_eq!(d.call(t, 0, 5), Decision::Quota, "3 per period spent");
        let t = SimTime(1_900 * MS);
        assert!(matches!(d.call(t, 0, 6), Decision::Start { .. }));
        assert_eq!(d.counts.quota_refused, 2);
    }
}

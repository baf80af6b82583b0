//! The edge part: per-tenant admission in front of the cells.
//!
//! An [`Edge`] owns the state the edge keeps for each tenant (a token bucket, an in-flight
//! counter against a concurrency cap, the suspension flag of the config it holds) and the
//! platform-wide admission counter. [`Edge::admit`] decides on one attempt and returns the
//! decision ([`Admission`]); it never calls back into the platform, which maps a refusal to
//! an outcome. An admitted attempt is counted until [`Edge::release`].
//!
//! Guarantees: checks run in a fixed order (concurrency cap, then token bucket, then
//! admission control), so a refusal by the bucket has taken no token and a refusal by
//! admission control has taken one (as the platform always did); counters never go
//! negative for balanced `admit`/`release` calls. Built from plain [`EdgeSettings`], no
//! scenario needed.

use crate::component::outcome::{Cause, Outcome};
use crate::component::token_bucket::TokenBucket;
use sim::{SimDuration, SimTime};

/// How the edge treats one tenant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdgeSettings {
    /// Token bucket rate in requests per second (`None`: unlimited).
    pub rate_limit: Option<f64>,
    /// Token bucket size.
    pub burst: u32,
    /// Attempts of this tenant in flight at once (`None`: no cap).
    pub max_concurrency: Option<u32>,
}

/// Why the edge refused an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The tenant's concurrency cap is reached (429).
    Concurrency,
    /// The tenant's token bucket is empty (429 with Retry-After).
    RateLimited,
    /// Admission control: the platform has its maximum of attempts in flight (503).
    Admission,
}

impl Refusal {
    /// The outcome the client sees.
    #[inline]
    pub fn outcome(self) -> Outcome {
        match self {
            Refusal::Concurrency | Refusal::RateLimited => Outcome::Rejected,
            Refusal::Admission => Outcome::Failed(Cause::Admission),
        }
    }
}

/// The edge's decision on one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Admitted: counted in flight until [`Edge::release`].
    Admit,
    /// Refused; `retry_after` is set when the token bucket knows when a token will be back.
    Reject {
        /// Why.
        cause: Refusal,
        /// The Retry-After to send, if any.
        retry_after: Option<SimDuration>,
    },
}

/// Per-tenant runtime state at the edge.
#[derive(Clone, Debug)]
struct EdgeTenant {
    bucket: TokenBucket,
    in_flight: u32,
    max_concurrency: u32,
    /// The edge holds a config saying the tenant is suspended.
    suspended: bool,
}

/// The edge: per-tenant limits and platform-wide admission control.
#[derive(Clone, Debug)]
pub struct Edge {
    tenants: Vec<EdgeTenant>,
    max_in_flight: Option<u32>,
    in_flight: u32,
}

impl Edge {
    /// An edge for tenants `0..` with these settings, admitting at most `max_in_flight`
    /// attempts platform-wide (`None`: no admission control).
    pub fn new(
        tenants: impl IntoIterator<Item = EdgeSettings>,
        max_in_flight: Option<u32>,
    ) -> Edge {
        Edge {
            tenants: tenants
                .into_iter()
                .map(|s| EdgeTenant {
                    bucket: match s.rate_limit {
                        Some(r) => TokenBucket::new(r, s.burst),
                        None => TokenBucket::unlimited(),
                    },
                    in_flight: 0,
                    max_concurrency: s.max_concurrency.unwrap_or(u32::MAX),
                    suspended: false,
                })
                .collect(),
            max_in_flight,
            in_flight: 0,
        }
    }

    /// Decides on one attempt of tenant `t` at `now`; an admitted attempt is counted.
    #[inline]
    pub fn admit(&mut self, now: SimTime, t: u32) -> Admission {
        let e = &mut self.tenants[t as usize];
        if e.in_flight >= e.max_concurrency {
            return Admission::Reject {
                cause: Refusal::Concurrency,
                retry_after: None,
            };
        }
        if let Err(retry_after) = e.bucket.try_take(now) {
            return Admission::Reject {
                cause: Refusal::RateLimited,
                retry_after: Some(retry_after),
            };
        }
        if self.max_in_flight.is_some_and(|max| self.in_flight >= max) {
            return Admission::Reject {
                cause: Refusal::Admission,
                retry_after: None,
            };
        }
        e.in_flight += 1;
        self.in_flight += 1;
        Admission::Admit
    }

    /// An admitted attempt of tenant `t` ended.
    #[inline]
    pub fn release(&mut self, t: u32) {
        self.in_flight -= 1;
        self.tenants[t as usize].in_flight -= 1;
    }

    /// The edge's config says tenant `t` is suspended.
    #[inline]
    pub fn suspended(&self, t: u32) -> bool {
        self.tenants[t as usize].suspended
    }

    /// Applies a tenant config the edge received: new limits (from `now`) and suspension.
    pub fn apply_config(
        &mut self,
        now: SimTime,
        t: u32,
        rate: Option<f64>,
        burst: u32,
        suspended: bool,
    ) {
        let e = &mut self.tenants[t as usize];
        match rate {
            Some(r) => e.bucket.set_limits(now, r, burst.max(1)),
            None => e.bucket.set_unlimited(now),
        }
        e.suspended = suspended;
    }

    /// Attempts in flight, platform-wide.
    #[inline]
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }

    /// Attempts of tenant `t` in flight.
    #[inline]
    pub fn tenant_in_flight(&self, t: u32) -> u32 {
        self.tenants[t as usize].in_flight
    }
}

#[cfg(test)]
mod tests {
    //! Goal: the edge part decides alone, from plain settings (no scenario, no TOML).
    //! Method: build an `Edge` directly, drive `admit`/`release` at chosen instants and
    //! check each decision and its Retry-After against the arithmetic of the settings.
    use super::*;

    const S: u64 = 1_000_000_000;

    fn one(rate: Option<f64>, burst: u32, conc: Option<u32>) -> EdgeSettings {
        EdgeSettings {
            rate_limit: rate,
            burst,
            max_concurrency: conc,
        }
    }

    fn reject(cause: Refusal, retry_after: Option<SimDuration>) -> Admission {
        Admission::Reject { cause, retry_after }
    }

    #[test]
    fn burst_then_429_with_retry_after() {
        // 10/s, burst 3: three admitted at t=0, the fourth waits exactly 100 ms for a token.
        let mut e = Edge::new([one(Some(10.0), 3, None)], None);
        for _ in 0..3 {
            assert_eq!(e.admit(SimTime::ZERO, 0), Admission::Admit);
        }
        assert_eq!(
            e.admit(SimTime::ZERO, 0),
            reject(Refusal::RateLimited, Some(SimDuration(S / 10)))
        );
        assert_eq!(Refusal::RateLimited.outcome(), Outcome::Rejected);
        // Half-way through the refill, half the wait is left.
        assert_eq!(
            e.admit(SimTime(S / 20), 0),
            reject(Refusal::RateLimited, Some(SimDuration(S / 20)))
        );
        assert_eq!(e.in_flight(), 3);
    }

    #[test]
    fn bucket_refills_over_time_up_to_burst() {
        // 2/s, burst 2: drained at 0; after 1 s two tokens are back, not more (burst caps).
        let mut e = Edge::new([one(Some(2.0), 2, None)], None);
        assert_eq!(e.admit(SimTime::ZERO, 0), Admission::Admit);
        assert_eq!(e.admit(SimTime::ZERO, 0), Admission::Admit);
        assert!(matches!(
            e.admit(SimTime::ZERO, 0),
            Admission::Reject { .. }
        ));
        let later = SimTime(10 * S);
        assert_eq!(e.admit(later, 0), Admission::Admit);
        assert_eq!(e.admit(later, 0), Admission::Admit);
        assert_eq!(
            e.admit(later, 0),
            reject(Refusal::RateLimited, Some(SimDuration(S / 2)))
        );
    }

    #[test]
    fn concurrency_cap_counts_in_flight_and_release_frees_it() {
        // Unlimited rate, at most 2 in flight for tenant 0; tenant 1 is not affected.
        let mut e = Edge::new([one(None, 0, Some(2)), one(None, 0, None)], None);
        assert_eq!(e.admit(SimTime::ZERO, 0), Admission::Admit);
        assert_eq!(e.admit(SimTime::ZERO, 0), Admission::Admit);
        assert_eq!(
            e.admit(SimTime::ZERO, 0),
            reject(Refusal::Concurrency, None)
        );
        assert_eq!(e.admit(SimTime::ZERO, 1), Admission::Admit);
        assert_eq!(e.tenant_in_flight(0), 2);
        e.release(0);
        assert_eq!(e.tenant_in_flight(0), 1);
        assert_eq!(e.admit(SimTime::ZERO, 0), Admission::Admit);
        assert_eq!(e.in_flight(), 3);
    }

    #[test]
    fn admission_control_503_after_taking_a_token() {
        // At most 2 in flight platform-wide across two tenants; the third is a 503
        // (Failed(Admission)), and it has already taken its tenant's token.
        let mut e = Edge::new([one(Some(1.0), 2, None), one(None, 0, None)], Some(2));
        assert_eq!(e.admit(SimTime::ZERO, 0), Admission::Admit);
        assert_eq!(e.admit(SimTime::ZERO, 1), Admission::Admit);
        assert_eq!(e.admit(SimTime::ZERO, 0), reject(Refusal::Admission, None));
        assert_eq!(
            Refusal::Admission.outcome(),
            Outcome::Failed(Cause::Admission)
        );
        e.release(1);
        // The token went with the refused attempt: tenant 0's bucket is empty now.
        assert!(matches!(
            e.admit(SimTime::ZERO, 0),
            Admission::Reject {
                cause: Refusal::RateLimited,
                ..
            }
        ));
        assert_eq!(e.admit(SimTime::ZERO, 1), Admission::Admit);
    }

    #[test]
    fn config_changes_limits_and_suspension() {
        // A pushed config lifts the limit and suspends; the suspension is only reported
        // (the platform refuses), the new limits apply from the change.
        let mut e = Edge::new([one(Some(1.0), 1, None)], None);
        assert_eq!(e.admit(SimTime::ZERO, 0), Admission::Admit);
        assert!(matches!(
            e.admit(SimTime::ZERO, 0),
            Admission::Reject { .. }
        ));
        assert!(!e.suspended(0));
        e.apply_config(SimTime::ZERO, 0, None, 0, true);
        assert!(e.suspended(0));
        assert_eq!(e.admit(SimTime::ZERO, 0), Admission::Admit);
    }
}

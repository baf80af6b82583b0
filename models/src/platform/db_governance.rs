//! Per-tenant DB governance on the request path (`[db_governance]`).
//!
//! ```text
//!  query ─▶ tenant at its concurrency limit, or its statements/s budget spent
//!        │      ─▶ 503 `db_throttled` (that tenant alone; nothing reaches the DB)
//!        └─▶ DB, under the tenant's tier's statement timeout ─▶ (too long) 5xx `db_timeout`
//! ```
//!
//! Each tenant's limits are its tier's. The concurrency count is the tenant's queries at a
//! DB (running or waiting for a connection; a bulkhead's line counts too), taken when the
//! query is admitted and given back exactly once when it ends or its attempt does. The
//! statement budget is a token bucket per tenant (burst one second's worth). Neither draws
//! a random number. A scenario without `[db_governance]` builds an inert [`GovRt`], checked
//! only behind the bulkheads' branch.

use super::{Ev, Platform};
use crate::component::outcome::{Cause, Outcome};
use crate::component::slab::Id;
use crate::component::token_bucket::TokenBucket;
use crate::population::Population;
use crate::scenario::Scenario;
use sim::{EventQueue, SimDuration, SimTime};

/// The DB limits of a run, per tenant.
pub struct GovRt {
    /// Whether any tenant is limited.
    pub on: bool,
    concurrency: Vec<u32>,
    buckets: Vec<Option<TokenBucket>>,
    timeout: Vec<Option<SimDuration>>,
    in_db: Vec<u32>,
    /// Queries refused `db_throttled`.
    pub throttled: u64,
    /// DB CPU budgets (`db_budget.rs`; inert without `cpu_budget`).
    pub budget: super::db_budget::BudgetRt,
}

impl GovRt {
    /// The limits of `sc` for the tenants of `pop` (none: inert).
    pub fn build(sc: &Scenario, pop: &Population) -> GovRt {
        let g = &sc.db_governance;
        if !g.any() && !super::cell_config_ttl::needs_governance(sc) {
            return GovRt {
                on: false,
                concurrency: Vec::new(),
                buckets: Vec::new(),
                timeout: Vec::new(),
                in_db: Vec::new(),
                throttled: 0,
                budget: super::db_budget::BudgetRt::build(sc, pop),
            };
        }
        let none = crate::scenario::db_governance::DbLimits::default();
        let lim = |t: &crate::population::Tenant| g.per_tier.get(t.tier).unwrap_or(&none);
        GovRt {
            on: true,
            concurrency: pop
                .tenants
                .iter()
                .map(|t| lim(t).concurrency.unwrap_or(u32::MAX))
                .collect(),
            buckets: pop
                .tenants
                .iter()
                .map(|t| {
                    lim(t)
                        .statements_per_sec
                        .map(|r| TokenBucket::new(r, (libm::ceil(r) as u32).max(1)))
                })
                .collect(),
            timeout: pop
                .tenants
                .iter()
                .map(|t| lim(t).statement_timeout)
                .collect(),
            in_db: vec![0; pop.tenants.len()],
            throttled: 0,
            budget: super::db_budget::BudgetRt::build(sc, pop),
        }
    }

    /// Tenant `t`'s statement timeout (`None`: the DB's).
    #[inline]
    pub fn timeout_of(&self, t: u32) -> Option<SimDuration> {
        if self.on {
            self.timeout[t as usize]
        } else {
            None
        }
    }

    /// Replaces tenant `t`'s concurrency limit and statement budget, returning the old ones
    /// (cell config TTLs and config rollouts; a query already counted stays counted).
    pub(super) fn swap_limits(
        &mut self,
        t: u32,
        concurrency: u32,
        bucket: Option<TokenBucket>,
    ) -> (u32, Option<TokenBucket>) {
        let t = t as usize;
        (
            std::mem::replace(&mut self.concurrency[t], concurrency),
            std::mem::replace(&mut self.buckets[t], bucket),
        )
    }

    /// Replaces tenant `t`'s concurrency limit, returning the old one.
    pub(super) fn set_concurrency(&mut self, t: u32, n: u32) -> u32 {
        std::mem::replace(&mut self.concurrency[t as usize], n)
    }

    /// Admits a query of tenant `t` (counting it) or refuses it.
    fn admit(&mut self, now: SimTime, t: u32) -> bool {
        let t = t as usize;
        if self.in_db[t] >= self.concurrency[t] {
            self.throttled += 1;
            return false;
        }
        if let Some(b) = self.buckets[t].as_mut() {
            if b.try_take(now).is_err() {
                self.throttled += 1;
                return false;
            }
        }
        self.in_db[t] += 1;
        true
    }

    /// A counted query of tenant `t` ended.
    fn release(&mut self, t: u32) {
        let n = &mut self.in_db[t as usize];
        *n = n.saturating_sub(1);
    }
}

impl Platform {
    /// Governance of an attempt's query: admitted (and counted) or ended `db_throttled`.
    /// Returns whether the query may go on.
    pub(super) fn govern_query(
        &mut self,
        now: SimTime,
        att: Id,
        t: u32,
        q: &mut EventQueue<Ev>,
    ) -> bool {
        if self.gov.admit(now, t) {
            if let Some(a) = self.attempts.get_mut(att) {
                a.governed = true;
            }
            true
        } else {
            self.end_attempt(now, att, Outcome::Failed(Cause::DbThrottled), true, q);
            false
        }
    }

    /// The governed query of `att` ended: its tenant's count goes down.
    pub(super) fn governed_query_ended(&mut self, att: Id) {
        if let Some(a) = self.attempts.get_mut(att) {
            if a.governed {
                a.governed = false;
                let t = a.tenant;
                self.gov.release(t);
            }
        }
    }

    /// An attempt that still counted a query ended.
    pub(super) fn governed_attempt_ended(&mut self, t: u32) {
        self.gov.release(t);
    }
}

//! `[db_governance]`: per-tenant database limits, for every tenant and per tier — how many
//! queries a tenant may have at its cell's DB at once, how many statements per second it
//! may start, and the statement timeout its queries run under.
//!
//! What it guarantees: every tier named is declared; concurrency and rates are above zero;
//! a timeout is above zero. A tier's own setting replaces the section's default for that
//! tier's tenants, key by key. Every mistake is reported at its file:line:column. A scenario
//! without the section gets an empty [`DbGovernance`] and the platform builds nothing for it.

use super::values::{Dur, Rate};
use super::{Checker, Tier};
use serde::Deserialize;
use sim::SimDuration;
use std::collections::BTreeMap;
use toml::Spanned;

/// One set of limits, as written (the section's defaults, or a tier's).
#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct DbLimitsConfig {
    /// Most queries a tenant has at its cell's DB at once (running or waiting for a
    /// connection); past it a query fails at once with 503 `db_throttled`.
    pub concurrency: Option<Spanned<i64>>,
    /// Statements a tenant may start per second (token bucket, burst one second's worth);
    /// past it 503 `db_throttled`.
    pub statements_per_sec: Option<Spanned<Rate>>,
    /// Queries running longer are cancelled (5xx `db_timeout`), replacing
    /// `platform.db.statement_timeout` for these tenants.
    pub statement_timeout: Option<Spanned<Dur>>,
    /// DB CPU time a tenant's statements may ask for per `cpu_window` (see
    /// `scenario::db_budget`).
    pub cpu_budget: Option<Spanned<Dur>>,
    /// The window `cpu_budget` is counted over (default 1s).
    pub cpu_window: Option<Spanned<Dur>>,
    /// Past the budget: `refuse` (503 `db_throttled`, the default) or `delay` (to the next
    /// window).
    pub cpu_policy: Option<Spanned<String>>,
}

/// `[db_governance]`, as written.
#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct DbGovernanceConfig {
    /// Most queries a tenant has at its cell's DB at once (every tenant).
    pub concurrency: Option<Spanned<i64>>,
    /// Statements a tenant may start per second (every tenant).
    pub statements_per_sec: Option<Spanned<Rate>>,
    /// Statement timeout of every tenant's queries.
    pub statement_timeout: Option<Spanned<Dur>>,
    /// DB CPU time each tenant's statements may ask for per `cpu_window`.
    pub cpu_budget: Option<Spanned<Dur>>,
    /// The window `cpu_budget` is counted over (default 1s).
    pub cpu_window: Option<Spanned<Dur>>,
    /// Past the budget: `refuse` (default) or `delay`.
    pub cpu_policy: Option<Spanned<String>>,
    /// Limits per tier, replacing the defaults key by key.
    #[serde(default)]
    pub tiers: BTreeMap<String, DbLimitsConfig>,
}

/// Validated limits of one tier.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct DbLimits {
    /// Most queries at the DB at once per tenant.
    pub concurrency: Option<u32>,
    /// Statements per second per tenant.
    pub statements_per_sec: Option<f64>,
    /// Statement timeout.
    pub statement_timeout: Option<SimDuration>,
    /// DB CPU budget per window (`scenario::db_budget`).
    pub cpu_budget: Option<super::db_budget::CpuBudget>,
}

impl DbLimits {
    /// Whether it limits anything.
    pub fn any(&self) -> bool {
        self.concurrency.is_some()
            || self.statements_per_sec.is_some()
            || self.statement_timeout.is_some()
            || self.cpu_budget.is_some()
    }
}

/// The DB limits per tier (empty: no governance).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct DbGovernance {
    /// Indexed like `Scenario::tiers` (empty when the section limits nothing).
    pub per_tier: Vec<DbLimits>,
}

impl DbGovernance {
    /// Whether any tier is limited.
    pub fn any(&self) -> bool {
        !self.per_tier.is_empty()
    }
}

fn limits(c: &mut Checker, raw: &DbLimitsConfig, who: &str, base: &DbLimits) -> DbLimits {
    DbLimits {
        concurrency: match &raw.concurrency {
            Some(n) => Some(c.count(n, 1, 1_000_000, &format!("{who}.concurrency"))),
            None => base.concurrency,
        },
        statements_per_sec: match &raw.statements_per_sec {
            Some(r) => {
                let v = r.get_ref().0;
                if !(v > 0.0 && v.is_finite()) {
                    c.err(
                        r.span(),
                        format!("{who}.statements_per_sec is {v}/s; it must be above 0 (leave it out for no budget)"),
                    );
                }
                Some(v)
            }
            None => base.statements_per_sec,
        },
        statement_timeout: match &raw.statement_timeout {
            Some(t) => {
                if t.get_ref().0 == SimDuration::ZERO {
                    c.err(
                        t.span(),
                        format!("{who}.statement_timeout is zero; every query would be cancelled — use e.g. \"500ms\""),
                    );
                }
                Some(t.get_ref().0)
            }
            None => base.statement_timeout,
        },
        cpu_budget: super::db_budget::cpu_budget(c, raw, who, base.cpu_budget),
    }
}

/// Validates `[db_governance]` against the declared tiers.
pub(super) fn db_governance(
    c: &mut Checker,
    raw: &Option<Spanned<DbGovernanceConfig>>,
    tiers: &[Tier],
) -> DbGovernance {
    let Some(raw) = raw else {
        return DbGovernance::default();
    };
    let span = raw.span();
    let raw = raw.get_ref();
    let all = DbLimitsConfig {
        concurrency: raw.concurrency.clone(),
        statements_per_sec: raw.statements_per_sec.clone(),
        statement_timeout: raw.statement_timeout.clone(),
        cpu_budget: raw.cpu_budget.clone(),
        cpu_window: raw.cpu_window.clone(),
        cpu_policy: raw.cpu_policy.clone(),
    };
    let all = limits(c, &all, "db_governance", &DbLimits::default());
    let mut per_tier = vec![all; tiers.len()];
    for (name, t) in &raw.tiers {
        match tiers.iter().position(|x| x.name == *name) {
            Some(i) => {
                let base = per_tier[i].clone();
                per_tier[i] = limits(c, t, &format!("db_governance.tiers.{name}"), &base);
            }
            None => c.err(
                span.clone(),
                format!(
                    "db_governance.tiers.{name}: no tier `{name}` (tiers: {})",
                    tiers
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }
    if per_tier.iter().any(DbLimits::any) {
        DbGovernance { per_tier }
    } else {
        DbGovernance::default()
    }
}

#[cfg(test)]
mod tests {
    //! Goal: impossible DB limits are refused with their file:line:column; a tier's setting
    //! replaces the default for that tier only. Method: load small scenarios and check the
    //! validated limits or the first error.
    use crate::scenario::load_str;
    use sim::SimDuration;

    const BASE: &str = "version = 1\nduration = \"10s\"\n[[tenants]]\nid = \"a\"\nrate = \"1/s\"\n";

    fn error(extra: &str) -> (usize, String) {
        let text = format!("{BASE}{extra}");
        let e = load_str("t.toml", &text, &[]).expect_err("refused");
        (e.0[0].line, e.0[0].message.clone())
    }

    #[test]
    fn tiers_replace_the_default_key_by_key() {
        let text = format!(
            "{BASE}[db_governance]\nconcurrency = 8\nstatement_timeout = \"2s\"\n[db_governance.tiers.bronze]\nconcurrency = 2\nstatements_per_sec = \"50/s\"\n"
        );
        let sc = load_str("t.toml", &text, &[]).unwrap_or_else(|e| panic!("{e}"));
        let g = &sc.db_governance;
        let bronze = sc
            .tiers
            .iter()
            .position(|t| t.name == "bronze")
            .expect("bronze");
        let gold = sc
            .tiers
            .iter()
            .position(|t| t.name == "gold")
            .expect("gold");
        assert_eq!(g.per_tier[bronze].concurrency, Some(2));
        assert_eq!(g.per_tier[bronze].statements_per_sec, Some(50.0));
        assert_eq!(
            g.per_tier[bronze].statement_timeout,
            Some(SimDuration::from_secs(2))
        );
        assert_eq!(g.per_tier[gold].concurrency, Some(8));
        assert_eq!(g.per_tier[gold].statements_per_sec, None);
    }

    #[test]
    fn impossible_limits_are_refused_where_written() {
        let (line, msg) = error("[db_governance]\nconcurrency = 0\n");
        assert_eq!(line, 7, "{msg}");
        assert!(msg.contains("concurrency is 0"), "{msg}");
        let (line, msg) = error("[db_governance.tiers.gold]\nstatements_per_sec = \"0/s\"\n");
        assert_eq!(line, 7, "{msg}");
        assert!(msg.contains("above 0"), "{msg}");
        let (line, msg) = error("[db_governance.tiers.gold]\nstatement_timeout = \"0s\"\n");
        assert_eq!(line, 7, "{msg}");
        assert!(msg.contains("statement_timeout is zero"), "{msg}");
        let (_, msg) = error("[db_governance.tiers.golden]\nconcurrency = 1\n");
        assert!(msg.contains("no tier `golden`"), "{msg}");
    }
}

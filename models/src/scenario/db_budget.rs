//! A tenant's DB CPU budget, in `[db_governance]` and `[db_governance.tiers.NAME]`: how much
//! DB CPU time its statements may ask for per window, and what happens past it.
//!
//! ```toml
//! [db_governance]
//! cpu_budget = "500ms"     # DB CPU time per tenant per window (a statement's db_time)
//! cpu_window = "1s"        # fixed windows from t = 0 (default 1s)
//! cpu_policy = "refuse"    # refuse: 503 `db_throttled`; delay: wait for the next window
//! ```
//!
//! A statement is admitted when the tenant has spent nothing in the window yet, or when its
//! own work fits in what is left of the budget; it is then charged its work. Past it, it is
//! refused or delayed to the next window by `cpu_policy` (`platform::db_budget`).
//!
//! What it guarantees: a budget and a window are above zero; a window or a policy without
//! a budget is refused (a budget of nothing per something); the policy is one of the two;
//! a tier's keys replace the section's key by key; every mistake at its file:line:column.

use super::db_governance::DbLimitsConfig;
use super::{suggest, Checker};
use sim::SimDuration;

/// A validated DB CPU budget.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CpuBudget {
    /// DB CPU time per window.
    pub budget: SimDuration,
    /// The window (fixed, from t = 0).
    pub window: SimDuration,
    /// Past the budget: delay to the next window (`true`) or refuse.
    pub delay: bool,
}

/// The policies, as written.
pub const POLICIES: [&str; 2] = ["refuse", "delay"];

/// Validates the budget keys of `raw` (for `who`), starting from `base` (the section's,
/// for a tier).
pub(super) fn cpu_budget(
    c: &mut Checker,
    raw: &DbLimitsConfig,
    who: &str,
    base: Option<CpuBudget>,
) -> Option<CpuBudget> {
    let mut out = base;
    if let Some(b) = &raw.cpu_budget {
        let d = b.get_ref().0;
        if d == SimDuration::ZERO {
            c.err(
                b.span(),
                format!("{who}.cpu_budget is zero; no statement could run — use e.g. \"500ms\", or leave it out for no budget"),
            );
        }
        out = Some(CpuBudget {
            budget: d,
            window: base.map_or(SimDuration::from_secs(1), |x| x.window),
            delay: base.is_some_and(|x| x.delay),
        });
    }
    if let Some(w) = &raw.cpu_window {
        let d = w.get_ref().0;
        match out.as_mut() {
            None => c.err(
                w.span(),
                format!("{who}.cpu_window without a cpu_budget; a window needs a budget to count against"),
            ),
            Some(_) if d == SimDuration::ZERO => c.err(
                w.span(),
                format!("{who}.cpu_window is zero; a budget is counted per window, e.g. \"1s\""),
            ),
            Some(o) => o.window = d,
        }
    }
    if let Some(p) = &raw.cpu_policy {
        let name = p.get_ref().as_str();
        match (out.as_mut(), POLICIES.iter().position(|&x| x == name)) {
            (None, _) => c.err(
                p.span(),
                format!("{who}.cpu_policy without a cpu_budget; a policy needs a budget"),
            ),
            (Some(o), Some(i)) => o.delay = i == 1,
            (Some(_), None) => c.err(
                p.span(),
                format!(
                    "{who}.cpu_policy is `{name}`{}; policies are: {}",
                    suggest::hint(name, POLICIES.iter().copied()),
                    POLICIES.join(", ")
                ),
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    //! Goal: every class of mistake in the CPU budget keys is refused where it is written; a
    //! tier replaces the section's keys one by one; `--set` reaches them. Method: small
    //! scenarios; the validated budget or the first error.
    use crate::scenario::{load_str, Override};
    use sim::SimDuration;

    const BASE: &str =
        "version = 1\nduration = \"10s\"\n[[tenants]]\nid = \"a\"\ntier = \"gold\"\nrate = \"1/s\"\n";

    fn error(extra: &str) -> (usize, usize, String) {
        let e = load_str("t.toml", &format!("{BASE}{extra}"), &[]).expect_err("refused");
        (e.0[0].line, e.0[0].column, e.0[0].message.clone())
    }

    #[test]
    fn a_tier_replaces_the_budget_key_by_key_and_set_reaches_it() {
        let text = format!(
            "{BASE}[db_governance]\ncpu_budget = \"200ms\"\ncpu_window = \"2s\"\n[db_governance.tiers.gold]\ncpu_policy = \"delay\"\n"
        );
        let sc = load_str("t.toml", &text, &[]).unwrap_or_else(|e| panic!("{e}"));
        let tier = |n: &str| sc.tiers.iter().position(|t| t.name == n).expect("tier");
        let g = &sc.db_governance.per_tier;
        let gold = g[tier("gold")].cpu_budget.expect("gold budget");
        assert_eq!(gold.budget, SimDuration::from_millis(200));
        assert_eq!(gold.window, SimDuration::from_secs(2));
        assert!(gold.delay);
        let silver = g[tier("silver")].cpu_budget.expect("silver budget");
        assert!(!silver.delay);
        let set = [Override::parse("db_governance.cpu_budget=50ms").expect("flag")];
        let sc = load_str("t.toml", &text, &set).unwrap_or_else(|e| panic!("{e}"));
        let b = sc.db_governance.per_tier[tier("gold")]
            .cpu_budget
            .expect("budget");
        assert_eq!(b.budget, SimDuration::from_millis(50));
        assert_eq!(b.window, SimDuration::from_secs(2));
    }

    #[test]
    fn impossible_budgets_are_refused_where_written() {
        let (line, col, msg) = error("[db_governance]\ncpu_budget = \"0s\"\n");
        assert_eq!((line, col), (8, 14), "{msg}");
        assert!(msg.contains("cpu_budget is zero"), "{msg}");
        let (line, _, msg) = error("[db_governance]\ncpu_window = \"1s\"\n");
        assert_eq!(line, 8, "{msg}");
        assert!(msg.contains("without a cpu_budget"), "{msg}");
        let (line, _, msg) = error("[db_governance]\ncpu_budget = \"1s\"\ncpu_window = \"0s\"\n");
        assert_eq!(line, 9, "{msg}");
        assert!(msg.contains("cpu_window is zero"), "{msg}");
        let (line, _, msg) =
            error("[db_governance]\ncpu_budget = \"1s\"\ncpu_policy = \"delya\"\n");
        assert_eq!(line, 9, "{msg}");
        assert!(msg.contains("did you mean `delay`"), "{msg}");
        let (line, _, msg) = error("[db_governance.tiers.gold]\ncpu_policy = \"delay\"\n");
        assert_eq!(line, 8, "{msg}");
        assert!(
            msg.contains("tiers.gold.cpu_policy without a cpu_budget"),
            "{msg}"
        );
    }
}

//! What a `change = "config"` rollout changes beyond the edge's limits (`rate_limit`,
//! `burst`), as written and as checked:
//!
//! ```toml
//! db_concurrency = 4                        # the tenant's DB cap ([db_governance] concurrency)
//! tenant_cap = 2                            # the tenant's in-service cap at its cell's scheduler
//! scheduler = "drr"                         # the scheduler of the cells the changed tenants are on
//! flag = { name = "new-renderer", cpu_factor = 1.5 }   # a feature flag turned on
//! ```
//!
//! Each key is one [`ConfigItem`], applied to each tenant of a wave when its change starts
//! and undone by a rollback; the engine is `crate::platform::rollout_config`. A feature flag
//! is modelled by its cost: while it is on for a tenant, that tenant's requests take
//! `cpu_factor` × their CPU service time (a new code path that is slower, > 1, or faster,
//! < 1). A scheduler change is a cell's: the cell switches when the first tenant on it is
//! changed and switches back when the last of them is undone.
//!
//! **Guarantees.** Every impossible setting is a located error (file:line:column): a
//! concurrency or cap outside 1..=10⁶, an unknown scheduler (with a suggestion), a flag
//! without a name or with a factor outside (0, 1000], and a `tenant_cap` when neither the
//! platform's scheduler nor the change's honours caps (it would do nothing). Items are
//! matched exhaustively wherever they act.

use super::rollouts::{ChangeKind, Rollout, RolloutConfig};
use super::{suggest, Checker, Platform};
use crate::component::scheduler::SchedulerKind;
use serde::Deserialize;
use toml::Spanned;

/// `flag = { … }` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagConfig {
    /// The flag's name (reports and the trace).
    pub name: Spanned<String>,
    /// Factor on the CPU service time of the tenant's requests while the flag is on.
    pub cpu_factor: Spanned<f64>,
}

/// One thing a config change sets, besides the edge limits.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigItem {
    /// The tenant's DB concurrency cap (its `[db_governance]` concurrency).
    DbConcurrency(u32),
    /// The tenant's in-service cap at its cell's scheduler (`platform.tenant_cap` for it).
    TenantCap(u32),
    /// The scheduler of the cell the tenant is on.
    Scheduler(SchedulerKind),
    /// A feature flag turned on for the tenant.
    Flag {
        /// Name.
        name: String,
        /// Factor on the CPU service time of its requests.
        cpu_factor: f64,
    },
}

impl ConfigItem {
    /// The item's key as written.
    pub fn key(&self) -> &'static str {
        match self {
            ConfigItem::DbConcurrency(_) => "db_concurrency",
            ConfigItem::TenantCap(_) => "tenant_cap",
            ConfigItem::Scheduler(_) => "scheduler",
            ConfigItem::Flag { .. } => "flag",
        }
    }
}

const SCHEDULERS: [SchedulerKind; 4] = [
    SchedulerKind::Fifo,
    SchedulerKind::Drr,
    SchedulerKind::TenantCap,
    SchedulerKind::DrrCap,
];

/// The spans of the keys of this file a rollout entry gives (for refusing them under the
/// other change kinds), by key.
pub(super) fn key_spans(r: &RolloutConfig) -> [(&'static str, Option<std::ops::Range<usize>>); 4] {
    [
        (
            "db_concurrency",
            r.db_concurrency.as_ref().map(|x| x.span()),
        ),
        ("tenant_cap", r.tenant_cap.as_ref().map(|x| x.span())),
        ("scheduler", r.scheduler.as_ref().map(|x| x.span())),
        ("flag", r.flag.as_ref().map(|x| x.name.span())),
    ]
}

/// Checks the config items of each `change = "config"` rollout and sets them on the checked
/// rollouts (given in file order, one per entry of `raw`).
pub(super) fn resolve(
    c: &mut Checker,
    raw: &[RolloutConfig],
    mut rollouts: Vec<Rollout>,
    platform: &Platform,
) -> Vec<Rollout> {
    for (r, out) in raw.iter().zip(rollouts.iter_mut()) {
        let ChangeKind::Config { items, .. } = &mut out.change else {
            continue;
        };
        let at = format!("rollout `{}`", r.name.get_ref());
        if let Some(n) = &r.db_concurrency {
            items.push(ConfigItem::DbConcurrency(c.count(
                n,
                1,
                1_000_000,
                &format!("{at}: db_concurrency"),
            )));
        }
        let mut scheduler = None;
        if let Some(s) = &r.scheduler {
            match SCHEDULERS.iter().find(|k| k.name() == s.get_ref()) {
                Some(&k) => scheduler = Some(k),
                None => c.err(
                    s.span(),
                    format!(
                        "{at}: unknown scheduler `{}`{}; expected `fifo`, `drr`, `tenant_cap` or `drr_cap`",
                        s.get_ref(),
                        suggest::hint(s.get_ref(), SCHEDULERS.iter().map(|k| k.name()))
                    ),
                ),
            }
        }
        if let Some(n) = &r.tenant_cap {
            let cap = c.count(n, 1, 1_000_000, &format!("{at}: tenant_cap"));
            let honoured = scheduler.unwrap_or(platform.scheduler).honours_caps();
            if !honoured {
                c.err(
                    n.span(),
                    format!(
                        "{at}: tenant_cap would do nothing: the cells' scheduler `{}` ignores caps; use `tenant_cap` or `drr_cap` (platform.scheduler, or `scheduler` in this change)",
                        scheduler.unwrap_or(platform.scheduler).name()
                    ),
                );
            }
            items.push(ConfigItem::TenantCap(cap));
        }
        if let Some(k) = scheduler {
            items.push(ConfigItem::Scheduler(k));
        }
        if let Some(f) = &r.flag {
            let name = f.name.get_ref().trim().to_string();
            if name.is_empty() {
                c.err(f.name.span(), format!("{at}: the flag needs a name"));
            }
            let factor = *f.cpu_factor.get_ref();
            if !(factor > 0.0 && factor <= 1000.0) {
                c.err(
                    f.cpu_factor.span(),
                    format!("{at}: flag cpu_factor is {factor}; it must be in (0, 1000] (1.5 = requests cost 50% more CPU while the flag is on)"),
                );
            }
            items.push(ConfigItem::Flag {
                name,
                cpu_factor: factor,
            });
        }
    }
    rollouts
}

#[cfg(test)]
mod tests {
    use crate::scenario::load_str;

    const BASE: &str = r#"version = 1
duration = "2m"
[platform]
scheduler = "drr"
[[cohorts]]
name = "c"
count = 4
rate = "5/s"
[[rollouts]]
name = "r"
change = "config"
at = "10s"
groups = [{}]
"#;

    fn error(lines: &str) -> (usize, usize, String) {
        let text = format!("{BASE}{lines}\n");
        let e = load_str("t.toml", &text, &[]).expect_err("refused");
        let e = &e.0[0];
        (e.line, e.column, e.message.clone())
    }

    /// Goal: each class of impossible config item is an error located at the key at fault.
    /// Method: one file per class (the key on line 14); check line, column and message.
    #[test]
    fn impossible_config_items_are_located_errors() {
        let (l, col, m) = error("db_concurrency = 0");
        assert_eq!((l, col), (14, 18));
        assert!(m.contains("db_concurrency"), "{m}");
        let (l, _, m) = error("scheduler = \"dr\"");
        assert_eq!(l, 14);
        assert!(m.contains("did you mean `drr`"), "{m}");
        let (l, _, m) = error("tenant_cap = 2");
        assert_eq!(l, 14);
        assert!(m.contains("ignores caps"), "{m}");
        let (_, _, m) = error("tenant_cap = 0\nscheduler = \"drr_cap\"");
        assert!(m.contains("tenant_cap"), "{m}");
        let (l, _, m) = error("flag = { name = \"x\", cpu_factor = 0 }");
        assert_eq!(l, 14);
        assert!(m.contains("cpu_factor"), "{m}");
        let (_, _, m) = error("flag = { name = \" \", cpu_factor = 2 }");
        assert!(m.contains("needs a name"), "{m}");
        let (_, _, m) = error("flag = { name = \"x\", cpu_factr = 2 }");
        assert!(m.contains("cpu_factr"), "{m}");
        let text = BASE.replace("change = \"config\"", "change = \"migration\"");
        let e =
            load_str("t.toml", &format!("{text}scheduler = \"fifo\"\n"), &[]).expect_err("refused");
        assert!(
            e.0[0].message.contains("does not apply"),
            "{}",
            e.0[0].message
        );
        let e = load_str("t.toml", BASE, &[]).expect_err("refused");
        assert!(
            e.0[0].message.contains("changes nothing"),
            "{}",
            e.0[0].message
        );
    }

    /// Goal: valid items are kept in a fixed order, and `--set` reaches them. Method: load
    /// every key at once, then change the flag's factor with an override.
    #[test]
    fn valid_items_are_kept_and_settable() {
        use super::ConfigItem;
        use crate::component::scheduler::SchedulerKind;
        let text = format!(
            "{BASE}db_concurrency = 3\ntenant_cap = 2\nscheduler = \"drr_cap\"\nflag = {{ name = \"f\", cpu_factor = 1.5 }}\n"
        );
        let sc = load_str("t.toml", &text, &[]).unwrap();
        let crate::scenario::rollouts::ChangeKind::Config { items, .. } = &sc.rollouts[0].change
        else {
            panic!("a config change")
        };
        assert_eq!(
            items,
            &vec![
                ConfigItem::DbConcurrency(3),
                ConfigItem::TenantCap(2),
                ConfigItem::Scheduler(SchedulerKind::DrrCap),
                ConfigItem::Flag {
                    name: "f".into(),
                    cpu_factor: 1.5
                },
            ]
        );
        let o = [
            crate::scenario::overrides::Override::parse("rollouts.r.flag.cpu_factor=3").unwrap(),
        ];
        let sc = load_str("t.toml", &text, &o).unwrap();
        let crate::scenario::rollouts::ChangeKind::Config { items, .. } = &sc.rollouts[0].change
        else {
            panic!("a config change")
        };
        assert!(items.contains(&ConfigItem::Flag {
            name: "f".into(),
            cpu_factor: 3.0
        }));
    }
}

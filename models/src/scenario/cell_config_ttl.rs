//! `[control_plane.cell_config_ttl]`: how long a cell trusts the config it holds, and what it
//! does once that config has expired while it cannot reach the control plane.
//!
//! A cell's config is the DB limits it enforces for the tenants placed on it: each tenant's
//! `[db_governance]` concurrency and statements-per-second budget (its tier's, or whatever a
//! config rollout set). The control plane renews it at each heartbeat the cell gets through
//! (`heartbeat_interval`). With this table the config is versioned and trusted for `ttl` after
//! the last renewal; when the control plane stays unreachable past that, `on_expiry` says what
//! the cell enforces: `keep_last_known` (default: the last version, reported stale) or
//! `defaults` (the hard-coded safe defaults, `default_db_concurrency` and optionally
//! `default_statements_per_sec`, for every tenant on the cell — the failure where gold
//! tenants are suddenly held to the default DB limits). The engine is
//! `crate::platform::cell_config_ttl`. The edge's own TTL is [`super::config_ttl`].
//!
//! **Guarantees.** Every impossible setting is a located error (file:line:column): a zero or
//! absent `ttl`, an unknown `on_expiry` (with a suggestion), `defaults` without a
//! `default_db_concurrency`, a concurrency outside 1..=10⁶, a statement rate that is not
//! above 0, and default keys given under `keep_last_known` (they would do nothing). Without
//! the table the checked value is `None` and the platform keeps no state for it.

use super::values::{Dur, Rate};
use super::{config_ttl, suggest, Checker};
use serde::Deserialize;
use sim::SimDuration;
use toml::Spanned;

/// `[control_plane.cell_config_ttl]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CellConfigTtlConfig {
    /// How long a cell trusts its config without a heartbeat reaching the control plane
    /// (required, > 0).
    pub ttl: Option<Spanned<Dur>>,
    /// `keep_last_known` (default) or `defaults`.
    pub on_expiry: Option<Spanned<String>>,
    /// `defaults`: the DB concurrency every tenant of an expired cell falls back to (required
    /// with `defaults`).
    pub default_db_concurrency: Option<Spanned<i64>>,
    /// `defaults`: the statements per second every tenant of an expired cell falls back to
    /// (default: no statement budget).
    pub default_statements_per_sec: Option<Spanned<Rate>>,
}

/// What a cell does with its config past the TTL.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CellOnExpiry {
    /// Keep enforcing the last version (reported stale).
    KeepLastKnown,
    /// Fall back to the safe defaults for every tenant on the cell.
    Defaults {
        /// Queries a tenant may have at the DB at once.
        concurrency: u32,
        /// Statements per second a tenant may start (`None`: unlimited).
        statements_per_sec: Option<f64>,
    },
}

impl CellOnExpiry {
    /// The policy's name as written.
    pub fn name(self) -> &'static str {
        match self {
            CellOnExpiry::KeepLastKnown => "keep_last_known",
            CellOnExpiry::Defaults { .. } => "defaults",
        }
    }
}

/// Checked `[control_plane.cell_config_ttl]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CellConfigTtl {
    /// Validity of a cell's config without renewal (> 0).
    pub ttl: SimDuration,
    /// What happens past it.
    pub on_expiry: CellOnExpiry,
}

/// Checks `[control_plane.cell_config_ttl]`; `None` when absent. A missing `ttl` is reported
/// at the first key the table gives.
pub(super) fn check(c: &mut Checker, r: &Option<CellConfigTtlConfig>) -> Option<CellConfigTtl> {
    let r = r.as_ref()?;
    const AT: &str = "control_plane.cell_config_ttl";
    let first_span = r
        .ttl
        .as_ref()
        .map(|x| x.span())
        .or_else(|| r.on_expiry.as_ref().map(|x| x.span()))
        .or_else(|| r.default_db_concurrency.as_ref().map(|x| x.span()))
        .or_else(|| r.default_statements_per_sec.as_ref().map(|x| x.span()))
        .unwrap_or(0..0);
    let ttl = config_ttl::ttl_of(c, AT, &r.ttl, first_span, "a cell's config");
    let concurrency: Option<u32> = r
        .default_db_concurrency
        .as_ref()
        .map(|b| c.count(b, 1, 1_000_000, &format!("{AT}.default_db_concurrency")));
    let statements = r
        .default_statements_per_sec
        .as_ref()
        .map(|x| (x.span(), x.get_ref().0));
    config_ttl::above_zero(c, AT, "default_statements_per_sec", &statements);
    let on_expiry = match r
        .on_expiry
        .as_ref()
        .map(|s| (s.span(), s.get_ref().as_str()))
    {
        None | Some((_, "keep_last_known")) => {
            config_ttl::defaults_unused(
                c,
                AT,
                "the cell",
                [
                    (
                        "default_db_concurrency",
                        r.default_db_concurrency.as_ref().map(|x| x.span()),
                    ),
                    (
                        "default_statements_per_sec",
                        r.default_statements_per_sec.as_ref().map(|x| x.span()),
                    ),
                ],
            );
            CellOnExpiry::KeepLastKnown
        }
        Some((span, "defaults")) => match concurrency {
            None => {
                c.err(
                    span,
                    format!("{AT}: `on_expiry = \"defaults\"` needs the defaults: add `default_db_concurrency = 4`"),
                );
                CellOnExpiry::KeepLastKnown
            }
            Some(n) => CellOnExpiry::Defaults {
                concurrency: n,
                statements_per_sec: statements.map(|x| x.1),
            },
        },
        Some((span, other)) => {
            c.err(
                span,
                format!(
                    "{AT}.on_expiry is `{other}`{}; use `keep_last_known` or `defaults`",
                    suggest::hint(other, ["keep_last_known", "defaults"].into_iter())
                ),
            );
            CellOnExpiry::KeepLastKnown
        }
    };
    Some(CellConfigTtl { ttl, on_expiry })
}

#[cfg(test)]
mod tests {
    use super::super::config_ttl::test_files::{self, BASE};
    use crate::scenario::load_str;

    fn error(table: &str) -> (usize, usize, String) {
        test_files::error("control_plane.cell_config_ttl", table)
    }

    /// Goal: each class of impossible `cell_config_ttl` setting is a located error. Method:
    /// one file per class; check the line (the table starts on line 7), column and message.
    #[test]
    fn impossible_settings_are_located_errors() {
        let (l, _, m) = error("ttl = \"0s\"\n");
        assert_eq!(l, 8);
        assert!(m.contains("ttl is zero"), "{m}");
        let (l, _, m) = error("on_expiry = \"defaults\"\n");
        assert_eq!(l, 8);
        assert!(m.contains("needs a `ttl`"), "{m}");
        let (l, c, m) = error("ttl = \"1m\"\non_expiry = \"defaults\"\n");
        assert_eq!((l, c), (9, 13));
        assert!(m.contains("default_db_concurrency"), "{m}");
        let (l, _, m) = error("ttl = \"1m\"\non_expiry = \"default\"\n");
        assert_eq!(l, 9);
        assert!(m.contains("did you mean `defaults`"), "{m}");
        let (l, _, m) = error("ttl = \"1m\"\ndefault_db_concurrency = 4\n");
        assert_eq!(l, 9);
        assert!(m.contains("only applies"), "{m}");
        let (l, _, m) = error("ttl = \"1m\"\ndefault_statements_per_sec = \"5/s\"\n");
        assert_eq!(l, 9);
        assert!(m.contains("only applies"), "{m}");
        let (l, _, m) =
            error("ttl = \"1m\"\non_expiry = \"defaults\"\ndefault_db_concurrency = 0\n");
        assert_eq!(l, 10);
        assert!(m.contains("default_db_concurrency"), "{m}");
        let (l, _, m) = error(
            "ttl = \"1m\"\non_expiry = \"defaults\"\ndefault_db_concurrency = 2\ndefault_statements_per_sec = \"0/s\"\n",
        );
        assert_eq!(l, 11);
        assert!(m.contains("above 0"), "{m}");
        let (_, _, m) = error("ttl = \"1m\"\nttl_jitter = \"1s\"\n");
        assert!(m.contains("ttl_jitter"), "{m}");
    }

    /// Goal: a valid table is checked into its policy and defaults, absent means off, and the
    /// table is reachable by `--set`. Method: load a `defaults` table, a file without it,
    /// and the file with the table made by overrides.
    #[test]
    fn a_valid_table_is_kept_and_settable() {
        let text = format!(
            "{BASE}[control_plane.cell_config_ttl]\nttl = \"2m\"\non_expiry = \"defaults\"\ndefault_db_concurrency = 3\n"
        );
        let sc = load_str("t.toml", &text, &[]).unwrap();
        let t = sc.control_plane.cell_config_ttl.unwrap();
        assert_eq!(t.ttl, sim::SimDuration::from_secs(120));
        assert_eq!(
            t.on_expiry,
            super::CellOnExpiry::Defaults {
                concurrency: 3,
                statements_per_sec: None
            }
        );
        let sc = load_str("t.toml", BASE, &[]).unwrap();
        assert!(sc.control_plane.cell_config_ttl.is_none());
        let o: Vec<_> = [
            "control_plane.cell_config_ttl.ttl=30s",
            "control_plane.cell_config_ttl.on_expiry=defaults",
            "control_plane.cell_config_ttl.default_db_concurrency=2",
            "control_plane.cell_config_ttl.default_statements_per_sec=40/s",
        ]
        .iter()
        .map(|s| crate::scenario::overrides::Override::parse(s).unwrap())
        .collect();
        let sc = load_str("t.toml", BASE, &o).unwrap();
        let t = sc.control_plane.cell_config_ttl.unwrap();
        assert_eq!(t.ttl, sim::SimDuration::from_secs(30));
        assert_eq!(
            t.on_expiry,
            super::CellOnExpiry::Defaults {
                concurrency: 2,
                statements_per_sec: Some(40.0)
            }
        );
    }
}

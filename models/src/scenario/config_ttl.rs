//! `[control_plane.config_ttl]`: how long the edge trusts the tenant config it holds, and
//! what it does once that config has expired while it cannot reach the control plane.
//!
//! The edge holds each tenant's limits (rate limit, burst) as a versioned config pushed and
//! polled from the control plane (`platform/control.rs`). With this table every copy the
//! edge holds carries a TTL, renewed by each successful push or poll. When the control plane
//! stays unreachable past the TTL, `on_expiry` says what the edge does:
//! `keep_last_known` (default: it goes on enforcing the last version it saw, and reports
//! the config as stale) or `defaults` (it falls back to the hard-coded safe defaults,
//! `default_rate_limit` / `default_burst`, for every tenant — the failure where gold tenants
//! are suddenly held to the default limits). The engine is `crate::platform::config_ttl`.
//!
//! **Guarantees.** Every impossible setting is a located error (file:line:column): a zero
//! or absent `ttl`, an unknown `on_expiry`, `defaults` without a `default_rate_limit`, a
//! rate limit that is not above 0, a burst outside 1..=10⁹, and default keys given under
//! `keep_last_known` (they would do nothing). Without the table the checked value is `None`
//! and the platform keeps no TTL state.

use super::values::{Dur, Rate};
use super::Checker;
use serde::Deserialize;
use sim::SimDuration;
use toml::Spanned;

/// `[control_plane.config_ttl]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ConfigTtlConfig {
    /// How long a config copy at the edge stays valid without a successful push or poll
    /// (required, > 0).
    pub ttl: Option<Spanned<Dur>>,
    /// `keep_last_known` (default) or `defaults`.
    pub on_expiry: Option<Spanned<String>>,
    /// `defaults`: the rate limit every tenant falls back to (required with `defaults`).
    pub default_rate_limit: Option<Spanned<Rate>>,
    /// `defaults`: the burst every tenant falls back to (default: the rate's one second).
    pub default_burst: Option<Spanned<i64>>,
}

/// What the edge does with a tenant config past its TTL.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OnExpiry {
    /// Keep enforcing the last version seen (the config is reported stale).
    KeepLastKnown,
    /// Fall back to the safe defaults.
    Defaults {
        /// Rate limit per second.
        rate_limit: f64,
        /// Burst.
        burst: u32,
    },
}

impl OnExpiry {
    /// The policy's name as written.
    pub fn name(self) -> &'static str {
        match self {
            OnExpiry::KeepLastKnown => "keep_last_known",
            OnExpiry::Defaults { .. } => "defaults",
        }
    }
}

/// Checked `[control_plane.config_ttl]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConfigTtl {
    /// Validity of a config copy at the edge (> 0).
    pub ttl: SimDuration,
    /// What happens past it.
    pub on_expiry: OnExpiry,
}

/// Checks `[control_plane.config_ttl]`; `None` when absent. A missing `ttl` is reported at
/// the first key the table gives (the table's own position is not kept).
pub(super) fn check(c: &mut Checker, r: &Option<ConfigTtlConfig>) -> Option<ConfigTtl> {
    let r = r.as_ref()?;
    const AT: &str = "control_plane.config_ttl";
    let first_span = r
        .ttl
        .as_ref()
        .map(|x| x.span())
        .or_else(|| r.on_expiry.as_ref().map(|x| x.span()))
        .or_else(|| r.default_rate_limit.as_ref().map(|x| x.span()))
        .or_else(|| r.default_burst.as_ref().map(|x| x.span()))
        .unwrap_or(0..0);
    let ttl = ttl_of(c, AT, &r.ttl, first_span, "every config");
    let rate = r
        .default_rate_limit
        .as_ref()
        .map(|x| (x.span(), x.get_ref().0));
    above_zero(c, AT, "default_rate_limit", &rate);
    let burst: Option<u32> = r
        .default_burst
        .as_ref()
        .map(|b| c.count(b, 1, 1_000_000_000, &format!("{AT}.default_burst")));
    let policy = r
        .on_expiry
        .as_ref()
        .map(|s| (s.span(), s.get_ref().as_str()));
    let on_expiry = match policy {
        None | Some((_, "keep_last_known")) => {
            defaults_unused(
                c,
                AT,
                "the edge",
                [
                    (
                        "default_rate_limit",
                        r.default_rate_limit.as_ref().map(|x| x.span()),
                    ),
                    ("default_burst", r.default_burst.as_ref().map(|x| x.span())),
                ],
            );
            OnExpiry::KeepLastKnown
        }
        Some((span, "defaults")) => match rate {
            None => {
                c.err(
                    span,
                    format!("{AT}: `on_expiry = \"defaults\"` needs the defaults: add `default_rate_limit = \"50/s\"`"),
                );
                OnExpiry::KeepLastKnown
            }
            Some((_, x)) => OnExpiry::Defaults {
                rate_limit: x,
                burst: burst.unwrap_or(if x >= 1.0 { x.min(1e9) as u32 } else { 1 }),
            },
        },
        Some((span, other)) => {
            c.err(
                span,
                format!("{AT}.on_expiry is `{other}`; use `keep_last_known` or `defaults`"),
            );
            OnExpiry::KeepLastKnown
        }
    };
    Some(ConfigTtl { ttl, on_expiry })
}

/// The `ttl` of a config-TTL table (`at` names it): required, above zero. `first_span` is
/// where a missing one is reported; `what` names what would expire at once.
pub(super) fn ttl_of(
    c: &mut Checker,
    at: &str,
    ttl: &Option<Spanned<Dur>>,
    first_span: std::ops::Range<usize>,
    what: &str,
) -> SimDuration {
    match ttl {
        None => {
            c.err(
                first_span,
                format!("{at} needs a `ttl`, e.g. `ttl = \"5m\"`"),
            );
            SimDuration::from_secs(1)
        }
        Some(d) if d.get_ref().0 == SimDuration::ZERO => {
            c.err(
                d.span(),
                format!("{at}.ttl is zero: {what} would expire the moment it arrives; use e.g. `ttl = \"5m\"`"),
            );
            SimDuration::from_secs(1)
        }
        Some(d) => d.get_ref().0,
    }
}

/// A rate default of a config-TTL table must be above 0 (and finite).
pub(super) fn above_zero(
    c: &mut Checker,
    at: &str,
    key: &str,
    value: &Option<(std::ops::Range<usize>, f64)>,
) {
    if let Some((span, x)) = value {
        if !(*x > 0.0 && x.is_finite()) {
            c.err(span.clone(), format!("{at}.{key} must be above 0"));
        }
    }
}

/// Defaults given under `keep_last_known`: each is an error at its position (`who` keeps
/// the last known config instead).
pub(super) fn defaults_unused<const N: usize>(
    c: &mut Checker,
    at: &str,
    who: &str,
    keys: [(&str, Option<std::ops::Range<usize>>); N],
) {
    for (k, span) in keys {
        if let Some(s) = span {
            c.err(
                s,
                format!("{at}.{k} only applies with `on_expiry = \"defaults\"`; {who} keeps the last known config"),
            );
        }
    }
}

/// What the tests of both TTL tables (`config_ttl`, `cell_config_ttl`) load: a one-tenant
/// file, and the first error of a table appended to it.
#[cfg(test)]
pub(super) mod test_files {
    use crate::scenario::load_str;

    /// A valid file of one tenant, 6 lines: a table appended to it starts on line 7.
    pub(in crate::scenario) const BASE: &str = r#"
version = 1
duration = "1m"
[[tenants]]
id = "a"
rate = "10/s"
"#;

    /// The first error (line, column, message) of [`BASE`] with the table `[TABLE]` and
    /// its keys `body` appended (panics if the file loads).
    pub(in crate::scenario) fn error(table: &str, body: &str) -> (usize, usize, String) {
        let text = format!("{BASE}[{table}]\n{body}");
        let e = load_str("t.toml", &text, &[]).expect_err("refused");
        let e = &e.0[0];
        (e.line, e.column, e.message.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::test_files::BASE;
    use crate::scenario::load_str;

    fn error(table: &str) -> (usize, usize, String) {
        super::test_files::error("control_plane.config_ttl", table)
    }

    /// Goal: each class of impossible `config_ttl` setting is a located error. Method: one
    /// file per class; check the line (the table starts on line 7) and the message.
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
        assert!(m.contains("default_rate_limit"), "{m}");
        let (l, _, m) = error("ttl = \"1m\"\non_expiry = \"fallback\"\n");
        assert_eq!(l, 9);
        assert!(m.contains("keep_last_known"), "{m}");
        let (l, _, m) = error("ttl = \"1m\"\ndefault_rate_limit = \"5/s\"\n");
        assert_eq!(l, 9);
        assert!(m.contains("only applies"), "{m}");
        let (l, _, m) = error(
            "ttl = \"1m\"\non_expiry = \"defaults\"\ndefault_rate_limit = \"5/s\"\ndefault_burst = 0\n",
        );
        assert_eq!(l, 11);
        assert!(m.contains("default_burst"), "{m}");
        let (l, _, m) =
            error("ttl = \"1m\"\non_expiry = \"defaults\"\ndefault_rate_limit = \"0/s\"\n");
        assert_eq!(l, 10);
        assert!(m.contains("above 0"), "{m}");
        let (_, _, m) = error("ttl = \"1m\"\nttl_jitter = \"1s\"\n");
        assert!(m.contains("ttl_jitter"), "{m}");
    }

    /// Goal: a valid table is checked into the policy and its defaults, and the burst
    /// defaults to one second of the rate. Method: load one `defaults` table and read it.
    #[test]
    fn a_valid_table_is_kept() {
        let text = format!(
            "{BASE}[control_plane.config_ttl]\nttl = \"2m\"\non_expiry = \"defaults\"\ndefault_rate_limit = \"20/s\"\n"
        );
        let sc = load_str("t.toml", &text, &[]).unwrap();
        let t = sc.control_plane.config_ttl.unwrap();
        assert_eq!(t.ttl, sim::SimDuration::from_secs(120));
        assert_eq!(
            t.on_expiry,
            super::OnExpiry::Defaults {
                rate_limit: 20.0,
                burst: 20
            }
        );
        let sc = load_str("t.toml", BASE, &[]).unwrap();
        assert!(sc.control_plane.config_ttl.is_none());
    }
}

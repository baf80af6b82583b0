//! The isolation sections of the scenario language: `[[dependencies]]` (shared global
//! services with finite capacity and per-tenant quotas) and the `calls` key of a class.
//!
//! What it guarantees: a dependency is either `servers` or `rate` (never both, never
//! neither); a period quota always has its period (and a period its quota); every name a
//! class `calls` is declared; names are unique. Every mistake is reported at its
//! file:line:column. A scenario without these sections gets an empty list and classes with
//! no calls, so the platform builds nothing for them.

use super::values::{Dur, DurDist, Rate};
use super::Checker;
use crate::component::dependency::{Capacity, PeriodQuota};
use serde::Deserialize;
use sim::{Dist, Quantity, SimDuration};
use toml::Spanned;

/// One `[[dependencies]]` entry, as written.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct DependencyConfig {
    /// Unique name; classes call it by this name.
    pub name: Spanned<String>,
    /// Calls served at once (a pool of servers with a FIFO waiting line).
    pub servers: Option<Spanned<i64>>,
    /// Or: calls started per second (a paced provider; `"50/s"`).
    pub rate: Option<Spanned<Rate>>,
    /// Time one call takes once started (default `exp(50ms)`).
    pub service: Option<DurDist>,
    /// Most calls waiting for a server or a start slot (default 1000).
    pub queue_limit: Option<Spanned<i64>>,
    /// The caller gives up on a call after this long (default 5s).
    pub timeout: Option<Spanned<Dur>>,
    /// Per-tenant calls per second (token bucket, burst one second's worth).
    pub tenant_rate: Option<Spanned<Rate>>,
    /// Per-tenant calls per `quota_period` (e.g. tokens per day).
    pub tenant_quota: Option<Spanned<i64>>,
    /// The period of `tenant_quota`.
    pub quota_period: Option<Spanned<Dur>>,
}

/// A validated shared dependency.
#[derive(Clone, Debug, PartialEq)]
pub struct Dependency {
    /// Name.
    pub name: String,
    /// Servers or rate.
    pub capacity: Capacity,
    /// Service time of a call.
    pub service: Dist,
    /// Most calls waiting.
    pub queue_limit: u32,
    /// Caller's timeout per call.
    pub timeout: SimDuration,
    /// Per-tenant calls per second.
    pub tenant_rate: Option<f64>,
    /// Per-tenant calls per period.
    pub tenant_quota: Option<PeriodQuota>,
}

/// Validates the `[[dependencies]]` section.
pub(super) fn dependencies(c: &mut Checker, raw: &[DependencyConfig]) -> Vec<Dependency> {
    let mut out: Vec<Dependency> = Vec::with_capacity(raw.len());
    for d in raw {
        let name = d.name.get_ref().clone();
        if name.is_empty() {
            c.err(d.name.span(), "a dependency needs a non-empty name");
        }
        if out.iter().any(|x| x.name == name) {
            c.err(
                d.name.span(),
                format!("dependency `{name}` is declared twice; names must be unique"),
            );
        }
        let who = format!("dependencies.{name}");
        let capacity = capacity(c, d, &who);
        let timeout = match &d.timeout {
            Some(t) => {
                if t.get_ref().0 == SimDuration::ZERO {
                    c.err(t.span(), format!("{who}.timeout is zero; use e.g. \"2s\""));
                }
                t.get_ref().0
            }
            None => SimDuration::from_secs(5),
        };
        let tenant_rate = d.tenant_rate.as_ref().map(|r| {
            let v = r.get_ref().0;
            if !(v > 0.0 && v.is_finite()) {
                c.err(
                    r.span(),
                    format!("{who}.tenant_rate is {v}/s; it must be above 0 (leave it out for no per-second quota)"),
                );
            }
            v
        });
        let tenant_quota = tenant_quota(c, d, &who);
        out.push(Dependency {
            name,
            capacity,
            service: d.service.as_ref().map(|x| x.0.clone()).unwrap_or_else(|| {
                Dist::parse("exp(50ms)", Quantity::Duration).unwrap_or(Dist::Const(0.0))
            }),
            queue_limit: c.opt_count(
                &d.queue_limit,
                1000,
                0,
                100_000_000,
                &format!("{who}.queue_limit"),
            ),
            timeout,
            tenant_rate,
            tenant_quota,
        });
    }
    out
}

/// A dependency's capacity: `servers` (a pool) or `rate` (a paced provider), exactly one.
fn capacity(c: &mut Checker, d: &DependencyConfig, who: &str) -> Capacity {
    match (&d.servers, &d.rate) {
        (Some(s), None) => Capacity::Servers(c.count(s, 1, 1_000_000, &format!("{who}.servers"))),
        (None, Some(r)) => {
            let v = r.get_ref().0;
            if !(v > 0.0 && v.is_finite()) {
                c.err(r.span(), format!("{who}.rate is {v}/s; it must be above 0"));
            }
            Capacity::Rate(v)
        }
        (Some(s), Some(_)) => {
            c.err(
                s.span(),
                format!("{who} has both `servers` and `rate`; give one (a pool of servers, or a paced provider)"),
            );
            Capacity::Servers(1)
        }
        (None, None) => {
            c.err(
                d.name.span(),
                format!("{who} has neither `servers` nor `rate`; give its capacity, e.g. `servers = 8` or `rate = \"50/s\"`"),
            );
            Capacity::Servers(1)
        }
    }
}

/// A dependency's per-tenant quota per period: `tenant_quota` and `quota_period` together.
fn tenant_quota(c: &mut Checker, d: &DependencyConfig, who: &str) -> Option<PeriodQuota> {
    match (&d.tenant_quota, &d.quota_period) {
        (Some(q), Some(p)) => {
            let calls: u64 = c.count(q, 1, i64::MAX, &format!("{who}.tenant_quota"));
            if p.get_ref().0 == SimDuration::ZERO {
                c.err(
                    p.span(),
                    format!("{who}.quota_period is zero; use e.g. \"1d\""),
                );
            }
            Some(PeriodQuota {
                calls,
                period: p.get_ref().0,
            })
        }
        (Some(q), None) => {
            c.err(
                q.span(),
                format!("{who}.tenant_quota has no period; add `quota_period`, e.g. \"1d\" for calls per day"),
            );
            None
        }
        (None, Some(p)) => {
            c.err(
                p.span(),
                format!("{who}.quota_period has no quota; add `tenant_quota` (calls per period)"),
            );
            None
        }
        (None, None) => None,
    }
}

/// Resolves a class's `calls` to dependency indices (in call order; a name may repeat).
pub(super) fn class_calls(
    c: &mut Checker,
    class: &str,
    calls: &Option<Spanned<Vec<String>>>,
    deps: &[Dependency],
) -> Vec<u16> {
    let Some(calls) = calls else {
        return Vec::new();
    };
    if calls.get_ref().len() > 64 {
        c.err(
            calls.span(),
            format!(
                "classes.{class}.calls lists {} calls; the most is 64",
                calls.get_ref().len()
            ),
        );
        return Vec::new();
    }
    let mut out = Vec::with_capacity(calls.get_ref().len());
    for name in calls.get_ref() {
        match deps.iter().position(|d| d.name == *name) {
            Some(i) => out.push(i as u16),
            None => c.err(
                calls.span(),
                format!(
                    "classes.{class}.calls names `{name}`, which is not declared; add a [[dependencies]] entry with name = \"{name}\"{}",
                    if deps.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (declared: {})",
                            deps.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")
                        )
                    }
                ),
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    //! Goal: every impossible dependency setting is refused with its file:line:column, and a
    //! valid section loads as written. Method: load small scenarios with one mistake each and
    //! check the message and the position it points at.
    use crate::component::dependency::{Capacity, PeriodQuota};
    use crate::scenario::load_str;
    use sim::SimDuration;

    const BASE: &str = "version = 1\nduration = \"10s\"\n[classes.c]\ncalls = [\"llm\"]\n";

    /// The first error for `deps` appended to `BASE`: (line, column, message).
    fn error(deps: &str) -> (usize, usize, String) {
        let text = format!("{BASE}{deps}");
        let e = load_str("t.toml", &text, &[]).expect_err("refused");
        let e = &e.0[0];
        (e.line, e.column, e.message.clone())
    }

    #[test]
    fn a_valid_section_loads() {
        let text = format!(
            "{BASE}[[dependencies]]\nname = \"llm\"\nrate = \"20/s\"\ntenant_quota = 5000\nquota_period = \"1d\"\n[[tenants]]\nid = \"a\"\nrate = \"1/s\"\n"
        );
        let sc = load_str("t.toml", &text, &[]).unwrap_or_else(|e| panic!("{e}"));
        let d = &sc.dependencies[0];
        assert_eq!(d.capacity, Capacity::Rate(20.0));
        assert_eq!(
            d.tenant_quota,
            Some(PeriodQuota {
                calls: 5000,
                period: SimDuration::from_secs(86_400)
            })
        );
        assert_eq!(sc.classes[0].calls, vec![0]);
    }

    #[test]
    fn a_class_calling_an_undeclared_dependency() {
        let (line, col, msg) = error("[[dependencies]]\nname = \"search\"\nservers = 2\n");
        assert_eq!((line, col), (4, 9), "{msg}");
        assert!(msg.contains("`llm`, which is not declared"), "{msg}");
        assert!(msg.contains("declared: search"), "{msg}");
    }

    #[test]
    fn a_quota_without_a_period_and_a_period_without_a_quota() {
        let (line, col, msg) =
            error("[[dependencies]]\nname = \"llm\"\nservers = 2\ntenant_quota = 10\n");
        assert_eq!((line, col), (8, 16), "{msg}");
        assert!(msg.contains("has no period"), "{msg}");
        let (line, _, msg) =
            error("[[dependencies]]\nname = \"llm\"\nservers = 2\nquota_period = \"1d\"\n");
        assert_eq!(line, 8, "{msg}");
        assert!(msg.contains("has no quota"), "{msg}");
    }

    #[test]
    fn capacity_is_servers_or_rate() {
        let (line, _, msg) =
            error("[[dependencies]]\nname = \"llm\"\nservers = 2\nrate = \"5/s\"\n");
        assert_eq!(line, 7, "{msg}");
        assert!(msg.contains("both `servers` and `rate`"), "{msg}");
        let (line, _, msg) = error("[[dependencies]]\nname = \"llm\"\n");
        assert_eq!(line, 6, "{msg}");
        assert!(msg.contains("neither"), "{msg}");
        let (line, _, msg) = error("[[dependencies]]\nname = \"llm\"\nservers = 0\n");
        assert_eq!(line, 7, "{msg}");
        assert!(msg.contains("servers is 0"), "{msg}");
    }

    #[test]
    fn zero_timeout_duplicate_names_and_zero_rates() {
        let (line, _, msg) =
            error("[[dependencies]]\nname = \"llm\"\nservers = 1\ntimeout = \"0s\"\n");
        assert_eq!(line, 8, "{msg}");
        assert!(msg.contains("timeout is zero"), "{msg}");
        let (line, _, msg) = error(
            "[[dependencies]]\nname = \"llm\"\nservers = 1\n[[dependencies]]\nname = \"llm\"\nservers = 1\n",
        );
        assert_eq!(line, 9, "{msg}");
        assert!(msg.contains("declared twice"), "{msg}");
        let (line, _, msg) =
            error("[[dependencies]]\nname = \"llm\"\nservers = 1\ntenant_rate = \"0/s\"\n");
        assert_eq!(line, 8, "{msg}");
        assert!(msg.contains("tenant_rate"), "{msg}");
    }
}

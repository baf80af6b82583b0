//! `[cost]`: prices per resource, for showback (what each tenant's and tier's use costs).
//!
//! What it guarantees: every price is a finite number ≥ 0 (mistakes at file:line:column);
//! a missing price takes its default (roughly a cloud list price in dollars: a vCPU-hour is
//! $0.045, a DB core-hour $0.36, a GB out $0.09). A scenario without `[cost]` gets `None`
//! and its summary has no showback. KMS calls, calls of shared dependencies and
//! connection-hours are priced only when given a price (`kms_call`, `dependency_calls`,
//! `connection_hour`): their list prices vary too much by provider for a default (AWS KMS
//! is $0.03 per 10,000 requests; an LLM provider's call can cost cents), and a showback
//! that prices none of them is unchanged. Every dependency priced must be declared.

use super::isolation::Dependency;
use super::Checker;
use reports::showback::{DependencyPrice, Prices};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// `[cost]`, as written.
#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct CostConfig {
    /// Per worker-second of service CPU (default 0.0000125).
    pub worker_second: Option<Spanned<f64>>,
    /// Per DB-second of query work (default 0.0001).
    pub db_second: Option<Spanned<f64>>,
    /// Per GB answered (default 0.09).
    pub gb: Option<Spanned<f64>>,
    /// Per KMS call (default: not priced).
    pub kms_call: Option<Spanned<f64>>,
    /// Per connection-hour held for a tenant, `[data_architecture]` (default: not priced).
    pub connection_hour: Option<Spanned<f64>>,
    /// Per call, by `[[dependencies]]` name (default: not priced).
    pub dependency_calls: Option<Spanned<BTreeMap<String, f64>>>,
}

/// Validates `[cost]` (dependencies priced by name must be among `deps`).
pub(super) fn cost(
    c: &mut Checker,
    raw: &Option<CostConfig>,
    deps: &[Dependency],
) -> Option<Prices> {
    let raw = raw.as_ref()?;
    let mut price = |v: &Option<Spanned<f64>>, default: f64, what: &str| -> f64 {
        match v {
            Some(x) => {
                let p = *x.get_ref();
                if !(p >= 0.0 && p.is_finite()) {
                    c.err(
                        x.span(),
                        format!("cost.{what} is {p}; a price is a number ≥ 0"),
                    );
                }
                p
            }
            None => default,
        }
    };
    let worker_second = price(&raw.worker_second, 0.045 / 3600.0, "worker_second");
    let db_second = price(&raw.db_second, 0.36 / 3600.0, "db_second");
    let gb = price(&raw.gb, 0.09, "gb");
    let kms_call = price(&raw.kms_call, 0.0, "kms_call");
    let connection_hour = price(&raw.connection_hour, 0.0, "connection_hour");
    let mut dependency_calls = Vec::new();
    if let Some(m) = &raw.dependency_calls {
        for (name, &p) in m.get_ref() {
            if !(p >= 0.0 && p.is_finite()) {
                c.err(
                    m.span(),
                    format!("cost.dependency_calls.{name} is {p}; a price is a number ≥ 0"),
                );
            }
            if !deps.iter().any(|d| d.name == *name) {
                c.err(
                    m.span(),
                    format!(
                        "cost.dependency_calls names `{name}`, which is not declared; dependencies are: {}",
                        if deps.is_empty() {
                            "(none: add a [[dependencies]] entry)".to_string()
                        } else {
                            deps.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")
                        }
                    ),
                );
            }
        }
        // In declaration order, so a tenant's calls line up with the prices.
        for d in deps {
            if let Some(&p) = m.get_ref().get(&d.name) {
                dependency_calls.push(DependencyPrice {
                    name: d.name.clone(),
                    per_call: p,
                });
            }
        }
    }
    Some(Prices {
        worker_second,
        db_second,
        gb,
        kms_call,
        connection_hour,
        dependency_calls,
    })
}

#[cfg(test)]
mod tests {
    //! Goal: prices load with their defaults, and a negative price is refused where
    //! written. Method: small scenarios.
    use crate::scenario::load_str;

    const BASE: &str = "version = 1\nduration = \"10s\"\n[[tenants]]\nid = \"a\"\nrate = \"1/s\"\n";

    #[test]
    fn defaults_and_a_negative_price() {
        let sc = load_str("t.toml", &format!("{BASE}[cost]\ngb = 0.5\n"), &[])
            .unwrap_or_else(|e| panic!("{e}"));
        let p = sc.cost.expect("prices");
        assert_eq!(p.gb, 0.5);
        assert!((p.worker_second * 3600.0 - 0.045).abs() < 1e-12);
        let none = load_str("t.toml", BASE, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert!(none.cost.is_none());
        let e = load_str("t.toml", &format!("{BASE}[cost]\ndb_second = -1.0\n"), &[])
            .expect_err("refused");
        assert_eq!(e.0[0].line, 7);
        assert!(
            e.0[0].message.contains("a price is a number ≥ 0"),
            "{}",
            e.0[0].message
        );
    }

    /// Goal: call prices load in dependency order and are off by default; a price for an
    /// undeclared dependency and a negative call price are refused where written. Method:
    /// small scenarios with two dependencies.
    #[test]
    fn call_prices_and_their_mistakes() {
        let deps = "[[dependencies]]\nname = \"search\"\nservers = 2\n[[dependencies]]\nname = \"llm\"\nrate = \"5/s\"\n";
        let sc = load_str(
            "t.toml",
            &format!("{BASE}{deps}[cost]\nkms_call = 0.000003\ndependency_calls = {{ search = 0.001, llm = 0.02 }}\n"),
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let p = sc.cost.expect("prices");
        assert_eq!(p.kms_call, 0.000003);
        assert_eq!(p.connection_hour, 0.0);
        let names: Vec<&str> = p.dependency_calls.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["search", "llm"], "declaration order");
        let plain =
            load_str("t.toml", &format!("{BASE}[cost]\n"), &[]).unwrap_or_else(|e| panic!("{e}"));
        let p = plain.cost.expect("prices");
        assert!(p.kms_call == 0.0 && p.dependency_calls.is_empty());
        let e = load_str(
            "t.toml",
            &format!("{BASE}{deps}[cost]\ndependency_calls = {{ serch = 0.001 }}\n"),
            &[],
        )
        .expect_err("refused");
        assert_eq!((e.0[0].line, e.0[0].column), (13, 20), "{}", e.0[0].message);
        assert!(
            e.0[0].message.contains("`serch`, which is not declared"),
            "{}",
            e.0[0].message
        );
        let e = load_str("t.toml", &format!("{BASE}[cost]\nkms_call = -1.0\n"), &[])
            .expect_err("refused");
        assert_eq!(e.0[0].line, 7, "{}", e.0[0].message);
    }
}

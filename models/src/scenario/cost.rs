//! `[cost]`: prices per resource, for showback (what each tenant's and tier's use costs).
//!
//! What it guarantees: every price is a finite number ≥ 0 (mistakes at file:line:column);
//! a missing price takes its default (roughly a cloud list price in dollars: a vCPU-hour is
//! $0.045, a DB core-hour $0.36, a GB out $0.09). A scenario without `[cost]` gets `None`
//! and its summary has no showback.

use super::Checker;
use reports::showback::Prices;
use serde::Deserialize;
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
}

/// Validates `[cost]`.
pub(super) fn cost(c: &mut Checker, raw: &Option<CostConfig>) -> Option<Prices> {
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
    Some(Prices {
        worker_second: price(&raw.worker_second, 0.045 / 3600.0, "worker_second"),
        db_second: price(&raw.db_second, 0.36 / 3600.0, "db_second"),
        gb: price(&raw.gb, 0.09, "gb"),
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
}

//! Showback: what each tenant's and tier's use of the platform costs, priced per resource.
//!
//! Plain data recorded by a run whose scenario has a `[cost]` section (absent otherwise, so
//! summaries of scenarios without one are unchanged). Prices are per worker-second of
//! service CPU, per DB-second of query work and per GB answered; and, when the scenario
//! gives them a price, per KMS call, per call of each named shared dependency and per
//! connection-hour held for the tenant (`[data_architecture]`). A row's `cost` is the sum of
//! its usages times their prices. Rows of a tier add up its tenants' rows. Usages without a
//! price are neither counted nor written (so showbacks that price none of them are
//! byte-identical to those before the prices existed).

use serde::{Deserialize, Serialize};

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// The price of one call of a named shared dependency.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DependencyPrice {
    /// The dependency's name.
    pub name: String,
    /// Per call.
    pub per_call: f64,
}

/// Prices per resource (any currency unit).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Prices {
    /// Per worker-second of service CPU.
    pub worker_second: f64,
    /// Per DB-second of query work.
    pub db_second: f64,
    /// Per GB (10⁹ bytes) of answers.
    pub gb: f64,
    /// Per KMS call (0: not priced).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub kms_call: f64,
    /// Per connection-hour held for a tenant (0: not priced).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub connection_hour: f64,
    /// Per call of each priced dependency, in declaration order (empty: none priced).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependency_calls: Vec<DependencyPrice>,
}

/// What one tenant used, in the units the run meters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Usage {
    /// Service CPU, ns.
    pub worker_ns: f64,
    /// DB work, ns.
    pub db_ns: f64,
    /// Bytes answered.
    pub bytes: f64,
    /// KMS calls.
    pub kms_calls: f64,
    /// Calls of each priced dependency, aligned with [`Prices::dependency_calls`].
    pub dependency_calls: Vec<f64>,
    /// Connection-hours held for it.
    pub connection_hours: f64,
}

/// One tenant's or tier's usage and its price.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShowbackRow {
    /// Tenant id or tier name.
    pub name: String,
    /// Worker-seconds.
    pub worker_seconds: f64,
    /// DB-seconds.
    pub db_seconds: f64,
    /// GB answered.
    pub gb: f64,
    /// KMS calls (written when priced and made).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub kms_calls: f64,
    /// Calls of priced dependencies, all together (written when made).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dependency_calls: f64,
    /// What those dependency calls cost (written when made).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dependency_cost: f64,
    /// Connection-hours held for it (written when priced and held).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub connection_hours: f64,
    /// Price of it all.
    pub cost: f64,
}

impl ShowbackRow {
    /// A row for `name` using `worker_ns`, `db_ns` and `bytes`, priced at `p`.
    pub fn priced(name: &str, worker_ns: f64, db_ns: f64, bytes: f64, p: &Prices) -> ShowbackRow {
        ShowbackRow::of_usage(
            name,
            &Usage {
                worker_ns,
                db_ns,
                bytes,
                ..Usage::default()
            },
            p,
        )
    }

    /// A row for `name` using `u`, priced at `p`; usages without a price count nothing.
    pub fn of_usage(name: &str, u: &Usage, p: &Prices) -> ShowbackRow {
        let (w, d, g) = (u.worker_ns / 1e9, u.db_ns / 1e9, u.bytes / 1e9);
        let kms = if p.kms_call > 0.0 { u.kms_calls } else { 0.0 };
        let conn = if p.connection_hour > 0.0 {
            u.connection_hours
        } else {
            0.0
        };
        let (mut calls, mut dep_cost) = (0.0, 0.0);
        for (n, price) in u.dependency_calls.iter().zip(&p.dependency_calls) {
            calls += n;
            dep_cost += n * price.per_call;
        }
        ShowbackRow {
            name: name.to_string(),
            worker_seconds: w,
            db_seconds: d,
            gb: g,
            kms_calls: kms,
            dependency_calls: calls,
            dependency_cost: dep_cost,
            connection_hours: conn,
            cost: w * p.worker_second
                + d * p.db_second
                + g * p.gb
                + kms * p.kms_call
                + dep_cost
                + conn * p.connection_hour,
        }
    }

    /// Adds `o`'s usage and cost to this row.
    pub fn add(&mut self, o: &ShowbackRow) {
        self.worker_seconds += o.worker_seconds;
        self.db_seconds += o.db_seconds;
        self.gb += o.gb;
        self.kms_calls += o.kms_calls;
        self.dependency_calls += o.dependency_calls;
        self.dependency_cost += o.dependency_cost;
        self.connection_hours += o.connection_hours;
        self.cost += o.cost;
    }
}

/// Showback of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Showback {
    /// The prices used.
    pub prices: Prices,
    /// The whole platform.
    pub total: ShowbackRow,
    /// Per tier, in tier order (tiers without tenants left out).
    pub tiers: Vec<ShowbackRow>,
    /// Per tenant, in declaration order.
    pub tenants: Vec<ShowbackRow>,
}

#[cfg(test)]
mod tests {
    //! Goal: a row prices each resource and rows add up. Method: known usages and prices.
    use super::*;

    #[test]
    fn rows_price_each_resource_and_add_up() {
        let p = Prices {
            worker_second: 2.0,
            db_second: 10.0,
            gb: 100.0,
            ..Prices::default()
        };
        let a = ShowbackRow::priced("a", 3e9, 0.5e9, 0.01e9, &p);
        assert!((a.cost - (6.0 + 5.0 + 1.0)).abs() < 1e-9, "{a:?}");
        let mut t = ShowbackRow::priced("tier", 0.0, 0.0, 0.0, &p);
        t.add(&a);
        t.add(&a);
        assert!((t.cost - 24.0).abs() < 1e-9 && (t.worker_seconds - 6.0).abs() < 1e-9);
    }

    /// Goal: KMS calls, each priced dependency's calls and connection-hours add their
    /// price to a row, add up per tier, and count nothing without a price (so an unpriced
    /// showback writes the same bytes as before). Method: known usages, with and without
    /// prices; the serialised row of an unpriced usage has no new key.
    #[test]
    fn calls_and_connections_are_priced_only_when_given_a_price() {
        let mut p = Prices {
            worker_second: 0.0,
            db_second: 0.0,
            gb: 0.0,
            kms_call: 0.5,
            connection_hour: 2.0,
            dependency_calls: vec![
                DependencyPrice {
                    name: "llm".into(),
                    per_call: 3.0,
                },
                DependencyPrice {
                    name: "search".into(),
                    per_call: 0.25,
                },
            ],
        };
        let u = Usage {
            kms_calls: 4.0,
            dependency_calls: vec![2.0, 8.0],
            connection_hours: 1.5,
            ..Usage::default()
        };
        let a = ShowbackRow::of_usage("a", &u, &p);
        // 4 × 0.5 + (2 × 3 + 8 × 0.25) + 1.5 × 2 = 2 + 8 + 3.
        assert!((a.cost - 13.0).abs() < 1e-9, "{a:?}");
        assert_eq!((a.dependency_calls, a.dependency_cost), (10.0, 8.0));
        let mut tier = ShowbackRow::of_usage("tier", &Usage::default(), &p);
        tier.add(&a);
        tier.add(&a);
        assert!(
            (tier.cost - 26.0).abs() < 1e-9 && tier.kms_calls == 8.0,
            "{tier:?}"
        );
        p.kms_call = 0.0;
        p.connection_hour = 0.0;
        p.dependency_calls.clear();
        let free = ShowbackRow::of_usage("a", &u, &p);
        assert_eq!(free.cost, 0.0, "{free:?}");
        let json = serde_json::to_string(&free).expect("serialises");
        assert!(
            !json.contains("kms") && !json.contains("connection"),
            "{json}"
        );
        let json = serde_json::to_string(&p).expect("serialises");
        assert!(
            !json.contains("kms") && !json.contains("dependency"),
            "{json}"
        );
    }
}

//! Showback: what each tenant's and tier's use of the platform costs, priced per resource.
//!
//! Plain data recorded by a run whose scenario has a `[cost]` section (absent otherwise, so
//! summaries of scenarios without one are unchanged). Prices are per worker-second of
//! service CPU, per DB-second of query work and per GB answered; a row's `cost` is the sum of
//! its three usages times their prices. Rows of a tier add up its tenants' rows.

use serde::{Deserialize, Serialize};

/// Prices per resource (any currency unit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Prices {
    /// Per worker-second of service CPU.
    pub worker_second: f64,
    /// Per DB-second of query work.
    pub db_second: f64,
    /// Per GB (10⁹ bytes) of answers.
    pub gb: f64,
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
    /// Price of it all.
    pub cost: f64,
}

impl ShowbackRow {
    /// A row for `name` using `worker_ns`, `db_ns` and `bytes`, priced at `p`.
    pub fn priced(name: &str, worker_ns: f64, db_ns: f64, bytes: f64, p: &Prices) -> ShowbackRow {
        let (w, d, g) = (worker_ns / 1e9, db_ns / 1e9, bytes / 1e9);
        ShowbackRow {
            name: name.to_string(),
            worker_seconds: w,
            db_seconds: d,
            gb: g,
            cost: w * p.worker_second + d * p.db_second + g * p.gb,
        }
    }

    /// Adds `o`'s usage and cost to this row.
    pub fn add(&mut self, o: &ShowbackRow) {
        self.worker_seconds += o.worker_seconds;
        self.db_seconds += o.db_seconds;
        self.gb += o.gb;
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
        };
        let a = ShowbackRow::priced("a", 3e9, 0.5e9, 0.01e9, &p);
        assert!((a.cost - (6.0 + 5.0 + 1.0)).abs() < 1e-9, "{a:?}");
        let mut t = ShowbackRow::priced("tier", 0.0, 0.0, 0.0, &p);
        t.add(&a);
        t.add(&a);
        assert!((t.cost - 24.0).abs() < 1e-9 && (t.worker_seconds - 6.0).abs() < 1e-9);
    }
}

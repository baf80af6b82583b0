//! A cell's capacity in requests per second, derived from the platform config: the number
//! load-aware placement policies divide a cell's predicted load by ([`CellView::capacity`]).
//!
//! ```text
//!   per request of the class mix (shares s_c of the classes' `share`, normalised):
//!     S = Σ s_c · E[service_c]                                  worker CPU (s)
//!     D = Σ s_c · (1 − cache_hit_c) · E[db_queries_c] · E[db_time_c]   DB work (core-s)
//!
//!   capacity = min( workers / (S + D),                   a worker is held through its queries
//!                   min(connections, cores) · k / D )    the DB: k = capacity factor (1, or a
//!                                                          db_degraded fault's remaining share)
//! ```
//!
//! Means are the analytic means of the classes' distributions ([`sim::Dist::mean`]). A bound
//! whose cost is zero (no DB work) is no bound. The result is the throughput at which the
//! bottleneck would be 100% busy: a policy aiming at "utilisation 0.8" keeps predicted load at
//! 80% of it.
//!
//! **Approximations, on purpose.** The mix is the scenario's class shares, not each tenant's
//! own mix; KMS calls (rare: data keys are cached) and injected dependency latency are left
//! out; a DB query is assumed to run at full speed (no processor sharing) when the worker
//! bound is computed. When a mean is undefined (a Pareto with α ≤ 1) or the request costs
//! nothing at all, the capacity is `f64::MAX`, "unknown" (see [`CellView`]'s default).
//!
//! [`CellView`]: super::CellView
//! [`CellView::capacity`]: super::CellView::capacity

use crate::scenario::{Class, Scenario};

/// The mean cost of one request of a class mix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RequestCost {
    /// `S`: seconds of service CPU (a worker).
    pub service_s: f64,
    /// `D`: DB core-seconds (its queries, cache hits excluded).
    pub db_s: f64,
}

impl RequestCost {
    /// The mean request of `classes` weighted by their `share`s, or `None` if some mean is
    /// undefined or the shares are all zero.
    pub fn of_classes(classes: &[Class]) -> Option<RequestCost> {
        let total: f64 = classes.iter().map(|c| c.share.max(0.0)).sum();
        if total <= 0.0 || !total.is_finite() {
            return None;
        }
        let mut cost = RequestCost {
            service_s: 0.0,
            db_s: 0.0,
        };
        for c in classes.iter().filter(|c| c.share > 0.0) {
            let s = c.share / total;
            // Samples are clamped at 0 by the platform; so are the means here.
            let service = c.service.mean()?.max(0.0) * 1e-9;
            let queries = c.db_queries.mean()?.max(0.0);
            let query = c.db_time.mean()?.max(0.0) * 1e-9;
            cost.service_s += s * service;
            cost.db_s += s * (1.0 - c.cache_hit) * queries * query;
        }
        Some(cost)
    }

    /// Requests per second a cell with these resources serves at full use of its bottleneck
    /// (the formula in the module docs). `db_factor` is the DB's capacity factor (1 = healthy).
    pub fn cell_capacity(&self, workers: u32, connections: u32, cores: u32, db_factor: f64) -> f64 {
        let bound = |slots: f64, cost: f64| {
            if cost > 0.0 {
                slots / cost
            } else {
                f64::INFINITY
            }
        };
        let worker = bound(f64::from(workers), self.service_s + self.db_s);
        let db = bound(
            f64::from(connections.min(cores)) * db_factor.max(0.0),
            self.db_s,
        );
        let cap = worker.min(db);
        if cap.is_finite() {
            cap
        } else {
            f64::MAX
        }
    }
}

/// The capacity of a healthy cell of `sc` (every cell has the same resources), requests per
/// second; `f64::MAX` when unknown (see the module docs).
pub fn cell_capacity(sc: &Scenario) -> f64 {
    match RequestCost::of_classes(&sc.classes) {
        Some(cost) => cost.cell_capacity(
            sc.platform.workers,
            sc.platform.db.connections,
            sc.platform.db.cores,
            1.0,
        ),
        None => f64::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    fn scenario(body: &str) -> Scenario {
        let text = format!(
            "version = 1\nduration = \"1m\"\n{body}\n[[tenants]]\nid = \"a\"\nrate = \"1/s\"\n"
        );
        load_str("t.toml", &text, &[]).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn capacity_of_a_small_config_by_hand() {
        // Goal: the formula on a config worked by hand. Two classes, shares 3:1.
        //   api:    service 4 ms, 1 query of 2 ms, no cache      → S 4 ms, D 2 ms
        //   report: service 20 ms, 4 queries of 5 ms, 50% cached → S 20 ms, D 10 ms
        //   mix:    S = 0.75·4 + 0.25·20 = 8 ms; D = 0.75·2 + 0.25·10 = 4 ms
        //   workers 12 / (8 + 4) ms = 1,000/s; DB min(6, 4) cores / 4 ms = 1,000/s → 1,000/s.
        // Then each bound alone, by changing the other's resources.
        let sc = scenario(
            "[platform]\nworkers = 12\n[platform.db]\nconnections = 6\ncores = 4\n\
             [classes.api]\nshare = 3\nservice = \"const(4ms)\"\ndb_time = \"exp(2ms)\"\n\
             [classes.report]\nshare = 1\nservice = \"exp(20ms)\"\ndb_queries = \"const(4)\"\n\
             db_time = \"const(5ms)\"\ncache_hit = \"50%\"\n",
        );
        let cost = RequestCost::of_classes(&sc.classes).unwrap();
        assert!((cost.service_s - 0.008).abs() < 1e-12, "{cost:?}");
        assert!((cost.db_s - 0.004).abs() < 1e-12, "{cost:?}");
        assert!((cell_capacity(&sc) - 1_000.0).abs() < 1e-6);
        // Worker-bound: 6 workers → 500/s (the DB could do 1,000/s).
        assert!((cost.cell_capacity(6, 6, 4, 1.0) - 500.0).abs() < 1e-6);
        // DB-bound: 2 connections in front of 4 cores → 2 / 4 ms = 500/s.
        assert!((cost.cell_capacity(120, 2, 4, 1.0) - 500.0).abs() < 1e-6);
        // A degraded DB (20%) → 4 · 0.2 / 4 ms = 200/s.
        assert!((cost.cell_capacity(120, 6, 4, 0.2) - 200.0).abs() < 1e-6);
    }

    #[test]
    fn defaults_and_unknowns() {
        // Goal: the default class (exp(5ms) service, one exp(2ms) query) on the default
        // platform (16 workers, 16 connections, 8 cores): min(16 / 7 ms, 8 / 2 ms) = 2,285.7/s.
        // A cost-free class has no bound (f64::MAX); an infinite-mean service time is unknown.
        let sc = scenario("");
        assert!((cell_capacity(&sc) - 16.0 / 0.007).abs() < 1e-6);
        let free =
            scenario("[classes.noop]\nservice = \"const(0ms)\"\ndb_queries = \"const(0)\"\n");
        assert_eq!(cell_capacity(&free), f64::MAX);
        let heavy = scenario("[classes.x]\nservice = \"pareto(0.9, 1ms)\"\n");
        assert_eq!(cell_capacity(&heavy), f64::MAX);
        // No DB work: only the worker bound.
        let cpu = scenario("[classes.x]\nservice = \"const(10ms)\"\ndb_queries = \"const(0)\"\n");
        assert!((cell_capacity(&cpu) - 1_600.0).abs() < 1e-6);
    }
}

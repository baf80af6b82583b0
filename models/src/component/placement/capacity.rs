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

use sim::Dist;

/// What one request class costs, as the capacity formula needs it (the scenario's classes
/// hand these over; this module never reads a scenario).
#[derive(Clone, Copy, Debug)]
pub struct ClassCost<'a> {
    /// Share of the traffic (any scale; normalised here).
    pub share: f64,
    /// Service CPU time per request (ns).
    pub service: &'a Dist,
    /// DB queries per request.
    pub db_queries: &'a Dist,
    /// DB time per query (ns).
    pub db_time: &'a Dist,
    /// Fraction of requests served from the cache (no DB work).
    pub cache_hit: f64,
}

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
    pub fn of_classes(classes: &[ClassCost]) -> Option<RequestCost> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const MS: f64 = 1e6;

    #[test]
    fn capacity_of_a_small_config_by_hand() {
        // Goal: the formula on a config worked by hand. Two classes, shares 3:1.
        //   api:    service 4 ms, 1 query of 2 ms, no cache      → S 4 ms, D 2 ms
        //   report: service 20 ms, 4 queries of 5 ms, 50% cached → S 20 ms, D 10 ms
        //   mix:    S = 0.75·4 + 0.25·20 = 8 ms; D = 0.75·2 + 0.25·10 = 4 ms
        //   workers 12 / (8 + 4) ms = 1,000/s; DB min(6, 4) cores / 4 ms = 1,000/s → 1,000/s.
        // Then each bound alone, by changing the other's resources.
        let (s4, one, e2) = (
            Dist::Const(4.0 * MS),
            Dist::Const(1.0),
            Dist::Exp { mean: 2.0 * MS },
        );
        let (e20, four, c5) = (
            Dist::Exp { mean: 20.0 * MS },
            Dist::Const(4.0),
            Dist::Const(5.0 * MS),
        );
        let classes = [
            ClassCost {
                share: 3.0,
                service: &s4,
                db_queries: &one,
                db_time: &e2,
                cache_hit: 0.0,
            },
            ClassCost {
                share: 1.0,
                service: &e20,
                db_queries: &four,
                db_time: &c5,
                cache_hit: 0.5,
            },
        ];
        let cost = RequestCost::of_classes(&classes).unwrap();
        assert!((cost.service_s - 0.008).abs() < 1e-12, "{cost:?}");
        assert!((cost.db_s - 0.004).abs() < 1e-12, "{cost:?}");
        assert!((cost.cell_capacity(12, 6, 4, 1.0) - 1_000.0).abs() < 1e-6);
        // Worker-bound: 6 workers → 500/s (the DB could do 1,000/s).
        assert!((cost.cell_capacity(6, 6, 4, 1.0) - 500.0).abs() < 1e-6);
        // DB-bound: 2 connections in front of 4 cores → 2 / 4 ms = 500/s.
        assert!((cost.cell_capacity(120, 2, 4, 1.0) - 500.0).abs() < 1e-6);
        // A degraded DB (20%) → 4 · 0.2 / 4 ms = 200/s.
        assert!((cost.cell_capacity(120, 6, 4, 0.2) - 200.0).abs() < 1e-6);
    }

    #[test]
    fn unknowns_and_free_classes() {
        // Goal: a cost-free class has no bound (f64::MAX); an infinite-mean service time is
        // unknown (None); no DB work leaves only the worker bound.
        let (zero, e2) = (Dist::Const(0.0), Dist::Exp { mean: 2.0 * MS });
        let free = [ClassCost {
            share: 1.0,
            service: &zero,
            db_queries: &zero,
            db_time: &e2,
            cache_hit: 0.0,
        }];
        let free = RequestCost::of_classes(&free).unwrap();
        assert_eq!(free.cell_capacity(16, 16, 8, 1.0), f64::MAX);
        let heavy_service = Dist::Pareto {
            alpha: 0.9,
            scale: 1.0 * MS,
        };
        let one = Dist::Const(1.0);
        let heavy = [ClassCost {
            share: 1.0,
            service: &heavy_service,
            db_queries: &one,
            db_time: &e2,
            cache_hit: 0.0,
        }];
        assert_eq!(RequestCost::of_classes(&heavy), None);
        let c10 = Dist::Const(10.0 * MS);
        let cpu = [ClassCost {
            share: 1.0,
            service: &c10,
            db_queries: &zero,
            db_time: &e2,
            cache_hit: 0.0,
        }];
        let cpu = RequestCost::of_classes(&cpu).unwrap();
        assert!((cpu.cell_capacity(16, 16, 8, 1.0) - 1_600.0).abs() < 1e-6);
    }
}

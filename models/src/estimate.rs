//! An up-front estimate of the work a scenario implies, to refuse absurd runs before they
//! start.
//!
//! Literal rates are range-checked by validation, but the load a run really offers is a
//! product: a tenant's rate × its schedule's peak × its spike factor × every `hot_tenant`
//! fault factor that can overlap, plus, for a cohort, the sum of rates drawn from a
//! distribution whose tail may be heavy (Pareto α ≤ 1 has no mean). A product of valid
//! factors can ask for 10^15 requests: the simulated clock then crawls while memory grows.
//! [`estimate`] computes, from the scenario alone (no run, no random draw):
//!
//! - the peak offered rate (requests per second, all tenants at their peaks at once),
//! - the requests over the whole run (peak rate × duration: pessimistic on purpose),
//! - the engine events per request (a fixed cost plus two per expected DB query, times the
//!   most attempts a retry policy allows),
//!
//! and names the largest source of load. [`check`] refuses a scenario whose estimate exceeds
//! [`MAX_EVENTS_ESTIMATED`] or [`MAX_PEAK_RATE`], unless the caller allows large runs (the
//! binary's `--allow-large`). A scenario whose `max_events` is below the estimate is bounded
//! by it and is not refused for its event count (its run is cut short, and says so).
//!
//! Guarantee: computed in time linear in the scenario's size; every shipped scenario is
//! accepted with room to spare (checked in tests).

use crate::component::workload::Arrival;
use crate::fault::FaultKind;
use crate::scenario::Scenario;
use sim::{Dist, Quantity};

/// Most engine events a run may be estimated to need before it is refused. The estimate is
/// pessimistic (the largest shipped scenario, an hour of 12,000 tenants, is estimated at
/// ~9·10^8 and needs ~6·10^7), so this admits real runs of several hundred million events
/// (minutes) and refuses the products of factors that would take days.
pub const MAX_EVENTS_ESTIMATED: f64 = 1e10;

/// Highest peak offered rate (requests per second, all tenants together) accepted.
pub const MAX_PEAK_RATE: f64 = 1e7;

/// Engine events per request attempt besides those of DB queries (arrival, admission,
/// dispatch, service, completion, timeout bookkeeping): a rough, deliberately high count.
const EVENTS_PER_ATTEMPT: f64 = 8.0;

/// What a scenario implies.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Peak offered rate, requests per second.
    pub peak_rate: f64,
    /// Requests over the run at that peak.
    pub requests: f64,
    /// Engine events per request, retries included.
    pub events_per_request: f64,
    /// `requests × events_per_request`.
    pub events: f64,
    /// The largest single source of load, and its peak rate (requests per second).
    pub largest: (String, f64),
}

/// A high quantile of `d`: what the largest of `n` draws is likely to be (pessimistic).
fn tail(d: &Dist, n: f64) -> f64 {
    let n = n.max(2.0);
    let v = match d {
        Dist::Const(v) => *v,
        Dist::Uniform { lo, hi } => lo.max(*hi),
        Dist::Exp { mean } => mean * libm::log(n),
        Dist::Normal { mean, sd } => mean + sd.abs() * libm::sqrt(2.0 * libm::log(n)),
        Dist::LogNormal { median, sigma } => {
            median * libm::exp(sigma.abs() * libm::sqrt(2.0 * libm::log(n)))
        }
        // P(X > x) = (scale/x)^α; the expected maximum of n draws is near scale · n^(1/α).
        Dist::Pareto { alpha, scale } => scale * libm::pow(n, 1.0 / alpha.max(1e-9)),
        Dist::Empirical { values, .. } => values.iter().copied().fold(0.0, f64::max),
    };
    if v.is_finite() {
        v.max(0.0)
    } else {
        f64::INFINITY
    }
}

/// Sum of `n` draws of `d`, pessimistically: n × mean (if finite) plus the likely maximum.
fn sum_of(d: &Dist, n: f64) -> f64 {
    if n <= 0.0 {
        return 0.0;
    }
    let max = tail(d, n);
    match d.mean() {
        Some(m) if m.is_finite() => n * m.max(0.0) + max,
        // No finite mean: every draw may be as large as the maximum.
        _ => n * max,
    }
}

/// The estimate for `sc` (see the module docs).
pub fn estimate(sc: &Scenario) -> Estimate {
    let shape = sc.workload.max().max(0.0);
    // Every hot_tenant factor that may apply to a tenant (overlaps multiply, pessimistically).
    let factor_of = |id: &str| -> f64 {
        sc.faults
            .iter()
            .filter_map(|f| match &f.kind {
                FaultKind::HotTenant { tenant, factor, .. } if tenant == id => {
                    Some(factor.max(1.0))
                }
                _ => None,
            })
            .product()
    };
    let mut largest = (String::new(), 0.0f64);
    let mut total = 0.0f64;
    let mut note = |who: String, rate: f64, total: &mut f64| {
        let rate = if rate.is_nan() { f64::INFINITY } else { rate };
        *total += rate;
        if rate > largest.1 || largest.0.is_empty() {
            largest = (who, rate);
        }
    };
    for t in &sc.tenants {
        let own = t.schedule.as_ref().map_or(1.0, |s| s.max().max(0.0));
        let spike = t.spike.map_or(1.0, |s| s.factor.max(1.0));
        let base = match &t.arrival {
            Arrival::Poisson => t.rate,
            // A closed loop sends at most one request per user per think time (1 ms floor:
            // with no think time the loop is bounded by the platform, not by the scenario).
            Arrival::Closed { users, think, .. } => {
                *users as f64 / think.mean().unwrap_or(0.0).max(1e-3)
            }
        };
        let jobs = t.jobs.as_ref().map_or(0.0, |j| j.rate.max(0.0));
        let factor = factor_of(&t.id);
        let rate = base.max(0.0) * own * spike * shape * factor + jobs;
        let why = describe(&t.id, base, own * shape, spike, factor);
        note(why, rate, &mut total);
    }
    for c in &sc.cohorts {
        let n = c.count as f64;
        let own = c.schedule.as_ref().map_or(1.0, |s| s.max().max(0.0));
        let spike = if c.spiky_fraction > 0.0 {
            c.spike.factor.max(1.0)
        } else {
            1.0
        };
        let jobs = c.jobs.as_ref().map_or(0.0, |j| j.rate.max(0.0)) * n;
        let drawn = sum_of(&c.rate, n);
        let rate = drawn * own * spike * shape + jobs;
        let why = format!(
            "cohort `{}` ({} members with rate {}: up to {}/s in all{})",
            c.name,
            c.count,
            c.rate.to_text(Quantity::Rate),
            short(drawn),
            if own * spike * shape > 1.0 {
                format!(
                    ", × {} from its schedule and spikes",
                    short(own * spike * shape)
                )
            } else {
                String::new()
            }
        );
        note(why, rate, &mut total);
    }
    let attempts = sc
        .classes
        .iter()
        .map(|c| c.retry.policy.max_attempts() as f64)
        .fold(1.0, f64::max);
    let queries = sc
        .classes
        .iter()
        .map(|c| {
            let q = c.db_queries.mean().unwrap_or(f64::INFINITY).max(0.0);
            if q.is_finite() {
                q
            } else {
                tail(&c.db_queries, 1e6)
            }
        })
        .fold(0.0, f64::max);
    let events_per_request = (EVENTS_PER_ATTEMPT + 2.0 * queries) * attempts;
    let requests = total * sc.duration.as_secs_f64();
    Estimate {
        peak_rate: total,
        requests,
        events_per_request,
        events: requests * events_per_request,
        largest,
    }
}

fn describe(id: &str, base: f64, shape: f64, spike: f64, factor: f64) -> String {
    let mut s = format!("tenant `{id}` ({}/s", short(base));
    if shape > 1.0 {
        s.push_str(&format!(" × {} at its schedule's peak", short(shape)));
    }
    if spike > 1.0 {
        s.push_str(&format!(" × {} in its spikes", short(spike)));
    }
    if factor > 1.0 {
        s.push_str(&format!(
            " × {} from hot_tenant fault factors",
            short(factor)
        ));
    }
    s.push(')');
    s
}

/// A number in a few significant digits (`1.2e9`, `350`).
fn short(x: f64) -> String {
    if !x.is_finite() {
        "unbounded".to_string()
    } else if x.abs() >= 1e6 {
        format!("{x:.2e}")
    } else if x.fract() == 0.0 {
        format!("{x}")
    } else {
        format!("{x:.3}")
    }
}

/// Refuses `sc` when its estimate is absurd (see the module docs), unless `allow_large`.
/// The message names the largest source of load and how to go ahead anyway.
pub fn check(sc: &Scenario, allow_large: bool) -> Result<Estimate, String> {
    let e = estimate(sc);
    if allow_large {
        return Ok(e);
    }
    let bounded_by_max_events = (sc.max_events as f64) < e.events;
    let too_fast = e.peak_rate.is_nan() || e.peak_rate > MAX_PEAK_RATE;
    let too_long = (e.events.is_nan() || e.events > MAX_EVENTS_ESTIMATED) && !bounded_by_max_events;
    if too_fast || too_long {
        let what = if too_fast {
            format!(
                "a peak offered load of {}/s (the limit is {}/s)",
                short(e.peak_rate),
                short(MAX_PEAK_RATE)
            )
        } else {
            format!(
                "about {} engine events ({} requests × {} events each; the limit is {})",
                short(e.events),
                short(e.requests),
                short(e.events_per_request),
                short(MAX_EVENTS_ESTIMATED)
            )
        };
        return Err(format!(
            "{}: error: this scenario implies {what}; the largest source is {}, up to {}/s.\n  = help: lower that load or the duration, set `max_events` to bound the run, or pass --allow-large to run it anyway",
            sc.file,
            e.largest.0,
            short(e.largest.1)
        ));
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    const BASE: &str = r#"
version = 1
duration = "10m"
[platform]
cells = 2
workers = 4
[classes.api]
service = "exp(5ms)"
timeout = "1s"
[[tenants]]
id = "hot"
rate = "100/s"
"#;

    fn load(extra: &str) -> Scenario {
        let text = format!("{BASE}{extra}");
        load_str("t.toml", &text, &[]).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn products_of_valid_factors_are_refused_and_named() {
        // Goal: the load after fault factors and heavy-tailed draws is what is bounded, and
        // the message names where it comes from. Method: each factor alone is accepted by
        // validation; their product is refused by `check` and allowed by `allow_large`.
        let ok = load("");
        let e = check(&ok, false).unwrap();
        assert!((e.peak_rate - 100.0).abs() < 1e-9, "{e:?}");
        assert!(e.events >= e.requests * 8.0);

        let hot = load(
            "[[faults]]\nname = \"a\"\nkind = \"hot_tenant\"\ntenant = \"hot\"\nfactor = 1000000\nat = \"1m\"\nfor = \"1m\"\n\
             [[faults]]\nname = \"b\"\nkind = \"hot_tenant\"\ntenant = \"hot\"\nfactor = 1000000\nat = \"1m\"\nfor = \"1m\"\n",
        );
        let err = check(&hot, false).unwrap_err();
        assert!(
            err.contains("tenant `hot`") && err.contains("hot_tenant"),
            "{err}"
        );
        assert!(err.contains("--allow-large"), "{err}");
        assert!(check(&hot, true).is_ok());

        let tail =
            load("[[cohorts]]\nname = \"many\"\ncount = 1000\nrate = \"pareto(0.2, 1/s)\"\n");
        let err = check(&tail, false).unwrap_err();
        assert!(err.contains("cohort `many`"), "{err}");
    }

    #[test]
    fn shipped_scenarios_are_accepted_and_over_estimated() {
        // Goal: the bound refuses nothing shipped, with room to spare. Method: every file in
        // scenarios/ and each of its variants passes `check`, at under a quarter of the bound.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|x| x != "toml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.display().to_string();
            let sc = load_str(&name, &text, &[]).unwrap_or_else(|e| panic!("{e}"));
            let e = check(&sc, false).unwrap_or_else(|m| panic!("{m}"));
            assert!(e.events < MAX_EVENTS_ESTIMATED / 4.0, "{name}: {e:?}");
            for v in &sc.variants {
                let sv = crate::scenario::load_variant(&name, &text, &[], Some(&v.name)).unwrap();
                check(&sv, false).unwrap_or_else(|m| panic!("{name} {}: {m}", v.name));
            }
            n += 1;
        }
        assert!(n >= 5);
    }

    #[test]
    fn max_events_bounds_the_work() {
        // Goal: a scenario whose `max_events` caps the run is not refused for its length.
        // Method: a long run with many events is refused, then accepted with max_events set.
        let long = "[[cohorts]]\nname = \"many\"\ncount = 50000\nrate = \"100/s\"\n";
        let sc = load(long);
        assert!(check(&sc, false).is_err(), "{:?}", estimate(&sc));
        let mut capped = sc.clone();
        capped.max_events = 1_000_000;
        assert!(check(&capped, false).is_ok());
    }
}

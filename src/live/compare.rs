//! Simulated vs measured, side by side: per tier, per selected tenant, per SLO.

use reports::summary::{Outcomes, RunSummary};

fn rel(sim: f64, live: f64) -> String {
    if sim == 0.0 && live == 0.0 {
        "0%".into()
    } else if sim == 0.0 {
        "n/a".into()
    } else {
        format!("{:+.0}%", 100.0 * (live - sim) / sim)
    }
}

fn tput(o: &Outcomes, secs: f64) -> f64 {
    o.ok as f64 / secs.max(1e-9)
}

/// The side-by-side table. `secs` is the span both runs cover (the scenario's duration).
/// `tenants` are the tenants to show individually (watched ones, SLOs' worst).
pub fn table(sim: &RunSummary, live: &RunSummary, secs: f64, tenants: &[String]) -> String {
    let mut t = String::new();
    t.push_str("\nsimulated vs measured (same seed, same arrivals)\n");
    t.push_str(&format!(
        "  {:<22} {:>10} {:>10} {:>7} {:>10} {:>10} {:>7} {:>9} {:>9} {:>9} {:>9}\n",
        "group",
        "p50 sim",
        "p50 live",
        "diff",
        "p99 sim",
        "p99 live",
        "diff",
        "err sim",
        "err live",
        "ok/s sim",
        "ok/s live"
    ));
    let mut row = |name: &str,
                   so: &Outcomes,
                   sp50: f64,
                   sp99: f64,
                   lo: &Outcomes,
                   lp50: f64,
                   lp99: f64| {
        t.push_str(&format!(
            "  {:<22} {:>8.2}ms {:>8.2}ms {:>7} {:>8.2}ms {:>8.2}ms {:>7} {:>8.2}% {:>8.2}% {:>9.1} {:>9.1}\n",
            name,
            sp50,
            lp50,
            rel(sp50, lp50),
            sp99,
            lp99,
            rel(sp99, lp99),
            100.0 * so.error_rate(),
            100.0 * lo.error_rate(),
            tput(so, secs),
            tput(lo, secs),
        ));
    };
    for lt in std::iter::once(&live.total).chain(&live.tiers) {
        let st = if lt.name == "all" {
            Some(&sim.total)
        } else {
            sim.tiers.iter().find(|x| x.name == lt.name)
        };
        if let Some(st) = st {
            row(
                &format!("tier {}", lt.name),
                &st.outcomes,
                st.latency.p50_ms,
                st.latency.p99_ms,
                &lt.outcomes,
                lt.latency.p50_ms,
                lt.latency.p99_ms,
            );
        }
    }
    for id in tenants {
        let s = sim.tenants.iter().find(|x| &x.id == id);
        let l = live.tenants.iter().find(|x| &x.id == id);
        if let (Some(s), Some(l)) = (s, l) {
            row(
                &format!("tenant {id}"),
                &s.outcomes,
                s.p50_ms,
                s.p99_ms,
                &l.outcomes,
                l.p50_ms,
                l.p99_ms,
            );
        }
    }
    t.push_str(&format!(
        "  {:<22} {:>14} {:>14} {:>7}  verdicts\n",
        "slo", "sim", "live", "diff"
    ));
    for ls in &live.slos {
        if let Some(ss) = sim.slos.iter().find(|x| x.name == ls.name) {
            t.push_str(&format!(
                "  {:<22} {:>14} {:>14} {:>7}  {} / {}\n",
                ls.name,
                ss.measured_text,
                ls.measured_text,
                rel(ss.measured, ls.measured),
                if ss.passed { "pass" } else { "FAIL" },
                if ls.passed { "pass" } else { "FAIL" },
            ));
        }
    }
    t
}

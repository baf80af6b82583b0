//! Terminal rendering of a run summary: a per-tier table, an SLO table, the ledger.
//!
//! Plain text, fixed-width columns, no colour codes (output is often a CI log). The same
//! summary always renders to the same bytes.

use crate::summary::{GroupRow, MetastabilityRow, MetastableFault, RunSummary};
use std::fmt::Write;

pub use crate::format::thousands;

/// Formats milliseconds compactly: `0.42ms`, `12.3ms`, `1.20s`.
pub fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2}s", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.1}ms")
    } else {
        format!("{v:.2}ms")
    }
}

/// Formats a fraction as a percentage with enough digits for availability: `99.95%`.
pub fn pct(v: f64) -> String {
    if (0.99..1.0).contains(&v) {
        format!("{:.3}%", v * 100.0)
    } else {
        format!("{:.2}%", v * 100.0)
    }
}

/// The loud line for a fault flagged by the metastability detector:
/// `did not recover (metastable): fault db-slow, goodput 49% of offered, 3.02 attempts per
/// request, for 180 s after it ended (until the end of the run)`.
pub fn metastable_line(m: &MetastabilityRow, f: &MetastableFault) -> String {
    let mut what = Vec::new();
    if let Some(g) = f.goodput.filter(|g| *g < m.goodput_below) {
        what.push(format!("goodput {:.0}% of offered", g * 100.0));
    }
    if let Some(a) = f.amplification.filter(|a| *a > m.amplification_above) {
        what.push(format!("{a:.2} attempts per request"));
    }
    if what.is_empty() {
        what.push("bad windows".to_string());
    }
    format!(
        "did not recover (metastable): fault {}, {}, for {:.0} s after it ended{}",
        f.fault,
        what.join(", "),
        f.stuck_s,
        if f.until_end {
            " (until the end of the run)"
        } else {
            ""
        }
    )
}

fn tier_line(out: &mut String, g: &GroupRow) {
    let o = &g.outcomes;
    let _ = writeln!(
        out,
        "  {:<10} {:>7} {:>11} {:>11} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}",
        g.name,
        thousands(g.tenants),
        thousands(o.offered),
        thousands(o.ok),
        thousands(o.rejected_429),
        thousands(o.shed_503),
        thousands(o.errors_5xx),
        thousands(o.timeouts),
        pct(o.availability()),
        ms(g.latency.p50_ms),
        ms(g.latency.p99_ms),
        ms(g.latency.p999_ms),
    );
}

/// Renders the summary for a terminal.
pub fn render(s: &RunSummary) -> String {
    let mut out = String::new();
    let variant = s
        .variant
        .as_deref()
        .map(|v| format!(" variant {v}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "tenantsim run: {} ({}) seed {}{} — {:.0}s simulated",
        s.scenario, s.file, s.seed, variant, s.sim_seconds
    );
    if !s.overrides.is_empty() {
        let _ = writeln!(out, "  overrides: {}", s.overrides.join(" "));
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {:<10} {:>7} {:>11} {:>11} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "TIER",
        "TENANTS",
        "OFFERED",
        "OK",
        "429",
        "503",
        "5XX",
        "TIMEOUT",
        "AVAIL",
        "P50",
        "P99",
        "P99.9"
    );
    for g in &s.tiers {
        tier_line(&mut out, g);
    }
    if s.tiers.len() > 1 {
        tier_line(&mut out, &s.total);
    }
    if !s.total.causes.is_empty() {
        let causes: Vec<String> = s
            .total
            .causes
            .iter()
            .map(|(k, v)| format!("{k} {}", thousands(*v)))
            .collect();
        let _ = writeln!(out, "  failure causes: {}", causes.join(", "));
    }
    if let Some(line) = s.waits.terminal_line() {
        let _ = writeln!(out, "  {line}");
    }
    faults_table(&mut out, s);
    control_lines(&mut out, s);
    rollouts(&mut out, s);
    slos_table(&mut out, s);
    ledger_lines(&mut out, s);
    out
}

/// The faults table, what the seed drew, and the metastability warnings.
fn faults_table(out: &mut String, s: &RunSummary) {
    if !s.faults.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  {:<22} {:<18} {:>8} {:>8}  {:<24} {:>9} {:>10}",
            "FAULT", "KIND", "START", "END", "TARGET", "AFFECTED", "RECOVERY"
        );
        for f in &s.faults {
            let recovery = match f.recovery_s {
                Some(r) => format!("{r:.0}s"),
                None => "not yet".to_string(),
            };
            let _ = writeln!(
                out,
                "  {:<22} {:<18} {:>7.0}s {:>7.0}s  {:<24} {:>9} {:>10}",
                f.name,
                f.kind,
                f.start_s,
                f.end_s,
                f.target.as_deref().unwrap_or("-"),
                thousands(f.affected_tenants),
                recovery
            );
        }
        let _ = writeln!(
            out,
            "  (affected: other tenants with ≥5% bad requests from the fault's start to recovery; \
recovery: time after the fault until every tier is healthy for 5 windows)"
        );
        for f in s.faults.iter().filter(|f| f.resolved.is_some()) {
            let _ = writeln!(
                out,
                "  drawn from the seed: {}: {}",
                f.name,
                f.resolved.as_deref().unwrap_or("")
            );
        }
        let mut flagged = 0;
        for f in s.metastable_faults() {
            let _ = writeln!(out, "  WARNING: {}", metastable_line(&s.metastability, f));
            flagged += 1;
        }
        if flagged > 0 {
            let m = &s.metastability;
            let _ = writeln!(
                out,
                "  (metastable: goodput < {:.0}% of offered or > {} attempts per request for ≥ {:.0} s \
after a fault ended; thresholds in the scenario's [metastability])",
                m.goodput_below * 100.0,
                m.amplification_above,
                m.for_s
            );
        }
    }
}

/// What the acting control plane did, and shuffle-sharding's measured overlap.
fn control_lines(out: &mut String, s: &RunSummary) {
    if !s.control.action_counts.is_empty() {
        let total: u64 = s.control.action_counts.values().sum();
        let outcomes = s
            .control
            .action_outcomes
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  control plane acted {total} time(s): {outcomes} (control.actions in summary.json)"
        );
    }
    if let Some(o) = &s.control.shard_overlap {
        let pct = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{:.2}%", x * 100.0))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  shuffle_shard: {} of {} cells per tenant; pairs of tenants sharing 0..{} cells: {} (random shards: {}; {} tenants)",
            o.shard_size,
            o.cells,
            o.shard_size,
            pct(&o.measured),
            pct(&o.expected),
            o.tenants
        );
    }
}

/// The SLO table.
fn slos_table(out: &mut String, s: &RunSummary) {
    if !s.slos.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  {:<26} {:<24} {:<9} {:>10} {:<16} {:>10}  VERDICT",
            "SLO", "OBJECTIVE", "SCOPE", "MEASURED", "WORST", "BREACHING"
        );
        for r in &s.slos {
            let judged = if r.scope == "each" {
                format!("{}/{}", r.tenants_breaching, r.tenants_judged)
            } else {
                "-".to_string()
            };
            let _ = writeln!(
                out,
                "  {:<26} {:<24} {:<9} {:>10} {:<16} {:>10}  {}",
                r.name,
                r.objective,
                r.scope,
                r.measured_text,
                r.worst_tenant.as_deref().unwrap_or("-"),
                judged,
                if r.passed { "PASS" } else { "FAIL" }
            );
            let _ = writeln!(out, "  {:<26} window {}", "", r.window);
        }
    }
}

/// The request ledger, an early stop, the digest.
fn ledger_lines(out: &mut String, s: &RunSummary) {
    let l = &s.ledger;
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  ledger: {} requests = {} finished + {} in flight; {} attempts (amplification {:.3}, {} wasted); {}",
        thousands(l.requests_started),
        thousands(l.requests_finished),
        thousands(l.requests_in_flight),
        thousands(l.attempts_started),
        s.total.outcomes.amplification(),
        thousands(l.attempts_wasted),
        if l.balanced { "balanced" } else { "NOT BALANCED" }
    );
    if s.stop != "time_reached" {
        let _ = writeln!(
            out,
            "  WARNING: the run stopped early ({}); results cover only part of it",
            s.stop
        );
    }
    let _ = writeln!(out, "  digest {}  events {}", s.digest, thousands(s.events));
}

/// The rollouts section (only when the scenario declares rollouts): one line per rollout,
/// one per wave.
fn rollouts(out: &mut String, s: &RunSummary) {
    let secs = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |x| format!("{x:.0}s"));
    for r in &s.rollouts {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  ROLLOUT {} ({}; gate {} over {}; on_error {}): {} at {} — {} of {} tenants changed, {} exposed, {} cells",
            r.name,
            r.change,
            r.gate.as_deref().unwrap_or("none"),
            r.gate_scope,
            r.on_error,
            r.outcome,
            secs(r.end_s.or(r.start_s)),
            r.tenants_changed,
            r.tenants_planned,
            r.tenants_exposed,
            r.cells_exposed
        );
        if let Some(b) = &r.burn_gate {
            let _ = writeln!(out, "    burn-rate gate: {b}");
        }
        if let Some(by) = &r.tripped_by {
            let _ = writeln!(
                out,
                "    tripped by `{}` = {} at {} in wave {}; {} from the first bad wave's start to the halt",
                by,
                r.tripped_value.as_deref().unwrap_or("-"),
                secs(r.tripped_at_s),
                r.first_bad_wave.as_deref().unwrap_or("-"),
                secs(r.time_to_halt_s)
            );
        }
        let _ = writeln!(
            out,
            "    fleet completion {}; paused {:.0}s; failed changes {}; bystanders {} requests, errors {}, p99 {}",
            secs(r.fleet_completion_s),
            r.paused_s,
            r.failed_changes,
            thousands(r.bystander_requests),
            pct(r.bystander_error_rate),
            r.bystander_p99_ms.map_or_else(|| "-".to_string(), ms)
        );
        for w in &r.waves {
            let _ = writeln!(
                out,
                "    wave {:<14} {:>6} tenants  {:>6} → {:<6} gate {:<10} worst {}{}",
                w.name,
                w.tenants,
                secs(Some(w.start_s)),
                secs(w.end_s),
                w.gate,
                w.worst.as_deref().unwrap_or("-"),
                w.worst_burn
                    .as_deref()
                    .map_or_else(String::new, |b| format!(", burn {b}"))
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(ms(0.4234), "0.42ms");
        assert_eq!(ms(1500.0), "1.50s");
        assert_eq!(pct(0.9995), "99.950%");
        assert_eq!(pct(1.0), "100.00%");
    }

    #[test]
    fn renders_verdicts_and_ledger() {
        let mut s = RunSummary::default();
        s.slos.push(crate::summary::SloRow {
            name: "p99".into(),
            objective: "p(99) < 250ms".into(),
            scope: "each".into(),
            passed: false,
            measured_text: "312ms".into(),
            ..Default::default()
        });
        s.stop = "time_reached".into();
        let text = render(&s);
        assert!(text.contains("FAIL"));
        assert!(text.contains("312ms"));
        assert!(text.contains("NOT BALANCED"));
        assert!(!text.contains("metastable"));
    }

    /// Goal: a fault flagged by the metastability detector gets a loud line naming the fault,
    /// what stayed bad and for how long.
    #[test]
    fn flags_metastable_faults() {
        let mut s = RunSummary::default();
        s.faults.push(crate::summary::FaultRow {
            name: "db-slow".into(),
            ..Default::default()
        });
        s.metastability = MetastabilityRow {
            goodput_below: 0.9,
            amplification_above: 1.5,
            for_s: 60.0,
            min_requests: 20,
            faults: vec![MetastableFault {
                fault: "db-slow".into(),
                flagged: true,
                stuck_s: 240.0,
                goodput: Some(0.12),
                amplification: Some(1.2),
                ..Default::default()
            }],
        };
        let text = render(&s);
        assert!(
            text.contains(
                "did not recover (metastable): fault db-slow, goodput 12% of offered, for 240 s after it ended"
            ),
            "{text}"
        );
        s.metastability.faults[0].flagged = false;
        assert!(!render(&s).contains("metastable"));
    }
}

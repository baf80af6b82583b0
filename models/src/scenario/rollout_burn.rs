//! `burn_gate` of a `[[rollouts]]` entry: a health gate on the error-budget burn rate of a
//! declared SLO, as written and as checked.
//!
//! ```toml
//! burn_gate = { slo = "bystanders-errors", burn_rate = 14.4, window = "1m", short_window = "20s" }
//! ```
//!
//! The SLO gives the budget: the share of requests its objective allows to be bad
//! (`error_rate < 1%`: 1%; `availability > 99.9%`: 0.1%; `p(99) < 250ms`: the 1% of
//! requests allowed to be slower than 250 ms or to fail). The gate measures the rollout's
//! gate traffic (`gate_scope`), not the SLO's own tenants or window: it asks "at what rate
//! is the change burning this SLO's budget?". It trips when the burn rate over `window` is at
//! or above `burn_rate` — and, with `short_window` (multi-window alerting), over the short
//! window too, so a burn that has stopped no longer trips it. The engine is
//! `crate::platform::rollout_burn`; the window arithmetic is
//! [`crate::component::burn_rate`].
//!
//! Several gates (multi-window, multi-SLO): `burn_gates = [{ … }, { … }]`, after
//! `burn_gate` if both are given. Every gate records every judged interval; the first (in
//! that order) that trips halts the rollout and is named in `tripped_by`.
//!
//! **Guarantees.** Every impossible setting is a located error (file:line:column): an SLO
//! that does not exist, an SLO whose objective counts no bad requests (a mean, an
//! amplification, a whole-run counter, or the wrong direction) or leaves no budget
//! (`error_rate < 0%`), a `burn_rate` that is not above 0, a zero window, a window shorter
//! than `gate_every` (it would never hold a whole judged interval), and a `short_window`
//! longer than `window`. Without the key the checked value is `None` and the engine keeps no
//! burn state.

use super::rollouts::{Rollout, RolloutConfig};
use super::values::{Cmp, Dur, Metric};
use super::{suggest, Checker, Slo};
use serde::Deserialize;
use sim::SimDuration;
use toml::Spanned;

/// `burn_gate = { … }` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurnGateConfig {
    /// The `[[slos]]` entry whose error budget is measured.
    pub slo: Spanned<String>,
    /// Trip at or above this burn rate (1 = spending exactly the budget), > 0.
    pub burn_rate: Spanned<f64>,
    /// The window the rate is measured over (≥ the rollout's `gate_every`).
    pub window: Spanned<Dur>,
    /// Optional second, shorter window that must burn too (multi-window gate).
    pub short_window: Option<Spanned<Dur>>,
}

/// Which requests of a judged interval are bad, and out of which.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BadShare {
    /// Answered and not ok, of the answered (`error_rate`, `availability`).
    Failed,
    /// Not ok, of every finished request, 429s included (`throughput`).
    NotServed,
    /// Timed out, of the answered (`timeout_rate`).
    TimedOut,
    /// 429, of every finished request (`rejected_rate`).
    Rejected,
    /// Answered `stale_read`, of the answered (`stale_read_rate`).
    StaleRead,
    /// Failed, or ok slower than this many ns, of the answered (`p(N) < D`).
    SlowerThan(u64),
}

/// A checked burn-rate gate.
#[derive(Clone, Debug, PartialEq)]
pub struct BurnGate {
    /// The SLO's name.
    pub slo: String,
    /// The budget: the share of requests the SLO allows to be bad, (0, 1].
    pub budget: f64,
    /// What counts as bad.
    pub bad: BadShare,
    /// Trip at or above this rate.
    pub rate: f64,
    /// The (long) window.
    pub window: SimDuration,
    /// The short window, if any.
    pub short_window: Option<SimDuration>,
}

impl BurnGate {
    /// The gate in words, as `tripped_by` and the report show it.
    pub fn text(&self) -> String {
        match self.short_window {
            None => format!(
                "burn_rate({}) >= {} over {}",
                self.slo,
                num(self.rate),
                self.window
            ),
            Some(s) => format!(
                "burn_rate({}) >= {} over {} and {}",
                self.slo,
                num(self.rate),
                self.window,
                s
            ),
        }
    }
}

/// A burn rate as written in reports: `16.2x`.
pub fn format_burn(v: f64) -> String {
    format!("{}x", num(v))
}

fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// What the SLO objective counts as bad and its budget, or why it has none.
fn budget_of(metric: Metric, cmp: Cmp, bound: f64) -> Result<(BadShare, f64), String> {
    let below = matches!(cmp, Cmp::Lt | Cmp::Le);
    let above = matches!(cmp, Cmp::Gt | Cmp::Ge);
    let (bad, budget) = match metric {
        Metric::ErrorRate if below => (BadShare::Failed, bound),
        Metric::Availability if above => (BadShare::Failed, 1.0 - bound),
        Metric::Throughput if above => (BadShare::NotServed, 1.0 - bound),
        Metric::TimeoutRate if below => (BadShare::TimedOut, bound),
        Metric::RejectedRate if below => (BadShare::Rejected, bound),
        Metric::StaleReadRate if below => (BadShare::StaleRead, bound),
        Metric::LatencyPercentile(p) if below => (
            BadShare::SlowerThan(bound.max(0.0) as u64),
            1.0 - p / 100.0,
        ),
        _ => {
            return Err("its objective counts no bad requests; a burn rate needs `error_rate`, `timeout_rate`, `rejected_rate` or `stale_read_rate` `< X`, `availability` or `throughput` `> X`, or `p(N) < D`".to_string())
        }
    };
    if !(budget > 0.0 && budget <= 1.0) {
        return Err(format!(
            "its objective leaves no error budget (a share of {:.4}% may be bad)",
            budget * 100.0
        ));
    }
    Ok((bad, budget))
}

/// Checks each rollout's `burn_gate` against the declared SLOs and sets `burn` on the
/// checked rollouts (given in file order, one per entry of `raw`).
pub(super) fn resolve(
    c: &mut Checker,
    raw: &[RolloutConfig],
    mut rollouts: Vec<Rollout>,
    slos: &[Slo],
) -> Vec<Rollout> {
    for (r, out) in raw.iter().zip(rollouts.iter_mut()) {
        let gates = r
            .burn_gate
            .iter()
            .map(|g| (g, "burn_gate".to_string()))
            .chain(
                r.burn_gates
                    .iter()
                    .enumerate()
                    .map(|(k, g)| (g, format!("burn_gates[{k}]"))),
            );
        for (g, key) in gates {
            resolve_one(c, r, out, slos, g, &key);
        }
    }
    rollouts
}

/// Checks one burn gate `g` (written at `key`) of rollout `r` and adds it to `out`.
fn resolve_one(
    c: &mut Checker,
    r: &RolloutConfig,
    out: &mut Rollout,
    slos: &[Slo],
    g: &BurnGateConfig,
    key: &str,
) {
    let name = r.name.get_ref();
    let at = format!("rollout `{name}`: {key}");
    let slo_name = g.slo.get_ref();
    let share = budget_share(c, g, slos, &at);
    let rate = *g.burn_rate.get_ref();
    if !(rate > 0.0 && rate.is_finite()) {
        c.err(
            g.burn_rate.span(),
            format!("{at}: burn_rate is {rate}; it must be above 0 (1 = spending exactly the budget; 14.4 is the classic fast burn)"),
        );
    }
    let window = g.window.get_ref().0;
    if window == SimDuration::ZERO {
        c.err(
            g.window.span(),
            format!("{at}: window is zero; use e.g. `window = \"5m\"`"),
        );
    } else if window < out.gate_every {
        c.err(
            g.window.span(),
            format!(
                "{at}: window {window} is shorter than gate_every ({}), so it would never hold a whole judged interval",
                out.gate_every
            ),
        );
    }
    let short_window = short_window(c, g, (window, out.gate_every), &at);
    if let Some((bad, budget)) = share {
        out.burns.push(BurnGate {
            slo: slo_name.clone(),
            budget,
            bad,
            rate,
            window,
            short_window,
        });
    }
}

/// The budget of the gate's SLO (`slo`, a declared SLO whose objective has one): its
/// `(bad, budget)` share, or `None` after an error.
fn budget_share(
    c: &mut Checker,
    g: &BurnGateConfig,
    slos: &[Slo],
    at: &str,
) -> Option<(BadShare, f64)> {
    let slo_name = g.slo.get_ref();
    let slo = slos.iter().find(|s| &s.name == slo_name);
    match slo {
        None => {
            c.err(
                g.slo.span(),
                format!(
                    "{at}: no SLO `{slo_name}`{}; SLOs are: {}",
                    suggest::hint(slo_name, slos.iter().map(|s| s.name.as_str())),
                    if slos.is_empty() {
                        "none (declare one in [[slos]])".to_string()
                    } else {
                        slos.iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            );
            None
        }
        Some(s) => match budget_of(s.objective.metric, s.objective.cmp, s.objective.bound) {
            Ok(x) => Some(x),
            Err(why) => {
                c.err(
                    g.slo.span(),
                    format!("{at}: SLO `{slo_name}` (`{}`): {why}", s.objective.text),
                );
                None
            }
        },
    }
}

/// The gate's `short_window`: at least one judged interval (`gate_every`) and not longer
/// than its `window`.
fn short_window(
    c: &mut Checker,
    g: &BurnGateConfig,
    (window, gate_every): (SimDuration, SimDuration),
    at: &str,
) -> Option<SimDuration> {
    let short_window = g.short_window.as_ref().map(|s| (s.span(), s.get_ref().0));
    if let Some((span, sw)) = &short_window {
        if *sw == SimDuration::ZERO || *sw < gate_every {
            c.err(
                span.clone(),
                format!(
                    "{at}: short_window {sw} is shorter than gate_every ({gate_every}); it would never hold a whole judged interval"
                ),
            );
        } else if *sw > window {
            c.err(
                span.clone(),
                format!("{at}: short_window {sw} is longer than window {window}; the short window is the recent part of the long one"),
            );
        }
    }
    short_window.map(|x| x.1)
}

#[cfg(test)]
mod tests {
    use crate::scenario::load_str;

    const BASE: &str = r#"version = 1
duration = "2m"
[[cohorts]]
name = "c"
count = 4
rate = "5/s"
[[slos]]
name = "errors"
objective = "error_rate < 1%"
[[slos]]
name = "mean"
objective = "mean < 10ms"
[[slos]]
name = "perfect"
objective = "availability >= 100%"
[[rollouts]]
name = "r"
change = "config"
at = "10s"
rate_limit = "1/s"
groups = [{}]
"#;

    fn error(line: &str) -> (usize, usize, String) {
        let text = format!("{BASE}{line}\n");
        let e = load_str("t.toml", &text, &[]).expect_err("refused");
        let e = &e.0[0];
        (e.line, e.column, e.message.clone())
    }

    /// Goal: each class of impossible burn gate is an error located at the key at fault.
    /// Method: one file per class, the gate on line 22; check line, column and message.
    #[test]
    fn impossible_burn_gates_are_located_errors() {
        let g = |s: &str| format!("burn_gate = {{ {s} }}");
        let (l, col, m) = error(&g(r#"slo = "erors", burn_rate = 2, window = "1m""#));
        assert_eq!((l, col), (22, 21));
        assert!(
            m.contains("no SLO `erors`") && m.contains("did you mean `errors`"),
            "{m}"
        );
        let (l, _, m) = error(&g(r#"slo = "mean", burn_rate = 2, window = "1m""#));
        assert_eq!(l, 22);
        assert!(m.contains("counts no bad requests"), "{m}");
        let (_, _, m) = error(&g(r#"slo = "perfect", burn_rate = 2, window = "1m""#));
        assert!(m.contains("no error budget"), "{m}");
        let (_, col, m) = error(&g(r#"slo = "errors", burn_rate = 0, window = "1m""#));
        assert_eq!(col, 43);
        assert!(m.contains("burn_rate is 0"), "{m}");
        let (_, _, m) = error(&g(r#"slo = "errors", burn_rate = -1.5, window = "1m""#));
        assert!(m.contains("above 0"), "{m}");
        let (_, col, m) = error(&g(r#"slo = "errors", burn_rate = 2, window = "0s""#));
        assert_eq!(col, 55);
        assert!(m.contains("window is zero"), "{m}");
        let (_, _, m) = error(&g(r#"slo = "errors", burn_rate = 2, window = "5s""#));
        assert!(m.contains("shorter than gate_every"), "{m}");
        let (_, _, m) = error(&g(
            r#"slo = "errors", burn_rate = 2, window = "1m", short_window = "2m""#,
        ));
        assert!(m.contains("longer than window"), "{m}");
        let (_, _, m) = error(&g(r#"slo = "errors", burn_rate = 2, windw = "1m""#));
        assert!(m.contains("windw"), "{m}");
    }

    /// Goal: a valid gate keeps its SLO's budget and what counts as bad, for each kind of
    /// objective. Method: load gates over an error-rate, an availability and a latency SLO.
    #[test]
    fn budgets_come_from_the_slo() {
        use super::{BadShare, BurnGate};
        let load = |slo: &str, objective: &str| -> BurnGate {
            let text = format!(
                "{BASE}burn_gate = {{ slo = \"{slo}\", burn_rate = 14.4, window = \"1m\", short_window = \"10s\" }}\n[[slos]]\nname = \"{slo}\"\nobjective = \"{objective}\"\n"
            );
            let sc = load_str("t.toml", &text, &[]).unwrap();
            sc.rollouts[0].burns[0].clone()
        };
        let g = load("e2", "error_rate < 2%");
        assert_eq!((g.bad, g.budget, g.rate), (BadShare::Failed, 0.02, 14.4));
        assert_eq!(g.window, sim::SimDuration::from_secs(60));
        assert_eq!(g.short_window, Some(sim::SimDuration::from_secs(10)));
        assert_eq!(g.text(), "burn_rate(e2) >= 14.4 over 1m and 10s");
        let g = load("av", "availability > 99.5%");
        assert_eq!(g.bad, BadShare::Failed);
        assert!((g.budget - 0.005).abs() < 1e-12);
        let g = load("lat", "p(99) < 250ms");
        assert_eq!(g.bad, BadShare::SlowerThan(250_000_000));
        assert!((g.budget - 0.01).abs() < 1e-12);
        let sc = load_str("t.toml", BASE, &[]).unwrap();
        assert!(sc.rollouts[0].burns.is_empty());
    }
}

//! The rollout timeline in `report.html`: per staged rollout, one row per wave from its
//! start to its end, coloured by the gate's verdict, with the halt (or the gate failure)
//! and the rollback marked on the same time axis, then a table of the waves.
//!
//! ```text
//!   add-index  migration · gate p(99) < 250ms · halted
//!   canary (8)          ▐██▌                 (green: pass, vermillion: fail, grey: not judged)
//!   cell-0 (32)            ┃ halted at 70 s: p(99) < 250ms = 1.95s
//!   rollback                ▬▬▬▬▬             (only when it rolled back: halt → end)
//! ```
//!
//! It reads recorded data only: `rollouts` of the summary (waves, their start, end, verdict
//! and worst values; the rollout's outcome, what tripped it, when, and in which wave).
//! Guarantees: a run without rollouts gets no section (the page is unchanged); rollouts and
//! waves are drawn in file order; every user string is escaped; a wave still running at the
//! end of the run is drawn to the end of the run; each bar's tooltip names the wave, its
//! tenants, its start and end, the verdict and the worst value the gates measured.

use crate::html::escape;
use crate::summary::{RolloutRow, RunSummary};
use std::fmt::Write as _;

/// Colour of a wave by the gate's verdict (Okabe–Ito): pass, fail, not judged.
fn colour(verdict: &str) -> &'static str {
    match verdict {
        "pass" => "#009E73",
        "fail" => "#D55E00",
        _ => "#8a8a8a",
    }
}

/// Appends the rollout timeline, or nothing when the run declared no rollout.
pub(crate) fn section(h: &mut String, s: &RunSummary) {
    if s.rollouts.is_empty() {
        return;
    }
    h.push_str("<h2 id=\"rollouts\">Rollout timeline</h2>\n");
    let mut span = s.sim_seconds;
    for r in &s.rollouts {
        for w in &r.waves {
            span = span.max(w.end_s.unwrap_or(w.start_s));
        }
        span = span.max(r.end_s.unwrap_or(0.0));
    }
    let span = if span > 0.0 { span } else { 1.0 };
    for r in &s.rollouts {
        rollout(h, r, span, s.sim_seconds.max(0.0));
    }
    h.push_str(
        "<p class=\"muted\">Each bar is one wave, from its start to the end of its bake (or the \
         halt); green: every gate check passed, vermillion: a gate failed, grey: not judged (no \
         gate, or too few requests). The vertical mark is the first gate failure (a halt, a \
         rollback or, under <code>continue</code>, a failure recorded); the rollback row runs \
         from it to the last undo. Hover for the tenants, times and values.</p>\n",
    );
}

fn rollout(h: &mut String, r: &RolloutRow, span: f64, run_end: f64) {
    heading(h, r);
    bars(h, r, span, run_end);
    wave_table(h, r);
    facts(h, r);
}

/// The rollout's heading: change, gates, scope, policy, outcome and reach.
fn heading(h: &mut String, r: &RolloutRow) {
    let gates: Vec<String> = r
        .gate
        .iter()
        .map(|g| format!("gate <code>{}</code>", escape(g)))
        .chain(
            r.burn_gate
                .iter()
                .map(|g| format!("burn gate <code>{}</code>", escape(g))),
        )
        .collect();
    let _ = writeln!(
        h,
        "<h3>{name} <small class=\"muted\">{change} · {gates} over {scope} · on_error {on_error} · <b>{outcome}</b> · {changed} of {planned} tenants changed, {exposed} exposed</small></h3>",
        name = escape(&r.name),
        change = escape(&r.change),
        gates = if gates.is_empty() {
            "no gate".to_string()
        } else {
            gates.join(" and ")
        },
        scope = escape(&r.gate_scope),
        on_error = escape(&r.on_error),
        outcome = escape(&r.outcome),
        changed = r.tenants_changed,
        planned = r.tenants_planned,
        exposed = r.tenants_exposed,
    );
}

/// One bar per wave (and the rollback), the first failure's mark, and the time axis.
fn bars(h: &mut String, r: &RolloutRow, span: f64, run_end: f64) {
    let at = |t: f64| (100.0 * t / span).clamp(0.0, 100.0);
    h.push_str("<div class=\"timeline\">\n");
    let trip = r.tripped_at_s.map(|t| {
        let what = match (&r.tripped_by, &r.tripped_value) {
            (Some(b), Some(v)) if !v.is_empty() => format!("{b} = {v}"),
            (Some(b), _) => b.clone(),
            (None, _) => String::new(),
        };
        let verb = match r.outcome.as_str() {
            "halted" => "halted",
            "rolled_back" | "rolling_back" => "halted and rolled back",
            _ => "gate failed",
        };
        (t, format!("{verb} at {t:.1} s: {what}"))
    });
    let mark = |h: &mut String| {
        if let Some((t, text)) = &trip {
            let _ = write!(
                h,
                "<div class=\"tl-bar\" style=\"left:{x:.3}%;width:0.4%;background:#000\" title=\"{title}\"></div>",
                x = at(*t),
                title = escape(text)
            );
        }
    };
    for w in &r.waves {
        let end = w.end_s.unwrap_or(run_end.max(w.start_s));
        let (x, y) = (at(w.start_s), at(end));
        let worst = [
            w.worst.as_deref().map(|v| format!("worst {v}")),
            w.worst_burn.as_deref().map(|v| format!("burn {v}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        let _ = write!(
            h,
            "<div class=\"tl-row\"><span class=\"tl-name\" title=\"wave {n}: {t} tenant(s)\">{n} ({t})</span><div class=\"tl-track\">\
             <div class=\"tl-bar\" style=\"left:{x:.3}%;width:{wd:.3}%;background:{c}\" \
             title=\"wave {n}: {t} tenant(s), {a:.1} s → {b}; gate {v}{worst}\"></div>",
            n = escape(&w.name),
            t = w.tenants,
            wd = (y - x).max(0.3),
            c = colour(&w.gate),
            a = w.start_s,
            b = w.end_s.map_or_else(|| "end of run".to_string(), |e| format!("{e:.1} s")),
            v = escape(&w.gate),
            worst = if worst.is_empty() {
                String::new()
            } else {
                format!(" ({})", escape(&worst))
            },
        );
        mark(h);
        h.push_str("</div></div>\n");
    }
    if matches!(r.outcome.as_str(), "rolled_back" | "rolling_back") {
        if let Some(t) = r.tripped_at_s {
            let end = r.end_s.unwrap_or(run_end.max(t));
            let (x, y) = (at(t), at(end));
            let _ = writeln!(
                h,
                "<div class=\"tl-row\"><span class=\"tl-name\">rollback</span><div class=\"tl-track\">\
                 <div class=\"tl-bar\" style=\"left:{x:.3}%;width:{wd:.3}%;background:#CC79A7\" \
                 title=\"rollback {t:.1} s → {b}\"></div></div></div>",
                wd = (y - x).max(0.3),
                b = r
                    .end_s
                    .map_or_else(|| "end of run (still undoing)".to_string(), |e| format!("{e:.1} s")),
            );
        }
    }
    let _ = writeln!(
        h,
        "<div class=\"tl-axis\"><span></span><div><span>0 s</span><span>{span:.0} s</span></div></div>\n</div>"
    );
}

/// The wave table: tenants, times, verdict, and what tripped or the worst measured.
fn wave_table(h: &mut String, r: &RolloutRow) {
    h.push_str(
        "<table>\n<thead><tr><th>wave</th><th class=\"num\">tenants</th><th class=\"num\">start</th>\
         <th class=\"num\">end</th><th>gate</th><th>worst measured</th></tr></thead>\n<tbody>\n",
    );
    for w in &r.waves {
        let tripped_here = r.first_bad_wave.as_deref() == Some(w.name.as_str());
        let measured = if tripped_here {
            match (&r.tripped_by, &r.tripped_value) {
                (Some(b), Some(v)) if !v.is_empty() => {
                    format!("tripped by <code>{}</code> = {}", escape(b), escape(v))
                }
                (Some(b), _) => format!("tripped by <code>{}</code>", escape(b)),
                (None, _) => String::new(),
            }
        } else {
            [
                w.worst.as_deref().map(escape),
                w.worst_burn
                    .as_deref()
                    .map(|b| format!("burn {}", escape(b))),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1} s</td><td class=\"num\">{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            escape(&w.name),
            w.tenants,
            w.start_s,
            w.end_s.map_or_else(|| "-".to_string(), |e| format!("{e:.1} s")),
            if w.gate == "fail" { "fail" } else { "" },
            escape(&w.gate),
            if measured.is_empty() { "-".to_string() } else { measured }
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

/// Time to halt, completion, pauses and failed changes, when there are any.
fn facts(h: &mut String, r: &RolloutRow) {
    let mut facts: Vec<String> = Vec::new();
    if let Some(t) = r.time_to_halt_s {
        facts.push(format!(
            "{t:.0} s from the start of the first bad wave to the halt"
        ));
    }
    if let Some(t) = r.fleet_completion_s {
        facts.push(format!("fleet completed in {t:.0} s"));
    }
    if r.paused_s > 0.0 {
        facts.push(format!(
            "paused {:.0} s (control plane unreachable)",
            r.paused_s
        ));
    }
    if r.failed_changes > 0 {
        facts.push(format!("{} failed change(s)", r.failed_changes));
    }
    if !facts.is_empty() {
        let _ = writeln!(h, "<p class=\"muted\">{}.</p>", facts.join("; "));
    }
}

#[cfg(test)]
mod tests {
    //! Goal: the section appears exactly when rollouts were declared, draws one bar per
    //! wave coloured by its verdict with the halt marked where it happened, draws a
    //! rollback row only for a rollback, and escapes what it shows. Method: a summary with
    //! no rollout; then a halted rollout of three waves; then the same rolled back with a
    //! hostile name.
    use super::*;
    use crate::summary::RolloutWaveRow;

    fn wave(name: &str, start: f64, end: Option<f64>, gate: &str) -> RolloutWaveRow {
        RolloutWaveRow {
            name: name.into(),
            tenants: 8,
            start_s: start,
            end_s: end,
            gate: gate.into(),
            worst: Some("30ms".into()),
            worst_burn: None,
        }
    }

    fn halted() -> RolloutRow {
        RolloutRow {
            name: "add-index".into(),
            change: "migration".into(),
            gate: Some("p(99) < 250ms".into()),
            gate_scope: "changed_and_cellmates".into(),
            on_error: "halt".into(),
            outcome: "halted".into(),
            start_s: Some(60.0),
            end_s: Some(150.0),
            tripped_by: Some("p(99) < 250ms".into()),
            tripped_value: Some("1.95s".into()),
            tripped_at_s: Some(150.0),
            first_bad_wave: Some("cell-0".into()),
            time_to_halt_s: Some(10.0),
            waves: vec![
                wave("canary", 60.0, Some(140.0), "pass"),
                wave("cell-0", 140.0, Some(150.0), "fail"),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn drawn_per_wave_with_the_halt_marked() {
        let mut s = RunSummary {
            sim_seconds: 600.0,
            ..Default::default()
        };
        let mut h = String::new();
        section(&mut h, &s);
        assert!(h.is_empty());
        s.rollouts.push(halted());
        section(&mut h, &s);
        assert!(h.contains("id=\"rollouts\""));
        assert!(h.contains("canary (8)") && h.contains("cell-0 (8)"));
        // The canary passed (green), cell-0 failed (vermillion); 60 s of 600 s is 10%.
        assert!(
            h.contains("left:10.000%;width:13.333%;background:#009E73"),
            "{h}"
        );
        assert!(h.contains("background:#D55E00"));
        // The halt mark at 150 s (25%), once per wave row, naming what tripped.
        assert_eq!(
            h.matches("title=\"halted at 150.0 s: p(99) &lt; 250ms = 1.95s\"")
                .count(),
            2
        );
        assert!(h.contains("tripped by <code>p(99) &lt; 250ms</code> = 1.95s"));
        assert!(h.contains("10 s from the start of the first bad wave to the halt"));
        assert!(!h.contains(">rollback<"));
    }

    #[test]
    fn a_rollback_gets_its_row_and_names_are_escaped() {
        let mut r = halted();
        r.name = "<b>x</b>".into();
        r.outcome = "rolled_back".into();
        r.on_error = "rollback".into();
        r.end_s = Some(300.0);
        r.waves.push(wave("later", 400.0, None, "not_judged"));
        let s = RunSummary {
            sim_seconds: 600.0,
            rollouts: vec![r],
            ..Default::default()
        };
        let mut h = String::new();
        section(&mut h, &s);
        assert!(h.contains("&lt;b&gt;x&lt;/b&gt;") && !h.contains("<b>x</b>"));
        assert!(h.contains(">rollback<"));
        assert!(h.contains("rollback 150.0 s → 300.0 s"));
        assert!(h.contains("halted and rolled back at 150.0 s"));
        // A wave still open at the end is drawn to the end of the run, in grey.
        assert!(
            h.contains("left:66.667%;width:33.333%;background:#8a8a8a"),
            "{h}"
        );
    }
}

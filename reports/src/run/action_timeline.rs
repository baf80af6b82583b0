//! The control plane's action timeline in `report.html`: what the acting control plane did
//! (evacuations, reconciles, scaling, …) drawn over the fault windows on one time axis.
//!
//! ```text
//!   fault: outage        ████████████                      (grey: the fault's window)
//!   evacuate             |  ▮ ▮▮ ▮                         (one mark per action; a bar
//!   scale_up                     ▬▬▬   ▬▬▬                  from start to outcome)
//! ```
//!
//! It reads recorded data only: `control.actions` (the kept actions), `control.action_counts`
//! and the faults of the summary. Guarantees: a run in which the control plane did not act
//! gets no section at all (the page is unchanged); rows are in kind order (a `BTreeMap`),
//! marks in the log's order, every user string escaped; each mark's tooltip names the
//! action's tenant or cell, reason, outcome and duration.

use crate::run::html::escape;
use crate::summary::RunSummary;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Colour of an action kind's marks (Okabe–Ito, by the kind's rank).
const COLOURS: [&str; 6] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
];

/// Appends the action timeline to the page, or nothing when the control plane did not act.
pub(crate) fn section(h: &mut String, s: &RunSummary) {
    let c = &s.control;
    if c.actions.is_empty() {
        return;
    }
    h.push_str("<h2 id=\"actions\">Control-plane actions</h2>\n");
    let mut span = s.sim_seconds;
    for a in &c.actions {
        span = span.max(a.t + a.duration_s);
    }
    let span = if span > 0.0 { span } else { 1.0 };
    let at = |t: f64| (100.0 * t / span).clamp(0.0, 100.0);
    h.push_str("<div class=\"timeline\">\n");
    for f in &s.faults {
        let (a, b) = (at(f.start_s), at(f.end_s.max(f.start_s)));
        let _ = writeln!(
            h,
            "<div class=\"tl-row\"><span class=\"tl-name\" title=\"fault {name}\">fault: {name}</span>\
             <div class=\"tl-track\"><div class=\"tl-bar\" style=\"left:{a:.3}%;width:{w:.3}%;opacity:0.45\"></div></div></div>",
            name = escape(&f.name),
            w = (b - a).max(0.3)
        );
    }
    let mut kinds: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, a) in c.actions.iter().enumerate() {
        kinds.entry(a.kind.as_str()).or_default().push(i);
    }
    for (rank, (kind, idx)) in kinds.iter().enumerate() {
        let colour = COLOURS[rank % COLOURS.len()];
        let total = c
            .action_counts
            .get(*kind)
            .copied()
            .unwrap_or(idx.len() as u64);
        let _ = write!(
            h,
            "<div class=\"tl-row\"><span class=\"tl-name\" title=\"{k}: {total} action(s)\">{k} ({total})</span><div class=\"tl-track\">",
            k = escape(kind)
        );
        for &i in idx {
            let a = &c.actions[i];
            let (x, y) = (at(a.t), at(a.t + a.duration_s));
            let who = match (&a.tenant, a.cell, a.to) {
                (Some(t), Some(from), Some(to)) => format!("tenant {t}, cell {from} → {to}"),
                (Some(t), _, _) => format!("tenant {t}"),
                (None, Some(cell), _) => format!("cell {cell}"),
                (None, None, _) => String::new(),
            };
            let _ = write!(
                h,
                "<div class=\"tl-bar\" style=\"left:{x:.3}%;width:{w:.3}%;background:{colour};top:3px;bottom:3px\" \
                 title=\"{t:.1} s {kind} {who}: {reason} ({outcome}, {d:.1} s)\"></div>",
                w = (y - x).max(0.25),
                t = a.t,
                kind = escape(kind),
                who = escape(&who),
                reason = escape(&a.reason),
                outcome = escape(&a.outcome),
                d = a.duration_s
            );
        }
        h.push_str("</div></div>\n");
    }
    let _ = writeln!(
        h,
        "<div class=\"tl-axis\"><span></span><div><span>0 s</span><span>{span:.0} s</span></div></div>\n</div>"
    );
    let kept = c.actions.len() as u64;
    let all: u64 = c.action_counts.values().sum();
    let _ = writeln!(
        h,
        "<p class=\"muted\">Each mark is one action from its start to its outcome (hover for the \
         tenant or cell, the reason, the outcome and the duration); grey rows are the fault \
         windows.{}</p>",
        if all > kept {
            format!(" The first {kept} of {all} actions are drawn.")
        } else {
            String::new()
        }
    );
    h.push_str(
        "<table>\n<thead><tr><th>kind/outcome</th><th class=\"num\">actions</th></tr></thead>\n<tbody>\n",
    );
    for (k, n) in &c.action_outcomes {
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td class=\"num\">{n}</td></tr>",
            escape(k)
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

#[cfg(test)]
mod tests {
    //! Goal: the section appears exactly when the control plane acted, draws one mark per
    //! kept action in a row per kind over the fault rows, and escapes what it shows.
    //! Method: a summary with no action, then one with three actions of two kinds and a
    //! hostile reason.
    use super::*;
    use crate::summary::{ActionRow, FaultRow};

    fn act(t: f64, kind: &str, reason: &str) -> ActionRow {
        ActionRow {
            t,
            kind: kind.into(),
            tenant: None,
            cell: Some(0),
            to: None,
            reason: reason.into(),
            outcome: "added".into(),
            duration_s: 30.0,
        }
    }

    #[test]
    fn drawn_only_when_the_control_plane_acted() {
        let mut s = RunSummary {
            sim_seconds: 600.0,
            ..Default::default()
        };
        let mut h = String::new();
        section(&mut h, &s);
        assert!(h.is_empty());
        s.faults.push(FaultRow {
            name: "surge".into(),
            start_s: 120.0,
            end_s: 480.0,
            ..Default::default()
        });
        s.control.actions = vec![
            act(135.0, "scale_up", "utilisation 46%"),
            act(195.0, "scale_up", "<script>"),
            act(255.0, "scale_down", "idle"),
        ];
        s.control.action_counts = [("scale_up".to_string(), 2), ("scale_down".to_string(), 1)]
            .into_iter()
            .collect();
        section(&mut h, &s);
        assert!(h.contains("id=\"actions\""));
        assert!(h.contains("fault: surge"));
        assert!(h.contains("scale_up (2)") && h.contains("scale_down (1)"));
        // scale_down sorts first: its row is drawn before scale_up's.
        assert!(h.find("scale_down (1)") < h.find("scale_up (2)"));
        assert_eq!(h.matches("title=\"135.0 s scale_up cell 0").count(), 1);
        assert!(!h.contains("<script>") && h.contains("&lt;script&gt;"));
        // 135 s of 600 s is 22.5% along the track.
        assert!(h.contains("left:22.500%"), "{h}");
    }
}

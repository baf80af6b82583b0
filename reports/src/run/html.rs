//! `report.html`: one self-contained page per run, for people.
//!
//! ```text
//!  header (scenario, seed, variant, digest, PASS/FAIL, repro command)
//!  SLOs ─ charts (inline SVG) ─ most affected tenants ─ fault timeline ─ metastability
//!  (evidence per fault, a small inline chart) ─ tiers ─ ledger ─ the scenario file as run
//! ```
//!
//! **Guarantees.** The page is a pure function of its inputs (same bytes for the same run).
//! It is self-contained: CSS is inline, charts are inline SVG, there is no JavaScript and no
//! reference to anything outside the file (no fonts, images, links or scripts to fetch), so it
//! opens the same offline, from a CI artifact or an e-mail. Every string that comes from the
//! run or the scenario (names, ids, the scenario text, the repro command) is HTML-escaped;
//! the chart SVG is trusted (it is produced by [`crate::charts`], which escapes its text).
//! The verdict is written as text (PASS/FAIL), never by colour alone.

use crate::charts::Chart;
use crate::summary::{GroupRow, MetastabilityRow, MetastableFault, RunSummary, TenantRow};
use crate::terminal::{metastable_line, ms, pct, thousands};
use std::fmt::Write;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) const STYLE: &str = r#"
:root { --ink:#1d1d1f; --muted:#5f6368; --line:#dadce0; --soft:#f6f7f9;
        --pass:#00704f; --fail:#b8430a; --fault:#9e9e9e; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1260px; margin: 0 auto; padding: 24px 28px 64px; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 20px;
             border-bottom: 1px solid var(--line); padding-bottom: 14px; }
h1 { font-size: 26px; margin: 0; font-weight: 600; }
h1 small { color: var(--muted); font-weight: 400; font-size: 16px; margin-left: 8px; }
h2 { font-size: 20px; margin: 36px 0 10px; font-weight: 600; }
.badge { display: inline-block; font-weight: 700; letter-spacing: .06em; border-radius: 6px;
         padding: 3px 12px; color: #fff; font-size: 18px; }
.badge.small { font-size: 12px; padding: 1px 7px; border-radius: 4px; }
.pass { background: var(--pass); } .fail { background: var(--fail); }
.verdict-line { color: var(--muted); flex-basis: 100%; margin: 0; }
dl.meta { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 4px 16px;
          margin: 14px 0 0; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
                   font-size: 13px; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
      overflow-x: auto; margin: 8px 0; }
pre.repro { white-space: pre-wrap; overflow-wrap: anywhere; }
nav { margin: 14px 0 0; color: var(--muted); font-size: 14px; }
nav a { color: inherit; margin-right: 14px; }
.table-wrap { max-width: 100%; overflow-x: auto; margin: 0 0 4px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; vertical-align: bottom; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 2px solid var(--line); }
.muted { color: var(--muted); }
.warn { border-left: 4px solid var(--fail); background: #fdf1ea; padding: 8px 12px; margin: 14px 0 0; }
figure { margin: 22px 0 30px; }
figure h3 { font-size: 17px; margin: 0 0 2px; }
figcaption { color: var(--muted); font-size: 14px; margin: 0 0 8px; max-width: 900px; }
figure svg { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
.timeline { margin: 8px 0 14px; }
.tl-row { display: grid; grid-template-columns: 220px 1fr; align-items: center; gap: 10px; margin: 3px 0; }
.tl-name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: 14px; }
.tl-track { position: relative; height: 18px; background: var(--soft); border: 1px solid var(--line); border-radius: 3px; }
.tl-bar { position: absolute; top: 0; bottom: 0; background: #6b6b6b; border-radius: 2px; }
.tl-rec { position: absolute; top: 4px; bottom: 4px; border-radius: 2px;
          background: repeating-linear-gradient(45deg, #b0b0b0 0 4px, #e0e0e0 4px 8px); }
.tl-axis { display: grid; grid-template-columns: 220px 1fr; gap: 10px; color: var(--muted); font-size: 12px; }
.tl-axis div { display: flex; justify-content: space-between; }
.legend-inline { color: var(--muted); font-size: 13px; }
details { margin: 12px 0; } details summary { cursor: pointer; }
details svg { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; margin: 8px 0 4px; }
.swatch { display: inline-block; width: 22px; height: 10px; vertical-align: middle; margin: 0 4px 0 10px; border-radius: 2px; }
"#;

/// Renders the report page. `scenario_text` is the scenario file as run (echoed verbatim,
/// escaped); `repro` the command that reproduces the run.
pub fn report_html(
    summary: &RunSummary,
    charts: &[Chart],
    scenario_text: &str,
    repro: &str,
) -> String {
    let mut h =
        String::with_capacity(64 * 1024 + charts.iter().map(|c| c.svg.len()).sum::<usize>());
    let s = summary;
    let verdict = if s.passed { "PASS" } else { "FAIL" };
    let class = if s.passed { "pass" } else { "fail" };
    let variant = s.variant.as_deref().unwrap_or("");
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"tenantsim\">\n\
         <title>{verdict} · {} · seed {}{} · tenantsim</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(&s.scenario),
        s.seed,
        if variant.is_empty() {
            String::new()
        } else {
            format!(" · {}", escape(variant))
        }
    );

    // Header.
    let slos_failed = s.slos.iter().filter(|r| !r.passed).count();
    let _ = writeln!(
        h,
        "<header class=\"top\">\n<h1>{}<small>tenantsim run report</small></h1>\n\
         <span class=\"badge {class}\" id=\"verdict\">{verdict}</span>\n\
         <p class=\"verdict-line\">{}</p>\n</header>",
        escape(&s.scenario),
        if s.slos.is_empty() {
            "No SLOs declared.".to_string()
        } else if slos_failed == 0 {
            format!("All {} SLOs held.", s.slos.len())
        } else {
            format!("{slos_failed} of {} SLOs failed.", s.slos.len())
        }
    );
    h.push_str("<dl class=\"meta\">\n");
    let mut meta = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{k}</dt><dd>{v}</dd>");
    };
    meta("scenario file", format!("<code>{}</code>", escape(&s.file)));
    meta("seed", format!("<code>{}</code>", s.seed));
    meta(
        "variant",
        if variant.is_empty() {
            "<span class=\"muted\">none</span>".into()
        } else {
            escape(variant)
        },
    );
    meta("digest", format!("<code>{}</code>", escape(&s.digest)));
    if let Some(f) = &s.fingerprint {
        meta(
            "tenantsim",
            format!(
                "<code>{}</code> (commit <code>{}</code>)",
                escape(&f.version),
                escape(&f.commit)
            ),
        );
    }
    meta("simulated", format!("{:.1} s", s.sim_seconds));
    meta("events", thousands(s.events));
    meta("stopped by", escape(&s.stop));
    meta(
        "overrides",
        if s.overrides.is_empty() {
            "<span class=\"muted\">none</span>".into()
        } else {
            s.overrides
                .iter()
                .map(|o| format!("<code>{}</code>", escape(o)))
                .collect::<Vec<_>>()
                .join(" ")
        },
    );
    h.push_str("</dl>\n");
    let _ = writeln!(
        h,
        "<p class=\"muted\" style=\"margin:14px 0 0\">Reproduce this run:</p>\n<pre class=\"repro\"><code>{}</code></pre>",
        escape(repro)
    );
    if s.stop != "time_reached" {
        let _ = writeln!(
            h,
            "<p class=\"warn\">The run stopped early (<code>{}</code>): results cover only part of it.</p>",
            escape(&s.stop)
        );
    }
    if !s.ledger.balanced {
        h.push_str(
            "<p class=\"warn\">The request ledger is NOT balanced: counts do not add up (a bug).</p>\n",
        );
    }
    h.push_str(
        "<nav><a href=\"#slos\">SLOs</a><a href=\"#charts\">Charts</a><a href=\"#tenants\">Most affected tenants</a>\
         <a href=\"#faults\">Faults</a><a href=\"#metastability\">Metastability</a><a href=\"#tiers\">Tiers</a><a href=\"#scenario\">Scenario</a></nav>\n",
    );

    slo_section(&mut h, s);
    chart_section(&mut h, charts);
    tenant_section(&mut h, s);
    fault_section(&mut h, s);
    crate::run::action_timeline::section(&mut h, s);
    crate::run::rollout_timeline::section(&mut h, s);
    metastability_section(&mut h, s);
    tier_section(&mut h, s);

    let _ = writeln!(
        h,
        "<h2 id=\"scenario\">Scenario file</h2>\n<p class=\"muted\"><code>{}</code>, as run{}</p>\n<pre>{}</pre>",
        escape(&s.file),
        if s.overrides.is_empty() {
            String::new()
        } else {
            " (before the overrides above)".to_string()
        },
        escape(scenario_text)
    );
    h.push_str("</main>\n</body>\n</html>\n");
    wrap_tables(h)
}

/// Puts every table of a page in a `table-wrap` box that scrolls sideways, so that a table
/// wider than the page never pushes past its right edge. Only the page's own markup has
/// `<table>`: text from inputs is escaped.
pub(crate) fn wrap_tables(html: String) -> String {
    html.replace("<table>", "<div class=\"table-wrap\"><table>")
        .replace("</table>", "</table></div>")
}

fn badge(passed: bool) -> &'static str {
    if passed {
        "<span class=\"badge small pass\">PASS</span>"
    } else {
        "<span class=\"badge small fail\">FAIL</span>"
    }
}

fn slo_section(h: &mut String, s: &RunSummary) {
    h.push_str("<h2 id=\"slos\">SLOs</h2>\n");
    if s.slos.is_empty() {
        h.push_str("<p class=\"muted\">The scenario declares no SLO.</p>\n");
        return;
    }
    h.push_str(
        "<table>\n<thead><tr><th>SLO</th><th>objective</th><th>scope</th><th>window</th>\
         <th class=\"num\">measured</th><th>worst tenant</th><th class=\"num\">breaching / judged</th>\
         <th>verdict</th></tr></thead>\n<tbody>\n",
    );
    for r in &s.slos {
        let judged = if r.scope == "each" {
            let mut t = format!(
                "{} / {}",
                thousands(r.tenants_breaching),
                thousands(r.tenants_judged)
            );
            if r.tenants_without_data > 0 {
                let _ = write!(
                    t,
                    " <span class=\"muted\">(+{} without data)</span>",
                    thousands(r.tenants_without_data)
                );
            }
            t
        } else {
            "<span class=\"muted\">–</span>".to_string()
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            escape(&r.name),
            escape(&r.objective),
            escape(&r.scope),
            escape(&r.window),
            escape(&r.measured_text),
            r.worst_tenant
                .as_deref()
                .map(|t| format!("<code>{}</code>", escape(t)))
                .unwrap_or_else(|| "<span class=\"muted\">–</span>".into()),
            judged,
            badge(r.passed)
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

fn chart_section(h: &mut String, charts: &[Chart]) {
    h.push_str("<h2 id=\"charts\">Charts</h2>\n");
    if charts.is_empty() {
        h.push_str("<p class=\"muted\">No charts were rendered.</p>\n");
    }
    for c in charts {
        let _ = writeln!(
            h,
            "<figure id=\"chart-{}\" aria-label=\"{}\">\n<figcaption>{}</figcaption>\n{}\n</figure>",
            escape(c.name),
            escape(&c.title),
            escape(c.caption),
            c.svg.trim_end()
        );
    }
}

/// The tenants most affected by the run: most SLO breaches, then worst availability, then
/// worst p99; ties keep declaration order.
pub fn most_affected(s: &RunSummary, n: usize) -> Vec<&TenantRow> {
    let mut v: Vec<&TenantRow> = s.tenants.iter().collect();
    v.sort_by(|a, b| {
        b.slo_breaches
            .len()
            .cmp(&a.slo_breaches.len())
            .then(
                a.outcomes
                    .availability()
                    .total_cmp(&b.outcomes.availability()),
            )
            .then(b.p99_ms.total_cmp(&a.p99_ms))
    });
    v.truncate(n);
    v
}

fn tenant_section(h: &mut String, s: &RunSummary) {
    h.push_str("<h2 id=\"tenants\">Most affected tenants</h2>\n");
    let top = most_affected(s, 10);
    if top.is_empty() {
        h.push_str("<p class=\"muted\">No tenants recorded.</p>\n");
        return;
    }
    let _ = writeln!(
        h,
        "<p class=\"muted\">The {} tenants (of {}) with the most SLO breaches, then the worst \
         availability, then the worst p99.</p>",
        top.len(),
        thousands(s.tenants.len() as u64)
    );
    h.push_str(
        "<table>\n<thead><tr><th>tenant</th><th>tier</th><th>cohort</th><th class=\"num\">cell</th>\
         <th class=\"num\">offered</th><th class=\"num\">ok</th><th class=\"num\">429</th>\
         <th class=\"num\">503</th><th class=\"num\">5xx</th><th class=\"num\">timeouts</th>\
         <th class=\"num\">availability</th><th class=\"num\">p99</th><th>SLOs breached</th></tr></thead>\n<tbody>\n",
    );
    for t in top {
        let o = &t.outcomes;
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            escape(&t.id),
            escape(&t.tier),
            t.cohort
                .as_deref()
                .map(escape)
                .unwrap_or_else(|| "<span class=\"muted\">–</span>".into()),
            t.cell,
            thousands(o.offered),
            thousands(o.ok),
            thousands(o.rejected_429),
            thousands(o.shed_503),
            thousands(o.errors_5xx),
            thousands(o.timeouts),
            pct(o.availability()),
            ms(t.p99_ms),
            if t.slo_breaches.is_empty() {
                "<span class=\"muted\">none</span>".to_string()
            } else {
                t.slo_breaches
                    .iter()
                    .map(|b| escape(b))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

fn fault_section(h: &mut String, s: &RunSummary) {
    h.push_str("<h2 id=\"faults\">Fault timeline</h2>\n");
    if s.faults.is_empty() {
        h.push_str("<p class=\"muted\">No faults were injected.</p>\n");
        return;
    }
    // The track spans the run (or the last fault end plus recovery, if later).
    let mut span = s.sim_seconds;
    for f in &s.faults {
        span = span.max(f.end_s + f.recovery_s.unwrap_or(0.0));
    }
    let span = if span > 0.0 { span } else { 1.0 };
    let at = |t: f64| (100.0 * t / span).clamp(0.0, 100.0);
    h.push_str("<div class=\"timeline\">\n");
    for f in &s.faults {
        let (a, b) = (at(f.start_s), at(f.end_s.max(f.start_s)));
        let _ = write!(
            h,
            "<div class=\"tl-row\"><span class=\"tl-name\" title=\"{name}\">{name}</span><div class=\"tl-track\">\
             <div class=\"tl-bar\" style=\"left:{a:.3}%;width:{w:.3}%\"></div>",
            name = escape(&f.name),
            w = (b - a).max(0.3)
        );
        if let Some(r) = f.recovery_s {
            let c = at(f.end_s + r);
            if c > b {
                let _ = write!(
                    h,
                    "<div class=\"tl-rec\" style=\"left:{b:.3}%;width:{:.3}%\"></div>",
                    c - b
                );
            }
        }
        h.push_str("</div></div>\n");
    }
    let _ = writeln!(
        h,
        "<div class=\"tl-axis\"><span></span><div><span>0 s</span><span>{:.0} s</span></div></div>\n</div>\n\
         <p class=\"legend-inline\"><span class=\"swatch\" style=\"background:#6b6b6b\"></span>fault active\
         <span class=\"swatch\" style=\"background:repeating-linear-gradient(45deg,#b0b0b0 0 4px,#e0e0e0 4px 8px)\"></span>until recovered</p>",
        span
    );
    h.push_str(
        "<table>\n<thead><tr><th>fault</th><th>kind</th><th>target</th><th class=\"num\">start</th>\
         <th class=\"num\">end</th><th class=\"num\">affected tenants</th><th class=\"num\">recovery</th></tr></thead>\n<tbody>\n",
    );
    for f in &s.faults {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"num\">{:.1} s</td>\
             <td class=\"num\">{:.1} s</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&f.name),
            escape(&f.kind),
            f.target
                .as_deref()
                .map(escape)
                .unwrap_or_else(|| "<span class=\"muted\">–</span>".into()),
            f.start_s,
            f.end_s,
            thousands(f.affected_tenants),
            match f.recovery_s {
                Some(r) => format!("{r:.0} s"),
                None => "not by the end".into(),
            }
        );
    }
    h.push_str(
        "</tbody>\n</table>\n<p class=\"muted\">Affected: other tenants with ≥ 5% bad requests from the \
         fault's start to its recovery. Recovery: time after the fault's end until every tier was \
         healthy for 5 windows.</p>\n",
    );
}

fn metastability_section(h: &mut String, s: &RunSummary) {
    h.push_str("<h2 id=\"metastability\">Metastability</h2>\n");
    let m = &s.metastability;
    if s.faults.is_empty() {
        h.push_str("<p class=\"muted\">No faults were injected.</p>\n");
        return;
    }
    if m.faults.is_empty() {
        h.push_str("<p class=\"muted\">Not evaluated for this run.</p>\n");
        return;
    }
    let _ = writeln!(
        h,
        "<p class=\"muted\">After each fault ends, every recording window is judged on the requests \
         sent in it: bad when goodput (ok / finished) is below {:.0}% or amplification (attempts per \
         request) is above {}; windows with fewer than {} requests, or with another fault active, are \
         not judged. A fault whose aftermath stays bad for at least {:.0} s did not recover \
         (metastable).</p>",
        m.goodput_below * 100.0,
        m.amplification_above,
        thousands(m.min_requests),
        m.for_s
    );
    for f in m.faults.iter().filter(|f| f.flagged) {
        let _ = writeln!(
            h,
            "<p class=\"warn\"><strong>{}</strong></p>",
            escape(&metastable_line(m, f))
        );
    }
    h.push_str(
        "<table>\n<thead><tr><th>fault</th><th>judged</th><th class=\"num\">bad after its end</th>\
         <th class=\"num\">goodput (bad windows)</th><th class=\"num\">attempts / request (bad windows)</th>\
         <th>verdict</th></tr></thead>\n<tbody>\n",
    );
    let opt = |v: Option<String>| v.unwrap_or_else(|| "<span class=\"muted\">–</span>".into());
    for f in &m.faults {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{:.0} s{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td>{}</td></tr>",
            escape(&f.fault),
            escape(&f.judged),
            f.stuck_s,
            if f.until_end { " (to the end)" } else { "" },
            opt(f.goodput.map(pct)),
            opt(f.amplification.map(|a| format!("{a:.3}"))),
            if f.flagged {
                "<span class=\"badge small fail\">DID NOT RECOVER</span>"
            } else {
                "<span class=\"badge small pass\">RECOVERED</span>"
            }
        );
    }
    h.push_str("</tbody>\n</table>\n");
    for f in m.faults.iter().filter(|f| f.flagged || f.stuck_s > 0.0) {
        let _ = writeln!(
            h,
            "<details{}><summary>Evidence: <code>{}</code> — {} points of {:.0} s after its end</summary>",
            if f.flagged { " open" } else { "" },
            escape(&f.fault),
            f.evidence.len(),
            f.evidence_step_s
        );
        let end_s = s.faults.iter().find(|x| x.name == f.fault).map(|x| x.end_s);
        h.push_str(&evidence_svg(m, f, end_s));
        h.push_str(
            "<table>\n<thead><tr><th class=\"num\">from (s)</th><th class=\"num\">offered</th>\
             <th class=\"num\">goodput</th><th class=\"num\">attempts / request</th></tr></thead>\n<tbody>\n",
        );
        for p in &f.evidence {
            let _ = writeln!(
                h,
                "<tr><td class=\"num\">{:.0}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td></tr>",
                p.t_s,
                thousands(p.offered),
                opt(p.goodput.map(pct)),
                opt(p.amplification.map(|a| format!("{a:.3}")))
            );
        }
        h.push_str("</tbody>\n</table>\n</details>\n");
    }
}

/// A small chart of one fault's evidence: goodput (%, left axis, solid) and amplification
/// (right axis, dashed) per point, the two thresholds dotted, the bad stretch shaded.
fn evidence_svg(m: &MetastabilityRow, f: &MetastableFault, end_s: Option<f64>) -> String {
    const W: f64 = 720.0;
    const H: f64 = 200.0;
    const L: f64 = 48.0;
    const R: f64 = 56.0;
    const T: f64 = 12.0;
    const B: f64 = 28.0;
    let mut svg = String::new();
    let (Some(first), Some(last)) = (f.evidence.first(), f.evidence.last()) else {
        return svg;
    };
    let (t0, t1) = (first.t_s, last.t_s + f.evidence_step_s.max(1e-9));
    let amp_max = f
        .evidence
        .iter()
        .filter_map(|p| p.amplification)
        .fold(m.amplification_above * 1.2, f64::max)
        .clamp(1.1, 1e3);
    let x = |t: f64| L + (W - L - R) * ((t - t0) / (t1 - t0)).clamp(0.0, 1.0);
    let yg = |g: f64| T + (H - T - B) * (1.0 - g.clamp(0.0, 1.0));
    let ya = |a: f64| T + (H - T - B) * (1.0 - ((a - 1.0) / (amp_max - 1.0)).clamp(0.0, 1.0));
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" \
         role=\"img\" aria-label=\"goodput and amplification after {}\" font-size=\"11\" fill=\"#5f6368\">",
        escape(&f.fault)
    );
    // The bad stretch: stuck_s seconds from the fault's end (at most one window before the
    // first point).
    if f.stuck_s > 0.0 {
        let from = end_s.unwrap_or(t0);
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{T}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#fdf1ea\"/>",
            x(from),
            x(from + f.stuck_s) - x(from),
            H - T - B
        );
    }
    let _ = write!(
        svg,
        "<rect x=\"{L}\" y=\"{T}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"none\" stroke=\"#dadce0\"/>",
        W - L - R,
        H - T - B
    );
    for (g, label) in [(0.0, "0%"), (0.5, "50%"), (1.0, "100%")] {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>",
            L - 4.0,
            yg(g) + 4.0
        );
    }
    for a in [1.0, (1.0 + amp_max) / 2.0, amp_max] {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\">{a:.2}×</text>",
            W - R + 4.0,
            ya(a) + 4.0
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{L}\" y=\"{:.1}\">{t0:.0} s</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{t1:.0} s</text>",
        H - 8.0,
        W - R,
        H - 8.0
    );
    // Thresholds.
    let _ = write!(
        svg,
        "<line x1=\"{L}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#0072B2\" stroke-dasharray=\"1 3\"/>",
        W - R,
        y = yg(m.goodput_below)
    );
    let _ = write!(
        svg,
        "<line x1=\"{L}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#D55E00\" stroke-dasharray=\"1 3\"/>",
        W - R,
        y = ya(m.amplification_above)
    );
    // Lines through the points' middles; a point without a value breaks the line.
    let mid = |t: f64| x(t + f.evidence_step_s / 2.0);
    let path = |values: Vec<Option<(f64, f64)>>| -> String {
        let mut d = String::new();
        let mut pen_down = false;
        for v in values {
            match v {
                Some((px, py)) => {
                    let _ = write!(d, "{}{px:.1},{py:.1} ", if pen_down { "L" } else { "M" });
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        d
    };
    let goodput = path(
        f.evidence
            .iter()
            .map(|p| p.goodput.map(|g| (mid(p.t_s), yg(g))))
            .collect(),
    );
    let amplification = path(
        f.evidence
            .iter()
            .map(|p| p.amplification.map(|a| (mid(p.t_s), ya(a))))
            .collect(),
    );
    let _ = write!(
        svg,
        "<path d=\"{}\" fill=\"none\" stroke=\"#0072B2\" stroke-width=\"2\"/>\
         <path d=\"{}\" fill=\"none\" stroke=\"#D55E00\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>",
        goodput.trim_end(),
        amplification.trim_end()
    );
    svg.push_str("</svg>\n");
    let _ = writeln!(
        svg,
        "<p class=\"legend-inline\"><span class=\"swatch\" style=\"background:#0072B2\"></span>goodput (left axis)\
         <span class=\"swatch\" style=\"background:#D55E00\"></span>attempts per request (right axis, dashed)\
         <span class=\"swatch\" style=\"background:#fdf1ea\"></span>bad after the fault's end; dotted: thresholds</p>"
    );
    svg
}

fn tier_row(h: &mut String, g: &GroupRow, total: bool) {
    let o = &g.outcomes;
    let _ = writeln!(
        h,
        "<tr{}><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{:.3}</td></tr>",
        if total { " class=\"total\"" } else { "" },
        escape(&g.name),
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
        o.amplification()
    );
}

fn tier_section(h: &mut String, s: &RunSummary) {
    h.push_str("<h2 id=\"tiers\">Tiers</h2>\n");
    h.push_str(
        "<table>\n<thead><tr><th>tier</th><th class=\"num\">tenants</th><th class=\"num\">offered</th>\
         <th class=\"num\">ok</th><th class=\"num\">429</th><th class=\"num\">503</th><th class=\"num\">5xx</th>\
         <th class=\"num\">timeouts</th><th class=\"num\">availability</th><th class=\"num\">p50</th>\
         <th class=\"num\">p99</th><th class=\"num\">p99.9</th><th class=\"num\">attempts / request</th></tr></thead>\n<tbody>\n",
    );
    for g in &s.tiers {
        tier_row(h, g, false);
    }
    tier_row(h, &s.total, true);
    h.push_str("</tbody>\n</table>\n");
    if !s.total.causes.is_empty() {
        let causes: Vec<String> = s
            .total
            .causes
            .iter()
            .map(|(k, v)| format!("<code>{}</code> {}", escape(k), thousands(*v)))
            .collect();
        let _ = writeln!(
            h,
            "<p class=\"muted\">Causes of 503 and 5xx: {}.</p>",
            causes.join(", ")
        );
    }
    let l = &s.ledger;
    let _ = writeln!(
        h,
        "<p class=\"muted\">Ledger: {} requests = {} finished + {} in flight; {} attempts ({} wasted: \
         work completed after the client gave up); {}.</p>",
        thousands(l.requests_started),
        thousands(l.requests_finished),
        thousands(l.requests_in_flight),
        thousands(l.attempts_started),
        thousands(l.attempts_wasted),
        if l.balanced {
            "balanced"
        } else {
            "<strong>NOT balanced</strong>"
        }
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts;
    use crate::testdata;

    const SCENARIO: &str = "# a <scenario> & its \"quotes\"\nname = 'retry-storm'\n";
    const REPRO: &str =
        "tenantsim run scenarios/retry-storm.toml --seed 42 --set 'retry.budget=0.1'";

    fn page() -> (RunSummary, String) {
        let (s, series) = testdata::run(&testdata::Shape::small());
        let charts = charts::render_all(&s, &series).unwrap();
        let html = report_html(&s, &charts, SCENARIO, REPRO);
        (s, html)
    }

    /// Goal: the page states the verdict and every SLO, and embeds every chart inline.
    #[test]
    fn has_verdict_slos_and_charts() {
        let (s, html) = page();
        assert!(!s.passed);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains(">FAIL</span>"));
        for r in &s.slos {
            assert!(html.contains(&escape(&r.name)), "{}", r.name);
        }
        // Five charts, and one evidence chart per fault that was bad after its end.
        assert_eq!(html.matches("<svg").count(), 7);
        assert!(html
            .contains("did not recover (metastable): fault workers_lost, goodput 12% of offered"));
        assert!(html.contains("DID NOT RECOVER") && html.contains("RECOVERED"));
        for name in ["latency", "outcomes", "cells", "heatmap", "load"] {
            assert!(html.contains(&format!("id=\"chart-{name}\"")));
        }
        assert!(html.contains("0123456789abcdef"));
        assert!(
            html.contains("abc123def456"),
            "the commit of the fingerprint"
        );
        assert!(html.contains("db_degraded"));
        assert!(html.contains("not by the end"));
        // Top tenants: the first listed has the most breaches.
        let top = most_affected(&s, 10);
        assert_eq!(top.len(), 10);
        assert!(top
            .windows(2)
            .all(|w| w[0].slo_breaches.len() >= w[1].slo_breaches.len()));
        assert!(html.contains(&format!("<code>{}</code>", top[0].id)));
    }

    /// Goal: self-contained: no script, no reference outside the file (the SVG namespace
    /// declaration is the only URL allowed).
    #[test]
    fn no_script_no_network() {
        let (_, html) = page();
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script"));
        assert!(!lower.contains("javascript:"));
        let stripped = lower.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(!stripped.contains("http://"));
        assert!(!stripped.contains("https://"));
        assert!(!stripped.contains("url("));
        assert!(!stripped.contains("@import"));
    }

    /// Goal: user strings cannot inject markup. Method: names with `<&>"` come out escaped,
    /// the raw forms never appear.
    #[test]
    fn escapes_user_strings() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let (s, html) = page();
        assert!(html.contains("# a &lt;scenario&gt; &amp; its &quot;quotes&quot;"));
        assert!(!html.contains("<scenario>"));
        assert!(html.contains("platform &lt;errors&gt; &amp; &quot;quotes&quot;"));
        assert!(!html.contains(&s.slos[2].name));
        assert!(html.contains("--set &#39;retry.budget=0.1&#39;"));

        let mut evil = s.clone();
        evil.scenario = "<img src=x onerror=alert(1)>".into();
        evil.tenants[0].id = "</td><script>".into();
        evil.tenants[0].slo_breaches = vec!["a".into(), "b".into(), "c".into()];
        evil.faults[0].name = "<b>".into();
        let html = report_html(&evil, &[], "", "");
        assert!(!html.contains("<img"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("<b>"));
        assert!(html.contains("&lt;/td&gt;&lt;script&gt;"));
    }

    /// Goal: a passing run says PASS; an empty summary still renders a whole page.
    #[test]
    fn pass_and_empty() {
        let s = RunSummary {
            passed: true,
            stop: "max_events".into(),
            ..Default::default()
        };
        let html = report_html(&s, &[], "", "tenantsim run x.toml");
        assert!(html.contains(">PASS</span>"));
        assert!(!html.contains(">FAIL</span>"));
        assert!(html.contains("stopped early"));
        assert!(html.trim_end().ends_with("</html>"));
    }

    /// Goal: deterministic. Method: render twice.
    #[test]
    fn deterministic() {
        let (_, a) = page();
        let (_, b) = page();
        assert_eq!(a, b);
    }

    /// Writes the fixture's page to $TENANTSIM_CHARTS_OUT/report.html (for looking at it).
    #[test]
    fn write_report_when_asked() {
        let Some(dir) = std::env::var_os("TENANTSIM_CHARTS_OUT") else {
            return;
        };
        let (_, html) = page();
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("report.html"), html).unwrap();
    }
}

//! The comparison section of the HTML report (`compare/report.html`): what was compared,
//! the per-variant table, the paired differences with their intervals, the warnings, the
//! charts (inline SVG) and the command that regenerates it. Same page style and the same
//! guarantees as [`crate::run::html`]: self-contained, no script, no network, deterministic.

use crate::chart::Chart;
use crate::comparison::{Comparison, Metric};
use crate::run::html::{escape, wrap_tables, STYLE};
use std::fmt::Write as _;

/// Renders the comparison page. `command` regenerates it.
pub fn compare_html(c: &Comparison, charts: &[Chart], command: &str) -> String {
    let spec = &c.spec;
    let mut h =
        String::with_capacity(64 * 1024 + charts.iter().map(|c| c.svg.len()).sum::<usize>());
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"tenantsim\">\n\
         <title>compare · {} · tenantsim</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(&spec.scenario)
    );
    let _ = writeln!(
        h,
        "<header class=\"top\">\n<h1>{}<small>tenantsim comparison</small></h1>\n\
         <p class=\"verdict-line\">{} variants × {} seeds = {} runs · baseline <b>{}</b> · {}</p>\n</header>",
        escape(&spec.scenario),
        spec.variants.len(),
        spec.seeds.len(),
        spec.grid_len(),
        escape(&spec.variants[spec.baseline].label),
        escape(&c.method)
    );
    h.push_str("<dl class=\"meta\">\n");
    let vary: Vec<String> = spec
        .vary
        .iter()
        .map(|v| format!("{} = {}", v.key, v.values.join(", ")))
        .collect();
    let seeds = match (spec.seeds.first(), spec.seeds.last()) {
        (Some(a), Some(b)) => format!("{a} … {b} ({})", spec.seeds.len()),
        _ => "none".to_string(),
    };
    for (k, v) in [
        ("file", spec.file.clone()),
        ("scenario hash", spec.scenario_hash.clone()),
        ("varied", vary.join("; ")),
        ("seeds", seeds),
        ("common --set", spec.sets.join(" ")),
        ("tenantsim", spec.tenantsim.clone()),
    ] {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", k, escape(&v));
    }
    h.push_str("</dl>\n");
    let _ = writeln!(h, "<pre class=\"repro\">{}</pre>", escape(command));
    for w in &c.warnings {
        let _ = writeln!(h, "<p class=\"warn\">{}</p>", escape(w));
    }

    h.push_str("<h2 id=\"variants\">Variants</h2>\n<table>\n<thead><tr><th>variant</th><th class=\"num\">SLOs all passed</th>");
    for m in Metric::ALL {
        let _ = write!(
            h,
            "<th class=\"num\">{} mean (p95)</th>",
            escape(m.heading())
        );
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for (v, vs) in c.variants.iter().enumerate() {
        let base = if v == spec.baseline {
            " <span class=\"muted\">(baseline)</span>"
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr><td>{}{base}</td><td class=\"num\">{:.0}%</td>",
            escape(&vs.label),
            vs.pass_rate * 100.0
        );
        for m in Metric::ALL {
            let sp = c.spread(v, m);
            let d = m.decimals();
            let _ = write!(
                h,
                "<td class=\"num\">{:.d$} ({:.d$})</td>",
                sp.mean,
                sp.p95,
                d = d
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");

    if c.variants.len() > 1 {
        let _ = writeln!(
            h,
            "<h2 id=\"paired\">Paired differences against {}</h2>\n\
             <p class=\"muted\">Variant minus baseline on the same seed (same tenants, arrivals and faults), \
             mean over seeds with a 95% paired t interval. Negative is better. Win / tie / loss: seeds on \
             which the variant was lower / equal / higher. The forest plot under Charts draws the same \
             intervals.</p>",
            escape(&spec.variants[spec.baseline].label)
        );
        h.push_str("<table>\n<thead><tr><th>variant</th><th>metric</th><th class=\"num\">mean difference</th><th class=\"num\">95% interval</th><th class=\"num\">win / tie / loss</th><th>verdict</th></tr></thead>\n<tbody>\n");
        for p in &c.paired {
            let d = Metric::ALL
                .iter()
                .find(|m| m.name() == p.metric)
                .map(|m| m.decimals())
                .unwrap_or(3);
            let ci = p
                .ci95
                .map(|(lo, hi)| format!("[{lo:+.d$}, {hi:+.d$}]"))
                .unwrap_or_else(|| "—".to_string());
            let class = match p.verdict.as_str() {
                "better" => " class=\"pass-text\"",
                "worse" => " class=\"fail-text\"",
                _ => "",
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{:+.d$}</td><td class=\"num\">{}</td><td class=\"num\">{} / {} / {}</td><td{class}>{}</td></tr>",
                escape(&p.variant),
                escape(&p.metric),
                p.mean_diff,
                ci,
                p.wins,
                p.ties,
                p.losses,
                escape(&p.verdict)
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }

    h.push_str("<h2 id=\"charts\">Charts</h2>\n");
    for ch in charts {
        let _ = writeln!(
            h,
            "<figure id=\"chart-{}\" aria-label=\"{}\">\n<h3>{}</h3>\n<figcaption>{}</figcaption>\n{}\n</figure>",
            escape(ch.name),
            escape(&ch.title),
            escape(&ch.title),
            escape(ch.caption),
            ch.svg.trim_end()
        );
    }
    h.push_str("<p class=\"muted\">Every run's numbers are in <code>runs.csv</code>; per-variant statistics in \
                <code>compare.csv</code> and <code>compare.json</code>.</p>\n</main>\n</body>\n</html>\n");
    wrap_tables(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comparison::tests::{run, spec};

    #[test]
    fn page_has_tables_charts_and_escapes() {
        let mut runs = Vec::new();
        for v in 0..2 {
            for seed in 1..=3 {
                runs.push(run(v, seed, v as u32 + seed as u32, 10.0));
            }
        }
        let mut sp = spec(2, 3);
        sp.variants[1].label = "<b>x</b>".into();
        let c = Comparison::build(sp, runs).unwrap();
        let charts = crate::comparison::charts::render_all(&c).unwrap();
        let html = compare_html(&c, &charts, "tenantsim compare s.toml --vary a=1,2");
        assert_eq!(html.matches("<svg").count(), 4);
        assert!(html.contains("id=\"chart-compare_forest\""));
        // Every table scrolls inside its own box instead of pushing past the page (D9).
        assert_eq!(
            html.matches("<div class=\"table-wrap\"><table>").count(),
            html.matches("<table").count()
        );
        assert!(html.matches("<table").count() >= 2);
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;") && !html.contains("<b>x</b>"));
        assert!(html.contains("Paired differences"));
        assert!(!html.to_lowercase().contains("<script"));
        assert_eq!(
            html,
            compare_html(&c, &charts, "tenantsim compare s.toml --vary a=1,2")
        );
    }
}

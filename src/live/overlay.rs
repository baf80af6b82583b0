//! One chart of both latency curves of `load --compare`: per tier, p50 and p99 over time,
//! measured (solid) and simulated for the same seed (dashed), on shared axes, so a reader
//! sees at a glance where the model and the real service diverge.
//!
//! Plain SVG written here (no chart library: the live side stays free of `reports`' font and
//! bitmap machinery). Deterministic for given inputs: fixed size, fixed palette, numbers
//! printed with fixed precision. Windows without an answered request have no point; a curve
//! is broken there rather than drawn through zero.

use reports::series::{GroupSeries, Series};
use std::fmt::Write as _;

const W: f64 = 960.0;
const H: f64 = 440.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 200.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;
const PALETTE: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The groups to draw: tiers that exist in the measured run, at most six.
fn tiers<'a>(measured: &'a Series, shown: &[String]) -> Vec<&'a GroupSeries> {
    measured
        .groups
        .iter()
        .filter(|g| g.kind == "tier" && shown.contains(&g.name))
        .take(PALETTE.len())
        .collect()
}

/// "Nice" upper bound and tick step for `max` (1, 2 or 5 × 10^k).
fn nice(max: f64) -> (f64, f64) {
    let max = if max > 0.0 && max.is_finite() {
        max
    } else {
        1.0
    };
    let raw = max / 5.0;
    // The power of ten at or below `raw` (a loop: no platform maths, see clippy.toml).
    let mut mag = 1.0;
    while mag * 10.0 <= raw {
        mag *= 10.0;
    }
    while mag > raw && mag > 1e-9 {
        mag /= 10.0;
    }
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((max / step).ceil() * step, step)
}

/// The overlay chart as SVG. `shown` names the tiers to draw (those with tenants);
/// `duration_s` is the run's length.
pub fn latency_overlay_svg(
    measured: &Series,
    simulated: &Series,
    shown: &[String],
    duration_s: f64,
) -> String {
    let groups = tiers(measured, shown);
    let sim_of = |name: &str| {
        simulated
            .groups
            .iter()
            .find(|g| g.kind == "tier" && g.name == name)
    };
    let mut ymax: f64 = 0.0;
    for g in &groups {
        for s in [Some(*g), sim_of(&g.name)].into_iter().flatten() {
            for p in &s.points {
                ymax = ymax.max(p.p99_ms.unwrap_or(0.0));
            }
        }
    }
    let (ytop, ystep) = nice(ymax * 1.05);
    let xmax = if duration_s > 0.0 { duration_s } else { 1.0 };
    let (xtop, xstep) = nice(xmax);
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let x = |t: f64| LEFT + pw * (t / xtop).clamp(0.0, 1.0);
    let y = |v: f64| TOP + ph * (1.0 - (v / ytop).clamp(0.0, 1.0));
    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="DejaVu Sans, sans-serif" font-size="12">"#
    );
    let _ = writeln!(o, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        o,
        r#"<text x="{}" y="22" font-size="15" text-anchor="middle">Latency per tier: measured (solid) vs simulated, same seed (dashed)</text>"#,
        LEFT + pw / 2.0
    );
    // Grid and ticks.
    let mut v = 0.0;
    while v <= ytop + 1e-9 {
        let yy = y(v);
        let _ = writeln!(
            o,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#e0e0e0"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT + pw,
            LEFT - 6.0,
            yy + 4.0,
            fmt_num(v)
        );
        v += ystep;
    }
    let mut t = 0.0;
    while t <= xtop + 1e-9 {
        let xx = x(t);
        let _ = writeln!(
            o,
            r##"<line x1="{xx:.1}" y1="{TOP}" x2="{xx:.1}" y2="{:.1}" stroke="#f0f0f0"/><text x="{xx:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            TOP + ph,
            TOP + ph + 18.0,
            fmt_num(t)
        );
        t += xstep;
    }
    let _ = writeln!(
        o,
        r##"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>"##
    );
    let _ = writeln!(
        o,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">time (s)</text>"#,
        LEFT + pw / 2.0,
        H - 12.0
    );
    let _ = writeln!(
        o,
        r#"<text x="16" y="{:.1}" text-anchor="middle" transform="rotate(-90 16 {:.1})">latency (ms): p99 thick, p50 thin</text>"#,
        TOP + ph / 2.0,
        TOP + ph / 2.0
    );
    // Curves.
    let window = measured.window_s.max(1e-9);
    for (i, g) in groups.iter().enumerate() {
        let colour = PALETTE[i];
        for (series, dash) in [
            (Some(*g), ""),
            (sim_of(&g.name), r#" stroke-dasharray="6 4""#),
        ] {
            let Some(s) = series else { continue };
            let step = if std::ptr::eq(s, *g) {
                window
            } else {
                simulated.window_s.max(1e-9)
            };
            for (pick, width) in [(0usize, 1.2), (1usize, 2.4)] {
                let d = path_d(&s.points, pick == 0, step, &x, &y);
                if !d.is_empty() {
                    let _ = writeln!(
                        o,
                        r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="{width}"{dash}/>"#,
                        d.trim_end()
                    );
                }
            }
        }
        legend_entry(&mut o, i, colour, &g.name, pw);
    }
    if groups.is_empty() {
        let _ = writeln!(
            o,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">no tier had answered requests</text>"#,
            LEFT + pw / 2.0,
            TOP + ph / 2.0
        );
    }
    o.push_str("</svg>\n");
    o
}

/// An SVG path through a series' p50 (`p50`) or p99 points, one per window at its middle
/// (`step` s wide); a window without a value lifts the pen.
fn path_d(
    points: &[reports::series::GroupPoint],
    p50: bool,
    step: f64,
    x: &dyn Fn(f64) -> f64,
    y: &dyn Fn(f64) -> f64,
) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for (k, p) in points.iter().enumerate() {
        let val = if p50 { p.p50_ms } else { p.p99_ms };
        match val {
            Some(v) if v.is_finite() => {
                let tx = (k as f64 + 0.5) * step;
                let _ = write!(
                    d,
                    "{}{:.1},{:.1} ",
                    if pen_down { "L" } else { "M" },
                    x(tx),
                    y(v)
                );
                pen_down = true;
            }
            _ => pen_down = false,
        }
    }
    d
}

/// Tier `i`'s legend entry: its measured (solid) and simulated (dashed) line samples.
fn legend_entry(o: &mut String, i: usize, colour: &str, name: &str, pw: f64) {
    let ly = TOP + 10.0 + 44.0 * i as f64;
    let lx = LEFT + pw + 16.0;
    let _ = writeln!(
        o,
        r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{colour}" stroke-width="2.4"/><text x="{}" y="{}">{} measured</text>"#,
        lx + 28.0,
        lx + 34.0,
        ly + 4.0,
        esc(name)
    );
    let _ = writeln!(
        o,
        r#"<line x1="{lx}" y1="{}" x2="{}" y2="{}" stroke="{colour}" stroke-width="2.4" stroke-dasharray="6 4"/><text x="{}" y="{}">{} simulated</text>"#,
        ly + 18.0,
        lx + 28.0,
        ly + 18.0,
        lx + 34.0,
        ly + 22.0,
        esc(name)
    );
}

fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reports::series::GroupPoint;

    fn series(name: &str, p99: &[Option<f64>]) -> Series {
        Series {
            window_s: 1.0,
            windows: p99.len(),
            groups: vec![GroupSeries {
                kind: "tier".into(),
                name: name.into(),
                points: p99
                    .iter()
                    .map(|v| GroupPoint {
                        p50_ms: v.map(|x| x / 2.0),
                        p99_ms: *v,
                        ..Default::default()
                    })
                    .collect(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn both_curves_on_one_chart_with_gaps_kept() {
        // Goal: one SVG holds the measured and the simulated curves of each tier (solid and
        // dashed), the y axis covers the larger, and a window with no answer breaks the line.
        let m = series("gold", &[Some(10.0), None, Some(30.0)]);
        let s = series("gold", &[Some(12.0), Some(80.0), Some(20.0)]);
        let svg = latency_overlay_svg(&m, &s, &["gold".to_string()], 3.0);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("gold measured") && svg.contains("gold simulated"));
        let paths: Vec<&str> = svg.lines().filter(|l| l.starts_with("<path")).collect();
        assert_eq!(
            paths.len(),
            4,
            "p50 and p99, measured and simulated:\n{svg}"
        );
        assert_eq!(paths.iter().filter(|p| p.contains("dasharray")).count(), 2);
        // The measured p99 has a gap: two separate moves.
        assert_eq!(paths[1].matches('M').count(), 2, "{}", paths[1]);
        assert!(
            svg.contains(">80<") || svg.contains(">100<"),
            "y axis reaches 80 ms"
        );
        assert_eq!(svg, latency_overlay_svg(&m, &s, &["gold".to_string()], 3.0));
    }
}

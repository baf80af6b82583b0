//! The `latency` chart of a run: p99 and p50 latency over time per tier, cohort and watched tenant, with the latency SLO thresholds.

use super::{fault_bands, fault_labels, fault_legend, Data, Spec};
use crate::chart::DrawResult;
use crate::chart::*;
use crate::series::GroupSeries;
use crate::series::Series;
use crate::summary::RunSummary;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// What this chart is (its [`super::ChartKind`] reads it).
pub(super) const SPEC: Spec = Spec {
    name: "latency",
    title: "Latency of successful requests",
    caption: "p99 (top) and p50 (bottom) latency of successful requests per recording window, \
                 per tier (solid) and per cohort or watched tenant (dashed); log scale. Dark red dashed \
                 lines are the latency SLO thresholds. Grey bands are fault windows.",
    size: (WIDTH, HEIGHT),
};

/// Groups drawn in the latency chart, with colour and dash.
/// A tier with no tenants is left out ([`Series::shown_groups`]).
fn latency_groups(summary: &RunSummary, series: &Series) -> Vec<(usize, RGBColor, bool)> {
    let shown: Vec<&GroupSeries> = series.shown_groups(summary).collect();
    series
        .groups
        .iter()
        .enumerate()
        .filter(|(_, g)| shown.iter().any(|h| std::ptr::eq(*h, *g)))
        .filter(|(_, g)| matches!(g.kind.as_str(), "tier" | "cohort" | "tenant"))
        .enumerate()
        .map(|(k, (i, g))| (i, PALETTE[k % PALETTE.len()], g.kind != "tier"))
        .collect()
}

pub(super) fn draw<DB: DrawingBackend>(data: &Data, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let (main, side) = body(root);
    let series = data.series;
    let groups = latency_groups(data.summary, series);
    let slos = latency_slos(data.summary);
    let mut lo = f64::INFINITY;
    let mut hi: f64 = 0.0;
    for &(i, _, _) in &groups {
        for p in &series.groups[i].points {
            for v in [p.p50_ms, p.p99_ms].into_iter().flatten() {
                if v > 0.0 && v.is_finite() {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
    }
    for t in &slos {
        lo = lo.min(t.ms);
        hi = hi.max(t.ms);
    }
    let (lo, hi) = if hi > 0.0 {
        decades(lo, hi)
    } else {
        (1.0, 1000.0)
    };
    let panels = main.split_evenly((2, 1));
    let y_fmt = |v: &f64| axis_num(*v);
    for (k, (panel, which)) in panels.iter().zip(["p99", "p50"]).enumerate() {
        let bottom = k == 1;
        let mut chart = ChartBuilder::on(panel)
            .margin_left(12)
            .margin_right(16)
            .margin_top(if bottom { 6 } else { 10 })
            .x_label_area_size(if bottom { 48 } else { 26 })
            .y_label_area_size(84)
            .build_cartesian_2d(0.0..data.t_end, (lo..hi).log_scale())
            .map_err(s)?;
        let plot = chart.plotting_area().get_pixel_range();
        fault_bands(root, data, &plot)?;
        time_mesh(
            &mut chart,
            &format!("{which} latency (ms)"),
            bottom.then_some("time (s)"),
            &y_fmt,
            GRID.to_rgba(),
        )?;
        for &(i, color, dashed) in &groups {
            let g = &series.groups[i];
            let pts = (0..series.windows.min(g.points.len()))
                .map(|w| {
                    let p = &g.points[w];
                    let v = if which == "p99" { p.p99_ms } else { p.p50_ms };
                    v.filter(|v| v.is_finite() && *v > 0.0)
                        .map(|v| (data.mid(w), v.clamp(lo, hi)))
                })
                .collect();
            draw_line(&mut chart, pts, color, dashed, 2)?;
        }
        let pct = if which == "p99" { 99.0 } else { 50.0 };
        for t in slos.iter().filter(|t| t.percentile == pct) {
            slo_line(&mut chart, root, data, t)?;
        }
        if groups.is_empty() {
            no_data(panel, "no latency series recorded")?;
        }
        fault_labels(root, data, &plot, false)?;
        // Panel tag in the corner, so the two panels cannot be confused.
        root.draw_text(
            which,
            &text_style(16, MUTED).pos(Pos::new(HPos::Right, VPos::Top)),
            (plot.0.end - 8, plot.1.start + 6),
        )
        .map_err(s)?;
    }
    let mut items: Vec<(String, Mark)> = Vec::new();
    for &(i, color, dashed) in &groups {
        let g = &series.groups[i];
        items.push((format!("{} {}", g.kind, g.name), Mark::Line(color, dashed)));
    }
    if !slos.is_empty() {
        items.push(("SLO threshold".into(), Mark::Line(SLO_RED, true)));
    }
    fault_legend(data, &mut items);
    items.push(("log scale; gaps: no".into(), Mark::Heading));
    items.push(("successful request".into(), Mark::Heading));
    legend(&side, &items)
}

/// A latency SLO's threshold, as drawn on the latency chart.
#[derive(Clone, Debug, PartialEq)]
struct SloLine {
    /// SLO name.
    name: String,
    /// Percentile (`99` for `p(99)`).
    percentile: f64,
    /// Threshold (ms).
    ms: f64,
}

/// The latency SLOs of a run whose percentile the latency chart draws (p99 or p50), in
/// declaration order. Other objectives (rates, other percentiles) have no line.
fn latency_slos(summary: &RunSummary) -> Vec<SloLine> {
    summary
        .slos
        .iter()
        .filter_map(|r| {
            let (percentile, ms) = parse_latency_objective(&r.objective)?;
            (percentile == 99.0 || percentile == 50.0).then(|| SloLine {
                name: r.name.clone(),
                percentile,
                ms,
            })
        })
        .collect()
}

/// Parses a latency objective as written (`p(99) < 100ms`, `p(50) <= 1.5s`) into its
/// percentile and threshold in ms; `None` for anything else.
pub(super) fn parse_latency_objective(text: &str) -> Option<(f64, f64)> {
    let t = text.trim();
    let rest = t.strip_prefix("p(")?;
    let (pct, rest) = rest.split_once(')')?;
    let percentile: f64 = pct.trim().parse().ok()?;
    let rest = rest.trim_start();
    let rest = rest
        .strip_prefix("<=")
        .or_else(|| rest.strip_prefix('<'))?
        .trim();
    let split = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (num, unit) = rest.split_at(split);
    let v: f64 = num.parse().ok()?;
    let scale = match unit.trim() {
        "ms" => 1.0,
        "s" => 1000.0,
        "us" | "µs" => 0.001,
        "ns" => 1e-6,
        _ => return None,
    };
    let ms = v * scale;
    (ms.is_finite() && ms > 0.0).then_some((percentile, ms))
}

/// Draws an SLO threshold across a latency panel: a dark dashed line, labelled with the
/// SLO's name and threshold at its right end.
fn slo_line<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    root: &DrawingArea<DB, Shift>,
    data: &Data,
    t: &SloLine,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64>,
{
    chart
        .draw_series(DashedLineSeries::new(
            vec![(0.0, t.ms), (data.t_end, t.ms)],
            14,
            6,
            SLO_RED.stroke_width(2),
        ))
        .map_err(s)?;
    let (x, y) = chart.backend_coord(&(data.t_end, t.ms));
    let text = format!(
        "SLO {}: p{} < {} ms",
        t.name,
        axis_num(t.percentile),
        axis_num(t.ms)
    );
    let style = text_style(14, SLO_RED);
    let (w, h) = root.estimate_text_size(&text, &style).map_err(s)?;
    let (right, bottom) = (x - 8, y - 5);
    root.draw(&Rectangle::new(
        [
            (right - w as i32 - 4, bottom - h as i32 - 2),
            (right + 4, bottom + 2),
        ],
        WHITE.mix(0.85).filled(),
    ))
    .map_err(s)?;
    root.draw_text(
        &text,
        &style.pos(Pos::new(HPos::Right, VPos::Bottom)),
        (right, bottom),
    )
    .map_err(s)
}

/// Colour of SLO threshold lines: a dark red outside the series palette.
const SLO_RED: RGBColor = RGBColor(0xA5, 0x0F, 0x15);

//! The `outcomes` chart of a run: the outcome mix over time for the whole platform (stacked), and the failed share.

use super::{fault_bands, fault_labels, fault_legend, Data, Spec};
use crate::chart::*;
use crate::chart::{DrawResult, BLUE};
use crate::series::GroupPoint;
use plotters::coord::Shift;
use plotters::prelude::*;

/// What this chart is (its [`super::ChartKind`] reads it).
pub(super) const SPEC: Spec = Spec {
    name: "outcomes",
    title: "Outcomes of requests, whole platform",
    caption: "What happened to the requests sent in each window, whole platform (sum of tiers): \
                 stacked requests/s by outcome (top) and the failed share (bottom).",
    size: (WIDTH, HEIGHT),
};

/// Outcome layers, bottom to top: (label, colour, count getter). `ok` is a light tint so
/// that the failure layers above it stand out.
type Getter = fn(&GroupPoint) -> u64;
const OUTCOME_LAYERS: [(&str, RGBColor, Getter); 6] = [
    ("ok", OK_TINT, |p| p.ok),
    ("429 rate limited", ORANGE, |p| p.rejected_429),
    ("503 shed", VERMILLION, |p| p.shed_503),
    ("5xx error", PURPLE, |p| p.errors_5xx),
    ("timeout", BLUE, |p| p.timeouts),
    ("unfinished at end", NO_DATA, |p| {
        p.offered
            .saturating_sub(p.ok + p.rejected_429 + p.shed_503 + p.errors_5xx + p.timeouts)
    }),
];

/// Bluish green blended 55% with white.
const OK_TINT: RGBColor = RGBColor(0x73, 0xC9, 0xB1);

/// A per-window value as a step line: flat over each window, `[start, end)`.
fn steps(data: &Data, v: &[f64]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(v.len() * 2);
    for (w, &y) in v.iter().enumerate() {
        let (a, b) = data.bounds[w];
        out.push((a, y));
        out.push((b, y));
    }
    out
}

pub(super) fn draw<DB: DrawingBackend>(data: &Data, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let (main, side) = body(root);
    let n = data.series.windows;
    let layers = OUTCOME_LAYERS.len();
    // cum[k][w]: rate of layers 0..=k; share[k][w]: % of sent in failure layers 1..=k.
    let mut cum = vec![vec![0.0f64; n]; layers];
    let mut share = vec![vec![0.0f64; n]; layers];
    let mut unfinished = false;
    for w in 0..n {
        let p = &data.platform[w];
        let mut acc = 0u64;
        let mut acc_fail = 0u64;
        for (k, (_, _, get)) in OUTCOME_LAYERS.iter().enumerate() {
            acc += get(p);
            cum[k][w] = data.rate(w, acc);
            if k > 0 && k < layers - 1 {
                acc_fail += get(p);
            }
            if k == layers - 1 {
                unfinished |= get(p) > 0;
            }
            share[k][w] = if p.offered > 0 {
                100.0 * acc_fail as f64 / p.offered as f64
            } else {
                0.0
            };
        }
    }
    let max_of = |v: &[f64]| v.iter().fold(0.0, |a: f64, b| a.max(*b));
    let top_max = nice_max(max_of(&cum[layers - 1]));
    let share_max = nice_max(max_of(&share[layers - 2]));
    let (top, bottom) = main.split_vertically(main.dim_in_pixel().1 * 58 / 100);
    let y_fmt = |v: &f64| axis_num(*v);
    let over = BLACK.mix(0.09);

    // Top: absolute rates, stacked; the top of the stack is the offered rate.
    let mut chart = ChartBuilder::on(&top)
        .margin_left(12)
        .margin_right(16)
        .margin_top(10)
        .x_label_area_size(30)
        .y_label_area_size(84)
        .build_cartesian_2d(0.0..data.t_end, 0.0..top_max)
        .map_err(s)?;
    let plot = chart.plotting_area().get_pixel_range();
    fault_bands(root, data, &plot)?;
    for k in (0..layers).rev() {
        let color = OUTCOME_LAYERS[k].1;
        chart
            .draw_series(AreaSeries::new(steps(data, &cum[k]), 0.0, color.filled()))
            .map_err(s)?;
    }
    // The grid goes over the opaque areas, faintly, so values can still be read.
    time_mesh(&mut chart, "requests/s (by send time)", None, &y_fmt, over)?;
    fault_labels(root, data, &plot, true)?;
    if !data.has_platform {
        no_data(&top, "no tier series recorded")?;
    }

    // Bottom: failure share of requests sent, stacked (429 first).
    let mut chart = ChartBuilder::on(&bottom)
        .margin_left(12)
        .margin_right(16)
        .margin_top(8)
        .x_label_area_size(52)
        .y_label_area_size(84)
        .build_cartesian_2d(0.0..data.t_end, 0.0..share_max)
        .map_err(s)?;
    let plot = chart.plotting_area().get_pixel_range();
    fault_bands(root, data, &plot)?;
    time_mesh(
        &mut chart,
        "failed (% of sent)",
        Some("time (s)"),
        &y_fmt,
        GRID.to_rgba(),
    )?;
    for k in (1..layers - 1).rev() {
        let color = OUTCOME_LAYERS[k].1;
        chart
            .draw_series(AreaSeries::new(steps(data, &share[k]), 0.0, color.filled()))
            .map_err(s)?;
    }

    let mut items: Vec<(String, Mark)> = Vec::new();
    for (k, (label, color, _)) in OUTCOME_LAYERS.iter().enumerate().rev() {
        if k == layers - 1 && !unfinished {
            continue;
        }
        items.push(((*label).to_string(), Mark::Box(*color)));
    }
    fault_legend(data, &mut items);
    items.push(("stacked; sum of tiers;".into(), Mark::Heading));
    items.push(("bottom: failures only".into(), Mark::Heading));
    legend(&side, &items)
}

//! The `cells` chart of a run: queue depth and DB utilisation per cell over time, with DB breaker marks.

use super::{fault_bands, fault_labels, fault_legend, Data, Spec};
use crate::chart::DrawResult;
use crate::chart::*;
use plotters::coord::Shift;
use plotters::prelude::*;

/// What this chart is (its [`super::ChartKind`] reads it).
pub(super) const SPEC: Spec = Spec {
    name: "cells",
    title: "Cells: queue depth and DB utilisation",
    caption: "Per cell: requests waiting in the queue at the end of each window (top) and DB \
                 utilisation over the window (bottom); triangles mark windows with a DB breaker open.",
    size: (WIDTH, HEIGHT),
};

pub(super) fn draw<DB: DrawingBackend>(data: &Data, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let (main, side) = body(root);
    let cells = &data.series.cells;
    let n = data.series.windows;
    let q_max = nice_max(
        cells
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.queue_depth as f64))
            .fold(0.0, f64::max),
    );
    let panels = main.split_evenly((2, 1));
    let y_fmt = |v: &f64| axis_num(*v);
    let color = |k: usize| PALETTE[k % PALETTE.len()];

    // Top: queue depth.
    let mut chart = ChartBuilder::on(&panels[0])
        .margin_left(12)
        .margin_right(16)
        .margin_top(10)
        .x_label_area_size(26)
        .y_label_area_size(84)
        .build_cartesian_2d(0.0..data.t_end, 0.0..q_max)
        .map_err(s)?;
    let plot = chart.plotting_area().get_pixel_range();
    fault_bands(root, data, &plot)?;
    time_mesh(
        &mut chart,
        "queue depth (requests)",
        None,
        &y_fmt,
        GRID.to_rgba(),
    )?;
    for (k, c) in cells.iter().enumerate() {
        let pts = (0..n.min(c.points.len()))
            .map(|w| Some((data.bounds[w].1, c.points[w].queue_depth as f64)))
            .collect();
        draw_line(&mut chart, pts, color(k), k >= PALETTE.len(), 2)?;
    }
    fault_labels(root, data, &plot, false)?;
    if cells.is_empty() {
        no_data(&panels[0], "no cell series recorded")?;
    }

    // Bottom: DB utilisation (%), breaker-open windows marked.
    let mut chart = ChartBuilder::on(&panels[1])
        .margin_left(12)
        .margin_right(16)
        .margin_top(6)
        .x_label_area_size(48)
        .y_label_area_size(84)
        .build_cartesian_2d(0.0..data.t_end, 0.0..105.0)
        .map_err(s)?;
    let plot = chart.plotting_area().get_pixel_range();
    fault_bands(root, data, &plot)?;
    time_mesh(
        &mut chart,
        "DB utilisation (%)",
        Some("time (s)"),
        &y_fmt,
        GRID.to_rgba(),
    )?;
    let mut any_breaker = false;
    for (k, c) in cells.iter().enumerate() {
        let pts = (0..n.min(c.points.len()))
            .map(|w| Some((data.mid(w), 100.0 * unit(c.points[w].db_utilisation))))
            .collect();
        draw_line(&mut chart, pts, color(k), k >= PALETTE.len(), 2)?;
        let open: Vec<(f64, f64)> = (0..n.min(c.points.len()))
            .filter(|&w| c.points[w].breaker_open)
            .map(|w| (data.mid(w), 100.0 * unit(c.points[w].db_utilisation)))
            .collect();
        any_breaker |= !open.is_empty();
        let c = color(k);
        chart
            .draw_series(
                open.into_iter()
                    .map(|xy| TriangleMarker::new(xy, 5, c.filled())),
            )
            .map_err(s)?;
    }

    let mut items: Vec<(String, Mark)> = Vec::new();
    for (k, c) in cells.iter().enumerate() {
        items.push((
            format!("cell {}", c.cell),
            Mark::Line(color(k), k >= PALETTE.len()),
        ));
    }
    if any_breaker {
        items.push(("DB breaker open".into(), Mark::Triangle(MUTED)));
    }
    fault_legend(data, &mut items);
    items.push(("queue: at window end".into(), Mark::Heading));
    items.push(("DB: mean over window".into(), Mark::Heading));
    legend(&side, &items)
}

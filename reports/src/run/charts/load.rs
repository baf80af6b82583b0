//! The `load` chart of a run: offered vs served requests/s, attempts/s, and retry amplification.

use super::{fault_bands, fault_labels, fault_legend, Data, Spec};
use crate::chart::*;
use crate::chart::{DrawResult, BLUE, GREEN};
use plotters::coord::Shift;
use plotters::prelude::*;

/// What this chart is (its [`super::ChartKind`] reads it).
pub(super) const SPEC: Spec = Spec {
    name: "load",
    title: "Load: offered vs served, and retry amplification",
    caption: "Requests offered by clients, attempts reaching the platform, and requests served OK \
              (requests/s); amplification = attempts per request on the right axis. Attempts \
              climbing above offered while OK falls is a retry storm.",
    size: (WIDTH, HEIGHT),
};

pub(super) fn draw<DB: DrawingBackend>(data: &Data, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let (main, side) = body(root);
    let n = data.series.windows;
    let p = &data.platform;
    let offered: Vec<f64> = (0..n).map(|w| data.rate(w, p[w].offered)).collect();
    let attempts: Vec<f64> = (0..n).map(|w| data.rate(w, p[w].attempts)).collect();
    let ok: Vec<f64> = (0..n).map(|w| data.rate(w, p[w].ok)).collect();
    let amp: Vec<Option<f64>> = (0..n)
        .map(|w| (p[w].offered > 0).then(|| p[w].attempts as f64 / p[w].offered as f64))
        .collect();
    let y_max = nice_max(
        offered
            .iter()
            .chain(&attempts)
            .chain(&ok)
            .fold(0.0, |a: f64, b| a.max(*b)),
    );
    let amp_max = nice_max(amp.iter().flatten().fold(2.0, |a: f64, b| a.max(*b)));
    let mut chart = ChartBuilder::on(&main)
        .margin_left(12)
        .margin_right(8)
        .margin_top(10)
        .x_label_area_size(48)
        .y_label_area_size(84)
        .right_y_label_area_size(80)
        .build_cartesian_2d(0.0..data.t_end, 0.0..y_max)
        .map_err(s)?
        .set_secondary_coord(0.0..data.t_end, 0.0..amp_max);
    let plot = chart.plotting_area().get_pixel_range();
    fault_bands(root, data, &plot)?;
    let y_fmt = |v: &f64| axis_num(*v);
    let x_fmt = |v: &f64| axis_num(*v);
    chart
        .configure_mesh()
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(MUTED.stroke_width(1))
        .label_style(text_style(15, INK))
        .axis_desc_style(text_style(16, INK))
        .x_labels(12)
        .y_labels(8)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc("time (s)")
        .y_desc("requests/s, attempts/s")
        .draw()
        .map_err(s)?;
    let amp_fmt = |v: &f64| format!("{v:.1}×");
    chart
        .configure_secondary_axes()
        .axis_style(MUTED.stroke_width(1))
        .label_style(text_style(15, VERMILLION))
        .axis_desc_style(text_style(16, VERMILLION))
        .y_labels(8)
        .y_label_formatter(&amp_fmt)
        .y_desc("amplification (attempts per request)")
        .draw()
        .map_err(s)?;
    let line = |v: &[f64]| -> Vec<(f64, f64)> { (0..n).map(|w| (data.mid(w), v[w])).collect() };
    chart
        .draw_series(AreaSeries::new(line(&ok), 0.0, GREEN.mix(0.12).filled()))
        .map_err(s)?;
    chart
        .draw_series(LineSeries::new(line(&ok), GREEN.stroke_width(2)))
        .map_err(s)?;
    chart
        .draw_series(LineSeries::new(line(&offered), BLUE.stroke_width(2)))
        .map_err(s)?;
    chart
        .draw_series(DashedLineSeries::new(
            line(&attempts),
            9,
            5,
            ORANGE.stroke_width(2),
        ))
        .map_err(s)?;
    for run in runs((0..n).map(|w| amp[w].map(|a| (data.mid(w), a)))) {
        chart
            .draw_secondary_series(LineSeries::new(run, VERMILLION.stroke_width(3)))
            .map_err(s)?;
    }
    fault_labels(root, data, &plot, false)?;
    if !data.has_platform {
        no_data(&main, "no tier series recorded")?;
    }
    let mut items: Vec<(String, Mark)> = vec![
        ("offered (requests/s)".into(), Mark::Line(BLUE, false)),
        ("attempts/s".into(), Mark::Line(ORANGE, true)),
        ("served ok (requests/s)".into(), Mark::Line(GREEN, false)),
        (
            "amplification (right)".into(),
            Mark::Line(VERMILLION, false),
        ),
    ];
    fault_legend(data, &mut items);
    items.push(("sum of tiers, by send time".into(), Mark::Heading));
    items.push(("gap offered→ok: failures".into(), Mark::Heading));
    items.push(("attempts > offered: retries".into(), Mark::Heading));
    legend(&side, &items)
}

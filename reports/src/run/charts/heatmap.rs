//! The `heatmap` chart of a run: tenants × time, coloured by the fraction of bad requests (aggregated to pixels).

use super::{Data, Spec};
use crate::chart::DrawResult;
use crate::chart::*;
use crate::format::thousands;
use crate::series::Heatmap;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// What this chart is (its [`super::ChartKind`] reads it).
pub(super) const SPEC: Spec = Spec {
    name: "heatmap",
    title: "Bad requests per tenant over time",
    caption: "One row per tenant, grouped by cell; colour is the fraction of the tenant's requests \
                 that failed (other than its own 429s) or were slower than the threshold. Grey: no \
                 requests. When there are more tenants than pixel rows, a row shows the worst tenant \
                 it covers.",
    size: (WIDTH, HEATMAP_HEIGHT),
};

/// Heatmap classes of the bad fraction: upper bounds (inclusive) and colours. Exactly 0 is
/// white; then ColorBrewer YlOrRd (7 classes), a sequential scale that stays ordered for
/// colour-blind readers. Class edges are close together near 0 because SLOs care about
/// the first per cent.
pub(super) const HEAT_CLASSES: [(f32, RGBColor, &str); 7] = [
    (0.01, RGBColor(0xFF, 0xFF, 0xB2), "0–1%"),
    (0.02, RGBColor(0xFE, 0xD9, 0x76), "1–2%"),
    (0.05, RGBColor(0xFE, 0xB2, 0x4C), "2–5%"),
    (0.10, RGBColor(0xFD, 0x8D, 0x3C), "5–10%"),
    (0.20, RGBColor(0xFC, 0x4E, 0x2A), "10–20%"),
    (0.50, RGBColor(0xE3, 0x1A, 0x1C), "20–50%"),
    (1.00, RGBColor(0xB1, 0x00, 0x26), "50–100%"),
];

/// The heatmap reduced to at most `rows × cols` blocks: block `(b, c)` covers tenants
/// `[b·n/B, (b+1)·n/B)` and windows `[c·m/C, (c+1)·m/C)`; its value is the worst (largest)
/// bad fraction in it, or `None` when no tenant of the block had requests in those windows.
#[derive(Debug, PartialEq)]
pub struct HeatGrid {
    /// Block rows (≤ tenants).
    pub rows: usize,
    /// Block columns (≤ windows).
    pub cols: usize,
    /// Row-major values.
    pub values: Vec<Option<f32>>,
}

/// Aggregates `hm` to at most `max_rows × max_cols` blocks (the worst value wins).
pub fn aggregate_heatmap(hm: &Heatmap, max_rows: usize, max_cols: usize) -> HeatGrid {
    let n = grid_tenants(hm);
    let m = hm.windows;
    let rows = n.min(max_rows.max(1));
    let cols = m.min(max_cols.max(1));
    let mut values = vec![None; rows * cols];
    for b in 0..rows {
        let (r0, r1) = (b * n / rows, (b + 1) * n / rows);
        for c in 0..cols {
            let (w0, w1) = (c * m / cols, (c + 1) * m / cols);
            let mut v: Option<f32> = None;
            for r in r0..r1 {
                // Out-of-range values are clamped; a non-finite one counts as all bad.
                for x in hm.bad[r * m + w0..r * m + w1].iter().flatten() {
                    let x = if x.is_finite() {
                        x.clamp(0.0, 1.0)
                    } else {
                        1.0
                    };
                    v = Some(v.map_or(x, |y| y.max(x)));
                }
            }
            values[b * cols + c] = v;
        }
    }
    HeatGrid { rows, cols, values }
}

/// Colour class of a bad fraction: `None` → no data, `0` → white, then [`HEAT_CLASSES`].
pub(super) fn heat_color(v: Option<f32>) -> RGBColor {
    match v {
        None => NO_DATA,
        Some(x) if x <= 0.0 => WHITE,
        Some(x) => HEAT_CLASSES
            .iter()
            .find(|(hi, _, _)| x <= *hi)
            .map(|c| c.1)
            .unwrap_or(HEAT_CLASSES[HEAT_CLASSES.len() - 1].1),
    }
}

pub(super) fn draw<DB: DrawingBackend>(data: &Data, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let (main, side) = body(root);
    let hm = &data.series.heatmap;
    let mut t_end = hm.window_s * hm.windows as f64;
    if data.summary.sim_seconds > 0.0 && data.summary.sim_seconds < t_end {
        t_end = data.summary.sim_seconds;
    }
    if t_end.is_nan() || t_end <= 0.0 {
        t_end = data.t_end;
    }
    let mut chart = ChartBuilder::on(&main)
        .margin_left(12)
        .margin_right(16)
        .margin_top(34)
        .x_label_area_size(48)
        .y_label_area_size(96)
        .build_cartesian_2d(0.0..t_end, 0.0..1.0)
        .map_err(s)?;
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let (pw, ph) = ((xr.end - xr.start) as usize, (yr.end - yr.start) as usize);
    let grid = aggregate_heatmap(hm, ph, pw);
    let n = grid.rows;
    // Tenant rows and windows covered by a block row / column map linearly to pixels.
    let y_of = |b: usize| yr.start + (b * ph / n.max(1)) as i32;
    let x_of = |c: usize| xr.start + (c * pw / grid.cols.max(1)) as i32;
    for b in 0..grid.rows {
        let (y0, y1) = (y_of(b), y_of(b + 1));
        // Runs of equal colour become one rectangle; white (0 bad) is the background.
        let mut c = 0;
        while c < grid.cols {
            let color = heat_color(grid.values[b * grid.cols + c]);
            let mut e = c + 1;
            while e < grid.cols && heat_color(grid.values[b * grid.cols + e]) == color {
                e += 1;
            }
            if color != WHITE {
                root.draw(&Rectangle::new(
                    [(x_of(c), y0), (x_of(e), y1)],
                    color.filled(),
                ))
                .map_err(s)?;
            }
            c = e;
        }
    }
    // Cell boundaries and labels. Tenant row r sits at pixel y = r·ph/n_tenants.
    let n_tenants = grid_tenants(hm);
    let y_row = |r: usize| yr.start + (r * ph / n_tenants.max(1)) as i32;
    let label = text_style(14, INK).pos(Pos::new(HPos::Right, VPos::Center));
    let mut start = 0;
    let mut last_label_y: Option<i32> = None;
    while start < n_tenants {
        let cell = hm.cells.get(start).copied().unwrap_or(0);
        let mut end = start + 1;
        while end < n_tenants && hm.cells.get(end).copied().unwrap_or(0) == cell {
            end += 1;
        }
        let (ya, yb) = (y_row(start), y_row(end));
        if start > 0 {
            root.draw(&PathElement::new(
                vec![(xr.start - 8, ya), (xr.end, ya)],
                INK.stroke_width(1),
            ))
            .map_err(s)?;
        }
        let ym = (ya + yb) / 2;
        if last_label_y.is_none_or(|last| ym - last >= 16) {
            root.draw_text(&format!("cell {cell}"), &label, (xr.start - 12, ym))
                .map_err(s)?;
            last_label_y = Some(ym);
        }
        start = end;
    }
    let x_fmt = |v: &f64| axis_num(*v);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .disable_y_mesh()
        .axis_style(MUTED.stroke_width(1))
        .label_style(text_style(15, INK))
        .axis_desc_style(text_style(16, INK))
        .x_labels(12)
        .y_labels(0)
        .x_label_formatter(&x_fmt)
        .x_desc("time (s)")
        .y_desc(format!(
            "{} tenants, grouped by cell",
            thousands(n_tenants as u64)
        ))
        .draw()
        .map_err(s)?;
    // Faults: edges over the whole height, names above the plot.
    let fstyle = text_style(13, INK).pos(Pos::new(HPos::Left, VPos::Bottom));
    for (i, f) in data.summary.faults.iter().enumerate() {
        if f.start_s >= t_end || f.end_s < f.start_s {
            continue;
        }
        let x0 = x_px(f.start_s, t_end, &xr);
        let x1 = x_px(f.end_s, t_end, &xr);
        for x in [x0, x1] {
            root.draw(&PathElement::new(
                vec![(x, yr.start - 6), (x, yr.end)],
                INK.mix(0.7).stroke_width(1),
            ))
            .map_err(s)?;
        }
        let y = yr.start - 6 - (i % 2) as i32 * 15;
        root.draw(&PathElement::new(
            vec![(x0, y), (x1, y)],
            INK.mix(0.7).stroke_width(2),
        ))
        .map_err(s)?;
        root.draw_text(&clip_text(&f.name, 28), &fstyle, (x0 + 3, y - 1))
            .map_err(s)?;
    }
    root.draw(&Rectangle::new(
        [(xr.start, yr.start), (xr.end, yr.end)],
        MUTED.stroke_width(1),
    ))
    .map_err(s)?;
    if n_tenants == 0 {
        no_data(&main, "no heatmap recorded")?;
    }
    let mut items: Vec<(String, Mark)> = vec![
        ("bad requests:".into(), Mark::Heading),
        (
            format!("failed, or > {} ms", axis_num(hm.threshold_ms)),
            Mark::Heading,
        ),
    ];
    for (_, color, text) in HEAT_CLASSES.iter().rev() {
        items.push(((*text).to_string(), Mark::Box(*color)));
    }
    items.push(("none (0%)".into(), Mark::OutlinedBox(WHITE)));
    items.push(("no requests".into(), Mark::Box(NO_DATA)));
    items.push((format!("window {} s", axis_num(hm.window_s)), Mark::Heading));
    if n_tenants > ph {
        items.push(("1 px row = several".into(), Mark::Heading));
        items.push(("tenants; worst shown".into(), Mark::Heading));
    }
    legend(&side, &items)
}

/// Tenant rows of the heatmap that have data.
fn grid_tenants(hm: &Heatmap) -> usize {
    hm.bad
        .len()
        .checked_div(hm.windows)
        .map_or(0, |rows| rows.min(hm.tenants.len()))
}

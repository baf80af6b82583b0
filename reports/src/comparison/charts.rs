//! Charts of a comparison (`tenantsim compare`): per-variant box-and-strip plots of the blast
//! radius and the worst bystander p99 over seeds, the Pareto chart of cost against
//! bystander p99, and the forest plot of paired differences from the baseline with their 95%
//! intervals. A count (the blast radius) gets an integer axis; variant labels are wrapped,
//! never cut.
//!
//! Same rules as [`crate::chart`]: the embedded font, PNG without ancillary chunks, and a
//! pure function of the [`Comparison`] (the strip's horizontal jitter is a hash of the seed,
//! not a random draw), so the same comparison draws byte-identical charts.

use crate::chart::{
    axis_num, clip_text, encode_png, ensure_font, header, s, text_style, Chart, ChartError,
    DrawResult, GRID, HEADER_H, HEIGHT, INK, MUTED, PALETTE, WIDTH,
};
use crate::comparison::{Comparison, Metric};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The comparison charts, in output order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareChart {
    /// Box and strip plot of the blast radius per variant.
    BlastRadius,
    /// Box and strip plot of the worst bystander p99 per variant.
    BystanderP99,
    /// Mean cost (cells used) against mean worst bystander p99, Pareto front marked.
    Pareto,
    /// Paired differences from the baseline (mean and 95% interval), one panel per metric.
    Forest,
}

impl CompareChart {
    /// What the chart shows, under its title in the HTML report.
    pub fn caption(self) -> &'static str {
        match self {
            CompareChart::BlastRadius => {
                "One box per variant: quartiles and median of the blast radius over seeds, whiskers \
                 to the minimum and maximum, one dot per seed. Lower is better; the baseline is grey."
            }
            CompareChart::BystanderP99 => {
                "The highest p99 latency among bystanders (tenants with ≥ 50 successful requests \
                 that no fault targeted), per seed. A box high above the others is a policy that \
                 lets one tenant's trouble reach its neighbours."
            }
            CompareChart::Pareto => {
                "Each variant's mean cost (cells hosting tenants) against its mean worst bystander \
                 p99. Green points are on the Pareto front: no other variant is both cheaper and \
                 better isolated. A red point is dominated."
            }
            CompareChart::Forest => {
                "Paired differences from the baseline, seed by seed (same seed, same random \
                 numbers): the dot is the mean difference, the bar its 95% interval (paired t). \
                 Left of the dashed zero line is better; a bar that crosses zero is no \
                 significant difference. Win / tie / loss counts are on the right of each panel."
            }
        }
    }

    /// Every chart.
    pub const ALL: [CompareChart; 4] = [
        CompareChart::BlastRadius,
        CompareChart::BystanderP99,
        CompareChart::Pareto,
        CompareChart::Forest,
    ];

    /// File stem.
    pub fn name(self) -> &'static str {
        match self {
            CompareChart::BlastRadius => "compare_blast_radius",
            CompareChart::BystanderP99 => "compare_bystander_p99",
            CompareChart::Pareto => "compare_pareto",
            CompareChart::Forest => "compare_forest",
        }
    }

    /// Title.
    pub fn title(self) -> &'static str {
        match self {
            CompareChart::BlastRadius => "Blast radius per variant (bystanders breaching an SLO)",
            CompareChart::BystanderP99 => "Worst bystander p99 per variant",
            CompareChart::Pareto => "Cost vs isolation: cells used against worst bystander p99",
            CompareChart::Forest => "Paired difference from the baseline, with 95% intervals",
        }
    }
}

/// Renders every comparison chart.
pub fn render_all(c: &Comparison) -> Result<Vec<Chart>, ChartError> {
    CompareChart::ALL.iter().map(|&k| render(k, c)).collect()
}

/// Renders one comparison chart as PNG and SVG.
pub fn render(kind: CompareChart, c: &Comparison) -> Result<Chart, ChartError> {
    ensure_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw(kind, c, &root)?;
        root.present().map_err(|e| draw_err(kind, e))?;
    }
    let mut rgb = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        draw(kind, c, &root)?;
        root.present().map_err(|e| draw_err(kind, e))?;
    }
    let png = encode_png(kind.name(), &rgb, WIDTH, HEIGHT)?;
    Ok(Chart {
        name: kind.name(),
        title: kind.title().to_string(),
        caption: kind.caption(),
        png,
        svg,
    })
}

fn draw_err<E: std::fmt::Display>(kind: CompareChart, e: E) -> ChartError {
    ChartError::Draw {
        chart: kind.name(),
        message: e.to_string(),
    }
}

fn draw<DB: DrawingBackend>(
    kind: CompareChart,
    c: &Comparison,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), ChartError> {
    let subtitle = format!(
        "{} · {} seeds · baseline {}",
        c.spec.scenario,
        c.spec.seeds.len(),
        c.spec.variants[c.spec.baseline].label
    );
    root.fill(&WHITE)
        .map_err(s)
        .and_then(|()| header(root, kind.title(), &subtitle))
        .and_then(|()| match kind {
            CompareChart::BlastRadius => boxes(
                c,
                root,
                Metric::BlastRadius,
                "bystanders breaching an SLO, per seed",
            ),
            CompareChart::BystanderP99 => boxes(
                c,
                root,
                Metric::WorstBystanderP99,
                "worst bystander p99 (ms), per seed",
            ),
            CompareChart::Pareto => pareto(c, root),
            CompareChart::Forest => forest(c, root),
        })
        .map_err(|e| draw_err(kind, e))
}

/// Quartiles by linear interpolation between order statistics (type 7).
fn quartiles(sorted: &[f64]) -> (f64, f64, f64) {
    let q = |p: f64| {
        if sorted.is_empty() {
            return 0.0;
        }
        let h = (sorted.len() - 1) as f64 * p;
        let lo = h.floor() as usize;
        let hi = (lo + 1).min(sorted.len() - 1);
        sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
    };
    (q(0.25), q(0.5), q(0.75))
}

/// A deterministic offset in −0.5..0.5 for seed `seed` (SplitMix64 finaliser).
fn jitter(seed: u64) -> f64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}

fn y_range(lo: f64, hi: f64) -> (f64, f64) {
    let lo = lo.min(0.0);
    let span = (hi - lo).max(1.0);
    (lo, hi + span * 0.08)
}

fn boxes<DB: DrawingBackend>(
    c: &Comparison,
    root: &DrawingArea<DB, Shift>,
    metric: Metric,
    y_desc: &str,
) -> DrawResult {
    let (_, body) = root.split_vertically(HEADER_H);
    let n = c.variants.len();
    let ns = c.spec.seeds.len();
    let values: Vec<Vec<f64>> = (0..n)
        .map(|v| {
            c.runs[v * ns..(v + 1) * ns]
                .iter()
                .map(|r| metric.of(r))
                .collect()
        })
        .collect();
    let max = values.iter().flatten().copied().fold(0.0f64, f64::max);
    let count = metric.is_count();
    let (y0, y1) = if count {
        (0.0, count_top(max))
    } else {
        y_range(0.0, max)
    };
    let y_labels = if count { (y1 as usize + 1).min(7) } else { 7 };
    let mut chart = ChartBuilder::on(&body)
        .margin_left(20)
        .margin_right(30)
        .margin_top(10)
        .margin_bottom(20)
        .x_label_area_size(90)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), y0..y1)
        .map_err(s)?;
    // A count's axis is labelled at whole numbers only.
    let y_fmt = |v: &f64| {
        if count && (v - v.round()).abs() > 1e-9 {
            String::new()
        } else {
            axis_num(*v)
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .disable_x_axis()
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(MUTED.stroke_width(1))
        .label_style(text_style(15, INK))
        .axis_desc_style(text_style(16, INK))
        .y_labels(y_labels)
        .y_label_formatter(&y_fmt)
        .y_desc(y_desc)
        .draw()
        .map_err(s)?;
    for (v, vals) in values.iter().enumerate() {
        let color = if v == c.spec.baseline {
            MUTED
        } else {
            PALETTE[v % 7]
        };
        let x = v as f64;
        let mut sorted = vals.clone();
        sorted.sort_by(f64::total_cmp);
        let (q1, med, q3) = quartiles(&sorted);
        let (lo, hi) = (
            sorted.first().copied().unwrap_or(0.0),
            sorted.last().copied().unwrap_or(0.0),
        );
        let w = 0.28;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x - w, q1), (x + w, q3)],
                color.mix(0.18).filled(),
            )))
            .map_err(s)?;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x - w, q1), (x + w, q3)],
                color.stroke_width(2),
            )))
            .map_err(s)?;
        for seg in [
            vec![(x - w, med), (x + w, med)],
            vec![(x, q3), (x, hi)],
            vec![(x, q1), (x, lo)],
            vec![(x - w / 2.0, hi), (x + w / 2.0, hi)],
            vec![(x - w / 2.0, lo), (x + w / 2.0, lo)],
        ] {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    seg,
                    color.stroke_width(2),
                )))
                .map_err(s)?;
        }
        let seeds = &c.spec.seeds;
        chart
            .draw_series(vals.iter().zip(seeds).map(|(&y, &seed)| {
                Circle::new((x + jitter(seed) * 0.45, y), 3, INK.mix(0.55).filled())
            }))
            .map_err(s)?;
        // Variant label under the axis.
        let (px, py) = chart.backend_coord(&(x, y0));
        let label = if v == c.spec.baseline {
            format!("{} (baseline)", c.variants[v].label)
        } else {
            c.variants[v].label.clone()
        };
        // Wrapped to the box's width, never cut (at 14 px a character is about 8 px).
        let max_chars = ((1000 / n.max(1)) / 8).clamp(6, 40);
        let lines = wrap_label(&label, max_chars);
        for (k, line) in lines.iter().enumerate() {
            root.draw_text(
                line,
                &text_style(14, INK).pos(Pos::new(HPos::Center, VPos::Top)),
                (px, py + 8 + 17 * k as i32),
            )
            .map_err(s)?;
        }
        let mean = vals.iter().sum::<f64>() / vals.len().max(1) as f64;
        root.draw_text(
            &format!("mean {}", axis_num(mean)),
            &text_style(13, MUTED).pos(Pos::new(HPos::Center, VPos::Top)),
            (px, py + 10 + 17 * lines.len() as i32),
        )
        .map_err(s)?;
    }
    Ok(())
}

/// Top of a count axis: the next whole number above the largest count, at least 1, so
/// that ticks fall on whole numbers (an all-zero blast radius gets 0–1, not 0–0.080).
fn count_top(max: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        libm::floor(max * 1.08) + 1.0
    } else {
        1.0
    }
}

/// Splits a label into lines of at most `max` characters, preferring to break after `_`,
/// `-`, `=`, `,`, `.` or a space; a run without such a break is cut hard. The lines
/// concatenated (spaces at breaks trimmed) give back the whole label.
pub(crate) fn wrap_label(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    while rest.len() > max {
        let cut = (1..=max)
            .rev()
            .find(|&i| matches!(rest[i - 1], '_' | '-' | '=' | ',' | '.' | ' '))
            .unwrap_or(max);
        let line: String = rest[..cut].iter().collect();
        lines.push(line.trim_end().to_string());
        rest.drain(..cut);
        while rest.first() == Some(&' ') {
            rest.remove(0);
        }
    }
    if !rest.is_empty() || lines.is_empty() {
        lines.push(rest.into_iter().collect());
    }
    lines
}

/// The metrics of the forest plot, one panel each.
const FOREST_METRICS: [Metric; 3] = [
    Metric::BlastRadius,
    Metric::WorstBystanderP99,
    Metric::BystanderErrors,
];

/// Forest plot: per metric a panel, per non-baseline variant a row with the mean paired
/// difference (dot) and its 95% interval (bar); a dashed line at zero.
fn forest<DB: DrawingBackend>(c: &Comparison, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let (_, body) = root.split_vertically(HEADER_H);
    let rows: Vec<usize> = (0..c.variants.len())
        .filter(|&v| v != c.spec.baseline)
        .collect();
    let (labels, panels) = body.split_horizontally(190);
    let panels = panels.split_evenly((1, FOREST_METRICS.len()));
    let k = rows.len().max(1) as f64;
    let mut row_px: Vec<i32> = Vec::new();
    for (pi, (panel, &m)) in panels.iter().zip(&FOREST_METRICS).enumerate() {
        let cells: Vec<Option<(f64, f64, f64, String)>> = rows
            .iter()
            .map(|&v| {
                c.paired_of(v, m).map(|p| {
                    let (lo, hi) = p.ci95.unwrap_or((p.mean_diff, p.mean_diff));
                    (p.mean_diff, lo, hi, crate::comparison::win_tie_loss(p))
                })
            })
            .collect();
        let mut a = 0.0f64;
        for (d, lo, hi, _) in cells.iter().flatten() {
            for x in [*d, *lo, *hi] {
                if x.is_finite() {
                    a = a.max(x.abs());
                }
            }
        }
        let a = if a > 0.0 { a * 1.15 } else { 1.0 };
        let mut chart = ChartBuilder::on(panel)
            .margin_left(8)
            .margin_right(16)
            .margin_top(30)
            .margin_bottom(10)
            .x_label_area_size(55)
            .build_cartesian_2d(-a..a, -0.5f64..(k - 0.5))
            .map_err(s)?;
        let fmt = |v: &f64| axis_num(*v);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(MUTED.stroke_width(1))
            .label_style(text_style(14, INK))
            .axis_desc_style(text_style(15, INK))
            .x_labels(5)
            .x_label_formatter(&fmt)
            .x_desc(format!("Δ {}", m.heading()))
            .draw()
            .map_err(s)?;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, -0.5), (0.0, k - 0.5)],
                8,
                5,
                MUTED.stroke_width(1),
            ))
            .map_err(s)?;
        for (r, cell) in cells.iter().enumerate() {
            // First row at the top.
            let y = k - 1.0 - r as f64;
            if pi == 0 {
                row_px.push(chart.backend_coord(&(0.0, y)).1);
            }
            let Some((d, lo, hi, wtl)) = cell else {
                continue;
            };
            let clamp = |x: f64| if x.is_finite() { x.clamp(-a, a) } else { 0.0 };
            let color = if *hi < 0.0 {
                PALETTE[2]
            } else if *lo > 0.0 {
                PALETTE[1]
            } else {
                MUTED
            };
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(clamp(*lo), y), (clamp(*hi), y)],
                    color.stroke_width(3),
                )))
                .map_err(s)?;
            chart
                .draw_series(std::iter::once(Circle::new(
                    (clamp(*d), y),
                    6,
                    color.filled(),
                )))
                .map_err(s)?;
            let (px, py) = chart.backend_coord(&(a, y));
            root.draw_text(
                wtl,
                &text_style(12, MUTED).pos(Pos::new(HPos::Right, VPos::Bottom)),
                (px - 2, py - 12),
            )
            .map_err(s)?;
        }
    }
    let (lx, _) = labels.get_base_pixel();
    for (&v, &py) in rows.iter().zip(&row_px) {
        let lines = wrap_label(&c.variants[v].label, 22);
        let top = py - 8 * lines.len() as i32;
        for (j, line) in lines.iter().enumerate() {
            root.draw_text(
                line,
                &text_style(14, INK).pos(Pos::new(HPos::Right, VPos::Top)),
                (lx + 180, top + 17 * j as i32),
            )
            .map_err(s)?;
        }
    }
    if rows.is_empty() {
        let (w, h) = body.dim_in_pixel();
        body.draw_text(
            "one variant only: nothing to pair",
            &text_style(18, MUTED).pos(Pos::new(HPos::Center, VPos::Center)),
            (w as i32 / 2, h as i32 / 2),
        )
        .map_err(s)?;
    }
    let (w, _) = root.dim_in_pixel();
    root.draw_text(
        &format!(
            "variant − baseline {}; negative is better; green: better, red: worse",
            c.spec.variants[c.spec.baseline].label
        ),
        &text_style(14, MUTED).pos(Pos::new(HPos::Right, VPos::Top)),
        (w as i32 - 30, HEADER_H as i32 + 4),
    )
    .map_err(s)
}

fn pareto<DB: DrawingBackend>(c: &Comparison, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let (_, body) = root.split_vertically(HEADER_H);
    // Money on the x-axis when every run priced its usage (`[cost]`), else cells used.
    let by_money = (0..c.variants.len()).all(|v| c.mean_cost(v).is_some());
    let pts: Vec<(f64, f64)> = (0..c.variants.len())
        .map(|v| {
            (
                if by_money {
                    c.mean_cost(v).unwrap_or(0.0)
                } else {
                    c.spread(v, Metric::CellsUsed).mean
                },
                c.spread(v, Metric::WorstBystanderP99).mean,
            )
        })
        .collect();
    // A variant is on the front when no other is at least as good on both and better on one.
    let front: Vec<bool> = pts
        .iter()
        .map(|&(x, y)| {
            !pts.iter()
                .any(|&(a, b)| a <= x && b <= y && (a < x || b < y))
        })
        .collect();
    let (xmin, xmax) = pts.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), p| {
        (lo.min(p.0), hi.max(p.0))
    });
    let xmin = if xmin.is_finite() { xmin } else { 0.0 };
    let xpad = if by_money {
        ((xmax - xmin) * 0.15).max(xmax * 0.05).max(1e-9)
    } else {
        ((xmax - xmin) * 0.15).max(1.0)
    };
    let ymax = pts.iter().map(|p| p.1).fold(0.0f64, f64::max);
    let (y0, y1) = y_range(0.0, ymax);
    let mut chart = ChartBuilder::on(&body)
        .margin_left(20)
        .margin_right(40)
        .margin_top(10)
        .margin_bottom(10)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d((xmin - xpad).max(0.0)..(xmax + xpad), y0..y1)
        .map_err(s)?;
    let fmt = |v: &f64| axis_num(*v);
    chart
        .configure_mesh()
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(MUTED.stroke_width(1))
        .label_style(text_style(15, INK))
        .axis_desc_style(text_style(16, INK))
        .x_labels(8)
        .y_labels(7)
        .x_label_formatter(&fmt)
        .y_label_formatter(&fmt)
        .x_desc(if by_money {
            "cost: showback total, [cost] prices (mean over seeds)"
        } else {
            "cost: cells used (mean over seeds)"
        })
        .y_desc("worst bystander p99, ms (mean over seeds)")
        .draw()
        .map_err(s)?;
    let mut on_front: Vec<(f64, f64)> = pts
        .iter()
        .zip(&front)
        .filter(|(_, &f)| f)
        .map(|(&p, _)| p)
        .collect();
    on_front.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    if on_front.len() > 1 {
        chart
            .draw_series(std::iter::once(PathElement::new(
                on_front,
                PALETTE[2].stroke_width(2),
            )))
            .map_err(s)?;
    }
    for (v, (&(x, y), &f)) in pts.iter().zip(&front).enumerate() {
        let color = if f { PALETTE[2] } else { PALETTE[1] };
        chart
            .draw_series(std::iter::once(Circle::new((x, y), 6, color.filled())))
            .map_err(s)?;
        let (px, py) = chart.backend_coord(&(x, y));
        // Stagger labels of points that coincide.
        let dy = 14
            * (pts[..v]
                .iter()
                .filter(|p| (p.0 - x).abs() < 1e-9 && (p.1 - y).abs() < ymax.max(1.0) * 0.03)
                .count() as i32);
        root.draw_text(
            &clip_text(&c.variants[v].label, 28),
            &text_style(14, INK).pos(Pos::new(HPos::Left, VPos::Center)),
            (px + 10, py + dy),
        )
        .map_err(s)?;
    }
    let (w, _) = root.dim_in_pixel();
    root.draw_text(
        "green: Pareto front (no variant is both cheaper and better isolated)",
        &text_style(14, MUTED).pos(Pos::new(HPos::Right, VPos::Top)),
        (w as i32 - 40, HEADER_H as i32 + 4),
    )
    .map_err(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comparison::tests::{run, spec};

    fn comparison() -> Comparison {
        let mut runs = Vec::new();
        for v in 0..3 {
            for seed in 1..=5 {
                runs.push(run(
                    v,
                    seed,
                    (v as u32) * 2 + seed as u32 % 3,
                    40.0 + 5.0 * v as f64,
                ));
            }
        }
        Comparison::build(spec(3, 5), runs).unwrap()
    }

    #[test]
    fn renders_deterministically() {
        let c = comparison();
        let a = render_all(&c).unwrap();
        let b = render_all(&c).unwrap();
        assert_eq!(a.len(), 4);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y);
            assert!(x.png.starts_with(b"\x89PNG"));
            assert!(x.svg.starts_with("<svg"));
            // Labels are text in the SVG.
            assert!(x.svg.contains("p1"), "{}", x.name);
        }
    }

    /// Goal: a count axis has whole-number ticks only, even when every count is 0 (D8).
    /// Method: an all-zero blast radius; the SVG's axis labels are whole numbers.
    #[test]
    fn count_axis_is_whole_numbers() {
        assert_eq!(count_top(0.0), 1.0);
        assert_eq!(count_top(3.0), 4.0);
        let runs: Vec<_> = (0..2)
            .flat_map(|v| (1..=4).map(move |seed| run(v, seed, 0, 40.0)))
            .collect();
        let c = Comparison::build(spec(2, 4), runs).unwrap();
        let chart = render(CompareChart::BlastRadius, &c).unwrap();
        // SVG text is written as `>\nTEXT\n</text>`.
        for frac in ["0.020", "0.040", "0.20", "0.50", "0.080"] {
            assert!(!chart.svg.contains(&format!(">\n{frac}\n<")), "{frac}");
        }
        assert!(chart.svg.contains(">\n1\n<"), "no tick at 1");
    }

    /// Goal: variant labels are never cut (D10). Method: wrap long labels; the lines give back
    /// the label, each fits; a long label appears whole (over its lines) in the SVG.
    #[test]
    fn labels_are_wrapped_not_cut() {
        for (text, max) in [
            ("least_utilised (baseline)", 12),
            ("headroom_score", 6),
            ("aaaaaaaaaaaaaaaaaaaa", 7),
            ("p1", 40),
        ] {
            let lines = wrap_label(text, max);
            assert!(lines.iter().all(|l| l.chars().count() <= max), "{lines:?}");
            assert_eq!(lines.join("").replace(' ', ""), text.replace(' ', ""));
        }
        let c = comparison();
        let chart = render(CompareChart::BlastRadius, &c).unwrap();
        assert!(!chart.svg.contains('…'));
    }

    /// Goal: the forest plot shows every non-baseline variant with its paired difference.
    /// Method: render it; each variant label and its win / tie / loss text are in the SVG.
    #[test]
    fn forest_plot_has_a_row_per_variant() {
        let c = comparison();
        let chart = render(CompareChart::Forest, &c).unwrap();
        for v in 1..3 {
            assert!(chart.svg.contains(&format!(">\np{v}\n<")), "p{v}");
            let p = c.paired_of(v, Metric::BlastRadius).unwrap();
            assert!(chart.svg.contains(&crate::comparison::win_tie_loss(p)));
        }
        assert!(
            !chart.svg.contains(">p0<"),
            "the baseline is not paired with itself"
        );
    }

    /// Goal: when every run priced its usage (`[cost]`), the Pareto chart puts that cost on
    /// its x-axis, and falls back to cells used when any run has no cost. Method: three
    /// variants with the same cells used and different showback totals (0.30, 0.10, 0.20):
    /// priced, the axis is titled by the showback and the points' x positions follow the
    /// costs (variant 1 left of 2 left of 0); with one run's cost missing, the axis is cells
    /// and every point has the same x. Were the x-axis still cells used, the first half fails.
    #[test]
    fn pareto_puts_money_on_the_x_axis_when_every_run_is_priced() {
        let priced = |missing: bool| {
            let mut runs = Vec::new();
            for v in 0..3 {
                for seed in 1..=3u64 {
                    let mut r = run(v, seed, 0, 40.0 + v as f64);
                    r.cost = Some([0.30, 0.10, 0.20][v]);
                    if missing && v == 2 && seed == 3 {
                        r.cost = None;
                    }
                    runs.push(r);
                }
            }
            Comparison::build(spec(3, 3), runs).unwrap()
        };
        // The x of each point, in drawing order (variant order).
        let xs = |svg: &str| -> Vec<f64> {
            svg.split("<circle")
                .skip(1)
                .filter_map(|c| {
                    let at = c.find("cx=\"")? + 4;
                    c[at..].split('"').next()?.parse::<f64>().ok()
                })
                .collect()
        };
        let c = priced(false);
        assert!(c.mean_cost(1).is_some_and(|m| (m - 0.10).abs() < 1e-12));
        let chart = render(CompareChart::Pareto, &c).unwrap();
        assert!(chart.svg.contains("cost: showback total"), "axis title");
        assert!(!chart.svg.contains("cells used (mean"), "axis title");
        let x = xs(&chart.svg);
        assert_eq!(x.len(), 3, "{x:?}");
        assert!(x[1] < x[2] && x[2] < x[0], "points follow the costs: {x:?}");
        let chart = render(CompareChart::Pareto, &priced(true)).unwrap();
        assert!(
            chart.svg.contains("cost: cells used"),
            "fallback axis title"
        );
        let x = xs(&chart.svg);
        assert_eq!(x.len(), 3, "{x:?}");
        assert!(
            x.iter().all(|&v| v == x[0]),
            "same cells used, same x: {x:?}"
        );
    }

    #[test]
    fn quartiles_type7() {
        assert_eq!(quartiles(&[1.0, 2.0, 3.0, 4.0, 5.0]), (2.0, 3.0, 4.0));
        assert_eq!(quartiles(&[1.0, 2.0, 3.0, 4.0]), (1.75, 2.5, 3.25));
        assert_eq!(quartiles(&[7.0]), (7.0, 7.0, 7.0));
    }
}

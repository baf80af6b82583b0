//! Charts of a run, as PNG and SVG: latency, outcome mix, cells, tenant heatmap, load — one
//! file per chart, drawn on the shared kit ([`crate::chart`]).
//!
//! ```text
//!  RunSummary + Series ──▶ render_all ──▶ [Chart { name, title, png, svg }; 5]
//!                               │
//!            one drawing routine per chart (latency.rs, outcomes.rs, cells.rs, heatmap.rs,
//!            load.rs), run twice: SVGBackend → String, BitMapBackend → RGB buffer → PNG
//! ```
//!
//! **Adding a chart**: a file here with its `Spec` and `draw`, its [`ChartKind`] variant
//! (in `ALL`, `spec` and `draw`'s match) and its entry in `reports/README.md`.
//!
//! **Guarantees** (besides the kit's: embedded font, determinism, palette).
//! - *Readable.* Every axis is labelled with its unit; line kinds differ by dash as well as
//!   colour; fault windows (`summary.faults`) are shaded and named on every time chart.
//! - *Bounded.* The heatmap aggregates tenants and windows to at most one block per pixel
//!   (the worst value wins), so its size does not grow with the number of tenants.
//! - *Total.* Empty input (no windows, no groups, no tenants) draws an empty, labelled chart;
//!   errors are for drawing or encoding failures only.

mod cells;
mod heatmap;
mod latency;
mod load;
mod outcomes;

pub use crate::chart::{Chart, ChartError, HEATMAP_HEIGHT, HEIGHT, PALETTE, WIDTH};
pub use heatmap::{aggregate_heatmap, HeatGrid};

use crate::chart::DrawResult;
use crate::chart::*;
use crate::run::csv::window_bounds;
use crate::series::{GroupPoint, Series};
use crate::summary::RunSummary;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// What a chart is, beside how it is drawn: each chart's file has one.
struct Spec {
    /// File stem.
    name: &'static str,
    /// Title drawn at the top of the chart.
    title: &'static str,
    /// What the chart shows, under its title in the HTML report.
    caption: &'static str,
    /// Size in pixels (width, height).
    size: (u32, u32),
}

/// The charts this module draws, in `render_all` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChartKind {
    /// p99 and p50 latency over time per tier, cohort and watched tenant.
    Latency,
    /// Outcome mix over time for the whole platform (stacked), and the failure share.
    Outcomes,
    /// Queue depth and DB utilisation per cell over time.
    Cells,
    /// Tenants × time, coloured by the fraction of bad requests.
    Heatmap,
    /// Offered vs served requests/s, attempts/s, and retry amplification.
    Load,
}

impl ChartKind {
    /// Every chart, in output order.
    pub const ALL: [ChartKind; 5] = [
        ChartKind::Latency,
        ChartKind::Outcomes,
        ChartKind::Cells,
        ChartKind::Heatmap,
        ChartKind::Load,
    ];

    /// What the chart shows, under its title in the HTML report.
    pub fn caption(self) -> &'static str {
        self.spec().caption
    }

    /// File stem.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Title drawn at the top of the chart.
    pub fn title(self) -> &'static str {
        self.spec().title
    }

    /// Size in pixels (width, height).
    pub fn size(self) -> (u32, u32) {
        self.spec().size
    }

    /// The chart's own description, in its file.
    fn spec(self) -> &'static Spec {
        match self {
            ChartKind::Latency => &latency::SPEC,
            ChartKind::Outcomes => &outcomes::SPEC,
            ChartKind::Cells => &cells::SPEC,
            ChartKind::Heatmap => &heatmap::SPEC,
            ChartKind::Load => &load::SPEC,
        }
    }
}

/// Renders every chart of [`ChartKind::ALL`].
pub fn render_all(summary: &RunSummary, series: &Series) -> Result<Vec<Chart>, ChartError> {
    ChartKind::ALL
        .iter()
        .map(|&k| render(k, summary, series))
        .collect()
}

/// Renders one chart as PNG and SVG.
pub fn render(kind: ChartKind, summary: &RunSummary, series: &Series) -> Result<Chart, ChartError> {
    ensure_font()?;
    let data = Data::new(summary, series);
    let svg = render_svg(kind, &data)?;
    let png = render_png(kind, &data)?;
    Ok(Chart {
        name: kind.name(),
        title: kind.title().to_string(),
        caption: kind.caption(),
        png,
        svg,
    })
}

/// Renders one chart as PNG and SVG: `(png, svg)`.
pub fn render_png_svg(
    kind: ChartKind,
    summary: &RunSummary,
    series: &Series,
) -> Result<(Vec<u8>, String), ChartError> {
    let c = render(kind, summary, series)?;
    Ok((c.png, c.svg))
}

fn render_svg(kind: ChartKind, data: &Data) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, kind.size()).into_drawing_area();
        draw(kind, data, &root)?;
        root.present().map_err(err(kind))?;
    }
    Ok(svg)
}

fn render_png(kind: ChartKind, data: &Data) -> Result<Vec<u8>, ChartError> {
    let (w, h) = kind.size();
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw(kind, data, &root)?;
        root.present().map_err(err(kind))?;
    }
    encode_png(kind.name(), &rgb, w, h)
}

fn err<E: std::fmt::Display>(kind: ChartKind) -> impl Fn(E) -> ChartError {
    move |e| ChartError::Draw {
        chart: kind.name(),
        message: e.to_string(),
    }
}

fn draw<DB: DrawingBackend>(
    kind: ChartKind,
    data: &Data,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), ChartError> {
    let result = root
        .fill(&WHITE)
        .map_err(s)
        .and_then(|()| header(root, kind.title(), &data.subtitle))
        .and_then(|()| match kind {
            ChartKind::Latency => latency::draw(data, root),
            ChartKind::Outcomes => outcomes::draw(data, root),
            ChartKind::Cells => cells::draw(data, root),
            ChartKind::Heatmap => heatmap::draw(data, root),
            ChartKind::Load => load::draw(data, root),
        });
    result.map_err(|message| ChartError::Draw {
        chart: kind.name(),
        message,
    })
}

// ---------------------------------------------------------------------------------------
// Data prepared once for all charts.

/// Window geometry and platform sums, prepared once.
struct Data<'a> {
    summary: &'a RunSummary,
    series: &'a Series,
    /// Chart time range end (s).
    t_end: f64,
    /// Per window: (start, end) in s.
    bounds: Vec<(f64, f64)>,
    /// Per window: the sum of the tier groups.
    platform: Vec<GroupPoint>,
    /// Whether any tier group exists.
    has_platform: bool,
    /// `scenario · seed N · variant V`.
    subtitle: String,
}

impl<'a> Data<'a> {
    fn new(summary: &'a RunSummary, series: &'a Series) -> Data<'a> {
        let bounds: Vec<(f64, f64)> = (0..series.windows)
            .map(|w| window_bounds(summary, series, w))
            .collect();
        let mut t_end = bounds.last().map(|b| b.1).unwrap_or(0.0);
        if t_end.is_nan() || t_end <= 0.0 {
            t_end = if summary.sim_seconds > 0.0 {
                summary.sim_seconds
            } else {
                1.0
            };
        }
        let mut platform = vec![GroupPoint::default(); series.windows];
        let mut has_platform = false;
        for g in series.groups.iter().filter(|g| g.kind == "tier") {
            has_platform = true;
            for (acc, p) in platform.iter_mut().zip(&g.points) {
                acc.offered += p.offered;
                acc.ok += p.ok;
                acc.rejected_429 += p.rejected_429;
                acc.shed_503 += p.shed_503;
                acc.errors_5xx += p.errors_5xx;
                acc.timeouts += p.timeouts;
                acc.attempts += p.attempts;
            }
        }
        let mut subtitle = format!("{} · seed {}", summary.scenario, summary.seed);
        if let Some(v) = &summary.variant {
            subtitle.push_str(&format!(" · variant {v}"));
        }
        Data {
            summary,
            series,
            t_end,
            bounds,
            platform,
            has_platform,
            subtitle,
        }
    }

    fn mid(&self, w: usize) -> f64 {
        let (a, b) = self.bounds[w];
        (a + b) / 2.0
    }

    /// Count per second in window `w`.
    fn rate(&self, w: usize, count: u64) -> f64 {
        let (a, b) = self.bounds[w];
        if b > a {
            count as f64 / (b - a)
        } else {
            0.0
        }
    }
}

/// Shades fault windows behind a time plot (call before the mesh and series): every band
/// first, then every edge, so that overlapping faults keep all their edges.
fn fault_bands<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &Data,
    plot: &(Range<i32>, Range<i32>),
) -> DrawResult {
    let (xr, yr) = plot;
    for (x0, x1) in fault_spans(data, xr) {
        root.draw(&Rectangle::new(
            [(x0, yr.start), (x1, yr.end)],
            FAULT_FILL.filled(),
        ))
        .map_err(s)?;
    }
    fault_edges(root, data, plot)
}

/// Pixel spans of the faults that fall in the time range.
fn fault_spans(data: &Data, xr: &Range<i32>) -> Vec<(i32, i32)> {
    data.summary
        .faults
        .iter()
        .filter(|f| f.start_s < data.t_end && f.end_s >= f.start_s)
        .map(|f| {
            let x0 = x_px(f.start_s, data.t_end, xr);
            (x0, x_px(f.end_s, data.t_end, xr).max(x0 + 2))
        })
        .collect()
}

/// Vertical lines at the start and end of every fault.
fn fault_edges<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &Data,
    plot: &(Range<i32>, Range<i32>),
) -> DrawResult {
    let (xr, yr) = plot;
    for (x0, x1) in fault_spans(data, xr) {
        for x in [x0, x1] {
            root.draw(&PathElement::new(
                vec![(x, yr.start), (x, yr.end)],
                FAULT_EDGE.stroke_width(1),
            ))
            .map_err(s)?;
        }
    }
    Ok(())
}

/// Fault names at the top of their bands (drawn after the series so they stay legible).
fn fault_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &Data,
    plot: &(Range<i32>, Range<i32>),
    edges: bool,
) -> DrawResult {
    let (xr, yr) = plot;
    if edges {
        fault_edges(root, data, plot)?;
    }
    let style = text_style(13, INK).pos(Pos::new(HPos::Left, VPos::Top));
    for (i, f) in data.summary.faults.iter().enumerate() {
        if f.start_s >= data.t_end || f.end_s < f.start_s {
            continue;
        }
        let x0 = x_px(f.start_s, data.t_end, xr);
        let y = yr.start + 4 + (i % 3) as i32 * 16;
        let name = clip_text(&f.name, 28);
        let (tw, th) = root.estimate_text_size(&name, &style).map_err(s)?;
        root.draw(&Rectangle::new(
            [(x0 + 2, y - 1), (x0 + 8 + tw as i32, y + th as i32 + 2)],
            WHITE.mix(0.85).filled(),
        ))
        .map_err(s)?;
        root.draw_text(&name, &style, (x0 + 5, y)).map_err(s)?;
    }
    Ok(())
}

fn fault_legend(data: &Data, items: &mut Vec<(String, Mark)>) {
    if !data.summary.faults.is_empty() {
        items.push(("fault window".into(), Mark::Fault));
    }
}

#[cfg(test)]
mod tests {
    use super::heatmap::{heat_color, HEAT_CLASSES};
    use super::latency::parse_latency_objective;
    use super::*;
    use crate::series::{GroupSeries, Heatmap};
    use crate::testdata;

    /// Width and height from a PNG's IHDR chunk.
    fn png_size(png: &[u8]) -> (u32, u32) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&png[12..16], b"IHDR");
        let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
        (w, h)
    }

    /// Goal: every chart renders from a realistic fixture, as a PNG of the promised size
    /// and an SVG that parses as XML and carries its title and axis labels.
    /// Method: render all; read IHDR; parse the SVG with roxmltree; look for texts.
    #[test]
    fn all_charts_render_png_and_svg() {
        let (summary, series) = testdata::run(&testdata::Shape::small());
        let charts = render_all(&summary, &series).unwrap();
        let names: Vec<&str> = charts.iter().map(|c| c.name).collect();
        assert_eq!(names, ["latency", "outcomes", "cells", "heatmap", "load"]);
        for (c, kind) in charts.iter().zip(ChartKind::ALL) {
            assert_eq!(png_size(&c.png), kind.size(), "{}", c.name);
            assert!(c.svg.starts_with("<svg"), "{}", c.name);
            let doc = roxmltree::Document::parse(&c.svg).unwrap();
            assert_eq!(doc.root_element().tag_name().name(), "svg");
            let texts: Vec<&str> = doc
                .descendants()
                .filter(|n| n.has_tag_name("text"))
                .filter_map(|n| n.text())
                .map(str::trim)
                .collect();
            assert!(texts.contains(&c.title.as_str()), "{}: title", c.name);
            assert!(texts.contains(&"time (s)"), "{}: x axis", c.name);
            assert!(texts.iter().any(|t| t.contains("seed 42")), "{}", c.name);
            if kind != ChartKind::Heatmap {
                assert!(texts.contains(&"db_degraded"), "{}: fault label", c.name);
            }
        }
        let svg = |name: &str| &charts.iter().find(|c| c.name == name).unwrap().svg;
        assert!(svg("latency").contains("p99 latency (ms)"));
        assert!(svg("latency").contains("p50 latency (ms)"));
        assert!(svg("latency").contains("tenant t-00002"));
        assert!(svg("outcomes").contains("requests/s (by send time)"));
        assert!(svg("cells").contains("DB utilisation (%)"));
        assert!(svg("cells").contains("queue depth (requests)"));
        assert!(svg("heatmap").contains("cell 3"));
        assert!(svg("heatmap").contains("2,000 tenants, grouped by cell"));
        assert!(svg("load").contains("amplification (attempts per request)"));
    }

    /// Goal: the latency chart draws each p99/p50 latency SLO as a labelled line, and no
    /// line for other objectives. Method: the test run has `p(99) < 250ms`; add a p50 and a
    /// p(99.9) SLO; the SVG has the labels of the first two only, and the legend entry.
    #[test]
    fn latency_chart_draws_slo_thresholds() {
        let (mut summary, series) = testdata::run(&testdata::Shape::small());
        let mut p50 = summary.slos[0].clone();
        p50.name = "median".into();
        p50.objective = "p(50) <= 0.04s".into();
        let mut p999 = summary.slos[0].clone();
        p999.name = "tail".into();
        p999.objective = "p(99.9) < 900ms".into();
        summary.slos.extend([p50, p999]);
        let name = summary.slos[0].name.clone();
        let chart = render(ChartKind::Latency, &summary, &series).unwrap();
        assert!(
            chart.svg.contains(&format!("SLO {name}: p99 &lt; 250 ms"))
                || chart.svg.contains(&format!("SLO {name}: p99 < 250 ms")),
            "p99 line"
        );
        assert!(chart.svg.contains("SLO median: p50"), "p50 line");
        assert!(!chart.svg.contains("SLO tail"), "no panel draws p99.9");
        assert!(chart.svg.contains("SLO threshold"));
        assert_eq!(
            parse_latency_objective("p(99) < 100ms"),
            Some((99.0, 100.0))
        );
        assert_eq!(parse_latency_objective("p(50)<=1.5s"), Some((50.0, 1500.0)));
        assert_eq!(parse_latency_objective("error_rate < 0.5%"), None);
        assert_eq!(parse_latency_objective("p(99) < 100 parsecs"), None);
    }

    /// Goal: a tier with no tenants has no legend entry (D7). Method: add an all-zero
    /// `platinum` tier series that the summary does not list (as the recorder does); the
    /// latency SVG has no "tier platinum" while the other tiers stay.
    #[test]
    fn tier_without_tenants_is_not_drawn() {
        let (summary, mut series) = testdata::run(&testdata::Shape::small());
        let first = series.groups[0].clone();
        assert_eq!(first.kind, "tier");
        series.groups.push(GroupSeries {
            kind: "tier".into(),
            name: "platinum".into(),
            points: vec![GroupPoint::default(); series.windows],
        });
        let chart = render(ChartKind::Latency, &summary, &series).unwrap();
        assert!(!chart.svg.contains("tier platinum"));
        assert!(chart.svg.contains(&format!("tier {}", first.name)));
    }

    /// Goal: rendering is deterministic. Method: render twice, compare bytes.
    #[test]
    fn rendering_twice_gives_identical_bytes() {
        let (summary, series) = testdata::run(&testdata::Shape::small());
        let a = render_all(&summary, &series).unwrap();
        let b = render_all(&summary, &series).unwrap();
        assert_eq!(a, b);
    }

    /// Goal: text is drawn with the embedded font (a blank PNG is what a missing font
    /// looks like). Method: the title band of the PNG must contain dark pixels.
    #[test]
    fn png_text_is_drawn() {
        let (summary, series) = testdata::run(&testdata::Shape::small());
        let c = render(ChartKind::Load, &summary, &series).unwrap();
        let mut dec = png::Decoder::new(std::io::Cursor::new(&c.png))
            .read_info()
            .unwrap();
        let mut buf = vec![0; dec.output_buffer_size().unwrap()];
        let info = dec.next_frame(&mut buf).unwrap();
        let w = info.width as usize;
        // Title: top-left, 24..400 px wide, 14..40 px high.
        let dark = (14..40)
            .flat_map(|y| (24..400).map(move |x| (y, x)))
            .filter(|&(y, x)| buf[(y * w + x) * 3] < 100)
            .count();
        assert!(dark > 200, "title pixels: {dark}");
    }

    /// Goal: empty input draws empty charts, not errors.
    #[test]
    fn empty_run_renders() {
        let charts = render_all(&RunSummary::default(), &Series::default()).unwrap();
        assert_eq!(charts.len(), 5);
        for c in &charts {
            assert!(c.svg.contains("time (s)"));
        }
    }

    /// Goal: hostile values (NaN, infinities, negative times, ragged vectors, zero-length
    /// windows) draw something instead of panicking. Method: corrupt the fixture, render.
    #[test]
    fn hostile_values_render() {
        let (mut summary, mut series) = testdata::run(&testdata::Shape::small());
        series.groups[0].points[3].p99_ms = Some(f64::NAN);
        series.groups[0].points[4].p50_ms = Some(f64::INFINITY);
        series.groups[1].points[5].p99_ms = Some(-1.0);
        series.groups[2].points.truncate(7);
        series.cells[0].points[2].db_utilisation = f64::NAN;
        series.cells[1].points[2].db_utilisation = 7.0;
        series.cells[2].points.clear();
        series.heatmap.bad[0] = Some(f32::NAN);
        series.heatmap.bad[1] = Some(-3.0);
        series.heatmap.bad.truncate(series.heatmap.bad.len() - 5);
        series.heatmap.cells.truncate(3);
        summary.faults[0].start_s = -50.0;
        summary.faults[1].end_s = 1e12;
        summary.faults.push(crate::summary::FaultRow {
            name: "backwards".into(),
            start_s: 100.0,
            end_s: 50.0,
            ..Default::default()
        });
        render_all(&summary, &series).unwrap();
        series.window_s = 0.0;
        series.heatmap.window_s = f64::NAN;
        summary.sim_seconds = 0.0;
        render_all(&summary, &series).unwrap();
    }

    /// Goal: the heatmap aggregation keeps the worst value and the right shape.
    /// Method: 5 tenants × 4 windows into 2 × 2 blocks, against a hand count.
    #[test]
    fn heatmap_aggregates_worst_per_block() {
        let v = |x: f32| Some(x);
        #[rustfmt::skip]
        let bad = vec![
            v(0.0), None,    v(0.1), v(0.0),
            None,   None,    v(0.0), v(0.0),
            v(0.5), v(0.0),  None,   None,
            None,   None,    None,   None,
            v(0.2), v(0.9),  v(0.0), v(0.3),
        ];
        let hm = Heatmap {
            tenants: (0..5).map(|i| format!("t{i}")).collect(),
            cells: vec![0, 0, 1, 1, 1],
            bad,
            windows: 4,
            window_s: 10.0,
            threshold_ms: 100.0,
        };
        // Rows: [0,2) and [2,5); columns: [0,2) and [2,4).
        let g = aggregate_heatmap(&hm, 2, 2);
        assert_eq!((g.rows, g.cols), (2, 2));
        assert_eq!(g.values, vec![v(0.0), v(0.1), v(0.9), v(0.3)]);
        // Enough pixels: identity.
        let g = aggregate_heatmap(&hm, 100, 100);
        assert_eq!((g.rows, g.cols), (5, 4));
        assert_eq!(g.values, hm.bad);
        assert_eq!(heat_color(None), NO_DATA);
        assert_eq!(heat_color(Some(0.0)), WHITE);
        assert_eq!(heat_color(Some(0.005)), HEAT_CLASSES[0].1);
        assert_eq!(heat_color(Some(1.0)), HEAT_CLASSES[6].1);
    }

    /// Writes the charts of the fixture to $TENANTSIM_CHARTS_OUT (for looking at them).
    #[test]
    fn write_charts_when_asked() {
        let Some(dir) = std::env::var_os("TENANTSIM_CHARTS_OUT") else {
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut shape = testdata::Shape::small();
        if std::env::var_os("TENANTSIM_CHARTS_BIG").is_some() {
            shape.tiers = vec![
                ("enterprise", 100, 20.0),
                ("pro", 1900, 4.0),
                ("free", 10000, 0.5),
            ];
            shape.cells = 8;
        }
        let (summary, series) = testdata::run(&shape);
        for c in render_all(&summary, &series).unwrap() {
            std::fs::write(dir.join(format!("{}.png", c.name)), &c.png).unwrap();
            std::fs::write(dir.join(format!("{}.svg", c.name)), &c.svg).unwrap();
        }
    }
}

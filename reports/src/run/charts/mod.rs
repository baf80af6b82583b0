//! Charts of a run, as PNG and SVG: latency, outcome mix, cells, tenant heatmap, load.
//!
//! ```text
//!  RunSummary + Series ──▶ render_all ──▶ [Chart { name, title, png, svg }; 5]
//!                               │
//!            one drawing routine per chart, run twice: SVGBackend → String,
//!            BitMapBackend → RGB buffer → PNG (png crate)
//! ```
//!
//! **Guarantees.**
//! - *No system fonts.* Text is drawn with DejaVu Sans, embedded in the binary
//!   (`assets/DejaVuSans.ttf`, licence in `assets/DejaVuSans-LICENSE.txt`) and registered with
//!   plotters' `ab_glyph` font table as `sans-serif`. A machine without any font installed
//!   renders the same pixels (shared/DEPENDENCIES.md, "Charts without system fonts"). The
//!   SVG names `sans-serif`; the viewer's own sans-serif font draws it.
//! - *Deterministic.* The same input gives the same PNG and SVG bytes: no clock, no hash
//!   maps, integer pixel geometry, a fixed PNG encoder configuration (bytes may change when
//!   the `png` or `plotters` crates are upgraded, never between two runs of one build).
//! - *Readable.* Every axis is labelled with its unit; colours are the Okabe–Ito palette
//!   (distinguishable with the common colour-vision deficiencies), and line kinds differ by
//!   dash as well as colour; fault windows (`summary.faults`) are shaded and named on every
//!   time chart.
//! - *Bounded.* The heatmap aggregates tenants and windows to at most one block per pixel
//!   (the worst value wins), so its size does not grow with the number of tenants.
//! - *Total.* Empty input (no windows, no groups, no tenants) draws an empty, labelled chart;
//!   errors are for drawing or encoding failures only.

use crate::csv::window_bounds;
use crate::series::{GroupPoint, GroupSeries, Heatmap, Series};
use crate::summary::RunSummary;
use crate::terminal::thousands;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;
use std::sync::OnceLock;

/// The embedded font (DejaVu Sans, Bitstream Vera licence + public domain changes).
pub(crate) static FONT_TTF: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");

/// The family name the embedded font is registered under (plotters' default family).
pub(crate) const FONT: &str = "sans-serif";

/// Okabe–Ito palette, ordered for lines on white (yellow last: it is faint on white).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];

const BLUE: RGBColor = PALETTE[0];
const VERMILLION: RGBColor = PALETTE[1];
const GREEN: RGBColor = PALETTE[2];
const PURPLE: RGBColor = PALETTE[3];
const ORANGE: RGBColor = PALETTE[4];
pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
pub(crate) const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
const FAULT_FILL: RGBColor = RGBColor(0xEE, 0xEE, 0xEE);
const FAULT_EDGE: RGBColor = RGBColor(0x99, 0x99, 0x99);
const NO_DATA: RGBColor = RGBColor(0xD0, 0xD0, 0xD0);

/// Heatmap classes of the bad fraction: upper bounds (inclusive) and colours. Exactly 0 is
/// white; then ColorBrewer YlOrRd (7 classes), a sequential scale that stays ordered for
/// colour-blind readers. Class edges are close together near 0 because SLOs care about
/// the first per cent.
const HEAT_CLASSES: [(f32, RGBColor, &str); 7] = [
    (0.01, RGBColor(0xFF, 0xFF, 0xB2), "0–1%"),
    (0.02, RGBColor(0xFE, 0xD9, 0x76), "1–2%"),
    (0.05, RGBColor(0xFE, 0xB2, 0x4C), "2–5%"),
    (0.10, RGBColor(0xFD, 0x8D, 0x3C), "5–10%"),
    (0.20, RGBColor(0xFC, 0x4E, 0x2A), "10–20%"),
    (0.50, RGBColor(0xE3, 0x1A, 0x1C), "20–50%"),
    (1.00, RGBColor(0xB1, 0x00, 0x26), "50–100%"),
];

/// Width of the time charts (px).
pub const WIDTH: u32 = 1200;
/// Height of the time charts (px).
pub const HEIGHT: u32 = 600;
/// Height of the heatmap (px).
pub const HEATMAP_HEIGHT: u32 = 900;

const LEGEND_W: u32 = 230;
pub(crate) const HEADER_H: u32 = 56;

/// One rendered chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chart {
    /// File stem: `latency`, `outcomes`, `cells`, `heatmap`, `load`.
    pub name: &'static str,
    /// Human title (also drawn in the chart).
    pub title: String,
    /// What the chart shows (the HTML report prints it under the title).
    pub caption: &'static str,
    /// PNG bytes (8-bit RGB).
    pub png: Vec<u8>,
    /// SVG document (starts with `<svg`, no XML declaration, text as `<text>`).
    pub svg: String,
}

/// Why a chart could not be rendered (never because of the data: empty data draws an empty
/// chart).
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The embedded font was rejected by the font parser.
    #[error("the embedded chart font could not be loaded")]
    Font,
    /// plotters failed to draw.
    #[error("drawing chart `{chart}`: {message}")]
    Draw {
        /// Chart name.
        chart: &'static str,
        /// plotters' error.
        message: String,
    },
    /// The PNG encoder failed.
    #[error("encoding chart `{chart}` as PNG: {message}")]
    Png {
        /// Chart name.
        chart: &'static str,
        /// The encoder's error.
        message: String,
    },
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
        match self {
            ChartKind::Latency => {
                "p99 (top) and p50 (bottom) latency of successful requests per recording window, \
                 per tier (solid) and per cohort or watched tenant (dashed); log scale. Dark red dashed \
                 lines are the latency SLO thresholds. Grey bands are fault windows."
            }
            ChartKind::Outcomes => {
                "What happened to the requests sent in each window, whole platform (sum of tiers): \
                 stacked requests/s by outcome (top) and the failed share (bottom)."
            }
            ChartKind::Cells => {
                "Per cell: requests waiting in the queue at the end of each window (top) and DB \
                 utilisation over the window (bottom); triangles mark windows with a DB breaker open."
            }
            ChartKind::Heatmap => {
                "One row per tenant, grouped by cell; colour is the fraction of the tenant's requests \
                 that failed (other than its own 429s) or were slower than the threshold. Grey: no \
                 requests. When there are more tenants than pixel rows, a row shows the worst tenant \
                 it covers."
            }
            ChartKind::Load => {
                "Requests offered by clients, attempts reaching the platform, and requests served OK \
                 (requests/s); amplification = attempts per request on the right axis. Attempts \
                 climbing above offered while OK falls is a retry storm."
            }
        }
    }

    /// File stem.
    pub fn name(self) -> &'static str {
        match self {
            ChartKind::Latency => "latency",
            ChartKind::Outcomes => "outcomes",
            ChartKind::Cells => "cells",
            ChartKind::Heatmap => "heatmap",
            ChartKind::Load => "load",
        }
    }

    /// Title drawn at the top of the chart.
    pub fn title(self) -> &'static str {
        match self {
            ChartKind::Latency => "Latency of successful requests",
            ChartKind::Outcomes => "Outcomes of requests, whole platform",
            ChartKind::Cells => "Cells: queue depth and DB utilisation",
            ChartKind::Heatmap => "Bad requests per tenant over time",
            ChartKind::Load => "Load: offered vs served, and retry amplification",
        }
    }

    /// Size in pixels (width, height).
    pub fn size(self) -> (u32, u32) {
        match self {
            ChartKind::Heatmap => (WIDTH, HEATMAP_HEIGHT),
            ChartKind::Latency | ChartKind::Outcomes | ChartKind::Cells | ChartKind::Load => {
                (WIDTH, HEIGHT)
            }
        }
    }
}

/// Registers the embedded font once per process.
pub(crate) fn ensure_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FONT, FontStyle::Normal, FONT_TTF).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ChartError::Font)
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

/// Encodes an RGB buffer as PNG: no ancillary chunks (no time, no gamma), fixed settings.
pub(crate) fn encode_png(
    chart: &'static str,
    rgb: &[u8],
    w: u32,
    h: u32,
) -> Result<Vec<u8>, ChartError> {
    let perr = |e: png::EncodingError| ChartError::Png {
        chart,
        message: e.to_string(),
    };
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Balanced);
        let mut writer = enc.write_header().map_err(perr)?;
        writer.write_image_data(rgb).map_err(perr)?;
        writer.finish().map_err(perr)?;
    }
    Ok(out)
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
            ChartKind::Latency => latency(data, root),
            ChartKind::Outcomes => outcomes(data, root),
            ChartKind::Cells => cells(data, root),
            ChartKind::Heatmap => heatmap(data, root),
            ChartKind::Load => load(data, root),
        });
    result.map_err(|message| ChartError::Draw {
        chart: kind.name(),
        message,
    })
}

/// A drawing error of any backend, as text (the chart name is added by the caller).
pub(crate) type DrawResult = Result<(), String>;

pub(crate) fn s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
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

// ---------------------------------------------------------------------------------------
// Shared pieces: header, legend, fault bands, formatting.

pub(crate) fn text_style(size: u32, color: RGBColor) -> TextStyle<'static> {
    let mut style = TextStyle::from((FONT, size).into_font());
    style.color = color.to_backend_color();
    style
}

pub(crate) fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> DrawResult {
    root.draw_text(
        title,
        &text_style(26, INK).pos(Pos::new(HPos::Left, VPos::Top)),
        (24, 14),
    )
    .map_err(s)?;
    let (w, _) = root.dim_in_pixel();
    root.draw_text(
        &clip_text(subtitle, 72),
        &text_style(15, MUTED).pos(Pos::new(HPos::Right, VPos::Top)),
        (w as i32 - 24, 22),
    )
    .map_err(s)?;
    root.draw(&PathElement::new(
        vec![
            (24, HEADER_H as i32 - 8),
            (w as i32 - 24, HEADER_H as i32 - 8),
        ],
        GRID.stroke_width(1),
    ))
    .map_err(s)
}

/// The body below the header, split into the plot area and the legend column.
fn body<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let (w, _) = root.dim_in_pixel();
    let (_, body) = root.split_vertically(HEADER_H);
    body.split_horizontally(w - LEGEND_W)
}

/// How a legend entry is drawn.
enum Mark {
    /// A line sample; dashed or not.
    Line(RGBColor, bool),
    /// A filled box.
    Box(RGBColor),
    /// A filled box with a grey outline (for white or very light fills).
    OutlinedBox(RGBColor),
    /// A triangle marker.
    Triangle(RGBColor),
    /// A grey band with an edge (fault window).
    Fault,
    /// No mark: a sub-heading.
    Heading,
}

/// Draws a legend column: entries from the top, 24 px apart; entries that do not fit are
/// summarised as `+ N more`.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[(String, Mark)],
) -> DrawResult {
    let (_, h) = area.dim_in_pixel();
    let step = 24;
    let fits = ((h as i32 - 30) / step).max(1) as usize;
    let mut y = 22;
    let label = text_style(15, INK).pos(Pos::new(HPos::Left, VPos::Center));
    let heading = text_style(14, MUTED).pos(Pos::new(HPos::Left, VPos::Center));
    let shown = if items.len() > fits {
        fits - 1
    } else {
        items.len()
    };
    for (text, mark) in &items[..shown] {
        let x = 12;
        match mark {
            Mark::Line(c, dashed) => {
                if *dashed {
                    for k in 0..3 {
                        area.draw(&PathElement::new(
                            vec![(x + k * 11, y), (x + k * 11 + 7, y)],
                            c.stroke_width(3),
                        ))
                        .map_err(s)?;
                    }
                } else {
                    area.draw(&PathElement::new(
                        vec![(x, y), (x + 29, y)],
                        c.stroke_width(3),
                    ))
                    .map_err(s)?;
                }
            }
            Mark::Box(c) => {
                area.draw(&Rectangle::new([(x, y - 7), (x + 29, y + 8)], c.filled()))
                    .map_err(s)?;
            }
            Mark::OutlinedBox(c) => {
                area.draw(&Rectangle::new([(x, y - 7), (x + 29, y + 8)], c.filled()))
                    .map_err(s)?;
                area.draw(&Rectangle::new(
                    [(x, y - 7), (x + 29, y + 8)],
                    FAULT_EDGE.stroke_width(1),
                ))
                .map_err(s)?;
            }
            Mark::Triangle(c) => {
                area.draw(&TriangleMarker::new((x + 15, y), 6, c.filled()))
                    .map_err(s)?;
            }
            Mark::Fault => {
                area.draw(&Rectangle::new(
                    [(x, y - 8), (x + 29, y + 9)],
                    FAULT_FILL.filled(),
                ))
                .map_err(s)?;
                for ex in [x, x + 29] {
                    area.draw(&PathElement::new(
                        vec![(ex, y - 8), (ex, y + 9)],
                        FAULT_EDGE.stroke_width(1),
                    ))
                    .map_err(s)?;
                }
            }
            Mark::Heading => {}
        }
        match mark {
            Mark::Heading => area.draw_text(&clip_text(text, 30), &heading, (x, y)),
            _ => area.draw_text(&clip_text(text, 23), &label, (x + 40, y)),
        }
        .map_err(s)?;
        y += step;
    }
    if shown < items.len() {
        area.draw_text(
            &format!("+ {} more", items.len() - shown),
            &heading,
            (52, y),
        )
        .map_err(s)?;
    }
    Ok(())
}

/// Shortens `text` to `max` characters with an ellipsis.
pub(crate) fn clip_text(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// Maps a time to an x pixel in a plot's pixel range.
fn x_px(t: f64, t_end: f64, xr: &Range<i32>) -> i32 {
    let f = (t / t_end).clamp(0.0, 1.0);
    xr.start + (f * (xr.end - xr.start - 1) as f64).round() as i32
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

/// Axis number: no exponent, few digits.
pub(crate) fn axis_num(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 100.0 {
        thousands_f(v)
    } else if a >= 10.0 || (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else if a >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn thousands_f(v: f64) -> String {
    let r = v.round();
    if r < 0.0 {
        format!("-{}", thousands((-r) as u64))
    } else {
        thousands(r as u64)
    }
}

/// A time plot's mesh: light grid, labelled axes.
fn time_mesh<'a, 'b, DB, Y>(
    chart: &'b mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    y_desc: &str,
    x_desc: Option<&str>,
    y_fmt: &'b dyn Fn(&f64) -> String,
    grid: RGBAColor,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let x_fmt = |v: &f64| axis_num(*v);
    let mut mesh = chart.configure_mesh();
    mesh.bold_line_style(grid.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(MUTED.stroke_width(1))
        .label_style(text_style(15, INK))
        .axis_desc_style(text_style(16, INK))
        .x_labels(12)
        .y_labels(7)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(y_fmt)
        .y_desc(y_desc);
    if let Some(x) = x_desc {
        mesh.x_desc(x);
    }
    mesh.draw().map_err(s)
}

/// Splits a series with gaps into runs of consecutive points.
fn runs(points: impl Iterator<Item = Option<(f64, f64)>>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for p in points {
        match p {
            Some(xy) => cur.push(xy),
            None => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Draws a line (with gaps) in a chart; a single isolated point is drawn as a dot.
fn draw_line<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    pts: Vec<Option<(f64, f64)>>,
    color: RGBColor,
    dashed: bool,
    width: u32,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64>,
{
    let style = color.stroke_width(width);
    for run in runs(pts.into_iter()) {
        if run.len() == 1 {
            chart
                .draw_series(std::iter::once(Circle::new(
                    run[0],
                    width + 1,
                    color.filled(),
                )))
                .map_err(s)?;
        } else if dashed {
            chart
                .draw_series(DashedLineSeries::new(run, 9, 5, style))
                .map_err(s)?;
        } else {
            chart.draw_series(LineSeries::new(run, style)).map_err(s)?;
        }
    }
    Ok(())
}

fn no_data<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, what: &str) -> DrawResult {
    let (w, h) = area.dim_in_pixel();
    area.draw_text(
        what,
        &text_style(18, MUTED).pos(Pos::new(HPos::Center, VPos::Center)),
        (w as i32 / 2, h as i32 / 2),
    )
    .map_err(s)
}

/// A fraction for drawing: clamped to 0..1, non-finite as 0.
fn unit(v: f64) -> f64 {
    if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Rounds a log range out to whole decades.
fn decades(lo: f64, hi: f64) -> (f64, f64) {
    let lo = libm::pow(10.0, libm::floor(libm::log10(lo)));
    let mut hi = libm::pow(10.0, libm::ceil(libm::log10(hi)));
    if hi <= lo {
        hi = lo * 10.0;
    }
    (lo, hi)
}

/// A "nice" upper bound for a linear axis starting at 0.
fn nice_max(v: f64) -> f64 {
    if v.is_nan() || v <= 0.0 {
        return 1.0;
    }
    let v = v * 1.08;
    let mag = libm::pow(10.0, libm::floor(libm::log10(v)));
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * mag >= v {
            return m * mag;
        }
    }
    10.0 * mag
}

// ---------------------------------------------------------------------------------------
// latency

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

fn latency<DB: DrawingBackend>(data: &Data, root: &DrawingArea<DB, Shift>) -> DrawResult {
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
fn parse_latency_objective(text: &str) -> Option<(f64, f64)> {
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

// ---------------------------------------------------------------------------------------
// outcomes

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

fn outcomes<DB: DrawingBackend>(data: &Data, root: &DrawingArea<DB, Shift>) -> DrawResult {
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

// ---------------------------------------------------------------------------------------
// cells

fn cells<DB: DrawingBackend>(data: &Data, root: &DrawingArea<DB, Shift>) -> DrawResult {
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

// ---------------------------------------------------------------------------------------
// load

fn load<DB: DrawingBackend>(data: &Data, root: &DrawingArea<DB, Shift>) -> DrawResult {
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

// ---------------------------------------------------------------------------------------
// heatmap

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
fn heat_color(v: Option<f32>) -> RGBColor {
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

fn heatmap<DB: DrawingBackend>(data: &Data, root: &DrawingArea<DB, Shift>) -> DrawResult {
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

#[cfg(test)]
mod tests {
    use super::*;
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

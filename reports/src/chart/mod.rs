//! The shared kit every chart is drawn with: the embedded font, the palette, sizes, the
//! [`Chart`] a renderer returns and its [`ChartError`], the PNG encoder, and the pieces a
//! plot is made of (header, body and legend column, time mesh, gap-aware lines, axis
//! numbers, nice bounds). A run's charts (`crate::run::charts`) and a comparison's charts
//! (`crate::comparison::charts`) are both drawn on it, so they look alike.
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
//! - *Readable.* Colours are the Okabe–Ito palette (distinguishable with the common
//!   colour-vision deficiencies); `legend` draws a line's dash as well as its colour.

use crate::format::thousands;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;
use std::sync::OnceLock;

/// The embedded font (DejaVu Sans, Bitstream Vera licence + public domain changes).
pub(crate) static FONT_TTF: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

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

pub(crate) const BLUE: RGBColor = PALETTE[0];
pub(crate) const VERMILLION: RGBColor = PALETTE[1];
pub(crate) const GREEN: RGBColor = PALETTE[2];
pub(crate) const PURPLE: RGBColor = PALETTE[3];
pub(crate) const ORANGE: RGBColor = PALETTE[4];
pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
pub(crate) const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
pub(crate) const FAULT_FILL: RGBColor = RGBColor(0xEE, 0xEE, 0xEE);
pub(crate) const FAULT_EDGE: RGBColor = RGBColor(0x99, 0x99, 0x99);
pub(crate) const NO_DATA: RGBColor = RGBColor(0xD0, 0xD0, 0xD0);

/// Width of the time charts (px).
pub const WIDTH: u32 = 1200;
/// Height of the time charts (px).
pub const HEIGHT: u32 = 600;
/// Height of the heatmap (px).
pub const HEATMAP_HEIGHT: u32 = 900;

pub(crate) const LEGEND_W: u32 = 230;
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

/// A drawing error of any backend, as text (the chart name is added by the caller).
pub(crate) type DrawResult = Result<(), String>;

pub(crate) fn s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

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
pub(crate) fn body<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let (w, _) = root.dim_in_pixel();
    let (_, body) = root.split_vertically(HEADER_H);
    body.split_horizontally(w - LEGEND_W)
}

/// How a legend entry is drawn.
pub(crate) enum Mark {
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
pub(crate) fn legend<DB: DrawingBackend>(
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
pub(crate) fn x_px(t: f64, t_end: f64, xr: &Range<i32>) -> i32 {
    let f = (t / t_end).clamp(0.0, 1.0);
    xr.start + (f * (xr.end - xr.start - 1) as f64).round() as i32
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

pub(crate) fn thousands_f(v: f64) -> String {
    let r = v.round();
    if r < 0.0 {
        format!("-{}", thousands((-r) as u64))
    } else {
        thousands(r as u64)
    }
}

/// A time plot's mesh: light grid, labelled axes.
pub(crate) fn time_mesh<'a, 'b, DB, Y>(
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
pub(crate) fn runs(points: impl Iterator<Item = Option<(f64, f64)>>) -> Vec<Vec<(f64, f64)>> {
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
pub(crate) fn draw_line<'a, DB, Y>(
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

pub(crate) fn no_data<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, what: &str) -> DrawResult {
    let (w, h) = area.dim_in_pixel();
    area.draw_text(
        what,
        &text_style(18, MUTED).pos(Pos::new(HPos::Center, VPos::Center)),
        (w as i32 / 2, h as i32 / 2),
    )
    .map_err(s)
}

/// A fraction for drawing: clamped to 0..1, non-finite as 0.
pub(crate) fn unit(v: f64) -> f64 {
    if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Rounds a log range out to whole decades.
pub(crate) fn decades(lo: f64, hi: f64) -> (f64, f64) {
    let lo = libm::pow(10.0, libm::floor(libm::log10(lo)));
    let mut hi = libm::pow(10.0, libm::ceil(libm::log10(hi)));
    if hi <= lo {
        hi = lo * 10.0;
    }
    (lo, hi)
}

/// A "nice" upper bound for a linear axis starting at 0.
pub(crate) fn nice_max(v: f64) -> f64 {
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

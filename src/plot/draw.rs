//! Rendering figures with plotters into PNG bytes and SVG text.
//!
//! Text uses DejaVu Sans embedded in the binary (the `dejavu` crate) through plotters'
//! `ab_glyph` feature, so PNGs have their labels on a machine without fontconfig or
//! system fonts; SVGs name the `sans-serif` family and leave the font to the viewer.

use super::{Figure, LaneChart, LineChart};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::Once;

/// Tableau 10: distinguishable lines for up to ten series.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

const FONT: &str = "sans-serif";

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font shipped by the crate.
        let _ = plotters::style::register_font(
            FONT,
            plotters::style::FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

type DrawResult = Result<(), String>;

fn e<E: std::fmt::Debug>(err: E) -> String {
    format!("plot: {err:?}")
}

/// Renders a figure to PNG bytes.
pub fn png(fig: &Figure) -> Result<Vec<u8>, String> {
    register_font();
    let (w, h) = fig.size();
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        draw(&root, fig)?;
        root.present().map_err(e)?;
    }
    let mut out = Vec::new();
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    use image::ImageEncoder;
    PngEncoder::new_with_quality(&mut out, CompressionType::Best, FilterType::Adaptive)
        .write_image(&buf, w, h, image::ColorType::Rgb8)
        .map_err(e)?;
    Ok(out)
}

/// Renders a figure to SVG text.
pub fn svg(fig: &Figure) -> Result<String, String> {
    register_font();
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, fig.size()).into_drawing_area();
        draw(&root, fig)?;
        root.present().map_err(e)?;
    }
    Ok(s)
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, fig: &Figure) -> DrawResult {
    root.fill(&WHITE).map_err(e)?;
    match fig {
        Figure::Lines(c) => lines(root, c),
        Figure::Lanes(c) => lanes(root, c),
        Figure::Grid {
            title,
            cols,
            charts,
        } => {
            let (w, _) = root.dim_in_pixel();
            let (head, body) = root.split_vertically(70);
            head.draw(&Text::new(
                title.clone(),
                (w as i32 / 2, 20),
                TextStyle::from((FONT, 36).into_font()).pos(
                    plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Center,
                        plotters::style::text_anchor::VPos::Top,
                    ),
                ),
            ))
            .map_err(e)?;
            let rows = charts.len().div_ceil(*cols);
            let cells = body.split_evenly((rows, *cols));
            for (cell, c) in cells.iter().zip(charts) {
                lines(cell, c)?;
            }
            Ok(())
        }
    }
}

/// A tick label: integers without a decimal point, others with at most 3 significant
/// decimals.
pub fn tick(v: f64) -> String {
    if v == v.round() && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

impl LaneChart {
    fn color(&self, key: usize) -> RGBColor {
        let i = self.key_palette.get(key).copied().unwrap_or(key);
        PALETTE[i % PALETTE.len()]
    }
}

/// Data range with a little margin; a degenerate range is widened.
fn range(vals: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in vals.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return if log { (0.1, 10.0) } else { (0.0, 1.0) };
    }
    if log {
        return (lo / 1.5, hi * 1.5);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = (hi - lo) * 0.03;
    (
        if lo >= 0.0 {
            (lo - pad).max(0.0)
        } else {
            lo - pad
        },
        hi + pad,
    )
}

macro_rules! line_chart {
    ($area:expr, $c:expr, $xr:expr, $yr:expr) => {{
        let c: &LineChart = $c;
        let mut chart = ChartBuilder::on($area)
            .caption(&c.title, (FONT, c.font(30)))
            .margin(18)
            .x_label_area_size(c.font(70))
            .y_label_area_size(c.font(100))
            .build_cartesian_2d($xr, $yr)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(c.x_label.as_str())
            .y_desc(c.y_label.as_str())
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .max_light_lines(2)
            .label_style((FONT, c.font(22)))
            .axis_desc_style((FONT, c.font(26)))
            .light_line_style(RGBColor(238, 238, 238))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(e)?;
        for (i, s) in c.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite() && (!c.log_x || *x > 0.0))
                .collect();
            let anno = chart
                .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(3)))
                .map_err(e)?;
            anno.label(s.name.as_str()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 30, y)], color.stroke_width(4))
            });
            if c.markers {
                chart
                    .draw_series(
                        pts.iter()
                            .map(|&p| Circle::new(p, c.font(6) as i32, color.filled())),
                    )
                    .map_err(e)?;
            }
            if let Some(err) = &s.errors {
                chart
                    .draw_series(pts.iter().zip(err).filter(|(_, h)| **h > 0.0).map(
                        |(&(x, y), &h)| {
                            PathElement::new(vec![(x, y - h), (x, y + h)], color.stroke_width(2))
                        },
                    ))
                    .map_err(e)?;
            }
        }
        if !c.series.is_empty() {
            chart
                .configure_series_labels()
                .position(c.legend.clone())
                .background_style(WHITE.mix(0.9))
                .border_style(RGBColor(160, 160, 160))
                .label_font((FONT, c.font(22)))
                .draw()
                .map_err(e)?;
        }
        Ok(())
    }};
}

fn lines<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, c: &LineChart) -> DrawResult {
    let all = || c.series.iter().flat_map(|s| s.points.iter());
    let (x0, x1) = c
        .x_range
        .unwrap_or_else(|| range(all().map(|p| p.0), c.log_x));
    let (y0, y1) = c.y_range.unwrap_or_else(|| {
        range(
            c.series.iter().flat_map(|s| {
                s.points.iter().enumerate().flat_map(move |(i, p)| {
                    let h = s.errors.as_ref().map_or(0.0, |e| e[i]);
                    [p.1 - h, p.1 + h]
                })
            }),
            false,
        )
    });
    if c.log_x {
        line_chart!(area, c, (x0..x1).log_scale(), y0..y1)
    } else {
        line_chart!(area, c, x0..x1, y0..y1)
    }
}

/// Horizontal lanes of bars over time (Gantt chart, leadership timeline).
fn lanes<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, c: &LaneChart) -> DrawResult {
    let n = c.lanes.len().max(1);
    let (x0, x1) = range(
        c.bars
            .iter()
            .flat_map(|b| [b.from, b.to])
            .chain(c.marks.iter().map(|m| m.1))
            .chain(c.x_max),
        false,
    );
    let label_w = c.lanes.iter().map(|l| l.chars().count()).max().unwrap_or(4) as u32 * 12 + 20;
    let mut chart = ChartBuilder::on(area)
        .caption(&c.title, (FONT, 30))
        .margin(18)
        .x_label_area_size(70)
        .y_label_area_size(label_w.clamp(60, 260))
        .build_cartesian_2d(x0..x1, 0f64..n as f64)
        .map_err(e)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_label_formatter(&|v| tick(*v))
        .max_light_lines(2)
        .x_desc(c.x_label.as_str())
        .label_style((FONT, 22))
        .axis_desc_style((FONT, 26))
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(e)?;
    // Lane i is drawn from the top.
    let y = |lane: usize, frac: f64| n as f64 - lane as f64 - 1.0 + frac;
    chart
        .draw_series(c.bars.iter().map(|b| {
            let color = c.color(b.key);
            let (lo, hi) = (0.1 + 0.8 * b.slot.0, 0.1 + 0.8 * b.slot.1);
            Rectangle::new(
                [(b.from, y(b.lane, lo)), (b.to.max(b.from), y(b.lane, hi))],
                color.mix(0.85).filled(),
            )
        }))
        .map_err(e)?;
    let mark_color = RGBColor(200, 0, 0);
    chart
        .draw_series(
            c.marks
                .iter()
                .map(|m| Cross::new((m.1, y(m.0, 0.5)), 10, mark_color.stroke_width(4))),
        )
        .map_err(e)?;
    for (i, k) in c.keys.iter().enumerate() {
        let color = c.color(i);
        chart
            .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())
            .map_err(e)?
            .label(k.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 8), (x + 24, y + 8)], color.filled()));
    }
    if let Some(label) = &c.marks_label {
        chart
            .draw_series(std::iter::empty::<Cross<(f64, f64), i32>>())
            .map_err(e)?
            .label(label.as_str())
            .legend(move |(x, y)| Cross::new((x + 12, y), 8, mark_color.stroke_width(4)));
    }
    if !c.keys.is_empty() || c.marks_label.is_some() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(160, 160, 160))
            .label_font((FONT, 22))
            .draw()
            .map_err(e)?;
    }
    // Lane names, right-aligned left of the plotting area.
    let style = TextStyle::from((FONT, 20).into_font()).color(&BLACK).pos(
        plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Right,
            plotters::style::text_anchor::VPos::Center,
        ),
    );
    for (i, name) in c.lanes.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(x0, y(i, 0.5)));
        area.draw(&Text::new(name.clone(), (px - 8, py), style.clone()))
            .map_err(e)?;
    }
    Ok(())
}

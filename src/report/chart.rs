//! Charts as data, drawn with `plotters` into SVG (and rasterised to PNG
//! with `resvg`). The data of a chart is kept apart from its drawing so
//! tests can compare the numbers plotted with the numbers in the files.

use crate::error::{Error, Result};
use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::*;

/// One figure of the report: one or more panels in a grid.
#[derive(Debug, Clone)]
pub struct Figure {
    /// HTML id and file stem of the figure (`--figures`).
    pub id: String,
    pub title: String,
    /// One sentence under the figure: what it shows and where the numbers come from.
    pub caption: String,
    pub panels: Vec<Panel>,
    /// Panels per row.
    pub grid_columns: usize,
}

/// One set of axes.
#[derive(Debug, Clone)]
pub struct Panel {
    pub title: String,
    pub x: XAxis,
    pub y_label: String,
    pub layers: Vec<Layer>,
}

/// What the horizontal axis shows.
#[derive(Debug, Clone)]
pub enum XAxis {
    /// Week numbers, labelled with the date of the week's start.
    Weeks { start: NaiveDate },
    /// A numeric value.
    Value { label: String },
    /// Named categories at x = 0, 1, 2, ...
    Categories { label: String, names: Vec<String> },
}

/// One drawn series. `colour` indexes [`PALETTE`].
#[derive(Debug, Clone)]
pub struct Layer {
    /// Legend entry; empty for none.
    pub name: String,
    /// Where the numbers come from, e.g. `timeseries.csv:US_autos_output`
    /// (tests check the numbers against that file).
    pub source: String,
    pub colour: usize,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Line(Vec<(f64, f64)>),
    Dashed(Vec<(f64, f64)>),
    /// A value that holds until the next point.
    Steps(Vec<(f64, f64)>),
    /// Points, e.g. events on a line or single runs.
    Markers(Vec<(f64, f64)>, Shape),
    /// Vertical intervals (x, low, high).
    Intervals(Vec<(f64, f64, f64)>),
    /// Bars (x centre, height) of the given width, shifted by `offset`.
    Bars {
        bars: Vec<(f64, f64)>,
        width: f64,
        offset: f64,
    },
    /// A band (x, low, high) filled between low and high.
    Band(Vec<(f64, f64, f64)>),
    /// Heat-map cells ([x0, x1], [y0, y1], value), coloured over [min, max].
    Cells {
        cells: Vec<HeatCell>,
        min: f64,
        max: f64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeatCell {
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    Circle,
    Dot,
    Triangle,
    Cross,
    /// A hollow circle.
    Ring,
}

/// Colour-blind-safe colours (Okabe and Ito, then two more), none of them grey.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(240, 228, 66),
    RGBColor(120, 60, 20),
    RGBColor(110, 70, 170),
    RGBColor(0, 90, 90),
];

const PANEL_W: u32 = 520;
const PANEL_H: u32 = 320;
const TITLE_H: u32 = 34;

impl Layer {
    pub fn new(name: impl Into<String>, colour: usize, kind: Kind) -> Self {
        Layer {
            name: name.into(),
            source: String::new(),
            colour,
            kind,
        }
    }

    /// Names the file and column the numbers come from.
    pub fn from(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self
    }

    fn colour(&self) -> RGBColor {
        PALETTE[self.colour % PALETTE.len()]
    }

    /// Every (x, y) the layer spans, for the axis ranges.
    fn extent(&self) -> Vec<(f64, f64)> {
        match &self.kind {
            Kind::Line(p) | Kind::Dashed(p) | Kind::Steps(p) | Kind::Markers(p, _) => p.clone(),
            Kind::Intervals(v) | Kind::Band(v) => {
                v.iter().flat_map(|&(x, l, h)| [(x, l), (x, h)]).collect()
            }
            Kind::Bars {
                bars,
                width,
                offset,
            } => bars
                .iter()
                .flat_map(|&(x, h)| {
                    let c = x + offset;
                    [(c - width / 2.0, 0.0), (c + width / 2.0, h)]
                })
                .collect(),
            Kind::Cells { cells, .. } => cells
                .iter()
                .flat_map(|c| [(c.x.0, c.y.0), (c.x.1, c.y.1)])
                .collect(),
        }
    }
}

impl Figure {
    /// Pixel size of the SVG.
    pub fn size(&self) -> (u32, u32) {
        let cols = self.grid_columns.clamp(1, self.panels.len().max(1));
        let rows = self.panels.len().div_ceil(cols).max(1);
        (cols as u32 * PANEL_W, rows as u32 * PANEL_H + TITLE_H)
    }

    /// The figure as a standalone SVG document.
    pub fn svg(&self) -> Result<String> {
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, self.size()).into_drawing_area();
            self.draw(&root).map_err(|e| {
                Error::Output(format!("figure `{}` could not be drawn: {e}", self.id))
            })?;
            root.present()
                .map_err(|e| Error::Output(format!("figure `{}`: {e}", self.id)))?;
        }
        Ok(text)
    }

    fn draw(&self, root: &DrawingArea<SVGBackend, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(str)?;
        let body = root
            .titled(&self.title, ("sans-serif", 22).into_font())
            .map_err(str)?;
        let cols = self.grid_columns.clamp(1, self.panels.len().max(1));
        let rows = self.panels.len().div_ceil(cols).max(1);
        for (panel, area) in self.panels.iter().zip(body.split_evenly((rows, cols))) {
            panel.draw(&area)?;
        }
        Ok(())
    }
}

fn str<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Axis range of `values` with a margin; a flat range is widened.
fn range(values: impl Iterator<Item = f64>, include_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if include_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if hi - lo < 1e-12 {
        let pad = if lo.abs() > 1e-12 {
            lo.abs() * 0.1
        } else {
            1.0
        };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// Number text for a tick on an axis spanning `span`: large values with
/// k / M / G, and as many decimals as the tick spacing needs.
pub fn tick(v: f64, span: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let size = v.abs().max(span.abs());
    let (scale, suffix) = if size >= 1e9 {
        (1e9, "G")
    } else if size >= 1e6 {
        (1e6, "M")
    } else if size >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let step = (span / scale / 6.0).abs();
    let decimals = if step > 0.0 && step.is_finite() {
        (-step.log10().floor()).clamp(0.0, 6.0) as usize
    } else {
        2
    };
    format!("{:.decimals$}{suffix}", v / scale)
}

/// Colour of a heat-map value t in [0, 1]: pale yellow to dark blue.
pub fn heat_colour(t: f64) -> RGBColor {
    let stops = [
        (255.0, 247.0, 188.0),
        (65.0, 182.0, 196.0),
        (8.0, 29.0, 88.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (i, f) = if t < 0.5 {
        (0, t * 2.0)
    } else {
        (1, (t - 0.5) * 2.0)
    };
    let mix = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    let (a, b) = (stops[i], stops[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

impl Panel {
    fn draw(&self, area: &DrawingArea<SVGBackend, Shift>) -> Result<(), String> {
        let points: Vec<(f64, f64)> = self.layers.iter().flat_map(|l| l.extent()).collect();
        let bars = self
            .layers
            .iter()
            .any(|l| matches!(l.kind, Kind::Bars { .. }));
        let (x0, x1) = match &self.x {
            XAxis::Categories { names, .. } => (-0.5, names.len().max(1) as f64 - 0.5),
            _ => range(points.iter().map(|p| p.0), false),
        };
        let (y0, y1) = range(points.iter().map(|p| p.1), bars);
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(38)
            .y_label_area_size(58)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(str)?;
        let week_label = |x: &f64| match &self.x {
            XAxis::Weeks { start } => {
                let d = *start + chrono::Days::new((x.round().max(0.0) as u64) * 7);
                d.format("%Y-%m-%d").to_string()
            }
            XAxis::Categories { names, .. } => {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            }
            XAxis::Value { .. } => tick(*x, x1 - x0),
        };
        let x_desc = match &self.x {
            XAxis::Weeks { .. } => "week starting",
            XAxis::Value { label } | XAxis::Categories { label, .. } => label,
        };
        let x_labels = match &self.x {
            XAxis::Categories { names, .. } => names.len().clamp(1, 12),
            _ => 8,
        };
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(&self.y_label)
            .x_labels(x_labels)
            .y_labels(6)
            .x_label_formatter(&week_label)
            .y_label_formatter(&|y| tick(*y, y1 - y0))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(str)?;
        let mut legend = false;
        for layer in &self.layers {
            let c = layer.colour();
            let labelled = match &layer.kind {
                Kind::Line(p) => Some(
                    chart
                        .draw_series(LineSeries::new(p.iter().copied(), c.stroke_width(2)))
                        .map_err(str)?,
                ),
                Kind::Dashed(p) => Some(
                    chart
                        .draw_series(DashedLineSeries::new(
                            p.iter().copied(),
                            6,
                            4,
                            c.stroke_width(2),
                        ))
                        .map_err(str)?,
                ),
                Kind::Steps(p) => {
                    let mut stepped = Vec::with_capacity(p.len() * 2);
                    for (i, &(x, y)) in p.iter().enumerate() {
                        if i > 0 {
                            stepped.push((x, p[i - 1].1));
                        }
                        stepped.push((x, y));
                    }
                    Some(
                        chart
                            .draw_series(LineSeries::new(stepped, c.stroke_width(2)))
                            .map_err(str)?,
                    )
                }
                Kind::Markers(p, shape) => {
                    let pts = p.iter().copied();
                    let fill = c.filled();
                    let line = c.stroke_width(2);
                    Some(
                        match shape {
                            Shape::Circle => {
                                chart.draw_series(pts.map(|pt| Circle::new(pt, 4, fill)))
                            }
                            Shape::Dot => chart.draw_series(pts.map(|pt| Circle::new(pt, 2, fill))),
                            Shape::Ring => {
                                chart.draw_series(pts.map(|pt| Circle::new(pt, 5, line)))
                            }
                            Shape::Triangle => {
                                chart.draw_series(pts.map(|pt| TriangleMarker::new(pt, 6, fill)))
                            }
                            Shape::Cross => {
                                chart.draw_series(pts.map(|pt| Cross::new(pt, 5, line)))
                            }
                        }
                        .map_err(str)?,
                    )
                }
                Kind::Intervals(v) => Some(
                    chart
                        .draw_series(v.iter().map(|&(x, l, h)| {
                            PathElement::new(vec![(x, l), (x, h)], c.stroke_width(2))
                        }))
                        .map_err(str)?,
                ),
                Kind::Bars {
                    bars,
                    width,
                    offset,
                } => Some(
                    chart
                        .draw_series(bars.iter().map(|&(x, h)| {
                            let cx = x + offset;
                            Rectangle::new(
                                [(cx - width / 2.0, 0.0), (cx + width / 2.0, h)],
                                c.filled(),
                            )
                        }))
                        .map_err(str)?,
                ),
                Kind::Band(v) => {
                    let mut outline: Vec<(f64, f64)> = v.iter().map(|&(x, _, h)| (x, h)).collect();
                    outline.extend(v.iter().rev().map(|&(x, l, _)| (x, l)));
                    Some(
                        chart
                            .draw_series(std::iter::once(Polygon::new(outline, c.mix(0.25))))
                            .map_err(str)?,
                    )
                }
                Kind::Cells { cells, min, max } => {
                    let span = (max - min).max(1e-12);
                    chart
                        .draw_series(cells.iter().map(|cell| {
                            Rectangle::new(
                                [(cell.x.0, cell.y.0), (cell.x.1, cell.y.1)],
                                heat_colour((cell.value - min) / span).filled(),
                            )
                        }))
                        .map_err(str)?;
                    None
                }
            };
            if let Some(series) = labelled
                && !layer.name.is_empty()
            {
                legend = true;
                // Legend glyphs: the marker's shape, or a short bar for lines
                // (all polygons, so one closure type serves every layer).
                let shape = match &layer.kind {
                    Kind::Markers(_, s) => Some(*s),
                    _ => None,
                };
                series.label(layer.name.clone()).legend(move |(x, y)| {
                    let outline: Vec<(i32, i32)> = match shape {
                        None => vec![(x, y - 2), (x + 16, y - 2), (x + 16, y + 2), (x, y + 2)],
                        Some(Shape::Triangle) => {
                            vec![(x + 8, y - 5), (x + 14, y + 4), (x + 2, y + 4)]
                        }
                        Some(Shape::Cross) => [
                            (-1, -5),
                            (1, -5),
                            (1, -1),
                            (5, -1),
                            (5, 1),
                            (1, 1),
                            (1, 5),
                            (-1, 5),
                            (-1, 1),
                            (-5, 1),
                            (-5, -1),
                            (-1, -1),
                        ]
                        .iter()
                        .map(|(dx, dy)| (x + 8 + dx, y + dy))
                        .collect(),
                        Some(Shape::Circle | Shape::Dot | Shape::Ring) => {
                            let r = if shape == Some(Shape::Dot) { 3.0 } else { 5.0 };
                            (0..12)
                                .map(|k| {
                                    let a = k as f64 * std::f64::consts::PI / 6.0;
                                    (
                                        x + 8 + (r * a.cos()).round() as i32,
                                        y + (r * a.sin()).round() as i32,
                                    )
                                })
                                .collect()
                        }
                    };
                    Polygon::new(outline, c.filled())
                });
            }
        }
        if legend {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(160, 160, 160))
                .label_font(("sans-serif", 11))
                .draw()
                .map_err(str)?;
        }
        Ok(())
    }
}

/// Rasterises SVG figures into PNG with the system's fonts, found once.
pub struct Rasteriser {
    options: resvg::usvg::Options<'static>,
}

impl Rasteriser {
    /// Loads the system fonts. Text needs one (any sans-serif; Debian's
    /// fonts-dejavu-core will do); without any this is an error.
    pub fn new() -> Result<Rasteriser> {
        let mut options = resvg::usvg::Options::default();
        let db = options.fontdb_mut();
        db.load_system_fonts();
        let family = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial"]
            .into_iter()
            .find(|f| {
                db.faces()
                    .any(|face| face.families.iter().any(|(n, _)| n == f))
            })
            .map(str::to_owned)
            .or_else(|| {
                db.faces()
                    .next()
                    .and_then(|f| f.families.first().map(|(n, _)| n.clone()))
            })
            .ok_or_else(|| {
                Error::Output(
                    "PNG figures need a system font for their text and none was found \
                     (on Debian: apt-get install fonts-dejavu-core); the SVG figures need none"
                        .into(),
                )
            })?;
        db.set_sans_serif_family(family);
        Ok(Rasteriser { options })
    }

    /// `svg` at `scale` times its size, as PNG bytes.
    pub fn png(&self, svg: &str, scale: f32) -> Result<Vec<u8>> {
        use resvg::{tiny_skia, usvg};
        let tree = usvg::Tree::from_str(svg, &self.options)
            .map_err(|e| Error::Output(format!("SVG could not be read for PNG: {e}")))?;
        let size = tree.size().to_int_size().scale_by(scale).ok_or_else(|| {
            Error::Output(format!("figure too large to rasterise at scale {scale}"))
        })?;
        let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
            .ok_or_else(|| Error::Output("figure too large to rasterise".into()))?;
        pixmap.fill(tiny_skia::Color::WHITE);
        resvg::render(
            &tree,
            tiny_skia::Transform::from_scale(scale, scale),
            &mut pixmap.as_mut(),
        );
        pixmap
            .encode_png()
            .map_err(|e| Error::Output(format!("PNG encoding failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(kind: Kind) -> Figure {
        Figure {
            id: "t".into(),
            title: "T".into(),
            caption: String::new(),
            panels: vec![Panel {
                title: "p".into(),
                x: XAxis::Value { label: "x".into() },
                y_label: "y".into(),
                // No legend: the colour can only come from the drawn data.
                layers: vec![Layer::new("", 0, kind)],
            }],
            grid_columns: 1,
        }
    }

    #[test]
    fn every_kind_draws_into_svg_with_its_colour() {
        let pts = vec![(0.0, 1.0), (1.0, 3.0), (2.0, 2.0)];
        let kinds = [
            Kind::Line(pts.clone()),
            Kind::Dashed(pts.clone()),
            Kind::Steps(pts.clone()),
            Kind::Markers(pts.clone(), Shape::Triangle),
            Kind::Intervals(vec![(0.0, 1.0, 2.0)]),
            Kind::Bars {
                bars: vec![(0.0, 2.0)],
                width: 0.5,
                offset: 0.0,
            },
            Kind::Band(vec![(0.0, 1.0, 2.0), (1.0, 1.5, 2.5)]),
        ];
        for kind in kinds {
            let svg = figure(kind.clone()).svg().unwrap();
            assert!(svg.starts_with("<svg"), "{kind:?}");
            assert!(svg.contains("#0072B2"), "{kind:?} not drawn in its colour");
        }
        let empty = figure(Kind::Line(Vec::new())).svg().unwrap();
        assert!(!empty.contains("#0072B2"), "an empty layer drew something");
        let cells = Kind::Cells {
            cells: vec![HeatCell {
                x: (0.0, 1.0),
                y: (0.0, 1.0),
                value: 5.0,
            }],
            min: 0.0,
            max: 5.0,
        };
        let RGBColor(r, g, b) = heat_colour(1.0);
        let dark = format!("#{r:02X}{g:02X}{b:02X}");
        assert!(
            figure(cells).svg().unwrap().contains(&dark),
            "no {dark} cell"
        );
    }

    #[test]
    fn ticks_have_the_decimals_their_spacing_needs() {
        assert_eq!(tick(0.035, 0.02), "0.035");
        assert_eq!(tick(80_000.0, 90_000.0), "80k");
        assert_eq!(tick(1_500_000.0, 2_000_000.0), "1.5M");
        assert_eq!(tick(7.0, 1.0), "7.0");
        assert_eq!(tick(40.0, 40.0), "40");
    }

    #[test]
    fn ranges_are_padded_and_flat_ranges_widened() {
        assert_eq!(range([5.0, 5.0].into_iter(), false), (4.5, 5.5));
        assert_eq!(range([0.0, 0.0].into_iter(), false), (-1.0, 1.0));
        let (lo, hi) = range([10.0, 20.0].into_iter(), true);
        assert!(lo < 0.0 && hi > 20.0);
        assert_eq!(range(std::iter::empty(), false), (0.0, 1.0));
    }

    #[test]
    fn heat_colours_run_from_pale_to_dark() {
        let light = heat_colour(0.0);
        let dark = heat_colour(1.0);
        assert!(light.0 as u32 + light.1 as u32 > dark.0 as u32 + dark.1 as u32);
        assert_eq!(heat_colour(f64::NAN), light);
    }
}

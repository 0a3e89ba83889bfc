//! Line, step and scatter charts: several series against a numeric x axis, with optional
//! confidence bands (lines) or error bars (scatter), shaded intervals and reference lines.

use super::axes::{
    draw_frame, draw_shade, extent, fmt_value, max_ticks, series_color, AxisSpec, FrameOpts,
    LegendEntry, Swatch,
};
use super::figure::figure_methods;
use super::style::{GREY, HEIGHT, SMALL_SIZE, WIDTH};
use super::svg::{n, Anchor, Stroke, Svg, Text};
use super::{id_hash, Figure, Num, Point, PointCi};
use std::fmt::Write as _;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Kind {
    Line,
    Step,
    Points,
}

#[derive(Clone, Debug)]
struct Series {
    name: String,
    pts: Vec<(f64, f64)>,
    /// (x, low, high) for a band or error bars.
    ci: Vec<(f64, f64, f64)>,
    kind: Kind,
}

/// A line, step or scatter chart. Start with [`line()`] or [`scatter`].
#[derive(Clone, Debug)]
pub struct XyChart {
    title: String,
    x_label: String,
    y_label: String,
    log_x: bool,
    log_y: bool,
    x_range: Option<(f64, f64)>,
    y_range: Option<(f64, f64)>,
    scatter: bool,
    series: Vec<Series>,
    shades: Vec<(f64, f64, String)>,
    hlines: Vec<(f64, String)>,
    vlines: Vec<(f64, String)>,
    x_ticks: Option<Vec<(f64, String)>>,
    size: (f64, f64),
}

/// A line chart: each series is drawn as a line (with point markers when there are few
/// points), CI bands shaded around it.
///
/// ```
/// use faultline::plot;
/// let fig = plot::line("Retries hide loss")
///     .x_label("loss probability")
///     .y_label("success rate")
///     .series_ci("3 retries", &[(0.1, 0.99, 0.98, 1.0), (0.3, 0.95, 0.93, 0.97)])
///     .figure();
/// assert!(fig.svg().contains("success rate"));
/// ```
pub fn line(title: &str) -> XyChart {
    XyChart::new(title, false)
}

/// A scatter chart: each series is drawn as markers, CIs as error bars.
///
/// ```
/// use faultline::plot;
/// let fig = plot::scatter("Skew vs ordering errors")
///     .x_label("clock skew (ms)")
///     .y_label("misordered events")
///     .series("trial", &[(1, 0), (10, 2), (40, 9)])
///     .figure();
/// assert_eq!(fig.svg().matches("class=\"point\"").count(), 3);
/// ```
pub fn scatter(title: &str) -> XyChart {
    XyChart::new(title, true)
}

impl XyChart {
    fn new(title: &str, scatter: bool) -> XyChart {
        XyChart {
            title: title.to_string(),
            x_label: "x".into(),
            y_label: "y".into(),
            log_x: false,
            log_y: false,
            x_range: None,
            y_range: None,
            scatter,
            series: Vec::new(),
            shades: Vec::new(),
            hlines: Vec::new(),
            vlines: Vec::new(),
            x_ticks: None,
            size: (WIDTH, HEIGHT),
        }
    }

    fn default_kind(&self) -> Kind {
        if self.scatter {
            Kind::Points
        } else {
            Kind::Line
        }
    }

    /// The x-axis label; put the unit in it: `"loss probability"`, `"time (ms)"`.
    pub fn x_label(mut self, label: &str) -> Self {
        self.x_label = label.to_string();
        self
    }

    /// The y-axis label, with its unit.
    pub fn y_label(mut self, label: &str) -> Self {
        self.y_label = label.to_string();
        self
    }

    /// A logarithmic x axis (values <= 0 are left out).
    pub fn log_x(mut self) -> Self {
        self.log_x = true;
        self
    }

    /// A logarithmic y axis (values <= 0 are left out).
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }

    /// Fixes the x range instead of fitting the data.
    pub fn x_range(mut self, lo: f64, hi: f64) -> Self {
        self.x_range = Some((lo, hi));
        self
    }

    /// Fixes the y range instead of fitting the data (e.g. `0.0, 1.0` for rates).
    pub fn y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }

    /// Labels x positions with text instead of numbers (e.g. non-numeric sweep values).
    pub fn x_ticks<S: Into<String>>(mut self, ticks: impl IntoIterator<Item = (f64, S)>) -> Self {
        self.x_ticks = Some(ticks.into_iter().map(|(x, s)| (x, s.into())).collect());
        self
    }

    /// Adds a series of `(x, y)` points, drawn in order.
    pub fn series<P: Point>(mut self, name: &str, points: impl IntoIterator<Item = P>) -> Self {
        let kind = self.default_kind();
        self.series.push(Series {
            name: name.to_string(),
            pts: points.into_iter().map(|p| p.xy()).collect(),
            ci: Vec::new(),
            kind,
        });
        self
    }

    /// Adds a series with a confidence interval: `(x, y, low, high)` per point, or
    /// `(x, &summary)` for a [`Summary`](crate::stats::Summary)'s mean and 95% CI. Lines get a
    /// shaded band, scatter points get error bars.
    pub fn series_ci<P: PointCi>(
        mut self,
        name: &str,
        points: impl IntoIterator<Item = P>,
    ) -> Self {
        let kind = self.default_kind();
        let mut pts = Vec::new();
        let mut ci = Vec::new();
        for p in points {
            let (x, y, lo, hi) = p.x_y_lo_hi();
            pts.push((x, y));
            ci.push((x, lo, hi));
        }
        self.series.push(Series {
            name: name.to_string(),
            pts,
            ci,
            kind,
        });
        self
    }

    /// Adds a step series: each value holds until the next point (a state over time, e.g.
    /// availability during a partition).
    pub fn step<P: Point>(mut self, name: &str, points: impl IntoIterator<Item = P>) -> Self {
        self.series.push(Series {
            name: name.to_string(),
            pts: points.into_iter().map(|p| p.xy()).collect(),
            ci: Vec::new(),
            kind: Kind::Step,
        });
        self
    }

    /// Shades the x interval `from..to` with a label (a partition, an outage, a deploy).
    pub fn shade(mut self, from: impl Num, to: impl Num, label: &str) -> Self {
        self.shades
            .push((from.to_f64(), to.to_f64(), label.to_string()));
        self
    }

    /// A labelled horizontal reference line (a target, a theoretical value).
    pub fn hline(mut self, y: impl Num, label: &str) -> Self {
        self.hlines.push((y.to_f64(), label.to_string()));
        self
    }

    /// A labelled vertical reference line (an event at time x).
    pub fn vline(mut self, x: impl Num, label: &str) -> Self {
        self.vlines.push((x.to_f64(), label.to_string()));
        self
    }

    /// Renders the chart.
    pub fn figure(&self) -> Figure {
        let (w, h) = self.size;
        let xs = self
            .series
            .iter()
            .flat_map(|s| s.pts.iter().map(|p| p.0))
            .chain(self.shades.iter().flat_map(|s| [s.0, s.1]))
            .chain(self.vlines.iter().map(|v| v.0));
        let ys = self
            .series
            .iter()
            .flat_map(|s| {
                s.pts
                    .iter()
                    .map(|p| p.1)
                    .chain(s.ci.iter().flat_map(|c| [c.1, c.2]))
            })
            .chain(self.hlines.iter().map(|v| v.0));
        let (x_lo, x_hi, x_exact) = match self.x_range {
            Some((a, b)) => (a, b, true),
            None => {
                let (a, b) = extent(xs, self.log_x).unwrap_or((0.0, 1.0));
                (a, b, false)
            }
        };
        let (y_lo, y_hi, y_exact) = match self.y_range {
            Some((a, b)) => (a, b, true),
            None => {
                let (a, mut b) = extent(ys, self.log_y).unwrap_or((0.0, 1.0));
                // Fractions: a confidence band poking just above 1 must not stretch the axis
                // to 1.05 or 1.2; the band is clipped at the top instead.
                let fractions = self
                    .series
                    .iter()
                    .flat_map(|s| s.pts.iter())
                    .all(|p| (0.0..=1.0).contains(&p.1));
                if fractions && a >= 0.0 && b > 1.0 && b <= 1.03 {
                    b = 1.0;
                }
                (a, b, false)
            }
        };
        // Lines fit the x range exactly (no empty margin); y gets round ends.
        let mut xa = AxisSpec::numeric(
            x_lo,
            x_hi,
            self.log_x,
            &self.x_label,
            max_ticks(w - 200.0, 70.0),
            x_exact || (!self.log_x && !self.scatter),
        );
        if let Some(t) = &self.x_ticks {
            xa.ticks = t.clone();
            xa.categorical = false;
            xa.minor.clear();
            let pad = if self.scatter { 0.5 } else { 0.0 };
            if let Some((a, b)) = extent(t.iter().map(|t| t.0), false) {
                xa.lo = xa.lo.min(a) - pad;
                xa.hi = xa.hi.max(b) + pad;
            }
        }
        let ya = AxisSpec::numeric(
            y_lo,
            y_hi,
            self.log_y,
            &self.y_label,
            max_ticks(h - 110.0, 45.0),
            y_exact,
        );
        let legend: Vec<LegendEntry> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| LegendEntry {
                name: s.name.clone(),
                color: series_color(i),
                swatch: match s.kind {
                    // Dense scatters are drawn as round dots whatever the series' shape.
                    Kind::Points if s.pts.len() > 1000 => Swatch::Marker(0),
                    Kind::Points => Swatch::Marker(i),
                    Kind::Line if s.pts.len() <= 40 => Swatch::Line {
                        dash: None,
                        marker: Some(i),
                    },
                    _ => Swatch::Line {
                        dash: None,
                        marker: None,
                    },
                },
            })
            .collect();
        let mut svg = Svg::new(w, h, &self.title);
        let f = draw_frame(
            &mut svg,
            &FrameOpts::new(&self.title, &xa, &ya, &legend, self.size),
        );
        // Ids are global where SVGs are inlined into one page: derive it from the clip rectangle
        // itself, so figures that share an id also share the same rectangle.
        let clip = format!(
            "clip-{}",
            id_hash(&format!("{}|{}|{}|{}", f.left, f.top, f.right, f.bottom))
        );
        svg.raw(&format!(
            r#"<defs><clipPath id="{clip}"><rect x="{}" y="{}" width="{}" height="{}"/></clipPath></defs>"#,
            n(f.left - 6.0),
            n(f.top - 6.0),
            n(f.right - f.left + 12.0),
            n(f.bottom - f.top + 12.0)
        ));

        // Shaded intervals, under the data.
        for (a, b, label) in &self.shades {
            draw_shade(&mut svg, &f, *a, *b, label);
        }
        for (y, label) in &self.hlines {
            if !f.y.drawable(*y) {
                continue;
            }
            let py = f.y.map(*y);
            svg.group("ref-line");
            svg.line(
                f.left,
                py,
                f.right,
                py,
                &Stroke::new(GREY, 1.2).dash("6,4"),
                "",
            );
            svg.text(
                f.right - 4.0,
                py - 5.0,
                label,
                &Text::new(SMALL_SIZE).anchor(Anchor::End).fill(GREY),
            );
            svg.end();
        }
        for (x, label) in &self.vlines {
            if !f.x.drawable(*x) {
                continue;
            }
            let px = f.x.map(*x);
            svg.group("ref-line");
            svg.line(
                px,
                f.top,
                px,
                f.bottom,
                &Stroke::new(GREY, 1.2).dash("6,4"),
                "",
            );
            svg.text(
                px + 4.0,
                f.top + 12.0,
                label,
                &Text::new(SMALL_SIZE).fill(GREY),
            );
            svg.end();
        }

        svg.raw(&format!(r#"<g clip-path="url(#{clip})">"#));
        for (i, s) in self.series.iter().enumerate() {
            let color = series_color(i);
            let ok = |p: &(f64, f64)| f.x.drawable(p.0) && f.y.drawable(p.1);
            let pts: Vec<(f64, f64)> = s
                .pts
                .iter()
                .filter(|p| ok(p))
                .map(|p| (f.x.map(p.0), f.y.map(p.1)))
                .collect();
            svg.raw(&format!(
                r#"<g class="series" data-name="{}">"#,
                super::svg::esc(&s.name)
            ));
            // CI: band for lines, error bars for points.
            let ci: Vec<(f64, f64, f64)> =
                s.ci.iter()
                    .filter(|c| f.x.drawable(c.0) && f.y.drawable(c.1) && f.y.drawable(c.2))
                    .map(|c| (f.x.map(c.0), f.y.map(c.1), f.y.map(c.2)))
                    .collect();
            if !ci.is_empty() {
                if s.kind == Kind::Points {
                    let st = Stroke::new(&color, 1.3);
                    for (x, lo, hi) in &ci {
                        svg.line(*x, *lo, *x, *hi, &st, "error-bar");
                        svg.line(x - 4.0, *lo, x + 4.0, *lo, &st, "");
                        svg.line(x - 4.0, *hi, x + 4.0, *hi, &st, "");
                    }
                } else {
                    let mut poly: Vec<(f64, f64)> = ci.iter().map(|c| (c.0, c.2)).collect();
                    poly.extend(ci.iter().rev().map(|c| (c.0, c.1)));
                    svg.polygon(&poly, &color, 0.2, "band");
                }
            }
            match s.kind {
                Kind::Line => {
                    svg.polyline(&thin_line(&pts), &Stroke::new(&color, 2.0), "line");
                    if s.pts.len() <= 40 {
                        for (x, y) in &pts {
                            svg.marker(i, *x, *y, 3.5, &color, "point");
                        }
                    }
                }
                Kind::Step => {
                    let mut stepped = Vec::with_capacity(pts.len() * 2);
                    for (k, p) in pts.iter().enumerate() {
                        if k > 0 {
                            stepped.push((p.0, pts[k - 1].1));
                        }
                        stepped.push(*p);
                    }
                    svg.polyline(&thin_line(&stepped), &Stroke::new(&color, 2.0), "line");
                }
                Kind::Points if pts.len() > 1000 => {
                    // Thousands of points: one dot per 2-px cell, drawn as a single path of
                    // round zero-length strokes (a tenth of the bytes of separate markers).
                    let mut seen = std::collections::HashSet::new();
                    let mut d = String::new();
                    for (x, y) in &pts {
                        if seen.insert(((x / 2.0) as i64, (y / 2.0) as i64)) {
                            let _ = write!(d, "M{},{}h0", n(*x), n(*y));
                        }
                    }
                    svg.raw(&format!(
                        r#"<path class="dots" d="{d}" stroke="{color}" stroke-width="4" stroke-linecap="round" stroke-opacity="0.7"/>"#
                    ));
                }
                Kind::Points => {
                    let r = if pts.len() > 300 { 2.2 } else { 3.8 };
                    for (x, y) in &pts {
                        svg.marker(i, *x, *y, r, &color, "point");
                    }
                }
            }
            svg.raw("</g>");
        }
        svg.raw("</g>");
        Figure::from_svg(&self.title, svg.finish(), self.summary())
    }

    fn summary(&self) -> String {
        let kind = if self.scatter {
            "Scatter chart"
        } else {
            "Line chart"
        };
        let mut t = format!(
            "{kind} “{}”: x = {}{}, y = {}{}.",
            self.title,
            self.x_label,
            if self.log_x { " (log)" } else { "" },
            self.y_label,
            if self.log_y { " (log)" } else { "" }
        );
        for s in &self.series {
            let _ = write!(t, "\n  {}: {} points", s.name, s.pts.len());
            if let (Some(x), Some(y)) = (
                extent(s.pts.iter().map(|p| p.0), false),
                extent(s.pts.iter().map(|p| p.1), false),
            ) {
                let _ = write!(
                    t,
                    ", x {}…{}, y {}…{}",
                    fmt_value(x.0),
                    fmt_value(x.1),
                    fmt_value(y.0),
                    fmt_value(y.1)
                );
            }
            let hidden = s
                .pts
                .iter()
                .filter(|p| (self.log_x && p.0 <= 0.0) || (self.log_y && p.1 <= 0.0))
                .count();
            if hidden > 0 {
                let _ = write!(t, " ({hidden} at or below 0 not drawn on the log axis)");
            }
            if s.pts.len() <= 12 {
                let pts: Vec<String> = s
                    .pts
                    .iter()
                    .map(|p| format!("({}, {})", fmt_value(p.0), fmt_value(p.1)))
                    .collect();
                let _ = write!(t, ": {}", pts.join(" "));
            }
        }
        for (a, b, l) in &self.shades {
            let _ = write!(t, "\n  shaded {}…{}: {l}", fmt_value(*a), fmt_value(*b));
        }
        t
    }
}

/// Thins a pixel-space polyline for drawing: within each run of points falling in the same
/// pixel column, only the first, lowest, highest and last are kept, so the drawn shape is
/// unchanged while 100,000 points become a few thousand.
fn thin_line(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if pts.len() <= 2_000 {
        return pts.to_vec();
    }
    let mut out = Vec::with_capacity(4_000);
    let mut k = 0;
    while k < pts.len() {
        let col = pts[k].0.floor();
        let mut end = k;
        while end + 1 < pts.len() && pts[end + 1].0.floor() == col {
            end += 1;
        }
        let run = &pts[k..=end];
        let lo = run
            .iter()
            .copied()
            .fold(run[0], |a, p| if p.1 > a.1 { p } else { a });
        let hi = run
            .iter()
            .copied()
            .fold(run[0], |a, p| if p.1 < a.1 { p } else { a });
        for p in [run[0], lo, hi, run[run.len() - 1]] {
            if out.last() != Some(&p) {
                out.push(p);
            }
        }
        k = end + 1;
    }
    out
}

figure_methods!(XyChart, sized);

//! Bar charts: one or several series over named categories, vertical or horizontal, linear or
//! logarithmic (the latency ladder spans nine orders of magnitude).

use super::axes::{
    draw_frame, extent, fmt_value, max_ticks, series_color, AxisSpec, FrameOpts, LegendEntry,
    Swatch,
};
use super::figure::figure_methods;
use super::style::{GREY, HEIGHT, SMALL_SIZE, WIDTH};
use super::svg::{Anchor, Stroke, Svg, Text};
use super::{Figure, Num};
use std::fmt::Write as _;

/// A bar chart. Start with [`bar`].
#[derive(Clone, Debug)]
pub struct BarChart {
    title: String,
    categories: Vec<String>,
    series: Vec<(String, Vec<f64>)>,
    /// Per series, per category: a 95% CI drawn as an error bar (empty: none).
    cis: Vec<Vec<(f64, f64)>>,
    horizontal: bool,
    log: bool,
    value_label: String,
    category_label: String,
    size: (f64, f64),
}

/// A bar chart: one bar per category, grouped side by side when there are several series.
///
/// ```
/// use faultline::plot;
/// let fig = plot::bar("Latency ladder")
///     .data([("L1 cache", 0.5), ("RAM", 100.0), ("same-DC RTT", 500_000.0)])
///     .value_label("latency (ns)")
///     .horizontal()
///     .log()
///     .figure();
/// assert_eq!(fig.svg().matches("class=\"bar\"").count(), 3);
/// ```
pub fn bar(title: &str) -> BarChart {
    BarChart {
        title: title.to_string(),
        categories: Vec::new(),
        series: Vec::new(),
        cis: Vec::new(),
        horizontal: false,
        log: false,
        value_label: "value".into(),
        category_label: String::new(),
        size: (WIDTH, HEIGHT),
    }
}

impl BarChart {
    /// One series from `(category, value)` pairs; the simplest way to make a bar chart.
    pub fn data<S: Into<String>, V: Num>(
        mut self,
        pairs: impl IntoIterator<Item = (S, V)>,
    ) -> Self {
        let (cats, vals): (Vec<String>, Vec<f64>) = pairs
            .into_iter()
            .map(|(s, v)| (s.into(), v.to_f64()))
            .unzip();
        self.categories = cats;
        self.series = vec![(String::new(), vals)];
        self.cis = vec![Vec::new()];
        self
    }

    /// The category names, in drawing order (left to right, or top to bottom).
    pub fn categories<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.categories = names.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a series: one value per category, in category order.
    pub fn series<V: Num>(mut self, name: &str, values: impl IntoIterator<Item = V>) -> Self {
        self.cis.push(Vec::new());
        self.series.push((
            name.to_string(),
            values.into_iter().map(Num::to_f64).collect(),
        ));
        self
    }

    /// Adds a series with error bars: `(value, low, high)` per category, in category order —
    /// e.g. a mean and its 95% confidence interval.
    pub fn series_ci<V: Num>(
        mut self,
        name: &str,
        values: impl IntoIterator<Item = (V, V, V)>,
    ) -> Self {
        let (vals, cis): (Vec<f64>, Vec<(f64, f64)>) = values
            .into_iter()
            .map(|(v, lo, hi)| (v.to_f64(), (lo.to_f64(), hi.to_f64())))
            .unzip();
        self.series.push((name.to_string(), vals));
        self.cis.push(cis);
        self
    }

    /// Bars run left to right, categories listed down the side (best for long names).
    pub fn horizontal(mut self) -> Self {
        self.horizontal = true;
        self
    }

    /// A logarithmic value axis.
    pub fn log(mut self) -> Self {
        self.log = true;
        self
    }

    /// The value axis label, with its unit.
    pub fn value_label(mut self, label: &str) -> Self {
        self.value_label = label.to_string();
        self
    }

    /// The category axis label.
    pub fn category_label(mut self, label: &str) -> Self {
        self.category_label = label.to_string();
        self
    }

    /// Renders the chart.
    pub fn figure(&self) -> Figure {
        let (w, h) = self.size;
        let ncat = self
            .series
            .iter()
            .map(|s| s.1.len())
            .max()
            .unwrap_or(0)
            .max(self.categories.len());
        let mut cats = self.categories.clone();
        while cats.len() < ncat {
            cats.push(format!("#{}", cats.len() + 1));
        }
        let values = self
            .series
            .iter()
            .flat_map(|s| s.1.iter().copied())
            .chain(self.cis.iter().flatten().flat_map(|c| [c.0, c.1]));
        let (lo, hi) = extent(values, self.log).unwrap_or((1.0, 10.0));
        // Room at the far end for value labels (written on single-series charts).
        let label_values = self.series.len() == 1 && ncat <= 24;
        let pad = if label_values { 1.0 } else { 0.0 };
        let (lo, hi) = if self.log {
            (lo, hi * (1.0 + 2.0 * pad))
        } else {
            (lo.min(0.0), hi.max(0.0) * (1.0 + 0.08 * pad))
        };
        let value_ticks = if self.horizontal {
            max_ticks(w - 260.0, 60.0)
        } else {
            max_ticks(h - 110.0, 45.0)
        };
        let va = AxisSpec::numeric(lo, hi, self.log, &self.value_label, value_ticks, false);
        // Horizontal charts list the first category at the top.
        let display_cats: Vec<String> = if self.horizontal {
            cats.iter().rev().cloned().collect()
        } else {
            cats.clone()
        };
        let ca = AxisSpec::categorical(&display_cats, &self.category_label);
        let legend: Vec<LegendEntry> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| LegendEntry {
                name: s.0.clone(),
                color: series_color(i),
                swatch: Swatch::Box(1.0),
            })
            .collect();
        let mut svg = Svg::new(w, h, &self.title);
        let (xa, ya) = if self.horizontal {
            (&va, &ca)
        } else {
            (&ca, &va)
        };
        let f = draw_frame(
            &mut svg,
            &FrameOpts::new(&self.title, xa, ya, &legend, self.size),
        );
        let ns = self.series.len().max(1);
        let group = 0.8;
        let bw = group / ns as f64;
        let baseline = if self.log { va.lo } else { 0.0 };
        for (si, (name, vals)) in self.series.iter().enumerate() {
            let color = series_color(si);
            svg.raw(&format!(
                r#"<g class="series" data-name="{}">"#,
                super::svg::esc(name)
            ));
            for (ci, v) in vals.iter().enumerate() {
                if !(v.is_finite() && (!self.log || *v > 0.0)) {
                    continue;
                }
                let pos = if self.horizontal {
                    (ncat - 1 - ci) as f64
                } else {
                    ci as f64
                };
                // Within a group, series run left to right, or top to bottom.
                let slot = if self.horizontal { ns - 1 - si } else { si };
                let a = pos - group / 2.0 + bw * slot as f64 + bw * 0.06;
                let b = a + bw * 0.88;
                let tip = format!(
                    "{}{}: {}",
                    if name.is_empty() { "" } else { name },
                    if name.is_empty() {
                        cats[ci].clone()
                    } else {
                        format!(" / {}", cats[ci])
                    },
                    fmt_value(*v)
                );
                svg.group_titled("", &tip);
                // The bar as (x, y, w, h), and where its value label goes.
                let ci = self.cis.get(si).and_then(|c| c.get(ci)).copied();
                let ci = ci.filter(|c| {
                    c.0.is_finite() && c.1.is_finite() && (!self.log || c.0.min(c.1) > 0.0)
                });
                // The value label goes past the bar or its error bar, whichever is longer.
                let far = ci.map_or(*v, |c| v.max(c.0).max(c.1));
                let (rect, at, anchor) = if self.horizontal {
                    let (y0, y1) = (f.y.map(b), f.y.map(a));
                    let (x0, x1) = (f.x.map(baseline), f.x.map(*v));
                    let rect = (x0.min(x1), y0, (x1 - x0).abs(), y1 - y0);
                    let end = f.x.map(far).max(x0.max(x1));
                    (rect, (end + 4.0, (y0 + y1) / 2.0 + 4.0), Anchor::Start)
                } else {
                    let (x0, x1) = (f.x.map(a), f.x.map(b));
                    let (y0, y1) = (f.y.map(baseline), f.y.map(*v));
                    let rect = (x0, y0.min(y1), x1 - x0, (y1 - y0).abs());
                    let end = f.y.map(far).min(y0.min(y1));
                    (rect, ((x0 + x1) / 2.0, end - 4.0), Anchor::Middle)
                };
                svg.rect(rect.0, rect.1, rect.2, rect.3, &color, 1.0, None, "bar");
                if let Some((lo, hi)) = ci {
                    let st = Stroke::new("#222222", 1.3);
                    let thickness = if self.horizontal { rect.3 } else { rect.2 };
                    let cap = (thickness * 0.25).clamp(3.0, 8.0);
                    if self.horizontal {
                        let (cy, p, q) = (rect.1 + rect.3 / 2.0, f.x.map(lo), f.x.map(hi));
                        svg.line(p, cy, q, cy, &st, "error-bar");
                        svg.line(p, cy - cap, p, cy + cap, &st, "");
                        svg.line(q, cy - cap, q, cy + cap, &st, "");
                    } else {
                        let (cx, p, q) = (rect.0 + rect.2 / 2.0, f.y.map(lo), f.y.map(hi));
                        svg.line(cx, p, cx, q, &st, "error-bar");
                        svg.line(cx - cap, p, cx + cap, p, &st, "");
                        svg.line(cx - cap, q, cx + cap, q, &st, "");
                    }
                }
                if label_values {
                    let t = Text::new(SMALL_SIZE).anchor(anchor).fill(GREY);
                    svg.text(at.0, at.1, &fmt_value(*v), &t.class("value-label"));
                }
                svg.end();
            }
            svg.raw("</g>");
        }
        let mut t = format!(
            "Bar chart “{}”: {}{}{}.",
            self.title,
            self.value_label,
            if self.category_label.is_empty() {
                String::new()
            } else {
                format!(" by {}", self.category_label)
            },
            if self.log && !self.value_label.contains("log") {
                " (log scale)"
            } else {
                ""
            }
        );
        for (si, (name, vals)) in self.series.iter().enumerate() {
            if !name.is_empty() {
                let _ = write!(t, "\n  {name}:");
            }
            for (ci, (c, v)) in cats.iter().zip(vals).enumerate() {
                let _ = write!(t, "\n    {c}: {}", fmt_value(*v));
                if let Some((lo, hi)) = self.cis.get(si).and_then(|x| x.get(ci)) {
                    let _ = write!(t, " [{}, {}]", fmt_value(*lo), fmt_value(*hi));
                }
            }
        }
        Figure::from_svg(&self.title, svg.finish(), t)
    }
}

figure_methods!(BarChart, sized);

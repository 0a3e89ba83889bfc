//! Empirical CDFs: the fraction of samples at or below each value, p50 and p99 marked. The
//! clearest way to compare latency distributions and their tails.

use super::axes::{
    draw_frame, extent, fmt_value, max_ticks, series_color, AxisSpec, FrameOpts, LegendEntry,
    Swatch,
};
use super::figure::figure_methods;
use super::style::{GREY, HEIGHT, SMALL_SIZE, WIDTH};
use super::svg::{Anchor, Stroke, Svg, Text};
use super::{Figure, Num};
use crate::stats::quantile_sorted;
use std::fmt::Write as _;

/// A CDF chart. Start with [`cdf`].
#[derive(Clone, Debug)]
pub struct Cdf {
    title: String,
    series: Vec<(String, Vec<f64>)>,
    x_label: String,
    log_x: bool,
    size: (f64, f64),
}

/// An empirical CDF chart; add one sample per series with [`Cdf::series`].
///
/// ```
/// use faultline::plot;
/// let fig = plot::cdf("Latency with and without hedging")
///     .x_label("latency (ms)")
///     .series("plain", [1.0, 2.0, 3.0, 50.0])
///     .series("hedged", [1.0, 1.5, 2.0, 4.0])
///     .figure();
/// assert!(fig.text().contains("p99"));
/// ```
pub fn cdf(title: &str) -> Cdf {
    Cdf {
        title: title.to_string(),
        series: Vec::new(),
        x_label: "value".into(),
        log_x: false,
        size: (WIDTH, HEIGHT),
    }
}

/// At most this many points per curve; larger samples are drawn through their quantiles.
const MAX_POINTS: usize = 1000;

impl Cdf {
    /// Adds one sample (NaNs ignored).
    pub fn series<V: Num>(mut self, name: &str, samples: impl IntoIterator<Item = V>) -> Self {
        let mut v: Vec<f64> = samples
            .into_iter()
            .map(Num::to_f64)
            .filter(|v| v.is_finite())
            .collect();
        v.sort_by(f64::total_cmp);
        self.series.push((name.to_string(), v));
        self
    }

    /// The x-axis label, with its unit.
    pub fn x_label(mut self, label: &str) -> Self {
        self.x_label = label.to_string();
        self
    }

    /// A logarithmic x axis: tails spanning orders of magnitude stay readable.
    pub fn log_x(mut self) -> Self {
        self.log_x = true;
        self
    }

    /// Renders the chart.
    pub fn figure(&self) -> Figure {
        let (w, h) = self.size;
        let (lo, hi) = extent(
            self.series.iter().flat_map(|s| s.1.iter().copied()),
            self.log_x,
        )
        .unwrap_or((0.0, 1.0));
        let xa = AxisSpec::numeric(
            lo,
            hi,
            self.log_x,
            &self.x_label,
            max_ticks(w - 250.0, 70.0),
            false,
        );
        let mut ya = AxisSpec::numeric(0.0, 1.0, false, "fraction of samples ≤ x", 5, true);
        ya.ticks = vec![
            (0.0, "0".into()),
            (0.25, "0.25".into()),
            (0.5, "0.5".into()),
            (0.75, "0.75".into()),
            (1.0, "1".into()),
        ];
        let stats: Vec<(f64, f64)> = self
            .series
            .iter()
            .map(|(_, v)| (quantile_sorted(v, 0.5), quantile_sorted(v, 0.99)))
            .collect();
        let legend: Vec<LegendEntry> = self
            .series
            .iter()
            .zip(&stats)
            .enumerate()
            .map(|(i, ((name, _), (p50, p99)))| LegendEntry {
                name: format!("{name} (p50 {}, p99 {})", fmt_value(*p50), fmt_value(*p99)),
                color: series_color(i),
                swatch: Swatch::Line {
                    dash: None,
                    marker: Some(i),
                },
            })
            .collect();
        let mut svg = Svg::new(w, h, &self.title);
        let f = draw_frame(
            &mut svg,
            &FrameOpts::new(&self.title, &xa, &ya, &legend, self.size),
        );
        for (q, name) in [(0.5, "p50"), (0.99, "p99")] {
            let py = f.y.map(q);
            svg.group("ref-line");
            svg.line(
                f.left,
                py,
                f.right,
                py,
                &Stroke::new(GREY, 1.0).dash("4,4"),
                "",
            );
            svg.text(
                f.left + 4.0,
                py - 4.0,
                name,
                &Text::new(SMALL_SIZE).fill(GREY),
            );
            svg.end();
        }
        for (i, ((name, v), (p50, p99))) in self.series.iter().zip(&stats).enumerate() {
            let color = series_color(i);
            let n = v.len();
            if n == 0 {
                continue;
            }
            svg.raw(&format!(
                r#"<g class="series" data-name="{}">"#,
                super::svg::esc(name)
            ));
            // Step curve: at each sorted value the fraction jumps from k/n to (k+1)/n.
            let idx: Vec<usize> = if n <= MAX_POINTS {
                (0..n).collect()
            } else {
                (0..=MAX_POINTS).map(|k| k * (n - 1) / MAX_POINTS).collect()
            };
            let mut pts = Vec::with_capacity(idx.len() * 2 + 2);
            let mut prev = 0.0;
            for &k in &idx {
                let x = v[k];
                if !f.x.drawable(x) {
                    continue;
                }
                let px = f.x.map(x);
                pts.push((px, f.y.map(prev)));
                prev = (k + 1) as f64 / n as f64;
                pts.push((px, f.y.map(prev)));
            }
            if let Some(last) = pts.last().copied() {
                pts.push((f.right, last.1));
            }
            svg.polyline(&pts, &Stroke::new(&color, 2.0), "line");
            for (q, val) in [(0.5, p50), (0.99, p99)] {
                if f.x.drawable(*val) {
                    svg.group_titled(
                        "",
                        &format!("{name}: p{} = {}", (q * 100.0) as u32, fmt_value(*val)),
                    );
                    svg.marker(i, f.x.map(*val), f.y.map(q), 4.5, &color, "percentile");
                    svg.end();
                }
            }
            if self.series.len() == 1 {
                for (q, val, label) in [(0.5, p50, "p50"), (0.99, p99, "p99")] {
                    let px = f.x.map(*val);
                    let right_room = f.right - px > 80.0;
                    let (x, anchor) = if right_room {
                        (px + 8.0, Anchor::Start)
                    } else {
                        (px - 8.0, Anchor::End)
                    };
                    svg.text(
                        x,
                        f.y.map(q) + 14.0,
                        &format!("{label} = {}", fmt_value(*val)),
                        &Text::new(SMALL_SIZE).anchor(anchor).bold().fill(&color),
                    );
                }
            }
            svg.raw("</g>");
        }
        let mut t = format!(
            "CDF “{}” of {}{}.",
            self.title,
            self.x_label,
            if self.log_x { " (log x)" } else { "" }
        );
        for ((name, v), (p50, p99)) in self.series.iter().zip(&stats) {
            let _ = write!(
                t,
                "\n  {name}: {} samples, p50 {}, p99 {}",
                v.len(),
                fmt_value(*p50),
                fmt_value(*p99)
            );
            if let (Some(a), Some(b)) = (v.first(), v.last()) {
                let _ = write!(t, ", min {}, max {}", fmt_value(*a), fmt_value(*b));
            }
        }
        Figure::from_svg(&self.title, svg.finish(), t)
    }
}

figure_methods!(Cdf, sized);

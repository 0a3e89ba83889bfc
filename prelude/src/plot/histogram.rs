//! Histograms: how a sample is distributed, with its median and 99th percentile marked.

use super::axes::{draw_frame, extent, fmt_value, max_ticks, AxisSpec, FrameOpts};
use super::figure::figure_methods;
use super::style::{color, BAD, GREY, HEIGHT, SMALL_SIZE, WIDTH};
use super::svg::{Anchor, Stroke, Svg, Text};
use super::{Figure, Num};
use crate::stats::quantile_sorted;

/// A histogram. Start with [`histogram`].
#[derive(Clone, Debug)]
pub struct Histogram {
    title: String,
    samples: Vec<f64>,
    bins: Option<usize>,
    x_label: String,
    log_y: bool,
    size: (f64, f64),
}

/// A histogram of `samples` (NaNs ignored), with dashed lines at p50 and p99.
///
/// ```
/// use faultline::plot;
/// let latencies_ms = [1.0, 1.2, 1.1, 1.3, 2.0, 9.5];
/// let fig = plot::histogram("Request latency", latencies_ms)
///     .x_label("latency (ms)")
///     .bins(10)
///     .figure();
/// assert!(fig.svg().contains("p99"));
/// ```
pub fn histogram<V: Num>(title: &str, samples: impl IntoIterator<Item = V>) -> Histogram {
    let mut samples: Vec<f64> = samples
        .into_iter()
        .map(Num::to_f64)
        .filter(|v| v.is_finite())
        .collect();
    samples.sort_by(f64::total_cmp);
    Histogram {
        title: title.to_string(),
        samples,
        bins: None,
        x_label: "value".into(),
        log_y: false,
        size: (WIDTH, HEIGHT),
    }
}

impl Histogram {
    /// The number of bins (default: from the sample size, 10–50).
    pub fn bins(mut self, n: usize) -> Self {
        self.bins = Some(n.clamp(1, 500));
        self
    }

    /// The x-axis label, with its unit.
    pub fn x_label(mut self, label: &str) -> Self {
        self.x_label = label.to_string();
        self
    }

    /// A logarithmic count axis, to see a long tail's rare values.
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }

    /// Bin edges and counts.
    fn counts(&self) -> (f64, f64, Vec<u64>) {
        let (lo, hi) = extent(self.samples.iter().copied(), false).unwrap_or((0.0, 1.0));
        let nb = self
            .bins
            .unwrap_or_else(|| ((self.samples.len() as f64).sqrt().ceil() as usize).clamp(10, 50));
        let (lo, hi) = if hi > lo {
            (lo, hi)
        } else {
            (lo - 0.5, hi + 0.5)
        };
        let width = (hi - lo) / nb as f64;
        let mut counts = vec![0u64; nb];
        for v in &self.samples {
            let i = (((v - lo) / width) as usize).min(nb - 1);
            counts[i] += 1;
        }
        (lo, width, counts)
    }

    /// Renders the chart.
    pub fn figure(&self) -> Figure {
        let (w, h) = self.size;
        let (lo, bw, counts) = self.counts();
        let hi = lo + bw * counts.len() as f64;
        let max = counts.iter().copied().max().unwrap_or(0) as f64;
        let xa = AxisSpec::numeric(
            lo,
            hi,
            false,
            &self.x_label,
            max_ticks(w - 200.0, 70.0),
            false,
        );
        let ya = if self.log_y {
            AxisSpec::numeric(0.8, max.max(1.0), true, "count (log)", 6, false)
        } else {
            AxisSpec::numeric(
                0.0,
                max.max(1.0) * 1.12,
                false,
                "count",
                max_ticks(h - 110.0, 45.0),
                false,
            )
        };
        let mut svg = Svg::new(w, h, &self.title);
        let f = draw_frame(
            &mut svg,
            &FrameOpts::new(&self.title, &xa, &ya, &[], self.size),
        );
        let fill = color(0);
        let base = if self.log_y {
            f.y.map(ya.lo)
        } else {
            f.y.map(0.0)
        };
        svg.group("series");
        for (i, c) in counts.iter().enumerate() {
            if *c == 0 {
                continue;
            }
            let a = lo + bw * i as f64;
            let (x0, x1) = (f.x.map(a), f.x.map(a + bw));
            let y = f.y.map(*c as f64);
            svg.group_titled("", &format!("{}…{}: {c}", fmt_value(a), fmt_value(a + bw)));
            svg.rect(
                x0 + 0.5,
                y,
                (x1 - x0 - 1.0).max(0.5),
                base - y,
                fill,
                0.85,
                None,
                "bar",
            );
            svg.end();
        }
        svg.end();
        let n = self.samples.len();
        let (p50, p99) = (
            quantile_sorted(&self.samples, 0.5),
            quantile_sorted(&self.samples, 0.99),
        );
        if n > 0 {
            for (q, name, col, dy) in [(p50, "p50", GREY, 0.0), (p99, "p99", BAD, 14.0)] {
                let px = f.x.map(q);
                svg.group("percentile");
                svg.line(
                    px,
                    f.top,
                    px,
                    f.bottom,
                    &Stroke::new(col, 1.5).dash("5,3"),
                    "",
                );
                let label = format!("{name} = {}", fmt_value(q));
                let right_room = f.right - px > 90.0;
                let (x, anchor) = if right_room {
                    (px + 4.0, Anchor::Start)
                } else {
                    (px - 4.0, Anchor::End)
                };
                svg.text(
                    x,
                    f.top + 12.0 + dy,
                    &label,
                    &Text::new(SMALL_SIZE).anchor(anchor).fill(col).bold(),
                );
                svg.end();
            }
        }
        let text = if n == 0 {
            format!("Histogram “{}”: no samples.", self.title)
        } else {
            format!(
                "Histogram “{}” of {} ({n} samples, {} bins): min {}, p50 {}, p99 {}, max {}.",
                self.title,
                self.x_label,
                counts.len(),
                fmt_value(self.samples[0]),
                fmt_value(p50),
                fmt_value(p99),
                fmt_value(self.samples[n - 1])
            )
        };
        Figure::from_svg(&self.title, svg.finish(), text)
    }
}

figure_methods!(Histogram, sized);

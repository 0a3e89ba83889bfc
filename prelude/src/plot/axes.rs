//! Scales, ticks, and the frame (title, grid, axes, legend) around a plot.

use super::style::{self, GREY, GRID, LABEL_SIZE, SHADE, SMALL_SIZE, TICK_SIZE, TITLE_SIZE};
use super::svg::{text_width, truncate, truncate_middle, Anchor, Stroke, Svg, Text};
pub use crate::number::fmt_value;

/// Maps data values on one axis to pixels, linearly or logarithmically.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Scale {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    /// Pixel positions of `lo` and `hi` (for a y axis p0 > p1: up is smaller y).
    pub p0: f64,
    pub p1: f64,
}

impl Scale {
    fn t(&self, v: f64) -> f64 {
        if self.log {
            let (a, b) = (self.lo.log10(), self.hi.log10());
            (v.max(f64::MIN_POSITIVE).log10() - a) / (b - a)
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }
    /// The pixel position of `v` (not clamped).
    pub fn map(&self, v: f64) -> f64 {
        self.p0 + self.t(v) * (self.p1 - self.p0)
    }
    /// The pixel position of `v`, clamped to the axis.
    pub fn map_clamped(&self, v: f64) -> f64 {
        self.p0 + self.t(v).clamp(0.0, 1.0) * (self.p1 - self.p0)
    }
    /// Whether `v` can be drawn on this axis at all (log axes cannot show values <= 0).
    pub fn drawable(&self, v: f64) -> bool {
        v.is_finite() && (!self.log || v > 0.0)
    }
}

/// A "nice" step (1, 2 or 5 × 10^k) giving at most about `max` intervals over `span`.
pub(crate) fn nice_step(span: f64, max: usize) -> f64 {
    let raw = span / max.max(1) as f64;
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Formats a tick value so that neighbouring ticks `step` apart stay distinguishable,
/// with k/M/G suffixes for large numbers.
pub(crate) fn fmt_tick(v: f64, step: f64) -> String {
    let v = if v == 0.0 { 0.0 } else { v }; // no "-0"
    let a = v.abs();
    for (div, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] {
        // Plain numbers up to 9999 (2000 ms reads better than 2k ms).
        if a >= div && (suffix != "k" || a >= 10.0 * div) {
            return format!("{}{suffix}", fmt_tick(v / div, step / div));
        }
    }
    if a < 1e-4 && a > 0.0 {
        return format!("{v:.0e}");
    }
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10() - 1e-9).ceil().max(0.0) as usize
    };
    format!("{v:.decimals$}")
}

/// One axis: its extent, scale type, label, and labelled ticks.
#[derive(Clone, Debug)]
pub(crate) struct AxisSpec {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    pub label: String,
    pub ticks: Vec<(f64, String)>,
    /// Unlabelled minor grid lines (log axes).
    pub minor: Vec<f64>,
    /// Categorical axes draw no grid line at each tick, and never rotate into a range.
    pub categorical: bool,
}

impl AxisSpec {
    /// A numeric axis covering `lo..=hi` (widened to nice round ends, unless `exact`).
    pub fn numeric(
        lo: f64,
        hi: f64,
        log: bool,
        label: &str,
        max_ticks: usize,
        exact: bool,
    ) -> Self {
        let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() {
            (lo.min(hi), lo.max(hi))
        } else {
            (0.0, 1.0)
        };
        if log {
            lo = if lo > 0.0 { lo } else { hi.max(1.0) / 10.0 };
            hi = hi.max(lo);
            if !exact {
                // Round out to 1, 2 or 5 × 10^k: no near-empty decade at either end.
                let down = |v: f64| {
                    let d = 10f64.powf(v.log10().floor());
                    [5.0, 2.0, 1.0]
                        .iter()
                        .map(|m| m * d)
                        .find(|c| *c <= v * 0.9)
                        .unwrap_or(d * 0.5)
                };
                let up = |v: f64| {
                    let d = 10f64.powf(v.log10().floor());
                    [1.0, 2.0, 5.0, 10.0]
                        .iter()
                        .map(|m| m * d)
                        .find(|c| *c >= v * 0.999999)
                        .unwrap_or(10.0 * d)
                };
                lo = down(lo);
                hi = up(hi);
            }
            if hi <= lo {
                hi = lo * 10.0;
            }
            let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
            let decades = (b - a).max(1) as usize;
            // Every decade labelled when they fit; else every 2nd or 3rd.
            let every = decades.div_ceil(max_ticks.max(2));
            let mut ticks = Vec::new();
            let mut minor = Vec::new();
            let first_in = (lo.log10() - 1e-9).ceil() as i32;
            let labelled: Vec<i32> = (first_in..=b).step_by(every.max(1)).collect();
            for k in a..=b {
                let base = 10f64.powi(k);
                if base >= lo * 0.999 && base <= hi * 1.001 && labelled.contains(&k) {
                    ticks.push((base, fmt_tick(base, base)));
                }
                for m in 2..10 {
                    let v = base * m as f64;
                    let inside = v >= lo * 0.999 && v <= hi * 1.001;
                    if inside && decades <= 3 && (m == 2 || m == 5) {
                        ticks.push((v, fmt_tick(v, base)));
                    } else if v > lo && v < hi && decades <= 6 {
                        minor.push(v);
                    }
                }
            }
            ticks.sort_by(|x, y| x.0.total_cmp(&y.0));
            return AxisSpec {
                lo,
                hi,
                log: true,
                label: label.into(),
                ticks,
                minor,
                categorical: false,
            };
        }
        if hi - lo < 1e-12 * lo.abs().max(1.0) {
            let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
            lo -= pad;
            hi += pad;
        }
        let step = nice_step(hi - lo, max_ticks);
        if !exact {
            lo = (lo / step + 1e-9).floor() * step;
            hi = (hi / step - 1e-9).ceil() * step;
        }
        let mut ticks = Vec::new();
        let mut k = (lo / step - 1e-9).ceil();
        while k * step <= hi + step * 1e-9 {
            let v = k * step;
            let v = if v.abs() < step * 1e-9 { 0.0 } else { v };
            ticks.push((v, fmt_tick(v, step)));
            k += 1.0;
        }
        AxisSpec {
            lo,
            hi,
            log: false,
            label: label.into(),
            ticks,
            minor: Vec::new(),
            categorical: false,
        }
    }

    /// An axis with one slot per name, at positions 0, 1, 2, …
    pub fn categorical(names: &[String], label: &str) -> Self {
        AxisSpec {
            lo: -0.5,
            hi: names.len().max(1) as f64 - 0.5,
            log: false,
            label: label.into(),
            ticks: names
                .iter()
                .enumerate()
                .map(|(i, s)| (i as f64, truncate_middle(s, 40)))
                .collect(),
            minor: Vec::new(),
            categorical: true,
        }
    }
}

/// How a legend entry's swatch is drawn.
#[derive(Clone, Debug)]
pub(crate) enum Swatch {
    /// A line, optionally dashed, optionally with a marker shape.
    Line {
        dash: Option<&'static str>,
        marker: Option<usize>,
    },
    /// A marker alone (scatter series).
    Marker(usize),
    /// A filled box with the given opacity.
    Box(f64),
    /// A cross (dropped messages).
    Cross,
    /// A hollow circle (timers).
    Ring,
}

#[derive(Clone, Debug)]
pub(crate) struct LegendEntry {
    pub name: String,
    pub color: String,
    pub swatch: Swatch,
}

/// Space the legend column needs, in px (0 without entries).
pub(crate) fn legend_width(entries: &[LegendEntry]) -> f64 {
    entries
        .iter()
        .map(|e| text_width(&truncate(&e.name, 32), TICK_SIZE) + 34.0)
        .fold(0.0, f64::max)
}

/// Draws a legend column with its top-left corner at (x, y).
pub(crate) fn draw_legend(svg: &mut Svg, x: f64, y: f64, entries: &[LegendEntry]) {
    svg.group("legend");
    for (i, e) in entries.iter().enumerate() {
        let cy = y + 8.0 + i as f64 * 20.0;
        draw_swatch(svg, x, cy, e);
        svg.text(
            x + 28.0,
            cy + 4.0,
            &truncate(&e.name, 32),
            &Text::new(TICK_SIZE).class("legend-label"),
        );
    }
    svg.end();
}

fn entry_width(e: &LegendEntry) -> f64 {
    28.0 + text_width(&e.name, TICK_SIZE) + 16.0
}

/// Splits the entries into rows no wider than `max_w`, in order.
pub(crate) fn legend_rows(entries: &[LegendEntry], max_w: f64) -> Vec<Vec<&LegendEntry>> {
    let mut rows: Vec<Vec<&LegendEntry>> = Vec::new();
    let mut width = 0.0;
    for e in entries {
        let ew = entry_width(e);
        match rows.last_mut() {
            Some(row) if width + ew <= max_w => {
                row.push(e);
                width += ew;
            }
            _ => {
                rows.push(vec![e]);
                width = ew;
            }
        }
    }
    rows
}

/// Draws a legend as centred rows under the title (20 px apart), for wide figures.
pub(crate) fn draw_legend_rows(svg: &mut Svg, centre_x: f64, y: f64, rows: &[Vec<&LegendEntry>]) {
    svg.group("legend");
    for (r, row) in rows.iter().enumerate() {
        let total: f64 = row.iter().map(|e| entry_width(e)).sum::<f64>() - 16.0;
        let mut cx = centre_x - total / 2.0;
        let cy = y + 20.0 * r as f64;
        for e in row {
            draw_swatch(svg, cx, cy, e);
            svg.text(
                cx + 28.0,
                cy + 4.0,
                &e.name,
                &Text::new(TICK_SIZE).class("legend-label"),
            );
            cx += entry_width(e);
        }
    }
    svg.end();
}

fn draw_swatch(svg: &mut Svg, x: f64, cy: f64, e: &LegendEntry) {
    match &e.swatch {
        Swatch::Line { dash, marker } => {
            let mut s = Stroke::new(&e.color, 2.0);
            if let Some(d) = dash {
                s = s.dash(d);
            }
            svg.line(x, cy, x + 22.0, cy, &s, "");
            if let Some(m) = marker {
                svg.marker(*m, x + 11.0, cy, 3.5, &e.color, "");
            }
        }
        Swatch::Marker(m) => svg.marker(*m, x + 11.0, cy, 4.0, &e.color, ""),
        Swatch::Box(op) => svg.rect(
            x + 2.0,
            cy - 6.0,
            18.0,
            12.0,
            &e.color,
            *op,
            Some(&Stroke::new(&e.color, 1.0)),
            "",
        ),
        Swatch::Cross => svg.cross(x + 11.0, cy, 4.5, &e.color, 2.0, ""),
        Swatch::Ring => svg.raw(&format!(
            r#"<circle cx="{}" cy="{}" r="4.2" fill="white" stroke="{}" stroke-width="1.4"/>"#,
            super::svg::n(x + 11.0),
            super::svg::n(cy),
            e.color
        )),
    }
}

/// The plot rectangle and the scales mapping data into it.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Frame {
    pub x: Scale,
    pub y: Scale,
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

/// Options for [`draw_frame`].
pub(crate) struct FrameOpts<'a> {
    pub title: &'a str,
    pub x: &'a AxisSpec,
    pub y: &'a AxisSpec,
    pub legend: &'a [LegendEntry],
    /// Extra px reserved on the right (e.g. a colour bar).
    pub extra_right: f64,
    pub width: f64,
    pub height: f64,
}

impl<'a> FrameOpts<'a> {
    pub fn new(
        title: &'a str,
        x: &'a AxisSpec,
        y: &'a AxisSpec,
        legend: &'a [LegendEntry],
        (width, height): (f64, f64),
    ) -> Self {
        FrameOpts {
            title,
            x,
            y,
            legend,
            extra_right: 0.0,
            width,
            height,
        }
    }
}

/// Draws the title, grid, axes, tick labels, axis labels and legend; returns the frame that
/// data marks are drawn into. The legend appears only for two or more entries.
pub(crate) fn draw_frame(svg: &mut Svg, o: &FrameOpts) -> Frame {
    let (w, h) = (o.width, o.height);
    let y_tick_w =
        o.y.ticks
            .iter()
            .map(|(_, s)| text_width(s, TICK_SIZE))
            .fold(0.0, f64::max);
    let left = 16.0 + if o.y.label.is_empty() { 0.0 } else { 20.0 } + y_tick_w + 10.0;
    let show_legend = o.legend.len() > 1;
    // A legend fits best as one row under the title; a column on the right when too wide.
    // Up to three rows under the title; a column on the right beyond that.
    let rows = legend_rows(o.legend, w - 40.0);
    let as_row = show_legend && rows.len() <= 3;
    let legend_w = if show_legend && !as_row {
        legend_width(o.legend) + 16.0
    } else {
        0.0
    };
    let right = w - 20.0 - legend_w - o.extra_right;
    let top = if as_row {
        78.0 + 20.0 * (rows.len() - 1) as f64
    } else {
        50.0
    };
    // x tick labels: rotate when they would collide.
    let slot = (right - left) / o.x.ticks.len().max(1) as f64;
    let x_tick_w =
        o.x.ticks
            .iter()
            .map(|(_, s)| text_width(s, TICK_SIZE))
            .fold(0.0, f64::max);
    let rotate = x_tick_w + 6.0 > slot;
    // A rotated first label hangs left of its tick: keep it inside the figure.
    let left = if rotate {
        let first_w =
            o.x.ticks
                .first()
                .map_or(0.0, |t| text_width(&t.1, TICK_SIZE));
        let offset = if o.x.categorical { slot / 2.0 } else { 0.0 };
        left.max((first_w * 0.79 - offset + 12.0).min(200.0))
    } else {
        left
    };
    let tick_band = if rotate {
        (x_tick_w * 0.62 + 12.0).min(120.0)
    } else {
        18.0
    };
    let bottom = h - 12.0 - if o.x.label.is_empty() { 0.0 } else { 20.0 } - tick_band - 6.0;
    let frame = Frame {
        x: Scale {
            lo: o.x.lo,
            hi: o.x.hi,
            log: o.x.log,
            p0: left,
            p1: right,
        },
        y: Scale {
            lo: o.y.lo,
            hi: o.y.hi,
            log: o.y.log,
            p0: bottom,
            p1: top,
        },
        left,
        top,
        right,
        bottom,
    };

    // Title, centred over the plot area.
    svg.text(
        (left + right) / 2.0,
        26.0,
        o.title,
        &Text::new(TITLE_SIZE)
            .anchor(Anchor::Middle)
            .bold()
            .class("title"),
    );

    // Grid.
    svg.group("grid");
    let grid = Stroke::new(GRID, 1.0);
    let minor = Stroke::new(GRID, 0.6).dash("2,3");
    for v in &o.y.minor {
        let py = frame.y.map(*v);
        svg.line(left, py, right, py, &minor, "");
    }
    for v in &o.x.minor {
        let px = frame.x.map(*v);
        svg.line(px, top, px, bottom, &minor, "");
    }
    if !o.y.categorical {
        for (v, _) in &o.y.ticks {
            let py = frame.y.map(*v);
            svg.line(left, py, right, py, &grid, "");
        }
    }
    if !o.x.categorical {
        for (v, _) in &o.x.ticks {
            let px = frame.x.map(*v);
            svg.line(px, top, px, bottom, &grid, "");
        }
    }
    svg.end();

    // Axes and tick labels.
    svg.group("axes");
    let axis = Stroke::new(GREY, 1.0);
    svg.line(left, bottom, right, bottom, &axis, "x-axis");
    svg.line(left, top, left, bottom, &axis, "y-axis");
    for (v, s) in &o.y.ticks {
        let py = frame.y.map(*v);
        svg.line(left - 4.0, py, left, py, &axis, "");
        svg.text(
            left - 7.0,
            py + 4.0,
            s,
            &Text::new(TICK_SIZE)
                .anchor(Anchor::End)
                .fill(GREY)
                .class("tick"),
        );
    }
    for (v, s) in &o.x.ticks {
        let px = frame.x.map(*v);
        svg.line(px, bottom, px, bottom + 4.0, &axis, "");
        let t = Text::new(TICK_SIZE).fill(GREY).class("tick");
        if rotate {
            svg.text(
                px + 3.0,
                bottom + 12.0,
                s,
                &t.anchor(Anchor::End).rotate(-38.0),
            );
        } else {
            svg.text(px, bottom + 17.0, s, &t.anchor(Anchor::Middle));
        }
    }
    if !o.x.label.is_empty() {
        svg.text(
            (left + right) / 2.0,
            h - 14.0,
            &o.x.label,
            &Text::new(LABEL_SIZE)
                .anchor(Anchor::Middle)
                .class("axis-label"),
        );
    }
    if !o.y.label.is_empty() {
        svg.text(
            20.0,
            (top + bottom) / 2.0,
            &o.y.label,
            &Text::new(LABEL_SIZE)
                .anchor(Anchor::Middle)
                .rotate(-90.0)
                .class("axis-label"),
        );
    }
    svg.end();

    if as_row {
        draw_legend_rows(svg, w / 2.0, 48.0, &rows);
    } else if show_legend {
        draw_legend(svg, right + 16.0 + o.extra_right, top, o.legend);
    }
    frame
}

/// Shades the x interval `a..b` across the plot with a label at its top (a partition, an
/// outage).
pub(crate) fn draw_shade(svg: &mut Svg, f: &Frame, a: f64, b: f64, label: &str) {
    let (pa, pb) = (f.x.map_clamped(a), f.x.map_clamped(b));
    svg.group_titled("shade", label);
    svg.rect(pa, f.top, pb - pa, f.bottom - f.top, SHADE, 0.18, None, "");
    // The label sits just above the plot, clear of the data.
    svg.text(
        (pa + pb) / 2.0,
        f.top - 5.0,
        label,
        &Text::new(SMALL_SIZE)
            .anchor(Anchor::Middle)
            .fill("#8a5a00")
            .bold()
            .halo(),
    );
    svg.end();
}

/// The unit to show a time axis spanning `span_ms` in: `(label, milliseconds per unit)`, so
/// ticks read "30 s" rather than "30k ms", or "250 µs" rather than "0.25 ms".
pub(crate) fn time_unit(span_ms: f64) -> (&'static str, f64) {
    if span_ms >= 20_000.0 {
        ("time (s)", 1_000.0)
    } else if span_ms > 0.0 && span_ms < 2.0 {
        ("time (µs)", 0.001)
    } else {
        ("time (ms)", 1.0)
    }
}

/// The extent of `vals` (finite values; positive only when `log`), or None.
pub(crate) fn extent(vals: impl IntoIterator<Item = f64>, log: bool) -> Option<(f64, f64)> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in vals {
        if v.is_finite() && (!log || v > 0.0) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    (lo <= hi).then_some((lo, hi))
}

/// Max number of ticks that fit along an axis of `px` pixels.
pub(crate) fn max_ticks(px: f64, per_tick: f64) -> usize {
    ((px / per_tick).floor() as usize).clamp(2, 10)
}

/// The default series colour (re-exported here for the figure modules).
pub(crate) fn series_color(i: usize) -> String {
    style::color(i).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_data() {
        let a = AxisSpec::numeric(0.03, 0.97, false, "", 6, false);
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        let a = AxisSpec::numeric(0.0, 47_000.0, false, "", 6, false);
        assert_eq!(a.ticks.last().unwrap().1, "50k");
        let a = AxisSpec::numeric(0.5, 150e6, true, "", 8, false);
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["1", "100", "10k", "1M", "100M"]);
        let a = AxisSpec::numeric(1.0, 80.0, true, "", 8, false);
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["0.5", "1", "2", "5", "10", "20", "50", "100"]);
    }

    #[test]
    fn values_format_to_three_figures() {
        assert_eq!(fmt_value(0.123456), "0.123");
        assert_eq!(fmt_value(12.5), "12.5");
        assert_eq!(fmt_value(1234.0), "1234");
        assert_eq!(fmt_value(150_000.0), "150k");
        assert_eq!(fmt_value(10_000_000.0), "10M");
        assert_eq!(fmt_value(1.5e8), "150M");
        assert_eq!(fmt_tick(2000.0, 2000.0), "2000");
        assert_eq!(fmt_tick(20_000.0, 10_000.0), "20k");
        assert_eq!(fmt_value(1.0), "1");
        assert_eq!(fmt_tick(0.05, 0.05), "0.05");
    }
}

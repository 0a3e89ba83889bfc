//! Heat maps: a metric over two parameters, one coloured, annotated cell per combination.

use super::axes::{draw_frame, extent, fmt_value, AxisSpec, FrameOpts};
use super::figure::figure_methods;
use super::style::{sequential, GREY, HEIGHT, SMALL_SIZE, TICK_SIZE, WIDTH};
use super::svg::{n, text_width, Anchor, Stroke, Svg, Text};
use super::{id_hash, Figure, Num};
use std::fmt::Write as _;

/// A heat map. Start with [`heatmap`].
#[derive(Clone, Debug)]
pub struct Heatmap {
    title: String,
    x_label: String,
    y_label: String,
    z_label: String,
    xs: Vec<String>,
    ys: Vec<String>,
    rows: Vec<Vec<f64>>,
    range: Option<(f64, f64)>,
    size: (f64, f64),
}

/// A heat map over two parameters. Rows of values follow the y categories (the first row is
/// drawn at the bottom, like a y axis), each row one value per x category. Colours run from dark
/// purple (low) to yellow (high) — viridis, readable in greyscale and by colour-blind readers —
/// and each cell is labelled with its value when it is large enough.
///
/// ```
/// use faultline::plot;
/// let stale = vec![vec![0.41, 0.22, 0.0], vec![0.18, 0.0, 0.0], vec![0.0, 0.0, 0.0]];
/// let fig = plot::heatmap("Stale reads, N = 3")
///     .x("W (write quorum)", [1, 2, 3])
///     .y("R (read quorum)", [1, 2, 3])
///     .values(stale)
///     .z_label("stale-read rate")
///     .figure();
/// assert_eq!(fig.svg().matches("class=\"cell\"").count(), 9);
/// ```
pub fn heatmap(title: &str) -> Heatmap {
    Heatmap {
        title: title.to_string(),
        x_label: String::new(),
        y_label: String::new(),
        z_label: "value".into(),
        xs: Vec::new(),
        ys: Vec::new(),
        rows: Vec::new(),
        range: None,
        size: (WIDTH, HEIGHT),
    }
}

impl Heatmap {
    /// The x parameter's name and its values (column labels).
    pub fn x<T: ToString>(mut self, label: &str, values: impl IntoIterator<Item = T>) -> Self {
        self.x_label = label.to_string();
        self.xs = values.into_iter().map(|v| v.to_string()).collect();
        self
    }

    /// The y parameter's name and its values (row labels, bottom to top).
    pub fn y<T: ToString>(mut self, label: &str, values: impl IntoIterator<Item = T>) -> Self {
        self.y_label = label.to_string();
        self.ys = values.into_iter().map(|v| v.to_string()).collect();
        self
    }

    /// The values: one row per y value, each with one value per x value (NaN: no data).
    pub fn values<R, V>(mut self, rows: impl IntoIterator<Item = R>) -> Self
    where
        R: IntoIterator<Item = V>,
        V: Num,
    {
        self.rows = rows
            .into_iter()
            .map(|r| r.into_iter().map(Num::to_f64).collect())
            .collect();
        self
    }

    /// What the colour means, with its unit (the colour bar's label).
    pub fn z_label(mut self, label: &str) -> Self {
        self.z_label = label.to_string();
        self
    }

    /// Fixes the colour scale (e.g. `0.0, 1.0` for rates) instead of fitting the data.
    pub fn range(mut self, lo: f64, hi: f64) -> Self {
        self.range = Some((lo, hi));
        self
    }

    /// Renders the heat map.
    pub fn figure(&self) -> Figure {
        let (w, h) = self.size;
        let ny = self.rows.len().max(self.ys.len());
        let nx = self
            .rows
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .max(self.xs.len());
        let name = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_else(|| i.to_string());
        let xs: Vec<String> = (0..nx).map(|i| name(&self.xs, i)).collect();
        let ys: Vec<String> = (0..ny).map(|i| name(&self.ys, i)).collect();
        let (zlo, zhi) = self.range.unwrap_or_else(|| {
            extent(self.rows.iter().flatten().copied(), false).unwrap_or((0.0, 1.0))
        });
        let zspan = if zhi > zlo { zhi - zlo } else { 1.0 };
        let xa = AxisSpec::categorical(&xs, &self.x_label);
        let ya = AxisSpec::categorical(&ys, &self.y_label);
        let za = AxisSpec::numeric(zlo, zlo + zspan, false, "", 5, true);
        let zlabel_w = za
            .ticks
            .iter()
            .map(|t| text_width(&t.1, TICK_SIZE))
            .fold(0.0, f64::max);
        let bar_room = 18.0 + 14.0 + zlabel_w + 8.0 + 22.0;
        let mut svg = Svg::new(w, h, &self.title);
        let opts = FrameOpts {
            extra_right: bar_room,
            ..FrameOpts::new(&self.title, &xa, &ya, &[], self.size)
        };
        let f = draw_frame(&mut svg, &opts);
        let cw = (f.right - f.left) / nx.max(1) as f64;
        let ch = (f.bottom - f.top) / ny.max(1) as f64;
        let annotate = cw >= 30.0 && ch >= 16.0;
        svg.group("cells");
        for (yi, row) in self.rows.iter().enumerate() {
            for (xi, v) in row.iter().enumerate() {
                let x0 = f.x.map(xi as f64 - 0.5);
                let y0 = f.y.map(yi as f64 + 0.5);
                let tip = format!(
                    "{} = {}, {} = {}: {}",
                    self.x_label,
                    xs[xi],
                    self.y_label,
                    ys[yi],
                    fmt_value(*v)
                );
                svg.group_titled("", &tip);
                if v.is_finite() {
                    let (fill, dark) = sequential((v - zlo) / zspan);
                    svg.rect(
                        x0,
                        y0,
                        cw,
                        ch,
                        &fill,
                        1.0,
                        Some(&Stroke::new("white", 1.0)),
                        "cell",
                    );
                    let size = (ch * 0.45).clamp(9.0, 13.0);
                    // Three significant figures, two if the cell is narrow, none if even that
                    // does not fit (the tooltip and the text keep the value).
                    let label = [fmt_value(*v), fmt_two_figures(*v)]
                        .into_iter()
                        .find(|l| text_width(l, size) + 4.0 <= cw);
                    if let (true, Some(label)) = (annotate, label) {
                        svg.text(
                            x0 + cw / 2.0,
                            y0 + ch / 2.0 + size * 0.35,
                            &label,
                            &Text::new(size).anchor(Anchor::Middle).fill(if dark {
                                "white"
                            } else {
                                "#000000"
                            }),
                        );
                    }
                } else {
                    svg.rect(
                        x0,
                        y0,
                        cw,
                        ch,
                        "#f2f2f2",
                        1.0,
                        Some(&Stroke::new("white", 1.0)),
                        "cell",
                    );
                    if annotate {
                        svg.text(
                            x0 + cw / 2.0,
                            y0 + ch / 2.0 + 4.0,
                            "n/a",
                            &Text::new(SMALL_SIZE).anchor(Anchor::Middle).fill(GREY),
                        );
                    }
                }
                svg.end();
            }
        }
        svg.end();
        // Colour bar.
        let bx = f.right + 18.0;
        let grad = format!("grad-{}", id_hash(&self.title));
        let mut stops = String::new();
        for k in 0..=8 {
            let t = k as f64 / 8.0;
            let _ = write!(
                stops,
                r#"<stop offset="{t}" stop-color="{}"/>"#,
                sequential(1.0 - t).0
            );
        }
        svg.raw(&format!(r#"<defs><linearGradient id="{grad}" x1="0" y1="0" x2="0" y2="1">{stops}</linearGradient></defs>"#));
        svg.raw(&format!(
            r#"<rect class="colorbar" x="{}" y="{}" width="14" height="{}" fill="url(#{grad})" stroke="{GREY}" stroke-width="0.5"/>"#,
            n(bx),
            n(f.top),
            n(f.bottom - f.top)
        ));
        for (v, s) in &za.ticks {
            let py = f.bottom - (v - zlo) / zspan * (f.bottom - f.top);
            svg.line(bx + 14.0, py, bx + 18.0, py, &Stroke::new(GREY, 1.0), "");
            svg.text(bx + 21.0, py + 4.0, s, &Text::new(TICK_SIZE).fill(GREY));
        }
        svg.text(
            bx + 21.0 + zlabel_w + 16.0,
            (f.top + f.bottom) / 2.0,
            &self.z_label,
            &Text::new(TICK_SIZE + 1.0)
                .anchor(Anchor::Middle)
                .rotate(-90.0)
                .class("axis-label"),
        );
        let mut t = format!(
            "Heat map “{}”: {} over {} (columns) × {} (rows), range {}…{}.",
            self.title,
            self.z_label,
            self.x_label,
            self.y_label,
            fmt_value(zlo),
            fmt_value(zlo + zspan)
        );
        for (yi, row) in self.rows.iter().enumerate().rev() {
            let cells: Vec<String> = row.iter().map(|v| fmt_value(*v)).collect();
            let _ = write!(t, "\n  {} = {}: {}", self.y_label, ys[yi], cells.join("  "));
        }
        Figure::from_svg(&self.title, svg.finish(), t)
    }
}

/// `v` to two significant figures, without trailing zeros.
fn fmt_two_figures(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || v.abs() >= 100.0 {
        return fmt_value(v);
    }
    let decimals = (1 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

figure_methods!(Heatmap, sized);

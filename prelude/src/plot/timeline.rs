//! Timelines: what state each thing was in, over time — a circuit breaker's Closed / Open /
//! HalfOpen, a node's up / down, a replica's role.

use super::axes::{
    draw_frame, draw_shade, extent, fmt_value, max_ticks, AxisSpec, FrameOpts, LegendEntry, Swatch,
};
use super::figure::figure_methods;
use super::style::{GREY, HEIGHT, PALETTE, SMALL_SIZE, WIDTH};
use super::svg::{text_width, Anchor, Svg, Text};
use super::{Figure, Num};
use std::fmt::Write as _;

/// A state timeline. Start with [`timeline`].
#[derive(Clone, Debug)]
pub struct Timeline {
    title: String,
    x_label: String,
    lanes: Vec<(String, Vec<(f64, String)>)>,
    until: Option<f64>,
    states: Vec<String>,
    shades: Vec<(f64, f64, String)>,
    size: (f64, f64),
}

/// A timeline with one lane per tracked thing; each lane is coloured by its state over time.
///
/// ```
/// use faultline::plot;
/// use faultline::time::ms;
/// let fig = plot::timeline("Circuit breaker")
///     .lane("breaker", [(ms(0), "Closed"), (ms(1200), "Open"), (ms(4200), "HalfOpen"), (ms(4300), "Closed")])
///     .until(ms(6000))
///     .figure();
/// assert_eq!(fig.svg().matches("class=\"segment\"").count(), 4);
/// ```
pub fn timeline(title: &str) -> Timeline {
    Timeline {
        title: title.to_string(),
        x_label: "time (ms)".into(),
        lanes: Vec::new(),
        until: None,
        states: Vec::new(),
        shades: Vec::new(),
        size: (WIDTH, HEIGHT),
    }
}

impl crate::run::Run {
    /// A timeline of what each node recorded under `key`, one lane per node (named as the run
    /// named it), each value shown as `state(value)`; "crashed" from a crash until the node
    /// records again. See [`Run::changes`](crate::run::Run::changes).
    pub fn state_timeline(&self, key: &str, state: impl Fn(f64) -> String) -> Timeline {
        let mut chart = timeline(key).until(self.end);
        for (node, changes) in self.changes(key) {
            let shown = changes
                .iter()
                .map(|&(t, v)| (t, v.map_or_else(|| "crashed".to_string(), &state)));
            chart = chart.lane(&self.history.name(node), shown);
        }
        chart
    }
}

/// Colours that carry meaning for common state names; other states take palette colours.
fn semantic_color(state: &str) -> Option<&'static str> {
    let s = state.to_lowercase().replace(['-', '_', ' '], "");
    let good = [
        "closed",
        "up",
        "healthy",
        "ok",
        "available",
        "alive",
        "running",
        "leader",
        "committed",
    ];
    let bad = [
        "open",
        "down",
        "crashed",
        "failed",
        "dead",
        "unavailable",
        "partitioned",
        "aborted",
    ];
    let mid = [
        "halfopen",
        "suspect",
        "suspected",
        "degraded",
        "candidate",
        "paused",
        "recovering",
        "pending",
    ];
    if good.contains(&s.as_str()) {
        Some("#009E73")
    } else if bad.contains(&s.as_str()) {
        Some("#D55E00")
    } else if mid.contains(&s.as_str()) {
        Some("#E69F00")
    } else {
        None
    }
}

impl Timeline {
    /// Adds a lane from its state changes: `(time, state)`, each state holding until the next
    /// change (times are numbers in the x unit, or [`Time`](crate::time::Time)s in ms).
    pub fn lane<T: Num, S: Into<String>>(
        mut self,
        name: &str,
        changes: impl IntoIterator<Item = (T, S)>,
    ) -> Self {
        let mut ch: Vec<(f64, String)> = changes
            .into_iter()
            .map(|(t, s)| (t.to_f64(), s.into()))
            .collect();
        ch.sort_by(|a, b| a.0.total_cmp(&b.0));
        self.lanes.push((name.to_string(), ch));
        self
    }

    /// When the last state ends (default: a little after the last change).
    pub fn until(mut self, t: impl Num) -> Self {
        self.until = Some(t.to_f64());
        self
    }

    /// Fixes the legend order of the states (and so their colours).
    pub fn states<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.states = names.into_iter().map(Into::into).collect();
        self
    }

    /// The x-axis label (default `"time (ms)"`).
    pub fn x_label(mut self, label: &str) -> Self {
        self.x_label = label.to_string();
        self
    }

    /// Shades the interval `from..to` across all lanes, with a label.
    pub fn shade(mut self, from: impl Num, to: impl Num, label: &str) -> Self {
        self.shades
            .push((from.to_f64(), to.to_f64(), label.to_string()));
        self
    }

    fn state_colors(&self) -> Vec<(String, String)> {
        let mut order = self.states.clone();
        for (_, ch) in &self.lanes {
            for (_, s) in ch {
                if !order.contains(s) {
                    order.push(s.clone());
                }
            }
        }
        let mut used: Vec<&str> = order.iter().filter_map(|s| semantic_color(s)).collect();
        let mut out = Vec::new();
        for s in order {
            let c = match semantic_color(&s) {
                Some(c) => c,
                None => {
                    let c = PALETTE
                        .iter()
                        .copied()
                        .find(|c| !used.contains(c))
                        .unwrap_or(GREY);
                    used.push(c);
                    c
                }
            };
            out.push((s, c.to_string()));
        }
        out
    }

    /// Renders the timeline.
    pub fn figure(&self) -> Figure {
        let (w, h) = self.size;
        let times = self.lanes.iter().flat_map(|l| l.1.iter().map(|c| c.0));
        let (t0, tlast) = extent(
            times.chain(self.shades.iter().flat_map(|s| [s.0, s.1])),
            false,
        )
        .unwrap_or((0.0, 1.0));
        let end = self
            .until
            .unwrap_or(tlast + (tlast - t0).max(1.0) * 0.08)
            .max(tlast);
        let xa = AxisSpec::numeric(
            t0,
            end,
            false,
            &self.x_label,
            max_ticks(w - 250.0, 70.0),
            true,
        );
        let names: Vec<String> = self.lanes.iter().rev().map(|l| l.0.clone()).collect();
        let ya = AxisSpec::categorical(&names, "");
        let colors = self.state_colors();
        // States sharing a colour (e.g. "Closed" and "up") share a legend entry.
        let mut legend: Vec<LegendEntry> = Vec::new();
        for (s, c) in &colors {
            match legend.iter_mut().find(|e| &e.color == c) {
                Some(e) => {
                    e.name.push_str(" / ");
                    e.name.push_str(s);
                }
                None => legend.push(LegendEntry {
                    name: s.clone(),
                    color: c.clone(),
                    swatch: Swatch::Box(1.0),
                }),
            }
        }
        let color_of = |s: &str| {
            colors
                .iter()
                .find(|c| c.0 == s)
                .map(|c| c.1.as_str())
                .unwrap_or(GREY)
        };
        let mut svg = Svg::new(w, h, &self.title);
        let f = draw_frame(
            &mut svg,
            &FrameOpts::new(&self.title, &xa, &ya, &legend, self.size),
        );
        for (a, b, label) in &self.shades {
            draw_shade(&mut svg, &f, *a, *b, label);
        }
        let nl = self.lanes.len().max(1);
        let lane_h = ((f.bottom - f.top) / nl as f64 * 0.6).min(44.0);
        let mut text = format!("Timeline “{}” ({}):", self.title, self.x_label);
        for (li, (name, ch)) in self.lanes.iter().enumerate() {
            let cy = f.y.map((nl - 1 - li) as f64);
            svg.raw(&format!(
                r#"<g class="lane" data-name="{}">"#,
                super::svg::esc(name)
            ));
            let _ = write!(text, "\n  {name}:");
            for (k, (t, state)) in ch.iter().enumerate() {
                let next = ch.get(k + 1).map(|c| c.0).unwrap_or(end);
                let (x0, x1) = (f.x.map_clamped(*t), f.x.map_clamped(next));
                let col = color_of(state);
                svg.group_titled(
                    "",
                    &format!(
                        "{name}: {state} from {} to {}",
                        fmt_value(*t),
                        fmt_value(next)
                    ),
                );
                svg.rect(
                    x0,
                    cy - lane_h / 2.0,
                    (x1 - x0).max(1.0),
                    lane_h,
                    col,
                    0.9,
                    None,
                    "segment",
                );
                if text_width(state, SMALL_SIZE + 1.0) + 8.0 < x1 - x0 {
                    let fill = if col == "#F0E442" || col == "#E69F00" || col == "#56B4E9" {
                        "#000000"
                    } else {
                        "white"
                    };
                    svg.text(
                        (x0 + x1) / 2.0,
                        cy + 4.0,
                        state,
                        &Text::new(SMALL_SIZE + 1.0)
                            .anchor(Anchor::Middle)
                            .fill(fill),
                    );
                }
                svg.end();
                let _ = write!(text, " {} {state},", fmt_value(*t));
            }
            text.pop();
            let _ = write!(text, " (until {})", fmt_value(end));
            svg.raw("</g>");
        }
        Figure::from_svg(&self.title, svg.finish(), text)
    }
}

figure_methods!(Timeline, sized);

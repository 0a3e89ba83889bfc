//! History diagrams: every client operation as a bar from invocation to completion, one lane per
//! client, coloured by what the client was told — the picture linearizability is argued on.

use super::axes::{
    draw_frame, fmt_value, max_ticks, time_unit, AxisSpec, FrameOpts, LegendEntry, Swatch,
};
use super::figure::figure_methods;
use super::style::{HEIGHT, SMALL_SIZE, WIDTH};
use super::svg::{text_width, truncate, Anchor, Stroke, Svg, Text};
use super::Figure;
use crate::check::Violation;
use crate::history::{History, Op, OpId, OpKind, Outcome};
use crate::time::Time;
use crate::trace::{NodeId, Trace};
use std::fmt::Write as _;

const OK: &str = "#009E73";
const FAIL: &str = "#D55E00";
const UNKNOWN: &str = "#E69F00";

/// A history diagram builder. Start with [`history`] or [`History::diagram`].
#[derive(Clone, Debug)]
pub struct HistoryChart {
    history: History,
    max_ops: usize,
    names: Vec<(NodeId, String)>,
    title: String,
    size: (f64, f64),
    window: Option<(Time, Time)>,
    highlight: Vec<OpId>,
}

/// The diagram of a client history: a lane per client, a bar per operation from invocation to
/// completion, green for `Ok`, red for `Fail`, orange for unknown (timed out or still pending
/// — drawn open-ended). Bars are labelled `write 1`, `read → 1`, `cas 1→3`.
///
/// ```
/// use faultline::history::{History, OpKind, Outcome};
/// use faultline::plot;
/// use faultline::time::ms;
/// let mut h = History::default();
/// let w = h.invoke(0, OpKind::Write { key: 1, value: 5 }, ms(1));
/// let r = h.invoke(1, OpKind::Read { key: 1 }, ms(2));
/// h.complete(w, Outcome::Ok(None), ms(6));
/// h.complete(r, Outcome::Ok(Some(5)), ms(4));
/// let fig = plot::history(&h).figure();
/// assert_eq!(fig.svg().matches("class=\"op ok\"").count(), 2);
/// ```
pub fn history(h: &History) -> HistoryChart {
    HistoryChart {
        history: h.clone(),
        max_ops: 300,
        names: Vec::new(),
        title: "Client operations".into(),
        size: (WIDTH, HEIGHT),
        window: None,
        highlight: Vec::new(),
    }
}

impl History {
    /// This history's diagram; see [`plot::history`](crate::plot::history).
    pub fn diagram(&self) -> HistoryChart {
        history(self)
    }

    /// Shows the history inline as its diagram, with the operations listed as the text fallback.
    pub fn evcxr_display(&self) {
        self.diagram().evcxr_display()
    }
}

impl crate::display::Rich for History {
    fn mime_bundle(&self) -> crate::display::MimeBundle {
        self.diagram().figure().mime_bundle()
    }
}

/// What an operation did, in a few words: `write 1`, `read → 1`, `cas 1→3` (with `k2 ` before
/// the value when the history touches several keys).
fn op_label(op: &Op, multi_key: bool) -> String {
    let seen = match &op.outcome {
        Outcome::Ok(Some(v)) => v.to_string(),
        Outcome::Ok(None) => "∅".into(),
        _ => "?".into(),
    };
    let k = |key: &u64| {
        if multi_key {
            format!("k{key} ")
        } else {
            String::new()
        }
    };
    match &op.kind {
        OpKind::Read { key } => format!("read {}→ {seen}", k(key)),
        OpKind::Write { key, value } => format!("write {}{value}", k(key)),
        OpKind::Cas { key, expected, new } => format!("cas {}{expected}→{new}", k(key)),
        OpKind::Other(name) => name.clone(),
    }
}

impl HistoryChart {
    /// Draws at most the first `n` operations (default 300); the text says how many were left
    /// out.
    pub fn max_ops(mut self, n: usize) -> Self {
        self.max_ops = n.max(1);
        self
    }

    /// Names the lanes after the trace's node names (by default they are the run's names, as
    /// the history recorded them, or `c0`, `c1`, … for a history built by hand).
    pub fn names_from(mut self, trace: &Trace) -> Self {
        self.names = trace.nodes.iter().map(|n| (n.id, n.name.clone())).collect();
        self
    }

    /// Draws only the operations that overlap `from`..`to` (to read a long history).
    pub fn window(mut self, from: Time, to: Time) -> Self {
        self.window = Some((from, to.max(from)));
        self
    }

    /// Outlines these operations and fades the others (e.g. the ones a checker names).
    pub fn highlight(mut self, ops: impl IntoIterator<Item = OpId>) -> Self {
        self.highlight.extend(ops);
        self
    }

    /// Zooms to the operations a linearizability violation names and highlights them.
    pub fn violation(self, v: &Violation) -> Self {
        let from = v.ops.iter().map(|o| o.invoked).min().unwrap_or(Time::ZERO);
        let to = v
            .ops
            .iter()
            .map(|o| o.completed.unwrap_or(o.invoked))
            .max()
            .unwrap_or(from);
        let pad = Time((to - from).as_us() / 10);
        self.window(Time(from.as_us().saturating_sub(pad.as_us())), to + pad)
            .highlight(v.ops.iter().map(|o| o.id))
    }

    /// The operations drawn: those overlapping the window, at most `max_ops`.
    fn visible(&self) -> (Vec<&Op>, usize) {
        let in_window = |o: &&Op| match self.window {
            Some((from, to)) => o.invoked <= to && o.completed.is_none_or(|c| c >= from),
            None => true,
        };
        let candidates: Vec<&Op> = self.history.ops.iter().filter(in_window).collect();
        let total = candidates.len();
        (candidates.into_iter().take(self.max_ops).collect(), total)
    }

    /// Renders the diagram.
    pub fn figure(&self) -> Figure {
        let (w, h) = self.size;
        let (ops, total) = self.visible();
        let mut clients: Vec<NodeId> = ops.iter().map(|o| o.client).collect();
        clients.sort_unstable();
        clients.dedup();
        let name = |c: NodeId| {
            self.names
                .iter()
                .find(|n| n.0 == c)
                .map(|n| n.1.clone())
                .unwrap_or_else(|| self.history.name(c))
        };
        let last = ops
            .iter()
            .map(|o| o.completed.unwrap_or(o.invoked))
            .max()
            .unwrap_or(Time::ZERO);
        let first = ops.iter().map(|o| o.invoked).min().unwrap_or(Time::ZERO);
        let span = (last - first).as_ms().max(1.0);
        // Start the axis at zero unless the history begins late in the run.
        let first = if first.as_ms() <= span * 0.5 {
            Time::ZERO
        } else {
            first
        };
        let (first, last) = self.window.unwrap_or((first, last));
        let mut keys: Vec<u64> = ops.iter().filter_map(|o| o.kind.key()).collect();
        keys.sort_unstable();
        keys.dedup();
        let multi_key = keys.len() > 1;
        // Pending operations run past the last completion, open-ended.
        let end = last.as_ms() + span * 0.06;
        let (unit, per_unit) = time_unit(end - first.as_ms());
        let xa = AxisSpec::numeric(
            first.as_ms() / per_unit,
            end / per_unit,
            false,
            unit,
            max_ticks(w - 250.0, 70.0),
            true,
        );
        let names: Vec<String> = clients.iter().rev().map(|c| name(*c)).collect();
        let ya = AxisSpec::categorical(&names, "");
        let legend = [("ok", OK), ("failed", FAIL), ("unknown / pending", UNKNOWN)]
            .iter()
            .map(|(n, c)| LegendEntry {
                name: n.to_string(),
                color: c.to_string(),
                swatch: Swatch::Box(0.85),
            })
            .collect::<Vec<_>>();
        let mut svg = Svg::new(w, h, &self.title);
        let f = draw_frame(
            &mut svg,
            &FrameOpts::new(&self.title, &xa, &ya, &legend, self.size),
        );
        let nl = clients.len().max(1);
        let bar_h = ((f.bottom - f.top) / nl as f64 * 0.45).clamp(8.0, 26.0);
        let (mut ok, mut failed, mut unknown) = (0, 0, 0);
        // Where the last label written above each lane ends: later ones that would overlap it
        // are left out (the tooltip and the text listing still name every operation).
        let mut label_end = vec![f64::NEG_INFINITY; nl];
        for &op in &ops {
            let lane = clients.iter().position(|c| *c == op.client).unwrap_or(0);
            let cy = f.y.map((nl - 1 - lane) as f64);
            let x0 = f.x.map_clamped(op.invoked.as_ms() / per_unit);
            let x1 = op
                .completed
                .map(|t| f.x.map_clamped(t.as_ms() / per_unit))
                .unwrap_or(f.right);
            let (class, color) = match op.outcome {
                Outcome::Ok(_) => {
                    ok += 1;
                    ("op ok", OK)
                }
                Outcome::Fail => {
                    failed += 1;
                    ("op fail", FAIL)
                }
                Outcome::Unknown => {
                    unknown += 1;
                    ("op unknown", UNKNOWN)
                }
            };
            let label = op_label(op, multi_key);
            let marked = self.highlight.contains(&op.id);
            let faded = !self.highlight.is_empty() && !marked;
            svg.group_titled(
                if marked { "highlight" } else { "" },
                &self.history.describe(op),
            );
            let stroke = if marked {
                Stroke::new("#000000", 2.4)
            } else {
                Stroke::new(color, 1.2)
            };
            let stroke = if op.completed.is_none() {
                stroke.dash("4,3")
            } else {
                stroke
            };
            svg.rect(
                x0,
                cy - bar_h / 2.0,
                (x1 - x0).max(2.0),
                bar_h,
                color,
                if faded { 0.25 } else { 0.75 },
                Some(&stroke),
                class,
            );
            let s = truncate(&label, 16);
            let inside = text_width(&s, SMALL_SIZE) + 6.0 < x1 - x0 && bar_h >= 12.0;
            let t = Text::new(SMALL_SIZE).class("op-label");
            if inside {
                svg.text(
                    (x0 + x1) / 2.0,
                    cy + 3.5,
                    &s,
                    &t.anchor(Anchor::Middle).fill(if color == UNKNOWN {
                        "#000000"
                    } else {
                        "white"
                    }),
                );
            } else if x0 > label_end[lane] + 4.0 {
                label_end[lane] = x0 + text_width(&s, SMALL_SIZE);
                svg.text(x0, cy - bar_h / 2.0 - 3.0, &s, &t.halo());
            }
            svg.end();
        }
        let mut text = format!(
            "{}: {} operations by {} clients: {ok} ok, {failed} failed, {unknown} unknown; {}…{} ms.",
            self.title,
            ops.len(),
            clients.len(),
            fmt_value(first.as_ms()),
            fmt_value(last.as_ms())
        );
        if ops.len() < total {
            let _ = write!(text, " First {} of {total} operations drawn.", ops.len());
        }
        for op in ops.iter().take(30) {
            let mark = if self.highlight.contains(&op.id) {
                "→ "
            } else {
                ""
            };
            let _ = write!(text, "\n  {mark}{}", self.history.describe(op));
        }
        if ops.len() > 30 {
            let _ = write!(text, "\n  … {} more", ops.len() - 30);
        }
        Figure::from_svg(&self.title, svg.finish(), text)
    }
}

figure_methods!(HistoryChart, sized);

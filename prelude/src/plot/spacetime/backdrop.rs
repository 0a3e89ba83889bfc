//! The drawing passes under the messages: title, legend, time axis, outage bands, node lines.

use super::frame::Frame;
use super::{CRASHED, DELIVERED, DUPLICATE, IN_FLIGHT, MARK, PAUSED};
use crate::plot::axes::{
    draw_legend_rows, fmt_value, legend_rows, max_ticks, AxisSpec, LegendEntry, Swatch,
};
use crate::plot::style::{BAD, GREY, GRID, LABEL_SIZE, SHADE, SMALL_SIZE, TICK_SIZE, TITLE_SIZE};
use crate::plot::svg::{text_width, truncate, Anchor, Stroke, Svg, Text};
use crate::time::Time;
use crate::trace::{EventKind, Fate, MsgRecord, NodeId, Role};

pub(super) fn title(svg: &mut Svg, f: &Frame, title: &str) {
    let t = Text::new(TITLE_SIZE)
        .anchor(Anchor::Middle)
        .bold()
        .class("title");
    svg.text((f.left + f.right) / 2.0, 26.0, title, &t);
}

/// The legend lists only the marks that occur in the drawn window.
pub(super) fn legend(svg: &mut Svg, f: &Frame) {
    let entries = legend_entries(f);
    let rows = legend_rows(&entries, f.w - 40.0);
    draw_legend_rows(svg, f.w / 2.0, 50.0, &rows);
}

fn legend_entries(f: &Frame) -> Vec<LegendEntry> {
    let has = |p: &dyn Fn(&MsgRecord) -> bool| f.msgs.iter().any(|m| p(m));
    let line = |dash| Swatch::Line { dash, marker: None };
    let out = &f.outages;
    let marks = [
        (
            has(&|m| m.duplicate_of.is_none() && matches!(m.fate, Fate::Delivered(_))),
            "delivered",
            DELIVERED,
            line(None),
        ),
        (
            has(&|m| m.duplicate_of.is_some()),
            "duplicate",
            DUPLICATE,
            line(Some("5,3")),
        ),
        (
            has(&|m| matches!(m.fate, Fate::Dropped(..))),
            "dropped",
            BAD,
            Swatch::Cross,
        ),
        (
            has(&|m| m.fate == Fate::InFlight),
            "in flight",
            IN_FLIGHT,
            line(Some("2,3")),
        ),
        (
            f.tr.events
                .iter()
                .any(|e| matches!(e.kind, EventKind::Timer { .. }) && f.in_window(e.at)),
            "timer",
            "#000000",
            Swatch::Ring,
        ),
        (
            !out.partitions.is_empty(),
            "partition",
            SHADE,
            Swatch::Box(0.25),
        ),
        (
            out.crashes
                .iter()
                .flatten()
                .any(|(a, b)| f.overlaps(*a, *b)),
            "crashed",
            CRASHED,
            Swatch::Box(0.35),
        ),
        (!out.pauses.is_empty(), "paused", PAUSED, Swatch::Box(0.3)),
    ];
    marks
        .into_iter()
        .filter(|(occurs, ..)| *occurs)
        .map(|(_, name, color, swatch)| LegendEntry {
            name: name.into(),
            color: color.into(),
            swatch,
        })
        .collect()
}

/// "first 120 of 300 messages" in the corner, when the cap left messages out.
pub(super) fn truncation_note(svg: &mut Svg, f: &Frame) {
    if !f.truncated() {
        return;
    }
    let note = format!("first {} of {} messages", f.msgs.len(), f.total_in_window);
    let t = Text::new(SMALL_SIZE)
        .anchor(Anchor::End)
        .fill(GREY)
        .italic()
        .class("note");
    svg.text(f.right, f.h - 12.0, &note, &t);
}

/// Vertical grid lines at the ticks, and the time axis under the node lines.
pub(super) fn time_axis(svg: &mut Svg, f: &Frame) {
    let (lo, hi) = (f.t0.as_ms() / f.per_unit, f.t1.as_ms() / f.per_unit);
    let ticks = max_ticks(f.right - f.left, 80.0);
    let xa = AxisSpec::numeric(lo, hi, false, f.unit, ticks, true);
    svg.group("grid");
    for (v, _) in &xa.ticks {
        let px = f.xs.map(*v);
        let grid = Stroke::new(GRID, 1.0);
        svg.line(px, f.top - 18.0, px, f.bottom + 18.0, &grid, "");
    }
    svg.end();
    svg.group("axes");
    let ay = f.bottom + 26.0;
    let axis = Stroke::new(GREY, 1.0);
    svg.line(f.left, ay, f.right, ay, &axis, "x-axis");
    for (v, s) in &xa.ticks {
        let px = f.xs.map(*v);
        svg.line(px, ay, px, ay + 4.0, &axis, "");
        let t = Text::new(TICK_SIZE)
            .anchor(Anchor::Middle)
            .fill(GREY)
            .class("tick");
        svg.text(px, ay + 17.0, s, &t);
    }
    let t = Text::new(LABEL_SIZE)
        .anchor(Anchor::Middle)
        .class("axis-label");
    svg.text((f.left + f.right) / 2.0, f.h - 12.0, f.unit, &t);
    svg.end();
}

/// The moment a player stands at: a dashed line across the nodes and, with a node, a ring on
/// its line. Nothing outside the window.
pub(super) fn step_mark(svg: &mut Svg, f: &Frame, (at, node): (Time, Option<NodeId>)) {
    if !f.in_window(at) {
        return;
    }
    svg.group("step-mark");
    let stroke = Stroke::new(MARK, 2.0).dash("4,3");
    svg.line(f.x(at), f.top - 18.0, f.x(at), f.bottom + 18.0, &stroke, "");
    if let Some(node) = node {
        svg.marker(0, f.x(at), f.y(node), 7.0, MARK, "");
    }
    svg.end();
}

/// Partitions: bands across every node, labelled with the groups they split.
pub(super) fn partitions(svg: &mut Svg, f: &Frame) {
    for (a, b, cut) in &f.outages.partitions {
        let (pa, pb) = (f.x(*a), f.x(*b));
        let label = super::summary::partition_label(f.tr, cut);
        let (from, to) = (fmt_value(a.as_ms()), fmt_value(b.as_ms()));
        svg.group_titled("partition", &format!("{label}, {from}–{to} ms"));
        let (y, h) = (f.top - 22.0, f.lanes_h() + 44.0);
        svg.rect(
            pa,
            y,
            (pb - pa).max(2.0),
            h,
            SHADE,
            0.18,
            None,
            "partition-band",
        );
        let fits = text_width(&label, SMALL_SIZE) < (pb - pa) + 100.0;
        let shown = if fits { label.as_str() } else { "partition" };
        let t = Text::new(SMALL_SIZE)
            .anchor(Anchor::Middle)
            .fill("#8a5a00")
            .bold();
        svg.text((pa + pb) / 2.0, f.top - 26.0, shown, &t);
        svg.end();
    }
}

/// Crash and pause intervals, as bands on each node's line.
pub(super) fn downtime(svg: &mut Svg, f: &Frame) {
    for (node, intervals) in f.outages.crashes.iter().enumerate() {
        for (a, b) in intervals.iter().filter(|(a, b)| f.overlaps(*a, *b)) {
            let who = &f.tr.nodes[node].name;
            let band = Band {
                class: "crash",
                tooltip: format!("{who} crashed {}–{} ms", ms(a), ms(b)),
                color: CRASHED,
                opacity: 0.35,
                half_height: 12.0,
                word: "crashed",
                word_color: CRASHED,
            };
            band.draw(svg, f.x(*a), f.x(*b), f.y(node));
        }
    }
    for (node, a, b) in &f.outages.pauses {
        let band = Band {
            class: "pause",
            tooltip: format!("{} paused {}–{} ms", f.name(*node), ms(a), ms(b)),
            color: PAUSED,
            opacity: 0.3,
            half_height: 10.0,
            word: "paused",
            word_color: "#2b6f94",
        };
        band.draw(svg, f.x(*a), f.x(*b), f.y(*node));
    }
}

/// A time in ms as the diagram writes it.
pub(super) fn ms(t: &Time) -> String {
    fmt_value(t.as_ms())
}

/// A shaded interval on one node's line, with a word under it.
struct Band<'a> {
    class: &'a str,
    tooltip: String,
    color: &'a str,
    opacity: f64,
    half_height: f64,
    word: &'a str,
    word_color: &'a str,
}

impl Band<'_> {
    fn draw(&self, svg: &mut Svg, pa: f64, pb: f64, py: f64) {
        svg.group_titled(self.class, &self.tooltip);
        let (y, h) = (py - self.half_height, 2.0 * self.half_height);
        let class = format!("{}-band", self.class);
        svg.rect(
            pa,
            y,
            (pb - pa).max(2.0),
            h,
            self.color,
            self.opacity,
            None,
            &class,
        );
        let t = Text::new(SMALL_SIZE).fill(self.word_color).italic();
        svg.text(pa + 4.0, py + 24.0, self.word, &t);
        svg.end();
    }
}

/// One line per node, named on the left; clients in grey italics.
pub(super) fn node_lines(svg: &mut Svg, f: &Frame) {
    svg.group("nodes");
    for nd in &f.tr.nodes {
        let py = f.y(nd.id);
        let client = nd.role == Role::Client;
        let line = Stroke::new(if client { GREY } else { "#222222" }, 1.6);
        svg.line(f.left, py, f.right, py, &line, "node-line");
        let t = Text::new(LABEL_SIZE).anchor(Anchor::End).class("node-name");
        let t = if client {
            t.italic().fill(GREY)
        } else {
            t.bold()
        };
        svg.text(f.left - 10.0, py + 4.5, &truncate(&nd.name, 16), &t);
    }
    svg.end();
}

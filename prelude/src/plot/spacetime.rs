//! Space-time (Lamport) diagrams of one run: a line per node, time flowing right, every message
//! an arrow from its send to its delivery.
//!
//! What each mark means (the figure carries the same legend):
//! - solid blue arrow: a delivered message; dashed purple: a copy made by the duplication fault;
//! - red line ending in ×: a dropped message (× on the receiver's line: it was crashed; between
//!   the lines: lost or cut by a partition); dotted grey: still in flight when the run stopped;
//! - orange band across all nodes: a partition (which groups it split is written on it);
//! - grey band on a node's line: the node was crashed (or paused);
//! - hollow circle: a timer fired; small text above a line: a `Log` event's text (what a node
//!   chose to log); with [`SpaceTime::clocks`], each event's local clock reading below the line;
//! - purple numbers: with [`SpaceTime::lamport`] or [`SpaceTime::vector_clocks`], the logical
//!   timestamp of every send and receive, computed from the trace itself.

use super::axes::{fmt_value, max_ticks, time_unit, AxisSpec, LegendEntry, Scale, Swatch};
use super::figure::figure_methods;
use super::style::{BAD, GREY, GRID, LABEL_SIZE, SHADE, SMALL_SIZE, TICK_SIZE, TITLE_SIZE, WIDTH};
use super::svg::{n, text_width, truncate, Anchor, Stroke, Svg, Text};
use super::{id_hash, Figure};
use crate::time::Time;
use crate::trace::{DropReason, EventKind, Fate, NodeId, Role, Trace};
use std::fmt::Write as _;

const DELIVERED: &str = "#0072B2";
const DUPLICATE: &str = "#CC79A7";
const IN_FLIGHT: &str = "#888888";
const CRASHED: &str = "#777777";
const PAUSED: &str = "#56B4E9";
const STAMP: &str = "#5e3c99";
const MARK: &str = "#009E73";

/// A space-time diagram builder. Start with [`spacetime`] or [`Trace::diagram`].
#[derive(Clone, Debug)]
pub struct SpaceTime {
    trace: Trace,
    title: String,
    window: Option<(Time, Time)>,
    clocks: bool,
    stamps: Option<Stamps>,
    labels: Option<bool>,
    max_messages: usize,
    width: f64,
    mark: Option<(Time, Option<NodeId>)>,
}

/// The space-time diagram of a traced run.
///
/// ```
/// use faultline::plot;
/// use faultline::time::ms;
/// use faultline::trace::{Fate, MsgRecord, NodeInfo, Role, Trace};
/// let node = |id, name: &str| NodeInfo { id, name: name.into(), role: Role::Server };
/// let msg = |id, from, to, sent, fate| MsgRecord {
///     id, from, to, label: "Ping".into(), sent_at: ms(sent), fate, duplicate_of: None,
/// };
/// let trace = Trace {
///     nodes: vec![node(0, "a"), node(1, "b")],
///     messages: vec![msg(0, 0, 1, 1, Fate::Delivered(ms(3))), msg(1, 1, 0, 4, Fate::Delivered(ms(6)))],
///     events: vec![],
///     end: ms(8),
/// };
/// let fig = plot::spacetime(&trace).figure();
/// assert_eq!(fig.svg().matches("class=\"msg delivered\"").count(), 2);
/// ```
pub fn spacetime(trace: &Trace) -> SpaceTime {
    SpaceTime {
        trace: trace.clone(),
        title: "Space-time diagram".into(),
        window: None,
        clocks: false,
        stamps: None,
        labels: None,
        max_messages: 120,
        width: WIDTH,
        mark: None,
    }
}

impl Trace {
    /// This run's space-time diagram; see [`plot::spacetime`](crate::plot::spacetime).
    pub fn diagram(&self) -> SpaceTime {
        spacetime(self)
    }

    /// Shows the trace inline as its space-time diagram, with the text listing as fallback.
    pub fn evcxr_display(&self) {
        self.diagram().evcxr_display()
    }
}

impl crate::display::Rich for Trace {
    fn mime_bundle(&self) -> crate::display::MimeBundle {
        self.diagram().figure().mime_bundle()
    }
}

impl SpaceTime {
    /// The title (default "Space-time diagram").
    pub fn title(mut self, title: &str) -> Self {
        self.title = title.to_string();
        self
    }

    /// Draws only what happens between `from` and `to` (to zoom into a busy run).
    pub fn window(mut self, from: Time, to: Time) -> Self {
        self.window = Some((from, to.max(from)));
        self
    }

    /// Writes each event's local clock reading (in ms) under its node's line, to compare
    /// drifting clocks with true time.
    pub fn clocks(mut self) -> Self {
        self.clocks = true;
        self
    }

    /// Writes the Lamport timestamp of every send and receive next to it, computed from the
    /// trace: a send ticks the sender's clock and carries it; a receive sets the receiver's
    /// clock to one more than the larger of its own and the message's.
    pub fn lamport(mut self) -> Self {
        self.stamps = Some(Stamps::Lamport);
        self
    }

    /// Writes the vector timestamp (`[n0, n1, …]`) of every send and receive next to it,
    /// computed from the trace: a send ticks the sender's entry; a receive takes the
    /// element-wise maximum with the message's vector, then ticks the receiver's entry. Two
    /// events are concurrent exactly when neither vector is ≤ the other.
    pub fn vector_clocks(mut self) -> Self {
        self.stamps = Some(Stamps::Vector);
        self
    }

    /// Writes each message's label next to its arrow (default: when at most 40 messages).
    pub fn labels(mut self, on: bool) -> Self {
        self.labels = Some(on);
        self
    }

    /// Draws at most `n` messages (default 120, beyond which a diagram stops being readable):
    /// the first `n`, with the time axis ending where the first message left out was sent. The
    /// figure and its text say how many were left out.
    pub fn max_messages(mut self, n: usize) -> Self {
        self.max_messages = n;
        self
    }

    /// Figure width in px (default 720; the height follows the number of nodes).
    pub fn width(mut self, px: u32) -> Self {
        self.width = px.max(300) as f64;
        self
    }

    /// Marks one moment: a line across the diagram at `at` and, with a `node`, a ring on its
    /// line — the step a player stands at ([`Trace::step_through`]).
    pub fn mark(mut self, at: Time, node: Option<NodeId>) -> Self {
        self.mark = Some((at, node));
        self
    }

    /// Renders the diagram.
    pub fn figure(&self) -> Figure {
        let tr = &self.trace;
        let last_event = tr
            .messages
            .iter()
            .map(|m| match m.fate {
                Fate::Delivered(t) | Fate::Dropped(t, _) => t.max(m.sent_at),
                Fate::InFlight => m.sent_at,
            })
            .chain(tr.events.iter().map(|e| e.at))
            .max()
            .unwrap_or(Time::ZERO);
        let run_end = tr.end.max(last_event);
        // Without a window the axis ends shortly after the last thing that happened: a run
        // that idles on to a time limit should not squeeze its activity into the left edge.
        // It also starts shortly before the first thing, when nothing happens for the first
        // third of the run, and always leaves a little room after the last.
        let first_event = tr
            .messages
            .iter()
            .map(|m| m.sent_at)
            .chain(tr.events.iter().map(|e| e.at))
            .min()
            .unwrap_or(Time::ZERO);
        let pad = Time(((last_event - first_event).as_us() / 20).max(1));
        let busy_end = if tr.end.as_us() > last_event.as_us() * 5 / 4 {
            last_event + pad
        } else {
            run_end.max(last_event + pad)
        };
        let busy_start = if first_event.as_us() * 3 > busy_end.as_us() {
            first_event - pad
        } else {
            Time::ZERO
        };
        let (t0, mut t1) = self.window.unwrap_or((busy_start, busy_end));
        if t1 <= t0 {
            t1 = t0 + Time(1_000);
        }
        let overlaps_window = |m: &&crate::trace::MsgRecord, t1: Time| {
            let end = match m.fate {
                Fate::Delivered(t) | Fate::Dropped(t, _) => t,
                Fate::InFlight => run_end,
            };
            m.sent_at <= t1 && end >= t0
        };
        let mut msgs: Vec<_> = tr
            .messages
            .iter()
            .filter(|m| overlaps_window(m, t1))
            .collect();
        // Too many messages to read: draw the first ones, and end the time axis where the
        // first message left out was sent, so what is drawn is complete.
        let total_in_window = msgs.len();
        if msgs.len() > self.max_messages && self.max_messages > 0 {
            let cut = msgs[self.max_messages].sent_at;
            if cut > t0 {
                t1 = cut;
            }
            msgs.truncate(self.max_messages);
        }
        let truncated = msgs.len() < total_in_window;
        let in_window = |t: Time| t >= t0 && t <= t1;
        let msgs = &msgs[..];
        let labels = self.labels.unwrap_or(msgs.len() <= 40);

        // Layout.
        let nn = tr.nodes.len().max(1);
        let w = self.width;
        let name_w = tr
            .nodes
            .iter()
            .map(|nd| {
                text_width(&truncate(&nd.name, 16), LABEL_SIZE)
                    + if nd.role == Role::Client { 4.0 } else { 0.0 }
            })
            .fold(40.0, f64::max);
        let left = 16.0 + name_w + 14.0;
        let right = w - 24.0;
        let top = 104.0;
        let lane = if nn <= 2 {
            170.0
        } else {
            (300.0 / (nn - 1) as f64).clamp(62.0, 100.0)
        };
        let lanes_h = lane * (nn - 1) as f64;
        let bottom = top + lanes_h;
        let h = bottom + 70.0;
        let (unit, per_unit) = time_unit((t1 - t0).as_ms());
        let xs = Scale {
            lo: t0.as_ms() / per_unit,
            hi: t1.as_ms() / per_unit,
            log: false,
            p0: left,
            p1: right,
        };
        let x = |t: Time| xs.map_clamped(t.as_ms() / per_unit);
        let y = |node: NodeId| top + lane * node.min(nn - 1) as f64;

        let mut svg = Svg::new(w, h, &self.title);
        let uid = id_hash(&format!(
            "{}{}{}",
            self.title,
            tr.messages.len(),
            tr.events.len()
        ));
        let arrow = |kind: &str| format!("arrow-{kind}-{uid}");
        svg.arrow_marker(&arrow("delivered"), DELIVERED);
        svg.arrow_marker(&arrow("duplicate"), DUPLICATE);

        svg.text(
            (left + right) / 2.0,
            26.0,
            &self.title,
            &Text::new(TITLE_SIZE)
                .anchor(Anchor::Middle)
                .bold()
                .class("title"),
        );

        // Legend: only what occurs.
        let has = |f: &dyn Fn(&crate::trace::MsgRecord) -> bool| msgs.iter().any(|m| f(m));
        let parts = tr.partition_intervals();
        let parts: Vec<_> = parts
            .into_iter()
            .filter(|(a, b, _)| *b >= t0 && *a <= t1)
            .collect();
        let mut legend = Vec::new();
        if has(&|m| m.duplicate_of.is_none() && matches!(m.fate, Fate::Delivered(_))) {
            legend.push(LegendEntry {
                name: "delivered".into(),
                color: DELIVERED.into(),
                swatch: Swatch::Line {
                    dash: None,
                    marker: None,
                },
            });
        }
        if has(&|m| m.duplicate_of.is_some()) {
            legend.push(LegendEntry {
                name: "duplicate".into(),
                color: DUPLICATE.into(),
                swatch: Swatch::Line {
                    dash: Some("5,3"),
                    marker: None,
                },
            });
        }
        if has(&|m| matches!(m.fate, Fate::Dropped(..))) {
            legend.push(LegendEntry {
                name: "dropped".into(),
                color: BAD.into(),
                swatch: Swatch::Cross,
            });
        }
        if has(&|m| m.fate == Fate::InFlight) {
            legend.push(LegendEntry {
                name: "in flight".into(),
                color: IN_FLIGHT.into(),
                swatch: Swatch::Line {
                    dash: Some("2,3"),
                    marker: None,
                },
            });
        }
        if tr
            .events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Timer { .. }) && in_window(e.at))
        {
            legend.push(LegendEntry {
                name: "timer".into(),
                color: "#000000".into(),
                swatch: Swatch::Ring,
            });
        }
        if !parts.is_empty() {
            legend.push(LegendEntry {
                name: "partition".into(),
                color: SHADE.into(),
                swatch: Swatch::Box(0.25),
            });
        }
        let crashes: Vec<Vec<(Time, Time)>> =
            (0..tr.nodes.len()).map(|i| tr.down_intervals(i)).collect();
        if crashes.iter().flatten().any(|(a, b)| *b >= t0 && *a <= t1) {
            legend.push(LegendEntry {
                name: "crashed".into(),
                color: CRASHED.into(),
                swatch: Swatch::Box(0.35),
            });
        }
        let pauses: Vec<(NodeId, Time, Time)> = tr
            .events
            .iter()
            .filter_map(|e| match (e.node, &e.kind) {
                (Some(nd), EventKind::Pause { until }) => Some((nd, e.at, *until)),
                _ => None,
            })
            .filter(|(_, a, b)| *b >= t0 && *a <= t1)
            .collect();
        if !pauses.is_empty() {
            legend.push(LegendEntry {
                name: "paused".into(),
                color: PAUSED.into(),
                swatch: Swatch::Box(0.3),
            });
        }
        let rows = super::axes::legend_rows(&legend, w - 40.0);
        super::axes::draw_legend_rows(&mut svg, w / 2.0, 50.0, &rows);

        if truncated {
            svg.text(
                right,
                h - 12.0,
                &format!("first {} of {total_in_window} messages", msgs.len()),
                &Text::new(SMALL_SIZE)
                    .anchor(Anchor::End)
                    .fill(GREY)
                    .italic()
                    .class("note"),
            );
        }

        // Time axis and grid.
        let xa = AxisSpec::numeric(
            t0.as_ms() / per_unit,
            t1.as_ms() / per_unit,
            false,
            unit,
            max_ticks(right - left, 80.0),
            true,
        );
        svg.group("grid");
        for (v, _) in &xa.ticks {
            let px = xs.map(*v);
            svg.line(
                px,
                top - 18.0,
                px,
                bottom + 18.0,
                &Stroke::new(GRID, 1.0),
                "",
            );
        }
        svg.end();
        if let Some((at, node)) = self.mark.filter(|(at, _)| in_window(*at)) {
            svg.group("step-mark");
            let stroke = Stroke::new(MARK, 2.0).dash("4,3");
            svg.line(x(at), top - 18.0, x(at), bottom + 18.0, &stroke, "");
            if let Some(node) = node {
                svg.marker(0, x(at), y(node), 7.0, MARK, "");
            }
            svg.end();
        }
        svg.group("axes");
        let ay = bottom + 26.0;
        svg.line(left, ay, right, ay, &Stroke::new(GREY, 1.0), "x-axis");
        for (v, s) in &xa.ticks {
            let px = xs.map(*v);
            svg.line(px, ay, px, ay + 4.0, &Stroke::new(GREY, 1.0), "");
            svg.text(
                px,
                ay + 17.0,
                s,
                &Text::new(TICK_SIZE)
                    .anchor(Anchor::Middle)
                    .fill(GREY)
                    .class("tick"),
            );
        }
        svg.text(
            (left + right) / 2.0,
            h - 12.0,
            unit,
            &Text::new(LABEL_SIZE)
                .anchor(Anchor::Middle)
                .class("axis-label"),
        );
        svg.end();

        // Partitions: bands across every node, labelled with the groups they split.
        for (a, b, cut) in &parts {
            let (pa, pb) = (x(*a), x(*b));
            let label = partition_label(tr, cut);
            svg.group_titled(
                "partition",
                &format!(
                    "{label}, {}–{} ms",
                    fmt_value(a.as_ms()),
                    fmt_value(b.as_ms())
                ),
            );
            svg.rect(
                pa,
                top - 22.0,
                (pb - pa).max(2.0),
                lanes_h + 44.0,
                SHADE,
                0.18,
                None,
                "partition-band",
            );
            let fits = text_width(&label, SMALL_SIZE) < (pb - pa) + 100.0;
            let shown_label = if fits {
                label.clone()
            } else {
                "partition".to_string()
            };
            svg.text(
                (pa + pb) / 2.0,
                top - 26.0,
                &shown_label,
                &Text::new(SMALL_SIZE)
                    .anchor(Anchor::Middle)
                    .fill("#8a5a00")
                    .bold(),
            );
            svg.end();
        }

        // Crash and pause intervals, on each node's line.
        for (node, iv) in crashes.iter().enumerate() {
            for (a, b) in iv.iter().filter(|(a, b)| *b >= t0 && *a <= t1) {
                let (pa, pb) = (x(*a), x(*b));
                svg.group_titled(
                    "crash",
                    &format!(
                        "{} crashed {}–{} ms",
                        tr.nodes[node].name,
                        fmt_value(a.as_ms()),
                        fmt_value(b.as_ms())
                    ),
                );
                svg.rect(
                    pa,
                    y(node) - 12.0,
                    (pb - pa).max(2.0),
                    24.0,
                    CRASHED,
                    0.35,
                    None,
                    "crash-band",
                );
                svg.text(
                    pa + 4.0,
                    y(node) + 24.0,
                    "crashed",
                    &Text::new(SMALL_SIZE).fill(CRASHED).italic(),
                );
                svg.end();
            }
        }
        for (node, a, b) in &pauses {
            let (pa, pb) = (x(*a), x(*b));
            svg.group_titled(
                "pause",
                &format!(
                    "{} paused {}–{} ms",
                    tr.nodes.get(*node).map(|n| n.name.as_str()).unwrap_or("?"),
                    fmt_value(a.as_ms()),
                    fmt_value(b.as_ms())
                ),
            );
            svg.rect(
                pa,
                y(*node) - 10.0,
                (pb - pa).max(2.0),
                20.0,
                PAUSED,
                0.3,
                None,
                "pause-band",
            );
            svg.text(
                pa + 4.0,
                y(*node) + 24.0,
                "paused",
                &Text::new(SMALL_SIZE).fill("#2b6f94").italic(),
            );
            svg.end();
        }

        // Node lines and names.
        svg.group("nodes");
        for nd in &tr.nodes {
            let py = y(nd.id);
            let client = nd.role == Role::Client;
            svg.line(
                left,
                py,
                right,
                py,
                &Stroke::new(if client { GREY } else { "#222222" }, 1.6),
                "node-line",
            );
            let t = Text::new(LABEL_SIZE).anchor(Anchor::End).class("node-name");
            let t = if client {
                t.italic().fill(GREY)
            } else {
                t.bold()
            };
            svg.text(left - 10.0, py + 4.5, &truncate(&nd.name, 16), &t);
        }
        svg.end();

        // Messages.
        let typical_dx = {
            let mut d: Vec<f64> = msgs
                .iter()
                .filter_map(|m| match m.fate {
                    Fate::Delivered(t) => Some(x(t) - x(m.sent_at)),
                    _ => None,
                })
                .collect();
            d.sort_by(f64::total_cmp);
            d.get(d.len() / 2)
                .copied()
                .unwrap_or(30.0)
                .clamp(14.0, 80.0)
        };
        let name = |i: NodeId| tr.nodes.get(i).map(|n| n.name.as_str()).unwrap_or("?");
        let mut label_boxes: Vec<(f64, f64, f64, f64)> = Vec::new();
        // Place log texts first (stacked up to three rows above their node's line), so message
        // labels can keep clear of them.
        let mut log_pos: Vec<Option<(f64, f64)>> = vec![None; tr.events.len()];
        {
            let mut rows_above: Vec<Vec<Vec<(f64, f64)>>> = vec![vec![Vec::new(); 3]; nn];
            for (i, e) in tr.events.iter().enumerate() {
                let (Some(node), EventKind::Log { text }) = (e.node, &e.kind) else {
                    continue;
                };
                if node >= nn || !in_window(e.at) {
                    continue;
                }
                let (px, py) = (x(e.at), y(node));
                let tw = text_width(&truncate(text, 28), SMALL_SIZE);
                // Texts near the right edge end at it instead of running off the figure.
                let lx = (px + 2.0).min(w - 6.0 - tw);
                let span = (lx - 4.0, lx + tw + 2.0);
                let row = rows_above[node]
                    .iter()
                    .position(|r| r.iter().all(|o| span.1 < o.0 || span.0 > o.1));
                if let Some(r) = row {
                    rows_above[node][r].push(span);
                    let ly = py - 8.0 - 11.0 * r as f64;
                    log_pos[i] = Some((lx, ly));
                    label_boxes.push((lx - 2.0, ly - 9.0, tw + 2.0, 11.0));
                }
            }
        }
        let stamps = self.stamps.map(|kind| stamps(tr, kind));
        svg.group("messages");
        for m in msgs {
            let (x1, y1) = (x(m.sent_at), y(m.from));
            let dup = m.duplicate_of.is_some();
            let head = format!("#{} {} → {}: {}", m.id, name(m.from), name(m.to), m.label);
            let dir = if m.to == m.from {
                0.0
            } else {
                (y(m.to) - y1).signum()
            };
            let (x2, y2) = match m.fate {
                Fate::Delivered(t) => {
                    let tip = format!(
                        "{head}{}\nsent {} ms, delivered {} ms",
                        if dup { " (duplicate)" } else { "" },
                        fmt_value(m.sent_at.as_ms()),
                        fmt_value(t.as_ms())
                    );
                    let (x2, y2) = (x(t), y(m.to));
                    let kind = if dup { "duplicate" } else { "delivered" };
                    svg.group_titled(&format!("msg {kind}"), &tip);
                    let mut st = Stroke::new(if dup { DUPLICATE } else { DELIVERED }, 1.5);
                    if dup {
                        st = st.dash("5,3");
                    }
                    if m.from == m.to {
                        let lift = 22.0;
                        svg.raw(&format!(
                            r#"<path d="M{},{} C{},{} {},{} {},{}" fill="none" {} marker-end="url(#{})"/>"#,
                            n(x1), n(y1), n(x1), n(y1 - lift), n(x2.max(x1 + 12.0)), n(y2 - lift), n(x2.max(x1 + 12.0)), n(y2),
                            stroke_attrs(&st), arrow(kind)
                        ));
                    } else {
                        svg.arrow(x1, y1, x2, y2, &st, &arrow(kind), "");
                    }
                    svg.end();
                    (x2, y2)
                }
                Fate::Dropped(t, why) => {
                    let why_s = match why {
                        DropReason::Loss => "lost",
                        DropReason::Partition => "cut by partition",
                        DropReason::Crashed => "receiver crashed",
                    };
                    let tip = format!(
                        "{head}\nsent {} ms, dropped {} ms ({why_s})",
                        fmt_value(m.sent_at.as_ms()),
                        fmt_value(t.as_ms())
                    );
                    let (x2, y2) = if why == DropReason::Crashed {
                        (x(t).max(x1 + 8.0), y(m.to))
                    } else {
                        // Head towards the receiver as a delivered message would, and stop
                        // short of the next node's line so the × sits between the lines.
                        let dy = y(m.to) - y1;
                        let frac = if dy == 0.0 {
                            0.5
                        } else {
                            (lane * 0.4 / dy.abs()).min(0.5)
                        };
                        // Messages dropped together at their send fan out, one × each.
                        let k = msgs
                            .iter()
                            .take_while(|o| o.id != m.id)
                            .filter(|o| {
                                o.from == m.from
                                    && o.sent_at == m.sent_at
                                    && matches!(o.fate, Fate::Dropped(ot, r) if ot == o.sent_at && r != DropReason::Crashed)
                            })
                            .count() as f64;
                        let xe = if x(t) > x1 + 8.0 {
                            x(t)
                        } else {
                            x1 + (typical_dx * frac).max(20.0) + 12.0 * k
                        };
                        // Near the right edge the stub turns back rather than leave the plot.
                        let xe = if xe > right - 6.0 { x1 - (xe - x1) } else { xe };
                        let ye = if m.to == m.from {
                            y1 - 20.0
                        } else {
                            y1 + dy * frac
                        };
                        (xe, ye)
                    };
                    svg.group_titled("msg dropped", &tip);
                    svg.line(x1, y1, x2, y2, &Stroke::new(BAD, 1.5), "");
                    svg.cross(x2, y2, 5.0, BAD, 2.2, "drop-mark");
                    svg.end();
                    (x2, y2)
                }
                Fate::InFlight => {
                    let tip = format!(
                        "{head}\nsent {} ms, still in flight at the end",
                        fmt_value(m.sent_at.as_ms())
                    );
                    let x2 = x(run_end).max(x1 + 12.0).min(right);
                    let y2 = y1 + dir * lane * 0.6;
                    svg.group_titled("msg inflight", &tip);
                    svg.line(x1, y1, x2, y2, &Stroke::new(IN_FLIGHT, 1.4).dash("2,3"), "");
                    svg.end();
                    (x2, y2)
                }
            };
            svg.raw(&format!(
                r#"<circle class="send" cx="{}" cy="{}" r="2.2" fill="{}"/>"#,
                n(x1),
                n(y1),
                if dup { DUPLICATE } else { "#222222" }
            ));
            if let Some(st) = &stamps {
                let (at_send, at_recv) = &st[m.id.min(st.len().saturating_sub(1))];
                let down = y2 > y1;
                // Beside the send dot, on the side the arrow does not leave from; beside the
                // arrow tip, on the side it does not arrive from.
                let mut spots = vec![(x1 + 3.0, if down { y1 - 5.0 } else { y1 + 12.0 }, at_send)];
                if matches!(m.fate, Fate::Delivered(_)) {
                    spots.push((x2 + 3.0, if down { y2 + 12.0 } else { y2 - 5.0 }, at_recv));
                }
                for (sx, sy, stamp) in spots {
                    let Some(stamp) = stamp else { continue };
                    let s = stamp_text(stamp);
                    let tw = text_width(&s, SMALL_SIZE - 0.5);
                    let b = (sx, sy - 9.0, tw, 11.0);
                    if label_boxes.iter().any(|o| overlaps(*o, b)) {
                        continue;
                    }
                    label_boxes.push(b);
                    svg.text(
                        sx,
                        sy,
                        &s,
                        &Text::new(SMALL_SIZE - 0.5)
                            .fill(STAMP)
                            .bold()
                            .halo()
                            .class("stamp"),
                    );
                }
            }
            // One label per broadcast (same sender, time and text), none on duplicates.
            let repeat = msgs
                .iter()
                .take_while(|o| o.id != m.id)
                .any(|o| o.from == m.from && o.sent_at == m.sent_at && o.label == m.label);
            if labels && !dup && !repeat {
                let s = match m.fate {
                    Fate::Dropped(..) => {
                        format!(
                            "{} → {}",
                            short_label(&m.label, 14),
                            truncate(name(m.to), 10)
                        )
                    }
                    _ => short_label(&m.label, 18),
                };
                let tw = text_width(&s, SMALL_SIZE - 0.5);
                // Place at 40% along the arrow; nudge down until free of earlier labels.
                let (mut lx, mut ly) = (x1 + (x2 - x1) * 0.4, y1 + (y2 - y1) * 0.4);
                if m.from == m.to {
                    ly = y1 - 26.0;
                    lx = (x1 + x2) / 2.0;
                }
                let lx = lx.clamp(tw / 2.0 + 4.0, w - tw / 2.0 - 4.0);
                let free = |ly: f64| {
                    !label_boxes
                        .iter()
                        .any(|b| overlaps(*b, (lx - tw / 2.0 - 4.0, ly - 9.0, tw + 8.0, 11.0)))
                };
                // Where no nearby spot is free the label is left out (the tooltip and the
                // text listing still name the message).
                let Some(dy) = [0.0, -12.0, 12.0, -24.0, 24.0]
                    .into_iter()
                    .find(|dy| free(ly + dy))
                else {
                    continue;
                };
                ly += dy;
                label_boxes.push((lx - tw / 2.0, ly - 9.0, tw, 11.0));
                svg.text(
                    lx,
                    ly,
                    &s,
                    &Text::new(SMALL_SIZE - 0.5)
                        .anchor(Anchor::Middle)
                        .fill("#333333")
                        .halo()
                        .class("msg-label"),
                );
            }
        }
        svg.end();

        // Node events: timers, logs, crashes, restarts, clock readings.
        let mut rows_below: Vec<Vec<(f64, f64)>> = vec![Vec::new(); nn];
        let mut n_logs_hidden = 0;
        svg.group("events");
        for (ei, e) in tr
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| in_window(e.at))
        {
            let Some(node) = e.node else { continue };
            if node >= nn {
                continue;
            }
            let (px, py) = (x(e.at), y(node));
            match &e.kind {
                EventKind::Timer { tag } => {
                    svg.group_titled(
                        "timer",
                        &format!(
                            "{}: timer {tag} fired at {} ms",
                            name(node),
                            fmt_value(e.at.as_ms())
                        ),
                    );
                    svg.raw(&format!(r##"<circle cx="{}" cy="{}" r="4.2" fill="white" stroke="#000000" stroke-width="1.4"/>"##, n(px), n(py)));
                    svg.end();
                }
                EventKind::Crash => {
                    svg.group_titled(
                        "crash-mark",
                        &format!("{} crashed at {} ms", name(node), fmt_value(e.at.as_ms())),
                    );
                    svg.cross(px, py, 6.0, "#000000", 2.6, "");
                    svg.end();
                }
                EventKind::Restart => {
                    svg.group_titled(
                        "restart",
                        &format!("{} restarted at {} ms", name(node), fmt_value(e.at.as_ms())),
                    );
                    svg.raw(&format!(
                        r#"<path d="M{},{} L{},{} L{},{} Z" fill="{}"/>"#,
                        n(px),
                        n(py - 6.0),
                        n(px + 7.0),
                        n(py),
                        n(px),
                        n(py + 6.0),
                        "#009E73"
                    ));
                    svg.text(
                        px + 9.0,
                        py + 24.0,
                        "restart",
                        &Text::new(SMALL_SIZE).fill("#007a5a").italic(),
                    );
                    svg.end();
                }
                EventKind::Log { text } => {
                    svg.group_titled(
                        "log",
                        &format!("{} at {} ms: {text}", name(node), fmt_value(e.at.as_ms())),
                    );
                    svg.line(px, py - 5.0, px, py + 5.0, &Stroke::new("#000000", 1.4), "");
                    if let Some((lx, ly)) = log_pos[ei] {
                        svg.text(
                            lx,
                            ly,
                            &truncate(text, 28),
                            &Text::new(SMALL_SIZE)
                                .fill("#1a1a1a")
                                .halo()
                                .class("log-text"),
                        );
                    } else {
                        n_logs_hidden += 1;
                    }
                    svg.end();
                }
                _ => {}
            }
            if self.clocks && !matches!(e.kind, EventKind::Start) {
                let s = format!("c={}", fmt_value(e.local.as_ms()));
                let tw = text_width(&s, SMALL_SIZE - 1.0);
                let span = (px - tw / 2.0 - 2.0, px + tw / 2.0 + 2.0);
                if rows_below[node]
                    .iter()
                    .all(|o| span.1 < o.0 || span.0 > o.1)
                {
                    rows_below[node].push(span);
                    svg.text(
                        px,
                        py + 14.0,
                        &s,
                        &Text::new(SMALL_SIZE - 1.0)
                            .anchor(Anchor::Middle)
                            .fill("#0a5c8a")
                            .halo()
                            .class("clock"),
                    );
                }
            }
        }
        svg.end();

        // Summary text.
        let delivered = msgs
            .iter()
            .filter(|m| matches!(m.fate, Fate::Delivered(_)))
            .count();
        let dropped = msgs
            .iter()
            .filter(|m| matches!(m.fate, Fate::Dropped(..)))
            .count();
        let dups = msgs.iter().filter(|m| m.duplicate_of.is_some()).count();
        let mut t = format!(
            "{}: {} nodes ({}), {} messages from {} to {} ms: {delivered} delivered, {dropped} dropped, {dups} duplicate{}",
            self.title,
            tr.nodes.len(),
            tr.nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(", "),
            msgs.len(),
            fmt_value(t0.as_ms()),
            fmt_value(t1.as_ms()),
            if dups == 1 { "" } else { "s" },
        );
        if truncated {
            let _ = write!(t, " (first {} of {total_in_window} drawn; zoom with .window(from, to) or raise .max_messages(n))", msgs.len());
        }
        t.push('.');
        for (a, b, cut) in &parts {
            let _ = write!(
                t,
                "\n  {} from {} to {} ms",
                partition_label(tr, cut),
                fmt_value(a.as_ms()),
                fmt_value(b.as_ms())
            );
        }
        for (node, iv) in crashes.iter().enumerate() {
            for (a, b) in iv {
                let _ = write!(
                    t,
                    "\n  {} crashed from {} to {} ms",
                    tr.nodes[node].name,
                    fmt_value(a.as_ms()),
                    fmt_value(b.as_ms())
                );
            }
        }
        if n_logs_hidden > 0 {
            let _ = write!(
                t,
                "\n  ({n_logs_hidden} log texts too crowded to draw; zoom with .window())"
            );
        }
        // The start of the trace's own listing; skipped for huge traces, where formatting
        // every line just to show forty would dominate the time to draw.
        if tr.messages.len() + tr.events.len() <= 20_000 {
            let listing = tr.to_string();
            let lines: Vec<&str> = listing.lines().collect();
            t.push_str("\n\n");
            for l in lines.iter().take(40) {
                t.push_str(l);
                t.push('\n');
            }
            if lines.len() > 40 {
                let _ = writeln!(t, "… {} more lines", lines.len() - 40);
            }
        }
        Figure::from_svg(&self.title, svg.finish(), t)
    }
}

/// Which logical clock to compute and write on the diagram.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Stamps {
    Lamport,
    Vector,
}

/// A logical timestamp: one entry for Lamport, one per node for vector clocks.
type Stamp = Vec<u64>;

fn stamp_text(s: &Stamp) -> String {
    match s.as_slice() {
        [l] => l.to_string(),
        v => format!(
            "[{}]",
            v.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
        ),
    }
}

/// The logical timestamp of each message's send and (if delivered) receive, by message id.
/// Events are replayed in time order, receives before sends at the same instant (a handler
/// sends after it received), and a receive never before its own send.
fn stamps(tr: &Trace, kind: Stamps) -> Vec<(Option<Stamp>, Option<Stamp>)> {
    let nn = tr.nodes.len().max(1);
    let width = if kind == Stamps::Lamport { 1 } else { nn };
    let mut clock: Vec<Stamp> = vec![vec![0; width]; nn];
    let mut out: Vec<(Option<Stamp>, Option<Stamp>)> = vec![(None, None); tr.messages.len()];
    // (time, 0 = receive / 1 = send, message index)
    let mut evs: Vec<(Time, u8, usize)> = Vec::new();
    for (i, m) in tr.messages.iter().enumerate() {
        evs.push((m.sent_at, 1, i));
        if let Fate::Delivered(t) = m.fate {
            evs.push((t, 0, i));
        }
    }
    evs.sort();
    let tick = |c: &mut Stamp, node: usize| {
        let k = if c.len() == 1 { 0 } else { node };
        c[k] += 1;
    };
    let mut pending: Vec<usize> = Vec::new();
    for (_, kind_of, i) in evs {
        let m = &tr.messages[i];
        let (from, to) = (m.from.min(nn - 1), m.to.min(nn - 1));
        if kind_of == 1 {
            tick(&mut clock[from], from);
            out[i].0 = Some(clock[from].clone());
            // A receive held back until its send happened can now be replayed.
            if let Some(p) = pending.iter().position(|&j| j == i) {
                pending.swap_remove(p);
                receive(&mut clock[to], to, out[i].0.as_ref().unwrap(), &tick);
                out[i].1 = Some(clock[to].clone());
            }
        } else if let Some(sent) = out[i].0.clone() {
            receive(&mut clock[to], to, &sent, &tick);
            out[i].1 = Some(clock[to].clone());
        } else {
            pending.push(i);
        }
    }
    out
}

fn receive(c: &mut Stamp, node: usize, msg: &Stamp, tick: &impl Fn(&mut Stamp, usize)) {
    for (a, b) in c.iter_mut().zip(msg) {
        *a = (*a).max(*b);
    }
    tick(c, node);
}

/// A message label short enough to write on the diagram: a long `Debug` form such as
/// `Request { id: 7, body: … }` becomes its variant name, `Request`.
fn short_label(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_string();
    }
    let head = label.split([' ', '(', '{']).next().unwrap_or("");
    if !head.is_empty() && head.chars().count() <= max {
        format!("{head}…")
    } else {
        truncate(label, max)
    }
}

fn stroke_attrs(s: &Stroke) -> String {
    let mut a = format!(r#"stroke="{}" stroke-width="{}""#, s.color, n(s.width));
    if let Some(d) = s.dash {
        let _ = write!(a, r#" stroke-dasharray="{d}""#);
    }
    a
}

fn overlaps(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
    a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
}

/// "partition: {a, b} | {c}" — the groups of nodes that can still talk to each other.
fn partition_label(tr: &Trace, cut: &[(NodeId, NodeId)]) -> String {
    let nn = tr.nodes.len();
    let mut comp: Vec<usize> = (0..nn).collect();
    fn find(c: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while c[r] != r {
            r = c[r];
        }
        c[i] = r;
        r
    }
    for i in 0..nn {
        for j in (i + 1)..nn {
            if !cut.contains(&(i, j)) && !cut.contains(&(j, i)) {
                let (a, b) = (find(&mut comp, i), find(&mut comp, j));
                comp[a] = b;
            }
        }
    }
    let mut groups: Vec<Vec<&str>> = Vec::new();
    let mut roots: Vec<usize> = Vec::new();
    for i in 0..nn {
        let r = find(&mut comp, i);
        match roots.iter().position(|x| *x == r) {
            Some(k) => groups[k].push(&tr.nodes[i].name),
            None => {
                roots.push(r);
                groups.push(vec![&tr.nodes[i].name]);
            }
        }
    }
    if groups.len() > 1 {
        let g: Vec<String> = groups
            .iter()
            .map(|g| format!("{{{}}}", g.join(", ")))
            .collect();
        format!("partition {}", g.join(" | "))
    } else {
        let name = |i: NodeId| tr.nodes.get(i).map(|n| n.name.as_str()).unwrap_or("?");
        let links: Vec<String> = cut
            .iter()
            .take(3)
            .map(|(a, b)| format!("{}→{}", name(*a), name(*b)))
            .collect();
        format!(
            "partition: {} cut{}",
            links.join(", "),
            if cut.len() > 3 { ", …" } else { "" }
        )
    }
}

figure_methods!(SpaceTime);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::ms;
    use crate::trace::{MsgRecord, NodeInfo};

    /// a → b twice (the second arriving later), b → c, c → a, then a → c and b → c dropped.
    fn trace() -> Trace {
        let node = |id| NodeInfo {
            id,
            name: format!("n{id}"),
            role: Role::Server,
        };
        let msg = |id, from, to, sent, fate| MsgRecord {
            id,
            from,
            to,
            label: "m".into(),
            sent_at: ms(sent),
            fate,
            duplicate_of: None,
        };
        let d = |t| Fate::Delivered(ms(t));
        let lost = |t| Fate::Dropped(ms(t), DropReason::Loss);
        Trace {
            nodes: vec![node(0), node(1), node(2)],
            messages: vec![
                msg(0, 0, 1, 1, d(4)),
                msg(1, 0, 1, 1, d(6)),
                msg(2, 1, 2, 5, d(9)),
                msg(3, 2, 0, 10, d(13)),
                msg(4, 0, 2, 20, lost(20)),
                msg(5, 1, 2, 32, lost(32)),
                // Zero latency: the receive sorts before its send and must wait for it.
                msg(6, 2, 1, 40, d(40)),
            ],
            events: vec![],
            end: ms(45),
        }
    }

    #[test]
    fn lamport_timestamps_follow_the_rules() {
        let st = stamps(&trace(), Stamps::Lamport);
        let sends: Vec<u64> = st.iter().map(|s| s.0.as_ref().unwrap()[0]).collect();
        let recvs: Vec<Option<u64>> = st.iter().map(|s| s.1.as_ref().map(|v| v[0])).collect();
        assert_eq!(sends, [1, 2, 3, 5, 7, 5, 6]);
        assert_eq!(
            recvs,
            [Some(2), Some(4), Some(4), Some(6), None, None, Some(7)]
        );
    }

    #[test]
    fn vector_timestamps_follow_the_rules() {
        let st = stamps(&trace(), Stamps::Vector);
        let text: Vec<String> = st
            .iter()
            .map(|s| {
                let r = s.1.as_ref().map(stamp_text).unwrap_or_default();
                format!("{}>{r}", stamp_text(s.0.as_ref().unwrap()))
            })
            .collect();
        assert_eq!(
            text,
            [
                "[1,0,0]>[1,1,0]",
                "[2,0,0]>[2,3,0]",
                "[1,2,0]>[1,2,1]",
                "[1,2,2]>[3,2,2]",
                "[4,2,2]>",
                "[2,4,0]>",
                "[1,2,3]>[2,5,3]",
            ]
        );
    }
}

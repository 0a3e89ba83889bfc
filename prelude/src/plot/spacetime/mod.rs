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

mod backdrop;
mod events;
mod frame;
mod labels;
mod messages;
mod stamps;
mod summary;

use super::figure::figure_methods;
use super::style::WIDTH;
use super::svg::Svg;
use super::{id_hash, Figure};
use crate::time::Time;
use crate::trace::{NodeId, Trace};
use frame::Frame;
use labels::Labels;
use stamps::Stamps;

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

    /// Renders the diagram: a layout pass decides the window, the messages and the geometry;
    /// drawing passes then lay down the backdrop, the messages and the node events; the text
    /// fallback says what was drawn.
    pub fn figure(&self) -> Figure {
        let f = Frame::new(self);
        let mut svg = Svg::new(f.w, f.h, &self.title);
        let uid = id_hash(&format!(
            "{}{}{}",
            self.title,
            f.tr.messages.len(),
            f.tr.events.len()
        ));
        let arrow = |kind: &str| format!("arrow-{kind}-{uid}");
        svg.arrow_marker(&arrow("delivered"), DELIVERED);
        svg.arrow_marker(&arrow("duplicate"), DUPLICATE);

        backdrop::title(&mut svg, &f, &self.title);
        backdrop::legend(&mut svg, &f);
        backdrop::truncation_note(&mut svg, &f);
        backdrop::time_axis(&mut svg, &f);
        if let Some(mark) = self.mark {
            backdrop::step_mark(&mut svg, &f, mark);
        }
        backdrop::partitions(&mut svg, &f);
        backdrop::downtime(&mut svg, &f);
        backdrop::node_lines(&mut svg, &f);

        let mut labels = Labels::default();
        let log_pos = labels::place_logs(&f, &mut labels);
        let stamps = self.stamps.map(|kind| stamps::stamps(f.tr, kind));
        messages::draw(&mut svg, &f, &mut labels, stamps.as_deref(), &arrow);
        let logs_hidden = events::draw(&mut svg, &f, &log_pos, self.clocks);

        let text = summary::text(&f, &self.title, logs_hidden);
        Figure::from_svg(&self.title, svg.finish(), text)
    }
}

figure_methods!(SpaceTime);

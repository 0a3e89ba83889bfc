//! The layout pass: which part of the run is drawn, which messages, and where everything goes.

use super::SpaceTime;
use crate::plot::axes::{time_unit, Scale};
use crate::plot::style::LABEL_SIZE;
use crate::plot::svg::{text_width, truncate};
use crate::time::Time;
use crate::trace::{EventKind, Fate, MsgRecord, NodeId, PartitionInterval, Role, Trace};

/// Everything the drawing passes need to know before they draw: the time window, the messages
/// in it, the outages that overlap it, and the geometry that maps time and nodes to pixels.
pub(super) struct Frame<'t> {
    pub tr: &'t Trace,
    /// The drawn time window.
    pub t0: Time,
    pub t1: Time,
    /// The end of the run: the trace's end or its last event, whichever is later.
    pub run_end: Time,
    /// The messages drawn, in trace order (at most `max_messages`).
    pub msgs: Vec<&'t MsgRecord>,
    /// How many messages the window held before the cap.
    pub total_in_window: usize,
    /// Whether message labels are written.
    pub labels: bool,
    pub outages: Outages,
    pub nn: usize,
    pub w: f64,
    pub h: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    /// Vertical distance between two node lines.
    pub lane: f64,
    pub unit: &'static str,
    pub per_unit: f64,
    pub xs: Scale,
}

/// Partitions, crashes and pauses: partitions and pauses only where they overlap the window,
/// crashes for the whole run (the text lists them all; the drawing filters them).
pub(super) struct Outages {
    pub partitions: Vec<PartitionInterval>,
    pub crashes: Vec<Vec<(Time, Time)>>,
    pub pauses: Vec<(NodeId, Time, Time)>,
}

impl<'t> Frame<'t> {
    pub fn new(st: &'t SpaceTime) -> Frame<'t> {
        let tr = &st.trace;
        let (t0, t1, run_end) = window(tr, st.window);
        let (msgs, total_in_window, t1) = select_messages(tr, t0, t1, run_end, st.max_messages);
        let labels = st.labels.unwrap_or(msgs.len() <= 40);
        let outages = Outages::new(tr, t0, t1);

        let nn = tr.nodes.len().max(1);
        let w = st.width;
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
        let bottom = top + lane * (nn - 1) as f64;
        let (unit, per_unit) = time_unit((t1 - t0).as_ms());
        let xs = Scale {
            lo: t0.as_ms() / per_unit,
            hi: t1.as_ms() / per_unit,
            log: false,
            p0: left,
            p1: right,
        };
        Frame {
            tr,
            t0,
            t1,
            run_end,
            msgs,
            total_in_window,
            labels,
            outages,
            nn,
            w,
            h: bottom + 70.0,
            left,
            right,
            top,
            bottom,
            lane,
            unit,
            per_unit,
            xs,
        }
    }

    /// The x pixel of time `t` (clamped to the plot).
    pub fn x(&self, t: Time) -> f64 {
        self.xs.map_clamped(t.as_ms() / self.per_unit)
    }

    /// The y pixel of node `node`'s line.
    pub fn y(&self, node: NodeId) -> f64 {
        self.top + self.lane * node.min(self.nn - 1) as f64
    }

    pub fn in_window(&self, t: Time) -> bool {
        t >= self.t0 && t <= self.t1
    }

    /// Whether `[a, b]` overlaps the window.
    pub fn overlaps(&self, a: Time, b: Time) -> bool {
        b >= self.t0 && a <= self.t1
    }

    /// Whether the message cap left messages out.
    pub fn truncated(&self) -> bool {
        self.msgs.len() < self.total_in_window
    }

    pub fn name(&self, node: NodeId) -> &'t str {
        self.tr
            .nodes
            .get(node)
            .map(|n| n.name.as_str())
            .unwrap_or("?")
    }

    /// Height of the band of node lines, first to last.
    pub fn lanes_h(&self) -> f64 {
        self.bottom - self.top
    }
}

impl Outages {
    fn new(tr: &Trace, t0: Time, t1: Time) -> Outages {
        let partitions = tr
            .partition_intervals()
            .into_iter()
            .filter(|(a, b, _)| *b >= t0 && *a <= t1)
            .collect();
        let crashes = (0..tr.nodes.len()).map(|i| tr.down_intervals(i)).collect();
        let pauses = tr
            .events
            .iter()
            .filter_map(|e| match (e.node, &e.kind) {
                (Some(nd), EventKind::Pause { until }) => Some((nd, e.at, *until)),
                _ => None,
            })
            .filter(|(_, a, b)| *b >= t0 && *a <= t1)
            .collect();
        Outages {
            partitions,
            crashes,
            pauses,
        }
    }
}

/// The time window `(t0, t1)` to draw, and the run's end. Without a requested window the axis
/// ends shortly after the last thing that happened — a run that idles on to a time limit should
/// not squeeze its activity into the left edge — and starts shortly before the first thing
/// when nothing happens for the first third of the run.
fn window(tr: &Trace, requested: Option<(Time, Time)>) -> (Time, Time, Time) {
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
    let (t0, t1) = requested.unwrap_or((busy_start, busy_end));
    let t1 = if t1 <= t0 { t0 + Time(1_000) } else { t1 };
    (t0, t1, run_end)
}

/// The messages that overlap the window, at most `cap` of them (0: no cap), with how many
/// overlapped and the window's new end: when messages are left out the axis ends where the
/// first of them was sent, so what is drawn is complete.
fn select_messages(
    tr: &Trace,
    t0: Time,
    t1: Time,
    run_end: Time,
    cap: usize,
) -> (Vec<&MsgRecord>, usize, Time) {
    let mut msgs: Vec<&MsgRecord> = tr
        .messages
        .iter()
        .filter(|m| {
            let end = match m.fate {
                Fate::Delivered(t) | Fate::Dropped(t, _) => t,
                Fate::InFlight => run_end,
            };
            m.sent_at <= t1 && end >= t0
        })
        .collect();
    let total = msgs.len();
    let mut t1 = t1;
    if msgs.len() > cap && cap > 0 {
        let cut = msgs[cap].sent_at;
        if cut > t0 {
            t1 = cut;
        }
        msgs.truncate(cap);
    }
    (msgs, total, t1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::ms;
    use crate::trace::NodeInfo;

    fn trace(sends: &[(u64, u64)], end: u64) -> Trace {
        Trace {
            nodes: (0..2)
                .map(|id| NodeInfo {
                    id,
                    name: format!("n{id}"),
                    role: Role::Server,
                })
                .collect(),
            messages: sends
                .iter()
                .enumerate()
                .map(|(id, &(sent, got))| MsgRecord {
                    id,
                    from: 0,
                    to: 1,
                    label: "m".into(),
                    sent_at: ms(sent),
                    fate: Fate::Delivered(ms(got)),
                    duplicate_of: None,
                })
                .collect(),
            events: vec![],
            end: ms(end),
        }
    }

    #[test]
    fn an_idle_tail_is_cut_and_a_late_start_is_skipped() {
        let tr = trace(&[(600, 620), (700, 800)], 10_000);
        let (t0, t1, run_end) = window(&tr, None);
        assert_eq!(run_end, ms(10_000));
        assert_eq!(
            t1,
            ms(800) + ms(10),
            "last event plus 1/20 of the busy span"
        );
        assert_eq!(t0, ms(600) - ms(10));
    }

    #[test]
    fn an_empty_window_gets_one_millisecond() {
        let tr = trace(&[], 0);
        assert_eq!(window(&tr, Some((ms(5), ms(5)))).1, ms(6));
    }

    #[test]
    fn the_cap_ends_the_axis_at_the_first_message_left_out() {
        let tr = trace(&[(1, 2), (3, 4), (5, 6), (7, 8)], 10);
        let (msgs, total, t1) = select_messages(&tr, ms(0), ms(10), ms(10), 2);
        assert_eq!((msgs.len(), total, t1), (2, 4, ms(5)));
        let (msgs, _, t1) = select_messages(&tr, ms(0), ms(10), ms(10), 0);
        assert_eq!((msgs.len(), t1), (4, ms(10)), "0 means no cap");
    }
}

//! What happened in one run: every message with its fate, and every node-level event.
//!
//! Messages are kept as records (sent when, delivered or dropped when, why) because that is what
//! a space-time diagram draws; node events (timers, crashes, logs) are a separate ordered list.

use crate::time::Time;
use std::fmt;

/// A node's index in the simulation, from 0.
pub type NodeId = usize;

/// A message's index in the trace, in send order.
pub type MsgId = usize;

/// What part a node plays; diagrams draw clients and servers apart.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Server,
    Client,
}

/// A node as the trace names it.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeInfo {
    pub id: NodeId,
    pub name: String,
    pub role: Role,
}

/// Why a message never arrived.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// The network lost it (independent or bursty loss).
    Loss,
    /// A partition cut the link, at send time or while it was in flight.
    Partition,
    /// The receiver was crashed when it arrived.
    Crashed,
}

/// The fate of one message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    Delivered(Time),
    Dropped(Time, DropReason),
    /// Still in flight when the run stopped.
    InFlight,
}

/// One message, from send to fate.
#[derive(Clone, Debug, PartialEq)]
pub struct MsgRecord {
    pub id: MsgId,
    pub from: NodeId,
    pub to: NodeId,
    /// The message's `Debug` rendering.
    pub label: String,
    pub sent_at: Time,
    pub fate: Fate,
    /// Set when this message is a copy made by the network's duplication fault.
    pub duplicate_of: Option<MsgId>,
}

/// Something that happened at a node, or to the whole network.
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    Start,
    Timer {
        tag: u64,
    },
    Crash,
    Restart,
    Pause {
        until: Time,
    },
    /// Links cut; each pair is a directed `(from, to)` that can no longer deliver.
    Partition {
        cut: Vec<(NodeId, NodeId)>,
    },
    Heal,
    Log {
        text: String,
    },
}

/// A node-level or network-level event. `node` is `None` for network-wide events.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceEvent {
    pub at: Time,
    pub node: Option<NodeId>,
    /// The node's own clock reading at that instant (equal to `at` for network events).
    pub local: Time,
    pub kind: EventKind,
}

/// A partition in force from `.0` to `.1`, cutting the directed links in `.2`.
pub type PartitionInterval = (Time, Time, Vec<(NodeId, NodeId)>);

/// The full record of one traced run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    pub nodes: Vec<NodeInfo>,
    pub messages: Vec<MsgRecord>,
    pub events: Vec<TraceEvent>,
    pub end: Time,
}

impl Trace {
    /// Messages that never arrived.
    pub fn dropped(&self) -> impl Iterator<Item = &MsgRecord> {
        self.messages
            .iter()
            .filter(|m| matches!(m.fate, Fate::Dropped(..)))
    }

    /// Messages that arrived.
    pub fn delivered(&self) -> impl Iterator<Item = &MsgRecord> {
        self.messages
            .iter()
            .filter(|m| matches!(m.fate, Fate::Delivered(_)))
    }

    /// Time intervals during which `node` was down (crashed, not yet restarted).
    pub fn down_intervals(&self, node: NodeId) -> Vec<(Time, Time)> {
        let mut out = Vec::new();
        let mut since = None;
        for e in self.events.iter().filter(|e| e.node == Some(node)) {
            match e.kind {
                EventKind::Crash => since = since.or(Some(e.at)),
                EventKind::Restart => {
                    if let Some(s) = since.take() {
                        out.push((s, e.at));
                    }
                }
                _ => {}
            }
        }
        if let Some(s) = since {
            out.push((s, self.end));
        }
        out
    }

    /// Time intervals during which some partition was in force, with the links it cut.
    pub fn partition_intervals(&self) -> Vec<PartitionInterval> {
        let mut out = Vec::new();
        let mut open: Option<(Time, Vec<(NodeId, NodeId)>)> = None;
        for e in &self.events {
            match &e.kind {
                EventKind::Partition { cut } => {
                    if let Some((s, c)) = open.take() {
                        out.push((s, e.at, c));
                    }
                    open = Some((e.at, cut.clone()));
                }
                EventKind::Heal => {
                    if let Some((s, c)) = open.take() {
                        out.push((s, e.at, c));
                    }
                }
                _ => {}
            }
        }
        if let Some((s, c)) = open {
            out.push((s, self.end, c));
        }
        out
    }

    fn name(&self, id: NodeId) -> &str {
        self.nodes.get(id).map(|n| n.name.as_str()).unwrap_or("?")
    }
}

impl fmt::Display for Trace {
    /// One line per happening, in time order: a text form of the space-time diagram.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines: Vec<(Time, usize, String)> = Vec::new();
        for m in &self.messages {
            let dup = if m.duplicate_of.is_some() {
                " (dup)"
            } else {
                ""
            };
            let (a, b) = (self.name(m.from), self.name(m.to));
            lines.push((
                m.sent_at,
                0,
                format!("{a} → {b}  send #{} {}{dup}", m.id, m.label),
            ));
            match m.fate {
                Fate::Delivered(t) => {
                    lines.push((t, 1, format!("{b} ← {a}  recv #{} {}", m.id, m.label)))
                }
                Fate::Dropped(t, why) => lines.push((
                    t,
                    1,
                    format!("{a} → {b}  DROP #{} ({why:?}) {}", m.id, m.label),
                )),
                Fate::InFlight => {}
            }
        }
        for e in &self.events {
            let who = e.node.map(|n| self.name(n)).unwrap_or("net");
            lines.push((e.at, 2, format!("{who}  {:?}", e.kind)));
        }
        lines.sort_by_key(|x| (x.0, x.1));
        for (t, _, text) in lines {
            writeln!(f, "{:>12}  {text}", t.to_string())?;
        }
        Ok(())
    }
}

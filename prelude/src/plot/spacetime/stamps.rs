//! Logical timestamps for the diagram, replayed from a trace with the `clock` module's clocks.

use crate::clock::{LamportClock, VectorClock};
use crate::time::Time;
use crate::trace::{Fate, Trace};
use std::fmt;

/// Which logical clock to compute and write on the diagram.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Stamps {
    Lamport,
    Vector,
}

/// One event's logical timestamp.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Stamp {
    Lamport(u64),
    Vector(VectorClock),
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stamp::Lamport(l) => write!(f, "{l}"),
            Stamp::Vector(v) => write!(f, "{v}"),
        }
    }
}

/// Every node's clock of one kind.
enum Clocks {
    Lamport(Vec<LamportClock>),
    Vector(Vec<VectorClock>),
}

impl Clocks {
    fn new(kind: Stamps, nodes: usize) -> Clocks {
        match kind {
            Stamps::Lamport => Clocks::Lamport(vec![LamportClock::default(); nodes]),
            Stamps::Vector => Clocks::Vector(vec![VectorClock::new(nodes); nodes]),
        }
    }

    fn send(&mut self, node: usize) -> Stamp {
        match self {
            Clocks::Lamport(c) => Stamp::Lamport(c[node].tick()),
            Clocks::Vector(c) => {
                c[node].tick(node);
                Stamp::Vector(c[node].clone())
            }
        }
    }

    fn receive(&mut self, node: usize, sent: &Stamp) -> Stamp {
        match (self, sent) {
            (Clocks::Lamport(c), Stamp::Lamport(s)) => Stamp::Lamport(c[node].observe(*s)),
            (Clocks::Vector(c), Stamp::Vector(s)) => {
                c[node].observe(s, node);
                Stamp::Vector(c[node].clone())
            }
            _ => unreachable!("a message's stamp comes from the same kind of clock"),
        }
    }
}

/// The logical timestamp of each message's send and (if delivered) receive, by message id.
/// Events are replayed in time order, receives before sends at the same instant (a handler
/// sends after it received), and a receive never before its own send.
pub(super) fn stamps(tr: &Trace, kind: Stamps) -> Vec<(Option<Stamp>, Option<Stamp>)> {
    let nn = tr.nodes.len().max(1);
    let mut clocks = Clocks::new(kind, nn);
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
    let mut pending: Vec<usize> = Vec::new();
    for (_, is_send, i) in evs {
        let m = &tr.messages[i];
        let (from, to) = (m.from.min(nn - 1), m.to.min(nn - 1));
        if is_send == 1 {
            let sent = clocks.send(from);
            // A receive held back until its send happened can now be replayed.
            if let Some(p) = pending.iter().position(|&j| j == i) {
                pending.swap_remove(p);
                out[i].1 = Some(clocks.receive(to, &sent));
            }
            out[i].0 = Some(sent);
        } else if let Some(sent) = &out[i].0 {
            out[i].1 = Some(clocks.receive(to, sent));
        } else {
            pending.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::ms;
    use crate::trace::{DropReason, MsgRecord, NodeInfo, Role};

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

    fn text(kind: Stamps) -> Vec<String> {
        stamps(&trace(), kind)
            .iter()
            .map(|(s, r)| {
                let r = r.as_ref().map(Stamp::to_string).unwrap_or_default();
                format!("{}>{r}", s.as_ref().unwrap())
            })
            .collect()
    }

    #[test]
    fn lamport_timestamps_follow_the_rules() {
        assert_eq!(
            text(Stamps::Lamport),
            ["1>2", "2>4", "3>4", "5>6", "7>", "5>", "6>7"]
        );
    }

    #[test]
    fn vector_timestamps_follow_the_rules() {
        assert_eq!(
            text(Stamps::Vector),
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

//! Stepping through a run: a player redraws the space-time diagram as it stood after each step,
//! marks that step and says in one line what happened.

use super::{interact, player};
use crate::explore::Counterexample;
use crate::plot::{spacetime, Figure};
use crate::time::Time;
use crate::trace::{DropReason, EventKind, Fate, NodeId, Trace};

/// One thing that happened in a run: a send, a delivery, a drop, or a node or network event.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub at: Time,
    /// The node it happened on (none for the network's events).
    pub node: Option<NodeId>,
    /// What happened, in one line: who sent what, what was lost, which timer fired.
    pub text: String,
    what: Part,
}

/// What part of the trace a step reveals.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Part {
    Send(usize),
    Fate(usize),
    Event(usize),
}

/// The order of steps that happen at the same time.
const ARRIVAL: u8 = 0;
const EVENT: u8 = 1;
const SEND: u8 = 2;
const INSTANT_ARRIVAL: u8 = 3;

impl Trace {
    /// Every step of the run in time order, each described in one line. At equal times what
    /// can cause a send comes first: deliveries and drops, then events (a timer), then sends,
    /// then the arrival of messages sent at that very time.
    pub fn steps(&self) -> Vec<Step> {
        let name = |id: NodeId| self.nodes.get(id).map_or("?", |n| n.name.as_str());
        let mut steps = Vec::new();
        for (i, m) in self.messages.iter().enumerate() {
            let (from, to, label) = (name(m.from), name(m.to), short(&m.label));
            let copy = if m.duplicate_of.is_some() {
                " (a duplicate)"
            } else {
                ""
            };
            steps.push((
                SEND,
                Step {
                    at: m.sent_at,
                    node: Some(m.from),
                    text: format!("{from} sent {label} to {to}{copy}"),
                    what: Part::Send(i),
                },
            ));
            let (at, node, text) = match m.fate {
                Fate::Delivered(t) => (t, m.to, format!("{to} received {label} from {from}")),
                Fate::Dropped(t, DropReason::Loss) => {
                    (t, m.to, format!("{label} from {from} to {to} was lost"))
                }
                Fate::Dropped(t, DropReason::Partition) => (
                    t,
                    m.to,
                    format!("{label} from {from} to {to} was cut off by the partition"),
                ),
                Fate::Dropped(t, DropReason::Crashed) => (
                    t,
                    m.to,
                    format!("{label} from {from} reached {to} while it was crashed: dropped"),
                ),
                Fate::InFlight => continue,
            };
            let what = Part::Fate(i);
            let rank = if at > m.sent_at {
                ARRIVAL
            } else {
                INSTANT_ARRIVAL
            };
            steps.push((
                rank,
                Step {
                    at,
                    node: Some(node),
                    text,
                    what,
                },
            ));
        }
        for (i, e) in self.events.iter().enumerate() {
            let who = e.node.map_or("the network", name);
            let text = match &e.kind {
                EventKind::Start => format!("{who} started"),
                EventKind::Timer { tag } => format!("{who}'s timer {tag} fired"),
                EventKind::Crash => format!("{who} crashed"),
                EventKind::Restart => format!("{who} restarted"),
                EventKind::Pause { until } => format!("{who} paused until {until}"),
                EventKind::Partition { cut } => {
                    format!("the network partitioned ({} links cut)", cut.len())
                }
                EventKind::Heal => "the partition healed".to_owned(),
                EventKind::Log { text } => format!("{who}: {text}"),
            };
            let what = Part::Event(i);
            steps.push((
                EVENT,
                Step {
                    at: e.at,
                    node: e.node,
                    text,
                    what,
                },
            ));
        }
        steps.sort_by_key(|(rank, s)| (s.at, *rank));
        steps.into_iter().map(|(_, s)| s).collect()
    }

    /// The diagram as it stood after step `k` of [`Trace::steps`] (the last one if `k` is past
    /// the end), on the whole run's time axis, with that step marked and described in the title.
    pub fn at_step(&self, k: usize) -> Figure {
        self.figure_at(k, None)
    }

    /// [`Trace::at_step`], with `verdict` after the last step's description.
    fn figure_at(&self, k: usize, verdict: Option<&str>) -> Figure {
        let steps = self.steps();
        let k = k.min(steps.len().saturating_sub(1));
        let Some(step) = steps.get(k) else {
            return spacetime(self).title("An empty run").figure();
        };
        let shown = &steps[..=k];
        let mut so_far = self.clone();
        so_far.end = step.at;
        so_far.messages.clear();
        so_far.events.clear();
        for s in shown {
            match s.what {
                Part::Send(i) => {
                    let mut m = self.messages[i].clone();
                    m.fate = Fate::InFlight;
                    so_far.messages.push(m);
                }
                Part::Fate(i) => {
                    let fate = self.messages[i].fate;
                    if let Some(m) = so_far
                        .messages
                        .iter_mut()
                        .find(|m| m.id == self.messages[i].id)
                    {
                        m.fate = fate;
                    }
                }
                Part::Event(i) => so_far.events.push(self.events[i].clone()),
            }
        }
        let whole = steps.last().map_or(self.end, |s| s.at);
        let end = whole + Time((whole.as_us() / 20).max(1));
        let mut title = format!(
            "Step {} of {} at {}: {}",
            k + 1,
            steps.len(),
            step.at,
            step.text
        );
        if let Some(verdict) = verdict.filter(|_| k + 1 == steps.len()) {
            title = format!("{title} — violated: {verdict}");
        }
        spacetime(&so_far)
            .title(&title)
            .window(Time::ZERO, end)
            .mark(step.at, step.node)
            .figure()
    }

    /// Shows a player — play/pause and a step slider — that redraws this run step by step
    /// ([`Trace::at_step`]). Under a kernel without widgets: the diagram at the first step.
    pub fn step_through(&self) {
        let trace = self.clone();
        let count = trace.steps().len().max(1);
        interact(player("step", count), move |k| trace.at_step(k));
    }
}

/// A message's label cut to fit a title line.
fn short(label: &str) -> String {
    const MAX: usize = 40;
    match label.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &label[..end]),
        None => label.to_owned(),
    }
}

impl Counterexample {
    /// Steps through the violating run with a player (see [`Trace::step_through`]); the last
    /// step's title is followed by what the property said was wrong.
    pub fn step_through(&self) {
        let trace = self.run.trace().clone();
        let reason = self.reason.clone();
        let count = trace.steps().len().max(1);
        interact(player("step", count), move |k| {
            trace.figure_at(k, Some(&reason))
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::time::ms;
    use crate::trace::{DropReason, EventKind, Fate, MsgRecord, NodeInfo, Role, Trace, TraceEvent};

    /// a pings b (delivered), b pings back as it receives (lost); a's timer fires in between.
    fn trace() -> Trace {
        let names = ["a", "b"].map(String::from);
        let nodes = (0..2).map(|id| NodeInfo {
            id,
            name: names[id].clone(),
            role: Role::Server,
        });
        let fates = [
            Fate::Delivered(ms(3)),
            Fate::Dropped(ms(6), DropReason::Loss),
        ];
        let messages = (0..2).map(|id| MsgRecord {
            id,
            from: id,
            to: 1 - id,
            label: "Ping".into(),
            sent_at: ms(1 + 2 * id as u64),
            fate: fates[id],
            duplicate_of: None,
        });
        let timer = TraceEvent {
            at: ms(5),
            node: Some(0),
            local: ms(5),
            kind: EventKind::Timer { tag: 2 },
        };
        Trace {
            nodes: nodes.collect(),
            messages: messages.collect(),
            events: vec![timer],
            end: ms(8),
        }
    }

    #[test]
    fn steps_say_who_sent_what_what_was_lost_and_which_timer_fired() {
        let texts: Vec<String> = trace().steps().into_iter().map(|s| s.text).collect();
        assert_eq!(
            texts,
            [
                "a sent Ping to b",
                "b received Ping from a",
                "b sent Ping to a",
                "a's timer 2 fired",
                "Ping from b to a was lost",
            ]
        );
    }

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(super::short("Ping"), "Ping");
        let long = "Request { id: 1000000, attempt: 0, payload: [1, 2, 3] }";
        assert_eq!(
            super::short(long),
            "Request { id: 1000000, attempt: 0, paylo…"
        );
    }

    #[test]
    fn a_step_draws_only_what_happened_so_far_and_marks_it() {
        let trace = trace();
        let first = trace.at_step(0);
        assert!(first
            .title()
            .starts_with("Step 1 of 5 at 1.000ms: a sent Ping to b"));
        assert_eq!(first.svg().matches("class=\"msg delivered\"").count(), 0);
        assert!(first.svg().contains("step-mark"));
        let second = trace.at_step(1);
        assert_eq!(second.svg().matches("class=\"msg delivered\"").count(), 1);
        let last = trace.at_step(99);
        assert!(last.title().contains("Step 5 of 5"), "{}", last.title());
        assert_eq!(last.svg().matches("class=\"msg dropped").count(), 1);
        assert_eq!(
            trace
                .figure_at(4, Some("split brain"))
                .title()
                .matches("violated: split brain")
                .count(),
            1
        );
        assert_eq!(
            trace
                .figure_at(3, Some("split brain"))
                .title()
                .matches("violated")
                .count(),
            0
        );
    }
}

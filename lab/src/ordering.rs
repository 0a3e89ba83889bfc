//! Ordering events with clocks: nodes that do local work and message each other, stamping every
//! event three ways — their own wall clock, a Lamport clock and a vector clock.
//!
//! The vector clocks are the ground truth for "happened before" (they capture it exactly), so a
//! run can be graded afterwards: how often does a wall-clock stamp put an effect before its
//! cause ([`misordered`]), and how many pairs of events are concurrent, which a single number
//! cannot express ([`concurrent_pairs`])?
//!
//! Each event is recorded as a group of observations (`event`, `wall`, `lamport`, then one `vc`
//! per node) that [`clock_events`] reassembles. A receiver also records `wall_error` = 1 when its own
//! wall clock reads earlier than the sender's stamp on the message (else 0).

use faultline::clock::{LamportClock, VectorClock};
use faultline::node::{Ctx, Node};
use faultline::run::Run;
use faultline::time::{ms, Time};
use faultline::trace::NodeId;
use rand::seq::IndexedRandom;
use rand::Rng as _;

/// A message carrying the sender's three stamps.
#[derive(Clone, Debug, PartialEq)]
pub struct Stamped {
    pub wall: Time,
    pub lamport: u64,
    pub vector: VectorClock,
}

/// What kind of event a node stamped.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Local,
    Send,
    Receive,
}

/// One stamped event, reassembled from a run's observations.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockEvent {
    pub node: NodeId,
    /// True time (which no node can read; the simulator knows it).
    pub at: Time,
    pub kind: Action,
    /// The node's own wall clock when the event happened.
    pub wall: Time,
    pub lamport: u64,
    pub vector: VectorClock,
}

/// A node that, every `every` on average, does some local work or (half the time) sends a
/// message to a random peer, until it has started `events` of its own.
#[derive(Clone, Debug)]
pub struct Stamper {
    every: Time,
    events: u32,
    annotate: bool,
    started: u32,
    lamport: LamportClock,
    vector: VectorClock,
}

impl Stamper {
    /// Acts every `every` on average (exponentially distributed), 20 times, starting after 100 ms
    /// so that clocks set behind true time do not all read zero.
    pub fn new(every: Time) -> Stamper {
        Stamper {
            every,
            events: 20,
            annotate: false,
            started: 0,
            lamport: LamportClock::default(),
            vector: VectorClock::default(),
        }
    }

    /// How many local or send events this node starts.
    pub fn events(mut self, n: u32) -> Self {
        self.events = n;
        self
    }

    /// Writes each event's Lamport and vector stamps into the trace (`ctx.log`), so they show on
    /// the space-time diagram.
    pub fn annotate(mut self, on: bool) -> Self {
        self.annotate = on;
        self
    }

    fn stamp(&mut self, ctx: &mut Ctx<Stamped>, kind: Action) {
        let wall = ctx.now();
        ctx.record(
            "event",
            match kind {
                Action::Local => 0.0,
                Action::Send => 1.0,
                Action::Receive => 2.0,
            },
        );
        ctx.record("wall", wall.as_ms());
        ctx.record("lamport", self.lamport.0 as f64);
        for &c in &self.vector.0 {
            ctx.record("vc", c as f64);
        }
        if self.annotate {
            ctx.log(format!("L{} {}", self.lamport.0, self.vector));
        }
    }

    fn next(&mut self, ctx: &mut Ctx<Stamped>) {
        if self.started < self.events {
            let mean = self.every.as_ms().max(0.001);
            let wait = -mean * (1.0 - ctx.rng().random::<f64>()).ln();
            ctx.set_timer(Time::from_ms_f64(wait), 0);
        }
    }
}

impl Node<Stamped> for Stamper {
    fn on_start(&mut self, ctx: &mut Ctx<Stamped>) {
        self.vector = VectorClock::new(ctx.servers().len());
        ctx.set_timer(ms(100), 1);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Stamped>, _from: NodeId, msg: Stamped) {
        let late = ctx.now() < msg.wall;
        ctx.record("wall_error", late as u8 as f64);
        self.lamport.observe(msg.lamport);
        self.vector.observe(&msg.vector, ctx.id());
        self.stamp(ctx, Action::Receive);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Stamped>, tag: u64) {
        if tag == 0 {
            self.started += 1;
            self.lamport.tick();
            self.vector.tick(ctx.id());
            let peers: Vec<NodeId> = ctx.peers().collect();
            let to = peers.choose(ctx.rng()).copied();
            match to {
                Some(to) if ctx.rng().random_bool(0.5) => {
                    self.stamp(ctx, Action::Send);
                    let msg = Stamped {
                        wall: ctx.now(),
                        lamport: self.lamport.0,
                        vector: self.vector.clone(),
                    };
                    ctx.send(to, msg);
                }
                _ => self.stamp(ctx, Action::Local),
            }
        }
        self.next(ctx);
    }
}

/// Every stamped event of a run, in true-time order.
pub fn clock_events(run: &Run) -> Vec<ClockEvent> {
    let mut out: Vec<ClockEvent> = Vec::new();
    for o in &run.observations {
        match o.key.as_str() {
            "event" => out.push(ClockEvent {
                node: o.node,
                at: o.at,
                kind: match o.value as u8 {
                    0 => Action::Local,
                    1 => Action::Send,
                    _ => Action::Receive,
                },
                wall: Time::ZERO,
                lamport: 0,
                vector: VectorClock::default(),
            }),
            "wall" | "lamport" | "vc" => {
                let Some(e) = out.last_mut().filter(|e| e.node == o.node) else {
                    continue;
                };
                match o.key.as_str() {
                    "wall" => e.wall = Time::from_ms_f64(o.value),
                    "lamport" => e.lamport = o.value as u64,
                    _ => e.vector.0.push(o.value as u64),
                }
            }
            _ => {}
        }
    }
    out
}

/// Among pairs of events where one happened before the other, how many does `stamp` put in the
/// wrong order (effect stamped earlier than, or equal to, its cause)? Returns
/// `(misordered, causal pairs)`.
pub fn misordered(events: &[ClockEvent], stamp: impl Fn(&ClockEvent) -> f64) -> (usize, usize) {
    let (mut wrong, mut pairs) = (0, 0);
    for a in events {
        for b in events {
            if a.vector.compare(&b.vector) == Some(std::cmp::Ordering::Less) {
                pairs += 1;
                if stamp(b) <= stamp(a) {
                    wrong += 1;
                }
            }
        }
    }
    (wrong, pairs)
}

/// How many pairs of events are concurrent (neither could have influenced the other), out of
/// all pairs: `(concurrent, pairs)`.
pub fn concurrent_pairs(events: &[ClockEvent]) -> (usize, usize) {
    let mut conc = 0;
    for (i, a) in events.iter().enumerate() {
        for b in &events[i + 1..] {
            if a.vector.concurrent(&b.vector) {
                conc += 1;
            }
        }
    }
    (conc, events.len() * events.len().saturating_sub(1) / 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline::prelude::*;

    fn sim(skew_ms: f64) -> Sim<Stamped> {
        Sim::new(Net::new().delay(Delay::exponential(5.0).plus(1.0)))
            .nodes(3, |_| Stamper::new(ms(10)).events(30))
            .faults(Faults::new().clock(1, skew_ms, 0.0))
    }

    #[test]
    fn events_reassemble_with_full_vectors() {
        let run = sim(0.0).run(1);
        let ev = clock_events(&run);
        assert_eq!(ev.iter().filter(|e| e.kind != Action::Receive).count(), 90);
        assert!(ev.iter().all(|e| e.vector.0.len() == 3));
        let (conc, pairs) = concurrent_pairs(&ev);
        assert!(conc > 0 && conc < pairs);
    }

    #[test]
    fn lamport_never_misorders_and_skewed_wall_clocks_do() {
        let ev = clock_events(&sim(37.0).run(2));
        let (lamport, pairs) = misordered(&ev, |e| e.lamport as f64);
        assert_eq!(lamport, 0);
        assert!(pairs > 100);
        let (wall, _) = misordered(&ev, |e| e.wall.as_ms());
        assert!(wall > 0, "a clock 37 ms ahead stamps effects before causes");
        let (synced, _) = misordered(&clock_events(&sim(0.0).run(2)), |e| e.wall.as_ms());
        assert_eq!(
            synced, 0,
            "perfect clocks respect causality (delays are positive)"
        );
    }
}

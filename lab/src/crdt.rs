//! A replicated counter two ways, for notebook 09: a grow-only counter CRDT against a
//! last-writer-wins register holding the same increments.
//!
//! - [`Merge::GCounter`] keeps one entry per replica; a replica only ever raises its own entry,
//!   the value is the sum, and merging two states takes the element-wise maximum. Merging is
//!   commutative, associative and idempotent, so replicas that exchange states in any order, any
//!   number of times, end with every increment — however long they were cut off.
//! - [`Merge::Lww`] keeps one number stamped with the local clock of the replica that last
//!   changed it; an increment is "read, add one, write with my clock", and merging keeps the
//!   later stamp. Two replicas that incremented concurrently each overwrite the other's work, so
//!   one side's increments vanish when they meet.
//!
//! Each replica has one client that increments through it every 50 ms until 8 s (so the run ends
//! converged); the replica acknowledges at once (it is available) and gossips its state to the
//! others after each increment and every 250 ms. Clients record `acked` per acknowledgement,
//! replicas record `value` whenever what they show changes, so [`acknowledged`] and [`counted`] measure
//! what was promised against what the store kept.

use faultline::net::{Delay, Net};
use faultline::node::{Ctx, Node};
use faultline::run::Run;
use faultline::sim::Sim;
use faultline::time::{ms, secs, Time};
use faultline::trace::NodeId;
use rand::Rng as _;

/// How replicas reconcile.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Merge {
    /// Grow-only counter: one entry per replica, merged by element-wise maximum.
    GCounter,
    /// Last-writer-wins register: the value with the latest (clock, replica) stamp wins.
    Lww,
}

/// A replica's state, as gossiped.
#[derive(Clone, Debug, PartialEq)]
pub enum Tally {
    /// Client → replica: add one.
    Incr,
    /// Replica → client: done.
    Ack,
    /// Replica → replica: a G-counter's entries.
    Entries(Vec<u64>),
    /// Replica → replica: an LWW register's value and its (local clock µs, replica) stamp.
    Stamped(u64, (u64, NodeId)),
}

/// One replica of the counter.
#[derive(Clone, Debug)]
pub struct Counter {
    merge: Merge,
    entries: Vec<u64>,
    lww: (u64, (u64, NodeId)),
}

const GOSSIP: u64 = 0;
const GOSSIP_EVERY: Time = ms(250);

impl Counter {
    pub fn new(merge: Merge) -> Counter {
        Counter {
            merge,
            entries: Vec::new(),
            lww: (0, (0, 0)),
        }
    }

    /// What a read of this replica returns.
    pub fn value(&self) -> u64 {
        match self.merge {
            Merge::GCounter => self.entries.iter().sum(),
            Merge::Lww => self.lww.0,
        }
    }

    fn state(&self) -> Tally {
        match self.merge {
            Merge::GCounter => Tally::Entries(self.entries.clone()),
            Merge::Lww => Tally::Stamped(self.lww.0, self.lww.1),
        }
    }

    fn increment(&mut self, ctx: &mut Ctx<Tally>) {
        let me = ctx.id();
        match self.merge {
            Merge::GCounter => {
                self.grow(me + 1);
                self.entries[me] += 1;
            }
            Merge::Lww => self.lww = (self.lww.0 + 1, (ctx.now().0, me)),
        }
    }

    /// Folds a peer's state into ours: element-wise maximum, or the later stamp.
    fn absorb(&mut self, state: Tally) {
        match state {
            Tally::Entries(theirs) => {
                self.grow(theirs.len());
                for (mine, theirs) in self.entries.iter_mut().zip(theirs) {
                    *mine = (*mine).max(theirs);
                }
            }
            Tally::Stamped(value, stamp) if stamp > self.lww.1 => self.lww = (value, stamp),
            _ => {}
        }
    }

    fn grow(&mut self, len: usize) {
        if self.entries.len() < len {
            self.entries.resize(len, 0);
        }
    }

    /// Records the value a read would now return, when it changed.
    fn note(&self, ctx: &mut Ctx<Tally>, before: u64) {
        if self.value() != before {
            ctx.record("value", self.value() as f64);
        }
    }
}

impl Node<Tally> for Counter {
    fn on_start(&mut self, ctx: &mut Ctx<Tally>) {
        ctx.set_timer(GOSSIP_EVERY, GOSSIP);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Tally>, from: NodeId, msg: Tally) {
        let before = self.value();
        match msg {
            Tally::Incr => {
                self.increment(ctx);
                ctx.send(from, Tally::Ack);
                ctx.broadcast(self.state());
            }
            Tally::Ack => {}
            state => self.absorb(state),
        }
        self.note(ctx, before);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Tally>, _: u64) {
        ctx.broadcast(self.state());
        ctx.set_timer(GOSSIP_EVERY, GOSSIP);
    }
}

/// Increments through replica `home` every 50 ms (first at a random offset) until 8 s, and
/// records `acked` for every acknowledgement.
#[derive(Clone, Debug)]
pub struct Incrementer {
    home: NodeId,
}

const EVERY: Time = ms(50);
const STOP: Time = secs(8);

impl Node<Tally> for Incrementer {
    fn on_start(&mut self, ctx: &mut Ctx<Tally>) {
        let first = Time(ctx.rng().random_range(0..=EVERY.0));
        ctx.set_timer(first, 0);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Tally>, _: NodeId, msg: Tally) {
        if msg == Tally::Ack {
            ctx.record("acked", 1.0);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Tally>, _: u64) {
        if ctx.now() < STOP {
            ctx.send(self.home, Tally::Incr);
            ctx.set_timer(EVERY, 0);
        }
    }
}

/// `replicas` counter replicas reconciling by `merge`, each with one incrementing client (client
/// `replicas + i` uses replica `i`), on a network with 2–10 ms delays. Runs 10 s.
pub fn counter(merge: Merge, replicas: usize) -> Sim<Tally> {
    Sim::new(Net::new().delay(Delay::uniform(2.0, 10.0)))
        .nodes(replicas, move |_| Counter::new(merge))
        .clients(replicas, move |id| Incrementer {
            home: id - replicas,
        })
        .until(secs(10))
}

/// Increments acknowledged to clients in the whole run.
pub fn acknowledged(run: &Run) -> usize {
    run.observed("acked").count()
}

/// The value each replica (`0..replicas`) shows at the end of the run.
pub fn counted(run: &Run, replicas: usize) -> Vec<u64> {
    (0..replicas)
        .map(|r| run.last(r, "value").unwrap_or(0.0) as u64)
        .collect()
}

/// The value replica `node` showed over time, as `(seconds, value)` steps.
pub fn value_over_time(run: &Run, node: NodeId) -> Vec<(f64, f64)> {
    let steps = run.observed("value").filter(|o| o.node == node);
    std::iter::once((0.0, 0.0))
        .chain(steps.map(|o| (o.at.as_secs(), o.value)))
        .collect()
}

/// Acknowledged increments up to each moment a client was told "done", as `(seconds, count)`.
pub fn acked_over_time(run: &Run) -> Vec<(f64, f64)> {
    let acks = run.observed("acked").enumerate();
    std::iter::once((0.0, 0.0))
        .chain(acks.map(|(i, o)| (o.at.as_secs(), (i + 1) as f64)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cap::tests::cut;

    #[test]
    fn the_g_counter_keeps_every_acknowledged_increment() {
        let run = counter(Merge::GCounter, 3).faults(cut()).run(1);
        let acked = acknowledged(&run);
        assert!(acked > 400, "{acked}");
        assert_eq!(
            counted(&run, 3),
            vec![acked as u64; 3],
            "converged on all of them"
        );
    }

    #[test]
    fn last_writer_wins_loses_one_sides_increments() {
        let run = counter(Merge::Lww, 3).faults(cut()).run(1);
        let promised = acknowledged(&run) as u64;
        let kept = counted(&run, 3);
        assert!(kept.iter().all(|&k| k == kept[0]), "converged: {kept:?}");
        // One side's partition increments (a third or two thirds of 180) are gone.
        assert!(kept[0] + 40 < promised, "kept {} of {promised}", kept[0]);
        let calm = counter(Merge::Lww, 3).run(1);
        let calm_lost = acknowledged(&calm) as u64 - counted(&calm, 3)[0];
        assert!(calm_lost > 0, "concurrent increments race too");
        assert!(promised - kept[0] > calm_lost);
    }

    #[test]
    fn merging_is_idempotent_and_order_free() {
        let mut a = Counter::new(Merge::GCounter);
        let mut b = Counter::new(Merge::GCounter);
        a.absorb(Tally::Entries(vec![3, 0, 1]));
        b.absorb(Tally::Entries(vec![0, 5]));
        let (sa, sb) = (a.state(), b.state());
        a.absorb(sb.clone());
        a.absorb(sb);
        b.absorb(sa);
        assert_eq!((a.value(), b.value()), (9, 9));
    }
}

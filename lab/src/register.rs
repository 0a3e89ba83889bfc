//! A quorum-replicated register: replicas keep versioned values, clients read from R replicas
//! and write to W, with optional read repair.
//!
//! Writes first ask R replicas for the highest version, then write version + 1 to W replicas.
//! Reads take the highest version among R replies and, with read repair, write it back to W
//! replicas before answering — the step that makes the register linearizable when R + W > N.

use faultline::history::{History, Key, OpKind, Outcome, Value};
use faultline::node::{Ctx, Node, TimerId};
use faultline::time::{ms, Time};
use faultline::trace::NodeId;
use rand::seq::SliceRandom;
use rand::Rng as _;
use std::collections::BTreeMap;

/// A value's version: a counter, then the writer's id to break ties.
pub type Version = (u64, NodeId);

/// Register protocol messages.
#[derive(Clone, Debug, PartialEq)]
pub enum Quorum {
    Read {
        op: u64,
        key: Key,
    },
    ReadAck {
        op: u64,
        version: Version,
        value: Option<Value>,
    },
    Write {
        op: u64,
        key: Key,
        version: Version,
        value: Option<Value>,
    },
    WriteAck {
        op: u64,
    },
}

/// A replica. Its data lives in durable storage, so it survives crash and restart.
#[derive(Clone, Debug, Default)]
pub struct Replica;

type Data = BTreeMap<Key, (Version, Option<Value>)>;

impl Node<Quorum> for Replica {
    fn on_message(&mut self, ctx: &mut Ctx<Quorum>, from: NodeId, msg: Quorum) {
        if ctx.storage().get::<Data>("data").is_none() {
            ctx.storage().put("data", Data::new());
        }
        let data = ctx.storage().get_mut::<Data>("data").expect("just created");
        match msg {
            Quorum::Read { op, key } => {
                let (version, value) = data.get(&key).cloned().unwrap_or(((0, 0), None));
                ctx.send(from, Quorum::ReadAck { op, version, value });
            }
            Quorum::Write {
                op,
                key,
                version,
                value,
            } => {
                let entry = data.entry(key).or_insert(((0, 0), None));
                if version > entry.0 {
                    *entry = (version, value);
                }
                ctx.send(from, Quorum::WriteAck { op });
            }
            _ => {}
        }
    }
}

#[derive(Clone, Debug)]
enum Phase {
    /// Collecting versions (for a read, or before a write).
    Query {
        best: (Version, Option<Value>),
        acks: usize,
    },
    /// Collecting write acknowledgements.
    Store { value: Option<Value>, acks: usize },
}

#[derive(Clone, Debug)]
struct InFlight {
    op: usize,
    wire: u64,
    key: Key,
    is_write: bool,
    new_value: Value,
    phase: Phase,
    timer: TimerId,
}

/// A client performing `ops` random reads and writes (half each) one after another.
#[derive(Clone, Debug)]
pub struct QuorumClient {
    ops: u64,
    r: usize,
    w: usize,
    read_repair: bool,
    contact_all: bool,
    timeout: Time,
    think: Time,
    keys: u64,
    done: u64,
    wire: u64,
    current: Option<InFlight>,
}

const TIMEOUT: u64 = 0;
const NEXT: u64 = 1;

impl QuorumClient {
    /// `ops` operations with R = W = 2, no read repair, 50 ms timeout, 1 key.
    pub fn new(ops: u64) -> QuorumClient {
        QuorumClient {
            ops,
            r: 2,
            w: 2,
            read_repair: false,
            contact_all: false,
            timeout: ms(50),
            think: ms(1),
            keys: 1,
            done: 0,
            wire: 0,
            current: None,
        }
    }

    pub fn r(mut self, r: usize) -> Self {
        self.r = r.max(1);
        self
    }

    pub fn w(mut self, w: usize) -> Self {
        self.w = w.max(1);
        self
    }

    /// Write the freshest value back to W replicas before a read returns.
    pub fn read_repair(mut self, on: bool) -> Self {
        self.read_repair = on;
        self
    }

    /// Contact every replica and wait for the first R (or W), instead of exactly R (or W)
    /// replicas chosen at random.
    pub fn contact_all(mut self, on: bool) -> Self {
        self.contact_all = on;
        self
    }

    pub fn timeout(mut self, t: Time) -> Self {
        self.timeout = t;
        self
    }

    pub fn think(mut self, t: Time) -> Self {
        self.think = t;
        self
    }

    pub fn keys(mut self, k: u64) -> Self {
        self.keys = k.max(1);
        self
    }

    fn targets(&self, ctx: &mut Ctx<Quorum>, quorum: usize) -> Vec<NodeId> {
        let mut servers = ctx.servers().to_vec();
        if !self.contact_all {
            servers.shuffle(ctx.rng());
            servers.truncate(quorum);
        }
        servers
    }

    fn start(&mut self, ctx: &mut Ctx<Quorum>) {
        if self.done >= self.ops || ctx.servers().is_empty() {
            return;
        }
        self.done += 1;
        self.wire += 1;
        let key = ctx.rng().random_range(0..self.keys);
        let is_write = ctx.rng().random_bool(0.5);
        let new_value = (ctx.id() as Value) * 1_000_000 + self.done as Value;
        let kind = if is_write {
            OpKind::Write {
                key,
                value: new_value,
            }
        } else {
            OpKind::Read { key }
        };
        let op = ctx.invoke(kind);
        let timer = ctx.set_timer(self.timeout, TIMEOUT);
        let wire = self.wire;
        for to in self.targets(ctx, self.r) {
            ctx.send(to, Quorum::Read { op: wire, key });
        }
        self.current = Some(InFlight {
            op,
            wire,
            key,
            is_write,
            new_value,
            phase: Phase::Query {
                best: ((0, 0), None),
                acks: 0,
            },
            timer,
        });
    }

    fn store(&mut self, ctx: &mut Ctx<Quorum>, version: Version, value: Option<Value>) {
        let Some(cur) = &mut self.current else { return };
        let (wire, key) = (cur.wire, cur.key);
        cur.phase = Phase::Store { value, acks: 0 };
        for to in self.targets(ctx, self.w) {
            ctx.send(
                to,
                Quorum::Write {
                    op: wire,
                    key,
                    version,
                    value,
                },
            );
        }
    }

    fn finish(&mut self, ctx: &mut Ctx<Quorum>, outcome: Outcome) {
        if let Some(cur) = self.current.take() {
            ctx.cancel_timer(cur.timer);
            ctx.complete(cur.op, outcome);
            ctx.set_timer(self.think, NEXT);
        }
    }
}

impl Node<Quorum> for QuorumClient {
    fn on_start(&mut self, ctx: &mut Ctx<Quorum>) {
        self.start(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Quorum>, _from: NodeId, msg: Quorum) {
        let me = ctx.id();
        let (r, w, repair) = (self.r, self.w, self.read_repair);
        let Some(cur) = &mut self.current else { return };
        match (msg, &mut cur.phase) {
            (Quorum::ReadAck { op, version, value }, Phase::Query { best, acks })
                if op == cur.wire =>
            {
                if version > best.0 {
                    *best = (version, value);
                }
                *acks += 1;
                if *acks < r {
                    return;
                }
                let (version, value) = *best;
                if cur.is_write {
                    let v = Some(cur.new_value);
                    self.store(ctx, (version.0 + 1, me), v);
                } else if repair {
                    self.store(ctx, version, value);
                } else {
                    self.finish(ctx, Outcome::Ok(value));
                }
            }
            (Quorum::WriteAck { op }, Phase::Store { value, acks }) if op == cur.wire => {
                *acks += 1;
                if *acks >= w {
                    let outcome = if cur.is_write {
                        Outcome::Ok(None)
                    } else {
                        Outcome::Ok(*value)
                    };
                    self.finish(ctx, outcome);
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Quorum>, tag: u64) {
        match tag {
            NEXT => self.start(ctx),
            TIMEOUT => {
                let outcome = match &self.current {
                    // A write may have reached some replicas: its effect is unknown.
                    Some(c) if c.is_write => Outcome::Unknown,
                    _ => Outcome::Fail,
                };
                self.finish(ctx, outcome);
            }
            _ => {}
        }
    }
}

/// Counts reads that returned an outdated value: one written by a write that had already been
/// superseded — a later write completed before the read began — or the initial empty value
/// after a write completed. Values of writes with an unknown outcome (timed out) are not counted:
/// such a write may have landed at any time. Returns `(stale, ok_reads)`.
pub fn stale_reads(history: &History) -> (usize, usize) {
    let writes: Vec<_> = history
        .ops
        .iter()
        .filter(|o| matches!(o.kind, OpKind::Write { .. }) && matches!(o.outcome, Outcome::Ok(_)))
        .collect();
    let (mut stale, mut reads) = (0, 0);
    for read in history
        .ok()
        .filter(|o| matches!(o.kind, OpKind::Read { .. }))
    {
        reads += 1;
        let Outcome::Ok(seen) = read.outcome else {
            continue;
        };
        let key = read.kind.key();
        // The newest write that had completed, by invocation order, when the read began.
        let newest_done = writes
            .iter()
            .filter(|w| w.kind.key() == key && w.completed.is_some_and(|c| c < read.invoked))
            .max_by_key(|w| w.invoked);
        let Some(newest) = newest_done else { continue };
        // Where the value came from. A write whose outcome is unknown may have taken effect at
        // any time after it began, so reading its value is never provably stale.
        let source = history
            .ops
            .iter()
            .find(|w| matches!(w.kind, OpKind::Write { value, .. } if Some(value) == seen));
        let outdated = match source {
            None => true, // the initial empty value, or a value nobody wrote
            Some(src) => match src.outcome {
                Outcome::Ok(_) => src.completed.is_some_and(|c| c < newest.invoked),
                Outcome::Unknown => false,
                Outcome::Fail => true, // a failed write should never be visible
            },
        };
        if outdated {
            stale += 1;
        }
    }
    (stale, reads)
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline::prelude::*;

    fn sim(r: usize, w: usize, repair: bool) -> Sim<Quorum> {
        Sim::new(Net::new().delay(Delay::exponential(3.0).plus(1.0)))
            .nodes(3, |_| Replica)
            .clients(2, move |_| {
                QuorumClient::new(100).r(r).w(w).read_repair(repair)
            })
    }

    #[test]
    fn overlapping_quorums_never_read_stale_and_small_ones_do() {
        let (mut small, mut big) = ((0, 0), (0, 0));
        for seed in 0..20 {
            let s = stale_reads(&sim(1, 1, false).run_untraced(seed).history);
            let b = stale_reads(&sim(2, 2, true).run_untraced(seed).history);
            small = (small.0 + s.0, small.1 + s.1);
            big = (big.0 + b.0, big.1 + b.1);
        }
        assert!(small.0 > 10, "R=W=1 of 3 reads stale values: {small:?}");
        assert_eq!(big.0, 0, "R=W=2 of 3 with repair never does: {big:?}");
        for seed in 0..20 {
            let run = sim(2, 2, true).run_untraced(seed);
            assert!(
                run.linearizable().is_ok(),
                "seed {seed}: {:?}",
                run.linearizable()
            );
        }
        let broken = (0..20).filter(|&s| sim(1, 1, false).run_untraced(s).linearizable().is_err());
        assert!(broken.count() > 10, "R=W=1 histories are not linearizable");
        assert!(big.1 > 500);
    }

    #[test]
    fn stale_means_superseded_before_the_read_began() {
        let mut h = History::default();
        let w = |key, value| OpKind::Write { key, value };
        let w1 = h.invoke(1, w(0, 1), ms(0));
        h.complete(w1, Outcome::Ok(None), ms(1));
        let w2 = h.invoke(1, w(0, 2), ms(2));
        h.complete(w2, Outcome::Ok(None), ms(3));
        let lost = h.invoke(1, w(0, 3), ms(4)); // timed out: may have landed
        h.complete(lost, Outcome::Unknown, ms(9));
        let failed = h.invoke(1, w(0, 4), ms(4));
        h.complete(failed, Outcome::Fail, ms(5));
        for seen in [Some(1), Some(2), Some(3), Some(4), None] {
            let r = h.invoke(2, OpKind::Read { key: 0 }, ms(10));
            h.complete(r, Outcome::Ok(seen), ms(11));
        }
        assert_eq!(stale_reads(&h), (3, 5));
    }

    #[test]
    fn crashed_replica_within_tolerance_keeps_it_available() {
        let all = |_| QuorumClient::new(100).read_repair(true).contact_all(true);
        let crash = Faults::new().crash_at(ms(20), 0);
        let run = sim(2, 2, true).faults(crash.clone()).run(3);
        assert!(
            run.ok_rate() < 0.3,
            "exact quorums keep picking the dead replica"
        );
        let run = Sim::new(Net::new())
            .nodes(3, |_| Replica)
            .clients(2, all)
            .faults(crash)
            .run(3);
        assert!(
            run.ok_rate() > 0.95,
            "contacting all, 2 of 3 answer: {}",
            run.ok_rate()
        );
        let run = sim(2, 2, true)
            .faults(Faults::new().crash_at(ms(20), 0).crash_at(ms(20), 1))
            .run(3);
        let late_ok = run.history.ok().filter(|o| o.invoked > ms(30)).count();
        assert_eq!(late_ok, 0, "two of three down: no quorum");
    }
}

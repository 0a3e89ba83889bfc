//! Sloppy quorums with hinted handoff (Dynamo's trick), for notebook 12: where R + W > N stops
//! meaning what it says.
//!
//! Five servers hold one key. Its **home** replicas are the first N = 3; the other two are
//! **substitutes**. Every client writes to W = 2 and reads from R = 2 of the home replicas, so
//! R + W > N. When a home replica does not acknowledge a write within 30 ms:
//!
//! - [`QuorumMode::Strict`] waits; without W home acknowledgements the write times out.
//! - [`QuorumMode::Sloppy`] sends it to a substitute instead, tagged with the home it stands in
//!   for (a *hint*); the substitute's acknowledgement counts towards W, and it keeps handing the
//!   value over to the home replica every 100 ms until that one acknowledges.
//!
//! Reads ask only home replicas, so during a partition a sloppy write acknowledged by one home
//! replica and one substitute, and a read quorum of the two other home replicas, need not share
//! a replica: the read misses an acknowledged write although R + W > N.
//!
//! Versions are (the writing client's clock in µs, its id): the latest write wins. The history
//! holds reads and writes of key 0, so [`stale_reads`](crate::register::stale_reads) and
//! [`window`](crate::cap::window) judge it.

use faultline::history::{OpId, OpKind, Outcome, Value};
use faultline::net::{Delay, Net};
use faultline::node::{Ctx, Node};
use faultline::sim::Sim;
use faultline::time::{ms, secs, Time};
use faultline::trace::NodeId;
use rand::Rng as _;
use std::collections::BTreeMap;

/// Replicas of the key (the first N servers); the rest are substitutes.
const N: usize = 3;
const R: usize = 2;
const W: usize = 2;

/// A value's version: (writer's clock µs, writer's id).
type Version = (u64, NodeId);

/// Whether a write may count substitutes' acknowledgements.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum QuorumMode {
    /// Only home replicas count towards W.
    Strict,
    /// Substitutes holding a hint count too.
    Sloppy,
}

/// Messages of the store.
#[derive(Clone, Debug, PartialEq)]
pub enum Hinted {
    Read {
        op: u64,
    },
    /// Home replica → client: what it holds.
    ReadAck {
        op: u64,
        data: (Version, Option<Value>),
    },
    /// Store this for `home` (the receiver itself, or the home it stands in for).
    Write {
        op: u64,
        home: NodeId,
        version: Version,
        value: Value,
    },
    WriteAck {
        op: u64,
    },
    /// Substitute → home: a hinted write, handed over.
    Handoff {
        version: Version,
        value: Value,
    },
    HandedOff {
        version: Version,
    },
}

/// A server: a home replica of the key, or a substitute keeping hints for absent homes.
#[derive(Clone, Debug, Default)]
pub struct HintedReplica {
    data: (Version, Option<Value>),
    /// Hints held for other homes: home → newest (version, value) written for it.
    hints: BTreeMap<NodeId, (Version, Value)>,
}

const HANDOFF_EVERY: Time = ms(100);

impl HintedReplica {
    fn store(&mut self, ctx: &mut Ctx<Hinted>, version: Version, value: Value) {
        if version > self.data.0 {
            self.data = (version, Some(value));
            ctx.record("version", version.0 as f64);
        }
    }
}

impl Node<Hinted> for HintedReplica {
    fn on_start(&mut self, ctx: &mut Ctx<Hinted>) {
        ctx.set_timer(HANDOFF_EVERY, 0);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Hinted>, from: NodeId, msg: Hinted) {
        match msg {
            Hinted::Read { op } => ctx.send(
                from,
                Hinted::ReadAck {
                    op,
                    data: self.data,
                },
            ),
            Hinted::Write {
                op,
                home,
                version,
                value,
            } => {
                if home == ctx.id() {
                    self.store(ctx, version, value);
                } else {
                    let hint = self.hints.entry(home).or_insert((version, value));
                    if version > hint.0 {
                        *hint = (version, value);
                    }
                    ctx.record("hint", home as f64);
                }
                ctx.send(from, Hinted::WriteAck { op });
            }
            Hinted::Handoff { version, value } => {
                self.store(ctx, version, value);
                ctx.send(from, Hinted::HandedOff { version });
            }
            Hinted::HandedOff { version } => {
                // Drop the hint unless a newer one arrived meanwhile.
                if self.hints.get(&from).is_some_and(|h| h.0 == version) {
                    self.hints.remove(&from);
                    ctx.record("handed off", from as f64);
                }
            }
            Hinted::ReadAck { .. } | Hinted::WriteAck { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Hinted>, _: u64) {
        for (&home, &(version, value)) in &self.hints {
            ctx.send(home, Hinted::Handoff { version, value });
        }
        ctx.set_timer(HANDOFF_EVERY, 0);
    }
}

/// An operation a client is waiting on.
#[derive(Clone, Debug)]
struct Pending {
    id: OpId,
    write: Option<(Version, Value)>,
    /// Home replicas that answered (for a write: acknowledged directly).
    homes: Vec<NodeId>,
    /// Substitutes that acknowledged a hinted write.
    substitutes: usize,
    best: (Version, Option<Value>),
}

/// A client: every 25 ms a read or (half the time) a write of a fresh value, R = 2 and W = 2 of
/// the N = 3 home replicas; gives up after 200 ms (a write then has an unknown outcome).
#[derive(Clone, Debug)]
pub struct HintedClient {
    mode: QuorumMode,
    next: u64,
    pending: BTreeMap<u64, Pending>,
}

const TICK: u64 = u64::MAX;
/// Timer tags: op number × 2 for the fallback to substitutes, + 1 for the timeout.
const FALLBACK: Time = ms(30);
const TIMEOUT: Time = ms(200);

impl HintedClient {
    pub fn new(mode: QuorumMode) -> HintedClient {
        HintedClient {
            mode,
            next: 0,
            pending: BTreeMap::new(),
        }
    }

    fn begin(&mut self, ctx: &mut Ctx<Hinted>) {
        self.next += 1;
        let op = self.next;
        let homes: Vec<NodeId> = ctx.servers()[..N].to_vec();
        let write = ctx.rng().random_bool(0.5).then(|| {
            let value = ctx.id() as Value * 1_000_000 + op as Value;
            ((ctx.now().0, ctx.id()), value)
        });
        let id = match write {
            Some((_, value)) => ctx.invoke(OpKind::Write { key: 0, value }),
            None => ctx.invoke(OpKind::Read { key: 0 }),
        };
        for &home in &homes {
            let msg = match write {
                Some((version, value)) => Hinted::Write {
                    op,
                    home,
                    version,
                    value,
                },
                None => Hinted::Read { op },
            };
            ctx.send(home, msg);
        }
        self.pending.insert(
            op,
            Pending {
                id,
                write,
                homes: Vec::new(),
                substitutes: 0,
                best: ((0, 0), None),
            },
        );
        if write.is_some() && self.mode == QuorumMode::Sloppy {
            ctx.set_timer(FALLBACK, op * 2);
        }
        ctx.set_timer(TIMEOUT, op * 2 + 1);
    }

    /// Sloppy mode: a substitute stands in for each home replica that has not acknowledged.
    fn fall_back(&mut self, ctx: &mut Ctx<Hinted>, op: u64) {
        let Some(p) = self.pending.get(&op) else {
            return;
        };
        let Some((version, value)) = p.write else {
            return;
        };
        let silent = ctx.servers()[..N]
            .iter()
            .filter(|h| !p.homes.contains(h))
            .copied();
        let substitutes = ctx.servers()[N..].to_vec();
        let pairs: Vec<(NodeId, NodeId)> = silent.zip(substitutes).collect();
        for (home, substitute) in pairs {
            let msg = Hinted::Write {
                op,
                home,
                version,
                value,
            };
            ctx.send(substitute, msg);
        }
    }

    fn finish(&mut self, ctx: &mut Ctx<Hinted>, op: u64, outcome: Outcome) {
        if let Some(p) = self.pending.remove(&op) {
            ctx.complete(p.id, outcome);
        }
    }
}

impl Node<Hinted> for HintedClient {
    fn on_start(&mut self, ctx: &mut Ctx<Hinted>) {
        let first = Time(ctx.rng().random_range(0..=ms(25).0));
        ctx.set_timer(first, TICK);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Hinted>, from: NodeId, msg: Hinted) {
        let home = ctx.servers()[..N].contains(&from);
        match msg {
            Hinted::ReadAck { op, data } => {
                let Some(p) = self.pending.get_mut(&op) else {
                    return;
                };
                p.homes.push(from);
                if data.0 > p.best.0 {
                    p.best = data;
                }
                if p.homes.len() >= R {
                    let seen = p.best.1;
                    self.finish(ctx, op, Outcome::Ok(seen));
                }
            }
            Hinted::WriteAck { op } => {
                let Some(p) = self.pending.get_mut(&op) else {
                    return;
                };
                if home {
                    p.homes.push(from);
                } else {
                    p.substitutes += 1;
                }
                if p.homes.len() + p.substitutes >= W {
                    self.finish(ctx, op, Outcome::Ok(None));
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Hinted>, tag: u64) {
        if tag == TICK {
            self.begin(ctx);
            ctx.set_timer(ms(25), TICK);
        } else if tag.is_multiple_of(2) {
            self.fall_back(ctx, tag / 2);
        } else {
            let op = tag / 2;
            let outcome = match self.pending.get(&op) {
                // A write may have reached some replicas: its effect is unknown.
                Some(p) if p.write.is_some() => Outcome::Unknown,
                _ => Outcome::Fail,
            };
            self.finish(ctx, op, outcome);
        }
    }
}

/// Five servers (home replicas 0–2 of the key, substitutes 3 and 4) and two clients (5 and 6)
/// with R = W = 2 of N = 3, on a network with 2–10 ms delays. Runs 10 s.
pub fn hinted_store(mode: QuorumMode) -> Sim<Hinted> {
    Sim::new(Net::new().delay(Delay::uniform(2.0, 10.0)))
        .nodes(N + 2, |_| HintedReplica::default())
        .clients(2, move |_| HintedClient::new(mode))
        .until(secs(10))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cap::window;
    use faultline::prelude::*;

    /// Client 5 with home replica 0 and both substitutes; client 6 with home replicas 1 and 2.
    fn cut() -> Faults {
        Faults::new()
            .partition_at(secs(3), [vec![0, 3, 4, 5], vec![1, 2, 6]])
            .heal_at(secs(6))
    }

    #[test]
    fn strict_quorums_never_read_stale_sloppy_ones_do_during_a_partition() {
        let strict = hinted_store(QuorumMode::Strict).faults(cut()).run(1);
        let sloppy = hinted_store(QuorumMode::Sloppy).faults(cut()).run(1);
        let (s, l) = (
            window(&strict.history, secs(3), secs(6)),
            window(&sloppy.history, secs(3), secs(6)),
        );
        assert_eq!(s.stale, 0, "R + W > N with strict quorums: {s:?}");
        assert!(l.stale > 10, "sloppy writes escape the read quorum: {l:?}");
        assert!(s.errors > l.errors, "strict refuses more: {s:?} vs {l:?}");
        let calm = hinted_store(QuorumMode::Sloppy).run(1);
        assert_eq!(window(&calm.history, secs(0), secs(10)).stale, 0);
    }

    #[test]
    fn hints_are_handed_off_after_the_heal() {
        let run = hinted_store(QuorumMode::Sloppy).faults(cut()).run(1);
        assert!(run.observed("hint").count() > 10);
        let handed: Vec<_> = run.observed("handed off").collect();
        assert!(!handed.is_empty() && handed.iter().all(|o| o.at >= secs(6)));
        let after = window(&run.history, ms(6500), secs(10));
        assert_eq!(after.stale, 0, "{after:?}");
    }
}

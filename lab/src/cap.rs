//! CAP under a partition: one replicated register, two ways to run it.
//!
//! - [`CapMode::Cp`] (the bank): a replica answers only after hearing from a majority of replicas
//!   (itself included); cut off from the majority, it refuses (`Fail`) rather than guess.
//! - [`CapMode::Ap`] (the social feed): a replica answers from its own copy at once and tells the
//!   others afterwards; cut off, it keeps answering — possibly with an old value — and replicas
//!   reconcile through anti-entropy once the partition heals by **last writer wins**: every
//!   write is stamped with its replica's local clock, and the latest timestamp wins — so a write
//!   made on the other side of a partition, or on a replica whose clock is behind, is silently
//!   discarded although its client was told "done" ([`lost_writes`] counts them).
//!
//! Each [`KvClient`] talks only to its home replica (a user routed to their nearest region), so
//! a partition puts clients on both sides. The history holds ordinary reads and writes of key 0,
//! so [`stale_reads`], the linearizability checker and
//! [`over_time`] can judge it.

use crate::register::stale_reads;
use faultline::history::{History, Op, OpKind, Outcome, Value};
use faultline::net::{Delay, Net};
use faultline::node::{Ctx, Node};
use faultline::run::Run;
use faultline::sim::Sim;
use faultline::time::{ms, Time};
use faultline::trace::NodeId;
use rand::Rng as _;
use std::collections::{BTreeMap, BTreeSet};

/// A value's version, then the writing replica to break ties: a counter in CP mode, the writing
/// replica's local clock (µs) in AP mode.
type Version = (u64, NodeId);

/// How the store behaves when replicas cannot reach each other.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CapMode {
    /// Consistent: refuse without a majority.
    Cp,
    /// Available: answer locally, reconcile later.
    Ap,
}

/// Messages of the store.
#[derive(Clone, Debug, PartialEq)]
pub enum Kv {
    /// Client → home replica.
    Get {
        op: u64,
    },
    Put {
        op: u64,
        value: Value,
    },
    /// Home replica → client.
    Reply {
        op: u64,
        ok: bool,
        value: Option<Value>,
    },
    /// Replica → replica: "what do you have?" (CP), answered by `State`.
    Ask {
        req: u64,
    },
    /// Replica → replica: "store this if it is newer" (CP writes with `req > 0`, which are
    /// acknowledged with `Stored`; AP updates and anti-entropy with `req = 0`).
    Store {
        req: u64,
        version: Version,
        value: Option<Value>,
    },
    State {
        req: u64,
        version: Version,
        value: Option<Value>,
    },
    Stored {
        req: u64,
    },
}

/// A CP request a replica is coordinating.
#[derive(Clone, Debug)]
struct Coord {
    client: NodeId,
    op: u64,
    put: Option<Value>,
    writing: bool,
    best: (Version, Option<Value>),
    acks: usize,
}

/// One replica of the register.
#[derive(Clone, Debug)]
pub struct Store {
    mode: CapMode,
    timeout: Time,
    sync_every: Time,
    version: Version,
    value: Option<Value>,
    next_req: u64,
    coords: BTreeMap<u64, Coord>,
}

const SYNC: u64 = u64::MAX;

impl Store {
    /// CP replicas give up after 100 ms without a majority; AP replicas run anti-entropy every
    /// 250 ms.
    pub fn new(mode: CapMode) -> Store {
        Store {
            mode,
            timeout: ms(100),
            sync_every: ms(250),
            version: (0, 0),
            value: None,
            next_req: 1,
            coords: BTreeMap::new(),
        }
    }

    fn adopt(&mut self, ctx: &mut Ctx<Kv>, version: Version, value: Option<Value>) {
        if version > self.version {
            self.version = version;
            self.value = value;
            Self::note(ctx, version, value);
        }
    }

    /// Records what this replica now holds, so runs can show divergence and reconciliation.
    fn note(ctx: &mut Ctx<Kv>, version: Version, value: Option<Value>) {
        ctx.record("version", version.0 as f64);
        ctx.record("value", value.unwrap_or(0) as f64);
    }

    fn majority(ctx: &Ctx<Kv>) -> usize {
        ctx.servers().len() / 2 + 1
    }

    fn ap(&mut self, ctx: &mut Ctx<Kv>, from: NodeId, op: u64, put: Option<Value>) {
        if let Some(v) = put {
            // Last writer wins: the timestamp is this replica's clock, whatever others hold.
            let version = (ctx.now().0, ctx.id());
            ctx.record("write", v as f64);
            ctx.record("overwrote", self.value.unwrap_or(0) as f64);
            self.adopt(ctx, version, Some(v));
            let value = Some(v);
            ctx.broadcast(Kv::Store {
                req: 0,
                version,
                value,
            });
        }
        let value = if put.is_some() { None } else { self.value };
        ctx.send(
            from,
            Kv::Reply {
                op,
                ok: true,
                value,
            },
        );
    }

    fn cp(&mut self, ctx: &mut Ctx<Kv>, client: NodeId, op: u64, put: Option<Value>) {
        let req = self.next_req;
        self.next_req += 1;
        // Phase 1 (reads and writes): learn the newest version a majority holds; we count as one.
        self.coords.insert(
            req,
            Coord {
                client,
                op,
                put,
                writing: false,
                best: (self.version, self.value),
                acks: 1,
            },
        );
        ctx.broadcast(Kv::Ask { req });
        ctx.set_timer(self.timeout, req);
        self.progress(ctx, req);
    }

    /// Moves a CP request on once a majority has answered the current phase.
    fn progress(&mut self, ctx: &mut Ctx<Kv>, req: u64) {
        let need = Self::majority(ctx);
        let me = ctx.id();
        let Some(c) = self.coords.get_mut(&req) else {
            return;
        };
        if c.acks < need {
            return;
        }
        match (c.put, c.writing) {
            (Some(v), false) => {
                // Phase 2 of a write: store version + 1 at a majority.
                let version = (c.best.0 .0 + 1, me);
                c.writing = true;
                c.acks = 1;
                self.adopt(ctx, version, Some(v));
                ctx.broadcast(Kv::Store {
                    req,
                    version,
                    value: Some(v),
                });
                self.progress(ctx, req);
            }
            _ => {
                let c = self.coords.remove(&req).expect("present");
                let value = if c.put.is_some() { None } else { c.best.1 };
                self.adopt(ctx, c.best.0, c.best.1);
                let reply = Kv::Reply {
                    op: c.op,
                    ok: true,
                    value,
                };
                ctx.send(c.client, reply);
            }
        }
    }
}

impl Node<Kv> for Store {
    fn on_start(&mut self, ctx: &mut Ctx<Kv>) {
        if self.mode == CapMode::Ap {
            ctx.set_timer(self.sync_every, SYNC);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Kv>, from: NodeId, msg: Kv) {
        match msg {
            Kv::Get { op } | Kv::Put { op, .. } => {
                let put = match msg {
                    Kv::Put { value, .. } => Some(value),
                    _ => None,
                };
                match self.mode {
                    CapMode::Ap => self.ap(ctx, from, op, put),
                    CapMode::Cp => self.cp(ctx, from, op, put),
                }
            }
            Kv::Ask { req } => {
                let (version, value) = (self.version, self.value);
                ctx.send(
                    from,
                    Kv::State {
                        req,
                        version,
                        value,
                    },
                );
            }
            Kv::Store {
                req,
                version,
                value,
            } => {
                self.adopt(ctx, version, value);
                if req > 0 {
                    ctx.send(from, Kv::Stored { req });
                }
            }
            Kv::State {
                req,
                version,
                value,
            } => {
                if let Some(c) = self.coords.get_mut(&req).filter(|c| !c.writing) {
                    if version > c.best.0 {
                        c.best = (version, value);
                    }
                    c.acks += 1;
                    self.progress(ctx, req);
                }
            }
            Kv::Stored { req } => {
                if let Some(c) = self.coords.get_mut(&req).filter(|c| c.writing) {
                    c.acks += 1;
                    self.progress(ctx, req);
                }
            }
            Kv::Reply { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Kv>, tag: u64) {
        if tag == SYNC {
            // Anti-entropy: offer our copy to everyone; newer versions win on arrival.
            let (version, value) = (self.version, self.value);
            ctx.broadcast(Kv::Store {
                req: 0,
                version,
                value,
            });
            ctx.set_timer(self.sync_every, SYNC);
        } else if let Some(c) = self.coords.remove(&tag) {
            // No majority in time. Before any replica stored anything, refusing is the truth;
            // a write already stored at some replicas may still surface, so then say nothing
            // and let the client's own timeout report "unknown".
            if !c.writing {
                let reply = Kv::Reply {
                    op: c.op,
                    ok: false,
                    value: None,
                };
                ctx.send(c.client, reply);
            }
        }
    }
}

/// A client of one home replica: every `every`, a read or (with probability `writes`) a write
/// of a fresh value; 300 ms timeout.
#[derive(Clone, Debug)]
pub struct KvClient {
    home: NodeId,
    every: Time,
    writes: f64,
    timeout: Time,
    next: u64,
    open: BTreeMap<u64, usize>,
}

impl KvClient {
    /// Talks to replica `home` every 50 ms, one write in three.
    pub fn new(home: NodeId) -> KvClient {
        KvClient {
            home,
            every: ms(50),
            writes: 1.0 / 3.0,
            timeout: ms(300),
            next: 0,
            open: BTreeMap::new(),
        }
    }

    pub fn every(mut self, t: Time) -> Self {
        self.every = t;
        self
    }

    /// Fraction of operations that are writes.
    pub fn writes(mut self, p: f64) -> Self {
        self.writes = p.clamp(0.0, 1.0);
        self
    }
}

const TICK: u64 = u64::MAX;

impl Node<Kv> for KvClient {
    fn on_start(&mut self, ctx: &mut Ctx<Kv>) {
        let first = Time(ctx.rng().random_range(0..=self.every.0));
        ctx.set_timer(first, TICK);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Kv>, _from: NodeId, msg: Kv) {
        if let Kv::Reply { op, ok, value } = msg {
            if let Some(id) = self.open.remove(&op) {
                let outcome = match (ok, value) {
                    (false, _) => Outcome::Fail,
                    (true, v) => Outcome::Ok(v),
                };
                ctx.complete(id, outcome);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Kv>, tag: u64) {
        if tag != TICK {
            if let Some(id) = self.open.remove(&tag) {
                ctx.complete(id, Outcome::Unknown);
            }
            return;
        }
        self.next += 1;
        let op = self.next;
        let msg = if ctx.rng().random_bool(self.writes) {
            let value = ctx.id() as Value * 1_000_000 + op as Value;
            let id = ctx.invoke(OpKind::Write { key: 0, value });
            self.open.insert(op, id);
            Kv::Put { op, value }
        } else {
            let id = ctx.invoke(OpKind::Read { key: 0 });
            self.open.insert(op, id);
            Kv::Get { op }
        };
        ctx.send(self.home, msg);
        ctx.set_timer(self.timeout, op);
        ctx.set_timer(self.every, TICK);
    }
}

/// `replicas` replicas in `mode`, each with one client (client `replicas + i` uses replica
/// `i`), on a network with 2–10 ms delays. Runs 10 s.
pub fn kv_store(mode: CapMode, replicas: usize) -> Sim<Kv> {
    Sim::new(Net::new().delay(Delay::uniform(2.0, 10.0)))
        .nodes(replicas, move |_| Store::new(mode))
        .clients(replicas, move |id| KvClient::new(id - replicas))
        .until(faultline::time::secs(10))
}

/// What clients saw in one stretch of time.
#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    /// Start of the stretch.
    pub at: Time,
    /// Operations invoked in it.
    pub ops: usize,
    /// Of those, refused or timed out (operations still pending when the run stopped are not
    /// counted: nobody was told anything yet).
    pub errors: usize,
    /// Successful reads in it, and how many of them returned an outdated value.
    pub reads: usize,
    pub stale: usize,
}

impl Bucket {
    /// Errors per operation (NaN without operations).
    pub fn error_rate(&self) -> f64 {
        self.errors as f64 / self.ops as f64
    }

    /// Stale reads per successful read (NaN without reads).
    pub fn stale_rate(&self) -> f64 {
        self.stale as f64 / self.reads as f64
    }
}

/// Acknowledged writes invoked in `[from, to)` that the store threw away: `(lost, acknowledged)`.
/// A write survives if the value the store ends with descends from it — written by a replica
/// that held it, or held a value that did, and so on; a write that was overwritten by one that
/// never saw it (the other side of a partition, a later timestamp from a clock ahead) is lost,
/// though its client was told "done". AP mode only: CP writes record no lineage.
pub fn lost_writes(run: &Run, from: Time, to: Time) -> (usize, usize) {
    let parent: BTreeMap<u64, u64> = run
        .observed("write")
        .zip(run.observed("overwrote"))
        .map(|(w, p)| (w.value as u64, p.value as u64))
        .collect();
    let newest = |node: NodeId| run.last(node, "version").zip(run.last(node, "value"));
    let nodes = run
        .observations
        .iter()
        .map(|o| o.node + 1)
        .max()
        .unwrap_or(0);
    let fin = (0..nodes)
        .filter_map(newest)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let mut kept = BTreeSet::new();
    let mut at = fin.map(|(_, v)| v as u64);
    while let Some(v) = at.filter(|v| *v != 0 && kept.insert(*v)) {
        at = parent.get(&v).copied();
    }
    let acked: Vec<u64> = run
        .history
        .ops
        .iter()
        .filter(|o| o.invoked >= from && o.invoked < to && matches!(o.outcome, Outcome::Ok(_)))
        .filter_map(|o| match o.kind {
            OpKind::Write { value, .. } => Some(value as u64),
            _ => None,
        })
        .collect();
    let lost = acked.iter().filter(|v| !kept.contains(v)).count();
    (lost, acked.len())
}

/// What clients saw for operations invoked in `[from, to)`; reads are judged against every write
/// of the run.
pub fn window(history: &History, from: Time, to: Time) -> Bucket {
    let here: Vec<&Op> = history
        .ops
        .iter()
        .filter(|o| o.invoked >= from && o.invoked < to)
        .collect();
    // A write whose outcome is unknown may have taken effect: a read may return its value
    // without being stale. Counting it as completed at the end of time says exactly that.
    let writes = history
        .ops
        .iter()
        .filter(|o| matches!(o.kind, OpKind::Write { .. }))
        .map(|o| match o.outcome {
            Outcome::Unknown => Op {
                outcome: Outcome::Ok(None),
                completed: Some(Time::MAX),
                ..o.clone()
            },
            _ => o.clone(),
        });
    let mut judged = History {
        ops: writes.collect(),
        names: history.names.clone(),
    };
    let reads = here
        .iter()
        .filter(|o| matches!(o.kind, OpKind::Read { .. }));
    judged.ops.extend(reads.map(|o| (*o).clone()));
    let (stale, reads) = stale_reads(&judged);
    Bucket {
        at: from,
        ops: here.len(),
        errors: here
            .iter()
            .filter(|o| o.completed.is_some() && !matches!(o.outcome, Outcome::Ok(_)))
            .count(),
        reads,
        stale,
    }
}

/// Splits a history into stretches of `width` by invocation time.
pub fn over_time(history: &History, width: Time) -> Vec<Bucket> {
    let end = history
        .ops
        .iter()
        .map(|o| o.invoked)
        .max()
        .unwrap_or(Time::ZERO);
    let width = width.max(Time(1));
    (0..=end.0 / width.0)
        .map(|b| window(history, Time(b * width.0), Time((b + 1) * width.0)))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use faultline::prelude::*;

    /// The notebook's partition, shared with the other replicated stores' tests.
    pub(crate) fn cut() -> Faults {
        // Replica 0 and its client (3) on one side; 1, 2 and their clients (4, 5) on the other.
        Faults::new()
            .partition_at(secs(3), [vec![0, 3], vec![1, 2, 4, 5]])
            .heal_at(secs(6))
    }

    fn totals(run: &Run, from: Time, to: Time) -> (usize, usize) {
        over_time(&run.history, ms(500))
            .iter()
            .filter(|b| b.at >= from && b.at < to)
            .fold((0, 0), |(e, s), b| (e + b.errors, s + b.stale))
    }

    #[test]
    fn cp_refuses_in_the_minority_and_never_reads_stale() {
        let run = kv_store(CapMode::Cp, 3).faults(cut()).run(1);
        let (errors, stale) = totals(&run, secs(3), secs(6));
        assert!(errors > 20, "the cut-off replica refuses: {errors}");
        assert_eq!(stale, 0);
        let before = totals(&run, ms(0), ms(2500));
        assert_eq!(before, (0, 0), "{:?}", over_time(&run.history, ms(500)));
        assert_eq!(totals(&run, ms(6500), secs(10)).0, 0, "healed: no errors");
        let during = window(&run.history, secs(3), secs(6));
        assert!(
            during.error_rate() > 0.3 && during.error_rate() < 0.4,
            "one client in three"
        );
    }

    #[test]
    fn ap_answers_everything_reads_stale_then_converges() {
        let run = kv_store(CapMode::Ap, 3).faults(cut()).run(1);
        let (errors, stale) = totals(&run, secs(3), secs(6));
        assert_eq!(errors, 0);
        assert!(stale > 10, "the cut-off side serves old values: {stale}");
        let (_, after) = totals(&run, ms(7000), secs(10));
        assert!(
            after * 5 < stale,
            "mostly reconciled after the heal: {after} vs {stale}"
        );
        // Writes go on until the end, so replicas may be one update apart (timestamps in µs), not
        // a partition apart.
        let v: Vec<f64> = (0..3).map(|i| run.last(i, "version").unwrap()).collect();
        assert!(v.iter().all(|x| (x - v[0]).abs() <= 100_000.0), "{v:?}");
    }

    #[test]
    fn last_writer_wins_loses_acknowledged_writes_of_one_side() {
        let run = kv_store(CapMode::Ap, 3).faults(cut()).run(1);
        let (lost, acked) = lost_writes(&run, secs(3), secs(6));
        let calm = kv_store(CapMode::Ap, 3).run(1);
        let (calm_lost, calm_acked) = lost_writes(&calm, secs(3), secs(6));
        // Without a partition only concurrent writes (a few ms apart) race and lose.
        assert!(
            lost > 2 * calm_lost + 10 && acked > 40,
            "one side's writes are discarded: {lost} of {acked} vs {calm_lost} of {calm_acked}"
        );
    }

    #[test]
    fn a_clock_behind_loses_its_writes_even_without_a_partition() {
        let skewed = Faults::new().clock(0, -500.0, 0.0);
        let run = kv_store(CapMode::Ap, 3).faults(skewed).run(1);
        let mine = |run: &Run| {
            let (lost, _) = lost_writes(run, secs(1), secs(9));
            lost
        };
        assert!(
            mine(&run) > 10,
            "a replica 500 ms behind writes in the past: {}",
            mine(&run)
        );
    }
}

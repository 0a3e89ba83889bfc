//! `quorums::read_repair`: a linearizable register from majority quorums — writes that learn
//! the newest version first, reads that repair before they return — judged by the prelude's
//! linearizability checker on the clients' history.

use crate::harness::{Case, Exercise, Judge, Prop};
use crate::{lock, Impls};
use faultline::check::linearizable;
use faultline::prelude::*;
use std::sync::{Arc, Mutex};

/// A version: compared by `counter`, then by `writer` (so two writers never tie).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub counter: u64,
    pub writer: u64,
}

/// The cluster and the client's patience.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegisterConfig {
    /// Replicas, numbered `0..n`. Quorums are majorities.
    pub n: usize,
    /// Give up (Unavailable) if an operation has not finished this long after it began.
    pub timeout: Time,
}

/// Client → replica; replicas echo `op` in replies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToReplica {
    /// What version and value do you hold?
    Query { op: u64 },
    /// Hold `value` at `version`, if newer than what you hold.
    Store {
        op: u64,
        version: Version,
        value: i64,
    },
}

/// Replica → client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FromReplica {
    /// The replica's version and value (`Version::default()` and 0: never written).
    Current {
        op: u64,
        version: Version,
        value: i64,
    },
    /// The replica holds `Store { op, .. }`'s version or a newer one.
    Stored { op: u64 },
}

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    Written,
    /// The value read; `None` if the register was never written.
    Read(Option<i64>),
    Unavailable,
}

#[derive(Clone, Debug)]
pub enum Msg {
    To(ToReplica),
    From(FromReplica),
}

/// What a register client may do.
pub struct RegisterIo<'a, 'b> {
    ctx: &'a mut Ctx<'b, Msg>,
    done: &'a mut Option<Done>,
}

impl RegisterIo<'_, '_> {
    pub fn now(&self) -> Time {
        self.ctx.now()
    }
    /// Sends `msg` to replica `replica` (0..n).
    pub fn send(&mut self, replica: usize, msg: ToReplica) {
        self.ctx.send(replica, Msg::To(msg));
    }
    pub fn set_timer(&mut self, after: Time, tag: u64) -> TimerId {
        self.ctx.set_timer(after, tag)
    }
    pub fn cancel_timer(&mut self, id: TimerId) {
        self.ctx.cancel_timer(id)
    }
    /// Ends the current operation (once per operation).
    pub fn finish(&mut self, how: Done) {
        self.done.get_or_insert(how);
    }
}

/// A register client, as the grader drives it.
pub trait DynRegister {
    fn write(&mut self, io: &mut RegisterIo, value: i64);
    fn read(&mut self, io: &mut RegisterIo);
    fn on_reply(&mut self, io: &mut RegisterIo, replica: usize, reply: FromReplica);
    fn on_timer(&mut self, io: &mut RegisterIo, tag: u64);
}

pub struct Bind {
    pub make: fn(RegisterConfig, u64) -> Box<dyn DynRegister>,
}

/// Binds a module with `struct Register` (`new`, `write`, `read`, `on_reply`, `on_timer`).
#[macro_export]
macro_rules! bind_read_repair {
    ($($m:ident)::+) => {{
        use $crate::quorums::read_repair::{DynRegister, FromReplica, RegisterIo};
        struct W($($m)::+::Register);
        impl DynRegister for W {
            fn write(&mut self, io: &mut RegisterIo, value: i64) { self.0.write(io, value) }
            fn read(&mut self, io: &mut RegisterIo) { self.0.read(io) }
            fn on_reply(&mut self, io: &mut RegisterIo, replica: usize, reply: FromReplica) { self.0.on_reply(io, replica, reply) }
            fn on_timer(&mut self, io: &mut RegisterIo, tag: u64) { self.0.on_timer(io, tag) }
        }
        $crate::quorums::read_repair::Bind { make: |c, me| Box::new(W(<$($m)::+::Register>::new(c, me))) }
    }};
}

/// Ground truth: each replica's stores, and what reads returned when.
#[derive(Default)]
struct Log {
    /// (replica, when, version, value) for every change of a replica's state.
    stored: Vec<(usize, Time, Version, i64)>,
    /// (client, when, value) for every read that returned a value.
    reads: Vec<(usize, Time, i64)>,
}

const HELD: &str = "held";

struct Replica {
    log: Arc<Mutex<Log>>,
}

impl Node<Msg> for Replica {
    fn on_message(&mut self, ctx: &mut Ctx<Msg>, from: NodeId, msg: Msg) {
        let Msg::To(m) = msg else { return };
        let (version, value) = ctx
            .storage()
            .get::<(Version, i64)>(HELD)
            .copied()
            .unwrap_or_default();
        let reply = match m {
            ToReplica::Query { op } => FromReplica::Current { op, version, value },
            ToReplica::Store {
                op,
                version: v,
                value: x,
            } => {
                if v > version {
                    ctx.storage().put(HELD, (v, x));
                    let me = ctx.id();
                    lock(&self.log).stored.push((me, ctx.now(), v, x));
                }
                FromReplica::Stored { op }
            }
        };
        ctx.send(from, Msg::From(reply));
    }
}

/// A grader client: its reads and writes one after another, recorded in the run's history.
struct Client {
    reg: Box<dyn DynRegister>,
    ops: Vec<Option<i64>>,
    at: usize,
    current: Option<(OpId, Option<i64>)>,
    log: Arc<Mutex<Log>>,
}

const NEXT: u64 = u64::MAX - 7;

impl Client {
    fn run(&mut self, ctx: &mut Ctx<Msg>, f: impl FnOnce(&mut dyn DynRegister, &mut RegisterIo)) {
        let mut done = None;
        let mut io = RegisterIo {
            ctx,
            done: &mut done,
        };
        f(self.reg.as_mut(), &mut io);
        if let (Some(how), Some((op, write))) = (done, self.current) {
            self.current = None;
            let outcome = match (how, write) {
                (Done::Written, Some(_)) => Outcome::Ok(None),
                (Done::Read(v), None) => {
                    if let Some(v) = v {
                        let me = ctx.id();
                        lock(&self.log).reads.push((me, ctx.now(), v));
                    }
                    Outcome::Ok(v)
                }
                (Done::Unavailable, _) => Outcome::Unknown,
                // A read that says Written, or a write that says Read: reported as is.
                (Done::Written, None) => Outcome::Ok(Some(i64::MIN)),
                (Done::Read(_), Some(_)) => Outcome::Ok(None),
            };
            ctx.complete(op, outcome);
            let pause = ms(ctx.rng().random_range(0..15));
            ctx.set_timer(pause, NEXT);
        }
    }
}

impl Node<Msg> for Client {
    fn on_start(&mut self, ctx: &mut Ctx<Msg>) {
        let pause = ms(ctx.rng().random_range(0..10));
        ctx.set_timer(pause, NEXT);
    }
    fn on_message(&mut self, ctx: &mut Ctx<Msg>, from: NodeId, msg: Msg) {
        let Msg::From(reply) = msg else { return };
        self.run(ctx, |r, io| r.on_reply(io, from, reply));
    }
    fn on_timer(&mut self, ctx: &mut Ctx<Msg>, tag: u64) {
        if tag != NEXT {
            return self.run(ctx, |r, io| r.on_timer(io, tag));
        }
        if self.current.is_some() {
            return;
        }
        let Some(op) = self.ops.get(self.at).copied() else {
            return;
        };
        self.at += 1;
        let kind = match op {
            Some(value) => OpKind::Write { key: 0, value },
            None => OpKind::Read { key: 0 },
        };
        self.current = Some((ctx.invoke(kind), op));
        match op {
            Some(v) => self.run(ctx, |r, io| r.write(io, v)),
            None => self.run(ctx, |r, io| r.read(io)),
        }
    }
}

const PROPS: &[Prop] = &[
    Prop {
        name: "linearizable",
        says: "the clients' history is linearizable: once a value has been read or written, no later read returns an older one",
    },
    Prop {
        name: "read-repairs-first",
        says: "a read returns a value only once a majority of replicas hold it (or something newer)",
    },
    Prop {
        name: "unique-versions",
        says: "two different values are never stored under the same version",
    },
    Prop {
        name: "completes-despite-failures",
        says: "with a minority of replicas crashed, slow or cut off, every operation completes",
    },
];

pub fn exercise() -> Exercise {
    Exercise {
        id: "quorums::read_repair",
        props: PROPS,
        schedules: &["new-old-inversion", "concurrent-writers"],
        seeds: 60,
        check,
    }
}

struct Setup {
    n: usize,
    /// Per client: Some(value) = write, None = read.
    clients: Vec<Vec<Option<i64>>>,
    net: Net,
    faults: Faults,
}

fn setup(case: &Case) -> Setup {
    let mut r = rng(trial_seed(0x4EAD, case.seed()));
    let mut value = 0;
    let mut ops = |writes: usize, reads: usize, r: &mut Rng| {
        let mut v: Vec<Option<i64>> = (0..writes)
            .map(|_| {
                value += 1;
                Some(value * 1_000 + r.random_range(0..1_000))
            })
            .chain((0..reads).map(|_| None))
            .collect();
        for k in (1..v.len()).rev() {
            v.swap(k, r.random_range(0..=k));
        }
        v
    };
    let calm = Net::new().delay(Delay::constant(2.0));
    match case {
        // The writer (node 3) reaches replica 0 fast and the others slowly, so for a while only
        // replica 0 has the new value; reader 4 hears replicas 0 and 1 first, reader 5 hears
        // replicas 1 and 2 first. Both read again and again.
        Case::Schedule("new-old-inversion") => Setup {
            n: 3,
            clients: vec![vec![Some(1_001)], vec![None; 40], vec![None; 40]],
            net: calm
                .link(3, 1, Link::default().delay(Delay::constant(200.0)))
                .link(3, 2, Link::default().delay(Delay::constant(200.0)))
                .link(0, 5, Link::default().delay(Delay::constant(200.0))),
            faults: Faults::new(),
        },
        Case::Schedule(_) => Setup {
            n: 3,
            clients: (0..4).map(|_| ops(4, 2, &mut r)).collect(),
            net: Net::new().delay(Delay::uniform(1.0, 6.0)),
            faults: Faults::new(),
        },
        Case::Seed(_) => {
            let n = if r.random_bool(0.5) { 3 } else { 5 };
            let clients = (0..4)
                .map(|_| {
                    let w = r.random_range(1..5);
                    let rd = r.random_range(1..5);
                    ops(w, rd, &mut r)
                })
                .collect();
            let mut faults = Faults::new();
            for k in 0..r.random_range(0..=(n - 1) / 2) {
                let t = ms(r.random_range(0..200));
                faults = if r.random_bool(0.5) {
                    faults.crash_at(t, k)
                } else {
                    faults.pause_at(t, k, ms(r.random_range(50..400)))
                };
            }
            let net = Net::new()
                .delay(Delay::exponential(5.0).plus(1.0))
                .dup(0.05)
                .reorder(0.2);
            Setup {
                n,
                clients,
                net,
                faults,
            }
        }
    }
}

fn check(impls: &Impls, case: &Case, j: &mut Judge) {
    let s = setup(case);
    let n = s.n;
    let log = Arc::new(Mutex::new(Log::default()));
    let make = impls.read_repair.make;
    let l = log.clone();
    let mut sim = Sim::new(s.net).nodes(n, move |_| Replica { log: l.clone() });
    for (i, ops) in s.clients.iter().enumerate() {
        let (ops, l) = (ops.clone(), log.clone());
        let cfg = RegisterConfig {
            n,
            timeout: secs(5),
        };
        sim = sim.client(move |_| Client {
            reg: make(cfg, i as u64 + 1),
            ops: ops.clone(),
            at: 0,
            current: None,
            log: l.clone(),
        });
    }
    let run = crate::simulate(&sim.faults(s.faults).until(secs(60)), case.seed());
    let log = lock(&log);
    let setting = format!("{n} replicas, {} clients", s.clients.len());
    for op in &run.history.ops {
        j.expect("completes-despite-failures", op.outcome != Outcome::Unknown, || {
            let kind = match &op.kind {
                OpKind::Write { value, .. } => format!("write of {value}"),
                _ => "read".to_string(),
            };
            let how = if op.completed.is_some() { "reported Unavailable" } else { "never finished" };
            format!("{setting}: client c{}'s {kind} (started at {}) {how}, though a majority of replicas was up", op.client, op.invoked)
        });
    }
    if let Err(e) = linearizable(&run.history) {
        if !e.is_undecided() {
            j.fail("linearizable", format!("{setting}: {e}"));
        }
    }
    for &(client, t, value) in &log.reads {
        let holders = (0..n)
            .filter(|&rep| {
                let held = log
                    .stored
                    .iter()
                    .filter(|s| s.0 == rep && s.1 <= t)
                    .map(|s| (s.2, s.3))
                    .max();
                let version_of = log.stored.iter().find(|s| s.3 == value).map(|s| s.2);
                matches!((held, version_of), (Some((h, _)), Some(v)) if h >= v)
            })
            .count();
        j.expect("read-repairs-first", holders * 2 > n, || {
            format!("{setting}: client c{client}'s read returned {value} at {t}, when only {holders} of {n} replicas held it")
        });
    }
    let mut by_version: Vec<(Version, i64)> = log.stored.iter().map(|s| (s.2, s.3)).collect();
    by_version.sort();
    by_version.dedup();
    for w in by_version.windows(2) {
        j.expect("unique-versions", w[0].0 != w[1].0, || {
            format!(
                "{setting}: values {} and {} were both stored under version {:?}",
                w[0].1, w[1].1, w[0].0
            )
        });
    }
}

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
        says: "with a minority of replicas crashed, slow or cut off, every operation completes; and every operation ends, with Unavailable at its timeout at the latest",
    },
];

pub fn exercise() -> Exercise {
    Exercise {
        id: "quorums::read_repair",
        props: PROPS,
        schedules: &[
            "new-old-inversion",
            "concurrent-writers",
            "five-replicas-split",
            "seven-replicas-split",
            "late-reply-after-timeout",
            "stale-replica-answers-first",
            "every-reply-twice",
        ],
        seeds: 60,
        check,
    }
}

struct Setup {
    n: usize,
    /// How long a client waits for an operation before reporting Unavailable.
    timeout: Time,
    /// False when the schedule cuts a client off from a majority on purpose, so an operation
    /// may rightly end Unavailable.
    judge_availability: bool,
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
            timeout: secs(5),
            judge_availability: true,
            clients: vec![vec![Some(1_001)], vec![None; 40], vec![None; 40]],
            net: calm
                .link(3, 1, Link::default().delay(Delay::constant(200.0)))
                .link(3, 2, Link::default().delay(Delay::constant(200.0)))
                .link(0, 5, Link::default().delay(Delay::constant(200.0))),
            faults: Faults::new(),
        },
        Case::Schedule("five-replicas-split") => minority_split(5),
        Case::Schedule("seven-replicas-split") => minority_split(7),
        Case::Schedule("late-reply-after-timeout") => late_reply_after_timeout(),
        Case::Schedule("stale-replica-answers-first") => stale_replica_first(),
        // Every message arrives twice: a replica's duplicate reply must not count as a second
        // replica, so two replicas of five never make a quorum.
        Case::Schedule("every-reply-twice") => Setup {
            n: 5,
            timeout: secs(5),
            judge_availability: true,
            clients: vec![vec![Some(1_001)], vec![None; 30], vec![None; 30]],
            net: (2..5)
                .fold(calm.dup(1.0), |net, rep| {
                    net.link(5, rep, Link::default().delay(Delay::constant(300.0)))
                        .link(6, rep, Link::default().delay(Delay::constant(300.0)))
                })
                .link(7, 0, Link::default().delay(Delay::constant(300.0)))
                .link(7, 1, Link::default().delay(Delay::constant(300.0))),
            faults: Faults::new(),
        },
        Case::Schedule(_) => Setup {
            n: 3,
            timeout: secs(5),
            judge_availability: true,
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
                timeout: secs(5),
                judge_availability: true,
                clients,
                net,
                faults,
            }
        }
    }
}

/// `n` replicas; the writer (node n) reaches only replicas 0 and 1 quickly, the reader (node
/// n + 1) only the last two: two replicas make a quorum of three, never of five or seven, so a
/// quorum size that is right for three replicas only shows here.
fn minority_split(n: usize) -> Setup {
    let slow = || Link::default().delay(Delay::constant(300.0));
    let (writer, reader) = (n, n + 1);
    let net = (2..n).fold(Net::new().delay(Delay::constant(2.0)), |net, rep| {
        net.link_both(writer, rep, slow())
    });
    let net = (0..n - 2).fold(net, |net, rep| net.link_both(reader, rep, slow()));
    Setup {
        n,
        timeout: secs(5),
        judge_availability: true,
        clients: vec![vec![Some(1_001)], vec![None; 30]],
        net,
        faults: Faults::new(),
    }
}

/// The reader (node 3) is cut off from replicas 1 and 2 until 105 ms, so its first read times
/// out at 300 ms; replica 0 answered that read at once with the state from before the write,
/// but its replies take 350 ms, so the stale answer arrives while the *second* read is
/// collecting replies. The writer (node 4) finished long before the second read began, so a
/// reader that counts the late answer as part of its new read returns the old value.
fn late_reply_after_timeout() -> Setup {
    let link = |ms: f64| Link::default().delay(Delay::constant(ms));
    let net = Net::new()
        .delay(Delay::constant(2.0))
        .link(0, 3, link(350.0))
        .link_both(3, 1, link(60.0))
        .link_both(4, 0, link(20.0))
        .link_both(4, 1, link(20.0))
        .link_both(4, 2, link(1_000.0));
    Setup {
        n: 3,
        timeout: ms(300),
        judge_availability: false,
        clients: vec![vec![None, None], vec![Some(1_001)]],
        net,
        faults: Faults::new()
            .one_way_at(Time::ZERO, [3], [1, 2])
            .heal_at(ms(105)),
    }
}

/// Replica 2 missed the write (the writer, node 3, cannot reach it for the first 400 ms) and
/// is the first to answer every read of reader 4; the replicas that hold the write answer
/// 20 ms later. A reader that trusts the first answer, or stops at it, returns the old value.
fn stale_replica_first() -> Setup {
    let link = |ms: f64| Link::default().delay(Delay::constant(ms));
    let net = Net::new()
        .delay(Delay::constant(2.0))
        .link(0, 4, link(20.0))
        .link(1, 4, link(20.0));
    Setup {
        n: 3,
        timeout: secs(5),
        judge_availability: true,
        clients: vec![vec![Some(1_001), Some(2_002)], vec![None; 30]],
        net,
        faults: Faults::new()
            .one_way_at(Time::ZERO, [3], [2])
            .heal_at(ms(400)),
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
            timeout: s.timeout,
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
        // Cut off on purpose, an operation may end Unavailable, but it must end.
        let ended = if s.judge_availability {
            op.outcome != Outcome::Unknown
        } else {
            op.completed.is_some()
        };
        j.expect("completes-despite-failures", ended, || {
            let kind = match &op.kind {
                OpKind::Write { value, .. } => format!("write of {value}"),
                _ => "read".to_string(),
            };
            let how = if op.completed.is_some() { "reported Unavailable" } else { "never finished (not even Unavailable at its timeout)" };
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

//! `quorums::replicas`: quorum reads and writes over versioned replicas, some crashed, slow or
//! cut off. One writer gives versions; several readers read.

use crate::harness::{Case, Exercise, Judge, Prop};
use crate::{lock, Impls};
use faultline::prelude::*;
use std::sync::{Arc, Mutex};

/// The quorum sizes and patience of a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuorumConfig {
    /// Replicas, numbered `0..n`.
    pub n: usize,
    /// Replies a read needs.
    pub r: usize,
    /// Acknowledgements a write needs.
    pub w: usize,
    /// Give up (Unavailable) if the quorum is not reached this long after the operation began.
    pub timeout: Time,
}

/// Client → replica. `op` is your operation number: replicas echo it in their replies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToReplica {
    /// Store `value` with `version` if newer than what the replica has.
    Write { op: u64, version: u64, value: i64 },
    /// Say what you have.
    Read { op: u64 },
}

/// Replica → client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FromReplica {
    /// The replica now holds `Write { op, .. }`'s version or a newer one.
    Stored { op: u64 },
    /// The replica's current version and value (version 0, value 0: never written).
    Value { op: u64, version: u64, value: i64 },
}

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finished {
    /// `w` replicas stored the write.
    Written,
    /// The newest of `r` replies.
    Read { version: u64, value: i64 },
    /// No quorum within the timeout.
    Unavailable,
}

#[derive(Clone, Debug)]
pub enum Msg {
    To(ToReplica),
    From(FromReplica),
}

/// What a quorum client may do.
pub struct QuorumIo<'a, 'b> {
    ctx: &'a mut Ctx<'b, Msg>,
    log: &'a Mutex<Log>,
    me: usize,
}

impl QuorumIo<'_, '_> {
    pub fn now(&self) -> Time {
        self.ctx.now()
    }
    /// Sends `msg` to replica `replica` (0..n).
    pub fn send(&mut self, replica: usize, msg: ToReplica) {
        self.ctx.send(replica, Msg::To(msg));
    }
    /// Calls `on_timer(tag)` after `after`.
    pub fn set_timer(&mut self, after: Time, tag: u64) -> TimerId {
        self.ctx.set_timer(after, tag)
    }
    pub fn cancel_timer(&mut self, id: TimerId) {
        self.ctx.cancel_timer(id)
    }
    /// Ends the current operation. Call it once per operation.
    pub fn finish(&mut self, how: Finished) {
        let now = self.ctx.now();
        lock(self.log).finished.push((self.me, now, how));
    }
}

/// A quorum client, as the grader drives it.
pub trait DynQuorum {
    fn write(&mut self, io: &mut QuorumIo, version: u64, value: i64);
    fn read(&mut self, io: &mut QuorumIo);
    fn on_reply(&mut self, io: &mut QuorumIo, replica: usize, reply: FromReplica);
    fn on_timer(&mut self, io: &mut QuorumIo, tag: u64);
}

pub struct Bind {
    pub make: fn(QuorumConfig) -> Box<dyn DynQuorum>,
}

/// Binds a module with `struct QuorumClient` (`new`, `write`, `read`, `on_reply`, `on_timer`).
#[macro_export]
macro_rules! bind_replicas {
    ($($m:ident)::+) => {{
        use $crate::quorums::replicas::{DynQuorum, FromReplica, QuorumIo};
        struct W($($m)::+::QuorumClient);
        impl DynQuorum for W {
            fn write(&mut self, io: &mut QuorumIo, version: u64, value: i64) { self.0.write(io, version, value) }
            fn read(&mut self, io: &mut QuorumIo) { self.0.read(io) }
            fn on_reply(&mut self, io: &mut QuorumIo, replica: usize, reply: FromReplica) { self.0.on_reply(io, replica, reply) }
            fn on_timer(&mut self, io: &mut QuorumIo, tag: u64) { self.0.on_timer(io, tag) }
        }
        $crate::quorums::replicas::Bind { make: |c| Box::new(W(<$($m)::+::QuorumClient>::new(c))) }
    }};
}

/// Ground truth.
#[derive(Default)]
pub struct Log {
    /// (replica, when, version) each time a replica's stored version changed.
    stored: Vec<(usize, Time, u64)>,
    /// (client, invoked, what): 0 = read, v = write of version v.
    started: Vec<(usize, Time, u64)>,
    finished: Vec<(usize, Time, Finished)>,
    /// version → value, as written.
    values: Vec<(u64, i64)>,
}

struct Replica {
    log: Arc<Mutex<Log>>,
}

const HELD: &str = "held";

impl Node<Msg> for Replica {
    fn on_message(&mut self, ctx: &mut Ctx<Msg>, from: NodeId, msg: Msg) {
        let Msg::To(m) = msg else { return };
        let (version, value) = ctx
            .storage()
            .get::<(u64, i64)>(HELD)
            .copied()
            .unwrap_or((0, 0));
        let reply = match m {
            ToReplica::Write {
                op,
                version: v,
                value: x,
            } => {
                if v > version {
                    ctx.storage().put(HELD, (v, x));
                    let me = ctx.id();
                    lock(&self.log).stored.push((me, ctx.now(), v));
                }
                FromReplica::Stored { op }
            }
            ToReplica::Read { op } => FromReplica::Value { op, version, value },
        };
        ctx.send(from, Msg::From(reply));
    }
}

/// A grader client: runs its operations one after another, each after the last finished.
struct Client {
    q: Box<dyn DynQuorum>,
    /// (version, value) to write, or None to read.
    ops: Vec<Option<(u64, i64)>>,
    at: usize,
    log: Arc<Mutex<Log>>,
    me: usize,
    finished: usize,
}

const NEXT: u64 = u64::MAX - 7;

impl Client {
    fn next(&mut self, ctx: &mut Ctx<Msg>) {
        let Some(op) = self.ops.get(self.at).copied() else {
            return;
        };
        self.at += 1;
        let now = ctx.now();
        lock(&self.log)
            .started
            .push((self.me, now, op.map_or(0, |o| o.0)));
        let mut io = QuorumIo {
            ctx,
            log: &self.log,
            me: self.me,
        };
        match op {
            Some((version, value)) => self.q.write(&mut io, version, value),
            None => self.q.read(&mut io),
        }
    }
    fn after(&mut self, ctx: &mut Ctx<Msg>) {
        let done = lock(&self.log)
            .finished
            .iter()
            .filter(|f| f.0 == self.me)
            .count();
        if done > self.finished {
            self.finished = done;
            let pause = ms(ctx.rng().random_range(1..20));
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
        let mut io = QuorumIo {
            ctx,
            log: &self.log,
            me: self.me,
        };
        self.q.on_reply(&mut io, from, reply);
        self.after(ctx);
    }
    fn on_timer(&mut self, ctx: &mut Ctx<Msg>, tag: u64) {
        if tag == NEXT {
            self.next(ctx);
        } else {
            let mut io = QuorumIo {
                ctx,
                log: &self.log,
                me: self.me,
            };
            self.q.on_timer(&mut io, tag);
        }
        self.after(ctx);
    }
}

const PROPS: &[Prop] = &[
    Prop {
        name: "write-quorum",
        says: "a write reports Written only once w distinct replicas hold its version (or newer)",
    },
    Prop {
        name: "read-sees-latest-write",
        says: "a read returns a version at least as new as every write that finished before it began",
    },
    Prop {
        name: "read-returns-real-values",
        says: "a read returns a (version, value) pair that was really written (or 0, 0 before any write)",
    },
    Prop {
        name: "completes-despite-failures",
        says: "with enough replicas up and reachable, every operation completes (no waiting for all n)",
    },
    Prop {
        name: "unavailable-at-timeout",
        says: "without a quorum, an operation reports Unavailable by its timeout, once, and never a result",
    },
];

pub fn exercise() -> Exercise {
    Exercise {
        id: "quorums::replicas",
        props: PROPS,
        schedules: &[
            "one-replica-down",
            "stale-replies",
            "duplicated-acks",
            "cut-off-minority-side",
            "small-write-quorum",
            "timeout-short-vs-operations",
            "replies-just-after-timeout",
            "pause-heals-mid-operation",
        ],
        seeds: 80,
        check,
    }
}

struct Setup {
    cfg: QuorumConfig,
    net: Net,
    faults: Faults,
    /// Whether every operation should find a quorum (false: judge timeouts instead).
    available: bool,
    /// The scenario, in words.
    story: &'static str,
}

fn setup(case: &Case) -> Setup {
    let cfg = |n, r, w| QuorumConfig {
        n,
        r,
        w,
        timeout: ms(200),
    };
    let calm = Net::new().delay(Delay::constant(2.0));
    match case {
        Case::Schedule("one-replica-down") => Setup {
            cfg: cfg(3, 2, 2),
            net: calm,
            faults: Faults::new().crash_at(Time::ZERO, 2),
            available: true,
            story: "replica 2 is down",
        },
        // Replica 0 is slow: its replies arrive during later operations.
        Case::Schedule("stale-replies") => Setup {
            cfg: cfg(3, 2, 2),
            net: (3..6).fold(calm, |net, c| {
                net.link(0, c, Link::default().delay(Delay::constant(45.0)))
            }),
            faults: Faults::new(),
            available: true,
            story: "replica 0's replies take 45 ms, so they arrive during later operations",
        },
        // Every message is delivered twice; replica 2 is down.
        Case::Schedule("duplicated-acks") => Setup {
            cfg: cfg(5, 3, 3),
            net: calm.dup(1.0),
            faults: Faults::new()
                .crash_at(Time::ZERO, 3)
                .crash_at(Time::ZERO, 4)
                .crash_at(Time::ZERO, 2),
            available: false,
            story: "every message is delivered twice, and replicas 2, 3 and 4 are down",
        },
        // w = 2 of 5, r = 4: the writer reaches replicas 0 and 1 at once and the others only
        // after 100 ms; the readers hear replicas 2, 3 and 4 first, and 0 and 1 only after
        // 100 ms. Only a read that waits for r replies is sure to include a replica that holds
        // the latest write, and then it also sees older versions from the others.
        Case::Schedule("small-write-quorum") => {
            let slow = || Link::default().delay(Delay::constant(100.0));
            let net = (2..5).fold(calm, |net, rep| net.link_both(5, rep, slow()));
            let net = (6..8).fold(net, |net, c| {
                net.link_both(c, 0, slow()).link_both(c, 1, slow())
            });
            Setup {
                cfg: QuorumConfig {
                    timeout: secs(2),
                    ..cfg(5, 4, 2)
                },
                net,
                faults: Faults::new(),
                available: true,
                story: "the writer reaches replicas 2, 3 and 4 only after 100 ms, the readers hear them first",
            }
        }
        // A 30 ms timeout, ten times an operation: many operations start and finish within
        // one operation's timeout, so a timer left over from an earlier one must not end them.
        Case::Schedule("timeout-short-vs-operations") => Setup {
            cfg: QuorumConfig {
                timeout: ms(30),
                ..cfg(3, 2, 2)
            },
            net: calm,
            faults: Faults::new(),
            available: true,
            story: "the timeout is 30 ms and an operation takes 4 ms",
        },
        // Replies take 101 ms against a 100 ms timeout: every operation times out and its
        // replies arrive just after the verdict, before the next operation begins.
        Case::Schedule("replies-just-after-timeout") => Setup {
            cfg: QuorumConfig {
                timeout: ms(100),
                ..cfg(3, 2, 2)
            },
            net: (0..3).fold(calm, |net, rep| {
                (3..6).fold(net, |net, c| {
                    net.link(rep, c, Link::default().delay(Delay::constant(101.0)))
                })
            }),
            faults: Faults::new(),
            available: false,
            story: "replies take 101 ms and the timeout is 100 ms",
        },
        // Replicas 1 and 2 are frozen for the first 60 ms, then catch up: operations that began
        // then must still finish once they answer, well within the timeout.
        Case::Schedule("pause-heals-mid-operation") => Setup {
            cfg: cfg(3, 2, 2),
            net: calm,
            faults: Faults::new()
                .pause_at(Time::ZERO, 1, ms(60))
                .pause_at(Time::ZERO, 2, ms(60)),
            available: true,
            story: "replicas 1 and 2 were frozen until 60 ms",
        },
        Case::Schedule(_) => Setup {
            cfg: cfg(5, 3, 3),
            net: calm,
            faults: Faults::new().partition_at(Time::ZERO, [vec![0, 1, 5, 6, 7], vec![2, 3, 4]]),
            available: false,
            story: "the clients are cut off from replicas 2, 3 and 4",
        },
        Case::Seed(_) => {
            let mut r = rng(trial_seed(0x9E9, case.seed()));
            let n = [3, 5, 7][r.random_range(0..3)];
            let w = r.random_range(n / 2 + 1..=n - 1);
            let rr = r.random_range(n + 1 - w..=n - 1);
            let down = n - w.max(rr);
            let mut faults = Faults::new();
            for k in 0..r.random_range(0..=down) {
                faults = faults.crash_at(ms(r.random_range(0..300)), k);
            }
            let slow = r.random_range(0..n);
            let net = Net::new()
                .delay(Delay::exponential(3.0).plus(1.0))
                .dup(0.1)
                .reorder(0.2)
                .link(
                    slow,
                    n,
                    Link::default().delay(Delay::exponential(40.0).plus(5.0)),
                )
                .link(
                    slow,
                    n + 1,
                    Link::default().delay(Delay::exponential(40.0).plus(5.0)),
                );
            Setup {
                cfg: QuorumConfig {
                    n,
                    r: rr,
                    w,
                    timeout: secs(2),
                },
                net,
                faults,
                available: true,
                story: "up to n - max(r, w) replicas crash, one replica is slow, messages are duplicated and reordered",
            }
        }
    }
}

fn check(impls: &Impls, case: &Case, j: &mut Judge) {
    let s = setup(case);
    let cfg = s.cfg;
    let log = Arc::new(Mutex::new(Log::default()));
    let make = impls.replicas.make;
    let mut r = rng(trial_seed(0x0E9, case.seed()));
    let l = log.clone();
    let mut sim = Sim::new(s.net).nodes(cfg.n, move |_| Replica { log: l.clone() });
    // One writer with increasing versions, two readers.
    // Values fall as versions rise (a balance being spent), so the largest value is never the
    // newest one.
    let writes: Vec<Option<(u64, i64)>> = (1..=12)
        .map(|v| Some((v, (13 - v as i64) * 1_000 + r.random_range(0..1_000))))
        .collect();
    lock(&log).values = writes.iter().flatten().copied().collect();
    let reads: Vec<Option<(u64, i64)>> = vec![None; 14];
    for (i, ops) in [writes, reads.clone(), reads].into_iter().enumerate() {
        let l = log.clone();
        sim = sim.client(move |_| Client {
            q: make(cfg),
            ops: ops.clone(),
            at: 0,
            log: l.clone(),
            me: i,
            finished: 0,
        });
    }
    crate::simulate(&sim.faults(s.faults).until(secs(60)), case.seed());
    let log = lock(&log);
    let setting = format!(
        "n = {}, r = {}, w = {}, timeout {}; {}",
        cfg.n, cfg.r, cfg.w, cfg.timeout, s.story
    );
    // A client that finished more operations than it started answered one twice: pairing
    // operations with outcomes would then blame the wrong ones, so report only that.
    if let Some(msg) = finished_twice(&log, &setting, cfg.n) {
        return j.fail("unavailable-at-timeout", msg);
    }
    // Pair each client's operations with their outcomes, in order.
    for c in 0..3 {
        // Named as in traces: clients come after the n replicas; c{n} is the writer.
        let cname = format!("c{}", cfg.n + c);
        let started: Vec<(Time, u64)> = log
            .started
            .iter()
            .filter(|s| s.0 == c)
            .map(|s| (s.1, s.2))
            .collect();
        let finished: Vec<(Time, Finished)> = log
            .finished
            .iter()
            .filter(|f| f.0 == c)
            .map(|f| (f.1, f.2))
            .collect();
        for (k, &(t0, what)) in started.iter().enumerate() {
            let Some(&(t1, how)) = finished.get(k) else {
                let prop = if s.available {
                    "completes-despite-failures"
                } else {
                    "unavailable-at-timeout"
                };
                j.fail(
                    prop,
                    format!(
                        "{setting}: client {cname}'s operation {} (started at {t0}) never finished",
                        k + 1
                    ),
                );
                continue;
            };
            let opname = if what == 0 {
                "read".to_string()
            } else {
                format!("write of version {what}")
            };
            match how {
                Finished::Unavailable => {
                    if s.available {
                        j.fail("completes-despite-failures", format!("{setting}: client {cname}'s {opname} at {t0} reported Unavailable although enough replicas were up and reachable"));
                    }
                    j.expect("unavailable-at-timeout", t1 <= t0 + cfg.timeout, || {
                        format!("{setting}: client {cname}'s {opname} started at {t0} reported Unavailable only at {t1}")
                    });
                }
                Finished::Written => {
                    let holders = (0..cfg.n)
                        .filter(|&rep| {
                            log.stored
                                .iter()
                                .any(|&(x, t, v)| x == rep && t <= t1 && v >= what)
                        })
                        .count();
                    j.expect("write-quorum", what != 0 && holders >= cfg.w, || {
                        format!("{setting}: client {cname}'s {opname} reported Written at {t1} when only {holders} replicas held it")
                    });
                    if !s.available {
                        j.fail("unavailable-at-timeout", format!("{setting}: client {cname}'s {opname} reported Written although no {} replicas could be reached", cfg.w));
                    }
                }
                Finished::Read { version, value } => {
                    let real =
                        (version == 0 && value == 0) || log.values.contains(&(version, value));
                    j.expect("read-returns-real-values", what == 0 && real, || {
                        format!("{setting}: client {cname}'s read returned version {version} with value {value}, which no write wrote")
                    });
                    let newest_done = writer_done_before(&log, t0);
                    j.expect("read-sees-latest-write", version >= newest_done, || {
                        format!("{setting}: client {cname}'s read at {t0} returned version {version}, but the write of version {newest_done} had finished before it began")
                    });
                    if !s.available {
                        j.fail("unavailable-at-timeout", format!("{setting}: client {cname}'s read returned a value although no {} replicas could be reached", cfg.r));
                    }
                }
            }
        }
    }
}

/// Says which client finished more operations than it started, if one did (a verdict given
/// twice: usually a late reply after Unavailable).
fn finished_twice(log: &Log, setting: &str, n: usize) -> Option<String> {
    (0..3).find_map(|c| {
        let started = log.started.iter().filter(|s| s.0 == c).count();
        let finished: Vec<&(usize, Time, Finished)> =
            log.finished.iter().filter(|f| f.0 == c).collect();
        (finished.len() > started).then(|| {
            let unavailable = finished.iter().filter(|f| f.2 == Finished::Unavailable).count();
            format!(
                "{setting}: client c{} finished {} operations but started only {started}: an operation was given two verdicts ({unavailable} were Unavailable; a reply that arrives after Unavailable must be ignored)",
                n + c,
                finished.len()
            )
        })
    })
}

/// The newest version whose write finished Written before `t`.
fn writer_done_before(log: &Log, t: Time) -> u64 {
    let started: Vec<u64> = log
        .started
        .iter()
        .filter(|s| s.0 == 0)
        .map(|s| s.2)
        .collect();
    log.finished
        .iter()
        .filter(|f| f.0 == 0)
        .zip(started)
        .filter(|((_, at, how), _)| *at < t && *how == Finished::Written)
        .map(|(_, v)| v)
        .max()
        .unwrap_or(0)
}

//! `retries::call`: one call retried with a per-attempt timeout, an overall deadline, retrying
//! only what is retryable and safe, and an honest *unknown* when a reply may have been lost.

use crate::harness::{Case, Exercise, Judge, Prop};
use crate::{lock, Impls};
use faultline::prelude::*;
use std::sync::{Arc, Mutex};

/// The request being made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// True if executing it twice does no harm (a read, a `PUT` of a whole value, a call with
    /// an idempotency key). False for, say, "append to the log" or "charge the card".
    pub idempotent: bool,
}

/// The caller's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallPolicy {
    /// How long to wait for the reply to one attempt before giving up on it.
    pub attempt_timeout: Time,
    /// How long to wait after a failed attempt (timed out or `Busy`) before the next one.
    pub pause: Time,
    /// At most this many attempts in total (the first one included).
    pub max_attempts: u32,
    /// The call must be finished this long after it started, whatever happens.
    pub deadline: Time,
}

/// The server's answer to one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Executed; here is the result.
    Ok(i64),
    /// Refused before doing anything (overloaded): safe to try again later.
    Busy,
    /// Refused before doing anything, and will refuse again (a bad request): do not retry.
    Invalid,
}

/// What the call reports to its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// The server executed the request and returned this result.
    Ok(i64),
    /// The server certainly did not execute the request.
    Failed,
    /// The server may or may not have executed it (a reply may have been lost).
    Unknown,
}

/// Messages on the simulated network.
#[derive(Clone, Debug)]
pub enum CallMsg {
    Req { attempt: u32 },
    Rep { attempt: u32, reply: Reply },
}

/// What the caller may do: send an attempt, set timers, read the clock, finish.
pub struct CallIo<'a, 'b> {
    ctx: &'a mut Ctx<'b, CallMsg>,
    log: &'a Mutex<Vec<CallLog>>,
    me: usize,
}

impl CallIo<'_, '_> {
    /// The local clock.
    pub fn now(&self) -> Time {
        self.ctx.now()
    }

    /// Sends the next attempt to the server; returns its number (1 for the first attempt).
    pub fn send(&mut self) -> u32 {
        let now = self.ctx.now();
        let attempt = {
            let mut log = lock(self.log);
            let l = &mut log[self.me];
            l.sends.push(now);
            l.sends.len() as u32
        };
        let server = self.ctx.servers()[0];
        self.ctx.send(server, CallMsg::Req { attempt });
        attempt
    }

    /// Calls `on_timer(tag)` after `after`.
    pub fn set_timer(&mut self, after: Time, tag: u64) -> TimerId {
        self.ctx.set_timer(after, tag)
    }

    /// Cancels a timer that has not fired yet.
    pub fn cancel_timer(&mut self, id: TimerId) {
        self.ctx.cancel_timer(id)
    }

    /// Reports the call's outcome. Call it exactly once.
    pub fn finish(&mut self, outcome: CallOutcome) {
        let now = self.ctx.now();
        lock(self.log)[self.me].finished.push((now, outcome));
    }
}

/// A caller, as the grader drives it.
pub trait DynCaller {
    fn start(&mut self, io: &mut CallIo);
    fn on_reply(&mut self, io: &mut CallIo, attempt: u32, reply: Reply);
    fn on_timer(&mut self, io: &mut CallIo, tag: u64);
}

/// The learner's caller, as the grader builds it.
pub struct Bind {
    pub make: fn(Request, CallPolicy) -> Box<dyn DynCaller>,
}

/// Binds a module with `struct Caller` (`new`, `start`, `on_reply`, `on_timer`).
#[macro_export]
macro_rules! bind_call {
    ($($m:ident)::+) => {{
        use $crate::retries::call::{CallIo, DynCaller, Reply};
        struct W($($m)::+::Caller);
        impl DynCaller for W {
            fn start(&mut self, io: &mut CallIo) { self.0.start(io) }
            fn on_reply(&mut self, io: &mut CallIo, attempt: u32, reply: Reply) { self.0.on_reply(io, attempt, reply) }
            fn on_timer(&mut self, io: &mut CallIo, tag: u64) { self.0.on_timer(io, tag) }
        }
        $crate::retries::call::Bind { make: |r, p| Box::new(W(<$($m)::+::Caller>::new(r, p))) }
    }};
}

/// What really happened to one call (kept by the grader, out of the caller's reach).
#[derive(Clone, Debug, Default)]
pub struct CallLog {
    sends: Vec<Time>,
    /// Replies the caller received: (when, attempt, reply).
    replies: Vec<(Time, u32, Reply)>,
    finished: Vec<(Time, CallOutcome)>,
    /// Values the server produced by executing an attempt.
    executed: Vec<(u32, i64)>,
    /// Attempts that reached the server, and what it did with each (for the timeline: what
    /// really happened, not what was planned).
    arrived: Vec<(u32, Act)>,
}

/// What the server does with each attempt of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    /// Execute and reply at once.
    Execute,
    /// Execute, reply after this long.
    Slow(Time),
    /// Execute; the reply is lost.
    ReplyLost,
    /// The request is lost: nothing happens.
    RequestLost,
    Busy,
    Invalid,
}

struct Plan {
    request: Request,
    policy: CallPolicy,
    acts: Vec<Act>,
}

impl Plan {
    fn act(&self, attempt: u32) -> Act {
        self.acts
            .get(attempt as usize - 1)
            .copied()
            .unwrap_or(Act::Execute)
    }
}

struct Client {
    caller: Box<dyn DynCaller>,
    log: Arc<Mutex<Vec<CallLog>>>,
    me: usize,
}

impl Node<CallMsg> for Client {
    fn on_start(&mut self, ctx: &mut Ctx<CallMsg>) {
        let mut io = CallIo {
            ctx,
            log: &self.log,
            me: self.me,
        };
        self.caller.start(&mut io);
    }
    fn on_message(&mut self, ctx: &mut Ctx<CallMsg>, _: NodeId, msg: CallMsg) {
        if let CallMsg::Rep { attempt, reply } = msg {
            lock(&self.log)[self.me]
                .replies
                .push((ctx.now(), attempt, reply));
            let mut io = CallIo {
                ctx,
                log: &self.log,
                me: self.me,
            };
            self.caller.on_reply(&mut io, attempt, reply);
        }
    }
    fn on_timer(&mut self, ctx: &mut Ctx<CallMsg>, tag: u64) {
        let mut io = CallIo {
            ctx,
            log: &self.log,
            me: self.me,
        };
        self.caller.on_timer(&mut io, tag);
    }
}

struct Server {
    plans: Arc<Vec<Plan>>,
    log: Arc<Mutex<Vec<CallLog>>>,
    values: Rng,
}

const SLOW_REPLY: u64 = 1 << 63;

impl Node<CallMsg> for Server {
    fn on_message(&mut self, ctx: &mut Ctx<CallMsg>, from: NodeId, msg: CallMsg) {
        let CallMsg::Req { attempt } = msg else {
            return;
        };
        let call = from - 1;
        let act = self.plans[call].act(attempt);
        lock(&self.log)[call].arrived.push((attempt, act));
        let reply = match act {
            Act::RequestLost => return,
            Act::Busy => Reply::Busy,
            Act::Invalid => Reply::Invalid,
            Act::Execute | Act::Slow(_) | Act::ReplyLost => {
                let v = self.values.random_range(1..1_000_000);
                lock(&self.log)[call].executed.push((attempt, v));
                Reply::Ok(v)
            }
        };
        match act {
            Act::ReplyLost => {}
            Act::Slow(d) => {
                let Reply::Ok(v) = reply else { unreachable!() };
                let tag = SLOW_REPLY | (call as u64) << 40 | (attempt as u64) << 32 | v as u64;
                ctx.set_timer(d, tag);
            }
            _ => ctx.send(from, CallMsg::Rep { attempt, reply }),
        }
    }
    fn on_timer(&mut self, ctx: &mut Ctx<CallMsg>, tag: u64) {
        let call = ((tag >> 40) & 0x7fff) as usize;
        let attempt = ((tag >> 32) & 0xff) as u32;
        let v = (tag & 0xffff_ffff) as i64;
        ctx.send(
            call + 1,
            CallMsg::Rep {
                attempt,
                reply: Reply::Ok(v),
            },
        );
    }
}

const PROPS: &[Prop] = &[
    Prop {
        name: "max-attempts",
        says: "never sends more than max_attempts attempts",
    },
    Prop {
        name: "waits-between-attempts",
        says: "sends a retry only after the previous attempt timed out (attempt_timeout) or was refused with Busy, and then waits `pause`",
    },
    Prop {
        name: "meets-the-deadline",
        says: "finishes exactly once, no later than the deadline, and sends nothing after it",
    },
    Prop {
        name: "retries-only-what-is-safe",
        says: "never retries after Invalid, and never resends a non-idempotent request that may already have executed",
    },
    Prop {
        name: "failed-means-not-executed",
        says: "reports Failed only when the server certainly did not execute the request",
    },
    Prop {
        name: "unknown-only-when-unsure",
        says: "reports Unknown only when an attempt may have executed unseen; an Ok reply means Ok, refusals only mean Failed",
    },
    Prop {
        name: "ok-is-real",
        says: "reports Ok(v) only with a result v the server really returned for this request",
    },
    Prop {
        name: "retries-when-safe",
        says: "keeps retrying a retryable, safe request while attempts and time remain",
    },
];

pub fn exercise() -> Exercise {
    Exercise {
        id: "retries::call",
        props: PROPS,
        schedules: &[
            "reply-lost-after-execution",
            "busy-then-ok",
            "invalid-request",
            "server-unreachable",
            "late-reply",
            "deadline-before-attempts",
            "late-ok-then-silence",
            "deadline-mid-attempt",
            "busy-after-lost-reply",
            "single-attempt",
            "timeout-longer-than-deadline",
            "many-quick-attempts",
        ],
        seeds: 100,
        check,
    }
}

fn policy(timeout_ms: u64, pause_ms: u64, max_attempts: u32, deadline_ms: u64) -> CallPolicy {
    CallPolicy {
        attempt_timeout: ms(timeout_ms),
        pause: ms(pause_ms),
        max_attempts,
        deadline: ms(deadline_ms),
    }
}

fn plan(idempotent: bool, p: CallPolicy, acts: &[Act]) -> Plan {
    Plan {
        request: Request { idempotent },
        policy: p,
        acts: acts.to_vec(),
    }
}

/// The calls of one case and the network they run on.
fn scenario(case: &Case) -> (Vec<Plan>, Net) {
    use Act::*;
    let calm = Net::new().delay(Delay::constant(2.0));
    let p = policy(50, 10, 4, 1_000);
    match case {
        Case::Schedule("reply-lost-after-execution") => (
            vec![
                plan(false, p, &[ReplyLost, Execute]),
                plan(true, p, &[ReplyLost, Execute]),
                plan(false, p, &[ReplyLost, ReplyLost, ReplyLost, ReplyLost]),
            ],
            calm,
        ),
        Case::Schedule("busy-then-ok") => (
            vec![
                plan(false, p, &[Busy, Busy, Execute]),
                plan(true, p, &[Busy, Busy, Busy, Execute]),
                plan(true, policy(50, 10, 3, 1_000), &[Busy, Busy, Busy, Execute]),
            ],
            calm,
        ),
        Case::Schedule("invalid-request") => (
            vec![
                plan(true, p, &[Invalid, Execute]),
                plan(false, p, &[Busy, Invalid, Execute]),
            ],
            calm,
        ),
        Case::Schedule("server-unreachable") => (
            vec![
                plan(true, p, &[RequestLost; 8]),
                plan(false, p, &[RequestLost; 8]),
            ],
            calm,
        ),
        Case::Schedule("late-reply") => (
            vec![
                plan(true, p, &[Slow(ms(70)), Slow(ms(70)), Execute]),
                plan(false, p, &[Slow(ms(70)), Execute]),
            ],
            calm,
        ),
        // Attempt 1's Ok arrives while attempt 2 is out; nothing else ever answers.
        Case::Schedule("late-ok-then-silence") => (
            vec![plan(
                true,
                p,
                &[Slow(ms(70)), RequestLost, RequestLost, RequestLost],
            )],
            calm,
        ),
        // The deadline (75 ms) falls while attempt 2 (sent at 60 ms, timeout 50 ms) is out.
        Case::Schedule("deadline-mid-attempt") => (
            vec![
                plan(true, policy(50, 10, 4, 75), &[RequestLost; 4]),
                plan(true, policy(50, 10, 4, 75), &[ReplyLost; 4]),
            ],
            calm,
        ),
        // Attempt 1 executed but its reply was lost; the last attempt is refused with Busy.
        Case::Schedule("busy-after-lost-reply") => (
            vec![
                plan(true, policy(50, 10, 2, 1_000), &[ReplyLost, Busy]),
                plan(true, policy(50, 10, 3, 1_000), &[ReplyLost, Busy, Busy]),
            ],
            calm,
        ),
        // max_attempts = 1: the first attempt is the last.
        Case::Schedule("single-attempt") => (
            vec![
                plan(true, policy(50, 10, 1, 1_000), &[RequestLost]),
                plan(true, policy(50, 10, 1, 1_000), &[Busy]),
                plan(false, policy(50, 10, 1, 1_000), &[ReplyLost]),
                plan(true, policy(50, 10, 1, 1_000), &[Execute]),
            ],
            calm,
        ),
        // The per-attempt timeout (500 ms) is longer than the whole deadline (100 ms).
        Case::Schedule("timeout-longer-than-deadline") => (
            vec![
                plan(true, policy(500, 10, 3, 100), &[Slow(ms(200))]),
                plan(false, policy(500, 10, 3, 100), &[RequestLost]),
                plan(true, policy(500, 10, 3, 100), &[Busy, Busy, Execute]),
            ],
            calm,
        ),
        // A 5 ms timeout, no pause, up to 1000 attempts: the server is unreachable for the
        // first 40 attempts, then answers (the fault heals while the call is running).
        Case::Schedule("many-quick-attempts") => {
            let mut acts = vec![RequestLost; 40];
            acts.push(Execute);
            (
                vec![
                    plan(true, policy(5, 0, 1_000, 30_000), &acts),
                    plan(true, policy(5, 0, 1_000, 400), &[RequestLost; 100]),
                ],
                calm,
            )
        }
        Case::Schedule(_) => (
            vec![
                plan(true, policy(40, 20, 50, 300), &[RequestLost; 60]),
                plan(true, policy(40, 20, 50, 330), &[Busy; 60]),
            ],
            calm,
        ),
        Case::Seed(_) => {
            let mut r = rng(trial_seed(0xCA11, case.seed()));
            let plans = (0..6)
                .map(|_| {
                    let timeout = r.random_range(20..80);
                    let p = policy(
                        timeout,
                        r.random_range(1..30),
                        r.random_range(1..6),
                        r.random_range(timeout..8 * timeout),
                    );
                    let acts = (0..8)
                        .map(|_| match r.random_range(0..100) {
                            0..45 => Execute,
                            45..65 => Busy,
                            65..70 => Invalid,
                            70..80 => Slow(ms(r.random_range(1..2 * timeout))),
                            80..92 => ReplyLost,
                            _ => RequestLost,
                        })
                        .collect::<Vec<_>>();
                    plan(r.random_bool(0.5), p, &acts)
                })
                .collect();
            let net = Net::new()
                .delay(Delay::exponential(3.0).plus(1.0))
                .loss(0.05)
                .dup(0.05)
                .reorder(0.1);
            (plans, net)
        }
    }
}

fn check(impls: &Impls, case: &Case, j: &mut Judge) {
    let (plans, net) = scenario(case);
    let plans = Arc::new(plans);
    let log = Arc::new(Mutex::new(vec![CallLog::default(); plans.len()]));
    let (l, ps) = (log.clone(), plans.clone());
    let make = impls.call.make;
    let mut sim = Sim::new(net).node(move |_| Server {
        plans: ps.clone(),
        log: l.clone(),
        values: rng(77),
    });
    for (i, plan) in plans.iter().enumerate() {
        let (l, request, policy) = (log.clone(), plan.request, plan.policy);
        sim = sim.client(move |_| Client {
            caller: make(request, policy),
            log: l.clone(),
            me: i,
        });
    }
    crate::simulate(&sim.until(secs(30)), case.seed());
    let log = lock(&log);
    for (i, (plan, l)) in plans.iter().zip(log.iter()).enumerate() {
        judge_call(j, i + 1, plan, l);
    }
}

/// What the network and the server really did with attempt `a`, from what reached the server
/// and what reached the caller.
fn fate(l: &CallLog, a: u32) -> String {
    let reached = l.arrived.iter().find(|(x, _)| *x == a).map(|(_, act)| *act);
    let answered = l.replies.iter().any(|(_, x, _)| *x == a);
    let reply = |what: &str| {
        if answered {
            format!("{what}; the reply reached you")
        } else {
            format!("{what}; the reply never reached you")
        }
    };
    match reached {
        None | Some(Act::RequestLost) => "the request was lost: the server never saw it".into(),
        Some(Act::Busy) => reply("the server refused it: Busy"),
        Some(Act::Invalid) => reply("the server refused it: Invalid"),
        Some(Act::ReplyLost) => "the server executed it; the reply was lost".into(),
        Some(Act::Slow(d)) => reply(&format!("the server executed it and replied {d} later")),
        Some(Act::Execute) => reply("the server executed it"),
    }
}

fn describe(plan: &Plan, l: &CallLog) -> String {
    let p = plan.policy;
    let mut story = format!(
        "{} request; timeout {}, pause {}, max {} attempts, deadline {}",
        if plan.request.idempotent {
            "an idempotent"
        } else {
            "a non-idempotent"
        },
        p.attempt_timeout,
        p.pause,
        p.max_attempts,
        p.deadline
    );
    // A timeline of what was sent, what the server did, and what the caller received.
    let mut events: Vec<(Time, u8, String)> = Vec::new();
    for (k, t) in l.sends.iter().enumerate() {
        let a = k as u32 + 1;
        events.push((*t, 0, format!("{t}: attempt {a} sent ({})", fate(l, a))));
    }
    let mut seen = Vec::new();
    for (t, a, r) in &l.replies {
        let again = if seen.contains(a) {
            " again (a duplicate or a late copy)"
        } else {
            ""
        };
        seen.push(*a);
        events.push((
            *t,
            1,
            format!("{t}: you received {r:?} for attempt {a}{again}"),
        ));
    }
    for (t, o) in &l.finished {
        events.push((*t, 2, format!("{t}: you finished {o:?}")));
    }
    events.sort_by_key(|(t, k, _)| (*t, *k));
    story += ". Timeline: ";
    story += &events
        .into_iter()
        .map(|e| e.2)
        .collect::<Vec<_>>()
        .join("; ");
    story
}

fn judge_call(j: &mut Judge, n: usize, plan: &Plan, l: &CallLog) {
    let p = plan.policy;
    let tell = |what: String| format!("call {n}: {what} ({})", describe(plan, l));
    let deadline = p.deadline;
    let sends = l.sends.len() as u32;
    j.expect("max-attempts", sends <= p.max_attempts, || {
        tell(format!("{sends} attempts were sent"))
    });
    // Every retry must follow a timeout of, or a Busy reply to, the attempt before it.
    for k in 1..l.sends.len() {
        let (prev, t) = (l.sends[k - 1], l.sends[k]);
        let busy_at = l
            .replies
            .iter()
            .find(|(at, a, r)| *a == k as u32 && *r == Reply::Busy && *at <= t)
            .map(|(at, _, _)| *at);
        let earliest = match busy_at {
            Some(b) => (b + p.pause).min(prev + p.attempt_timeout + p.pause),
            None => prev + p.attempt_timeout + p.pause,
        };
        j.expect("waits-between-attempts", t >= earliest, || {
            tell(format!(
                "attempt {} went out at {t}, before {earliest}",
                k + 1
            ))
        });
        let invalid = l
            .replies
            .iter()
            .any(|(at, _, r)| *r == Reply::Invalid && *at <= t);
        j.expect("retries-only-what-is-safe", !invalid, || {
            tell(format!("attempt {} was sent after an Invalid reply", k + 1))
        });
        if !plan.request.idempotent {
            j.expect("retries-only-what-is-safe", busy_at.is_some(), || {
                tell(format!(
                    "attempt {} resent a non-idempotent request although attempt {k} may have executed",
                    k + 1
                ))
            });
        }
    }
    let Some(&(done, outcome)) = l.finished.first() else {
        j.fail("meets-the-deadline", tell("the call never finished".into()));
        return;
    };
    j.expect("meets-the-deadline", l.finished.len() == 1, || {
        tell(format!("finish was called {} times", l.finished.len()))
    });
    j.expect("meets-the-deadline", done <= deadline, || {
        tell(format!(
            "it finished at {done}, after the deadline {deadline}"
        ))
    });
    if let Some(late) = l.sends.iter().find(|&&t| t >= deadline) {
        j.fail(
            "meets-the-deadline",
            tell(format!(
                "an attempt was sent at {late}, at or after the deadline {deadline}"
            )),
        );
    }
    let seen: Vec<&(Time, u32, Reply)> = l.replies.iter().filter(|(t, _, _)| *t <= done).collect();
    let got_ok = seen.iter().any(|(_, _, r)| matches!(r, Reply::Ok(_)));
    let got_invalid = seen.iter().any(|(_, _, r)| *r == Reply::Invalid);
    // Attempts sent before finishing whose fate the caller could not know.
    let unanswered = (1..=sends.min(l.sends.iter().filter(|&&t| t <= done).count() as u32))
        .filter(|a| !seen.iter().any(|(_, b, _)| b == a))
        .count();
    match outcome {
        CallOutcome::Failed => {
            j.expect("failed-means-not-executed", l.executed.is_empty(), || {
                tell("you reported Failed, but the server had executed it".into())
            });
            j.expect("unknown-only-when-unsure", !got_ok, || {
                tell("you reported Failed although an Ok reply had arrived".into())
            });
        }
        CallOutcome::Unknown => {
            j.expect("unknown-only-when-unsure", !got_ok && unanswered > 0, || {
                if got_ok {
                    tell("you reported Unknown although an Ok reply had arrived".into())
                } else {
                    tell("you reported Unknown although every attempt had been refused: it certainly did not execute".into())
                }
            });
        }
        CallOutcome::Ok(v) => {
            j.expect(
                "ok-is-real",
                l.executed.iter().any(|&(_, x)| x == v),
                || {
                    tell(format!(
                        "you reported Ok({v}), a result the server never returned"
                    ))
                },
            );
        }
    }
    // Gave up early: no Ok, no Invalid, attempts left, a retry was allowed and there was time.
    let last_busy = l
        .replies
        .iter()
        .any(|(at, a, r)| *a == sends && *r == Reply::Busy && *at <= done);
    let may_retry = plan.request.idempotent || last_busy;
    if !matches!(outcome, CallOutcome::Ok(_)) && !got_invalid && sends < p.max_attempts && may_retry
    {
        // Declining to start an attempt that could not finish by the deadline is fine too.
        let room = done + p.pause + p.attempt_timeout <= deadline;
        j.expect("retries-when-safe", !room, || {
            tell(format!(
                "you gave up at {done} after {sends} attempts, with attempts left and time for another"
            ))
        });
    }
    if sends == 0 {
        j.fail("retries-when-safe", tell("no attempt was ever sent".into()));
    }
    idle_after_timeout(j, plan, l, outcome, &tell);
}

/// Waiting out the deadline instead of retrying: the last attempt went unanswered past its
/// timeout, with attempts left and time for a whole attempt after the pause, yet no retry.
fn idle_after_timeout(
    j: &mut Judge,
    plan: &Plan,
    l: &CallLog,
    outcome: CallOutcome,
    tell: &dyn Fn(String) -> String,
) {
    let p = plan.policy;
    let sends = l.sends.len() as u32;
    let Some(&last) = l.sends.last() else { return };
    let answered = l.replies.iter().any(|(_, a, _)| *a == sends);
    let timed_out = last + p.attempt_timeout;
    let room = timed_out + p.pause + p.attempt_timeout <= p.deadline;
    if matches!(outcome, CallOutcome::Ok(_)) || answered || !plan.request.idempotent {
        return;
    }
    j.expect("retries-when-safe", sends >= p.max_attempts || !room, || {
        tell(format!(
            "attempt {sends} got no reply by its timeout at {timed_out}, with attempts left and time for another, but no retry was sent"
        ))
    });
}

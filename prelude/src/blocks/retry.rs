//! Request/response over a lossy network: a server that may fail, and a client that retries
//! with timeouts and exponential backoff.
//!
//! The server records `executed` (the request id) every time it really performs a request:
//! that is the ground truth for "how many duplicates did retries cause?".

use crate::history::{OpKind, Outcome};
use crate::net::Delay;
use crate::node::{Ctx, Node, TimerId};
use crate::time::{ms, Time};
use crate::trace::NodeId;
use rand::Rng as _;

/// Messages between [`Server`] and [`RetryClient`].
#[derive(Clone, Debug, PartialEq)]
pub enum Rpc {
    Request { id: u64, attempt: u32 },
    Reply { id: u64, ok: bool },
}

/// How much randomness spreads retries apart.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Jitter {
    /// Exactly the computed delay: every client retries in lock-step.
    None,
    /// Uniform in `[0, delay]` (AWS's "full jitter").
    Full,
    /// `delay/2 + uniform[0, delay/2]`.
    Equal,
}

/// An exponential backoff schedule: `min(cap, base · factor^attempt)`, then jitter.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Backoff {
    pub base: Time,
    pub factor: f64,
    pub cap: Time,
    pub jitter: Jitter,
}

impl Backoff {
    /// Doubling from `base`, capped at 10 s, with full jitter.
    pub fn exponential(base: Time) -> Backoff {
        Backoff {
            base,
            factor: 2.0,
            cap: Time(10_000_000),
            jitter: Jitter::Full,
        }
    }

    /// The same delay every time, no jitter.
    pub fn constant(delay: Time) -> Backoff {
        Backoff {
            base: delay,
            factor: 1.0,
            cap: delay,
            jitter: Jitter::None,
        }
    }

    pub fn cap(mut self, cap: Time) -> Backoff {
        self.cap = cap;
        self
    }

    pub fn jitter(mut self, jitter: Jitter) -> Backoff {
        self.jitter = jitter;
        self
    }

    /// The wait before retry number `attempt` (0 = the first retry). Never overflows.
    /// Crate-private on purpose: computing it is the `retries::backoff` exercise.
    pub(crate) fn delay(&self, attempt: u32, rng: &mut crate::rng::Rng) -> Time {
        let raw = self.base.0 as f64 * self.factor.powf(attempt as f64);
        let capped = raw.min(self.cap.0 as f64).max(0.0);
        let d = match self.jitter {
            Jitter::None => capped,
            Jitter::Full => rng.random_range(0.0..=capped),
            Jitter::Equal => capped / 2.0 + rng.random_range(0.0..=capped / 2.0),
        };
        Time(d as u64)
    }
}

/// A server that performs each request it receives (recording `executed`), fails it with
/// probability `fail`, and replies after its service time.
#[derive(Clone, Debug)]
pub struct Server {
    fail: f64,
    service: Delay,
    pending: Vec<(u64, NodeId, u64, bool)>,
}

impl Server {
    /// Always succeeds, replies at once.
    pub fn new() -> Server {
        Server {
            fail: 0.0,
            service: Delay::constant(0.0),
            pending: Vec::new(),
        }
    }

    /// Fails each request with probability `p` (it still counts as executed: it ran and errored).
    pub fn fail(mut self, p: f64) -> Server {
        self.fail = p.clamp(0.0, 1.0);
        self
    }

    /// Time to process one request.
    pub fn service(mut self, d: Delay) -> Server {
        self.service = d;
        self
    }
}

impl Default for Server {
    fn default() -> Self {
        Server::new()
    }
}

impl Node<Rpc> for Server {
    fn on_message(&mut self, ctx: &mut Ctx<Rpc>, from: NodeId, msg: Rpc) {
        if let Rpc::Request { id, .. } = msg {
            ctx.record("executed", id as f64);
            let ok = !ctx.rng().random_bool(self.fail);
            let t = self.service.sample(ctx.rng());
            if t == Time::ZERO {
                ctx.send(from, Rpc::Reply { id, ok });
            } else {
                let tag = self.pending.len() as u64;
                self.pending.push((tag, from, id, ok));
                ctx.set_timer(t, tag);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Rpc>, tag: u64) {
        if let Some(i) = self.pending.iter().position(|p| p.0 == tag) {
            let (_, to, id, ok) = self.pending.swap_remove(i);
            ctx.send(to, Rpc::Reply { id, ok });
        }
    }
}

/// A client that performs `ops` requests one after another against the servers (round-robin),
/// with a per-attempt timeout and up to `attempts` tries per request.
///
/// Outcomes in the history: `Ok` on a successful reply; `Fail` when the server said no on the
/// last attempt; `Unknown` when the last attempt timed out (it may have been executed).
#[derive(Clone, Debug)]
pub struct RetryClient {
    ops: u64,
    attempts: u32,
    timeout: Time,
    backoff: Backoff,
    think: Time,
    // state
    next_op: u64,
    current: Option<(u64, usize, u32, TimerId)>,
    servers_tried: usize,
}

const TIMEOUT: u64 = 0;
const RETRY: u64 = 1;
const NEXT: u64 = 2;

impl RetryClient {
    /// `ops` requests, 3 attempts, 100 ms timeout, exponential backoff from 10 ms.
    pub fn new(ops: u64) -> RetryClient {
        RetryClient {
            ops,
            attempts: 3,
            timeout: ms(100),
            backoff: Backoff::exponential(ms(10)),
            think: Time::ZERO,
            next_op: 0,
            current: None,
            servers_tried: 0,
        }
    }

    /// Total tries per request (1 = no retries).
    pub fn attempts(mut self, n: u32) -> Self {
        self.attempts = n.max(1);
        self
    }

    /// How long to wait for each reply.
    pub fn timeout(mut self, t: Time) -> Self {
        self.timeout = t;
        self
    }

    pub fn backoff(mut self, b: Backoff) -> Self {
        self.backoff = b;
        self
    }

    /// Pause between one request's outcome and the next request.
    pub fn think(mut self, t: Time) -> Self {
        self.think = t;
        self
    }

    fn server(&self, ctx: &Ctx<Rpc>) -> NodeId {
        let s = ctx.servers();
        s[self.servers_tried % s.len()]
    }

    fn start_next(&mut self, ctx: &mut Ctx<Rpc>) {
        if self.next_op >= self.ops || ctx.servers().is_empty() {
            return;
        }
        let id = ctx.id() as u64 * 1_000_000 + self.next_op;
        self.next_op += 1;
        let op = ctx.invoke(OpKind::Other(format!("request {id}")));
        self.send_attempt(ctx, id, op, 0);
    }

    fn send_attempt(&mut self, ctx: &mut Ctx<Rpc>, id: u64, op: usize, attempt: u32) {
        let to = self.server(ctx);
        ctx.send(to, Rpc::Request { id, attempt });
        let timer = ctx.set_timer(self.timeout, TIMEOUT);
        self.current = Some((id, op, attempt, timer));
    }

    fn finish(&mut self, ctx: &mut Ctx<Rpc>, op: usize, outcome: Outcome) {
        ctx.complete(op, outcome);
        self.current = None;
        ctx.set_timer(self.think, NEXT);
    }
}

impl Node<Rpc> for RetryClient {
    fn on_start(&mut self, ctx: &mut Ctx<Rpc>) {
        self.start_next(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Rpc>, _from: NodeId, msg: Rpc) {
        let Rpc::Reply { id, ok } = msg else { return };
        let Some((cur, op, attempt, timer)) = self.current else {
            return;
        };
        if cur != id {
            return; // a late reply to an earlier request
        }
        ctx.cancel_timer(timer);
        if ok {
            self.finish(ctx, op, Outcome::Ok(None));
        } else if attempt + 1 < self.attempts {
            let wait = self.backoff.delay(attempt, ctx.rng());
            let retry = ctx.set_timer(wait, RETRY);
            self.current = Some((cur, op, attempt, retry));
        } else {
            self.finish(ctx, op, Outcome::Fail);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Rpc>, tag: u64) {
        match tag {
            NEXT => self.start_next(ctx),
            TIMEOUT | RETRY => {
                let Some((id, op, attempt, _)) = self.current else {
                    return;
                };
                if attempt + 1 >= self.attempts {
                    // The last attempt timed out: it may or may not have been executed.
                    self.finish(ctx, op, Outcome::Unknown);
                } else if tag == TIMEOUT {
                    self.servers_tried += 1;
                    let wait = self.backoff.delay(attempt, ctx.rng());
                    let retry = ctx.set_timer(wait, RETRY);
                    self.current = Some((id, op, attempt, retry));
                } else {
                    self.send_attempt(ctx, id, op, attempt + 1);
                }
            }
            _ => {}
        }
    }
}

/// How many requests were executed more than once, from the servers' `executed` records.
pub fn duplicate_executions(run: &crate::run::Run) -> usize {
    let mut ids: Vec<u64> = run.observed("executed").map(|o| o.value as u64).collect();
    ids.sort_unstable();
    ids.windows(2).filter(|w| w[0] == w[1]).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[test]
    fn backoff_grows_caps_and_never_overflows() {
        let b = Backoff::exponential(ms(10))
            .cap(ms(1000))
            .jitter(Jitter::None);
        let mut r = rng(1);
        assert_eq!(b.delay(0, &mut r), ms(10));
        assert_eq!(b.delay(3, &mut r), ms(80));
        assert_eq!(b.delay(10, &mut r), ms(1000));
        assert_eq!(b.delay(u32::MAX, &mut r), ms(1000));
        let full = Backoff::exponential(ms(10));
        let d = full.delay(2, &mut r);
        assert!(d <= ms(40));
    }

    fn sim(loss: f64, attempts: u32) -> Sim<Rpc> {
        Sim::new(Net::new().delay(Delay::constant(5.0)).loss(loss))
            .node(|_| Server::new())
            .client(move |_| RetryClient::new(200).attempts(attempts).timeout(ms(30)))
    }

    #[test]
    fn retries_raise_success_and_cause_duplicates() {
        let once = sim(0.2, 1).run(1);
        let thrice = sim(0.2, 3).run(1);
        assert!(once.ok_rate() < 0.75, "{}", once.ok_rate());
        assert!(thrice.ok_rate() > 0.9, "{}", thrice.ok_rate());
        assert_eq!(duplicate_executions(&once), 0);
        assert!(
            duplicate_executions(&thrice) > 5,
            "lost replies cause re-execution"
        );
        let unknown = once
            .history
            .ops
            .iter()
            .filter(|o| o.outcome == Outcome::Unknown)
            .count();
        assert!(unknown > 0 && once.history.ops.len() == 200);
    }
}

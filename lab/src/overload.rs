//! Retries against a server that can be overloaded. A [`QueueServer`] serves one request at a
//! time (1 ms each: 1,000 requests/s) from an unbounded queue, and keeps serving requests whose
//! client has already given up — as real servers do, since nobody tells them. Users arrive
//! at random at a steady rate whatever the server's state (an open loop, like visitors to a
//! website), and each [`HerdClient`] retries a request that timed out with capped exponential
//! backoff, a choice of jitter, and optionally under a **retry budget**.
//!
//! What goes wrong is not programmed in: when retries push the offered load past capacity, the
//! queue's wait passes the timeout, every request times out and is retried on top of the
//! abandoned copy still queued, and the server stays 100% busy answering nobody — long after
//! the outage that started it is over.
//!
//! A client records `sent` for every attempt, `ok` for every answered request and `wasted` for
//! every reply nobody waits for any more, so runs can count them with
//! [`per_bucket`](crate::breaker::per_bucket).

use crate::scaling::QueueServer;
use faultline::blocks::retry::{Jitter, Rpc};
use faultline::faults::Faults;
use faultline::history::{OpKind, Outcome};
use faultline::net::{Delay, Net};
use faultline::node::{Ctx, Node};
use faultline::sim::Sim;
use faultline::time::{ms, secs, Time};
use faultline::trace::NodeId;
use rand::Rng as _;
use std::collections::BTreeMap;

/// A retry budget: each request earns `percent`/100 of a retry, a retry spends one, and at most
/// `reserve` retries are saved up (the rule of the graded exercise `retries::budget`). Kept in
/// hundredths of a retry, so no retry is lost to rounding.
#[derive(Copy, Clone, Debug)]
pub struct Budget {
    percent: u32,
    reserve: u32,
    balance: u32,
}

impl Budget {
    pub fn new(percent: u32, reserve: u32) -> Budget {
        Budget {
            percent,
            reserve,
            balance: reserve * 100,
        }
    }

    fn on_request(&mut self) {
        self.balance = (self.balance + self.percent).min(self.reserve * 100);
    }

    fn try_retry(&mut self) -> bool {
        let ok = self.balance >= 100;
        if ok {
            self.balance -= 100;
        }
        ok
    }
}

const ARRIVE: u64 = u64::MAX;

/// Users arriving at `per_sec` on average (Poisson) for the whole run, each sending one request
/// to server 0, tried up to `attempts` times with a 100 ms timeout and backoff `100 ms · 2ⁿ`
/// (capped at 1 s, with `jitter`), retried only while the [`Budget`], if any, allows.
#[derive(Clone, Debug)]
pub struct HerdClient {
    per_sec: f64,
    attempts: u32,
    timeout: Time,
    jitter: Jitter,
    budget: Option<Budget>,
    next: u64,
    /// Open requests: id → (history op, attempt number).
    open: BTreeMap<u64, (usize, u32)>,
}

impl HerdClient {
    fn new(per_sec: f64, attempts: u32, jitter: Jitter, budget: Option<Budget>) -> HerdClient {
        HerdClient {
            per_sec,
            attempts: attempts.max(1),
            timeout: ms(100),
            jitter,
            budget,
            next: 0,
            open: BTreeMap::new(),
        }
    }

    fn backoff(&self, n: u32, ctx: &mut Ctx<Rpc>) -> Time {
        let d = (ms(100).0 << n.min(20)).min(secs(1).0);
        Time(match self.jitter {
            Jitter::None => d,
            Jitter::Full => ctx.rng().random_range(0..=d),
            Jitter::Equal => d / 2 + ctx.rng().random_range(0..=d / 2),
        })
    }

    fn send(&mut self, ctx: &mut Ctx<Rpc>, id: u64, attempt: u32) {
        ctx.send(0, Rpc::Request { id, attempt });
        ctx.record("sent", 1.0);
        ctx.set_timer(self.timeout, id * 2);
    }

    fn arrive(&mut self, ctx: &mut Ctx<Rpc>) {
        let u: f64 = ctx.rng().random_range(f64::MIN_POSITIVE..1.0);
        ctx.set_timer(Time::from_ms_f64(-u.ln() * 1_000.0 / self.per_sec), ARRIVE);
        self.next += 1;
        let op = ctx.invoke(OpKind::Other(format!("request {}", self.next)));
        self.open.insert(self.next, (op, 0));
        if let Some(b) = self.budget.as_mut() {
            b.on_request();
        }
        self.send(ctx, self.next, 0);
    }
}

impl Node<Rpc> for HerdClient {
    fn on_start(&mut self, ctx: &mut Ctx<Rpc>) {
        if self.per_sec > 0.0 {
            ctx.set_timer(Time::ZERO, ARRIVE);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Rpc>, _: NodeId, msg: Rpc) {
        let Rpc::Reply { id, .. } = msg else { return };
        match self.open.remove(&id) {
            Some((op, _)) => {
                ctx.record("ok", 1.0);
                ctx.complete(op, Outcome::Ok(None));
            }
            None => ctx.record("wasted", 1.0),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Rpc>, tag: u64) {
        if tag == ARRIVE {
            return self.arrive(ctx);
        }
        let (id, retry_now) = (tag / 2, tag % 2 == 1);
        let Some(&(op, n)) = self.open.get(&id) else {
            return;
        };
        if retry_now {
            self.open.insert(id, (op, n + 1));
            return self.send(ctx, id, n + 1);
        }
        let allowed = n + 1 < self.attempts && self.budget.as_mut().is_none_or(|b| b.try_retry());
        if allowed {
            let wait = self.backoff(n, ctx);
            ctx.set_timer(wait, id * 2 + 1);
        } else {
            self.open.remove(&id);
            ctx.complete(op, Outcome::Unknown);
        }
    }
}

/// The herd, configured with chained calls and turned into a [`Sim`]: ten [`HerdClient`]s
/// against one [`QueueServer`] (1 ms per request, one at a time) over a 1–10 ms network; the
/// server crashes at 1 s and comes back at 3 s. Runs 8 s.
///
/// ```
/// # use faultline_lab::overload::{Budget, Herd};
/// # use faultline::blocks::retry::Jitter;
/// let sim = Herd::new().tries(4).jitter(Jitter::Full).budget(Budget::new(10, 5)).sim();
/// ```
#[derive(Clone, Debug)]
pub struct Herd {
    per_sec: f64,
    tries: u32,
    jitter: Jitter,
    budget: Option<Budget>,
}

impl Default for Herd {
    fn default() -> Self {
        Herd::new()
    }
}

impl Herd {
    /// 600 users a second (the server is 60% busy), 4 tries per request, no jitter, no budget.
    pub fn new() -> Herd {
        Herd {
            per_sec: 600.0,
            tries: 4,
            jitter: Jitter::None,
            budget: None,
        }
    }

    /// Users arriving per second, over all ten clients.
    pub fn users_per_sec(mut self, rate: f64) -> Self {
        self.per_sec = rate;
        self
    }

    /// Tries per request (1: never retry).
    pub fn tries(mut self, n: u32) -> Self {
        self.tries = n;
        self
    }

    /// Randomness added to the backoff between tries.
    pub fn jitter(mut self, j: Jitter) -> Self {
        self.jitter = j;
        self
    }

    /// A retry budget shared by each client's requests (`None`: retry freely).
    pub fn budget(mut self, b: impl Into<Option<Budget>>) -> Self {
        self.budget = b.into();
        self
    }

    /// The simulation. Panics, naming it, on a rate that is not a finite number ≥ 0 or on
    /// 0 tries.
    #[track_caller]
    pub fn sim(&self) -> Sim<Rpc> {
        let mut wrong = Vec::new();
        if !(self.per_sec.is_finite() && self.per_sec >= 0.0) {
            wrong.push((
                "users_per_sec",
                self.per_sec.to_string(),
                "a finite number >= 0",
            ));
        }
        if self.tries == 0 {
            wrong.push(("tries", "0".to_string(), "1 or more (1: never retry)"));
        }
        crate::setup::reject(&wrong);
        let Herd {
            per_sec,
            tries,
            jitter,
            budget,
        } = *self;
        Sim::new(Net::new().delay(Delay::uniform(1.0, 10.0)))
            .node(|_| QueueServer::new(Delay::constant(1.0)))
            .clients(10, move |_| {
                HerdClient::new(per_sec / 10.0, tries, jitter, budget)
            })
            .faults(Faults::new().crash_at(secs(1), 0).restart_at(secs(3), 0))
            .until(secs(8))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::breaker::per_bucket;
    use faultline::run::Run;

    fn answered_late(run: &Run) -> usize {
        run.observed("ok").filter(|o| o.at >= secs(6)).count()
    }

    #[test]
    fn retries_keep_an_overloaded_server_down_and_a_budget_prevents_it() {
        let once = Herd::new().tries(1).sim().run_untraced(1);
        let four = Herd::new().jitter(Jitter::Full).sim().run_untraced(1);
        let budget = Herd::new()
            .jitter(Jitter::Full)
            .budget(Budget::new(10, 5))
            .sim()
            .run_untraced(1);
        // 600 users a second: the last 2 s hold about 1,200 of them.
        assert!(answered_late(&once) > 1_000, "no retries: back at once");
        assert!(
            answered_late(&four) < 100,
            "retries: still collapsed long after the restart"
        );
        assert!(answered_late(&budget) > 1_000, "a budget: back at once");
        assert!(
            four.observed("wasted").count() > 1_000,
            "the server works for nobody"
        );
        let sent = |r: &Run| r.observed("sent").count() as f64 / r.history.ops.len() as f64;
        assert!(sent(&four) > 2.5 && sent(&budget) < 1.2 && sent(&once) == 1.0);
        let busy = per_bucket(&four, "sent", ms(250));
        assert!(
            busy.iter().any(|b| b.1 > 400),
            "retries multiply the load: {busy:?}"
        );
    }

    #[test]
    fn a_budget_allows_exactly_its_share() {
        let mut b = Budget::new(10, 1);
        assert!(b.try_retry(), "the reserve lets a quiet client retry");
        assert!(!b.try_retry());
        (0..10).for_each(|_| b.on_request());
        assert!(b.try_retry(), "ten requests earn one retry");
        assert!(!b.try_retry());
    }
}

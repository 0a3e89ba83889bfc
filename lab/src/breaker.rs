//! Circuit breakers, and the load a server sees over time.
//!
//! [`BreakerClient`] calls a [`Server`](faultline::blocks::retry::Server) at a steady rate through a
//! circuit breaker: **closed** lets calls through and watches the failure rate over a sliding
//! window; at or above the threshold (with enough calls to judge) it **opens** and fails calls
//! at once, without touching the server, for a cool-down; then it goes **half-open** and lets a
//! single probe through — success closes it, failure opens it again. A timeout counts as a
//! failure, because that is all a client can see of a dead server.
//!
//! The client records `breaker` on every state change (0 closed, 1 open, 2 half-open) and
//! `sent` for every call that reached the wire; [`breaker_states`] turns a run into a timeline
//! lane, and [`arrivals`] and [`per_bucket`] count a node's load per time bucket (the herd).

use faultline::blocks::retry::Rpc;
use faultline::history::{OpKind, Outcome};
use faultline::node::{Ctx, Node};
use faultline::run::Run;
use faultline::time::{ms, secs, Time};
use faultline::trace::{NodeId, Trace};
use std::collections::{BTreeMap, VecDeque};

/// A circuit breaker's state.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    fn code(self) -> f64 {
        match self {
            BreakerState::Closed => 0.0,
            BreakerState::Open => 1.0,
            BreakerState::HalfOpen => 2.0,
        }
    }

    fn name(code: f64) -> &'static str {
        match code as u8 {
            0 => "Closed",
            1 => "Open",
            _ => "HalfOpen",
        }
    }
}

/// A client calling the first server every `every`, through a circuit breaker (or none).
#[derive(Clone, Debug)]
pub struct BreakerClient {
    every: Time,
    timeout: Time,
    breaker: bool,
    threshold: f64,
    window: Time,
    min_calls: usize,
    open_for: Time,
    // state
    state: BreakerState,
    opened_at: Time,
    probing: bool,
    outcomes: VecDeque<(Time, bool)>,
    next: u64,
    open: BTreeMap<u64, usize>,
}

const TICK: u64 = u64::MAX;

impl BreakerClient {
    /// 10 calls a second, 1 s timeout, and the service-mesh breaker of the texts: opens at
    /// ≥ 50% failures over the last 10 s (at least 10 calls), stays open 30 s.
    pub fn new() -> BreakerClient {
        BreakerClient {
            every: ms(100),
            timeout: secs(1),
            breaker: true,
            threshold: 0.5,
            window: secs(10),
            min_calls: 10,
            open_for: secs(30),
            state: BreakerState::Closed,
            opened_at: Time::ZERO,
            probing: false,
            outcomes: VecDeque::new(),
            next: 0,
            open: BTreeMap::new(),
        }
    }

    /// Without a breaker: every call goes to the server.
    pub fn without_breaker(mut self) -> Self {
        self.breaker = false;
        self
    }

    /// Time between calls.
    pub fn every(mut self, t: Time) -> Self {
        self.every = t;
        self
    }

    pub fn timeout(mut self, t: Time) -> Self {
        self.timeout = t;
        self
    }

    /// Opens when failures / calls ≥ `rate` over the last `window`, once `min_calls` were made.
    pub fn trip_at(mut self, rate: f64, window: Time, min_calls: usize) -> Self {
        self.threshold = rate;
        self.window = window;
        self.min_calls = min_calls.max(1);
        self
    }

    /// How long the breaker stays open before probing.
    pub fn open_for(mut self, t: Time) -> Self {
        self.open_for = t;
        self
    }

    fn set(&mut self, ctx: &mut Ctx<Rpc>, s: BreakerState) {
        if s != self.state {
            self.state = s;
            ctx.record("breaker", s.code());
        }
    }

    /// May this call go to the server?
    fn allow(&mut self, ctx: &mut Ctx<Rpc>) -> bool {
        if !self.breaker {
            return true;
        }
        let now = ctx.now();
        if self.state == BreakerState::Open && now >= self.opened_at + self.open_for {
            self.set(ctx, BreakerState::HalfOpen);
        }
        match self.state {
            BreakerState::Closed => true,
            BreakerState::Open => false,
            BreakerState::HalfOpen if self.probing => false,
            BreakerState::HalfOpen => {
                self.probing = true;
                true
            }
        }
    }

    fn outcome(&mut self, ctx: &mut Ctx<Rpc>, ok: bool) {
        let now = ctx.now();
        match self.state {
            BreakerState::HalfOpen => {
                self.probing = false;
                self.outcomes.clear();
                if ok {
                    self.set(ctx, BreakerState::Closed);
                } else {
                    self.opened_at = now;
                    self.set(ctx, BreakerState::Open);
                }
            }
            BreakerState::Closed => {
                self.outcomes.push_back((now, ok));
                while self
                    .outcomes
                    .front()
                    .is_some_and(|&(t, _)| t + self.window < now)
                {
                    self.outcomes.pop_front();
                }
                let calls = self.outcomes.len();
                let failed = self.outcomes.iter().filter(|o| !o.1).count();
                if self.breaker
                    && calls >= self.min_calls
                    && failed as f64 >= self.threshold * calls as f64
                {
                    self.opened_at = now;
                    self.set(ctx, BreakerState::Open);
                }
            }
            // Late answers to calls made before the breaker opened change nothing.
            BreakerState::Open => {}
        }
    }
}

impl Default for BreakerClient {
    fn default() -> Self {
        BreakerClient::new()
    }
}

impl Node<Rpc> for BreakerClient {
    fn on_start(&mut self, ctx: &mut Ctx<Rpc>) {
        ctx.record("breaker", 0.0);
        ctx.set_timer(self.every, TICK);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Rpc>, _from: NodeId, msg: Rpc) {
        if let Rpc::Reply { id, ok } = msg {
            if let Some(op) = self.open.remove(&id) {
                ctx.complete(op, if ok { Outcome::Ok(None) } else { Outcome::Fail });
                self.outcome(ctx, ok);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Rpc>, tag: u64) {
        if tag != TICK {
            if let Some(op) = self.open.remove(&tag) {
                ctx.complete(op, Outcome::Unknown);
                self.outcome(ctx, false);
            }
            return;
        }
        ctx.set_timer(self.every, TICK);
        self.next += 1;
        let id = self.next;
        let op = ctx.invoke(OpKind::Other("call".into()));
        let Some(&server) = ctx.servers().first() else {
            return;
        };
        if self.allow(ctx) {
            ctx.record("sent", 1.0);
            ctx.send(server, Rpc::Request { id, attempt: 0 });
            ctx.set_timer(self.timeout, id);
            self.open.insert(id, op);
        } else {
            // Fail fast: the caller gets an answer at once and the server is left alone.
            ctx.complete(op, Outcome::Fail);
        }
    }
}

/// The breaker's state changes of `node` as `(time, state name)`, ready for a timeline lane.
pub fn breaker_states(run: &Run, node: NodeId) -> Vec<(Time, &'static str)> {
    run.observed("breaker")
        .filter(|o| o.node == node)
        .map(|o| (o.at, BreakerState::name(o.value)))
        .collect()
}

/// How many messages `to` was sent in each bucket of `width`, as `(bucket start in s, count)`;
/// messages lost on the way or sent to a crashed node count too — they are load the sender
/// generated. Needs a traced run; in sweeps, count observations with [`per_bucket`].
pub fn arrivals(trace: &Trace, to: NodeId, width: Time) -> Vec<(f64, usize)> {
    let times = trace
        .messages
        .iter()
        .filter(|m| m.to == to)
        .map(|m| m.sent_at);
    count_buckets(times, trace.end, width)
}

/// How many observations named `key` were recorded in each bucket of `width`, as
/// `(bucket start in s, count)` — e.g. `per_bucket(&run, "executed", ms(50))` is a server's load.
pub fn per_bucket(run: &Run, key: &str, width: Time) -> Vec<(f64, usize)> {
    count_buckets(run.observed(key).map(|o| o.at), run.end, width)
}

fn count_buckets(times: impl Iterator<Item = Time>, end: Time, width: Time) -> Vec<(f64, usize)> {
    let width = width.max(Time(1));
    let mut counts = vec![0; (end.0 / width.0 + 1) as usize];
    for t in times {
        if let Some(c) = counts.get_mut((t.0 / width.0) as usize) {
            *c += 1;
        }
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(i, c)| (Time(i as u64 * width.0).as_secs(), c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline::prelude::*;

    fn sim(client: BreakerClient) -> Sim<Rpc> {
        Sim::new(Net::new().delay(Delay::constant(5.0)))
            .node(|_| Server::new())
            .client(move |_| client.clone())
            .faults(Faults::new().crash_at(secs(20), 0).restart_at(secs(70), 0))
            .until(secs(120))
    }

    #[test]
    fn breaker_opens_probes_and_closes() {
        let run = sim(BreakerClient::new()).run(1);
        let states = breaker_states(&run, 1);
        let names: Vec<&str> = states.iter().map(|s| s.1).collect();
        assert_eq!(names[..3], ["Closed", "Open", "HalfOpen"], "{states:?}");
        assert_eq!(*names.last().unwrap(), "Closed");
        let opened = states[1].0;
        // Half the last 10 s must be failures: successes until 20 s, timeouts from 21 s on,
        // so the breaker trips at 25.5 s — 5.5 s after the crash.
        assert!(opened > secs(25) && opened < secs(26), "{opened}");
        let probe = states[2].0 - opened;
        assert!(probe >= secs(30) && probe <= secs(30) + ms(100), "{probe}");
        let closed = states.last().unwrap().0;
        // The probe at 55.5 s times out at 56.5 s (down until 70 s): open again until 86.5 s,
        // when the next probe succeeds.
        assert_eq!(
            names,
            ["Closed", "Open", "HalfOpen", "Open", "HalfOpen", "Closed"]
        );
        assert!(closed > secs(86) && closed < secs(87), "{closed}");
    }

    #[test]
    fn breaker_spares_the_dead_server() {
        let with = sim(BreakerClient::new()).run(1);
        let without = sim(BreakerClient::new().without_breaker()).run(1);
        let sent = |r: &Run| r.observed("sent").count();
        assert!(
            sent(&with) + 300 < sent(&without),
            "{} vs {}",
            sent(&with),
            sent(&without)
        );
        let load = arrivals(without.trace(), 0, secs(10));
        assert_eq!(load.len(), 13);
        assert!(load[3].1 >= 99 && load[3].1 <= 101, "{:?}", load[3]);
        assert_eq!(load[3].0, 30.0);
        let sent = per_bucket(&without, "sent", secs(10));
        assert_eq!(sent.len(), 13);
        assert!(sent[3].1 >= 99 && sent[3].1 <= 101, "{:?}", sent[3]);
    }
}

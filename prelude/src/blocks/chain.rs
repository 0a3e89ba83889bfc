//! Service graphs: a request that passes through a chain of services (A → B → C), or fans out
//! from one service to many in parallel. Each hop has its own failure rate and processing time,
//! which is all it takes to see failures compound along a chain and tails grow with fan-out.

use crate::history::{OpKind, Outcome};
use crate::net::{Delay, Net};
use crate::node::{Ctx, Node, TimerId};
use crate::sim::Sim;
use crate::time::{secs, Time};
use crate::trace::NodeId;
use rand::Rng as _;
use std::collections::BTreeMap;

/// Calls between services.
#[derive(Clone, Debug, PartialEq)]
pub enum Call {
    Request { id: u64 },
    Response { id: u64, ok: bool },
}

/// One service's behaviour: how often it fails on its own, and how long its own work takes.
#[derive(Clone, Debug, PartialEq)]
pub struct Hop {
    pub fail: f64,
    pub work: Delay,
}

impl Hop {
    /// Fails with probability `fail`; its own work takes `work_ms` milliseconds.
    pub fn new(fail: f64, work_ms: f64) -> Hop {
        Hop {
            fail,
            work: Delay::constant(work_ms),
        }
    }

    /// Uses a random work-time distribution (for tail-latency experiments).
    pub fn work(mut self, d: Delay) -> Hop {
        self.work = d;
        self
    }
}

/// A service: does its work, then either answers (a leaf) or calls its downstream services
/// (all of them, in parallel) and answers once every one has answered.
#[derive(Clone, Debug)]
pub struct Service {
    hop: Hop,
    downstream: Vec<NodeId>,
    /// Requests being handled: id → (caller, answers still awaited, all ok so far).
    open: BTreeMap<u64, (NodeId, usize, bool)>,
    /// Work in progress: timer tag → request id.
    working: BTreeMap<u64, (u64, NodeId)>,
    next_tag: u64,
}

impl Service {
    pub fn new(hop: Hop, downstream: Vec<NodeId>) -> Service {
        Service {
            hop,
            downstream,
            open: BTreeMap::new(),
            working: BTreeMap::new(),
            next_tag: 0,
        }
    }
}

impl Node<Call> for Service {
    fn on_message(&mut self, ctx: &mut Ctx<Call>, from: NodeId, msg: Call) {
        match msg {
            Call::Request { id } => {
                let t = self.hop.work.sample(ctx.rng());
                self.next_tag += 1;
                self.working.insert(self.next_tag, (id, from));
                ctx.set_timer(t, self.next_tag);
            }
            Call::Response { id, ok } => {
                if let Some((caller, waiting, all_ok)) = self.open.get_mut(&id) {
                    *waiting -= 1;
                    *all_ok &= ok;
                    if *waiting == 0 {
                        let (caller, ok) = (*caller, *all_ok);
                        self.open.remove(&id);
                        ctx.send(caller, Call::Response { id, ok });
                    }
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Call>, tag: u64) {
        let Some((id, caller)) = self.working.remove(&tag) else {
            return;
        };
        if ctx.rng().random_bool(self.hop.fail.clamp(0.0, 1.0)) {
            ctx.send(caller, Call::Response { id, ok: false });
        } else if self.downstream.is_empty() {
            ctx.send(caller, Call::Response { id, ok: true });
        } else {
            self.open.insert(id, (caller, self.downstream.len(), true));
            for &d in &self.downstream {
                ctx.send(d, Call::Request { id });
            }
        }
    }
}

/// Sends `requests` calls to service 0, one after another, each with a timeout.
/// History: `Ok` on success, `Fail` on an error response, `Unknown` on timeout.
#[derive(Clone, Debug)]
pub struct Caller {
    requests: u64,
    timeout: Time,
    sent: u64,
    current: Option<(u64, usize, TimerId)>,
}

impl Caller {
    pub fn new(requests: u64) -> Caller {
        Caller {
            requests,
            timeout: secs(5),
            sent: 0,
            current: None,
        }
    }

    pub fn timeout(mut self, t: Time) -> Caller {
        self.timeout = t;
        self
    }

    fn next(&mut self, ctx: &mut Ctx<Call>) {
        if self.sent >= self.requests {
            return;
        }
        self.sent += 1;
        let id = self.sent;
        let op = ctx.invoke(OpKind::Other(format!("call {id}")));
        ctx.send(0, Call::Request { id });
        let timer = ctx.set_timer(self.timeout, id);
        self.current = Some((id, op, timer));
    }
}

impl Node<Call> for Caller {
    fn on_start(&mut self, ctx: &mut Ctx<Call>) {
        self.next(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Call>, _: NodeId, msg: Call) {
        if let (Call::Response { id, ok }, Some((cur, op, timer))) = (msg, self.current) {
            if id == cur {
                ctx.cancel_timer(timer);
                ctx.complete(op, if ok { Outcome::Ok(None) } else { Outcome::Fail });
                self.current = None;
                self.next(ctx);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Call>, tag: u64) {
        if let Some((cur, op, _)) = self.current {
            if cur == tag {
                ctx.complete(op, Outcome::Unknown);
                self.current = None;
                self.next(ctx);
            }
        }
    }
}

/// A chain: service 0 calls 1, which calls 2, …; a [`Caller`] (the last node) sends `requests`.
pub fn call_chain(net: Net, hops: &[Hop], requests: u64) -> Sim<Call> {
    let n = hops.len();
    let mut sim = Sim::new(net);
    for (i, hop) in hops.iter().enumerate() {
        let hop = hop.clone();
        let downstream = if i + 1 < n { vec![i + 1] } else { vec![] };
        sim = sim.node(move |_| Service::new(hop.clone(), downstream.clone()));
    }
    let names: Vec<String> = (0..n)
        .map(|i| ((b'A' + (i % 26) as u8) as char).to_string())
        .collect();
    sim.client(move |_| Caller::new(requests)).names(names)
}

/// A fan-out: service 0 (`root`) calls `width` copies of `leaf` in parallel and answers when all
/// have; a [`Caller`] sends `requests`.
pub fn fan_out(net: Net, root: Hop, leaf: Hop, width: usize, requests: u64) -> Sim<Call> {
    let leaves: Vec<NodeId> = (1..=width).collect();
    let sim = Sim::new(net).node(move |_| Service::new(root.clone(), leaves.clone()));
    sim.nodes(width, move |_| Service::new(leaf.clone(), vec![]))
        .client(move |_| Caller::new(requests))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[test]
    fn failures_compound_along_a_chain() {
        // Only C fails 10%: 10% of calls fail. Every hop fails 10%: 1 - 0.9³ = 27.1%.
        let only_c = [Hop::new(0.0, 1.0), Hop::new(0.0, 1.0), Hop::new(0.1, 1.0)];
        let all = [Hop::new(0.1, 1.0), Hop::new(0.1, 1.0), Hop::new(0.1, 1.0)];
        let fail = |hops: &[Hop]| {
            1.0 - call_chain(Net::new(), hops, 20_000)
                .run_untraced(1)
                .ok_rate()
        };
        assert!((fail(&only_c) - 0.10).abs() < 0.01);
        assert!((fail(&all) - 0.271).abs() < 0.015);
    }

    #[test]
    fn fan_out_tail_grows_with_width() {
        let leaf = Hop::new(0.0, 0.0).work(Delay::lognormal(5.0, 0.8));
        let p99 = |w| {
            fan_out(Net::new(), Hop::new(0.0, 0.0), leaf.clone(), w, 2_000)
                .run_untraced(1)
                .p50()
        };
        assert!(
            p99(10) > 2.0 * p99(1),
            "the median of a 10-way fan-out is a leaf's tail"
        );
    }
}

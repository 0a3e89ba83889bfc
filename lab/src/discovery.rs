//! Topology changes: a rolling deploy replaces every instance of a service with a new one at a
//! new address. A client that cached the addresses at start-up keeps calling machines that no
//! longer exist; a client that asks a registry (service discovery) follows the change, missing
//! only for as long as its cached answer is allowed to live (its TTL).

use faultline::faults::Faults;
use faultline::history::{OpKind, Outcome};
use faultline::net::{Delay, Net};
use faultline::node::{Ctx, Node};
use faultline::run::Run;
use faultline::sim::Sim;
use faultline::time::{ms, Time};
use faultline::trace::NodeId;
use std::collections::BTreeMap;

/// Messages of the deploy experiment.
#[derive(Clone, Debug, PartialEq)]
pub enum Disco {
    Request {
        id: u64,
    },
    Reply {
        id: u64,
    },
    /// "Which addresses serve this service now?"
    Resolve,
    Addresses(Vec<NodeId>),
}

/// An instance of the service: answers every request.
#[derive(Clone, Debug, Default)]
pub struct Instance;

impl Node<Disco> for Instance {
    fn on_message(&mut self, ctx: &mut Ctx<Disco>, from: NodeId, msg: Disco) {
        if let Disco::Request { id } = msg {
            ctx.send(from, Disco::Reply { id });
        }
    }
}

/// The registry (Consul, etcd, DNS): knows which instance serves each slot at any time, from the
/// deploy plan `(when, old, new)`.
#[derive(Clone, Debug)]
pub struct Registry {
    initial: Vec<NodeId>,
    plan: Vec<(Time, NodeId, NodeId)>,
}

impl Registry {
    pub fn new(initial: Vec<NodeId>, plan: Vec<(Time, NodeId, NodeId)>) -> Registry {
        Registry { initial, plan }
    }

    fn current(&self, now: Time) -> Vec<NodeId> {
        let mut live = self.initial.clone();
        for &(at, old, new) in &self.plan {
            if at <= now {
                if let Some(slot) = live.iter_mut().find(|s| **s == old) {
                    *slot = new;
                }
            }
        }
        live
    }
}

impl Node<Disco> for Registry {
    fn on_message(&mut self, ctx: &mut Ctx<Disco>, from: NodeId, msg: Disco) {
        if msg == Disco::Resolve {
            let now = ctx.now();
            ctx.send(from, Disco::Addresses(self.current(now)));
        }
    }
}

/// How a client finds the service.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Asks the registry once at start-up and keeps the answer forever (a hard-coded list).
    Cached,
    /// Asks the registry again whenever its answer is older than the TTL.
    Discovery { ttl: Time },
}

/// Sends a request every `every` to the next known address (round-robin); a request not answered
/// within `timeout` is a failure.
#[derive(Clone, Debug)]
pub struct DeployClient {
    registry: NodeId,
    lookup: Lookup,
    every: Time,
    timeout: Time,
    until: Time,
    addresses: Vec<NodeId>,
    fetched: Option<Time>,
    sent: u64,
    open: BTreeMap<u64, usize>,
}

const TICK: u64 = u64::MAX;

impl DeployClient {
    pub fn new(registry: NodeId, lookup: Lookup, every: Time, until: Time) -> DeployClient {
        DeployClient {
            registry,
            lookup,
            every,
            timeout: ms(200),
            until,
            addresses: Vec::new(),
            fetched: None,
            sent: 0,
            open: BTreeMap::new(),
        }
    }

    pub fn timeout(mut self, t: Time) -> DeployClient {
        self.timeout = t;
        self
    }
}

impl Node<Disco> for DeployClient {
    fn on_start(&mut self, ctx: &mut Ctx<Disco>) {
        ctx.send(self.registry, Disco::Resolve);
        ctx.set_timer(self.every, TICK);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Disco>, _: NodeId, msg: Disco) {
        match msg {
            Disco::Addresses(a) => {
                self.addresses = a;
                self.fetched = Some(ctx.now());
            }
            Disco::Reply { id } => {
                if let Some(op) = self.open.remove(&id) {
                    ctx.complete(op, Outcome::Ok(None));
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Disco>, tag: u64) {
        if tag != TICK {
            if let Some(op) = self.open.remove(&tag) {
                ctx.complete(op, Outcome::Fail);
            }
            return;
        }
        let now = ctx.now();
        if now >= self.until {
            return;
        }
        if let (Lookup::Discovery { ttl }, Some(at)) = (self.lookup, self.fetched) {
            if now - at >= ttl {
                self.fetched = None;
                ctx.send(self.registry, Disco::Resolve);
            }
        }
        if !self.addresses.is_empty() {
            let id = self.sent;
            self.sent += 1;
            let to = self.addresses[id as usize % self.addresses.len()];
            let op = ctx.invoke(OpKind::Other(format!("request {id}")));
            self.open.insert(id, op);
            ctx.send(to, Disco::Request { id });
            ctx.set_timer(self.timeout, id);
        }
        ctx.set_timer(self.every, TICK);
    }
}

/// A rolling deploy of `instances` instances, one replaced every `step` starting at `step`,
/// watched by a client using `lookup` for `duration`. Nodes: old instances `0..n`, new ones
/// `n..2n`, the registry `2n`, the client `2n + 1`.
pub fn rolling_deploy(instances: usize, step: Time, lookup: Lookup, duration: Time) -> Sim<Disco> {
    let n = instances;
    let plan: Vec<(Time, NodeId, NodeId)> =
        (0..n).map(|i| (step * (i as u64 + 1), i, n + i)).collect();
    let faults = plan
        .iter()
        .fold(Faults::new(), |f, &(at, old, _)| f.crash_at(at, old));
    let registry = Registry::new((0..n).collect(), plan);
    Sim::new(Net::new().delay(Delay::uniform(0.5, 2.0)))
        .nodes(2 * n, |_| Instance)
        .node(move |_| registry.clone())
        .client(move |_| DeployClient::new(2 * n, lookup, ms(10), duration))
        .faults(faults)
        .until(duration + ms(500))
}

/// The fraction of requests that failed, per time bucket of width `bucket` (by invocation
/// time): `(bucket start in seconds, failure rate)`. Buckets without requests are skipped.
pub fn error_rate_over_time(run: &Run, bucket: Time) -> Vec<(f64, f64)> {
    let mut by: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for op in &run.history.ops {
        let b = op.invoked.0 / bucket.0.max(1);
        let e = by.entry(b).or_default();
        e.0 += 1;
        if !matches!(op.outcome, Outcome::Ok(_)) {
            e.1 += 1;
        }
    }
    by.into_iter()
        .map(|(b, (n, bad))| ((b * bucket.0) as f64 / 1e6, bad as f64 / n as f64))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline::time::secs;

    #[test]
    fn cached_addresses_fail_after_the_deploy_and_discovery_recovers() {
        let cached = rolling_deploy(3, secs(2), Lookup::Cached, secs(10)).run(1);
        let disco = rolling_deploy(3, secs(2), Lookup::Discovery { ttl: ms(500) }, secs(10)).run(1);
        let late = |r: &Run| *error_rate_over_time(r, secs(1)).last().unwrap();
        assert_eq!(late(&cached).1, 1.0, "every cached address is gone");
        assert_eq!(late(&disco).1, 0.0, "discovery follows the new instances");
        assert!(disco.ok_rate() > 0.9 && cached.ok_rate() < 0.5);
    }
}

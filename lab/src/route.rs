//! A heterogeneous network path: a request crosses several hops (Wi-Fi, an ISP, the internet
//! backbone, a cloud network), each with its own delay, loss and MTU, and the sender
//! retransmits until it hears back. End-to-end latency is then not one number but a
//! distribution with a long tail — made of retransmission timeouts.
//!
//! A message bigger than the path MTU (the smallest MTU on the path) travels as several packets,
//! and is lost if any of them is: loss per hop grows with the packet count.

use faultline::blocks::retry::{Rpc, Server};
use faultline::history::{OpKind, Outcome};
use faultline::net::{Delay, Link, Net};
use faultline::node::{Ctx, Node};
use faultline::sim::Sim;
use faultline::time::{ms, Time};
use faultline::trace::NodeId;

/// One hop of the path.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub name: String,
    /// One-way delay of this hop.
    pub delay: Delay,
    /// Probability that one packet is lost on this hop.
    pub loss: f64,
    /// Largest packet this hop carries, bytes.
    pub mtu: usize,
}

impl Segment {
    pub fn new(name: &str, delay: Delay, loss: f64, mtu: usize) -> Segment {
        Segment {
            name: name.to_string(),
            delay,
            loss,
            mtu: mtu.max(1),
        }
    }
}

/// Packets a message of `bytes` needs on a path: ⌈bytes / path MTU⌉ (40 bytes of headers each).
pub fn packets(bytes: usize, segments: &[Segment]) -> usize {
    let pmtu = segments.iter().map(|s| s.mtu).min().unwrap_or(1500);
    let payload = pmtu.saturating_sub(40).max(1);
    bytes.div_ceil(payload).max(1)
}

/// Passes requests towards the server and replies back towards the client.
#[derive(Clone, Debug)]
pub struct Relay {
    prev: NodeId,
    next: NodeId,
}

impl Node<Rpc> for Relay {
    fn on_message(&mut self, ctx: &mut Ctx<Rpc>, from: NodeId, msg: Rpc) {
        let to = if from == self.prev {
            self.next
        } else {
            self.prev
        };
        ctx.send(to, msg);
    }
}

/// Sends `requests` requests one after another to `first` and resends a request every `rto`
/// until its reply arrives (as TCP does), recording the end-to-end latency.
#[derive(Clone, Debug)]
pub struct Resender {
    first: NodeId,
    requests: u64,
    rto: Time,
    sent: u64,
    current: Option<(u64, usize)>,
}

impl Resender {
    pub fn new(first: NodeId, requests: u64, rto: Time) -> Resender {
        Resender {
            first,
            requests,
            rto,
            sent: 0,
            current: None,
        }
    }

    fn next(&mut self, ctx: &mut Ctx<Rpc>) {
        if self.sent >= self.requests {
            self.current = None;
            return;
        }
        self.sent += 1;
        let op = ctx.invoke(OpKind::Other(format!("request {}", self.sent)));
        self.current = Some((self.sent, op));
        self.attempt(ctx, 0);
    }

    fn attempt(&mut self, ctx: &mut Ctx<Rpc>, attempt: u32) {
        if let Some((id, _)) = self.current {
            ctx.send(self.first, Rpc::Request { id, attempt });
            ctx.set_timer(self.rto, id * 1_000 + attempt as u64 + 1);
        }
    }
}

impl Node<Rpc> for Resender {
    fn on_start(&mut self, ctx: &mut Ctx<Rpc>) {
        self.next(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Rpc>, _: NodeId, msg: Rpc) {
        if let (Rpc::Reply { id, .. }, Some((cur, op))) = (msg, self.current) {
            if id == cur {
                ctx.complete(op, Outcome::Ok(None));
                self.next(ctx);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Rpc>, tag: u64) {
        if let Some((cur, _)) = self.current {
            if tag / 1_000 == cur {
                self.attempt(ctx, (tag % 1_000) as u32);
            }
        }
    }
}

/// A client, one relay per hop boundary, and a server at the end: the request crosses every
/// segment there and back. Loss per hop is per *message*: `1 − (1 − loss)^packets`.
/// Nodes: server 0, relays `1..segments`, client last.
pub fn path(segments: &[Segment], bytes: usize, requests: u64, rto: Time) -> Sim<Rpc> {
    let hops = segments.len().max(1);
    let pk = packets(bytes, segments) as i32;
    let client = hops; // node ids: server 0, relays 1..hops, client hops
                       // Hop i joins node a_i (client side) to b_i (server side): client → relay hops-1 → … → 0.
    let side = |i: usize| -> (NodeId, NodeId) {
        let a = if i == 0 { client } else { hops - i };
        (a, hops - i - 1)
    };
    let mut net = Net::new();
    for (i, s) in segments.iter().enumerate() {
        let loss = 1.0 - (1.0 - s.loss.clamp(0.0, 1.0)).powi(pk);
        let (a, b) = side(i);
        net = net.link_both(a, b, Link::default().delay(s.delay.clone()).loss(loss));
    }
    let mut sim = Sim::new(net).node(|_| Server::new());
    for r in 1..hops {
        let (prev, next) = (if r + 1 == hops { client } else { r + 1 }, r - 1);
        sim = sim.node(move |_| Relay { prev, next });
    }
    let first = hops.saturating_sub(1);
    sim.client(move |_| Resender::new(first, requests, rto))
        .until(ms(3_600_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> Vec<Segment> {
        vec![
            Segment::new("Wi-Fi", Delay::exponential(3.0).plus(1.0), 0.02, 1500),
            Segment::new("ISP", Delay::constant(8.0), 0.001, 1492),
            Segment::new("backbone", Delay::constant(20.0), 0.0005, 1500),
            Segment::new("cloud", Delay::constant(0.5), 0.0, 9001),
        ]
    }

    #[test]
    fn every_request_arrives_and_the_tail_is_timeouts() {
        let run = path(&home(), 1_000, 2_000, ms(200)).run_untraced(1);
        assert_eq!(run.ok_rate(), 1.0, "the resender never gives up");
        let (p50, p99) = (run.p50(), run.p99());
        assert!(p50 > 59.0 && p50 < 80.0, "{p50}");
        assert!(p99 > 200.0, "the tail is a retransmission timeout: {p99}");
    }

    #[test]
    fn path_mtu_decides_packet_count() {
        assert_eq!(packets(1_000, &home()), 1);
        assert_eq!(
            packets(10_000, &home()),
            7,
            "1492-byte PPPoE hop, 40 bytes headers"
        );
    }
}

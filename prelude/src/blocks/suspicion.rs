//! A failure detector to embed in your own node, with your own message type: tell it whenever
//! you hear from a peer (any message counts as a sign of life) and ask it, from a timer, who has
//! been silent for too long.
//!
//! ```
//! use faultline::blocks::suspicion::FailureDetector;
//! use faultline::prelude::*;
//!
//! #[derive(Clone, Debug)]
//! enum Msg { Ping }
//!
//! /// Pings every peer every 10 ms and suspects those silent for 35 ms.
//! struct Peer { fd: FailureDetector }
//! impl Node<Msg> for Peer {
//!     fn on_start(&mut self, ctx: &mut Ctx<Msg>) {
//!         self.fd.watch_peers(ctx);
//!         ctx.set_timer(ms(10), 0);
//!     }
//!     fn on_message(&mut self, ctx: &mut Ctx<Msg>, from: NodeId, _: Msg) {
//!         self.fd.heard_from(ctx, from);
//!     }
//!     fn on_timer(&mut self, ctx: &mut Ctx<Msg>, _: u64) {
//!         ctx.broadcast(Msg::Ping);
//!         for gone in self.fd.check(ctx) {
//!             ctx.log(format!("suspect n{gone}"));
//!         }
//!         ctx.set_timer(ms(10), 0);
//!     }
//! }
//! let run = Sim::new(Net::new())
//!     .nodes(3, |_| Peer { fd: FailureDetector::new(ms(35)) })
//!     .faults(Faults::new().crash_at(ms(100), 2))
//!     .until(ms(300))
//!     .run(1);
//! assert_eq!(detection_time(&run, 2, ms(100)).map(|t| t <= ms(50)), Some(true));
//! assert_eq!(false_suspicions(&run), 0);
//! ```
//!
//! Like [`Monitor`](super::detector::Monitor), it records `suspect` and `trust` observations
//! (value: the node id), so [`detection_time`](super::detector::detection_time) and
//! [`false_suspicions`](super::detector::false_suspicions) measure it.

use crate::node::Ctx;
use crate::time::Time;
use crate::trace::NodeId;

/// Suspects a watched node once nothing has been heard from it for longer than the timeout,
/// and trusts it again as soon as it is heard from.
#[derive(Clone, Debug)]
pub struct FailureDetector {
    timeout: Time,
    /// Per node: when it was last heard from (or first watched); `None`: not watched.
    last_heard: Vec<Option<Time>>,
    suspected: Vec<bool>,
}

impl FailureDetector {
    /// A detector that suspects a node after `timeout` of silence.
    pub fn new(timeout: Time) -> FailureDetector {
        FailureDetector {
            timeout,
            last_heard: Vec::new(),
            suspected: Vec::new(),
        }
    }

    /// Watches every other node, as if each had just been heard from. Call it from `on_start`
    /// and `on_recover`; a node never heard from is then suspected after one timeout.
    pub fn watch_peers<M>(&mut self, ctx: &Ctx<M>) {
        let now = ctx.now();
        for peer in ctx.peers() {
            self.slot(peer);
            self.last_heard[peer].get_or_insert(now);
        }
    }

    /// A sign of life from `node` (call it for every message): trusts it again if it was
    /// suspected.
    pub fn heard_from<M>(&mut self, ctx: &mut Ctx<M>, node: NodeId) {
        self.slot(node);
        self.last_heard[node] = Some(ctx.now());
        if std::mem::take(&mut self.suspected[node]) {
            ctx.record("trust", node as f64);
        }
    }

    /// The watched nodes silent for longer than the timeout that were not suspected before:
    /// now they are. Call it from a timer, as often as the detection delay you can accept.
    pub fn check<M>(&mut self, ctx: &mut Ctx<M>) -> Vec<NodeId> {
        let now = ctx.now();
        let mut newly = Vec::new();
        for (node, heard) in self.last_heard.iter().enumerate() {
            let silent = heard.is_some_and(|t| now - t > self.timeout);
            if silent && !self.suspected[node] {
                self.suspected[node] = true;
                ctx.record("suspect", node as f64);
                newly.push(node);
            }
        }
        newly
    }

    /// Whether `node` is suspected now.
    pub fn suspects(&self, node: NodeId) -> bool {
        self.suspected.get(node).copied().unwrap_or(false)
    }

    /// The watched nodes not suspected, in id order (e.g. to pick a leader among them).
    pub fn trusted(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.last_heard.len()).filter(|&n| self.last_heard[n].is_some() && !self.suspected[n])
    }

    fn slot(&mut self, node: NodeId) {
        if self.last_heard.len() <= node {
            self.last_heard.resize(node + 1, None);
            self.suspected.resize(node + 1, false);
        }
    }
}

//! Nodes and what they may do: the [`Node`] trait, the [`Ctx`] handed to every handler, durable
//! [`Storage`], and [`FnNode`] for nodes small enough to be a closure.

use crate::clock::LocalClock;
use crate::history::{History, OpId, OpKind, Outcome};
use crate::rng::Rng;
use crate::time::Time;
use crate::trace::NodeId;
use std::any::Any;
use std::collections::BTreeMap;

/// A timer's handle, for [`Ctx::cancel_timer`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerId(pub(crate) u64);

/// A participant in the simulation: a server, a client, a replica, a general.
///
/// Handlers run one at a time and take no time; everything a node does to the world goes
/// through the [`Ctx`]. `M` is the message type shared by every node of a simulation (usually an
/// enum with `#[derive(Clone, Debug)]`).
pub trait Node<M>: 'static {
    /// Called once when the run starts.
    fn on_start(&mut self, _ctx: &mut Ctx<M>) {}

    /// Called for every message delivered to this node.
    fn on_message(&mut self, ctx: &mut Ctx<M>, from: NodeId, msg: M);

    /// Called when a timer set with [`Ctx::set_timer`] fires, with the tag it was given.
    fn on_timer(&mut self, _ctx: &mut Ctx<M>, _tag: u64) {}

    /// Called on a fresh instance after a crash and restart. Memory is gone; what was put in
    /// [`Ctx::storage`] before the crash is still there. Defaults to `on_start`.
    fn on_recover(&mut self, ctx: &mut Ctx<M>) {
        self.on_start(ctx)
    }
}

/// A value a node recorded for later analysis (`ctx.record("decided", 1.0)`).
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    pub at: Time,
    pub node: NodeId,
    pub key: String,
    pub value: f64,
}

/// What a handler asked the world to do; applied by the simulator after the handler returns.
#[derive(Clone, Debug)]
pub(crate) enum Out<M> {
    Send { to: NodeId, msg: M, bytes: usize },
    Timer { id: TimerId, after: Time, tag: u64 },
    Cancel(TimerId),
    Log(String),
}

/// Durable storage: survives crashes, unlike the node's fields. Values of any type, by key.
#[derive(Default)]
pub struct Storage {
    cells: BTreeMap<String, Box<dyn Any>>,
}

impl Storage {
    /// Stores `value` under `key`, replacing what was there.
    pub fn put<T: 'static>(&mut self, key: &str, value: T) {
        self.cells.insert(key.to_string(), Box::new(value));
    }

    /// The value under `key`, if there is one of type `T`.
    pub fn get<T: 'static>(&self, key: &str) -> Option<&T> {
        self.cells.get(key).and_then(|v| v.downcast_ref())
    }

    /// Mutable access to the value under `key`, if there is one of type `T`.
    pub fn get_mut<T: 'static>(&mut self, key: &str) -> Option<&mut T> {
        self.cells.get_mut(key).and_then(|v| v.downcast_mut())
    }

    /// Removes the value under `key`.
    pub fn remove(&mut self, key: &str) {
        self.cells.remove(key);
    }

    /// Stored keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.cells.keys().map(String::as_str)
    }
}

/// A node's window on the world during one handler call.
pub struct Ctx<'a, M> {
    pub(crate) me: NodeId,
    pub(crate) now: Time,
    pub(crate) clock: LocalClock,
    pub(crate) servers: &'a [NodeId],
    pub(crate) clients: &'a [NodeId],
    pub(crate) rng: &'a mut Rng,
    pub(crate) storage: &'a mut Storage,
    pub(crate) history: &'a mut History,
    pub(crate) observations: &'a mut Vec<Observation>,
    pub(crate) out: &'a mut Vec<Out<M>>,
    pub(crate) next_timer: &'a mut u64,
}

impl<M> Ctx<'_, M> {
    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.me
    }

    /// This node's local clock reading: skewed and drifting if the fault schedule says so.
    /// There is no way to read the true time from inside a node, as in life.
    pub fn now(&self) -> Time {
        self.clock.read(self.now)
    }

    /// Ids of the server nodes (added with `Sim::nodes` / `Sim::node`).
    pub fn servers(&self) -> &[NodeId] {
        self.servers
    }

    /// Ids of the client nodes (added with `Sim::clients` / `Sim::client`).
    pub fn clients(&self) -> &[NodeId] {
        self.clients
    }

    /// Ids of the other servers.
    pub fn peers(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.servers.iter().copied().filter(move |&s| s != self.me)
    }

    /// Sends `msg` to `to` (64 bytes for bandwidth purposes; see [`Ctx::send_sized`]).
    pub fn send(&mut self, to: NodeId, msg: M) {
        self.send_sized(to, msg, 64);
    }

    /// Sends `msg` to `to`, counting `bytes` against the link's bandwidth.
    pub fn send_sized(&mut self, to: NodeId, msg: M, bytes: usize) {
        self.out.push(Out::Send { to, msg, bytes });
    }

    /// Sends a copy of `msg` to every other server.
    pub fn broadcast(&mut self, msg: M)
    where
        M: Clone,
    {
        let peers: Vec<NodeId> = self.peers().collect();
        for p in peers {
            self.send(p, msg.clone());
        }
    }

    /// Fires `on_timer(tag)` after `after` has passed on this node's local clock.
    pub fn set_timer(&mut self, after: Time, tag: u64) -> TimerId {
        let id = TimerId(*self.next_timer);
        *self.next_timer += 1;
        let after = self.clock.true_span(after);
        self.out.push(Out::Timer { id, after, tag });
        id
    }

    /// Cancels a timer that has not fired yet (no effect otherwise).
    pub fn cancel_timer(&mut self, id: TimerId) {
        self.out.push(Out::Cancel(id));
    }

    /// This node's own seeded random stream.
    pub fn rng(&mut self) -> &mut Rng {
        self.rng
    }

    /// Storage that survives crashes.
    pub fn storage(&mut self) -> &mut Storage {
        self.storage
    }

    /// Records that a client invoked an operation; returns its id for [`Ctx::complete`].
    pub fn invoke(&mut self, kind: OpKind) -> OpId {
        self.history.invoke(self.me, kind, self.now)
    }

    /// Records what the client was told about operation `op`.
    pub fn complete(&mut self, op: OpId, outcome: Outcome) {
        self.history.complete(op, outcome, self.now);
    }

    /// Records a named value for analysis and plots.
    pub fn record(&mut self, key: &str, value: f64) {
        self.observations.push(Observation {
            at: self.now,
            node: self.me,
            key: key.to_string(),
            value,
        });
    }

    /// Adds a note to the trace (shown next to this node in the space-time diagram).
    pub fn log(&mut self, text: impl Into<String>) {
        self.out.push(Out::Log(text.into()));
    }
}

type OnMessage<S, M> = Box<dyn FnMut(&mut S, &mut Ctx<M>, NodeId, M)>;
type OnEvent<S, M> = Box<dyn FnMut(&mut S, &mut Ctx<M>)>;
type OnTimer<S, M> = Box<dyn FnMut(&mut S, &mut Ctx<M>, u64)>;

/// A node made of closures over a state `S`, for experiments too small for a struct.
///
/// ```
/// use faultline::prelude::*;
/// // An echo server: replies to every message with the same message.
/// let echo = FnNode::new(0u32, |count: &mut u32, ctx: &mut Ctx<String>, from, msg| {
///     *count += 1;
///     ctx.send(from, msg);
/// });
/// # let _ = echo;
/// ```
pub struct FnNode<S, M> {
    state: S,
    on_message: OnMessage<S, M>,
    on_start: Option<OnEvent<S, M>>,
    on_recover: Option<OnEvent<S, M>>,
    on_timer: Option<OnTimer<S, M>>,
}

impl<S: 'static, M: 'static> FnNode<S, M> {
    /// A node with state `state` that handles messages with `on_message`.
    pub fn new(state: S, on_message: impl FnMut(&mut S, &mut Ctx<M>, NodeId, M) + 'static) -> Self {
        FnNode {
            state,
            on_message: Box::new(on_message),
            on_start: None,
            on_recover: None,
            on_timer: None,
        }
    }

    /// Adds a start handler.
    pub fn on_start(mut self, f: impl FnMut(&mut S, &mut Ctx<M>) + 'static) -> Self {
        self.on_start = Some(Box::new(f));
        self
    }

    /// Adds a recovery handler, run instead of the start handler when the node restarts after
    /// a crash (its state is fresh again; read what survived from [`Ctx::storage`]). Without
    /// one, a restart runs the start handler, as for any [`Node`].
    pub fn on_recover(mut self, f: impl FnMut(&mut S, &mut Ctx<M>) + 'static) -> Self {
        self.on_recover = Some(Box::new(f));
        self
    }

    /// Adds a timer handler.
    pub fn on_timer(mut self, f: impl FnMut(&mut S, &mut Ctx<M>, u64) + 'static) -> Self {
        self.on_timer = Some(Box::new(f));
        self
    }
}

impl<S: 'static, M: 'static> Node<M> for FnNode<S, M> {
    fn on_start(&mut self, ctx: &mut Ctx<M>) {
        if let Some(f) = &mut self.on_start {
            f(&mut self.state, ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<M>, from: NodeId, msg: M) {
        (self.on_message)(&mut self.state, ctx, from, msg);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<M>, tag: u64) {
        if let Some(f) = &mut self.on_timer {
            f(&mut self.state, ctx, tag);
        }
    }

    fn on_recover(&mut self, ctx: &mut Ctx<M>) {
        match &mut self.on_recover {
            Some(f) => f(&mut self.state, ctx),
            None => self.on_start(ctx),
        }
    }
}

//! A register workload to drive *your* replicas: reads and writes of a few keys, one at a time,
//! with a timeout, failover to the next server, and a Jepsen-style history the linearizability
//! checker reads. Embed a [`Workload`] in a client node and wrap its [`Request`]s and
//! [`Reply`]s in your own message type.
//!
//! ```
//! use faultline::blocks::workload::{Reply, Request, Workload};
//! use faultline::prelude::*;
//! use std::collections::BTreeMap;
//!
//! #[derive(Clone, Debug)]
//! enum Msg { Req(Request), Rep(Reply) }
//!
//! /// One server holding every key: trivially linearizable.
//! #[derive(Default)]
//! struct Store { values: BTreeMap<Key, Value> }
//! impl Node<Msg> for Store {
//!     fn on_message(&mut self, ctx: &mut Ctx<Msg>, from: NodeId, msg: Msg) {
//!         let Msg::Req(req) = msg else { return };
//!         let reply = match req {
//!             Request::Read { id, key } => Reply::Read { id, value: self.values.get(&key).copied() },
//!             Request::Write { id, key, value } => {
//!                 self.values.insert(key, value);
//!                 Reply::Written { id }
//!             }
//!         };
//!         ctx.send(from, Msg::Rep(reply));
//!     }
//! }
//!
//! struct Client { work: Workload }
//! impl Node<Msg> for Client {
//!     fn on_start(&mut self, ctx: &mut Ctx<Msg>) { self.work.start(ctx, Msg::Req) }
//!     fn on_message(&mut self, ctx: &mut Ctx<Msg>, _: NodeId, msg: Msg) {
//!         if let Msg::Rep(reply) = msg { self.work.on_reply(ctx, reply, Msg::Req) }
//!     }
//!     fn on_timer(&mut self, ctx: &mut Ctx<Msg>, tag: u64) { self.work.on_timer(ctx, tag, Msg::Req); }
//! }
//!
//! let run = Sim::new(Net::new().loss(0.1))
//!     .node(|_| Store::default())
//!     .clients(3, |_| Client { work: Workload::new(20).keys(2) })
//!     .run(7);
//! assert_eq!(run.history.ops.len(), 60);
//! assert!(run.linearizable().is_ok());
//! ```

use crate::history::{Key, OpId, OpKind, Outcome, Value};
use crate::node::{Ctx, TimerId};
use crate::time::{ms, Time};
use crate::trace::NodeId;
use rand::Rng as _;

/// What a [`Workload`] asks a server to do. `id` identifies the request; echo it in the reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Read { id: u64, key: Key },
    Write { id: u64, key: Key, value: Value },
}

/// A server's answer to a [`Request`], carrying the request's `id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The value read (`None`: never written).
    Read {
        id: u64,
        value: Option<Value>,
    },
    Written {
        id: u64,
    },
    /// The server refused (e.g. it is not the leader): the operation failed, and the client
    /// tries the next server.
    Failed {
        id: u64,
    },
}

impl Reply {
    fn id(&self) -> u64 {
        match *self {
            Reply::Read { id, .. } | Reply::Written { id } | Reply::Failed { id } => id,
        }
    }
}

/// Drives `ops` operations, one at a time, against the servers in turn, recording each in the
/// run's history: `Ok` when a reply came, `Fail` when the server refused, `Unknown` when the
/// timeout fired first (the write may or may not have happened).
#[derive(Clone, Debug)]
pub struct Workload {
    ops: u32,
    keys: u64,
    write_share: f64,
    timeout: Time,
    servers: Option<Vec<NodeId>>,
    issued: u32,
    target: usize,
    next_value: Value,
    pending: Option<Pending>,
}

#[derive(Clone, Debug)]
struct Pending {
    id: u64,
    op: OpId,
    kind: OpKind,
    timer: TimerId,
}

impl Workload {
    /// The timer tag a workload uses; [`Workload::on_timer`] ignores every other tag.
    pub const TIMER: u64 = u64::MAX - 0x57;

    /// `ops` operations on one key, half of them writes, with a 50 ms timeout, against every
    /// server of the simulation in id order.
    pub fn new(ops: u32) -> Workload {
        Workload {
            ops,
            keys: 1,
            write_share: 0.5,
            timeout: ms(50),
            servers: None,
            issued: 0,
            target: 0,
            next_value: 0,
            pending: None,
        }
    }

    /// Spreads the operations over keys `0..keys` (at least 1).
    pub fn keys(mut self, keys: u64) -> Workload {
        self.keys = keys.max(1);
        self
    }

    /// The share of operations that are writes (0 to 1; the rest are reads).
    pub fn writes(mut self, share: f64) -> Workload {
        self.write_share = share.clamp(0.0, 1.0);
        self
    }

    /// How long to wait for a reply before giving up on it and trying the next server.
    pub fn timeout(mut self, after: Time) -> Workload {
        self.timeout = after;
        self
    }

    /// The servers to use, in failover order (default: every server, by id).
    pub fn servers(mut self, servers: impl IntoIterator<Item = NodeId>) -> Workload {
        self.servers = Some(servers.into_iter().collect());
        self
    }

    /// Whether every operation has completed (or timed out).
    pub fn done(&self) -> bool {
        self.issued >= self.ops && self.pending.is_none()
    }

    /// Issues the first operation: call it from `on_start`.
    pub fn start<M>(&mut self, ctx: &mut Ctx<M>, wrap: impl Fn(Request) -> M) {
        self.issue(ctx, &wrap);
    }

    /// Completes the pending operation if `reply` answers it (late replies to operations that
    /// already timed out are ignored), then issues the next.
    pub fn on_reply<M>(&mut self, ctx: &mut Ctx<M>, reply: Reply, wrap: impl Fn(Request) -> M) {
        let Some(p) = self.pending.take_if(|p| p.id == reply.id()) else {
            return;
        };
        let outcome = match (reply, &p.kind) {
            (Reply::Read { value, .. }, OpKind::Read { .. }) => Outcome::Ok(value),
            (Reply::Written { .. }, OpKind::Write { .. }) => Outcome::Ok(None),
            (Reply::Failed { .. }, _) => {
                self.fail_over();
                Outcome::Fail
            }
            // A reply of the wrong kind answers nothing; the timeout will.
            _ => {
                self.pending = Some(p);
                return;
            }
        };
        ctx.cancel_timer(p.timer);
        ctx.complete(p.op, outcome);
        self.issue(ctx, &wrap);
    }

    /// Handles the workload's timeout: the pending operation's outcome becomes unknown, the
    /// next operation goes to the next server. Returns whether `tag` was the workload's.
    pub fn on_timer<M>(&mut self, ctx: &mut Ctx<M>, tag: u64, wrap: impl Fn(Request) -> M) -> bool {
        if tag != Self::TIMER {
            return false;
        }
        if let Some(p) = self.pending.take() {
            ctx.complete(p.op, Outcome::Unknown);
            self.fail_over();
            self.issue(ctx, &wrap);
        }
        true
    }

    fn fail_over(&mut self) {
        self.target += 1;
    }

    fn issue<M>(&mut self, ctx: &mut Ctx<M>, wrap: &impl Fn(Request) -> M) {
        if self.issued >= self.ops {
            return;
        }
        let servers = self.servers.as_deref().unwrap_or(ctx.servers());
        let Some(&to) = servers.get(self.target % servers.len().max(1)) else {
            return;
        };
        self.issued += 1;
        let id = self.issued as u64;
        let key = ctx.rng().random_range(0..self.keys);
        let (kind, request) = if ctx.rng().random_bool(self.write_share) {
            // Unique per client, so a read tells which write it saw.
            self.next_value += 1;
            let value = ctx.id() as Value * 1_000_000 + self.next_value;
            let kind = OpKind::Write { key, value };
            (kind, Request::Write { id, key, value })
        } else {
            (OpKind::Read { key }, Request::Read { id, key })
        };
        let op = ctx.invoke(kind.clone());
        let timer = ctx.set_timer(self.timeout, Self::TIMER);
        ctx.send(to, wrap(request));
        self.pending = Some(Pending {
            id,
            op,
            kind,
            timer,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[derive(Clone, Debug)]
    enum Msg {
        Req(Request),
        Rep(Reply),
    }

    /// Answers every request (refusing all when `refuse`), remembering the last write.
    struct Server {
        refuse: bool,
        value: Option<Value>,
    }

    impl Node<Msg> for Server {
        fn on_message(&mut self, ctx: &mut Ctx<Msg>, from: NodeId, msg: Msg) {
            let Msg::Req(req) = msg else { return };
            let reply = match req {
                Request::Read { id, .. } | Request::Write { id, .. } if self.refuse => {
                    Reply::Failed { id }
                }
                Request::Read { id, .. } => Reply::Read {
                    id,
                    value: self.value,
                },
                Request::Write { id, value, .. } => {
                    self.value = Some(value);
                    Reply::Written { id }
                }
            };
            ctx.send(from, Msg::Rep(reply));
        }
    }

    struct Client(Workload);

    impl Node<Msg> for Client {
        fn on_start(&mut self, ctx: &mut Ctx<Msg>) {
            self.0.start(ctx, Msg::Req)
        }
        fn on_message(&mut self, ctx: &mut Ctx<Msg>, _: NodeId, msg: Msg) {
            if let Msg::Rep(r) = msg {
                self.0.on_reply(ctx, r, Msg::Req)
            }
        }
        fn on_timer(&mut self, ctx: &mut Ctx<Msg>, tag: u64) {
            assert!(self.0.on_timer(ctx, tag, Msg::Req));
        }
    }

    fn outcomes(run: &Run) -> (usize, usize, usize) {
        let count =
            |f: fn(&Outcome) -> bool| run.history.ops.iter().filter(|o| f(&o.outcome)).count();
        (
            count(|o| matches!(o, Outcome::Ok(_))),
            count(|o| matches!(o, Outcome::Fail)),
            count(|o| matches!(o, Outcome::Unknown)),
        )
    }

    #[test]
    fn a_crashed_server_times_out_once_then_the_next_one_serves() {
        let run = Sim::new(Net::new())
            .node(|_| Server {
                refuse: false,
                value: None,
            })
            .node(|_| Server {
                refuse: false,
                value: None,
            })
            .client(|_| Client(Workload::new(10).timeout(ms(30))))
            .faults(Faults::new().crash_at(Time::ZERO, 0))
            .run(1);
        assert_eq!(outcomes(&run), (9, 0, 1));
        assert!(run.linearizable().is_ok());
    }

    #[test]
    fn a_refusal_fails_the_operation_and_moves_on() {
        let run = Sim::new(Net::new())
            .node(|_| Server {
                refuse: true,
                value: None,
            })
            .node(|_| Server {
                refuse: false,
                value: None,
            })
            .client(|_| Client(Workload::new(6).writes(1.0)))
            .run(1);
        assert_eq!(outcomes(&run), (5, 1, 0));
        let values: Vec<_> = run.history.ops.iter().map(|o| o.kind.clone()).collect();
        assert!(values.iter().all(|k| matches!(k, OpKind::Write { .. })));
    }
}

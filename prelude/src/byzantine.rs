//! Byzantine nodes: an honest node wrapped in a strategy that tampers with what it sends.
//!
//! The wrapped node runs its honest logic unchanged; only its outgoing messages are rewritten,
//! which is exactly what its peers can observe.

use crate::node::{Ctx, Node, Out};
use crate::trace::NodeId;
use std::sync::Arc;

type Rewrite<M> = Arc<dyn Fn(NodeId, M) -> M + Send + Sync>;

/// How a byzantine node misbehaves.
pub enum Byzantine<M> {
    /// Rewrites every message the same way, whoever receives it (a consistent lie).
    Lie(Rewrite<M>),
    /// Rewrites each message depending on its recipient (tells different nodes different things).
    Equivocate(Rewrite<M>),
    /// Sends nothing at all, while still receiving (indistinguishable from a crash to peers).
    Silent,
}

impl<M> Clone for Byzantine<M> {
    fn clone(&self) -> Self {
        match self {
            Byzantine::Lie(f) => Byzantine::Lie(f.clone()),
            Byzantine::Equivocate(f) => Byzantine::Equivocate(f.clone()),
            Byzantine::Silent => Byzantine::Silent,
        }
    }
}

impl<M> Byzantine<M> {
    /// A consistent liar: `f` rewrites each outgoing message.
    pub fn lie(f: impl Fn(M) -> M + Send + Sync + 'static) -> Self {
        Byzantine::Lie(Arc::new(move |_, m| f(m)))
    }

    /// An equivocator: `f(recipient, message)` decides what each recipient is told.
    pub fn equivocate(f: impl Fn(NodeId, M) -> M + Send + Sync + 'static) -> Self {
        Byzantine::Equivocate(Arc::new(f))
    }

    /// A node that stays silent.
    pub fn silent() -> Self {
        Byzantine::Silent
    }
}

/// An honest node under a byzantine strategy.
pub(crate) struct Traitor<M> {
    pub inner: Box<dyn Node<M>>,
    pub strategy: Byzantine<M>,
}

impl<M: 'static> Traitor<M> {
    fn tamper(&self, ctx: &mut Ctx<M>, first: usize) {
        let sent: Vec<Out<M>> = ctx.out.drain(first..).collect();
        for out in sent {
            match (out, &self.strategy) {
                (Out::Send { .. }, Byzantine::Silent) => {}
                (Out::Send { to, msg, bytes }, Byzantine::Lie(f) | Byzantine::Equivocate(f)) => {
                    ctx.out.push(Out::Send {
                        to,
                        msg: f(to, msg),
                        bytes,
                    })
                }
                (other, _) => ctx.out.push(other),
            }
        }
    }
}

impl<M: 'static> Node<M> for Traitor<M> {
    fn on_start(&mut self, ctx: &mut Ctx<M>) {
        let first = ctx.out.len();
        self.inner.on_start(ctx);
        self.tamper(ctx, first);
    }

    fn on_message(&mut self, ctx: &mut Ctx<M>, from: NodeId, msg: M) {
        let first = ctx.out.len();
        self.inner.on_message(ctx, from, msg);
        self.tamper(ctx, first);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<M>, tag: u64) {
        let first = ctx.out.len();
        self.inner.on_timer(ctx, tag);
        self.tamper(ctx, first);
    }

    fn on_recover(&mut self, ctx: &mut Ctx<M>) {
        let first = ctx.out.len();
        self.inner.on_recover(ctx);
        self.tamper(ctx, first);
    }
}

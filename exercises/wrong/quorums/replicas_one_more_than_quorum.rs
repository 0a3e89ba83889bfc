//! Wrong on purpose (quorums::replicas): waits for one reply more than the quorum (`>` where `>=` belongs).

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["completes-despite-failures"];

use faultline::prelude::*;
pub use faultline_grader::quorums::replicas::{
    Finished, FromReplica, QuorumConfig, QuorumIo, ToReplica,
};
use std::collections::BTreeSet;

struct Pending {
    write: bool,
    /// Distinct replicas that answered this operation.
    answered: BTreeSet<usize>,
    /// Newest (version, value) seen by a read.
    newest: (u64, i64),
    timer: TimerId,
}

pub struct QuorumClient {
    config: QuorumConfig,
    /// The current operation's number; replies carrying another one are stale.
    op: u64,
    pending: Option<Pending>,
}

impl QuorumClient {
    pub fn new(config: QuorumConfig) -> QuorumClient {
        QuorumClient {
            config,
            op: 0,
            pending: None,
        }
    }

    fn start(&mut self, io: &mut QuorumIo, write: bool, msg: impl Fn(u64) -> ToReplica) {
        self.op += 1;
        for replica in 0..self.config.n {
            io.send(replica, msg(self.op));
        }
        let timer = io.set_timer(self.config.timeout, self.op);
        self.pending = Some(Pending {
            write,
            answered: BTreeSet::new(),
            newest: (0, 0),
            timer,
        });
    }

    pub fn write(&mut self, io: &mut QuorumIo, version: u64, value: i64) {
        self.start(io, true, |op| ToReplica::Write { op, version, value });
    }

    pub fn read(&mut self, io: &mut QuorumIo) {
        self.start(io, false, |op| ToReplica::Read { op });
    }

    pub fn on_reply(&mut self, io: &mut QuorumIo, replica: usize, reply: FromReplica) {
        let Some(p) = self.pending.as_mut() else {
            return;
        };
        let done = match reply {
            FromReplica::Stored { op } if op == self.op && p.write => {
                p.answered.insert(replica);
                (p.answered.len() > self.config.w).then_some(Finished::Written)
            }
            FromReplica::Value { op, version, value } if op == self.op && !p.write => {
                p.answered.insert(replica);
                p.newest = p.newest.max((version, value));
                (p.answered.len() > self.config.r).then_some(Finished::Read {
                    version: p.newest.0,
                    value: p.newest.1,
                })
            }
            _ => None,
        };
        if let Some(how) = done {
            io.cancel_timer(p.timer);
            self.pending = None;
            io.finish(how);
        }
    }

    pub fn on_timer(&mut self, io: &mut QuorumIo, tag: u64) {
        if tag == self.op && self.pending.take().is_some() {
            io.finish(Finished::Unavailable);
        }
    }
}

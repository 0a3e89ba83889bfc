//! Wrong on purpose (quorums::read_repair): takes the first replica to answer as the newest: a stale replica that answers first wins.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["linearizable"];

use faultline::prelude::*;
pub use faultline_grader::quorums::read_repair::{
    Done, FromReplica, RegisterConfig, RegisterIo, ToReplica, Version,
};
use std::collections::BTreeSet;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Asking a majority for (version, value).
    Query,
    /// Storing the chosen pair on a majority.
    Store,
}

struct Pending {
    /// Some(value) for a write, None for a read.
    write: Option<i64>,
    phase: Phase,
    answered: BTreeSet<usize>,
    newest: (Version, i64),
    /// What phase 2 stores (and a read returns).
    chosen: (Version, i64),
    timer: TimerId,
    timer_tag: u64,
}

pub struct Register {
    config: RegisterConfig,
    me: u64,
    /// Numbers each phase; replies carrying an older number are ignored.
    op: u64,
    pending: Option<Pending>,
}

impl Register {
    pub fn new(config: RegisterConfig, me: u64) -> Register {
        Register {
            config,
            me,
            op: 0,
            pending: None,
        }
    }

    fn majority(&self) -> usize {
        self.config.n / 2 + 1
    }

    fn start(&mut self, io: &mut RegisterIo, write: Option<i64>) {
        self.op += 1;
        for replica in 0..self.config.n {
            io.send(replica, ToReplica::Query { op: self.op });
        }
        let timer = io.set_timer(self.config.timeout, self.op);
        self.pending = Some(Pending {
            write,
            phase: Phase::Query,
            answered: BTreeSet::new(),
            newest: (Version::default(), 0),
            chosen: (Version::default(), 0),
            timer,
            timer_tag: self.op,
        });
    }

    pub fn write(&mut self, io: &mut RegisterIo, value: i64) {
        self.start(io, Some(value));
    }

    pub fn read(&mut self, io: &mut RegisterIo) {
        self.start(io, None);
    }

    pub fn on_reply(&mut self, io: &mut RegisterIo, replica: usize, reply: FromReplica) {
        let majority = self.majority();
        let (me, n) = (self.me, self.config.n);
        let Some(p) = self.pending.as_mut() else {
            return;
        };
        match reply {
            FromReplica::Current { op, version, value }
                if op == self.op && p.phase == Phase::Query =>
            {
                p.answered.insert(replica);
                // The first answer is the value to use.
                if p.answered.len() == 1 {
                    p.newest = (version, value);
                }
                if p.answered.len() >= majority {
                    p.chosen = match p.write {
                        Some(v) => (
                            Version {
                                counter: p.newest.0.counter + 1,
                                writer: me,
                            },
                            v,
                        ),
                        None => p.newest,
                    };
                    p.phase = Phase::Store;
                    p.answered.clear();
                    self.op += 1;
                    let (version, value) = p.chosen;
                    for r in 0..n {
                        io.send(
                            r,
                            ToReplica::Store {
                                op: self.op,
                                version,
                                value,
                            },
                        );
                    }
                }
            }
            FromReplica::Stored { op } if op == self.op && p.phase == Phase::Store => {
                p.answered.insert(replica);
                if p.answered.len() >= majority {
                    let done = match p.write {
                        Some(_) => Done::Written,
                        None if p.chosen.0 == Version::default() => Done::Read(None),
                        None => Done::Read(Some(p.chosen.1)),
                    };
                    io.cancel_timer(p.timer);
                    self.pending = None;
                    io.finish(done);
                }
            }
            _ => {}
        }
    }

    pub fn on_timer(&mut self, io: &mut RegisterIo, tag: u64) {
        if self.pending.as_ref().is_some_and(|p| p.timer_tag == tag) {
            self.pending = None;
            io.finish(Done::Unavailable);
        }
    }
}

//! # quorums::read_repair — difficulty 3
//!
//! Quorum overlap is not enough for linearizability: with several writers, and readers that
//! return a value only one replica holds yet, a read can see a new value and a later read an
//! old one. Build a register that is linearizable (the ABD algorithm): every operation has two
//! phases over majorities —
//!
//! * write(v): ask a majority for their versions; store v under a version newer than all of
//!   them (`counter + 1`, with your own id as `writer` to break ties) on a majority; finish.
//! * read: ask a majority for their (version, value); store the newest pair back on a majority
//!   (read repair); only then finish with its value.
//!
//! Four clients read and write concurrently; replicas crash or pause; messages are duplicated
//! and reordered. The grader records every operation and checks the history with
//! `faultline::check::linearizable`.
//!
//! Grade it: `cargo test -- quorums::read_repair`. Hints: `cargo test -- --hint read_repair`.

use faultline::prelude::*;
pub use faultline_grader::quorums::read_repair::{
    Done, FromReplica, RegisterConfig, RegisterIo, ToReplica, Version,
};

/// A register client.
pub struct Register {
    // your fields
}

impl Register {
    /// A client with id `me` (unique among clients, ≥ 1) for replicas `0..config.n`.
    pub fn new(config: RegisterConfig, me: u64) -> Register {
        todo!()
    }

    /// Write `value`; finish `Done::Written` (or `Done::Unavailable` at the timeout).
    pub fn write(&mut self, io: &mut RegisterIo, value: i64) {
        todo!()
    }

    /// Read; finish `Done::Read(value)` (`None` if never written) or `Done::Unavailable`.
    pub fn read(&mut self, io: &mut RegisterIo) {
        todo!()
    }

    /// Replica `replica` answered (maybe for an earlier phase or operation, maybe twice).
    pub fn on_reply(&mut self, io: &mut RegisterIo, replica: usize, reply: FromReplica) {
        todo!()
    }

    /// A timer set with `io.set_timer(_, tag)` fired.
    pub fn on_timer(&mut self, io: &mut RegisterIo, tag: u64) {
        todo!()
    }
}

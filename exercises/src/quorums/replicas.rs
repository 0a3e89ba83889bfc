//! # quorums::replicas — difficulty 2
//!
//! `n` replicas each hold one versioned value. A write goes to all of them and succeeds when
//! `w` have stored it; a read asks all of them and returns the newest of the first `r` answers.
//! With `r + w > n` every read quorum meets every write quorum, so a read sees the latest
//! finished write — if you count right. Some replicas are crashed, slow or cut off; the network
//! duplicates and reorders; replies of earlier operations arrive late.
//!
//! The grader gives your client one operation at a time (`write` or `read`) and waits for
//! `io.finish`; it feeds you every reply (`on_reply`) and timer (`on_timer`).
//!
//! Grade it: `cargo test -- quorums::replicas`. Hints: `cargo test -- --hint replicas`.

use faultline::prelude::*;
pub use faultline_grader::quorums::replicas::{
    Finished, FromReplica, QuorumConfig, QuorumIo, ToReplica,
};

/// A quorum client.
pub struct QuorumClient {
    // your fields
}

impl QuorumClient {
    /// A client for replicas `0..config.n` with quorums `config.r` and `config.w`.
    pub fn new(config: QuorumConfig) -> QuorumClient {
        todo!()
    }

    /// Write `value` with `version` (versions only grow): send `ToReplica::Write` to every
    /// replica; finish `Written` after `w` distinct replicas answered `Stored` for this op, or
    /// `Unavailable` at the timeout.
    pub fn write(&mut self, io: &mut QuorumIo, version: u64, value: i64) {
        todo!()
    }

    /// Read: send `ToReplica::Read` to every replica; after `r` distinct replicas answered,
    /// finish with the highest version among their answers, or `Unavailable` at the timeout.
    pub fn read(&mut self, io: &mut QuorumIo) {
        todo!()
    }

    /// Replica `replica` answered (maybe for an earlier operation, maybe twice).
    pub fn on_reply(&mut self, io: &mut QuorumIo, replica: usize, reply: FromReplica) {
        todo!()
    }

    /// A timer set with `io.set_timer(_, tag)` fired.
    pub fn on_timer(&mut self, io: &mut QuorumIo, tag: u64) {
        todo!()
    }
}

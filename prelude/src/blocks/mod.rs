//! Ready-made nodes that experiments keep needing, so notebook cells stay a few lines long.
//!
//! Each block is an ordinary [`Node`](crate::node::Node) built on the public API — nothing here
//! is privileged — and doubles as an example of how to write one.

pub mod breaker;
pub mod cap;
pub mod chain;
pub mod detector;
pub mod ordering;
pub mod payments;
pub mod register;
pub mod retry;
pub mod saga;
pub mod vote;

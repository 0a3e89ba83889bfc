//! Ready-made nodes that experiments keep needing, so notebook cells stay a few lines long.
//!
//! Each block is an ordinary [`Node`](crate::node::Node) built on the public API — nothing here
//! is privileged — and doubles as an example of how to write one.

pub mod chain;
pub mod detector;
pub mod register;
pub mod retry;

//! Ready-made nodes a learner builds on, so experiment cells stay a few lines long: a retrying
//! client and its server, a heartbeat failure detector, service chains and fan-out.
//!
//! Each block is an ordinary [`Node`](crate::node::Node) built on the public API — nothing here
//! is privileged — and doubles as an example of how to write one. Scenario builders, scorers and
//! measurements that serve a single notebook live in the `faultline-lab` crate.

pub mod chain;
pub mod detector;
pub mod retry;

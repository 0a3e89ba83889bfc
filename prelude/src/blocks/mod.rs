//! Ready-made nodes a learner builds on, so experiment cells stay a few lines long: a retrying
//! client and its server, a heartbeat failure detector (as nodes, or as a [`FailureDetector`]
//! to embed in your own node), a register workload for your own replicas, service chains and
//! fan-out.
//!
//! [`FailureDetector`]: suspicion::FailureDetector
//!
//! Each block is an ordinary [`Node`](crate::node::Node) built on the public API — nothing here
//! is privileged — and doubles as an example of how to write one. Scenario builders, scorers and
//! measurements that serve a single notebook live in the `faultline-lab` crate.

pub mod chain;
pub mod detector;
pub mod retry;
pub mod suspicion;
pub mod workload;

//! Ready-made nodes that experiments keep needing, so notebook cells stay a few lines long.
//!
//! Each block is an ordinary [`Node`](crate::node::Node) built on the public API — nothing here
//! is privileged — and doubles as an example of how to write one.
//!
//! A few modules hold the arithmetic the notebooks check simulations against (`scaling`,
//! `availability`, `geo`) and live measurements of the learner's machine (`latency_ladder`,
//! `transport`); those read the wall clock and are never used inside a simulation.

pub mod ambiguity;
pub mod attacker;
pub mod availability;
pub mod breaker;
pub mod cap;
pub mod chain;
pub mod detector;
pub mod discovery;
pub mod gc;
pub mod geo;
pub mod latency_ladder;
pub mod ordering;
pub mod payments;
pub mod register;
pub mod retry;
pub mod route;
pub mod saga;
pub mod scaling;
pub mod transport;
pub mod vote;

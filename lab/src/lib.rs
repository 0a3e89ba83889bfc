//! The notebooks' material for [Faultline](faultline): scenario builders, scorers, the
//! arithmetic the simulations are checked against, and live measurements of this machine.
//!
//! Everything here is built on `faultline`'s public API alone — this is a separate crate, so the
//! compiler enforces it — and most modules serve one notebook. The Faultline kernel preloads
//! this crate beside the core, so a notebook cell starts with both in scope:
//!
//! ```
//! use faultline::prelude::*;
//! use faultline_lab::prelude::*;
//!
//! let run = kv_store(CapMode::Ap, 3).run(1); // notebook 09: a replicated register
//! assert!(run.ok_rate() > 0.0);
//! assert_eq!(quorum::majority(5), 3);
//! assert!(geo::city("Atlantis").is_err()); // bad input is an error, never a panic
//! ```
//!
//! The exercises and their grader do not depend on this crate: it holds answers to exercises
//! (quorum arithmetic, a quorum register with read repair) a learner writes themselves.
//!
//! # Cheat sheet
//!
//! | notebook | module: what it gives |
//! |---|---|
//! | 01 what and why | [`availability`] (k-of-n, nines, downtime), [`scaling`] (Amdahl, USL, queueing), [`geo`] (fibre round trips between cities) |
//! | 03 fallacies 1–4 | [`latency_ladder`] and [`transport`] (live wall-clock measurements, outside the simulator), [`attacker`] (replays and forgeries vs MACs and nonces) |
//! | 04 fallacies 5–8 | [`route`] (a path of heterogeneous hops), [`discovery`] (cached addresses during a rolling deploy) |
//! | 05 partial failure | [`ambiguity`] (what a timeout cannot tell apart, causes read from the trace), [`health`] (a load balancer's health checks), [`gc`] (stop-the-world pauses) |
//! | 07 Byzantine generals | [`vote`]: `generals`, `liar`, `two_faced`, `loyal_agree`, `pick_traitors` |
//! | 08 clocks | [`ordering`]: `Stamper`, `clock_events`, `misordered`, `concurrent_pairs` |
//! | 09 CAP | [`cap`]: `kv_store(CapMode)`, `window`, `over_time`, `lost_writes`; [`crdt`]: `counter(Merge)`, a grow-only counter against last-writer-wins |
//! | 10 retries | [`overload`]: `Herd`, retries against a server that can be overwhelmed, a retry `Budget`; [`breaker`]: `BreakerClient`, `arrivals`, `per_bucket`, `breaker_states` |
//! | 11 idempotency and sagas | [`payments`]: `Payments`, `ledger`; [`saga`]: `Saga`, `saga_outcomes` |
//! | 12 quorums | [`register`]: `Replica`, `QuorumClient`, `stale_reads`; [`quorum`]: `majority`, `quorums_overlap`, `check_quorums`; [`sloppy`]: `hinted_store(QuorumMode)`, sloppy quorums with hinted handoff |
//!
//! Every notebook's prose is checked against its output by hidden cells calling [`prose`].
//!
//! Bad input is an error, not a panic: builders take it as `faultline` does (problems are
//! reported when a run starts), and look-ups such as [`geo::city`] return a `Result`.

pub mod ambiguity;
pub mod attacker;
pub mod availability;
pub mod breaker;
pub mod cap;
pub mod crdt;
pub mod discovery;
pub mod gc;
pub mod geo;
pub mod health;
pub mod latency_ladder;
pub mod ordering;
pub mod overload;
pub mod payments;
pub mod prose;
pub mod quorum;
pub mod register;
pub mod route;
pub mod saga;
pub mod scaling;
mod setup;
pub mod sloppy;
pub mod transport;
pub mod vote;

/// What the notebooks use by name, next to `use faultline::prelude::*;`. Holds only this
/// crate's items, so the two globs never name the same thing twice.
pub mod prelude {
    pub use crate::breaker::{arrivals, breaker_states, per_bucket, BreakerClient, BreakerState};
    pub use crate::cap::{
        kv_store, lost_writes, over_time, window, Bucket, CapMode, Kv, KvClient, Store,
    };
    pub use crate::crdt::{
        acked_over_time, acknowledged, counted, counter, value_over_time, Merge,
    };
    pub use crate::ordering::{
        clock_events, concurrent_pairs, misordered, Action, ClockEvent, Stamped, Stamper,
    };
    pub use crate::payments::{
        ledger, CardNetwork, Ledger, Pay, PaymentService, Payments, Shopper,
    };
    pub use crate::register::{stale_reads, Quorum, QuorumClient, Replica};
    pub use crate::saga::{saga_outcomes, Orchestrator, Saga, SagaMsg, SagaOutcomes, StepService};
    pub use crate::sloppy::{hinted_store, Hinted, QuorumMode};
    pub use crate::vote::{generals, liar, loyal_agree, pick_traitors, two_faced, General, Orders};
    pub use crate::{
        ambiguity, attacker, availability, discovery, gc, geo, health, latency_ladder, overload,
        prose, quorum, route, scaling, transport,
    };
}

//! Faultline: a deterministic, seeded discrete-event simulator for learning distributed
//! systems by experiment.
//!
//! (The full cheat sheet is written once the API settles.)

pub mod blocks;
pub mod byzantine;
pub mod check;
pub mod clock;
pub mod display;
pub mod error;
pub mod explore;
pub mod faults;
pub mod history;
pub mod net;
pub mod node;
pub mod plot;
pub mod rng;
pub mod run;
pub mod sim;
pub mod stats;
pub mod sweep;
pub mod table;
pub mod time;
pub mod trace;

/// Everything a notebook or grader needs: `use faultline::prelude::*;`.
pub mod prelude {
    pub use crate::blocks::chain::{call_chain, fan_out, Call, Caller, Hop, Service};
    pub use crate::blocks::detector::{Heartbeat, Heartbeater, Monitor};
    pub use crate::blocks::register::{stale_reads, Quorum, QuorumClient, Replica};
    pub use crate::blocks::retry::{
        duplicate_executions, Backoff, Jitter, RetryClient, Rpc, Server,
    };
    pub use crate::byzantine::Byzantine;
    pub use crate::check;
    pub use crate::clock::{LamportClock, LocalClock, VectorClock};
    pub use crate::display::Progress;
    pub use crate::error::ConfigError;
    pub use crate::explore::{Choice, Counterexample, Exploration, Explorer};
    pub use crate::faults::{FaultAction, Faults, Trigger};
    pub use crate::history::{History, Key, Op, OpId, OpKind, Outcome, Value};
    pub use crate::net::{Delay, Link, Loss, Net};
    pub use crate::node::{Ctx, FnNode, Node, Observation, Storage, TimerId};
    pub use crate::plot::{self, Figure};
    pub use crate::rng::{rng, trial_seed, Rng};
    pub use crate::run::{Run, Stop};
    pub use crate::sim::{Nondeterminism, Sim, SimError, Stats};
    pub use crate::stats::{quantile, wilson, Summary};
    pub use crate::sweep::{sweep, trials, MetricValue, Metrics, Param, Sweep};
    pub use crate::table::{Row, Table};
    pub use crate::time::{ms, secs, us, Time};
    pub use crate::trace::{DropReason, EventKind, Fate, MsgId, MsgRecord, NodeId, Role, Trace};
    pub use rand::Rng as _;
}

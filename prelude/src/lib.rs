//! Faultline: a deterministic, seeded discrete-event simulator for learning distributed
//! systems by experiment.
//!
//! Nodes exchange messages over a simulated network that loses, delays, duplicates and
//! reorders them; a fault schedule partitions the network, crashes and pauses nodes and skews
//! their clocks. Time is virtual (microseconds, event-driven), and every random choice comes
//! from a seeded ChaCha stream, so a seed replays exactly the same run on any machine. One run
//! gives a trace to draw; a sweep of thousands of seeded runs gives a table with confidence
//! intervals; the explorer searches every run of a tiny system for the smallest counterexample.
//!
//! ```
//! use faultline::prelude::*;
//!
//! // A client retries requests against a server over a network that loses 20% of messages.
//! let sim = Sim::new(Net::new().delay(Delay::exponential(5.0).plus(1.0)).loss(0.2))
//!     .node(|_| Server::new())
//!     .client(|_| RetryClient::new(100).attempts(3).timeout(ms(50)));
//! let run = sim.run(42);                           // one traced, replayable run
//! assert!(run.ok_rate() > 0.9);
//! println!("{}", run.trace());                     // or plot::spacetime(run.trace())
//!
//! // The same experiment over a parameter, 200 seeds each: a table with 95% CIs.
//! let table = sweep("loss", [0.0, 0.1, 0.3]).trials(200).quiet().simulate(
//!     |&loss| sim.clone().net(Net::new().loss(loss)),
//!     |run| [("ok", run.ok_rate()), ("duplicates", duplicate_executions(run) as f64)],
//! );
//! assert!(table.get("0.3", "ok").unwrap().mean < table.get("0", "ok").unwrap().mean);
//! ```
//!
//! # Cheat sheet
//!
//! | to … | use |
//! |---|---|
//! | write a node | [`Node`](node::Node) (`on_start`, `on_message`, `on_timer`, `on_recover`), or [`FnNode`](node::FnNode) for a closure |
//! | act from a node | [`Ctx`](node::Ctx): `send`, `broadcast`, `set_timer`, `cancel_timer`, `now` (its own clock), `rng`, `storage` (survives crashes), `invoke`/`complete` (client history), `record`, `log` |
//! | build an experiment | [`Sim`](sim::Sim): `new(net)`, `node`, `nodes`, `client`, `clients`, `names`, `faults`, `byzantine`, `until` |
//! | shape the network | [`Net`](net::Net) / per link [`Link`](net::Link): `delay` ([`Delay`](net::Delay): constant, uniform, exponential, lognormal, pareto, `plus`), `loss`, `bursty_loss`, `dup`, `reorder`, `fifo`, `bandwidth_mbps`; `link`, `link_both` |
//! | schedule faults | [`Faults`](faults::Faults): `partition_at`, `partition_after`, `one_way_at`, `heal_at`, `crash_at`, `restart_at`, `pause_at`, `clock` (skew and drift) |
//! | make a node lie | [`Byzantine`](byzantine::Byzantine): `lie`, `equivocate`, `silent` |
//! | run | [`Sim::run`](sim::Sim::run) (traced), [`run_untraced`](sim::Sim::run_untraced), [`try_run`](sim::Sim::try_run) (errors as values), [`check_determinism`](sim::Sim::check_determinism) |
//! | read a run | [`Run`](run::Run): `history`, `observations`, `counters`, `trace()`, `ok_rate`, `p50`, `p99`, `msgs_per_op`, `last`, `fingerprint` |
//! | check a run | `run.linearizable()`, `run.always(name, pred)` / `eventually` / `at_end` (invariants over what nodes recorded); [`check`]: convergence and the checkers themselves |
//! | sweep a parameter | [`sweep`](sweep::sweep)`(name, values).trials(n)` (any `Debug` value: numbers, strings, your own enum) then `.simulate(build, measure)` or `.monte_carlo(f)` → [`Table`](table::Table) |
//! | prove "it can fail" | [`Explorer`](explore::Explorer): `max_losses`, `max_crashes`, `fifo`, `delay_bound` (partial synchrony), `check(property)` → minimal [`Counterexample`](explore::Counterexample) with the `assumptions` it relies on |
//! | plot | [`plot`]: `line`, `scatter`, `bar`, `histogram`, `cdf`, `heatmap`, `timeline`, `spacetime`; a [`Table`](table::Table) or [`Figure`](plot::Figure) shows itself inline |
//! | retitle, zoom, highlight | `.title(…)` on every chart kind; `trace.diagram().window(from, to)`; `history.diagram().violation(&v)` (zoom to and outline what a checker names) |
//! | draw something custom | [`Figure::with_plotters`](plot::Figure::with_plotters): a `plotters` drawing area, rendered as an inline SVG figure like ours |
//! | make it interactive | [`interact`](ui::interact)`(controls, |values| figure)` with [`ui`]`::slider`, `int_slider`, `dropdown`, `toggles`, `checkbox`, `seed_box`, `player`: moving a control reruns the closure, nothing is compiled |
//! | step through a run | [`Trace::step_through`](trace::Trace::step_through), [`Counterexample::step_through`](explore::Counterexample::step_through) (a player over the space-time diagram), [`Trace::at_step`](trace::Trace::at_step) |
//! | order events without a clock | [`LamportClock`](clock::LamportClock), [`VectorClock`](clock::VectorClock) |
//! | reuse a building block | [`blocks`]: retrying client and server, heartbeat failure detector, service chains and fan-out |
//! | build your own protocol | embed a [`FailureDetector`](blocks::suspicion::FailureDetector) (`heard_from`, `check`) or drive your replicas with a [`Workload`](blocks::workload::Workload) (reads/writes, timeouts, failover, a history to check); `FnNode::on_recover` tells a restart from a start |
//! | time in a state | [`Run::changes`](run::Run::changes), [`time_where`](run::Run::time_where) ("time with two leaders"), [`state_timeline`](run::Run::state_timeline) |
//! | a notebook's scenarios, arithmetic, live measurements | the `faultline-lab` crate (preloaded by the kernel): quorum arithmetic and register, CAP store, payments and sagas, Byzantine generals, scaling, availability, geography, … |
//! | summarise numbers | [`Summary`](stats::Summary) (mean, 95% CI, percentiles), [`wilson`](stats::wilson), [`quantile`](stats::quantile) |
//!
//! Impossible parameters (a probability of 1.5, a partition naming node 9 of 3, a NaN delay)
//! are reported together when a run starts, each naming the parameter and the accepted range.

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
mod number;
pub mod plot;
pub mod rng;
pub mod run;
pub mod sim;
pub mod stats;
pub mod sweep;
pub mod table;
pub mod time;
pub mod trace;
pub mod ui;

/// The README's example, compiled and run as a doctest so it cannot rot.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeExample;

/// The names an experiment or exercise uses every day: `use faultline::prelude::*;` (at most 80,
/// checked by `tests/prelude.rs`). Types that appear only in signatures — counters, trace
/// records, sweep traits, errors — stay reachable by their module path.
pub mod prelude {
    pub use crate::blocks::chain::{call_chain, fan_out, Call, Caller, Hop, Service};
    pub use crate::blocks::detector::{
        detection_time, false_suspicions, Heartbeat, Heartbeater, Monitor,
    };
    pub use crate::blocks::retry::{
        duplicate_executions, Backoff, Jitter, RetryClient, Rpc, Server,
    };
    pub use crate::blocks::suspicion::FailureDetector;
    pub use crate::blocks::workload::Workload;
    pub use crate::byzantine::Byzantine;
    pub use crate::check;
    pub use crate::clock::{LamportClock, LocalClock, VectorClock};
    pub use crate::display::Progress;
    pub use crate::explore::{Counterexample, Exploration, Explorer};
    pub use crate::faults::{FaultAction, Faults, Trigger};
    pub use crate::history::{History, Key, Op, OpId, OpKind, Outcome, Value};
    pub use crate::net::{Delay, Link, Net};
    pub use crate::node::{Ctx, FnNode, Node, Observation, Storage, TimerId};
    pub use crate::plot::{self, Figure};
    pub use crate::rng::{rng, trial_seed, Rng};
    pub use crate::run::Run;
    pub use crate::sim::{Sim, SimError};
    pub use crate::stats::{quantile, wilson, Summary};
    pub use crate::sweep::{sweep, trials};
    pub use crate::table::Table;
    pub use crate::time::{ms, secs, us, Time};
    pub use crate::trace::{Fate, NodeId, Trace};
    pub use crate::ui::{self, interact};
    pub use rand::Rng as _;
}

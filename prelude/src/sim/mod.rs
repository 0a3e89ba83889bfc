//! [`Sim`]: the recipe of an experiment (nodes, network, faults), run with a seed.
//!
//! A `Sim` holds node *factories*, not nodes, so one recipe can be run for any number of seeds,
//! in parallel, and a crashed node can be rebuilt from scratch on restart.

pub(crate) mod world;

use crate::byzantine::Byzantine;
use crate::error::{ConfigError, Problems};
use crate::faults::Faults;
use crate::net::Net;
use crate::node::Node;
use crate::rng::{stream, Stream};
use crate::run::{Run, Stop};
use crate::time::{secs, Time};
use crate::trace::{NodeId, Role};
use std::collections::BinaryHeap;
use std::fmt::{self, Debug};
use std::sync::Arc;
use world::{Cast, Factory, Pending, Wire, World};

/// Everything wrong with a simulation's configuration, found when it is about to run.
#[derive(Clone, Debug, PartialEq)]
pub struct SimError(pub Vec<ConfigError>);

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the simulation cannot run:")?;
        for e in &self.0 {
            write!(f, "\n  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SimError {}

/// Why [`Sim::check_determinism`] failed.
#[derive(Debug)]
pub enum Nondeterminism {
    /// The simulation could not run at all.
    Config(SimError),
    /// Two runs of the same seed differed; both are kept for comparison.
    Diverged {
        seed: u64,
        first: Box<Run>,
        second: Box<Run>,
    },
}

impl fmt::Display for Nondeterminism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Nondeterminism::Config(e) => write!(f, "{e}"),
            Nondeterminism::Diverged { seed, .. } => write!(
                f,
                "seed {seed} gave two different runs: some node depends on the wall clock, \
                 threads, or HashMap iteration order"
            ),
        }
    }
}

impl std::error::Error for Nondeterminism {}

/// An experiment: nodes on a network with faults. Build it with chained calls, then
/// [`run`](Sim::run) it with a seed.
///
/// ```
/// use faultline::prelude::*;
///
/// #[derive(Clone, Debug)]
/// enum Msg { Ping, Pong }
///
/// let sim = Sim::new(Net::new().loss(0.1))
///     .node(|_| FnNode::new((), |_, ctx: &mut Ctx<Msg>, from, msg| {
///         if let Msg::Ping = msg { ctx.send(from, Msg::Pong) }
///     }))
///     .client(|_| FnNode::new(0, |pongs: &mut u32, _ctx: &mut Ctx<Msg>, _, _| *pongs += 1)
///         .on_start(|_, ctx| for _ in 0..10 { ctx.send(0, Msg::Ping) }));
/// let run = sim.run(42);
/// assert_eq!(run.counters.sent, 10 + run.counters.delivered / 2 + run.counters.delivered % 2);
/// ```
pub struct Sim<M> {
    net: Net,
    faults: Faults,
    factories: Vec<Factory<M>>,
    roles: Vec<Role>,
    names: Vec<Option<String>>,
    byzantine: Vec<(NodeId, Byzantine<M>)>,
    until: Time,
    max_events: u64,
    problems: Problems,
}

impl<M> Clone for Sim<M> {
    fn clone(&self) -> Self {
        Sim {
            net: self.net.clone(),
            faults: self.faults.clone(),
            factories: self.factories.clone(),
            roles: self.roles.clone(),
            names: self.names.clone(),
            byzantine: self.byzantine.clone(),
            until: self.until,
            max_events: self.max_events,
            problems: self.problems.clone(),
        }
    }
}

impl<M: Clone + Debug + 'static> Sim<M> {
    /// An empty simulation on `net`. Runs stop after 60 virtual seconds or 50 million events.
    pub fn new(net: Net) -> Sim<M> {
        Sim {
            net,
            faults: Faults::new(),
            factories: Vec::new(),
            roles: Vec::new(),
            names: Vec::new(),
            byzantine: Vec::new(),
            until: secs(60),
            max_events: 50_000_000,
            problems: Problems::default(),
        }
    }

    fn add<N: Node<M>>(
        mut self,
        role: Role,
        make: impl Fn(NodeId) -> N + Send + Sync + 'static,
    ) -> Self {
        self.factories
            .push(Arc::new(move |id| Box::new(make(id)) as Box<dyn Node<M>>));
        self.roles.push(role);
        self.names.push(None);
        self
    }

    /// Adds one server, built by `make(its id)`.
    pub fn node<N: Node<M>>(self, make: impl Fn(NodeId) -> N + Send + Sync + 'static) -> Self {
        self.add(Role::Server, make)
    }

    /// Adds `count` servers, each built by `make(its id)`.
    pub fn nodes<N: Node<M>>(
        mut self,
        count: usize,
        make: impl Fn(NodeId) -> N + Send + Sync + 'static,
    ) -> Self {
        if count == 0 {
            self.problems
                .push(ConfigError::new("nodes count", 0, "at least 1 node"));
        }
        self.add_many(Role::Server, count, make)
    }

    /// Adds one client, built by `make(its id)`. Clients are nodes too; they are drawn apart
    /// and listed by [`Ctx::clients`](crate::node::Ctx::clients).
    pub fn client<N: Node<M>>(self, make: impl Fn(NodeId) -> N + Send + Sync + 'static) -> Self {
        self.add(Role::Client, make)
    }

    /// Adds `count` clients, each built by `make(its id)`.
    pub fn clients<N: Node<M>>(
        self,
        count: usize,
        make: impl Fn(NodeId) -> N + Send + Sync + 'static,
    ) -> Self {
        self.add_many(Role::Client, count, make)
    }

    fn add_many<N: Node<M>>(
        mut self,
        role: Role,
        count: usize,
        make: impl Fn(NodeId) -> N + Send + Sync + 'static,
    ) -> Self {
        let make = Arc::new(make);
        for _ in 0..count {
            let make = make.clone();
            self = self.add(role, move |id| make(id));
        }
        self
    }

    /// Names nodes for traces and diagrams, in id order (default `n0`, `n1`, … and `c3`, …).
    pub fn names<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        for (slot, name) in self.names.iter_mut().zip(names) {
            *slot = Some(name.into());
        }
        self
    }

    /// Sets the fault schedule.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Replaces the network.
    pub fn net(mut self, net: Net) -> Self {
        self.net = net;
        self
    }

    /// Makes `node` byzantine: its honest logic runs, its outgoing messages follow `strategy`.
    pub fn byzantine(mut self, node: NodeId, strategy: Byzantine<M>) -> Self {
        self.byzantine.push((node, strategy));
        self
    }

    /// Stops runs at virtual time `t` (default 60 s).
    pub fn until(mut self, t: Time) -> Self {
        self.until = t;
        self
    }

    /// Stops runs after `n` events (default 50 million): a guard against livelock.
    pub fn max_events(mut self, n: u64) -> Self {
        self.max_events = n;
        self
    }

    /// Number of nodes, servers and clients.
    pub fn len(&self) -> usize {
        self.factories.len()
    }

    /// True when no node has been added.
    pub fn is_empty(&self) -> bool {
        self.factories.is_empty()
    }

    /// The network model.
    pub fn network(&self) -> &Net {
        &self.net
    }

    /// Validates everything and prepares what all runs share.
    pub(crate) fn prepare(&self) -> Result<Prepared<M>, SimError> {
        let n = self.factories.len();
        let mut p = self.problems.clone();
        if n == 0 {
            p.push(ConfigError::new(
                "nodes",
                0,
                "at least 1 node (add some with .node or .nodes)",
            ));
        }
        let net = self.net.build(n, &mut p);
        let clocks = self.faults.build(n, &mut p);
        let mut byzantine = vec![None; n];
        for (node, strategy) in &self.byzantine {
            match byzantine.get_mut(*node) {
                Some(slot) => *slot = Some(strategy.clone()),
                None => p.push(ConfigError::new(
                    "byzantine",
                    node,
                    format!("a node id in 0..{n}"),
                )),
            }
        }
        if self.max_events == 0 {
            p.push(ConfigError::new("max_events", 0, "at least 1"));
        }
        if !p.0.is_empty() {
            return Err(SimError(p.0));
        }
        let names = (0..n)
            .map(|i| {
                self.names[i]
                    .clone()
                    .unwrap_or_else(|| match self.roles[i] {
                        Role::Server => format!("n{i}"),
                        Role::Client => format!("c{i}"),
                    })
            })
            .collect();
        let cast = Cast {
            factories: self.factories.clone(),
            byzantine,
            servers: (0..n).filter(|&i| self.roles[i] == Role::Server).collect(),
            clients: (0..n).filter(|&i| self.roles[i] == Role::Client).collect(),
            names,
            roles: self.roles.clone(),
        };
        Ok(Prepared {
            cast: Arc::new(cast),
            net,
            clocks,
            schedule: self.faults.scheduled.clone(),
            until: self.until,
            max_events: self.max_events,
        })
    }

    /// Runs once with `seed`, recording a full trace.
    ///
    /// # Panics
    /// If the configuration is impossible; the message lists every bad parameter and what is
    /// accepted. Use [`try_run`](Sim::try_run) to get the error as a value.
    #[track_caller]
    pub fn run(&self, seed: u64) -> Run {
        match self.try_run(seed) {
            Ok(run) => run,
            Err(e) => panic!("{e}"),
        }
    }

    /// Runs once with `seed`, recording a full trace; configuration problems come back as an error.
    pub fn try_run(&self, seed: u64) -> Result<Run, SimError> {
        let run = self.prepare()?.run(seed, true);
        // The one run a learner looks at: say why it ended early (sweeps keep quiet).
        if let Some(warning) = run.stopped.warning(run.counters.events) {
            eprintln!("{warning}");
        }
        Ok(run)
    }

    /// The determinism self-check: runs every seed twice, traced, and compares the runs'
    /// fingerprints. Returns how many seeds were checked, or the first seed that diverged —
    /// which means some node reads the wall clock, a thread, or a `HashMap`'s iteration order.
    pub fn check_determinism(
        &self,
        seeds: impl IntoIterator<Item = u64>,
    ) -> Result<usize, Nondeterminism> {
        let prepared = self.prepare().map_err(Nondeterminism::Config)?;
        let mut checked = 0;
        for seed in seeds {
            let (a, b) = (prepared.run(seed, true), prepared.run(seed, true));
            if a.fingerprint() != b.fingerprint() {
                return Err(Nondeterminism::Diverged {
                    seed,
                    first: Box::new(a),
                    second: Box::new(b),
                });
            }
            checked += 1;
        }
        Ok(checked)
    }

    /// Runs once with `seed` without recording a trace (what sweeps do: much faster).
    #[track_caller]
    pub fn run_untraced(&self, seed: u64) -> Run {
        match self.prepare() {
            Ok(p) => p.run(seed, false),
            Err(e) => panic!("{e}"),
        }
    }
}

/// Events in a row at one virtual instant after which a run stops as [`Stop::Stuck`]. Far
/// above what a real burst at one instant produces (a thousand nodes broadcasting at once), far
/// below the default `max_events`.
pub const STUCK_EVENTS: u64 = 1_000_000;

/// A validated simulation, ready to run many seeds.
pub(crate) struct Prepared<M> {
    pub cast: Arc<Cast<M>>,
    net: crate::net::NetRt,
    pub clocks: Vec<crate::clock::LocalClock>,
    pub schedule: Vec<(crate::faults::Trigger, crate::faults::FaultAction)>,
    until: Time,
    max_events: u64,
}

impl<M: Clone + Debug + 'static> Prepared<M> {
    pub fn run(&self, seed: u64, traced: bool) -> Run {
        let wire = Wire::Random {
            net: self.net.clone(),
            rng: stream(seed, Stream::Network),
        };
        let mut w = World::new(
            self.cast.clone(),
            seed,
            wire,
            Pending::Heap(BinaryHeap::new()),
            self.clocks.clone(),
            &self.schedule,
            traced,
        );
        // Events in a row at the current instant, to notice time that stopped advancing.
        let mut at_instant = (Time(0), 0u64);
        let stopped = loop {
            let Pending::Heap(heap) = &mut w.pending else {
                unreachable!("a normal run always uses the heap")
            };
            let Some(next) = heap.pop() else {
                break Stop::Quiet;
            };
            if next.at > self.until {
                w.now = self.until;
                break Stop::TimeLimit;
            }
            if w.counters.events >= self.max_events {
                break Stop::EventLimit;
            }
            at_instant = match at_instant {
                (instant, n) if instant == next.at => (instant, n + 1),
                _ => (next.at, 1),
            };
            if at_instant.1 > STUCK_EVENTS {
                break Stop::Stuck;
            }
            w.step(next);
        };
        w.into_run(seed, stopped)
    }
}

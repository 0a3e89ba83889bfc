//! [`Run`]: what one seeded run produced — history, observations, counters, and its trace.

use crate::check::{self, InvariantFailure, View};
use crate::history::History;
use crate::node::Observation;
use crate::stats::quantile;
use crate::time::Time;
use crate::trace::{NodeId, Trace};

/// Why a run ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Nothing left to happen.
    Quiet,
    /// Reached the simulation's `until` time.
    TimeLimit,
    /// Reached `max_events` (likely a livelock: nodes that keep each other busy forever).
    EventLimit,
    /// Virtual time stopped advancing: [`STUCK_EVENTS`](crate::sim::STUCK_EVENTS) events in a
    /// row happened at one instant. Almost always a livelock through zero delays (messages or
    /// timers of 0 ms that keep triggering each other), which would otherwise run on to
    /// `max_events` and, traced, exhaust memory.
    Stuck,
}

impl Stop {
    /// A sentence for the learner when the run ended abnormally, naming the likely cause.
    pub fn warning(self, events: u64) -> Option<String> {
        match self {
            Stop::Quiet | Stop::TimeLimit => None,
            Stop::EventLimit => Some(format!(
                "faultline: the run stopped after {events} events (`max_events`) before `until`: \
                 likely a livelock, nodes that keep each other busy forever"
            )),
            Stop::Stuck => Some(format!(
                "faultline: the run stopped after {events} events because virtual time stopped \
                 advancing: likely a livelock through zero delays (0 ms messages or timers that \
                 keep triggering each other). Give the network or timers a delay above zero."
            )),
        }
    }
}

/// The outcome of one seeded run.
#[derive(Clone, Debug)]
pub struct Run {
    pub seed: u64,
    /// Virtual time when the run stopped.
    pub end: Time,
    pub stopped: Stop,
    pub counters: Counters,
    /// Every client operation.
    pub history: History,
    /// Every value nodes recorded with `ctx.record`.
    pub observations: Vec<Observation>,
    /// The full trace (`None` for untraced runs, e.g. inside sweeps).
    pub trace: Option<Trace>,
    /// Every crash: `(node, from, to)`, `to` being the restart or the end of the run. Kept in
    /// untraced runs too.
    pub downtime: Vec<(NodeId, Time, Time)>,
}

/// One node's values of a recorded key, in time order (`None`: crashed, so forgotten).
pub type Changes = Vec<(Time, Option<f64>)>;

impl Run {
    /// The trace of a traced run.
    ///
    /// # Panics
    /// If the run was not traced (runs inside sweeps are not; use `Sim::run` for one traced run).
    #[track_caller]
    pub fn trace(&self) -> &Trace {
        self.trace
            .as_ref()
            .expect("this run was not traced: use sim.run(seed) to get a trace")
    }

    /// Whether the client history is linearizable (register / key-value semantics); the error
    /// names the operations that cannot be ordered. See [`crate::check::linearizable`].
    pub fn linearizable(&self) -> Result<(), crate::check::NotLinearizable> {
        crate::check::linearizable(&self.history)
    }

    /// Whether `pred` held at every instant of what the nodes recorded (see
    /// [`crate::check::always`]); the failure names nodes as this run does.
    pub fn always(
        &self,
        name: &str,
        pred: impl FnMut(&View) -> bool,
    ) -> Result<(), InvariantFailure> {
        check::always(&self.observations, name, pred).map_err(|e| e.with_names(&self.history.names))
    }

    /// The first instant at which `pred` held (see [`crate::check::eventually`]).
    pub fn eventually(
        &self,
        name: &str,
        pred: impl FnMut(&View) -> bool,
    ) -> Result<Time, InvariantFailure> {
        check::eventually(&self.observations, name, pred)
            .map_err(|e| e.with_names(&self.history.names))
    }

    /// Whether `pred` held once everything was recorded (see [`crate::check::at_end`]).
    pub fn at_end(
        &self,
        name: &str,
        pred: impl FnOnce(&View) -> bool,
    ) -> Result<(), InvariantFailure> {
        check::at_end(&self.observations, name, pred).map_err(|e| e.with_names(&self.history.names))
    }

    /// Fraction of operations that succeeded.
    pub fn ok_rate(&self) -> f64 {
        self.history.ok_rate()
    }

    /// Median latency of successful operations, in ms (NaN if none succeeded).
    pub fn p50(&self) -> f64 {
        quantile(&self.history.ok_latencies_ms(), 0.5)
    }

    /// 99th-percentile latency of successful operations, in ms (NaN if none succeeded).
    pub fn p99(&self) -> f64 {
        quantile(&self.history.ok_latencies_ms(), 0.99)
    }

    /// Messages sent per client operation (NaN without operations).
    pub fn msgs_per_op(&self) -> f64 {
        if self.history.ops.is_empty() {
            f64::NAN
        } else {
            self.counters.sent as f64 / self.history.ops.len() as f64
        }
    }

    /// Values recorded under `key`, in time order.
    pub fn observed<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Observation> + 'a {
        self.observations.iter().filter(move |o| o.key == key)
    }

    /// A stable fingerprint of everything the run produced (trace, history, observations,
    /// counters): two runs with equal fingerprints behaved identically.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        if let Some(t) = &self.trace {
            h.update(t.to_string());
        }
        h.update(self.history.to_string());
        for o in &self.observations {
            h.update(format!("{} {} {} {}\n", o.at.0, o.node, o.key, o.value));
        }
        h.update(format!(
            "{:?} {:?} {}",
            self.counters, self.stopped, self.end.0
        ));
        format!("{:x}", h.finalize())
    }

    /// How each node's `key` changed over the run: per node that recorded it, its values in
    /// time order, with `None` from each crash until it records again (a restarted node has
    /// lost its memory, so a recorded role or state no longer holds).
    pub fn changes(&self, key: &str) -> Vec<(NodeId, Changes)> {
        let mut by_node: Vec<(NodeId, Changes)> = Vec::new();
        for o in self.observed(key) {
            match by_node.iter_mut().find(|(n, _)| *n == o.node) {
                Some((_, ch)) => ch.push((o.at, Some(o.value))),
                None => by_node.push((o.node, vec![(o.at, Some(o.value))])),
            }
        }
        for (node, changes) in &mut by_node {
            for &(_, from, _) in self.downtime.iter().filter(|d| d.0 == *node) {
                changes.push((from, None));
            }
            // Stable: at one instant a crash comes after what the node recorded before it.
            changes.sort_by_key(|c| c.0);
        }
        by_node.sort_by_key(|(n, _)| *n);
        by_node
    }

    /// How long `holds` was true of the nodes' current values of `key` (indexed by node id;
    /// `None` before a node's first record and after a crash). "Time with two leaders":
    /// `run.time_where("leader", |v| v.iter().filter(|x| **x == Some(1.0)).count() >= 2)`.
    pub fn time_where(&self, key: &str, holds: impl Fn(&[Option<f64>]) -> bool) -> Time {
        let changes = self.changes(key);
        let width = changes.iter().map(|(n, _)| n + 1).max().unwrap_or(0);
        let mut events: Vec<(Time, NodeId, Option<f64>)> = changes
            .iter()
            .flat_map(|(n, ch)| ch.iter().map(move |&(t, v)| (t, *n, v)))
            .collect();
        events.sort_by_key(|e| e.0);
        let mut current = vec![None; width];
        let (mut total, mut since) = (Time::ZERO, Time::ZERO);
        for (t, node, value) in events {
            if t > since && holds(&current) {
                total += t - since;
            }
            since = since.max(t);
            current[node] = value;
        }
        if self.end > since && holds(&current) {
            total += self.end - since;
        }
        total
    }

    /// The last value `node` recorded under `key`.
    pub fn last(&self, node: NodeId, key: &str) -> Option<f64> {
        self.observations
            .iter()
            .rev()
            .find(|o| o.node == node && o.key == key)
            .map(|o| o.value)
    }
}

/// Counters of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Events processed.
    pub events: u64,
    /// Messages handed to the network (duplicates not counted).
    pub sent: u64,
    pub delivered: u64,
    pub lost: u64,
    /// Dropped because a partition cut the link.
    pub cut: u64,
    /// Dropped because the receiver was down.
    pub to_crashed: u64,
    /// Extra copies the network made.
    pub duplicated: u64,
    pub timers: u64,
    /// Sends to a node id that does not exist.
    pub misaddressed: u64,
}

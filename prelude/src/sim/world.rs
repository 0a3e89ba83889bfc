//! The event loop: a world of nodes, a network and a fault schedule, advanced one event at a time.
//!
//! Events wait in a [`Pending`] pool. A normal run always takes the earliest (time, sequence)
//! event; the explorer takes whichever one it is trying next. Everything else — delivering,
//! dropping, crashing, applying what a handler asked for — is shared by both.

use crate::byzantine::{Byzantine, Traitor};
use crate::clock::LocalClock;
use crate::faults::{Cuts, FaultAction, Trigger};
use crate::history::History;
use crate::net::NetRt;
use crate::node::{Ctx, Node, Observation, Out, Storage, TimerId};
use crate::rng::{stream, Rng, Stream};
use crate::run::{Counters, Run, Stop};
use crate::time::Time;
use crate::trace::{DropReason, EventKind, Fate, MsgId, MsgRecord, NodeId, Trace, TraceEvent};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};
use std::fmt::Debug;
use std::sync::Arc;

pub(crate) type Factory<M> = Arc<dyn Fn(NodeId) -> Box<dyn Node<M>> + Send + Sync>;

/// Something that will happen.
#[derive(Clone, Debug)]
///
/// Node and message ids are stored as `u32` here (and timers carry no incarnation) to keep
/// queue entries small: moving entries dominates the cost of the priority queue.
pub(crate) enum Ev<M> {
    Start(u32),
    Deliver { from: u32, to: u32, id: u32, msg: M },
    Timer { node: u32, id: TimerId, tag: u64 },
    Fault(u32),
}

#[derive(Clone, Debug)]
pub(crate) struct Entry<M> {
    pub at: Time,
    pub seq: u64,
    pub ev: Ev<M>,
}

impl<M> PartialEq for Entry<M> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<M> Eq for Entry<M> {}
impl<M> PartialOrd for Entry<M> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<M> Ord for Entry<M> {
    /// Reversed so that `BinaryHeap` pops the earliest (time, sequence) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Where events wait.
pub(crate) enum Pending<M> {
    /// Earliest first: a normal run.
    Heap(BinaryHeap<Entry<M>>),
    /// Any order: the explorer chooses.
    Pool(Vec<Entry<M>>),
}

impl<M> Pending<M> {
    fn push(&mut self, e: Entry<M>) {
        match self {
            Pending::Heap(h) => h.push(e),
            Pending::Pool(v) => v.push(e),
        }
    }
}

/// The network's job in the current mode.
// One `Wire` exists per run and `Random` is the hot path: boxing it would cost a pointer chase
// per message to save a few hundred bytes once.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Wire {
    /// Loss, delay and duplication are drawn from the network model.
    Random { net: NetRt, rng: Rng },
    /// Every message is delivered one step later unless the explorer drops it.
    Scripted,
}

/// Static description of the nodes, shared by every run of a simulation.
pub(crate) struct Cast<M> {
    pub factories: Vec<Factory<M>>,
    pub byzantine: Vec<Option<Byzantine<M>>>,
    pub servers: Vec<NodeId>,
    pub clients: Vec<NodeId>,
    pub names: Vec<String>,
    pub roles: Vec<crate::trace::Role>,
}

impl<M: Clone + Debug + 'static> Cast<M> {
    pub fn instantiate(&self, id: NodeId) -> Box<dyn Node<M>> {
        let honest = (self.factories[id])(id);
        match &self.byzantine[id] {
            Some(strategy) => Box::new(Traitor {
                inner: honest,
                strategy: strategy.clone(),
            }),
            None => honest,
        }
    }
}

pub(crate) struct World<M> {
    pub cast: Arc<Cast<M>>,
    nodes: Vec<Box<dyn Node<M>>>,
    pub alive: Vec<bool>,
    /// Timers with an id below this were set before the node's last crash: they never fire.
    timers_from: Vec<u64>,
    paused_until: Vec<Time>,
    clocks: Vec<LocalClock>,
    storage: Vec<Storage>,
    rngs: Vec<Rng>,
    pub pending: Pending<M>,
    seq: u64,
    pub now: Time,
    wire: Wire,
    cuts: Cuts,
    pub faults: Vec<FaultAction>,
    /// (deliveries, fault index), soonest last so the next one pops cheaply.
    by_deliveries: Vec<(u64, usize)>,
    cancelled: HashSet<TimerId>,
    next_timer: u64,
    next_msg: MsgId,
    pub history: History,
    pub observations: Vec<Observation>,
    pub trace: Option<Trace>,
    /// When each crashed node went down (kept untraced too: state timelines need it).
    down_since: Vec<Option<Time>>,
    downtime: Vec<(NodeId, Time, Time)>,
    pub counters: Counters,
    out: Vec<Out<M>>,
}

impl<M: Clone + Debug + 'static> World<M> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cast: Arc<Cast<M>>,
        seed: u64,
        wire: Wire,
        pending: Pending<M>,
        clocks: Vec<LocalClock>,
        schedule: &[(Trigger, FaultAction)],
        traced: bool,
    ) -> World<M> {
        let n = cast.factories.len();
        let nodes = (0..n).map(|i| cast.instantiate(i)).collect();
        let trace = traced.then(|| Trace {
            nodes: (0..n)
                .map(|i| crate::trace::NodeInfo {
                    id: i,
                    name: cast.names[i].clone(),
                    role: cast.roles[i],
                })
                .collect(),
            ..Trace::default()
        });
        let mut w = World {
            nodes,
            alive: vec![true; n],
            timers_from: vec![0; n],
            paused_until: vec![Time::ZERO; n],
            clocks,
            storage: (0..n).map(|_| Storage::default()).collect(),
            rngs: (0..n).map(|i| stream(seed, Stream::Node(i))).collect(),
            pending,
            seq: 0,
            now: Time::ZERO,
            wire,
            cuts: Cuts::new(n),
            faults: Vec::new(),
            by_deliveries: Vec::new(),
            cancelled: HashSet::new(),
            next_timer: 0,
            next_msg: 0,
            history: History {
                names: cast.names.clone(),
                ..History::default()
            },
            observations: Vec::new(),
            trace,
            down_since: vec![None; n],
            downtime: Vec::new(),
            counters: Counters::default(),
            out: Vec::new(),
            cast,
        };
        for i in 0..n {
            w.schedule(Time::ZERO, Ev::Start(i as u32));
        }
        for (i, (trigger, action)) in schedule.iter().enumerate() {
            w.faults.push(action.clone());
            match trigger {
                Trigger::At(t) => w.schedule(*t, Ev::Fault(i as u32)),
                Trigger::AfterDeliveries(k) => w.by_deliveries.push((*k, i)),
            }
        }
        w.by_deliveries.sort_by(|a, b| b.cmp(a));
        w
    }

    pub fn schedule(&mut self, at: Time, ev: Ev<M>) {
        self.seq += 1;
        self.pending.push(Entry {
            at,
            seq: self.seq,
            ev,
        });
    }

    /// Processes one event whose time has come.
    pub fn step(&mut self, e: Entry<M>) {
        self.now = self.now.max(e.at);
        self.counters.events += 1;
        match e.ev {
            Ev::Start(node) => {
                let node = node as NodeId;
                if self.alive[node] {
                    self.call(node, |n, ctx| n.on_start(ctx));
                }
            }
            Ev::Deliver { from, to, msg, id } => {
                let (from, to, mid) = (from as NodeId, to as NodeId, id as MsgId);
                if self.cuts.blocked(from, to) {
                    self.counters.cut += 1;
                    self.set_fate(mid, Fate::Dropped(self.now, DropReason::Partition));
                } else if !self.alive[to] {
                    self.counters.to_crashed += 1;
                    self.set_fate(mid, Fate::Dropped(self.now, DropReason::Crashed));
                } else if self.paused_until[to] > self.now {
                    let resume = self.paused_until[to];
                    let ev = Ev::Deliver {
                        from: from as u32,
                        to: to as u32,
                        id,
                        msg,
                    };
                    self.schedule(resume, ev);
                } else {
                    self.counters.delivered += 1;
                    self.set_fate(mid, Fate::Delivered(self.now));
                    self.call(to, |n, ctx| n.on_message(ctx, from, msg));
                    if !self.by_deliveries.is_empty() {
                        self.fire_delivery_faults();
                    }
                }
            }
            Ev::Timer { node, id, tag } => {
                let node_id = node as NodeId;
                if !self.timer_is_live(node_id, id) {
                    return;
                }
                if !self.cancelled.is_empty() {
                    self.cancelled.remove(&id);
                }
                if self.paused_until[node_id] > self.now {
                    let resume = self.paused_until[node_id];
                    self.schedule(resume, Ev::Timer { node, id, tag });
                    return;
                }
                self.counters.timers += 1;
                if self.trace.is_some() {
                    self.note(Some(node_id), EventKind::Timer { tag });
                }
                self.call(node_id, |n, ctx| n.on_timer(ctx, tag));
            }
            Ev::Fault(i) => self.apply(i as usize),
        }
    }

    fn fire_delivery_faults(&mut self) {
        while let Some(&(k, i)) = self.by_deliveries.last() {
            if self.counters.delivered < k {
                break;
            }
            self.by_deliveries.pop();
            self.apply(i);
        }
    }

    /// Applies fault `i` of the schedule now.
    pub fn apply(&mut self, i: usize) {
        match self.faults[i].clone() {
            FaultAction::Partition(groups) => {
                self.cuts.partition(&groups);
                self.note_cuts();
            }
            FaultAction::OneWay(from, to) => {
                self.cuts.one_way(&from, &to);
                self.note_cuts();
            }
            FaultAction::Heal => {
                self.cuts.heal();
                self.note(None, EventKind::Heal);
            }
            FaultAction::Crash(node) => self.crash(node),
            FaultAction::Restart(node) => self.restart(node),
            FaultAction::Pause(node, d) => {
                let until = self.now + d;
                self.paused_until[node] = self.paused_until[node].max(until);
                self.note(Some(node), EventKind::Pause { until });
            }
        }
    }

    pub fn crash(&mut self, node: NodeId) {
        if !self.alive[node] {
            return;
        }
        self.alive[node] = false;
        self.down_since[node] = Some(self.now);
        self.timers_from[node] = self.next_timer;
        self.note(Some(node), EventKind::Crash);
    }

    pub fn restart(&mut self, node: NodeId) {
        if self.alive[node] {
            return;
        }
        self.alive[node] = true;
        if let Some(since) = self.down_since[node].take() {
            self.downtime.push((node, since, self.now));
        }
        self.paused_until[node] = Time::ZERO;
        self.nodes[node] = self.cast.instantiate(node);
        self.note(Some(node), EventKind::Restart);
        self.call(node, |n, ctx| n.on_recover(ctx));
    }

    fn note_cuts(&mut self) {
        if self.trace.is_some() {
            let cut = self.cuts.list();
            self.note(None, EventKind::Partition { cut });
        }
    }

    fn note(&mut self, node: Option<NodeId>, kind: EventKind) {
        if let Some(t) = &mut self.trace {
            let local = node.map_or(self.now, |n| self.clocks[n].read(self.now));
            t.events.push(TraceEvent {
                at: self.now,
                node,
                local,
                kind,
            });
        }
    }

    fn set_fate(&mut self, id: MsgId, fate: Fate) {
        if let Some(t) = &mut self.trace {
            if let Some(m) = t.messages.get_mut(id) {
                m.fate = fate;
            }
        }
    }

    /// Runs one handler of `node` and applies what it asked for.
    fn call(&mut self, node: NodeId, f: impl FnOnce(&mut dyn Node<M>, &mut Ctx<M>)) {
        let mut out = std::mem::take(&mut self.out);
        {
            let mut ctx = Ctx {
                me: node,
                now: self.now,
                clock: self.clocks[node],
                servers: &self.cast.servers,
                clients: &self.cast.clients,
                rng: &mut self.rngs[node],
                storage: &mut self.storage[node],
                history: &mut self.history,
                observations: &mut self.observations,
                out: &mut out,
                next_timer: &mut self.next_timer,
            };
            f(self.nodes[node].as_mut(), &mut ctx);
        }
        for o in out.drain(..) {
            match o {
                Out::Send { to, msg, bytes } => self.send(node, to, msg, bytes),
                Out::Timer { id, after, tag } => {
                    let ev = Ev::Timer {
                        node: node as u32,
                        id,
                        tag,
                    };
                    self.schedule(self.now + after, ev);
                }
                Out::Cancel(id) => {
                    self.cancelled.insert(id);
                }
                Out::Log(text) => self.note(Some(node), EventKind::Log { text }),
            }
        }
        self.out = out;
    }

    fn record_msg(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: &M,
        duplicate_of: Option<MsgId>,
    ) -> MsgId {
        let id = self.next_msg;
        self.next_msg += 1;
        if let Some(t) = &mut self.trace {
            t.messages.push(MsgRecord {
                id,
                from,
                to,
                label: format!("{msg:?}"),
                sent_at: self.now,
                fate: Fate::InFlight,
                duplicate_of,
            });
        }
        id
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: M, bytes: usize) {
        if to >= self.nodes.len() {
            self.counters.misaddressed += 1;
            self.note(
                Some(from),
                EventKind::Log {
                    text: format!("send to unknown node {to} ignored"),
                },
            );
            return;
        }
        self.counters.sent += 1;
        let id = self.record_msg(from, to, &msg, None);
        if self.cuts.blocked(from, to) {
            self.counters.cut += 1;
            self.set_fate(id, Fate::Dropped(self.now, DropReason::Partition));
            return;
        }
        let verdict = match &mut self.wire {
            Wire::Random { net, rng } => net.send(from, to, bytes, self.now, rng),
            Wire::Scripted => crate::net::Verdict {
                arrive: Some(self.now + Time(1_000)),
                duplicate: None,
            },
        };
        match verdict.arrive {
            None => {
                self.counters.lost += 1;
                self.set_fate(id, Fate::Dropped(self.now, DropReason::Loss));
            }
            Some(at) => {
                if let Some(dup_at) = verdict.duplicate {
                    self.counters.duplicated += 1;
                    let dup = self.record_msg(from, to, &msg, Some(id));
                    let ev = Ev::Deliver {
                        from: from as u32,
                        to: to as u32,
                        id: dup as u32,
                        msg: msg.clone(),
                    };
                    self.schedule(dup_at, ev);
                }
                let ev = Ev::Deliver {
                    from: from as u32,
                    to: to as u32,
                    id: id as u32,
                    msg,
                };
                self.schedule(at, ev);
            }
        }
    }

    /// Marks a message the explorer chose to lose.
    pub fn lose(&mut self, id: MsgId) {
        self.counters.lost += 1;
        self.set_fate(id, Fate::Dropped(self.now, DropReason::Loss));
    }

    /// Whether a pending timer would still fire (not cancelled, not from before a crash).
    pub fn timer_is_live(&self, node: NodeId, id: TimerId) -> bool {
        self.alive[node]
            && id.0 >= self.timers_from[node]
            && (self.cancelled.is_empty() || !self.cancelled.contains(&id))
    }

    /// Ends the run: what it produced, as a [`Run`].
    pub fn into_run(mut self, seed: u64, stopped: Stop) -> Run {
        if let Some(t) = &mut self.trace {
            t.end = self.now;
        }
        for (node, since) in self.down_since.iter().enumerate() {
            if let Some(since) = *since {
                self.downtime.push((node, since, self.now));
            }
        }
        Run {
            seed,
            end: self.now,
            downtime: self.downtime,
            stopped,
            counters: self.counters,
            history: self.history,
            observations: self.observations,
            trace: self.trace,
        }
    }
}

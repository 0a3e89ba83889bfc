//! Small-scope exhaustive exploration: every delivery order, loss and crash a tiny system can
//! suffer, searched for a run that breaks a property — and the smallest such run returned.
//!
//! Monte-Carlo runs say "this rarely fails"; the explorer says "this *can* fail, and here is the
//! shortest way". It is how a notebook shows that no protocol can guarantee something.
//!
//! The default model is an asynchronous network: any in-flight message may be delivered next or
//! lost, messages on one link may overtake each other, and a node's timers fire in deadline
//! order but at any moment relative to messages — so a timeout may fire before a reply that is
//! merely slow. Two options narrow it to the system you built: [`Explorer::fifo`] keeps each
//! link in order (as TCP does), and [`Explorer::delay_bound`] makes it partially synchronous
//! (every message arrives within a bound, so a timer fires only after every message sent a
//! bound before its deadline has arrived). Every counterexample lists the assumptions it relies
//! on ([`Counterexample::assumptions`]). Scheduled faults and the network's random settings of
//! the [`Sim`] are ignored here; the explorer's own budgets of losses and crashes replace them. Searching with 0 faults, then 1, then 2, … makes
//! the first counterexample found one with the fewest faults; among those, the fewest steps.
//!
//! Orders that only swap independent events (at different servers) are explored once (sleep
//! sets). Events at clients are never treated as independent of each other, because swapping
//! them would change the real-time order of operations that linearizability depends on.

use crate::run::{Run, Stop};
use crate::sim::world::{Entry, Ev, Pending, Wire, World};
use crate::sim::{Sim, SimError};
use crate::time::Time;
use crate::trace::{NodeId, Role};
use std::fmt::{self, Debug, Display};

/// One decision of the explorer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Deliver the pending message (or fire the pending timer) with this sequence number.
    Fire { seq: u64, node: NodeId },
    /// Lose the pending message with this sequence number.
    Drop { seq: u64, node: NodeId },
    /// Crash this node now.
    Crash { node: NodeId },
}

impl Choice {
    fn node(&self) -> NodeId {
        match *self {
            Choice::Fire { node, .. } | Choice::Drop { node, .. } | Choice::Crash { node } => node,
        }
    }

    fn seq(&self) -> Option<u64> {
        match *self {
            Choice::Fire { seq, .. } | Choice::Drop { seq, .. } => Some(seq),
            Choice::Crash { .. } => None,
        }
    }

    fn is_fault(&self) -> bool {
        !matches!(self, Choice::Fire { .. })
    }
}

/// A run that breaks the property, with the choices that lead to it.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// The violating run, traced: draw it as a space-time diagram.
    pub run: Run,
    pub choices: Vec<Choice>,
    /// Losses and crashes among the choices.
    pub faults: usize,
    /// What the property said was wrong.
    pub reason: String,
    /// What the run relies on beyond its faults, in words: e.g. "a timeout fired at reader
    /// while a message to it was still in flight". Empty when only its faults matter.
    pub assumptions: Vec<String>,
}

/// What an exploration found.
#[derive(Clone, Debug)]
pub struct Exploration {
    /// Complete runs checked.
    pub runs: u64,
    /// True if the search hit a bound (`max_runs` or `max_steps`) before covering every run.
    pub truncated: bool,
    /// The smallest violating run, if any.
    pub counterexample: Option<Counterexample>,
}

impl Exploration {
    /// True when a violation was found.
    pub fn violated(&self) -> bool {
        self.counterexample.is_some()
    }
}

impl Display for Exploration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scope = if self.truncated {
            "within the bounds, "
        } else {
            ""
        };
        match &self.counterexample {
            None if self.runs == 0 && self.truncated => write!(
                f,
                "no run finished within the step limit, so nothing was checked: a node that \
                 keeps setting timers (heartbeats, periodic retries) never lets a run end; \
                 explore a system that stops, or raise max_steps"
            ),
            None => write!(f, "{scope}no violation in {} runs", self.runs),
            Some(c) => {
                write!(
                    f,
                    "violation after {} runs: {} ({} steps, {} faults)",
                    self.runs,
                    c.reason,
                    c.choices.len(),
                    c.faults,
                )?;
                for a in &c.assumptions {
                    write!(f, "\nrelies on: {a}")?;
                }
                write!(f, "\n{}", c.run.trace())
            }
        }
    }
}

/// An exhaustive search over a small [`Sim`].
///
/// ```
/// use faultline::prelude::*;
/// # #[derive(Clone, Debug)] struct Attack;
/// // General A sends one messenger; B attacks only if it arrives, A always attacks.
/// let sim = Sim::new(Net::new())
///     .node(|_| FnNode::new((), |_, _: &mut Ctx<Attack>, _, _| {})
///         .on_start(|_, ctx| { ctx.send(1, Attack); ctx.record("attack", 1.0) }))
///     .node(|_| FnNode::new((), |_, ctx: &mut Ctx<Attack>, _, _| ctx.record("attack", 1.0)));
/// let found = Explorer::new(&sim).max_losses(1).check(|run| {
///     let attackers = run.observed("attack").count();
///     if attackers == 1 { Err("only one general attacked") } else { Ok(()) }
/// }).unwrap();
/// assert_eq!(found.counterexample.unwrap().faults, 1);
/// ```
pub struct Explorer<'a, M> {
    sim: &'a Sim<M>,
    max_losses: usize,
    max_crashes: usize,
    max_steps: usize,
    max_runs: u64,
    fifo: bool,
    delay_bound: Option<Time>,
}

impl<'a, M: Clone + Debug + 'static> Explorer<'a, M> {
    /// Explores `sim` with no faults allowed yet; raise the budgets with the builder methods.
    pub fn new(sim: &'a Sim<M>) -> Self {
        Explorer {
            sim,
            max_losses: 0,
            max_crashes: 0,
            max_steps: 60,
            max_runs: 200_000,
            fifo: false,
            delay_bound: None,
        }
    }

    /// Each link delivers (or loses) its messages in the order they were sent, as TCP does.
    pub fn fifo(mut self, on: bool) -> Self {
        self.fifo = on;
        self
    }

    /// Partial synchrony: every message arrives within `bound` of its send, so a timer fires
    /// only once every message sent `bound` or more before its deadline has arrived or been
    /// lost. Handlers still run 1 ms apart in the explorer's clock (its timers keep their
    /// deadlines), so a reply owed by a node leaves when that node handles the request or its
    /// own timer: a timeout then fires before the reply only if the reply leaves less than
    /// `bound` before the deadline.
    pub fn delay_bound(mut self, bound: Time) -> Self {
        self.delay_bound = Some(bound);
        self
    }

    /// Up to `n` messages may be lost in one run.
    pub fn max_losses(mut self, n: usize) -> Self {
        self.max_losses = n;
        self
    }

    /// Up to `n` servers may crash in one run (and stay down).
    pub fn max_crashes(mut self, n: usize) -> Self {
        self.max_crashes = n;
        self
    }

    /// Runs longer than `n` steps are cut off and not checked (reported as truncated).
    pub fn max_steps(mut self, n: usize) -> Self {
        self.max_steps = n;
        self
    }

    /// Stop after checking `n` complete runs (reported as truncated).
    pub fn max_runs(mut self, n: u64) -> Self {
        self.max_runs = n;
        self
    }

    /// Searches for a complete run where `property` returns an error.
    pub fn check<E: Display>(
        &self,
        property: impl Fn(&Run) -> Result<(), E>,
    ) -> Result<Exploration, SimError> {
        let prepared = self.sim.prepare()?;
        let mut search = Search {
            explorer: self,
            prepared: &prepared,
            property: &property,
            runs: 0,
            truncated: false,
            best: None,
        };
        for budget in 0..=self.max_losses + self.max_crashes {
            search.dfs(&mut Vec::new(), Vec::new(), budget);
            if search.best.is_some() || search.runs >= self.max_runs {
                break;
            }
        }
        let counterexample = search.best.take().map(|(choices, reason)| {
            let assumptions = search.assumptions(&choices);
            let run = search.replay(&choices, true).into_run(0, Stop::Quiet);
            let faults = choices.iter().filter(|c| c.is_fault()).count();
            Counterexample {
                run,
                choices,
                faults,
                reason,
                assumptions,
            }
        });
        Ok(Exploration {
            runs: search.runs,
            truncated: search.truncated,
            counterexample,
        })
    }
}

struct Search<'s, M, P> {
    explorer: &'s Explorer<'s, M>,
    prepared: &'s crate::sim::Prepared<M>,
    property: &'s P,
    runs: u64,
    truncated: bool,
    best: Option<(Vec<Choice>, String)>,
}

impl<M: Clone + Debug + 'static, P, E: Display> Search<'_, M, P>
where
    P: Fn(&Run) -> Result<(), E>,
{
    /// Rebuilds the world after `choices` (stateless search: nodes need not be cloneable).
    fn replay(&self, choices: &[Choice], traced: bool) -> World<M> {
        let p = self.prepared;
        let mut w = World::new(
            p.cast.clone(),
            0,
            Wire::Scripted,
            Pending::Pool(Vec::new()),
            p.clocks.clone(),
            &[],
            traced,
        );
        // Starts are not interleaved: every node starts before anything else happens.
        while let Some(i) = pool(&w).iter().position(|e| matches!(e.ev, Ev::Start(_))) {
            let e = pool_mut(&mut w).remove(i);
            w.step(e);
        }
        for c in choices {
            match *c {
                Choice::Crash { node } => w.crash(node),
                Choice::Fire { seq, .. } | Choice::Drop { seq, .. } => {
                    let i = pool(&w)
                        .iter()
                        .position(|e| e.seq == seq)
                        .expect("replayed choices are deterministic");
                    let mut e = pool_mut(&mut w).remove(i);
                    if let (Choice::Drop { .. }, Ev::Deliver { id, .. }) = (c, &e.ev) {
                        w.lose(*id as usize);
                        continue;
                    }
                    e.at = e.at.max(w.now + Time(1_000));
                    w.step(e);
                }
            }
        }
        w
    }

    /// What may happen next.
    fn enabled(&self, w: &World<M>, faults_left: usize, crashes_used: usize) -> Vec<Choice> {
        let pending = pool(w);
        let mut fire = Vec::new();
        let mut drop = Vec::new();
        let mut earliest_timer: Vec<Option<(Time, u64)>> = vec![None; w.alive.len()];
        for e in pending {
            match e.ev {
                Ev::Deliver { to, .. } => {
                    if self.explorer.fifo && overtakes(pending, e) {
                        continue;
                    }
                    let to = to as NodeId;
                    fire.push(Choice::Fire {
                        seq: e.seq,
                        node: to,
                    });
                    if faults_left > 0 {
                        drop.push(Choice::Drop {
                            seq: e.seq,
                            node: to,
                        });
                    }
                }
                Ev::Timer { node, id, .. } if w.timer_is_live(node as NodeId, id) => {
                    let slot = &mut earliest_timer[node as NodeId];
                    if slot.is_none_or(|best| (e.at, e.seq) < best) {
                        *slot = Some((e.at, e.seq));
                    }
                }
                _ => {}
            }
        }
        let oldest_send = pending.iter().filter_map(sent_at).min();
        let first_deadline = earliest_timer.iter().flatten().map(|t| t.0).min();
        for (node, t) in earliest_timer.iter().enumerate() {
            let Some((deadline, seq)) = *t else { continue };
            // Under a delay bound, timers fire in deadline order, and only once the messages
            // sent a bound before the deadline have arrived.
            let on_time = match self.explorer.delay_bound {
                Some(bound) => {
                    Some(deadline) == first_deadline
                        && oldest_send.is_none_or(|sent| sent + bound > deadline)
                }
                None => true,
            };
            if on_time {
                fire.push(Choice::Fire { seq, node });
            }
        }
        fire.sort_by_key(|c| c.seq());
        fire.extend(drop);
        if faults_left > 0 && crashes_used < self.explorer.max_crashes {
            for &node in &w.cast.servers {
                if w.alive[node] {
                    fire.push(Choice::Crash { node });
                }
            }
        }
        fire
    }

    /// What the run `choices` relies on beyond its faults: timeouts that fired while a message
    /// to the same node was in flight, and messages that overtook others on their link.
    fn assumptions(&self, choices: &[Choice]) -> Vec<String> {
        let mut said = Vec::new();
        for (k, c) in choices.iter().enumerate() {
            let Choice::Fire { seq, node } = *c else {
                continue;
            };
            let w = self.replay(&choices[..k], false);
            let pending = pool(&w);
            let Some(e) = pending.iter().find(|e| e.seq == seq) else {
                continue;
            };
            let name = |n: u32| w.cast.names[n as usize].clone();
            let earlier_timer = pending.iter().find(|o| {
                matches!(o.ev, Ev::Timer { node: n, id, .. }
                    if n as NodeId != node && o.at < e.at && w.timer_is_live(n as NodeId, id))
            });
            let text = match (&e.ev, earlier_timer) {
                (Ev::Timer { .. }, _) if pending.iter().any(|o| sent_at(o).is_some()) => format!(
                    "a timeout fired at {} while messages were still in flight (the network \
                     may delay a message longer than any timeout)",
                    name(node as u32)
                ),
                (Ev::Timer { .. }, Some(o)) => format!(
                    "{}'s timer fired before an earlier one at {} (nodes' clocks and \
                     schedulers run at their own pace)",
                    name(node as u32),
                    name(timer_node(o))
                ),
                (Ev::Deliver { from, to, .. }, _) if overtakes(pending, e) => format!(
                    "a message from {} to {} overtook an earlier one on the same link",
                    name(*from),
                    name(*to)
                ),
                _ => continue,
            };
            if !said.contains(&text) {
                said.push(text);
            }
        }
        said
    }

    fn independent(&self, a: &Choice, b: &Choice) -> bool {
        let roles = &self.prepared.cast.roles;
        let (x, y) = (a.node(), b.node());
        let both_clients = roles[x] == Role::Client && roles[y] == Role::Client;
        x != y && !both_clients && (a.seq().is_none() || a.seq() != b.seq())
    }

    fn dfs(&mut self, path: &mut Vec<Choice>, mut sleep: Vec<Choice>, budget: usize) {
        if self.runs >= self.explorer.max_runs {
            self.truncated = true;
            return;
        }
        let w = self.replay(path, false);
        let faults_used = path.iter().filter(|c| c.is_fault()).count();
        let losses_used = path
            .iter()
            .filter(|c| matches!(c, Choice::Drop { .. }))
            .count();
        let crashes_used = faults_used - losses_used;
        let faults_left = budget.saturating_sub(faults_used);
        let mut enabled = self.enabled(&w, faults_left, crashes_used);
        if losses_used >= self.explorer.max_losses {
            enabled.retain(|c| !matches!(c, Choice::Drop { .. }));
        }
        if enabled.is_empty() {
            // Only runs that used the whole fault budget are new at this budget level.
            if faults_used == budget {
                self.leaf(path, w);
            }
            return;
        }
        if path.len() >= self.explorer.max_steps {
            self.truncated = true;
            return;
        }
        for c in enabled {
            if sleep.contains(&c) {
                continue;
            }
            let child_sleep = sleep
                .iter()
                .filter(|s| self.independent(s, &c))
                .copied()
                .collect();
            path.push(c);
            self.dfs(path, child_sleep, budget);
            path.pop();
            sleep.push(c);
            if self.runs >= self.explorer.max_runs {
                self.truncated = true;
                return;
            }
        }
    }

    fn leaf(&mut self, path: &[Choice], w: World<M>) {
        self.runs += 1;
        let run = w.into_run(0, Stop::Quiet);
        if let Err(e) = (self.property)(&run) {
            let shorter = self
                .best
                .as_ref()
                .is_none_or(|(best, _)| path.len() < best.len());
            if shorter {
                self.best = Some((path.to_vec(), e.to_string()));
            }
        }
    }
}

/// Whether `e` is a delivery with an earlier message still pending on its link.
fn overtakes<M>(pending: &[Entry<M>], e: &Entry<M>) -> bool {
    let Ev::Deliver { from, to, .. } = e.ev else {
        return false;
    };
    pending.iter().any(|o| {
        o.seq < e.seq && matches!(o.ev, Ev::Deliver { from: f, to: t, .. } if (f, t) == (from, to))
    })
}

/// When a pending delivery was sent (the explorer's network takes 1 ms).
fn sent_at<M>(e: &Entry<M>) -> Option<Time> {
    matches!(e.ev, Ev::Deliver { .. }).then(|| e.at - Time(1_000))
}

fn timer_node<M>(e: &Entry<M>) -> u32 {
    match e.ev {
        Ev::Timer { node, .. } => node,
        _ => unreachable!("called on timers only"),
    }
}

fn pool<M>(w: &World<M>) -> &Vec<Entry<M>> {
    match &w.pending {
        Pending::Pool(v) => v,
        Pending::Heap(_) => unreachable!("the explorer always uses the pool"),
    }
}

fn pool_mut<M>(w: &mut World<M>) -> &mut Vec<Entry<M>> {
    match &mut w.pending {
        Pending::Pool(v) => v,
        Pending::Heap(_) => unreachable!("the explorer always uses the pool"),
    }
}

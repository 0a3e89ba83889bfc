//! Sagas: an order placed in steps at separate services — reserve stock, charge the card,
//! book the courier — with no transaction spanning them. When a step fails, the orchestrator
//! either stops where it is, or (with compensation) undoes every earlier step in reverse order.
//!
//! Servers 0, 1, 2 are the steps; the client is the orchestrator. A step refuses with
//! probability [`Saga::refusals`] (out of stock, card declined: a definite "no" with no effect). Every
//! request is retried on timeout, so services apply each (order, step) at most once and answer
//! repeats with their first answer; an undo of something never done is a harmless no-op. That
//! is what makes retrying and compensating safe.
//!
//! Services record `applied` / `undone` (value: the order); [`saga_outcomes`] reads the final state.

use faultline::history::{OpKind, Outcome};
use faultline::net::{Delay, Net};
use faultline::node::{Ctx, Node, TimerId};
use faultline::run::Run;
use faultline::sim::Sim;
use faultline::time::{ms, Time};
use faultline::trace::NodeId;
use rand::Rng as _;
use std::collections::BTreeMap;

/// Orchestrator ↔ step messages.
#[derive(Clone, Debug, PartialEq)]
///
/// Answers name their step: a late answer from an earlier step must not be mistaken for the
/// current one's.
pub enum SagaMsg {
    Do {
        order: u64,
    },
    Undo {
        order: u64,
    },
    /// The answer to `Do`: applied or refused.
    Done {
        order: u64,
        step: NodeId,
        ok: bool,
    },
    Undone {
        order: u64,
        step: NodeId,
    },
}

/// One step's service.
#[derive(Clone, Debug)]
pub struct StepService {
    fail: f64,
    /// order → applied (true) or refused (false); removed entries were undone.
    answers: BTreeMap<u64, bool>,
}

impl StepService {
    fn new(fail: f64) -> StepService {
        StepService {
            fail,
            answers: BTreeMap::new(),
        }
    }
}

impl Node<SagaMsg> for StepService {
    fn on_message(&mut self, ctx: &mut Ctx<SagaMsg>, from: NodeId, msg: SagaMsg) {
        match msg {
            SagaMsg::Do { order } => {
                let ok = match self.answers.get(&order) {
                    Some(&ok) => ok,
                    None => {
                        let ok = !ctx.rng().random_bool(self.fail);
                        self.answers.insert(order, ok);
                        if ok {
                            ctx.record("applied", order as f64);
                        }
                        ok
                    }
                };
                let step = ctx.id();
                ctx.send(from, SagaMsg::Done { order, step, ok });
            }
            SagaMsg::Undo { order } => {
                // Leave a tombstone either way, so that a `Do` arriving late cannot apply it.
                if self.answers.insert(order, false) == Some(true) {
                    ctx.record("undone", order as f64);
                }
                let step = ctx.id();
                ctx.send(from, SagaMsg::Undone { order, step });
            }
            _ => {}
        }
    }
}

#[derive(Clone, Debug)]
enum Phase {
    /// Waiting for step `i`'s answer.
    Forward(usize),
    /// Undoing steps `..=i` in reverse; waiting for step `i`'s undo.
    Back(usize),
}

/// The orchestrator: runs `orders` orders one after another through every step.
#[derive(Clone, Debug)]
pub struct Orchestrator {
    orders: u64,
    compensate: bool,
    attempts: u32,
    timeout: Time,
    done: u64,
    current: Option<(u64, usize, Phase, u32)>,
    timer: Option<TimerId>,
}

impl Orchestrator {
    /// 4 tries per forward step, 50 ms timeout; compensation on or off.
    fn new(orders: u64, compensate: bool) -> Orchestrator {
        Orchestrator {
            orders,
            compensate,
            attempts: 4,
            timeout: ms(50),
            done: 0,
            current: None,
            timer: None,
        }
    }

    fn send(&mut self, ctx: &mut Ctx<SagaMsg>) {
        let Some((order, _, phase, _)) = &self.current else {
            return;
        };
        let (to, msg) = match *phase {
            Phase::Forward(i) => (i, SagaMsg::Do { order: *order }),
            Phase::Back(i) => (i, SagaMsg::Undo { order: *order }),
        };
        ctx.send(ctx.servers()[to], msg);
        // One timer at a time: a stale one would count as a timeout of the next step.
        if let Some(t) = self.timer.take() {
            ctx.cancel_timer(t);
        }
        self.timer = Some(ctx.set_timer(self.timeout, *order));
    }

    fn start(&mut self, ctx: &mut Ctx<SagaMsg>) {
        if self.done >= self.orders {
            return;
        }
        self.done += 1;
        let order = self.done;
        let op = ctx.invoke(OpKind::Other(format!("order {order}")));
        self.current = Some((order, op, Phase::Forward(0), 1));
        self.send(ctx);
    }

    fn finish(&mut self, ctx: &mut Ctx<SagaMsg>, outcome: Outcome) {
        if let Some((_, op, _, _)) = self.current.take() {
            ctx.complete(op, outcome);
        }
        self.start(ctx);
    }

    /// SagaMsg `i` failed (refused, or no answer after every try; `maybe_applied` then).
    fn step_failed(&mut self, ctx: &mut Ctx<SagaMsg>, i: usize, maybe_applied: bool) {
        let first_undo = if maybe_applied {
            Some(i)
        } else {
            i.checked_sub(1)
        };
        match first_undo {
            Some(j) if self.compensate => {
                if let Some(cur) = &mut self.current {
                    cur.2 = Phase::Back(j);
                    cur.3 = 1;
                }
                self.send(ctx);
            }
            _ => self.finish(ctx, Outcome::Fail),
        }
    }

    fn undone(&mut self, ctx: &mut Ctx<SagaMsg>, i: usize) {
        match i.checked_sub(1) {
            Some(j) => {
                if let Some(cur) = &mut self.current {
                    cur.2 = Phase::Back(j);
                    cur.3 = 1;
                }
                self.send(ctx);
            }
            None => self.finish(ctx, Outcome::Fail),
        }
    }
}

impl Node<SagaMsg> for Orchestrator {
    fn on_start(&mut self, ctx: &mut Ctx<SagaMsg>) {
        ctx.record("steps", ctx.servers().len() as f64);
        self.start(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<SagaMsg>, _from: NodeId, msg: SagaMsg) {
        let Some((order, _, phase, _)) = self.current.clone() else {
            return;
        };
        match (msg, phase) {
            (SagaMsg::Done { order: o, step, ok }, Phase::Forward(i))
                if o == order && ctx.servers()[i] == step =>
            {
                if !ok {
                    self.step_failed(ctx, i, false);
                } else if i + 1 < ctx.servers().len() {
                    if let Some(cur) = &mut self.current {
                        cur.2 = Phase::Forward(i + 1);
                        cur.3 = 1;
                    }
                    self.send(ctx);
                } else {
                    self.finish(ctx, Outcome::Ok(None));
                }
            }
            (SagaMsg::Undone { order: o, step }, Phase::Back(i))
                if o == order && ctx.servers()[i] == step =>
            {
                self.undone(ctx, i)
            }
            _ => {} // a late answer to an earlier try
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<SagaMsg>, tag: u64) {
        let Some((order, _, phase, tries)) = self.current.clone() else {
            return;
        };
        if tag != order {
            return;
        }
        match phase {
            Phase::Forward(i) if tries >= self.attempts => self.step_failed(ctx, i, true),
            // Undo is retried until it gets through: giving up would leave the order half-done.
            _ => {
                if let Some(cur) = &mut self.current {
                    cur.3 += 1;
                }
                self.send(ctx);
            }
        }
    }
}

/// The order pipeline, configured with chained calls and turned into a [`Sim`]: three step
/// services (stock, payment, courier) and an orchestrator, over a 1–5 ms network.
#[derive(Clone, Debug)]
pub struct Saga {
    orders: u64,
    compensate: bool,
    refusals: f64,
    loss: f64,
}

impl Default for Saga {
    fn default() -> Self {
        Saga::new()
    }
}

impl Saga {
    /// 100 orders, no compensation, steps that never refuse, no loss.
    pub fn new() -> Saga {
        Saga {
            orders: 100,
            compensate: false,
            refusals: 0.0,
            loss: 0.0,
        }
    }

    /// Orders run one after another.
    pub fn orders(mut self, n: u64) -> Self {
        self.orders = n;
        self
    }

    /// Whether a failed step makes the orchestrator undo the steps already done.
    pub fn compensate(mut self, on: bool) -> Self {
        self.compensate = on;
        self
    }

    /// Probability that a step service refuses an order (out of stock, card declined).
    pub fn refusals(mut self, p: f64) -> Self {
        self.refusals = p;
        self
    }

    /// Probability that any message is lost.
    pub fn loss(mut self, p: f64) -> Self {
        self.loss = p;
        self
    }

    /// The simulation (runs up to 600 s). Panics, naming it, on a probability outside
    /// `0.0..=1.0`.
    #[track_caller]
    pub fn sim(&self) -> Sim<SagaMsg> {
        crate::setup::probabilities(&[("refusals", self.refusals), ("loss", self.loss)]);
        let Saga {
            orders,
            compensate,
            refusals,
            loss,
        } = *self;
        Sim::new(Net::new().delay(Delay::uniform(1.0, 5.0)).loss(loss))
            .nodes(3, move |_| StepService::new(refusals))
            .client(move |_| Orchestrator::new(orders, compensate))
            .names(["stock", "payment", "courier", "orchestrator"])
            .until(faultline::time::secs(600))
    }
}

/// How the orders of a run ended, judged by what the services really did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SagaOutcomes {
    /// Every step in effect.
    pub completed: usize,
    /// No step in effect: cleanly not placed.
    pub aborted: usize,
    /// Some steps in effect, others not (stock held for an unpaid order, a charge without a
    /// courier...).
    pub inconsistent: usize,
}

/// Counts orders by how many steps remain in effect at the end of the run.
pub fn saga_outcomes(run: &Run) -> SagaOutcomes {
    let steps = run.observed("steps").next().map_or(0, |o| o.value as i64);
    let mut effect: BTreeMap<u64, i64> = BTreeMap::new();
    for o in &run.observations {
        let d = match o.key.as_str() {
            "applied" => 1,
            "undone" => -1,
            _ => continue,
        };
        *effect.entry(o.value as u64).or_default() += d;
    }
    let mut out = SagaOutcomes::default();
    for op in &run.history.ops {
        let order = op.id as u64 + 1;
        match effect.get(&order).copied().unwrap_or(0) {
            0 => out.aborted += 1,
            k if k == steps => out.completed += 1,
            _ => out.inconsistent += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_failures_every_order_completes() {
        let o = saga_outcomes(&Saga::new().orders(50).sim().run(1));
        assert_eq!(o.completed, 50);
    }

    #[test]
    fn compensation_leaves_nothing_half_done() {
        let without = saga_outcomes(
            &Saga::new()
                .orders(300)
                .refusals(0.1)
                .loss(0.05)
                .sim()
                .run(2),
        );
        let with = saga_outcomes(
            &Saga::new()
                .orders(300)
                .compensate(true)
                .refusals(0.1)
                .loss(0.05)
                .sim()
                .run(2),
        );
        assert!(without.inconsistent > 30, "{without:?}");
        assert_eq!(with.inconsistent, 0, "{with:?}");
        assert_eq!(with.completed + with.aborted, 300);
    }
}

//! Paying for orders over a lossy network: a shopper, a payment service and a card network.
//!
//! The shopper asks the service to pay for an order and retries when no answer comes. The
//! service asks the card network to charge the card, then writes the payment to its own
//! database and answers. Two things can go wrong between the charge and the answer: the answer
//! is lost, or the service crashes after the card was charged but before it wrote anything down
//! (with probability [`Payments::crash`] per charge; it forgets that request, and only that one). Either
//! way the shopper retries, and the retry charges the card again — unless the service passes an
//! idempotency key (the order id) and the card network answers a repeated key with the result
//! it already gave instead of charging twice.
//!
//! Node 0 is the service, node 1 the card network, clients are shoppers. Ground truth is
//! recorded as `charge` (by the card network, value = order) and `recorded` (by the service);
//! [`ledger`] compares the two.

use faultline::history::{OpKind, Outcome};
use faultline::net::Net;
use faultline::node::{Ctx, Node};
use faultline::run::Run;
use faultline::sim::Sim;
use faultline::time::{ms, Time};
use faultline::trace::NodeId;
use rand::Rng as _;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Messages between shopper, service and card network.
#[derive(Clone, PartialEq)]
pub enum Pay {
    /// Shopper → service.
    Pay { order: u64 },
    /// Service → shopper.
    Paid { order: u64 },
    /// Service → card network; `key` is the idempotency key, if the service sends one.
    Charge { order: u64, key: Option<u64> },
    /// Card network → service.
    Charged { order: u64 },
}

/// Short, for arrow labels: `charge 2001 key` is a charge request carrying its key.
impl fmt::Debug for Pay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pay::Pay { order } => write!(f, "pay {order}"),
            Pay::Paid { order } => write!(f, "paid {order}"),
            Pay::Charge { order, key: None } => write!(f, "charge {order}"),
            Pay::Charge {
                order,
                key: Some(_),
            } => write!(f, "charge {order} key"),
            Pay::Charged { order } => write!(f, "charged {order}"),
        }
    }
}

/// The payment service (node 0).
#[derive(Clone, Debug)]
pub struct PaymentService {
    keys: bool,
    crash: f64,
    waiting: BTreeMap<u64, NodeId>,
}

impl PaymentService {
    fn new(keys: bool, crash: f64) -> PaymentService {
        PaymentService {
            keys,
            crash,
            waiting: BTreeMap::new(),
        }
    }
}

impl Node<Pay> for PaymentService {
    fn on_message(&mut self, ctx: &mut Ctx<Pay>, from: NodeId, msg: Pay) {
        match msg {
            Pay::Pay { order } => {
                self.waiting.insert(order, from);
                let key = self.keys.then_some(order);
                ctx.send(1, Pay::Charge { order, key });
            }
            Pay::Charged { order } => {
                let Some(shopper) = self.waiting.remove(&order) else {
                    return;
                };
                if ctx.rng().random_bool(self.crash) {
                    // Crashed after the charge, before the database write: nothing recorded,
                    // nobody told. (Modelled as forgetting this one request.)
                    ctx.log(format!("crash after charging {order}"));
                    return;
                }
                ctx.record("recorded", order as f64);
                ctx.send(shopper, Pay::Paid { order });
            }
            _ => {}
        }
    }
}

/// The card network (node 1): charges every request, except that a key it has seen gets the
/// earlier answer back.
#[derive(Clone, Debug, Default)]
pub struct CardNetwork {
    seen: BTreeSet<u64>,
}

impl Node<Pay> for CardNetwork {
    fn on_message(&mut self, ctx: &mut Ctx<Pay>, from: NodeId, msg: Pay) {
        if let Pay::Charge { order, key } = msg {
            let repeat = key.is_some_and(|k| !self.seen.insert(k));
            if repeat {
                ctx.log(format!("key {order} seen: no new charge"));
            } else {
                ctx.record("charge", order as f64);
                ctx.log(format!("card charged for {order}"));
            }
            ctx.send(from, Pay::Charged { order });
        }
    }
}

/// A shopper paying for `orders` orders one after another, each with up to `attempts` tries and
/// a 100 ms timeout per try.
#[derive(Clone, Debug)]
pub struct Shopper {
    orders: u64,
    attempts: u32,
    timeout: Time,
    done: u64,
    current: Option<(u64, usize, u32)>,
}

impl Shopper {
    pub fn new(orders: u64) -> Shopper {
        Shopper {
            orders,
            attempts: 4,
            timeout: ms(100),
            done: 0,
            current: None,
        }
    }

    /// Tries per order (1: never retry).
    pub fn attempts(mut self, n: u32) -> Self {
        self.attempts = n.max(1);
        self
    }

    fn next(&mut self, ctx: &mut Ctx<Pay>) {
        if self.done >= self.orders {
            return;
        }
        self.done += 1;
        let order = ctx.id() as u64 * 1_000 + self.done;
        let op = ctx.invoke(OpKind::Other(format!("pay for order {order}")));
        self.current = Some((order, op, 1));
        ctx.send(0, Pay::Pay { order });
        ctx.set_timer(self.timeout, order);
    }
}

impl Node<Pay> for Shopper {
    fn on_start(&mut self, ctx: &mut Ctx<Pay>) {
        self.next(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Pay>, _from: NodeId, msg: Pay) {
        if let (Pay::Paid { order }, Some((cur, op, _))) = (msg, self.current) {
            if order == cur {
                ctx.complete(op, Outcome::Ok(None));
                self.current = None;
                self.next(ctx);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Pay>, tag: u64) {
        let Some((order, op, tries)) = self.current else {
            return;
        };
        if tag != order {
            return; // the timer of an attempt that was already answered
        }
        if tries >= self.attempts {
            ctx.complete(op, Outcome::Unknown);
            self.current = None;
            self.next(ctx);
        } else {
            self.current = Some((order, op, tries + 1));
            ctx.send(0, Pay::Pay { order });
            ctx.set_timer(self.timeout, order);
        }
    }
}

/// The shop, configured with chained calls and turned into a [`Sim`]: service (node 0), card
/// network (node 1) and one shopper, over a 1–5 ms network.
///
/// ```
/// # use faultline_lab::payments::{ledger, Payments};
/// let run = Payments::new().orders(20).loss(0.1).idempotency_keys(true).sim().run(1);
/// assert_eq!(ledger(&run).duplicates, 0);
/// ```
#[derive(Clone, Debug)]
pub struct Payments {
    keys: bool,
    crash: f64,
    loss: f64,
    orders: u64,
    tries: u32,
}

impl Default for Payments {
    fn default() -> Self {
        Payments::new()
    }
}

impl Payments {
    /// One order, no idempotency keys, no crashes, no loss; the shopper tries 4 times.
    pub fn new() -> Payments {
        Payments {
            keys: false,
            crash: 0.0,
            loss: 0.0,
            orders: 1,
            tries: 4,
        }
    }

    /// Whether the service sends the order id to the card network as an idempotency key.
    pub fn idempotency_keys(mut self, on: bool) -> Self {
        self.keys = on;
        self
    }

    /// Probability that the service crashes after a charge, before writing it down.
    pub fn crash(mut self, p: f64) -> Self {
        self.crash = p;
        self
    }

    /// Probability that any message is lost.
    pub fn loss(mut self, p: f64) -> Self {
        self.loss = p;
        self
    }

    /// Orders the shopper pays for, one after another.
    pub fn orders(mut self, n: u64) -> Self {
        self.orders = n;
        self
    }

    /// Tries per order (1: the shopper never retries).
    pub fn shopper_tries(mut self, n: u32) -> Self {
        self.tries = n;
        self
    }

    /// The simulation. Panics, naming it, on a probability outside `0.0..=1.0`.
    #[track_caller]
    pub fn sim(&self) -> Sim<Pay> {
        crate::setup::probabilities(&[("crash", self.crash), ("loss", self.loss)]);
        let net = Net::new()
            .delay(faultline::net::Delay::uniform(1.0, 5.0))
            .loss(self.loss);
        let Payments {
            keys,
            crash,
            orders,
            tries,
            ..
        } = *self;
        Sim::new(net)
            .node(move |_| PaymentService::new(keys, crash))
            .node(|_| CardNetwork::default())
            .client(move |_| Shopper::new(orders).attempts(tries))
            .names(["service", "card network", "shopper"])
    }
}

/// What happened to the money in one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Orders the shopper tried to pay for.
    pub orders: usize,
    /// Card charges actually made.
    pub charges: usize,
    /// Charges beyond the first for the same order (an order charged three times counts two).
    pub duplicates: usize,
    /// Orders charged at least once that the service never wrote down.
    pub unrecorded: usize,
    /// Orders the shopper was told were paid.
    pub confirmed: usize,
}

/// Compares the card network's charges with the service's records and the shopper's view.
pub fn ledger(run: &Run) -> Ledger {
    let charges: Vec<u64> = run.observed("charge").map(|o| o.value as u64).collect();
    let charged: BTreeSet<u64> = charges.iter().copied().collect();
    let recorded: BTreeSet<u64> = run.observed("recorded").map(|o| o.value as u64).collect();
    Ledger {
        orders: run.history.ops.len(),
        charges: charges.len(),
        duplicates: charges.len() - charged.len(),
        unrecorded: charged.difference(&recorded).count(),
        confirmed: run.history.ok().count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perfect_network_charges_once() {
        let l = ledger(&Payments::new().orders(50).sim().run(1));
        assert_eq!(
            l,
            Ledger {
                orders: 50,
                charges: 50,
                duplicates: 0,
                unrecorded: 0,
                confirmed: 50
            }
        );
    }

    #[test]
    fn retries_double_charge_without_keys_and_never_with_them() {
        let naive = ledger(
            &Payments::new()
                .crash(0.05)
                .loss(0.1)
                .orders(300)
                .sim()
                .run(2),
        );
        let keyed = ledger(
            &Payments::new()
                .idempotency_keys(true)
                .crash(0.05)
                .loss(0.1)
                .orders(300)
                .sim()
                .run(2),
        );
        assert!(naive.duplicates > 20, "{naive:?}");
        assert_eq!(keyed.duplicates, 0, "{keyed:?}");
        assert!(keyed.confirmed > 290, "{keyed:?}");
        assert!(keyed.charges <= 300);
    }
}

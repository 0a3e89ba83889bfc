//! `idempotency::payment`: a payment server that never charges a card twice, though it may
//! crash between any two steps. You write the whole server node.

use crate::harness::{Case, Exercise, Judge, Prop};
use crate::{crash_restarts, lock, Impls};
use faultline::prelude::*;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The payment server's node id.
pub const SERVER: NodeId = 0;
/// The card processor's node id.
pub const PROCESSOR: NodeId = 1;

/// Messages between clients, your server and the card processor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayMsg {
    /// Client → server: please charge `amount` for `order` (retried until answered).
    Pay { order: u64, amount: i64 },
    /// Server → client: the order was charged.
    Paid { order: u64 },
    /// Server → client: the card was declined; nothing was charged.
    Declined { order: u64 },
    /// Server → processor: open a payment intent for `order`. Creating one charges nothing.
    CreateIntent { order: u64, amount: i64 },
    /// Processor → server: the new intent's id.
    IntentCreated { order: u64, intent: u64 },
    /// Server → processor: charge intent `intent`. An intent is charged at most once, however
    /// many times it is confirmed; each confirmation is answered with the same result.
    Confirm { intent: u64 },
    /// Processor → server: the intent was charged (`charged`) or the card declined.
    Confirmed {
        order: u64,
        intent: u64,
        charged: bool,
    },
}

/// A node boxed by the grader (your `PaymentServer`).
pub struct Boxed(pub Box<dyn Node<PayMsg>>);

impl Node<PayMsg> for Boxed {
    fn on_start(&mut self, ctx: &mut Ctx<PayMsg>) {
        self.0.on_start(ctx)
    }
    fn on_message(&mut self, ctx: &mut Ctx<PayMsg>, from: NodeId, msg: PayMsg) {
        self.0.on_message(ctx, from, msg)
    }
    fn on_timer(&mut self, ctx: &mut Ctx<PayMsg>, tag: u64) {
        self.0.on_timer(ctx, tag)
    }
    fn on_recover(&mut self, ctx: &mut Ctx<PayMsg>) {
        self.0.on_recover(ctx)
    }
}

/// The learner's server, as the grader builds it (at the start and at every restart).
pub struct Bind {
    pub make: fn() -> Box<dyn Node<PayMsg>>,
}

/// Binds a module with `struct PaymentServer` (`new(processor)` and `impl Node<PayMsg>`).
#[macro_export]
macro_rules! bind_payment {
    ($($m:ident)::+) => {
        $crate::idempotency::payment::Bind {
            make: || Box::new(<$($m)::+::PaymentServer>::new($crate::idempotency::payment::PROCESSOR)),
        }
    };
}

#[derive(Default)]
struct Truth {
    /// order → amounts really charged.
    charges: BTreeMap<u64, Vec<i64>>,
    declined: BTreeMap<u64, u32>,
    /// order → answers its client received.
    answers: BTreeMap<u64, Vec<PayMsg>>,
    orders: BTreeMap<u64, i64>,
}

struct Intent {
    order: u64,
    amount: i64,
    result: Option<bool>,
}

/// The card processor: intents, charged at most once each. Declines amounts divisible by 7.
struct Processor {
    intents: Vec<Intent>,
    truth: Arc<Mutex<Truth>>,
}

impl Node<PayMsg> for Processor {
    fn on_message(&mut self, ctx: &mut Ctx<PayMsg>, from: NodeId, msg: PayMsg) {
        match msg {
            PayMsg::CreateIntent { order, amount } => {
                self.intents.push(Intent {
                    order,
                    amount,
                    result: None,
                });
                let intent = self.intents.len() as u64;
                ctx.send(from, PayMsg::IntentCreated { order, intent });
            }
            PayMsg::Confirm { intent } => {
                let Some(i) = (intent as usize)
                    .checked_sub(1)
                    .and_then(|k| self.intents.get_mut(k))
                else {
                    return;
                };
                let charged = *i.result.get_or_insert_with(|| {
                    let ok = i.amount % 7 != 0;
                    let mut t = lock(&self.truth);
                    if ok {
                        t.charges.entry(i.order).or_default().push(i.amount);
                    } else {
                        *t.declined.entry(i.order).or_default() += 1;
                    }
                    ok
                });
                let order = i.order;
                ctx.send(
                    from,
                    PayMsg::Confirmed {
                        order,
                        intent,
                        charged,
                    },
                );
            }
            _ => {}
        }
    }
}

/// A client: pays for its orders one after another, re-sending each `Pay` every 50 ms until
/// it is answered; sometimes sends it twice at once (a double click).
struct Client {
    orders: Vec<(u64, i64, bool)>,
    at: usize,
    epoch: u64,
    truth: Arc<Mutex<Truth>>,
}

impl Client {
    fn pay(&mut self, ctx: &mut Ctx<PayMsg>, first: bool) {
        if let Some(&(order, amount, twice)) = self.orders.get(self.at) {
            ctx.send(SERVER, PayMsg::Pay { order, amount });
            if first && twice {
                ctx.send(SERVER, PayMsg::Pay { order, amount });
            }
            self.epoch += 1;
            ctx.set_timer(ms(50), self.epoch);
        }
    }
}

impl Node<PayMsg> for Client {
    fn on_start(&mut self, ctx: &mut Ctx<PayMsg>) {
        self.pay(ctx, true);
    }
    fn on_message(&mut self, ctx: &mut Ctx<PayMsg>, _: NodeId, msg: PayMsg) {
        let (PayMsg::Paid { order } | PayMsg::Declined { order }) = msg else {
            return;
        };
        lock(&self.truth)
            .answers
            .entry(order)
            .or_default()
            .push(msg.clone());
        if self.orders.get(self.at).map(|o| o.0) == Some(order) {
            self.at += 1;
            self.pay(ctx, true);
        }
    }
    fn on_timer(&mut self, ctx: &mut Ctx<PayMsg>, tag: u64) {
        if tag == self.epoch {
            self.pay(ctx, false);
        }
    }
}

const PROPS: &[Prop] = &[
    Prop {
        name: "never-charged-twice",
        says: "no order's card is ever charged twice, whatever crashes, losses and retries happen",
    },
    Prop {
        name: "answers-match-charges",
        says: "a client is told Paid only if its order was charged, and Declined only if it was not",
    },
    Prop {
        name: "charges-the-order-amount",
        says: "the amount charged is the order's amount",
    },
    Prop {
        name: "every-order-settles",
        says: "every order whose client keeps retrying is eventually charged or declined, and the client told",
    },
];

/// The crash points, then the boundary schedules.
const SCHEDULES: &[&str] = &[
    "crash-after-step-1",
    "crash-after-step-2",
    "crash-after-step-3",
    "crash-after-step-4",
    "crash-after-step-5",
    "crash-after-step-6",
    "crash-after-step-7",
    "crash-after-step-8",
    "crash-after-step-9",
    "crash-after-step-10",
    "crash-after-step-11",
    "crash-after-step-12",
    "large-amounts",
    "many-clients",
];

pub fn exercise() -> Exercise {
    Exercise {
        id: "idempotency::payment",
        props: PROPS,
        schedules: SCHEDULES,
        seeds: 80,
        check,
    }
}

struct Setup {
    clients: Vec<Vec<(u64, i64, bool)>>,
    net: Net,
    faults: Faults,
}

fn setup(case: &Case) -> Setup {
    match case {
        // Amounts past 2^31, 2^32 and 2^53 cents, with a crash mid-payment.
        Case::Schedule("large-amounts") => Setup {
            clients: vec![vec![
                (1, 4_294_967_337, false),
                (2, 3_000_000_001, true),
                (3, (1 << 53) + 1, false),
            ]],
            net: Net::new().delay(Delay::constant(2.0)),
            faults: Faults::new()
                .at(Trigger::AfterDeliveries(5), FaultAction::Crash(SERVER))
                .restart_at(ms(100), SERVER),
        },
        // Twelve clients with five orders each, double clicks, two crashes.
        Case::Schedule("many-clients") => {
            let mut r = rng(trial_seed(0x9A7, 12));
            let clients = (0..12u64)
                .map(|c| {
                    (1..=5)
                        .map(|k| (c * 5 + k, r.random_range(1..100), r.random_bool(0.3)))
                        .collect()
                })
                .collect();
            Setup {
                clients,
                net: Net::new().delay(Delay::exponential(4.0).plus(1.0)),
                faults: Faults::new()
                    .crash_at(ms(15), SERVER)
                    .restart_at(ms(40), SERVER)
                    .crash_at(ms(90), SERVER)
                    .restart_at(ms(130), SERVER),
            }
        }
        Case::Schedule(name) => {
            // One client, three orders: the server crashes right after the k-th message delivery
            // of the run (1: Pay arrives, 2: CreateIntent, 3: IntentCreated, 4: Confirm, …).
            let k: u64 = name
                .rsplit('-')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(1);
            let faults = Faults::new()
                .at(Trigger::AfterDeliveries(k), FaultAction::Crash(SERVER))
                .restart_at(ms(100), SERVER);
            Setup {
                clients: vec![vec![(1, 40, false), (2, 14, false), (3, 25, true)]],
                net: Net::new().delay(Delay::constant(2.0)),
                faults,
            }
        }
        Case::Seed(_) => {
            let mut r = rng(trial_seed(0x9A7, case.seed()));
            let mut order = 0;
            let clients = (0..r.random_range(2..4))
                .map(|_| {
                    (0..r.random_range(2..5))
                        .map(|_| {
                            order += 1;
                            (order, r.random_range(1..100), r.random_bool(0.2))
                        })
                        .collect()
                })
                .collect();
            let faults = crash_restarts(&mut r, SERVER, 1..4, 5..200, 5..80);
            let net = Net::new()
                .delay(Delay::exponential(4.0).plus(1.0))
                .loss(0.05)
                .dup(0.05)
                .reorder(0.1);
            Setup {
                clients,
                net,
                faults,
            }
        }
    }
}

fn check(impls: &Impls, case: &Case, j: &mut Judge) {
    let s = setup(case);
    let truth = Arc::new(Mutex::new(Truth::default()));
    let make = impls.payment.make;
    let t = truth.clone();
    let mut sim = Sim::new(s.net)
        .node(move |_| Boxed(make()))
        .node(move |_| Processor {
            intents: Vec::new(),
            truth: t.clone(),
        });
    for orders in &s.clients {
        for &(o, a, _) in orders {
            lock(&truth).orders.insert(o, a);
        }
        let (orders, t) = (orders.clone(), truth.clone());
        sim = sim.client(move |_| Client {
            orders: orders.clone(),
            at: 0,
            epoch: 0,
            truth: t.clone(),
        });
    }
    let sim = sim.faults(s.faults).until(secs(20));
    // Schedules run traced, to name the message after which the server crashed.
    let last_handled = match case {
        Case::Schedule(name) if name.starts_with("crash-after-step-") => {
            let run = sim.run(case.seed());
            if crate::TRACING.load(std::sync::atomic::Ordering::Relaxed) {
                lock(&crate::TRACES).push(run.trace().to_string());
            }
            let k: usize = name
                .rsplit('-')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(1);
            let mut delivered: Vec<_> = run
                .trace()
                .messages
                .iter()
                .filter_map(|m| match m.fate {
                    faultline::trace::Fate::Delivered(at) => {
                        Some((at, m.id, m.to, m.label.clone()))
                    }
                    _ => None,
                })
                .collect();
            delivered.sort();
            delivered.get(k - 1).map(|(at, _, to, label)| {
                let who = if *to == SERVER {
                    "the server"
                } else if *to == PROCESSOR {
                    "the processor"
                } else {
                    "a client"
                };
                format!("{who} handled {label} at {at}")
            })
        }
        _ => {
            crate::simulate(&sim, case.seed());
            None
        }
    };
    let t = lock(&truth);
    let crash = match case {
        Case::Schedule("large-amounts") => {
            " (amounts past 2^31, 2^32 and 2^53; the server crashed after the run's 5th message delivery and restarted at 100 ms)".into()
        }
        Case::Schedule("many-clients") => {
            " (12 clients with 5 orders each; the server crashed at 15 ms and 90 ms, restarting each time)".into()
        }
        Case::Schedule(name) => format!(
            " (the server crashed right after the run's {} message delivery — {} — and restarted at 100 ms)",
            ordinal(name),
            last_handled.unwrap_or_default()
        ),
        Case::Seed(_) => " (the server crashed and restarted; messages were lost, duplicated and reordered)".into(),
    };
    for (&order, &amount) in &t.orders {
        let charges = t.charges.get(&order).cloned().unwrap_or_default();
        j.expect("never-charged-twice", charges.len() <= 1, || {
            format!("order {order} was charged {} times{crash}", charges.len())
        });
        if let Some(bad) = charges.iter().find(|&&a| a != amount) {
            j.fail(
                "charges-the-order-amount",
                format!("order {order} of {amount} was charged {bad}"),
            );
        }
        let answers = t.answers.get(&order).cloned().unwrap_or_default();
        for a in &answers {
            let ok = match a {
                PayMsg::Paid { .. } => !charges.is_empty(),
                _ => charges.is_empty(),
            };
            j.expect("answers-match-charges", ok, || {
                let state = if charges.is_empty() {
                    "was never charged"
                } else {
                    "was charged"
                };
                format!("order {order} {state}, but its client was told {a:?}{crash}")
            });
        }
        let settled = !charges.is_empty() || t.declined.contains_key(&order);
        j.expect(
            "every-order-settles",
            settled && !answers.is_empty(),
            || {
                let state = if settled {
                    "was settled"
                } else {
                    "was never charged nor declined"
                };
                format!(
                    "order {order} {state} and its client {} by the end (20 s){crash}",
                    if answers.is_empty() {
                        "never heard back"
                    } else {
                        "heard back"
                    }
                )
            },
        );
    }
}

fn ordinal(name: &str) -> String {
    match name.rsplit('-').next() {
        Some("1") => "1st".into(),
        Some("2") => "2nd".into(),
        Some("3") => "3rd".into(),
        Some("11") => "11th".into(),
        Some("12") => "12th".into(),
        Some(k) => format!("{k}th"),
        None => name.into(),
    }
}

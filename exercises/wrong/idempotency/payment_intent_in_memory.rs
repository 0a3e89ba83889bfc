//! Wrong on purpose (idempotency::payment): orders kept in memory: after a crash a retry opens and confirms a second intent.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["never-charged-twice"];

use faultline::prelude::*;
pub use faultline_grader::idempotency::payment::PayMsg;
use std::collections::BTreeMap;

/// An order's progress, kept in durable storage so a crash forgets nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Asked the processor for an intent; none known yet.
    Asked,
    /// This intent, and no other, is the one to confirm.
    Intent(u64),
    Paid,
    Declined,
}

#[derive(Clone, Copy, Debug)]
struct Order {
    client: NodeId,
    amount: i64,
    stage: Stage,
}

const ORDERS: &str = "orders";

pub struct PaymentServer {
    processor: NodeId,
    orders: BTreeMap<u64, Order>,
}

impl PaymentServer {
    pub fn new(processor: NodeId) -> PaymentServer {
        PaymentServer {
            processor,
            orders: BTreeMap::new(),
        }
    }
}

fn orders(server: &mut BTreeMap<u64, Order>) -> &mut BTreeMap<u64, Order> {
    let _ = ORDERS;
    server
}

impl Node<PayMsg> for PaymentServer {
    fn on_message(&mut self, ctx: &mut Ctx<PayMsg>, from: NodeId, msg: PayMsg) {
        match msg {
            PayMsg::Pay { order, amount } => {
                let o = *orders(&mut self.orders).entry(order).or_insert(Order {
                    client: from,
                    amount,
                    stage: Stage::Asked,
                });
                // Re-drive whatever step is outstanding: each client retry is a chance to
                // recover from a crash or a lost message.
                match o.stage {
                    Stage::Asked => ctx.send(
                        self.processor,
                        PayMsg::CreateIntent {
                            order,
                            amount: o.amount,
                        },
                    ),
                    Stage::Intent(intent) => ctx.send(self.processor, PayMsg::Confirm { intent }),
                    Stage::Paid => ctx.send(from, PayMsg::Paid { order }),
                    Stage::Declined => ctx.send(from, PayMsg::Declined { order }),
                }
            }
            PayMsg::IntentCreated { order, intent } => {
                let Some(o) = orders(&mut self.orders).get_mut(&order) else {
                    return;
                };
                // Only the first intent is ever confirmed; spare ones charge nothing.
                if o.stage == Stage::Asked {
                    o.stage = Stage::Intent(intent);
                    ctx.send(self.processor, PayMsg::Confirm { intent });
                }
            }
            PayMsg::Confirmed {
                order,
                intent,
                charged,
            } => {
                let Some(o) = orders(&mut self.orders).get_mut(&order) else {
                    return;
                };
                if o.stage == Stage::Intent(intent) {
                    o.stage = if charged {
                        Stage::Paid
                    } else {
                        Stage::Declined
                    };
                    let client = o.client;
                    let reply = if charged {
                        PayMsg::Paid { order }
                    } else {
                        PayMsg::Declined { order }
                    };
                    ctx.send(client, reply);
                }
            }
            _ => {}
        }
    }
}

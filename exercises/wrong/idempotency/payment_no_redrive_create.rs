//! Wrong on purpose (idempotency::payment): a retried Pay for an order still waiting for its intent does nothing: if the intent's creation was lost (a crash), the order is stuck.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["every-order-settles"];

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
}

impl PaymentServer {
    pub fn new(processor: NodeId) -> PaymentServer {
        PaymentServer { processor }
    }
}

fn orders<'s>(ctx: &'s mut Ctx<PayMsg>) -> &'s mut BTreeMap<u64, Order> {
    if ctx.storage().get::<BTreeMap<u64, Order>>(ORDERS).is_none() {
        ctx.storage().put(ORDERS, BTreeMap::<u64, Order>::new());
    }
    ctx.storage().get_mut(ORDERS).expect("just put")
}

impl Node<PayMsg> for PaymentServer {
    fn on_message(&mut self, ctx: &mut Ctx<PayMsg>, from: NodeId, msg: PayMsg) {
        match msg {
            PayMsg::Pay { order, amount } => {
                let new = !orders(ctx).contains_key(&order);
                let o = *orders(ctx).entry(order).or_insert(Order {
                    client: from,
                    amount,
                    stage: Stage::Asked,
                });
                // Re-drive whatever step is outstanding: each client retry is a chance to
                // recover from a crash or a lost message.
                match o.stage {
                    // Already asked: the intent is on its way.
                    Stage::Asked if !new => {}
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
                let Some(o) = orders(ctx).get_mut(&order) else {
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
                let Some(o) = orders(ctx).get_mut(&order) else {
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

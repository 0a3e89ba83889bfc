//! # idempotency::payment — difficulty 2
//!
//! Write a whole server node: clients send `Pay { order, amount }` (and re-send it every 50 ms
//! until they hear `Paid` or `Declined`). To take the money you talk to a card processor:
//!
//! 1. `CreateIntent { order, amount }` → `IntentCreated { order, intent }` — charges nothing;
//! 2. `Confirm { intent }` → `Confirmed { order, intent, charged }` — charges the card, at most
//!    once per intent however often you confirm it, and answers each confirmation the same way.
//!
//! Your server may crash between any two messages (memory lost; `ctx.storage()` kept) and the
//! network loses, duplicates and reorders messages. Whatever happens, no order may be charged
//! twice, clients must be told the truth, and every order must settle.
//!
//! Grade it: `cargo test -- idempotency::payment`. Hints: `cargo test -- --hint payment`.

use faultline::prelude::*;
pub use faultline_grader::idempotency::payment::PayMsg;

/// The payment server.
pub struct PaymentServer {
    // your fields (lost in a crash)
}

impl PaymentServer {
    /// A server that uses the card processor at node `processor`. Called at the start and
    /// again when the node restarts after a crash.
    pub fn new(processor: NodeId) -> PaymentServer {
        todo!()
    }
}

impl Node<PayMsg> for PaymentServer {
    /// A message from a client (`Pay`) or from the processor (`IntentCreated`, `Confirmed`).
    fn on_message(&mut self, ctx: &mut Ctx<PayMsg>, from: NodeId, msg: PayMsg) {
        todo!()
    }

    // Optional: `on_start`, `on_timer`, and `on_recover` (called after a restart instead of
    // `on_start`) — see `faultline::node::Node`.
}

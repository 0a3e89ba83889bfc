//! # idempotency::consumer — difficulty 3
//!
//! A message broker delivers every message *at least* once: it re-delivers whatever has not
//! been acknowledged, the network duplicates and reorders, and your consumer crashes (its acks,
//! sent in batches every 20 ms, may be lost with it). Make the effects happen *exactly* once,
//! and in order: stream `s`'s items must be appended to `s`'s table in `seq` order 1, 2, 3, …
//!
//! The broker sends each stream's 4 oldest unacknowledged messages, again every 40 ms until
//! each is acknowledged: a message that is never acknowledged holds up every one after it.
//!
//! The grader calls `recover` when the consumer starts and after every crash, and
//! `on_delivery` for every delivery. Everything you do to the `Db` in one call is durable and
//! atomic: a crash falls between deliveries, never inside one.
//!
//! Grade it: `cargo test -- idempotency::consumer`. Hints: `cargo test -- --hint consumer`.

pub use faultline_grader::idempotency::consumer::{Db, Delivery, Verdict};

/// The consumer.
pub struct Consumer {
    // your fields (lost in a crash)
}

impl Consumer {
    /// Builds the consumer at the start and after each crash; `db` holds what you stored.
    pub fn recover(db: &Db) -> Consumer {
        todo!()
    }

    /// One delivery. Apply its effect with `db.append(d.stream, d.item)` when (and only when)
    /// it is the next one of its stream; keep your bookkeeping with `db.get` / `db.set`.
    /// `Ack` when you are done with it, `Nack` to have it delivered again later.
    pub fn on_delivery(&mut self, db: &mut Db, d: Delivery) -> Verdict {
        todo!()
    }
}

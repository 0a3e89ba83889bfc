//! Topic: idempotency (notebook 11). An idempotency-key store, a crash-safe payment, an
//! exactly-once consumer.

pub mod consumer;
pub mod key_store;
pub mod payment;

//! Idempotency: a key store, a crash-safe payment, an exactly-once consumer. Taught in
//! notebooks/11-idempotency-and-sagas.ipynb.

pub mod consumer;
pub mod key_store;
pub mod payment;

//! # idempotency::key_store — difficulty 1
//!
//! Clients retry, networks duplicate: the same request reaches a server many times. An
//! *idempotency key* — chosen by the client, sent with every copy — lets the server execute the
//! request once and answer every copy with the same stored response.
//!
//! You write the store a simulated bank server uses. For every incoming request the server
//! calls `begin`; on `Begin::Execute` it runs the request (this takes a few milliseconds, during
//! which more copies may arrive, and a crash may interrupt it) and then calls `complete` with
//! the response. It calls `recover` when it starts and again after every crash: your struct's
//! fields are gone then, but whatever you put in `storage` survives.
//!
//! Grade it: `cargo test -- idempotency::key_store`. Hints: `cargo test -- --hint key_store`.

use faultline::prelude::*;
pub use faultline_grader::idempotency::key_store::{Begin, Request, Response};

/// The idempotency-key store.
pub struct KeyStore {
    // your fields (lost in a crash)
}

impl KeyStore {
    /// Builds the store when the server starts, and again after each crash.
    pub fn recover(storage: &mut Storage) -> KeyStore {
        todo!()
    }

    /// A request arrived from `client` with idempotency key `key`. Decide what to do:
    /// `Execute` a key this client never used; `Replay` the stored response of a finished one;
    /// `InProgress` while it is executing; `Conflict` if this client used this key for a
    /// different request. Keys of different clients are unrelated.
    pub fn begin(
        &mut self,
        storage: &mut Storage,
        client: NodeId,
        key: u64,
        request: &Request,
    ) -> Begin {
        todo!()
    }

    /// The request `(client, key)` finished with `response`: remember it for the retries.
    pub fn complete(
        &mut self,
        storage: &mut Storage,
        client: NodeId,
        key: u64,
        response: &Response,
    ) {
        todo!()
    }
}

//! Wrong on purpose (idempotency::key_store): keys the table by the client and key written one after the other (`format!("{client}{key}")`): client 1's key 12 and client 11's key 2 are the same entry.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["keys-per-client"];

use faultline::prelude::*;
pub use faultline_grader::idempotency::key_store::{Begin, Request, Response};
use std::collections::BTreeMap;

/// What the store knows about one (client, key).
enum Record {
    /// Begun, not finished: the request, to tell retries from reuse.
    Running(Request),
    Done(Request, Response),
}

type Table = BTreeMap<String, Record>;

/// The storage key of the table; everything lives in durable storage.
const KEYS: &str = "idempotency-keys";

pub struct KeyStore {}

fn table(storage: &mut Storage) -> &mut Table {
    if storage.get::<Table>(KEYS).is_none() {
        storage.put(KEYS, Table::new());
    }
    storage.get_mut::<Table>(KEYS).expect("just put")
}

impl KeyStore {
    pub fn recover(storage: &mut Storage) -> KeyStore {
        // Work that was running when we crashed never completed (the effect and `complete`
        // happen together): forget it so a retry can run it.
        table(storage).retain(|_, r| matches!(r, Record::Done(..)));
        KeyStore {}
    }

    pub fn begin(
        &mut self,
        storage: &mut Storage,
        client: NodeId,
        key: u64,
        request: &Request,
    ) -> Begin {
        let t = table(storage);
        match t.get(&format!("{client}{key}")) {
            None => {
                t.insert(format!("{client}{key}"), Record::Running(request.clone()));
                Begin::Execute
            }
            Some(Record::Running(r)) if r == request => Begin::InProgress,
            Some(Record::Done(r, response)) if r == request => Begin::Replay(response.clone()),
            Some(_) => Begin::Conflict,
        }
    }

    pub fn complete(
        &mut self,
        storage: &mut Storage,
        client: NodeId,
        key: u64,
        response: &Response,
    ) {
        let t = table(storage);
        if let Some(Record::Running(r)) = t.remove(&format!("{client}{key}")) {
            t.insert(format!("{client}{key}"), Record::Done(r, response.clone()));
        }
    }
}

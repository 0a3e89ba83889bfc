//! Wrong on purpose (idempotency::consumer): deduplicates by remembering every applied seq, but applies messages in whatever order they come.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["applies-in-order"];

pub use faultline_grader::idempotency::consumer::{Db, Delivery, Verdict};

pub struct Consumer {}

impl Consumer {
    pub fn recover(_db: &Db) -> Consumer {
        // Everything we need is the per-stream high-water mark, kept in the Db.
        Consumer {}
    }

    pub fn on_delivery(&mut self, db: &mut Db, d: Delivery) -> Verdict {
        let key = format!("seen/{}/{}", d.stream, d.seq);
        if db.get(&key).is_some() {
            // A duplicate or a redelivery: its effect is already in the table.
            Verdict::Ack
        } else if d.seq > 0 {
            // The effect and the mark, in one atomic step.
            db.append(d.stream, d.item);
            db.set(&key, 1);
            Verdict::Ack
        } else {
            // Early: an earlier message is missing. Have this one delivered again later.
            Verdict::Nack
        }
    }
}

//! Wrong on purpose (idempotency::consumer): keeps one high-water mark for all streams: a message of stream 1 whose seq another stream has already reached is taken for a duplicate.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["applies-everything"];

pub use faultline_grader::idempotency::consumer::{Db, Delivery, Verdict};

pub struct Consumer {}

impl Consumer {
    pub fn recover(_db: &Db) -> Consumer {
        // Everything we need is the per-stream high-water mark, kept in the Db.
        Consumer {}
    }

    pub fn on_delivery(&mut self, db: &mut Db, d: Delivery) -> Verdict {
        let key = "applied".to_string();
        let applied = db.get(&key).unwrap_or(0);
        if d.seq <= applied {
            // A duplicate or a redelivery: its effect is already in the table.
            Verdict::Ack
        } else if d.seq == applied + 1 {
            // The effect and the mark, in one atomic step.
            db.append(d.stream, d.item);
            db.set(&key, d.seq);
            Verdict::Ack
        } else {
            // Early: an earlier message is missing. Have this one delivered again later.
            Verdict::Nack
        }
    }
}

//! Wrong on purpose (idempotency::consumer): remembers each applied message under `format!("done/{stream}{seq}")`: stream 1's seq 12 and stream 11's seq 2 are the same record.

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
        // One record per applied message.
        let done = |stream: u32, seq: u64| format!("done/{stream}{seq}");
        if db.get(&done(d.stream, d.seq)).is_some() {
            // A duplicate or a redelivery: its effect is already in the table.
            Verdict::Ack
        } else if d.seq == 1 || db.get(&done(d.stream, d.seq - 1)).is_some() {
            // The effect and its record, in one atomic step.
            db.append(d.stream, d.item);
            db.set(&done(d.stream, d.seq), 1);
            Verdict::Ack
        } else {
            // Early: an earlier message is missing. Have this one delivered again later.
            Verdict::Nack
        }
    }
}

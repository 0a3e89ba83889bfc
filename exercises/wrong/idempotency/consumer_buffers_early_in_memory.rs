//! Wrong on purpose (idempotency::consumer): acknowledges an early message and keeps it in memory until the gap before it fills: a crash loses it, and the broker will not send it again.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["applies-everything"];

pub use faultline_grader::idempotency::consumer::{Db, Delivery, Verdict};

use std::collections::BTreeMap;

pub struct Consumer {
    /// Early messages, acknowledged, waiting for the gap before them.
    early: BTreeMap<(u32, u64), i64>,
}

impl Consumer {
    pub fn recover(_db: &Db) -> Consumer {
        // Everything we need is the per-stream high-water mark, kept in the Db.
        Consumer {
            early: BTreeMap::new(),
        }
    }

    pub fn on_delivery(&mut self, db: &mut Db, d: Delivery) -> Verdict {
        let key = format!("applied/{}", d.stream);
        let applied = db.get(&key).unwrap_or(0);
        if d.seq <= applied {
            // A duplicate or a redelivery: its effect is already in the table.
            Verdict::Ack
        } else if d.seq == applied + 1 {
            // The effect and the mark, in one atomic step.
            db.append(d.stream, d.item);
            db.set(&key, d.seq);
            // Apply the early ones that now follow.
            let mut next = d.seq + 1;
            while let Some(item) = self.early.remove(&(d.stream, next)) {
                db.append(d.stream, item);
                db.set(&key, next);
                next += 1;
            }
            Verdict::Ack
        } else {
            // Early: keep it until the gap fills, so the broker stops sending it.
            self.early.insert((d.stream, d.seq), d.item);
            Verdict::Ack
        }
    }
}

//! The operations on one key of a history, in the form the linearizability search orders
//! them, with their origin kept for explanations.

use super::wgl::{Entry, Step};
use crate::history::{client_name, History, Key, Op, OpKind, Outcome, Value};
use crate::time::Time;
use std::collections::{BTreeMap, BTreeSet};

/// The operations on one key, as the search sees them and as they were recorded.
pub(crate) struct KeyHistory<'h> {
    pub key: Key,
    /// The run's node names (see [`History::names`]).
    pub names: &'h [String],
    /// Every register operation on the key, failed ones included (explanations cite them).
    pub all: Vec<&'h Op>,
    /// What the search orders: one entry per operation that may have taken effect.
    pub entries: Vec<Entry>,
    /// `entries[i]` came from `all[origin[i]]`.
    pub origin: Vec<usize>,
}

impl<'h> KeyHistory<'h> {
    /// What the run called the client of `op`.
    pub fn name(&self, op: &Op) -> String {
        client_name(self.names, op.client)
    }

    /// Splits a history by key, in key order.
    pub fn split(history: &'h History) -> Vec<KeyHistory<'h>> {
        let mut by_key: BTreeMap<Key, KeyHistory<'h>> = BTreeMap::new();
        for op in &history.ops {
            let Some(key) = op.kind.key() else { continue };
            let kh = by_key.entry(key).or_insert_with(|| KeyHistory {
                key,
                names: &history.names,
                all: Vec::new(),
                entries: Vec::new(),
                origin: Vec::new(),
            });
            if let Some(e) = entry(op) {
                kh.entries.push(e);
                kh.origin.push(kh.all.len());
            }
            kh.all.push(op);
        }
        let mut keys: Vec<KeyHistory<'h>> = by_key.into_values().collect();
        for kh in &mut keys {
            kh.drop_unobserved_unknown_writes();
            kh.bound_sole_unknown_writers();
        }
        keys
    }

    /// An unknown write that is the only possible source of a value some successful operation
    /// observed must have taken effect before that operation returned: give it that deadline.
    /// Unbounded, it would stay "possible" until the end of the history and multiply the
    /// configurations the search visits; bounded, it costs no more than a successful write.
    fn bound_sole_unknown_writers(&mut self) {
        let mut writers: BTreeMap<Value, Vec<usize>> = BTreeMap::new();
        let mut deadline: BTreeMap<Value, Time> = BTreeMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            let observed = match e.step {
                Step::Write(v) => {
                    writers.entry(v).or_default().push(i);
                    None
                }
                Step::Cas { expected, new } => {
                    writers.entry(new).or_default().push(i);
                    Some(expected)
                }
                Step::Read(seen) => seen,
            };
            if let (Some(v), Some(ret)) = (observed, e.ret) {
                let d = deadline.entry(v).or_insert(ret);
                *d = (*d).min(ret);
            }
        }
        for (v, ws) in writers {
            let (&[w], Some(&by)) = (ws.as_slice(), deadline.get(&v)) else {
                continue;
            };
            let e = &mut self.entries[w];
            // Only strictly later deadlines: at or before the call, the search itself finds
            // the violation, under the usual tie rules.
            if e.ret.is_none() && by > e.call {
                e.ret = Some(by);
            }
        }
    }

    /// Drops unknown writes of values nobody observed. Taking effect could only leave the
    /// register holding a value no read or compare-and-set accepts until the next write, so
    /// leaving them out never loses a linearization — and each one left in would double the
    /// configurations the search may visit (it stays possible until the end of the history).
    fn drop_unobserved_unknown_writes(&mut self) {
        let observed: BTreeSet<Value> = self
            .entries
            .iter()
            .filter_map(|e| e.step.observed())
            .collect();
        let keep: Vec<bool> = self
            .entries
            .iter()
            .map(|e| {
                e.ret.is_some()
                    || match e.step {
                        Step::Write(v) | Step::Cas { new: v, .. } => observed.contains(&v),
                        Step::Read(_) => true,
                    }
            })
            .collect();
        let mut k = keep.iter();
        self.entries.retain(|_| *k.next().unwrap());
        let mut k = keep.iter();
        self.origin.retain(|_| *k.next().unwrap());
    }
}

/// How an operation enters the search, or `None` if it cannot have affected anything.
fn entry(op: &Op) -> Option<Entry> {
    let required = match op.outcome {
        Outcome::Ok(_) => true,
        Outcome::Unknown => false,
        Outcome::Fail => return None,
    };
    let step = match (&op.kind, &op.outcome) {
        (OpKind::Read { .. }, Outcome::Ok(seen)) => Step::Read(*seen),
        (OpKind::Read { .. }, _) => return None,
        (OpKind::Write { value, .. }, _) => Step::Write(*value),
        (OpKind::Cas { expected, new, .. }, _) => Step::Cas {
            expected: *expected,
            new: *new,
        },
        (OpKind::Other(_), _) => return None,
    };
    Some(Entry {
        step,
        call: op.invoked,
        ret: if required { op.completed } else { None },
        skippable: false,
    })
}

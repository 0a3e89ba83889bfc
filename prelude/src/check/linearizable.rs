//! Is a register / key-value history linearizable? Jepsen's semantics, checked key by key.
//!
//! A history is linearizable if every operation can be given one instant between its
//! invocation and its completion at which it took effect, such that the register, replayed in
//! that order, returns what every client was told. Per outcome:
//! - `Ok`: took effect inside its interval (reads must see the value then current).
//! - `Fail`: never took effect, so it is ignored (a visible failed write is a violation).
//! - `Unknown` or still pending: may have taken effect at any time after its invocation, or
//!   never. Unknown reads tell us nothing and are ignored.
//!
//! A register starts out never written (`None`), and a compare-and-set takes effect only when
//! the current value equals `expected`. `OpKind::Other` operations are ignored.
//!
//! Keys are independent registers, and linearizability is compositional (Herlihy & Wing), so
//! each key is checked on its own: a history of many keys costs the sum, not the product.
//!
//! Timing convention: an operation that completes at the same microsecond another begins counts
//! as finished first (a client that learns an outcome and sends its next request in the same
//! handler is sequential).

use super::explain::explain;
use super::wgl::{search, Budget, Entry, Found, Step};
use crate::history::{History, Key, Op, OpKind, Outcome, Value};
use crate::time::Time;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Search configurations explored per key before giving up with [`NotLinearizable::TooLarge`].
/// At a few microseconds and a few tens of bytes each, this bounds a hopeless check at a few
/// seconds and tens of MB; realistic histories need far fewer (200 operations from 5 clients
/// check in well under a millisecond in a release build).
pub const DEFAULT_BUDGET: u64 = 1_000_000;

/// Checks `history` with the default search budget. `Ok(())` means linearizable.
///
/// ```
/// use faultline::prelude::*;
/// use faultline::check::linearizable;
/// let mut h = History::default();
/// let w = h.invoke(1, OpKind::Write { key: 0, value: 1 }, ms(0));
/// h.complete(w, Outcome::Ok(None), ms(10));
/// let r = h.invoke(2, OpKind::Read { key: 0 }, ms(12));
/// h.complete(r, Outcome::Ok(None), ms(13)); // stale: the write had completed
/// let err = linearizable(&h).unwrap_err();
/// assert!(err.violation().is_some());
/// println!("{err}");
/// ```
pub fn linearizable(history: &History) -> Result<(), NotLinearizable> {
    linearizable_within(history, DEFAULT_BUDGET)
}

/// Checks `history`, exploring at most `budget` search configurations per key.
///
/// A real violation on any key is reported in preference to a key that ran out of budget. An
/// undecided check is an `Err` too, so `is_ok()` never passes a history nobody verified; use
/// [`NotLinearizable::is_undecided`] to tell the two apart.
pub fn linearizable_within(history: &History, budget: u64) -> Result<(), NotLinearizable> {
    let mut too_large = None;
    for kh in KeyHistory::split(history) {
        match search(&kh.entries, &mut Budget(budget)) {
            Found::Linearizable => {}
            Found::Violation => {
                return Err(NotLinearizable::Violation(Box::new(explain(&kh, budget))))
            }
            Found::OutOfBudget => {
                too_large.get_or_insert(TooLarge {
                    key: kh.key,
                    ops: kh.entries.len(),
                    budget,
                });
            }
        }
    }
    match too_large {
        Some(t) => Err(NotLinearizable::TooLarge(t)),
        None => Ok(()),
    }
}

/// Why a history was not shown linearizable.
#[derive(Clone, Debug, PartialEq)]
pub enum NotLinearizable {
    /// A definite violation, with the operations involved (boxed: it is large, and the happy
    /// path should not pay for it).
    Violation(Box<Violation>),
    /// Undecided: the search gave up. Neither a pass nor a proven violation.
    TooLarge(TooLarge),
}

impl NotLinearizable {
    /// The violation, if this is one (rather than an undecided search).
    pub fn violation(&self) -> Option<&Violation> {
        match self {
            NotLinearizable::Violation(v) => Some(v),
            NotLinearizable::TooLarge(_) => None,
        }
    }

    /// True if the search gave up rather than finding a violation.
    pub fn is_undecided(&self) -> bool {
        matches!(self, NotLinearizable::TooLarge(_))
    }
}

impl fmt::Display for NotLinearizable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotLinearizable::Violation(v) => v.fmt(f),
            NotLinearizable::TooLarge(t) => t.fmt(f),
        }
    }
}

impl std::error::Error for NotLinearizable {}

/// A definite linearizability violation on one key.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub key: Key,
    /// The first operation (by completion) that cannot take effect consistently with the ones
    /// before it: always a read or a successful compare-and-set.
    pub culprit: Op,
    /// The culprit and the operations it conflicts with, in invocation order.
    pub ops: Vec<Op>,
    /// What went wrong, in a learner's terms.
    pub explanation: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "not linearizable (key {}): {}",
            self.key, self.explanation
        )?;
        write!(f, "operations involved:")?;
        for op in &self.ops {
            let mark = if op.id == self.culprit.id { "→" } else { " " };
            write!(f, "\n {mark} {}", super::explain::line(op))?;
        }
        Ok(())
    }
}

/// The search ran out of budget on one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooLarge {
    pub key: Key,
    /// Operations on that key the search had to order.
    pub ops: usize,
    pub budget: u64,
}

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "undecided (key {}): ordering its {} operations needs more than {} search states; \
             check a shorter run, fewer concurrent clients or fewer unknown outcomes, or raise \
             the budget with linearizable_within",
            self.key, self.ops, self.budget
        )
    }
}

/// The operations on one key, as the search sees them and as they were recorded.
pub(crate) struct KeyHistory<'h> {
    pub key: Key,
    /// Every register operation on the key, failed ones included (explanations cite them).
    pub all: Vec<&'h Op>,
    /// What the search orders: one entry per operation that may have taken effect.
    pub entries: Vec<Entry>,
    /// `entries[i]` came from `all[origin[i]]`.
    pub origin: Vec<usize>,
}

impl<'h> KeyHistory<'h> {
    /// Splits a history by key, in key order.
    pub fn split(history: &'h History) -> Vec<KeyHistory<'h>> {
        let mut by_key: BTreeMap<Key, KeyHistory<'h>> = BTreeMap::new();
        for op in &history.ops {
            let Some(key) = op.kind.key() else { continue };
            let kh = by_key.entry(key).or_insert_with(|| KeyHistory {
                key,
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
            .filter_map(|e| match e.step {
                Step::Read(seen) => seen,
                Step::Cas { expected, .. } => Some(expected),
                Step::Write(_) => None,
            })
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

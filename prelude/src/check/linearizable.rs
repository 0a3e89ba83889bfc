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

use super::explain::{explain, Violation};
use super::key_history::KeyHistory;
use super::wgl::{search, Budget, Found};
use crate::history::{History, Key};
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

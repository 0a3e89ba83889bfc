//! Checkers: did a run do what it should? Each judges only what a user could observe — the
//! client history or the values nodes recorded — never node internals, and each failure says
//! what broke, when, and which operations or nodes were involved, in a learner's terms.
//!
//! | question | function |
//! |---|---|
//! | does the key-value history behave like one copy of each register? | [`linearizable`] |
//! | does a property hold at every moment / at some moment / at the end? | [`always`], [`eventually`], [`at_end`] |
//! | did every replica end with the same value? | [`converged`], [`converged_all`] |
//!
//! ```
//! use faultline::check::linearizable;
//! use faultline::prelude::*;
//! let h = History::default();
//! assert!(linearizable(&h).is_ok());
//! ```

mod convergence;
mod explain;
mod invariant;
mod key_history;
mod linearizable;
mod wgl;

pub use convergence::{converged, converged_all, Divergence};
pub use explain::Violation;
pub use invariant::{always, at_end, eventually, Expected, InvariantFailure, View};
pub use linearizable::{
    linearizable, linearizable_within, NotLinearizable, TooLarge, DEFAULT_BUDGET,
};

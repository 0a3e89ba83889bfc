//! User invariants over what nodes recorded: `always`, `eventually` and `at_end`.
//!
//! Nodes call `ctx.record("leader", 1.0)`; a predicate looks at a [`View`] — the latest value
//! every node recorded under every name, as of one instant — and says whether the property
//! holds. The view is rebuilt instant by instant (several records in the same microsecond count
//! as one step), so a failure can name the first instant, and the records, that broke it.
//!
//! ```
//! use faultline::check::always;
//! use faultline::prelude::*;
//! let obs = vec![
//!     Observation { at: ms(1), node: 0, key: "leader".into(), value: 1.0 },
//!     Observation { at: ms(5), node: 2, key: "leader".into(), value: 1.0 },
//! ];
//! let err = always(&obs, "at most one leader", |v| v.count("leader", |x| x == 1.0) <= 1)
//!     .unwrap_err();
//! assert_eq!(err.at, ms(5));
//! println!("{err}"); // ... broke at 5.000ms, when n2 recorded leader = 1; ...
//! ```

use crate::node::Observation;
use crate::time::Time;
use crate::trace::NodeId;
use std::collections::BTreeMap;
use std::fmt;

/// At most this many values are shown in a failure message.
const MAX_SHOWN: usize = 20;

/// The latest value each node recorded under each name, as of one instant.
#[derive(Clone, Debug, Default)]
pub struct View<'a> {
    at: Time,
    latest: BTreeMap<(&'a str, NodeId), f64>,
}

impl<'a> View<'a> {
    /// The instant this view describes.
    pub fn at(&self) -> Time {
        self.at
    }

    /// The latest value `node` recorded under `key`.
    pub fn get(&self, node: NodeId, key: &str) -> Option<f64> {
        self.latest.get(&(key, node)).copied()
    }

    /// Every node's latest value under `key`, in node order.
    pub fn values<'s>(&'s self, key: &'s str) -> impl Iterator<Item = (NodeId, f64)> + 's {
        self.latest
            .range((key, 0)..=(key, NodeId::MAX))
            .map(|(&(_, node), &v)| (node, v))
    }

    /// How many nodes' latest value under `key` satisfies `pred`.
    pub fn count(&self, key: &str, pred: impl Fn(f64) -> bool) -> usize {
        self.values(key).filter(|&(_, v)| pred(v)).count()
    }

    fn apply(&mut self, o: &'a Observation) {
        self.at = o.at;
        self.latest.insert((o.key.as_str(), o.node), o.value);
    }

    /// (node, key, value) triples, limited to `keys` if given.
    fn snapshot(&self, keys: Option<&[&str]>) -> Vec<(NodeId, String, f64)> {
        self.latest
            .iter()
            .filter(|((k, _), _)| keys.is_none_or(|ks| ks.contains(k)))
            .map(|(&(k, node), &v)| (node, k.to_string(), v))
            .collect()
    }
}

/// Which kind of property failed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Expected {
    /// `always`: held until `at`, then broke.
    Always,
    /// `eventually`: held at no instant.
    Eventually,
    /// `at_end`: did not hold once everything was recorded.
    AtEnd,
}

/// A property that did not hold, with when and the values that broke it.
#[derive(Clone, Debug, PartialEq)]
pub struct InvariantFailure {
    /// The name given to the property.
    pub name: String,
    pub expected: Expected,
    /// The first instant it was false (`always`), or the last instant checked.
    pub at: Time,
    /// For `always`: the records made at `at` that broke it.
    pub cause: Vec<Observation>,
    /// The values (node, key, value) at `at`: for `always`, every node's value under the keys
    /// just recorded; otherwise all of them.
    pub values: Vec<(NodeId, String, f64)>,
    /// Node names by id, so the message calls nodes what the run called them (`Run::always`
    /// fills them in); empty: nodes are shown as `n<id>`.
    pub names: Vec<String>,
}

impl InvariantFailure {
    /// The same failure, naming nodes as `names` (by id) does.
    pub fn with_names(self, names: &[String]) -> InvariantFailure {
        InvariantFailure {
            names: names.to_vec(),
            ..self
        }
    }

    fn node(&self, id: NodeId) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("n{id}"))
    }
}

impl fmt::Display for InvariantFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = &self.name;
        match self.expected {
            Expected::Always => {
                write!(f, "invariant \"{name}\" broke at {}", self.at)?;
                let causes: Vec<String> = self
                    .cause
                    .iter()
                    .map(|o| format!("{} recorded {} = {}", self.node(o.node), o.key, o.value))
                    .collect();
                if !causes.is_empty() {
                    write!(f, ", when {}", causes.join(" and "))?;
                }
                write!(f, "; values then: ")?;
            }
            Expected::Eventually => write!(
                f,
                "\"{name}\" never held (checked up to {}); final values: ",
                self.at
            )?,
            Expected::AtEnd => write!(
                f,
                "\"{name}\" did not hold at the end ({}); final values: ",
                self.at
            )?,
        }
        if self.values.is_empty() {
            return write!(f, "nothing recorded");
        }
        let shown: Vec<String> = self
            .values
            .iter()
            .take(MAX_SHOWN)
            .map(|(node, key, v)| format!("{} {key} = {v}", self.node(*node)))
            .collect();
        write!(f, "{}", shown.join(", "))?;
        if self.values.len() > MAX_SHOWN {
            write!(f, ", … ({} more)", self.values.len() - MAX_SHOWN)?;
        }
        Ok(())
    }
}

impl std::error::Error for InvariantFailure {}

/// Calls `f` with the view after each instant at which something was recorded, and that
/// instant's records, until `f` returns `false`. Returns the view where it stopped.
fn each_instant<'a>(
    observations: &'a [Observation],
    mut f: impl FnMut(&View<'a>, &'a [Observation]) -> bool,
) -> View<'a> {
    let mut view = View::default();
    let mut rest = observations;
    while let Some(first) = rest.first() {
        let n = rest.iter().take_while(|o| o.at == first.at).count();
        let (now, later) = rest.split_at(n);
        rest = later;
        now.iter().for_each(|o| view.apply(o));
        if !f(&view, now) {
            break;
        }
    }
    view
}

/// `pred` holds after every instant at which something was recorded. Fails at the first
/// instant it does not, naming the records made then. Observations must be in time order (as
/// `Run::observations` are).
pub fn always(
    observations: &[Observation],
    name: &str,
    mut pred: impl FnMut(&View) -> bool,
) -> Result<(), InvariantFailure> {
    let mut broke: Option<&[Observation]> = None;
    let view = each_instant(observations, |view, now| {
        let holds = pred(view);
        if !holds {
            broke = Some(now);
        }
        holds
    });
    let Some(now) = broke else { return Ok(()) };
    let keys: Vec<&str> = now.iter().map(|o| o.key.as_str()).collect();
    Err(InvariantFailure {
        name: name.to_string(),
        expected: Expected::Always,
        at: view.at,
        cause: now.to_vec(),
        values: view.snapshot(Some(&keys)),
        names: Vec::new(),
    })
}

/// `pred` holds at some instant (the empty start counts); returns the first such instant.
pub fn eventually(
    observations: &[Observation],
    name: &str,
    mut pred: impl FnMut(&View) -> bool,
) -> Result<Time, InvariantFailure> {
    if pred(&View::default()) {
        return Ok(Time::ZERO);
    }
    let mut held = false;
    let view = each_instant(observations, |view, _| {
        held = pred(view);
        !held
    });
    if held {
        Ok(view.at)
    } else {
        Err(final_failure(name, Expected::Eventually, &view))
    }
}

/// `pred` holds once everything has been recorded.
pub fn at_end(
    observations: &[Observation],
    name: &str,
    pred: impl FnOnce(&View) -> bool,
) -> Result<(), InvariantFailure> {
    let view = each_instant(observations, |_, _| true);
    if pred(&view) {
        Ok(())
    } else {
        Err(final_failure(name, Expected::AtEnd, &view))
    }
}

fn final_failure(name: &str, expected: Expected, view: &View) -> InvariantFailure {
    InvariantFailure {
        name: name.to_string(),
        expected,
        at: view.at,
        cause: Vec::new(),
        values: view.snapshot(None),
        names: Vec::new(),
    }
}

//! Convergence: at the end of a run, did every replica settle on the same value?
//!
//! Eventual consistency promises only this — once updates stop and messages get through, all
//! replicas agree — so it is judged on the last value each node recorded under a name.
//!
//! ```
//! use faultline::check::converged;
//! use faultline::prelude::*;
//! let obs = vec![
//!     Observation { at: ms(1), node: 0, key: "x".into(), value: 3.0 },
//!     Observation { at: ms(2), node: 1, key: "x".into(), value: 2.0 },
//!     Observation { at: ms(3), node: 1, key: "x".into(), value: 3.0 },
//! ];
//! assert_eq!(converged(&obs, "x", &[0, 1]), Ok(3.0));
//! let err = converged(&obs, "x", &[0, 1, 2]).unwrap_err();
//! assert_eq!(err.to_string(), "replicas did not converge on \"x\": n0 = 3, n1 = 3, n2 never recorded it");
//! ```

use crate::node::Observation;
use crate::trace::NodeId;
use std::collections::BTreeMap;
use std::fmt;

/// Replicas that ended with different values (or none).
#[derive(Clone, Debug, PartialEq)]
pub struct Divergence {
    pub key: String,
    /// Each node's last value under `key`, in node order; `None` if it never recorded one.
    pub finals: Vec<(NodeId, Option<f64>)>,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.finals.is_empty() {
            return write!(f, "no node recorded \"{}\"", self.key);
        }
        let each: Vec<String> = self
            .finals
            .iter()
            .map(|(node, v)| match v {
                Some(v) => format!("n{node} = {v}"),
                None => format!("n{node} never recorded it"),
            })
            .collect();
        write!(
            f,
            "replicas did not converge on \"{}\": {}",
            self.key,
            each.join(", ")
        )
    }
}

impl std::error::Error for Divergence {}

/// Every node's last value under `key`.
fn finals(observations: &[Observation], key: &str) -> BTreeMap<NodeId, f64> {
    observations
        .iter()
        .filter(|o| o.key == key)
        .map(|o| (o.node, o.value))
        .collect()
}

fn agreed(key: &str, finals: Vec<(NodeId, Option<f64>)>) -> Result<f64, Divergence> {
    let first = finals.first().and_then(|(_, v)| *v);
    match first {
        Some(v) if finals.iter().all(|(_, x)| *x == Some(v)) => Ok(v),
        _ => Err(Divergence {
            key: key.to_string(),
            finals,
        }),
    }
}

/// The last values `nodes` recorded under `key` are all equal (and exist): returns that value.
pub fn converged(
    observations: &[Observation],
    key: &str,
    nodes: &[NodeId],
) -> Result<f64, Divergence> {
    let last = finals(observations, key);
    let mut nodes = nodes.to_vec();
    nodes.sort_unstable();
    nodes.dedup();
    agreed(
        key,
        nodes.iter().map(|n| (*n, last.get(n).copied())).collect(),
    )
}

/// Like [`converged`], over every node that recorded `key` at least once.
pub fn converged_all(observations: &[Observation], key: &str) -> Result<f64, Divergence> {
    agreed(
        key,
        finals(observations, key)
            .into_iter()
            .map(|(n, v)| (n, Some(v)))
            .collect(),
    )
}

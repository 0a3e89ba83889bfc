//! Quorum arithmetic, and checks on the quorums a run actually used.
//!
//! A replicated register is safe when every read quorum shares a node with every write quorum
//! (the read then sees the latest write) and every two write quorums share a node (writes are
//! ordered by someone who saw both). With `n` replicas, reads from `r` and writes to `w`, that
//! is `r + w > n` and `w > n / 2` — strictly: `r + w = n` lets a read miss a write entirely.
//!
//! ```
//! use faultline_lab::quorum::*;
//! assert_eq!(majority(5), 3);
//! assert_eq!(crash_tolerance(5), 2);
//! assert_eq!(byzantine_tolerance(4), 1);
//! assert!(quorums_overlap(5, 2, 4).is_ok());
//! let err = quorums_overlap(4, 2, 2).unwrap_err();
//! println!("{err}"); // R + W = 2 + 2 = 4 is not more than N = 4: a read from {2, 3} ...
//! assert!(check_quorums(&[vec![0, 1]], &[vec![1, 2], vec![2, 0]]).is_ok());
//! ```

use faultline::trace::NodeId;
use std::fmt;

/// The smallest majority of `n` nodes: `n / 2 + 1`.
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}

/// How many crashed nodes `n` nodes can tolerate while a majority stays up: `f` with
/// `n ≥ 2f + 1`.
pub fn crash_tolerance(n: usize) -> usize {
    n.saturating_sub(1) / 2
}

/// How many byzantine (lying) nodes `n` nodes can tolerate: `f` with `n ≥ 3f + 1`.
pub fn byzantine_tolerance(n: usize) -> usize {
    n.saturating_sub(1) / 3
}

/// Nodes needed to tolerate `f` crashes: `2f + 1`.
pub fn nodes_for_crashes(f: usize) -> usize {
    2 * f + 1
}

/// Nodes needed to tolerate `f` byzantine nodes: `3f + 1`.
pub fn nodes_for_byzantine(f: usize) -> usize {
    3 * f + 1
}

/// Do two node sets share a node?
pub fn intersects(a: &[NodeId], b: &[NodeId]) -> bool {
    a.iter().any(|x| b.contains(x))
}

/// Which two quorums can miss each other.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Pair {
    /// A read quorum and a write quorum: the read can return a stale value.
    ReadWrite,
    /// Two write quorums: concurrent writes are not ordered by any common node.
    WriteWrite,
}

/// Why quorums are unsafe, with two quorums that share no node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuorumError {
    /// A size outside `1..=n`.
    Invalid {
        param: &'static str,
        value: usize,
        n: usize,
    },
    /// Sizes for which two quorums can be disjoint; `first` and `second` are an example.
    Sizes {
        pair: Pair,
        n: usize,
        r: usize,
        w: usize,
        first: Vec<NodeId>,
        second: Vec<NodeId>,
    },
    /// Two quorums a run used that share no node, by their index in the lists given.
    Used {
        pair: Pair,
        first_index: usize,
        first: Vec<NodeId>,
        second_index: usize,
        second: Vec<NodeId>,
    },
}

fn set(nodes: &[NodeId]) -> String {
    let names: Vec<String> = nodes.iter().map(|n| n.to_string()).collect();
    format!("{{{}}}", names.join(", "))
}

impl fmt::Display for QuorumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuorumError::Invalid { param, value, n } => {
                write!(f, "invalid `{param}` = {value}: accepted 1..={n} (N = {n})")
            }
            QuorumError::Sizes {
                pair: Pair::ReadWrite,
                n,
                r,
                w,
                first,
                second,
            } => write!(
                f,
                "R + W = {r} + {w} = {} is not more than N = {n}: a read from {} can miss a \
                 write to {} entirely and return a stale value",
                r + w,
                set(first),
                set(second)
            ),
            QuorumError::Sizes {
                pair: Pair::WriteWrite,
                n,
                w,
                first,
                second,
                ..
            } => write!(
                f,
                "W = {w} is not more than N / 2 (N = {n}): writes to {} and to {} share no \
                 node, so neither is ordered after the other",
                set(first),
                set(second)
            ),
            QuorumError::Used {
                pair,
                first_index,
                first,
                second_index,
                second,
            } => {
                let (a, b) = match pair {
                    Pair::ReadWrite => ("read", "write"),
                    Pair::WriteWrite => ("write", "write"),
                };
                write!(
                    f,
                    "{a} quorum #{first_index} {} and {b} quorum #{second_index} {} share no node",
                    set(first),
                    set(second)
                )
            }
        }
    }
}

impl std::error::Error for QuorumError {}

/// Must every read quorum of `r` nodes meet every write quorum of `w` nodes, and every two
/// write quorums meet, among `n` nodes? Fails with two quorums that miss each other.
pub fn quorums_overlap(n: usize, r: usize, w: usize) -> Result<(), QuorumError> {
    for (param, value) in [("r", r), ("w", w)] {
        if value == 0 || value > n {
            return Err(QuorumError::Invalid { param, value, n });
        }
    }
    let sizes = |pair, first: Vec<NodeId>, second: Vec<NodeId>| QuorumError::Sizes {
        pair,
        n,
        r,
        w,
        first,
        second,
    };
    if r + w <= n {
        // Writes take the first w nodes, reads the last r: disjoint since r + w ≤ n.
        return Err(sizes(
            Pair::ReadWrite,
            (n - r..n).collect(),
            (0..w).collect(),
        ));
    }
    if 2 * w <= n {
        return Err(sizes(
            Pair::WriteWrite,
            (0..w).collect(),
            (n - w..n).collect(),
        ));
    }
    Ok(())
}

/// Checks the quorums a run actually used: every read quorum meets every write quorum, and
/// every two write quorums meet. Fails with the first pair (in list order) sharing no node.
pub fn check_quorums<R: AsRef<[NodeId]>, W: AsRef<[NodeId]>>(
    reads: &[R],
    writes: &[W],
) -> Result<(), QuorumError> {
    let used = |pair, i: usize, a: &[NodeId], j: usize, b: &[NodeId]| QuorumError::Used {
        pair,
        first_index: i,
        first: a.to_vec(),
        second_index: j,
        second: b.to_vec(),
    };
    for (i, rq) in reads.iter().enumerate() {
        for (j, wq) in writes.iter().enumerate() {
            if !intersects(rq.as_ref(), wq.as_ref()) {
                return Err(used(Pair::ReadWrite, i, rq.as_ref(), j, wq.as_ref()));
            }
        }
    }
    for (i, a) in writes.iter().enumerate() {
        for (j, b) in writes.iter().enumerate().skip(i + 1) {
            if !intersects(a.as_ref(), b.as_ref()) {
                return Err(used(Pair::WriteWrite, i, a.as_ref(), j, b.as_ref()));
            }
        }
    }
    Ok(())
}

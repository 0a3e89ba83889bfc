//! # quorums::arithmetic — difficulty 1
//!
//! A quorum is a set of nodes big enough that any two of them share a node: whatever one
//! quorum decided, the next one hears about it. The grader checks each answer against an
//! exhaustive search over sets of nodes, for cluster sizes from 1 to a few hundred.
//!
//! Grade it: `cargo test -- quorums::arithmetic`. Hints: `cargo test -- --hint arithmetic`.

/// The smallest quorum size among `n ≥ 1` nodes such that any two quorums share a node.
pub fn majority(n: usize) -> usize {
    todo!()
}

/// How many of `n ≥ 1` nodes may crash while the survivors still form a majority of `n`.
pub fn tolerated_crashes(n: usize) -> usize {
    todo!()
}

/// The fewest nodes that keep a majority through `f` crashes.
pub fn nodes_for_crashes(f: usize) -> usize {
    todo!()
}

/// The fewest nodes such that, with `f` of them lying (Byzantine), any two quorums of `n - f`
/// nodes share at least `f + 1` nodes — so at least one honest node.
pub fn nodes_for_byzantine(f: usize) -> usize {
    todo!()
}

/// Whether every read quorum of `r` nodes meets every write quorum of `w` nodes among `n`.
/// Sizes of 0 or above `n` are impossible quorums: answer `false`.
pub fn quorums_overlap(n: usize, r: usize, w: usize) -> bool {
    todo!()
}

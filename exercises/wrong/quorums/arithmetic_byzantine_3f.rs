//! Wrong on purpose (quorums::arithmetic): 3f nodes for f Byzantine faults: two quorums of 2f may share only f nodes,
//! all of them liars.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["byzantine-nodes"];

pub fn majority(n: usize) -> usize {
    n / 2 + 1
}

pub fn tolerated_crashes(n: usize) -> usize {
    n - majority(n)
}

pub fn nodes_for_crashes(f: usize) -> usize {
    2 * f + 1
}

pub fn nodes_for_byzantine(f: usize) -> usize {
    3 * f
}

pub fn quorums_overlap(n: usize, r: usize, w: usize) -> bool {
    (1..=n).contains(&r) && (1..=n).contains(&w) && r + w > n
}

//! Wrong on purpose (quorums::arithmetic): R + W > N checked, but sizes above n are accepted (a quorum of n + 1 nodes
//! does not exist).

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["read-write-overlap"];

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
    3 * f + 1
}

pub fn quorums_overlap(n: usize, r: usize, w: usize) -> bool {
    r >= 1 && w >= 1 && r + w > n
}

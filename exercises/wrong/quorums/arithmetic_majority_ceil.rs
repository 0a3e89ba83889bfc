//! Wrong on purpose (quorums::arithmetic): a majority as the rounded-up half, ceil(n / 2): for even n that is exactly
//! half, and two halves can be disjoint.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["majority", "tolerated-crashes"];

pub fn majority(n: usize) -> usize {
    n.div_ceil(2)
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
    (1..=n).contains(&r) && (1..=n).contains(&w) && r + w > n
}

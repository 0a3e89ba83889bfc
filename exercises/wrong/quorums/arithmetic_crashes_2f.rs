//! Wrong on purpose (quorums::arithmetic): 2f nodes for f crash faults: f crashed leaves exactly half, no majority.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["crash-fault-nodes"];

pub fn majority(n: usize) -> usize {
    n / 2 + 1
}

pub fn tolerated_crashes(n: usize) -> usize {
    n - majority(n)
}

pub fn nodes_for_crashes(f: usize) -> usize {
    2 * f
}

pub fn nodes_for_byzantine(f: usize) -> usize {
    3 * f + 1
}

pub fn quorums_overlap(n: usize, r: usize, w: usize) -> bool {
    (1..=n).contains(&r) && (1..=n).contains(&w) && r + w > n
}

//! Wrong on purpose (quorums::arithmetic): tolerated crashes as n / 2, one too many for even n.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["tolerated-crashes"];

pub fn majority(n: usize) -> usize {
    n / 2 + 1
}

pub fn tolerated_crashes(n: usize) -> usize {
    n / 2
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

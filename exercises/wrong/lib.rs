//! Deliberately wrong implementations. Each file copies a reference solution, breaks one
//! thing, and says in `MUST_FAIL` which properties the grader must then fail — exactly those.
//! The self-check (`grader/tests/selfcheck.rs`) grades every one; [`corpus`] lists them.

pub mod retries {}
pub mod idempotency {}
pub mod quorums {}

/// Every wrong implementation with the grade it got: see the self-check.
pub fn corpus() -> Vec<(
    &'static str,
    &'static str,
    &'static [&'static str],
    Vec<&'static str>,
    String,
)> {
    vec![]
}

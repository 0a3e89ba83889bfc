//! The grader is this crate's test suite: every property of every exercise holds for the
//! reference solutions. cargo-mutants (`scripts/mutants`) mutates the solutions and runs this;
//! a mutant that still passes is a mistake the grader would let through.

use faultline_grader::harness::grade;
use faultline_grader::{exercises, impls};

#[test]
fn the_grader_accepts_the_reference_solutions() {
    let impls = impls!(faultline_solutions);
    let all = exercises();
    let mut problems = String::new();
    for r in grade(&impls, &all.iter().collect::<Vec<_>>(), None) {
        for p in &r.props {
            if let Some(f) = &p.failure {
                problems += &format!("\n  {} / {} ({}): {}", r.id, p.prop.name, f.case, f.message);
            }
        }
    }
    assert!(problems.is_empty(), "the grader rejects:{problems}");
}

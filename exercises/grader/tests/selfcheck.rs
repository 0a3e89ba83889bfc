//! The grader's self-check (rustlings' `dev check`, for a grader): the reference solutions
//! pass every property, the untouched stubs fail every exercise with "not implemented yet",
//! and each deliberately wrong implementation fails exactly the properties it is annotated
//! with. Runs in the workspace's `cargo test` and in `scripts/test.d/20-exercises.sh`.

#[path = "../../src/lib.rs"]
mod stubs;

#[path = "../../solutions/lib.rs"]
mod solutions;

#[path = "../../wrong/lib.rs"]
#[macro_use]
mod wrong;

use faultline_grader::harness::{grade, Kind};
use faultline_grader::{exercises, impls, info, Impls};

/// Grades `id` with `impls`; returns the names of the failing properties and a report.
fn failing(impls: &Impls, id: &str) -> (Vec<&'static str>, String) {
    let all = exercises();
    let ex = all.iter().find(|e| e.id == id).expect("known exercise");
    let r = grade(impls, &[ex], None).remove(0);
    let mut report = String::new();
    let names = r
        .props
        .iter()
        .filter_map(|p| {
            p.failure.as_ref().map(|f| {
                report += &format!("\n    {} ({}): {}", p.prop.name, f.case, f.message);
                p.prop.name
            })
        })
        .collect();
    (names, report)
}

#[test]
fn reference_solutions_pass_every_property() {
    let impls = impls!(solutions);
    let all = exercises();
    let results = grade(&impls, &all.iter().collect::<Vec<_>>(), None);
    let mut problems = String::new();
    for r in &results {
        for p in &r.props {
            if let Some(f) = &p.failure {
                problems += &format!("\n  {} / {} ({}): {}", r.id, p.prop.name, f.case, f.message);
            }
        }
    }
    assert!(problems.is_empty(), "reference solutions fail:{problems}");
}

#[test]
fn untouched_stubs_fail_every_exercise_as_not_implemented() {
    let impls = impls!(stubs);
    let all = exercises();
    for r in grade(&impls, &all.iter().collect::<Vec<_>>(), None) {
        assert_eq!(r.passed(), 0, "{}: a stub passes a property", r.id);
        for p in &r.props {
            let f = p.failure.as_ref().expect("failed");
            assert_eq!(
                f.kind,
                Kind::NotImplemented,
                "{} / {}: {}",
                r.id,
                p.prop.name,
                f.message
            );
            let file = &info::get(r.id).expect("in info.toml").file;
            assert!(
                f.message.starts_with("not implemented yet") && f.message.contains(file.as_str()),
                "{}: message should name {file}: {}",
                r.id,
                f.message
            );
        }
    }
}

/// Every wrong implementation: `(exercise id, field of Impls, module, properties it must fail)`.
macro_rules! corpus {
    ($( $id:literal, $field:ident, $bind:ident, $($m:ident)::+ ;)*) => {
        vec![$( {
            let impls = Impls { $field: faultline_grader::$bind!($($m)::+), ..impls!(solutions) };
            let (names, report) = failing(&impls, $id);
            ($id, stringify!($($m)::+), $($m)::+::MUST_FAIL, names, report)
        } ),*]
    };
}

#[test]
fn each_wrong_implementation_fails_exactly_its_properties() {
    let results = for_each_wrong!(corpus);
    let mut problems = String::new();
    for (id, module, must, got, report) in &results {
        let mut want = must.to_vec();
        want.sort_unstable();
        let mut have = got.clone();
        have.sort_unstable();
        if want != have {
            problems += &format!("\n  {module} ({id}): annotated {want:?}, fails {have:?}{report}");
        }
    }
    assert!(
        problems.is_empty(),
        "wrong implementations not caught as annotated:{problems}"
    );
    // FAULTLINE_SELFCHECK_SHOW=1 prints what the grader tells each one (to review feedback).
    if std::env::var_os("FAULTLINE_SELFCHECK_SHOW").is_some() {
        for (id, module, _, _, report) in &results {
            println!("{module} ({id}):{report}");
        }
    }
    println!(
        "{} wrong implementations each fail exactly their annotated properties",
        results.len()
    );
}

#[test]
fn info_toml_and_the_grader_agree() {
    let names: Vec<&str> = exercises().iter().map(|e| e.id).collect();
    let listed: Vec<&str> = info::all().iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names, listed,
        "info.toml lists the grader's exercises in the grader's order"
    );
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for i in info::all() {
        assert!(i.hints.len() >= 2, "{}: at least two hint levels", i.name);
        assert!(
            root.join(&i.file).is_file(),
            "{}: {} exists",
            i.name,
            i.file
        );
        assert!(
            root.join("..").join(&i.notebook).is_file(),
            "{}: notebook {} exists",
            i.name,
            i.notebook
        );
        let solution = root.join(i.file.replace("src/", "solutions/"));
        assert!(
            solution.is_file(),
            "{}: {} exists",
            i.name,
            solution.display()
        );
    }
}

#[test]
fn grading_twice_gives_the_same_grade() {
    // Scores must never flicker: same code, same cases, same verdicts and messages.
    let impls = Impls {
        call: faultline_grader::bind_call!(wrong::retries::call_unknown_as_failed),
        key_store: faultline_grader::bind_key_store!(wrong::idempotency::key_store_memory_only),
        replicas: faultline_grader::bind_replicas!(wrong::quorums::replicas_first_reply),
        ..impls!(solutions)
    };
    let all = exercises();
    let grade_once = || {
        grade(&impls, &all.iter().collect::<Vec<_>>(), None)
            .iter()
            .flat_map(|r| {
                r.props.iter().map(|p| {
                    let f = p.failure.as_ref();
                    (
                        r.id,
                        p.prop.name,
                        f.map(|f| (f.case.clone(), f.message.clone())),
                    )
                })
            })
            .collect::<Vec<_>>()
    };
    let first = grade_once();
    assert!(
        first.iter().any(|(_, _, f)| f.is_some()),
        "the wrong modules fail"
    );
    assert_eq!(first, grade_once());
}

//! What a grade looks like: the terminal report, `grade.json`, and `grades.csv` in the shape of
//! nbgrader's export (one row per exercise, so an instructor can merge a class's files).

use crate::harness::{ExerciseResult, Failure, Kind};
use crate::info;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// How the grade was asked for, for the report's wording.
pub struct Context<'a> {
    /// The replay flag if one case was replayed (`--seed 17`).
    pub replay: Option<String>,
    /// The exercise filter as typed, if any.
    pub filter: Option<&'a str>,
    pub student: String,
    pub timestamp: String,
}

fn hint_line(id: &str) -> String {
    let levels = info::get(id).map_or(0, |i| i.hints.len());
    format!(
        "Stuck? `cargo test -- --hint {id}` shows hint 1 of {levels}; run it again for the next."
    )
}

fn not_implemented_line(f: &Failure) -> String {
    f.message.clone()
}

/// The terminal report.
pub fn text(results: &[ExerciseResult], ctx: &Context) -> String {
    let mut out = String::new();
    let single = results.len() == 1;
    let mut topic = String::new();
    for r in results {
        let meta = info::get(r.id);
        if let Some(m) = meta {
            if m.topic != topic {
                topic = m.topic.clone();
                let _ = writeln!(out, "\n{topic}  (taught in {})", m.notebook);
            }
        }
        let total = r.props.len();
        let mark = if r.complete() { "✓" } else { "✗" };
        let stub = r.not_implemented().filter(|_| r.passed() == 0);
        match stub {
            Some(f) => {
                let _ = writeln!(
                    out,
                    "  {mark} {:<26} 0/{total}  {}",
                    r.id,
                    not_implemented_line(f)
                );
            }
            None => {
                let _ = writeln!(out, "  {mark} {:<26} {}/{total}", r.id, r.passed());
                if single || !r.complete() {
                    for p in &r.props {
                        let m = if p.passed() { "✓" } else { "✗" };
                        let _ = writeln!(out, "      {m} {} — {}", p.prop.name, p.prop.says);
                    }
                }
            }
        }
    }
    let passed: usize = results.iter().map(|r| r.passed()).sum();
    let total: usize = results.iter().map(|r| r.props.len()).sum();
    let done = results.iter().filter(|r| r.complete()).count();
    let _ = writeln!(
        out,
        "\nScore: {passed}/{total} properties · {done}/{} exercises complete",
        results.len()
    );
    if let Some(flag) = &ctx.replay {
        let _ = writeln!(out, "(replayed one case: {flag})");
    }
    match results.iter().find(|r| !r.complete()) {
        None => {
            let _ = writeln!(out, "Every property holds on every case. Well done.");
        }
        Some(r) => {
            let (prop, f) = r
                .first_failure()
                .expect("an incomplete exercise has a failure");
            let _ = writeln!(out, "\nFirst failure: {} — {}", r.id, prop.name);
            if f.kind == Kind::NotImplemented && r.passed() == 0 {
                let _ = writeln!(out, "  {}", not_implemented_line(f));
                if let Some(m) = info::get(r.id) {
                    let _ = writeln!(out, "  The exercise: {}", m.summary);
                }
                let _ = writeln!(out, "  Grade just this one: `cargo test -- {}`", r.id);
            } else {
                let _ = writeln!(out, "  Property: {}", prop.says);
                let what = match f.kind {
                    Kind::Broken => "What happened",
                    Kind::Panicked => "Your code panicked",
                    Kind::NotImplemented => "Not implemented yet",
                    Kind::Crashed => "The grade was cut short",
                    Kind::TimedOut => "Stopped",
                };
                let _ = writeln!(out, "  {what} ({}): {}", f.case, f.message);
                let _ = writeln!(
                    out,
                    "  Replay exactly this case: `cargo test -- {} {}` (add --trace to see every message)",
                    r.id,
                    f.case.flag()
                );
            }
            let _ = writeln!(out, "  {}", hint_line(r.id));
        }
    }
    out
}

/// A failure kind's name in `grade.json`.
pub fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Broken => "broken",
        Kind::NotImplemented => "not-implemented",
        Kind::Panicked => "panicked",
        Kind::Crashed => "crashed",
        Kind::TimedOut => "timed-out",
    }
}

/// The kind a [`kind_name`] names.
pub fn kind_from_name(name: &str) -> Option<Kind> {
    [
        Kind::Broken,
        Kind::NotImplemented,
        Kind::Panicked,
        Kind::Crashed,
        Kind::TimedOut,
    ]
    .into_iter()
    .find(|k| kind_name(*k) == name)
}

/// `grade.json`: per exercise, per property, the first failing case and its message.
pub fn json(results: &[ExerciseResult], ctx: &Context) -> Value {
    let exercises: Vec<Value> = results
        .iter()
        .map(|r| {
            let props: Vec<Value> = r
                .props
                .iter()
                .map(|p| {
                    let mut v = json!({
                        "name": p.prop.name,
                        "says": p.prop.says,
                        "status": if p.passed() { "pass" } else { "fail" },
                        "cases": p.cases,
                    });
                    if let Some(f) = &p.failure {
                        v["kind"] = json!(kind_name(f.kind));
                        v["case"] = json!(f.case.to_string());
                        v["seed"] = match f.case {
                            crate::Case::Seed(s) => json!(s),
                            crate::Case::Schedule(_) => Value::Null,
                        };
                        v["replay"] = json!(format!("cargo test -- {} {}", r.id, f.case.flag()));
                        v["message"] = json!(f.message);
                    }
                    v
                })
                .collect();
            let meta = info::get(r.id);
            json!({
                "name": r.id,
                "topic": meta.map(|m| m.topic.clone()),
                "difficulty": meta.map(|m| m.difficulty),
                "score": r.passed(),
                "max_score": r.props.len(),
                "status": if r.complete() { "pass" } else { "fail" },
                "properties": props,
            })
        })
        .collect();
    let mut v = json!({
        "student_id": ctx.student,
        "timestamp": ctx.timestamp,
        "filter": ctx.filter,
        "replay": ctx.replay,
        "score": results.iter().map(|r| r.passed()).sum::<usize>(),
        "max_score": results.iter().map(|r| r.props.len()).sum::<usize>(),
        "exercises": exercises,
    });
    mark_complete(&mut v);
    v
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Folds a new grade into the previous `grade.json`: the exercises just graded replace their
/// old entries, the others keep theirs, so grading one exercise at a time still leaves a
/// complete file. Totals are recomputed; order follows `info.toml`.
pub fn merge(previous: Option<Value>, new: Value) -> Value {
    let mut merged = new.clone();
    let Some(old) = previous.and_then(|p| p["exercises"].as_array().cloned()) else {
        return merged;
    };
    let fresh = new["exercises"].as_array().cloned().unwrap_or_default();
    let mut all: Vec<Value> = info::all()
        .iter()
        .filter_map(|i| {
            let pick = |list: &[Value]| list.iter().find(|e| e["name"] == i.name.as_str()).cloned();
            pick(&fresh).or_else(|| pick(&old))
        })
        .collect();
    all.retain(|e| e.is_object());
    let total = |key: &str| {
        all.iter()
            .map(|e| e[key].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    merged["score"] = json!(total("score"));
    merged["max_score"] = json!(total("max_score"));
    merged["exercises"] = json!(all);
    mark_complete(&mut merged);
    merged
}

/// Sets `"complete"`: true only when every exercise of `info.toml` has a grade (pass or fail)
/// from a finished run — so a missing, interrupted or partial grade never reads as whole.
fn mark_complete(grade: &mut Value) {
    let list = grade["exercises"].as_array().cloned().unwrap_or_default();
    let complete = info::all().iter().all(|i| {
        list.iter().any(|e| {
            e["name"] == i.name.as_str() && (e["status"] == "pass" || e["status"] == "fail")
        })
    });
    grade["complete"] = json!(complete);
}

/// The entries a grade starts from while `chosen` are being graded: status "not-graded",
/// score 0. Written before any learner code runs; replaced only by a finished run.
pub fn not_graded(chosen: &[&crate::Exercise]) -> Value {
    let exercises: Vec<Value> = chosen
        .iter()
        .map(|e| {
            json!({
                "name": e.id,
                "score": 0,
                "max_score": e.props.len(),
                "status": "not-graded",
                "message": "not graded: the grading run was interrupted, crashed or is still running",
                "properties": [],
            })
        })
        .collect();
    let mut v = json!({
        "student_id": Value::Null,
        "timestamp": utc_now(),
        "score": 0,
        "max_score": chosen.iter().map(|e| e.props.len()).sum::<usize>(),
        "exercises": exercises,
    });
    mark_complete(&mut v);
    v
}

/// Gradescope's `results.json` from a grade: one test per property (1 point each), named
/// `exercise — property`, with the failure and its replay command as output; an exercise
/// without a grade is one failed test worth all its points.
pub fn gradescope(grade: &Value) -> Value {
    let mut tests = Vec::new();
    for e in grade["exercises"].as_array().into_iter().flatten() {
        let name = e["name"].as_str().unwrap_or_default();
        let props = e["properties"].as_array().cloned().unwrap_or_default();
        if props.is_empty() {
            tests.push(json!({
                "name": format!("{name} — not graded"),
                "score": 0,
                "max_score": e["max_score"],
                "status": "failed",
                "output": e["message"].as_str().unwrap_or("not graded"),
                "visibility": "visible",
            }));
        }
        for p in props {
            let passed = p["status"] == "pass";
            let output = if passed {
                format!("✓ {}", p["says"].as_str().unwrap_or_default())
            } else {
                format!(
                    "✗ {}\n{} ({}): {}\nReplay: {}",
                    p["says"].as_str().unwrap_or_default(),
                    p["kind"].as_str().unwrap_or_default(),
                    p["case"].as_str().unwrap_or_default(),
                    p["message"].as_str().unwrap_or_default(),
                    p["replay"].as_str().unwrap_or_default(),
                )
            };
            tests.push(json!({
                "name": format!("{name} — {}", p["name"].as_str().unwrap_or_default()),
                "score": u8::from(passed),
                "max_score": 1,
                "status": if passed { "passed" } else { "failed" },
                "output": output,
                "visibility": "visible",
            }));
        }
    }
    let complete = grade["complete"].as_bool().unwrap_or(false);
    json!({
        "output": if complete {
            format!("Score: {}/{} properties", grade["score"], grade["max_score"])
        } else {
            "The grade is incomplete: some exercises were not graded (see below).".to_string()
        },
        "visibility": "visible",
        "stdout_visibility": "visible",
        "tests": tests,
    })
}

/// `grades.csv` from a `grade.json`: nbgrader's columns, one row per exercise (nbgrader's
/// "assignment"), so an instructor can concatenate a class's files.
pub fn csv(grade: &Value) -> String {
    let mut out = String::from(
        "assignment,duedate,timestamp,student_id,last_name,first_name,email,raw_score,late_submission_penalty,score,max_score\n",
    );
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    for e in grade["exercises"].as_array().into_iter().flatten() {
        let score = e["score"].as_u64().unwrap_or(0) as f64;
        let _ = writeln!(
            out,
            "{},,{},{},,,,{score:.1},0.0,{score:.1},{:.1}",
            csv_field(&text(&e["name"])),
            csv_field(&text(&grade["timestamp"])),
            csv_field(&text(&grade["student_id"])),
            e["max_score"].as_u64().unwrap_or(0) as f64
        );
    }
    out
}

/// Now as `YYYY-MM-DD HH:MM:SS UTC` (nbgrader's timestamp column), without a date library.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

//! The grade cannot be forged, ended early or left stale by learner code (issue 16, item 5),
//! and the grade files every class tool reads are well formed.
//!
//! This binary plays two parts. Run by `cargo test`, it is the *driver*: it runs itself as a
//! learner's grade binary (`FORGERY_IMPL=<mode>`, `FAULTLINE_GRADE=1`) whose `retries::backoff`
//! misbehaves in one way per mode, and checks the exit code and the grade files. Run with
//! `FORGERY_IMPL`, it *is* that grade binary (and, re-executed by the supervisor, its children).

#[path = "../../solutions/lib.rs"]
mod solutions;

use faultline::prelude::*;
use faultline_grader::retries::backoff::{Backoff, Bind};
use faultline_grader::{impls, Impls};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// Exits "successfully" in the middle of the grade.
fn exits_zero(_: &Backoff, _: u32, _: &mut Rng) -> Time {
    std::process::exit(0)
}

/// Writes a perfect grade where the grader keeps it, and a forged result line, then exits 0.
fn writes_fake_grade(_: &Backoff, _: u32, _: &mut Rng) -> Time {
    let dir = PathBuf::from(std::env::var("FAULTLINE_GRADE_DIR").expect("grade dir"));
    let fake = r#"{"score": 44, "max_score": 44, "complete": true, "exercises": []}"#;
    std::fs::write(dir.join("grade.json"), fake).expect("write");
    std::fs::write(dir.join("results.json"), r#"{"tests": [], "score": 100}"#).expect("write");
    println!(
        "\u{1}faultline-grade 0123456789abcdef0123456789abcdef result {{\"id\":\"retries::backoff\"}}"
    );
    std::process::exit(0)
}

/// Never returns.
fn hangs(_: &Backoff, _: u32, _: &mut Rng) -> Time {
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Aborts the process.
fn aborts(_: &Backoff, _: u32, _: &mut Rng) -> Time {
    std::process::abort()
}

fn learner(mode: &str) -> Impls {
    let delay = match mode {
        "exit0" => exits_zero,
        "fake-grade" => writes_fake_grade,
        "hang" => hangs,
        "abort" => aborts,
        _ => solutions::retries::backoff::delay,
    };
    Impls {
        backoff: Bind { delay },
        ..impls!(solutions)
    }
}

/// One forgery check: `Err` says what went wrong.
type Check = fn() -> Result<(), String>;

fn main() -> ExitCode {
    if let Ok(mode) = std::env::var("FORGERY_IMPL") {
        return faultline_grader::main(learner(&mode));
    }
    let checks: &[(&str, Check)] = &[
        (
            "solutions pass, and every grade format parses",
            solutions_pass,
        ),
        ("process::exit(0) in learner code is a failed grade", || {
            forged("exit0", "crashed", "exit code 0")
        }),
        (
            "a fake grade.json written by learner code is overwritten",
            || forged("fake-grade", "crashed", "exit code 0"),
        ),
        ("a hang is stopped and failed", || {
            forged("hang", "timed-out", "without finishing")
        }),
        ("an abort is a failed grade", || {
            forged("abort", "crashed", "signal 6")
        }),
        (
            "a killed grading run leaves no stale pass",
            killed_run_is_not_a_pass,
        ),
    ];
    let mut failed = 0;
    for (name, check) in checks {
        match check() {
            Ok(()) => println!("forgery: ok — {name}"),
            Err(e) => {
                failed += 1;
                println!("forgery: FAILED — {name}: {e}");
            }
        }
    }
    for name in [
        "solutions",
        "exit0",
        "fake-grade",
        "hang",
        "abort",
        "killed",
    ] {
        let _ = std::fs::remove_dir_all(scratch_path(name));
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn scratch_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("forgery-{name}-{}", std::process::id()))
}

fn scratch(name: &str) -> PathBuf {
    let dir = scratch_path(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn grade_command(mode: &str, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("exe"));
    cmd.args(args)
        .env("FORGERY_IMPL", mode)
        .env("FAULTLINE_GRADE", "1")
        .env("FAULTLINE_GRADE_DIR", dir)
        .env("FAULTLINE_STUDENT", "forger")
        .env("FAULTLINE_CASE_TIMEOUT", "1.5")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cmd
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Grades the reference solutions for real: exit 0, a complete grade, and all four formats.
fn solutions_pass() -> Result<(), String> {
    let dir = scratch("solutions");
    let out = grade_command("solutions", &dir, &[])
        .output()
        .map_err(|e| e.to_string())?;
    let log = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("solutions should pass, got {}:\n{log}", out.status));
    }
    let grade = read_json(&dir.join("grade.json"))?;
    expect(grade["complete"] == true, "grade.json says complete")?;
    expect(grade["score"] == grade["max_score"], "full score")?;
    check_formats(&dir, &grade)
}

/// Each class format carries the same grade: Gradescope's `results.json`, nbgrader's
/// `grades.csv`, and the GitHub Classroom config lists every exercise.
fn check_formats(dir: &Path, grade: &Value) -> Result<(), String> {
    let gs = read_json(&dir.join("results.json"))?;
    let tests = gs["tests"].as_array().ok_or("results.json has tests")?;
    let mut sum = 0.0;
    for t in tests {
        for key in ["name", "status", "output", "visibility"] {
            expect(
                t[key].is_string(),
                &format!("results.json test has {key}: {t}"),
            )?;
        }
        expect(
            t["status"] == "passed" || t["status"] == "failed",
            "status is passed or failed",
        )?;
        sum += t["score"].as_f64().ok_or("score")?;
        expect(t["max_score"].as_f64().is_some(), "max_score")?;
    }
    expect(
        gs.get("score").is_none(),
        "results.json lets Gradescope sum the tests",
    )?;
    expect(
        sum == grade["score"].as_f64().unwrap_or(-1.0),
        "results.json tests sum to grade.json's score",
    )?;
    let csv = std::fs::read_to_string(dir.join("grades.csv")).map_err(|e| e.to_string())?;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    expect(
        header.len() == 11 && header[0] == "assignment",
        "nbgrader header",
    )?;
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    expect(rows.len() == 9, "one CSV row per exercise")?;
    expect(
        rows.iter().all(|r| r.len() == 11 && r[3] == "forger"),
        "CSV rows",
    )?;
    let classroom =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../classroom/autograding.json");
    let cl = read_json(&classroom)?;
    let listed = cl["tests"].as_array().ok_or("autograding.json has tests")?;
    for (e, t) in faultline_grader::exercises().iter().zip(listed) {
        expect(
            t["name"] == e.id,
            &format!("autograding.json lists {}", e.id),
        )?;
        expect(
            t["points"].as_u64() == Some(e.props.len() as u64),
            "points = properties",
        )?;
        let run = t["run"].as_str().unwrap_or_default();
        expect(
            run.contains(&format!("cargo test -- {}", e.id)),
            "run grades that exercise",
        )?;
    }
    expect(listed.len() == 9, "autograding.json lists every exercise")
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    ok.then_some(()).ok_or_else(|| format!("expected: {what}"))
}

/// Grades a misbehaving backoff after a full pass: the exit code is non-zero and the grade
/// files say the exercise failed with `kind`, the message naming the cause.
fn forged(mode: &str, kind: &str, cause: &str) -> Result<(), String> {
    let dir = scratch(mode);
    let ok = grade_command("solutions", &dir, &[]).output();
    expect(
        ok.is_ok_and(|o| o.status.success()),
        "a first, passing grade",
    )?;
    let started = Instant::now();
    let out = grade_command(mode, &dir, &[])
        .output()
        .map_err(|e| e.to_string())?;
    let log = String::from_utf8_lossy(&out.stdout);
    expect(
        !out.status.success(),
        &format!("a non-zero exit, got {}:\n{log}", out.status),
    )?;
    expect(
        started.elapsed() < Duration::from_secs(20),
        "the grade finishes promptly",
    )?;
    let grade = read_json(&dir.join("grade.json"))?;
    let backoff = &grade["exercises"][0];
    expect(backoff["name"] == "retries::backoff", "backoff first")?;
    expect(
        backoff["status"] == "fail",
        &format!("backoff failed: {backoff}"),
    )?;
    let p = &backoff["properties"][0];
    expect(p["kind"] == kind, &format!("kind {kind}: {p}"))?;
    let message = p["message"].as_str().unwrap_or_default();
    expect(
        message.contains(cause),
        &format!("message names `{cause}`: {message}"),
    )?;
    expect(
        grade["score"] == 40,
        &format!("the other 40 points stand: {}", grade["score"]),
    )?;
    expect(grade["complete"] == true, "every exercise graded")?;
    expect(
        log.contains("✗ retries::backoff"),
        "the report shows the failure",
    )?;
    let gs = read_json(&dir.join("results.json"))?;
    expect(gs.get("score").is_none(), "results.json is the grader's")?;
    check_formats(&dir, &grade)
}

/// A grading run killed while learner code hangs leaves grade.json marked not graded, not the
/// previous pass.
fn killed_run_is_not_a_pass() -> Result<(), String> {
    let dir = scratch("killed");
    let ok = grade_command("solutions", &dir, &[]).output();
    expect(
        ok.is_ok_and(|o| o.status.success()),
        "a first, passing grade",
    )?;
    let mut child = grade_command("hang", &dir, &[])
        .env("FAULTLINE_CASE_TIMEOUT", "60")
        .spawn()
        .map_err(|e| e.to_string())?;
    std::thread::sleep(Duration::from_millis(1_500));
    let _ = child.kill();
    let _ = child.wait();
    let grade = read_json(&dir.join("grade.json"))?;
    expect(grade["complete"] == false, &format!("incomplete: {grade}"))?;
    expect(grade["score"] == 0, "no score stands while ungraded")?;
    let backoff = &grade["exercises"][0];
    expect(
        backoff["status"] == "not-graded",
        &format!("not graded: {backoff}"),
    )?;
    expect(!dir.join("results.json").exists(), "no stale results.json")?;
    expect(!dir.join("grades.csv").exists(), "no stale grades.csv")
}

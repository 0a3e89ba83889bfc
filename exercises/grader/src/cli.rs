//! `cargo test -- [EXERCISE|TOPIC]… [--seed N | --case NAME [--trace]] [--hint [EXERCISE]] [--list]`.
//!
//! Environment: `FAULTLINE_SEED=N` (as `--seed`), `FAULTLINE_HINT=L` (show hint level L),
//! `FAULTLINE_GRADE_DIR` (where grade.json and grades.csv go; default `exercises/grade/`),
//! `FAULTLINE_STUDENT` (the CSV's student id; default `$USER`).

use crate::harness::{Case, Exercise, ExerciseResult};
use crate::report::{self, Context};
use crate::{exercises, info, supervise, Impls};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

struct Args {
    filters: Vec<String>,
    case: Option<Case>,
    hint: Option<Option<String>>,
    list: bool,
    trace: bool,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        filters: Vec::new(),
        case: None,
        hint: None,
        list: false,
        trace: false,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seed" => {
                let v = args.next().ok_or("--seed needs a number")?;
                let s = v.parse().map_err(|_| format!("--seed {v}: not a number"))?;
                a.case = Some(Case::Seed(s));
            }
            "--case" => {
                let v = args.next().ok_or("--case needs a schedule name")?;
                let name = exercises()
                    .iter()
                    .flat_map(|e| e.schedules.iter())
                    .find(|s| **s == v)
                    .copied()
                    .ok_or(format!("no hand-written schedule is called `{v}`"))?;
                a.case = Some(Case::Schedule(name));
            }
            "--hint" => {
                let next = args.next_if(|n| !n.starts_with('-'));
                a.hint = Some(next);
            }
            "--list" => a.list = true,
            "--trace" => a.trace = true,
            // Flags cargo or habit may pass to a test binary: harmless here.
            "--quiet" | "-q" | "--nocapture" | "--show-output" | "--test-threads" | "--color" => {
                if matches!(arg.as_str(), "--test-threads" | "--color") {
                    args.next();
                }
            }
            s if s.starts_with('-') => {
                return Err(format!(
                    "unknown flag {s}; try: cargo test -- retries::call --seed 3 [--trace], --case NAME, --hint retries::call, --list"
                ))
            }
            _ => a.filters.push(arg),
        }
    }
    if a.case.is_none() {
        if let Ok(v) = std::env::var("FAULTLINE_SEED") {
            let s = v
                .parse()
                .map_err(|_| format!("FAULTLINE_SEED={v}: not a number"))?;
            a.case = Some(Case::Seed(s));
        }
    }
    Ok(a)
}

fn grade_dir() -> PathBuf {
    if let Ok(d) = std::env::var("FAULTLINE_GRADE_DIR") {
        return PathBuf::from(d);
    }
    let base =
        std::env::var("CARGO_MANIFEST_DIR").map_or_else(|_| PathBuf::from("."), PathBuf::from);
    base.join("grade")
}

/// Which exercises the filters select: an exact id, a topic, or any part of an id.
fn select<'e>(all: &'e [Exercise], filters: &[String]) -> Result<Vec<&'e Exercise>, String> {
    if filters.is_empty() {
        return Ok(all.iter().collect());
    }
    let chosen: Vec<&Exercise> = all
        .iter()
        .filter(|e| {
            filters
                .iter()
                .any(|f| e.id == f || e.id.contains(f.as_str()))
        })
        .collect();
    if chosen.is_empty() {
        let names: Vec<&str> = all.iter().map(|e| e.id).collect();
        return Err(format!(
            "no exercise matches {filters:?}; the exercises are: {}",
            names.join(", ")
        ));
    }
    Ok(chosen)
}

fn show_hint(which: Option<String>, dir: &std::path::Path) -> Result<(), String> {
    let state_file = dir.join("hints.json");
    let mut seen: BTreeMap<String, usize> = std::fs::read_to_string(&state_file)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let name = match which {
        Some(n) => n,
        None => last_incomplete(dir).unwrap_or_else(|| info::all()[0].name.clone()),
    };
    let meta = info::all()
        .iter()
        .find(|i| i.name == name || i.name.ends_with(&format!("::{name}")))
        .ok_or(format!("no exercise is called `{name}`"))?;
    let levels = meta.hints.len();
    let level = match std::env::var("FAULTLINE_HINT")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        Some(l) => l.clamp(1, levels),
        None => (seen.get(&meta.name).copied().unwrap_or(0) + 1).min(levels),
    };
    println!(
        "{} — {}\n  edit {}; taught in {}\n",
        meta.name, meta.summary, meta.file, meta.notebook
    );
    for (i, h) in meta.hints.iter().enumerate().take(level) {
        println!("Hint {} of {levels}: {h}\n", i + 1);
    }
    if level < levels {
        println!(
            "Run the same command again for hint {} (or set FAULTLINE_HINT=N).",
            level + 1
        );
    } else {
        println!("That was the last hint. The grader's properties for this exercise are in grader/src/{}.rs.", meta.name.replace("::", "/"));
    }
    seen.insert(meta.name.clone(), level);
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(
        &state_file,
        serde_json::to_string_pretty(&seen).unwrap_or_default(),
    );
    Ok(())
}

fn last_incomplete(dir: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("grade.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["exercises"]
        .as_array()?
        .iter()
        .find(|e| e["status"] == "fail")
        .and_then(|e| e["name"].as_str().map(str::to_string))
}

/// The learner's `cargo test`: grade (each exercise in a supervised child process, see
/// [`supervise`]), print, write `grade.json`, `grades.csv` and Gradescope's `results.json`.
pub fn main(impls: Impls) -> ExitCode {
    if let Ok(id) = std::env::var(supervise::CHILD_ENV) {
        return supervise::child_main(impls, &id);
    }
    if std::env::var_os("FAULTLINE_GRADE").is_none() {
        println!(
            "faultline-exercises: grading skipped (the stubs fail by design).\n\
             To grade your work: cd exercises && cargo test   (see exercises/README.md)"
        );
        return ExitCode::SUCCESS;
    }
    match run(impls) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Before grading: reads the previous grade, then marks the exercises about to be graded as
/// not graded (and removes the derived files), so a run that is killed or hangs never leaves an
/// old grade looking current.
fn prepare(dir: &Path, chosen: &[&Exercise]) -> Result<Option<serde_json::Value>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let previous = std::fs::read_to_string(dir.join("grade.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let pending = report::merge(previous.clone(), report::not_graded(chosen));
    for f in ["grades.csv", "results.json"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let json = serde_json::to_string_pretty(&pending).expect("json");
    std::fs::write(dir.join("grade.json"), json).map_err(|e| format!("grade.json: {e}"))?;
    Ok(previous)
}

/// Writes every grade file from one grade model.
fn write_grade(dir: &Path, grade: &serde_json::Value) -> Result<(), String> {
    let json = serde_json::to_string_pretty(grade).expect("json");
    std::fs::write(dir.join("grade.json"), json).map_err(|e| format!("grade.json: {e}"))?;
    std::fs::write(dir.join("grades.csv"), report::csv(grade))
        .map_err(|e| format!("grades.csv: {e}"))?;
    let gs = serde_json::to_string_pretty(&report::gradescope(grade)).expect("json");
    std::fs::write(dir.join("results.json"), gs).map_err(|e| format!("results.json: {e}"))
}

fn run(_impls: Impls) -> Result<ExitCode, String> {
    let args = parse(std::env::args().skip(1))?;
    let dir = grade_dir();
    if let Some(which) = args.hint {
        show_hint(which, &dir)?;
        return Ok(ExitCode::SUCCESS);
    }
    let all = exercises();
    if args.list {
        for e in &all {
            let m = info::get(e.id);
            println!(
                "{:<26} difficulty {}  {} properties, {} schedules + {} seeds  {}",
                e.id,
                m.map_or(0, |m| m.difficulty),
                e.props.len(),
                e.schedules.len(),
                e.seeds,
                m.map_or("", |m| m.file.as_str())
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let chosen = select(&all, &args.filters)?;
    if args.trace && (args.case.is_none() || chosen.len() != 1) {
        return Err(
            "--trace replays one case of one exercise: cargo test -- EXERCISE --seed N --trace"
                .into(),
        );
    }
    let started = std::time::Instant::now();
    let replay = args.case.is_some();
    // Read before any learner code runs, so a child cannot plant the "previous" grade.
    let previous = if replay {
        None
    } else {
        prepare(&dir, &chosen)?
    };
    let graded = supervise::grade(&chosen, args.case.as_ref(), args.trace);
    let traces: Vec<String> = graded.iter().flat_map(|g| g.traces.clone()).collect();
    let results: Vec<ExerciseResult> = graded.into_iter().map(|g| g.result).collect();
    let filter = (!args.filters.is_empty()).then(|| args.filters.join(" "));
    let ctx = Context {
        replay: args.case.as_ref().map(Case::flag),
        filter: filter.as_deref(),
        student: std::env::var("FAULTLINE_STUDENT")
            .or_else(|_| std::env::var("USER"))
            .unwrap_or_else(|_| "learner".into()),
        timestamp: report::utc_now(),
    };
    print!("{}", report::text(&results, &ctx));
    for (i, t) in traces.iter().enumerate() {
        println!(
            "\nTrace of simulation {} (one line per send, receive, drop, crash, timer):\n{t}",
            i + 1
        );
    }
    let elapsed = started.elapsed().as_secs_f64();
    if replay {
        // A replay grades one case, not the exercise: the grade files keep the full grade.
        println!("(replayed in {elapsed:.1} s; grade files unchanged)");
    } else {
        let grade = report::merge(previous, report::json(&results, &ctx));
        write_grade(&dir, &grade)?;
        println!(
            "(graded in {elapsed:.1} s; results in {}/grade.json, grades.csv and results.json)",
            dir.display()
        );
    }
    // Exit 0 only if every exercise asked for came back graded by its child and passed.
    let all_pass = results.len() == chosen.len() && results.iter().all(|r| r.complete());
    Ok(if all_pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

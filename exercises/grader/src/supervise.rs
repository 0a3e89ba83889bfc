//! Grading that learner code cannot end, freeze or forge.
//!
//! The learner's code runs in the same process as whatever grades it, so inside that process it
//! can do anything: `std::process::exit(0)` (and `cargo test` would see a success with nothing
//! graded), write `grade/grade.json` itself, loop forever, or abort. So the grade binary splits in
//! two. The *supervisor* (the process `cargo test` starts) never runs learner code: it re-executes
//! its own binary once per exercise with [`CHILD_ENV`] set, and that *child* grades the exercise
//! and reports back on its stdout. The supervisor accepts a result only if
//!
//! * it carries the token the supervisor handed the child on stdin (read before any learner code
//!   runs, so printing a result line from learner code does not work), and
//! * the child then exits with status 0.
//!
//! A child that dies, is killed by a signal, or stops making progress for the case time limit
//! fails every property of its exercise with that cause; only the supervisor writes grade files.

use crate::harness::{grade_exercise, Case, Exercise, ExerciseResult, Failure, Kind, PropResult};
use crate::{exercises, Impls};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// Set (to an exercise id) in a child: grade that exercise and report on stdout.
pub const CHILD_ENV: &str = "FAULTLINE_GRADE_CHILD";
/// In a child: the one case to replay (`seed:N` or `case:NAME`), if any.
const CASE_ENV: &str = "FAULTLINE_GRADE_CHILD_CASE";
/// In a child: keep traces (`--trace`).
const TRACE_ENV: &str = "FAULTLINE_GRADE_CHILD_TRACE";
/// Seconds one case may run before the supervisor calls it an endless loop (default 30).
pub const TIMEOUT_ENV: &str = "FAULTLINE_CASE_TIMEOUT";
/// Starts every line the child writes for the supervisor.
const MARK: &str = "\u{1}faultline-grade";

/// What a supervised exercise produced: its grade, and traces if `--trace` asked for them.
pub struct Graded {
    pub result: ExerciseResult,
    pub traces: Vec<String>,
}

/// Grades `chosen` exercises, each in its own supervised child, at most two at a time (the
/// grade's usual parallelism); results come back in the order of `chosen`.
pub fn grade(chosen: &[&Exercise], only: Option<&Case>, trace: bool) -> Vec<Graded> {
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, chosen.len().max(1));
    let mut done: Vec<(usize, Graded)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(ex) = chosen.get(i) else { break };
                        mine.push((i, run_child(ex, only, trace)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("supervisor thread"))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, g)| g).collect()
}

/// A fresh token per child, unguessable for learner code (std's hasher keys are random).
fn token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let half = || {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.finish()
    };
    format!("{:016x}{:016x}", half(), half())
}

fn case_env(case: &Case) -> String {
    match case {
        Case::Seed(s) => format!("seed:{s}"),
        Case::Schedule(name) => format!("case:{name}"),
    }
}

fn parse_case(ex: &Exercise, text: &str) -> Option<Case> {
    if let Some(s) = text.strip_prefix("seed:") {
        return s.parse().ok().map(Case::Seed);
    }
    let name = text.strip_prefix("case:")?;
    let all = exercises();
    let known = all.iter().flat_map(|e| e.schedules.iter());
    let name = known.chain(ex.schedules.iter()).find(|s| **s == name)?;
    Some(Case::Schedule(name))
}

/// What the child said, line by line.
enum Event {
    Starting(String),
    Result(Value),
    Output(String),
    Closed,
}

fn spawn(ex: &Exercise, only: Option<&Case>, trace: bool) -> std::io::Result<Child> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.args(std::env::args_os().skip(1))
        .env(CHILD_ENV, ex.id)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(c) = only {
        cmd.env(CASE_ENV, case_env(c));
    }
    if trace {
        cmd.env(TRACE_ENV, "1");
    }
    cmd.spawn()
}

/// Reads the child's stdout into events; lines without our mark (the learner's own prints) are
/// passed through.
fn listen(out: impl Read + Send + 'static, token: String) -> mpsc::Receiver<Event> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let ours = format!("{MARK} {token} ");
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let Some(at) = line.find(&ours) else {
                let _ = tx.send(Event::Output(line));
                continue;
            };
            if at > 0 {
                let _ = tx.send(Event::Output(line[..at].to_string()));
            }
            let rest = &line[at + ours.len()..];
            let event = if let Some(c) = rest.strip_prefix("case ") {
                Event::Starting(c.to_string())
            } else if let Some(j) = rest.strip_prefix("result ") {
                match serde_json::from_str(j) {
                    Ok(v) => Event::Result(v),
                    Err(_) => continue,
                }
            } else {
                continue;
            };
            let _ = tx.send(event);
        }
        let _ = tx.send(Event::Closed);
    });
    rx
}

fn case_timeout() -> Duration {
    let secs = std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(30.0);
    Duration::from_secs_f64(secs)
}

/// Runs one exercise in a child and judges what came back.
fn run_child(ex: &Exercise, only: Option<&Case>, trace: bool) -> Graded {
    let first = only.cloned().unwrap_or_else(|| ex.cases()[0].clone());
    let mut child = match spawn(ex, only, trace) {
        Ok(c) => c,
        Err(e) => return crashed(ex, &first, format!("the grader could not start: {e}")),
    };
    let token = token();
    // Held open while the child runs: the child takes its end closing as "the supervisor is
    // gone" and stops, so a killed grade leaves no orphan behind.
    let mut stdin = child.stdin.take();
    if let Some(pipe) = stdin.as_mut() {
        // A child that already died is judged below.
        let _ = writeln!(pipe, "{token}");
        let _ = pipe.flush();
    }
    let events = listen(child.stdout.take().expect("piped stdout"), token);
    let limit = case_timeout();
    let mut current = first.clone();
    let mut result = None;
    loop {
        match events.recv_timeout(limit) {
            Ok(Event::Starting(c)) => current = parse_case(ex, &c).unwrap_or(current),
            Ok(Event::Result(v)) => result = Some(v),
            Ok(Event::Output(line)) => println!("{line}"),
            Ok(Event::Closed) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                let why = format!(
                    "{current} ran for {} s without finishing — an endless loop, or waiting for something that never comes? (the grader stopped it)",
                    limit.as_secs_f64()
                );
                return timed_out(ex, &current, why);
            }
        }
    }
    drop(stdin);
    let status = child.wait();
    match (result, status) {
        (Some(v), Ok(s)) if s.success() => decode(ex, &v).unwrap_or_else(|| {
            crashed(
                ex,
                &current,
                "the grading process sent a malformed result".into(),
            )
        }),
        (_, Ok(s)) => crashed(ex, &current, died(s, &current)),
        (_, Err(e)) => crashed(ex, &current, format!("the grading process was lost: {e}")),
    }
}

/// Why a child that sent no valid result ended, in the learner's terms.
fn died(status: ExitStatus, case: &Case) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let what = match sig {
                6 => "SIGABRT: an abort — `std::process::abort()`, or a panic while already panicking",
                9 => "SIGKILL: killed, perhaps for using too much memory",
                11 => "SIGSEGV: a crash — a stack overflow from endless recursion, or unsafe code",
                _ => "a signal",
            };
            return format!("the grading process was killed by signal {sig} ({what}) during {case}; nothing after it was graded");
        }
    }
    match status.code() {
        Some(code) => format!(
            "your code ended the grading process (exit code {code}, e.g. `std::process::exit`) during {case} before the grade was complete; an exercise must return, not exit"
        ),
        None => format!("the grading process ended abnormally during {case}"),
    }
}

fn fail_all(ex: &Exercise, case: &Case, kind: Kind, message: String) -> Graded {
    let props = ex
        .props
        .iter()
        .map(|&prop| PropResult {
            prop,
            cases: 1,
            failure: Some(Failure {
                case: case.clone(),
                kind,
                message: message.clone(),
            }),
        })
        .collect();
    Graded {
        result: ExerciseResult { id: ex.id, props },
        traces: Vec::new(),
    }
}

fn crashed(ex: &Exercise, case: &Case, message: String) -> Graded {
    fail_all(ex, case, Kind::Crashed, message)
}

fn timed_out(ex: &Exercise, case: &Case, message: String) -> Graded {
    fail_all(ex, case, Kind::TimedOut, message)
}

fn kind_code(k: Kind) -> &'static str {
    crate::report::kind_name(k)
}

fn encode(r: &ExerciseResult, traces: &[String]) -> Value {
    let props: Vec<Value> = r
        .props
        .iter()
        .map(|p| {
            let f = p.failure.as_ref().map(|f| {
                json!({"case": case_env(&f.case), "kind": kind_code(f.kind), "message": f.message})
            });
            json!({"name": p.prop.name, "cases": p.cases, "failure": f})
        })
        .collect();
    json!({"id": r.id, "props": props, "traces": traces})
}

fn decode(ex: &Exercise, v: &Value) -> Option<Graded> {
    if v["id"] != ex.id {
        return None;
    }
    let listed = v["props"].as_array()?;
    let mut props = Vec::new();
    for &prop in ex.props {
        let p = listed.iter().find(|p| p["name"] == prop.name)?;
        let failure = match &p["failure"] {
            Value::Null => None,
            f => Some(Failure {
                case: parse_case(ex, f["case"].as_str()?)?,
                kind: crate::report::kind_from_name(f["kind"].as_str()?)?,
                message: f["message"].as_str()?.to_string(),
            }),
        };
        let cases = usize::try_from(p["cases"].as_u64()?).ok()?;
        props.push(PropResult {
            prop,
            cases,
            failure,
        });
    }
    let traces = v["traces"]
        .as_array()?
        .iter()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    Some(Graded {
        result: ExerciseResult { id: ex.id, props },
        traces,
    })
}

/// The child's side: reads the token, grades the exercise named in [`CHILD_ENV`], reports.
pub fn child_main(impls: Impls, id: &str) -> std::process::ExitCode {
    let mut token = String::new();
    if std::io::stdin().lock().read_line(&mut token).is_err() || token.trim().is_empty() {
        eprintln!("faultline grader: a grading child needs its supervisor");
        return std::process::ExitCode::from(2);
    }
    let token = token.trim().to_string();
    std::thread::spawn(|| {
        // Nothing more comes on stdin: end of file means the supervisor died.
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        std::process::exit(3);
    });
    let all = exercises();
    let Some(ex) = all.iter().find(|e| e.id == id) else {
        eprintln!("faultline grader: no exercise {id}");
        return std::process::ExitCode::from(2);
    };
    if std::env::var_os(TRACE_ENV).is_some() {
        crate::TRACING.store(true, Ordering::Relaxed);
    }
    let cases = match std::env::var(CASE_ENV)
        .ok()
        .and_then(|c| parse_case(ex, &c))
    {
        Some(c) => vec![c],
        None => ex.cases(),
    };
    let say = |what: &str| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{MARK} {token} {what}");
        let _ = out.flush();
    };
    let result = grade_exercise(&impls, ex, &cases, &|case| {
        say(&format!("case {}", case_env(case)))
    });
    let traces = crate::lock(&crate::TRACES).clone();
    say(&format!("result {}", encode(&result, &traces)));
    std::process::ExitCode::SUCCESS
}

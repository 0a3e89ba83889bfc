//! Running an exercise: every case (hand-written schedules first, then the public seeds), every
//! property judged on each, learner panics caught and explained instead of printed.

use crate::Impls;
use std::cell::RefCell;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// One scenario an exercise is graded on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Case {
    /// A hand-written adversarial schedule, by name.
    Schedule(&'static str),
    /// A random scenario drawn from a public seed.
    Seed(u64),
}

impl Case {
    /// The flag that replays this case: `--seed 17` or `--case reply-lost`.
    pub fn flag(&self) -> String {
        match self {
            Case::Schedule(name) => format!("--case {name}"),
            Case::Seed(s) => format!("--seed {s}"),
        }
    }

    /// The seed to draw a scenario's randomness from: a schedule's is fixed by its name.
    pub fn seed(&self) -> u64 {
        match self {
            Case::Seed(s) => *s,
            Case::Schedule(name) => name
                .bytes()
                .fold(7u64, |h, b| h.wrapping_mul(31) + b as u64),
        }
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Case::Schedule(name) => write!(f, "schedule `{name}`"),
            Case::Seed(s) => write!(f, "seed {s}"),
        }
    }
}

/// A named property, in the learner's terms.
#[derive(Clone, Copy, Debug)]
pub struct Prop {
    /// Short id, used in `grade.json` and in the wrong-implementation corpus.
    pub name: &'static str,
    /// What must hold, in plain words.
    pub says: &'static str,
}

/// An exercise as the grader knows it.
pub struct Exercise {
    /// `topic::name`, as in `info.toml` and on the command line.
    pub id: &'static str,
    pub props: &'static [Prop],
    /// Hand-written adversarial schedules, run before the seeds.
    pub schedules: &'static [&'static str],
    /// Public seeds `1..=seeds`.
    pub seeds: u64,
    /// Runs one case and reports every broken property to the judge.
    pub check: fn(&Impls, &Case, &mut Judge),
}

impl Exercise {
    /// Every case, schedules first.
    pub fn cases(&self) -> Vec<Case> {
        let named = self.schedules.iter().map(|s| Case::Schedule(s));
        named.chain((1..=self.seeds).map(Case::Seed)).collect()
    }
}

/// Collects what broke in one case: the first scenario per property.
#[derive(Default)]
pub struct Judge {
    broken: Vec<(&'static str, String)>,
}

impl Judge {
    /// Records that `prop` broke, with the scenario in plain words (the first one counts).
    pub fn fail(&mut self, prop: &'static str, scenario: impl Into<String>) {
        if !self.broken.iter().any(|(p, _)| *p == prop) {
            self.broken.push((prop, scenario.into()));
        }
    }

    /// Records a failure of `prop` unless `ok`; the scenario is only built when needed.
    pub fn expect(&mut self, prop: &'static str, ok: bool, scenario: impl FnOnce() -> String) {
        if !ok {
            self.fail(prop, scenario());
        }
    }

    /// True once `prop` has failed in this case (to skip redundant checks).
    pub fn failed(&self, prop: &str) -> bool {
        self.broken.iter().any(|(p, _)| *p == prop)
    }
}

/// Why a property failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The property was broken: the scenario says how.
    Broken,
    /// A `todo!()` was reached.
    NotImplemented,
    /// The code under test panicked.
    Panicked,
    /// The grading process died (an exit, an abort, a signal) before the exercise was graded.
    Crashed,
    /// A case ran past the time limit and the grader stopped it.
    TimedOut,
}

/// A property's first failing case.
#[derive(Clone, Debug)]
pub struct Failure {
    pub case: Case,
    pub kind: Kind,
    pub message: String,
}

/// A property's grade.
#[derive(Clone, Debug)]
pub struct PropResult {
    pub prop: Prop,
    pub cases: usize,
    pub failure: Option<Failure>,
}

impl PropResult {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// An exercise's grade.
#[derive(Clone, Debug)]
pub struct ExerciseResult {
    pub id: &'static str,
    pub props: Vec<PropResult>,
}

impl ExerciseResult {
    pub fn passed(&self) -> usize {
        self.props.iter().filter(|p| p.passed()).count()
    }

    pub fn complete(&self) -> bool {
        self.passed() == self.props.len()
    }

    /// Where the first `todo!()` was hit, if the exercise is still (partly) a stub.
    pub fn not_implemented(&self) -> Option<&Failure> {
        self.props
            .iter()
            .filter_map(|p| p.failure.as_ref())
            .find(|f| f.kind == Kind::NotImplemented)
    }

    /// The first failing property (in listed order) and its failure.
    pub fn first_failure(&self) -> Option<(&Prop, &Failure)> {
        self.props
            .iter()
            .find_map(|p| p.failure.as_ref().map(|f| (&p.prop, f)))
    }
}

thread_local! {
    static CAPTURE: RefCell<Option<Option<(String, String)>>> = const { RefCell::new(None) };
}

/// Installs, once, a panic hook that stays silent while learner code runs under
/// [`catch`] and remembers the message and location; other panics print as usual.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let captured = CAPTURE.with(|c| {
                let mut c = c.borrow_mut();
                match c.as_mut() {
                    Some(slot) => {
                        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
                            s.to_string()
                        } else if let Some(s) = info.payload().downcast_ref::<String>() {
                            s.clone()
                        } else {
                            "a panic".to_string()
                        };
                        let at = info
                            .location()
                            .map(|l| format!("{}:{}", l.file(), l.line()))
                            .unwrap_or_default();
                        slot.get_or_insert((msg, at));
                        true
                    }
                    None => false,
                }
            });
            if !captured {
                previous(info);
            }
        }));
    });
}

/// A `todo!()` met inside [`guard`], carried out to the case's own [`catch`].
struct Unimplemented(String);

/// Runs `f`, turning a panic into `(kind, message)`.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, (Kind, String)> {
    install_hook();
    let saved = CAPTURE.with(|c| c.borrow_mut().replace(None));
    let r = panic::catch_unwind(AssertUnwindSafe(f));
    let captured = CAPTURE
        .with(|c| std::mem::replace(&mut *c.borrow_mut(), saved))
        .flatten();
    r.map_err(|payload| {
        if let Some(Unimplemented(msg)) = payload.downcast_ref::<Unimplemented>() {
            return (Kind::NotImplemented, msg.clone());
        }
        let (msg, at) = captured.unwrap_or_else(|| ("a panic".into(), String::new()));
        let at = tidy_path(&at);
        if msg.starts_with("not yet implemented") {
            let what = function_at(&at)
                .map(|f| format!("`{f}` "))
                .unwrap_or_default();
            (
                Kind::NotImplemented,
                format!("not implemented yet: fill in {what}(the todo!() at {at})"),
            )
        } else {
            (Kind::Panicked, format!("your code panicked at {at}: {msg}"))
        }
    })
}

/// The function (`Type::method` or `function`) enclosing `file:line`, read from the source,
/// so a stub's message names what to fill in. Best effort: `None` if the file is not found.
fn function_at(at: &str) -> Option<String> {
    let (file, line) = at.rsplit_once(':')?;
    let line: usize = line.parse().ok()?;
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = [repo.join(file), repo.join("exercises").join(file)]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())?;
    let before: Vec<&str> = text.lines().take(line).collect();
    let name_after = |l: &str, word: &str| {
        let rest = l.split(word).nth(1)?;
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        (!name.is_empty()).then_some(name)
    };
    let (i, f) = before
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, l)| name_after(l, "fn ").map(|n| (i, n)))?;
    let owner = before[..i].iter().rev().find_map(|l| {
        if l.starts_with('}') {
            Some(None)
        } else if l.starts_with("impl") {
            Some(name_after(l, " for ").or_else(|| name_after(l, "impl ")))
        } else {
            None
        }
    });
    Some(match owner.flatten() {
        Some(t) => format!("{t}::{f}"),
        None => f,
    })
}

/// Runs learner code whose panic should fail one property rather than the whole case: a panic
/// becomes `Err(message)`; a `todo!()` still marks the exercise "not implemented yet".
pub fn guard<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    match catch(f) {
        Ok(v) => Ok(v),
        Err((Kind::NotImplemented, msg)) => panic::resume_unwind(Box::new(Unimplemented(msg))),
        Err((_, msg)) => Err(msg),
    }
}

/// `exercises/grader/tests/../../src/x.rs:3` → `src/x.rs:3`, so messages name the learner's file.
fn tidy_path(at: &str) -> String {
    match at.rfind("../") {
        Some(i) => at[i + 3..].to_string(),
        None => at.to_string(),
    }
}

/// Grades one exercise on `cases`, telling `starting` about each case before it runs.
pub fn grade_exercise(
    impls: &Impls,
    ex: &Exercise,
    cases: &[Case],
    starting: &dyn Fn(&Case),
) -> ExerciseResult {
    let mut props: Vec<PropResult> = ex
        .props
        .iter()
        .map(|&prop| PropResult {
            prop,
            cases: 0,
            failure: None,
        })
        .collect();
    for case in cases {
        starting(case);
        let mut judge = Judge::default();
        let outcome = catch(|| (ex.check)(impls, case, &mut judge));
        for p in props.iter_mut() {
            p.cases += 1;
            if p.failure.is_some() {
                continue;
            }
            let failure = match &outcome {
                Err((kind, message)) => Some((*kind, message.clone())),
                Ok(()) => judge
                    .broken
                    .iter()
                    .find(|(name, _)| *name == p.prop.name)
                    .map(|(_, m)| (Kind::Broken, m.clone())),
            };
            if let Some((kind, message)) = failure {
                p.failure = Some(Failure {
                    case: case.clone(),
                    kind,
                    message,
                });
            }
        }
        for (name, _) in &judge.broken {
            assert!(
                ex.props.iter().any(|p| p.name == *name),
                "grader bug: {} judged unknown property {name}",
                ex.id
            );
        }
        // A stub fails everything at once: no need to try the other cases.
        if matches!(outcome, Err((Kind::NotImplemented, _))) && props.iter().all(|p| !p.passed()) {
            break;
        }
    }
    ExerciseResult { id: ex.id, props }
}

/// What each worker is grading right now, and since when (for the watchdog).
type Running = Mutex<Vec<Option<(&'static str, Case, Instant)>>>;

/// How long one case may run before the grader calls it an endless loop.
const STUCK: Duration = Duration::from_secs(30);

/// Ends the process with an explanation if a case runs for longer than [`STUCK`]: a loop in
/// the code under test cannot be interrupted, but it should not hang the grade silently.
fn watchdog(running: &Running, done: &AtomicBool) {
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(200));
        let stuck = running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .flatten()
            .find(|(_, _, since)| since.elapsed() > STUCK)
            .map(|(id, case, _)| (*id, case.clone()));
        if let Some((id, case)) = stuck {
            eprintln!(
                "\n✗ {id}: {case} has run for {} s without finishing — an endless loop in your code?\n  \
                 Replay it: `cargo test -- {id} {}`",
                STUCK.as_secs(),
                case.flag()
            );
            std::process::exit(3);
        }
    }
}

/// Grades `exercises` on two threads; `only` replaces every exercise's cases with one case.
pub fn grade(impls: &Impls, exercises: &[&Exercise], only: Option<&Case>) -> Vec<ExerciseResult> {
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, exercises.len().max(1));
    let running: Running = Mutex::new(vec![None; threads]);
    let finished = AtomicBool::new(false);
    let mut results: Vec<(usize, ExerciseResult)> = std::thread::scope(|s| {
        s.spawn(|| watchdog(&running, &finished));
        let workers: Vec<_> = (0..threads)
            .map(|w| {
                let (running, next) = (&running, &next);
                s.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(ex) = exercises.get(i) else { break };
                        let cases = match only {
                            Some(c) => vec![c.clone()],
                            None => ex.cases(),
                        };
                        let r = grade_exercise(impls, ex, &cases, &|case| {
                            running.lock().unwrap_or_else(|e| e.into_inner())[w] =
                                Some((ex.id, case.clone(), Instant::now()));
                        });
                        done.push((i, r));
                    }
                    done
                })
            })
            .collect();
        let all = workers
            .into_iter()
            .flat_map(|w| w.join().expect("grader thread"))
            .collect();
        finished.store(true, Ordering::Relaxed);
        all
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

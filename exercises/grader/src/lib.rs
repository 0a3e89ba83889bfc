//! The exercises' simulated worlds and their grader.
//!
//! Each exercise module holds the *given* part of an exercise — the types your code uses, the
//! servers, networks and faults it runs against — and the properties it is graded on. The
//! grader runs your code in the `faultline` simulator on a fixed, public set of seeds plus
//! hand-written adversarial schedules, and judges it against the simulated world's ground truth
//! (what the servers really executed), never against what your code reports about itself.
//!
//! Code map: [`harness`] runs cases and catches panics, [`report`] prints and writes
//! `grade.json` / `grades.csv`, [`cli`] parses `cargo test -- …`, [`info`] reads `info.toml`.
//! Your code reaches the grader through [`Impls`], built by the [`impls!`] macro.

pub mod cli;
pub mod harness;
pub mod idempotency;
pub mod info;
pub mod quorums;
pub mod report;
pub mod retries;
pub mod supervise;

pub use cli::main;
pub use harness::{Case, Exercise, ExerciseResult, Judge, Kind, Prop};

/// One implementation of every exercise: the learner's, the reference solutions, or a mix with
/// one deliberately wrong module (the self-check builds all three).
pub struct Impls {
    pub backoff: retries::backoff::Bind,
    pub call: retries::call::Bind,
    pub budget: retries::budget::Bind,
    pub key_store: idempotency::key_store::Bind,
    pub payment: idempotency::payment::Bind,
    pub consumer: idempotency::consumer::Bind,
    pub arithmetic: quorums::arithmetic::Bind,
    pub replicas: quorums::replicas::Bind,
    pub read_repair: quorums::read_repair::Bind,
}

/// Every exercise, in teaching order (the order of `info.toml`).
pub fn exercises() -> Vec<Exercise> {
    vec![
        retries::backoff::exercise(),
        retries::call::exercise(),
        retries::budget::exercise(),
        idempotency::key_store::exercise(),
        idempotency::payment::exercise(),
        idempotency::consumer::exercise(),
        quorums::arithmetic::exercise(),
        quorums::replicas::exercise(),
        quorums::read_repair::exercise(),
    ]
}

/// Binds a crate (or module) laid out like `exercises/src/` to the grader:
/// `impls!(faultline_exercises)`.
#[macro_export]
macro_rules! impls {
    ($($root:ident)::+) => {
        $crate::Impls {
            backoff: $crate::bind_backoff!($($root)::+::retries::backoff),
            call: $crate::bind_call!($($root)::+::retries::call),
            budget: $crate::bind_budget!($($root)::+::retries::budget),
            key_store: $crate::bind_key_store!($($root)::+::idempotency::key_store),
            payment: $crate::bind_payment!($($root)::+::idempotency::payment),
            consumer: $crate::bind_consumer!($($root)::+::idempotency::consumer),
            arithmetic: $crate::bind_arithmetic!($($root)::+::quorums::arithmetic),
            replicas: $crate::bind_replicas!($($root)::+::quorums::replicas),
            read_repair: $crate::bind_read_repair!($($root)::+::quorums::read_repair),
        }
    };
}

/// Locks a grader-side log, ignoring poisoning (a learner panic is reported, not propagated).
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `count` crash-and-restart pairs of `node`, each `gap` ms after the last restart and down for
/// `down` ms: the random crash schedule of the idempotency exercises.
pub(crate) fn crash_restarts(
    r: &mut faultline::prelude::Rng,
    node: faultline::prelude::NodeId,
    count: std::ops::Range<u64>,
    gap: std::ops::Range<u64>,
    down: std::ops::Range<u64>,
) -> faultline::prelude::Faults {
    use faultline::prelude::*;
    let mut faults = Faults::new();
    let mut t = 0;
    for _ in 0..r.random_range(count) {
        t += r.random_range(gap.clone());
        let d = r.random_range(down.clone());
        faults = faults.crash_at(ms(t), node).restart_at(ms(t + d), node);
        t += d;
    }
    faults
}

/// Set by `--trace`: runs are traced and their traces kept for the report.
pub(crate) static TRACING: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Traces of the runs made while [`TRACING`] was set, in order.
pub(crate) static TRACES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Runs `sim` with `seed` the way the grader does: untraced (fast), unless a replay asked for
/// the trace, which is then kept to be printed after the report.
pub(crate) fn simulate<M: Clone + std::fmt::Debug + 'static>(
    sim: &faultline::prelude::Sim<M>,
    seed: u64,
) -> faultline::prelude::Run {
    let traced = TRACING.load(std::sync::atomic::Ordering::Relaxed);
    let run = if traced {
        sim.run(seed)
    } else {
        sim.run_untraced(seed)
    };
    if traced {
        lock(&TRACES).push(run.trace().to_string());
    }
    run
}

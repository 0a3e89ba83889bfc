//! Monte-Carlo sweeps: many seeded trials at each value of a parameter, summarised as a [`Table`].
//!
//! Trials run in parallel across threads, never inside one: trial `i` always gets seed
//! `trial_seed(base, i)` and its result lands in slot `i`, so the table is identical whatever the
//! thread count. The same seeds are reused at every parameter value (common random numbers),
//! which makes differences between values less noisy.

use crate::display::Progress;
use crate::rng::{rng, trial_seed, Rng};
use crate::run::Run;
use crate::sim::Sim;
use crate::stats::Summary;
use crate::table::{Row, Table};
use crate::time::Time;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A value a sweep can range over: numbers (plotted at their value), strings and tuples
/// (plotted in sweep order).
pub trait Param: Sync {
    /// How the value is written in tables.
    fn label(&self) -> String;
    /// The value as a number on the x axis, if it is one.
    fn x(&self) -> Option<f64> {
        None
    }
}

macro_rules! numeric_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn label(&self) -> String { self.to_string() }
            fn x(&self) -> Option<f64> { Some(*self as f64) }
        }
    )*};
}
numeric_param!(f64, f32, u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl Param for Time {
    fn label(&self) -> String {
        self.to_string()
    }
    fn x(&self) -> Option<f64> {
        Some(self.as_ms())
    }
}

impl Param for &str {
    fn label(&self) -> String {
        self.to_string()
    }
}

impl Param for String {
    fn label(&self) -> String {
        self.clone()
    }
}

impl Param for bool {
    fn label(&self) -> String {
        self.to_string()
    }
}

impl<A: Debug + Sync, B: Debug + Sync> Param for (A, B) {
    fn label(&self) -> String {
        format!("({:?}, {:?})", self.0, self.1)
    }
}

impl<A: Debug + Sync, B: Debug + Sync, C: Debug + Sync> Param for (A, B, C) {
    fn label(&self) -> String {
        format!("({:?}, {:?}, {:?})", self.0, self.1, self.2)
    }
}

/// A number a trial can report: floats, integers and booleans (true = 1).
pub trait MetricValue {
    fn value(self) -> f64;
}

macro_rules! metric_value {
    ($($t:ty),*) => {$( impl MetricValue for $t { fn value(self) -> f64 { self as f64 } } )*};
}
metric_value!(f64, f32, u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl MetricValue for bool {
    fn value(self) -> f64 {
        if self {
            1.0
        } else {
            0.0
        }
    }
}

/// What one trial reports: a single value (named `value`), or named values.
pub trait Metrics {
    fn each(self, f: &mut dyn FnMut(&str, f64));
}

impl<V: MetricValue> Metrics for V {
    fn each(self, f: &mut dyn FnMut(&str, f64)) {
        f("value", self.value());
    }
}

impl<V: MetricValue, const N: usize> Metrics for [(&str, V); N] {
    fn each(self, f: &mut dyn FnMut(&str, f64)) {
        for (k, v) in self {
            f(k, v.value());
        }
    }
}

impl<V: MetricValue> Metrics for Vec<(&str, V)> {
    fn each(self, f: &mut dyn FnMut(&str, f64)) {
        for (k, v) in self {
            f(k, v.value());
        }
    }
}

/// A parameter sweep: `values` × `trials` seeded runs.
///
/// ```
/// use faultline::prelude::*;
/// // P(at least one of k messengers gets through) when each is captured with p = 0.5.
/// let table = sweep("messengers", [1, 2, 3]).trials(2_000).quiet()
///     .monte_carlo(|&k, rng| (0..k).any(|_| rng.random_bool(0.5)));
/// let p3 = table.get("3", "value").unwrap();
/// assert!((p3.mean - 0.875).abs() < 0.03);
/// ```
#[derive(Clone, Debug)]
pub struct Sweep<P> {
    name: String,
    values: Vec<P>,
    trials: u64,
    seed: u64,
    threads: usize,
    progress: bool,
}

/// Sweeps `name` over `values`; set the trial count with [`Sweep::trials`] (default 1,000).
pub fn sweep<P: Param>(name: &str, values: impl IntoIterator<Item = P>) -> Sweep<P> {
    Sweep {
        name: name.to_string(),
        values: values.into_iter().collect(),
        trials: 1_000,
        seed: 0,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        progress: true,
    }
}

/// Repeats one experiment `n` times without a parameter (a one-row-per-metric table).
pub fn trials(n: u64) -> Sweep<&'static str> {
    sweep("experiment", ["all"]).trials(n)
}

impl<P: Param> Sweep<P> {
    /// Trials per parameter value.
    pub fn trials(mut self, n: u64) -> Self {
        self.trials = n;
        self
    }

    /// Base seed: trial `i` runs with `trial_seed(base, i)`.
    pub fn seed(mut self, base: u64) -> Self {
        self.seed = base;
        self
    }

    /// Worker threads (default: all cores). Results do not depend on it.
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n.max(1);
        self
    }

    /// No progress bar.
    pub fn quiet(mut self) -> Self {
        self.progress = false;
        self
    }

    /// Runs `build(value)` untraced for every trial seed and summarises what `measure` reports.
    ///
    /// # Panics
    /// If `build` returns an impossible simulation (the message names the parameter).
    #[track_caller]
    pub fn simulate<M, R>(
        &self,
        build: impl Fn(&P) -> Sim<M>,
        measure: impl Fn(&Run) -> R + Sync,
    ) -> Table
    where
        M: Clone + Debug + 'static,
        R: Metrics,
    {
        let prepared: Vec<_> = self
            .values
            .iter()
            .map(|v| match build(v).prepare() {
                Ok(p) => p,
                Err(e) => panic!("sweep {} = {}: {e}", self.name, v.label()),
            })
            .collect();
        self.run(|i, seed| measure(&prepared[i].run(seed, false)))
    }

    /// Calls `f(value, rng)` for every trial, with the trial's own seeded generator, and
    /// summarises what it reports. For experiments that need no simulator.
    pub fn monte_carlo<R: Metrics>(&self, f: impl Fn(&P, &mut Rng) -> R + Sync) -> Table {
        self.run(|i, seed| f(&self.values[i], &mut rng(seed)))
    }

    fn run<R: Metrics>(&self, trial: impl Fn(usize, u64) -> R + Sync) -> Table {
        let per_value = self.trials as usize;
        let total = self.values.len() * per_value;
        // results[k] holds trial k's metrics, k = value index × trials + trial index.
        let mut results: Vec<Vec<(String, f64)>> = vec![Vec::new(); total];
        let next = AtomicU64::new(0);
        let done = AtomicU64::new(0);
        const CHUNK: usize = 64;
        let slots = SlotWriter(results.as_mut_ptr());
        std::thread::scope(|scope| {
            for _ in 0..self.threads.min(total.max(1)) {
                let (next, done, trial, slots) = (&next, &done, &trial, &slots);
                scope.spawn(move || loop {
                    let start = next.fetch_add(CHUNK as u64, Ordering::Relaxed) as usize;
                    if start >= total {
                        break;
                    }
                    for k in start..(start + CHUNK).min(total) {
                        let (value, i) = (k / per_value, k % per_value);
                        let mut m = Vec::new();
                        trial(value, trial_seed(self.seed, i as u64))
                            .each(&mut |name, x| m.push((name.to_string(), x)));
                        // SAFETY: each k is claimed by exactly one thread through `next`.
                        unsafe { slots.write(k, m) };
                    }
                    done.fetch_add(
                        ((start + CHUNK).min(total) - start) as u64,
                        Ordering::Relaxed,
                    );
                });
            }
            // An interactive closure's sweep draws no bar: it would land in the last cell run.
            if self.progress && !crate::ui::in_callback() {
                let label = format!("sweep {}", self.name);
                let mut bar = Progress::new(&label, total as u64);
                while done.load(Ordering::Relaxed) < total as u64 {
                    bar.set(done.load(Ordering::Relaxed));
                    std::thread::sleep(Duration::from_millis(100));
                }
                bar.set(total as u64);
                bar.finish();
            }
        });
        self.summarise(&results, per_value)
    }

    fn summarise(&self, results: &[Vec<(String, f64)>], per_value: usize) -> Table {
        let mut rows = Vec::new();
        for (vi, value) in self.values.iter().enumerate() {
            let trials = &results[vi * per_value..(vi + 1) * per_value];
            let mut names: Vec<&str> = Vec::new();
            for t in trials {
                for (name, _) in t {
                    if !names.contains(&name.as_str()) {
                        names.push(name);
                    }
                }
            }
            for name in names {
                let samples: Vec<f64> = trials
                    .iter()
                    .flat_map(|t| t.iter().filter(|(n, _)| n == name).map(|(_, x)| *x))
                    .collect();
                rows.push(Row {
                    label: value.label(),
                    x: value.x().unwrap_or(vi as f64),
                    metric: name.to_string(),
                    summary: Summary::of(&samples),
                });
            }
        }
        Table {
            param: self.name.clone(),
            rows,
        }
    }
}

/// Lets worker threads fill disjoint slots of one vector without locking.
struct SlotWriter<T>(*mut T);

// SAFETY: writers only ever touch distinct indices (see `run`), and the scope joins them before
// the vector is read.
unsafe impl<T: Send> Sync for SlotWriter<T> {}

impl<T> SlotWriter<T> {
    /// # Safety
    /// `k` must be in bounds and written by no other thread.
    unsafe fn write(&self, k: usize, value: T) {
        unsafe { *self.0.add(k) = value };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_do_not_depend_on_thread_count() {
        let run = |threads| {
            sweep("p", [0.1, 0.5])
                .trials(500)
                .threads(threads)
                .quiet()
                .monte_carlo(|&p, rng| [("hit", rand::Rng::random_bool(rng, p)), ("one", true)])
        };
        let (a, b) = (run(1), run(3));
        assert_eq!(a, b);
        assert_eq!(a.metrics(), vec!["hit", "one"]);
        let hit = a.get("0.5", "hit").unwrap();
        assert!((hit.mean - 0.5).abs() < 0.06, "{hit:?}");
        assert_eq!(a.get("0.1", "one").unwrap().mean, 1.0);
        assert_eq!(
            a.means("hit")[0].0,
            0.1,
            "numeric params plot at their value"
        );
    }

    #[test]
    fn tuple_params_get_labels_and_positions() {
        let t = sweep("(r, w)", [(1, 1), (2, 2)])
            .trials(3)
            .quiet()
            .monte_carlo(|_, _| 1.0);
        assert_eq!(t.rows[1].label, "(2, 2)");
        assert_eq!(t.rows[1].x, 1.0);
    }
}

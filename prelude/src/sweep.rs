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
use std::any::Any;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::ScopedJoinHandle;
use std::time::Duration;

/// A value a sweep can range over: anything with `Debug` — numbers and times (plotted at their
/// value), strings, booleans, tuples and your own enums (plotted in sweep order). No trait to
/// implement: a sweep over `[Mode::Eager, Mode::Lazy]` just works.
pub trait Param: Sync {
    /// How the value is written in tables: strings as they are, numbers and times by
    /// `Display`, anything else by `Debug`.
    fn label(&self) -> String;
    /// The value as a number on the x axis, if it is one.
    fn x(&self) -> Option<f64>;
}

impl<T: Debug + Sync + 'static> Param for T {
    fn label(&self) -> String {
        let any = self as &dyn Any;
        if let Some(s) = any.downcast_ref::<&str>() {
            s.to_string()
        } else if let Some(s) = any.downcast_ref::<String>() {
            s.clone()
        } else if let Some(t) = any.downcast_ref::<Time>() {
            t.to_string()
        } else if let Some((_, shown)) = number(any) {
            shown
        } else {
            format!("{self:?}")
        }
    }

    fn x(&self) -> Option<f64> {
        let any = self as &dyn Any;
        match any.downcast_ref::<Time>() {
            Some(t) => Some(t.as_ms()),
            None => number(any).map(|(x, _)| x),
        }
    }
}

/// A primitive number's value and its `Display` form (`0.5`, `1`, not `1.0`).
fn number(any: &dyn Any) -> Option<(f64, String)> {
    macro_rules! try_types {
        ($($t:ty),*) => {$(
            if let Some(v) = any.downcast_ref::<$t>() {
                return Some((*v as f64, v.to_string()));
            }
        )*};
    }
    try_types!(f64, f32, u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);
    None
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
        let next = AtomicU64::new(0);
        let done = AtomicU64::new(0);
        const CHUNK: usize = 64;
        // Each worker claims chunks of trial indices and returns what it measured, by index;
        // k = value index × trials + trial index, so results do not depend on the thread count.
        let mut results: Vec<Vec<(String, f64)>> = vec![Vec::new(); total];
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..self.threads.min(total.max(1)))
                .map(|_| {
                    let (next, done, trial) = (&next, &done, &trial);
                    scope.spawn(move || {
                        let mut measured = Vec::new();
                        loop {
                            let start = next.fetch_add(CHUNK as u64, Ordering::Relaxed) as usize;
                            if start >= total {
                                return measured;
                            }
                            let end = (start + CHUNK).min(total);
                            for k in start..end {
                                let (value, i) = (k / per_value, k % per_value);
                                let mut m = Vec::new();
                                trial(value, trial_seed(self.seed, i as u64))
                                    .each(&mut |name, x| m.push((name.to_string(), x)));
                                measured.push((k, m));
                            }
                            done.fetch_add((end - start) as u64, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            // An interactive closure's sweep draws no bar: it would land in the last cell run.
            if self.progress && !crate::ui::in_callback() {
                self.show_progress(&done, total, &workers);
            }
            for worker in workers {
                // A panicking trial panics the sweep, as it would run on one thread.
                let measured = worker
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e));
                for (k, m) in measured {
                    results[k] = m;
                }
            }
        });
        self.summarise(&results, per_value)
    }

    /// A progress bar over the trials done, until every worker has finished (a panicking
    /// trial ends its worker early, and must not leave the bar waiting forever).
    fn show_progress<T>(&self, done: &AtomicU64, total: usize, workers: &[ScopedJoinHandle<T>]) {
        let label = format!("sweep {}", self.name);
        let mut bar = Progress::new(&label, total as u64);
        while !workers.iter().all(|w| w.is_finished()) {
            bar.set(done.load(Ordering::Relaxed));
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.set(done.load(Ordering::Relaxed));
        bar.finish();
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

    #[test]
    fn a_panicking_trial_panics_the_sweep_instead_of_hanging_its_progress_bar() {
        let sweep = sweep("p", [1, 2]).trials(200).threads(2);
        let caught = std::panic::catch_unwind(|| {
            sweep.monte_carlo(|&p, _| if p == 2 { panic!("trial broke") } else { 1.0 })
        });
        let message = caught.unwrap_err();
        assert_eq!(message.downcast_ref::<&str>(), Some(&"trial broke"));
    }

    #[test]
    fn any_debug_value_is_a_param() {
        #[derive(Debug)]
        enum Mode {
            Eager,
            Lazy,
        }
        let t = sweep("mode", [Mode::Eager, Mode::Lazy])
            .trials(2)
            .quiet()
            .monte_carlo(|m, _| matches!(m, Mode::Lazy));
        assert_eq!(t.get("Lazy", "value").unwrap().mean, 1.0);
        assert_eq!((t.rows[0].label.as_str(), t.rows[0].x), ("Eager", 0.0));
        assert_eq!((1.0f64.label(), 1.0f64.x()), ("1".to_string(), Some(1.0)));
        assert_eq!(
            ("a b".label(), "a b".to_string().label()),
            ("a b".into(), "a b".into())
        );
        assert_eq!(
            (Time(2_500).label(), Time(2_500).x()),
            (Time(2_500).to_string(), Some(2.5))
        );
    }
}

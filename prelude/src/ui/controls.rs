//! The controls a learner binds to a closure's parameters, typed by the value they give it.

use serde_json::{json, Value};
use std::ops::RangeInclusive;
use std::sync::Arc;

/// Turns what the front end sent into the control's value (`None`: not a value it can take).
type Reader<T> = Arc<dyn Fn(&Value) -> Option<T> + Send + Sync>;

/// One control, giving the closure a `T`: a slider, a choice, a checkbox, a seed box or a
/// player. Made by [`slider`], [`int_slider`], [`dropdown`], [`toggles`], [`checkbox`],
/// [`seed_box`] and [`player`].
#[derive(Clone)]
pub struct Control<T> {
    pub(crate) spec: Value,
    /// None only for a choice without choices (then `problem` says so).
    initial: Option<T>,
    read: Reader<T>,
    problem: Option<String>,
}

impl<T> std::fmt::Debug for Control<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Control({})", self.spec)
    }
}

impl<T: Clone> Control<T> {
    fn new(
        spec: Value,
        initial: T,
        read: impl Fn(&Value) -> Option<T> + Send + Sync + 'static,
    ) -> Control<T> {
        Control {
            spec,
            initial: Some(initial),
            read: Arc::new(read),
            problem: None,
        }
    }

    fn refuse(mut self, problem: Option<String>) -> Self {
        self.problem = self.problem.or(problem);
        self
    }

    pub(crate) fn name(&self) -> &str {
        self.spec["name"].as_str().unwrap_or_default()
    }

    pub(crate) fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    pub(crate) fn initial(&self) -> T {
        let problem = self.problem.as_deref().unwrap_or_default();
        self.initial.clone().unwrap_or_else(|| panic!("{problem}"))
    }

    /// The value the front end sent for this control, or why it is not one.
    pub(crate) fn read(&self, sent: &Value) -> Result<T, String> {
        (self.read)(sent).ok_or_else(|| format!("`{}` cannot be {sent}", self.name()))
    }
}

impl Control<f64> {
    /// The slider's step (default: a hundredth of its range).
    pub fn step(mut self, step: f64) -> Self {
        let span =
            self.spec["max"].as_f64().unwrap_or(0.0) - self.spec["min"].as_f64().unwrap_or(0.0);
        let bad = !(step.is_finite() && step > 0.0 && step <= span);
        let problem = bad.then(|| {
            format!(
                "slider `{}`: step {step} must be > 0 and at most the range ({span})",
                self.name()
            )
        });
        self.spec["step"] = json!(step);
        self.refuse(problem)
    }
}

/// A slider over real numbers in `range`, starting at `value`.
///
/// ```
/// # use faultline::ui::slider;
/// let loss = slider("loss", 0.0..=0.5, 0.1).step(0.05);
/// ```
pub fn slider(name: &str, range: RangeInclusive<f64>, value: f64) -> Control<f64> {
    let (min, max) = range.into_inner();
    let problem = (!(min.is_finite() && max.is_finite() && min < max && (min..=max).contains(&value)))
        .then(|| format!("slider `{name}`: needs finite min < max and the value inside; got {min}..={max} starting at {value}"));
    let spec = json!({
        "kind": "float_slider", "name": name, "value": value, "min": min, "max": max,
        "step": (max - min) / 100.0,
    });
    let read = move |v: &Value| v.as_f64().map(|x| x.clamp(min, max));
    Control::new(spec, value, read).refuse(problem)
}

/// A slider over whole numbers in `range` (any integer type), starting at `value`, in steps of 1.
///
/// ```
/// # use faultline::ui::int_slider;
/// let nodes = int_slider("nodes", 3..=9, 5usize);
/// ```
pub fn int_slider<T>(name: &str, range: RangeInclusive<T>, value: T) -> Control<T>
where
    T: TryFrom<i64> + TryInto<i64> + Copy + Send + Sync + 'static,
{
    let wide = |x: T| x.try_into().ok();
    let (min, max) = range.into_inner();
    let (lo, hi, at) = (wide(min), wide(max), wide(value));
    let problem = match (lo, hi, at) {
        (Some(lo), Some(hi), Some(at)) if lo < hi && (lo..=hi).contains(&at) => None,
        _ => Some(format!(
            "int slider `{name}`: needs min < max and the value inside, within ±2^63; got {lo:?}..={hi:?} starting at {at:?}"
        )),
    };
    let (lo, hi) = (lo.unwrap_or(0), hi.unwrap_or(0));
    let spec = json!({
        "kind": "int_slider", "name": name, "value": at, "min": lo, "max": hi, "step": 1,
    });
    let read = move |v: &Value| v.as_i64().and_then(|x| T::try_from(x.clamp(lo, hi)).ok());
    Control::new(spec, value, read).refuse(problem)
}

/// A drop-down list of labelled choices (any values, e.g. an enum's variants); the first is
/// selected at the start.
///
/// ```
/// # use faultline::ui::dropdown;
/// let reads = dropdown("read from", [("leader", 0), ("any replica", 1)]);
/// ```
pub fn dropdown<T, L>(name: &str, choices: impl IntoIterator<Item = (L, T)>) -> Control<T>
where
    T: Clone + Send + Sync + 'static,
    L: Into<String>,
{
    choice("dropdown", name, choices)
}

/// A row of toggle buttons, one per labelled choice (for a handful of enum variants); the first
/// is selected at the start.
pub fn toggles<T, L>(name: &str, choices: impl IntoIterator<Item = (L, T)>) -> Control<T>
where
    T: Clone + Send + Sync + 'static,
    L: Into<String>,
{
    choice("toggles", name, choices)
}

fn choice<T, L>(kind: &str, name: &str, choices: impl IntoIterator<Item = (L, T)>) -> Control<T>
where
    T: Clone + Send + Sync + 'static,
    L: Into<String>,
{
    let (labels, values): (Vec<String>, Vec<T>) =
        choices.into_iter().map(|(l, v)| (l.into(), v)).unzip();
    let problem = values
        .is_empty()
        .then(|| format!("{kind} `{name}`: needs at least one choice"));
    let spec = json!({ "kind": kind, "name": name, "labels": labels, "index": 0 });
    let initial = values.first().cloned();
    let read = move |v: &Value| values.get(v.as_u64()? as usize).cloned();
    Control {
        spec,
        initial,
        read: Arc::new(read),
        problem,
    }
}

/// A checkbox.
pub fn checkbox(name: &str, value: bool) -> Control<bool> {
    let spec = json!({ "kind": "checkbox", "name": name, "value": value });
    Control::new(spec, value, Value::as_bool)
}

/// A box to type a seed into (named `seed`), starting at `value`.
pub fn seed_box(value: u64) -> Control<u64> {
    // Front ends hold numbers as doubles: larger seeds would be rounded.
    const EXACT: u64 = 1 << 53;
    let problem = (value > EXACT).then(|| {
        format!("seed box: {value} is above 2^53, the largest seed a browser holds exactly")
    });
    let spec = json!({ "kind": "int_text", "name": "seed", "value": value });
    Control::new(spec, value, |v: &Value| v.as_u64().filter(|&s| s <= EXACT)).refuse(problem)
}

/// A play/pause button with a step slider, counting `0..steps`: for stepping through a run.
pub fn player(name: &str, steps: usize) -> Control<usize> {
    let problem = (steps == 0).then(|| format!("player `{name}`: needs at least one step"));
    let last = steps.saturating_sub(1);
    let spec = json!({
        "kind": "play", "name": name, "value": 0, "min": 0, "max": last, "interval": 400,
    });
    let read = move |v: &Value| v.as_u64().map(|k| (k as usize).min(last));
    Control::new(spec, 0, read).refuse(problem)
}

/// A control or a tuple of up to six: what [`interact`](super::interact) binds to a closure's
/// parameters (a tuple gives the closure a tuple of values, in order).
pub trait Controls: Send + 'static {
    /// What the closure receives.
    type Values;
    /// Every control, in display order.
    fn each(&self) -> Vec<(&Value, Option<&str>)>;
    /// The values to start with.
    fn initial(&self) -> Self::Values;
    /// The values the front end sent (by control name).
    fn read(&self, sent: &serde_json::Map<String, Value>) -> Result<Self::Values, String>;
}

impl<T: Clone + Send + Sync + 'static> Controls for Control<T> {
    type Values = T;

    fn each(&self) -> Vec<(&Value, Option<&str>)> {
        vec![(&self.spec, self.problem())]
    }

    fn initial(&self) -> T {
        Control::initial(self)
    }

    fn read(&self, sent: &serde_json::Map<String, Value>) -> Result<T, String> {
        let value = sent
            .get(self.name())
            .ok_or_else(|| format!("no value for `{}`", self.name()))?;
        Control::read(self, value)
    }
}

macro_rules! tuple_controls {
    ($($c:ident $i:tt),+) => {
        impl<$($c: Controls),+> Controls for ($($c,)+) {
            type Values = ($($c::Values,)+);

            fn each(&self) -> Vec<(&Value, Option<&str>)> {
                let mut all = Vec::new();
                $(all.extend(self.$i.each());)+
                all
            }

            fn initial(&self) -> Self::Values {
                ($(self.$i.initial(),)+)
            }

            fn read(&self, sent: &serde_json::Map<String, Value>) -> Result<Self::Values, String> {
                Ok(($(self.$i.read(sent)?,)+))
            }
        }
    };
}

tuple_controls!(A 0);
tuple_controls!(A 0, B 1);
tuple_controls!(A 0, B 1, C 2);
tuple_controls!(A 0, B 1, C 2, D 3);
tuple_controls!(A 0, B 1, C 2, D 3, E 4);
tuple_controls!(A 0, B 1, C 2, D 3, E 4, F 5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_typed_and_clamped() {
        let controls = (
            slider("loss", 0.0..=0.5, 0.1),
            int_slider("nodes", 3..=9, 5usize),
            dropdown("mode", [("a", 'a'), ("b", 'b')]),
            checkbox("fifo", true),
            seed_box(7),
            player("step", 10),
        );
        assert_eq!(controls.initial(), (0.1, 5, 'a', true, 7, 0));
        let sent =
            json!({"loss": 0.9, "nodes": 4, "mode": 1, "fifo": false, "seed": 11, "step": 99});
        let values = controls.read(sent.as_object().unwrap()).unwrap();
        assert_eq!(values, (0.5, 4, 'b', false, 11, 9));
        let wrong =
            json!({"loss": "x", "nodes": 4, "mode": 1, "fifo": false, "seed": 1, "step": 0});
        assert_eq!(
            controls.read(wrong.as_object().unwrap()).unwrap_err(),
            "`loss` cannot be \"x\""
        );
    }

    #[test]
    fn choices_take_any_values() {
        #[derive(Clone, Debug, PartialEq)]
        enum Order {
            Fifo,
            Any,
        }
        let order = toggles("order", [("fifo", Order::Fifo), ("any", Order::Any)]);
        assert_eq!(order.initial(), Order::Fifo);
        assert_eq!(Control::read(&order, &json!(1)), Ok(Order::Any));
        assert!(Control::read(&order, &json!(2)).is_err());
    }

    #[test]
    fn impossible_controls_say_what_is_accepted() {
        let bad = slider("loss", 0.5..=0.0, 0.1);
        assert!(
            bad.problem().unwrap().contains("finite min < max"),
            "{bad:?}"
        );
        assert!(slider("x", 0.0..=1.0, 0.5).step(2.0).problem().is_some());
        assert!(int_slider("n", 1..=3, 7).problem().is_some());
        assert!(dropdown::<u8, &str>("d", []).problem().is_some());
        assert!(player("p", 0).problem().is_some());
        assert!(seed_box(1 << 60).problem().is_some());
        assert!(slider("x", 0.0..=1.0, 0.5).step(0.1).problem().is_none());
    }
}

//! Interactive experiments: controls bound to a closure's parameters, redrawn in place.
//!
//! ```no_run
//! use faultline::prelude::*;
//!
//! let sim = Sim::new(Net::new()).node(|_| Server::new()).client(|_| RetryClient::new(20));
//! interact(
//!     (ui::slider("loss", 0.0..=0.5, 0.1), ui::seed_box(1)),
//!     move |(loss, seed)| plot::spacetime(sim.clone().net(Net::new().loss(loss)).run(seed).trace()),
//! );
//! ```
//!
//! Under Faultline's kernel the controls appear above the figure, and moving one runs the
//! closure again in the code already loaded — nothing is compiled per change. Only the newest
//! values are run when changes arrive faster than the closure finishes. A panic in the closure
//! shows in place of the figure; the controls keep working. Elsewhere (plain evcxr, a terminal,
//! a notebook exported without widgets) the figure for the starting values is shown.
//!
//! The closure runs on a thread of its own, after the cell has finished, so it owns what it
//! uses (`move`, and clone what the cell still needs). Sweeps inside it run without a progress
//! bar.

mod controls;
#[cfg(unix)]
mod link;
mod steps;

pub use controls::{
    checkbox, dropdown, int_slider, player, seed_box, slider, toggles, Control, Controls,
};
pub use steps::Step;

use crate::display::{show_bundle, Rich};
use std::cell::Cell;

thread_local! {
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread runs an interactive closure (where progress bars would only get in the
/// way: they would appear in whichever cell ran last).
pub(crate) fn in_callback() -> bool {
    IN_CALLBACK.with(Cell::get)
}

/// Shows `controls` and what `view` returns for their values; every change of a control runs
/// `view` again and replaces its output (a figure, a table, text).
///
/// `controls` is one control or a tuple of up to six, and `view` takes their values in the
/// same shape: a float for [`slider`], an integer for [`int_slider`], the chosen value for
/// [`dropdown`] and [`toggles`], a `bool` for [`checkbox`], a `u64` for [`seed_box`], the step for
/// [`player`].
///
/// # Panics
/// If a control is impossible (a slider whose minimum is not below its maximum, no choices,
/// two controls with one name), naming the control and what it accepts; and if `view` panics for
/// the starting values.
pub fn interact<C, R, F>(controls: C, view: F)
where
    C: Controls,
    R: Rich,
    F: Fn(C::Values) -> R + Send + 'static,
{
    if let Some(problem) = problems(&controls) {
        panic!("interact: {problem}");
    }
    let first = view(controls.initial()).mime_bundle();
    #[cfg(not(unix))]
    show_bundle(&first);
    #[cfg(unix)]
    match link::open(&controls, &first) {
        Ok(Some(link)) => link.serve(controls, view),
        Ok(None) => show_bundle(&first),
        Err(why) => {
            eprintln!("interact: the controls could not be shown ({why}); here is the figure");
            show_bundle(&first);
        }
    }
}

/// Every impossible control, and names used twice, in one message.
fn problems(controls: &impl Controls) -> Option<String> {
    let mut found = Vec::new();
    let mut names = Vec::new();
    for (spec, problem) in controls.each() {
        found.extend(problem.map(str::to_owned));
        let name = spec["name"].as_str().unwrap_or_default();
        if names.contains(&name) {
            found.push(format!(
                "two controls are named `{name}`; names must differ"
            ));
        }
        names.push(name);
    }
    (!found.is_empty()).then(|| found.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_names_are_refused() {
        let twice = (slider("x", 0.0..=1.0, 0.5), checkbox("x", true));
        let problem = problems(&twice).unwrap();
        assert!(problem.contains("two controls are named `x`"), "{problem}");
        assert_eq!(problems(&(slider("x", 0.0..=1.0, 0.5), seed_box(3))), None);
    }

    #[test]
    #[should_panic(expected = "interact: slider `x`: needs finite min < max")]
    fn an_impossible_control_fails_the_call() {
        interact(slider("x", 1.0..=0.0, 0.5), |x| format!("{x}"));
    }

    #[test]
    fn without_a_kernel_the_first_view_is_shown() {
        let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = ran.clone();
        interact(checkbox("on", true), move |on| {
            seen.store(on, std::sync::atomic::Ordering::SeqCst);
            String::from("shown")
        });
        assert!(ran.load(std::sync::atomic::Ordering::SeqCst));
    }
}

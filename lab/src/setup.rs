//! What the scenario builders share: checking the numbers a learner gave them before a `Sim`
//! is built from them.

use faultline::error::ConfigError;
use faultline::sim::SimError;

/// Panics, at the learner's call, naming every probability outside `0.0..=1.0` — the message a
/// core builder gives when its run starts. A value is never silently clamped.
#[track_caller]
pub(crate) fn probabilities(given: &[(&str, f64)]) {
    let wrong: Vec<(&str, String, &str)> = given
        .iter()
        .filter(|(_, p)| !(0.0..=1.0).contains(p))
        .map(|&(param, p)| (param, p.to_string(), "a probability in 0.0..=1.0"))
        .collect();
    reject(&wrong);
}

/// Panics, at the learner's call, listing each `(parameter, value given, what is accepted)`;
/// does nothing for an empty list.
#[track_caller]
pub(crate) fn reject(wrong: &[(&str, String, &str)]) {
    if wrong.is_empty() {
        return;
    }
    let errors = wrong
        .iter()
        .map(|(param, value, accepted)| ConfigError {
            param: param.to_string(),
            value: value.clone(),
            accepted: accepted.to_string(),
        })
        .collect();
    panic!("{}", SimError(errors));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_every_wrong_probability() {
        let msg = std::panic::catch_unwind(|| {
            probabilities(&[("loss", 0.5), ("crash", 1.5), ("x", -0.1)])
        })
        .unwrap_err()
        .downcast::<String>()
        .unwrap();
        assert!(msg.contains("`crash` = 1.5"), "{msg}");
        assert!(msg.contains("`x` = -0.1"), "{msg}");
        assert!(!msg.contains("`loss`"), "{msg}");
    }

    #[test]
    fn accepts_the_bounds() {
        probabilities(&[("a", 0.0), ("b", 1.0)]);
    }
}

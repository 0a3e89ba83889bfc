//! Configuration errors: what was wrong, and what is accepted.

use std::fmt;

/// An impossible simulation parameter, named, with the value given and the range accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigError {
    /// The parameter, as the learner wrote it (e.g. `loss`, `partition_at`).
    pub param: String,
    /// The offending value, rendered.
    pub value: String,
    /// What would have been accepted.
    pub accepted: String,
}

impl ConfigError {
    pub(crate) fn new(param: &str, value: impl fmt::Display, accepted: impl Into<String>) -> Self {
        ConfigError {
            param: param.to_string(),
            value: value.to_string(),
            accepted: accepted.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid `{}` = {}: accepted {}",
            self.param, self.value, self.accepted
        )
    }
}

impl std::error::Error for ConfigError {}

/// Collects the first problems found while a builder chain is assembled, so a chain of
/// one-liners can stay a chain and the errors surface, all together, when the run starts.
#[derive(Clone, Debug, Default)]
pub(crate) struct Problems(pub Vec<ConfigError>);

impl Problems {
    pub fn probability(&mut self, param: &str, p: f64) {
        if !(0.0..=1.0).contains(&p) {
            self.0
                .push(ConfigError::new(param, p, "a probability in 0.0..=1.0"));
        }
    }

    pub fn non_negative(&mut self, param: &str, x: f64) {
        if !(x.is_finite() && x >= 0.0) {
            self.0.push(ConfigError::new(
                param,
                x,
                "a finite number of milliseconds >= 0",
            ));
        }
    }

    pub fn positive(&mut self, param: &str, x: f64) {
        if !(x.is_finite() && x > 0.0) {
            self.0
                .push(ConfigError::new(param, x, "a finite number > 0"));
        }
    }

    pub fn push(&mut self, e: ConfigError) {
        self.0.push(e);
    }
}

//! One-way message delay: a base plus a random part drawn from a named distribution.

use crate::error::Problems;
use crate::rng::Rng;
use crate::time::Time;
use rand::Rng as _;
use rand_distr::{Distribution, Exp, LogNormal, Pareto};

/// The random part of a delay. Parameters are in milliseconds.
#[derive(Clone, Debug, PartialEq)]
enum Shape {
    Const(f64),
    Uniform { lo: f64, hi: f64 },
    Exponential { mean: f64 },
    LogNormal { median: f64, sigma: f64 },
    Pareto { scale: f64, shape: f64 },
}

/// A one-way delay distribution in milliseconds: `base + sample`.
///
/// ```
/// use faultline::prelude::*;
/// let d = Delay::exponential(5.0).plus(1.0); // 1 ms floor, 5 ms mean tail
/// # let _ = d;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Delay {
    base: f64,
    shape: Shape,
}

impl Delay {
    /// Always exactly `ms`.
    pub fn constant(ms: f64) -> Delay {
        Delay {
            base: 0.0,
            shape: Shape::Const(ms),
        }
    }

    /// Uniform between `lo_ms` and `hi_ms`.
    pub fn uniform(lo_ms: f64, hi_ms: f64) -> Delay {
        Delay {
            base: 0.0,
            shape: Shape::Uniform {
                lo: lo_ms,
                hi: hi_ms,
            },
        }
    }

    /// Exponential with the given mean: many short delays, an occasional long one.
    pub fn exponential(mean_ms: f64) -> Delay {
        Delay {
            base: 0.0,
            shape: Shape::Exponential { mean: mean_ms },
        }
    }

    /// Log-normal with the given median and log-space spread `sigma` (≈0.5 is a typical
    /// datacentre RPC; 1.0 and more gives heavy tails).
    pub fn lognormal(median_ms: f64, sigma: f64) -> Delay {
        Delay {
            base: 0.0,
            shape: Shape::LogNormal {
                median: median_ms,
                sigma,
            },
        }
    }

    /// Pareto with minimum `scale_ms` and tail index `shape` (smaller = heavier tail; below 2
    /// the variance is infinite).
    pub fn pareto(scale_ms: f64, shape: f64) -> Delay {
        Delay {
            base: 0.0,
            shape: Shape::Pareto {
                scale: scale_ms,
                shape,
            },
        }
    }

    /// Adds a fixed floor (propagation time) under the random part.
    pub fn plus(mut self, base_ms: f64) -> Delay {
        self.base += base_ms;
        self
    }

    /// The distribution's mean in milliseconds (infinite for a Pareto tail with shape ≤ 1).
    pub fn mean_ms(&self) -> f64 {
        self.base
            + match self.shape {
                Shape::Const(c) => c,
                Shape::Uniform { lo, hi } => (lo + hi) / 2.0,
                Shape::Exponential { mean } => mean,
                Shape::LogNormal { median, sigma } => median * (sigma * sigma / 2.0).exp(),
                Shape::Pareto { scale, shape } if shape > 1.0 => scale * shape / (shape - 1.0),
                Shape::Pareto { .. } => f64::INFINITY,
            }
    }

    pub(crate) fn validate(&self, param: &str, p: &mut Problems) {
        p.non_negative(&format!("{param} base"), self.base);
        match self.shape {
            Shape::Const(c) => p.non_negative(param, c),
            Shape::Uniform { lo, hi } => {
                p.non_negative(&format!("{param} lo"), lo);
                p.non_negative(&format!("{param} hi"), hi);
                if lo > hi {
                    p.push(crate::error::ConfigError::new(
                        &format!("{param} uniform range"),
                        format!("{lo}..{hi}"),
                        "lo <= hi",
                    ));
                }
            }
            Shape::Exponential { mean } => p.non_negative(param, mean),
            Shape::LogNormal { median, sigma } => {
                p.positive(&format!("{param} median"), median);
                p.non_negative(&format!("{param} sigma"), sigma);
            }
            Shape::Pareto { scale, shape } => {
                p.positive(&format!("{param} scale"), scale);
                p.positive(&format!("{param} shape"), shape);
            }
        }
    }

    /// Draws one delay from `rng` — e.g. a service time inside a node, from `ctx.rng()`. Never
    /// panics: parameters a run would reject (see [`SimError`](crate::sim::SimError)) give a
    /// fixed fallback (the distribution's lower end or median), and NaN or negative times 0.
    pub fn sample(&self, rng: &mut Rng) -> Time {
        let x = match self.shape {
            Shape::Const(c) => c,
            Shape::Uniform { lo, hi } if hi > lo => rng.random_range(lo..hi),
            Shape::Uniform { lo, .. } => lo,
            Shape::Exponential { mean } if mean > 0.0 => {
                Exp::new(1.0 / mean).map(|d| d.sample(rng)).unwrap_or(0.0)
            }
            Shape::Exponential { .. } => 0.0,
            Shape::LogNormal { median, sigma } => LogNormal::new(median.ln(), sigma)
                .map(|d| d.sample(rng))
                .unwrap_or(median),
            Shape::Pareto { scale, shape } => Pareto::new(scale, shape)
                .map(|d| d.sample(rng))
                .unwrap_or(scale),
        };
        Time::from_ms_f64(self.base + x)
    }
}

impl Delay {
    /// 1 ms constant: a quiet local network.
    pub(crate) const DEFAULT: Delay = Delay {
        base: 0.0,
        shape: Shape::Const(1.0),
    };
}

impl Default for Delay {
    fn default() -> Delay {
        Delay::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::rng;

    fn mean_of(d: &Delay) -> f64 {
        let mut r = rng(1);
        let n = 20_000;
        (0..n).map(|_| d.sample(&mut r).as_ms()).sum::<f64>() / n as f64
    }

    #[test]
    fn sample_means_match_the_distributions() {
        for d in [
            Delay::constant(3.0),
            Delay::uniform(2.0, 4.0),
            Delay::exponential(5.0).plus(1.0),
            Delay::lognormal(2.0, 0.5),
            Delay::pareto(1.0, 3.0),
        ] {
            let (got, want) = (mean_of(&d), d.mean_ms());
            assert!(
                (got - want).abs() / want < 0.05,
                "{d:?}: mean {got} vs {want}"
            );
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        let mut p = Problems::default();
        Delay::constant(-1.0).validate("delay", &mut p);
        Delay::exponential(f64::NAN).validate("delay", &mut p);
        Delay::uniform(5.0, 1.0).validate("delay", &mut p);
        let msgs: Vec<String> = p.0.iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(msgs[0].contains("`delay` = -1") && msgs[0].contains(">= 0"));
        assert!(msgs[1].contains("NaN"));
        assert!(msgs[2].contains("lo <= hi"));
    }
}

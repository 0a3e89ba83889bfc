//! Summaries of samples: mean, spread, percentiles and 95% confidence intervals.

/// The summary of one metric over many trials.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub std: f64,
    /// 95% confidence interval for the mean (Wilson score interval for 0/1 samples).
    pub ci_low: f64,
    pub ci_high: f64,
    pub min: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

impl Summary {
    /// Summarises `samples`; NaNs are ignored. An empty input gives an all-NaN summary with n = 0.
    pub fn of(samples: &[f64]) -> Summary {
        let mut xs: Vec<f64> = samples.iter().copied().filter(|x| !x.is_nan()).collect();
        xs.sort_by(f64::total_cmp);
        let n = xs.len();
        if n == 0 {
            let nan = f64::NAN;
            return Summary {
                n,
                mean: nan,
                std: nan,
                ci_low: nan,
                ci_high: nan,
                min: nan,
                p50: nan,
                p90: nan,
                p99: nan,
                max: nan,
            };
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        let std = var.sqrt();
        let (ci_low, ci_high) = if xs.iter().all(|&x| x == 0.0 || x == 1.0) {
            wilson(mean, n)
        } else {
            let half = Z95 * std / (n as f64).sqrt();
            (mean - half, mean + half)
        };
        Summary {
            n,
            mean,
            std,
            ci_low,
            ci_high,
            min: xs[0],
            p50: quantile_sorted(&xs, 0.50),
            p90: quantile_sorted(&xs, 0.90),
            p99: quantile_sorted(&xs, 0.99),
            max: xs[n - 1],
        }
    }
}

/// Wilson score interval for a proportion `p` observed over `n` trials: unlike mean ± z·σ it
/// stays inside [0, 1] and is honest when p is 0 or 1.
pub fn wilson(p: f64, n: usize) -> (f64, f64) {
    let n = n as f64;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The `q`-quantile (0..=1) of an ascending slice, by linear interpolation between ranks.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The `q`-quantile of unsorted samples.
pub fn quantile(samples: &[f64], q: f64) -> f64 {
    let mut xs: Vec<f64> = samples.iter().copied().filter(|x| !x.is_nan()).collect();
    xs.sort_by(f64::total_cmp);
    quantile_sorted(&xs, q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_known_samples() {
        let s = Summary::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s.n, 5);
        assert_eq!(s.mean, 3.0);
        assert_eq!(s.p50, 3.0);
        assert!((s.std - 1.5811).abs() < 1e-3);
        assert!(s.ci_low < 3.0 && s.ci_high > 3.0);
        assert_eq!(quantile(&[10.0, 0.0], 0.5), 5.0);
    }

    #[test]
    fn proportions_use_wilson_and_stay_in_range() {
        let s = Summary::of(&[1.0; 20]);
        assert_eq!(s.mean, 1.0);
        assert_eq!(s.ci_high, 1.0);
        assert!(s.ci_low > 0.8 && s.ci_low < 0.9, "{}", s.ci_low);
        let empty = Summary::of(&[]);
        assert_eq!(empty.n, 0);
        assert!(empty.mean.is_nan());
    }
}

//! Availability arithmetic: how replicas multiply "nines", and what a percentage means in
//! failed requests and minutes of downtime.
//!
//! These are the formulas behind the Monte-Carlo experiments of the notebooks: the simulation
//! shows the numbers happen; the formulas show why.

use faultline::time::Time;

/// Probability that at least `k` of `n` independent replicas are up, each up with probability
/// `up`. `k = 1`: "any replica will do"; `k =` [`majority`](crate::quorum::majority)`(n)`: a
/// majority quorum.
pub fn k_of_n(n: usize, k: usize, up: f64) -> f64 {
    (k..=n)
        .map(|i| binomial(n, i) * up.powi(i as i32) * (1.0 - up).powi((n - i) as i32))
        .sum()
}

/// n choose k, as a float (exact for the small n of these experiments).
pub fn binomial(n: usize, k: usize) -> f64 {
    if k > n {
        return 0.0;
    }
    let k = k.min(n - k);
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// How long a service with availability `a` is down over `period`.
pub fn downtime(a: f64, period: Time) -> Time {
    Time(((1.0 - a).clamp(0.0, 1.0) * period.0 as f64).round() as u64)
}

/// The number of nines of an availability: 0.999 → 3.
pub fn nines(a: f64) -> f64 {
    -(1.0 - a).log10()
}

/// Expected failed requests out of `requests` at success rate `a`.
pub fn failures(a: f64, requests: f64) -> f64 {
    (1.0 - a) * requests
}

/// One day, one 30-day month and one 365-day year, for [`downtime`].
pub const DAY: Time = Time(86_400_000_000);
pub const MONTH: Time = Time(30 * 86_400_000_000);
pub const YEAR: Time = Time(365 * 86_400_000_000);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_arithmetic() {
        assert_eq!(binomial(5, 2), 10.0);
        // 3 replicas, majority of 2, each up 99%: 3a² − 2a³.
        let a: f64 = 0.99;
        assert!((k_of_n(3, 2, a) - (3.0 * a * a - 2.0 * a * a * a)).abs() < 1e-12);
        // 2 replicas needing both is *worse* than one replica.
        assert!(k_of_n(2, crate::quorum::majority(2), a) < a);
        assert_eq!(k_of_n(4, 1, 1.0), 1.0);
    }

    #[test]
    fn nines_in_plain_numbers() {
        assert!((failures(0.999, 1e6) - 1_000.0).abs() < 1e-6);
        assert!((nines(0.9999) - 4.0).abs() < 1e-9);
        // 99.99% (UPI's target) allows about 52.6 minutes a year.
        let m = downtime(0.9999, YEAR).as_secs() / 60.0;
        assert!((m - 52.56).abs() < 0.01, "{m}");
    }
}

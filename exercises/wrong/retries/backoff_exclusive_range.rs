//! Wrong on purpose (retries::backoff): draws from `0..ceiling`, not `0..=ceiling`: an empty range, and a panic, when the ceiling is 0 (a zero base).

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &[
    "within-the-ceiling",
    "grows-to-the-cap",
    "jittered",
    "no-overflow",
];

use faultline::prelude::*;
pub use faultline_grader::retries::backoff::Backoff;

pub fn delay(policy: &Backoff, attempt: u32, rng: &mut Rng) -> Time {
    // 2^attempt overflows a u64 from attempt 64 on; saturate instead, then cap.
    let doubled = 2u64
        .checked_pow(attempt)
        .map_or(u64::MAX, |f| policy.base.0.saturating_mul(f));
    let ceiling = doubled.min(policy.cap.0);
    Time(rng.random_range(0..ceiling))
}

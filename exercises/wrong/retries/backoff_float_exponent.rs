//! Wrong on purpose (retries::backoff): computes 2^attempt in floating point with `powi(attempt as i32)`: u32::MAX becomes -1, and the wait half the base.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["no-overflow"];

use faultline::prelude::*;
pub use faultline_grader::retries::backoff::Backoff;

pub fn delay(policy: &Backoff, attempt: u32, rng: &mut Rng) -> Time {
    // 2^attempt overflows a u64 from attempt 64 on; saturate instead, then cap.
    // Floats do not overflow: they saturate to infinity, and `as u64` to u64::MAX.
    let doubled = (policy.base.0 as f64 * 2f64.powi(attempt as i32)) as u64;
    let ceiling = doubled.min(policy.cap.0);
    Time(rng.random_range(0..=ceiling))
}

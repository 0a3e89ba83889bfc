//! Wrong on purpose (retries::backoff): `base << attempt`: overflows (wraps in release, panics in debug) for huge attempts.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["grows-to-the-cap", "jittered", "no-overflow"];

use faultline::prelude::*;
pub use faultline_grader::retries::backoff::Backoff;

pub fn delay(policy: &Backoff, attempt: u32, rng: &mut Rng) -> Time {
    // 2^attempt overflows a u64 from attempt 64 on; saturate instead, then cap.
    let doubled = policy.base.0.wrapping_mul(1u64.wrapping_shl(attempt));
    let ceiling = doubled.min(policy.cap.0);
    Time(rng.random_range(0..=ceiling))
}

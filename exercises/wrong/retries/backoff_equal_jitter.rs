//! Wrong on purpose (retries::backoff): "equal jitter": half the ceiling plus a random half, so no wait is ever short and clients still bunch together.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["jittered"];

use faultline::prelude::*;
pub use faultline_grader::retries::backoff::Backoff;

pub fn delay(policy: &Backoff, attempt: u32, rng: &mut Rng) -> Time {
    // 2^attempt overflows a u64 from attempt 64 on; saturate instead, then cap.
    let doubled = 2u64
        .checked_pow(attempt)
        .map_or(u64::MAX, |f| policy.base.0.saturating_mul(f));
    let ceiling = doubled.min(policy.cap.0);
    Time(ceiling / 2 + rng.random_range(0..=ceiling / 2))
}

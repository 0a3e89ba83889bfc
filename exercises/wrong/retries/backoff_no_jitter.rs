//! Wrong on purpose (retries::backoff): no jitter: always waits the whole ceiling.

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
    let _ = rng;
    Time(ceiling)
}

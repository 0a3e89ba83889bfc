//! Wrong on purpose (retries::backoff): clamps the exponent at 31 to avoid overflow: with a 1 µs base and a cap of hours, waits stop growing at 2^31 µs (36 minutes), far below the cap.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["grows-to-the-cap", "jittered", "no-overflow"];

use faultline::prelude::*;
pub use faultline_grader::retries::backoff::Backoff;

pub fn delay(policy: &Backoff, attempt: u32, rng: &mut Rng) -> Time {
    // 2^attempt overflows a u64 from attempt 64 on; saturate instead, then cap.
    // 2^31 is plenty: no retry waits that long.
    let doubled = policy.base.0.saturating_mul(1u64 << attempt.min(31));
    let ceiling = doubled.min(policy.cap.0);
    Time(rng.random_range(0..=ceiling))
}

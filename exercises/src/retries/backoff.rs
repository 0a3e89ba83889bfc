//! # retries::backoff — difficulty 1
//!
//! After a failure, a client should wait before it retries, longer each time, so a struggling
//! server gets room to recover; and clients that failed together must not retry together, so
//! each wait is random ("jitter").
//!
//! Grade it: `cargo test -- retries::backoff`. Hints: `cargo test -- --hint retries::backoff`.

use faultline::prelude::*;
pub use faultline_grader::retries::backoff::Backoff;

/// How long to wait before retry number `attempt` (0 = before the first retry).
///
/// * The *ceiling* for `attempt` is `min(policy.cap, policy.base × 2^attempt)`.
/// * Return a wait drawn uniformly from `0..=ceiling` with `rng` ("full jitter"), e.g.
///   `Time(rng.random_range(0..=ceiling))` where `ceiling` is in microseconds.
/// * `attempt` may be anything up to `u32::MAX`: compute the ceiling without overflowing
///   (`Time` wraps a `u64` of microseconds).
pub fn delay(policy: &Backoff, attempt: u32, rng: &mut Rng) -> Time {
    todo!()
}

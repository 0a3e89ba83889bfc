//! Topic: retries (notebook 10). Backoff schedules, a retrying call, a retry budget.

pub mod backoff;
pub mod budget;
pub mod call;

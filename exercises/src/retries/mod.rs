//! Retries: backoff, a retrying call, a retry budget. Taught in notebooks/10-retries.ipynb.

pub mod backoff;
pub mod budget;
pub mod call;

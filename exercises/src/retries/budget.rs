//! # retries::budget — difficulty 3
//!
//! When a server is down, every client that retries multiplies its load: three retries per
//! request turn an outage into four times the traffic, which keeps it down. A *retry budget*
//! caps retries at a fraction of the requests: each request earns `percent`/100 of a retry,
//! each retry spends one whole retry, and a small `reserve` lets a quiet client retry at all.
//!
//! The rule, exactly: the budget holds a balance, in retries (fractions allowed — hundredths
//! work well as integers). It starts at `reserve`. `on_request` adds `percent / 100`, but the
//! balance never goes above `reserve`. `try_retry` spends 1 and says yes if the balance is at
//! least 1; otherwise it says no and changes nothing.
//!
//! Exactly means exactly: no retry may be lost to rounding. At 10%, ten requests earn one whole
//! retry — but `0.1` added ten times in `f64` is `0.9999999999999999`, which is not "at least 1".
//! Keep the balance in integer hundredths of a retry (the simplest), or, if you use floats,
//! compare with a small tolerance (`balance >= 1.0 - 1e-9`). The grader checks both directions:
//! exactly `percent × requests / 100` retries earned (rounded down), never one fewer or more.
//!
//! The grader drives your budget directly and inside a fleet of ten simulated clients, one of
//! which it asks before every retry.
//!
//! Grade it: `cargo test -- retries::budget`. Hints: `cargo test -- --hint retries::budget`.

/// A retry budget for one client.
pub struct RetryBudget {
    // your fields
}

impl RetryBudget {
    /// A budget allowing retries of up to `percent`% of requests, with `reserve` retries saved
    /// up at most (and at the start).
    pub fn new(percent: u32, reserve: u32) -> RetryBudget {
        todo!()
    }

    /// A first attempt (not a retry) is being sent.
    pub fn on_request(&mut self) {
        todo!()
    }

    /// May the client retry now? If yes, the retry is counted against the budget.
    pub fn try_retry(&mut self) -> bool {
        todo!()
    }
}

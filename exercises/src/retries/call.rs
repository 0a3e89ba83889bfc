//! # retries::call — difficulty 2
//!
//! One request, retried over an unreliable network. Each attempt gets `attempt_timeout` to be
//! answered; after a timeout or a `Busy` refusal wait `pause`, then try again — but never more
//! than `max_attempts` attempts, never past the `deadline`, never after `Invalid`, and never
//! resend a non-idempotent request that may already have executed. A timeout looks exactly like
//! a lost reply: when you cannot know whether the server executed the request, say `Unknown`.
//!
//! The grader drives your `Caller` from a simulated client: `start` once (at time 0, so the
//! deadline is `io.now() + policy.deadline`), then `on_reply` for every reply that arrives
//! (late and duplicated ones too) and `on_timer` for every timer you set. Call `io.finish`
//! exactly once.
//!
//! Grade it: `cargo test -- retries::call`. Hints: `cargo test -- --hint retries::call`.

use faultline::prelude::*;
pub use faultline_grader::retries::call::{CallIo, CallOutcome, CallPolicy, Reply, Request};

/// One retrying call. Keep here whatever you need to remember between events.
pub struct Caller {
    // your fields
}

impl Caller {
    /// A caller for `request` under `policy`. Nothing is sent yet.
    pub fn new(request: Request, policy: CallPolicy) -> Caller {
        todo!()
    }

    /// The call starts: send the first attempt (`io.send()` returns its number) and set the
    /// timers you need (`io.set_timer(after, tag)`; `on_timer(tag)` is called when it fires).
    pub fn start(&mut self, io: &mut CallIo) {
        todo!()
    }

    /// The server answered attempt number `attempt` (maybe an old one, maybe twice).
    pub fn on_reply(&mut self, io: &mut CallIo, attempt: u32, reply: Reply) {
        todo!()
    }

    /// A timer set with `io.set_timer(_, tag)` fired.
    pub fn on_timer(&mut self, io: &mut CallIo, tag: u64) {
        todo!()
    }
}

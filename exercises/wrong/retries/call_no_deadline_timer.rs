//! Wrong on purpose (retries::call): checks the deadline only before a retry, with no timer for it: an attempt that started in time but runs past the deadline is waited out to its own timeout.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["meets-the-deadline"];

use faultline::prelude::*;
pub use faultline_grader::retries::call::{CallIo, CallOutcome, CallPolicy, Reply, Request};

const DEADLINE: u64 = u64::MAX;
const RETRY: u64 = u64::MAX - 1;

pub struct Caller {
    request: Request,
    policy: CallPolicy,
    deadline: Time,
    /// The attempt we are waiting for, and its timeout timer.
    current: Option<(u32, TimerId)>,
    sent: u32,
    /// Some attempt may have executed without our knowing (it timed out).
    maybe_executed: bool,
    done: bool,
}

impl Caller {
    pub fn new(request: Request, policy: CallPolicy) -> Caller {
        Caller {
            request,
            policy,
            deadline: Time::ZERO,
            current: None,
            sent: 0,
            maybe_executed: false,
            done: false,
        }
    }

    pub fn start(&mut self, io: &mut CallIo) {
        self.deadline = io.now() + self.policy.deadline;
        self.attempt(io);
    }

    fn attempt(&mut self, io: &mut CallIo) {
        let attempt = io.send();
        self.sent += 1;
        let timer = io.set_timer(self.policy.attempt_timeout, attempt as u64);
        self.current = Some((attempt, timer));
    }

    fn finish(&mut self, io: &mut CallIo, outcome: CallOutcome) {
        if !self.done {
            self.done = true;
            io.finish(outcome);
        }
    }

    /// After attempt failed: retry after the pause if allowed, else finish.
    fn after_failure(&mut self, io: &mut CallIo, safe_to_resend: bool) {
        self.current = None;
        let verdict = if self.maybe_executed {
            CallOutcome::Unknown
        } else {
            CallOutcome::Failed
        };
        if !safe_to_resend || self.sent >= self.policy.max_attempts {
            return self.finish(io, verdict);
        }
        if io.now() + self.policy.pause >= self.deadline {
            return self.finish(io, verdict);
        }
        io.set_timer(self.policy.pause, RETRY);
    }

    pub fn on_reply(&mut self, io: &mut CallIo, attempt: u32, reply: Reply) {
        if self.done {
            return;
        }
        match reply {
            // Any attempt's result will do, even a late one.
            Reply::Ok(v) => self.finish(io, CallOutcome::Ok(v)),
            Reply::Invalid => {
                let verdict = if self.maybe_executed {
                    CallOutcome::Unknown
                } else {
                    CallOutcome::Failed
                };
                self.finish(io, verdict)
            }
            Reply::Busy => {
                if let Some((current, timer)) = self.current {
                    if current == attempt {
                        io.cancel_timer(timer);
                        // Refused: it did not execute, so even a non-idempotent request may go again.
                        self.after_failure(io, !self.maybe_executed || self.request.idempotent);
                    }
                }
            }
        }
    }

    pub fn on_timer(&mut self, io: &mut CallIo, tag: u64) {
        if self.done {
            return;
        }
        match tag {
            DEADLINE => {
                let verdict = if self.maybe_executed || self.current.is_some() {
                    CallOutcome::Unknown
                } else {
                    CallOutcome::Failed
                };
                self.finish(io, verdict)
            }
            RETRY => self.attempt(io),
            attempt => {
                if self.current.map(|(a, _)| a as u64) == Some(attempt) {
                    self.maybe_executed = true;
                    self.after_failure(io, self.request.idempotent);
                }
            }
        }
    }
}

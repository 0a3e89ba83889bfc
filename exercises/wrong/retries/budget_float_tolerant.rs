//! Not wrong: a floating-point balance compared with a tolerance. The exercise allows it (no
//! retry is lost to rounding), so the grader must pass it — the other side of
//! `budget_float_naive`, proving the rule is graded exactly both ways.

/// The properties the grader must fail for this implementation: none.
pub const MUST_FAIL: &[&str] = &[];

pub struct RetryBudget {
    earn: f64,
    cap: f64,
    balance: f64,
}

impl RetryBudget {
    pub fn new(percent: u32, reserve: u32) -> RetryBudget {
        RetryBudget {
            earn: percent as f64 / 100.0,
            cap: reserve as f64,
            balance: reserve as f64,
        }
    }

    pub fn on_request(&mut self) {
        self.balance = (self.balance + self.earn).min(self.cap);
    }

    pub fn try_retry(&mut self) -> bool {
        if self.balance >= 1.0 - 1e-9 {
            self.balance -= 1.0;
            true
        } else {
            false
        }
    }
}

//! Wrong on purpose (retries::budget): the balance is an `f64` compared with `>= 1.0`, so ten
//! requests at 10% earn 0.9999999999999999 of a retry and the retry they earned is refused.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["earns-from-requests"];

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
        if self.balance >= 1.0 {
            self.balance -= 1.0;
            true
        } else {
            false
        }
    }
}

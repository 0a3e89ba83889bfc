//! Wrong on purpose (retries::budget): the savings are capped one retry above the reserve.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["caps-the-savings"];

/// Balances are kept in hundredths of a retry, so no floating-point rounding creeps in.
pub struct RetryBudget {
    percent: u64,
    cap: u64,
    balance: u64,
}

impl RetryBudget {
    pub fn new(percent: u32, reserve: u32) -> RetryBudget {
        let cap = (reserve as u64 + 1) * 100;
        RetryBudget {
            percent: percent as u64,
            cap,
            balance: reserve as u64 * 100,
        }
    }

    pub fn on_request(&mut self) {
        self.balance = (self.balance + self.percent).min(self.cap);
    }

    pub fn try_retry(&mut self) -> bool {
        if self.balance >= 100 {
            self.balance -= 100;
            true
        } else {
            false
        }
    }
}

//! Wrong on purpose (retries::budget): any request refills the whole reserve at once.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["within-budget", "earns-from-requests", "fleet-outage"];

/// Balances are kept in hundredths of a retry, so no floating-point rounding creeps in.
pub struct RetryBudget {
    percent: u64,
    cap: u64,
    balance: u64,
}

impl RetryBudget {
    pub fn new(percent: u32, reserve: u32) -> RetryBudget {
        let cap = reserve as u64 * 100;
        RetryBudget {
            percent: percent as u64,
            cap,
            balance: cap,
        }
    }

    pub fn on_request(&mut self) {
        self.balance = self.cap;
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

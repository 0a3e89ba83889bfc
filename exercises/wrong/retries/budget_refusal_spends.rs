//! Wrong on purpose (retries::budget): a refused retry is still charged (the balance goes into debt), so
//! after a few refusals requests no longer earn retries.

/// The properties the grader must fail for this implementation, and no others.
pub const MUST_FAIL: &[&str] = &["earns-from-requests", "fleet-healthy"];

/// Balances are kept in hundredths of a retry, so no floating-point rounding creeps in.
pub struct RetryBudget {
    percent: u64,
    cap: u64,
    balance: i64,
}

impl RetryBudget {
    pub fn new(percent: u32, reserve: u32) -> RetryBudget {
        let cap = reserve as u64 * 100;
        RetryBudget {
            percent: percent as u64,
            cap,
            balance: cap as i64,
        }
    }

    pub fn on_request(&mut self) {
        self.balance = (self.balance + self.percent as i64).min(self.cap as i64);
    }

    pub fn try_retry(&mut self) -> bool {
        self.balance -= 100;
        self.balance >= 0
    }
}

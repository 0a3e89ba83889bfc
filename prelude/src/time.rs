//! Virtual time: microseconds since the start of a run.
//!
//! One type serves as both an instant and a duration, because in a simulation every instant is
//! a duration since zero and learners should not have to convert between the two.

use std::fmt;
use std::ops::{Add, AddAssign, Mul, Sub};

/// A point in, or a span of, virtual time, in whole microseconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub u64);

/// `n` microseconds.
pub const fn us(n: u64) -> Time {
    Time(n)
}

/// `n` milliseconds.
pub const fn ms(n: u64) -> Time {
    Time(n * 1_000)
}

/// `n` seconds.
pub const fn secs(n: u64) -> Time {
    Time(n * 1_000_000)
}

impl Time {
    /// Time zero, the start of every run.
    pub const ZERO: Time = Time(0);
    /// The largest representable time; used as "never".
    pub const MAX: Time = Time(u64::MAX);

    /// Whole microseconds.
    pub const fn as_us(self) -> u64 {
        self.0
    }

    /// Milliseconds as a float, for tables and plots.
    pub fn as_ms(self) -> f64 {
        self.0 as f64 / 1_000.0
    }

    /// Seconds as a float, for tables and plots.
    pub fn as_secs(self) -> f64 {
        self.0 as f64 / 1_000_000.0
    }

    /// A time from fractional milliseconds, rounded to the nearest microsecond.
    /// Negative and NaN inputs give zero; callers validate user input before converting.
    pub fn from_ms_f64(ms: f64) -> Time {
        // `as` saturates: NaN and negatives become 0, huge values u64::MAX. Adding 0.5 before
        // truncating rounds without a libm call (this sits on every message's hot path).
        Time((ms * 1_000.0 + 0.5) as u64)
    }

    /// `self - other`, or zero when `other` is later.
    pub fn saturating_sub(self, other: Time) -> Time {
        Time(self.0.saturating_sub(other.0))
    }
}

impl Add for Time {
    type Output = Time;
    fn add(self, rhs: Time) -> Time {
        Time(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign for Time {
    fn add_assign(&mut self, rhs: Time) {
        *self = *self + rhs;
    }
}

impl Sub for Time {
    type Output = Time;
    fn sub(self, rhs: Time) -> Time {
        self.saturating_sub(rhs)
    }
}

impl Mul<u64> for Time {
    type Output = Time;
    fn mul(self, rhs: u64) -> Time {
        Time(self.0.saturating_mul(rhs))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0;
        if us >= 1_000_000 {
            write!(f, "{:.3}s", self.as_secs())
        } else if us >= 1_000 {
            write!(f, "{:.3}ms", self.as_ms())
        } else {
            write!(f, "{us}µs")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_and_display() {
        assert_eq!(ms(5) + us(3), Time(5_003));
        assert_eq!(secs(2).to_string(), "2.000s");
        assert_eq!(ms(5).to_string(), "5.000ms");
        assert_eq!(us(7).to_string(), "7µs");
        assert_eq!(ms(1) - ms(3), Time::ZERO, "subtraction saturates at zero");
        assert_eq!(Time::MAX + ms(1), Time::MAX, "addition saturates");
        assert_eq!(Time::from_ms_f64(1.2345), us(1_235));
        assert_eq!(Time::from_ms_f64(f64::NAN), Time::ZERO);
    }
}

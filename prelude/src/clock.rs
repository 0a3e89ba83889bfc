//! Clocks: each node's drifting local clock, and the logical clocks that order events without one.

use crate::time::Time;
use crate::trace::NodeId;
use std::cmp::Ordering;
use std::fmt;

/// A node's physical clock: true time shifted by a fixed offset and running fast or slow.
///
/// `local(t) = t + offset + t · drift_ppm / 10⁶`, never below zero.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct LocalClock {
    /// Offset in microseconds (may be negative: the clock is behind).
    pub offset_us: i64,
    /// Rate error in parts per million (+100 ppm gains 100 µs per second).
    pub drift_ppm: f64,
}

impl LocalClock {
    /// The local reading at true time `t`.
    pub fn read(&self, t: Time) -> Time {
        if self.drift_ppm == 0.0 && self.offset_us == 0 {
            return t;
        }
        let drift = t.0 as f64 * self.drift_ppm / 1e6;
        let local = t.0 as f64 + self.offset_us as f64 + drift;
        Time(local.max(0.0).round() as u64)
    }

    /// How much true time passes while this clock advances by `local` (timers run on local time).
    pub fn true_span(&self, local: Time) -> Time {
        if self.drift_ppm == 0.0 {
            return local;
        }
        Time((local.0 as f64 / (1.0 + self.drift_ppm / 1e6)).round() as u64)
    }
}

/// Lamport's logical clock: a counter that respects happens-before.
///
/// Tick before every local event and send; on receipt, `observe` the sender's stamp.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LamportClock(pub u64);

impl LamportClock {
    /// Advances for a local event or a send; returns the new stamp.
    pub fn tick(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }

    /// Merges a received stamp: `max(local, received) + 1`.
    pub fn observe(&mut self, received: u64) -> u64 {
        self.0 = self.0.max(received) + 1;
        self.0
    }
}

/// A vector clock: one counter per node; detects concurrency that Lamport stamps hide.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VectorClock(pub Vec<u64>);

impl VectorClock {
    /// All zeros for `n` nodes.
    pub fn new(n: usize) -> VectorClock {
        VectorClock(vec![0; n])
    }

    /// Advances `me`'s entry for a local event or a send.
    pub fn tick(&mut self, me: NodeId) {
        if self.0.len() <= me {
            self.0.resize(me + 1, 0);
        }
        self.0[me] += 1;
    }

    /// Merges a received clock (entry-wise max), then ticks `me`.
    pub fn observe(&mut self, other: &VectorClock, me: NodeId) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a = (*a).max(*b);
        }
        self.tick(me);
    }

    /// `Some(Less)` if self happened before other, `Some(Greater)` if after, `Some(Equal)` if
    /// identical, and `None` if the two are concurrent.
    pub fn compare(&self, other: &VectorClock) -> Option<Ordering> {
        let n = self.0.len().max(other.0.len());
        let get = |v: &VectorClock, i: usize| v.0.get(i).copied().unwrap_or(0);
        let (mut le, mut ge) = (true, true);
        for i in 0..n {
            let (a, b) = (get(self, i), get(other, i));
            le &= a <= b;
            ge &= a >= b;
        }
        match (le, ge) {
            (true, true) => Some(Ordering::Equal),
            (true, false) => Some(Ordering::Less),
            (false, true) => Some(Ordering::Greater),
            (false, false) => None,
        }
    }

    /// True when neither clock happened before the other.
    pub fn concurrent(&self, other: &VectorClock) -> bool {
        self.compare(other).is_none()
    }
}

impl fmt::Display for VectorClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, c) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ",")?;
            }
            write!(f, "{c}")?;
        }
        write!(f, "]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{ms, secs};

    #[test]
    fn local_clock_offset_and_drift() {
        let c = LocalClock {
            offset_us: 37_000,
            drift_ppm: 100.0,
        };
        assert_eq!(c.read(secs(10)), Time(10_000_000 + 37_000 + 1_000));
        let behind = LocalClock {
            offset_us: -18_000,
            drift_ppm: 0.0,
        };
        assert_eq!(behind.read(ms(5)), Time::ZERO, "never below zero");
        assert_eq!(c.true_span(Time(1_000_100)), Time(1_000_000));
    }

    #[test]
    fn lamport_respects_causality() {
        let (mut a, mut b) = (LamportClock::default(), LamportClock::default());
        let sent = a.tick();
        b.tick();
        b.tick();
        let got = b.observe(sent);
        assert!(got > sent);
        assert_eq!(got, 3);
    }

    #[test]
    fn vector_clocks_detect_concurrency() {
        let mut a = VectorClock::new(2);
        let mut b = VectorClock::new(2);
        a.tick(0);
        b.tick(1);
        assert!(a.concurrent(&b));
        b.observe(&a, 1);
        assert_eq!(a.compare(&b), Some(Ordering::Less));
        assert_eq!(b.compare(&a), Some(Ordering::Greater));
        assert_eq!(b.to_string(), "[1,2]");
    }
}

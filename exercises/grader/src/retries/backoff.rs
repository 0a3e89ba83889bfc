//! `retries::backoff`: an exponential backoff schedule, capped, with full jitter.

use crate::harness::{guard, Case, Exercise, Judge, Prop};
use crate::Impls;
use faultline::prelude::*;

/// How long to wait before retry number `attempt` (0 = before the first retry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The ceiling before the first retry.
    pub base: Time,
    /// No wait is ever longer than this.
    pub cap: Time,
}

impl Backoff {
    /// The grader's own `min(cap, base × 2^attempt)`, computed without overflow.
    fn ceiling(&self, attempt: u32) -> u64 {
        let doubled = if attempt >= 64 {
            u64::MAX
        } else {
            self.base.0.saturating_mul(1u64 << attempt)
        };
        doubled.min(self.cap.0)
    }
}

/// The learner's function, as the grader calls it.
pub struct Bind {
    pub delay: fn(&Backoff, u32, &mut Rng) -> Time,
}

/// Binds a module with `fn delay(&Backoff, u32, &mut Rng) -> Time`.
#[macro_export]
macro_rules! bind_backoff {
    ($($m:ident)::+) => {
        $crate::retries::backoff::Bind { delay: $($m)::+::delay }
    };
}

const PROPS: &[Prop] = &[
    Prop {
        name: "within-the-ceiling",
        says: "every wait is between 0 and min(cap, base × 2^attempt)",
    },
    Prop {
        name: "grows-to-the-cap",
        says: "the longest waits double with each attempt until they reach the cap",
    },
    Prop {
        name: "jittered",
        says: "waits are spread evenly over 0..=ceiling (full jitter), so clients that failed together do not retry together",
    },
    Prop {
        name: "no-overflow",
        says: "huge attempt numbers (63, 64, 1000, u32::MAX) give waits up to the cap, without overflowing or panicking",
    },
];

pub fn exercise() -> Exercise {
    Exercise {
        id: "retries::backoff",
        props: PROPS,
        schedules: &[
            "tiny-base-huge-cap",
            "cap-below-base",
            "microsecond-base-ten-hour-cap",
            "zero-base",
            "huge-base",
            "cap-equals-base",
        ],
        seeds: 40,
        check,
    }
}

fn policy(case: &Case) -> Backoff {
    match case {
        // 1 µs doubling to 10 minutes: 30 doublings before the cap.
        Case::Schedule("tiny-base-huge-cap") => Backoff {
            base: us(1),
            cap: secs(600),
        },
        // 1 µs doubling to 10 hours (3.6 × 10^10 µs): 35 doublings, past 2^32 µs, so a
        // ceiling kept in 32 bits, or an exponent clamped at 31, never reaches the cap.
        Case::Schedule("microsecond-base-ten-hour-cap") => Backoff {
            base: us(1),
            cap: secs(36_000),
        },
        // No backoff at all: every ceiling is 0, and 0 is the only wait (`0..=0`, not `0..0`).
        Case::Schedule("zero-base") => Backoff {
            base: Time::ZERO,
            cap: secs(1),
        },
        // A base of 2^40 µs (12.7 days) under a cap of 2^50 µs: base × 2^attempt leaves a u64
        // at attempt 24, long before the exponent does.
        Case::Schedule("huge-base") => Backoff {
            base: Time(1 << 40),
            cap: Time(1 << 50),
        },
        // The cap is the base: every ceiling from attempt 0 on is the cap.
        Case::Schedule("cap-equals-base") => Backoff {
            base: ms(250),
            cap: ms(250),
        },
        // A cap smaller than the base: every ceiling is the cap.
        Case::Schedule(_) => Backoff {
            base: ms(100),
            cap: ms(30),
        },
        Case::Seed(_) => {
            let mut r = rng(trial_seed(0xBAC0, case.seed()));
            let base = us(r.random_range(1_000..300_000));
            let cap = us(base.0 * r.random_range(3..5_000) + r.random_range(0..1_000));
            Backoff { base, cap }
        }
    }
}

fn check(impls: &Impls, case: &Case, j: &mut Judge) {
    let p = policy(case);
    let mut r = rng(trial_seed(0xB0FF, case.seed()));
    let show = |a: u32| {
        format!(
            "with base {} and cap {}, attempt {a} (ceiling {})",
            p.base,
            p.cap,
            Time(p.ceiling(a))
        )
    };
    let samples = |a: u32, n: usize, r: &mut Rng| -> Result<Vec<u64>, String> {
        guard(|| (0..n).map(|_| (impls.delay_fn())(&p, a, r).0).collect())
    };
    for a in 0..=40u32 {
        let ceiling = p.ceiling(a);
        match samples(a, 100, &mut r) {
            Err(e) => {
                j.fail("within-the-ceiling", format!("{}: {e}", show(a)));
                j.fail("grows-to-the-cap", format!("{}: {e}", show(a)));
            }
            Ok(s) => {
                let max = *s.iter().max().unwrap_or(&0);
                j.expect("within-the-ceiling", max <= ceiling, || {
                    format!("{}: waited {}", show(a), Time(max))
                });
                // (Or within a microsecond of a tiny ceiling: drawing from 0..ceiling is fine too.)
                let reached = u128::from(max) * 10 >= u128::from(ceiling) * 6
                    || max >= ceiling.saturating_sub(1);
                j.expect("grows-to-the-cap", reached, || {
                    format!(
                        "{}: the longest of 100 waits was only {} (expected some above 60% of the ceiling)",
                        show(a),
                        Time(max)
                    )
                });
            }
        }
    }
    for a in [2u32, 6, 40] {
        let ceiling = p.ceiling(a);
        match samples(a, 300, &mut r) {
            Err(e) => j.fail("jittered", format!("{}: {e}", show(a))),
            Ok(s) => {
                let below = s
                    .iter()
                    .filter(|&&d| u128::from(d) * 2 < u128::from(ceiling))
                    .count();
                let mut distinct = s.clone();
                distinct.sort_unstable();
                distinct.dedup();
                let want = (ceiling / 2).clamp(1, 100) as usize;
                // Uniform over 0..=ceiling puts ceil(ceiling / 2) of its ceiling + 1 values below
                // half; allow 45 either way (about five standard deviations).
                let expected = 300 * ceiling.div_ceil(2) as usize / (ceiling as usize + 1);
                let spread = below.abs_diff(expected) <= 45;
                j.expect("jittered", spread && distinct.len() >= want, || {
                    format!(
                        "{}: of 300 waits, {below} were below half the ceiling (expected about {expected}) and {} were different (expected at least {want})",
                        show(a),
                        distinct.len(),
                    )
                });
            }
        }
    }
    for a in [62u32, 63, 64, 65, 127, 1_000, 100_000, u32::MAX] {
        match samples(a, 100, &mut r) {
            Err(e) => j.fail("no-overflow", format!("{}: {e}", show(a))),
            Ok(s) => {
                // The ceiling is the cap here (or 0, for a zero base).
                let ceiling = p.ceiling(a);
                let max = *s.iter().max().unwrap_or(&0);
                j.expect(
                    "no-overflow",
                    max <= ceiling && (max * 10 >= ceiling * 6 || max + 2 > ceiling),
                    || {
                        format!(
                        "{}: the longest of 100 waits was {} (expected waits spread up to the ceiling)",
                        show(a),
                        Time(max)
                    )
                    },
                );
            }
        }
    }
}

impl Impls {
    fn delay_fn(&self) -> fn(&Backoff, u32, &mut Rng) -> Time {
        self.backoff.delay
    }
}

//! A load balancer's health checks, as the seed describes them: every `every` the balancer sends
//! the server a check (an ordinary request), waits `timeout` for the answer, and takes the server
//! out of rotation after `failures` failed checks in a row. The balancer's check schedule starts
//! at a random phase, so a crash falls anywhere between two checks — which is why a crash is
//! noticed after a spread of times rather than one fixed delay.

use faultline::blocks::retry::{Rpc, Server};
use faultline::faults::Faults;
use faultline::net::{Delay, Net};
use faultline::node::{Ctx, Node};
use faultline::run::Run;
use faultline::sim::Sim;
use faultline::time::Time;
use faultline::trace::NodeId;
use rand::Rng as _;

const CHECK: u64 = u64::MAX;

/// Checks server 0 every `every`; records `removed` (value: the server) once `failures` checks
/// in a row got no answer within `timeout`.
#[derive(Clone, Debug)]
pub struct HealthChecker {
    every: Time,
    timeout: Time,
    failures: u32,
    failed: u32,
    waiting: Option<u64>,
    sent: u64,
    removed: bool,
}

impl HealthChecker {
    pub fn new(every: Time, timeout: Time, failures: u32) -> HealthChecker {
        HealthChecker {
            every,
            timeout,
            failures: failures.max(1),
            failed: 0,
            waiting: None,
            sent: 0,
            removed: false,
        }
    }
}

impl Node<Rpc> for HealthChecker {
    fn on_start(&mut self, ctx: &mut Ctx<Rpc>) {
        let phase = Time(ctx.rng().random_range(0..self.every.0.max(1)));
        ctx.set_timer(phase, CHECK);
    }

    fn on_message(&mut self, _: &mut Ctx<Rpc>, _: NodeId, msg: Rpc) {
        if matches!(msg, Rpc::Reply { id, .. } if Some(id) == self.waiting) {
            self.waiting = None;
            self.failed = 0;
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Rpc>, tag: u64) {
        if tag == CHECK {
            self.sent += 1;
            self.waiting = Some(self.sent);
            ctx.send(
                0,
                Rpc::Request {
                    id: self.sent,
                    attempt: 0,
                },
            );
            ctx.set_timer(self.timeout, self.sent);
            ctx.set_timer(self.every, CHECK);
        } else if self.waiting == Some(tag) {
            self.waiting = None;
            self.failed += 1;
            if self.failed >= self.failures && !self.removed {
                self.removed = true;
                ctx.record("removed", 0.0);
            }
        }
    }
}

/// A server behind a balancer that checks it every `every` with a `timeout`, removing it after
/// `failures` failed checks; the server crashes at `crash_at`. Runs until two minutes after it.
pub fn load_balancer(every: Time, timeout: Time, failures: u32, crash_at: Time) -> Sim<Rpc> {
    Sim::new(Net::new().delay(Delay::uniform(0.5, 2.0)))
        .node(|_| Server::new())
        .client(move |_| HealthChecker::new(every, timeout, failures))
        .faults(Faults::new().crash_at(crash_at, 0))
        .until(crash_at + Time(120_000_000))
}

/// How long after `crashed_at` the balancer took the server out, if it did.
pub fn removal_time(run: &Run, crashed_at: Time) -> Option<Time> {
    run.observed("removed")
        .find(|o| o.at >= crashed_at)
        .map(|o| o.at - crashed_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline::rng::rng;
    use faultline::time::{ms, secs};

    #[test]
    fn three_failed_checks_ten_seconds_apart_take_twenty_to_thirty_seconds() {
        let mut r = rng(5);
        let times: Vec<f64> = (0..200)
            .map(|_| {
                let crash = ms(r.random_range(60_000..70_000));
                let run = load_balancer(secs(10), secs(2), 3, crash).run_untraced(r.random());
                assert!(
                    run.observed("removed").all(|o| o.at >= crash),
                    "removed while alive"
                );
                removal_time(&run, crash).expect("removed").as_secs()
            })
            .collect();
        let (lo, hi) = times
            .iter()
            .fold((f64::MAX, 0.0f64), |(l, h), &t| (l.min(t), h.max(t)));
        // First failed check 0–10 s after the crash, two more 10 s apart, each waiting 2 s.
        assert!(
            lo >= 22.0 && hi <= 32.0 + 0.01 && hi - lo > 8.0,
            "{lo} – {hi}"
        );
        assert!(
            times.iter().any(|t| t.fract() > 0.1),
            "not phase-aligned: {times:?}"
        );
    }
}

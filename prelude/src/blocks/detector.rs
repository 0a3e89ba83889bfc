//! Heartbeat failure detection: monitored nodes send heartbeats; a monitor suspects a node when
//! none has arrived within its timeout — which a long pause or a slow network also causes.
//!
//! The monitor records `suspect` and `trust` observations (value: the node id), so a run tells
//! how fast a real crash was noticed and how many live nodes were wrongly declared dead.

use super::suspicion::FailureDetector;
use crate::node::{Ctx, Node};
use crate::run::Run;
use crate::time::Time;
use crate::trace::NodeId;

/// Heartbeat messages.
#[derive(Clone, Debug, PartialEq)]
pub struct Heartbeat;

/// Sends a heartbeat to `monitor` every `every`.
#[derive(Clone, Debug)]
pub struct Heartbeater {
    monitor: NodeId,
    every: Time,
}

impl Heartbeater {
    pub fn new(monitor: NodeId, every: Time) -> Heartbeater {
        Heartbeater { monitor, every }
    }
}

impl Node<Heartbeat> for Heartbeater {
    fn on_start(&mut self, ctx: &mut Ctx<Heartbeat>) {
        ctx.send(self.monitor, Heartbeat);
        ctx.set_timer(self.every, 0);
    }

    fn on_message(&mut self, _: &mut Ctx<Heartbeat>, _: NodeId, _: Heartbeat) {}

    fn on_timer(&mut self, ctx: &mut Ctx<Heartbeat>, _: u64) {
        ctx.send(self.monitor, Heartbeat);
        ctx.set_timer(self.every, 0);
    }
}

/// Suspects a node after `misses` check intervals of `every` without a heartbeat from it
/// (a load balancer's "3 failed checks, 10 s apart"). A [`FailureDetector`] run as a node of
/// its own; embed the detector in your node instead to suspect peers of your protocol.
#[derive(Clone, Debug)]
pub struct Monitor {
    every: Time,
    detector: FailureDetector,
}

impl Monitor {
    pub fn new(every: Time, misses: u32) -> Monitor {
        Monitor {
            every,
            detector: FailureDetector::new(every * misses.max(1) as u64),
        }
    }
}

impl Node<Heartbeat> for Monitor {
    fn on_start(&mut self, ctx: &mut Ctx<Heartbeat>) {
        ctx.set_timer(self.every, 0);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Heartbeat>, from: NodeId, _: Heartbeat) {
        self.detector.heard_from(ctx, from);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Heartbeat>, _: u64) {
        self.detector.check(ctx);
        ctx.set_timer(self.every, 0);
    }
}

/// Suspicions of nodes that were up at the time: each one is a false "dead" verdict.
pub fn false_suspicions(run: &Run) -> usize {
    let trace = run.trace.as_ref();
    run.observed("suspect")
        .filter(|o| {
            let node = o.value as NodeId;
            let down = trace.map(|t| t.down_intervals(node)).unwrap_or_default();
            !down.iter().any(|&(from, to)| o.at >= from && o.at <= to)
        })
        .count()
}

/// Time from `crashed_at` to the first suspicion of `node` after it, if there was one.
pub fn detection_time(run: &Run, node: NodeId, crashed_at: Time) -> Option<Time> {
    run.observed("suspect")
        .find(|o| o.value as NodeId == node && o.at >= crashed_at)
        .map(|o| o.at - crashed_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn sim(faults: Faults) -> Sim<Heartbeat> {
        Sim::new(Net::new())
            .node(|_| Monitor::new(secs(10), 3))
            .nodes(2, |_| Heartbeater::new(0, secs(10)))
            .faults(faults)
            .until(secs(120))
    }

    #[test]
    fn crash_is_detected_within_the_check_window() {
        let run = sim(Faults::new().crash_at(secs(25), 1)).run(1);
        let t = detection_time(&run, 1, secs(25)).expect("crash detected");
        assert!(t > secs(20) && t <= secs(40), "{t}");
        assert_eq!(false_suspicions(&run), 0);
    }

    #[test]
    fn a_long_pause_looks_like_a_crash() {
        let run = sim(Faults::new().pause_at(secs(25), 2, secs(45))).run(1);
        assert_eq!(
            false_suspicions(&run),
            1,
            "the paused node was declared dead"
        );
        assert_eq!(
            run.observed("trust").count(),
            1,
            "and trusted again when it woke"
        );
    }
}

//! Timeout ambiguity: a request timed out — was it lost on the way, did the reply get lost, did
//! the server crash half-way, or is it just slow? Each case is one small simulation; the client
//! sees the same thing in all four (a request sent, then silence), while the server's records
//! show whether the request was really carried out.

use faultline::blocks::retry::{RetryClient, Rpc};
use faultline::faults::Faults;
use faultline::history::Outcome;
use faultline::net::{Delay, Link, Net};
use faultline::node::{Ctx, Node};
use faultline::rng::Rng;
use faultline::run::Run;
use faultline::sim::Sim;
use faultline::time::{ms, Time};
use faultline::trace::{DropReason, Fate, NodeId};
use rand::Rng as _;
use std::collections::BTreeMap;

/// What really happened to one request.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cause {
    /// Nothing went wrong.
    Fine,
    /// The request never reached the server.
    LostRequest,
    /// The server did the work; the reply was lost.
    LostReply,
    /// The server started the work and crashed before replying.
    CrashMidway,
    /// The server is alive and working, just slower than the timeout.
    Slow,
}

impl Cause {
    /// Every cause, in order.
    pub const ALL: [Cause; 5] = [
        Cause::Fine,
        Cause::LostRequest,
        Cause::LostReply,
        Cause::CrashMidway,
        Cause::Slow,
    ];

    /// A short name for tables and plots.
    pub fn name(self) -> &'static str {
        match self {
            Cause::Fine => "fine",
            Cause::LostRequest => "lost request",
            Cause::LostReply => "lost reply",
            Cause::CrashMidway => "crash mid-way",
            Cause::Slow => "slow server",
        }
    }

    /// Draws a cause with the given weights, in the order of [`Cause::ALL`].
    pub fn sample(weights: [f64; 5], rng: &mut Rng) -> Cause {
        let total: f64 = weights.iter().sum();
        let mut u = rng.random_range(0.0..total.max(f64::MIN_POSITIVE));
        for (c, w) in Cause::ALL.iter().zip(weights) {
            if u < w {
                return *c;
            }
            u -= w;
        }
        Cause::Fine
    }
}

/// One request from a client (node 1) to a server (node 0) with a `timeout` and no retries,
/// where `cause` is forced to happen: an illustration of each case. Service takes 20 ms over a
/// 5 ms network, the change committed half-way; "slow" takes twice the timeout; "crash mid-way"
/// crashes the server 8 ms into the work, before its commit point.
pub fn timeout_scenario(cause: Cause, timeout: Time) -> Sim<Rpc> {
    let service = match cause {
        Cause::Slow => Delay::constant(timeout.as_ms() * 2.0),
        _ => Delay::constant(20.0),
    };
    let mut net = Net::new().delay(Delay::constant(5.0));
    let mut faults = Faults::new();
    match cause {
        Cause::LostRequest => net = net.link(1, 0, Link::default().loss(1.0)),
        Cause::LostReply => net = net.link(0, 1, Link::default().loss(1.0)),
        Cause::CrashMidway => faults = faults.crash_at(ms(13), 0),
        _ => {}
    }
    one_request(net, service, faults, timeout)
}

/// One request where nothing is forced: every message is lost with probability `loss`, the
/// service time is drawn from `service`, and with probability `crash` the server crashes at a
/// moment drawn uniformly from the client's wait. Which cause, if any, made the request time
/// out is then a fact about the run ([`cause`]), not an input.
pub fn request(loss: f64, service: Delay, crash: f64, timeout: Time, rng: &mut Rng) -> Sim<Rpc> {
    let mut faults = Faults::new();
    if rng.random_bool(crash.clamp(0.0, 1.0)) {
        faults = faults.crash_at(Time(rng.random_range(0..timeout.0.max(1))), 0);
    }
    let net = Net::new().delay(Delay::constant(5.0)).loss(loss);
    one_request(net, service, faults, timeout)
}

fn one_request(net: Net, service: Delay, faults: Faults, timeout: Time) -> Sim<Rpc> {
    Sim::new(net)
        .node(move |_| CommitServer::new(service.clone()))
        .client(move |_| RetryClient::new(1).attempts(1).timeout(timeout))
        .faults(faults)
        .names(["server", "client"])
}

/// A server whose change becomes durable at a **commit point** half-way through its service
/// time (recorded as `executed`), and which replies at the end. A crash before the commit point
/// leaves nothing behind; a crash after it leaves the change made and no reply.
#[derive(Clone, Debug)]
pub struct CommitServer {
    service: Delay,
    /// Requests in progress, by timer tag: client, request id, half the service time, and
    /// whether the commit point has passed.
    working: BTreeMap<u64, (NodeId, u64, Time, bool)>,
    next_tag: u64,
}

impl CommitServer {
    pub fn new(service: Delay) -> CommitServer {
        CommitServer {
            service,
            working: BTreeMap::new(),
            next_tag: 0,
        }
    }
}

impl Node<Rpc> for CommitServer {
    fn on_message(&mut self, ctx: &mut Ctx<Rpc>, from: NodeId, msg: Rpc) {
        if let Rpc::Request { id, .. } = msg {
            let half = Time(self.service.sample(ctx.rng()).0 / 2);
            self.next_tag += 1;
            self.working.insert(self.next_tag, (from, id, half, false));
            ctx.set_timer(half, self.next_tag);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Rpc>, tag: u64) {
        match self.working.remove(&tag) {
            Some((to, id, half, false)) => {
                ctx.record("executed", id as f64);
                self.working.insert(tag, (to, id, half, true));
                ctx.set_timer(half, tag);
            }
            Some((to, id, _, true)) => ctx.send(to, Rpc::Reply { id, ok: true }),
            None => {}
        }
    }
}

/// What made a request time out, read from the run's trace (the ground truth no client sees):
/// the request lost; the server down before it could reply (crashed before or after its commit
/// point — [`executed`] says which); the reply lost; or otherwise the reply (or the work) came
/// after the client stopped waiting. A crash or loss that happened after the timeout is not a
/// cause: the request was already too slow. Needs a traced run (`run`, not `run_untraced`).
pub fn cause(run: &Run) -> Cause {
    let Some(deadline) = run
        .history
        .ops
        .first()
        .filter(|_| timed_out(run))
        .and_then(|o| o.completed)
    else {
        return Cause::Fine;
    };
    let trace = run.trace();
    let sent = |from: NodeId| trace.messages.iter().find(|m| m.from == from);
    let crashed_in_time = trace
        .down_intervals(0)
        .iter()
        .any(|&(from, _)| from < deadline);
    match sent(1).map(|m| m.fate) {
        None | Some(Fate::Dropped(_, DropReason::Loss)) => return Cause::LostRequest,
        Some(Fate::Dropped(..)) => return Cause::CrashMidway,
        _ => {}
    }
    match sent(0) {
        None if crashed_in_time => Cause::CrashMidway,
        Some(reply) if reply.sent_at < deadline => match reply.fate {
            Fate::Delivered(at) if at < deadline => Cause::Fine,
            Fate::Dropped(at, _) if at < deadline => Cause::LostReply,
            _ => Cause::Slow,
        },
        _ => Cause::Slow,
    }
}

/// Whether the client's (only) request timed out.
pub fn timed_out(run: &Run) -> bool {
    run.history
        .ops
        .first()
        .is_some_and(|o| o.outcome == Outcome::Unknown)
}

/// Whether the server carried the request out (the ground truth the client cannot see).
pub fn executed(run: &Run) -> bool {
    run.observed("executed").next().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline::rng::rng;

    #[test]
    fn four_causes_one_symptom() {
        let t = ms(100);
        for c in Cause::ALL {
            let run = timeout_scenario(c, t).run(1);
            assert_eq!(timed_out(&run), c != Cause::Fine, "{c:?}");
            let did = matches!(c, Cause::Fine | Cause::LostReply | Cause::Slow);
            assert_eq!(
                executed(&run),
                did,
                "{c:?}: the crash comes before the commit point"
            );
            assert_eq!(cause(&run), c, "the trace tells the forced cause");
        }
        let mut r = rng(1);
        let n = (0..1000)
            .filter(|_| Cause::sample([0.0, 1.0, 0.0, 0.0, 1.0], &mut r) == Cause::Slow)
            .count();
        assert!((400..600).contains(&n));
    }

    #[test]
    fn causes_emerge_from_loss_tails_and_crashes() {
        let mut r = rng(2);
        let mut seen = BTreeMap::new();
        for _ in 0..3000 {
            let sim = request(0.02, Delay::lognormal(20.0, 0.9), 0.05, ms(100), &mut r);
            let run = sim.run(r.random());
            *seen.entry(cause(&run)).or_insert(0) += 1;
            if cause(&run) == Cause::LostRequest {
                assert!(!executed(&run), "a lost request is never executed");
            }
        }
        for c in Cause::ALL {
            assert!(
                seen.get(&c).copied().unwrap_or(0) > 5,
                "{c:?} never happened: {seen:?}"
            );
        }
    }
}

//! Timeout ambiguity: a request timed out — was it lost on the way, did the reply get lost, did
//! the server crash half-way, or is it just slow? Each case is one small simulation; the client
//! sees the same thing in all four (a request sent, then silence), while the server's records
//! show whether the request was really carried out.

use faultline::blocks::retry::{RetryClient, Rpc, Server};
use faultline::faults::Faults;
use faultline::history::Outcome;
use faultline::net::{Delay, Link, Net};
use faultline::run::Run;
use faultline::sim::Sim;
use faultline::time::{ms, Time};
use rand::Rng as _;

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
    pub fn sample(weights: [f64; 5], rng: &mut faultline::rng::Rng) -> Cause {
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
/// where `cause` happens. Normal service takes 20 ms over a 5 ms network; "slow" takes twice the
/// timeout; "crash mid-way" crashes the server 10 ms into the work.
pub fn timeout_scenario(cause: Cause, timeout: Time) -> Sim<Rpc> {
    let slow = Delay::constant(timeout.as_ms() * 2.0);
    let service = if cause == Cause::Slow {
        slow
    } else {
        Delay::constant(20.0)
    };
    let mut net = Net::new().delay(Delay::constant(5.0));
    let mut faults = Faults::new();
    match cause {
        Cause::LostRequest => net = net.link(1, 0, Link::default().loss(1.0)),
        Cause::LostReply => net = net.link(0, 1, Link::default().loss(1.0)),
        Cause::CrashMidway => faults = faults.crash_at(ms(15), 0),
        _ => {}
    }
    Sim::new(net)
        .node(move |_| Server::new().service(service.clone()))
        .client(move |_| RetryClient::new(1).attempts(1).timeout(timeout))
        .faults(faults)
        .names(["server", "client"])
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
            let did = matches!(
                c,
                Cause::Fine | Cause::LostReply | Cause::CrashMidway | Cause::Slow
            );
            assert_eq!(executed(&run), did, "{c:?}");
        }
        let mut r = rng(1);
        let n = (0..1000)
            .filter(|_| Cause::sample([0.0, 1.0, 0.0, 0.0, 1.0], &mut r) == Cause::Slow)
            .count();
        assert!((400..600).contains(&n));
    }
}

//! Capacity: why adding machines stops helping (Amdahl, the Universal Scalability Law) and why
//! one machine falls off a cliff as load approaches its capacity (queueing: the knee).
//!
//! The formulas give the shape; [`QueueServer`] and [`OpenLoop`] let a notebook *watch* the knee
//! happen in a simulation: requests arrive at random, wait in line, and latency explodes long
//! before the server is "100% busy".

use faultline::blocks::retry::Rpc;
use faultline::history::{OpKind, Outcome};
use faultline::net::{Delay, Net};
use faultline::node::{Ctx, Node};
use faultline::sim::Sim;
use faultline::time::{secs, Time};
use faultline::trace::NodeId;
use rand::Rng as _;
use std::collections::{BTreeMap, VecDeque};

/// Amdahl's law: the speed-up of `n` machines when a fraction `serial` of the work cannot be
/// spread out. It never exceeds `1 / serial`, however many machines you add.
pub fn amdahl(n: f64, serial: f64) -> f64 {
    1.0 / (serial + (1.0 - serial) / n)
}

/// Gunther's Universal Scalability Law: relative throughput of `n` machines with contention
/// `sigma` (a serial part, as in Amdahl) and coherence cost `kappa` (every machine keeping every
/// other up to date, which grows with n²). With `kappa > 0` throughput peaks, then *falls*.
pub fn usl(n: f64, sigma: f64, kappa: f64) -> f64 {
    n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))
}

/// The number of machines at which [`usl`] throughput peaks: `sqrt((1 − sigma) / kappa)`.
pub fn usl_peak(sigma: f64, kappa: f64) -> f64 {
    ((1.0 - sigma) / kappa).sqrt()
}

/// Mean time in an M/M/1 queue (random arrivals, random service, one server):
/// `service / (1 − utilisation)`. At 50% busy a request takes twice its service time; at 99%,
/// a hundred times.
pub fn mm1_response(service_ms: f64, utilisation: f64) -> f64 {
    if utilisation >= 1.0 {
        f64::INFINITY
    } else {
        service_ms / (1.0 - utilisation)
    }
}

/// The utilisation at which an M/M/1 queue turns `service_ms` into `response_ms`.
pub fn mm1_utilisation(service_ms: f64, response_ms: f64) -> f64 {
    1.0 - service_ms / response_ms
}

/// A server with `workers` parallel workers and a first-come-first-served queue in front of
/// them: the queueing that a plain [`Server`](faultline::blocks::retry::Server) (which serves every
/// request at once) leaves out. Replies `Rpc::Reply { ok: true }` when a request is done.
#[derive(Clone, Debug)]
pub struct QueueServer {
    workers: usize,
    service: Delay,
    busy: usize,
    queue: VecDeque<(NodeId, u64)>,
    /// Requests being served, by timer tag.
    serving: BTreeMap<u64, (NodeId, u64)>,
    next_tag: u64,
}

impl QueueServer {
    /// One worker whose service time is drawn from `service`.
    pub fn new(service: Delay) -> QueueServer {
        QueueServer {
            workers: 1,
            service,
            busy: 0,
            queue: VecDeque::new(),
            serving: BTreeMap::new(),
            next_tag: 0,
        }
    }

    /// `n` requests are served in parallel (cores, threads, connections).
    pub fn workers(mut self, n: usize) -> QueueServer {
        self.workers = n.max(1);
        self
    }

    fn start(&mut self, ctx: &mut Ctx<Rpc>, from: NodeId, id: u64) {
        self.busy += 1;
        self.next_tag += 1;
        self.serving.insert(self.next_tag, (from, id));
        let t = self.service.sample(ctx.rng());
        ctx.set_timer(t, self.next_tag);
    }
}

impl Node<Rpc> for QueueServer {
    fn on_message(&mut self, ctx: &mut Ctx<Rpc>, from: NodeId, msg: Rpc) {
        if let Rpc::Request { id, .. } = msg {
            if self.busy < self.workers {
                self.start(ctx, from, id);
            } else {
                self.queue.push_back((from, id));
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Rpc>, tag: u64) {
        if let Some((to, id)) = self.serving.remove(&tag) {
            ctx.send(to, Rpc::Reply { id, ok: true });
            self.busy -= 1;
            if let Some((from, id)) = self.queue.pop_front() {
                self.start(ctx, from, id);
            }
        }
    }
}

/// An open-loop load generator: requests arrive at random (Poisson) at `per_sec` on average for
/// `duration`, whether or not earlier ones were answered — like users on a website, who do not
/// wait for each other. Spreads requests over the servers round-robin. Requests unanswered after
/// `timeout` (default 30 s) are recorded as `Unknown`.
#[derive(Clone, Debug)]
pub struct OpenLoop {
    per_sec: f64,
    duration: Time,
    timeout: Time,
    sent: u64,
    /// Open requests: id → (op, deadline timer tag).
    open: BTreeMap<u64, usize>,
}

const ARRIVE: u64 = u64::MAX;

impl OpenLoop {
    pub fn new(per_sec: f64, duration: Time) -> OpenLoop {
        OpenLoop {
            per_sec,
            duration,
            timeout: secs(30),
            sent: 0,
            open: BTreeMap::new(),
        }
    }

    pub fn timeout(mut self, t: Time) -> OpenLoop {
        self.timeout = t;
        self
    }

    fn schedule_next(&mut self, ctx: &mut Ctx<Rpc>) {
        if self.per_sec <= 0.0 {
            return;
        }
        let u: f64 = ctx.rng().random_range(f64::MIN_POSITIVE..1.0);
        let gap_ms = -u.ln() * 1_000.0 / self.per_sec;
        ctx.set_timer(Time::from_ms_f64(gap_ms), ARRIVE);
    }
}

impl Node<Rpc> for OpenLoop {
    fn on_start(&mut self, ctx: &mut Ctx<Rpc>) {
        self.schedule_next(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Rpc>, _: NodeId, msg: Rpc) {
        if let Rpc::Reply { id, ok } = msg {
            if let Some(op) = self.open.remove(&id) {
                ctx.complete(op, if ok { Outcome::Ok(None) } else { Outcome::Fail });
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Rpc>, tag: u64) {
        if tag != ARRIVE {
            if let Some(op) = self.open.remove(&tag) {
                ctx.complete(op, Outcome::Unknown);
            }
            return;
        }
        if ctx.now() >= self.duration || ctx.servers().is_empty() {
            return;
        }
        let id = self.sent;
        self.sent += 1;
        let to = ctx.servers()[id as usize % ctx.servers().len()];
        let op = ctx.invoke(OpKind::Other(format!("request {id}")));
        self.open.insert(id, op);
        ctx.send(to, Rpc::Request { id, attempt: 0 });
        ctx.set_timer(self.timeout, id);
        self.schedule_next(ctx);
    }
}

/// A load test: `servers` single-queue servers (each with `workers` workers and service times
/// from `service`) behind round-robin, offered `per_sec` requests per second for `duration`.
/// Latency per request is in the run's history (`run.p50()`, `run.p99()`).
pub fn load_test(
    per_sec: f64,
    service: Delay,
    servers: usize,
    workers: usize,
    duration: Time,
) -> Sim<Rpc> {
    Sim::new(Net::new().delay(Delay::constant(0.5)))
        .nodes(servers, move |_| {
            QueueServer::new(service.clone()).workers(workers)
        })
        .client(move |_| OpenLoop::new(per_sec, duration))
        .until(duration + secs(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_match_known_values() {
        assert!((amdahl(1e9, 0.05) - 20.0).abs() < 1e-3, "at most 1/serial");
        assert_eq!(usl(1.0, 0.1, 0.01), 1.0);
        assert!((usl(8.0, 0.0, 0.0) - 8.0).abs() < 1e-12, "no costs: linear");
        let peak = usl_peak(0.05, 0.001);
        assert!(
            usl(peak, 0.05, 0.001) > usl(2.0 * peak, 0.05, 0.001),
            "retrograde"
        );
        assert_eq!(mm1_response(5.0, 0.5), 10.0);
        // 5 ms queries taking 500 ms means the database was 99% busy.
        assert!((mm1_utilisation(5.0, 500.0) - 0.99).abs() < 1e-12);
    }

    #[test]
    fn latency_has_a_knee_near_capacity() {
        // One worker, 10 ms exponential service: capacity 100 req/s.
        let p50 = |rate| {
            load_test(rate, Delay::exponential(10.0), 1, 1, secs(60))
                .run_untraced(1)
                .p50()
        };
        let (light, heavy) = (p50(20.0), p50(95.0));
        assert!(light < 15.0, "{light}");
        assert!(heavy > 5.0 * light, "{light} → {heavy}");
    }

    #[test]
    fn queue_server_serves_in_order_and_answers_everyone() {
        let run = load_test(50.0, Delay::constant(10.0), 2, 2, secs(10)).run(3);
        assert!(run.history.ops.len() > 400);
        assert_eq!(run.ok_rate(), 1.0);
    }
}

//! Simulator benchmarks, printed as a table:
//! 1. events/s through the public node API vs a hand-inlined loop doing the same work;
//! 2. how that scales with node count, and memory per in-flight message;
//! 3. messages/s against turmoil on the same echo workload;
//! 4. 10,000 trials of a 5-node quorum experiment.
//!
//! Each figure is the median of several repetitions, timed with the wall clock on an otherwise
//! idle machine: compare numbers from the same run only.

mod inlined;
mod turmoil_echo;

use faultline::prelude::*;
use faultline_lab::register::{QuorumClient, Replica};
use std::time::Instant;

/// Pacing pings: each client sends `pings` pings, one per 1 ms timer, to server `id % servers`.
#[derive(Clone, Debug)]
pub enum Msg {
    Ping,
    Pong,
}

struct Client {
    server: NodeId,
    left: u32,
}

impl Node<Msg> for Client {
    fn on_start(&mut self, ctx: &mut Ctx<Msg>) {
        ctx.set_timer(ms(1), 0);
    }
    fn on_message(&mut self, _: &mut Ctx<Msg>, _: NodeId, _: Msg) {}
    fn on_timer(&mut self, ctx: &mut Ctx<Msg>, _: u64) {
        ctx.send(self.server, Msg::Ping);
        self.left -= 1;
        if self.left > 0 {
            ctx.set_timer(ms(1), 0);
        }
    }
}

struct Echo;

impl Node<Msg> for Echo {
    fn on_message(&mut self, ctx: &mut Ctx<Msg>, from: NodeId, msg: Msg) {
        if let Msg::Ping = msg {
            ctx.send(from, Msg::Pong);
        }
    }
}

pub const LOSS: f64 = 0.05;
pub const DUP: f64 = 0.01;

fn api_sim(nodes: usize, pings: u32) -> Sim<Msg> {
    let servers = nodes / 2;
    Sim::new(
        Net::new()
            .delay(Delay::uniform(1.0, 5.0))
            .loss(LOSS)
            .dup(DUP),
    )
    .nodes(servers, |_| Echo)
    .clients(nodes - servers, move |id| Client {
        server: id % servers,
        left: pings,
    })
    .until(Time::MAX)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Median events/s of `f`, which returns the number of events it processed.
fn rate(reps: usize, mut f: impl FnMut() -> u64) -> (f64, u64) {
    let mut events = 0;
    let rates = (0..reps)
        .map(|_| {
            let t = Instant::now();
            events = f();
            events as f64 / t.elapsed().as_secs_f64()
        })
        .collect();
    (median(rates), events)
}

fn main() {
    let only: Option<String> = std::env::args().nth(1);
    let want = |section: &str| only.as_deref().is_none_or(|o| o == section);
    let reps = 5;
    if let Some(what) = only.as_deref().and_then(|o| o.strip_prefix("once-")) {
        // One run of one side, for instruction-level profiling (valgrind --tool=callgrind).
        let events = match what {
            "api" => api_sim(10, 20_000).run_untraced(1).counters.events,
            _ => inlined::run(10, 20_000, 1),
        };
        println!("{what}: {events} events");
        return;
    }
    println!(
        "# Faultline simulator benchmarks ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    if want("api") {
        println!(
            "\n## 1. Public node API vs hand-inlined loop (ping workload, 5% loss, 1% dup, timers)"
        );
        println!(
            "{:>7} {:>12} {:>14} {:>14} {:>7}",
            "nodes", "events", "API ev/s", "inlined ev/s", "ratio"
        );
        for nodes in [10, 100, 1_000] {
            let pings = (2_000_000 / nodes) as u32;
            let sim = api_sim(nodes, pings);
            // Interleaved repetitions, so background load hits both sides alike.
            let (mut apis, mut raws, mut events, mut raw_events) = (vec![], vec![], 0, 0);
            for _ in 0..reps {
                let (a, e) = rate(1, || sim.run_untraced(1).counters.events);
                let (r, re) = rate(1, || inlined::run(nodes, pings, 1));
                apis.push(a);
                raws.push(r);
                (events, raw_events) = (e, re);
            }
            let (api, raw) = (median(apis), median(raws));
            println!(
            "{nodes:>7} {events:>12} {api:>14.0} {raw:>14.0} {:>6.0}%   (inlined events: {raw_events})",
            100.0 * api / raw
        );
        }
    }
    if want("memory") {
        println!("\n## 2. Memory per in-flight message");
        let entry = std::mem::size_of::<faultline_bench_probe::EntryProbe>();
        println!("heap entry for this workload's message type: {entry} bytes (+ BinaryHeap slack up to 2x)");
        let in_flight = 1_000_000;
        let before = peak_rss_kib();
        let flood = Sim::new(Net::new().delay(Delay::constant(1_000.0)))
            .node(|_| Echo)
            .client(move |_| {
                FnNode::new((), |_, _: &mut Ctx<Msg>, _, _| {}).on_start(move |_, ctx| {
                    for _ in 0..in_flight {
                        ctx.send(0, Msg::Ping);
                    }
                })
            })
            .until(ms(500));
        let run = flood.run_untraced(1);
        let after = peak_rss_kib();
        println!(
            "{} messages in flight at once: peak RSS grew {:.1} MiB = {:.0} bytes per message",
            run.counters.sent,
            (after - before) as f64 / 1024.0,
            (after - before) as f64 * 1024.0 / run.counters.sent as f64
        );
    }
    if want("turmoil") {
        println!("\n## 3. Echo workload vs turmoil (reliable network, closed loop)");
        println!(
            "{:>10} {:>8} {:>16} {:>16} {:>8}",
            "latency", "clients", "faultline msg/s", "turmoil msg/s", "speedup"
        );
        // turmoil advances every host on every 1 ms tick, so its cost grows with latency and with
        // hosts; 100 clients get fewer rounds and one repetition. 1 ms is turmoil's best case;
        // 0-100 ms is its default latency range.
        for latency in [(1, 1), (0, 100)] {
            for (clients, rounds, reps) in [(10, 200, 3), (100, 10, 1)] {
                let fl = rate(reps, || turmoil_echo::faultline(clients, rounds, latency)).0;
                let tm = rate(reps, || turmoil_echo::turmoil(clients, rounds, latency)).0;
                let label = format!("{}-{} ms", latency.0, latency.1);
                println!(
                    "{label:>10} {clients:>8} {fl:>16.0} {tm:>16.0} {:>7.0}x",
                    fl / tm
                );
            }
        }
    }
    if want("quorum") {
        println!(
            "\n## 4. 10,000 trials of a 5-node quorum experiment (3 replicas, 2 clients × 50 ops)"
        );
        let times: Vec<f64> = (0..3)
            .map(|_| {
                let t = Instant::now();
                let table = trials(10_000).quiet().simulate(
                    |_| {
                        Sim::new(
                            Net::new()
                                .delay(Delay::exponential(2.0).plus(0.5))
                                .loss(0.01),
                        )
                        .nodes(3, |_| Replica)
                        .clients(2, |_| {
                            QuorumClient::new(50)
                                .r(2)
                                .w(2)
                                .read_repair(true)
                                .contact_all(true)
                        })
                    },
                    |run| [("ok", run.ok_rate()), ("ops", run.history.ops.len() as f64)],
                );
                assert_eq!(table.get("all", "ops").map(|s| s.mean), Some(100.0));
                t.elapsed().as_secs_f64()
            })
            .collect();
        println!(
            "wall time: median {:.2} s (runs: {:?})",
            median(times.clone()),
            times.iter().map(|t| format!("{t:.2}")).collect::<Vec<_>>()
        );
    }
}

/// Peak resident set size of this process, from /proc (Linux).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

mod faultline_bench_probe {
    /// Same layout as the simulator's queue entry: time, sequence, event (with the message).
    #[allow(dead_code)]
    pub struct EntryProbe {
        at: u64,
        seq: u64,
        ev: Ev,
    }
    #[allow(dead_code)]
    enum Ev {
        Start(u32),
        Deliver {
            from: u32,
            to: u32,
            id: u32,
            msg: super::Msg,
        },
        Timer {
            node: u32,
            id: u64,
            tag: u64,
        },
        Fault(u32),
    }
}

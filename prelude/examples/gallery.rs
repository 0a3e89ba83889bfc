//! Writes one figure of every kind into a folder, to look at them side by side.
//!
//! ```text
//! cargo run -p faultline --example gallery -- OUTDIR     # default: target/gallery
//! ```
//!
//! Each figure is written as `NAME.svg`, with `NAME.txt` holding its plain-text fallback. The
//! data are small, made-up but plausible numbers (no simulation runs), so the gallery shows
//! the figures, not the simulator.

use faultline::history::{History, OpKind, Outcome};
use faultline::plot;
use faultline::stats::Summary;
use faultline::table::{Row, Table};
use faultline::time::{ms, Time};
use faultline::trace::{DropReason, EventKind, Fate, MsgRecord, NodeInfo, Role, Trace, TraceEvent};
use std::path::PathBuf;

/// A tiny deterministic generator, so the gallery needs no RNG setup.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
    }
    /// Roughly log-normal latencies around `median` ms.
    fn latency(&mut self, median: f64, spread: f64) -> f64 {
        let z: f64 = (0..6).map(|_| self.next()).sum::<f64>() - 3.0;
        median * (spread * z).exp()
    }
}

fn main() -> std::io::Result<()> {
    let out: PathBuf = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/gallery"));
    std::fs::create_dir_all(&out)?;
    let mut rng = Lcg(42);
    let mut figures: Vec<(&str, plot::Figure)> = Vec::new();

    // Line with CI bands: success rate vs loss, with and without retries.
    let losses = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5];
    let band = |p: f64| {
        let half = 1.96 * (p * (1.0 - p) / 400.0).sqrt();
        (p, (p - half).max(0.0), (p + half).min(1.0))
    };
    let ci = |f: &dyn Fn(f64) -> f64| -> Vec<(f64, f64, f64, f64)> {
        losses
            .iter()
            .map(|&l| {
                let (m, lo, hi) = band(f(l));
                (l, m, lo, hi)
            })
            .collect()
    };
    figures.push((
        "line",
        plot::line("Retries hide message loss")
            .x_label("message loss probability")
            .y_label("requests answered (fraction)")
            .series_ci("no retries", ci(&|l| (1.0 - l) * (1.0 - l)))
            .series_ci(
                "3 retries",
                ci(&|l| 1.0 - (1.0 - (1.0 - l) * (1.0 - l)).powi(4)),
            )
            .hline(0.999, "target 99.9%")
            .figure(),
    ));

    // Scatter: clock skew vs misordered events.
    let skew: Vec<(f64, f64)> = (0..60)
        .map(|i| {
            let s = i as f64 * 1.5;
            (s, (s * 0.4 + rng.next() * 8.0 - 4.0).max(0.0).round())
        })
        .collect();
    let lamport: Vec<(f64, f64)> = (0..60).map(|i| (i as f64 * 1.5, 0.0)).collect();
    figures.push((
        "scatter",
        plot::scatter("Wall clocks misorder events; Lamport clocks do not")
            .x_label("clock skew between nodes (ms)")
            .y_label("events out of causal order (per 1000)")
            .series("wall-clock timestamps", &skew)
            .series("Lamport timestamps", &lamport)
            .figure(),
    ));

    // Step: availability during a partition.
    let avail = [
        (0.0, 1.0),
        (2000.0, 1.0),
        (2050.0, 0.34),
        (5000.0, 0.34),
        (5200.0, 1.0),
        (8000.0, 1.0),
    ];
    let ap = [(0.0, 1.0), (8000.0, 1.0)];
    figures.push((
        "step",
        plot::line("Availability during a partition (N = 3)")
            .x_label("time (ms)")
            .y_label("requests answered (fraction)")
            .y_range(0.0, 1.05)
            .step("CP store (majority quorum)", avail)
            .step("AP store (any replica)", ap)
            .shade(2000.0, 5000.0, "partition {a} | {b, c}")
            .figure(),
    ));

    // Horizontal log bar: the latency ladder.
    let ladder = [
        ("L1 cache reference", 0.5),
        ("branch mispredict", 5.0),
        ("L2 cache reference", 7.0),
        ("mutex lock/unlock", 25.0),
        ("main memory reference", 100.0),
        ("compress 1 KB", 3_000.0),
        ("send 1 KB over 1 Gbps", 10_000.0),
        ("SSD random read", 150_000.0),
        ("same-datacenter round trip", 500_000.0),
        ("disk seek", 10_000_000.0),
        ("California → Netherlands → CA", 150_000_000.0),
    ];
    figures.push((
        "bar-log",
        plot::bar("The latency ladder")
            .data(ladder)
            .value_label("latency (ns, log scale)")
            .horizontal()
            .log()
            .figure(),
    ));

    // Grouped bars.
    figures.push((
        "bar-grouped",
        plot::bar("Availability under independent node failures")
            .categories(["p = 0.01", "p = 0.05", "p = 0.1", "p = 0.2"])
            .series("1 replica", [0.99, 0.95, 0.90, 0.80])
            .series("3 replicas, majority", [0.9997, 0.9928, 0.972, 0.896])
            .series("5 replicas, majority", [0.99999, 0.9988, 0.9914, 0.942])
            .category_label("probability a node is down")
            .value_label("available (fraction)")
            .figure(),
    ));

    // Histogram and CDF of latencies.
    let plain: Vec<f64> = (0..2000)
        .map(|_| {
            let base = rng.latency(12.0, 0.25);
            if rng.next() < 0.03 {
                base + 200.0
            } else {
                base
            }
        })
        .collect();
    let hedged: Vec<f64> = (0..2000)
        .map(|_| {
            let a = rng.latency(12.0, 0.25) + if rng.next() < 0.03 { 200.0 } else { 0.0 };
            let b = 15.0 + rng.latency(12.0, 0.25) + if rng.next() < 0.03 { 200.0 } else { 0.0 };
            a.min(b)
        })
        .collect();
    figures.push((
        "histogram",
        plot::histogram("Request latency: 3% of requests hit a 200 ms retry", &plain)
            .x_label("latency (ms)")
            .bins(40)
            .figure(),
    ));
    figures.push((
        "cdf",
        plot::cdf("Hedged requests cut the tail")
            .x_label("latency (ms, log scale)")
            .series("single request", &plain)
            .series("hedged after 15 ms", &hedged)
            .log_x()
            .figure(),
    ));

    // Heat map: stale reads over R × W.
    let n = 5;
    let stale: Vec<Vec<f64>> = (1..=n)
        .map(|r| {
            (1..=n)
                .map(|w| {
                    if r + w > n {
                        0.0
                    } else {
                        0.6 * (1.0 - (r + w) as f64 / (n + 1) as f64)
                    }
                })
                .collect()
        })
        .collect();
    figures.push((
        "heatmap",
        plot::heatmap("Stale reads with N = 5 replicas: R + W > N is safe")
            .x("W (write quorum)", 1..=n)
            .y("R (read quorum)", 1..=n)
            .values(stale)
            .z_label("stale-read rate")
            .range(0.0, 0.5)
            .figure(),
    ));

    // Timeline: circuit breaker and the dependency it protects.
    figures.push((
        "timeline",
        plot::timeline("Circuit breaker: opens at ≥50% failures, probes after 30 s")
            .x_label("time (s)")
            .lane("dependency", [(0.0, "up"), (20.0, "down"), (70.0, "up")])
            .lane(
                "breaker",
                [
                    (0.0, "Closed"),
                    (30.0, "Open"),
                    (60.0, "HalfOpen"),
                    (61.0, "Open"),
                    (91.0, "HalfOpen"),
                    (92.0, "Closed"),
                ],
            )
            .states(["Closed", "HalfOpen", "Open", "up", "down"])
            .until(120.0)
            .figure(),
    ));

    // A sweep table, plotted with CI bands.
    let mut rows = Vec::new();
    for (i, loss) in [0.0, 0.05, 0.1, 0.2, 0.3].iter().enumerate() {
        let ok: Vec<f64> = (0..200)
            .map(|_| f64::from(rng.next() > loss * 1.6))
            .collect();
        let lat: Vec<f64> = (0..200)
            .map(|_| rng.latency(10.0 + 40.0 * loss, 0.3))
            .collect();
        let _ = i;
        rows.push(Row {
            label: loss.to_string(),
            x: *loss,
            metric: "ok_rate".into(),
            summary: Summary::of(&ok),
        });
        rows.push(Row {
            label: loss.to_string(),
            x: *loss,
            metric: "latency_ms".into(),
            summary: Summary::of(&lat),
        });
    }
    let table = Table {
        param: "loss".into(),
        rows,
    };
    figures.push(("table", table.plot("ok_rate").figure()));

    // A sweep over named alternatives, as bars with 95% CI error bars.
    let mut rows = Vec::new();
    for (i, (name, forged)) in [("no check", 9.5), ("MAC only", 4.8), ("MAC + nonce", 0.0)]
        .iter()
        .enumerate()
    {
        let samples: Vec<f64> = (0..50)
            .map(|_| (forged + (rng.next() - 0.5) * forged).max(0.0).round())
            .collect();
        rows.push(Row {
            label: name.to_string(),
            x: i as f64,
            metric: "forged transfers accepted".into(),
            summary: Summary::of(&samples),
        });
    }
    let defences = Table {
        param: "defence".into(),
        rows,
    };
    figures.push((
        "table-bar",
        defences
            .bar("forged transfers accepted")
            .value_label("forged transfers accepted per 100 (mean, 95% CI)")
            .figure(),
    ));

    // History diagram: a write, overlapping reads, a timed-out write.
    let mut h = History::default();
    let w1 = h.invoke(3, OpKind::Write { key: 1, value: 1 }, ms(2));
    let r1 = h.invoke(4, OpKind::Read { key: 1 }, ms(4));
    h.complete(r1, Outcome::Ok(None), ms(9));
    h.complete(w1, Outcome::Ok(None), ms(28));
    let r2 = h.invoke(4, OpKind::Read { key: 1 }, ms(12));
    h.complete(r2, Outcome::Ok(Some(1)), ms(19));
    let w2 = h.invoke(5, OpKind::Write { key: 1, value: 2 }, ms(15));
    h.complete(w2, Outcome::Unknown, ms(40));
    let r3 = h.invoke(3, OpKind::Read { key: 1 }, ms(33));
    h.complete(r3, Outcome::Ok(Some(2)), ms(38));
    let c1 = h.invoke(
        4,
        OpKind::Cas {
            key: 1,
            expected: 1,
            new: 3,
        },
        ms(30),
    );
    h.complete(c1, Outcome::Fail, ms(36));
    h.invoke(5, OpKind::Read { key: 1 }, ms(44));
    figures.push((
        "history",
        h.diagram()
            .title("Register history: a write that timed out")
            .figure(),
    ));

    // Space-time diagram of a small run.
    figures.push(("spacetime", sample_trace().diagram().clocks().figure()));
    figures.push((
        "spacetime-vector",
        gossip_trace()
            .diagram()
            .title("Vector clocks: which events are concurrent?")
            .vector_clocks()
            .figure(),
    ));

    for (name, fig) in &figures {
        let path = out.join(format!("{name}.svg"));
        fig.save(&path)?;
        // The text a notebook shows where the image is not rendered.
        std::fs::write(out.join(format!("{name}.txt")), fig.text())?;
        println!("{}", path.display());
    }
    Ok(())
}

/// Three servers and a client: a partition, a crash, a lost message, a duplicate, timers,
/// and Lamport timestamps logged at each event.
fn sample_trace() -> Trace {
    let node = |id, name: &str, role| NodeInfo {
        id,
        name: name.into(),
        role,
    };
    let mut messages = Vec::new();
    let mut msg = |from, to, label: &str, sent: u64, fate: Fate, dup: Option<usize>| {
        let id = messages.len();
        messages.push(MsgRecord {
            id,
            from,
            to,
            label: label.into(),
            sent_at: ms(sent),
            fate,
            duplicate_of: dup,
        });
    };
    let d = |t: u64| Fate::Delivered(ms(t));
    msg(3, 0, "Put(x, 1)", 2, d(7), None);
    msg(0, 1, "Replicate(x=1)", 8, d(14), None);
    msg(0, 2, "Replicate(x=1)", 8, d(15), None);
    msg(1, 0, "Ack", 15, d(21), None);
    msg(
        2,
        0,
        "Ack",
        16,
        Fate::Dropped(ms(16), DropReason::Loss),
        None,
    );
    msg(0, 3, "PutOk", 22, d(28), None);
    msg(0, 3, "PutOk", 22, d(31), Some(5));
    msg(3, 0, "Get(x)", 34, d(39), None);
    msg(
        0,
        2,
        "Heartbeat",
        40,
        Fate::Dropped(ms(40), DropReason::Partition),
        None,
    );
    msg(0, 1, "Heartbeat", 40, d(46), None);
    msg(0, 3, "GetOk(1)", 41, d(47), None);
    msg(
        2,
        1,
        "Heartbeat",
        50,
        Fate::Dropped(ms(50), DropReason::Partition),
        None,
    );
    msg(
        1,
        2,
        "Heartbeat",
        62,
        Fate::Dropped(ms(66), DropReason::Crashed),
        None,
    );
    msg(1, 0, "Heartbeat", 70, Fate::InFlight, None);
    let ev = |at: u64, node: Option<usize>, skew: i64, kind| TraceEvent {
        at: ms(at),
        node,
        local: Time((ms(at).as_us() as i64 + skew * 1000).max(0) as u64),
        kind,
    };
    let log = |s: &str| EventKind::Log { text: s.into() };
    let events = vec![
        ev(7, Some(0), 0, log("L=2")),
        ev(14, Some(1), 37, log("L=4")),
        ev(15, Some(2), -18, log("L=4")),
        ev(21, Some(0), 0, log("L=6")),
        ev(25, Some(2), -18, EventKind::Timer { tag: 1 }),
        ev(
            35,
            None,
            0,
            EventKind::Partition {
                cut: vec![(0, 2), (2, 0), (1, 2), (2, 1), (3, 2), (2, 3)],
            },
        ),
        ev(45, Some(1), 37, EventKind::Timer { tag: 1 }),
        ev(55, Some(2), -18, EventKind::Crash),
        ev(60, None, 0, EventKind::Heal),
        ev(68, Some(2), -18, EventKind::Restart),
        ev(72, Some(0), 0, EventKind::Timer { tag: 2 }),
    ];
    Trace {
        nodes: vec![
            node(0, "n1 (leader)", Role::Server),
            node(1, "n2", Role::Server),
            node(2, "n3", Role::Server),
            node(3, "client", Role::Client),
        ],
        messages,
        events,
        end: ms(80),
    }
}

/// Three nodes gossiping, two of the messages crossing: vector clocks show which sends are
/// concurrent.
fn gossip_trace() -> Trace {
    let node = |id, name: &str| NodeInfo {
        id,
        name: name.into(),
        role: Role::Server,
    };
    let msg = |id, from, to, sent, got| MsgRecord {
        id,
        from,
        to,
        label: "gossip".into(),
        sent_at: ms(sent),
        fate: Fate::Delivered(ms(got)),
        duplicate_of: None,
    };
    Trace {
        nodes: vec![node(0, "a"), node(1, "b"), node(2, "c")],
        messages: vec![
            msg(0, 0, 1, 2, 9),
            msg(1, 2, 1, 4, 12),
            msg(2, 1, 0, 14, 20),
            msg(3, 1, 2, 16, 24),
            msg(4, 0, 2, 22, 30),
            msg(5, 2, 0, 27, 33),
        ],
        events: Vec::new(),
        end: ms(36),
    }
}

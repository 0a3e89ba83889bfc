//! `idempotency::consumer`: an at-least-once queue consumer whose effects happen exactly once,
//! in order.

use crate::harness::{Case, Exercise, Judge, Prop};
use crate::{crash_restarts, lock, Impls};
use faultline::prelude::*;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// One message from the broker: item `item` is the `seq`-th of stream `stream` (seq from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub stream: u32,
    pub seq: u64,
    pub item: i64,
}

/// Your answer to a delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Done with it: the broker may forget it. (Acks are sent in a batch every 20 ms, so a
    /// crash can still lose an ack — and the broker then delivers the message again.)
    Ack,
    /// Not now: the broker will deliver it again later.
    Nack,
}

/// The consumer's database: durable, and written atomically with each delivery (a crash
/// happens between deliveries, never inside one).
pub struct Db<'a> {
    storage: &'a mut Storage,
    log: &'a Mutex<Truth>,
}

impl Db<'_> {
    /// The effect: appends `item` to stream `stream`'s table.
    pub fn append(&mut self, stream: u32, item: i64) {
        lock(self.log).applied.entry(stream).or_default().push(item);
    }

    /// A number you stored under `key` (your bookkeeping; survives crashes).
    pub fn get(&self, key: &str) -> Option<u64> {
        self.storage.get::<u64>(&format!("db/{key}")).copied()
    }

    /// Stores a number under `key`, durably.
    pub fn set(&mut self, key: &str, value: u64) {
        self.storage.put(&format!("db/{key}"), value);
    }
}

/// The consumer, as the grader drives it.
pub trait DynConsumer {
    fn on_delivery(&mut self, db: &mut Db, d: Delivery) -> Verdict;
}

/// The learner's consumer, as the grader builds it (at the start and after every restart).
pub struct Bind {
    pub recover: fn(&Db) -> Box<dyn DynConsumer>,
}

/// Binds a module with `struct Consumer` (`recover`, `on_delivery`).
#[macro_export]
macro_rules! bind_consumer {
    ($($m:ident)::+) => {{
        use $crate::idempotency::consumer::{Db, Delivery, DynConsumer, Verdict};
        struct W($($m)::+::Consumer);
        impl DynConsumer for W {
            fn on_delivery(&mut self, db: &mut Db, d: Delivery) -> Verdict { self.0.on_delivery(db, d) }
        }
        $crate::idempotency::consumer::Bind { recover: |db| Box::new(W(<$($m)::+::Consumer>::recover(db))) }
    }};
}

#[derive(Default)]
pub struct Truth {
    applied: BTreeMap<u32, Vec<i64>>,
}

#[derive(Clone, Debug)]
enum Msg {
    Deliver(Delivery),
    Ack {
        stream: u32,
        seq: u64,
    },
    /// Redelivery is driven by the broker's timer; a Nack only says "not yet".
    Nack,
}

const BROKER: NodeId = 0;
const FLUSH: u64 = 1;

struct ConsumerNode {
    recover: fn(&Db) -> Box<dyn DynConsumer>,
    inner: Option<Box<dyn DynConsumer>>,
    acks: Vec<(u32, u64)>,
    log: Arc<Mutex<Truth>>,
}

impl Node<Msg> for ConsumerNode {
    fn on_start(&mut self, ctx: &mut Ctx<Msg>) {
        let db = Db {
            storage: ctx.storage(),
            log: &self.log,
        };
        self.inner = Some((self.recover)(&db));
        ctx.set_timer(ms(20), FLUSH);
    }
    fn on_message(&mut self, ctx: &mut Ctx<Msg>, _: NodeId, msg: Msg) {
        let Msg::Deliver(d) = msg else { return };
        let mut db = Db {
            storage: ctx.storage(),
            log: &self.log,
        };
        match self
            .inner
            .as_mut()
            .expect("started")
            .on_delivery(&mut db, d)
        {
            Verdict::Ack => self.acks.push((d.stream, d.seq)),
            Verdict::Nack => ctx.send(BROKER, Msg::Nack),
        }
    }
    fn on_timer(&mut self, ctx: &mut Ctx<Msg>, _: u64) {
        for (stream, seq) in self.acks.drain(..) {
            ctx.send(BROKER, Msg::Ack { stream, seq });
        }
        ctx.set_timer(ms(20), FLUSH);
    }
}

/// The broker: delivers every message at least once — up to 4 unacknowledged messages per
/// stream, in random order, again every 40 ms until acknowledged.
struct Broker {
    streams: Vec<Vec<i64>>,
    acked: Vec<Vec<bool>>,
}

impl Node<Msg> for Broker {
    fn on_start(&mut self, ctx: &mut Ctx<Msg>) {
        self.on_timer(ctx, 0);
    }
    fn on_message(&mut self, _: &mut Ctx<Msg>, _: NodeId, msg: Msg) {
        if let Msg::Ack { stream, seq } = msg {
            if let Some(a) = self
                .acked
                .get_mut(stream as usize)
                .and_then(|s| s.get_mut(seq as usize - 1))
            {
                *a = true;
            }
        }
    }
    fn on_timer(&mut self, ctx: &mut Ctx<Msg>, _: u64) {
        let mut batch = Vec::new();
        for (s, items) in self.streams.iter().enumerate() {
            let pending = (0..items.len()).filter(|&i| !self.acked[s][i]).take(4);
            batch.extend(pending.map(|i| Delivery {
                stream: s as u32,
                seq: i as u64 + 1,
                item: items[i],
            }));
        }
        for k in (1..batch.len()).rev() {
            let i = ctx.rng().random_range(0..=k);
            batch.swap(i, k);
        }
        let consumer = ctx.clients()[0];
        for d in batch {
            ctx.send(consumer, Msg::Deliver(d));
        }
        ctx.set_timer(ms(40), 0);
    }
}

const PROPS: &[Prop] = &[
    Prop {
        name: "applies-each-once",
        says: "each message's effect is applied at most once, despite redeliveries, duplicates and crashes",
    },
    Prop {
        name: "applies-in-order",
        says: "each stream's effects are applied in seq order",
    },
    Prop {
        name: "applies-everything",
        says: "every message is eventually applied",
    },
];

pub fn exercise() -> Exercise {
    Exercise {
        id: "idempotency::consumer",
        props: PROPS,
        schedules: &["crash-before-acks", "reversed-delivery"],
        seeds: 80,
        check,
    }
}

struct Setup {
    streams: Vec<Vec<i64>>,
    net: Net,
    faults: Faults,
}

fn setup(case: &Case) -> Setup {
    let mut r = rng(trial_seed(0xC0C0, case.seed()));
    // Distinct items, so the grader can tell which message an effect came from.
    let mut items = |n: usize| {
        (0..n as i64)
            .map(|i| i * 1_000 + r.random_range(0..1_000))
            .collect::<Vec<i64>>()
    };
    match case {
        // Applied, not yet acknowledged, crash: everything comes again.
        Case::Schedule("crash-before-acks") => Setup {
            streams: vec![items(6), items(6)],
            net: Net::new().delay(Delay::constant(2.0)),
            faults: Faults::new().crash_at(ms(10), 1).restart_at(ms(30), 1),
        },
        // Later messages overtake earlier ones.
        Case::Schedule(_) => Setup {
            streams: vec![items(8)],
            net: Net::new().delay(Delay::uniform(1.0, 30.0)),
            faults: Faults::new(),
        },
        Case::Seed(_) => {
            let count = rng(case.seed()).random_range(1..4);
            let streams = (0..count).map(|k| items(4 + 4 * k)).collect();
            let faults = crash_restarts(&mut r, 1, 0..4, 5..300, 5..100);
            let net = Net::new()
                .delay(Delay::exponential(5.0).plus(1.0))
                .loss(0.05)
                .dup(0.1)
                .reorder(0.2);
            Setup {
                streams,
                net,
                faults,
            }
        }
    }
}

fn check(impls: &Impls, case: &Case, j: &mut Judge) {
    let s = setup(case);
    let log = Arc::new(Mutex::new(Truth::default()));
    let recover = impls.consumer.recover;
    let (streams, l) = (s.streams.clone(), log.clone());
    let sim = Sim::new(s.net)
        .node(move |_| Broker {
            acked: streams.iter().map(|s| vec![false; s.len()]).collect(),
            streams: streams.clone(),
        })
        .client(move |_| ConsumerNode {
            recover,
            inner: None,
            acks: Vec::new(),
            log: l.clone(),
        })
        .faults(s.faults)
        .until(secs(30));
    crate::simulate(&sim, case.seed());
    let t = lock(&log);
    let what = match case {
        Case::Schedule("crash-before-acks") => {
            " (the consumer crashed at 10 ms, after applying but before its acks went out)"
        }
        Case::Schedule(_) => " (deliveries overtook each other)",
        Case::Seed(_) => " (with redeliveries, duplicates, reordering and consumer crashes)",
    };
    for (sid, items) in s.streams.iter().enumerate() {
        let got = t.applied.get(&(sid as u32)).cloned().unwrap_or_default();
        // Items are distinct, so each applied item names its message.
        let seqs: Vec<usize> = got
            .iter()
            .filter_map(|x| items.iter().position(|y| y == x))
            .map(|i| i + 1)
            .collect();
        let mut firsts: Vec<usize> = Vec::new();
        for &q in &seqs {
            if firsts.contains(&q) {
                j.fail("applies-each-once", format!("stream {sid}: message seq {q} was applied more than once{what}; seqs applied, in order: {seqs:?}"));
            } else {
                firsts.push(q);
            }
        }
        j.expect(
            "applies-in-order",
            firsts.windows(2).all(|w| w[0] < w[1]),
            || format!("stream {sid}: messages were applied in the order {firsts:?}{what}"),
        );
        if let Some(q) = (1..=items.len()).find(|q| !firsts.contains(q)) {
            j.fail(
                "applies-everything",
                format!(
                    "stream {sid}: message seq {q} of {} was never applied{what}",
                    items.len()
                ),
            );
        }
    }
}

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
    /// Every answer the consumer gave: (stream, seq) → (when, verdict), to say why a message
    /// was never applied.
    answers: BTreeMap<(u32, u64), Vec<(Time, Verdict)>>,
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
        let verdict = self
            .inner
            .as_mut()
            .expect("started")
            .on_delivery(&mut db, d);
        let now = ctx.now();
        lock(&self.log)
            .answers
            .entry((d.stream, d.seq))
            .or_default()
            .push((now, verdict));
        match verdict {
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
    /// A (stream, seq) whose first delivery the network loses, if the schedule says so.
    lose_first: Option<(u32, u64)>,
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
            if self.lose_first == Some((d.stream, d.seq)) {
                self.lose_first = None;
                continue;
            }
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
        schedules: &[
            "crash-before-acks",
            "reversed-delivery",
            "many-streams",
            "first-lost-then-crash",
            "acks-lost-until-300ms",
        ],
        seeds: 80,
        check,
    }
}

struct Setup {
    streams: Vec<Vec<i64>>,
    /// A (stream, seq) whose first delivery is lost.
    lose_first: Option<(u32, u64)>,
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
            lose_first: None,
            net: Net::new().delay(Delay::constant(2.0)),
            faults: Faults::new().crash_at(ms(10), 1).restart_at(ms(30), 1),
        },
        // Twelve streams of thirteen: stream and seq numbers of one and two digits.
        Case::Schedule("many-streams") => Setup {
            streams: (0..12).map(|_| items(13)).collect(),
            lose_first: None,
            net: Net::new().delay(Delay::uniform(1.0, 10.0)),
            faults: Faults::new(),
        },
        // Seq 1's first delivery is lost, so seqs 2 to 4 arrive early; the consumer crashes at
        // 30 ms, before seq 1 comes again at 40 ms.
        Case::Schedule("first-lost-then-crash") => Setup {
            streams: vec![items(8)],
            lose_first: Some((0, 1)),
            net: Net::new().delay(Delay::constant(2.0)),
            faults: Faults::new().crash_at(ms(30), 1).restart_at(ms(35), 1),
        },
        // The consumer's acks are lost for the first 300 ms (eight redeliveries, each applying
        // at least the next seq): seqs 1 to 4 are applied by then, come again, and must be
        // acknowledged then, or the broker never gets past them.
        Case::Schedule("acks-lost-until-300ms") => Setup {
            streams: vec![items(8)],
            lose_first: None,
            net: Net::new().delay(Delay::constant(2.0)),
            faults: Faults::new()
                .one_way_at(Time::ZERO, [1], [0])
                .heal_at(ms(300)),
        },
        // Later messages overtake earlier ones.
        Case::Schedule(_) => Setup {
            streams: vec![items(8)],
            lose_first: None,
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
                lose_first: None,
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
            lose_first: s.lose_first,
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
        Case::Schedule("many-streams") => " (12 streams of 13 messages)",
        Case::Schedule("first-lost-then-crash") => {
            " (seq 1's first delivery was lost; the consumer crashed at 30 ms and restarted at 35 ms)"
        }
        Case::Schedule("acks-lost-until-300ms") => " (the consumer's acks were lost until 300 ms)",
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
            let why = never_applied_cause(&t, sid as u32, q as u64, &firsts);
            j.fail(
                "applies-everything",
                format!(
                    "stream {sid}: message seq {q} of {} was never applied: {why}{what}",
                    items.len()
                ),
            );
        }
    }
}

/// Why message `seq` of `stream` was never applied, from the consumer's own answers.
fn never_applied_cause(t: &Truth, stream: u32, seq: u64, applied: &[usize]) -> String {
    let answers = t.answers.get(&(stream, seq)).map_or(&[][..], |a| &a[..]);
    if let Some((at, _)) = answers.iter().find(|(_, v)| *v == Verdict::Ack) {
        return format!("you answered Ack to its delivery at {at} without applying it, so the broker forgot it and never delivered it again");
    }
    if let Some((last, _)) = answers.last() {
        return format!(
            "it was delivered {} times and you answered Nack every time (last at {last})",
            answers.len()
        );
    }
    // Never delivered: the broker sends only the 4 oldest unacknowledged messages of a stream.
    let stuck: Vec<u64> = (1..seq)
        .filter(|&p| {
            let a = t.answers.get(&(stream, p));
            a.and_then(|a| a.last())
                .is_some_and(|(_, v)| *v == Verdict::Nack)
        })
        .collect();
    let Some(&first) = stuck.first() else {
        return "the broker never delivered it".into();
    };
    let nacks = t.answers[&(stream, first)]
        .iter()
        .filter(|(_, v)| *v == Verdict::Nack)
        .count();
    let why = if applied.contains(&(first as usize)) {
        format!("seq {first} had been applied, yet you answered Nack to its {nacks} redeliveries (a duplicate's effect is already applied: acknowledge it)")
    } else {
        format!("you answered Nack to all {nacks} deliveries of seq {first}")
    };
    format!("the broker never delivered it: it delivers only a stream's 4 oldest unacknowledged messages, and seqs {stuck:?} were never acknowledged: {why}")
}

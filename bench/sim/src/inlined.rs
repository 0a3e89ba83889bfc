//! The same ping workload as the API benchmark, with the event loop written out by hand: no
//! trait objects, no context, no outbox — the practical ceiling for this design.

use crate::{DUP, LOSS};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Timer(u32),
    Ping { from: u32, to: u32 },
    Pong,
}

struct Loop {
    heap: BinaryHeap<Reverse<(u64, u64, Ev)>>,
    seq: u64,
    net: ChaCha8Rng,
}

impl Loop {
    fn push(&mut self, at: u64, ev: Ev) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, ev)));
    }

    fn send(&mut self, now: u64, make: impl Fn() -> Ev) {
        if self.net.random_bool(LOSS) {
            return;
        }
        let d = (self.net.random_range(1.0..5.0) * 1_000.0) as u64;
        self.push(now + d, make());
        if self.net.random_bool(DUP) {
            let d = (self.net.random_range(1.0..5.0) * 1_000.0) as u64;
            self.push(now + d, make());
        }
    }
}

/// Returns the number of events processed.
pub fn run(nodes: usize, pings: u32, seed: u64) -> u64 {
    let servers = (nodes / 2) as u32;
    let mut l = Loop {
        heap: BinaryHeap::new(),
        seq: 0,
        net: ChaCha8Rng::seed_from_u64(seed),
    };
    let mut left = vec![pings; nodes];
    for c in servers..nodes as u32 {
        l.push(1_000, Ev::Timer(c));
    }
    let mut events = 0;
    while let Some(Reverse((now, _, ev))) = l.heap.pop() {
        events += 1;
        match ev {
            Ev::Timer(c) => {
                let to = c % servers;
                l.send(now, || Ev::Ping { from: c, to });
                left[c as usize] -= 1;
                if left[c as usize] > 0 {
                    l.push(now + 1_000, Ev::Timer(c));
                }
            }
            Ev::Ping { from, to } => {
                let _ = to;
                l.send(now, || Ev::Pong);
                let _ = from;
            }
            Ev::Pong => {}
        }
    }
    events
}

//! Byzantine generals: Lamport's oral-messages algorithm OM(m), run on the simulator so that
//! traitors can be made with [`Sim::byzantine`] and any strategy.
//!
//! Node 0 is the commander and orders "attack"; every other node is a lieutenant. The commander
//! sends its order to every lieutenant; with `rounds = m`, every lieutenant relays each order it
//! hears, tagged with the path of generals it passed through, for `m` more hops. Each lieutenant
//! then takes majority votes bottom-up over that tree (a tie or a missing message counts as
//! "retreat") and records `decided` = 1 (attack) or 0 (retreat).
//!
//! `rounds = 0` is "do what the commander says"; `rounds = 1` is one round of majority voting
//! on what everyone heard. Lamport, Shostak and Pease proved OM(f) reaches agreement despite `f`
//! traitors exactly when there are at least 3f + 1 generals; the experiments show both halves.
//!
//! The run must be synchronous for OM to work (a late message is the same as a lie), so
//! [`generals`] uses a constant 1 ms delay and decides after every round has had time to arrive.

use faultline::byzantine::Byzantine;
use faultline::net::Net;
use faultline::node::{Ctx, Node};
use faultline::rng::Rng;
use faultline::run::Run;
use faultline::sim::Sim;
use faultline::time::ms;
use faultline::trace::NodeId;
use rand::seq::index::sample;
use std::collections::BTreeMap;
use std::fmt;

/// "The generals along `path` say the commander ordered `attack`"; `path[0]` is the commander,
/// the last entry is the sender.
#[derive(Clone, PartialEq, Eq)]
pub struct Orders {
    pub path: Vec<NodeId>,
    pub attack: bool,
}

/// Short, so that space-time diagrams can label arrows: `0>3 retreat` is "general 3 says the
/// commander said retreat".
impl fmt::Debug for Orders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path: Vec<String> = self.path.iter().map(|p| p.to_string()).collect();
        let plan = if self.attack { "attack" } else { "retreat" };
        write!(f, "{} {plan}", path.join(">"))
    }
}

/// A loyal general running OM(`rounds`). Node 0 commands, the others are lieutenants.
#[derive(Clone, Debug)]
pub struct General {
    rounds: usize,
    /// What arrived along each path (first copy wins).
    heard: BTreeMap<Vec<NodeId>, bool>,
}

impl General {
    pub fn new(rounds: usize) -> General {
        General {
            rounds,
            heard: BTreeMap::new(),
        }
    }

    /// What this lieutenant believes `path.last()` was told along `path`: its own copy, outvoted
    /// by what the other generals say they were told (recursively, down to the last round).
    fn value(&self, me: NodeId, all: &[NodeId], path: &mut Vec<NodeId>) -> bool {
        let direct = self.heard.get(path.as_slice()).copied().unwrap_or(false);
        if path.len() > self.rounds {
            return direct;
        }
        let (mut attack, mut total) = (direct as usize, 1);
        for &j in all {
            if j != me && !path.contains(&j) {
                path.push(j);
                attack += self.value(me, all, path) as usize;
                path.pop();
                total += 1;
            }
        }
        2 * attack > total // a strict majority; ties retreat
    }
}

impl Node<Orders> for General {
    fn on_start(&mut self, ctx: &mut Ctx<Orders>) {
        if ctx.id() == 0 {
            let order = Orders {
                path: vec![0],
                attack: true,
            };
            ctx.broadcast(order);
        } else {
            // Round k arrives at k ms; decide once the last one has had time to land.
            ctx.set_timer(ms(self.rounds as u64 + 5), 0);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Orders>, _from: NodeId, msg: Orders) {
        let me = ctx.id();
        if me == 0 || msg.path.contains(&me) || msg.path.len() > self.rounds + 1 {
            return;
        }
        if self.heard.contains_key(&msg.path) {
            return;
        }
        self.heard.insert(msg.path.clone(), msg.attack);
        if msg.path.len() <= self.rounds {
            let mut path = msg.path;
            path.push(me);
            let to: Vec<NodeId> = ctx.peers().filter(|p| !path.contains(p)).collect();
            for p in to {
                let relay = Orders {
                    path: path.clone(),
                    attack: msg.attack,
                };
                ctx.send(p, relay);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Orders>, _tag: u64) {
        let all = ctx.servers().to_vec();
        let attack = self.value(ctx.id(), &all, &mut vec![0]);
        ctx.record("decided", attack as u8 as f64);
    }
}

/// `n` generals running OM(`rounds`) on a synchronous network (constant 1 ms delay).
pub fn generals(n: usize, rounds: usize) -> Sim<Orders> {
    Sim::new(Net::new()).nodes(n, move |_| General::new(rounds))
}

/// A traitor that reverses every order it passes on.
pub fn liar() -> Byzantine<Orders> {
    Byzantine::lie(|m: Orders| Orders {
        attack: !m.attack,
        ..m
    })
}

/// A traitor that tells odd-numbered generals "attack" and even-numbered ones "retreat",
/// whatever it heard: the split that does the most damage to a vote.
pub fn two_faced() -> Byzantine<Orders> {
    Byzantine::equivocate(|to, m: Orders| Orders {
        attack: to % 2 == 1,
        ..m
    })
}

/// `f` distinct generals out of `n`, chosen at random (the commander included).
pub fn pick_traitors(n: usize, f: usize, rng: &mut Rng) -> Vec<NodeId> {
    let mut t = sample(rng, n, f.min(n)).into_vec();
    t.sort_unstable();
    t
}

/// Did the loyal lieutenants agree — all on the same plan, and on "attack" if the commander was
/// loyal? (Lamport's conditions IC1 and IC2.) A loyal lieutenant that decided nothing fails.
/// With no loyal lieutenant at all both conditions hold vacuously — there is nobody to agree, so
/// such a run says nothing about the algorithm (the notebook leaves those cells blank).
pub fn loyal_agree(run: &Run, traitors: &[NodeId]) -> bool {
    let n = run
        .observations
        .iter()
        .map(|o| o.node + 1)
        .max()
        .unwrap_or(0);
    let decisions: Vec<Option<f64>> = (1..n.max(2))
        .filter(|i| !traitors.contains(i))
        .map(|i| run.last(i, "decided"))
        .collect();
    if decisions.is_empty() {
        return true;
    }
    let first = decisions.first().copied().flatten();
    let same = decisions.iter().all(|d| d.is_some() && *d == first);
    let obeyed = traitors.contains(&0) || first == Some(1.0);
    same && obeyed
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline::rng::rng;

    fn agree(n: usize, rounds: usize, traitors: &[NodeId], s: fn() -> Byzantine<Orders>) -> bool {
        let mut sim = generals(n, rounds);
        for &t in traitors {
            sim = sim.byzantine(t, s());
        }
        loyal_agree(&sim.run(1), traitors)
    }

    #[test]
    fn loyal_generals_all_attack() {
        for rounds in 0..3 {
            assert!(agree(5, rounds, &[], liar));
        }
    }

    #[test]
    fn three_generals_cannot_handle_one_traitor_but_four_can() {
        // A lying lieutenant makes the other one's vote a tie: it retreats against orders.
        assert!(!agree(3, 1, &[2], liar));
        for n in 4..7 {
            for t in 0..n {
                assert!(agree(n, 1, &[t], liar), "n={n} traitor={t}");
                assert!(agree(n, 1, &[t], two_faced), "n={n} traitor={t}");
            }
        }
    }

    #[test]
    fn om2_survives_two_traitors_among_seven() {
        let mut r = rng(3);
        for _ in 0..20 {
            let t = pick_traitors(7, 2, &mut r);
            assert!(agree(7, 2, &t, two_faced), "{t:?}");
            assert!(agree(7, 2, &t, liar), "{t:?}");
        }
    }

    #[test]
    fn no_loyal_lieutenant_is_vacuous_agreement() {
        // Commander loyal, both lieutenants traitors: nobody to agree, so nothing fails.
        assert!(agree(3, 2, &[1, 2], two_faced));
        assert!(agree(4, 3, &[1, 2, 3], liar));
    }
}

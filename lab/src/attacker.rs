//! An attacker on the wire: a node in the middle of the path that forwards every message but
//! also replays copies of old ones and forges tampered ones — and the two defences that stop
//! it: a MAC (HMAC-SHA256 with a key the attacker does not have) stops tampering, and a nonce
//! that the receiver remembers stops replays. Either alone leaves a hole.
//!
//! Each transfer carries a `forged` flag that only the *scoring* reads (like the `executed`
//! records of [`Server`](faultline::blocks::retry::Server)): the bank's defence never sees it.

use faultline::net::{Delay, Net};
use faultline::node::{Ctx, Node};
use faultline::sim::Sim;
use faultline::time::ms;
use faultline::trace::NodeId;
use hmac::{Hmac, Mac};
use rand::Rng as _;
use sha2::Sha256;
use std::collections::BTreeSet;

/// A bank transfer as it travels over the network.
#[derive(Clone, Debug, PartialEq)]
pub struct Transfer {
    pub to_account: u64,
    pub amount: u64,
    /// A number the sender never uses twice.
    pub nonce: u64,
    /// HMAC-SHA256 over (to_account, amount, nonce) with the shared key.
    pub mac: [u8; 32],
    /// Ground truth for scoring only: did the attacker make or replay this copy?
    pub forged: bool,
}

/// The key shared by the client and the bank (the attacker does not know it).
const KEY: &[u8] = b"faultline demo key: never hard-code real keys";

/// The attacker's account, where tampered transfers send the money.
pub const ATTACKER_ACCOUNT: u64 = 666;

/// HMAC-SHA256 of a transfer's fields under `key`.
pub fn mac(key: &[u8], to_account: u64, amount: u64, nonce: u64) -> [u8; 32] {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(&to_account.to_le_bytes());
    m.update(&amount.to_le_bytes());
    m.update(&nonce.to_le_bytes());
    m.finalize().into_bytes().into()
}

/// What the bank checks before moving money.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Defence {
    /// Trusts every message (the "internal network is safe" assumption).
    None,
    /// Verifies the MAC: tampered messages are rejected, exact replays still pass.
    Mac,
    /// Verifies the MAC and rejects nonces it has seen: both attacks fail.
    MacAndNonce,
}

/// The bank: applies each transfer its defence accepts, recording `accepted_legit` or
/// `accepted_forged` (the amount) and `rejected`.
#[derive(Clone, Debug)]
pub struct Bank {
    defence: Defence,
    seen: BTreeSet<u64>,
}

impl Bank {
    pub fn new(defence: Defence) -> Bank {
        Bank {
            defence,
            seen: BTreeSet::new(),
        }
    }

    fn accepts(&mut self, t: &Transfer) -> bool {
        let mac_ok = || mac(KEY, t.to_account, t.amount, t.nonce) == t.mac;
        match self.defence {
            Defence::None => true,
            Defence::Mac => mac_ok(),
            Defence::MacAndNonce => mac_ok() && self.seen.insert(t.nonce),
        }
    }
}

impl Node<Transfer> for Bank {
    fn on_message(&mut self, ctx: &mut Ctx<Transfer>, _: NodeId, t: Transfer) {
        if self.accepts(&t) {
            let key = if t.forged {
                "accepted_forged"
            } else {
                "accepted_legit"
            };
            ctx.record(key, t.amount as f64);
        } else {
            ctx.record("rejected", t.amount as f64);
        }
    }
}

/// The honest client: sends `count` signed transfers to `bank` via `via`, one every 10 ms.
#[derive(Clone, Debug)]
pub struct Payer {
    count: u64,
    via: NodeId,
    sent: u64,
}

impl Payer {
    pub fn new(count: u64, via: NodeId) -> Payer {
        Payer {
            count,
            via,
            sent: 0,
        }
    }
}

impl Node<Transfer> for Payer {
    fn on_start(&mut self, ctx: &mut Ctx<Transfer>) {
        ctx.set_timer(ms(10), 0);
    }

    fn on_message(&mut self, _: &mut Ctx<Transfer>, _: NodeId, _: Transfer) {}

    fn on_timer(&mut self, ctx: &mut Ctx<Transfer>, _: u64) {
        if self.sent >= self.count {
            return;
        }
        self.sent += 1;
        let (to_account, amount, nonce) = (1_000 + self.sent % 7, 10 + self.sent % 90, self.sent);
        let mac = mac(KEY, to_account, amount, nonce);
        let t = Transfer {
            to_account,
            amount,
            nonce,
            mac,
            forged: false,
        };
        ctx.send(self.via, t);
        ctx.set_timer(ms(10), 0);
    }
}

/// The attacker in the middle: forwards everything to `to`, and for each message, with
/// probability `replay` sends an exact copy again 100 ms later, and with probability `tamper` sends a
/// copy redirected to [`ATTACKER_ACCOUNT`] with a bigger amount (keeping the old MAC: it cannot
/// compute a new one without the key).
#[derive(Clone, Debug)]
pub struct Attacker {
    to: NodeId,
    replay: f64,
    tamper: f64,
    held: Vec<(u64, Transfer)>,
    next_tag: u64,
}

impl Attacker {
    fn new(to: NodeId, replay: f64, tamper: f64) -> Attacker {
        Attacker {
            to,
            replay,
            tamper,
            held: Vec::new(),
            next_tag: 0,
        }
    }
}

impl Node<Transfer> for Attacker {
    fn on_message(&mut self, ctx: &mut Ctx<Transfer>, _: NodeId, t: Transfer) {
        ctx.send(self.to, t.clone());
        if ctx.rng().random_bool(self.replay) {
            self.next_tag += 1;
            self.held.push((
                self.next_tag,
                Transfer {
                    forged: true,
                    ..t.clone()
                },
            ));
            ctx.set_timer(ms(100), self.next_tag);
        }
        if ctx.rng().random_bool(self.tamper) {
            let forged = Transfer {
                to_account: ATTACKER_ACCOUNT,
                amount: t.amount * 100,
                forged: true,
                ..t
            };
            ctx.send(self.to, forged);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Transfer>, tag: u64) {
        if let Some(i) = self.held.iter().position(|h| h.0 == tag) {
            let (_, t) = self.held.swap_remove(i);
            ctx.send(self.to, t);
        }
    }
}

/// The whole scene, configured with chained calls and turned into a [`Sim`]: a payer sending
/// transfers through an attacker to a bank. Nodes: bank 0, attacker 1, payer 2.
#[derive(Clone, Debug)]
pub struct WireAttack {
    transfers: u64,
    replay: f64,
    tamper: f64,
    defence: Defence,
}

impl Default for WireAttack {
    fn default() -> Self {
        WireAttack::new()
    }
}

impl WireAttack {
    /// 100 transfers, an attacker that only forwards, a bank with no defence.
    pub fn new() -> WireAttack {
        WireAttack {
            transfers: 100,
            replay: 0.0,
            tamper: 0.0,
            defence: Defence::None,
        }
    }

    /// Honest transfers the payer sends.
    pub fn transfers(mut self, n: u64) -> Self {
        self.transfers = n;
        self
    }

    /// Probability that the attacker replays a message 100 ms later.
    pub fn replay(mut self, p: f64) -> Self {
        self.replay = p;
        self
    }

    /// Probability that the attacker sends a tampered copy to its own account.
    pub fn tamper(mut self, p: f64) -> Self {
        self.tamper = p;
        self
    }

    /// What the bank checks.
    pub fn defence(mut self, d: Defence) -> Self {
        self.defence = d;
        self
    }

    /// The simulation. Panics, naming it, on a probability outside `0.0..=1.0`.
    #[track_caller]
    pub fn sim(&self) -> Sim<Transfer> {
        crate::setup::probabilities(&[("replay", self.replay), ("tamper", self.tamper)]);
        let WireAttack {
            transfers,
            replay,
            tamper,
            defence,
        } = *self;
        Sim::new(Net::new().delay(Delay::uniform(1.0, 20.0)))
            .node(move |_| Bank::new(defence))
            .node(move |_| Attacker::new(0, replay, tamper))
            .client(move |_| Payer::new(transfers, 1))
            .names(["bank", "attacker", "payer"])
    }
}

/// Forged or replayed transfers the bank accepted in `run`.
pub fn forged_accepted(run: &faultline::run::Run) -> usize {
    run.observed("accepted_forged").count()
}

/// Honest transfers the bank accepted in `run`.
pub fn legit_accepted(run: &faultline::run::Run) -> usize {
    run.observed("accepted_legit").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_defence_closes_one_hole() {
        let run = |d| {
            WireAttack::new()
                .transfers(200)
                .replay(0.2)
                .tamper(0.2)
                .defence(d)
                .sim()
                .run(1)
        };
        let forged = |d| forged_accepted(&run(d));
        let legit = |d| legit_accepted(&run(d));
        assert!(forged(Defence::None) > 50);
        let mac_only = forged(Defence::Mac);
        assert!(
            mac_only > 10 && mac_only < forged(Defence::None),
            "replays get through"
        );
        assert_eq!(forged(Defence::MacAndNonce), 0);
        assert_eq!(
            legit(Defence::MacAndNonce),
            200,
            "honest transfers are unaffected"
        );
    }
}

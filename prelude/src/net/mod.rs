//! The network: how long messages take, which get lost, duplicated or reordered, per link.
//!
//! [`Net`] holds the defaults for every link; [`Net::link`] patches one directed link. Each
//! setting is one builder call, and nothing is validated until the run starts, so a chain of
//! one-liners stays a chain and every mistake is reported at once.

mod delay;

pub use delay::Delay;

use crate::error::{ConfigError, Problems};
use crate::rng::Rng;
use crate::time::Time;
use crate::trace::NodeId;
use rand::Rng as _;
use std::collections::HashMap;

/// How a link loses messages.
#[derive(Clone, Debug, PartialEq)]
pub enum Loss {
    /// Each message is lost with probability `p`, independently.
    Independent(f64),
    /// Gilbert–Elliott bursts: a good state that loses nothing and a bad state that loses
    /// everything; each message moves good→bad with `enter` and bad→good with `exit`.
    /// Long-run loss rate is `enter / (enter + exit)`, mean burst length `1 / exit`.
    Bursty { enter: f64, exit: f64 },
}

/// Settings for one directed link, as a patch: unset fields fall back to the network default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Link {
    delay: Option<Delay>,
    loss: Option<Loss>,
    dup: Option<f64>,
    reorder: Option<f64>,
    fifo: Option<bool>,
    bandwidth_mbps: Option<f64>,
}

macro_rules! link_setters {
    ($($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) => $field:ident = $val:expr;)*) => {
        impl Link {
            $($(#[$doc])* pub fn $name(mut self, $($arg: $ty),*) -> Self {
                self.$field = Some($val);
                self
            })*
        }
        impl Net {
            $($(#[$doc])* pub fn $name(mut self, $($arg: $ty),*) -> Self {
                self.default = self.default.$name($($arg),*);
                self
            })*
        }
    };
}

link_setters! {
    /// One-way delay distribution (default: 1 ms constant).
    fn delay(d: Delay) => delay = d;
    /// Independent loss probability per message, 0.0..=1.0.
    fn loss(p: f64) => loss = Loss::Independent(p);
    /// Bursty (Gilbert–Elliott) loss; see [`Loss::Bursty`].
    fn bursty_loss(enter: f64, exit: f64) => loss = Loss::Bursty { enter, exit };
    /// Probability that the network delivers a second copy of a message, 0.0..=1.0.
    fn dup(p: f64) => dup = p;
    /// Probability that a message is held back by an extra delay draw, overtaking-prone.
    fn reorder(p: f64) => reorder = p;
    /// Deliver in send order on this link (like TCP). Off by default (like UDP).
    fn fifo(on: bool) => fifo = on;
    /// Link bandwidth in megabits per second: adds `size / bandwidth` transfer time.
    fn bandwidth_mbps(mbps: f64) => bandwidth_mbps = mbps;
}

/// The network model: defaults for every link plus per-link patches.
///
/// ```
/// use faultline::prelude::*;
/// let net = Net::new()
///     .delay(Delay::exponential(5.0).plus(1.0))
///     .loss(0.1)
///     .dup(0.01)
///     .link(0, 1, Link::default().loss(0.5)); // one bad link
/// # let _ = net;
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Net {
    default: Link,
    links: Vec<(NodeId, NodeId, Link)>,
}

impl Net {
    /// A reliable network with a constant 1 ms delay.
    pub fn new() -> Net {
        Net::default()
    }

    /// Patches the directed link `from → to`; later patches win.
    pub fn link(mut self, from: NodeId, to: NodeId, patch: Link) -> Net {
        self.links.push((from, to, patch));
        self
    }

    /// Patches both directions between `a` and `b`.
    pub fn link_both(self, a: NodeId, b: NodeId, patch: Link) -> Net {
        self.link(a, b, patch.clone()).link(b, a, patch)
    }

    /// Mean one-way delay of the default link, in milliseconds.
    pub fn mean_delay_ms(&self) -> f64 {
        self.default.delay.clone().unwrap_or_default().mean_ms()
    }

    /// Checks every setting and resolves the links for `n` nodes.
    pub(crate) fn build(&self, n: usize, p: &mut Problems) -> NetRt {
        let base = LinkRt::resolve(&LinkRt::BASE, &self.default, "net", p);
        let mut overrides = HashMap::new();
        for (from, to, patch) in &self.links {
            for (name, id) in [("link from", *from), ("link to", *to)] {
                if id >= n {
                    p.push(ConfigError::new(
                        name,
                        id,
                        format!("a node id in 0..{n} (the simulation has {n} nodes)"),
                    ));
                }
            }
            let current = overrides.get(&(*from, *to)).unwrap_or(&base).clone();
            let resolved = LinkRt::resolve(&current, patch, &format!("link {from}→{to}"), p);
            overrides.insert((*from, *to), resolved);
        }
        NetRt {
            base,
            overrides,
            state: HashMap::new(),
        }
    }
}

/// A fully resolved, validated link.
#[derive(Clone, Debug)]
pub(crate) struct LinkRt {
    delay: Delay,
    loss: Loss,
    dup: f64,
    reorder: f64,
    fifo: bool,
    /// Microseconds per byte, 0 for unlimited bandwidth.
    us_per_byte: f64,
    /// Whether sends must read or update per-link state (FIFO order, bandwidth, bursts).
    stateful: bool,
}

impl LinkRt {
    const BASE: LinkRt = LinkRt {
        delay: Delay::DEFAULT,
        loss: Loss::Independent(0.0),
        dup: 0.0,
        reorder: 0.0,
        fifo: false,
        us_per_byte: 0.0,
        stateful: false,
    };

    fn resolve(base: &LinkRt, patch: &Link, scope: &str, p: &mut Problems) -> LinkRt {
        let mut l = base.clone();
        if let Some(d) = &patch.delay {
            d.validate(&format!("{scope} delay"), p);
            l.delay = d.clone();
        }
        if let Some(loss) = &patch.loss {
            match *loss {
                Loss::Independent(x) => p.probability(&format!("{scope} loss"), x),
                Loss::Bursty { enter, exit } => {
                    p.probability(&format!("{scope} bursty_loss enter"), enter);
                    p.probability(&format!("{scope} bursty_loss exit"), exit);
                }
            }
            l.loss = loss.clone();
        }
        if let Some(x) = patch.dup {
            p.probability(&format!("{scope} dup"), x);
            l.dup = x;
        }
        if let Some(x) = patch.reorder {
            p.probability(&format!("{scope} reorder"), x);
            l.reorder = x;
        }
        if let Some(f) = patch.fifo {
            l.fifo = f;
        }
        if let Some(mbps) = patch.bandwidth_mbps {
            p.positive(&format!("{scope} bandwidth_mbps"), mbps);
            l.us_per_byte = 8.0 / mbps;
        }
        l.stateful = l.fifo || l.us_per_byte > 0.0 || matches!(l.loss, Loss::Bursty { .. });
        l
    }
}

/// Mutable per-link state, created only for links that need it.
#[derive(Clone, Debug, Default)]
struct LinkState {
    in_burst: bool,
    last_delivery: Time,
    /// When the link's transmitter is next free (bandwidth queueing).
    busy_until: Time,
}

/// What the network decided for one send.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Verdict {
    /// Arrival time of the message, or `None` if it was lost.
    pub arrive: Option<Time>,
    /// Arrival time of a duplicate copy, if the network made one.
    pub duplicate: Option<Time>,
}

/// The network while a run is in progress.
#[derive(Clone, Debug)]
pub(crate) struct NetRt {
    base: LinkRt,
    overrides: HashMap<(NodeId, NodeId), LinkRt>,
    state: HashMap<(NodeId, NodeId), LinkState>,
}

impl NetRt {
    /// Decides the fate of a message of `bytes` sent now on `from → to`.
    pub fn send(
        &mut self,
        from: NodeId,
        to: NodeId,
        bytes: usize,
        now: Time,
        rng: &mut Rng,
    ) -> Verdict {
        // Most networks have no per-link patches: skip the hash lookup then.
        let link = if self.overrides.is_empty() {
            &self.base
        } else {
            self.overrides.get(&(from, to)).unwrap_or(&self.base)
        };
        let stateful = link.stateful;
        let mut scratch = LinkState::default();
        let state = if stateful {
            self.state.entry((from, to)).or_default()
        } else {
            &mut scratch
        };
        let lost = match link.loss {
            Loss::Independent(p) => p > 0.0 && rng.random_bool(p),
            Loss::Bursty { enter, exit } => {
                let flip = if state.in_burst { exit } else { enter };
                if rng.random_bool(flip) {
                    state.in_burst = !state.in_burst;
                }
                state.in_burst
            }
        };
        let transfer = if link.us_per_byte > 0.0 {
            let start = now.max(state.busy_until);
            let done = start + Time((bytes as f64 * link.us_per_byte).ceil() as u64);
            state.busy_until = done;
            done - now
        } else {
            Time::ZERO
        };
        let one_copy = |rng: &mut Rng, state: &mut LinkState| {
            let mut t = now + transfer + link.delay.sample(rng);
            if link.reorder > 0.0 && rng.random_bool(link.reorder) {
                t += link.delay.sample(rng);
            }
            if link.fifo {
                t = t.max(state.last_delivery);
                state.last_delivery = t;
            }
            t
        };
        let arrive = (!lost).then(|| one_copy(rng, state));
        // Only a message that got through can arrive twice (a retransmitted or mirrored packet).
        let duplicate = (arrive.is_some() && link.dup > 0.0 && rng.random_bool(link.dup))
            .then(|| one_copy(rng, state));
        Verdict { arrive, duplicate }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::rng;

    fn build(net: Net, n: usize) -> NetRt {
        let mut p = Problems::default();
        let rt = net.build(n, &mut p);
        assert!(p.0.is_empty(), "{:?}", p.0);
        rt
    }

    fn loss_rate(mut rt: NetRt, sends: usize) -> f64 {
        let mut r = rng(3);
        let lost = (0..sends)
            .filter(|_| rt.send(0, 1, 10, Time::ZERO, &mut r).arrive.is_none())
            .count();
        lost as f64 / sends as f64
    }

    #[test]
    fn independent_and_bursty_loss_rates() {
        let got = loss_rate(build(Net::new().loss(0.2), 2), 20_000);
        assert!((got - 0.2).abs() < 0.01, "{got}");
        // enter 0.05, exit 0.2 → long-run loss 0.2, in bursts of mean length 5.
        let got = loss_rate(build(Net::new().bursty_loss(0.05, 0.2), 2), 50_000);
        assert!((got - 0.2).abs() < 0.02, "{got}");
    }

    #[test]
    fn per_link_patch_overrides_default() {
        let mut rt = build(Net::new().link(0, 1, Link::default().loss(1.0)), 3);
        let mut r = rng(1);
        assert_eq!(rt.send(0, 1, 1, Time::ZERO, &mut r).arrive, None);
        assert!(rt.send(1, 0, 1, Time::ZERO, &mut r).arrive.is_some());
        assert!(rt.send(0, 2, 1, Time::ZERO, &mut r).arrive.is_some());
    }

    #[test]
    fn duplication_rate() {
        let mut rt = build(Net::new().dup(0.3), 2);
        let mut r = rng(5);
        let dups = (0..10_000)
            .filter(|_| rt.send(0, 1, 1, Time::ZERO, &mut r).duplicate.is_some())
            .count();
        assert!((dups as f64 / 10_000.0 - 0.3).abs() < 0.02);
    }

    #[test]
    fn fifo_links_never_reorder_and_others_do() {
        let order = |fifo: bool| {
            let mut rt = build(Net::new().delay(Delay::uniform(0.0, 10.0)).fifo(fifo), 2);
            let mut r = rng(9);
            (0..200)
                .map(|i| rt.send(0, 1, 1, Time(i * 100), &mut r).arrive.unwrap())
                .collect::<Vec<_>>()
        };
        let f = order(true);
        assert!(f.windows(2).all(|w| w[0] <= w[1]));
        let u = order(false);
        assert!(
            u.windows(2).any(|w| w[0] > w[1]),
            "random delays should reorder"
        );
    }

    #[test]
    fn reorder_holds_some_messages_back_so_later_ones_overtake() {
        let arrivals = |p: f64| {
            let mut rt = build(Net::new().delay(Delay::constant(5.0)).reorder(p), 2);
            let mut r = rng(2);
            (0..1_000)
                .map(|i| rt.send(0, 1, 1, Time(i * 1_000), &mut r).arrive.unwrap())
                .collect::<Vec<_>>()
        };
        let overtaken = |a: &[Time]| a.windows(2).filter(|w| w[0] > w[1]).count();
        assert_eq!(
            overtaken(&arrivals(0.0)),
            0,
            "constant delay alone never reorders"
        );
        let held = overtaken(&arrivals(0.2));
        assert!(held > 100 && held < 250, "about 20% held back: {held}");
    }

    #[test]
    fn bandwidth_adds_transfer_time() {
        // 10 MB over 100 Mbps = 800 ms, plus the 1 ms default delay.
        let mut rt = build(Net::new().bandwidth_mbps(100.0), 2);
        let v = rt.send(0, 1, 10_000_000, Time::ZERO, &mut rng(1));
        assert_eq!(v.arrive, Some(Time(801_000)));
    }

    #[test]
    fn bad_network_settings_are_reported_by_name() {
        let mut p = Problems::default();
        Net::new()
            .loss(1.5)
            .dup(-0.1)
            .link(0, 7, Link::default())
            .build(3, &mut p);
        let msgs: Vec<String> = p.0.iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(msgs[0].contains("`net loss` = 1.5") && msgs[0].contains("0.0..=1.0"));
        assert!(msgs[1].contains("`net dup` = -0.1"));
        assert!(msgs[2].contains("`link to` = 7") && msgs[2].contains("0..3"));
    }
}

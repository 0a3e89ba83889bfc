//! `idempotency::key_store`: the server side of idempotency keys.

use crate::harness::{Case, Exercise, Judge, Prop};
use crate::{crash_restarts, lock, Impls};
use faultline::prelude::*;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// What a client asks: move `amount` out of the shared account (negative: pay in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub amount: i64,
}

/// The result of really executing a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// Done; the account's balance afterwards.
    Done { balance: i64 },
    /// Refused: not enough money. A refusal is an answer too, and must be replayed as such.
    Refused,
}

/// What the server should do with an incoming request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Begin {
    /// New key: execute it (the server will call `complete` with the response).
    Execute,
    /// Seen and finished: send this stored response again.
    Replay(Response),
    /// Seen, still executing: tell the client to retry later.
    InProgress,
    /// This client used this key for a different request: refuse.
    Conflict,
}

/// The store, as the grader drives it.
pub trait DynStore {
    fn begin(
        &mut self,
        storage: &mut Storage,
        client: NodeId,
        key: u64,
        request: &Request,
    ) -> Begin;
    fn complete(&mut self, storage: &mut Storage, client: NodeId, key: u64, response: &Response);
}

/// The learner's store, as the grader builds it (on start and after every restart).
pub struct Bind {
    pub recover: fn(&mut Storage) -> Box<dyn DynStore>,
}

/// Binds a module with `struct KeyStore` (`recover`, `begin`, `complete`).
#[macro_export]
macro_rules! bind_key_store {
    ($($m:ident)::+) => {{
        use $crate::idempotency::key_store::{Begin, DynStore, Request, Response};
        use faultline::prelude::{NodeId, Storage};
        struct W($($m)::+::KeyStore);
        impl DynStore for W {
            fn begin(&mut self, s: &mut Storage, c: NodeId, k: u64, r: &Request) -> Begin { self.0.begin(s, c, k, r) }
            fn complete(&mut self, s: &mut Storage, c: NodeId, k: u64, r: &Response) { self.0.complete(s, c, k, r) }
        }
        $crate::idempotency::key_store::Bind { recover: |s| Box::new(W(<$($m)::+::KeyStore>::recover(s))) }
    }};
}

#[derive(Clone, Debug)]
enum Msg {
    Req {
        key: u64,
        request: Request,
    },
    Rep {
        key: u64,
        request: Request,
        answer: Answer,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Answer {
    Response(Response),
    Busy,
    Conflict,
}

/// Ground truth: every execution, and every answer a client received.
#[derive(Default)]
struct Truth {
    /// (client, key) → (request, response) of each real execution.
    executed: BTreeMap<(NodeId, u64), Vec<(Request, Response)>>,
    /// (client, key, the request sent, the answer received).
    answers: Vec<(NodeId, u64, Request, Answer)>,
    /// Each client's intended (key, request)s.
    intended: BTreeMap<NodeId, Vec<(u64, Request)>>,
}

const BALANCE: &str = "grader/balance";

struct Server {
    recover: fn(&mut Storage) -> Box<dyn DynStore>,
    store: Option<Box<dyn DynStore>>,
    working: BTreeMap<u64, (NodeId, u64, Request)>,
    next: u64,
    truth: Arc<Mutex<Truth>>,
}

impl Node<Msg> for Server {
    fn on_start(&mut self, ctx: &mut Ctx<Msg>) {
        if ctx.storage().get::<i64>(BALANCE).is_none() {
            ctx.storage().put(BALANCE, 100i64);
        }
        self.store = Some((self.recover)(ctx.storage()));
    }
    fn on_message(&mut self, ctx: &mut Ctx<Msg>, from: NodeId, msg: Msg) {
        let Msg::Req { key, request } = msg else {
            return;
        };
        let store = self.store.as_mut().expect("started");
        let answer = match store.begin(ctx.storage(), from, key, &request) {
            Begin::Execute => {
                // The work takes a while: duplicates may arrive meanwhile, and a crash loses it.
                self.next += 1;
                self.working.insert(self.next, (from, key, request));
                let work = ms(ctx.rng().random_range(5..25));
                ctx.set_timer(work, self.next);
                return;
            }
            Begin::Replay(r) => Answer::Response(r),
            Begin::InProgress => Answer::Busy,
            Begin::Conflict => Answer::Conflict,
        };
        ctx.send(
            from,
            Msg::Rep {
                key,
                request,
                answer,
            },
        );
    }
    fn on_timer(&mut self, ctx: &mut Ctx<Msg>, tag: u64) {
        let Some((client, key, request)) = self.working.remove(&tag) else {
            return;
        };
        let balance = *ctx.storage().get::<i64>(BALANCE).expect("balance");
        let response = if balance >= request.amount {
            ctx.storage().put(BALANCE, balance - request.amount);
            Response::Done {
                balance: balance - request.amount,
            }
        } else {
            Response::Refused
        };
        lock(&self.truth)
            .executed
            .entry((client, key))
            .or_default()
            .push((request.clone(), response.clone()));
        let store = self.store.as_mut().expect("started");
        store.complete(ctx.storage(), client, key, &response);
        let answer = Answer::Response(response);
        ctx.send(
            client,
            Msg::Rep {
                key,
                request,
                answer,
            },
        );
    }
}

/// The grader's client: its operations one after another, each retried with the same key until
/// it gets a response; sometimes a double click; sometimes a key reused for another request.
struct Client {
    ops: Vec<(u64, Request, bool)>,
    /// Index into ops; odd phase = the reuse probe of that op.
    at: usize,
    probing: bool,
    reuse: Vec<bool>,
    truth: Arc<Mutex<Truth>>,
    epoch: u64,
}

impl Client {
    fn current(&self) -> Option<(u64, Request)> {
        let (key, req, _) = self.ops.get(self.at)?;
        Some(if self.probing {
            (
                *key,
                Request {
                    amount: req.amount + 1,
                },
            )
        } else {
            (*key, req.clone())
        })
    }
    fn send(&mut self, ctx: &mut Ctx<Msg>, twice: bool) {
        if let Some((key, request)) = self.current() {
            ctx.send(
                0,
                Msg::Req {
                    key,
                    request: request.clone(),
                },
            );
            if twice {
                ctx.send(0, Msg::Req { key, request });
            }
            self.epoch += 1;
            ctx.set_timer(ms(60), self.epoch);
        }
    }
}

impl Node<Msg> for Client {
    fn on_start(&mut self, ctx: &mut Ctx<Msg>) {
        let twice = self.ops.first().is_some_and(|o| o.2);
        self.send(ctx, twice);
    }
    fn on_message(&mut self, ctx: &mut Ctx<Msg>, _: NodeId, msg: Msg) {
        let Msg::Rep {
            key,
            request,
            answer,
        } = msg
        else {
            return;
        };
        let me = ctx.id();
        lock(&self.truth)
            .answers
            .push((me, key, request.clone(), answer.clone()));
        // Answers to earlier operations (late duplicates) are recorded, not acted on.
        let current = self.current() == Some((key, request));
        if !current || answer == Answer::Busy {
            return;
        }
        // A definite answer: next step.
        if !self.probing && self.reuse[self.at] {
            self.probing = true;
        } else {
            self.probing = false;
            self.at += 1;
        }
        let twice = self.ops.get(self.at).is_some_and(|o| o.2) && !self.probing;
        self.send(ctx, twice);
    }
    fn on_timer(&mut self, ctx: &mut Ctx<Msg>, tag: u64) {
        if tag == self.epoch {
            self.send(ctx, false);
        }
    }
}

const PROPS: &[Prop] = &[
    Prop {
        name: "one-effect-per-key",
        says: "each client's key takes effect at most once, despite duplicates, retries, concurrent copies and crashes",
    },
    Prop {
        name: "identical-replays",
        says: "every answer for a key is exactly the response its one real execution produced, refusals included",
    },
    Prop {
        name: "rejects-key-reuse",
        says: "a key reused for a different request is answered Conflict and has no effect",
    },
    Prop {
        name: "keys-per-client",
        says: "keys belong to a client: another client's same key number neither blocks nor answers it",
    },
    Prop {
        name: "answers-every-request",
        says: "every request is eventually executed and answered, even when a crash interrupted its work",
    },
];

pub fn exercise() -> Exercise {
    Exercise {
        id: "idempotency::key_store",
        props: PROPS,
        schedules: &[
            "double-click",
            "crash-mid-work",
            "reply-lost-then-crash",
            "refusal-replayed",
            "many-clients-and-keys",
        ],
        seeds: 80,
        check,
    }
}

struct Setup {
    clients: Vec<Vec<(u64, Request, bool)>>,
    reuse: Vec<Vec<bool>>,
    net: Net,
    faults: Faults,
}

fn setup(case: &Case) -> Setup {
    let calm = Net::new().delay(Delay::constant(2.0));
    let op = |key: u64, amount: i64, twice: bool| (key, Request { amount }, twice);
    match case {
        Case::Schedule("double-click") => Setup {
            clients: vec![
                vec![op(1, 10, true), op(2, 20, true)],
                vec![op(1, 10, true)],
            ],
            reuse: vec![vec![false, true], vec![false]],
            net: calm,
            faults: Faults::new(),
        },
        Case::Schedule("crash-mid-work") => Setup {
            clients: vec![vec![op(1, 10, false), op(2, 5, false)]],
            reuse: vec![vec![false, false]],
            net: calm,
            faults: Faults::new().crash_at(ms(4), 0).restart_at(ms(30), 0),
        },
        Case::Schedule("reply-lost-then-crash") => Setup {
            clients: vec![vec![op(1, 10, false), op(2, 5, false)]],
            reuse: vec![vec![false, false]],
            net: calm,
            faults: Faults::new()
                .one_way_at(ms(1), [0], [1])
                .crash_at(ms(40), 0)
                .restart_at(ms(50), 0)
                .heal_at(ms(55)),
        },
        // Twelve clients, keys 1 to 13 each: client ids and key numbers of one and two digits
        // (client 1's key 12 and client 11's key 2 must stay apart).
        Case::Schedule("many-clients-and-keys") => Setup {
            clients: (1..=12i64)
                .map(|c| (1..=13).map(|k| op(k as u64, c * 100 + k, false)).collect())
                .collect(),
            reuse: vec![vec![false; 13]; 12],
            net: calm,
            faults: Faults::new(),
        },
        Case::Schedule(_) => Setup {
            // Client 1 asks for more than there is (refused, reply lost); client 2 pays in;
            // client 1's retry must still get the refusal.
            clients: vec![vec![op(1, 150, false)], vec![op(1, -100, false)]],
            reuse: vec![vec![false], vec![false]],
            net: calm.link(2, 0, Link::default().delay(Delay::constant(35.0))),
            faults: Faults::new()
                .one_way_at(Time::ZERO, [0], [1])
                .heal_at(ms(50)),
        },
        Case::Seed(_) => {
            let mut r = rng(trial_seed(0x1DE, case.seed()));
            let n = r.random_range(2..5);
            let clients: Vec<Vec<_>> = (0..n)
                .map(|_| {
                    (1..=r.random_range(3..8))
                        .map(|k| op(k, r.random_range(-30..60), r.random_bool(0.2)))
                        .collect()
                })
                .collect();
            let reuse = clients
                .iter()
                .map(|ops| ops.iter().map(|_| r.random_bool(0.3)).collect())
                .collect();
            let faults = crash_restarts(&mut r, 0, 0..3, 20..300, 5..100);
            let net = Net::new()
                .delay(Delay::exponential(4.0).plus(1.0))
                .loss(0.05)
                .dup(0.1)
                .reorder(0.1);
            Setup {
                clients,
                reuse,
                net,
                faults,
            }
        }
    }
}

fn check(impls: &Impls, case: &Case, j: &mut Judge) {
    let s = setup(case);
    let truth = Arc::new(Mutex::new(Truth::default()));
    let recover = impls.key_store.recover;
    let t = truth.clone();
    let mut sim = Sim::new(s.net.clone()).node(move |_| Server {
        recover,
        store: None,
        working: BTreeMap::new(),
        next: 0,
        truth: t.clone(),
    });
    for (i, ops) in s.clients.iter().enumerate() {
        let (ops, reuse, t) = (ops.clone(), s.reuse[i].clone(), truth.clone());
        lock(&truth)
            .intended
            .insert(i + 1, ops.iter().map(|o| (o.0, o.1.clone())).collect());
        sim = sim.client(move |_| Client {
            ops: ops.clone(),
            at: 0,
            probing: false,
            reuse: reuse.clone(),
            truth: t.clone(),
            epoch: 0,
        });
    }
    crate::simulate(&sim.faults(s.faults).until(secs(20)), case.seed());
    let t = lock(&truth);
    let crashes = match case {
        Case::Schedule("double-click") => " (every request was sent twice at once)",
        Case::Schedule("crash-mid-work") => " (the server crashed at 4 ms while executing the first request and restarted at 30 ms: memory lost, storage kept; the client then retried)",
        Case::Schedule("reply-lost-then-crash") => " (the reply to the first request was lost; the server crashed at 40 ms and restarted at 50 ms: memory lost, storage kept; the client then retried)",
        Case::Schedule("many-clients-and-keys") => " (12 clients, keys 1 to 13 each)",
        Case::Schedule(_) => " (client c1's withdrawal was refused and the refusal lost; client c2 then paid in; client c1 retried)",
        Case::Seed(_) => " (messages lost, duplicated and reordered; the server may have crashed, keeping only its storage)",
    };
    for (&(c, key), runs) in &t.executed {
        let intended = t.intended[&c]
            .iter()
            .find(|o| o.0 == key)
            .map(|o| o.1.clone());
        let legit: Vec<_> = runs
            .iter()
            .filter(|(r, _)| Some(r) == intended.as_ref())
            .collect();
        j.expect("one-effect-per-key", legit.len() <= 1, || {
            format!(
                "client c{c}'s key {key} (amount {}) was executed {} times{crashes}",
                intended.as_ref().map_or(0, |r| r.amount),
                legit.len()
            )
        });
        let other = runs.iter().find(|(r, _)| Some(r) != intended.as_ref());
        if let Some((r, _)) = other {
            j.fail("rejects-key-reuse", format!("client c{c} reused key {key} for a different request ({r:?}), and the server executed it"));
        }
    }
    for (c, ops) in &t.intended {
        for (key, req) in ops {
            let real = t
                .executed
                .get(&(*c, *key))
                .and_then(|runs| runs.iter().find(|(r, _)| r == req));
            let answers: Vec<&Answer> = t
                .answers
                .iter()
                .filter(|(cc, k, r, _)| cc == c && k == key && r == req)
                .map(|(_, _, _, a)| a)
                .collect();
            let responses: Vec<&Response> = answers
                .iter()
                .filter_map(|a| match a {
                    Answer::Response(r) => Some(r),
                    _ => None,
                })
                .collect();
            match real {
                Some((_, truth)) => {
                    if let Some(bad) = responses.iter().find(|r| **r != truth) {
                        j.fail("identical-replays", format!("client c{c}'s key {key}: its execution answered {truth:?}, but a retry was answered {bad:?}{crashes}"));
                    }
                }
                None => {
                    if let Some(r) = responses.first() {
                        j.fail("keys-per-client", format!("client c{c}'s key {key} ({req:?}) was answered {r:?} but never executed — another client's key {key}?"));
                    }
                }
            }
            if answers.contains(&&Answer::Conflict) {
                // Blame the likelier cause: with no other client using this key number, the
                // Conflict can only have come from this client's own identical duplicate.
                let shared = t
                    .intended
                    .iter()
                    .any(|(other, ops)| other != c && ops.iter().any(|(k, _)| k == key));
                if shared {
                    j.fail("keys-per-client", format!("client c{c}'s first use of key {key} ({req:?}) was answered Conflict — another client's key {key}, or its own duplicate while the first was in progress?"));
                } else {
                    j.fail("identical-replays", format!("client c{c} sent key {key} ({req:?}) again, the identical request, and was answered Conflict{crashes}: no other client uses key {key}, so this was its own duplicate — while the first is still in progress a duplicate gets Busy (InProgress), afterwards the stored response; Conflict is only for a different request under the same key"));
                }
            }
            j.expect("answers-every-request", !responses.is_empty() || answers.contains(&&Answer::Conflict), || {
                format!("client c{c}'s key {key} ({req:?}) was never answered with a response{crashes}; it got {} Busy answers", answers.iter().filter(|a| ***a == Answer::Busy).count())
            });
        }
    }
    for (c, key, req, a) in &t.answers {
        let intended = t.intended[c].iter().find(|o| o.0 == *key).map(|o| &o.1);
        if Some(req) != intended {
            j.expect("rejects-key-reuse", !matches!(a, Answer::Response(_)), || {
                format!("client c{c} reused key {key} for a different request ({req:?}) and was answered {a:?} instead of Conflict")
            });
        }
    }
}

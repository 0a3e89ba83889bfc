//! `retries::budget`: a retry budget that keeps a fleet of clients from multiplying the load on
//! a server that is already failing.

use crate::harness::{guard, Case, Exercise, Judge, Prop};
use crate::{lock, Impls};
use faultline::prelude::*;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A retry budget, as the grader drives it.
pub trait DynBudget {
    fn on_request(&mut self);
    fn try_retry(&mut self) -> bool;
}

/// The learner's budget, as the grader builds it: `make(percent, reserve)`.
pub struct Bind {
    pub make: fn(u32, u32) -> Box<dyn DynBudget>,
}

/// Binds a module with `struct RetryBudget` (`new`, `on_request`, `try_retry`).
#[macro_export]
macro_rules! bind_budget {
    ($($m:ident)::+) => {{
        use $crate::retries::budget::DynBudget;
        struct W($($m)::+::RetryBudget);
        impl DynBudget for W {
            fn on_request(&mut self) { self.0.on_request() }
            fn try_retry(&mut self) -> bool { self.0.try_retry() }
        }
        $crate::retries::budget::Bind { make: |p, r| Box::new(W(<$($m)::+::RetryBudget>::new(p, r))) }
    }};
}

const PROPS: &[Prop] = &[
    Prop {
        name: "allows-the-reserve",
        says: "a fresh budget allows `reserve` retries before any request has been made",
    },
    Prop {
        name: "within-budget",
        says: "retries never exceed reserve + percent% of the requests so far",
    },
    Prop {
        name: "earns-from-requests",
        says: "once the reserve is spent, every 100/percent requests earn one more retry",
    },
    Prop {
        name: "caps-the-savings",
        says: "a long healthy spell saves up at most `reserve` retries",
    },
    Prop {
        name: "fleet-outage",
        says: "during a server outage, a fleet of clients sends at most (1 + percent%) × its requests plus a few saved retries",
    },
    Prop {
        name: "fleet-healthy",
        says: "on a healthy but lossy network, retries still rescue most requests whose first attempt was lost",
    },
];

pub fn exercise() -> Exercise {
    Exercise {
        id: "retries::budget",
        props: PROPS,
        schedules: &[
            "reserve-of-one",
            "every-request-earns",
            "one-percent-big-reserve",
            "three-percent",
        ],
        seeds: 20,
        check,
    }
}

fn params(case: &Case) -> (u32, u32) {
    match case {
        // 10 requests at 10% earn exactly one retry: 0.1 added ten times is 0.9999999999999999
        // in f64, and the budget must still allow it (see the exercise's doc).
        Case::Schedule("reserve-of-one") => (10, 1),
        // The largest percent: every request earns a whole retry.
        Case::Schedule("every-request-earns") => (100, 1),
        // The smallest percent with a large reserve: 100 requests per retry, 100 saved.
        Case::Schedule("one-percent-big-reserve") => (1, 100),
        Case::Schedule(_) => (3, 9),
        Case::Seed(_) => {
            let mut r = rng(trial_seed(0xB0D6, case.seed()));
            (r.random_range(10..=50), r.random_range(1..=20))
        }
    }
}

fn check(impls: &Impls, case: &Case, j: &mut Judge) {
    let (percent, reserve) = params(case);
    let who = format!("with percent = {percent}, reserve = {reserve}");
    let make = impls.budget.make;
    // Each direct scenario runs on a fresh budget; a panic fails only its own property.
    let run = |prop: &'static str,
               j: &mut Judge,
               f: &dyn Fn(&mut dyn DynBudget) -> Result<(), String>| {
        match guard(|| f(make(percent, reserve).as_mut())) {
            Ok(Ok(())) => {}
            Ok(Err(msg)) | Err(msg) => j.fail(prop, format!("{who}: {msg}")),
        }
    };
    run("allows-the-reserve", j, &|b| {
        for k in 1..=reserve {
            if !b.try_retry() {
                return Err(format!("retry {k} was refused on a fresh budget"));
            }
        }
        Ok(())
    });
    let mut r = rng(trial_seed(0xB0D7, case.seed()));
    let ops: Vec<bool> = (0..3_000).map(|_| r.random_bool(0.7)).collect();
    run("within-budget", j, &|b| {
        let (mut requests, mut allowed) = (0u64, 0u64);
        for &is_request in &ops {
            if is_request {
                b.on_request();
                requests += 1;
            } else if b.try_retry() {
                allowed += 1;
                let limit = reserve as u64 + percent as u64 * requests / 100;
                if allowed > limit {
                    return Err(format!(
                        "after {requests} requests, retry number {allowed} was allowed (at most {limit})"
                    ));
                }
            }
        }
        Ok(())
    });
    run("earns-from-requests", j, &|b| {
        for _ in 0..10_000 {
            if !b.try_retry() {
                break;
            }
        }
        // Few enough requests that the savings cap (`reserve`) does not bind.
        let requests = 100 * reserve.min(5) / percent;
        for _ in 0..requests {
            b.on_request();
        }
        let mut earned = 0;
        while earned < 1_000 && b.try_retry() {
            earned += 1;
        }
        // Exactly: each request earns percent/100 of a retry, and none of it may be lost to
        // rounding (integer hundredths, or a float compared with a tolerance).
        let expected = percent * requests / 100;
        if earned != expected {
            return Err(format!(
                "after spending the reserve, {requests} requests earned {earned} retries (expected exactly {expected}: each earns {percent}/100 of a retry){}",
                diagnose(make, percent, reserve)
            ));
        }
        Ok(())
    });
    run("caps-the-savings", j, &|b| {
        for _ in 0..10_000 {
            b.on_request();
        }
        let mut allowed = 0;
        while allowed < 100_000 && b.try_retry() {
            allowed += 1;
        }
        if allowed > reserve {
            return Err(format!(
                "after 10,000 healthy requests, {allowed} retries in a row were allowed (at most {reserve})"
            ));
        }
        Ok(())
    });
    let cause = guard(|| diagnose(make, percent, reserve)).unwrap_or_default();
    let outage = match guard(|| fleet(make, percent, reserve, true, case.seed())) {
        Ok(l) => l,
        Err(e) => return j.fail("fleet-outage", format!("{who}: {e}")),
    };
    let limit = outage.firsts_in_outage as f64 * (1.0 + percent as f64 / 100.0)
        + (CLIENTS as f64) * (reserve as f64 + 4.0);
    j.expect("fleet-outage", (outage.arrivals_in_outage as f64) <= limit, || {
        format!(
            "{who}: {CLIENTS} clients, the server down from {OUTAGE_FROM} to {OUTAGE_TO}: it received {} requests in that second, {} of them first attempts (at most {limit:.0} allowed){cause}",
            outage.arrivals_in_outage, outage.firsts_in_outage
        )
    });
    let healthy = match guard(|| fleet(make, percent, reserve, false, case.seed())) {
        Ok(l) => l,
        Err(e) => return j.fail("fleet-healthy", format!("{who}: {e}")),
    };
    j.expect("fleet-healthy", healthy.rescued * 2 >= healthy.first_failed, || {
        format!(
            "{who}: on a network losing 3% of messages, {} of {} requests lost their first attempt and only {} were rescued by a retry (expected at least half){cause}",
            healthy.first_failed, healthy.requests, healthy.rescued
        )
    });
}

/// Why a budget misbehaves, found by probing fresh ones directly: `""` if no probe explains
/// it, else ` — because …`, so a failure says why without `--trace`.
fn diagnose(make: fn(u32, u32) -> Box<dyn DynBudget>, percent: u32, reserve: u32) -> String {
    // The fewest requests that earn a whole number of retries, and that number.
    let requests = 100 / gcd(100, percent);
    let earned = percent * requests / 100;
    let earns_after = |refusals: u32| {
        let mut b = make(percent, reserve);
        (0..reserve + refusals).for_each(|_| {
            b.try_retry();
        });
        (0..requests).for_each(|_| b.on_request());
        b.try_retry()
    };
    let (plain, refused) = (earns_after(0), earns_after(5));
    if plain && !refused {
        return format!(" — because a refused retry still spent the budget: after the reserve and 5 refused retries, {requests} requests no longer earned a retry");
    }
    if !plain {
        return format!(" — because {requests} requests at {percent}% (exactly {earned} retries' worth) did not earn a retry once the reserve was spent: not counted, or lost to rounding (0.1 added ten times is 0.9999999999999999 in f64)?");
    }
    let mut b = make(percent, reserve);
    (0..10_000).for_each(|_| b.on_request());
    let mut saved = 0;
    while saved < 100_000 && b.try_retry() {
        saved += 1;
    }
    if saved > reserve {
        return format!(" — because the savings are not capped: 10,000 requests saved up {saved} retries (the reserve is {reserve})");
    }
    String::new()
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

const CLIENTS: usize = 10;
const OUTAGE_FROM: Time = secs(3);
const OUTAGE_TO: Time = secs(4);

#[derive(Clone, Debug)]
enum Msg {
    Req { id: u64, first: bool },
    Rep { id: u64 },
}

#[derive(Default)]
struct FleetLog {
    arrivals_in_outage: u64,
    firsts_in_outage: u64,
    requests: u64,
    /// Requests whose first attempt timed out, and those of them a retry then rescued.
    first_failed: u64,
    rescued: u64,
}

/// The grader's client: a request every 10 ms, a 30 ms timeout, up to 3 retries — each one
/// only if the learner's budget allows it.
struct Client {
    budget: Box<dyn DynBudget>,
    pending: BTreeMap<u64, u32>,
    next: u64,
    log: Arc<Mutex<FleetLog>>,
}

const NEW_REQUEST: u64 = u64::MAX;

impl Node<Msg> for Client {
    fn on_start(&mut self, ctx: &mut Ctx<Msg>) {
        let jitter = ctx.rng().random_range(0..10_000);
        ctx.set_timer(us(jitter), NEW_REQUEST);
    }
    fn on_message(&mut self, _: &mut Ctx<Msg>, _: NodeId, msg: Msg) {
        if let Msg::Rep { id } = msg {
            if let Some(retries) = self.pending.remove(&id) {
                lock(&self.log).rescued += (retries > 0) as u64;
            }
        }
    }
    fn on_timer(&mut self, ctx: &mut Ctx<Msg>, tag: u64) {
        if tag == NEW_REQUEST {
            if ctx.now() < secs(5) {
                let id = self.next;
                self.next += 1;
                self.budget.on_request();
                lock(&self.log).requests += 1;
                self.pending.insert(id, 0);
                ctx.send(0, Msg::Req { id, first: true });
                ctx.set_timer(ms(30), id);
                ctx.set_timer(ms(10), NEW_REQUEST);
            }
            return;
        }
        let Some(retries) = self.pending.get_mut(&tag) else {
            return;
        };
        if *retries == 0 {
            lock(&self.log).first_failed += 1;
        }
        if *retries < 3 && self.budget.try_retry() {
            *retries += 1;
            ctx.send(
                0,
                Msg::Req {
                    id: tag,
                    first: false,
                },
            );
            ctx.set_timer(ms(30), tag);
        } else {
            self.pending.remove(&tag);
        }
    }
}

struct Server {
    outage: bool,
    log: Arc<Mutex<FleetLog>>,
}

impl Node<Msg> for Server {
    fn on_message(&mut self, ctx: &mut Ctx<Msg>, from: NodeId, msg: Msg) {
        let Msg::Req { id, first } = msg else { return };
        let now = ctx.now();
        if self.outage && now >= OUTAGE_FROM && now < OUTAGE_TO {
            let mut l = lock(&self.log);
            l.arrivals_in_outage += 1;
            l.firsts_in_outage += first as u64;
            return;
        }
        ctx.send(from, Msg::Rep { id });
    }
}

fn fleet(
    make: fn(u32, u32) -> Box<dyn DynBudget>,
    percent: u32,
    reserve: u32,
    outage: bool,
    seed: u64,
) -> FleetLog {
    let log = Arc::new(Mutex::new(FleetLog::default()));
    let net = if outage {
        Net::new().delay(Delay::exponential(2.0).plus(1.0))
    } else {
        Net::new()
            .delay(Delay::exponential(2.0).plus(1.0))
            .loss(0.03)
    };
    let (l1, l2) = (log.clone(), log.clone());
    let sim = Sim::new(net)
        .node(move |_| Server {
            outage,
            log: l1.clone(),
        })
        .clients(CLIENTS, move |_| Client {
            budget: make(percent, reserve),
            pending: BTreeMap::new(),
            next: 0,
            log: l2.clone(),
        })
        .until(secs(6));
    crate::simulate(&sim, seed);
    let mut l = lock(&log);
    std::mem::take(&mut *l)
}

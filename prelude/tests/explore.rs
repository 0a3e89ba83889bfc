//! The explorer finds minimal counterexamples, and finds none where none exist.

use faultline::explore::Choice;
use faultline::prelude::*;

#[derive(Clone, Debug, PartialEq)]
enum G {
    Attack,
    Ack,
}

/// Two generals, "send `messengers` copies, attack regardless; B attacks if any arrives and
/// acknowledges each one". Agreement needs at least one messenger to get through.
fn generals(messengers: u32) -> Sim<G> {
    Sim::new(Net::new())
        .node(move |_| {
            FnNode::new((), |_, _: &mut Ctx<G>, _, _| {}).on_start(move |_, ctx| {
                for _ in 0..messengers {
                    ctx.send(1, G::Attack);
                }
                ctx.record("attack", 1.0);
            })
        })
        .node(|_| {
            FnNode::new(false, |attacking: &mut bool, ctx: &mut Ctx<G>, from, _| {
                if !*attacking {
                    *attacking = true;
                    ctx.record("attack", 1.0);
                }
                ctx.send(from, G::Ack);
            })
        })
        .names(["A", "B"])
}

fn agree(run: &Run) -> Result<(), String> {
    match run.observed("attack").count() {
        1 => Err("only one general attacked: the other was slaughtered alone".into()),
        _ => Ok(()),
    }
}

#[test]
fn two_generals_with_three_messengers_fail_after_three_losses() {
    let found = Explorer::new(&generals(3))
        .max_losses(3)
        .check(agree)
        .unwrap();
    let c = found
        .counterexample
        .expect("losing every messenger breaks agreement");
    assert_eq!(
        c.faults, 3,
        "minimal: exactly the three messengers are lost"
    );
    assert_eq!(c.choices.len(), 3, "and nothing else happens");
    assert!(c
        .choices
        .iter()
        .all(|ch| matches!(ch, Choice::Drop { node: 1, .. })));
    assert_eq!(c.run.trace().dropped().count(), 3);
    assert!(c.reason.contains("only one general"));
}

#[test]
fn two_losses_are_not_enough_against_three_messengers() {
    let found = Explorer::new(&generals(3))
        .max_losses(2)
        .check(agree)
        .unwrap();
    assert!(!found.violated(), "{found}");
    assert!(!found.truncated);
    assert!(found.runs > 1);
}

#[test]
fn crashes_are_explored_too() {
    let found = Explorer::new(&generals(1))
        .max_crashes(1)
        .check(agree)
        .unwrap();
    let c = found
        .counterexample
        .expect("crashing B before delivery breaks agreement");
    assert_eq!(c.faults, 1);
    assert_eq!(c.choices[0], Choice::Crash { node: 1 });
    assert_eq!(c.run.trace().down_intervals(1).len(), 1);
}

#[test]
fn sleep_sets_keep_independent_orders_from_multiplying() {
    // Three servers each receive one message from a fourth: 3! orders, all equivalent.
    let sim = Sim::new(Net::new())
        .nodes(3, |_| FnNode::new((), |_, _: &mut Ctx<G>, _, _| {}))
        .node(|_| {
            FnNode::new((), |_, _: &mut Ctx<G>, _, _| {})
                .on_start(|_, ctx| ctx.broadcast(G::Attack))
        });
    let found = Explorer::new(&sim).check(|_| Ok::<(), String>(())).unwrap();
    assert_eq!(found.runs, 1);
}

#[test]
fn bad_configuration_is_an_error_not_a_panic() {
    let sim = generals(1).net(Net::new().loss(3.0));
    assert!(Explorer::new(&sim).check(agree).is_err());
}

/// A client that asks node 0 once and gives up after 50 ms.
fn asker() -> FnNode<(), u32> {
    FnNode::new((), |_, ctx: &mut Ctx<u32>, _, _| {
        ctx.record("answered", 1.0)
    })
    .on_start(|_, ctx| {
        ctx.send(0, 1);
        ctx.set_timer(ms(50), 0);
    })
    .on_timer(|_, ctx, _| ctx.record("gave up", 1.0))
}

/// The asker, and a server that answers 30 ms after the request.
fn ask_once() -> Sim<u32> {
    let server = || {
        FnNode::new(
            None,
            |asker: &mut Option<NodeId>, ctx: &mut Ctx<u32>, from, _| {
                *asker = Some(from);
                ctx.set_timer(ms(30), 0);
            },
        )
        .on_timer(|asker, ctx, _| {
            if let Some(to) = asker.take() {
                ctx.send(to, 2);
            }
        })
    };
    Sim::new(Net::new())
        .node(move |_| server())
        .client(|_| asker())
}

/// The timer is never cancelled: giving up counts only before the answer came.
fn never_gives_up(run: &Run) -> Result<(), &'static str> {
    match run.observations.first().map(|o| o.key.as_str()) {
        Some("gave up") => Err("the client gave up although nothing failed"),
        _ => Ok(()),
    }
}

#[test]
fn in_the_asynchronous_model_a_timeout_can_fire_first_and_the_counterexample_says_why() {
    let found = Explorer::new(&ask_once()).check(never_gives_up).unwrap();
    let c = found
        .counterexample
        .expect("a timeout can always fire first");
    assert_eq!(c.faults, 0);
    assert_eq!(c.assumptions.len(), 1, "{:?}", c.assumptions);
    let says = &c.assumptions[0];
    let expected = "c1's timer fired before an earlier one at n0 (nodes' clocks and schedulers \
                    run at their own pace)";
    assert_eq!(says, expected);
}

#[test]
fn with_a_delay_bound_a_long_enough_timeout_waits_for_the_reply() {
    let sim = ask_once();
    let bounded = Explorer::new(&sim).delay_bound(ms(10));
    assert!(!bounded.check(never_gives_up).unwrap().violated());
    let too_tight = Explorer::new(&sim).delay_bound(ms(40));
    assert!(
        too_tight.check(never_gives_up).unwrap().violated(),
        "50 ms < two bounds of 40 ms"
    );
}

/// Node 0 sends 1 then 2 to node 1, which records each arrival in order.
fn two_in_a_row() -> Sim<u32> {
    Sim::new(Net::new())
        .node(|_| {
            FnNode::new((), |_, _: &mut Ctx<u32>, _, _| {}).on_start(|_, ctx| {
                ctx.send(1, 1);
                ctx.send(1, 2);
            })
        })
        .node(|_| {
            FnNode::new((), |_, ctx: &mut Ctx<u32>, _, n| {
                ctx.record("got", n as f64)
            })
        })
}

fn in_order(run: &Run) -> Result<(), &'static str> {
    let got: Vec<f64> = run.observed("got").map(|o| o.value).collect();
    if got.windows(2).all(|w| w[0] < w[1]) {
        Ok(())
    } else {
        Err("out of order")
    }
}

#[test]
fn fifo_links_keep_order_and_the_default_does_not() {
    let sim = two_in_a_row();
    let c = Explorer::new(&sim)
        .check(in_order)
        .unwrap()
        .counterexample
        .expect("reordering");
    assert_eq!(
        c.assumptions,
        ["a message from n0 to n1 overtook an earlier one on the same link"]
    );
    assert!(!Explorer::new(&sim)
        .fifo(true)
        .check(in_order)
        .unwrap()
        .violated());
}

#[test]
fn a_timeout_that_beats_a_reply_in_flight_is_named() {
    let sim = Sim::new(Net::new())
        .node(|_| FnNode::new((), |_, ctx: &mut Ctx<u32>, from, n| ctx.send(from, n + 1)))
        .client(|_| asker());
    let c = Explorer::new(&sim)
        .check(never_gives_up)
        .unwrap()
        .counterexample
        .unwrap();
    assert_eq!(c.assumptions.len(), 1);
    assert!(
        c.assumptions[0].starts_with("a timeout fired at c1 while messages were still in flight")
    );
    assert!(!Explorer::new(&sim)
        .delay_bound(ms(20))
        .check(never_gives_up)
        .unwrap()
        .violated());
}

#[test]
fn a_system_that_never_stops_is_reported_as_unchecked() {
    let ticker = || {
        FnNode::new((), |_, _: &mut Ctx<u32>, _, _| {})
            .on_start(|_, ctx| {
                ctx.set_timer(ms(10), 0);
            })
            .on_timer(|_, ctx, _| {
                ctx.set_timer(ms(10), 0);
            })
    };
    let sim = Sim::new(Net::new()).node(move |_| ticker());
    let found = Explorer::new(&sim).check(|_| Ok::<(), &str>(())).unwrap();
    assert_eq!((found.runs, found.truncated), (0, true));
    assert!(found
        .to_string()
        .starts_with("no run finished within the step limit"));
}

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

//! The event loop against small known scenarios: every fault kind changes what it should.

use faultline::prelude::*;
use faultline::run::Stop;
use faultline::sim::Nondeterminism;

#[derive(Clone, Debug, PartialEq)]
enum Msg {
    Ping(u32),
    Pong(u32),
}

/// Replies Pong(k) to Ping(k).
fn echo(_: NodeId) -> impl Node<Msg> {
    FnNode::new((), |_, ctx: &mut Ctx<Msg>, from, msg| {
        if let Msg::Ping(k) = msg {
            ctx.send(from, Msg::Pong(k));
        }
    })
}

/// Sends `count` pings to node 0, one every `gap`, recording each pong.
fn pinger(count: u32, gap: Time) -> impl Fn(NodeId) -> FnNode<u32, Msg> {
    move |_| {
        FnNode::new(0u32, |_, ctx: &mut Ctx<Msg>, _, msg| {
            if let Msg::Pong(k) = msg {
                ctx.record("pong", k as f64);
            }
        })
        .on_start(move |_, ctx| {
            ctx.set_timer(gap, 0);
        })
        .on_timer(move |sent, ctx, _| {
            ctx.send(0, Msg::Ping(*sent));
            *sent += 1;
            if *sent < count {
                ctx.set_timer(gap, 0);
            }
        })
    }
}

fn pingpong(net: Net) -> Sim<Msg> {
    Sim::new(net).node(echo).client(pinger(100, ms(10)))
}

#[test]
fn reliable_network_delivers_everything_in_time() {
    let run = pingpong(Net::new().delay(Delay::constant(2.0))).run(1);
    assert_eq!(run.stopped, Stop::Quiet);
    assert_eq!(run.counters.sent, 200);
    assert_eq!(run.counters.delivered, 200);
    assert_eq!(run.observed("pong").count(), 100);
    // Last ping at 1000 ms, pong back 4 ms later.
    assert_eq!(run.end, ms(1004));
}

#[test]
fn loss_and_duplication_show_in_counters_and_trace() {
    let run = pingpong(Net::new().loss(0.3).dup(0.2)).run(7);
    let s = &run.counters;
    assert!(s.lost > 20 && s.lost < 100, "{s:?}");
    assert!(s.duplicated > 5, "{s:?}");
    assert_eq!(s.sent + s.duplicated, s.delivered + s.lost);
    let t = run.trace();
    assert_eq!(t.dropped().count() as u64, s.lost);
    assert_eq!(
        t.messages
            .iter()
            .filter(|m| m.duplicate_of.is_some())
            .count() as u64,
        s.duplicated
    );
}

#[test]
fn partition_cuts_and_heal_restores() {
    let faults = Faults::new()
        .partition_at(ms(200), [vec![0], vec![1]])
        .heal_at(ms(500));
    let run = pingpong(Net::new()).faults(faults).run(1);
    let pongs: Vec<f64> = run.observed("pong").map(|o| o.value).collect();
    // Pings 19..=48 are sent while cut (t = 200..=490 ms).
    assert!(!pongs.contains(&25.0));
    assert!(pongs.contains(&10.0) && pongs.contains(&60.0));
    assert_eq!(run.counters.cut, 30);
    assert_eq!(run.trace().partition_intervals().len(), 1);
}

#[test]
fn one_way_partition_loses_only_one_direction() {
    let faults = Faults::new().one_way_at(Time::ZERO, [0], [1]);
    let run = pingpong(Net::new()).faults(faults).run(1);
    assert_eq!(run.counters.delivered, 100, "pings arrive");
    assert_eq!(run.counters.cut, 100, "pongs are cut");
}

#[test]
fn crash_loses_memory_keeps_storage_and_restart_recovers() {
    #[derive(Default)]
    struct Counter {
        seen: u32,
    }
    impl Node<Msg> for Counter {
        fn on_message(&mut self, ctx: &mut Ctx<Msg>, from: NodeId, msg: Msg) {
            if let Msg::Ping(k) = msg {
                self.seen += 1;
                let durable = ctx.storage().get::<u32>("seen").copied().unwrap_or(0) + 1;
                ctx.storage().put("seen", durable);
                ctx.record("memory", self.seen as f64);
                ctx.record("durable", durable as f64);
                ctx.send(from, Msg::Pong(k));
            }
        }
        fn on_recover(&mut self, ctx: &mut Ctx<Msg>) {
            ctx.log("recovered");
        }
    }
    let faults = Faults::new().crash_at(ms(305), 0).restart_at(ms(605), 0);
    let run = Sim::new(Net::new())
        .node(|_| Counter::default())
        .client(pinger(100, ms(10)))
        .faults(faults)
        .run(3);
    assert_eq!(
        run.last(0, "durable"),
        Some(70.0),
        "30 pings hit a dead node"
    );
    assert_eq!(
        run.last(0, "memory"),
        Some(40.0),
        "memory restarted from zero"
    );
    assert_eq!(run.counters.to_crashed, 30);
    assert_eq!(run.trace().down_intervals(0), vec![(ms(305), ms(605))]);
}

#[test]
fn a_closure_node_tells_a_restart_from_its_first_start() {
    let node = |_| {
        FnNode::new((), |_: &mut (), ctx: &mut Ctx<Msg>, from, msg| {
            if let Msg::Ping(k) = msg {
                ctx.send(from, Msg::Pong(k));
            }
        })
        .on_start(|_, ctx| ctx.record("started", 1.0))
        .on_recover(|_, ctx| ctx.record("recovered", 1.0))
    };
    let faults = Faults::new().crash_at(ms(50), 0).restart_at(ms(80), 0);
    let run = Sim::new(Net::new())
        .node(node)
        .client(pinger(10, ms(10)))
        .faults(faults)
        .run(1);
    let count = |key: &str| run.observations.iter().filter(|o| o.key == key).count();
    assert_eq!((count("started"), count("recovered")), (1, 1));
}

/// Node 0 leads from the start, node 1 claims leadership at 50 ms, node 0 crashes at 100 ms and
/// comes back at 150 ms as a follower: two leaders for exactly 50 ms.
#[test]
fn time_in_a_state_counts_what_nodes_recorded_and_forgets_it_at_a_crash() {
    let node = |id: NodeId| {
        FnNode::new((), |_: &mut (), _: &mut Ctx<Msg>, _, _| {})
            .on_start(move |_, ctx| {
                if id == 0 {
                    ctx.record("leader", 1.0);
                } else {
                    ctx.set_timer(ms(50), 0);
                }
            })
            .on_recover(|_, ctx| ctx.record("leader", 0.0))
            .on_timer(|_, ctx, _| ctx.record("leader", 1.0))
    };
    let faults = Faults::new().crash_at(ms(100), 0).restart_at(ms(150), 0);
    let sim = Sim::new(Net::new())
        .nodes(2, node)
        .faults(faults)
        .until(ms(200));
    for run in [sim.run(1), sim.run_untraced(1)] {
        let leaders = |v: &[Option<f64>]| v.iter().filter(|x| **x == Some(1.0)).count();
        assert_eq!(run.time_where("leader", |v| leaders(v) >= 2), ms(50));
        assert_eq!(run.time_where("leader", |v| leaders(v) == 0), ms(0));
        let changes = run.changes("leader");
        assert_eq!(
            changes[0].1,
            [(ms(0), Some(1.0)), (ms(100), None), (ms(150), Some(0.0))]
        );
        let fig = run.state_timeline("leader", |v| {
            if v == 1.0 { "leader" } else { "follower" }.into()
        });
        assert_eq!(fig.figure().svg().matches("class=\"segment\"").count(), 4);
    }
}

#[test]
fn pause_delays_but_does_not_lose() {
    let faults = Faults::new().pause_at(ms(100), 0, ms(300));
    let run = pingpong(Net::new()).faults(faults).run(1);
    assert_eq!(run.counters.delivered, 200, "nothing lost");
    let late = run
        .trace()
        .messages
        .iter()
        .filter(|m| m.to == 0 && matches!(m.fate, Fate::Delivered(t) if t == ms(400)))
        .count();
    assert_eq!(
        late, 30,
        "pings sent during the pause all land when it ends"
    );
}

#[test]
fn skewed_clocks_are_what_nodes_read() {
    let faults = Faults::new().clock(0, 37.0, 0.0).clock(1, -18.0, 0.0);
    let sim = Sim::new(Net::new())
        .nodes(2, |_| {
            FnNode::new((), |_, _: &mut Ctx<Msg>, _, _| {})
                .on_start(|_, ctx| {
                    ctx.set_timer(ms(100), 0);
                })
                .on_timer(|_, ctx, _| {
                    let t = ctx.now();
                    ctx.record("local_ms", t.as_ms());
                })
        })
        .faults(faults);
    let run = sim.run(1);
    assert_eq!(run.last(0, "local_ms"), Some(137.0));
    assert_eq!(run.last(1, "local_ms"), Some(82.0));
}

#[test]
fn delivery_triggered_partition() {
    let faults = Faults::new().partition_after(10, [vec![0], vec![1]]);
    let run = pingpong(Net::new()).faults(faults).run(1);
    assert_eq!(run.counters.delivered, 10);
}

#[test]
fn byzantine_strategies_rewrite_or_silence() {
    let liar = pingpong(Net::new())
        .byzantine(
            0,
            Byzantine::lie(|m| match m {
                Msg::Pong(_) => Msg::Pong(666),
                other => other,
            }),
        )
        .run(1);
    assert!(liar.observed("pong").all(|o| o.value == 666.0));
    let silent = pingpong(Net::new())
        .byzantine(0, Byzantine::silent())
        .run(1);
    assert_eq!(silent.observed("pong").count(), 0);
    assert_eq!(silent.counters.delivered, 100);
}

#[test]
fn equivocation_tells_each_peer_something_else() {
    let sim = Sim::new(Net::new())
        .node(|_| {
            FnNode::new((), |_, _: &mut Ctx<Msg>, _, _| {})
                .on_start(|_, ctx| ctx.broadcast(Msg::Ping(1)))
        })
        .nodes(2, |_| {
            FnNode::new((), |_, ctx: &mut Ctx<Msg>, _, m| {
                if let Msg::Ping(v) = m {
                    ctx.record("heard", v as f64)
                }
            })
        })
        .byzantine(0, Byzantine::equivocate(|to, _| Msg::Ping(to as u32 * 10)));
    let run = sim.run(1);
    assert_eq!(run.last(1, "heard"), Some(10.0));
    assert_eq!(run.last(2, "heard"), Some(20.0));
}

#[test]
fn cancelled_timers_do_not_fire() {
    let sim: Sim<Msg> = Sim::new(Net::new()).node(|_| {
        FnNode::new((), |_, _, _, _| {})
            .on_start(|_, ctx| {
                let t = ctx.set_timer(ms(5), 1);
                ctx.set_timer(ms(6), 2);
                ctx.cancel_timer(t);
            })
            .on_timer(|_, ctx, tag| ctx.record("fired", tag as f64))
    });
    let run = sim.run(1);
    let fired: Vec<f64> = run.observed("fired").map(|o| o.value).collect();
    assert_eq!(fired, vec![2.0]);
}

#[test]
fn livelock_stops_at_the_event_limit() {
    let sim: Sim<Msg> = Sim::new(Net::new())
        .node(|_| {
            FnNode::new((), |_, ctx: &mut Ctx<Msg>, from, m| ctx.send(from, m))
                .on_start(|_, ctx| ctx.send(0, Msg::Ping(0)))
        })
        .until(Time::MAX)
        .max_events(1_000);
    let run = sim.run(1);
    assert_eq!(run.stopped, Stop::EventLimit);
    assert_eq!(run.counters.events, 1_000);
}

#[test]
fn zero_delay_livelock_stops_when_time_stops_advancing() {
    let sim: Sim<Msg> = Sim::new(Net::new().delay(Delay::constant(0.0)))
        .node(|_| {
            FnNode::new((), |_, ctx: &mut Ctx<Msg>, from, m| ctx.send(from, m))
                .on_start(|_, ctx| ctx.send(0, Msg::Ping(0)))
        })
        .until(Time::MAX);
    let run = sim.run(1);
    assert_eq!(run.stopped, Stop::Stuck);
    assert!(
        run.counters.events <= faultline::sim::STUCK_EVENTS + 1,
        "{}",
        run.counters.events
    );
    let warning = run.stopped.warning(run.counters.events).unwrap();
    assert!(warning.contains("zero delays"), "{warning}");
}

#[test]
fn impossible_configurations_are_errors_naming_the_parameter() {
    let err = Sim::<Msg>::new(Net::new().loss(2.0))
        .faults(Faults::new().crash_at(ms(1), 5))
        .try_run(1)
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("`nodes` = 0"), "{text}");
    assert!(
        text.contains("`net loss` = 2") && text.contains("0.0..=1.0"),
        "{text}"
    );
    assert!(text.contains("`crash_at` = 5"), "{text}");
    let zero = Sim::<Msg>::new(Net::new())
        .nodes(0, echo)
        .try_run(1)
        .unwrap_err();
    assert!(zero.to_string().contains("`nodes count` = 0"));
    let nan = pingpong(Net::new().delay(Delay::exponential(f64::NAN)))
        .try_run(1)
        .unwrap_err();
    assert!(nan.to_string().contains("`net delay` = NaN"), "{nan}");
}

#[test]
#[should_panic(expected = "invalid `net loss` = -0.5: accepted a probability in 0.0..=1.0")]
fn run_panics_at_the_call_site_with_the_same_message() {
    pingpong(Net::new().loss(-0.5)).run(1);
}

#[test]
fn same_seed_same_trace_over_a_thousand_seeds() {
    let sim = pingpong(
        Net::new()
            .delay(Delay::lognormal(2.0, 0.8))
            .loss(0.1)
            .dup(0.05)
            .reorder(0.1),
    )
    .faults(
        Faults::new()
            .partition_at(ms(300), [vec![0], vec![1]])
            .heal_at(ms(400)),
    );
    assert_eq!(sim.check_determinism(0..1_000).unwrap(), 1_000);
    let distinct: std::collections::BTreeSet<String> =
        (0..200).map(|seed| sim.run(seed).fingerprint()).collect();
    assert!(
        distinct.len() > 195,
        "different seeds should give different runs"
    );
}

#[test]
fn the_determinism_check_catches_a_node_that_reads_the_wall_clock() {
    let sim: Sim<Msg> = Sim::new(Net::new()).node(|_| {
        FnNode::new((), |_, _, _, _| {}).on_start(|_, ctx| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            ctx.record("wall", nanos as f64);
        })
    });
    let err = sim.check_determinism(0..10).unwrap_err();
    assert!(
        matches!(err, Nondeterminism::Diverged { seed: 0, .. }),
        "{err}"
    );
}

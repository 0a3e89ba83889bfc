//! The echo workload on turmoil and on Faultline: `clients` clients each do `rounds` request →
//! reply round trips against one server over a reliable network whose one-way latency lies in
//! `min_ms..=max_ms`. Returns messages delivered.

use faultline::prelude::*;
use std::time::Duration;
use turmoil::net::UdpSocket;

pub fn turmoil(clients: usize, rounds: u32, (min_ms, max_ms): (u64, u64)) -> u64 {
    let mut builder = turmoil::Builder::new();
    // Room for every client's datagram at once: with the default capacity some are dropped, and
    // a closed-loop client whose request was dropped would wait forever. Only needed (and only
    // set) when the clients outnumber the default.
    if clients > 64 {
        builder.udp_capacity(4 * clients);
    }
    let mut sim = builder
        .min_message_latency(Duration::from_millis(min_ms))
        .max_message_latency(Duration::from_millis(max_ms))
        .simulation_duration(Duration::from_secs(3_600))
        .build();
    sim.host("server", || async {
        let sock = UdpSocket::bind("0.0.0.0:9000").await?;
        let mut buf = [0u8; 16];
        loop {
            let (n, from) = sock.recv_from(&mut buf).await?;
            sock.send_to(&buf[..n], from).await?;
        }
    });
    for c in 0..clients {
        sim.client(format!("client{c}"), async move {
            let sock = UdpSocket::bind("0.0.0.0:9001").await?;
            let mut buf = [0u8; 16];
            for _ in 0..rounds {
                sock.send_to(b"ping", ("server", 9000)).await?;
                sock.recv_from(&mut buf).await?;
            }
            Ok(())
        });
    }
    sim.run().expect("turmoil echo run");
    2 * clients as u64 * rounds as u64
}

#[derive(Clone, Debug)]
enum Echo {
    Ping,
    Pong,
}

pub fn faultline(clients: usize, rounds: u32, (min_ms, max_ms): (u64, u64)) -> u64 {
    let sim = Sim::new(Net::new().delay(Delay::uniform(min_ms as f64, max_ms as f64)))
        .node(|_| {
            FnNode::new((), |_, ctx: &mut Ctx<Echo>, from, _| {
                ctx.send(from, Echo::Pong)
            })
        })
        .clients(clients, move |_| {
            FnNode::new(rounds, |left: &mut u32, ctx: &mut Ctx<Echo>, _, _| {
                *left -= 1;
                if *left > 0 {
                    ctx.send(0, Echo::Ping);
                }
            })
            .on_start(|_, ctx| ctx.send(0, Echo::Ping))
        })
        .until(Time::MAX);
    let run = sim.run_untraced(1);
    assert_eq!(run.counters.delivered, 2 * clients as u64 * rounds as u64);
    run.counters.delivered
}

//! The latency ladder, measured on *this* machine: from a function call to a TCP round trip
//! through the kernel's loopback interface — next to the classic published figures.
//!
//! These are live measurements of real hardware (wall-clock time), so they live here, in a
//! clearly-named helper, and never inside the simulator, which stays deterministic. Numbers vary
//! from run to run and machine to machine; the orders of magnitude do not.

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Instant;

/// One rung: what was timed and how long one of it took, in nanoseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Rung {
    pub name: &'static str,
    pub ns: f64,
}

/// The classic "latency numbers every programmer should know" (Jeff Dean's list, ~2010), ns.
pub const CLASSIC: &[(&str, f64)] = &[
    ("L1 cache reference", 0.5),
    ("L2 cache reference", 7.0),
    ("mutex lock/unlock", 25.0),
    ("main memory reference", 100.0),
    ("SSD random read", 150_000.0),
    ("same-datacenter round trip", 500_000.0),
    ("disk seek", 10_000_000.0),
    ("round trip California → Netherlands", 150_000_000.0),
];

#[inline(never)]
fn add_one(x: u64) -> u64 {
    x.wrapping_add(1)
}

/// Nanoseconds per iteration of `f`, best of `rounds` rounds of `iters` iterations (the best
/// round is the least disturbed by other work on the machine).
pub fn time_ns(iters: u64, rounds: u32, mut f: impl FnMut()) -> f64 {
    (0..rounds.max(1))
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            start.elapsed().as_nanos() as f64 / iters as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// A function call that the compiler may not inline or remove.
pub fn function_call_ns() -> f64 {
    let f: fn(u64) -> u64 = add_one;
    let mut x = 0u64;
    time_ns(2_000_000, 5, || x = black_box(f)(black_box(x)))
}

/// One dependent read, following a random cycle through `bytes` of memory: each load needs the
/// previous one's result, so neither the CPU nor its prefetcher can run ahead. A few KB stay in
/// the L1 cache; tens of MB miss every cache and go to main memory.
pub fn dependent_read_ns(bytes: usize, hops: u64) -> f64 {
    let n = (bytes / 8).max(2);
    let mut next: Vec<usize> = (0..n).collect();
    // Sattolo's algorithm: a single cycle through every slot, with a fixed-seed generator.
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    for i in (1..n).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let j = (s % i as u64) as usize;
        next.swap(i, j);
    }
    let mut at = 0usize;
    let ns = time_ns(hops, 3, || at = next[black_box(at)]);
    black_box(at);
    ns
}

/// A read that hits the L1 cache (a 4 KB working set).
pub fn l1_read_ns() -> f64 {
    dependent_read_ns(4 << 10, 1_000_000)
}

/// A read that misses every cache (a 32 MB working set).
pub fn memory_read_ns() -> f64 {
    dependent_read_ns(32 << 20, 200_000)
}

/// Locking and unlocking an uncontended mutex.
pub fn mutex_ns() -> f64 {
    let m = Mutex::new(0u64);
    time_ns(1_000_000, 5, || *black_box(&m).lock().unwrap() += 1)
}

/// A message to another thread and back over channels (a context switch each way, often).
pub fn thread_round_trip_ns() -> f64 {
    let (to_tx, to_rx) = mpsc::channel::<u64>();
    let (back_tx, back_rx) = mpsc::channel::<u64>();
    let echo = std::thread::spawn(move || {
        while let Ok(v) = to_rx.recv() {
            if back_tx.send(v).is_err() {
                break;
            }
        }
    });
    let ns = time_ns(5_000, 3, || {
        to_tx.send(1).unwrap();
        back_rx.recv().unwrap();
    });
    drop(to_tx);
    let _ = echo.join();
    ns
}

/// A one-byte request and reply over a TCP connection to ourselves (127.0.0.1): through the
/// operating system's network stack, but never on a wire.
pub fn loopback_tcp_round_trip_ns() -> std::io::Result<f64> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let echo = std::thread::spawn(move || -> std::io::Result<()> {
        let (mut s, _) = listener.accept()?;
        s.set_nodelay(true)?;
        let mut b = [0u8; 1];
        while s.read_exact(&mut b).is_ok() {
            s.write_all(&b)?;
        }
        Ok(())
    });
    let mut c = TcpStream::connect(addr)?;
    c.set_nodelay(true)?;
    let mut b = [7u8; 1];
    let mut err = None;
    let ns = time_ns(3_000, 3, || {
        if let Err(e) = c.write_all(&b).and_then(|_| c.read_exact(&mut b)) {
            err.get_or_insert(e);
        }
    });
    drop(c);
    let _ = echo.join();
    match err {
        Some(e) => Err(e),
        None => Ok(ns),
    }
}

/// Measures every rung on this machine (about a second). The loopback rung is left out if the
/// machine refuses local TCP connections.
pub fn measure() -> Vec<Rung> {
    let mut rungs = vec![
        Rung {
            name: "function call",
            ns: function_call_ns(),
        },
        Rung {
            name: "L1 cache read",
            ns: l1_read_ns(),
        },
        Rung {
            name: "mutex lock/unlock",
            ns: mutex_ns(),
        },
        Rung {
            name: "main memory read (cache miss)",
            ns: memory_read_ns(),
        },
        Rung {
            name: "thread round trip (channels)",
            ns: thread_round_trip_ns(),
        },
    ];
    if let Ok(ns) = loopback_tcp_round_trip_ns() {
        rungs.push(Rung {
            name: "loopback TCP round trip",
            ns,
        });
    }
    rungs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ladder_goes_up() {
        // Generous bounds: shared CI machines are noisy, but orders of magnitude hold.
        let call = function_call_ns();
        let tcp = loopback_tcp_round_trip_ns().expect("loopback TCP works");
        assert!(call > 0.0 && call < 100.0, "{call}");
        assert!(tcp > 10.0 * call, "{call} vs {tcp}");
        assert!(mutex_ns() < 10_000.0);
        assert!(
            memory_read_ns() > l1_read_ns(),
            "a cache miss costs more than a hit"
        );
    }
}

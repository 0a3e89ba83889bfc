//! `quorums::arithmetic`: majorities, tolerated failures, 2f+1 vs 3f+1, R + W > N — each judged
//! against an exhaustive search over sets of nodes, not against a formula.

use crate::harness::{guard, Case, Exercise, Judge, Prop};
use crate::Impls;
use faultline::prelude::*;

/// The learner's functions, as the grader calls them.
pub struct Bind {
    pub majority: fn(usize) -> usize,
    pub tolerated_crashes: fn(usize) -> usize,
    pub nodes_for_crashes: fn(usize) -> usize,
    pub nodes_for_byzantine: fn(usize) -> usize,
    pub quorums_overlap: fn(usize, usize, usize) -> bool,
}

/// Binds a module with the five functions of `exercises/src/quorums/arithmetic.rs`.
#[macro_export]
macro_rules! bind_arithmetic {
    ($($m:ident)::+) => {
        $crate::quorums::arithmetic::Bind {
            majority: $($m)::+::majority,
            tolerated_crashes: $($m)::+::tolerated_crashes,
            nodes_for_crashes: $($m)::+::nodes_for_crashes,
            nodes_for_byzantine: $($m)::+::nodes_for_byzantine,
            quorums_overlap: $($m)::+::quorums_overlap,
        }
    };
}

const PROPS: &[Prop] = &[
    Prop {
        name: "majority",
        says: "majority(n) is the smallest quorum size such that any two quorums share a node",
    },
    Prop {
        name: "tolerated-crashes",
        says: "tolerated_crashes(n) is the most nodes that can crash while a majority still answers",
    },
    Prop {
        name: "crash-fault-nodes",
        says: "nodes_for_crashes(f) is the fewest nodes whose majority survives f crashes (2f + 1)",
    },
    Prop {
        name: "byzantine-nodes",
        says: "nodes_for_byzantine(f) is the fewest nodes whose quorums of n - f share f + 1 nodes, so an honest one (3f + 1)",
    },
    Prop {
        name: "read-write-overlap",
        says: "quorums_overlap(n, r, w) is true exactly when every r-node read quorum meets every w-node write quorum",
    },
];

pub fn exercise() -> Exercise {
    Exercise {
        id: "quorums::arithmetic",
        props: PROPS,
        schedules: &["small-clusters", "digit-boundaries"],
        seeds: 20,
        check,
    }
}

/// Do some `a`-subset and `b`-subset of `n` nodes miss each other? For n ≤ 12 by enumerating
/// every `a`-subset (a disjoint `b`-subset exists iff the nodes outside it number `b` or more).
fn disjoint_exists(n: usize, a: usize, b: usize) -> bool {
    if a == 0 || b == 0 || a > n || b > n {
        return a <= n && b <= n;
    }
    if n <= 12 {
        (0u32..1 << n).any(|m| m.count_ones() as usize == a && (n - a) >= b)
    } else {
        n - a >= b
    }
}

/// Smallest intersection of two quorums of size q among n nodes, by search over placements.
fn min_overlap(n: usize, q: usize) -> usize {
    (0..=q).find(|&shared| q + q - shared <= n).unwrap_or(q)
}

fn truth_majority(n: usize) -> usize {
    (1..=n).find(|&q| !disjoint_exists(n, q, q)).unwrap_or(n)
}

fn truth_tolerated(n: usize) -> usize {
    let maj = truth_majority(n);
    (0..=n).rev().find(|&f| n - f >= maj).unwrap_or(0)
}

fn truth_nodes_for_crashes(f: usize) -> usize {
    (1..).find(|&n| truth_tolerated(n) >= f).expect("some n")
}

fn truth_nodes_for_byzantine(f: usize) -> usize {
    (f + 1..)
        .find(|&n| min_overlap(n, n - f) > f)
        .expect("some n")
}

/// The most telling of the inputs a function got wrong: the first at least `from` (f = 0 or
/// n = 1 explain nothing: 2f and 2f + 1 differ there only by one node), then how many others
/// failed and the smallest of them. `Ok` when nothing failed.
fn most_telling(failures: Vec<(usize, String)>, from: usize) -> Result<(), String> {
    let Some(lead) = failures
        .iter()
        .find(|(x, _)| *x >= from)
        .or(failures.first())
    else {
        return Ok(());
    };
    let others = failures.len() - 1;
    let smallest = failures.iter().map(|(x, _)| *x).min().unwrap_or(lead.0);
    let more = match others {
        0 => String::new(),
        1 => " (one other input is wrong too".to_string(),
        k => format!(" ({k} other inputs are wrong too"),
    };
    let more = if others == 0 {
        more
    } else if smallest < lead.0 {
        format!("{more}, the smallest {smallest})")
    } else {
        format!("{more})")
    };
    Err(format!("{}{more}", lead.1))
}

/// Cluster sizes, fault counts, and (n, r, w) triples to ask about.
type Inputs = (Vec<usize>, Vec<usize>, Vec<(usize, usize, usize)>);

fn check(impls: &Impls, case: &Case, j: &mut Judge) {
    let b = &impls.arithmetic;
    let (ns, fs, triples): Inputs = match case {
        // Sizes that cross a digit (9 → 10, 99 → 100, …) and large ones, with (r, w) on both
        // sides of r + w = n and at the impossible edges (0, n + 1).
        Case::Schedule("digit-boundaries") => {
            let ns = vec![
                9, 10, 11, 99, 100, 101, 999, 1_000, 1_001, 65_536, 1_000_000,
            ];
            let fs = vec![9, 10, 11, 99, 100, 333, 334, 999, 1_000];
            let triples = ns
                .iter()
                .flat_map(|&n| {
                    let h = n / 2;
                    [
                        (n, h, n - h),
                        (n, h + 1, n - h),
                        (n, h, n - h + 1),
                        (n, 1, n),
                        (n, n, 1),
                        (n, 0, n),
                        (n, n + 1, n),
                        (n, 1, n - 1),
                    ]
                })
                .collect();
            (ns, fs, triples)
        }
        Case::Schedule(_) => {
            let ns: Vec<usize> = (1..=12).collect();
            let triples = ns
                .iter()
                .flat_map(|&n| (0..=n + 1).flat_map(move |r| (0..=n + 1).map(move |w| (n, r, w))))
                .collect();
            (ns, (0..=6).collect(), triples)
        }
        Case::Seed(_) => {
            let mut r = rng(trial_seed(0xA817, case.seed()));
            let ns = (0..20)
                .map(|_| r.random_range(1..400))
                .collect::<Vec<usize>>();
            let fs = (0..10).map(|_| r.random_range(0..100)).collect();
            let triples = ns
                .iter()
                .map(|&n| {
                    let rr = r.random_range(1..=n);
                    // Half on the boundary r + w = n + 1 or r + w = n, where mistakes live.
                    let w = match r.random_range(0..4) {
                        0 => n + 1 - rr,
                        1 => (n - rr).max(1),
                        _ => r.random_range(1..=n),
                    };
                    (n, rr, w)
                })
                .collect();
            (ns, fs, triples)
        }
    };
    let call = |prop: &'static str, j: &mut Judge, f: &dyn Fn() -> Result<(), String>| {
        if let Err(e) = guard(f).and_then(|r| r) {
            j.fail(prop, e);
        }
    };
    call("majority", j, &|| {
        let mut failures = Vec::new();
        for &n in &ns {
            let (got, want) = ((b.majority)(n), truth_majority(n));
            if got != want {
                let why = if got < want && disjoint_exists(n, got, got) {
                    format!(": two groups of {got} out of {n} can be disjoint, so two \"majorities\" could decide differently")
                } else {
                    format!(": {want} is the smallest size any two groups of which share a node")
                };
                failures.push((
                    n,
                    format!("majority({n}) returned {got}, expected {want}{why}"),
                ));
            }
        }
        most_telling(failures, 4)
    });
    call("tolerated-crashes", j, &|| {
        let mut failures = Vec::new();
        for &n in &ns {
            let (got, want) = ((b.tolerated_crashes)(n), truth_tolerated(n));
            if got != want {
                failures.push((n, format!("tolerated_crashes({n}) returned {got}, expected {want}: with {want} crashed, {} nodes remain, a majority of {n}; one more crash leaves no majority", n - want)));
            }
        }
        most_telling(failures, 4)
    });
    call("crash-fault-nodes", j, &|| {
        let mut failures = Vec::new();
        for &f in &fs {
            let (got, want) = ((b.nodes_for_crashes)(f), truth_nodes_for_crashes(f));
            if got != want {
                let why = if got < want {
                    format!(": with {got} nodes and {f} crashed, the {} left are not a majority of {got}", got.saturating_sub(f))
                } else {
                    format!(": {want} nodes already keep a majority up through {f} crashes")
                };
                failures.push((
                    f,
                    format!("nodes_for_crashes({f}) returned {got}, expected {want}{why}"),
                ));
            }
        }
        most_telling(failures, 2)
    });
    call("byzantine-nodes", j, &|| {
        let mut failures = Vec::new();
        for &f in &fs {
            let (got, want) = ((b.nodes_for_byzantine)(f), truth_nodes_for_byzantine(f));
            if got != want {
                let why = if got > f && got < want {
                    format!(": with {got} nodes two quorums of {} may share only {} nodes, all of which may be liars", got - f, min_overlap(got, got - f))
                } else {
                    format!(": {want} = 3 × {f} + 1 is the fewest with which two quorums of n - f share at least f + 1 nodes, one of them honest")
                };
                failures.push((
                    f,
                    format!("nodes_for_byzantine({f}) returned {got}, expected {want}{why}"),
                ));
            }
        }
        most_telling(failures, 2)
    });
    call("read-write-overlap", j, &|| {
        let mut failures = Vec::new();
        for &(n, r, w) in &triples {
            let valid = r >= 1 && w >= 1 && r <= n && w <= n;
            let want = valid && !disjoint_exists(n, r, w);
            let got = (b.quorums_overlap)(n, r, w);
            if got != want {
                let why = if want {
                    "every read quorum meets every write quorum".to_string()
                } else if !valid {
                    "those quorum sizes are impossible".to_string()
                } else {
                    format!(
                        "reads from nodes 0..{r} miss a write to nodes {}..{n}",
                        n - w
                    )
                };
                failures.push((n, format!("quorums_overlap(n = {n}, r = {r}, w = {w}) returned {got}, expected {want}: {why}")));
            }
        }
        most_telling(failures, 3)
    });
}

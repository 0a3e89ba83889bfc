//! Quorum arithmetic and the check of the quorums a run used, against brute force.

use faultline::trace::NodeId;
use faultline_lab::quorum;

#[test]
fn quorum_arithmetic() {
    assert_eq!(
        (1..=7).map(quorum::majority).collect::<Vec<_>>(),
        [1, 2, 2, 3, 3, 4, 4]
    );
    assert_eq!(
        (1..=7).map(quorum::crash_tolerance).collect::<Vec<_>>(),
        [0, 0, 1, 1, 2, 2, 3]
    );
    assert_eq!(
        (1..=7).map(quorum::byzantine_tolerance).collect::<Vec<_>>(),
        [0, 0, 0, 1, 1, 1, 2]
    );
    for f in 0..5 {
        assert_eq!(quorum::crash_tolerance(quorum::nodes_for_crashes(f)), f);
        assert_eq!(
            quorum::byzantine_tolerance(quorum::nodes_for_byzantine(f)),
            f
        );
        assert_eq!(
            quorum::byzantine_tolerance(quorum::nodes_for_byzantine(f) - 1),
            f.saturating_sub(1)
        );
    }
}

#[test]
fn quorum_sizes_overlap_only_when_strictly_more_than_n() {
    assert!(quorum::quorums_overlap(5, 3, 3).is_ok());
    assert!(quorum::quorums_overlap(5, 1, 5).is_ok());
    assert!(quorum::quorums_overlap(3, 2, 2).is_ok());
    // R + W = N: the classic off-by-one.
    let err = quorum::quorums_overlap(4, 2, 2).unwrap_err();
    assert_eq!(
        err.to_string(),
        "R + W = 2 + 2 = 4 is not more than N = 4: a read from {2, 3} can miss a write to {0, 1} \
         entirely and return a stale value"
    );
    // Reads meet writes, but two writes of n/2 can miss each other.
    let err = quorum::quorums_overlap(4, 3, 2).unwrap_err();
    assert!(
        err.to_string().starts_with("W = 2 is not more than N / 2"),
        "{err}"
    );
    assert!(matches!(
        quorum::quorums_overlap(3, 0, 2),
        Err(quorum::QuorumError::Invalid { param: "r", .. })
    ));
    assert!(quorum::quorums_overlap(3, 2, 4).is_err());
    // Exhaustively: the example pair really is disjoint, and "ok" really means overlap.
    for n in 1..=6usize {
        for r in 1..=n {
            for w in 1..=n {
                let sets = |k: usize| -> Vec<Vec<NodeId>> {
                    (0u32..1 << n)
                        .filter(|m| m.count_ones() as usize == k)
                        .map(|m| (0..n).filter(|i| m >> i & 1 == 1).collect())
                        .collect()
                };
                let all_meet = quorum::check_quorums(&sets(r), &sets(w)).is_ok();
                assert_eq!(
                    quorum::quorums_overlap(n, r, w).is_ok(),
                    all_meet,
                    "n={n} r={r} w={w}"
                );
            }
        }
    }
}

#[test]
fn used_quorums_are_checked_pairwise() {
    assert!(quorum::check_quorums(&[[0, 1], [1, 2]], &[[1, 2], [0, 1]]).is_ok());
    let err =
        quorum::check_quorums(&[vec![0, 1], vec![3, 4]], &[vec![1, 2], vec![0, 2]]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "read quorum #1 {3, 4} and write quorum #0 {1, 2} share no node"
    );
    let err = quorum::check_quorums(&[vec![0, 1, 2]], &[vec![0, 1], vec![2, 3]]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "write quorum #0 {0, 1} and write quorum #1 {2, 3} share no node"
    );
}

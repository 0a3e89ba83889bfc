//! Stop-the-world pauses (garbage collection, swapping, a noisy neighbour): a node freezes for a
//! while, then carries on as if nothing happened. To everyone else, a long pause looks exactly
//! like a crash — until the node wakes up.

use faultline::faults::Faults;
use faultline::net::Delay;
use faultline::rng::Rng;
use faultline::time::Time;
use faultline::trace::NodeId;
use rand::Rng as _;

/// Adds random pauses to `faults` for each of `nodes` until `until`: pauses start at random
/// (exponential gaps of mean `mean_gap`) and last a duration drawn from `length`. Draws come from
/// `rng`, so a seeded generator gives the same pauses every time.
pub fn random_pauses(
    faults: Faults,
    nodes: impl IntoIterator<Item = NodeId>,
    until: Time,
    mean_gap: Time,
    length: &Delay,
    rng: &mut Rng,
) -> Faults {
    let mut f = faults;
    for node in nodes {
        let mut t = 0.0;
        loop {
            let u: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
            t += -u.ln() * mean_gap.as_ms();
            let at = Time::from_ms_f64(t);
            if at >= until || mean_gap == Time::ZERO {
                break;
            }
            f = f.pause_at(at, node, length.sample(rng));
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline::rng::rng;
    use faultline::time::secs;

    #[test]
    fn pauses_are_seeded_and_about_as_frequent_as_asked() {
        let make = |seed| {
            random_pauses(
                Faults::new(),
                0..4,
                secs(1_000),
                secs(10),
                &Delay::constant(100.0),
                &mut rng(seed),
            )
        };
        assert_eq!(make(1), make(1));
        let n = make(1).scheduled().len();
        assert!((300..500).contains(&n), "about 4 × 100 pauses: {n}");
    }
}

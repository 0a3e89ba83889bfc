//! The fault schedule: partitions, crashes, restarts, pauses and clock faults, as one-liners.

use crate::clock::LocalClock;
use crate::error::{ConfigError, Problems};
use crate::time::Time;
use crate::trace::NodeId;

/// When a scheduled fault fires.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// At a fixed virtual time.
    At(Time),
    /// Right after the network has delivered this many messages in total.
    AfterDeliveries(u64),
}

/// One fault action.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultAction {
    /// Cut every link between nodes of different groups. Nodes named in no group keep all their
    /// links (handy for clients that can reach both sides). Replaces any earlier partition.
    Partition(Vec<Vec<NodeId>>),
    /// Cut only the links `from → to` for every `from` in the first set and `to` in the second;
    /// the reverse direction keeps working. Adds to any partition in force.
    OneWay(Vec<NodeId>, Vec<NodeId>),
    /// Restore every link.
    Heal,
    /// Stop a node: it loses its memory (in-flight messages to it are dropped, timers cancelled);
    /// its durable storage survives.
    Crash(NodeId),
    /// Start a crashed node again: built afresh, with its durable storage, then `on_recover`.
    Restart(NodeId),
    /// Freeze a node (a GC pause): it handles nothing for the duration, then catches up.
    Pause(NodeId, Time),
}

impl FaultAction {
    fn nodes(&self) -> Vec<NodeId> {
        match self {
            FaultAction::Partition(groups) => groups.iter().flatten().copied().collect(),
            FaultAction::OneWay(a, b) => a.iter().chain(b).copied().collect(),
            FaultAction::Heal => Vec::new(),
            FaultAction::Crash(n) | FaultAction::Restart(n) | FaultAction::Pause(n, _) => vec![*n],
        }
    }

    fn name(&self) -> &'static str {
        match self {
            FaultAction::Partition(_) => "partition_at",
            FaultAction::OneWay(..) => "one_way_at",
            FaultAction::Heal => "heal_at",
            FaultAction::Crash(_) => "crash_at",
            FaultAction::Restart(_) => "restart_at",
            FaultAction::Pause(..) => "pause_at",
        }
    }
}

/// A partition action from any nesting of node ids (arrays, vectors, ranges).
fn partition<G, I>(groups: G) -> FaultAction
where
    G: IntoIterator<Item = I>,
    I: IntoIterator<Item = NodeId>,
{
    FaultAction::Partition(
        groups
            .into_iter()
            .map(|g| g.into_iter().collect())
            .collect(),
    )
}

/// A schedule of faults for a simulation.
///
/// ```
/// use faultline::prelude::*;
/// let faults = Faults::new()
///     .partition_at(ms(500), [vec![0, 1], vec![2, 3, 4]])
///     .heal_at(secs(2))
///     .crash_at(ms(800), 4)
///     .restart_at(ms(1500), 4)
///     .clock(2, 37.0, 100.0); // node 2 runs 37 ms ahead and gains 100 µs per second
/// # let _ = faults;
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    pub(crate) scheduled: Vec<(Trigger, FaultAction)>,
    pub(crate) clocks: Vec<(NodeId, f64, f64)>,
}

impl Faults {
    /// No faults.
    pub fn new() -> Faults {
        Faults::default()
    }

    /// The faults scheduled so far, in the order they were added.
    pub fn scheduled(&self) -> &[(Trigger, FaultAction)] {
        &self.scheduled
    }

    /// Schedules any action at any trigger.
    pub fn at(mut self, trigger: Trigger, action: FaultAction) -> Faults {
        self.scheduled.push((trigger, action));
        self
    }

    /// Splits the nodes into groups that cannot reach each other, from `t`.
    pub fn partition_at<G, I>(self, t: Time, groups: G) -> Faults
    where
        G: IntoIterator<Item = I>,
        I: IntoIterator<Item = NodeId>,
    {
        self.at(Trigger::At(t), partition(groups))
    }

    /// Splits the network after the `n`-th delivered message (a partition triggered by progress).
    pub fn partition_after<G, I>(self, n: u64, groups: G) -> Faults
    where
        G: IntoIterator<Item = I>,
        I: IntoIterator<Item = NodeId>,
    {
        self.at(Trigger::AfterDeliveries(n), partition(groups))
    }

    /// From `t`, messages from any of `from` to any of `to` are lost; the reverse still works.
    pub fn one_way_at(
        self,
        t: Time,
        from: impl IntoIterator<Item = NodeId>,
        to: impl IntoIterator<Item = NodeId>,
    ) -> Faults {
        let action = FaultAction::OneWay(from.into_iter().collect(), to.into_iter().collect());
        self.at(Trigger::At(t), action)
    }

    /// Restores every link at `t`.
    pub fn heal_at(self, t: Time) -> Faults {
        self.at(Trigger::At(t), FaultAction::Heal)
    }

    /// Crashes `node` at `t` (memory lost, durable storage kept).
    pub fn crash_at(self, t: Time, node: NodeId) -> Faults {
        self.at(Trigger::At(t), FaultAction::Crash(node))
    }

    /// Restarts a crashed `node` at `t`.
    pub fn restart_at(self, t: Time, node: NodeId) -> Faults {
        self.at(Trigger::At(t), FaultAction::Restart(node))
    }

    /// Freezes `node` from `t` for `pause` (a stop-the-world GC pause).
    pub fn pause_at(self, t: Time, node: NodeId, pause: Time) -> Faults {
        self.at(Trigger::At(t), FaultAction::Pause(node, pause))
    }

    /// Gives `node` a wrong clock: `offset_ms` ahead (negative: behind) and `drift_ppm` fast.
    pub fn clock(mut self, node: NodeId, offset_ms: f64, drift_ppm: f64) -> Faults {
        self.clocks.push((node, offset_ms, drift_ppm));
        self
    }

    /// Validates against `n` nodes and returns the clocks they will run with.
    pub(crate) fn build(&self, n: usize, p: &mut Problems) -> Vec<LocalClock> {
        let bad_node = |param: &str, id: NodeId| {
            ConfigError::new(
                param,
                id,
                format!("a node id in 0..{n} (the simulation has {n} nodes)"),
            )
        };
        for (_, action) in &self.scheduled {
            for id in action.nodes() {
                if id >= n {
                    p.push(bad_node(action.name(), id));
                }
            }
        }
        let mut clocks = vec![LocalClock::default(); n];
        for &(node, offset_ms, drift_ppm) in &self.clocks {
            if !offset_ms.is_finite() {
                p.push(ConfigError::new(
                    "clock offset_ms",
                    offset_ms,
                    "a finite number of milliseconds",
                ));
            }
            if !(drift_ppm.is_finite() && drift_ppm > -1e6) {
                p.push(ConfigError::new(
                    "clock drift_ppm",
                    drift_ppm,
                    "a finite rate above -1,000,000 ppm",
                ));
            }
            match clocks.get_mut(node) {
                Some(c) => {
                    *c = LocalClock {
                        offset_us: (offset_ms * 1_000.0).round() as i64,
                        drift_ppm,
                    }
                }
                None => p.push(bad_node("clock", node)),
            }
        }
        clocks
    }
}

/// Which directed links are cut right now.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cuts {
    /// Group of each node under the current partition; `None`: reaches everyone.
    group: Vec<Option<usize>>,
    partitioned: bool,
    one_way: Vec<(NodeId, NodeId)>,
}

impl Cuts {
    pub fn new(n: usize) -> Cuts {
        Cuts {
            group: vec![None; n],
            partitioned: false,
            one_way: Vec::new(),
        }
    }

    pub fn partition(&mut self, groups: &[Vec<NodeId>]) {
        self.group.iter_mut().for_each(|g| *g = None);
        for (i, g) in groups.iter().enumerate() {
            for &node in g {
                self.group[node] = Some(i);
            }
        }
        self.partitioned = true;
    }

    pub fn one_way(&mut self, from: &[NodeId], to: &[NodeId]) {
        for &a in from {
            for &b in to {
                self.one_way.push((a, b));
            }
        }
    }

    pub fn heal(&mut self) {
        *self = Cuts::new(self.group.len());
    }

    #[inline]
    pub fn any(&self) -> bool {
        self.partitioned || !self.one_way.is_empty()
    }

    #[inline]
    pub fn blocked(&self, from: NodeId, to: NodeId) -> bool {
        if !self.any() {
            return false;
        }
        if self.partitioned {
            if let (Some(a), Some(b)) = (self.group[from], self.group[to]) {
                if a != b {
                    return true;
                }
            }
        }
        self.one_way.contains(&(from, to))
    }

    /// Every cut directed link, for the trace.
    pub fn list(&self) -> Vec<(NodeId, NodeId)> {
        let n = self.group.len();
        (0..n)
            .flat_map(|a| (0..n).map(move |b| (a, b)))
            .filter(|&(a, b)| a != b && self.blocked(a, b))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::ms;

    #[test]
    fn partitions_and_one_way_cuts() {
        let mut c = Cuts::new(5);
        c.partition(&[vec![0, 1], vec![2, 3]]);
        assert!(c.blocked(0, 2) && c.blocked(3, 1));
        assert!(!c.blocked(0, 1) && !c.blocked(2, 3));
        assert!(
            !c.blocked(4, 0) && !c.blocked(2, 4),
            "unlisted node 4 reaches everyone"
        );
        c.heal();
        c.one_way(&[0], &[1]);
        assert!(c.blocked(0, 1) && !c.blocked(1, 0));
        assert_eq!(c.list(), vec![(0, 1)]);
    }

    #[test]
    fn nodes_that_do_not_exist_are_named() {
        let mut p = Problems::default();
        Faults::new()
            .partition_at(ms(1), [vec![0], vec![9]])
            .crash_at(ms(2), 3)
            .clock(5, f64::NAN, 0.0)
            .build(3, &mut p);
        let msgs: Vec<String> = p.0.iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert!(msgs[0].contains("`partition_at` = 9") && msgs[0].contains("0..3"));
        assert!(msgs[1].contains("`crash_at` = 3"));
        assert!(msgs[2].contains("clock offset_ms"));
        assert!(msgs[3].contains("`clock` = 5"));
    }
}
